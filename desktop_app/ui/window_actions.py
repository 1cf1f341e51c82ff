"""The main window's actions, their shortcuts, the menus and toolbar that hold them, and what
each action and control of the window does when used."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget

from desktop_app.ui.icons import palette_icon

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow


@dataclass(frozen=True)
class WindowActions:
    new_chat: QAction
    import_json: QAction
    export_markdown: QAction
    export_json: QAction
    export_html: QAction
    quit: QAction
    find: QAction
    preferences: QAction
    stop: QAction
    regenerate: QAction
    quick_prompt: QAction
    conversation_settings: QAction
    rename: QAction
    delete: QAction
    about: QAction
    open_data_folder: QAction
    copy_diagnostics: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


_SHORTCUTS = {
    "new_chat": "Ctrl+N",
    "quit": "Ctrl+Q",
    "find": "Ctrl+F",
    "preferences": "Ctrl+,",
    "stop": "Esc",
    "regenerate": "Ctrl+R",
    "conversation_settings": "Ctrl+Shift+S",
    "rename": "F2",
    "delete": "Ctrl+Shift+Delete",
}
_ICONS = {"new_chat": "new-chat", "preferences": "settings", "stop": "stop", "conversation_settings": "tune"}


def create_actions(window: QMainWindow) -> WindowActions:
    actions = {f.name: QAction(window) for f in fields(WindowActions)}
    for name, keys in _SHORTCUTS.items():
        actions[name].setShortcut(QKeySequence(keys))
        # The window's shortcuts work wherever the focus is inside it, not in its dialogs.
        actions[name].setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    actions["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    actions["preferences"].setMenuRole(QAction.MenuRole.PreferencesRole)
    actions["about"].setMenuRole(QAction.MenuRole.AboutRole)
    result = WindowActions(**actions)
    for action in result.all():
        window.addAction(action)  # shortcuts work even while the menu bar is hidden
    update_icons(result, window)
    retranslate(result)
    return result


def build_toolbar(window: QMainWindow, actions: WindowActions, picker: QWidget) -> QToolBar:
    toolbar = QToolBar(window)
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.addWidget(picker)
    toolbar.addAction(actions.conversation_settings)
    toolbar.addAction(actions.preferences)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return toolbar


def connect_window(window: MainWindow) -> None:
    """What each of the window's actions, and its composer, sidebar and panels, do when used."""
    a, c, files = window.actions_, window.conversations, window.files
    a.new_chat.triggered.connect(c.new_chat)
    a.find.triggered.connect(window.sidebar.focus_search)
    a.preferences.triggered.connect(lambda: window.open_preferences())
    a.stop.triggered.connect(window.escape)
    a.regenerate.triggered.connect(c.regenerate)
    a.quick_prompt.triggered.connect(window.desktop.quick.show_at_pointer)
    a.conversation_settings.triggered.connect(window.open_conversation_settings)
    a.rename.triggered.connect(lambda: window.sidebar.begin_rename(c.current))
    a.delete.triggered.connect(lambda: window.sidebar.confirm_delete(c.current))
    a.quit.triggered.connect(window.quit)
    a.about.triggered.connect(lambda: _show_about(window))
    a.open_data_folder.triggered.connect(window.open_data_folder)
    a.copy_diagnostics.triggered.connect(window.copy_diagnostics)
    a.export_markdown.triggered.connect(lambda: files.export(c.current, "markdown"))
    a.export_json.triggered.connect(lambda: files.export(c.current, "json"))
    a.export_html.triggered.connect(lambda: files.export(c.current, "html"))
    a.import_json.triggered.connect(files.import_json)
    window.composer.send_requested.connect(window.send)
    window.composer.stop_requested.connect(c.stop)
    window.composer.edit_cancelled.connect(c.cancel_edit)
    window.sidebar.new_requested.connect(c.new_chat)
    window.sidebar.conversation_selected.connect(c.open)
    window.sidebar.rename_requested.connect(c.rename)
    window.sidebar.search_requested.connect(c.search)
    window.sidebar.hit_activated.connect(c.open_hit)
    window.welcome.yqcloud_chosen.connect(window.choose_yqcloud)
    window.welcome.api_key_requested.connect(lambda: window.open_preferences("providers", add_keyed=True))
    window.banner.preferences_requested.connect(lambda: window.open_preferences("providers"))
    window.provider.failed.connect(window.show_message)


def _show_about(window: MainWindow) -> None:
    from desktop_app.ui.help import show_about  # not needed for the first paint

    show_about(window, window.data_dir)


def update_icons(actions: WindowActions, window: QMainWindow) -> None:
    for name, icon in _ICONS.items():
        getattr(actions, name).setIcon(palette_icon(icon, window.palette()))


def build_menus(window: QMainWindow, actions: WindowActions) -> dict[str, QMenu]:
    bar = window.menuBar()
    bar.clear()
    file_menu = bar.addMenu("")
    file_menu.addAction(actions.new_chat)
    file_menu.addSeparator()
    export = file_menu.addMenu("")
    export.addAction(actions.export_markdown)
    export.addAction(actions.export_json)
    export.addAction(actions.export_html)
    file_menu.addAction(actions.import_json)
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)
    edit_menu = bar.addMenu("")
    edit_menu.addAction(actions.find)
    edit_menu.addSeparator()
    edit_menu.addAction(actions.preferences)
    chat_menu = bar.addMenu("")
    chat_menu.addAction(actions.stop)
    chat_menu.addAction(actions.regenerate)
    chat_menu.addAction(actions.quick_prompt)
    chat_menu.addSeparator()
    chat_menu.addAction(actions.conversation_settings)
    chat_menu.addAction(actions.rename)
    chat_menu.addAction(actions.delete)
    help_menu = bar.addMenu("")
    help_menu.addAction(actions.about)
    help_menu.addAction(actions.open_data_folder)
    help_menu.addAction(actions.copy_diagnostics)
    menus = {"file": file_menu, "export": export, "edit": edit_menu, "chat": chat_menu, "help": help_menu}
    retranslate_menus(menus)
    return menus


def retranslate_menus(menus: dict[str, QMenu]) -> None:
    menus["file"].setTitle(QCoreApplication.translate("MainWindow", "&File"))
    menus["export"].setTitle(QCoreApplication.translate("MainWindow", "&Export conversation"))
    menus["edit"].setTitle(QCoreApplication.translate("MainWindow", "&Edit"))
    menus["chat"].setTitle(QCoreApplication.translate("MainWindow", "&Chat"))
    menus["help"].setTitle(QCoreApplication.translate("MainWindow", "&Help"))


def retranslate(actions: WindowActions) -> None:
    texts = {
        "new_chat": QCoreApplication.translate("MainWindow", "&New chat"),
        "import_json": QCoreApplication.translate("MainWindow", "&Import conversation (JSON)…"),
        "export_markdown": QCoreApplication.translate("MainWindow", "As &Markdown…"),
        "export_json": QCoreApplication.translate("MainWindow", "As &JSON…"),
        "export_html": QCoreApplication.translate("MainWindow", "As &HTML…"),
        "quit": QCoreApplication.translate("MainWindow", "&Quit"),
        "find": QCoreApplication.translate("MainWindow", "&Search conversations"),
        "preferences": QCoreApplication.translate("MainWindow", "&Preferences…"),
        "stop": QCoreApplication.translate("MainWindow", "&Stop answer"),
        "regenerate": QCoreApplication.translate("MainWindow", "&Regenerate last answer"),
        "quick_prompt": QCoreApplication.translate("MainWindow", "&Quick prompt"),
        "conversation_settings": QCoreApplication.translate("MainWindow", "Conversation &settings…"),
        "rename": QCoreApplication.translate("MainWindow", "Re&name conversation"),
        "delete": QCoreApplication.translate("MainWindow", "&Delete conversation…"),
        "about": QCoreApplication.translate("MainWindow", "&About Parley"),
        "open_data_folder": QCoreApplication.translate("MainWindow", "Open &data folder"),
        "copy_diagnostics": QCoreApplication.translate("MainWindow", "&Copy diagnostics"),
    }
    for name, text in texts.items():
        action: QAction = getattr(actions, name)
        action.setText(text)
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        plain = text.replace("&", "").rstrip("…")
        action.setToolTip(f"{plain} ({shortcut})" if shortcut else plain)
