"""The translation catalogues, checked in CI: the Russian one is complete, the English one has every
plural form, both are in step with the sources (lupdate finds nothing new and nothing gone), and
every string the UI shows goes through `tr()` in a form lupdate can read.

lupdate's Python parser silently skips calls it cannot follow (an attribute chain among the
arguments, `tr = QCoreApplication.translate`, a `%n` message through `translate`), and a message
it skips can never be in step or out of step. So the sources are also read with `ast`, and every
`tr()`/`translate()` call must be one the catalogue holds.
"""

from __future__ import annotations

import ast
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QTranslator

from desktop_app import i18n

RUSSIAN_FORMS = 3  # one (1, 21), few (2-4, 22), many (0, 5-20)
ENGLISH_FORMS = 2
# Calls that put text on screen; a literal with words in them must come from tr() instead.
TEXT_SETTERS = frozenset(
    {
        "setText", "setToolTip", "setPlaceholderText", "setWindowTitle", "setTitle", "setTabText",
        "setAccessibleName", "setAccessibleDescription", "setStatusTip", "setSuffix", "setPrefix",
        "setSpecialValueText", "setInformativeText", "setItemText", "addItem", "insertItem", "addTab",
        "addAction", "addMenu", "addRow", "showMessage", "show_message", "show_error", "notify",
    }
)  # fmt: skip
UI_SOURCES = ("ui", "chat", "app.py", "gui_services.py")


@dataclass(frozen=True)
class Key:
    context: str
    source: str
    comment: str = ""


@dataclass(frozen=True)
class Entry:
    numerus: bool
    state: str  # "" finished, else lupdate's type: unfinished, vanished, obsolete
    forms: tuple[str, ...]


def read_catalogue(path: Path) -> dict[Key, Entry]:
    messages: dict[Key, Entry] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = Key(name, message.findtext("source") or "", message.findtext("comment") or "")
            translation = message.find("translation")
            assert translation is not None, key
            numerus = message.get("numerus") == "yes"
            forms = (
                [f.text or "" for f in translation.iter("numerusform")]
                if numerus
                else [translation.text or ""]
            )
            messages[key] = Entry(numerus, translation.get("type", ""), tuple(forms))
    return messages


@pytest.fixture(scope="module")
def russian() -> dict[Key, Entry]:
    return read_catalogue(i18n.catalogue_path("ru"))


@pytest.fixture(scope="module")
def english() -> dict[Key, Entry]:
    return read_catalogue(i18n.catalogue_path("en"))


# -- complete ------------------------------------------------------------------------------------


def test_every_russian_message_has_a_finished_translation(russian: dict[Key, Entry]) -> None:
    assert len(russian) > 200
    problems = [
        f"{key.context}: {key.source!r} ({entry.state or 'empty'})"
        for key, entry in russian.items()
        if entry.state
        or not all(form.strip() for form in entry.forms)
        or len(entry.forms) != (RUSSIAN_FORMS if entry.numerus else 1)
    ]
    assert problems == []


def test_the_english_catalogue_has_both_forms_of_every_plural(
    russian: dict[Key, Entry], english: dict[Key, Entry]
) -> None:
    plurals = {key for key, entry in russian.items() if entry.numerus}
    assert plurals, "no %n message at all: the plural checks would check nothing"
    assert set(english) == plurals
    for key, entry in english.items():
        assert not entry.state, key
        assert len(entry.forms) == ENGLISH_FORMS, key
        assert "(s)" not in "".join(entry.forms), key


# -- in step with the sources ----------------------------------------------------------------------


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_the_catalogue_is_in_step_with_the_sources(code: str, tmp_path: Path) -> None:
    """lupdate over today's sources adds nothing (a new string) and drops nothing (a gone one)."""
    committed = i18n.catalogue_path(code)
    copy = tmp_path / committed.name
    shutil.copyfile(committed, copy)
    i18n.lupdate(copy, plurals_only=code in i18n.PLURALS_ONLY)
    before, after = read_catalogue(committed), read_catalogue(copy)
    new = sorted(f"{k.context}: {k.source!r}" for k in after.keys() - before.keys())
    gone = sorted(f"{k.context}: {k.source!r}" for k in before.keys() - after.keys())
    assert (new, gone) == ([], []), "run `python -m desktop_app.i18n update` and translate"
    assert {k: e.numerus for k, e in after.items()} == {k: e.numerus for k, e in before.items()}


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _TranslatableCalls(ast.NodeVisitor):
    """`self.tr(...)` (context: the enclosing class) and `QCoreApplication.translate(...)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.classes: list[str] = []
        self.found: dict[Key, bool] = {}  # key -> numerus
        self.problems: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        function, where = node.func, f"{self.path.relative_to(i18n.REPO)}:{node.lineno}"
        args = [_literal(arg) for arg in node.args]
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            owner = function.value.id
            if owner == "self" and function.attr == "tr":
                if not self.classes or None in args[:2] or not args:
                    self.problems.append(f"{where}: self.tr() needs literal text inside a class")
                else:
                    comment = args[1] if len(args) > 1 else ""
                    self.found[Key(self.classes[-1], args[0] or "", comment or "")] = len(args) > 2
            elif owner == "QCoreApplication" and function.attr == "translate":
                if len(args) > 3 or node.keywords:
                    self.problems.append(f"{where}: a %n message must use self.tr() (lupdate loses it)")
                elif len(args) < 2 or None in args:
                    self.problems.append(f"{where}: translate() needs literal context and text")
                else:
                    self.found[
                        Key(args[0] or "", args[1] or "", (args[2] if len(args) > 2 else "") or "")
                    ] = False
        elif isinstance(function, ast.Name) and function.id in ("tr", "translate", "_tr"):
            self.problems.append(f"{where}: {function.id}() is an alias lupdate cannot follow")
        self.generic_visit(node)


def test_lupdate_sees_every_translatable_call(russian: dict[Key, Entry]) -> None:
    found: dict[Key, bool] = {}
    problems: list[str] = []
    for path in i18n.source_files():
        calls = _TranslatableCalls(path)
        calls.visit(ast.parse(path.read_text(encoding="utf-8")))
        found.update(calls.found)
        problems += calls.problems
    assert problems == []
    missing = sorted(f"{k.context}: {k.source!r}" for k in found.keys() - russian.keys())
    assert missing == [], "lupdate skipped these calls; write them the simple way"
    assert {k: found[k] for k in found} == {k: russian[k].numerus for k in found}


def test_text_on_screen_comes_from_tr() -> None:
    """No literal words go straight into a label, tooltip, menu or status line."""
    untranslated = []
    paths = [p for name in UI_SOURCES for p in sorted((i18n.SOURCES_DIR / name).rglob("*.py"))]
    paths += [i18n.SOURCES_DIR / name for name in UI_SOURCES if name.endswith(".py")]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in TEXT_SETTERS:
                continue
            for arg in node.args:
                parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]  # an f-string's text too
                for text in filter(None, map(_literal, parts)):
                    if re.search("[A-Za-z]{2}", text):
                        untranslated.append(f"{path.name}:{node.lineno}: {text!r}")
    assert untranslated == []


# -- good Russian ----------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%n")
_ACCELERATOR = re.compile(r"&(?=[^&\s;])")
_ENGLISH_QUOTES = re.compile('[“”"]')


@pytest.mark.parametrize("check", ["placeholders", "accelerators", "quotes", "ellipsis"])
def test_russian_translations_keep_the_shape_of_the_source(russian: dict[Key, Entry], check: str) -> None:
    problems = []
    for key, entry in russian.items():
        for form in entry.forms:
            if check == "placeholders":
                wrong = sorted(_PLACEHOLDER.findall(form)) != sorted(_PLACEHOLDER.findall(key.source))
            elif check == "accelerators":  # one &-letter where the source has one, none otherwise
                wrong = len(_ACCELERATOR.findall(form)) != len(_ACCELERATOR.findall(key.source))
            elif check == "quotes":  # Russian quotes text «like this»
                wrong = bool(_ENGLISH_QUOTES.search(re.sub(r"<[^>]*>", "", form)))
            else:
                wrong = key.source.endswith("…") != form.endswith("…")
            if wrong:
                problems.append(f"{key.context}: {key.source!r} -> {form!r}")
    assert problems == []


# -- compiled --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("catalogues")
    for code in i18n.LANGUAGES:
        shutil.copyfile(i18n.catalogue_path(code), i18n.catalogue_path(code, folder))
    built = i18n.build_catalogues(folder)
    assert sorted(p.name for p in built) == ["parley_en.qm", "parley_ru.qm"]
    return folder


@pytest.mark.parametrize(
    ("code", "count", "expected"),
    [
        ("ru", 1, "Показать 1 более раннее сообщение"),
        ("ru", 3, "Показать 3 более ранних сообщения"),
        ("ru", 5, "Показать 5 более ранних сообщений"),
        ("ru", 11, "Показать 11 более ранних сообщений"),
        ("ru", 21, "Показать 21 более раннее сообщение"),
        ("en", 1, "Show 1 earlier message"),
        ("en", 7, "Show 7 earlier messages"),
    ],
)
def test_compiled_catalogues_give_the_right_plural_form(
    compiled: Path, code: str, count: int, expected: str
) -> None:
    translator = QTranslator()
    assert translator.load(i18n.catalogue_name(code), str(compiled))
    text = translator.translate("TranscriptText", "Show %n earlier message(s)", "", count)
    assert text.replace("%n", str(count)) == expected


# -- the helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"), [("ru_RU", "ru"), ("ru_UA", "ru"), ("en_GB", "en"), ("de_DE", "en"), ("C", "en")]
)
def test_the_system_language_is_one_parley_speaks(locale: str, expected: str) -> None:
    assert i18n.system_language(QLocale(locale)) == expected


def test_forced_languages_use_their_own_locale_unless_the_system_speaks_them() -> None:
    from desktop_app.core.preferences import Language

    british = QLocale("en_GB")
    assert i18n.locale_for("ru", Language.RUSSIAN, british).name() == "ru_RU"
    assert i18n.locale_for("en", Language.ENGLISH, british).name() == "en_GB"
    assert i18n.locale_for("en", Language.SYSTEM, QLocale("de_DE")).name() == "de_DE"


def test_numerus_gives_english_grammar_when_nothing_translated_the_message() -> None:
    assert i18n.numerus("Reasoning (1 word(s))", 1) == "Reasoning (1 word)"
    assert i18n.numerus("Reasoning (4 word(s))", 4) == "Reasoning (4 words)"
    assert i18n.numerus("2 item(s) were", 2, english="2 items were") == "2 items were"
    assert i18n.numerus("Рассуждения (4 слова)", 4) == "Рассуждения (4 слова)"
