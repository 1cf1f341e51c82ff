"""Render the one SVG app icon into what each OS wants: PNG sizes (Linux, the About box),
an .ico (Windows executables and installer) and an .icns (the macOS app bundle).

    python packaging/make_icons.py [--svg resources/icons/parley.svg] [--out build/icons]

Rendering uses Qt's own SVG renderer (PySide6.QtSvg), so no other image tool is needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from icon_containers import ICNS_TYPES, ICO_SIZES, write_icns, write_ico
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

REPO: Final = Path(__file__).resolve().parent.parent
DEFAULT_SVG: Final = REPO / "resources" / "icons" / "parley.svg"
DEFAULT_OUT: Final = REPO / "build" / "icons"
PNG_SIZES: Final = (16, 24, 32, 48, 64, 128, 256, 512)
ICON_NAME: Final = "parley"


class IconSourceError(Exception):
    """The SVG source is missing or Qt cannot read it."""


@dataclass(frozen=True)
class IconSet:
    ico: Path
    icns: Path
    pngs: dict[int, Path]


def load_svg(path: Path) -> QSvgRenderer:
    if not path.is_file():
        raise IconSourceError(f"{path} does not exist")
    renderer = QSvgRenderer(str(path))
    if not renderer.isValid():
        raise IconSourceError(f"{path} is not an SVG image Qt can read")
    return renderer


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The icon at `size` x `size` pixels, transparent around the drawing, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise IconSourceError(f"Qt could not encode the {size} px image as PNG: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def render_sizes(renderer: QSvgRenderer, sizes: Iterable[int]) -> dict[int, bytes]:
    return {size: render_png(renderer, size) for size in sorted(set(sizes))}


def make_icons(svg: Path = DEFAULT_SVG, out: Path = DEFAULT_OUT) -> IconSet:
    """Write `parley.ico`, `parley.icns` and `png/parley-<size>.png` into `out`."""
    renderer = load_svg(svg)
    pngs = render_sizes(renderer, {*PNG_SIZES, *ICO_SIZES, *ICNS_TYPES.values()})
    (out / "png").mkdir(parents=True, exist_ok=True)
    png_paths = {}
    for size in PNG_SIZES:
        path = out / "png" / f"{ICON_NAME}-{size}.png"
        path.write_bytes(pngs[size])
        png_paths[size] = path
    ico = out / f"{ICON_NAME}.ico"
    ico.write_bytes(write_ico({size: pngs[size] for size in ICO_SIZES}))
    icns = out / f"{ICON_NAME}.icns"
    icns.write_bytes(write_icns(pngs))
    return IconSet(ico=ico, icns=icns, pngs=png_paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the SVG app icon into PNG, ICO and ICNS.")
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="the source SVG")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the results")
    args = parser.parse_args(argv)
    try:
        icons = make_icons(args.svg, args.out)
    except (IconSourceError, OSError) as exc:
        print(f"make_icons: {exc}", file=sys.stderr)
        return 1
    print(f"make_icons: {icons.ico}, {icons.icns} and {len(icons.pngs)} PNG sizes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
