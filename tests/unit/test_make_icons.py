"""packaging/make_icons.py and icon_containers.py: the app icon rendered from its SVG into PNG,
ICO and ICNS, checked by reading the results back with Qt's own ICO and ICNS image readers."""

from __future__ import annotations

import importlib
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QImageReader

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
SVG = REPO / "resources" / "icons" / "parley.svg"


@pytest.fixture(scope="module")
def icons() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PACKAGING))
        yield importlib.import_module("make_icons")


@pytest.fixture(scope="module")
def containers(icons: ModuleType) -> ModuleType:
    return importlib.import_module("icon_containers")


def frames(path: Path, fmt: bytes) -> list[QImage]:
    """Every image Qt's own reader finds in an ICO or ICNS file."""
    reader = QImageReader(str(path), QByteArray(fmt))
    count = reader.imageCount()
    images = []
    for index in range(count):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        images.append(image)
    return images


def decode_png(data: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(data, "PNG")
    return image


def test_make_icons_writes_ico_icns_and_pngs_that_qt_reads_back(
    icons: ModuleType, containers: ModuleType, tmp_path: Path
) -> None:
    result = icons.make_icons(SVG, tmp_path)

    ico_sizes = sorted(image.width() for image in frames(result.ico, b"ico"))
    assert ico_sizes == sorted(containers.ICO_SIZES)
    icns_sizes = sorted(image.width() for image in frames(result.icns, b"icns"))
    assert icns_sizes == sorted(containers.ICNS_TYPES.values())
    assert set(containers.read_icns(result.icns.read_bytes())) == set(containers.ICNS_TYPES)
    for size, path in result.pngs.items():
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size)


@pytest.mark.parametrize("size", [16, 256])
def test_rendered_icon_is_a_drawing_not_an_empty_square(icons: ModuleType, size: int) -> None:
    image = decode_png(icons.render_png(icons.load_svg(SVG), size))

    assert image.hasAlphaChannel()
    assert image.pixelColor(0, 0).alpha() == 0  # rounded corner: transparent
    middle = image.pixelColor(size // 2, size // 2)
    assert middle.alpha() == 255
    colours = {image.pixel(x, y) for x in range(0, size, max(1, size // 16)) for y in range(size)}
    assert len(colours) > 3  # background, bubble, dots, edges


def test_ico_round_trip_and_256_px_entry_is_stored_as_zero(containers: ModuleType, icons: ModuleType) -> None:
    pngs = icons.render_sizes(icons.load_svg(SVG), [16, 256])
    data = containers.write_ico(pngs)

    assert struct.unpack("<HHH", data[:6]) == (0, 1, 2)
    assert data[6 + 16] == 0  # second entry, width byte: 0 means 256
    assert containers.read_ico(data) == pngs


def test_icns_header_length_and_types(containers: ModuleType, icons: ModuleType) -> None:
    pngs = icons.render_sizes(icons.load_svg(SVG), [16, 32])
    data = containers.write_icns(pngs)

    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    # 16 px → icp4; 32 px → icp5 and ic11 (16@2x)
    assert set(containers.read_icns(data)) == {"icp4", "icp5", "ic11"}
    with pytest.raises(containers.IconFormatError, match="header says"):
        containers.read_icns(data[:-1])


def test_containers_refuse_images_of_the_wrong_size(containers: ModuleType, icons: ModuleType) -> None:
    png_32 = icons.render_png(icons.load_svg(SVG), 32)

    with pytest.raises(containers.IconFormatError, match="16 px image"):
        containers.write_ico({16: png_32})
    with pytest.raises(containers.IconFormatError, match="16 px image"):
        containers.write_icns({16: png_32})
    with pytest.raises(containers.IconFormatError, match="not a PNG"):
        containers.write_ico({16: b"GIF89a"})


def test_png_size_reads_the_header(containers: ModuleType) -> None:
    image = QImage(7, 5, QImage.Format.Format_ARGB32)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")

    assert containers.png_size(bytes(data.data())) == (7, 5)


@pytest.mark.qt_log_ignore("Cannot read file")  # Qt's own complaint about the broken file
@pytest.mark.parametrize("content", [None, "<svg this is not xml", "plain text"])
def test_a_missing_or_broken_svg_is_one_clear_error(
    icons: ModuleType, tmp_path: Path, content: str | None
) -> None:
    svg = tmp_path / "icon.svg"
    if content is not None:
        svg.write_text(content, encoding="utf-8")

    with pytest.raises(icons.IconSourceError, match=r"icon\.svg"):
        icons.make_icons(svg, tmp_path / "out")


def test_command_line_reports_a_bad_svg_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.svg"
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--svg", str(missing), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert done.stderr.strip() == f"make_icons: {missing} does not exist"
    assert not list(tmp_path.glob("*.ico"))
