"""The seed's image use case: load a picture with Pillow, blur it, find its edges, save the results.

    python3 examples/image_demo.py [PICTURE] [--out DIR]

The picture goes to hotloop as the PIL image Pillow opened, in its own mode (8-bit RGB, 16-bit
gray PNG or TIFF, CMYK, palette...), and every result comes back as a PIL image of that mode (a
palette image comes back as RGB, or RGBA when its palette has transparency), saved in the input's
format; the edges are those of its grayscale, so they come back as L for a colour picture. Without PICTURE the script draws a
test picture (gradients, discs and stripes) first, so that `make demo` needs no file from outside
the repository.
"""
import argparse
import os
import time

import numpy as np
from PIL import Image

import hotloop


def synthesise(path, height=720, width=1280):
    """A colourful test picture with smooth gradients and sharp edges, saved as PNG."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = x / width
    img[..., 1] = y / height
    img[..., 2] = 0.5 + 0.5 * np.sin(x / 23.0) * np.cos(y / 31.0)
    for cx, cy, r, colour in [(320, 360, 180, (1, 1, 1)), (900, 250, 130, (0, 0, 0)),
                              (1000, 560, 90, (1, 0.2, 0.1))]:
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = colour
    img[600:680, 100:700][..., :] = ((x[600:680, 100:700] // 20) % 2)[..., None]  # stripes
    Image.fromarray((img * 255 + 0.5).astype(np.uint8)).save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("picture", nargs="?", help="an image file (default: a generated one)")
    parser.add_argument("--out", default="image-demo", help="output folder")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = args.picture
    if path is None:
        path = os.path.join(args.out, "input.png")
        synthesise(path)
        print("generated", path)

    picture = Image.open(path)
    if picture.mode in ("1", "HSV"):  # modes hotloop refuses to filter (see docs/api/imaging.md)
        picture = picture.convert("L" if picture.mode == "1" else "RGB")
    extension = os.path.splitext(path)[1] or ".png"
    print("loaded %s: %dx%d, mode %s" % (path, picture.width, picture.height, picture.mode))
    steps = [
        ("blurred", lambda: hotloop.process_image(picture, "blur", sigma=3.0)),
        ("edges", lambda: hotloop.sobel_edges(hotloop.grayscale(picture))),
        ("sharpened", lambda: hotloop.sharpen(picture, sigma=1.5, amount=1.0)),
        ("box_blurred", lambda: hotloop.box_blur(picture, radius=4)),
    ]
    for name, step in steps:
        start = time.perf_counter()
        result = step()
        elapsed = time.perf_counter() - start
        out = os.path.join(args.out, name + extension)
        result.save(out)
        print("%-12s %7.2f ms -> %s (mode %s)" % (name, elapsed * 1e3, out, result.mode))


if __name__ == "__main__":
    main()
