"""packaging/: what the bundle keeps of Qt (checked against the installed PySide6 itself), the
version's single source, the Windows version resource, the Linux archive and desktop entry, and
the NSIS installer script compiled by the real makensis when it is installed."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import PySide6
import pytest
from PySide6.QtCore import QTranslator

import desktop_app

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
QT = Path(PySide6.__file__).parent / "Qt"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packaging")


@pytest.fixture(scope="module")
def packaging() -> Iterator[dict[str, ModuleType]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PACKAGING))
        names = ("bundle_contents", "project_meta", "windows_version", "installers", "translations")
        yield {name: importlib.import_module(name) for name in names}


@pytest.fixture
def contents(packaging: dict[str, ModuleType]) -> ModuleType:
    return packaging["bundle_contents"]


def linux_policy(contents: ModuleType) -> Any:
    return contents.BundlePolicy.for_os("linux", contents.used_qt_modules(REPO / "desktop_app"), {"en", "ru"})


# --- what the bundle keeps -----------------------------------------------------------------------


def test_used_qt_modules_are_read_from_the_source(contents: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "from PySide6.QtCore import Qt\nimport PySide6.QtNetwork\n", encoding="utf-8"
    )
    (tmp_path / "b.py").write_text("from PySide6 import (\n    QtSvg,\n    QtGui)\n", encoding="utf-8")

    assert contents.used_qt_modules(tmp_path) == {"Core", "Network", "Svg", "Gui"}
    assert {"Core", "Gui", "Widgets"} <= contents.used_qt_modules(REPO / "desktop_app")


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so", True),
        ("PySide6/Qt/plugins/wayland-shell-integration/libivi-shell.so", False),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("PySide6/Qt/lib/libQt6Svg.so.6", True),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("libQt6Qml.so.6", False),  # PyInstaller's top-level symlink
        ("PySide6/QtWidgets.abi3.so", True),
        ("PySide6/QtQuick.abi3.so", False),
        ("PySide6/Qt/translations/qtbase_ru.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/translations/qtdeclarative_ru.qm", False),
        ("PySide6/Qt/lib/libicudata.so.73", True),
        ("libfontconfig.so.1", False),
        ("libssl.so.3", True),
        ("aiohttp/_http_parser.cpython-311-x86_64-linux-gnu.so", True),
        ("resources/icons/parley.svg", True),
    ],
)
def test_linux_policy(contents: ModuleType, dest: str, kept: bool) -> None:
    assert linux_policy(contents).keeps(dest) is kept


@pytest.mark.parametrize(
    ("os_name", "dest", "kept"),
    [
        ("windows", "PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("windows", "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", True),
        ("windows", "PySide6\\plugins\\platforms\\qdirect2d.dll", False),
        ("windows", "PySide6\\Qt6Quick.dll", False),
        ("windows", "PySide6\\Qt6Widgets.dll", True),
        ("windows", "PySide6\\opengl32sw.dll", False),
        ("windows", "PySide6\\translations\\qtbase_ru.qm", True),
        ("macos", "PySide6/Qt/plugins/platforms/libqcocoa.dylib", True),
        ("macos", "PySide6/Qt/plugins/styles/libqmacstyle.dylib", True),
        ("macos", "PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick", False),
        ("macos", "PySide6/Qt/lib/QtWidgets.framework/Versions/A/QtWidgets", True),
        ("macos", "PySide6/Qt/lib/QtWidgets.framework/Resources/Info.plist", True),
    ],
)
def test_windows_and_macos_policies(contents: ModuleType, os_name: str, dest: str, kept: bool) -> None:
    policy = contents.BundlePolicy.for_os(os_name, {"Core", "Gui", "Widgets", "Network"}, {"en", "ru"})

    assert policy.keeps(dest) is kept


def test_unused_bindings_are_excluded_from_the_analysis(contents: ModuleType) -> None:
    policy = contents.BundlePolicy.for_os("windows", {"Core", "Gui", "Widgets"}, {"ru"})

    excluded = policy.python_modules_to_exclude(["Core", "Gui", "Widgets", "Svg", "Quick", "Qml"])

    assert excluded == ["PySide6.QtQml", "PySide6.QtQuick"]


def test_a_bundle_over_the_size_limit_is_reported(contents: ModuleType) -> None:
    assert contents.MAX_UNPACKED_BYTES["linux"] == 160_000_000  # issue 14
    assert contents.size_problem("linux", 160_000_000) is None
    assert contents.size_problem("windows", 500_000_000) is None  # no limit set there

    problem = contents.size_problem("linux", 163_900_000)

    assert problem.startswith("the bundle is 163.9 MB unpacked, over the 160 MB limit for linux")


PILLOW_LEFT_OUT_CHECK = """
import sys
from pathlib import Path

for name in sys.argv[2:]:
    sys.modules[name] = None  # what a bundle without these modules sees: ImportError
from PIL import Image

from desktop_app.attachments import UnsupportedFileError, prepare_file

folder = Path(sys.argv[1])
for fmt, suffix in (("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp"), ("GIF", ".gif")):
    Image.new("RGB", (20, 10), (200, 30, 30)).save(folder / f"a{suffix}", format=fmt)
    part = prepare_file(folder / f"a{suffix}").part
    print(fmt, part.mime, part.width, part.height)
avif = folder / "a.avif"
avif.write_bytes(b"\\x00\\x00\\x00\\x1cftypavif\\x00\\x00\\x00\\x00avifmif1miaf" + bytes(64))
try:
    prepare_file(avif)
except UnsupportedFileError as exc:
    print("AVIF refused:", exc)
"""


def test_attachments_work_without_the_pillow_modules_the_bundle_leaves_out(
    contents: ModuleType, tmp_path: Path
) -> None:
    left_out = [name for name in contents.UNUSED_PYTHON_MODULES if name.startswith("PIL.")]
    assert {"PIL._avif", "PIL._imagingft", "PIL._imagingtk"} <= set(left_out)

    child = subprocess.run(
        [sys.executable, "-c", PILLOW_LEFT_OUT_CHECK, str(tmp_path), *left_out],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines[:4] == [
        "PNG image/png 20 10",
        "JPEG image/jpeg 20 10",
        "WEBP image/png 20 10",
        "GIF image/png 20 10",
    ]
    assert lines[4] == "AVIF refused: a.avif: AVIF images are not supported — export it as JPEG or PNG"


def test_libraries_only_dropped_files_needed_are_left_out(contents: ModuleType) -> None:
    links = {
        "plugins/gtk3.so": ["libgtk.so", "libQt6Gui.so.6"],
        "libgtk.so": ["libcairo.so", "libglib.so"],
        "libQt6Gui.so.6": ["libglib.so", "libdbus.so"],
        "libdbus.so": ["libsystemd.so"],
        "QtGui.abi3.so": ["libQt6Gui.so.6"],
    }
    kept = ["libgtk.so", "libcairo.so", "libglib.so", "libsystemd.so", "libQt6Gui.so.6", "QtGui.abi3.so"]

    orphans = contents.orphaned_libraries(kept, ["plugins/gtk3.so", "libdbus.so"], links)

    # libglib stays (Qt Gui links it); libsystemd was only reached through the host's libdbus.
    assert orphans == {"libgtk.so", "libcairo.so", "libsystemd.so"}
    links_to = {"a": "libgtk.so", "b": "libglib.so", "c": "Versions/Current/QtCore"}
    assert contents.dangling_symlinks(links_to, orphans) == {"a"}


def test_a_kept_file_needing_a_dropped_qt_library_is_reported(contents: ModuleType) -> None:
    needed = {
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so": ["libQt6Quick.so.6"],
        "PySide6/Qt/plugins/platforms/libqxcb.so": ["libQt6XcbQpa.so.6", "libxcb.so.1"],
    }

    problems = contents.missing_qt_libraries(needed, linux_policy(contents))

    assert problems == {"PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so": ["Quick"]}


@linux_only
def test_elf_needed_reads_direct_dependencies(contents: ModuleType) -> None:
    needed = contents.elf_needed((QT / "lib" / "libQt6Widgets.so.6").read_bytes())

    assert "libQt6Gui.so.6" in needed
    assert "libQt6Core.so.6" in needed
    assert "libicudata.so.73" not in needed  # Core's dependency, not Widgets' own
    with pytest.raises(ValueError, match="ELF"):
        contents.elf_needed(b"MZ\x90\x00")


@linux_only
def test_every_plugin_the_linux_policy_keeps_finds_its_qt_libraries(contents: ModuleType) -> None:
    """The policy against the installed PySide6: kept plugins, and the Qt libraries they link,
    must all stay (the same check the spec runs before building)."""
    policy = linux_policy(contents)
    needed = {}
    for plugin in (QT / "plugins").glob("*/*.so"):
        dest = f"PySide6/Qt/plugins/{plugin.parent.name}/{plugin.name}"
        if policy.keeps(dest):
            needed[dest] = contents.elf_needed(plugin.read_bytes())
    for library in (QT / "lib").glob("libQt6*.so.6"):
        dest = f"PySide6/Qt/lib/{library.name}"
        if policy.keeps(dest):
            needed[dest] = contents.elf_needed(library.read_bytes())

    assert contents.missing_qt_libraries(needed, policy) == {}
    kept_plugins = {dest.split("/")[-2] for dest in needed if "/plugins/" in dest}
    assert {
        "platforms",
        "platformthemes",
        "platforminputcontexts",
        "iconengines",
        "imageformats",
    } <= kept_plugins


# --- version and metadata ------------------------------------------------------------------------


def test_the_version_has_one_source(packaging: dict[str, ModuleType]) -> None:
    project = packaging["project_meta"].read_project()

    assert project.version == importlib.metadata.version("parley") == desktop_app.__version__


@pytest.mark.parametrize(
    ("version", "numeric"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2.0rc1", (1, 2, 0, 0)), ("3", (3, 0, 0, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_numeric_version_for_windows(
    packaging: dict[str, ModuleType], version: str, numeric: tuple[int, ...]
) -> None:
    project = packaging["project_meta"].Project(name="parley", version=version, description="")

    assert project.numeric_version == numeric


def test_windows_version_resource_text(packaging: dict[str, ModuleType]) -> None:
    project = packaging["project_meta"].Project(name="parley", version="1.2.0rc1", description="")
    text = packaging["windows_version"].version_file_text(project, "parley", "Parley's command line")

    # PyInstaller evaluates this text with its own classes; here they just record their arguments.
    class Recorded:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.args, self.kwargs = args, kwargs

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct")
    namespace = {name: type(name, (Recorded,), {}) for name in (*names, "VarFileInfo", "VarStruct")}
    info = eval(compile(ast.parse(text, mode="eval"), "version", "eval"), namespace)

    fixed = info.kwargs["ffi"].kwargs
    assert fixed["filevers"] == fixed["prodvers"] == (1, 2, 0, 0)
    table = info.kwargs["kids"][0].args[0][0]
    strings = dict(entry.args for entry in table.args[1])
    assert strings["FileVersion"] == strings["ProductVersion"] == "1.2.0rc1"
    assert strings["OriginalFilename"] == "parley.exe"
    assert strings["FileDescription"] == "Parley's command line"


# --- translations ----------------------------------------------------------------------------------

TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>About</name>
    <message>
        <source>About Parley</source>
        <translation>О программе Parley</translation>
    </message>
</context>
</TS>
"""


def test_translations_compile_to_qm_files_qt_loads(packaging: dict[str, ModuleType], tmp_path: Path) -> None:
    (tmp_path / "parley_ru.ts").write_text(TS, encoding="utf-8")

    compiled = packaging["translations"].compile_translations(tmp_path)

    assert compiled == [tmp_path / "parley_ru.qm"]
    translator = QTranslator()
    assert translator.load(str(compiled[0]))
    assert translator.translate("About", "About Parley") == "О программе Parley"


def test_no_translations_folder_is_fine_and_a_broken_file_is_an_error(
    packaging: dict[str, ModuleType], tmp_path: Path
) -> None:
    translations = packaging["translations"]
    assert translations.compile_translations(tmp_path / "missing") == []
    (tmp_path / "parley_ru.ts").write_text("<TS><context>", encoding="utf-8")

    with pytest.raises(translations.TranslationError, match="lrelease failed"):
        translations.compile_translations(tmp_path)


# --- Linux archive and desktop entry -------------------------------------------------------------


@linux_only
def test_tarball_keeps_modes_and_symlinks_and_no_owner(
    packaging: dict[str, ModuleType], tmp_path: Path
) -> None:
    bundle = tmp_path / "Parley"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "parley").write_bytes(b"#!/bin/sh\n")
    (bundle / "parley").chmod(0o755)
    (bundle / "_internal" / "libQt6Core.so.6").write_bytes(b"\x7fELF")
    (bundle / "libQt6Core.so.6").symlink_to("_internal/libQt6Core.so.6")

    archive = packaging["installers"].make_tarball(bundle, tmp_path / "Parley-0.1.0-linux-x86_64.tar.gz")

    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["Parley/parley"].mode & 0o111 == 0o111
    assert members["Parley/libQt6Core.so.6"].issym()
    assert members["Parley/libQt6Core.so.6"].linkname == "_internal/libQt6Core.so.6"
    assert {(m.uid, m.uname) for m in members.values()} == {(0, "")}


def fake_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "parley").write_text("#!/bin/sh\necho parley\n", encoding="utf-8")
    (folder / "parley").chmod(0o755)
    shutil.copy(PACKAGING / "linux" / "parley.desktop", folder / "parley.desktop")
    shutil.copy(PACKAGING / "linux" / "install-desktop-entry.sh", folder / "install-desktop-entry.sh")
    (folder / "icons").mkdir()
    for size in (16, 256):
        (folder / "icons" / f"parley-{size}.png").write_bytes(b"png")
    (folder / "icons" / "parley.svg").write_text("<svg/>", encoding="utf-8")
    return folder


@linux_only
def test_desktop_entry_installs_with_an_absolute_quoted_exec_and_uninstalls(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "Apps & Tools" / "Parley 0.1")
    home = tmp_path / "home"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    script = [str(bundle / "install-desktop-entry.sh")]

    subprocess.run(script, env=env, check=True, capture_output=True, timeout=30)

    entry = (home / "data" / "applications" / "parley.desktop").read_text(encoding="utf-8")
    exec_lines = [line for line in entry.splitlines() if line.startswith("Exec=")]
    assert exec_lines == [f'Exec="{bundle}/parley"', f'Exec="{bundle}/parley" --quick']
    assert (home / "data" / "icons" / "hicolor" / "256x256" / "apps" / "parley.png").is_file()
    assert (home / "data" / "icons" / "hicolor" / "scalable" / "apps" / "parley.svg").is_file()
    assert (home / ".local" / "bin" / "parley").resolve() == bundle / "parley"
    if shutil.which("desktop-file-validate"):
        subprocess.run(
            ["desktop-file-validate", str(home / "data" / "applications" / "parley.desktop")], check=True
        )

    subprocess.run([*script, "--uninstall"], env=env, check=True, capture_output=True, timeout=30)

    assert not (home / "data" / "applications" / "parley.desktop").exists()
    assert not (home / ".local" / "bin" / "parley").exists()
    assert not list((home / "data" / "icons").rglob("parley.*"))


# --- the Windows installer script ----------------------------------------------------------------

needs_makensis = pytest.mark.skipif(
    shutil.which("makensis") is None, reason="NSIS (makensis) is not installed"
)


@needs_makensis
def test_nsis_script_compiles_around_a_stand_in_bundle() -> None:
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "build.py"), "--check-nsis"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    version = importlib.metadata.version("parley")
    assert f"NSIS script compiles (Parley-Setup-{version}.exe" in done.stdout


@needs_makensis
def test_a_broken_nsis_script_fails_the_check(
    packaging: dict[str, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installers = packaging["installers"]
    broken = tmp_path / "parley.nsi"
    text = (PACKAGING / "windows" / "parley.nsi").read_text(encoding="utf-8")
    broken.write_text(text.replace("SectionEnd", "SectionEnd_typo", 1), encoding="utf-8")
    monkeypatch.setattr(installers, "NSIS_SCRIPT", broken)
    project = packaging["project_meta"].Project(name="parley", version="0.1.0", description="")
    make_icons = importlib.import_module("make_icons")
    icons = make_icons.make_icons(out=tmp_path / "icons")

    with pytest.raises(installers.PackagingError, match="makensis failed with exit code 1"):
        installers.check_nsis(project, icons.ico)


def test_release_file_names_use_common_cpu_names(
    packaging: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = packaging["project_meta"]
    for machine, expected in (
        ("AMD64", "x86_64"),
        ("aarch64", "arm64"),
        ("arm64", "arm64"),
        ("x86_64", "x86_64"),
    ):
        monkeypatch.setattr(platform, "machine", lambda machine=machine: machine)
        assert meta.arch_tag() == expected
