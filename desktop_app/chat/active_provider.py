"""The current profile's provider, built off the click path: reading its API key from the keychain
and applying new network settings take a moment, so the window starts that when the profile or
the preferences change, and a send waits for it (`ready()`) before asking for it (`now()`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.errors import ConfigurationError, ParleyError
from desktop_app.core.ports import ChatProvider
from desktop_app.core.preferences import Preferences, ProviderProfile

log = logging.getLogger(__name__)

_BUILD = "provider"


class ActiveProvider(QObject):
    models_listed = Signal(str, list)  # profile id, the model ids its server offers
    failed = Signal(str)  # one line: why there is no provider (bad URL, ...)

    def __init__(
        self,
        provider_for: Callable[[ProviderProfile], Awaitable[ChatProvider]],
        network_changed: Callable[[Preferences], Awaitable[None]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._provider_for = provider_for
        self._network_changed = network_changed
        self._tasks = OwnedTasks()
        self._provider: ChatProvider | None = None
        self._error: ParleyError | None = None

    def reload(self, profile: ProviderProfile | None, *, preferences: Preferences | None = None) -> None:
        """Build the provider for `profile`; with `preferences`, apply their network settings first."""
        self._provider, self._error = None, None
        self._tasks.start(self._build(profile, preferences), key=_BUILD)

    async def ready(self) -> None:
        await self._tasks.wait_for(_BUILD)

    def now(self) -> ChatProvider:
        """The provider, or the error that says why there is none (shown inline by the chat)."""
        if self._provider is not None:
            return self._provider
        if self._error is not None:
            raise self._error
        raise ConfigurationError(
            QCoreApplication.translate(
                "ActiveProvider",
                "No provider is set up yet: choose one on the welcome page or in Preferences → Providers.",
            )
        )

    async def aclose(self) -> None:
        self._tasks.cancel_all()
        await self._tasks.wait_all()

    async def _build(self, profile: ProviderProfile | None, preferences: Preferences | None) -> None:
        if preferences is not None:
            await self._network_changed(preferences)
        if profile is None:
            return
        try:
            provider = await self._provider_for(profile)
        except ParleyError as exc:
            self._error = exc
            self.failed.emit(str(exc))
            return
        self._provider = provider
        self._tasks.start(self._list_models(profile, provider), key="models")

    async def _list_models(self, profile: ProviderProfile, provider: ChatProvider) -> None:
        try:
            models = await provider.list_models()
        except ParleyError as exc:
            log.info("No model list from %s: %s", profile.label, exc)
            return
        if models:
            self.models_listed.emit(profile.id, models)
