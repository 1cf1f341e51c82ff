"""Switching the UI language in Preferences applies at once, to every widget: the main window, its
menus and toolbar, the transcript's own words, the quick prompt, the tray menu and the dialogs.
Dates and numbers follow the language's locale; a language without a compiled catalogue falls
back to English.

"Every widget" is checked generically: after switching to Russian no text on any widget may still
be an English source text the Russian catalogue translates, and after switching back no Cyrillic
may be left anywhere (the conversation itself is in English here).
"""

from __future__ import annotations

import logging
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_app import i18n
from desktop_app.core.history_types import ConversationRow
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Language, Theme
from desktop_app.gui_services import window_backend
from desktop_app.i18n import Translations
from desktop_app.ui.chat_view import ChatEntry, ChatView
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.markdown import MarkdownRenderer, renderer_key
from desktop_app.ui.preferences import PreferencesDialog
from desktop_app.ui.theme import Appearance
from desktop_app.ui.window_backend import DesktopBackend
from tests.support.desktop import ChatAPI, DesktopApp, FakeHotkey, configured

WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine
CYRILLIC = re.compile("[А-Яа-яЁё]")
ANSWER = (
    "Here is the code:\n\n"
    "```python\ndef greet(name):\n    return name\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n"
)


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("translations")
    for code in i18n.LANGUAGES:
        shutil.copyfile(i18n.catalogue_path(code), i18n.catalogue_path(code, folder))
    i18n.build_catalogues(folder)
    return folder


@pytest.fixture
def appearance(qapp: QApplication, catalogues: Path) -> Iterator[Appearance]:
    """Appearance over freshly compiled catalogues; the application is English again afterwards."""
    saved_locale = QLocale()
    appearance = Appearance(qapp, Translations(qapp, catalogues))
    try:
        yield appearance
    finally:
        appearance.translations.remove()
        appearance.apply_theme(Theme.SYSTEM)
        appearance.close()
        QLocale.setDefault(saved_locale)


def translated_sources() -> set[str]:
    """English texts the Russian catalogue translates to something else, as widgets show them
    (with and without the &-accelerator and a trailing ellipsis)."""
    texts = set()
    for message in ET.parse(i18n.catalogue_path("ru")).getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None or translation.text == source or "{" in source or "%n" in source:
            continue
        plain = source.replace("&", "")
        texts |= {source, plain, plain.rstrip("…")}
    return {text for text in texts if len(text) > 2}


def shown_texts(root: QWidget) -> set[str]:
    """Every text a widget tree carries: labels, buttons, menus, tabs, fields, tips, names."""
    texts: set[str] = set()
    for widget in [root, *root.findChildren(QWidget)]:
        texts |= {widget.windowTitle(), widget.toolTip(), widget.accessibleName()}
        for action in widget.actions():
            texts |= {action.text(), action.toolTip()}
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.add(widget.text())
        if isinstance(widget, QLineEdit | QPlainTextEdit):
            texts.add(widget.placeholderText())
        if isinstance(widget, QComboBox):
            texts |= {widget.itemText(i) for i in range(widget.count())}
        if isinstance(widget, QGroupBox):
            texts.add(widget.title())
        if isinstance(widget, QMenu):
            texts.add(widget.title())
        if isinstance(widget, QTabWidget):
            texts |= {widget.tabText(i) for i in range(widget.count())}
        if isinstance(widget, QSpinBox | QDoubleSpinBox):
            texts |= {widget.suffix().strip(), widget.specialValueText()}
        if isinstance(widget, QAbstractSpinBox):
            texts.add(widget.specialValueText())
    return {text for text in texts if text}


def open_window(qtbot: QtBot, app: DesktopApp, appearance: Appearance) -> MainWindow:
    """The main window as app.py builds it: with the Appearance that Preferences apply through."""
    desktop = DesktopBackend(tray_available=lambda: False, create_hotkey=lambda parent: FakeHotkey(parent))
    window = MainWindow(window_backend(app.gui, appearance, None, desktop), app.services.settings.load())
    app.window = window  # DesktopApp.close() shuts it down
    window.show()
    qtbot.waitExposed(window)
    window.desktop.start()
    return window


def choose_language(qtbot: QtBot, window: MainWindow, language: Language) -> PreferencesDialog:
    """Preferences → General → Language, then OK: applies without a restart."""
    dialog = window.open_preferences("general")
    combo = dialog.general.language
    combo.setCurrentIndex(combo.findData(language.value))
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: window.preferences.language is language, timeout=WAIT_MS)
    return dialog


def close_dialog(qtbot: QtBot, dialog: QWidget) -> None:
    """Close a dialog and wait until it is gone (it deletes itself on close)."""
    gone: list[bool] = []
    dialog.destroyed.connect(lambda: gone.append(True))
    dialog.close()
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT_MS)


def everything(qtbot: QtBot, window: MainWindow) -> set[str]:
    """What the window, its menus, the quick prompt, the tray menu and Preferences show."""
    dialog = window.open_preferences("network")
    texts = (
        shown_texts(window)
        | shown_texts(window.desktop.quick)
        | shown_texts(window.desktop.tray.menu)
        | shown_texts(dialog)
        | {window.desktop.tray.icon.toolTip()}
    )
    close_dialog(qtbot, dialog)
    return texts


def test_a_new_language_applies_to_every_widget_at_once(
    qtbot: QtBot, make_app: Any, api: ChatAPI, appearance: Appearance
) -> None:
    api.answer = [ANSWER]
    app = make_app(configured(api))
    window = open_window(qtbot, app, appearance)
    window.send("Show me some code")
    qtbot.waitUntil(lambda: "def greet" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.conversations.is_streaming(), timeout=WAIT_MS)
    english = everything(qtbot, window)
    sources = translated_sources()
    assert {"&File", "Send", "New chat", "&Network"} <= english & sources  # the check sees them

    choose_language(qtbot, window, Language.RUSSIAN)
    qtbot.waitUntil(lambda: window.menus["file"].title() == "&Файл", timeout=WAIT_MS)
    russian = everything(qtbot, window)
    assert sorted(russian & sources) == []  # nothing left in English
    assert {"Отправить", "Новый чат", "&Сеть", "&Быстрый запрос"} <= russian
    transcript = window.chat_view.browser.toPlainText()
    assert {"Вы", "Ассистент", "Сгенерировать заново"} <= set(transcript.replace("   ", "\n").splitlines())
    assert "def greet" in transcript  # the messages themselves stay as written
    assert QLocale().name() == "ru_RU"

    choose_language(qtbot, window, Language.ENGLISH)
    qtbot.waitUntil(lambda: window.menus["file"].title() == "&File", timeout=WAIT_MS)
    leftovers = sorted(
        text for text in everything(qtbot, window) if CYRILLIC.search(text) and text != "Русский"
    )
    assert leftovers == []
    assert "Regenerate" in window.chat_view.browser.toPlainText()


def test_transcript_words_are_rewritten_and_links_still_work(
    qtbot: QtBot, qloop: Any, appearance: Appearance
) -> None:
    view = ChatView(dark=False)
    qtbot.addWidget(view)
    view.set_messages(
        [
            ChatEntry(Role.USER, "Hello"),
            ChatEntry(Role.ASSISTANT, ANSWER, status=MessageStatus.STOPPED, reasoning="one two three"),
        ]
    )
    appearance.apply_language(Language.RUSSIAN)
    qtbot.waitUntil(lambda: "Ассистент" in view.browser.toPlainText(), timeout=WAIT_MS)
    text = view.browser.toPlainText()
    assert "Остановлено." in text
    assert "Рассуждения (3 слова)" in text
    assert text.count("Копировать") == 3  # the user's message, the answer and its code block
    # The Regenerate link moves on with the next message: removed by its Russian length.
    view.append_user_message("Next")
    text = view.browser.toPlainText()
    assert "Сгенерировать заново" not in text
    assert "Ассистент   Копировать\n" in text  # the header is intact, nothing else was cut


def test_dates_and_numbers_follow_the_language(
    qtbot: QtBot, make_app: Any, api: ChatAPI, appearance: Appearance
) -> None:
    app = make_app(configured(api))
    window = open_window(qtbot, app, appearance)
    when = datetime(2026, 3, 9, 14, 5, tzinfo=UTC)
    window.sidebar.set_conversations([ConversationRow(id=1, title="", created_at=when, updated_at=when)])
    renamed: list[object] = []
    window.sidebar.rename_requested.connect(lambda *args: renamed.append(args))
    window.status.set_stats(1234.0, 3.45)
    appearance.apply_language(Language.RUSSIAN)
    qtbot.waitUntil(lambda: "ток/с" in window.status.speed.text(), timeout=WAIT_MS)
    assert window.status.speed.text().replace("\u00a0", " ") == "1 234 ток/с · 3,5 с"
    tip = window.sidebar.conversations.item(0).toolTip()
    assert re.fullmatch(r"Последняя активность: \d\d\.\d\d\.2026 \d\d:\d\d", tip), tip
    assert window.sidebar.conversations.item(0).text() == "Новый чат"  # untitled
    assert renamed == []  # relabelling an untitled conversation does not name it


def test_without_a_compiled_catalogue_the_ui_stays_english(
    qapp: QApplication, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    translations = Translations(qapp, tmp_path)  # an empty folder: nobody ran the build
    saved = QLocale()
    try:
        with caplog.at_level(logging.WARNING, logger="desktop_app.i18n"):
            assert translations.apply(Language.RUSSIAN) == "en"
        assert QCoreApplication.translate("Composer", "Send") == "Send"
        assert "parley_ru" in caplog.text
        assert "desktop_app.i18n build" in caplog.text
    finally:
        translations.remove()
        QLocale.setDefault(saved)


def test_the_system_language_is_followed_unless_one_is_chosen(qapp: QApplication, catalogues: Path) -> None:
    translations = Translations(qapp, catalogues)
    saved = QLocale()
    try:
        assert translations.apply(Language.SYSTEM, QLocale("ru_RU")) == "ru"
        assert QCoreApplication.translate("Composer", "Send") == "Отправить"
        assert translations.apply(Language.ENGLISH, QLocale("ru_RU")) == "en"
        assert QCoreApplication.translate("Composer", "Send") == "Send"
        assert translations.apply(Language.SYSTEM, QLocale("fr_FR")) == "en"
        assert QLocale().name() == "fr_FR"  # dates and numbers still as the system writes them
    finally:
        translations.remove()
        QLocale.setDefault(saved)


def _accelerators(texts: list[str]) -> list[str]:
    return [m.group(1).lower() for text in texts if (m := re.search(r"&([^&\s])", text))]


def test_russian_accelerators_are_unique_in_each_menu_and_preferences_page(
    qtbot: QtBot, make_app: Any, api: ChatAPI, appearance: Appearance
) -> None:
    window = open_window(qtbot, make_app(configured(api)), appearance)
    appearance.apply_language(Language.RUSSIAN)
    qtbot.waitUntil(lambda: window.menus["file"].title() == "&Файл", timeout=WAIT_MS)
    groups = {"menu bar": [menu.title() for menu in window.menuBar().findChildren(QMenu)
                           if menu.menuAction() in window.menuBar().actions()]}  # fmt: skip
    groups["toolbar"] = [window.picker.provider_label.text(), window.picker.model_label.text()]
    groups |= {menu.title(): [a.text() for a in menu.actions()] for menu in window.menus.values()}
    groups["tray"] = [a.text() for a in window.desktop.tray.menu.actions()]
    dialog = window.open_preferences()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    for index in range(dialog.tabs.count()):
        page = dialog.tabs.widget(index)
        labels = [w.text() for w in page.findChildren(QWidget) if isinstance(w, QLabel | QAbstractButton)]
        groups[tabs[index]] = tabs + [text for text in labels if text not in tabs]
    close_dialog(qtbot, dialog)
    clashes = {
        name: letters
        for name, texts in groups.items()
        if len(set(letters := _accelerators(texts))) != len(letters)
    }
    assert clashes == {}
    assert all(_accelerators(texts) for texts in groups.values())


def test_preferences_keep_the_language_on_disk(
    qtbot: QtBot, make_app: Any, api: ChatAPI, appearance: Appearance
) -> None:
    app = make_app(configured(api))
    window = open_window(qtbot, app, appearance)
    choose_language(qtbot, window, Language.RUSSIAN)
    assert app.services.settings.load().language is Language.RUSSIAN
    assert appearance.translations.code == "ru"
    assert window.composer.send_button.text() == "Отправить"


def test_a_source_checkout_compiles_a_missing_catalogue_on_first_use(qapp: Any, tmp_path: Path) -> None:
    from desktop_app.i18n import TRANSLATIONS_DIR

    for ts in TRANSLATIONS_DIR.glob("*.ts"):
        shutil.copy(ts, tmp_path / ts.name)
    assert not list(tmp_path.glob("*.qm"))
    translations = Translations(qapp, tmp_path)
    try:
        assert translations.apply(Language.RUSSIAN) == "ru"
        assert (tmp_path / "parley_ru.qm").is_file()
    finally:
        translations.remove()


def test_an_image_placeholder_follows_the_ui_language_and_so_does_the_cache_key(
    appearance: Appearance,
) -> None:
    """The placeholder is part of cached HTML, so the cache key changes with the language and
    answers cached in English are rendered again in Russian."""
    renderer = MarkdownRenderer()
    english_key = renderer_key()
    assert "[image: схема]" in renderer.render_message("![схема](https://example.com/d.png)")
    appearance.apply_language(Language.RUSSIAN)
    html = renderer.render_message("![схема](https://example.com/d.png)")
    assert '<a href="https://example.com/d.png">[изображение: схема]</a>' in html
    assert renderer_key() != english_key
    appearance.apply_language(Language.ENGLISH)
    assert renderer_key() == english_key
