"""Image filters on PIL images: a PIL image in gives a PIL image out, in the mode the table of
docs/api/imaging.md gives, with its info kept; each mode's pixels are those of the NumPy filter of
what the mode means (Pillow's own conversions, or scipy.ndimage), and the refused modes say what
to convert to. 16-bit PNGs and examples/image_demo.py."""
import os
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy")
ndimage = pytest.importorskip("scipy.ndimage")
Image = pytest.importorskip("PIL.Image")

import hotloop  # noqa: E402

from test_imaging import assert_close, exact_box, ref_gaussian, ref_sobel  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
INFO = {"icc_profile": b"\x00profile bytes", "dpi": (300, 300), "comment": b"kept"}
FILTERS = {
    "blur": lambda x: hotloop.gaussian_blur(x, 1.5),
    "box_blur": lambda x: hotloop.box_blur(x, 2),
    "sharpen": lambda x: hotloop.sharpen(x, 1.0, 1.5),
    "edges": hotloop.sobel_edges,
    "grayscale": hotloop.grayscale,
}


def rgb_picture(seed=0, size=(31, 23)):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def with_info(im):
    im.info.update(INFO)
    return im


def pixels(im):
    return np.asarray(im)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "RGBX", "F", "I;16", "I;16L", "I;16B", "I"])
@pytest.mark.parametrize("op", sorted(FILTERS))
def test_modes_filtered_as_they_are_keep_mode_and_info(mode, op):
    rng = np.random.default_rng(1)
    if mode == "F":
        im = Image.fromarray(rng.random((23, 31), dtype=np.float32))
    elif mode.startswith("I;16"):
        im = Image.fromarray(rng.integers(0, 65536, (23, 31)).astype(np.uint16))
        im = im if mode == "I;16" else im.convert(mode)
    elif mode == "I":
        im = Image.fromarray(rng.integers(-2**31, 2**31, (23, 31)).astype(np.int32), "I")
    else:
        im = rgb_picture(1).convert(mode)
    assert im.mode == mode
    with_info(im)
    out = FILTERS[op](im)
    gray_mode = mode if mode in ("L", "F", "I", "I;16", "I;16L", "I;16B") else "L"
    assert isinstance(out, Image.Image)
    assert out.mode == (gray_mode if op == "grayscale" else mode)
    assert out.size == im.size
    assert out.info == INFO and out.info is not im.info
    a = pixels(im)
    if mode == "I":  # computed in float64, rounded half up, saturated to int32
        expected = np.clip(np.floor(FILTERS[op](a.astype(np.float64)) + 0.5), -2**31, 2**31 - 1)
        assert np.array_equal(pixels(out), expected.astype(np.int32))
    else:
        assert np.array_equal(pixels(out), FILTERS[op](a))
        assert pixels(out).dtype == a.dtype  # same byte order (I;16B stays big-endian)


EMPTY_OUT_MODES = {"P": "RGB", "PA": "RGBA"}  # every other filtered mode is kept


@pytest.mark.parametrize("mode", ["L", "P", "LA", "PA", "RGB", "RGBA", "RGBX", "RGBa", "La",
                                  "CMYK", "YCbCr", "LAB", "I", "I;16", "I;16L", "I;16B", "F"])
@pytest.mark.parametrize("size", [(0, 5), (5, 0), (0, 0)])
def test_empty_images_give_empty_images_of_the_table_mode(mode, size):
    # Pillow makes 0 x N images (Image.new, crop); fromarray refused them in most modes.
    im = with_info(Image.new(mode, size))
    for op, f in FILTERS.items():
        if op == "edges" and mode in ("YCbCr", "LAB"):
            continue  # refused for every size
        out = f(im)
        gray = mode if mode in ("L", "F", "I", "I;16", "I;16L", "I;16B") else "L"
        assert out.mode == (gray if op == "grayscale" else EMPTY_OUT_MODES.get(mode, mode))
        assert out.size == size and out.info == INFO


def test_pil_in_numpy_out_is_numpy_in_numpy_out():
    im = rgb_picture()
    out = hotloop.gaussian_blur(np.asarray(im), 1.0)
    assert isinstance(out, np.ndarray)
    assert np.array_equal(out, pixels(hotloop.gaussian_blur(im, 1.0)))


def test_la_filters_l_and_copies_alpha():
    im = with_info(rgb_picture(2).convert("LA"))
    a = pixels(im)
    for op, f in FILTERS.items():
        out = f(im)
        if op == "grayscale":
            assert out.mode == "L" and np.array_equal(pixels(out), a[..., 0])
            continue
        assert out.mode == "LA" and out.info == INFO
        assert np.array_equal(pixels(out)[..., 0], f(np.ascontiguousarray(a[..., 0])))
        assert np.array_equal(pixels(out)[..., 1], a[..., 1])


@pytest.mark.parametrize("mode", ["La", "RGBa"])
def test_premultiplied_modes_are_filtered_as_straight_alpha(mode):
    straight_mode = mode.upper()
    rng = np.random.default_rng(3)
    base = rgb_picture(3).convert(straight_mode)
    alpha = Image.fromarray(rng.integers(1, 256, (base.size[1], base.size[0]), dtype=np.uint8))
    base.putalpha(alpha)
    im = with_info(base.convert(mode))
    out = hotloop.gaussian_blur(im, 1.2)
    assert out.mode == mode and out.info == INFO
    expected = hotloop.gaussian_blur(im.convert(straight_mode), 1.2).convert(mode)
    assert np.array_equal(pixels(out), pixels(expected))
    assert hotloop.grayscale(im).mode == "L"


def test_palette_images_are_filtered_as_their_colours():
    im = with_info(rgb_picture(4).convert("P"))
    out = hotloop.gaussian_blur(im, 1.0)
    assert out.mode == "RGB" and out.info == INFO
    assert np.array_equal(pixels(out), hotloop.gaussian_blur(pixels(im.convert("RGB")), 1.0))
    # A blurred palette image is not its indices blurred.
    assert not np.array_equal(pixels(out)[..., 0], hotloop.gaussian_blur(pixels(im), 1.0))
    gray = hotloop.grayscale(im)
    assert gray.mode == "L" and np.array_equal(pixels(gray), pixels(im.convert("L")))


def test_palette_transparency_gives_rgba():
    im = rgb_picture(5).convert("P")
    im.info["transparency"] = 0
    im.info["dpi"] = (72, 72)
    out = hotloop.sobel_edges(im)
    assert out.mode == "RGBA"
    assert out.info == {"dpi": (72, 72)}  # the palette index means nothing to RGBA pixels
    assert np.array_equal(pixels(out), hotloop.sobel_edges(pixels(im.convert("RGBA"))))
    pa = rgb_picture(5).convert("P").convert("PA")
    out = hotloop.box_blur(pa, 1)
    assert out.mode == "RGBA"
    assert np.array_equal(pixels(out), hotloop.box_blur(pixels(pa.convert("RGBA")), 1))


def test_grayscale_of_a_palette_with_transparency_is_pillows_convert_l(tmp_path):
    # Pillow's convert("L") keeps a transparent index as the L key of its colour; grayscale
    # dropped it (the pixels were equal), while it keeps an RGB image's key so.
    rng = np.random.default_rng(11)
    im = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16), "P")
    im.putpalette(rng.integers(0, 256, 3 * 200, dtype=np.uint8).tobytes())  # 200 entries
    for index in (0, 37, 199, 230):  # past the palette: Pillow's gray ramp, as Pillow reads it
        im.info["transparency"] = index
        expected = im.convert("L")
        out = hotloop.grayscale(im)
        assert out.mode == "L" and np.array_equal(pixels(out), pixels(expected))
        assert out.info["transparency"] == expected.info["transparency"], index
    out.save(tmp_path / "gray.png")
    assert Image.open(tmp_path / "gray.png").info["transparency"] == out.info["transparency"]
    # transparency as bytes (one alpha per index): Pillow's convert("L") drops it, with a
    # warning that such images should be converted to RGBA; grayscale drops it too
    im.info["transparency"] = bytes(range(0, 256, 2))
    with pytest.warns(UserWarning, match="RGBA"):
        expected = im.convert("L")
    out = hotloop.grayscale(im)
    assert np.array_equal(pixels(out), pixels(expected)) and "transparency" not in out.info
    assert "transparency" not in expected.info
    pa = im.convert("PA")
    out, expected = hotloop.grayscale(pa), pa.convert("L")
    assert np.array_equal(pixels(out), pixels(expected)) and out.info == expected.info == {}
    # An RGBA palette: Pillow's own convert("L") fails on it ("invalid palette size"); the key
    # is the luma of the index's RGB all the same
    rgba = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), "P")
    rgba.putpalette(bytes([10, 200, 30, 0, 255, 0, 0, 128, 0, 0, 255, 255]), "RGBA")
    rgba.info["transparency"] = 1
    out = hotloop.grayscale(rgba)
    assert pixels(out).tolist() == [[124, 76], [29, 76]] and out.info["transparency"] == 76


@pytest.mark.parametrize("key", [300, -1, bytes(257), (10, 200, 30), "x"])
def test_a_palette_transparency_pillow_cannot_apply_is_refused_naming_it(key):
    # Pillow's convert("RGBA") raises ValueError for these; it came out bare, no HotloopError.
    im = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    im.putpalette([10, 200, 30] * 2)
    im.info["transparency"] = key
    before = (im.tobytes(), dict(im.info))
    for f in FILTERS.values():
        with pytest.raises(hotloop.InvalidArgumentError,
                           match=r'info\["transparency"\] = .*which Pillow cannot apply.*'
                                 r'del img\.info\["transparency"\]'):
            f(im)
    assert (im.tobytes(), dict(im.info)) == before


def test_a_transparent_colour_key_becomes_alpha_as_a_palettes_does(tmp_path):
    # PNG's tRNS chunk: Pillow opens an RGB or L image with info["transparency"] = the colour
    # whose pixels are transparent. Blurred pixels no longer hold it where they did (and may
    # hold it elsewhere): the image is filtered as convert("RGBA") / convert("LA") shows it.
    rgb = np.array(pixels(rgb_picture(6)))
    rgb[5, 7] = (0, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "key.png", transparency=(0, 0, 0), dpi=(72, 72))
    im = Image.open(tmp_path / "key.png")
    assert im.mode == "RGB" and im.info["transparency"] == (0, 0, 0)
    out = hotloop.gaussian_blur(im, 1.0)
    assert out.mode == "RGBA" and "transparency" not in out.info
    assert pixels(out)[5, 7, 3] == 0 and pixels(out)[..., 3].sum() == 255 * (rgb[..., 0].size - 1)
    assert np.array_equal(pixels(out), hotloop.gaussian_blur(pixels(im.convert("RGBA")), 1.0))
    gray = Image.fromarray(rgb[..., 0])
    gray.save(tmp_path / "gray_key.png", transparency=int(rgb[5, 7, 0]))
    out = hotloop.box_blur(Image.open(tmp_path / "gray_key.png"), 1)
    assert out.mode == "LA" and "transparency" not in out.info and pixels(out)[5, 7, 1] == 0
    # grayscale keeps a key, as Pillow's convert("L") does: the L value of the RGB key (not the
    # RGB tuple, which an L image cannot save), and it saves.
    luma = hotloop.grayscale(im)
    assert luma.mode == "L" and luma.info["transparency"] == im.convert("L").info["transparency"]
    assert np.array_equal(pixels(luma), pixels(im.convert("L")))
    luma.save(tmp_path / "luma.png")
    # A 16-bit gray PNG with a key has no mode with alpha to go to: refused, saying how.
    Image.fromarray(rgb[..., 0].astype(np.int32) * 200, "I").save(tmp_path / "i.png",
                                                                   transparency=400)
    wide = Image.open(tmp_path / "i.png")
    with pytest.raises(hotloop.InvalidTypeError, match="transparency"):
        hotloop.sharpen(wide)
    assert hotloop.grayscale(wide).info["transparency"] == 400  # a copy: the key still holds


def test_grayscale_of_every_rgb_colour_is_pillows_convert_l():
    # All 2**24 colours: Pillow's 16-bit fixed point, not the rounded float luma (which is one
    # level off on 8824 of them, e.g. (0, 0, 250): 29 where Pillow says 28).
    r, g, b = np.meshgrid(np.arange(256), np.arange(256), np.arange(256), indexing="ij")
    rgb = np.stack([r, g, b], -1).reshape(4096, 4096, 3).astype(np.uint8)
    assert np.array_equal(hotloop.grayscale(rgb), pixels(Image.fromarray(rgb).convert("L")))
    rgba = np.concatenate([rgb[:64], np.full((64, 4096, 1), 9, np.uint8)], -1)
    assert np.array_equal(hotloop.grayscale(Image.fromarray(rgba, "RGBA")),
                          pixels(Image.fromarray(rgba, "RGBA").convert("L")))


def test_cmyk_filters_all_four_inks_and_grays_like_pillow():
    rng = np.random.default_rng(6)
    a = rng.integers(0, 256, (23, 31, 4), dtype=np.uint8)
    im = with_info(Image.fromarray(a, "CMYK"))
    out = hotloop.gaussian_blur(im, 1.5)
    assert out.mode == "CMYK" and out.info == INFO
    # K is an ink, not alpha: blurred like the others.
    ref = np.stack([ndimage.gaussian_filter(a[..., c].astype(float), 1.5, mode="reflect")
                    for c in range(4)], -1)
    assert_close(pixels(out), ref, np.uint8)
    assert not np.array_equal(pixels(out)[..., 3], a[..., 3])
    edges = hotloop.sobel_edges(im)
    assert_close(pixels(edges), np.stack([ref_sobel(a[..., c]) for c in range(4)], -1), np.uint8)
    gray = hotloop.grayscale(im)
    assert gray.mode == "L"
    assert np.array_equal(pixels(gray), pixels(im.convert("L")))  # was 150 off


def test_ycbcr_linear_filters_per_channel_and_edges_refused():
    im = with_info(rgb_picture(7).convert("YCbCr"))
    a = pixels(im)
    out = hotloop.gaussian_blur(im, 1.0)
    assert out.mode == "YCbCr" and out.info == INFO
    assert np.array_equal(pixels(out), hotloop.gaussian_blur(a, 1.0))
    # Per-channel blurring commutes with the affine map from RGB: close to the RGB result.
    via_rgb = pixels(hotloop.gaussian_blur(im.convert("RGB"), 1.0).convert("YCbCr"))
    assert np.abs(pixels(out).astype(int) - via_rgb).max() <= 3
    assert np.array_equal(pixels(hotloop.grayscale(im)), pixels(im.convert("L")))
    with pytest.raises(hotloop.InvalidTypeError, match=r'convert\("RGB"\)'):
        hotloop.sobel_edges(im)


def test_lab_reads_a_and_b_as_signed():
    im = with_info(rgb_picture(8).convert("LAB"))
    a = pixels(im)
    signed = np.concatenate([a[..., :1].astype(float), a[..., 1:].view(np.int8).astype(float)], -1)
    out = hotloop.gaussian_blur(im, 1.3)
    assert out.mode == "LAB" and out.info == INFO
    got = pixels(out)
    got_signed = np.concatenate([got[..., :1].astype(float), got[..., 1:].view(np.int8).astype(float)], -1)
    ref = ref_gaussian(signed, 1.3)
    assert np.abs(got_signed - np.floor(ref + 0.5)).max() <= 1
    gray = hotloop.grayscale(im)
    assert gray.mode == "L" and gray.info == INFO
    assert np.abs(pixels(gray).astype(int) - pixels(im.convert("RGB").convert("L"))).max() <= 1
    with pytest.raises(hotloop.InvalidTypeError, match=r'convert\("RGB"\)'):
        hotloop.sobel_edges(im)


def test_hsv_is_refused_but_for_grayscale():
    im = rgb_picture(9).convert("HSV")
    for op in ("blur", "box_blur", "sharpen", "edges"):
        with pytest.raises(hotloop.InvalidTypeError, match=r'hue is an angle.*convert\("RGB"\)'):
            FILTERS[op](im)
    gray = hotloop.grayscale(im)
    assert gray.mode == "L" and np.array_equal(pixels(gray), pixels(im.convert("L")))


def test_bilevel_and_unknown_modes_are_refused_with_the_conversion_to_make():
    bilevel = rgb_picture().convert("1")
    for f in FILTERS.values():
        with pytest.raises(hotloop.InvalidTypeError, match=r'mode "1".*convert\("L"\)'):
            f(bilevel)
    native16 = Image.new("I;16N", (4, 3))
    for mode in ("L", "RGB", "I;16"):  # what an advice to convert() would have to rely on
        with pytest.raises(ValueError):
            native16.convert(mode)
    with pytest.raises(hotloop.InvalidTypeError, match=r'cannot convert.*mode "I;16"'):
        hotloop.gaussian_blur(native16, 1.0)


def test_a_failed_call_leaves_the_image_as_it_was():
    im = with_info(rgb_picture().convert("HSV"))
    before = (im.mode, pixels(im).copy(), dict(im.info))
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.sharpen(im, 1.0, 1.0)
    assert (im.mode, dict(im.info)) == before[::2] and np.array_equal(pixels(im), before[1])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_file_truncated_after_open_is_a_hotloop_os_error(tmp_path, fmt):
    # Image.open decodes nothing: the pixels are read at first use, inside the filter. (Large
    # enough that the cut is past what Image.open's buffered read already holds.)
    path = str(tmp_path / ("picture." + fmt.lower()))
    rgb_picture(size=(400, 300)).save(path, format=fmt)
    size = os.path.getsize(path)
    for name, f in FILTERS.items():
        with open(path, "r+b") as out:
            out.seek(0)
            rgb_picture(size=(400, 300)).save(out, format=fmt)
        im = Image.open(path)  # a fresh one: Pillow does not retry a failed decode
        with open(path, "r+b") as out:
            out.truncate(size // 3)
        with pytest.raises(hotloop.HotloopOSError, match="truncated") as info:
            f(im)
        assert isinstance(info.value, OSError), name
        assert path in str(info.value)


def test_a_closed_image_is_an_invalid_argument():
    im = rgb_picture()
    im.close()
    with pytest.raises(hotloop.InvalidArgumentError, match="closed"):
        hotloop.gaussian_blur(im, 1.0)


def test_16_bit_png_round_trip(tmp_path):
    rng = np.random.default_rng(10)
    data = rng.integers(0, 65536, (40, 50)).astype(np.uint16)
    path = tmp_path / "in.png"
    Image.fromarray(data).save(path)
    im = Image.open(path)  # Pillow opens 16-bit gray PNGs as mode "I" (or "I;16")
    out = hotloop.gaussian_blur(im, 2.0)
    assert out.mode == im.mode
    out.save(tmp_path / "out.png")
    back = pixels(Image.open(tmp_path / "out.png")).astype(np.int64)
    assert_close(back.astype(np.uint16), ref_gaussian(data, 2.0), np.uint16)
    assert back.max() > 255  # not clipped to 8 bits


def test_image_demo_writes_a_correct_16_bit_image(tmp_path):
    rng = np.random.default_rng(11)
    data = (np.linspace(0, 65535, 64)[None, :] * np.ones((48, 1))).astype(np.uint16)
    data[10:20, 10:20] = rng.integers(0, 65536, (10, 10))
    Image.fromarray(data).save(tmp_path / "picture.png")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "pywrapper"))
    subprocess.run([sys.executable, os.path.join(ROOT, "examples", "image_demo.py"),
                    str(tmp_path / "picture.png"), "--out", str(tmp_path / "out")],
                   check=True, env=env, capture_output=True)
    blurred = Image.open(tmp_path / "out" / "blurred.png")
    assert blurred.mode in ("I", "I;16")  # 16 bits, not clipped to white by convert("RGB")
    got = pixels(blurred).astype(np.int64)
    assert_close(got.astype(np.uint16), ref_gaussian(data, 3.0), np.uint16)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I;16"])
def test_box_blur_of_integer_modes_is_the_exactly_rounded_mean(mode):
    rng = np.random.default_rng(4)
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65536, (23, 31)).astype(np.uint16))
    else:
        im = rgb_picture(4).convert(mode)
    assert im.mode == mode
    for radius in (1, 7, 40):
        out = hotloop.box_blur(im, radius)
        assert out.mode == mode
        assert np.array_equal(pixels(out), exact_box(pixels(im), radius))
