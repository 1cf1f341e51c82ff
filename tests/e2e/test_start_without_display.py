"""The real desktop app (`python -m desktop_app`) started where Qt cannot open a window: one line
on stderr that says what is wrong, exit code 1, the same in the log, and never Qt's abort with
"Reinstalling the application may fix this problem"."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_app.display_check import XCB_LIBRARIES, SystemLibraries
from tests.support.processes import running_app

WAIT = 60.0  # upper bound for one child; it ends in about a second
# What decides the platform Qt picks; each test sets what it needs.
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")
ADVICE = "Start Parley from a desktop session, set DISPLAY, or use `parley ask` in a terminal."

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux display check")


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: str
    log: str


def app_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARIABLES}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never the developer's keychain or session
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.update(extra)
    return env


async def start_app(data_dir: Path, env: dict[str, str]) -> Run:
    async with running_app(data_dir, env) as process:
        stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode is not None
    log_file = data_dir / "parley.log"
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return Run(process.returncode, stdout, stderr.decode("utf-8", errors="replace"), log)


def one_line(run: Run) -> str:
    assert run.returncode == 1, (run.returncode, run.stderr)  # not 134 (abort) or -6 (SIGABRT)
    assert run.stdout == b""
    assert run.stderr.endswith("\n"), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert "Reinstalling" not in run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr.rstrip("\n")


@linux_only
async def test_no_display_is_one_line_and_exit_1(tmp_path: Path) -> None:
    run = await start_app(tmp_path, app_env())
    line = one_line(run)
    assert line == f"parley: no display found (DISPLAY is not set). {ADVICE}"
    assert f"Parley cannot start: no display found (DISPLAY is not set). {ADVICE}" in run.log


@linux_only
async def test_a_display_without_a_server_is_named(tmp_path: Path) -> None:
    if not all(SystemLibraries().loads(soname) for soname in XCB_LIBRARIES):
        pytest.skip("this machine lacks the xcb libraries (that message is tested with fakes)")
    run = await start_app(tmp_path, app_env(DISPLAY=":64999"))
    assert one_line(run) == (
        "parley: cannot connect to the X display :64999: no X server answers there, "
        f"or it refused the connection. {ADVICE}"
    )


async def test_when_qt_fails_anyway_it_is_one_line_and_its_reasons_are_logged(tmp_path: Path) -> None:
    # A platform the check does not know: Qt finds no such plugin and would abort.
    run = await start_app(tmp_path, app_env(QT_QPA_PLATFORM="parley-no-such-platform"))
    line = one_line(run)
    log_file = tmp_path / "parley.log"
    assert line == (
        "parley: Qt could not start a display platform: Could not find the Qt platform plugin "
        f'"parley-no-such-platform" in "". Details are in {log_file}.'
    )
    assert 'Could not find the Qt platform plugin "parley-no-such-platform"' in run.log
    assert "no Qt platform plugin could be initialized" in run.log  # Qt's own words, kept for support
