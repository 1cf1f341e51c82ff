"""What goes into the PyInstaller bundle: the Qt modules Parley uses, the Qt plugins it needs,
Qt's translations for the languages it offers, and nothing else of Qt.

PyInstaller has no option for leaving out Qt plugins, so the spec filters `a.binaries` and
`a.datas` through `BundlePolicy.keeps`. Filtering after the analysis leaves the libraries a
dropped plugin would have needed; the Qt-module rule removes those too, and
`missing_qt_libraries` checks the opposite mistake (a kept file needing a dropped Qt library).
Pure functions over destination paths, so they are tested without building.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

# Qt libraries that Parley's Python code never imports but that the platform integration needs.
PLATFORM_QT_MODULES: Final[Mapping[str, frozenset[str]]] = {
    # Gui links DBus on Linux (accessibility, portals, tray); XcbQpa backs the xcb platform
    # plugin; WaylandClient the wayland one; OpenGL the wayland-egl buffer integration.
    "linux": frozenset({"DBus", "XcbQpa", "WaylandClient", "OpenGL"}),
    "windows": frozenset(),
    "macos": frozenset({"DBus"}),  # kept only if something links it
}
# QtSvg draws the SVG icons (imageformats/qsvg, iconengines/qsvgicon link it).
ALWAYS_QT_MODULES: Final = frozenset({"Core", "Gui", "Widgets", "Svg"})

# Plugin folder → plugin names kept (file names without "lib" prefix or suffix); None keeps all.
PLUGINS: Final[Mapping[str, Mapping[str, frozenset[str] | None]]] = {
    "linux": {
        "platforms": frozenset({"qxcb", "qwayland", "qoffscreen"}),
        "platformthemes": frozenset({"qxdgdesktopportal"}),  # follows the desktop's dark mode
        "platforminputcontexts": frozenset(
            {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
        ),
        "iconengines": frozenset({"qsvgicon"}),
        "imageformats": frozenset({"qsvg"}),
        "xcbglintegrations": None,
        "wayland-decoration-client": None,
        "wayland-shell-integration": frozenset({"xdg-shell"}),
        "wayland-graphics-integration-client": frozenset({"qt-plugin-wayland-egl"}),
        "styles": None,
        "accessiblebridge": None,
    },
    "windows": {
        "platforms": frozenset({"qwindows", "qoffscreen"}),
        "iconengines": frozenset({"qsvgicon"}),
        "imageformats": frozenset({"qsvg"}),
        "styles": None,  # qmodernwindowsstyle: the Windows 11 look
        "accessiblebridge": None,
    },
    "macos": {
        "platforms": frozenset({"qcocoa", "qoffscreen"}),
        "iconengines": frozenset({"qsvgicon"}),
        "imageformats": frozenset({"qsvg"}),
        "styles": None,  # qmacstyle
        "accessiblebridge": None,
    },
}
# Qt's own translation catalogues Parley loads (standard dialogs, context menus).
QT_TRANSLATION_CATALOGS: Final = frozenset({"qtbase"})
# Files never shipped: a software OpenGL fallback (~20 MB) that a widgets-only app never loads,
# and Linux libraries that must be the host's own, as AppImage's exclude list also has it:
# fontconfig and FreeType read the host's font configuration (a bundled older fontconfig
# rejects a newer fonts.conf), and libdbus must speak to the host's D-Bus daemon. Every
# desktop has them; leaving out libdbus also leaves out libsystemd and libgcrypt behind it.
DROPPED_FILES: Final = frozenset(
    {"opengl32sw.dll", "libfontconfig.so.1", "libfreetype.so.6", "libdbus-1.so.3"}
)

# Python modules left out of the analysis (and with them the libraries their extensions link).
# Pillow's image plugins all come along (PyInstaller's Pillow hook imports every *ImagePlugin),
# so its optional extensions are named here; their Python wrappers stay and fail softly (AVIF
# files are refused as "AVIF support not installed", ImageFont raises when used).
UNUSED_PYTHON_MODULES: Final = (
    "tkinter",
    "PIL._avif",  # AVIF decoding: libavif, 4.9 MB
    "PIL._imagingft",  # drawing text (FreeType, HarfBuzz, Brotli, libpng: 2.9 MB); nothing draws text
    "PIL._imagingtk",  # Tk
    "PIL.ImageTk",
    "PIL.ImageQt",  # Parley's widgets load images with Qt itself
    # Optional speed-ups of pypdfium2, openpyxl and pypdf that would come along if the build
    # environment had them; pypdf's encryption uses `cryptography`, bundled for the keychain.
    "numpy",
    "pandas",
    "lxml",
    "Crypto",
    "Cryptodome",
)
# The largest unpacked bundle accepted, per OS (decimal MB, as build.py prints sizes). Issue 14:
# the Linux bundle stays at or under 160 MB; build.py fails past it.
MAX_UNPACKED_BYTES: Final[Mapping[str, int]] = {"linux": 160_000_000}

_PYSIDE_IMPORT = re.compile(r"\bPySide6\.Qt(\w+)|\bfrom\s+PySide6\s+import\s+([\w\s,()]+)")
_QT_LIB_PATTERNS: Final = (
    re.compile(r"(?:^|/)libQt6(\w+?)\.so(?:\.\d+)*$"),  # Linux
    re.compile(r"(?:^|/)Qt6(\w+)\.dll$", re.IGNORECASE),  # Windows
    re.compile(r"(?:^|/)Qt(\w+?)\.framework(?:/|$)"),  # macOS
    re.compile(r"(?:^|/)libQt6(\w+?)(?:\.\d+)*\.dylib$"),  # macOS, non-framework builds
)
_PYSIDE_EXTENSION = re.compile(r"^PySide6/Qt(\w+)\.(?:abi3\.so|pyd|so|cpython-[^/]*)$")
_PLUGIN = re.compile(r"^PySide6/(?:Qt/)?plugins/(?P<folder>[^/]+)/(?P<file>.+)$")
_TRANSLATION = re.compile(
    r"^PySide6/(?:Qt/)?translations/(?P<catalog>[a-z_]+?)_(?P<lang>[a-z]{2}(?:_[A-Z]{2})?)\.qm$"
)


def used_qt_modules(source_root: Path) -> frozenset[str]:
    """The Qt modules Parley's own code imports ("Core", "Widgets", ...), by reading its source,
    so a module someone starts using is bundled without touching the packaging."""
    modules: set[str] = set()
    for path in sorted(source_root.rglob("*.py")):
        for match in _PYSIDE_IMPORT.finditer(path.read_text(encoding="utf-8")):
            if match.group(1):
                modules.add(match.group(1))
            else:
                names = match.group(2).replace("(", " ").replace(")", " ").replace(",", " ").split()
                modules.update(name[2:] for name in names if name.startswith("Qt"))
    return frozenset(modules)


def qt_module_of_library(dest: str) -> str | None:
    """The Qt module a Qt shared library belongs to ("Core" for libQt6Core.so.6), else None."""
    path = dest.replace("\\", "/")
    for pattern in _QT_LIB_PATTERNS:
        match = pattern.search(path)
        if match:
            return match.group(1)
    return None


def plugin_of(dest: str) -> tuple[str, str] | None:
    """(folder, name) for a Qt plugin: ("platforms", "qxcb") for .../plugins/platforms/libqxcb.so."""
    match = _PLUGIN.match(dest.replace("\\", "/"))
    if match is None:
        return None
    name = PurePosixPath(match.group("file")).name
    for suffix in (".so", ".dll", ".dylib"):
        name = name.removesuffix(suffix)
    if match.group("file").endswith((".so", ".dylib")):
        name = name.removeprefix("lib")
    return match.group("folder"), name


@dataclass(frozen=True)
class BundlePolicy:
    qt_modules: frozenset[str]
    plugins: Mapping[str, frozenset[str] | None]
    languages: frozenset[str]

    @classmethod
    def for_os(cls, os_name: str, used_modules: Iterable[str], languages: Iterable[str]) -> BundlePolicy:
        return cls(
            qt_modules=ALWAYS_QT_MODULES | PLATFORM_QT_MODULES[os_name] | frozenset(used_modules),
            plugins=PLUGINS[os_name],
            languages=frozenset(languages),
        )

    def python_modules_to_exclude(self, available: Iterable[str]) -> list[str]:
        """`PySide6.QtX` names for Analysis(excludes=...): every binding Parley does not use."""
        return sorted(f"PySide6.Qt{name}" for name in available if name not in self.qt_modules)

    def keeps(self, dest: str) -> bool:
        """Whether a file collected to `dest` (a bundle-relative path) belongs in the bundle."""
        path = dest.replace("\\", "/")
        if PurePosixPath(path).name.lower() in DROPPED_FILES:
            return False
        plugin = plugin_of(path)
        if plugin is not None:
            folder, name = plugin
            if folder not in self.plugins:
                return False
            allowed = self.plugins[folder]
            return allowed is None or name in allowed
        translation = _TRANSLATION.match(path)
        if translation is not None:
            language = translation.group("lang").split("_")[0]
            return translation.group("catalog") in QT_TRANSLATION_CATALOGS and language in self.languages
        extension = _PYSIDE_EXTENSION.match(path)
        if extension is not None:
            return extension.group(1) in self.qt_modules
        module = qt_module_of_library(path)
        return module is None or module in self.qt_modules


def size_problem(os_name: str, unpacked_bytes: int) -> str | None:
    """Why a bundle of `unpacked_bytes` is too large for `os_name`, or None when it fits."""
    limit = MAX_UNPACKED_BYTES.get(os_name)
    if limit is None or unpacked_bytes <= limit:
        return None
    return (
        f"the bundle is {unpacked_bytes / 1e6:.1f} MB unpacked, over the {limit / 1e6:.0f} MB limit "
        f"for {os_name} (packaging/bundle_contents.py); see what it holds with `du -sh dist/*/_internal/*`"
    )


def elf_needed(data: bytes) -> list[str]:
    """The DT_NEEDED entries (directly linked libraries) of a 64-bit little-endian ELF file.
    `ldd` (PyInstaller's view on Linux) lists every library transitively, which hides that a
    library is only reached through one we leave out."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    needed = []
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 6:  # SHT_DYNAMIC
            continue
        strtab_offset = sections[link][4]
        for position in range(offset, offset + size, entsize or 16):
            tag, value = struct.unpack_from("<qQ", data, position)
            if tag == 0:  # DT_NULL ends the table
                break
            if tag == 1:  # DT_NEEDED
                end = data.index(b"\0", strtab_offset + value)
                needed.append(data[strtab_offset + value : end].decode())
    return needed


def _closure(
    start: Iterable[str], links: Mapping[str, Collection[str]], blocked: Collection[str] = ()
) -> set[str]:
    """Everything reachable from `start` along `links`, not passing through `blocked`."""
    seen: set[str] = set()
    pending = list(start)
    while pending:
        current = pending.pop()
        if current not in seen and current not in blocked:
            seen.add(current)
            pending.extend(links.get(current, ()))
    return seen


def orphaned_libraries(
    kept: Collection[str], dropped: Collection[str], links: Mapping[str, Collection[str]]
) -> set[str]:
    """Libraries that only dropped files needed. `links` maps each binary's destination to the
    destinations of the bundled libraries it links. PyInstaller collected, say, GTK for the
    GTK platform theme; with the theme gone, GTK has no user left. A library reached only
    through a dropped one (libsystemd behind libdbus, which comes from the host) is orphaned
    too: the host's copy brings its own."""
    dropped = set(dropped)
    candidates = _closure(dropped, links) - dropped
    still_used = _closure((dest for dest in kept if dest not in candidates), links, blocked=dropped)
    return candidates - still_used


def dangling_symlinks(symlinks: Mapping[str, str], removed: Collection[str]) -> set[str]:
    """Symbolic links (destination → target destination) that point at a removed file. Only
    removed targets count: a target may itself be reached through another link (a macOS
    framework's Versions/Current), so "not collected under that name" proves nothing."""
    return {link for link, target in symlinks.items() if target in removed}


def missing_qt_libraries(needed: Mapping[str, Iterable[str]], policy: BundlePolicy) -> dict[str, list[str]]:
    """For each kept file (dest → the library names it links), the Qt modules it needs that the
    policy drops. Empty when the bundle is consistent."""
    problems: dict[str, list[str]] = {}
    for dest, libraries in needed.items():
        modules = {qt_module_of_library(name) for name in libraries}
        missing = sorted(m for m in modules if m is not None and m not in policy.qt_modules)
        if missing:
            problems[dest] = missing
    return problems
