"""The app's rule that Qt objects die on the GUI thread (`desktop_app/gui_thread.py`), applied to
the whole test session, and a test fails when it breaks the rule.

Loaded as a plugin by tests/conftest.py. For the session: automatic cycle collection is off and
the main thread collects (after each test, and on a timer while a test spins Qt); every QObject
wrapper is watched (swept around every test and on that timer), and one finalised on another
thread — or a cycle collection started there — fails the test that was running, naming the
object, the thread and that thread's stack.

Without this, a window or a closed qasync loop left in a reference cycle by one test was freed
by a later test's worker thread (asyncio's child watcher, the keychain thread) whenever Python
decided to collect there: "Timers cannot be stopped from another thread", then a segfault.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication

from desktop_app.gui_thread import CollectionPolicy, GuiThreadKeeper, OffThreadFinalisation, ThreadGuard

ON_PURPOSE = "off_thread_on_purpose"  # a test of the guard itself
SWEEP_MS = 100  # how often new QObjects are watched while a test spins Qt


class GuiThreadRule:
    def __init__(self) -> None:
        self.found: list[OffThreadFinalisation] = []
        self.policy = CollectionPolicy(self.found.append)
        self.guard = ThreadGuard(self.found.append)
        self.keeper: GuiThreadKeeper | None = None

    def pytest_sessionstart(self) -> None:
        self.policy.install()
        self.guard.watch_new_objects()

    def pytest_sessionfinish(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()
        self.policy.uninstall()

    @pytest.fixture(autouse=True)
    def qt_objects_die_on_the_gui_thread(self, request: pytest.FixtureRequest) -> Iterator[None]:
        self._sweep()
        yield
        self._sweep()
        self.policy.collect_due()
        found, self.found[:] = list(self.found), []
        if found and request.node.get_closest_marker(ON_PURPOSE) is None:
            pytest.fail(
                "Qt objects must die on the GUI thread:\n\n" + "\n".join(f.describe() for f in found),
                pytrace=False,
            )

    def _sweep(self) -> None:
        app = QCoreApplication.instance()
        if self.keeper is None and app is not None:
            self.keeper = GuiThreadKeeper(app, self.policy, self.guard)
            self.keeper.set_interval(SWEEP_MS)
        self.guard.watch_all()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(GuiThreadRule(), "parley-gui-thread-rule")
