"""Screenshots for review, saved as CI artifacts: the main window (a conversation with code, a table
and Russian text), the quick prompt with a streamed answer, the preferences pages, the conversation
settings and the welcome page, in Russian + dark and in English + light.

They go to $PARLEY_ARTIFACTS_DIR/screenshots/<language>-<theme>/ (scripts/test sets the variable),
else to artifacts/screenshots/. Widgets are grabbed in-process (the offscreen platform draws them
exactly as a screen would). Each shot is also checked: the theme shows (a dark or a light image),
no label or button is narrower than its text, and the toolbar has not overflowed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QSizePolicy,
    QTabBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_app import i18n
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Language, Preferences, Theme
from desktop_app.gui_services import window_backend
from desktop_app.i18n import Translations
from desktop_app.qt_async import close_event_loop, create_event_loop
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import Appearance
from desktop_app.ui.window_backend import DesktopBackend
from tests.support.desktop import ChatAPI, DesktopApp, FakeHotkey, answer_text, configured
from tests.support.qt import run
from tests.support.screenshots import artifacts_dir
from tests.support.server import ScriptedServer

WAIT_MS = 30_000
WINDOW_SIZE = QSize(1100, 720)
QUESTION = "Как отсортировать список словарей по ключу в Python?"
ANSWER = """Используйте встроенную функцию `sorted()` с аргументом `key` — она возвращает новый список:

```python
people = [{"name": "Анна", "age": 31}, {"name": "Борис", "age": 25}]
by_age = sorted(people, key=lambda person: person["age"])
print([p["name"] for p in by_age])  # ['Борис', 'Анна']
```

| Способ | Сложность | Меняет исходный список |
|---|---|---|
| `sorted(items, key=...)` | O(n log n) | нет |
| `items.sort(key=...)` | O(n log n) | да |

> Для сортировки по нескольким ключам верните из `key` кортеж, например `(p["age"], p["name"])`.
"""
QUICK_QUESTION = "Переведи на английский: «Доброе утро»"
QUICK_ANSWER = "**Good morning.** Вежливый вариант — *Good morning to you*.\n\n```text\nGood morning!\n```\n"
SETS = [(Language.RUSSIAN, Theme.DARK), (Language.ENGLISH, Theme.LIGHT)]


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("translations")
    for code in i18n.LANGUAGES:
        shutil.copyfile(i18n.catalogue_path(code), i18n.catalogue_path(code, folder))
    i18n.build_catalogues(folder)
    return folder


@pytest.fixture
def loop(qapp: QApplication, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    loop = create_event_loop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        qtbot.waitUntil(lambda: all(task.done() for task in leftovers), timeout=WAIT_MS)
        close_event_loop(loop)
        asyncio.set_event_loop(None)
    assert leftovers == [], "tasks were still running at the end"


@pytest.fixture
def api(qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> Iterator[ChatAPI]:
    server = run(qtbot, loop, ScriptedServer().start())
    try:
        yield ChatAPI(server)
    finally:
        run(qtbot, loop, server.stop())


def clipped(root: QWidget) -> list[str]:
    """Visible labels and buttons narrower than their text, and elided tabs."""
    problems = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.sizePolicy().horizontalPolicy() is QSizePolicy.Policy.Ignored:
            continue
        if isinstance(widget, QTabBar):
            short = any(
                widget.tabRect(i).width() < widget.tabSizeHint(i).width() for i in range(widget.count())
            )
            text = ", ".join(widget.tabText(i) for i in range(widget.count()))
        elif isinstance(widget, QLabel | QAbstractButton) and _has_one_line_of_text(widget):
            short = widget.width() < widget.sizeHint().width() - 1
            text = widget.text()
        else:
            continue
        if short:
            problems.append(f"{type(widget).__name__} {text!r}")
    return problems


def _has_one_line_of_text(widget: QLabel | QAbstractButton) -> bool:
    if isinstance(widget, QLabel):
        return bool(widget.text()) and not widget.wordWrap() and widget.pixmap().isNull()
    return bool(widget.text()) and widget.objectName() != "qt_toolbar_ext_button"


def save(widget: QWidget, folder: Path, name: str, dark: bool) -> Path:
    QApplication.processEvents()
    image = widget.grab().toImage()
    path = folder / f"{name}.png"
    assert image.save(str(path)), path
    assert (_mean_lightness(image) < 110) is dark, f"{name}: the theme does not show"
    assert clipped(widget) == [], f"{name}: text does not fit"
    return path


def _mean_lightness(image: QImage) -> float:
    step = 7  # a sample is plenty
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    ]
    return sum(values) / len(values)


def open_window(qtbot: QtBot, app: DesktopApp, appearance: Appearance) -> MainWindow:
    desktop = DesktopBackend(tray_available=lambda: False, create_hotkey=lambda parent: FakeHotkey(parent))
    window = MainWindow(window_backend(app.gui, appearance, None, desktop), app.services.settings.load())
    app.window = window
    window.resize(WINDOW_SIZE)
    window.show()
    qtbot.waitExposed(window)
    window.desktop.start()
    return window


def seed_history(app: DesktopApp) -> int:
    history = app.services.history
    assert history is not None
    older = history.new_conversation("Рецепт борща")
    history.append_message(older, Role.USER, "Как сварить борщ?")
    history.append_message(older, Role.ASSISTANT, "Начните с бульона…", status=MessageStatus.COMPLETE)
    shown = history.new_conversation("Сортировка списка в Python")
    history.append_message(shown, Role.USER, QUESTION)
    history.append_message(shown, Role.ASSISTANT, ANSWER, status=MessageStatus.COMPLETE)
    return shown


@pytest.mark.parametrize(("language", "theme"), SETS, ids=["ru-dark", "en-light"])
def test_screenshots(
    qtbot: QtBot,
    qapp: QApplication,
    loop: asyncio.AbstractEventLoop,
    api: ChatAPI,
    catalogues: Path,
    tmp_path: Path,
    language: Language,
    theme: Theme,
) -> None:
    folder = artifacts_dir(i18n.REPO / "artifacts" / "screenshots") / f"{language.value}-{theme.value}"
    folder.mkdir(parents=True, exist_ok=True)
    dark = theme is Theme.DARK
    preferences = dataclasses.replace(configured(api), language=language, theme=theme)
    saved_locale = QLocale()
    appearance = Appearance(qapp, Translations(qapp, catalogues))
    apps = [DesktopApp(qtbot, loop, tmp_path / "main", preferences)]
    try:
        appearance.apply(preferences)
        app = apps[0]
        shown = seed_history(app)
        window = open_window(qtbot, app, appearance)
        window.conversations.refresh_sidebar()
        window.conversations.open(shown)
        window.status.set_stats(48.6, 7.25)
        qtbot.waitUntil(lambda: "sorted" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
        toolbar_overflow = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert toolbar_overflow is None or not toolbar_overflow.isVisible(), "the toolbar overflowed"
        save(window, folder, "main_window", dark)

        api.answer = [QUICK_ANSWER[:20], QUICK_ANSWER[20:]]
        quick = window.desktop.quick
        quick.show_at_pointer()
        quick.edit.setPlainText(QUICK_QUESTION)  # QTest cannot type Cyrillic
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: "Good morning!" in answer_text(window) and not quick.is_streaming(), timeout=WAIT_MS
        )
        save(quick, folder, "quick_prompt", dark)
        quick.dismiss()

        dialog = window.open_preferences()
        for page in ("network", "providers", "general"):
            dialog.open_page(page)
            save(dialog, folder, f"preferences_{page}", dark)
        dialog.reject()
        settings = window.open_conversation_settings()
        save(settings, folder, "conversation_settings", dark)
        settings.reject()

        apps.append(
            DesktopApp(qtbot, loop, tmp_path / "first-run", Preferences(language=language, theme=theme))
        )
        welcome = open_window(qtbot, apps[-1], appearance)
        assert welcome.pages.currentWidget() is welcome.welcome
        save(welcome, folder, "welcome", dark)
    finally:
        for app in reversed(apps):
            app.close()
        appearance.translations.remove()
        appearance.apply_theme(Theme.SYSTEM)
        appearance.close()
        QLocale.setDefault(saved_locale)
    names = sorted(p.stem for p in folder.glob("*.png"))
    assert {"main_window", "quick_prompt", "preferences_general", "welcome"} <= set(names)
