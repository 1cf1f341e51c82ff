"""Files for attachments.py, made by the benchmark: text PDFs of any page count or size (raw PDF
bytes, one uncompressed content stream per page, Helvetica, ~3,500 characters of English prose per
page in 46 lines, as a dense report page holds), camera-like JPEGs with an EXIF orientation, and
distinct prepared images for a history with pictures.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

_WORDS = tuple(
    """the of and to in is that for it as with was on be by this are from at an which or have not
    they were their has been one all would there more when will can who also its into time only
    new some could these two may first then do any like other than now such over most where after
    between system network latency server request response client stream buffer window message
    history document report quarter revenue figure table section analysis result method sample
    measure value average increase decrease customer product market price growth policy budget
    project schedule review approval contract supplier delivery quality standard process control
    temperature pressure energy storage battery module sensor signal frequency channel protocol
    research evidence study model theory experiment observation estimate variance confidence""".split()  # noqa: SIM905
)
LINES_PER_PAGE = 46
_LINE_POOL = 4096


def _prose_lines(rng: random.Random, count: int) -> list[str]:
    lines = []
    for _ in range(count):
        words: list[str] = []
        length = 0
        while length < 72:
            word = rng.choice(_WORDS)
            words.append(word)
            length += len(word) + 1
        line = " ".join(words)
        if rng.random() < 0.3:
            line = line[0].upper() + line[1:] + "."
        if rng.random() < 0.05:
            line += f" (see {rng.randint(1, 400)}.{rng.randint(1, 9)})"  # parentheses to escape
        lines.append(line)
    return lines


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _page_stream(number: int, lines: list[str]) -> bytes:
    out = [b"BT\n/F1 10 Tf\n12 TL\n56 790 Td\n", b"(" + _escape(f"Section {number}") + b") Tj T*\n"]
    out += [b"(" + _escape(line) + b") Tj T*\n" for line in lines]
    out.append(b"ET\n")
    return b"".join(out)


def write_text_pdf(path: Path, *, pages: int = 0, target_bytes: int = 0, seed: int = 2026) -> int:
    """A PDF of `pages` pages of text, or of as many as fit just under `target_bytes`. Returns
    its page count."""
    rng = random.Random(seed)
    pool = _prose_lines(rng, _LINE_POOL)
    header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    # Objects: 1 catalog, 2 pages tree, 3 font, then per page: its page object and its stream.
    streams: list[bytes] = []
    size = len(header) + 2000
    while True:
        if pages and len(streams) >= pages:
            break
        lines = rng.choices(pool, k=LINES_PER_PAGE)
        stream = _page_stream(len(streams) + 1, lines)
        cost = len(stream) + 230  # the page object, the stream's dictionary, the xref rows
        if target_bytes and size + cost + len(streams) * 8 > target_bytes:
            break
        streams.append(stream)
        size += cost
    count = len(streams)
    offsets: list[int] = []
    body = io.BytesIO()
    body.write(header)

    def obj(number: int, content: bytes) -> None:
        offsets.append(body.tell())
        body.write(b"%d 0 obj\n" % number + content + b"\nendobj\n")

    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Count %d /Kids [" % count + kids + b"] >>")
    obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, stream in enumerate(streams):
        page, content = 4 + 2 * i, 5 + 2 * i
        obj(
            page,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content,
        )
        obj(content, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    xref = body.tell()
    body.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    body.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    body.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    path.write_bytes(body.getvalue())
    return count


def photo_like(width: int, height: int, seed: int) -> object:
    """An RGB image with a photograph's mix of smooth areas and fine detail (gradients, shapes,
    sensor-like noise), so JPEG coding costs what a real photo's does."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (max(8, width // 8), max(8, height // 8))
    base = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").rotate(rng.randint(0, 359)).resize(small),
            Image.radial_gradient("L").resize(small),
            Image.effect_noise(small, 60).filter(ImageFilter.GaussianBlur(3)),
        ],
    )
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        r = rng.randint(2, max(3, small[0] // 6))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = base.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, grain, 0.12)


def write_camera_jpeg(path: Path, width: int, height: int, *, orientation: int = 6, seed: int = 2026) -> int:
    """A camera-like JPEG (quality 92) carrying an EXIF orientation tag (6: rotate 90° on show)
    and a few other tags, as a phone writes it. Returns its size in bytes."""
    from PIL import Image

    image = photo_like(width, height, seed)
    assert isinstance(image, Image.Image)
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "Model 12"  # Model
    exif[0x0132] = "2026:11:26 10:00:00"  # DateTime
    image.save(path, format="JPEG", quality=92, exif=exif.tobytes())
    return path.stat().st_size
