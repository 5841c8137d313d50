"""Image filters on NumPy arrays: Gaussian and box blur, unsharp masking, Sobel edges, grayscale.

Images are H x W or H x W x C arrays (C = 1, 3 or 4) of uint8 or float32, with any strides; they
are read in place (no copy) and the result is a new C-contiguous array of the same shape and dtype
(grayscale: H x W). Borders use scipy.ndimage's "reflect" mode (d c b a | a b c d | d c b a).
uint8 results are rounded to nearest and saturated to 0..255. A 4th (alpha) channel is copied
unchanged. The work runs in parallel over blocks of rows, without the GIL.
"""
import numbers
import operator

from typing import Any, Callable, Dict, Tuple

from ._typing import ArrayLike, NDArray, Progress
from ._convert import as_image, empty_image
from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import lib
from ._run import run


def gaussian_blur(img: ArrayLike, sigma: float = 1.0, *, progress: Progress = None) -> NDArray:
    """Gaussian blur of each channel: scipy.ndimage.gaussian_filter(img, sigma, mode="reflect",
    truncate=4.0) applied per channel. sigma > 0; each side of the image must be at least the
    kernel size 2 * int(4 * sigma + 0.5) + 1. O(H * W * C * sigma)."""
    src = as_image(img, "gaussian_blur")
    sigma = _real(sigma, "gaussian_blur", "sigma")
    out, dst = empty_image(src.shape, src)
    _run_filter(lambda ctl: lib.hl_image_gaussian_blur(src.struct, dst.struct, sigma, ctl),
                src, progress, "gaussian_blur")
    return out


def box_blur(img: ArrayLike, radius: int = 1, *, progress: Progress = None) -> NDArray:
    """Mean over the (2 * radius + 1) x (2 * radius + 1) window of each pixel, per channel:
    scipy.ndimage.uniform_filter(size=2 * radius + 1, mode="reflect"). radius >= 0 (0 copies).
    O(H * W * C * radius)."""
    src = as_image(img, "box_blur")
    radius = _integer(radius, "box_blur", "radius")
    if not 0 <= radius < 2**63:
        raise InvalidArgumentError("box_blur: radius must be >= 0, got %d" % radius)
    out, dst = empty_image(src.shape, src)
    _run_filter(lambda ctl: lib.hl_image_box_blur(src.struct, dst.struct, radius, ctl),
                src, progress, "box_blur")
    return out


def sharpen(img: ArrayLike, sigma: float = 1.0, amount: float = 1.0, *,
            progress: Progress = None) -> NDArray:
    """Unsharp mask: img + amount * (img - gaussian_blur(img, sigma)), computed in float and
    rounded once. sigma > 0, amount >= 0."""
    src = as_image(img, "sharpen")
    sigma = _real(sigma, "sharpen", "sigma")
    amount = _real(amount, "sharpen", "amount")
    out, dst = empty_image(src.shape, src)
    _run_filter(lambda ctl: lib.hl_image_sharpen(src.struct, dst.struct, sigma, amount, ctl),
                src, progress, "sharpen")
    return out


def sobel_edges(img: ArrayLike, *, progress: Progress = None) -> NDArray:
    """Sobel gradient magnitude of each channel, hypot(sobel(axis=0), sobel(axis=1)) with
    scipy.ndimage.sobel's unnormalised 3 x 3 kernels. uint8 results saturate at 255 (the
    magnitude reaches 1442); float32 results are not scaled."""
    src = as_image(img, "sobel_edges")
    out, dst = empty_image(src.shape, src)
    _run_filter(lambda ctl: lib.hl_image_sobel_edges(src.struct, dst.struct, ctl),
                src, progress, "sobel_edges")
    return out


def grayscale(img: ArrayLike, *, progress: Progress = None) -> NDArray:
    """BT.601 luma 0.299 R + 0.587 G + 0.114 B as an H x W array (alpha ignored); a 1-channel or
    H x W image is copied."""
    src = as_image(img, "grayscale")
    out, dst = empty_image(src.shape[:2], src)
    _run_filter(lambda ctl: lib.hl_image_grayscale(src.struct, dst.struct, ctl),
                src, progress, "grayscale")
    return out


def _run_filter(native, src, progress, what):
    """Runs one filter call: interruptible and with progress when the image is large."""
    work = 1
    for side in src.shape:
        work *= side
    run(lambda ctl: check(native(ctl)), work, progress, what)


# op -> (function, the keyword parameters it takes)
_OPS: Dict[str, Tuple[Callable[..., Any], Tuple[str, ...]]] = {
    "blur": (gaussian_blur, ("sigma",)),
    "box_blur": (box_blur, ("radius",)),
    "edges": (sobel_edges, ()),
    "sharpen": (sharpen, ("sigma", "amount")),
    "grayscale": (grayscale, ()),
}


def process_image(img: ArrayLike, op: str = "blur", *, progress: Progress = None,
                  **params: float) -> NDArray:
    """One entry point for the image filters: op is "blur" (sigma=1.0), "box_blur" (radius=1),
    "edges", "sharpen" (sigma=1.0, amount=1.0) or "grayscale"; see the function of each.

    >>> import numpy as np
    >>> img = np.zeros((32, 48, 3), dtype=np.uint8)
    >>> process_image(img, "blur", sigma=2.0).shape
    (32, 48, 3)
    >>> process_image(img, "grayscale").shape
    (32, 48)
    """
    if not isinstance(op, str):
        raise InvalidTypeError("process_image: op must be a str, got %s" % type(op).__name__)
    try:
        function, accepted = _OPS[op]
    except KeyError:
        raise InvalidArgumentError("process_image: unknown op %r; expected one of %s"
                                   % (op, ", ".join(map(repr, _OPS)))) from None
    unexpected = sorted(set(params) - set(accepted))
    if unexpected:
        raise InvalidTypeError("process_image: op %r takes %s; got %s" % (
            op, ", ".join(accepted) or "no parameters", ", ".join(unexpected)))
    return function(img, progress=progress, **params)


def _real(value, what, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError("%s: %s must be a real number, got %s"
                               % (what, name, type(value).__name__))
    return float(value)


def _integer(value, what, name):
    if isinstance(value, bool):
        raise InvalidTypeError("%s: %s must be an int, got bool" % (what, name))
    try:
        return operator.index(value)
    except TypeError:
        raise InvalidTypeError("%s: %s must be an int, got %s"
                               % (what, name, type(value).__name__)) from None
