"""Languages: which one the UI speaks, the Qt translators that make it speak it, dates and numbers
in the user's locale, and the developer commands that keep the catalogues up to date.

Catalogues are Qt Linguist files in `resources/translations/`: `parley_ru.ts` (every message) and
`parley_en.ts` (only the `%n` messages, for English plural forms). The compiled `.qm` files are
build output, never in git:

    python -m desktop_app.i18n update   # lupdate: refresh the .ts files from the sources
    python -m desktop_app.i18n build    # lrelease: .ts -> .qm (packaging/build.py and scripts/test run it)

Without a compiled catalogue (a source checkout nobody built) Parley speaks English.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDateTime, QLibraryInfo, QLocale, QTranslator

from desktop_app.core.preferences import Language

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
TRANSLATIONS_DIR = REPO / "resources" / "translations"
SOURCES_DIR = REPO / "desktop_app"
SOURCE_LANGUAGE = "en"
LANGUAGES = (SOURCE_LANGUAGE, "ru")  # what Parley's UI speaks; the source language first
PLURALS_ONLY = frozenset({SOURCE_LANGUAGE})  # catalogues that hold only the %n messages
_LUPDATE = "from PySide6.scripts.pyside_tool import lupdate; lupdate()"


# -- which language ------------------------------------------------------------------------------


def system_language(system: QLocale | None = None) -> str:
    """The first of the user's preferred UI languages that Parley speaks, else English."""
    locale = system if system is not None else QLocale.system()
    for tag in [*locale.uiLanguages(), locale.name()]:
        code = tag.replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return SOURCE_LANGUAGE


def language_code(language: Language, system: QLocale | None = None) -> str:
    return system_language(system) if language is Language.SYSTEM else language.value


def locale_for(code: str, language: Language, system: QLocale | None = None) -> QLocale:
    """The locale for dates and numbers: the system's when it speaks the UI's language (so a
    British user keeps day-first dates), else the language's own (Russian: ru_RU)."""
    locale = system if system is not None else QLocale.system()
    if language is Language.SYSTEM or locale.language() == QLocale(code).language():
        return locale
    return QLocale(code)


def catalogue_name(code: str) -> str:
    return f"parley_{code}"


class Translations:
    """Qt's and Parley's catalogues for one language at a time, installed on the application
    for as long as this object lives. Installing or removing a translator sends every widget a
    `LanguageChange` event; widgets retranslate themselves on it, so switching needs no restart."""

    def __init__(self, app: QCoreApplication, folder: Path = TRANSLATIONS_DIR) -> None:
        self._app = app
        self._folder = folder
        self._installed: list[QTranslator] = []
        self.code: str | None = None  # the language the UI speaks now

    def apply(self, language: Language, system: QLocale | None = None) -> str:
        """Speak `language` (falling back to English when its catalogue is not built); returns
        the language the UI speaks now."""
        wanted = language_code(language, system)
        if not self._has_catalogue(wanted):
            self._build_from_source(wanted)
        code = wanted if self._has_catalogue(wanted) else SOURCE_LANGUAGE
        if code != wanted:
            log.warning(
                "No compiled %s catalogue in %s (run `python -m desktop_app.i18n build`); using English",
                catalogue_name(wanted),
                self._folder,
            )
        QLocale.setDefault(locale_for(code, language, system))
        if code == self.code:
            return code
        self.remove()
        self.code = code
        qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        wanted_catalogues = [(catalogue_name(code), str(self._folder))]
        if code != SOURCE_LANGUAGE:  # Qt's own dialogs and context menus
            wanted_catalogues.insert(0, (f"qtbase_{code}", qt_folder))
        for name, folder in wanted_catalogues:
            # No Qt parent: the translators are this object's, and leave the application with it.
            translator = QTranslator()
            if translator.load(name, folder):
                self._app.installTranslator(translator)
                self._installed.append(translator)
            else:
                log.info("No %s catalogue in %s", name, folder)
        return code

    def remove(self) -> None:
        """Take every catalogue out again (the UI speaks the source language)."""
        for translator in self._installed:
            self._app.removeTranslator(translator)
        self._installed = []
        self.code = None

    def _has_catalogue(self, code: str) -> bool:
        return code == SOURCE_LANGUAGE or (self._folder / f"{catalogue_name(code)}.qm").is_file()

    def _build_from_source(self, code: str) -> None:
        """Run from a source checkout (`pip install -e .`), the .qm files are not built yet: compile
        them once (lrelease, a fraction of a second), so the README's first command gives a Russian
        UI too. Installed bundles ship them compiled and never get here."""
        if not (self._folder / f"{catalogue_name(code)}.ts").is_file():
            return
        try:
            build_catalogues(self._folder)
        except Exception as exc:
            log.warning("Could not compile the %s catalogue: %s", catalogue_name(code), exc)


# -- dates, numbers, plurals ---------------------------------------------------------------------


def format_datetime(moment: datetime) -> str:
    """A moment as the locale writes a short date and time (26.11.2026 14:05, 11/26/26 2:05 PM)."""
    local = QDateTime.fromMSecsSinceEpoch(round(moment.timestamp() * 1000))
    return QLocale().toString(local, QLocale.FormatType.ShortFormat)


def format_decimal(value: float, decimals: int) -> str:
    """`value` with the locale's decimal and group separators (1 234,5 in Russian)."""
    return QLocale().toString(float(value), "f", decimals)


def format_integer(value: int) -> str:
    return QLocale().toString(int(value))


def numerus(translated: str, count: int, english: str | None = None) -> str:
    """A `tr("... %n thing(s) ...", "", count)` result in good English when no catalogue had it.

    Qt then returns the source with only %n filled in; its "(s)" becomes "s" or "" (or the
    caller's own `english` wording is used, for sentences whose verb changes too)."""
    if "(s)" not in translated:
        return translated
    if english is not None:
        return english
    return translated.replace("(s)", "" if count == 1 else "s")


# -- developer commands --------------------------------------------------------------------------


def catalogue_path(code: str, folder: Path = TRANSLATIONS_DIR) -> Path:
    return folder / f"{catalogue_name(code)}.ts"


def source_files() -> list[Path]:
    return sorted(SOURCES_DIR.rglob("*.py"))


def lupdate(catalogue: Path, *, plurals_only: bool = False) -> str:
    """Merge the messages of Parley's sources into `catalogue` (created if missing): new ones
    come in unfinished, ones no longer in the sources are dropped. Returns lupdate's report."""
    options = ["-extensions", "py", "-locations", "none", "-no-obsolete", "-silent"]
    if plurals_only:
        options.append("-pluralonly")
    code = catalogue.stem.removeprefix("parley_")
    if not catalogue.exists():
        options += ["-source-language", SOURCE_LANGUAGE, "-target-language", code]
    sources = [str(path.relative_to(REPO)) for path in source_files()]
    import subprocess  # only the developer commands run tools

    done = subprocess.run(  # noqa: S603 - this interpreter running PySide6's own lupdate
        [sys.executable, "-c", _LUPDATE, *options, *sources, "-ts", str(catalogue)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    report = " ".join((done.stderr + done.stdout).split())
    if done.returncode != 0 or not catalogue.is_file():
        raise RuntimeError(f"lupdate failed (exit {done.returncode}): {report[:300]}")
    return report


def update_catalogues(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    updated = []
    for code in LANGUAGES:
        path = catalogue_path(code, folder)
        lupdate(path, plurals_only=code in PLURALS_ONLY)
        updated.append(path)
    return updated


def build_catalogues(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every .ts in `folder` to .qm with packaging/translations.py (the bundle build's
    own step), so a source checkout and the installers ship the same catalogues."""
    script = REPO / "packaging" / "translations.py"
    spec = importlib.util.spec_from_file_location("parley_packaging_translations", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{script} is missing: building catalogues needs a source checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compiled: list[Path] = module.compile_translations(folder)
    return compiled


def main(argv: list[str]) -> int:
    commands = {"update": update_catalogues, "build": build_catalogues}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m desktop_app.i18n {update|build}", file=sys.stderr)
        return 2
    try:
        paths = commands[argv[0]]()
    except Exception as exc:  # a developer command: one line, not a traceback
        print(f"i18n {argv[0]}: {exc}", file=sys.stderr)
        return 1
    print(f"i18n {argv[0]}: {', '.join(str(p.relative_to(REPO)) for p in paths) or 'nothing to do'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
