"""The main window: conversations on the left, the chat on the right with the composer below it,
provider and model pickers in the toolbar and the running answer's status at the bottom.

Everything outside the UI comes through `WindowBackend`. Quitting is a request: `close_requested`
is set and the composition root awaits `shutdown()`, which stops every answer (each saved as
stopped), saves the window's geometry and leaves no task behind. Closing the window quits too,
unless Parley keeps running in the tray (`DesktopShell`: tray icon, quick prompt, global shortcut).

Start-up paints the window before the application layer exists: `MainWindow(None, preferences,
settings=...)` builds the widgets alone (menus, toolbar, an empty sidebar and chat, the composer,
the saved geometry), and `attach(backend)` then connects them to the conversations, the tray and
the rest, and fills the sidebar. The modules only `attach` needs are imported there, so the first
paint does not wait for them. `MainWindow(backend, preferences)` does both at once.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QKeyEvent, QPalette
from PySide6.QtWidgets import QMainWindow, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from desktop_app.core.errors import ParleyError
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.ui.chat_colors import chat_colors
from desktop_app.ui.composer import Composer
from desktop_app.ui.icons import app_icon
from desktop_app.ui.sidebar import Sidebar
from desktop_app.ui.status import AnswerStatus
from desktop_app.ui.theme import is_dark
from desktop_app.ui.toolbar import SourcePicker
from desktop_app.ui.window_actions import (
    build_menus,
    build_toolbar,
    connect_window,
    create_actions,
    retranslate,
    retranslate_menus,
    update_icons,
)

if TYPE_CHECKING:  # imported by `attach` or when first used: not needed for the first paint
    import asyncio

    from desktop_app.chat.active_provider import ActiveProvider
    from desktop_app.chat.tasks import OwnedTasks
    from desktop_app.chat.workspace import ChatWorkspace
    from desktop_app.core.ports import SettingsStore
    from desktop_app.ui.attachment_input import FileDrops
    from desktop_app.ui.chat_view import ChatView
    from desktop_app.ui.conversation_settings import ConversationSettingsDialog
    from desktop_app.ui.conversations import Conversations
    from desktop_app.ui.file_actions import FileActions
    from desktop_app.ui.markdown import MarkdownRenderer
    from desktop_app.ui.preferences import PreferencesDialog
    from desktop_app.ui.tray import DesktopShell
    from desktop_app.ui.welcome import LocalServerBanner, WelcomePanel
    from desktop_app.ui.window_backend import DetectedServer, WindowBackend

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1100, 720)
SIDEBAR_WIDTH = 260


class _ChatPlaceholder(QWidget):
    """The empty transcript's background where the chat view goes until `attach` builds it (the
    chat view and the markdown pipeline are not needed for the first paint of an empty chat)."""

    def __init__(self, parent: QWidget, *, dark: bool) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(chat_colors(dark).background))
        self.setPalette(palette)


class MainWindow(QMainWindow):
    # Set by `attach`: the application layer and what the window builds on it.
    renderer: MarkdownRenderer
    workspace: ChatWorkspace
    provider: ActiveProvider
    conversations: Conversations
    files: FileActions
    drops: FileDrops
    desktop: DesktopShell
    close_requested: asyncio.Event

    def __init__(
        self,
        backend: WindowBackend | None,
        preferences: Preferences,
        parent: QWidget | None = None,
        *,
        settings: SettingsStore | None = None,
    ) -> None:
        """With a backend, the whole window. Without one, the widgets alone with the geometry
        saved in `settings` (start-up shows this first); `attach(backend)` completes it."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self._prefs = preferences
        self._preferences_dialog: PreferencesDialog | None = None
        self._shut_down = False
        self._attached = False
        self._close_pending = False

        self.sidebar = Sidebar(self)
        self._chat_view: ChatView | None = None
        self._placeholder: QWidget | None = _ChatPlaceholder(self, dark=is_dark(self.palette()))
        self._welcome: WelcomePanel | None = None  # made when first shown or wired (attach)
        self._banner: LocalServerBanner | None = None
        self.composer = Composer(self)
        self.status = AnswerStatus(self)
        self.picker = SourcePicker(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._placeholder)
        chat_area = QWidget(self)
        self._chat_layout = QVBoxLayout(chat_area)
        self._chat_layout.setContentsMargins(0, 0, 0, 0)
        self._chat_layout.setSpacing(0)
        self._chat_layout.addWidget(self.pages, 1)
        self._chat_layout.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(chat_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.setCentralWidget(self.splitter)
        self.statusBar().addPermanentWidget(self.status, 1)

        self.actions_ = create_actions(self)
        self.menus = build_menus(self, self.actions_)
        self.toolbar = build_toolbar(self, self.actions_, self.picker)
        self._restore_geometry(backend.settings if backend is not None else settings)
        self._apply_view_preferences(preferences)
        self.retranslate()
        self._refresh_pickers()
        self._update_chat_page()
        self.setFocusProxy(self.composer)
        if backend is not None:
            self.attach(backend)

    def attach(self, backend: WindowBackend) -> None:
        """Connect the widgets to the application layer (the workspace adopted as the window's
        child), build the tray and quick prompt, and show a new chat beside the history."""
        import asyncio

        from desktop_app.ui.chat_view import ChatView
        from desktop_app.ui.conversations import Conversations
        from desktop_app.ui.file_actions import FileActions
        from desktop_app.ui.markdown import MarkdownRenderer
        from desktop_app.ui.quick_prompt import QuickPrompt
        from desktop_app.ui.tray import DesktopShell

        assert not self._attached, "attach() runs once"
        self.renderer = MarkdownRenderer()
        self._chat_view = ChatView(self, renderer=self.renderer, dark=is_dark(self.palette()))
        self.pages.insertWidget(0, self._chat_view)
        if self._placeholder is not None:
            if self.pages.currentWidget() is self._placeholder:
                self.pages.setCurrentWidget(self._chat_view)
            self.pages.removeWidget(self._placeholder)
            self._placeholder.deleteLater()
            self._placeholder = None
        self._apply_view_preferences(self._prefs)
        self._backend = backend
        self.workspace = backend.workspace
        self.workspace.setParent(self)  # the window's lifetime, ended on the GUI thread
        self._tasks: OwnedTasks = self.workspace.tasks
        self.provider = self.workspace.provider
        self.close_requested = asyncio.Event()
        self.files = FileActions(self, backend, self.show_message)
        self.conversations = Conversations(
            self.workspace,
            self.chat_view,
            self.composer,
            self.status,
            self.sidebar,
            show_message=self.show_message,
            parent=self,
        )
        self.workspace.model = self.picker.current_model
        self._accept_attachments()
        quick = QuickPrompt(self.workspace, self.renderer, dark=is_dark(self.palette()))
        quick.last_folder = backend.last_folder
        self.desktop = DesktopShell(self, backend.desktop, self.workspace, quick, self)
        self._attached = True

        self._connect()
        self.desktop.retranslate()
        self.conversations.new_chat()
        self.provider.reload(self.current_profile())
        if backend.local_server is not None:
            self.use_local_server(backend.local_server)
        if self._close_pending:  # closed before it was complete
            self.close()

    def _accept_attachments(self) -> None:
        """Files pasted into the composer, picked with Attach or dropped anywhere on the window
        (a highlight shows while they hover) become the composer's attachments."""
        from desktop_app.ui.attachment_input import DropHighlight, FileDrops

        self.composer.set_drafts(self.workspace.new_drafts(self.composer))
        self.composer.last_folder = self._backend.last_folder
        self.drops = FileDrops(DropHighlight(self.splitter), self.composer.receive, self)
        self.drops.watch(self)
        self.drops.watch(self.composer.edit.viewport())
        self.drops.watch(self.chat_view.browser.viewport())

    @property
    def welcome(self) -> WelcomePanel:
        """The first-run choices, shown instead of the chat while nothing is configured."""
        if self._welcome is None:
            from desktop_app.ui.welcome import WelcomePanel

            self._welcome = WelcomePanel(self)
            self.pages.addWidget(self._welcome)
        return self._welcome

    @property
    def banner(self) -> LocalServerBanner:
        """The note above the chat that a local server is in use (hidden until then)."""
        if self._banner is None:
            from desktop_app.ui.welcome import LocalServerBanner

            self._banner = LocalServerBanner(self)
            self._chat_layout.insertWidget(0, self._banner)
        return self._banner

    @property
    def chat_view(self) -> ChatView:
        """The transcript; built by `attach`."""
        assert self._chat_view is not None, "the chat view exists once attach() has run"
        return self._chat_view

    @property
    def attached(self) -> bool:
        """Whether `attach` has run: the window answers and sends only then."""
        return self._attached

    # -- wiring --------------------------------------------------------------------------------

    def _connect(self) -> None:
        c = self.conversations
        connect_window(self)
        self.files.imported.connect(self._imported)
        c.changed.connect(self._update_chat_page)
        self.composer.edit.installEventFilter(self)
        self.sidebar.delete_requested.connect(
            lambda cid: self._tasks.start(c.delete(cid), key=f"delete:{cid}")
        )
        self.picker.profile_chosen.connect(self._profile_chosen)
        self.picker.model_chosen.connect(self._model_chosen)
        self.provider.models_listed.connect(self._models_listed)

    # -- chat actions --------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.current_profile() is None:
            self.composer.set_text(text)
            self.show_message(self.tr("Choose where answers come from first: Yqcloud or an API key."))
            self.pages.setCurrentWidget(self.welcome)
            return
        self._tasks.start(self.conversations.send(text), key="send")

    def escape(self) -> None:
        """Esc: stop the answer; else leave editing; else clear the search."""
        if self.conversations.is_streaming():
            self.conversations.stop()
        elif self.composer.editing:
            self.composer.cancel_edit()
        elif self.sidebar.search.hasFocus() and self.sidebar.search.text():
            self.sidebar.search.clear()

    def eventFilter(self, watched: object, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Up in an empty composer edits the last message sent, as in most chat apps.
        if (
            watched is self.composer.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Up
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and not self.composer.text()
        ):
            return self.conversations.begin_edit_last()
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def open_conversation_settings(self) -> ConversationSettingsDialog:
        from desktop_app.ui.conversation_settings import ConversationSettingsDialog

        dialog = ConversationSettingsDialog(self.conversations.settings(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self.conversations.set_settings)
        dialog.open()
        return dialog

    def _imported(self, conversation_id: int) -> None:
        self.conversations.open(conversation_id)
        self.show_message(self.tr("Conversation imported."))

    def _update_chat_page(self) -> None:
        unconfigured = self.current_profile() is None
        empty = not self._attached or self.conversations.is_empty()  # before attach: a new chat
        chat = self._chat_view or self._placeholder
        assert chat is not None  # the placeholder until attach() puts the chat view in its place
        self.pages.setCurrentWidget(self.welcome if unconfigured and empty else chat)
        has_conversation = self._attached and self.conversations.current is not None
        for action in (self.actions_.export_markdown, self.actions_.export_json, self.actions_.export_html):
            action.setEnabled(has_conversation)
        self.actions_.rename.setEnabled(has_conversation)
        self.actions_.delete.setEnabled(has_conversation)
        self.actions_.regenerate.setEnabled(has_conversation)

    # -- preferences and providers -------------------------------------------------------------

    @property
    def preferences(self) -> Preferences:
        return self._prefs

    def current_profile(self) -> ProviderProfile | None:
        return self._prefs.profile(self._prefs.current_profile)

    def open_preferences(self, page: str = "network", *, add_keyed: bool = False) -> PreferencesDialog:
        dialog = self._preferences_dialog
        if dialog is None:
            from desktop_app.ui.preferences import PreferencesDialog

            # Models the app settled meanwhile (a server refused a model's images) show as such.
            self._prefs = dataclasses.replace(self._prefs, models=self._backend.settings.load().models)
            dialog = PreferencesDialog(self._prefs, self._backend.preferences, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.applied.connect(self.apply_preferences)
            dialog.applied.connect(lambda _saved: self.desktop.preferences_saved(dialog.general.desktop))
            # Closed, not destroyed: a dialog closed with OK is deleted later, and Preferences
            # opened again before that must not get the dying one.
            dialog.finished.connect(lambda _result, closing=dialog: self._preferences_closed(closing))
            dialog.general.desktop.attach(self.desktop.settings_backend())
            self._preferences_dialog = dialog
        dialog.open_page(page)
        if add_keyed and not any(p.kind.facts.uses_api_key for p in dialog.draft().profiles):
            keyed = next((p for p in self._backend.preferences.presets if p.needs_key), None)
            if keyed is not None:
                dialog.providers.add_preset(keyed.id)
        dialog.open()
        if add_keyed:
            dialog.providers.focus_key()
        return dialog

    def _preferences_closed(self, dialog: PreferencesDialog) -> None:
        if self._preferences_dialog is dialog:
            self._preferences_dialog = None

    def apply_preferences(self, preferences: object) -> None:
        """Save and apply at once: theme, font, language, send key, network, provider, shortcut."""
        assert isinstance(preferences, Preferences)
        hotkey_changed = preferences.hotkey != self._prefs.hotkey
        self._save_preferences(preferences)
        problem = self.desktop.register_hotkey(preferences.hotkey)
        if problem and hotkey_changed:
            self.show_message(problem)
        if self._backend.appearance is not None:
            self._backend.appearance.apply(preferences)
        self._apply_view_preferences(preferences)
        self._refresh_pickers()
        self._update_chat_page()
        self.provider.reload(self.current_profile(), preferences=preferences)

    def _apply_view_preferences(self, preferences: Preferences) -> None:
        self.composer.set_send_key(preferences.send_key)
        if preferences.font_size and self._chat_view is not None:
            self._chat_view.set_font_point_size(preferences.font_size)

    def _save_preferences(self, preferences: Preferences) -> None:
        self._prefs = preferences
        try:
            self._backend.settings.save(preferences)
        except ParleyError as exc:
            self.show_message(str(exc))

    def choose_yqcloud(self) -> None:
        preset = next((p for p in self._backend.preferences.presets if p.kind is ProviderKind.YQCLOUD), None)
        if preset is None:
            return
        from desktop_app.ui.preferences.backend import preset_profile

        existing = self._prefs.profile(preset.id)
        profile = existing or preset_profile(preset, [p.id for p in self._prefs.profiles])
        profiles = self._prefs.profiles if existing else (*self._prefs.profiles, profile)
        self.apply_preferences(
            dataclasses.replace(self._prefs, profiles=profiles, current_profile=profile.id)
        )
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    def use_local_server(self, server: DetectedServer) -> bool:
        """While nothing is configured, use a server found on this computer and say so in a banner:
        no dialog, and the composer keeps the focus. Returns whether it was used."""
        from desktop_app.ui.preferences.desktop import same_server, with_servers

        if self.current_profile() is not None:
            return False
        known = next((p.id for p in self._prefs.profiles if same_server(p, server.profile)), "")
        self._save_preferences(
            with_servers(dataclasses.replace(self._prefs, current_profile=known), [server])
        )
        self.banner.show_server(server.name, server.address)
        self._refresh_pickers()
        self._update_chat_page()
        self.provider.reload(self.current_profile())
        return True

    def _profile_chosen(self, profile_id: str) -> None:
        if profile_id != self._prefs.current_profile:
            self._save_preferences(dataclasses.replace(self._prefs, current_profile=profile_id))
            self._refresh_pickers()
            self.provider.reload(self.current_profile())
            self.composer.chips.check_model()  # a scanned PDF's pages: offered to vision models

    def _model_chosen(self, model: str) -> None:
        profile = self.current_profile()
        if profile is None or profile.model == model:
            return
        changed = dataclasses.replace(profile, model=model)
        profiles = tuple(changed if p.id == profile.id else p for p in self._prefs.profiles)
        self._save_preferences(dataclasses.replace(self._prefs, profiles=profiles))
        self._update_status_source()
        self.composer.chips.check_model()

    def _refresh_pickers(self) -> None:
        profile = self.current_profile()
        model = profile.model if profile else ""
        self.picker.set_profiles(self._prefs.profiles, self._prefs.current_profile)
        self.picker.set_models([model] if model else [], model)
        self._update_status_source()

    def _models_listed(self, profile_id: str, models: list[str]) -> None:
        profile = self.current_profile()
        if profile is not None and profile.id == profile_id:
            self.picker.set_models(models, self.picker.current_model() or profile.model)

    def _update_status_source(self) -> None:
        profile = self.current_profile()
        self.status.set_source(profile.label if profile else "", self.picker.current_model())

    # -- help ----------------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.status.show_message(text)

    def copy_diagnostics(self) -> str:
        from desktop_app.ui.help import diagnostics

        text = diagnostics(self._backend.data_dir, self._backend.diagnostics())
        QGuiApplication.clipboard().setText(text)
        self.show_message(self.tr("Diagnostics copied to the clipboard."))
        return text

    @property
    def data_dir(self) -> Path:
        return self._backend.data_dir

    def open_data_folder(self) -> None:
        from desktop_app.ui.help import open_folder

        if not open_folder(self._backend.data_dir):
            self.show_message(self.tr("Could not open {folder}.").format(folder=self._backend.data_dir))

    # -- geometry and closing ------------------------------------------------------------------

    def _restore_geometry(self, settings: SettingsStore | None) -> None:
        geometry, splitter = settings.window_state() if settings is not None else (None, None)
        if not (geometry and self.restoreGeometry(QByteArray(geometry))):
            self.resize(DEFAULT_SIZE)
        if not (splitter and self.splitter.restoreState(QByteArray(splitter))):
            self.splitter.setSizes([SIDEBAR_WIDTH, DEFAULT_SIZE.width() - SIDEBAR_WIDTH])

    def save_geometry(self) -> None:
        try:
            self._backend.settings.save_window_state(
                bytes(self.saveGeometry().data()), bytes(self.splitter.saveState().data())
            )
        except ParleyError as exc:
            log.warning("Window geometry not saved: %s", exc)

    # -- what the desktop shell and other starts ask of the window --------------------------------

    def bring_to_front(self) -> None:
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def open_conversation(self, conversation_id: int) -> None:
        self.bring_to_front()
        self.conversations.open(conversation_id)
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    def new_chat(self) -> None:
        self.conversations.new_chat()

    def quit(self) -> None:
        """Quit (menu, tray, Ctrl+Q): the composition root shuts down, answers saved first."""
        self.close_requested.set()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._shut_down:
            event.accept()
            return
        event.ignore()
        if not self._attached:  # start-up has not finished: close once it has
            self._close_pending = True
        elif self.desktop.hide_on_close():
            self.hide()
        else:
            self.quit()

    async def shutdown(self) -> None:
        """Stop every answer (saved as stopped), save the geometry, end every task, close."""
        if self._shut_down:
            return
        self.save_geometry()
        self._shut_down = True
        await self.desktop.aclose()
        await self.workspace.aclose()
        self.close()

    # -- language and palette ------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Parley"))
        retranslate(self.actions_)
        retranslate_menus(self.menus)
        self.toolbar.setWindowTitle(self.tr("Toolbar"))
        if self._attached and not self._shut_down:  # the tray's menu is gone after shutdown()
            self.desktop.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            update_icons(self.actions_, self)
            if self._chat_view is not None:
                self._chat_view.set_dark(is_dark(self.palette()))
        super().changeEvent(event)
