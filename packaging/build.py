"""Build Parley for the OS this runs on: icons, the PyInstaller one-folder bundle, and the file
users download.

    python packaging/build.py              # dist/Parley (+ the tar.gz / installer / .dmg)
    python packaging/build.py --check-nsis # compile the Windows installer script (any OS, seconds)

Results, per OS (<v> = the version in pyproject.toml):
  Linux    dist/Parley/parley, dist/Parley-<v>-linux-<arch>.tar.gz
  Windows  dist/Parley/parley-gui.exe + parley.exe, dist/Parley-Setup-<v>.exe (needs NSIS)
  macOS    dist/Parley.app, dist/Parley-<v>-macos-<arch>.dmg; signed when
           PARLEY_CODESIGN_IDENTITY names a Developer ID identity in the keychain
Then check the bundle: `dist/Parley/parley --selftest` (Windows: dist\\Parley\\parley.exe,
macOS: dist/Parley.app/Contents/MacOS/Parley), with QT_QPA_PLATFORM=offscreen on a headless box.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from bundle_contents import size_problem
from installers import (
    PackagingError,
    add_desktop_integration,
    check_nsis,
    make_dmg,
    make_nsis_installer,
    make_tarball,
    tree_size,
)
from make_icons import IconSet, IconSourceError, make_icons
from project_meta import APP_NAME, REPO, Project, ProjectError, arch_tag, os_tag, read_project
from translations import TranslationError, compile_translations

DIST: Final = REPO / "dist"
BUILD: Final = REPO / "build"
SPEC: Final = REPO / "packaging" / "parley.spec"


def say(line: str) -> None:
    print(f"build: {line}", flush=True)


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def check_installed_version(project: Project) -> None:
    """The app reads its version from the installed metadata, which the bundle copies; an
    editable install made before the last version bump would ship the old number."""
    try:
        installed = importlib.metadata.version(project.name)
    except importlib.metadata.PackageNotFoundError:
        raise ProjectError(f"{project.name} is not installed in this Python; run pip install -e .") from None
    if installed != project.version:
        raise ProjectError(
            f"pyproject.toml says {project.version} but the installed metadata says {installed}; "
            "run pip install -e . again"
        )


def run_pyinstaller(clean: bool) -> None:
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"),
    ]  # fmt: skip
    if clean:
        command.append("--clean")
    try:
        subprocess.run([*command, str(SPEC)], cwd=REPO, check=True)
    except subprocess.CalledProcessError as exc:
        raise PackagingError(f"PyInstaller failed with exit code {exc.returncode}") from None


def package(project: Project, icons: IconSet, os_name: str) -> Path:
    """The downloadable file for this OS, made from the bundle in dist/."""
    if os_name == "linux":
        bundle = DIST / APP_NAME
        add_desktop_integration(bundle, icons.ico.parent)
        archive = DIST / f"{APP_NAME}-{project.version}-linux-{arch_tag()}.tar.gz"
        return make_tarball(bundle, archive)
    if os_name == "windows":
        installer = DIST / f"{APP_NAME}-Setup-{project.version}.exe"
        return make_nsis_installer(project, DIST / APP_NAME, icons.ico, installer)
    dmg = DIST / f"{APP_NAME}-{project.version}-macos-{arch_tag()}.dmg"
    return make_dmg(DIST / f"{APP_NAME}.app", dmg, f"{APP_NAME} {project.version}")


def build(*, clean: bool, bundle_only: bool) -> None:
    started = time.monotonic()
    os_name = os_tag()
    project = read_project()
    check_installed_version(project)
    say(f"{APP_NAME} {project.version} for {os_name} {arch_tag()}")
    icons = make_icons(out=BUILD / "icons")
    say(f"icons in {icons.ico.parent}")
    catalogs = compile_translations(REPO / "resources" / "translations")
    say(f"translations: {', '.join(p.name for p in catalogs) or 'none yet'}")
    run_pyinstaller(clean)
    bundle = DIST / (f"{APP_NAME}.app" if os_name == "macos" else APP_NAME)
    bundle_seconds = time.monotonic() - started
    size = tree_size(bundle)
    say(f"bundle {bundle}: {megabytes(size)} unpacked ({bundle_seconds:.0f} s)")
    problem = size_problem(os_name, size)
    if problem is not None:
        raise PackagingError(problem)
    if not bundle_only:
        result = package(project, icons, os_name)
        say(f"{result.name}: {megabytes(result.stat().st_size)}")
    say(f"done in {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Parley's bundle and installer for this OS.")
    parser.add_argument(
        "--check-nsis",
        action="store_true",
        help="only compile packaging/windows/parley.nsi around a stand-in bundle (needs makensis)",
    )
    parser.add_argument("--bundle-only", action="store_true", help="stop after dist/Parley")
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's cache first")
    args = parser.parse_args(argv)
    try:
        if args.check_nsis:
            project = read_project()
            icons = make_icons(out=BUILD / "icons")
            size = check_nsis(project, icons.ico)
            say(f"NSIS script compiles ({APP_NAME}-Setup-{project.version}.exe, {size} bytes)")
        else:
            build(clean=args.clean, bundle_only=args.bundle_only)
    except (PackagingError, ProjectError, IconSourceError, TranslationError, OSError) as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
