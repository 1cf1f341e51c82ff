"""The GUI composition root: one qasync loop for Qt and asyncio, services from `compose.py`,
and the main window on top; then a clean shutdown (answers stopped and saved, HTTP sessions and
the database closed, no task left running).

`__main__.py` calls `main(data_dir=..., quick=...)` for a bare `parley` and `parley --quick`. One
Parley runs per user and data folder: a later start hands its arguments to the running one and
exits 0; that one brings its window to the front, or opens the quick prompt for `--quick`.
The callables the window gets over the services are in `gui_services.py`.

The window paints first: its widgets are built from the saved settings alone (theme, language,
geometry) and shown, and a short local event loop lets Qt paint them (`show_and_paint`) before
the rest of Parley is imported. Then the asyncio loop starts, the services are built, history is
opened, and the window is attached to them (`MainWindow.attach`: the sidebar is filled, a new
chat is shown). What even that does not need (the tray icon and global shortcut, local-server
discovery, warming up the markdown and code highlighting pipeline) runs after, a piece per loop
turn (`AfterFirstPaint`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app import APP_NAME, __version__
from desktop_app.compose import build_services, open_settings
from desktop_app.core.errors import ParleyError
from desktop_app.display_check import SystemDisplays, SystemLibraries, diagnose
from desktop_app.gui_thread import objects_die_on_the_gui_thread
from desktop_app.logs import Redactor, install_excepthooks, records_kept, setup_logging
from desktop_app.qt_startup import create_application, log_level
from desktop_app.single_instance import InstanceServer, instance_name, try_hand_off
from desktop_app.storage.paths import resolve_paths, set_application_names
from desktop_app.storage.settings import Settings
from desktop_app.ui.icons import app_icon
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import Appearance

if TYPE_CHECKING:  # imported after the first paint (asyncio, the services, the application layer)
    import asyncio

    from desktop_app.gui_services import GuiServices, window_backend
    from desktop_app.ui.window_backend import DetectedServer

__all__ = ["GuiServices", "main", "run_window", "window_backend"]  # GuiServices: tests, benchmarks

_LATER_IMPORTS: Final = frozenset({"GuiServices", "window_backend"})


def __getattr__(name: str) -> Any:
    """`GuiServices` and `window_backend` for tests and benchmarks, imported when asked for."""
    if name in _LATER_IMPORTS:
        from desktop_app import gui_services

        return getattr(gui_services, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1


class AfterFirstPaint(QObject):
    """Start-up work that need not delay the window: it starts once the window has painted (at
    once when the window stays hidden) and runs one piece per loop turn, `GAP_MS` apart, so no
    frame or keystroke waits long for it."""

    GAP_MS = 10

    def __init__(self, window: QWidget, *, painted: bool = False) -> None:
        """`painted`: the window has painted already (`show_and_paint`)."""
        super().__init__(window)
        self._window = window
        self._work: deque[Callable[[], object]] = deque()
        # A QTimer object, not QTimer.singleShot(0): a real timer runs after the paint.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_next)
        if window.isVisible() and not painted:
            window.installEventFilter(self)
        else:
            self._timer.start(0)

    def add(self, work: Iterable[Callable[[], object]]) -> None:
        self._work.extend(work)

    def cancel(self) -> None:
        """Drop what has not run yet (the app is closing)."""
        self._work.clear()
        self._timer.stop()
        self._window.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            self._timer.start(0)
        return False

    def _run_next(self) -> None:
        if not self._work:
            return
        work = self._work.popleft()
        try:
            work()
        finally:
            if self._work:
                self._timer.start(self.GAP_MS)


FIRST_PAINT_WAIT_MS: Final = 250  # at most, for a window the platform does not expose at once


class _PaintWatch(QObject):
    """Notes a widget's first paint and then calls `on_paint`."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.painted = False
        self.on_paint: Callable[[], object] = lambda: None
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            self.on_paint()
        return False


def show_and_paint(window: QWidget, limit_ms: int = FIRST_PAINT_WAIT_MS) -> bool:
    """Show `window` and let Qt paint it now, before the rest of start-up: a local event loop
    that ends with the first paint (or after `limit_ms`, when the platform does not expose the
    window at once). Keystrokes, clicks and sockets wait for the main loop, which starts once the
    window is attached: nothing typed is lost and a later start's hand-over waits until then.
    Returns whether the window painted."""
    watch = _PaintWatch(window)
    window.show()
    if not watch.painted:
        waiting = QEventLoop()
        limit = QTimer(waiting)
        limit.setSingleShot(True)
        limit.timeout.connect(waiting.quit)
        watch.on_paint = waiting.quit
        limit.start(limit_ms)
        waiting.exec(
            QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
            | QEventLoop.ProcessEventsFlag.ExcludeSocketNotifiers
        )
        limit.stop()
    window.removeEventFilter(watch)
    watch.deleteLater()
    return watch.painted


@dataclass
class FirstWindow:
    """The window as start-up paints it, before the services exist (`MainWindow.attach`)."""

    window: MainWindow
    settings: Settings
    appearance: Appearance
    painted: bool


def first_window(
    app: QApplication, data_dir: Path | None, *, show: bool, paint: bool = True
) -> FirstWindow | None:
    """The window's widgets from the saved settings (theme, language, geometry), shown when
    `show`, and painted at once (`show_and_paint`) when `paint` too; else it paints once the
    main loop runs. None when the settings cannot be read yet: `run_window` then builds the
    window after the services and reports the problem as usual."""
    try:
        settings = open_settings(data_dir)
        preferences = settings.load()
    except (ParleyError, OSError) as exc:
        log.info("Window not shown before the services: %s", exc)
        return None
    appearance = Appearance(app)
    appearance.apply(preferences)
    window = MainWindow(None, preferences, settings=settings)
    painted = False
    if show:
        if paint:
            painted = show_and_paint(window)
        else:
            window.show()
        window.composer.setFocus()
    return FirstWindow(window, settings, appearance, painted)


async def run_window(
    app: QApplication,
    data_dir: Path | None,
    local: DetectedServer | None = None,
    *,
    instance: InstanceServer | None = None,
    quick: bool = False,
    first: FirstWindow | None = None,
    redactor: Redactor | None = None,
) -> int:
    """Build services (opening the history), attach the window to them (`first`: the window
    start-up showed already, else one is built), wait until Parley is asked to quit, then shut
    down cleanly. Later starts of Parley reach the window through `instance`. `redactor`: the
    caller has set up logging with it already; else it is set up here."""
    from desktop_app.gui_services import GuiServices, desktop_backend, window_backend

    try:
        services = await build_services(
            data_dir, settings=first.settings if first else None, redactor=redactor
        )
    except ParleyError as exc:
        if first is not None:
            first.window.hide()
        await show_startup_error(str(exc))
        return EXIT_FAILURE
    handler = setup_logging(services.paths.log_file, services.redactor) if redactor is None else None
    gui = GuiServices(services)
    try:
        if first is None:
            preferences = services.settings.load()
            appearance = Appearance(app)
            appearance.apply(preferences)
            first = FirstWindow(
                MainWindow(None, preferences, settings=services.settings),
                services.settings,
                appearance,
                False,
            )
        window = first.window
        desktop = desktop_backend(gui, data_dir)
        window.attach(window_backend(gui, first.appearance, local, desktop))
        # `parley --quick` with a tray: only the quick prompt shows, the window waits in the tray.
        if not (quick and desktop.tray_available()) and not window.isVisible():
            window.show()
            window.composer.setFocus()
        later = AfterFirstPaint(window, painted=first.painted)
        # The tray icon and the shortcut; discovery (first run only); first-use costs of lexers.
        later.add([window.desktop.start, window.desktop.discover_local_servers])
        later.add(window.renderer.warm_up_steps())
        if quick:
            window.desktop.quick.show_at_pointer()
        if instance is not None:
            instance.message_received.connect(window.desktop.handle_instance_args)
        log.info("Parley %s started; data in %s", __version__, services.paths.data_dir)
        if services.history is not None and services.history.interrupted_on_open:
            window.status.show_interrupted(services.history.interrupted_on_open)
        with _closing_on_signals(window.close_requested):
            await window.close_requested.wait()
        later.cancel()
        await window.shutdown()
        log.info("Parley closed cleanly")
        return EXIT_OK
    finally:
        await gui.aclose()
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


@contextlib.contextmanager
def _closing_on_signals(close_requested: asyncio.Event) -> Iterator[None]:
    """SIGTERM (a session ending, `kill`) and SIGINT (Ctrl+C in the terminal) close the window
    like its close button: answers are stopped and saved first. POSIX only; elsewhere a no-op."""
    import asyncio

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
    import asyncio

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
    qInstallMessageHandler(lambda kind, _context, message: qt_log.log(log_level(kind), message))


def _loop_exception_handler(_loop: asyncio.AbstractEventLoop, context: Mapping[str, object]) -> None:
    error = context.get("exception")
    log.error(
        "Event loop: %s", context.get("message"), exc_info=error if isinstance(error, BaseException) else None
    )


def main(*, data_dir: Path | None = None, quick: bool = False, local: DetectedServer | None = None) -> int:
    """Start the desktop app, or hand over to the one already running for this data folder;
    returns the process exit code. `quick` opens the quick prompt."""
    set_application_names()
    # Before Qt is asked for a display: when there is none, Qt aborts with "Reinstalling the
    # application may fix this problem"; this says what is missing instead.
    with SystemDisplays() as displays:  # held open until Qt has its own connection
        problem = diagnose(os.environ, SystemLibraries(), displays)
        if problem is not None:
            _report_startup_failure(problem, data_dir)
            return EXIT_FAILURE
        app = QApplication.instance()
        # A QApplication made by the caller (tests, benchmarks driving `main` in-process) may
        # have work queued for the event loop that expects the asyncio loop: then the window
        # paints in the main loop, not in `show_and_paint`'s local one.
        own_application = not isinstance(app, QApplication)
        if not isinstance(app, QApplication):
            app = create_application(sys.argv[:1], _log_file(data_dir))
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("parley")
    # The window's close is a request that is answered after answers are saved; Qt must not
    # end the loop on its own when the last window hides.
    app.setQuitOnLastWindowClosed(False)
    instance = become_the_instance(data_dir, ["--quick"] if quick else [])
    if instance is None:
        return EXIT_OK  # the running Parley took over
    install_excepthooks()
    _route_qt_messages()
    redactor: Redactor | None = None
    handler: logging.Handler | None = None
    try:
        with objects_die_on_the_gui_thread(app):
            # The window paints before asyncio, the services, the application layer and the log
            # file's handler are imported; what is logged meanwhile is kept and written after.
            with records_kept() as kept:
                first = first_window(app, data_dir, show=not quick, paint=own_application)
                log_file = _log_file(data_dir)
                if log_file is not None:
                    redactor = Redactor()
                    handler = setup_logging(log_file, redactor)
                    kept.hand_over(handler)
            import asyncio

            from desktop_app.qt_async import close_event_loop, create_event_loop

            loop = create_event_loop(app)
            loop.set_exception_handler(_loop_exception_handler)
            asyncio.set_event_loop(loop)
            try:
                window = run_window(
                    app, data_dir, local, instance=instance, quick=quick, first=first, redactor=redactor
                )
                return int(loop.run_until_complete(window))
            finally:
                instance.close()
                _cancel_leftovers(loop)
                close_event_loop(loop)
                asyncio.set_event_loop(None)
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _log_file(data_dir: Path | None) -> Path | None:
    try:
        return resolve_paths(data_dir).log_file
    except OSError:
        return None


def _report_startup_failure(line: str, data_dir: Path | None) -> None:
    """One line on stderr, and the same in the log (a desktop launcher shows no terminal)."""
    if sys.stderr is not None:
        sys.stderr.write(f"parley: {line}\n")
    log_file = _log_file(data_dir)
    if log_file is not None:
        handler = setup_logging(log_file, Redactor())
        try:
            log.error("Parley cannot start: %s", line)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()


def become_the_instance(data_dir: Path | None, args: list[str]) -> InstanceServer | None:
    """Hand `args` to a Parley already running for this data folder (None: it took them), else
    listen for later starts. If two start at once, the one that loses the race hands over too."""
    name = instance_name(resolve_paths(data_dir).data_dir)
    for _attempt in range(2):
        if try_hand_off(name, args):
            return None
        server = InstanceServer(name)
        if server.listen():
            return server
    # Something holds the name but does not answer: run anyway, just without hand-overs.
    sys.stderr.write(f"parley: {server.error_text}\n")
    return server


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Nothing should be left; anything that is gets cancelled and logged, never abandoned."""
    import asyncio

    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in leftovers:
        log.warning("Task still running at exit: %r", task)
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
