"""Appearance that applies without a restart: light/dark/system palette, font size and language.

`Appearance` remembers what the platform gave at start (palette, font, style), so "follow the
system" can go back to it after a forced theme. Language switches install Qt translators; every
widget retranslates itself on the `LanguageChange` event that follows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.core.preferences import Language, Preferences, Theme

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "translations"

_DARK = {
    QPalette.ColorRole.Window: "#2b2d30",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2a2b2f",
    QPalette.ColorRole.ToolTipBase: "#3a3c40",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#8c8f94",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#35373b",
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

    def __init__(self, app: QApplication, translations_dir: Path = TRANSLATIONS_DIR) -> None:
        self._app = app
        self._translations_dir = translations_dir
        self._system_palette = QPalette(app.palette())
        self._system_font = app.font()
        self._system_style = app.style().name()
        self._translators: list[QTranslator] = []
        self._language: str | None = None
        self._theme: Theme | None = None
        self._font_size: int | None = None

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
            hints.setColorScheme(Qt.ColorScheme.Unknown)
            self._app.setStyle(self._system_style)
            self._app.setPalette(self._system_palette)
            return
        # Fusion draws every palette role faithfully on every platform; native styles may not.
        self._app.setStyle("Fusion")
        if theme is Theme.DARK:
            hints.setColorScheme(Qt.ColorScheme.Dark)
            self._app.setPalette(dark_palette())
        else:
            hints.setColorScheme(Qt.ColorScheme.Light)
            self._app.setPalette(self._app.style().standardPalette())

    def apply_font_size(self, points: int) -> None:
        self._font_size = points
        font = self._app.font() if points else self._system_font
        if points:
            font.setPointSize(points)
        self._app.setFont(font)

    def apply_language(self, language: Language) -> None:
        code = _language_code(language)
        if code == self._language:
            return
        self._language = code
        for translator in self._translators:
            self._app.removeTranslator(translator)
        self._translators = []
        if code != "en":
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            for name, folder in (("qtbase", qt_dir), ("parley", str(self._translations_dir))):
                translator = QTranslator(self._app)
                if translator.load(f"{name}_{code}", folder):
                    self._app.installTranslator(translator)
                    self._translators.append(translator)
                else:
                    log.info("No %s translation for %r in %s", name, code, folder)
        # Widgets retranslate on the LanguageChange event that installing sends; going back to
        # English removes translators, which sends it too.


def _language_code(language: Language) -> str:
    if language is Language.SYSTEM:
        system = QLocale.system().name().split("_")[0]
        return system if system in ("en", "ru") else "en"
    return language.value
