"""Images: EXIF orientation applied, GPS and other metadata gone, downscaled to the limit,
JPEG stays JPEG and the rest becomes PNG with alpha kept, the first frame of an animation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageOps

from desktop_app.attachments import AttachmentLimits, UnreadableFileError, prepare_file
from desktop_app.attachments.images import fitted_size
from desktop_app.core.attachments import ImagePart
from tests.unit.attachments.files import exif_with, halves

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def image_part(path: Path, max_side: int = 2048) -> ImagePart:
    part = prepare_file(path, AttachmentLimits(max_image_side=max_side)).part
    assert isinstance(part, ImagePart)
    return part


def opened(part: ImagePart) -> Image.Image:
    image = Image.open(io.BytesIO(part.data))
    image.load()
    return image


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_a_jpeg_is_turned_upright_downscaled_and_stripped_of_exif_and_gps(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    # Stored 400×200, left red, right blue; orientation 6: shown turned 90° clockwise.
    halves((400, 200), RED, BLUE).save(path, quality=95, exif=exif_with(6))
    with Image.open(path) as source:
        assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test file must carry GPS"
        upright = ImageOps.exif_transpose(source)
    assert upright.size == (200, 400)

    part = image_part(path, max_side=100)
    assert (part.name, part.mime, part.width, part.height) == ("photo.jpg", "image/jpeg", 50, 100)
    image = opened(part)
    assert (image.format, image.size) == ("JPEG", (50, 100))
    # Turned clockwise, the red left half is now on top and the blue right half below.
    assert close_to(image.getpixel((25, 10)), RED)
    assert close_to(image.getpixel((25, 90)), BLUE)
    assert len(image.getexif()) == 0
    assert "exif" not in image.info
    assert b"Exif" not in part.data
    assert b"TestCam" not in part.data


def test_a_png_keeps_its_alpha_and_loses_its_exif(tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    picture = halves((300, 100), (255, 0, 0, 255), (0, 0, 255, 0), mode="RGBA")
    picture.save(path, exif=exif_with(8))  # orientation 8: shown turned 90° counter-clockwise
    part = image_part(path)  # no downscaling: 300 < 2048
    assert (part.name, part.mime, part.width, part.height) == ("shot.png", "image/png", 100, 300)
    image = opened(part)
    assert image.mode == "RGBA"
    # Counter-clockwise: the right (transparent) half goes on top, the red left half below.
    assert image.getpixel((50, 20))[3] == 0
    assert image.getpixel((50, 280)) == (255, 0, 0, 255)
    assert len(image.getexif()) == 0
    assert b"eXIf" not in part.data
    assert b"TestCam" not in part.data


def test_an_animation_gives_its_first_frame_as_png(tmp_path: Path) -> None:
    path = tmp_path / "wave.gif"
    frames = [Image.new("RGB", (64, 48), colour) for colour in (RED, GREEN, BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as source:
        assert source.n_frames == 3
    part = image_part(path, max_side=32)
    assert (part.name, part.mime, part.width, part.height) == ("wave.png", "image/png", 32, 24)
    image = opened(part)
    assert getattr(image, "n_frames", 1) == 1
    assert close_to(image.convert("RGB").getpixel((16, 12)), RED, tolerance=2)


def test_a_small_image_is_not_enlarged_and_a_webp_becomes_png(tmp_path: Path) -> None:
    path = tmp_path / "icon.webp"
    Image.new("RGB", (40, 30), GREEN).save(path, lossless=True)
    part = image_part(path)
    assert (part.name, part.mime, part.width, part.height) == ("icon.png", "image/png", 40, 30)


def test_a_big_jpeg_is_drafted_and_resized_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jpeg"
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(path, quality=90)
    part = image_part(path)
    assert (part.name, part.width, part.height) == ("big.jpeg", 2048, 1536)
    assert close_to(opened(part).getpixel((1000, 700)), (10, 120, 200), tolerance=4)


def test_a_cmyk_jpeg_is_sent_as_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (20, 20), (0, 255, 255, 0)).save(path)
    image = opened(image_part(path))
    assert image.mode == "RGB"
    assert close_to(image.getpixel((10, 10)), RED)


def test_a_damaged_image_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(UnreadableFileError, match=r"^cut\.png: could not be read as an image \("):
        prepare_file(path)


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [((4000, 3000), 2048, (2048, 1536)), ((100, 50), 2048, (100, 50)), ((1, 5000), 100, (1, 100))],
)
def test_fitted_size(size: tuple[int, int], limit: int, expected: tuple[int, int]) -> None:
    assert fitted_size(*size, limit) == expected
