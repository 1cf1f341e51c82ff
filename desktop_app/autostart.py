"""Launch at login: an XDG autostart entry on Linux, the HKCU Run key on Windows, a LaunchAgent on macOS.

    autostart = for_platform()                    # or with injected directories in tests
    autostart.enable(default_command())           # argv of the program to start at login
    autostart.is_enabled()
    autostart.disable()

What each platform stores is built by pure functions (`desktop_entry`, `run_key_value`,
`launch_agent_plist`) so it can be checked anywhere. Failures to write are `AutostartError` with
one line for the user.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import plistlib
import subprocess
import sys
import xml.parsers.expat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from desktop_app import APP_NAME
from desktop_app.core.errors import ParleyError

APP_ID = "org.parley.Parley"  # the .desktop name and macOS bundle id used by the packages
RUN_KEY_PATH = r"Software\Microsoft\Windows\CurrentVersion\Run"

# Desktop Entry spec: an argument with any of these must be quoted in Exec.
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class AutostartError(ParleyError):
    """Launch at login could not be switched; `str()` is one line for the user."""


def default_command(*, extra_args: Sequence[str] = ()) -> list[str]:
    """How to start this installation again: the bundle executable when frozen, the AppImage file
    when running from one, otherwise this Python with `-m desktop_app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *extra_args]
    appimage = os.environ.get("APPIMAGE")
    if appimage:
        return [appimage, *extra_args]
    return [sys.executable, "-m", "desktop_app", *extra_args]


# --- Linux ---------------------------------------------------------------------------------------


def desktop_exec(command: Sequence[str]) -> str:
    """`command` as a Desktop Entry Exec value: reserved characters quoted, `%` doubled, and the
    string-value escaping of backslashes applied on top (so one backslash becomes four)."""
    if not command:
        raise ValueError("empty command")
    parts = []
    for argument in command:
        text = argument.replace("%", "%%")
        if not text or any(ch in _EXEC_RESERVED for ch in text):
            escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in text)
            text = f'"{escaped}"'
        parts.append(text)
    joined = " ".join(parts)
    # The key-file layer: a backslash in a string value is written as two.
    return joined.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def desktop_entry(command: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Chat with large language models\n"
        f"Exec={desktop_exec(command)}\n"
        "Icon=parley\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


class XdgAutostart:
    """`$XDG_CONFIG_HOME/autostart/org.parley.Parley.desktop`."""

    def __init__(self, config_home: Path) -> None:
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"

    def enable(self, command: Sequence[str]) -> None:
        _write(self.path, desktop_entry(command).encode())

    def disable(self) -> None:
        _remove(self.path)

    def is_enabled(self) -> bool:
        """The entry exists and was not switched off by the desktop's own startup settings."""
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
        try:
            parser.read_string(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, configparser.Error):
            return False
        if not parser.has_section("Desktop Entry"):
            return False
        entry = parser["Desktop Entry"]
        return (
            entry.get("Hidden", "false").strip().lower() != "true"
            and entry.get("X-GNOME-Autostart-enabled", "true").strip().lower() != "false"
        )


# --- macOS ---------------------------------------------------------------------------------------


def launch_agent_plist(command: Sequence[str], label: str = APP_ID) -> bytes:
    return plistlib.dumps(
        {
            "Label": label,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


class LaunchAgentAutostart:
    """`~/Library/LaunchAgents/org.parley.Parley.plist`, read by launchd at the next login."""

    def __init__(self, home: Path) -> None:
        self.path = home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"

    def enable(self, command: Sequence[str]) -> None:
        _write(self.path, launch_agent_plist(command))

    def disable(self) -> None:
        _remove(self.path)

    def is_enabled(self) -> bool:
        try:
            document = plistlib.loads(self.path.read_bytes())
        # InvalidFileException is a ValueError; a cut-off XML file raises expat's own error.
        except (OSError, ValueError, xml.parsers.expat.ExpatError):
            return False
        return isinstance(document, dict) and document.get("Label") == APP_ID and not document.get("Disabled")


# --- Windows -------------------------------------------------------------------------------------


def run_key_value(command: Sequence[str]) -> str:
    """The Run value's data: the command line Windows will execute, quoted the Windows way."""
    if not command:
        raise ValueError("empty command")
    return subprocess.list2cmdline(list(command))


class RunKey(Protocol):
    """String values under HKCU\\...\\Run (winreg in the app, anything equivalent in tests)."""

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class WinregRunKey:
    """The real HKCU Run key."""

    def __init__(self) -> None:
        import winreg  # Windows only

        self._winreg: Any = winreg

    def get(self, name: str) -> str | None:
        reg = self._winreg
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY_PATH) as key:
                value, kind = reg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return value if kind in (reg.REG_SZ, reg.REG_EXPAND_SZ) and isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        reg = self._winreg
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, reg.KEY_SET_VALUE) as key:
            reg.SetValueEx(key, name, 0, reg.REG_SZ, value)

    def delete(self, name: str) -> None:
        reg = self._winreg
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, reg.KEY_SET_VALUE) as key:
                reg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


class RunKeyAutostart:
    def __init__(self, run_key: RunKey, value_name: str = APP_NAME) -> None:
        self._key = run_key
        self._name = value_name

    def enable(self, command: Sequence[str]) -> None:
        try:
            self._key.set(self._name, run_key_value(command))
        except OSError as error:
            raise AutostartError(f"Cannot turn on launch at login: {error.strerror or error}") from error

    def disable(self) -> None:
        try:
            self._key.delete(self._name)
        except OSError as error:
            raise AutostartError(f"Cannot turn off launch at login: {error.strerror or error}") from error

    def is_enabled(self) -> bool:
        try:
            return bool(self._key.get(self._name))
        except OSError:
            return False


# --- choosing ------------------------------------------------------------------------------------


class Autostart(Protocol):
    def enable(self, command: Sequence[str]) -> None: ...
    def disable(self) -> None: ...
    def is_enabled(self) -> bool: ...


def for_platform(
    platform: str = sys.platform,
    *,
    config_home: Path | None = None,
    home: Path | None = None,
    run_key: RunKey | None = None,
) -> Autostart:
    """The launch-at-login switch for `platform`; every location can be injected."""
    if platform == "win32":
        return RunKeyAutostart(run_key if run_key is not None else WinregRunKey())
    if platform == "darwin":
        return LaunchAgentAutostart(home if home is not None else Path.home())
    if config_home is None:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        # The spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
        config_home = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return XdgAutostart(config_home)


def _write(path: Path, content: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half an entry."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise AutostartError(
            f"Cannot turn on launch at login: {error.strerror or error} ({path.parent})"
        ) from error


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        reason = error.strerror or error
        raise AutostartError(f"Cannot turn off launch at login: {reason} ({path})") from error
