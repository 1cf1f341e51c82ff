"""Light and dark: following the OS colour scheme as it changes (Qt 6.5+ `colorSchemeChanged`), or
forced in Preferences; the chat view's markdown and code colours follow, the quick prompt too;
icons are SVG, tinted for the palette and sharp on high-DPI screens.

The offscreen platform has no OS colour scheme of its own, so an OS switch is what Qt reports for
one: `QStyleHints.colorSchemeChanged` with the new scheme.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.core.messages import Role
from desktop_app.core.preferences import Theme
from desktop_app.ui.chat_view import ChatEntry
from desktop_app.ui.code_style import DARK, LIGHT
from desktop_app.ui.icons import ICON_DIR, palette_icon
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import Appearance, dark_palette, is_dark
from tests.support.desktop import ChatAPI, configured

WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine
CODE = "```python\ndef greet(name):\n    return name\n```\n"
KEYWORD_LIGHT, KEYWORD_DARK = "#008000", "#ff7b72"  # Pygments' `def` in the light and dark styles


@pytest.fixture
def appearance(qapp: QApplication) -> Iterator[Appearance]:
    appearance = Appearance(qapp)
    appearance.apply_theme(Theme.SYSTEM)
    try:
        yield appearance
    finally:
        appearance.apply_theme(Theme.SYSTEM)
        appearance.close()


@pytest.fixture
def window(make_app: Any, api: ChatAPI) -> MainWindow:
    window: MainWindow = make_app(configured(api)).open()
    window.chat_view.set_messages([ChatEntry(Role.USER, "Show code"), ChatEntry(Role.ASSISTANT, CODE)])
    return window


def os_switches_to(scheme: Qt.ColorScheme) -> None:
    QGuiApplication.styleHints().colorSchemeChanged.emit(scheme)


def chat_is_dark(window: MainWindow) -> bool:
    browser = window.chat_view.browser
    return browser.palette().color(QPalette.ColorRole.Base).name() == DARK.background


def code_html(window: MainWindow) -> str:
    return window.chat_view.browser.document().toHtml().lower()


def test_following_the_system_follows_the_os_switching_scheme(
    qtbot: QtBot, window: MainWindow, appearance: Appearance
) -> None:
    assert not is_dark(window.palette())  # the offscreen platform's palette is light
    light_icon = window.actions_.preferences.icon().pixmap(16, 16).toImage()
    assert KEYWORD_LIGHT in code_html(window)

    os_switches_to(Qt.ColorScheme.Dark)
    qtbot.waitUntil(lambda: chat_is_dark(window), timeout=WAIT_MS)
    assert is_dark(window.palette())
    assert is_dark(window.desktop.quick.palette())
    assert KEYWORD_DARK in code_html(window)
    assert KEYWORD_LIGHT not in code_html(window)
    assert window.actions_.preferences.icon().pixmap(16, 16).toImage() != light_icon  # re-tinted
    quick = window.desktop.quick.view.browser
    assert quick.palette().color(QPalette.ColorRole.Base).name() == DARK.background

    os_switches_to(Qt.ColorScheme.Light)
    qtbot.waitUntil(lambda: not chat_is_dark(window), timeout=WAIT_MS)
    assert window.chat_view.browser.palette().color(QPalette.ColorRole.Base).name() == LIGHT.background
    assert KEYWORD_LIGHT in code_html(window)


@pytest.mark.parametrize(
    ("forced", "os_scheme"), [(Theme.DARK, Qt.ColorScheme.Light), (Theme.LIGHT, Qt.ColorScheme.Dark)]
)
def test_a_forced_theme_ignores_the_os(
    qtbot: QtBot, window: MainWindow, appearance: Appearance, forced: Theme, os_scheme: Qt.ColorScheme
) -> None:
    appearance.apply_theme(forced)
    dark = forced is Theme.DARK
    qtbot.waitUntil(lambda: chat_is_dark(window) is dark, timeout=WAIT_MS)
    assert QApplication.style().name().lower() == "fusion"
    os_switches_to(os_scheme)
    os_switches_to(Qt.ColorScheme.Unknown)
    assert is_dark(window.palette()) is dark
    assert chat_is_dark(window) is dark

    appearance.apply_theme(Theme.SYSTEM)  # back to following: the OS said light last
    qtbot.waitUntil(lambda: not chat_is_dark(window), timeout=WAIT_MS)


def test_the_dark_palette_reads_well() -> None:
    """Text on its background, links and disabled text keep enough contrast (WCAG 4.5:1, 3:1)."""
    palette = dark_palette()

    def contrast(
        role: QPalette.ColorRole, on: QPalette.ColorRole, group: Any = QPalette.ColorGroup.Active
    ) -> float:
        def luminance(colour: Any) -> float:
            channels = [c / 255 for c in (colour.red(), colour.green(), colour.blue())]
            linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
            return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

        a, b = luminance(palette.color(group, role)), luminance(palette.color(group, on))
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)

    roles = QPalette.ColorRole
    assert contrast(roles.WindowText, roles.Window) >= 4.5
    assert contrast(roles.Text, roles.Base) >= 4.5
    assert contrast(roles.ButtonText, roles.Button) >= 4.5
    assert contrast(roles.HighlightedText, roles.Highlight) >= 4.5
    assert contrast(roles.Link, roles.Base) >= 4.5
    assert contrast(roles.PlaceholderText, roles.Base) >= 3.0
    assert contrast(roles.Text, roles.Base, QPalette.ColorGroup.Disabled) >= 3.0


def _mean_lightness(image: QImage) -> float:
    """Average lightness of the icon's drawn (not transparent) pixels."""
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 128
    ]
    assert values, "the icon drew nothing"
    return sum(values) / len(values)


@pytest.mark.parametrize("name", sorted(p.stem for p in ICON_DIR.glob("*.svg") if p.stem != "parley"))
def test_icons_are_tinted_for_the_palette_and_sharp_on_high_dpi(qapp: QApplication, name: str) -> None:
    light_palette = QApplication.style().standardPalette()
    on_light, on_dark = palette_icon(name, light_palette), palette_icon(name, dark_palette())
    assert _mean_lightness(on_light.pixmap(24, 24).toImage()) < 100  # dark strokes on a light window
    assert _mean_lightness(on_dark.pixmap(24, 24).toImage()) > 150  # light strokes on a dark window
    sharp = on_dark.pixmap(QSize(16, 16), 2.0)  # a 200 % screen: drawn at 32 px, not scaled up
    assert (sharp.width(), sharp.height(), sharp.devicePixelRatio()) == (32, 32, 2.0)
    assert (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
