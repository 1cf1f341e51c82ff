"""Windows .ico and macOS .icns containers holding PNG images: writers, and readers for checks.

Both formats are a small directory followed by the image data, and both accept PNG payloads
(ICO since Windows Vista, ICNS since OS X 10.7), so no bitmap encoding is needed here.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Final

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

ICO_SIZES: Final = (16, 20, 24, 32, 40, 48, 64, 128, 256)

# ICNS element type for each PNG payload, with its pixel size. The @2x types repeat a size
# under another name; macOS picks whichever matches the screen.
ICNS_TYPES: Final[Mapping[str, int]] = {
    "icp4": 16,
    "icp5": 32,
    "icp6": 64,
    "ic07": 128,
    "ic08": 256,
    "ic09": 512,
    "ic10": 1024,  # 512@2x
    "ic11": 32,  # 16@2x
    "ic12": 64,  # 32@2x
    "ic13": 256,  # 128@2x
    "ic14": 512,  # 256@2x
}


class IconFormatError(ValueError):
    """Bytes that are not the container they claim to be."""


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise IconFormatError("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def write_ico(pngs: Mapping[int, bytes]) -> bytes:
    """An .ico holding one square PNG per size (sizes up to 256)."""
    if not pngs:
        raise IconFormatError("an icon needs at least one image")
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, payloads = [], []
    for size in sizes:
        png = pngs[size]
        if png_size(png) != (size, size):
            raise IconFormatError(f"the {size} px image is {png_size(png)}")
        if not 1 <= size <= 256:
            raise IconFormatError(f"ICO images are 1 to 256 px, not {size}")
        dimension = 0 if size == 256 else size  # a 0 byte means 256
        # width, height, palette size, reserved, colour planes, bits per pixel, length, offset
        entries.append(struct.pack("<BBBBHHII", dimension, dimension, 0, 0, 1, 32, len(png), offset))
        payloads.append(png)
        offset += len(png)
    return header + b"".join(entries) + b"".join(payloads)


def read_ico(data: bytes) -> dict[int, bytes]:
    """Size → PNG payload of an .ico written by `write_ico` (PNG entries only)."""
    if len(data) < 6:
        raise IconFormatError("too short for an ICO header")
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise IconFormatError("not an ICO file")
    images: dict[int, bytes] = {}
    for index in range(count):
        entry = data[6 + 16 * index : 22 + 16 * index]
        if len(entry) != 16:
            raise IconFormatError("truncated ICO directory")
        width, height, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", entry)
        payload = data[offset : offset + length]
        if len(payload) != length:
            raise IconFormatError("truncated ICO image")
        size = width or 256
        if png_size(payload) != (size, height or 256):
            raise IconFormatError(f"ICO entry {index} disagrees with its PNG size")
        images[size] = payload
    return images


def write_icns(pngs: Mapping[int, bytes]) -> bytes:
    """An .icns with every element type of `ICNS_TYPES` whose size is in `pngs`."""
    elements = []
    for kind, size in ICNS_TYPES.items():
        png = pngs.get(size)
        if png is None:
            continue
        if png_size(png) != (size, size):
            raise IconFormatError(f"the {size} px image is {png_size(png)}")
        elements.append(kind.encode("ascii") + struct.pack(">I", 8 + len(png)) + png)
    if not elements:
        raise IconFormatError("none of the sizes fits an ICNS element type")
    body = b"".join(elements)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_icns(data: bytes) -> dict[str, bytes]:
    """Element type → payload of an .icns file."""
    if data[:4] != b"icns" or len(data) < 8:
        raise IconFormatError("not an ICNS file")
    (total,) = struct.unpack(">I", data[4:8])
    if total != len(data):
        raise IconFormatError(f"ICNS header says {total} bytes, the file has {len(data)}")
    elements: dict[str, bytes] = {}
    position = 8
    while position < total:
        kind = data[position : position + 4].decode("ascii", errors="replace")
        (length,) = struct.unpack(">I", data[position + 4 : position + 8])
        if length < 8 or position + length > total:
            raise IconFormatError(f"ICNS element {kind!r} has a bad length")
        elements[kind] = data[position + 8 : position + length]
        position += length
    return elements
