"""display_check: environment and system in, one line out. The system is a fake that implements
the same two small protocols as the real one; the library lists are compared with the files of
the installed PySide6 itself."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import PySide6
import pytest

from desktop_app.display_check import (
    ADVICE,
    GUI_LIBRARIES,
    WAYLAND_LIBRARIES,
    XCB_LIBRARIES,
    SystemDisplays,
    SystemLibraries,
    diagnose,
    missing_gui_libraries,
    qt_platforms,
)
from tests.support.xvfb import private_xvfb

QT = Path(PySide6.__file__).parent / "Qt"
REPO = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux display check")


class FakeLibraries:
    def __init__(self, missing: Iterable[str] = ()) -> None:
        self.missing = set(missing)
        self.asked: list[str] = []

    def loads(self, soname: str) -> bool:
        self.asked.append(soname)
        return soname not in self.missing


class FakeDisplays:
    """X servers by DISPLAY value (value: xcb's error code), compositors by socket path."""

    def __init__(self, x11: dict[str, int] | None = None, wayland: Collection[str] = ()) -> None:
        self.x11 = x11 or {}
        self.wayland = set(wayland)
        self.connected: list[str] = []

    def x11_error(self, display: str) -> int:
        self.connected.append(display)
        return self.x11.get(display, 1)  # 1: XCB_CONN_ERROR, nothing listens there

    def wayland_answers(self, socket_path: str) -> bool:
        self.connected.append(socket_path)
        return socket_path in self.wayland


def check(
    env: dict[str, str],
    libraries: FakeLibraries | None = None,
    displays: FakeDisplays | None = None,
    platform: str = "linux",
) -> str | None:
    return diagnose(env, libraries or FakeLibraries(), displays or FakeDisplays(), platform=platform)


# --- which platforms Qt tries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "platforms"),
    [
        ({}, ("xcb",)),
        ({"DISPLAY": ":0"}, ("xcb",)),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, ("wayland", "xcb")),
        ({"XDG_SESSION_TYPE": "wayland"}, ("wayland", "xcb")),
        ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, ("xcb",)),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, ("xcb",)),
        ({"QT_QPA_PLATFORM": "wayland-egl;xcb:nograb"}, ("wayland-egl", "xcb")),
        ({"QT_QPA_PLATFORM": " offscreen "}, ("offscreen",)),
    ],
)
def test_the_platforms_qt_tries(env: dict[str, str], platforms: tuple[str, ...]) -> None:
    assert qt_platforms(env) == platforms


# --- no display ------------------------------------------------------------------------------------


def test_no_display_at_all_is_one_line_with_what_to_do() -> None:
    libraries, displays = FakeLibraries(), FakeDisplays()
    line = check({}, libraries, displays)
    assert line == (
        "no display found (DISPLAY is not set). Start Parley from a desktop session, set DISPLAY, "
        "or use `parley ask` in a terminal."
    )
    assert (libraries.asked, displays.connected) == ([], [])  # nothing to load or connect to


def test_a_display_nobody_answers_on_is_named() -> None:
    line = check({"DISPLAY": ":7"}, displays=FakeDisplays(x11={}))
    assert line == (
        "cannot connect to the X display :7: no X server answers there, or it refused the connection. "
        + ADVICE
    )


def test_a_malformed_display_name_is_named() -> None:
    assert check({"DISPLAY": "nonsense"}, displays=FakeDisplays(x11={"nonsense": 5})) == (
        f"DISPLAY=nonsense is not a display name (like :0). {ADVICE}"
    )


def test_a_working_x_display_passes_after_one_connection() -> None:
    libraries, displays = FakeLibraries(), FakeDisplays(x11={":0": 0})
    assert check({"DISPLAY": ":0"}, libraries, displays) is None
    assert displays.connected == [":0"]
    assert set(libraries.asked) == set(XCB_LIBRARIES)


# --- missing libraries -----------------------------------------------------------------------------


def test_missing_xcb_libraries_are_named_with_their_packages() -> None:
    libraries = FakeLibraries({"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"})
    displays = FakeDisplays(x11={":0": 0})
    line = check({"DISPLAY": ":0"}, libraries, displays)
    assert line == (
        "Qt cannot open the display: missing system libraries libxcb-cursor.so.0, libxcb-icccm.so.4, "
        "libxkbcommon-x11.so.0. Install them: sudo apt install libxcb-cursor0 libxcb-icccm4 "
        "libxkbcommon-x11-0 (Debian/Ubuntu) or sudo dnf install xcb-util-cursor xcb-util-wm "
        "libxkbcommon-x11 (Fedora)."
    )
    assert displays.connected == []  # no connection attempt without the libraries for it


def test_one_missing_library_and_shared_packages_read_well() -> None:
    line = check({"DISPLAY": ":0"}, FakeLibraries({"libxcb-cursor.so.0"}), FakeDisplays(x11={":0": 0}))
    assert line is not None
    assert "missing system library libxcb-cursor.so.0. Install it: sudo apt install libxcb-cursor0 (" in line

    # Several sonames from one Fedora package name it once.
    line = check(
        {"DISPLAY": ":0"}, FakeLibraries({"libxcb-shm.so.0", "libxcb-sync.so.1"}), FakeDisplays(x11={":0": 0})
    )
    assert line is not None
    assert "sudo dnf install libxcb (Fedora)." in line
    assert "sudo apt install libxcb-shm0 libxcb-sync1 (Debian/Ubuntu)" in line


def test_no_display_is_said_before_missing_libraries() -> None:
    line = check({}, FakeLibraries(XCB_LIBRARIES))
    assert line is not None
    assert line.startswith("no display found")


def test_missing_gui_libraries_for_a_failed_import() -> None:
    assert missing_gui_libraries(FakeLibraries(), platform="linux") is None
    assert missing_gui_libraries(FakeLibraries(GUI_LIBRARIES), platform="win32") is None
    assert missing_gui_libraries(FakeLibraries({"libEGL.so.1", "libfontconfig.so.1"}), platform="linux") == (
        "Qt cannot start: missing system libraries libEGL.so.1, libfontconfig.so.1. Install them: "
        "sudo apt install libegl1 libfontconfig1 (Debian/Ubuntu) or sudo dnf install libglvnd-egl "
        "fontconfig (Fedora)."
    )


# --- platforms that need no display; other systems ---------------------------------------------------


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc", "eglfs", "xcb;offscreen", "no-such-one"])
def test_platforms_without_a_display_server_are_not_checked(platform: str) -> None:
    libraries, displays = FakeLibraries(XCB_LIBRARIES), FakeDisplays()
    assert check({"QT_QPA_PLATFORM": platform}, libraries, displays) is None
    assert (libraries.asked, displays.connected) == ([], [])


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_other_systems_are_not_checked(platform: str) -> None:
    assert check({}, platform=platform) is None


# --- Wayland -----------------------------------------------------------------------------------------


def test_a_wayland_session_passes_without_touching_x11() -> None:
    displays = FakeDisplays(wayland={"/run/user/1000/wayland-0"})
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1000/", "DISPLAY": ":0"}
    assert check(env, displays=displays) is None
    assert displays.connected == ["/run/user/1000/wayland-0"]


def test_wayland_falls_back_to_x11_like_qt() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1000", "DISPLAY": ":0"}
    assert check(env, displays=FakeDisplays(x11={":0": 0})) is None  # the compositor is gone; Xwayland works


def test_a_dead_wayland_socket_without_x11_is_named() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": "/run/user/1000"}
    assert check(env) == (
        "cannot connect to the Wayland display wayland-1: no compositor answers at "
        f"/run/user/1000/wayland-1. {ADVICE}"
    )


def test_wayland_without_a_runtime_folder_is_named() -> None:
    assert check({"WAYLAND_DISPLAY": "wayland-0"}) == (
        f"cannot connect to the Wayland display wayland-0: XDG_RUNTIME_DIR is not set. {ADVICE}"
    )


def test_an_absolute_wayland_socket_and_a_handed_over_one() -> None:
    displays = FakeDisplays(wayland={"/tmp/compositor.sock"})
    assert check({"WAYLAND_DISPLAY": "/tmp/compositor.sock"}, displays=displays) is None
    assert check({"QT_QPA_PLATFORM": "wayland", "WAYLAND_SOCKET": "5"}) is None


def test_missing_wayland_libraries_are_named_when_the_compositor_answers() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1000"}
    line = check(
        env, FakeLibraries({"libwayland-cursor.so.0"}), FakeDisplays(wayland={"/run/user/1000/wayland-0"})
    )
    assert line == (
        "Qt cannot open the display: missing system library libwayland-cursor.so.0. Install it: "
        "sudo apt install libwayland-cursor0 (Debian/Ubuntu) or sudo dnf install libwayland-cursor (Fedora)."
    )


def test_when_both_fail_the_platform_with_a_display_variable_is_reported() -> None:
    # A Wayland session type but only an X display given: its problem is the one to fix.
    env = {"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0", "XDG_RUNTIME_DIR": "/run/user/1000"}
    line = check(env, FakeLibraries({"libxcb-cursor.so.0"}))
    assert line is not None
    assert "libxcb-cursor.so.0" in line
    # Neither set: the X11 wording, as for a plain X11 system.
    line = check({"XDG_SESSION_TYPE": "wayland", "XDG_RUNTIME_DIR": "/run/user/1000"})
    assert line is not None
    assert line.startswith("no display found (DISPLAY is not set).")


# --- the lists against the installed PySide6 ----------------------------------------------------------

RUNTIME = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2", "libz.so.1"}


@pytest.fixture
def elf_needed(monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], list[str]]:
    """packaging/bundle_contents.py's reader of an ELF file's DT_NEEDED entries."""
    monkeypatch.syspath_prepend(str(REPO / "packaging"))
    reader: Callable[[bytes], list[str]] = importlib.import_module("bundle_contents").elf_needed
    return reader


def system_needs(elf_needed: Callable[[bytes], list[str]], files: Iterable[Path]) -> set[str]:
    """The OS libraries these files link directly (not Qt's own, not the C/C++ runtime)."""
    needed = {name for file in files for name in elf_needed(file.read_bytes())}
    return {name for name in needed if not name.startswith(("libQt6", "libicu")) and name not in RUNTIME}


@linux_only
@pytest.mark.parametrize(
    ("listed", "files"),
    [
        (XCB_LIBRARIES, ["plugins/platforms/libqxcb.so", "lib/libQt6XcbQpa.so.6"]),
        (WAYLAND_LIBRARIES, ["plugins/platforms/libqwayland.so", "lib/libQt6WaylandClient.so.6"]),
        (GUI_LIBRARIES, ["lib/libQt6Gui.so.6", "lib/libQt6Widgets.so.6", "lib/libQt6DBus.so.6"]),
    ],
)
def test_the_lists_match_what_pyside6_links(
    listed: tuple[str, ...], files: list[str], elf_needed: Callable[[bytes], list[str]]
) -> None:
    paths = [QT / file for file in files]
    if not all(path.exists() for path in paths):
        pytest.skip("this PySide6 has no such files")
    assert system_needs(elf_needed, paths) == set(listed)


# --- the real system (this machine) -------------------------------------------------------------------


@linux_only
def test_the_real_loader_finds_the_c_library_and_not_a_made_up_one() -> None:
    libraries = SystemLibraries()
    assert libraries.loads("libc.so.6")
    assert not libraries.loads("libparley-no-such-library.so.9")


@linux_only
def test_the_real_probes_see_nothing_where_nothing_listens(tmp_path: Path) -> None:
    displays = SystemDisplays()
    assert not displays.wayland_answers(str(tmp_path / "wayland-0"))
    if SystemLibraries().loads("libxcb.so.1"):
        assert displays.x11_error("nonsense") == 5  # XCB_CONN_CLOSED_PARSE_ERR
        assert displays.x11_error(":64999") != 0


@linux_only
def test_a_working_x_connection_is_held_until_qt_has_its_own() -> None:
    """Closing the probe at once let an Xvfb with no other client reset itself just as Qt
    connected ("could not connect to display", seen in a stress run): it is held until close()."""
    if not (shutil.which("Xvfb") and SystemLibraries().loads("libxcb.so.1")):
        pytest.skip("needs Xvfb and libxcb")
    with private_xvfb("640x480x24") as display, SystemDisplays() as displays:
        assert displays.x11_error(display) == 0
        assert displays.held == 1
        assert displays.x11_error(":64999") != 0
        assert displays.held == 1  # a failed connection is not kept
    assert displays.held == 0
