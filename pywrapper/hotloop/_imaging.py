"""Image filters: Gaussian and box blur, unsharp masking, Sobel edges, grayscale.

Images are NumPy arrays of shape H x W or H x W x C (C = 1, 3 or 4; the 4th channel is alpha)
of uint8, uint16, float32 or float64, with any strides, or PIL images of (almost) any mode. NumPy
in gives NumPy out (a new C-contiguous array of the same shape and dtype; grayscale: H x W); a
PIL image in gives a PIL image out, in the same mode where one exists, with its `info` (ICC
profile, DPI, EXIF) kept. Each filter matches the scipy.ndimage function it names, per channel,
with scipy's "reflect" border. The work runs in parallel over blocks of rows, without the GIL.

This module holds the image-specific rules (PIL modes, channels); conversion to the C API's
hl_view is _convert.as_view.
"""
import reprlib
import sys

from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, TypeVar, Union

try:
    from typing import Protocol
except ImportError:  # pragma: no cover (Python < 3.8)
    Protocol = object  # type: ignore

from ._args import as_float, as_index
from ._convert import as_ndarray, as_view, buffer_of, numpy_allocation, require_numpy
from ._errors import (HotloopOSError, InvalidArgumentError, InvalidTypeError, NumericOverflowError,
                      ShapeError, check, os_error_from)
from ._loader import lib
from ._run import run
from ._typing import Progress

if TYPE_CHECKING:  # pragma: no cover
    import numpy


class PILImageLike(Protocol):
    """What the annotations need of a PIL.Image.Image (Pillow 9 ships no type information)."""

    @property
    def mode(self) -> str: ...

    def convert(self, mode: str) -> Any: ...


#: An image: a NumPy array or a PIL image; every filter returns the same kind (and type).
Image = TypeVar("Image", bound=Union["numpy.ndarray[Any, Any]", PILImageLike])

# ---- the parts every docstring shares ----
_IMAGE_PARAMETER = """img : numpy.ndarray or PIL.Image.Image
        H x W or H x W x C array (C = 1, 3 or 4; the 4th channel is alpha) of uint8, uint16,
        float32 or float64, any strides (read in place; a non-native byte order costs one
        copy); or a PIL image (see the mode table below). Objects with __array_interface__
        or __array__ (a pandas DataFrame, xarray) are read through numpy.asarray, buffers (a
        2-D or 3-D memoryview) in place, a masked array that masks nothing as its data."""
_PROGRESS_PARAMETER = """progress : bool, callable(done, total) or None, optional
        True shows a tqdm bar; a callable gets (done, total). Ctrl-C stops the call cleanly."""
_RESULT_RULES = """uint8 and uint16 results are computed in float32, rounded to nearest (halves up) and
    saturated to 0..255 / 0..65535; float32 is computed in float32 and float64 in float64,
    without overflow where scipy's float64 has none (float32 blurs weigh each tap on its own),
    except for float32 samples within about 3 float32 steps of the float32 maximum
    (|x| >= 3.40282e38), which can blur to +-inf. The
    alpha channel is copied unchanged. Borders are scipy.ndimage's mode "reflect"
    (d c b a | a b c d | d c b a), mirrored as often as a kernel larger than the image needs,
    so images of any size, down to 1 x 1, are filtered. Results are the same for every thread
    count and SIMD level."""
_MODE_TABLE = """PIL images, by mode (the result has the input's mode and `info` unless stated):

    ==========================  ================================================================
    L, RGB, RGBA, RGBX, F       filtered as they are (RGBX: X copied like alpha)
    I;16, I;16L, I;16B          as uint16 (same byte order out)
    I                           int32: computed in float64, rounded half up, saturated to int32
    LA                          L filtered, A copied
    La, RGBa                    premultiplied: filtered as LA / RGBA, premultiplied again
    P, PA                       filtered as the colours they show: RGB, or RGBA when the
                                palette has transparency or the mode is PA; RGB / RGBA out
                                (grayscale: L, a transparent index as the key Pillow's
                                convert("L") makes of it; transparency bytes dropped, as there)
    L, RGB with a colour key    info["transparency"] (PNG's tRNS): filtered as convert("LA") /
                                convert("RGBA") shows them; LA / RGBA out (grayscale: L, the
                                key converted as Pillow's convert("L") does); I, I;16*, F with
                                a key: refused but for grayscale (no mode with alpha holds them)
    CMYK                        the four inks filtered (K is not alpha)
    YCbCr                       per channel (equals the RGB result converted), but sobel_edges
                                is refused: convert("RGB") first
    LAB                         per channel, a* and b* as signed values; sobel_edges refused
    HSV                         refused but for grayscale (hue is an angle): convert("RGB")
    1 and other modes           refused: convert("L") or convert("RGB") first
    I;16N                       refused (Pillow cannot convert it): make it as I;16
    ==========================  ================================================================

    grayscale returns mode "L" for colour modes (exactly Pillow's convert("L");
    CMYK, LAB and HSV through convert("RGB"), YCbCr its Y channel) and for LA (its L channel),
    and a copy in the input's mode for L, I, F and I;16*. Only the current frame of a
    multi-frame image is read."""
_RAISES = """InvalidTypeError
        (a TypeError) `img` is not an array or PIL image; a dtype other than uint8, uint16,
        float32, float64 (convert with img.astype(numpy.float32)); a masked array that masks
        pixels; a PIL mode the table refuses; a non-numeric parameter.
    ShapeError
        (a ValueError) not 2-D or 3-D; C not in {1, 3, 4}; a side longer than 2**31.
    HotloopOSError
        (an OSError) a PIL image whose pixels Pillow cannot decode (its file truncated or damaged
        after Image.open: Pillow reads pixels lazily). A closed PIL image, or a palette image
        with an info["transparency"] Pillow cannot apply, is InvalidArgumentError."""


_Function = TypeVar("_Function", bound=Callable[..., Any])


def _document(function: _Function) -> _Function:
    """Fills the shared parts into function's docstring."""
    function.__doc__ = ((function.__doc__ or "")
                        .replace("<IMAGE>", _IMAGE_PARAMETER)
                        .replace("<PROGRESS>", _PROGRESS_PARAMETER)
                        .replace("<RULES>", _RESULT_RULES)
                        .replace("<MODES>", _MODE_TABLE)
                        .replace("<RAISES>", _RAISES))
    return function


#: The longest image side, as the engine's kMaxImageSide (core/src/imaging/imaging_image.hpp).
_MAX_IMAGE_SIDE = 2**31
#: The largest kernel radius, as the engine's kMaxKernelRadius (core/include/hotloop/imaging.hpp).
_MAX_KERNEL_RADIUS = 2**24


# ---- the filters ----
@_document
def gaussian_blur(img: Image, sigma: float = 1.0, *, progress: Progress = None) -> Image:
    """Gaussian blur of each channel.

    Matches ``scipy.ndimage.gaussian_filter(channel, sigma, mode="reflect", truncate=4.0)``
    computed in float64: a kernel of radius ``int(4 * sigma + 0.5)``. sigma 0 (and any sigma below
    0.125, a one-tap kernel) returns a copy of the input, as scipy does.

    Parameters
    ----------
    <IMAGE>
    sigma : float, default 1.0
        Standard deviation in pixels, finite, >= 0 and below about 4.19e6 (radius <= 2**24).
    <PROGRESS>

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        The blurred image: an array of img's shape and dtype, or a PIL image (mode table).

    Raises
    ------
    <RAISES>
    InvalidArgumentError
        (a ValueError) sigma negative, not finite, or too large.

    Notes
    -----
    <RULES>
    O(H * W * C * radius) work (two passes of 2 * radius + 1 taps).

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((5, 5), np.float32)
    >>> img[2, 2] = 1.0
    >>> out = gaussian_blur(img, 1.0)
    >>> out.shape, out.dtype, round(float(out[2, 2]), 4), round(float(out.sum()), 4)
    ((5, 5), dtype('float32'), 0.1592, 1.0)
    >>> bool((gaussian_blur(img, 0.0) == img).all())
    True
    """
    sigma = _real(sigma, "gaussian_blur", "sigma")
    return _filter(img, "gaussian_blur",
                   lambda src, dst, ctl: lib.hl_image_gaussian_blur(src, dst, sigma, ctl), progress)


@_document
def box_blur(img: Image, radius: int = 1, *, progress: Progress = None) -> Image:
    """Mean over the (2 * radius + 1) x (2 * radius + 1) window of each pixel, per channel.

    Matches ``scipy.ndimage.uniform_filter(channel, size=2 * radius + 1, mode="reflect")``
    computed in float64. radius 0 returns a copy. Each window's mean is computed on its own:
    scipy keeps a running sum along each line, which loses the digits of small samples after
    a far larger one and turns the rest of the line into NaN after an inf or NaN; here only
    the windows holding an inf or NaN give inf or NaN.

    Parameters
    ----------
    <IMAGE>
    radius : int, default 1
        0 <= radius <= 2**24 (any integer type: int, numpy.int64, ...).
    <PROGRESS>

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        The blurred image: an array of img's shape and dtype, or a PIL image (mode table).

    Raises
    ------
    <RAISES>
    InvalidArgumentError
        (a ValueError) radius negative or above 2**24.

    Notes
    -----
    <RULES>
    O(H * W * C * radius) work (two passes of 2 * radius + 1 taps).

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[0, 0, 90], [0, 0, 90], [0, 0, 90]], np.uint8)
    >>> box_blur(img, 1)
    array([[ 0, 30, 60],
           [ 0, 30, 60],
           [ 0, 30, 60]], dtype=uint8)
    """
    radius = as_index(radius, "box_blur", "radius", 0, _MAX_KERNEL_RADIUS)
    return _filter(img, "box_blur",
                   lambda src, dst, ctl: lib.hl_image_box_blur(src, dst, radius, ctl), progress)


@_document
def sharpen(img: Image, sigma: float = 1.0, amount: float = 1.0, *,
            progress: Progress = None) -> Image:
    """Unsharp mask: ``img + amount * (img - gaussian_blur(img, sigma))``, rounded once.

    The blur is ``scipy.ndimage.gaussian_filter(channel, sigma, mode="reflect", truncate=4.0)``;
    the whole expression is computed in the working precision and stored once (uint8 and uint16
    saturate, so overshoots at edges clip at 0 and the top value).

    Parameters
    ----------
    <IMAGE>
    sigma : float, default 1.0
        Standard deviation of the blur in pixels, as for gaussian_blur (0 returns a copy).
    amount : float, default 1.0
        Strength, finite and >= 0 (0 returns a copy, as does a sigma below 0.125: inf, NaN
        and -0.0 samples included).
    <PROGRESS>

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        The sharpened image: an array of img's shape and dtype, or a PIL image (mode table).

    Raises
    ------
    <RAISES>
    InvalidArgumentError
        (a ValueError) sigma as for gaussian_blur; amount negative or not finite.

    Notes
    -----
    <RULES>

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[10, 10, 200, 200]] * 3, np.uint8)
    >>> sharpen(img, 1.0, 1.0)
    array([[  0,   0, 255, 212],
           [  0,   0, 255, 212],
           [  0,   0, 255, 212]], dtype=uint8)
    """
    sigma = _real(sigma, "sharpen", "sigma")
    amount = _real(amount, "sharpen", "amount")
    return _filter(img, "sharpen",
                   lambda src, dst, ctl: lib.hl_image_sharpen(src, dst, sigma, amount, ctl),
                   progress)


@_document
def sobel_edges(img: Image, *, progress: Progress = None) -> Image:
    """Sobel gradient magnitude of each channel.

    Matches ``numpy.hypot(scipy.ndimage.sobel(channel, 0), scipy.ndimage.sobel(channel, 1))``
    computed in float64: scipy's unnormalised 3 x 3 kernels, so magnitudes reach 4 * sqrt(2)
    (5.66) times the largest sample. uint8 and uint16 results saturate at 255 / 65535 (a
    step of 64 levels already saturates uint8); use float32 or float64 input for the unscaled
    magnitudes.

    Parameters
    ----------
    <IMAGE>
    <PROGRESS>

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        The magnitudes: an array of img's shape and dtype, or a PIL image (mode table).

    Raises
    ------
    <RAISES>

    Notes
    -----
    <RULES>
    O(H * W * C) work. Computed in scipy's order (the [-1, 0, 1] difference first, then the
    [1, 2, 1] smoothing), so flat areas are 0 at any magnitude. Any range of finite values
    is covered: where the float32 or float64 arithmetic would overflow or lose the bits of
    tiny gradients, and next to inf and NaN samples, those samples are recomputed in float64
    with numpy.hypot's rules (hypot(inf, NaN) is inf), giving scipy's value, inf or NaN.

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[0, 0, 1, 1]] * 3, np.float32)
    >>> sobel_edges(img)
    array([[0., 4., 4., 0.],
           [0., 4., 4., 0.],
           [0., 4., 4., 0.]], dtype=float32)
    """
    return _filter(img, "sobel_edges",
                   lambda src, dst, ctl: lib.hl_image_sobel_edges(src, dst, ctl), progress)


@_document
def grayscale(img: Image, *, progress: Progress = None) -> Image:
    """BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` of an RGB or RGBA image (alpha dropped).

    The weights of ITU-R BT.601, as Pillow's ``convert("L")`` and OpenCV's
    ``cv2.COLOR_RGB2GRAY`` use them; uint8 results are exactly Pillow's ``convert("L")``
    (OpenCV's 14-bit arithmetic differs from it by one level on 0.13% of colours). A
    one-channel image is copied.

    Parameters
    ----------
    <IMAGE>
    <PROGRESS>

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        An H x W array of img's dtype, or a PIL image of mode "L" (mode table).

    Raises
    ------
    <RAISES>

    Notes
    -----
    uint8 results use Pillow's 16-bit fixed point, ``(19595 R + 38470 G + 7471 B + 2**15) >>
    16``; uint16 results are computed in float32, rounded to nearest (halves up); float32 and
    float64 are computed in their own precision. O(H * W) work.

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> grayscale(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8))
    array([[ 76, 150,  29]], dtype=uint8)
    """
    return _filter(img, "grayscale",
                   lambda src, dst, ctl: lib.hl_image_grayscale(src, dst, ctl), progress)


# op -> (function, the keyword parameters it takes)
_OPS: Dict[str, Tuple[Callable[..., Any], Tuple[str, ...]]] = {
    "blur": (gaussian_blur, ("sigma",)),
    "box_blur": (box_blur, ("radius",)),
    "edges": (sobel_edges, ()),
    "sharpen": (sharpen, ("sigma", "amount")),
    "grayscale": (grayscale, ()),
}


@_document
def process_image(img: Image, op: str = "blur", *, progress: Progress = None,
                  **params: float) -> Image:
    """One entry point for the image filters, by name.

    Parameters
    ----------
    <IMAGE>
    op : str, default "blur"
        "blur" (gaussian_blur; sigma=1.0), "box_blur" (radius=1), "edges" (sobel_edges),
        "sharpen" (sigma=1.0, amount=1.0) or "grayscale".
    <PROGRESS>
    **params
        The keyword parameters of op's function.

    Returns
    -------
    numpy.ndarray or PIL.Image.Image
        What op's function returns: NumPy in, NumPy out; PIL in, PIL out.

    Raises
    ------
    <RAISES>
    InvalidArgumentError
        (a ValueError) an unknown op, or a parameter value op's function refuses.
    InvalidTypeError
        (a TypeError) op not a str, or a parameter op does not take.

    Notes
    -----
    <RULES>

    <MODES>

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((32, 48, 3), dtype=np.uint8)
    >>> process_image(img, "blur", sigma=2.0).shape
    (32, 48, 3)
    >>> process_image(img, "grayscale").shape
    (32, 48)
    >>> from PIL import Image
    >>> picture = Image.new("RGB", (48, 32), (200, 40, 10))
    >>> picture.info["dpi"] = (300, 300)
    >>> edges = process_image(picture, "edges")
    >>> edges.mode, edges.size, edges.info["dpi"]
    ('RGB', (48, 32), (300, 300))
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


# ---- NumPy arrays ----
_DTYPES = {("u", 1), ("u", 2), ("f", 4), ("f", 8)}


def _filter(img, what, native, progress):
    """native(src, dst, ctl) applied to img: a PIL image, an ndarray or an array-like."""
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(img, pil.Image):
        _load_pil(img, what)
        return _filter_pil(img, what, native, progress)
    return _filter_array(_image_array(img, what), what, native, progress)


def _image_array(obj, what):
    """obj as an image ndarray (no copy), or the error that says why it is not one. Array-likes
    (__array_interface__ or __array__: pandas DataFrames, xarray), buffers (a 2-D or 3-D
    memoryview) and masked arrays that mask nothing are read as every function reads them
    (_convert.as_ndarray)."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(obj, np.ndarray):
        if not (hasattr(obj, "__array_interface__") or hasattr(obj, "__array__")
                or buffer_of(obj, what) is not None):
            raise InvalidTypeError("%s: expected a NumPy array of shape (H, W) or (H, W, C) or a "
                                   "PIL image, got %s" % (what, type(obj).__name__))
        np = require_numpy(what)
    if isinstance(obj, np.ma.MaskedArray) and np.ma.getmask(obj).any():
        raise InvalidTypeError("%s: masked arrays are not images; fill the masked pixels first "
                               "(img.filled(value))" % what)
    obj = as_ndarray(obj, what)
    dt = obj.dtype
    if (dt.kind, dt.itemsize) not in _DTYPES:
        raise InvalidTypeError("%s: unsupported dtype %s; images are uint8, uint16, float32 or "
                               "float64 (convert with img.astype(numpy.float32))" % (what, dt))
    if obj.ndim not in (2, 3):
        raise ShapeError("%s: expected an image of shape (H, W) or (H, W, C), got shape %s"
                         % (what, obj.shape))
    # The engine checks these too, but only once the output is allocated: a broadcast view of
    # a bad shape would be an OutOfMemoryError (or a huge allocation) instead of a ShapeError.
    channels = obj.shape[2] if obj.ndim == 3 else 1
    if channels not in (1, 3, 4):
        raise ShapeError("%s: the source has %d channels; expected 1, 3 or 4" % (what, channels))
    if max(obj.shape[:2]) > _MAX_IMAGE_SIDE:
        raise ShapeError("%s: the source is %s; sides are limited to 2^31 pixels"
                         % (what, "x".join(map(str, obj.shape[:2] + (channels,)))))
    return obj


def _filter_array(a, what, native, progress):
    """A new array: native applied to the image array a (grayscale: H x W)."""
    np = require_numpy(what)
    out = numpy_allocation(what, lambda: np.empty(a.shape[:2] if what == "grayscale" else a.shape,
                                                  a.dtype.newbyteorder("=")))
    _run_filter(native, [(a, out)], progress, what)
    return out


def _run_filter(native, pairs, progress, what):
    """native over each (src, dst) array pair, as one interruptible call with progress."""
    views = [(as_view(src, what), as_view(dst, what)) for src, dst in pairs]
    work = sum(src.length for src, _ in views)

    def call(ctl):
        for src, dst in views:
            check(native(src.c, dst.c, ctl))

    run(call, work, progress, what)


# ---- PIL images ----
# Modes whose pixels are filtered as NumPy reads them, and the same mode is rebuilt.
_PIL_AS_IS = {"L", "RGB", "RGBA", "RGBX", "F", "I;16", "I;16L", "I;16B"}
# Gray modes: grayscale copies them (in their own mode); colour modes give "L".
_PIL_GRAY = {"L", "F", "I", "I;16", "I;16L", "I;16B"}


def _filter_pil(im, what, native, progress, info=None):
    """The PIL image of native applied to im, following the mode table (module docstring), with
    a copy of `info` (im.info by default: Pillow's conversions do not all keep it)."""
    mode = im.mode
    info = im.info if info is None else info
    _refuse_pil_mode(mode, what)
    if mode in ("P", "PA"):
        palette = im.palette.mode if im.palette is not None else ""
        rgba = mode == "PA" or "transparency" in info or palette == "RGBA"
        # "transparency" names a palette index: the RGBA pixels carry it now.
        rest = {key: value for key, value in info.items() if key != "transparency"}
        result = _filter_pil(_palette_colours(im, rgba, what), what, native, progress, rest)
        key = info.get("transparency")
        if what == "grayscale" and mode == "P" and isinstance(key, int):
            result.info["transparency"] = _palette_key_luma(im, key)
        return result
    if "transparency" in info and mode in _PIL_KEYED:
        return _filter_keyed(im, what, native, progress, info)
    if mode in ("La", "RGBa"):
        straight = _filter_pil(im.convert(mode.upper()), what, native, progress, info)
        if what == "grayscale":
            return straight
        result = straight.convert(mode)
        result.info = dict(info)
        return result
    if what == "grayscale" and mode in ("CMYK", "LAB", "HSV"):
        return _filter_pil(im.convert("RGB"), what, native, progress, info)
    np = require_numpy(what)
    a = np.asarray(im)
    out = _PIL_FILTERS.get(mode, _filter_array)(a, what, native, progress)
    if what == "grayscale" and mode not in _PIL_GRAY:
        mode = "L"
    return _pil_image(out, mode, info)


def _palette_colours(im, rgba, what):
    """im.convert("RGBA") or ("RGB"); a transparency Pillow cannot apply (an index beyond the
    palette's 0..255, more than 256 alpha bytes, a tuple: Pillow's ValueError) is refused
    naming it."""
    try:
        return im.convert("RGBA" if rgba else "RGB")
    except ValueError as exc:
        raise InvalidArgumentError(
            '%s: PIL mode "%s" with info["transparency"] = %s, which Pillow cannot apply '
            "(%s): give an index 0..255 or at most 256 alpha bytes, or del "
            'img.info["transparency"]' % (what, im.mode, reprlib.repr(im.info.get(
                "transparency")), exc)) from None


def _palette_key_luma(im, index):
    """The L key Pillow's convert("L") makes of a palette image's transparent index: a 1x1
    palette image of that index, converted (entries beyond the palette are Pillow's gray ramp).
    The palette is given as RGB: Pillow's own probe refuses an RGBA palette ("invalid palette
    size"), and its alpha is no part of the luma."""
    import PIL.Image

    probe = PIL.Image.new("P", (1, 1), index)
    probe.putpalette(im.getpalette("RGB"))
    return probe.convert("L").getpixel((0, 0))


# Modes in which Pillow keeps a transparent colour key (PNG's tRNS chunk) in info["transparency"]:
# the pixels of that value are transparent. Filtered pixels no longer hold it where they did.
_PIL_KEYED = {"L", "RGB", "I", "I;16", "I;16L", "I;16B", "F"}


def _filter_keyed(im, what, native, progress, info):
    """A keyed image filtered as the colours it shows, as a palette with transparency is: L and
    RGB as convert("LA") / convert("RGBA") (Pillow turns the key into alpha). grayscale keeps a
    key as Pillow's convert("L") does (RGB: the key's own luma). The wider gray modes have no
    alpha mode to go to: refused rather than given a key that marks arbitrary pixels."""
    rest = {key: value for key, value in info.items() if key != "transparency"}
    mode = im.mode
    if what == "grayscale":
        result = _filter_pil(im, what, native, progress, rest)
        key = info["transparency"]
        if mode != "RGB":  # a gray image is copied: its key still marks the same pixels
            result.info["transparency"] = key
        elif isinstance(key, tuple):  # what Pillow's convert("L") gives the key
            import PIL.Image

            result.info["transparency"] = PIL.Image.new("RGB", (1, 1), key).convert(
                "L").getpixel((0, 0))
        return result
    if mode in ("L", "RGB"):
        alpha = "LA" if mode == "L" else "RGBA"
        return _filter_pil(im.convert(alpha), what, native, progress, rest)
    raise InvalidTypeError(
        '%s: PIL mode "%s" with a transparent colour key (info["transparency"] = %r): filtered '
        "pixels would not keep it, and Pillow has no %s mode with alpha: del "
        'img.info["transparency"] to filter the values as they are' % (
            what, mode, info["transparency"], "16-bit" if mode.startswith("I;16") else mode))


def _load_pil(im, what):
    """Decodes im's pixels if Pillow has not yet (Image.open reads them lazily), so that a file
    truncated or damaged since Image.open, or a closed image, is a HotloopError naming it rather
    than the OSError or ValueError Pillow raises from deep inside numpy.asarray or convert()."""
    try:
        im.load()
    except ValueError as exc:  # "Operation on closed image"
        raise InvalidArgumentError("%s: the PIL image cannot be read: %s" % (what, exc)) from None
    except (OSError, SyntaxError, EOFError) as exc:  # what Pillow's decoders raise
        name = getattr(im, "filename", "") or "the PIL image's file"
        if isinstance(exc, OSError) and exc.errno:
            raise os_error_from(exc, name) from None
        raise HotloopOSError("%s: %s cannot be decoded (truncated or damaged since it was "
                             "opened?): %s" % (what, name, exc)) from None


def _refuse_pil_mode(mode, what):
    if mode in _PIL_AS_IS or mode in ("I", "LA", "La", "RGBa", "P", "PA", "CMYK"):
        return
    if mode in ("YCbCr", "LAB") and what != "sobel_edges":
        return
    if mode == "HSV" and what == "grayscale":
        return
    if mode in ("YCbCr", "LAB", "HSV"):
        reason = {"YCbCr": "chroma gradients are not YCbCr colours",
                  "LAB": "a* and b* gradients are not Lab colours",
                  "HSV": "hue is an angle"}[mode]
        raise InvalidTypeError('%s: PIL mode "%s" (%s): convert("RGB") first (or convert("L") '
                               "for a gray result)" % (what, mode, reason))
    if mode == "1":
        raise InvalidTypeError('%s: PIL mode "1" (bilevel) cannot hold filtered values: '
                               'convert("L") first' % what)
    if mode == "I;16N":  # Pillow has no converter (nor packer) for it: convert() cannot help
        raise InvalidTypeError('%s: PIL mode "I;16N" is not supported, and Pillow cannot convert '
                               'it to another mode: make the image in mode "I;16" (or "I;16B") '
                               "instead" % what)
    raise InvalidTypeError('%s: PIL mode "%s" is not supported: convert("RGB") or convert("L") '
                           "first" % (what, mode))


def _filter_la(a, what, native, progress):
    """LA: L filtered, A copied (grayscale: L)."""
    np = require_numpy(what)
    if what == "grayscale":
        return np.array(a[..., 0])
    out = np.empty_like(a)
    _run_filter(native, [(a[..., 0], out[..., 0])], progress, what)
    out[..., 1] = a[..., 1]
    return out


def _filter_cmyk(a, what, native, progress):
    """CMYK: all four inks filtered (K is not alpha): C, M, Y as one image, K as another."""
    np = require_numpy(what)
    out = np.empty_like(a)
    _run_filter(native, [(a[..., :3], out[..., :3]), (a[..., 3], out[..., 3])], progress, what)
    return out


def _filter_ycbcr(a, what, native, progress):
    """YCbCr: linear filters per channel (they commute with the affine map from RGB); grayscale
    is the Y channel, which Pillow's convert("L") returns too."""
    if what == "grayscale":
        return require_numpy(what).array(a[..., 0])
    return _filter_array(a, what, native, progress)


def _filter_lab(a, what, native, progress):
    """LAB: Pillow stores a* and b* as signed bytes; x ^ 0x80 maps them to x + 128 (exact), which
    linear filters with weights summing to 1 carry through, and ^ 0x80 maps back."""
    signed = a.copy()
    signed[..., 1:] ^= 0x80
    out = _filter_array(signed, what, native, progress)
    out[..., 1:] ^= 0x80
    return out


def _filter_int32(a, what, native, progress):
    """I: int32 computed in float64 (exact), rounded half up and saturated to int32."""
    np = require_numpy(what)
    result = _filter_array(a.astype(np.float64), what, native, progress)
    np.floor(result + 0.5, out=result)
    np.clip(result, -2.0**31, 2.0**31 - 1, out=result)
    return result.astype(np.int32)


_PIL_FILTERS = {"LA": _filter_la, "CMYK": _filter_cmyk, "YCbCr": _filter_ycbcr,
                "LAB": _filter_lab, "I": _filter_int32}


def _pil_image(pixels, mode, info):
    """A PIL image of mode from an array (byte order as the mode wants), with a copy of info."""
    import PIL.Image

    if mode == "I;16B":
        pixels = pixels.astype(">u2")
    elif mode in ("I;16", "I;16L"):
        pixels = pixels.astype("<u2")
    if pixels.size:
        image = PIL.Image.fromarray(pixels, mode)
    else:  # Pillow's fromarray refuses an empty buffer in most modes ("tile cannot extend ...")
        image = PIL.Image.new(mode, (pixels.shape[1], pixels.shape[0]))
    image.info = dict(info)
    return image


# ---- parameters ----
def _real(value, what, name):
    """A parameter taken as a float: any real number (NumPy scalars, Fraction, Decimal), not
    bool or str. An int beyond float's range is out of the domain, as inf is."""
    try:
        return as_float(value, what, name, allow_bool=False)
    except NumericOverflowError:
        return float("inf") if value > 0 else float("-inf")

