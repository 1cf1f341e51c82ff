"""Appearance that applies without a restart: light/dark/system palette, font size and language.

`Appearance` remembers what the platform gave at start (font, style), so "follow the system" can
go back to it after a forced theme. While following the system it also follows the OS switching
between light and dark (`QStyleHints.colorSchemeChanged`, Qt 6.5+): where the platform's own
palette does not turn dark with the OS, Parley's dark palette stands in. Every widget that draws
its own colours (the chat view, tinted SVG icons) re-colours itself on the `PaletteChange` event
that follows. Language switches go through `i18n.Translations`; widgets retranslate themselves
on the `LanguageChange` event that installing a translator sends.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.core.preferences import Language, Preferences, Theme
from desktop_app.i18n import TRANSLATIONS_DIR, Translations

log = logging.getLogger(__name__)

__all__ = ["TRANSLATIONS_DIR", "Appearance", "dark_palette", "is_dark"]

_LIGHT_WINDOW = "#efefef"
_DARK = {
    QPalette.ColorRole.Window: "#313338",  # lighter than Base, so fields and check boxes stand out
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2a2b2f",
    QPalette.ColorRole.ToolTipBase: "#3a3c40",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#8c8f94",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#3b3d42",
    QPalette.ColorRole.ButtonText: "#e8e8e8",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#4a4c51",
    QPalette.ColorRole.Midlight: "#3e4045",
    QPalette.ColorRole.Mid: "#25262a",
    QPalette.ColorRole.Dark: "#1a1b1e",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#3d6fd6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#79a8ff",
    QPalette.ColorRole.LinkVisited: "#b393f5",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#7d8086",
    QPalette.ColorRole.Text: "#7d8086",
    QPalette.ColorRole.ButtonText: "#7d8086",
    QPalette.ColorRole.Base: "#26272a",
    QPalette.ColorRole.Button: "#2e3034",
    QPalette.ColorRole.Highlight: "#4a4c51",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class Appearance:
    """Applies `Preferences.theme`, `font_size` and `language` to the running application."""

    def __init__(self, app: QApplication, translations: Translations | None = None) -> None:
        self._app = app
        self.translations = translations or Translations(app, TRANSLATIONS_DIR)
        self._system_font = app.font()
        # The platform's style, noted when Fusion first replaces it: asking Qt for the style
        # object costs ~10 ms of start-up (its Python type is made on first use).
        self._system_style: str | None = None
        self._theme: Theme | None = None
        self._font_size: int | None = None
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._os_scheme_changed)

    def close(self) -> None:
        """Stop following the OS colour scheme (the application outlives this object in tests)."""
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._os_scheme_changed)

    def apply(self, preferences: Preferences) -> None:
        if preferences.theme != self._theme:
            self.apply_theme(preferences.theme)
        if preferences.font_size != self._font_size:
            self.apply_font_size(preferences.font_size)
        self.apply_language(preferences.language)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        hints = QGuiApplication.styleHints()
        if theme is Theme.SYSTEM:
            hints.setColorScheme(Qt.ColorScheme.Unknown)  # the OS decides again
            self._follow_system(hints.colorScheme())
            return
        hints.setColorScheme(Qt.ColorScheme.Dark if theme is Theme.DARK else Qt.ColorScheme.Light)
        self._use_fusion(dark=theme is Theme.DARK)

    def apply_font_size(self, points: int) -> None:
        self._font_size = points
        font = self._app.font() if points else self._system_font
        if points:
            font.setPointSize(points)
        self._app.setFont(font)

    def apply_language(self, language: Language) -> str:
        """Returns the language the UI speaks now ("en" when `language` has no catalogue)."""
        return self.translations.apply(language)

    def _os_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self._theme is Theme.SYSTEM:
            self._follow_system(scheme)

    def _follow_system(self, scheme: Qt.ColorScheme) -> None:
        """The platform's style and palette (an empty palette resolves to the platform's, and
        keeps following it), unless they stay light while the OS says dark, or the reverse."""
        if self._system_style is not None:
            self._set_style(self._system_style)
        self._app.setPalette(QPalette())
        shown_dark = is_dark(self._app.palette())
        if scheme is Qt.ColorScheme.Dark and not shown_dark:
            self._use_fusion(dark=True)
        elif scheme is Qt.ColorScheme.Light and shown_dark:
            self._use_fusion(dark=False)
        log.info("Following the system colour scheme: %s", scheme.name)

    def _set_style(self, name: str) -> None:
        if self._app.style().name().lower() != name.lower():  # a new style repolishes every widget
            self._app.setStyle(name)

    def _use_fusion(self, *, dark: bool) -> None:
        # Fusion draws every palette role faithfully on every platform; native styles may not.
        if self._system_style is None:
            self._system_style = self._app.style().name()
        self._set_style("Fusion")
        if dark:
            self._app.setPalette(dark_palette())
            return
        light = self._app.style().standardPalette()
        # Fusion's standard palette may itself follow a dark OS; Qt derives a light one from grey.
        self._app.setPalette(light if not is_dark(light) else QPalette(QColor(_LIGHT_WINDOW)))
