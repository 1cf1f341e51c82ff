"""Launch at login: the XDG entry for real under tmp_path; what Windows and macOS would store,
checked as data (the Run key through a dict-backed RunKey, the plist by parsing it back)."""

from __future__ import annotations

import os
import plistlib
import stat
import sys
from pathlib import Path

import pytest

from desktop_app.autostart import (
    APP_ID,
    AutostartError,
    LaunchAgentAutostart,
    RunKeyAutostart,
    XdgAutostart,
    default_command,
    desktop_entry,
    desktop_exec,
    for_platform,
    launch_agent_plist,
    run_key_value,
)

COMMAND = ["/opt/Parley App/parley", "--minimized"]


def parse_exec(value: str) -> list[str]:
    """The Desktop Entry spec read side: undo the string escapes, then split the quoted arguments."""
    unescaped, index = "", 0
    while index < len(value):
        ch = value[index]
        if ch == "\\" and index + 1 < len(value):
            unescaped += {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[value[index + 1]]
            index += 2
            continue
        unescaped += ch
        index += 1
    args: list[str] = []
    current: str | None = None
    quoted = False
    index = 0
    while index < len(unescaped):
        ch = unescaped[index]
        if quoted:
            if ch == "\\":
                assert unescaped[index + 1] in '"`$\\', f"bad escape in {value!r}"
                current = (current or "") + unescaped[index + 1]
                index += 1
            elif ch == '"':
                quoted = False
            else:
                current = (current or "") + ch
        elif ch == '"':
            quoted, current = True, current or ""
        elif ch == " ":
            if current is not None:
                args.append(current)
            current = None
        else:
            assert ch not in "\"'\\><~|&;$*?#()`\t\n", f"unquoted reserved {ch!r} in {value!r}"
            current = (current or "") + ch
        index += 1
    assert not quoted, f"unterminated quote in {value!r}"
    if current is not None:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


@pytest.mark.parametrize(
    "command",
    [
        ["parley"],
        ["/usr/bin/python3", "-m", "desktop_app"],
        COMMAND,
        ["/home/ана/Parley/parley", "--data-dir", "/home/ана/Мои данные"],
        ['C:\\odd "path"', "$HOME", "`x`", "100%", "a\\b", ""],
        ["/p", "tab\there", "semi;colon", "~/x", "(paren)"],
    ],
)
def test_exec_value_round_trips_through_the_spec_rules(command: list[str]) -> None:
    assert parse_exec(desktop_exec(command)) == command


def test_exec_value_examples() -> None:
    assert desktop_exec(["parley", "--quick"]) == "parley --quick"
    assert desktop_exec(COMMAND) == '"/opt/Parley App/parley" --minimized'
    assert desktop_exec(["/a\\b"]) == '"/a\\\\\\\\b"'  # one backslash becomes four
    assert desktop_exec(["50%"]) == "50%%"
    with pytest.raises(ValueError, match="empty command"):
        desktop_exec([])


def test_xdg_entry_is_written_read_and_removed(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path / "config")
    entry = tmp_path / "config" / "autostart" / f"{APP_ID}.desktop"
    assert not autostart.is_enabled()

    autostart.enable(COMMAND)
    assert autostart.is_enabled()
    text = entry.read_text(encoding="utf-8")
    assert text == desktop_entry(COMMAND)
    assert text.startswith("[Desktop Entry]\nType=Application\nName=Parley\n")
    assert 'Exec="/opt/Parley App/parley" --minimized\n' in text
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary left behind

    autostart.enable(["parley"])  # enabling again replaces the command
    assert "Exec=parley\n" in entry.read_text(encoding="utf-8")

    autostart.disable()
    assert not entry.exists()
    assert not autostart.is_enabled()
    autostart.disable()  # already off: nothing to do


@pytest.mark.parametrize(
    "line", ["Hidden=true", "X-GNOME-Autostart-enabled=false", "X-GNOME-Autostart-enabled=False"]
)
def test_an_entry_switched_off_by_the_desktop_counts_as_off(tmp_path: Path, line: str) -> None:
    autostart = XdgAutostart(tmp_path)
    autostart.enable(COMMAND)
    text = autostart.path.read_text(encoding="utf-8").replace("X-GNOME-Autostart-enabled=true\n", "")
    autostart.path.write_text(text + line + "\n", encoding="utf-8")
    assert not autostart.is_enabled()


@pytest.mark.parametrize("content", [b"", b"garbage without section", b"\xff\xfe\x00", b"[Other]\nA=b\n"])
def test_a_damaged_entry_counts_as_off(tmp_path: Path, content: bytes) -> None:
    autostart = XdgAutostart(tmp_path)
    autostart.path.parent.mkdir(parents=True)
    autostart.path.write_bytes(content)
    assert not autostart.is_enabled()


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions as a non-root user"
)
def test_an_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(AutostartError, match=r"^Cannot turn on launch at login: Permission denied"):
            XdgAutostart(locked).enable(COMMAND)
    finally:
        locked.chmod(stat.S_IRWXU)


def test_a_file_where_the_folder_should_be_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "autostart").write_text("not a folder")
    with pytest.raises(AutostartError, match=r"^Cannot turn on launch at login: ") as caught:
        XdgAutostart(tmp_path).enable(COMMAND)
    assert "\n" not in str(caught.value)


def test_launch_agent_plist_contents(tmp_path: Path) -> None:
    document = plistlib.loads(launch_agent_plist(COMMAND))
    assert document == {
        "Label": APP_ID,
        "ProgramArguments": COMMAND,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }

    autostart = LaunchAgentAutostart(tmp_path)
    assert not autostart.is_enabled()
    autostart.enable(COMMAND)
    path = tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    assert path.read_bytes() == launch_agent_plist(COMMAND)
    assert autostart.is_enabled()
    path.write_bytes(b"<plist><dict><key>Label</key>")  # damaged
    assert not autostart.is_enabled()
    autostart.disable()
    assert not path.exists()


class DictRunKey:
    """The RunKey protocol over a dict, standing in for HKCU\\...\\Run off Windows."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.fail_with: OSError | None = None

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_run_key_value_is_a_windows_command_line() -> None:
    assert run_key_value(["C:\\Program Files\\Parley\\Parley.exe", "--minimized"]) == (
        '"C:\\Program Files\\Parley\\Parley.exe" --minimized'
    )
    assert run_key_value(["C:\\Parley\\Parley.exe"]) == "C:\\Parley\\Parley.exe"
    assert run_key_value(["C:\\a b\\", 'say "hi"']) == '"C:\\a b\\\\" "say \\"hi\\""'


def test_run_key_autostart_sets_and_deletes_the_parley_value() -> None:
    key = DictRunKey()
    key.values["OtherApp"] = "other.exe"
    autostart = RunKeyAutostart(key)
    assert not autostart.is_enabled()
    autostart.enable(["C:\\Program Files\\Parley\\Parley.exe"])
    assert key.values == {"OtherApp": "other.exe", "Parley": '"C:\\Program Files\\Parley\\Parley.exe"'}
    assert autostart.is_enabled()
    autostart.disable()
    assert key.values == {"OtherApp": "other.exe"}
    assert not autostart.is_enabled()

    key.fail_with = PermissionError(5, "Access is denied")
    with pytest.raises(AutostartError, match=r"^Cannot turn on launch at login: Access is denied$"):
        autostart.enable(["parley.exe"])


def test_for_platform_picks_the_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = DictRunKey()
    assert isinstance(for_platform("win32", run_key=key), RunKeyAutostart)
    mac = for_platform("darwin", home=tmp_path)
    assert isinstance(mac, LaunchAgentAutostart)
    assert mac.path == tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    linux = for_platform("linux")
    assert isinstance(linux, XdgAutostart)
    assert linux.path == tmp_path / "xdg" / "autostart" / f"{APP_ID}.desktop"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    linux = for_platform("linux")
    assert isinstance(linux, XdgAutostart)
    assert linux.path == tmp_path / "home" / ".config" / "autostart" / f"{APP_ID}.desktop"


def test_default_command_starts_this_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPIMAGE", raising=False)
    assert default_command(extra_args=["--minimized"]) == [sys.executable, "-m", "desktop_app", "--minimized"]
    monkeypatch.setenv("APPIMAGE", "/home/u/Parley.AppImage")
    assert default_command() == ["/home/u/Parley.AppImage"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert default_command() == [sys.executable]
