"""The callables the window and the preferences dialog get, over the widget-free `Services` from
`compose.py`: providers for profiles, model lists, the connection test, export and import, and the
desktop's pieces (tray notice memory, launch at login, local-server discovery).

Local-server discovery probes each known server on its usual port; `PARLEY_DISCOVERY_PORTS`
(or the hidden setting `network/discovery_ports`) replaces that list, e.g.
`PARLEY_DISCOVERY_PORTS="ollama=11434,llamacpp=8080"` probes just those two (tests use free
ports), and `PARLEY_DISCOVERY_PORTS=none` turns discovery off.

The network stack, the providers and the autostart entry are imported inside the functions that
use them, so that building the window does not wait for them (~100 ms of imports).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication

from desktop_app.chat.active_provider import ActiveProvider
from desktop_app.chat.workspace import ChatWorkspace
from desktop_app.compose import PROXY_PASSWORD_KEY, Services
from desktop_app.core.errors import ConfigurationError, ParleyError, ProviderError, SecretStoreError
from desktop_app.core.ports import ChatProvider
from desktop_app.core.preferences import Preferences, ProviderProfile, ProxyMode
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.i18n import format_integer
from desktop_app.storage.settings import Keys, proxy_url_for
from desktop_app.ui.attachment_input import LastFolder
from desktop_app.ui.markdown import renderer_key
from desktop_app.ui.preferences import PreferencesBackend
from desktop_app.ui.theme import Appearance
from desktop_app.ui.window_backend import DesktopBackend, DetectedServer, WindowBackend

if TYPE_CHECKING:
    from desktop_app.autostart import Autostart
    from desktop_app.providers.discovery import DiscoveredServer
    from desktop_app.providers.registry import Preset

log = logging.getLogger(__name__)

DISCOVERY_PORTS_ENV = "PARLEY_DISCOVERY_PORTS"


class GuiServices:
    """The callables the window and the preferences dialog get, over `Services`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def provider_for(self, profile: ProviderProfile) -> ChatProvider:
        return await self.services.provider_for(profile)

    async def network_changed(self, _preferences: Preferences) -> None:
        # The old client stays open for answers still streaming through it; closed at shutdown.
        await self.services.reload_network()

    async def list_models(self, profile: ProviderProfile, typed_key: str | None) -> list[str]:
        from desktop_app.providers.registry import create_provider

        services = self.services
        if typed_key:
            services.redactor.add(typed_key)
            provider = create_provider(
                profile.kind,
                http=services.http,
                base_url=profile.base_url,
                api_key=typed_key,
                name=profile.label,
            )
        else:
            provider = await services.provider_for(profile)
        return await provider.list_models()

    async def test_connection(self, draft: Preferences, typed_password: str | None) -> str:
        """Reach the current provider's server with the draft network settings."""
        from desktop_app.net.session import HttpClient, NetworkConfig

        password = typed_password
        if password is None and draft.proxy_mode is ProxyMode.MANUAL and draft.proxy_user:
            try:
                password = await self.services.secrets.get(PROXY_PASSWORD_KEY)
            except SecretStoreError as exc:
                line = QCoreApplication.translate(
                    "ConnectionTest", "The proxy password could not be read: {reason}"
                )
                raise ConfigurationError(line.format(reason=exc)) from None
        config = NetworkConfig(
            proxy=proxy_url_for(draft, password),
            timeout=float(draft.timeout),
            proxy_loopback=self.services.settings.get(Keys.PROXY_LOOPBACK),
        )
        profile = draft.profile(draft.current_profile)
        url, name = probe_target(profile)
        started = time.monotonic()
        async with HttpClient(config) as http:
            try:
                chunks = http.stream("GET", url, provider=name)
                async with contextlib.aclosing(chunks) as body:
                    async for _chunk in body:
                        break
                status = ""
            except ProviderError as exc:
                if exc.status is None or exc.status == 407:  # 407: the proxy refused us
                    raise
                status = f"HTTP {exc.status}"  # it answered, if only to refuse: the route works
        elapsed = round((time.monotonic() - started) * 1000)
        host = urlsplit(url).hostname or url
        if config.proxy:
            line = QCoreApplication.translate(
                "ConnectionTest", "Connected to {host} through the proxy in {ms} ms."
            )
        else:
            line = QCoreApplication.translate("ConnectionTest", "Connected to {host} in {ms} ms.")
        line = line.format(host=host, ms=format_integer(elapsed))
        if status:
            answered = QCoreApplication.translate("ConnectionTest", "The server answered {status}.")
            line += " " + answered.format(status=status)
        return line

    def export_conversation(self, conversation_id: int, kind: str, path: Path) -> None:
        """Write the conversation to `path` with its attachments: HTML embeds images, JSON
        carries them, Markdown writes them to a `<name>_files` folder beside the file."""
        from desktop_app.storage.export import to_html, to_json, write_markdown

        history = self.services.history
        assert history is not None
        conversation = history.get_conversation(conversation_id)
        if conversation is None:
            raise ConfigurationError(
                QCoreApplication.translate("FileActions", "That conversation no longer exists.")
            )
        messages = history.messages(conversation_id)
        part = history.attachment_part
        if kind == "markdown":
            write_markdown(path, conversation, messages, attachment_part=part)
            return
        text = (to_json if kind == "json" else to_html)(conversation, messages, attachment_part=part)
        path.write_text(text, encoding="utf-8")

    def import_conversation(self, text: str) -> int:
        from desktop_app.attachments.images import make_thumbnail
        from desktop_app.storage.export import import_json

        assert self.services.history is not None
        return import_json(self.services.history, text, make_thumbnail=make_thumbnail)

    async def scan_local_servers(self) -> list[DetectedServer]:
        """Model servers answering on this computer (bounded: about a second)."""
        from desktop_app.providers.discovery import discover_local_servers

        services = self.services
        ports = services.env.get(DISCOVERY_PORTS_ENV) or services.settings.get(Keys.DISCOVERY_PORTS)
        return [
            detected_server(found) for found in await discover_local_servers(ports=discovery_ports(ports))
        ]

    def remember_folder(self, folder: str) -> None:
        """Where files were last attached from, for the next Attach dialog (a nicety: a settings
        file that cannot be written only loses it)."""
        try:
            self.services.settings.set(Keys.ATTACH_FOLDER, folder)
        except ParleyError as exc:
            log.info("Could not remember the attach folder: %s", exc)

    def tray_notice_shown(self) -> bool:
        return self.services.settings.get(Keys.TRAY_NOTICE_SHOWN)

    def remember_tray_notice(self) -> None:
        try:
            self.services.settings.set(Keys.TRAY_NOTICE_SHOWN, True)
        except ParleyError as exc:
            log.warning("Could not remember the tray notice: %s", exc)

    def diagnostics(self) -> Mapping[str, str]:
        return {
            "Settings file": str(self.services.settings.path),
            "Log file": str(self.services.paths.log_file),
        }

    async def aclose(self) -> None:
        await self.services.aclose()


def discovery_ports(text: str) -> dict[str, int] | None:
    """`"ollama=11434,llamacpp=8080"` → {server: port}; "" → None (every known server on its usual
    port); "none" → {} (no probing). Raises `ConfigurationError` for anything else."""
    text = text.strip()
    if not text:
        return None
    if text.lower() in ("none", "off"):
        return {}
    ports: dict[str, int] = {}
    for pair in text.split(","):
        name, _, port = pair.partition("=")
        if not (name.strip() and port.strip().isdigit() and 0 < int(port) < 65536):
            raise ConfigurationError(
                f"{DISCOVERY_PORTS_ENV}={text!r} is not valid; use pairs like ollama=11434,llamacpp=8080."
            )
        ports[name.strip()] = int(port)
    return ports


def detected_server(found: DiscoveredServer) -> DetectedServer:
    """A discovered server as the window shows and uses it: "llama.cpp" at "127.0.0.1:8080"."""
    model = found.models[0] if found.models else ""
    profile = ProviderProfile(found.preset_id, found.kind, found.label, found.base_url, model)
    name = found.label.removesuffix(" server")
    return DetectedServer(name, urlsplit(found.base_url).netloc, profile, found.models)


class LaunchAtLoginSwitch:
    """The autostart entry (`autostart.for_platform()`) as the Preferences' check box sees it."""

    def __init__(self, autostart: Autostart, command: Sequence[str]) -> None:
        self._autostart = autostart
        self._command = list(command)

    def is_enabled(self) -> bool:
        return self._autostart.is_enabled()

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            self._autostart.enable(self._command)
        else:
            self._autostart.disable()


class _LaunchAtLoginOnDemand:
    """`LaunchAtLoginSwitch` for this platform, made when Preferences first asks about it."""

    def __init__(self, extra_args: list[str]) -> None:
        self._extra_args = extra_args
        self._switch: LaunchAtLoginSwitch | None = None

    def _made(self) -> LaunchAtLoginSwitch:
        if self._switch is None:
            from desktop_app.autostart import default_command, for_platform

            self._switch = LaunchAtLoginSwitch(for_platform(), default_command(extra_args=self._extra_args))
        return self._switch

    def is_enabled(self) -> bool:
        return self._made().is_enabled()

    def set_enabled(self, enabled: bool) -> None:
        self._made().set_enabled(enabled)


def desktop_backend(gui: GuiServices, data_dir: Path | None) -> DesktopBackend:
    """The real tray, shortcut, autostart and discovery for the running app."""
    extra = ["--data-dir", str(gui.services.paths.data_dir)] if data_dir is not None else []
    return DesktopBackend(
        launch_at_login=_LaunchAtLoginOnDemand(extra),
        scan_local_servers=gui.scan_local_servers,
        tray_notice_shown=gui.tray_notice_shown,
        remember_tray_notice=gui.remember_tray_notice,
    )


def probe_target(profile: ProviderProfile | None) -> tuple[str, str]:
    """(URL, name) to reach for a connection test: the provider's model list, or its site."""
    if profile is None or profile.kind is ProviderKind.YQCLOUD:  # its API answers POST only
        from desktop_app.providers.yqcloud import Yqcloud

        return profile.base_url if profile and profile.base_url else Yqcloud.url, Yqcloud.name
    layout = profile.kind.facts.url
    return f"{profile.base_url.rstrip('/') or layout.default}{layout.models_path}", profile.label


class ProviderPresets(Sequence["Preset"]):
    """The provider presets (`providers.registry.PRESETS`), imported on first use: only the
    preferences dialog and the welcome page's buttons read them, never the first paint."""

    @staticmethod
    def _presets() -> Sequence[Preset]:
        from desktop_app.providers.registry import PRESETS

        return PRESETS

    @overload
    def __getitem__(self, index: int) -> Preset: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Preset]: ...
    def __getitem__(self, index: int | slice) -> Preset | Sequence[Preset]:
        return self._presets()[index]

    def __len__(self) -> int:
        return len(self._presets())

    def __iter__(self) -> Iterator[Preset]:
        return iter(self._presets())


def window_backend(
    gui: GuiServices,
    appearance: Appearance | None,
    local: DetectedServer | None,
    desktop: DesktopBackend | None = None,
) -> WindowBackend:
    services = gui.services
    assert services.history is not None
    workspace = ChatWorkspace(
        services.history,
        ActiveProvider(gui.provider_for, gui.network_changed),
        renderer_key=renderer_key,
    )
    workspace.attachment_limits = services.attachment_limits
    workspace.context_setting = services.context_setting
    workspace.text_only_model.connect(services.mark_text_only)
    return WindowBackend(
        workspace=workspace,
        settings=services.settings,
        preferences=PreferencesBackend(
            secrets=services.secrets,
            presets=ProviderPresets(),
            list_models=gui.list_models,
            test_connection=gui.test_connection,
        ),
        export_conversation=gui.export_conversation,
        import_conversation=gui.import_conversation,
        data_dir=services.paths.data_dir,
        appearance=appearance,
        diagnostics=gui.diagnostics,
        local_server=local,
        desktop=desktop or DesktopBackend(),
        last_folder=LastFolder(lambda: services.settings.get(Keys.ATTACH_FOLDER), gui.remember_folder),
    )
