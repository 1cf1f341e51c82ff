"""Parley's own SVG icons, tinted to the current palette so they read well in light and dark themes.

The SVGs draw with `currentColor`; Qt's SVG reader does not resolve it, so the colour is substituted
before rendering. Rendering goes through the image reader (the `svg` image plugin) without
importing QtSvg. A tinted icon renders when it is first drawn, at the size and pixel ratio asked
for (sharp on high-DPI screens), and keeps what it rendered: making the toolbar's icons costs
nothing before the window's first paint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QImage,
    QImageReader,
    QPainter,
    QPalette,
    QPixmap,
)

ICON_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
_SIZES = (16, 24, 32, 48, 64)


def icon_path(name: str) -> Path:
    return ICON_DIR / f"{name}.svg"


def _render(svg: bytes, size: int) -> QPixmap:
    return QPixmap.fromImage(_render_image(svg, size))


def _render_image(svg: bytes, size: int) -> QImage:
    data = QByteArray(svg)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, QByteArray(b"svg"))
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    buffer.close()
    return image


class _SvgIconEngine(QIconEngine):
    """An icon drawn from SVG at the sizes actually asked for, each once: `draw(side, disabled)`
    renders one square pixmap, `side` device pixels wide."""

    def __init__(self, draw: Callable[[int, bool], QPixmap], sizes: Sequence[int]) -> None:
        super().__init__()
        self._draw = draw
        self._sizes = tuple(sizes)
        self._pixmaps: dict[tuple[bool, int], QPixmap] = {}

    def _rendered(self, side: int, mode: QIcon.Mode) -> QPixmap:
        key = (mode == QIcon.Mode.Disabled, max(1, side))
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = self._pixmaps[key] = self._draw(key[1], key[0])
        return QPixmap(pixmap)  # a shallow copy: the caller may set its device pixel ratio

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self._rendered(min(size.width(), size.height()), mode)

    def scaledPixmap(  # noqa: N802 - Qt's name
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        """`size` in device-independent pixels, drawn at `scale` device pixels per pixel."""
        pixmap = self._rendered(round(min(size.width(), size.height()) * scale), mode)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, ratio))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        side = min(size.width(), size.height())
        return QSize(side, side)

    def availableSizes(  # noqa: N802 - Qt's name
        self, mode: QIcon.Mode = QIcon.Mode.Normal, state: QIcon.State = QIcon.State.Off
    ) -> list[QSize]:
        return [QSize(side, side) for side in self._sizes]

    def isNull(self) -> bool:  # noqa: N802 - Qt's name
        return False

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._draw, self._sizes)


def tinted_icon(name: str, color: QColor, disabled: QColor | None = None) -> QIcon:
    """The icon `name` drawn in `color` (and `disabled` for the disabled state). A missing file
    gives an empty icon: buttons keep their text, nothing crashes."""
    path = icon_path(name)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return QIcon()

    def tinted(tint: QColor) -> bytes:
        return source.replace("currentColor", tint.name(QColor.NameFormat.HexRgb)).encode("utf-8")

    normal = tinted(color)
    greyed = tinted(disabled) if disabled is not None else normal

    def draw(side: int, is_disabled: bool) -> QPixmap:
        return _render(greyed if is_disabled else normal, side)

    return QIcon(_SvgIconEngine(draw, _SIZES))


def palette_icon(name: str, palette: QPalette) -> QIcon:
    """The icon in the palette's button text colour, greyed out when disabled."""
    return tinted_icon(
        name,
        palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText),
        palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText),
    )


def app_icon() -> QIcon:
    """The application icon (full colour, not tinted). Needs a QGuiApplication, as any pixmap does."""
    if QGuiApplication.instance() is None:
        # Checked here so the cache below never keeps what was rendered before Qt was ready.
        raise RuntimeError("app_icon() needs a QGuiApplication")
    if _app_icon_svg() is None:
        return QIcon()
    return QIcon(_SvgIconEngine(_draw_app_icon, (*_SIZES, 128, 256)))


def _draw_app_icon(side: int, _disabled: bool) -> QPixmap:
    return QPixmap.fromImage(_app_icon_image(side))


@functools.cache
def _app_icon_svg() -> bytes | None:
    path = icon_path("parley")  # the one source the installers' icons are made from too
    return path.read_bytes() if path.is_file() else None


@functools.cache
def _app_icon_image(side: int) -> QImage:
    """The app icon at one size, rendered once: the window, tray, welcome page and About box
    all ask for it, and SVG rendering is the slow part. Images rather than pixmaps, because
    images do not depend on the QGuiApplication the cache may outlive."""
    svg = _app_icon_svg()
    return _render_image(svg, side) if svg is not None else QImage()
