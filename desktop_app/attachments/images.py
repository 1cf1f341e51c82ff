"""Images made ready to send with Pillow: the first frame of an animation, the EXIF orientation
applied, the longest side at most `limits.max_image_side`, every metadata block (EXIF with its
GPS position, XMP, IPTC, text chunks, comments) left behind, re-encoded: a JPEG stays a JPEG
(quality 88), anything else becomes a PNG (alpha kept). The ICC colour profile is kept: it is
colour data, not information about the person, and dropping it would shift wide-gamut colours.

Speed: a JPEG is decoded at a reduced scale when the target allows (`Image.draft`: the decoder
skips the DCT detail it would throw away), and downscaling happens *before* the orientation is
applied (the box is square, so the order does not change the result), so rotating touches the
small image only.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from desktop_app.attachments.errors import FileTooLargeError, UnreadableFileError
from desktop_app.attachments.limits import AttachmentLimits
from desktop_app.core.attachments import ImagePart

JPEG_QUALITY = 88
# What Pillow may open (by content). JPEG covers MPO (multi-picture JPEGs from cameras).
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
_JPEG_LIKE = frozenset({"JPEG", "MPO"})
_ORIENTATION = 0x0112


def fitted_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled down so the longer side is at most `max_side` (never up)."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def prepare_image(path: Path, limits: AttachmentLimits = AttachmentLimits()) -> ImagePart:  # noqa: B008
    name = path.name
    try:
        with Image.open(path, formats=FORMATS) as image:
            return _prepare(image, name, limits.max_image_side)
    except Image.DecompressionBombError as exc:
        raise FileTooLargeError(name, "has too many pixels to open safely") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:  # SyntaxError: Pillow's parsers
        raise UnreadableFileError.because(name, "could not be read as an image", exc) from exc


def _prepare(image: Image.Image, name: str, max_side: int) -> ImagePart:
    source_format = image.format or ""
    orientation = image.getexif().get(_ORIENTATION, 1)
    icc = image.info.get("icc_profile")
    target = fitted_size(image.width, image.height, max_side)
    if source_format in _JPEG_LIKE and target != image.size:
        image.draft(None, target)  # decode at 1/2, 1/4 or 1/8 scale when still >= target
    image.seek(0)  # the first frame of an animation
    frame = _flattened(image)
    if frame.size != target:
        frame = frame.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in _TRANSPOSE:
        frame = frame.transpose(_TRANSPOSE[orientation])
    frame.info = {}  # savers read some metadata from here (a JPEG comment, for one)
    buffer = io.BytesIO()
    suffixes: tuple[str, ...]
    if source_format in _JPEG_LIKE and frame.mode in ("RGB", "L"):
        frame.save(buffer, format="JPEG", quality=JPEG_QUALITY, icc_profile=icc)
        mime, suffixes = "image/jpeg", (".jpg", ".jpeg")
    else:
        frame.save(buffer, format="PNG", icc_profile=icc)
        mime, suffixes = "image/png", (".png",)
    path = Path(name)
    out_name = name if path.suffix.lower() in suffixes else (path.stem or name) + suffixes[0]
    return ImagePart(out_name, mime, buffer.getvalue(), frame.width, frame.height)


def _flattened(image: Image.Image) -> Image.Image:
    """The frame, loaded, in a mode that resizes well and saves as JPEG or PNG: RGB, RGBA, L or
    LA. Palettes and colours with a transparent colour key get an alpha channel; CMYK and the
    rest become RGB."""
    mode = image.mode
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if mode in ("RGB", "RGBA", "L", "LA") and "transparency" not in image.info:
        image.load()
        return image
    if mode in ("L", "LA", "1", "I", "I;16", "F"):
        return image.convert("LA" if has_alpha else "L")
    return image.convert("RGBA" if has_alpha else "RGB")


# EXIF orientation → the transposition that undoes it (the table of ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


THUMBNAIL_SIDE = 320
THUMBNAIL_JPEG_QUALITY = 80


def make_thumbnail(image: ImagePart, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small preview of a prepared image for history (`HistoryStore.append_message(...,
    thumbnails=...)`): the longest side at most `side` px (never enlarged), a JPEG when the image
    is opaque, a PNG when it has transparency (a JPEG would paint it black). Call it where the
    image was prepared, off the event loop: it decodes the whole image."""
    with Image.open(io.BytesIO(image.data), formats=FORMATS) as source:
        frame = _flattened(source)
        frame.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
        buffer = io.BytesIO()
        if "A" in frame.getbands():
            frame.save(buffer, format="PNG")
        else:
            frame.save(buffer, format="JPEG", quality=THUMBNAIL_JPEG_QUALITY)
        return buffer.getvalue()
