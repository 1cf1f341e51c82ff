"""The preferences dialog: Network, Providers, General and Models pages over a copy of `Preferences`.

OK and Apply stay disabled while any page has invalid input. Saving writes typed secrets to the
keychain first; if the keychain fails, the dialog says so, stays open and saves nothing (a key is
never dropped silently nor written anywhere else). Then `applied(preferences)` tells the window,
which stores and applies them at once.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.errors import ParleyError, SecretStoreError, shorten
from desktop_app.core.preferences import PROXY_PASSWORD_KEY, Preferences, ProviderProfile
from desktop_app.ui.preferences.backend import PreferencesBackend, api_key_name
from desktop_app.ui.preferences.fields import INVALID_STYLE, show_error
from desktop_app.ui.preferences.general import GeneralPage
from desktop_app.ui.preferences.models import ModelsPage
from desktop_app.ui.preferences.network import NetworkPage
from desktop_app.ui.preferences.providers import ProvidersPage

log = logging.getLogger(__name__)

PAGES = ("network", "providers", "general", "models")


def _failure_line(exc: Exception) -> str:
    if isinstance(exc, ParleyError):
        return str(exc)
    log.error("Unexpected failure in the preferences dialog", exc_info=exc)
    return shorten(f"{type(exc).__name__}: {exc}")


class PreferencesDialog(QDialog):
    applied = Signal(object)  # Preferences, after secrets were saved

    def __init__(
        self, preferences: Preferences, backend: PreferencesBackend, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setStyleSheet(INVALID_STYLE)
        self._backend = backend
        self._base = preferences
        self._tasks = OwnedTasks()
        tasks = self._tasks
        self.destroyed.connect(lambda: tasks.cancel_all())  # none outlives the dialog's widgets
        self._saving = False
        self.banner = QLabel(self)
        self.banner.setObjectName("preferencesBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.tabs = QTabWidget(self)
        self.network = NetworkPage(self)
        self.providers = ProvidersPage(backend.presets, self)
        self.general = GeneralPage(self)
        self.models = ModelsPage(self)
        self.pages = (self.network, self.providers, self.general, self.models)  # in PAGES order
        for page in self.pages:
            self.tabs.addTab(page, "")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            self,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(lambda: self._save(close=True))
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(lambda: self._save(close=False))
        self.network.test_requested.connect(self._test_connection)
        self.providers.key_status_needed.connect(self._look_up_key)
        self.providers.models_requested.connect(self._list_models)
        self.general.desktop.server_added.connect(self.providers.add_server)
        self.tabs.currentChanged.connect(self._page_shown)
        for page in self.pages:
            page.validity_changed.connect(self._update_buttons)
            page.load(preferences)  # after connecting: loading asks for the saved keys
        self.resize(720, 520)
        self.retranslate()
        self._update_buttons()

    # -- public --------------------------------------------------------------------------------

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def apply_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Apply)

    def open_page(self, name: str) -> None:
        self.tabs.setCurrentIndex(PAGES.index(name))

    def draft(self) -> Preferences:
        """The preferences as currently edited (valid or not)."""
        preferences = self._base
        for page in self.pages:
            preferences = page.apply(preferences)
        return preferences

    def show_keychain_problem(self, line: str) -> None:
        """Once, at the top: the keychain is unavailable (keys and passwords cannot be saved)."""
        show_error(self.banner, line)

    def is_valid(self) -> bool:
        return all(page.is_valid() for page in self.pages)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._tasks.running("proxy-password"):
            self._tasks.start(self._look_up_proxy_password(), key="proxy-password")

    def done(self, result: int) -> None:
        self._tasks.cancel_all()  # nothing of this dialog keeps running after it closes
        super().done(result)

    def _page_shown(self) -> None:
        if self.tabs.currentWidget() is self.models:  # suggest the model chosen on Providers now
            self.models.suggest(self.providers.apply(self._base))

    # -- saving --------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        valid = self.is_valid() and not self._saving
        self.ok_button.setEnabled(valid)
        self.apply_button.setEnabled(valid)

    def _save(self, *, close: bool) -> None:
        if not self.is_valid() or self._saving:
            return
        self._saving = True
        self._update_buttons()
        self._tasks.start(self._save_async(close), key="save")

    async def _save_async(self, close: bool) -> None:
        preferences = self.draft()
        changes = {**self.network.secret_changes(), **self.providers.secret_changes()}
        try:
            for name, value in changes.items():
                if value is None:
                    await self._backend.secrets.delete(name)
                else:
                    await self._backend.secrets.set(name, value)
        except SecretStoreError as exc:
            show_error(
                self.banner,
                self.tr(
                    "{problem} Nothing was saved: fix the keychain, or clear the key and password "
                    "fields and try again."
                ).format(problem=str(exc)),
            )
            return
        finally:
            self._saving = False
            self._update_buttons()
        show_error(self.banner, None)
        self._base = preferences
        self.applied.emit(preferences)
        if close:
            self.accept()
        else:
            self.network.load(preferences)
            self.providers.load(preferences)

    # -- keychain look-ups, model lists, connection test ----------------------------------------

    async def _look_up_proxy_password(self) -> None:
        try:
            saved = await self._backend.secrets.get(PROXY_PASSWORD_KEY)
        except SecretStoreError as exc:
            self.show_keychain_problem(str(exc))
            return
        self.network.set_password_saved(bool(saved))

    def _look_up_key(self, profile_id: str) -> None:
        self._tasks.start(self._look_up_key_async(profile_id), key=f"key:{profile_id}")

    async def _look_up_key_async(self, profile_id: str) -> None:
        try:
            saved = await self._backend.secrets.get(api_key_name(profile_id))
        except SecretStoreError as exc:
            self.show_keychain_problem(str(exc))
            return
        self.providers.set_key_saved(profile_id, bool(saved))

    def _list_models(self, profile: object, typed_key: object) -> None:
        assert isinstance(profile, ProviderProfile)
        key = typed_key if isinstance(typed_key, str) else None
        self._tasks.start(self._list_models_async(profile, key), key="models")

    async def _list_models_async(self, profile: ProviderProfile, key: str | None) -> None:
        try:
            models = await self._backend.list_models(profile, key)
        except Exception as exc:
            self.providers.show_models_error(
                profile.id, self.tr("Could not list models: {reason}").format(reason=_failure_line(exc))
            )
            return
        self.providers.show_models(profile.id, models)

    def _test_connection(self) -> None:
        if not self.network.is_valid():
            return
        self.network.test_started()
        self._tasks.start(self._test_connection_async(), key="test")

    async def _test_connection_async(self) -> None:
        try:
            line = await self._backend.test_connection(self.draft(), self.network.typed_password())
        except Exception as exc:
            self.network.test_finished(False, _failure_line(exc))
            return
        self.network.test_finished(True, line)

    # -- text ----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Preferences"))
        self.tabs.setTabText(0, self.tr("&Network"))
        self.tabs.setTabText(1, self.tr("&Providers"))
        self.tabs.setTabText(2, self.tr("&General"))
        self.tabs.setTabText(3, self.tr("Mod&els"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # Enter in a field must not press OK while the input is invalid (QDialog's default button).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.ok_button.isEnabled():
            event.accept()
            return
        super().keyPressEvent(event)
