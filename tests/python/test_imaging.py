"""Image filters against scipy.ndimage (computed in float64, per channel, mode "reflect"): within
one level for uint8 (rounded, saturated) and 1e-4 for float32 images in [0, 1]. Strides, dtypes,
alpha, thread counts and errors."""
import pytest

np = pytest.importorskip("numpy")
ndimage = pytest.importorskip("scipy.ndimage")
from hypothesis import given, settings, strategies as st  # noqa: E402

import hotloop  # noqa: E402


def make_image(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    return pixels if dtype == np.uint8 else (pixels / np.float32(255)).astype(np.float32)


def per_channel(img, f):
    x = img.astype(np.float64)
    if x.ndim == 2:
        return f(x)
    out = np.stack([f(x[..., c]) for c in range(x.shape[2])], axis=-1)
    if x.shape[2] == 4:
        out[..., 3] = x[..., 3]  # alpha is left alone
    return out


def ref_gaussian(img, sigma):
    return per_channel(img, lambda ch: ndimage.gaussian_filter(ch, sigma, mode="reflect", truncate=4.0))


def ref_box(img, radius):
    return per_channel(img, lambda ch: ndimage.uniform_filter(ch, 2 * radius + 1, mode="reflect"))


def ref_sobel(img):
    return per_channel(img, lambda ch: np.hypot(ndimage.sobel(ch, 0), ndimage.sobel(ch, 1)))


def ref_sharpen(img, sigma, amount):
    x = img.astype(np.float64)
    out = x + amount * (x - ref_gaussian(img, sigma))
    if x.ndim == 3 and x.shape[2] == 4:
        out[..., 3] = x[..., 3]
    return out


def ref_gray(img):
    x = img.astype(np.float64)
    if x.ndim == 2:
        return x
    if x.shape[2] == 1:
        return x[..., 0]
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def assert_close(got, expected, dtype):
    assert got.dtype == dtype
    assert got.shape == expected.shape
    if dtype == np.uint8:
        expected = np.clip(np.rint(expected), 0, 255)
        assert np.abs(got.astype(np.int64) - expected).max() <= 1
    else:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


SHAPES = [(37, 53), (37, 53, 1), (37, 53, 3), (37, 53, 4)]
DTYPES = [np.uint8, np.float32]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_filters_match_scipy(shape, dtype):
    img = make_image(shape, dtype, seed=len(shape))
    before = img.copy()
    assert_close(hotloop.gaussian_blur(img, 2.0), ref_gaussian(img, 2.0), dtype)
    assert_close(hotloop.gaussian_blur(img, 0.7), ref_gaussian(img, 0.7), dtype)
    assert_close(hotloop.box_blur(img, 3), ref_box(img, 3), dtype)
    assert_close(hotloop.sobel_edges(img), ref_sobel(img), dtype)
    assert_close(hotloop.sharpen(img, 1.5, 0.8), ref_sharpen(img, 1.5, 0.8), dtype)
    assert_close(hotloop.grayscale(img), ref_gray(img), dtype)
    assert np.array_equal(img, before)  # the input is never written


def test_uint8_saturates_and_alpha_is_kept():
    img = np.zeros((20, 20, 4), np.uint8)
    img[:, 10:, :3] = 255
    img[..., 3] = np.arange(20, dtype=np.uint8)[None, :] * 12
    edges = hotloop.sobel_edges(img)
    assert edges[:, 9:11, :3].min() == 255  # magnitude 1020 saturates
    assert edges[:, :8, :3].max() == 0
    assert np.array_equal(edges[..., 3], img[..., 3])
    sharp = hotloop.sharpen(img, 1.0, 3.0)
    assert sharp[..., :3].min() == 0 and sharp[..., :3].max() == 255
    assert np.array_equal(sharp[..., 3], img[..., 3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_any_strides_give_the_contiguous_result(dtype):
    base = make_image((60, 80, 4), dtype, seed=3)
    views = [
        base[::2, ::3, :3],             # steps
        base[::-1, ::-1, 2::-1],        # negative strides everywhere
        base.transpose(1, 0, 2)[:, :, :3],
        np.asfortranarray(base[..., :3]),
        base[..., 1],                   # a 2-D strided channel
    ]
    for view in views:
        contiguous = np.ascontiguousarray(view)
        for f in (lambda x: hotloop.gaussian_blur(x, 1.3), hotloop.sobel_edges, hotloop.grayscale,
                  lambda x: hotloop.box_blur(x, 2), lambda x: hotloop.sharpen(x, 1.0, 1.0)):
            got = f(view)
            assert got.flags.c_contiguous
            assert np.array_equal(got, f(contiguous))


def test_zero_strides_and_byte_swapped_float32():
    row = make_image((1, 30, 3), np.float32)
    broadcast = np.broadcast_to(row, (25, 30, 3))  # row stride 0
    assert np.array_equal(hotloop.gaussian_blur(broadcast, 1.0),
                          hotloop.gaussian_blur(np.ascontiguousarray(broadcast), 1.0))
    img = make_image((20, 20, 3), np.float32)
    swapped = img.astype(">f4")
    assert np.array_equal(hotloop.sobel_edges(swapped), hotloop.sobel_edges(img))


def test_pil_images_are_accepted():
    Image = pytest.importorskip("PIL.Image")
    img = make_image((30, 40, 3), np.uint8)
    picture = Image.fromarray(img)
    assert np.array_equal(hotloop.gaussian_blur(picture, 1.0), hotloop.gaussian_blur(img, 1.0))


def test_results_do_not_depend_on_the_thread_count():
    img = make_image((700, 90, 3), np.uint8, seed=9)  # several row blocks
    before = hotloop.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            hotloop.set_num_threads(threads)
            results.append([hotloop.gaussian_blur(img, 2.0), hotloop.sobel_edges(img),
                            hotloop.sharpen(img, 1.0, 2.0)])
    finally:
        hotloop.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


def test_process_image_dispatches_to_the_named_functions():
    img = make_image((40, 40, 3), np.uint8)
    assert np.array_equal(hotloop.process_image(img), hotloop.gaussian_blur(img, 1.0))
    assert np.array_equal(hotloop.process_image(img, "blur", sigma=2.5), hotloop.gaussian_blur(img, 2.5))
    assert np.array_equal(hotloop.process_image(img, "box_blur", radius=2), hotloop.box_blur(img, 2))
    assert np.array_equal(hotloop.process_image(img, "edges"), hotloop.sobel_edges(img))
    assert np.array_equal(hotloop.process_image(img, "sharpen", sigma=2.0, amount=0.5),
                          hotloop.sharpen(img, 2.0, 0.5))
    assert np.array_equal(hotloop.process_image(img, "grayscale"), hotloop.grayscale(img))
    assert hotloop.process_image(img, "grayscale").shape == (40, 40)


def test_small_images_that_fit_the_kernel():
    img = make_image((17, 17, 3), np.float32)  # exactly the 17-tap kernel of sigma 2
    assert_close(hotloop.gaussian_blur(img, 2.0), ref_gaussian(img, 2.0), np.float32)
    tiny = make_image((3, 3), np.uint8)
    assert_close(hotloop.sobel_edges(tiny), ref_sobel(tiny), np.uint8)
    assert np.array_equal(hotloop.box_blur(tiny, 0), tiny)
    assert hotloop.grayscale(np.zeros((0, 4, 3), np.uint8)).shape == (0, 4)


@settings(max_examples=60)
@given(
    extra_h=st.integers(0, 30), extra_w=st.integers(0, 30),
    channels=st.sampled_from([None, 1, 3, 4]), sigma=st.floats(0.3, 2.0),
    dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1),
)
def test_gaussian_property(extra_h, extra_w, channels, sigma, dtype, seed):
    size = 2 * int(4 * sigma + 0.5) + 1  # each side at least the kernel
    h, w = size + extra_h, size + extra_w
    shape = (h, w) if channels is None else (h, w, channels)
    img = make_image(shape, dtype, seed)
    assert_close(hotloop.gaussian_blur(img, sigma), ref_gaussian(img, sigma), dtype)
    assert_close(hotloop.sobel_edges(img), ref_sobel(img), dtype)


# ---- errors ----

def test_bad_ranks_and_channels_are_shape_errors():
    for bad in (np.zeros(30, np.uint8), np.zeros((4, 30, 30, 3), np.uint8),
                np.zeros((30, 30, 2), np.uint8), np.zeros((30, 30, 5), np.float32)):
        with pytest.raises(hotloop.ShapeError) as info:
            hotloop.gaussian_blur(bad, 1.0)
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("dtype", [np.int16, np.float64, np.uint16, bool, object, "U3", complex])
def test_other_dtypes_are_type_errors(dtype):
    with pytest.raises(hotloop.InvalidTypeError) as info:
        hotloop.sobel_edges(np.zeros((30, 30, 3), dtype))
    assert "uint8 or float32" in str(info.value)
    assert isinstance(info.value, TypeError)


def test_non_arrays_are_type_errors():
    for bad in ([[1, 2], [3, 4]], "image", None, 3.0):
        with pytest.raises(hotloop.InvalidTypeError):
            hotloop.grayscale(bad)


def test_bad_parameters():
    img = make_image((40, 40, 3), np.uint8)
    for sigma in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(hotloop.InvalidArgumentError):
            hotloop.gaussian_blur(img, sigma)
    for sigma in ("2", None, True):
        with pytest.raises(hotloop.InvalidTypeError):
            hotloop.gaussian_blur(img, sigma)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.box_blur(img, -1)
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.box_blur(img, 1.5)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.sharpen(img, 1.0, -0.5)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.process_image(img, "emboss")
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.process_image(img, "blur", radius=3)
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.process_image(img, 3)


def test_images_smaller_than_the_kernel_are_shape_errors():
    img = make_image((16, 100, 3), np.uint8)
    with pytest.raises(hotloop.ShapeError) as info:
        hotloop.gaussian_blur(img, 2.0)  # 17 taps
    assert "smaller than the kernel" in str(info.value)
    with pytest.raises(hotloop.ShapeError):
        hotloop.box_blur(img, 8)
    with pytest.raises(hotloop.ShapeError):
        hotloop.sobel_edges(np.zeros((2, 10), np.float32))
    with pytest.raises(hotloop.ShapeError):
        hotloop.gaussian_blur(img, 1e300)
    with pytest.raises(hotloop.ShapeError):
        hotloop.box_blur(img, 2**62)


@settings(max_examples=40)
@given(
    radius=st.integers(0, 4), extra=st.integers(0, 20), channels=st.sampled_from([None, 3, 4]),
    sigma=st.floats(0.3, 1.2), amount=st.floats(0.0, 3.0), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_box_and_sharpen_property(radius, extra, channels, sigma, amount, dtype, seed):
    side = max(2 * radius + 1, 2 * int(4 * sigma + 0.5) + 1) + extra
    shape = (side, side + 3) if channels is None else (side, side + 3, channels)
    img = make_image(shape, dtype, seed)
    assert_close(hotloop.box_blur(img, radius), ref_box(img, radius), dtype)
    assert_close(hotloop.sharpen(img, sigma, amount), ref_sharpen(img, sigma, amount), dtype)
    assert_close(hotloop.grayscale(img), ref_gray(img), dtype)
