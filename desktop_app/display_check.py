"""Can Qt open a window here? Asked before the QApplication exists, because when it cannot, Qt
aborts the process (exit 134) with only "Reinstalling the application may fix this problem".

Linux only, and only for the platforms that need a display server: xcb (X11) and wayland, as
Qt would pick them (QT_QPA_PLATFORM, else "wayland;xcb" when WAYLAND_DISPLAY is set or the
session is Wayland, else "xcb"). offscreen, minimal, vnc and the rest need nothing here.
The answer is one line for the terminal, or None when one of the platforms Qt would try can
work. When unsure, it says nothing: a check must never stop an app that would have started.

The system is reached through two small protocols (`Libraries`, `Displays`) so the decisions
are tested with fakes; `SystemLibraries` and `SystemDisplays` are the real ones (ctypes).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:  # imported where used: the offscreen, Windows and macOS starts need neither
    import ctypes

ADVICE: Final = "Start Parley from a desktop session, set DISPLAY, or use `parley ask` in a terminal."
WAYLAND_CONNECT_TIMEOUT: Final = 2.0  # seconds; a local socket answers at once or not at all


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library Qt loads from the OS, and the package that has it per distribution."""

    soname: str
    apt: str  # Debian, Ubuntu
    dnf: str  # Fedora


_KNOWN: Final = {
    library.soname: library
    for library in (
        SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
        SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
        SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
        SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
        SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
        SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
        SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
        SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
        SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
        SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
        SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
        SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
        SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
        SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
        SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
        SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
        SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
        SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
        SystemLibrary("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
        SystemLibrary("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
        SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx"),
        SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl"),
        SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
        SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype"),
        SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
        SystemLibrary("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
        SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
    )
}

# What each part links from the OS (DT_NEEDED of PySide6's own files, without the C/C++
# runtime); tests/unit/test_display_check.py compares these with the installed PySide6.
# QtGui, QtWidgets and QtDBus: needed to import PySide6's GUI modules at all, on any platform.
GUI_LIBRARIES: Final = (
    "libEGL.so.1",
    "libGL.so.1",
    "libfontconfig.so.1",
    "libfreetype.so.6",
    "libxkbcommon.so.0",
    "libX11.so.6",
    "libglib-2.0.so.0",
    "libgthread-2.0.so.0",
    "libdbus-1.so.3",
)
# platforms/libqxcb.so and libQt6XcbQpa.
XCB_LIBRARIES: Final = (
    "libxcb.so.1",
    "libX11-xcb.so.1",
    "libX11.so.6",
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-image.so.0",
    "libxcb-keysyms.so.1",
    "libxcb-randr.so.0",
    "libxcb-render.so.0",
    "libxcb-render-util.so.0",
    "libxcb-shape.so.0",
    "libxcb-shm.so.0",
    "libxcb-sync.so.1",
    "libxcb-util.so.1",
    "libxcb-xfixes.so.0",
    "libxcb-xkb.so.1",
    "libxkbcommon.so.0",
    "libxkbcommon-x11.so.0",
    "libGL.so.1",
    "libglib-2.0.so.0",
    "libgthread-2.0.so.0",
)
# platforms/libqwayland.so and libQt6WaylandClient.
WAYLAND_LIBRARIES: Final = (
    "libwayland-client.so.0",
    "libwayland-cursor.so.0",
    "libxkbcommon.so.0",
    "libGL.so.1",
)

# xcb_connection_has_error() codes that say more than "could not connect".
_XCB_PARSE_ERROR: Final = 5
_XCB_INVALID_SCREEN: Final = 6


class Libraries(Protocol):
    def loads(self, soname: str) -> bool:
        """Whether the dynamic loader can load this library (by its soname, as Qt's files ask)."""
        ...


class Displays(Protocol):
    def x11_error(self, display: str) -> int:
        """0 when the X server at `display` (a DISPLAY value) accepts a connection, else
        xcb_connection_has_error()'s code. Needs libxcb.so.1, checked before."""
        ...

    def wayland_answers(self, socket_path: str) -> bool:
        """Whether a Wayland compositor accepts connections on this socket."""
        ...


def diagnose(
    env: Mapping[str, str], libraries: Libraries, displays: Displays, *, platform: str = sys.platform
) -> str | None:
    """One line saying why Qt cannot open a window here and what to do, or None when it can
    (or the platform needs no display, or this is not Linux)."""
    if not platform.startswith("linux"):
        return None
    candidates = qt_platforms(env)
    if not candidates or any(not (name == "xcb" or name.startswith("wayland")) for name in candidates):
        return None  # offscreen, minimal, vnc, eglfs …: nothing to check; unknown: Qt has its say
    problems: list[str] = []
    for name in candidates:
        check = _xcb_problem if name == "xcb" else _wayland_problem
        problem = check(env, libraries, displays)
        if problem is None:
            return None
        problems.append(problem)
    return _the_one_meant(candidates, env, problems)


def qt_platforms(env: Mapping[str, str]) -> tuple[str, ...]:
    """The platform plugins Qt 6 tries, in order, in this environment (measured with Qt 6.11:
    "wayland;xcb" when WAYLAND_DISPLAY is set or XDG_SESSION_TYPE is wayland, else "xcb")."""
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        names = (part.split(":", 1)[0].strip() for part in requested.split(";"))
        return tuple(name for name in names if name)
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return ("wayland", "xcb")
    return ("xcb",)


def missing_gui_libraries(libraries: Libraries, *, platform: str = sys.platform) -> str | None:
    """For an import of PySide6's GUI modules that failed: which OS libraries it needs are
    missing, as one line with the packages to install; None when none of the known ones is
    (or this is not Linux)."""
    if not platform.startswith("linux"):
        return None
    return _missing(GUI_LIBRARIES, libraries, "Qt cannot start")


def _xcb_problem(env: Mapping[str, str], libraries: Libraries, displays: Displays) -> str | None:
    display = env.get("DISPLAY", "")
    if not display:
        return f"no display found (DISPLAY is not set). {ADVICE}"
    missing = _missing(XCB_LIBRARIES, libraries, "Qt cannot open the display")
    if missing is not None:
        return missing
    error = displays.x11_error(display)
    if error == 0:
        return None
    if error == _XCB_PARSE_ERROR:
        return f"DISPLAY={display} is not a display name (like :0). {ADVICE}"
    if error == _XCB_INVALID_SCREEN:
        return f"the X display {display} has no such screen. {ADVICE}"
    return (
        f"cannot connect to the X display {display}: no X server answers there, "
        f"or it refused the connection. {ADVICE}"
    )


def _wayland_problem(env: Mapping[str, str], libraries: Libraries, displays: Displays) -> str | None:
    if env.get("WAYLAND_SOCKET"):
        return None  # the compositor handed over a connected socket: nothing to look up
    given = env.get("WAYLAND_DISPLAY", "")
    name = given or "wayland-0"  # libwayland's default
    path = _wayland_socket(name, env.get("XDG_RUNTIME_DIR", ""))
    if path is not None and displays.wayland_answers(path):
        return _missing(WAYLAND_LIBRARIES, libraries, "Qt cannot open the display")
    if not given:
        return f"no display found (WAYLAND_DISPLAY is not set). {ADVICE}"
    if path is None:
        return f"cannot connect to the Wayland display {name}: XDG_RUNTIME_DIR is not set. {ADVICE}"
    return f"cannot connect to the Wayland display {name}: no compositor answers at {path}. {ADVICE}"


def _wayland_socket(name: str, runtime_dir: str) -> str | None:
    """Where libwayland looks for the compositor: an absolute name as it is, else in the
    runtime folder (None: there is none)."""
    if name.startswith("/"):
        return name
    return f"{runtime_dir.rstrip('/')}/{name}" if runtime_dir else None


def _the_one_meant(candidates: tuple[str, ...], env: Mapping[str, str], problems: list[str]) -> str:
    """Of several platforms that all fail, the one the user meant: the first whose display
    variable is set (its libraries or its server are the problem); with none set, X11's."""
    variables = ["DISPLAY" if name == "xcb" else "WAYLAND_DISPLAY" for name in candidates]
    for variable, problem in zip(variables, problems, strict=True):
        if env.get(variable):
            return problem
    return problems[variables.index("DISPLAY")] if "DISPLAY" in variables else problems[0]


def _missing(sonames: Iterable[str], libraries: Libraries, what: str) -> str | None:
    missing = [_KNOWN[soname] for soname in dict.fromkeys(sonames) if not libraries.loads(soname)]
    if not missing:
        return None
    names = ", ".join(library.soname for library in missing)
    apt = " ".join(dict.fromkeys(library.apt for library in missing))
    dnf = " ".join(dict.fromkeys(library.dnf for library in missing))
    some, them = ("libraries", "them") if len(missing) > 1 else ("library", "it")
    return (
        f"{what}: missing system {some} {names}. Install {them}: "
        f"sudo apt install {apt} (Debian/Ubuntu) or sudo dnf install {dnf} (Fedora)."
    )


class SystemLibraries:
    """Asks the dynamic loader itself (search path, LD_LIBRARY_PATH, a bundle's own folder).
    A library loaded here stays loaded; Qt would load it a moment later anyway."""

    def loads(self, soname: str) -> bool:
        import ctypes

        try:
            ctypes.CDLL(soname)
        except OSError:
            return False
        return True


class SystemDisplays:
    """Connects the way Qt will: libxcb for X11 (so local and TCP displays, abstract sockets
    and Xauthority are all handled as Qt's xcb plugin sees them), a socket for Wayland.

    A working X connection is held until `close()`, which the app calls once Qt has connected:
    an X server with no other client (Xvfb, as under xvfb-run) resets itself when its last
    client leaves, and a probe closed just before Qt connects made Qt's connection fail in that
    moment ("could not connect to display")."""

    def __init__(self) -> None:
        self._xcb: ctypes.CDLL | None = None
        self._held: list[int] = []

    @property
    def held(self) -> int:
        """How many X connections are held open (tests)."""
        return len(self._held)

    def x11_error(self, display: str) -> int:
        xcb = self._library()
        # xcb_connect never returns NULL: a failed connection is an object that reports its error.
        connection = xcb.xcb_connect(display.encode(), None)
        error = int(xcb.xcb_connection_has_error(connection))
        if error:
            xcb.xcb_disconnect(connection)
        else:
            self._held.append(connection)
        return error

    def close(self) -> None:
        """Let go of the connections held since the check (Qt has its own by now)."""
        held, self._held = self._held, []
        if held and self._xcb is not None:
            for connection in held:
                self._xcb.xcb_disconnect(connection)

    def __enter__(self) -> SystemDisplays:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _library(self) -> ctypes.CDLL:
        if self._xcb is None:
            import ctypes

            xcb = ctypes.CDLL("libxcb.so.1")
            xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
            xcb.xcb_connect.restype = ctypes.c_void_p
            xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
            xcb.xcb_connection_has_error.restype = ctypes.c_int
            xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
            xcb.xcb_disconnect.restype = None
            self._xcb = xcb
        return self._xcb

    def wayland_answers(self, socket_path: str) -> bool:
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(WAYLAND_CONNECT_TIMEOUT)
            try:
                probe.connect(socket_path)
            except OSError:
                return False
        return True
