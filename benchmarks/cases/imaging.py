"""Image filters on a 3840x2160 RGB picture against OpenCV, Pillow and scipy.ndimage (uint8,
uint16, float32 and float64 Gaussian blur against both scipy and OpenCV in one run), and
monte_carlo_pi(10**8) against Numba prange and NumPy in 10M chunks."""
import numpy as np

import hotloop
from harness import Case

H, W = 2160, 3840
SAMPLES = 10**8


def _picture(dtype=np.uint8):
    """Random samples over the dtype's range (floats in [0, 1])."""
    rng = np.random.default_rng(12345)
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        return rng.integers(0, np.iinfo(dtype).max + 1, (H, W, 3)).astype(dtype)
    return (rng.integers(0, 256, (H, W, 3), dtype=np.uint8) / 255).astype(dtype)


def _cv2():
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(2)
    return cv2


def _numba_pi():
    """The usual Numba version: prange over samples with np.random (one MT19937 per thread), or
    None without Numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(parallel=True)
    def kernel(n):
        inside = 0
        for _ in numba.prange(n):
            x = np.random.random()
            y = np.random.random()
            if x * x + y * y <= 1.0:
                inside += 1
        return 4.0 * inside / n

    return kernel


def _numpy_pi(n, chunk=10_000_000):
    rng = np.random.default_rng(7)
    inside = 0
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        x = rng.random(m)
        y = rng.random(m)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
    return 4.0 * inside / n


def cases():
    found = []
    cv2 = _cv2()
    if cv2 is not None:
        found.append(Case(
            group="imaging", name="gaussian_blur sigma=2, 3840x2160 RGB uint8",
            setup=lambda: (_picture(),),
            hotloop=lambda img: hotloop.gaussian_blur(img, 2.0),
            peers={"cv2.GaussianBlur (2 threads, 13 taps)":
                   lambda img: cv2.GaussianBlur(img, (0, 0), 2)},
            goal_peer="cv2.GaussianBlur (2 threads, 13 taps)", goal=1 / 1.5,
            note="ours: 17 taps (scipy truncate=4); OpenCV: 13 taps for uint8"))

    def pillow_blur(pil):
        from PIL import ImageFilter
        return pil.filter(ImageFilter.GaussianBlur(2))

    def blur_setup():
        from PIL import Image
        img = _picture()
        return img, Image.fromarray(img)

    found.append(Case(
        group="imaging", name="gaussian_blur sigma=2 vs Pillow (PIL image in, PIL image out)",
        setup=blur_setup, hotloop=lambda img, pil: hotloop.gaussian_blur(pil, 2.0),
        peers={"Pillow ImageFilter.GaussianBlur(2)": lambda img, pil: pillow_blur(pil)},
        goal_peer="Pillow ImageFilter.GaussianBlur(2)", goal=4.0, repeat=3,
        note="ours includes Pillow's copies in (tobytes) and out (frombuffer), about two thirds "
             "of the time"))

    def scipy_blur(img):
        from scipy import ndimage
        return ndimage.gaussian_filter(img, (2, 2, 0), mode="reflect", truncate=4.0)

    peers = {"scipy.ndimage.gaussian_filter": scipy_blur}
    cv2_peer = "cv2.GaussianBlur (2 threads, 17 taps, BORDER_REFLECT)"
    if cv2 is not None:
        # The same work as ours: 17 taps (scipy's truncate=4) and scipy's "reflect" border.
        peers[cv2_peer] = (
            lambda img: cv2.GaussianBlur(img, (17, 17), 2, borderType=cv2.BORDER_REFLECT))
    for dtype in ("uint8", "uint16", "float32", "float64"):
        found.append(Case(
            group="imaging", name="gaussian_blur sigma=2, 3840x2160 RGB %s vs scipy and OpenCV"
                                  % dtype,
            setup=lambda dtype=dtype: (_picture(dtype),),
            hotloop=lambda img: hotloop.gaussian_blur(img, 2.0), peers=peers,
            goal_peer=cv2_peer if cv2 is not None else "scipy.ndimage.gaussian_filter",
            goal=1.0 if cv2 is not None else 10.0, repeat=3,
            quick=dtype in ("uint8", "uint16"),
            note="uint8/uint16 computed in float32, float64 in float64; OpenCV uses fixed point "
                 "for uint8"))

    def pillow_box(img, pil):
        from PIL import ImageFilter
        return pil.filter(ImageFilter.BoxBlur(10))

    def same_box(ours, peer):
        """OpenCV's blur with BORDER_REFLECT: the same pixels (both the exactly rounded mean).
        Pillow's BoxBlur extends the edge pixel instead of reflecting and rounds its own way:
        equal within one level away from the 11-pixel border."""
        if isinstance(peer, np.ndarray):
            return np.array_equal(ours, peer)
        inner = (slice(11, -11), slice(11, -11))
        diff = ours[inner].astype(np.int16) - np.asarray(peer)[inner]
        return int(np.abs(diff).max()) <= 1

    box_peers = {"Pillow ImageFilter.BoxBlur(10)": pillow_box}
    cv2_box = "cv2.blur 21x21 (2 threads, BORDER_REFLECT)"
    if cv2 is not None:
        box_peers[cv2_box] = (
            lambda img, pil: cv2.blur(img, (21, 21), borderType=cv2.BORDER_REFLECT))
    found.append(Case(
        group="imaging", name="box_blur radius=10, 3840x2160 RGB uint8 vs OpenCV and Pillow",
        setup=blur_setup, hotloop=lambda img, pil: hotloop.box_blur(img, 10), peers=box_peers,
        goal_peer=cv2_box if cv2 is not None else "Pillow ImageFilter.BoxBlur(10)",
        goal=1.0, repeat=3, same=same_box,
        note="exact integer running sums, a cost independent of the radius; Pillow's input is "
             "its own image (no copies counted)"))

    if cv2 is not None:
        def cv2_sobel(img):
            gx = cv2.Sobel(img, cv2.CV_32F, 1, 0)
            gy = cv2.Sobel(img, cv2.CV_32F, 0, 1)
            return cv2.magnitude(gx, gy)

        for dtype, label in ((np.uint8, "uint8 -> uint8"), (np.float32, "float32 -> float32")):
            found.append(Case(
                group="imaging", name="sobel_edges 3840x2160 RGB %s" % label,
                setup=lambda dtype=dtype: (_picture(dtype),),
                hotloop=hotloop.sobel_edges,
                peers={"cv2.Sobel x2 (CV_32F) + cv2.magnitude": cv2_sobel},
                goal_peer="cv2.Sobel x2 (CV_32F) + cv2.magnitude", goal=1.0))

    peers = {"NumPy default_rng, 10M chunks": _numpy_pi}
    numba_pi = _numba_pi()
    if numba_pi is not None:
        peers = {"Numba prange (np.random per thread)": numba_pi, **peers}
    found.append(Case(
        group="montecarlo", name="monte_carlo_pi(10**8)",
        setup=lambda: (SAMPLES,), hotloop=lambda n: hotloop.monte_carlo_pi(n, 1),
        peers=peers,
        goal_peer="Numba prange (np.random per thread)" if numba_pi is not None else None,
        goal=2.0 if numba_pi is not None else None, repeat=5))
    return found
