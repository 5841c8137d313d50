"""Image filters on NumPy arrays against scipy.ndimage (per channel, in float64, mode "reflect"):
uint8 and uint16 within one level of the rounded, saturated value; float32 within 1e-5 and
float64 within 1e-10 of the value, for images of any size (down to 1 x 1), strides, channel
counts, sigma 0, thread counts, progress, and errors. PIL images: test_imaging_pil.py."""
import pytest

np = pytest.importorskip("numpy")
ndimage = pytest.importorskip("scipy.ndimage")
from hypothesis import given, settings, strategies as st  # noqa: E402

import hotloop  # noqa: E402

DTYPES = [np.uint8, np.uint16, np.float32, np.float64]
TOP = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def make_image(shape, dtype, seed=0):
    """Random samples over the dtype's range (floats: [0, 1))."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        return rng.integers(0, TOP[dtype] + 1, shape).astype(dtype)
    return rng.random(shape).astype(dtype)


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


# How far from a half an integer result must be for float32 arithmetic to round it as float64
# does (the error of 17-tap sums of 0..255 and 0..65535 samples, and of sharpen's amplification).
NEAR_HALF = {np.dtype(np.uint8): 2e-3, np.dtype(np.uint16): 0.1}


def assert_close(got, expected, dtype):
    """The documented result rule for dtype against scipy's float64 value: integers rounded to
    nearest (halves up) and saturated, exactly so unless the value is within float32's error of
    a half (then within one level); floats within their precision."""
    dtype = np.dtype(dtype)
    assert got.dtype == dtype
    assert got.shape == expected.shape
    if dtype.kind == "u":
        rounded = np.clip(np.floor(expected + 0.5), 0, TOP[dtype])
        near_half = np.abs(expected - np.floor(expected) - 0.5) < NEAR_HALF[dtype]
        diff = got.astype(np.int64) - rounded
        assert np.abs(diff).max(initial=0) <= 1
        assert not (diff != 0)[~near_half].any(), "rounded differently from scipy's value"
    elif dtype == np.float32:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


SHAPES = [(37, 53), (37, 53, 1), (37, 53, 3), (37, 53, 4)]


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


TINY = [(1, 1), (1, 7), (7, 1), (2, 2), (5, 5), (3, 40), (40, 2), (2, 3, 3), (1, 1, 4), (4, 9, 3)]


@pytest.mark.parametrize("shape", TINY)
@pytest.mark.parametrize("dtype", DTYPES)
def test_images_smaller_than_the_kernel_match_scipy(shape, dtype):
    """scipy reflects as often as the kernel needs (a period of 2n); so do we (fc_19)."""
    img = make_image(shape, dtype, seed=sum(shape))
    for sigma in (0.5, 2.0, 9.0):
        assert_close(hotloop.gaussian_blur(img, sigma), ref_gaussian(img, sigma), dtype)
    for radius in (1, 4, 30):
        assert_close(hotloop.box_blur(img, radius), ref_box(img, radius), dtype)
    assert_close(hotloop.sobel_edges(img), ref_sobel(img), dtype)
    assert_close(hotloop.sharpen(img, 3.0, 1.5), ref_sharpen(img, 3.0, 1.5), dtype)


def test_the_field_case_of_a_5x5_impulse():
    imp = np.zeros((5, 5), np.float64)
    imp[2, 2] = 10
    np.testing.assert_allclose(hotloop.gaussian_blur(imp, 2.0),
                               ndimage.gaussian_filter(imp, 2.0, mode="reflect"), rtol=1e-12)
    tiny = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(hotloop.sobel_edges(tiny), ref_sobel(tiny), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigma_zero_returns_the_input_as_scipy_does(dtype):
    img = make_image((10, 12, 3), dtype)
    for sigma in (0, 0.0, 1e-300, 0.01, 0.12):
        out = hotloop.gaussian_blur(img, sigma)
        assert out is not img and np.array_equal(out, img)
        assert np.array_equal(out, ndimage.gaussian_filter(img, (sigma, sigma, 0)))
        assert np.array_equal(hotloop.sharpen(img, sigma, 3.0), img)
    assert np.array_equal(hotloop.box_blur(img, 0), img)
    assert np.array_equal(hotloop.sharpen(img, 2.0, 0.0), img)


def test_uint8_and_uint16_saturate_and_alpha_is_kept():
    for dtype in (np.uint8, np.uint16):
        top = TOP[np.dtype(dtype)]
        img = np.zeros((20, 20, 4), dtype)
        img[:, 10:, :3] = top
        img[..., 3] = (np.arange(20) * (top // 20))[None, :]
        edges = hotloop.sobel_edges(img)
        assert edges[:, 9:11, :3].min() == top  # magnitude 4 * top saturates
        assert edges[:, :8, :3].max() == 0
        assert np.array_equal(edges[..., 3], img[..., 3])
        sharp = hotloop.sharpen(img, 1.0, 3.0)
        assert sharp[..., :3].min() == 0 and sharp[..., :3].max() == top
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


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_strides_and_byte_swapped_images(dtype):
    row = make_image((1, 30, 3), dtype)
    broadcast = np.broadcast_to(row, (25, 30, 3))  # row stride 0
    assert np.array_equal(hotloop.gaussian_blur(broadcast, 1.0),
                          hotloop.gaussian_blur(np.ascontiguousarray(broadcast), 1.0))
    img = make_image((20, 20, 3), dtype)
    swapped = img.astype(np.dtype(dtype).newbyteorder(">"))
    out = hotloop.sobel_edges(swapped)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert np.array_equal(out, hotloop.sobel_edges(img))


def test_results_do_not_depend_on_the_thread_count():
    before = hotloop.get_num_threads()
    try:
        for dtype in DTYPES:
            img = make_image((700, 90, 3), dtype, seed=9)  # several row blocks
            results = []
            for threads in (1, 2, 3):
                hotloop.set_num_threads(threads)
                results.append([hotloop.gaussian_blur(img, 2.0), hotloop.sobel_edges(img),
                                hotloop.sharpen(img, 1.0, 2.0), hotloop.grayscale(img)])
            for other in results[1:]:
                for a, b in zip(results[0], other):
                    assert np.array_equal(a, b)
    finally:
        hotloop.set_num_threads(before)


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


def test_parameters_take_numpy_scalars_and_other_reals():
    from fractions import Fraction
    from decimal import Decimal
    img = make_image((30, 30), np.float64)
    expected = hotloop.gaussian_blur(img, 1.5)
    for sigma in (np.float32(1.5), np.float64(1.5), Fraction(3, 2), Decimal("1.5"), np.int64(1) + 0.5):
        assert np.array_equal(hotloop.gaussian_blur(img, sigma), expected)
    assert np.array_equal(hotloop.box_blur(img, np.int64(2)), hotloop.box_blur(img, 2))


def test_empty_images():
    for shape in ((0, 4, 3), (4, 0), (0, 0)):
        img = np.zeros(shape, np.uint8)
        assert hotloop.gaussian_blur(img, 2.0).shape == shape
        assert hotloop.sobel_edges(img).shape == shape
        assert hotloop.grayscale(img).shape == shape[:2]


def test_progress_reports_the_whole_run():
    calls = []
    img = make_image((300, 200, 3), np.uint8)
    out = hotloop.gaussian_blur(img, 2.0, progress=lambda done, total: calls.append((done, total)))
    assert np.array_equal(out, hotloop.gaussian_blur(img, 2.0))
    assert calls and calls[-1][0] == calls[-1][1] > 0


@settings(max_examples=80)
@given(
    h=st.integers(1, 40), w=st.integers(1, 40),
    channels=st.sampled_from([None, 1, 3, 4]), sigma=st.floats(0.0, 6.0),
    radius=st.integers(0, 12), amount=st.floats(0.0, 3.0),
    dtype=st.sampled_from(DTYPES), layout=st.sampled_from(["C", "step", "reversed", "transposed"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_filters_property(h, w, channels, sigma, radius, amount, dtype, layout, seed):
    """Random sizes (tiny ones included, kernels larger than the image), layouts, dtypes and
    channel counts against scipy.ndimage."""
    shape = (h, w) if channels is None else (h, w, channels)
    if layout == "step":
        img = make_image((2 * h, 3 * w) + shape[2:], dtype, seed)[::2, ::3]
    elif layout == "reversed":
        img = make_image(shape, dtype, seed)[::-1, ::-1]
    elif layout == "transposed":
        img = np.swapaxes(make_image((w, h) + shape[2:], dtype, seed), 0, 1)
    else:
        img = make_image(shape, dtype, seed)
    assert img.shape == shape
    assert_close(hotloop.gaussian_blur(img, sigma), ref_gaussian(img, sigma), dtype)
    assert_close(hotloop.box_blur(img, radius), ref_box(img, radius), dtype)
    assert_close(hotloop.sobel_edges(img), ref_sobel(img), dtype)
    assert_close(hotloop.sharpen(img, sigma, amount), ref_sharpen(img, sigma, amount), dtype)
    assert_close(hotloop.grayscale(img), ref_gray(img), dtype)


# ---- box_blur of uint8 and uint16: exact integer sums ----

def reflect_counts(n, radius):
    """m[i, d]: how many offsets k in [-radius, radius] read sample d for output i along an axis
    of n under scipy's reflect (period 2n, mirrored), counted in closed form."""
    i = np.arange(n, dtype=np.int64)[:, None]
    d = np.arange(n, dtype=np.int64)[None, :]

    def hits(t):  # j = t (mod 2n) in [i - radius, i + radius]
        return (i + radius - t) // (2 * n) - (i - radius - 1 - t) // (2 * n)

    return hits(d) + hits(2 * n - 1 - d)


def exact_box(img, radius):
    """floor((2S + n) / 2n) per channel, S the exact window sum (Python integers past int64),
    n = (2r + 1)^2: no floats, and not the running sums box_blur uses."""
    a = np.asarray(img)
    x = a.reshape(a.shape[:2] + (-1,)).astype(object)
    down = reflect_counts(a.shape[0], radius).astype(object)
    along = reflect_counts(a.shape[1], radius).astype(object)
    n = (2 * radius + 1) ** 2
    out = np.empty(x.shape, a.dtype)
    for c in range(x.shape[2]):
        sums = down.dot(x[..., c]).dot(along.T)
        out[..., c] = (2 * sums + n) // (2 * n)
    out = out.reshape(a.shape)
    if a.ndim == 3 and a.shape[2] == 4:
        out[..., 3] = a[..., 3]  # alpha is left alone
    return out


def laid_out(img, layout):
    """img's samples in another memory layout (same values)."""
    if layout == "step":
        big = np.zeros((2 * img.shape[0], 3 * img.shape[1]) + img.shape[2:], img.dtype)
        big[::2, ::3] = img
        return big[::2, ::3]
    if layout == "reversed":
        return np.ascontiguousarray(img[::-1, ::-1])[::-1, ::-1]
    if layout == "fortran":
        return np.asfortranarray(img)
    return img


def test_exact_box_is_scipys_mean_where_float64_is_exact():
    img = make_image((9, 13, 3), np.uint8, seed=3)
    for radius in (0, 1, 4, 20):
        size = 2 * radius + 1
        sums = np.rint(ref_box(img, radius) * size * size).astype(np.int64)
        assert np.array_equal(exact_box(img, radius), (2 * sums + size * size) // (2 * size * size))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (1, 1, 4), (37, 53), (37, 53, 3),
                                   (23, 41, 4), (70, 67, 3)])
@pytest.mark.parametrize("layout", ["C", "step", "reversed", "fortran"])
def test_integer_box_blur_is_the_exactly_rounded_mean(dtype, shape, layout):
    """Round half up of the true mean at every radius, within the image and past it (folding),
    for any layout; alpha untouched. The float path was only within float32's error of a half."""
    img = make_image(shape, dtype, seed=sum(shape))
    src = laid_out(img, layout)
    before = src.copy()
    for radius in (0, 1, 3, 30, 100, 1000):
        assert np.array_equal(hotloop.box_blur(src, radius), exact_box(img, radius)), radius
    assert np.array_equal(src, before)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_box_blur_at_the_largest_radii_is_exact(dtype):
    img = make_image((5, 6, 3), dtype, seed=2)
    for radius in (2053, 200000, 2**23, 2**24):  # sums past 2^32, 2^53 and 2^64
        assert np.array_equal(hotloop.box_blur(img, radius), exact_box(img, radius)), radius


def test_integer_box_blur_progress_reports_the_whole_run():
    calls = []
    img = make_image((300, 200, 3), np.uint8)
    out = hotloop.box_blur(img, 7, progress=lambda done, total: calls.append((done, total)))
    assert np.array_equal(out, exact_box(img, 7))
    assert calls and calls[-1][0] == calls[-1][1] > 0


@pytest.mark.parametrize("radius", range(1, 9))
def test_uint8_box_blur_rounds_exactly_either_side_of_the_taps_radius(radius):
    """uint8 windows up to radius 6 keep the float32 taps, 7 and up the integer sums: both give
    the exactly rounded mean, also where it is closest to a half (1/(2n) away), which 250k
    windows of random samples hit many times."""
    img = make_image((250, 333, 3), np.uint8, seed=radius)
    down = reflect_counts(img.shape[0], radius)
    along = reflect_counts(img.shape[1], radius)
    n = (2 * radius + 1) ** 2
    sums = np.stack([down.dot(img[..., c].astype(np.int64)).dot(along.T) for c in range(3)], -1)
    assert np.count_nonzero(np.isin(sums % n, ((n - 1) // 2, (n + 1) // 2))) > 100
    assert np.array_equal(hotloop.box_blur(img, radius), (2 * sums + n) // (2 * n))


@settings(max_examples=120)
@given(
    h=st.integers(1, 30), w=st.integers(1, 30), channels=st.sampled_from([None, 1, 3, 4]),
    radius=st.one_of(st.integers(0, 12), st.integers(13, 200)),
    dtype=st.sampled_from([np.uint8, np.uint16]),
    layout=st.sampled_from(["C", "step", "reversed", "fortran"]), seed=st.integers(0, 2**32 - 1),
)
def test_integer_box_blur_property(h, w, channels, radius, dtype, layout, seed):
    shape = (h, w) if channels is None else (h, w, channels)
    img = make_image(shape, dtype, seed)
    assert np.array_equal(hotloop.box_blur(laid_out(img, layout), radius), exact_box(img, radius))


# ---- errors ----

def test_bad_ranks_and_channels_are_shape_errors():
    for bad in (np.zeros(30, np.uint8), np.zeros((4, 30, 30, 3), np.uint8),
                np.zeros((30, 30, 2), np.uint8), np.zeros((30, 30, 5), np.float32)):
        with pytest.raises(hotloop.ShapeError) as info:
            hotloop.gaussian_blur(bad, 1.0)
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.float16, bool, object, "U3", complex])
def test_other_dtypes_are_type_errors(dtype):
    with pytest.raises(hotloop.InvalidTypeError) as info:
        hotloop.sobel_edges(np.zeros((30, 30, 3), dtype))
    assert "uint8, uint16, float32 or float64" in str(info.value)
    assert "astype" in str(info.value)
    assert isinstance(info.value, TypeError)


def test_masked_arrays_are_refused_not_read_through():
    img = np.ma.masked_array(np.zeros((10, 10), np.float32), mask=np.eye(10, dtype=bool))
    with pytest.raises(hotloop.InvalidTypeError, match=r"filled"):
        hotloop.gaussian_blur(img, 1.0)


def window_means(line, radius):
    """Each pixel's box mean along a 1-D line with the reflect border, window by window."""
    padded = np.pad(line, radius, mode="symmetric")  # numpy's "symmetric" is scipy's "reflect"
    return np.array([np.mean(padded[i:i + 2 * radius + 1]) for i in range(len(line))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_blur_is_each_windows_mean_where_scipys_running_sum_is_off(dtype):
    # docs/api/imaging.md, Range: scipy's uniform_filter cancels after a spike (0.0 for windows
    # of ones) and spreads NaN to the end of the line; box_blur is the mean of each window.
    line = np.array([1e20, 1, 1, 1, 1, 1, 1, 1, 1, np.nan, 1, 1, 1, 1, 1, 1, 1], dtype)
    got = hotloop.box_blur(line[None, :], 1)[0]
    np.testing.assert_allclose(got, window_means(line.astype(np.float64), 1), rtol=1e-6)
    assert np.array_equal(np.isnan(got), np.isnan(window_means(line.astype(np.float64), 1)))
    scipy_row = ndimage.uniform_filter(line[None, :].astype(np.float64), 3, mode="reflect")[0]
    assert scipy_row[4] == 0.0 and np.isnan(scipy_row[-1])  # what the docs say scipy does


def test_masked_arrays_that_mask_nothing_and_array_likes_are_read_as_arrays():
    # docs/api.md's input kinds, for every function: a mask that hides nothing is ignored, and
    # objects with __array__ (a pandas DataFrame) go through numpy.asarray; images refused both.
    pd = pytest.importorskip("pandas")
    img = make_image((12, 9), np.float64)
    expected = hotloop.gaussian_blur(img, 1.5)
    for masked in (np.ma.masked_array(img), np.ma.masked_array(img, mask=np.zeros(img.shape, bool))):
        out = hotloop.gaussian_blur(masked, 1.5)
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, expected)
    frame = pd.DataFrame(img)
    np.testing.assert_array_equal(hotloop.gaussian_blur(frame, 1.5), expected)
    np.testing.assert_array_equal(hotloop.sobel_edges(frame), hotloop.sobel_edges(img))


def test_buffers_are_images_as_for_every_function():
    # docs/api.md: buffers of a PEP 3118 number format are arrays for every function (the
    # image functions named); a 2-D or 3-D memoryview is an image, a 1-D one is no image.
    rgb = make_image((7, 5, 3), np.uint8)
    view = memoryview(rgb.tobytes()).cast("B", rgb.shape)
    np.testing.assert_array_equal(hotloop.box_blur(view, 1), hotloop.box_blur(rgb, 1))
    big_endian = memoryview(make_image((6, 4), np.uint16).astype(">u2"))
    np.testing.assert_array_equal(hotloop.gaussian_blur(big_endian, 1.0),
                                  hotloop.gaussian_blur(np.asarray(big_endian), 1.0))
    with pytest.raises(hotloop.ShapeError):
        hotloop.gaussian_blur(b"flat bytes", 1.0)


def test_non_arrays_are_type_errors():
    for bad in ([[1, 2], [3, 4]], "image", None, 3.0):
        with pytest.raises(hotloop.InvalidTypeError):
            hotloop.grayscale(bad)


def test_bad_parameters():
    img = make_image((40, 40, 3), np.uint8)
    for sigma in (-1.0, -1e-300, float("nan"), float("inf"), 5e6, 10**400, -10**400):
        with pytest.raises(hotloop.InvalidArgumentError):
            hotloop.gaussian_blur(img, sigma)
    for sigma in ("2", None, True, 1j, [1.0]):
        with pytest.raises(hotloop.InvalidTypeError):
            hotloop.gaussian_blur(img, sigma)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.box_blur(img, -1)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.box_blur(img, 2**24 + 1)
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.box_blur(img, 2**70)
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


def test_a_huge_sigma_on_a_small_image_is_computed():
    img = make_image((6, 7), np.float64)
    out = hotloop.gaussian_blur(img, 1e4)  # 80001 taps folded onto 6 and 7 pixels
    np.testing.assert_allclose(out, ref_gaussian(img, 1e4), rtol=1e-9)


def _sobel_extremes(dtype):
    """Images whose Sobel edges take scipy's order to get right: flat areas of huge values (0,
    not inf - inf = NaN), steps whose squared gradients overflow or underflow, steps next to the
    float maximum, and single inf, -inf and NaN pixels."""
    info = np.finfo(dtype)
    images = [np.full((3, 3), 5e307 if dtype == np.float64 else 1e38, dtype),
              np.full((4, 37, 3), info.max, dtype), np.full((4, 37), -info.max, dtype),
              np.full((5, 9), info.smallest_subnormal, dtype)]
    for v in ((1e200, -1e200, 1e-200, 1e-310, 4e307, 5e307) if dtype == np.float64
              else (1e20, -1e20, 1e-30, 1e-44, 8e37, 9e37)):
        step = np.zeros((5, 37), dtype)
        step[:, 20:] = v
        images += [step, step.T.copy()]
    for special in (np.inf, -np.inf, np.nan):
        for where in ((2, 5), (2, 35), (0, 0)):
            img = np.ones((5, 37), dtype)
            img[where] = special
            images.append(img)
    return images


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sobel_edges_of_extreme_values_match_scipy(dtype):
    for img in _sobel_extremes(dtype):
        with np.errstate(all="ignore"):
            expected = ref_sobel(img).astype(dtype)  # scipy in float64, rounded to dtype
        got = hotloop.sobel_edges(img)
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32 else 1e-12,
                                   atol=0)


def test_float32_blurs_of_values_above_half_the_float32_maximum_are_finite():
    # Pair sums w * (p + q) overflowed from 1.7e38 where scipy (float64 inside) is finite.
    spike = np.zeros((1, 5), np.float32)
    spike[0, 2] = 2e38
    rng = np.random.default_rng(3)
    mixed = (rng.choice([-1.0, 1.0], (6, 37, 3)) * rng.uniform(1e38, 3.4e38, (6, 37, 3)))
    for img in (np.full((3, 3), 2e38, np.float32), np.full((6, 37, 3), -3.4e38, np.float32),
                spike, mixed.astype(np.float32)):
        scale = np.abs(img.astype(np.float64)).max()
        for got, expected in ((hotloop.gaussian_blur(img, 1.0), ref_gaussian(img, 1.0)),
                              (hotloop.gaussian_blur(img, 2.5), ref_gaussian(img, 2.5)),
                              (hotloop.box_blur(img, 1), ref_box(img, 1)),
                              (hotloop.sharpen(img, 1.0, 0.3), ref_sharpen(img, 1.0, 0.3))):
            with np.errstate(over="ignore"):
                rounded = expected.astype(np.float32)  # sharpen's overshoots can pass FLT_MAX
            assert got.dtype == np.float32
            np.testing.assert_array_equal(np.isinf(got), np.isinf(rounded))
            # float32 rounding, relative to the largest sample (mixed signs cancel)
            finite = np.isfinite(rounded)
            np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-6,
                                       atol=2e-6 * scale)


def test_float32_sharpen_whose_difference_passes_the_float32_maximum_is_finite():
    # x - blur(x) = 4.2e38 overflowed float32; x + 0.1 * (x - blur) = 2.9e38 does not.
    img = np.full((5, 5), -2.5e38, np.float32)
    img[2, 2] = 2.5e38
    got = hotloop.sharpen(img, 1.0, 0.1)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref_sharpen(img, 1.0, 0.1), rtol=1e-6)


def test_box_blur_radius_errors_state_the_real_range():
    img = make_image((8, 8), np.uint8)
    for radius in (-1, 2**24 + 1, 2**63):
        with pytest.raises(hotloop.InvalidArgumentError, match=r"in 0 \.\. 16777216, got "):
            hotloop.box_blur(img, radius)
    assert hotloop.box_blur(img, 2**24).shape == img.shape  # the limit itself is accepted


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sigma, amount", [(1.0, 0.0), (0.0, 2.0), (0.1, 2.0)])
def test_sharpen_that_is_documented_as_a_copy_copies_inf_nan_and_negative_zero(dtype, sigma,
                                                                                amount):
    # amount 0 or a one-tap sigma "returns a copy": the formula x + amount * (x - blur) made
    # inf - inf = NaN of each inf (and, for amount 0, of its whole neighbourhood) and +0.0 of -0.0.
    img = np.array([[np.inf, 1.0, 2.0, -0.0], [1.0, np.nan, 1.0, 5.0],
                    [-np.inf, 1.0, 3.0, 4.0]], dtype)
    got = hotloop.sharpen(img, sigma, amount)
    assert got.dtype == img.dtype
    assert got.tobytes() == img.tobytes()


def test_sharpen_with_amount_0_still_refuses_a_sigma_too_large():
    with pytest.raises(hotloop.InvalidArgumentError, match="kernel radius above 2"):
        hotloop.sharpen(np.ones((3, 3)), 1e300, 0.0)


@pytest.mark.parametrize("shape, message", [
    ((2**31 + 1, 2**31 + 1), r"the source is 2147483649x2147483649x1; sides are limited to 2\^31"),
    ((2**31 + 1, 2**20, 5), r"the source has 5 channels; expected 1, 3 or 4"),
    ((2**20, 2**20, 2), r"the source has 2 channels; expected 1, 3 or 4"),
])
def test_a_bad_image_shape_is_a_shape_error_before_the_output_is_allocated(shape, message):
    # A broadcast view of such a shape costs no memory; its output would (4 EiB, 2 TiB): the
    # shape, not the allocation, must be the error.
    img = np.broadcast_to(np.zeros((1, 1) + shape[2:], np.uint8), shape)
    for function in (hotloop.gaussian_blur, hotloop.grayscale):
        with pytest.raises(hotloop.ShapeError, match=message):
            function(img)
