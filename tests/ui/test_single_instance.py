"""Single instance with real processes: a second start hands its arguments to the first, a socket
left by a killed instance is cleaned up, a live instance is never taken over, and two data
directories never meet."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.single_instance import InstanceServer, decode_message, encode_message, instance_name

SERVER_SCRIPT = """
import json, sys
from PySide6.QtCore import QCoreApplication, QTimer
from desktop_app.single_instance import InstanceServer, instance_name

app = QCoreApplication(sys.argv[:1])
server = InstanceServer(instance_name(sys.argv[1]))
if not server.listen():
    print("error", server.error_text, flush=True)
    sys.exit(2)

def received(args):
    print("received", json.dumps(args), flush=True)
    app.quit()

server.message_received.connect(received)
QTimer.singleShot(20000, lambda: app.exit(3))  # never outlive a broken test
print("ready", flush=True)
sys.exit(app.exec())
"""

HAND_OFF_SCRIPT = """
import json, sys
from desktop_app.single_instance import instance_name, try_hand_off

sys.exit(0 if try_hand_off(instance_name(sys.argv[1]), json.loads(sys.argv[2])) else 4)
"""

ARGS = ["--quick", "Привет, мир", "", 'say "hi"', "a b\tc", "--data-dir", "~/x"]


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    # Short on purpose: a Unix socket path must stay under ~107 bytes, and tmp_path may not.
    with tempfile.TemporaryDirectory(prefix="pi-") as path:
        os.chmod(path, 0o700)
        yield Path(path)


@pytest.fixture
def child_env(runtime_dir: Path) -> dict[str, str]:
    return {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir), "QT_QPA_PLATFORM": "offscreen"}


class Child:
    """A Python subprocess whose stdout lines can be awaited with a deadline."""

    def __init__(self, script: str, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 15.0) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s; stderr: {self.stderr()}") from None

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def hand_off(data_dir: Path | str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HAND_OFF_SCRIPT, str(data_dir), json.dumps(args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> int:
    try:
        _, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert not stderr, stderr
    return process.returncode


def test_second_process_hands_its_arguments_to_the_first(tmp_path: Path, child_env: dict[str, str]) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = Child(SERVER_SCRIPT, [str(data_dir)], child_env)
    try:
        assert first.line() == "ready"
        # Another spelling of the same folder reaches the same instance.
        second = hand_off(data_dir / ".." / "data", ARGS, child_env)
        assert finished(second) == 0
        assert first.line() == "received " + json.dumps(ARGS)
        assert first.process.wait(timeout=10) == 0
    finally:
        first.stop()


def test_nobody_listening_means_no_hand_off(tmp_path: Path, child_env: dict[str, str]) -> None:
    assert finished(hand_off(tmp_path, ["--quick"], child_env)) == 4


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes leave no file behind")
def test_socket_left_by_a_killed_instance_is_cleaned_up(
    qtbot: QtBot, tmp_path: Path, runtime_dir: Path, child_env: dict[str, str]
) -> None:
    crashed = Child(SERVER_SCRIPT, [str(tmp_path)], child_env)
    try:
        assert crashed.line() == "ready"
    finally:
        crashed.stop()  # SIGKILL: no chance to remove its socket
    name = instance_name(tmp_path, runtime_dir=str(runtime_dir))
    assert Path(name).parent == runtime_dir
    assert Path(name).exists(), "a killed instance should leave its socket file behind"

    # The next start finds nobody behind it, takes the name over and works.
    assert finished(hand_off(tmp_path, ["x"], child_env)) == 4
    server = InstanceServer(name)
    assert server.listen(), server.error_text
    try:
        with qtbot.waitSignal(server.message_received, timeout=15000) as signal:
            process = hand_off(tmp_path, ["after", "crash"], child_env)
        assert signal.args == [["after", "crash"]]
        assert finished(process) == 0
    finally:
        server.close()


@pytest.mark.skipif(sys.platform == "win32", reason="uses a Unix socket file")
def test_a_stale_socket_file_is_replaced(qtbot: QtBot, runtime_dir: Path, tmp_path: Path) -> None:
    name = instance_name(tmp_path, runtime_dir=str(runtime_dir))
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(name)
    stale.close()  # the file stays; connecting to it is refused
    server = InstanceServer(name)
    try:
        assert server.listen(), server.error_text
    finally:
        server.close()


def test_a_live_instance_is_not_taken_over(
    qtbot: QtBot, tmp_path: Path, runtime_dir: Path, child_env: dict[str, str]
) -> None:
    name = instance_name(tmp_path, runtime_dir=str(runtime_dir))
    first = InstanceServer(name)
    assert first.listen(), first.error_text
    second = InstanceServer(name)
    try:
        assert not second.listen()
        assert second.error_text == "Parley is already running for this data folder."
        with qtbot.waitSignal(first.message_received, timeout=15000) as signal:
            process = hand_off(tmp_path, ["still", "here"], child_env)
        assert signal.args == [["still", "here"]]
        assert finished(process) == 0
    finally:
        second.close()
        first.close()


def test_different_data_dirs_do_not_collide(
    qtbot: QtBot, tmp_path: Path, runtime_dir: Path, child_env: dict[str, str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    name_one = instance_name(one, runtime_dir=str(runtime_dir))
    name_two = instance_name(two, runtime_dir=str(runtime_dir))
    assert name_one != name_two
    server_one, server_two = InstanceServer(name_one), InstanceServer(name_two)
    got_one: list[list[str]] = []
    server_one.message_received.connect(got_one.append)
    try:
        assert server_one.listen(), server_one.error_text
        assert server_two.listen(), server_two.error_text
        with qtbot.waitSignal(server_two.message_received, timeout=15000) as signal:
            process = hand_off(two, ["for", "two"], child_env)
        assert signal.args == [["for", "two"]]
        assert finished(process) == 0
        assert got_one == []
    finally:
        server_one.close()
        server_two.close()


def test_a_garbage_client_is_dropped_and_the_server_keeps_working(
    qtbot: QtBot, tmp_path: Path, runtime_dir: Path, child_env: dict[str, str]
) -> None:
    from PySide6.QtNetwork import QLocalSocket

    name = instance_name(tmp_path, runtime_dir=str(runtime_dir))
    server = InstanceServer(name)
    received: list[list[str]] = []
    server.message_received.connect(received.append)
    assert server.listen(), server.error_text
    garbage = QLocalSocket()
    try:
        garbage.connectToServer(name)
        qtbot.waitUntil(lambda: garbage.state() == QLocalSocket.LocalSocketState.ConnectedState, timeout=5000)
        garbage.write(b'{"args": [1, 2]}\n')
        qtbot.waitUntil(
            lambda: garbage.state() == QLocalSocket.LocalSocketState.UnconnectedState, timeout=5000
        )
        assert received == []
        with qtbot.waitSignal(server.message_received, timeout=15000) as signal:
            process = hand_off(tmp_path, ["fine"], child_env)
        assert signal.args == [["fine"]]
        assert finished(process) == 0
    finally:
        garbage.abort()
        server.close()


def test_names_are_per_user_and_resolved_directory(tmp_path: Path, runtime_dir: Path) -> None:
    name = instance_name(tmp_path, runtime_dir=str(runtime_dir))
    assert name == instance_name(tmp_path / "sub" / "..", runtime_dir=str(runtime_dir))
    assert name != instance_name(tmp_path / "other", runtime_dir=str(runtime_dir))
    assert Path(name).name.startswith("parley-")
    assert Path(name).name != "parley"
    if sys.platform != "win32":
        # Without a runtime directory: a bare hashed name that Qt places in the temp directory.
        missing = str(tmp_path / "no-such-dir")
        bare = instance_name(tmp_path, runtime_dir=missing)
        assert bare == Path(name).name.removesuffix(".sock")
        assert "/" not in bare


def test_message_format_round_trips_and_rejects_garbage() -> None:
    line = encode_message(ARGS)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert decode_message(line.rstrip(b"\n")) == ARGS
    for garbage in (b"", b"not json", b"[]", b'{"args": "x"}', b'{"args": [1]}', b'{"other": []}'):
        assert decode_message(garbage) is None
