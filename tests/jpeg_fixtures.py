"""Writes the JPEG fixtures of the `folder:` loader's tests with PIL (libjpeg-turbo)
and PIL's decoding of each, the independent reference the tests compare with.

Run from the repository root, in a venv with Pillow (the values committed came
from Pillow 13.0.0 on Python 3.11):

    python3 -m venv target/pyvenv && target/pyvenv/bin/pip install pillow
    target/pyvenv/bin/python tests/jpeg_fixtures.py

For each NAME it writes fixtures/jpeg/NAME.jpg and fixtures/jpeg/NAME.pil, the
decoded pixels as PIL gives them: rows of pixels, channels interleaved (L: 1
byte a pixel, RGB: 3), no header.
"""
import os
from PIL import Image

OUT = "fixtures/jpeg"


def pattern(w, h, mode):
    """A smooth gradient with a sharp edge, so the IDCT and the chroma
    upsampling both matter."""
    img = Image.new(mode, (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            r = (x * 255) // max(w - 1, 1)
            g = (y * 255) // max(h - 1, 1)
            b = 230 if (x + y) % 7 < 3 else 20
            px[x, y] = (r + g) // 2 if mode == "L" else (r, g, b)
    return img


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        # name, size, mode, save options
        ("grey8", (8, 8), "L", dict(quality=90)),
        ("rgb420", (16, 12), "RGB", dict(quality=85, subsampling=2)),
        ("rgb444", (12, 12), "RGB", dict(quality=95, subsampling=0)),
        ("rgb420_progressive", (16, 16), "RGB", dict(quality=80, progressive=True)),
    ]
    for name, (w, h), mode, opts in cases:
        path = os.path.join(OUT, name + ".jpg")
        pattern(w, h, mode).save(path, "JPEG", **opts)
        decoded = Image.open(path)
        decoded.load()
        assert decoded.mode == mode, (name, decoded.mode)
        with open(os.path.join(OUT, name + ".pil"), "wb") as f:
            f.write(decoded.tobytes())
        print(name, decoded.size, decoded.mode, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
