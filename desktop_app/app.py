"""The GUI composition root: one qasync loop for Qt and asyncio, services from `compose.py`,
and the main window on top; then a clean shutdown (answers stopped and saved, HTTP sessions and
the database closed, no task left running).

`cli.py` calls `main(data_dir=..., quick=...)` for a bare `parley`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

import qasync
from PySide6.QtCore import (
    QCoreApplication,
    QLoggingCategory,
    QObject,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import APP_NAME, __version__
from desktop_app.compose import PROXY_PASSWORD_KEY, Services, build_services, network_config
from desktop_app.core.errors import ConfigurationError, ParleyError, ProviderError, SecretStoreError
from desktop_app.core.ports import ChatProvider
from desktop_app.core.preferences import Preferences, ProviderProfile, ProxyMode
from desktop_app.logs import install_excepthooks, setup_logging
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.registry import PRESETS, ProviderKind, create_provider
from desktop_app.providers.yqcloud import Yqcloud
from desktop_app.storage.export import import_json, to_html, to_json, to_markdown
from desktop_app.storage.paths import set_application_names
from desktop_app.storage.settings import Keys, system_proxy
from desktop_app.ui.icons import app_icon
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.preferences import PreferencesBackend
from desktop_app.ui.theme import Appearance
from desktop_app.ui.window_backend import DetectedServer, WindowBackend

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1


class MainThreadGarbageCollector(QObject):
    """Python runs its cycle collector on whichever thread happens to allocate at the wrong moment
    (the keychain watchdog thread, aiohttp's resolver threads); a Qt object freed there warns
    "Timers cannot be stopped from another thread" or crashes. So automatic collection is off
    while the app runs and the GUI thread collects on a timer instead (as Anki's desktop app does)."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> None:
        young, middle, old = gc.get_count()
        if young > self._thresholds[0]:
            generation = 2 if old > self._thresholds[2] else 1 if middle > self._thresholds[1] else 0
            gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        gc.enable()


class GuiServices:
    """The callables the window and the preferences dialog get, over `Services`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # HTTP clients replaced by new network settings; answers may still stream through
        # them, so they are closed at shutdown rather than at once.
        self._retired: list[HttpClient] = []

    async def provider_for(self, profile: ProviderProfile) -> ChatProvider:
        return await self.services.provider_for(profile)

    async def network_changed(self, _preferences: Preferences) -> None:
        services = self.services
        config = await network_config(services.settings, services.secrets)
        self._retired.append(services.http)
        services.http = HttpClient(config)

    async def list_models(self, profile: ProviderProfile, typed_key: str | None) -> list[str]:
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
        password = typed_password
        if password is None and draft.proxy_mode is ProxyMode.MANUAL and draft.proxy_user:
            try:
                password = await self.services.secrets.get(PROXY_PASSWORD_KEY)
            except SecretStoreError as exc:
                raise ConfigurationError(f"The proxy password could not be read: {exc}") from None
        config = NetworkConfig(
            proxy=draft_proxy_url(draft, password),
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
        tr = QCoreApplication.translate
        if config.proxy:
            line = tr("ConnectionTest", "Connected to {host} through the proxy in {ms} ms.")
        else:
            line = tr("ConnectionTest", "Connected to {host} in {ms} ms.")
        line = line.format(host=host, ms=elapsed)
        if status:
            line += " " + tr("ConnectionTest", "The server answered {status}.").format(status=status)
        return line

    def export_conversation(self, conversation_id: int, kind: str) -> str:
        history = self.services.history
        assert history is not None
        conversation = history.get_conversation(conversation_id)
        if conversation is None:
            raise ConfigurationError("That conversation no longer exists.")
        messages = history.messages(conversation_id)
        writers = {"markdown": to_markdown, "json": to_json, "html": to_html}
        return writers[kind](conversation, messages)

    def import_conversation(self, text: str) -> int:
        assert self.services.history is not None
        return import_json(self.services.history, text)

    def diagnostics(self) -> Mapping[str, str]:
        return {
            "Settings file": str(self.services.settings.path),
            "Log file": str(self.services.paths.log_file),
        }

    async def aclose(self) -> None:
        retired, self._retired = self._retired, []
        for http in retired:
            await http.aclose()
        await self.services.aclose()


def draft_proxy_url(preferences: Preferences, password: str | None) -> str | None:
    """The proxy URL the (not yet saved) preferences describe; `Settings.proxy_url` does the same
    for saved ones."""
    if preferences.proxy_mode is ProxyMode.OFF:
        return None
    if preferences.proxy_mode is ProxyMode.SYSTEM:
        return system_proxy(urllib.request.getproxies())
    host = preferences.proxy_host.strip()
    if not host:
        raise ConfigurationError("A manual proxy is selected but no proxy host is set.")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    credentials = ""
    if preferences.proxy_user:
        secret = f":{quote(password, safe='')}" if password else ""
        credentials = f"{quote(preferences.proxy_user, safe='')}{secret}@"
    return f"{preferences.proxy_type.value}://{credentials}{host}:{preferences.proxy_port}"


def probe_target(profile: ProviderProfile | None) -> tuple[str, str]:
    """(URL, name) to reach for a connection test: the provider's model list, or its site."""
    if profile is None or profile.kind == ProviderKind.YQCLOUD.value:
        return profile.base_url if profile and profile.base_url else Yqcloud.url, "Yqcloud"
    base = profile.base_url.rstrip("/")
    if profile.kind == ProviderKind.OLLAMA.value:
        return f"{base or 'http://127.0.0.1:11434'}/api/tags", profile.label
    return f"{base}/models", profile.label


def window_backend(
    gui: GuiServices, appearance: Appearance | None, local: DetectedServer | None
) -> WindowBackend:
    services = gui.services
    assert services.history is not None
    return WindowBackend(
        history=services.history,
        settings=services.settings,
        preferences=PreferencesBackend(
            secrets=services.secrets,
            presets=PRESETS,
            list_models=gui.list_models,
            test_connection=gui.test_connection,
        ),
        provider_for=gui.provider_for,
        network_changed=gui.network_changed,
        export_conversation=gui.export_conversation,
        import_conversation=gui.import_conversation,
        data_dir=services.paths.data_dir,
        appearance=appearance,
        diagnostics=gui.diagnostics,
        local_server=local,
    )


async def run_window(app: QApplication, data_dir: Path | None, local: DetectedServer | None = None) -> int:
    """Build services and the window, wait until the window is closed, then shut down cleanly."""
    try:
        services = await build_services(data_dir)
    except ParleyError as exc:
        await show_startup_error(str(exc))
        return EXIT_FAILURE
    handler = setup_logging(services.paths.log_file, services.redactor)
    gui = GuiServices(services)
    try:
        preferences = services.settings.load()
        appearance = Appearance(app)
        appearance.apply(preferences)
        window = MainWindow(window_backend(gui, appearance, local), preferences)
        window.show()
        window.composer.setFocus()
        log.info("Parley %s started; data in %s", __version__, services.paths.data_dir)
        if services.history is not None and services.history.interrupted_on_open:
            window.show_message(
                QCoreApplication.translate(
                    "App",
                    "%n answer(s) were cut off when Parley last closed; they are marked interrupted.",
                    "",
                    services.history.interrupted_on_open,
                )
            )
        with _closing_on_signals(window.close_requested):
            await window.close_requested.wait()
        await window.shutdown()
        log.info("Parley closed cleanly")
        return EXIT_OK
    finally:
        await gui.aclose()
        logging.getLogger().removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def _closing_on_signals(close_requested: asyncio.Event) -> Iterator[None]:
    """SIGTERM (a session ending, `kill`) and SIGINT (Ctrl+C in the terminal) close the window
    like its close button: answers are stopped and saved first. POSIX only; elsewhere a no-op."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(number, close_requested.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            loop.remove_signal_handler(number)


async def show_startup_error(line: str) -> None:
    """One line in a message box (no window exists yet); returns when it is closed."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, line, QMessageBox.StandardButton.Close)
    box.setInformativeText(QCoreApplication.translate("App", "Parley could not start."))
    closed = asyncio.Event()
    box.finished.connect(closed.set)
    box.open()
    await closed.wait()
    sys.stderr.write(f"parley: {line}\n")


def _route_qt_messages() -> None:
    """Qt's warnings go to the log, not the terminal."""
    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }
    qInstallMessageHandler(
        lambda kind, _context, message: qt_log.log(levels.get(kind, logging.INFO), message)
    )


def _loop_exception_handler(_loop: asyncio.AbstractEventLoop, context: Mapping[str, object]) -> None:
    error = context.get("exception")
    log.error(
        "Event loop: %s", context.get("message"), exc_info=error if isinstance(error, BaseException) else None
    )


def main(*, data_dir: Path | None = None, quick: bool = False, local: DetectedServer | None = None) -> int:
    """Start the desktop app; returns the process exit code. `quick` (the quick prompt) is not
    built yet and opens the main window."""
    del quick
    set_application_names()
    QLoggingCategory.setFilterRules("qt.qpa.*=false")
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("parley")
    # The window's close is a request that is answered after answers are saved; Qt must not
    # end the loop on its own when the last window hides.
    app.setQuitOnLastWindowClosed(False)
    install_excepthooks()
    _route_qt_messages()
    collector = MainThreadGarbageCollector(app)
    loop = qasync.QEventLoop(app)
    loop.set_exception_handler(_loop_exception_handler)
    asyncio.set_event_loop(loop)
    try:
        return int(loop.run_until_complete(run_window(app, data_dir, local)))
    finally:
        _cancel_leftovers(loop)
        loop.close()
        asyncio.set_event_loop(None)
        collector.stop()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Nothing should be left; anything that is gets cancelled and logged, never abandoned."""
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in leftovers:
        log.warning("Task still running at exit: %r", task)
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
