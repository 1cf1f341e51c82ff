"""A pytest plugin for scripts/test: each test's node id is written to `$PARLEY_TEST_PROGRESS`
when it starts and again, prefixed by "done ", when it ends. If the process dies (a segfault, an
abort), the last started test without its "done" line is the one that was running, and the
runner can go on with the tests after it (tests/support/run_groups.py)."""

from __future__ import annotations

import os
from typing import TextIO

import pytest

ENV = "PARLEY_TEST_PROGRESS"


class Progress:
    def __init__(self, path: str) -> None:
        # Line-buffered and flushed at once: a crash must not lose the line that names its test.
        self._file: TextIO = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._write(f"start {nodeid}")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self._write(f"done {nodeid}")

    def pytest_unconfigure(self) -> None:
        self._file.close()

    def _write(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()  # into the kernel: the process dying next cannot lose it


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(ENV)
    if path:
        config.pluginmanager.register(Progress(path), "parley-progress")
