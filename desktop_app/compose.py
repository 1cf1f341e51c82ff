"""The composition root: the one place Parley's widget-free services are built.

`build_services(data_dir)` gives settings, the keychain, history and an HTTP client configured
from the settings (proxy, timeouts); `Services.provider_for(...)` turns a profile into a provider
with its API key. The GUI (`app.py`) and the CLI (`cli.py`) both start here; nothing else
constructs services, and nothing here is global.

The network stack (aiohttp and the providers, ~100 ms to import) and the keychain library
(~15 ms) are imported when first used, not while the window is being shown: the saved network
settings are read and validated here, and the HTTP client is made on first use. The GUI opens
the settings alone first (`open_settings`: what the window's first paint needs) and hands them
to `build_services` after that paint; the history store (SQLite) is imported and opened there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from desktop_app.core.errors import ConfigurationError, ParleyError, SecretStoreError
from desktop_app.core.preferences import PROXY_PASSWORD_KEY as PROXY_PASSWORD_KEY  # re-exported
from desktop_app.core.preferences import ModelSetting, ProviderProfile, ProxyMode, api_key_entry
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.logs import Redactor
from desktop_app.storage.paths import AppPaths, resolve_paths
from desktop_app.storage.settings import Keys, Settings

if TYPE_CHECKING:
    from desktop_app.attachments import AttachmentLimits
    from desktop_app.core.ports import ChatProvider, HistoryStore, SecretStore
    from desktop_app.net.session import HttpClient, NetworkConfig
    from desktop_app.providers.registry import Preset

log = logging.getLogger(__name__)

API_KEY_ENV: Final = "PARLEY_API_KEY"
DEFAULT_PROVIDER: Final = "yqcloud"  # a preset id: the provider when nothing is chosen


class UnknownProviderError(ConfigurationError):
    """A provider name that is neither a kind, a preset nor a saved profile (a usage error)."""


@dataclass(frozen=True, slots=True)
class NetworkOverrides:
    """Command-line network options. An explicit proxy applies to every target, loopback too."""

    proxy: str | None = None
    no_proxy: bool = False
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """The HTTP client's configuration as read from the settings, proxy URL already validated;
    `config()` turns it into the network layer's `NetworkConfig` (importing that layer)."""

    proxy: str | None = None
    timeout: float = 120.0
    total_timeout: float | None = None
    proxy_loopback: bool = False

    def __post_init__(self) -> None:
        if self.proxy:
            from desktop_app.net.proxy import parse_proxy

            parse_proxy(self.proxy)  # raises ConfigurationError with one line for a bad URL

    def config(self) -> NetworkConfig:
        from desktop_app.net.session import NetworkConfig

        return NetworkConfig(
            proxy=self.proxy,
            timeout=self.timeout,
            total_timeout=self.total_timeout,
            proxy_loopback=self.proxy_loopback,
        )


class LazySecrets:
    """The system keychain (`KeyringSecrets`), its library imported on the first call."""

    def __init__(self) -> None:
        self._store: SecretStore | None = None

    def _keychain(self) -> SecretStore:
        if self._store is None:
            from desktop_app.storage.secrets import KeyringSecrets

            self._store = KeyringSecrets()
        return self._store

    async def get(self, key: str) -> str | None:
        return await self._keychain().get(key)

    async def set(self, key: str, value: str) -> None:
        await self._keychain().set(key, value)

    async def delete(self, key: str) -> None:
        await self._keychain().delete(key)


class _VisionOverrides(Mapping[str, bool]):
    """The settings' per-model "takes images" choices as the mapping providers read."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _known(self) -> dict[str, bool]:
        return {
            model: setting.takes_images
            for model, setting in self._settings.model_settings().items()
            if setting.takes_images is not None
        }

    def __getitem__(self, model: str) -> bool:
        return self._known()[model]

    def __iter__(self) -> Iterator[str]:
        return iter(self._known())

    def __len__(self) -> int:
        return len(self._known())


@dataclass
class Services:
    paths: AppPaths
    settings: Settings
    secrets: SecretStore
    network: NetworkSettings
    redactor: Redactor
    history: HistoryStore | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _http: HttpClient | None = field(default=None, repr=False)
    _retired: list[HttpClient] = field(default_factory=list, repr=False)

    @property
    def vision_overrides(self) -> Mapping[str, bool]:
        """Model id -> takes images, as the user or a server's refusal settled it. Read from the
        settings at each look, so Preferences → Models and a refusal apply at once."""
        return _VisionOverrides(self.settings)

    def mark_text_only(self, model: str) -> None:
        """A server refused `model`'s images: send it text only from now on, and remember that."""
        if not model:
            return
        current = self.settings.model_settings().get(model, ModelSetting())
        try:
            self.settings.set_model_setting(model, replace(current, takes_images=False))
        except ParleyError as exc:
            log.warning("Could not remember that %s takes no images: %s", model, exc)

    def context_setting(self, model: str) -> int | None:
        """The context window the user set for `model` (None: as its server says)."""
        setting = self.settings.model_settings().get(model)
        return setting.context_tokens if setting is not None else None

    def attachment_limits(self) -> AttachmentLimits:
        from desktop_app.attachments import AttachmentLimits

        return AttachmentLimits(
            max_file_bytes=self.settings.get(Keys.ATTACHMENT_MAX_MB) * 1_000_000,
            max_image_side=self.settings.get(Keys.IMAGE_MAX_SIDE),
        )

    @property
    def http(self) -> HttpClient:
        """The HTTP client for the current network settings, made on first use."""
        if self._http is None:
            from desktop_app.net.session import HttpClient

            self._http = HttpClient(self.network.config())
        return self._http

    def resolve_profile(self, name: str | None = None) -> ProviderProfile:
        """The profile for a `--provider` name: a saved profile (by id, then by label), else a
        built-in kind or preset; None means the saved current profile, else Yqcloud.
        Raises `UnknownProviderError` naming what would work."""
        from desktop_app.providers.registry import PRESETS

        saved = self.settings.profiles()
        if name is None:
            name = DEFAULT_PROVIDER
            current = self.settings.current_profile()
            if current is not None:
                return current
        by_id = next((p for p in saved if p.id == name), None)
        by_label = next((p for p in saved if p.label.casefold() == name.casefold()), None)
        found = by_id or by_label or _builtin(name)
        if found is None:
            names = [p.id for p in PRESETS] + [p.id for p in saved]
            raise UnknownProviderError(f"Unknown provider {name!r}; use one of {', '.join(names)}.")
        return found

    async def api_key_for(self, profile: ProviderProfile) -> str | None:
        """PARLEY_API_KEY if set, else the keychain entry of this profile. An unavailable keychain
        means no key (logged): a provider that needs one will say so when the server refuses."""
        if not profile.kind.facts.uses_api_key:  # no key is sent, so no keychain is asked
            return None
        key = self.env.get(API_KEY_ENV, "").strip()
        if not key:
            try:
                key = await self.secrets.get(api_key_entry(profile.id)) or ""
            except SecretStoreError as exc:
                log.info("No API key for %s from the keychain: %s", profile.id, exc)
                return None
        self.redactor.add(key)
        return key or None

    async def provider_for(
        self, profile: ProviderProfile | str | None = None, *, base_url: str | None = None
    ) -> ChatProvider:
        """A configured provider for a profile (or a `--provider` name). Its API key is fetched
        here and handed only to this provider's own requests."""
        from desktop_app.providers.registry import create_provider

        if not isinstance(profile, ProviderProfile):
            profile = self.resolve_profile(profile)
        builtin = _builtin(profile.id) == profile
        # A built-in preset pointed elsewhere is no longer "OpenAI": let the kind name it.
        name = None if builtin and base_url else profile.label or None
        return create_provider(
            profile.kind,
            http=self.http,
            base_url=base_url or profile.base_url,
            api_key=await self.api_key_for(profile),
            name=name,
            vision_overrides=self.vision_overrides,
        )

    async def reload_network(self) -> None:
        """Apply changed network settings (Preferences → Network). Providers made after this use
        a new client; those made before keep the old one, so an answer in progress is not cut.
        Old clients are closed by `aclose()`."""
        self.network = await network_settings(self.settings, self.secrets)
        if self._http is not None:
            self._retired.append(self._http)
            self._http = None

    async def aclose(self) -> None:
        clients = [*self._retired, self._http] if self._http is not None else self._retired
        self._retired, self._http = [], None
        try:
            for client in clients:
                await client.aclose()
        finally:
            if self.history is not None:
                history, self.history = self.history, None
                history.close()


def _builtin(name: str) -> ProviderProfile | None:
    from desktop_app.providers.registry import PRESETS

    preset: Preset | None = next((p for p in PRESETS if p.id == name.lower()), None)
    if preset is None:
        return None
    label = preset.kind.facts.name if preset.kind is ProviderKind.YQCLOUD else preset.label
    return ProviderProfile(preset.id, preset.kind, label, preset.base_url, preset.default_model)


async def network_settings(
    settings: Settings, secrets: SecretStore, overrides: NetworkOverrides | None = None
) -> NetworkSettings:
    """The HTTP client's configuration from the settings, with command-line overrides on top.
    The proxy password is read from the keychain only when a manual proxy has a user."""
    overrides = overrides or NetworkOverrides()
    timeout = overrides.timeout if overrides.timeout is not None else float(settings.get(Keys.TIMEOUT))
    total = float(settings.get(Keys.TOTAL_TIMEOUT)) or None
    if overrides.no_proxy:
        return NetworkSettings(proxy=None, timeout=timeout, total_timeout=total)
    if overrides.proxy is not None:
        return NetworkSettings(
            proxy=overrides.proxy, timeout=timeout, total_timeout=total, proxy_loopback=True
        )
    password = None
    if settings.get(Keys.PROXY_MODE) is ProxyMode.MANUAL and settings.get(Keys.PROXY_USER):
        try:
            password = await secrets.get(PROXY_PASSWORD_KEY)
        except SecretStoreError as exc:
            raise ConfigurationError(f"The proxy password could not be read: {exc}") from None
    return NetworkSettings(
        proxy=settings.proxy_url(password),
        timeout=timeout,
        total_timeout=total,
        proxy_loopback=settings.get(Keys.PROXY_LOOPBACK),
    )


def open_settings(data_dir: Path | None = None) -> Settings:
    """The settings of `data_dir` alone (None: the OS location), for what must read them before
    the other services exist: the window's first paint. Hand them on to `build_services`."""
    return Settings(resolve_paths(data_dir).settings_file)


async def build_services(
    data_dir: Path | None = None,
    *,
    settings: Settings | None = None,
    network: NetworkOverrides | None = None,
    open_history: bool = True,
    secrets: SecretStore | None = None,
    redactor: Redactor | None = None,
    env: Mapping[str, str] | None = None,
) -> Services:
    """Build every service for `data_dir` (None: the OS locations). Raises `ParleyError`
    subclasses with one line: a folder that cannot be created, a bad saved proxy, an unreadable
    history file (`open_history=False` skips history, e.g. `parley ask --no-save`). `settings`:
    those `open_settings(data_dir)` gave, when something read them already."""
    paths = resolve_paths(data_dir)
    try:
        paths.ensure()
    except OSError as exc:
        raise ConfigurationError(f"Cannot create the folder for Parley's data: {exc}") from None
    if settings is None:
        settings = Settings(paths.settings_file)
    secrets = secrets if secrets is not None else LazySecrets()
    redactor = redactor if redactor is not None else Redactor()
    configured = await network_settings(settings, secrets, network)  # validates the proxy URL
    services = Services(
        paths=paths,
        settings=settings,
        secrets=secrets,
        network=configured,
        redactor=redactor,
        env=dict(os.environ) if env is None else dict(env),
    )
    if open_history:
        from desktop_app.storage.history import SqliteHistory

        services.history = SqliteHistory(paths.history_file)  # no HTTP client to close yet
    return services
