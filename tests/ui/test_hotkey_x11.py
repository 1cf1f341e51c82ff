"""The X11 global shortcut for real: a subprocess on the xcb platform grabs a combination on the
display, `xdotool` presses it, the subprocess reports `activated`; a second process asking for the
same combination is told another application has it. Needs DISPLAY (Xvfb in CI) and xdotool."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.display

HOTKEY_SCRIPT = """
import sys
from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtGui import QGuiApplication
from desktop_app.ui.hotkey import create_global_hotkey

app = QGuiApplication(sys.argv[:1])
hotkey = create_global_hotkey()
print("backend", type(hotkey).__name__, flush=True)
count = 0

def activated():
    global count
    count += 1
    print("activated", count, flush=True)

def command():
    line = sys.stdin.readline().strip()
    if line == "unregister":
        hotkey.unregister()
        print("unregistered", flush=True)
    elif line.startswith("register "):
        ok = hotkey.register(line.removeprefix("register "))
        print("registered" if ok else "failed: " + hotkey.error_text, flush=True)
    else:
        app.quit()

hotkey.activated.connect(activated)
commands = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
commands.activated.connect(command)
QTimer.singleShot(30000, lambda: app.exit(3))  # never outlive a broken test
print("ready", flush=True)
sys.exit(app.exec())
"""


class HotkeyProcess:
    """A Qt process on the real display that registers shortcuts on command."""

    def __init__(self) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOTKEY_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.line() == "backend X11Hotkey"
        assert self.line() == "ready"

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 15.0) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            _, stderr = self.process.communicate()
            raise AssertionError(f"no output within {timeout} s; stderr: {stderr}") from None

    def send(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.line()

    def close(self) -> str:
        """Ask it to quit; its stderr (Qt warnings would show up here)."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass
        try:
            _, stderr = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return stderr


def press(keys: str) -> None:
    subprocess.run(["xdotool", "key", "--clearmodifiers", keys], check=True, timeout=10)


@pytest.fixture(scope="module")
def display() -> None:
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display (DISPLAY is not set; CI runs the tests under Xvfb)")
    if shutil.which("xdotool") is None:
        pytest.skip("needs xdotool (apt-get install xdotool)")
    probe = subprocess.run(
        [sys.executable, "-c", "from PySide6.QtGui import QGuiApplication; QGuiApplication([])"],
        env={**os.environ, "QT_QPA_PLATFORM": "xcb"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        pytest.skip(f"Qt cannot use the xcb platform here: {probe.stderr.strip()[-300:]}")


@pytest.fixture
def hotkey_process(display: None) -> Iterator[HotkeyProcess]:
    process = HotkeyProcess()
    try:
        yield process
    finally:
        stderr = process.close()
        assert "XCB error" not in stderr, stderr


def test_pressing_the_combination_activates(hotkey_process: HotkeyProcess) -> None:
    assert hotkey_process.send("register Ctrl+Shift+Space") == "registered"
    press("ctrl+shift+space")
    assert hotkey_process.line() == "activated 1"
    press("ctrl+shift+space")
    assert hotkey_process.line() == "activated 2"


def test_capslock_and_numlock_do_not_matter(hotkey_process: HotkeyProcess) -> None:
    assert hotkey_process.send("register Ctrl+Alt+K") == "registered"
    try:
        press("Caps_Lock")
        press("ctrl+alt+k")
        assert hotkey_process.line() == "activated 1"
        press("Num_Lock")
        press("ctrl+alt+k")
        assert hotkey_process.line() == "activated 2"
    finally:
        press("Caps_Lock")
        press("Num_Lock")


def test_a_combination_held_by_another_process_is_reported(
    hotkey_process: HotkeyProcess, display: None
) -> None:
    assert hotkey_process.send("register Ctrl+Shift+Space") == "registered"
    rival = HotkeyProcess()
    try:
        assert rival.send("register Ctrl+Shift+Space") == (
            "failed: Ctrl+Shift+Space is already used by another application; choose another shortcut."
        )
        # The failed attempt left nothing half-grabbed: the first owner still gets the key.
        press("ctrl+shift+space")
        assert hotkey_process.line() == "activated 1"
        # Once the owner lets go, the rival can have it.
        assert hotkey_process.send("unregister") == "unregistered"
        assert rival.send("register Ctrl+Shift+Space") == "registered"
        press("ctrl+shift+space")
        assert rival.line() == "activated 1"
    finally:
        stderr = rival.close()
    assert "XCB error" not in stderr, stderr


def test_registering_again_replaces_the_old_combination(hotkey_process: HotkeyProcess, display: None) -> None:
    assert hotkey_process.send("register Ctrl+Shift+Space") == "registered"
    assert hotkey_process.send("register Ctrl+Alt+J") == "registered"
    # The old combination is free again: another process can take it.
    other = HotkeyProcess()
    try:
        assert other.send("register Ctrl+Shift+Space") == "registered"
    finally:
        other.close()
    press("ctrl+alt+j")
    assert hotkey_process.line() == "activated 1"


def test_an_unusable_sequence_fails_in_plain_words(hotkey_process: HotkeyProcess) -> None:
    assert hotkey_process.send("register Ctrl+A, Ctrl+B") == (
        "failed: Ctrl+A, Ctrl+B is a sequence of keys; a global shortcut is one key combination."
    )
