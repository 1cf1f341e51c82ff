"""Turn the PyInstaller bundle into what users download: a tar.gz on Linux, an NSIS installer
on Windows, a .dmg on macOS. Each function takes the built bundle and returns the file it made."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from project_meta import APP_NAME, CLI_NAME, GUI_NAME_WINDOWS, PUBLISHER, REPO, Project

PACKAGING: Final = REPO / "packaging"
NSIS_SCRIPT: Final = PACKAGING / "windows" / "parley.nsi"
DESKTOP_FILE: Final = PACKAGING / "linux" / "parley.desktop"
DESKTOP_INSTALLER: Final = PACKAGING / "linux" / "install-desktop-entry.sh"
# The .desktop file's name, its Icon= and the app's QGuiApplication.desktopFileName must agree.
DESKTOP_ID: Final = "parley"
WINDOWS_NSIS_DIRS: Final = (r"C:\Program Files (x86)\NSIS", r"C:\Program Files\NSIS")


class PackagingError(Exception):
    """A packaging step failed; the message is one line for the console."""


def run(command: list[str], *, cwd: Path | None = None) -> None:
    """Run a tool; its own output passes through, a failure becomes one `PackagingError` line."""
    try:
        subprocess.run(command, cwd=cwd, check=True)
    except FileNotFoundError:
        raise PackagingError(f"{command[0]} is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise PackagingError(f"{Path(command[0]).name} failed with exit code {exc.returncode}") from None


def tree_size(path: Path) -> int:
    """Bytes of all files under `path` (symbolic links counted as links, not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


# --- Linux ---------------------------------------------------------------------------------------


def add_desktop_integration(bundle: Path, icons: Path) -> None:
    """Put the .desktop file, the icons and the script that installs both next to `parley`."""
    shutil.copy2(DESKTOP_FILE, bundle / f"{DESKTOP_ID}.desktop")
    script = bundle / DESKTOP_INSTALLER.name
    shutil.copy2(DESKTOP_INSTALLER, script)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    icon_dir = bundle / "icons"
    icon_dir.mkdir(exist_ok=True)
    for png in sorted((icons / "png").glob("parley-*.png")):
        shutil.copy2(png, icon_dir / png.name)
    shutil.copy2(REPO / "resources" / "icons" / "parley.svg", icon_dir / "parley.svg")


def make_tarball(bundle: Path, archive: Path) -> Path:
    """`archive` (.tar.gz) holding the bundle folder, owned by nobody in particular."""

    def anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    archive.unlink(missing_ok=True)
    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        tar.add(bundle, arcname=bundle.name, filter=anonymous)
    return archive


# --- Windows -------------------------------------------------------------------------------------


def find_makensis() -> str:
    found = shutil.which("makensis")
    if found:
        return found
    for folder in WINDOWS_NSIS_DIRS:
        candidate = Path(folder) / "makensis.exe"
        if candidate.is_file():
            return str(candidate)
    raise PackagingError("makensis (NSIS 3) is not installed; e.g. apt-get install nsis, choco install nsis")


def nsis_defines(project: Project, source_dir: Path, out_file: Path, icon: Path) -> Mapping[str, str]:
    return {
        "APP_NAME": APP_NAME,
        "VERSION": project.version,
        "VERSION_NUMERIC": project.dotted_numeric_version,
        "PUBLISHER": PUBLISHER,
        "SOURCE_DIR": str(source_dir),
        "OUT_FILE": str(out_file),
        "ICON": str(icon),
        "GUI_EXE": f"{GUI_NAME_WINDOWS}.exe",
        "CLI_EXE": f"{CLI_NAME}.exe",
    }


def make_nsis_installer(project: Project, bundle: Path, icon: Path, out_file: Path) -> Path:
    """Compile packaging/windows/parley.nsi around `bundle` into `out_file`."""
    defines = nsis_defines(project, bundle, out_file, icon)
    out_file.unlink(missing_ok=True)
    run(
        [find_makensis(), "-V2", "-INPUTCHARSET", "UTF8"]
        + [f"-D{key}={value}" for key, value in defines.items()]
        + [str(NSIS_SCRIPT)]
    )
    if not out_file.is_file():
        raise PackagingError(f"makensis reported success but {out_file} is missing")
    return out_file


def check_nsis(project: Project, icon: Path) -> int:
    """Compile the installer script around a tiny stand-in bundle: proves the script is valid
    on any OS with makensis, in seconds. Returns the installer's size."""
    with tempfile.TemporaryDirectory(prefix="parley-nsis-") as temp:
        payload = Path(temp) / APP_NAME
        (payload / "_internal").mkdir(parents=True)
        for exe in (f"{GUI_NAME_WINDOWS}.exe", f"{CLI_NAME}.exe"):
            (payload / exe).write_bytes(b"MZ stand-in executable for the NSIS check\n")
        (payload / "_internal" / "base_library.zip").write_bytes(b"stand-in\n")
        out_file = Path(temp) / f"{APP_NAME}-Setup-{project.version}.exe"
        make_nsis_installer(project, payload, icon, out_file)
        data = out_file.read_bytes()
        if not data.startswith(b"MZ"):
            raise PackagingError(f"{out_file.name} is not a Windows executable")
        return len(data)


# --- macOS ---------------------------------------------------------------------------------------


def make_dmg(app: Path, out_file: Path, volume_name: str) -> Path:
    """A compressed disk image showing the app next to a link to /Applications (drag to install)."""
    with tempfile.TemporaryDirectory(prefix="parley-dmg-") as temp:
        staging = Path(temp) / volume_name
        staging.mkdir()
        run(["ditto", str(app), str(staging / app.name)])  # keeps symlinks, xattrs and signatures
        os.symlink("/Applications", staging / "Applications")
        out_file.unlink(missing_ok=True)
        run(
            [
                "hdiutil", "create", "-volname", volume_name, "-srcfolder", str(staging),
                "-fs", "HFS+", "-format", "UDZO", "-imagekey", "zlib-level=9", "-ov", str(out_file),
            ]
        )  # fmt: skip
    return out_file
