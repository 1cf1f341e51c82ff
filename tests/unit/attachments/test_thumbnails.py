"""make_thumbnail: history's small previews of prepared images."""

from __future__ import annotations

import io

from PIL import Image

from desktop_app.attachments.images import make_thumbnail
from desktop_app.core.attachments import ImagePart


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_an_opaque_image_becomes_a_jpeg_no_longer_than_the_side() -> None:
    part = ImagePart(
        "wide.png", "image/png", encoded(Image.new("RGB", (1600, 800), (200, 30, 30)), "PNG"), 1600, 800
    )
    thumb = opened(make_thumbnail(part))
    assert thumb.format == "JPEG"
    assert thumb.size == (320, 160)
    red, green, blue = thumb.getpixel((160, 80))  # type: ignore[misc]
    assert red > 150
    assert max(green, blue) < 80


def test_transparency_is_kept_as_a_png() -> None:
    image = Image.new("RGBA", (500, 1000), (0, 0, 255, 0))
    part = ImagePart("icon.png", "image/png", encoded(image, "PNG"), 500, 1000)
    thumb = opened(make_thumbnail(part, side=100))
    assert thumb.format == "PNG"
    assert thumb.size == (50, 100)
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((10, 10))[3] == 0  # type: ignore[index]


def test_a_small_image_is_never_enlarged() -> None:
    part = ImagePart("tiny.jpg", "image/jpeg", encoded(Image.new("RGB", (40, 30), "white"), "JPEG"), 40, 30)
    assert opened(make_thumbnail(part)).size == (40, 30)
