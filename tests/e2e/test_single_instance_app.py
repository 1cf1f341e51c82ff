"""Two real app processes (`python -m desktop_app --data-dir DIR`, offscreen): the second start hands
its arguments to the first over the local socket and exits 0 at once; the first opens the quick
prompt for `--quick` or comes to the front for a plain start, and still closes cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from aiohttp import web

from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.storage.settings import Settings
from tests.support.processes import running_app
from tests.support.server import ScriptedServer

pytestmark = pytest.mark.slow

START_TIMEOUT = 60.0
HAND_OVER_TIMEOUT = 40.0  # the second process: Python and Qt start-up, then one socket message
EXIT_TIMEOUT = 60.0


def app_env(runtime_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never the developer's keychain or session
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONUNBUFFERED": "1",
            "XDG_RUNTIME_DIR": str(runtime_dir),  # where the instance socket lives
            "PARLEY_DISCOVERY_PORTS": "none",
        }
    )
    return env


async def log_says(log_file: Path, text: str, timeout: float) -> None:
    """Wait until the running app's log contains `text` (another process's file: polled, bounded)."""
    deadline = time.monotonic() + timeout
    while not (log_file.is_file() and text in log_file.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, f"the log did not say {text!r} within {timeout} s"
        await asyncio.sleep(0.05)


async def test_a_second_start_hands_over_to_the_first_and_exits_0(
    server: ScriptedServer, tmp_path: Path
) -> None:
    models_requested = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        models_requested.set()
        return web.json_response({"data": [{"id": "e2e-model"}]})

    server.handle = handle
    data_dir, runtime = tmp_path / "data", tmp_path / "run"
    runtime.mkdir(mode=0o700)
    data_dir.mkdir()
    profile = ProviderProfile("local", "openai", "Local server", server.url("/v1"), "e2e-model")
    Settings(data_dir / "settings.ini").save(Preferences(profiles=(profile,), current_profile="local"))
    env = app_env(runtime)
    log_file = data_dir / "parley.log"

    async with running_app(data_dir, env) as first:
        # Listening starts before the window; the window asks for the model list once it is up.
        await asyncio.wait_for(models_requested.wait(), START_TIMEOUT)
        assert [p.name for p in runtime.iterdir() if p.name.startswith("parley-")], "no instance socket"

        started = time.monotonic()
        async with running_app(data_dir, env, "--quick") as second:
            stdout, stderr = await asyncio.wait_for(second.communicate(), HAND_OVER_TIMEOUT)
        assert (second.returncode, stdout, stderr) == (0, b"", b"")
        await log_says(log_file, "Another start of Parley handed over: --quick", 5)
        handed_over_in = time.monotonic() - started

        async with running_app(data_dir, env) as third:
            stdout, stderr = await asyncio.wait_for(third.communicate(), HAND_OVER_TIMEOUT)
        assert (third.returncode, stdout, stderr) == (0, b"", b"")
        await log_says(log_file, "Another start of Parley handed over: (no arguments)", 5)

        assert first.returncode is None  # the first one is still running
        first.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(first.communicate(), EXIT_TIMEOUT)
    assert (first.returncode, stdout, stderr) == (0, b"", b"")
    log = log_file.read_text(encoding="utf-8")
    assert log.count(" started; data in ") == 1  # only one of the three processes started
    assert "Parley closed cleanly" in log
    assert "Traceback" not in log
    assert " ERROR " not in log
    assert not [p.name for p in runtime.iterdir() if p.name.startswith("parley-")], "socket left behind"
    assert handed_over_in < HAND_OVER_TIMEOUT


async def test_a_start_with_another_data_folder_is_its_own_instance(
    server: ScriptedServer, tmp_path: Path
) -> None:
    """Instances are per data folder: a start with another one runs (and is stopped here)."""
    models_requested = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        models_requested.set()
        return web.json_response({"data": [{"id": "e2e-model"}]})

    server.handle = handle
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = app_env(runtime)
    profile = ProviderProfile("local", "openai", "Local server", server.url("/v1"), "e2e-model")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Settings(tmp_path / name / "settings.ini").save(
            Preferences(profiles=(profile,), current_profile="local")
        )
    async with running_app(tmp_path / "a", env) as first:
        await asyncio.wait_for(models_requested.wait(), START_TIMEOUT)
        models_requested.clear()
        async with running_app(tmp_path / "b", env) as second:
            await asyncio.wait_for(models_requested.wait(), START_TIMEOUT)
            assert second.returncode is None  # running, not handed over
            for process in (second, first):
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
                assert process.returncode == 0
