"""Facts about the project that every packaging step needs, read from pyproject.toml (the one
place the version is written) so builds, installers and the app always agree."""

from __future__ import annotations

import platform
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent
APP_NAME: Final = "Parley"
BUNDLE_ID: Final = "org.parley.Parley"  # also the .desktop file's name and the Wayland app id
PUBLISHER: Final = "Parley developers"
CLI_NAME: Final = "parley"  # the console executable (CLI, --selftest) on every OS
GUI_NAME_WINDOWS: Final = "parley-gui"  # windowed; "Parley.exe" would collide with parley.exe


class ProjectError(Exception):
    """pyproject.toml is missing or lacks what packaging needs."""


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    description: str

    @property
    def numeric_version(self) -> tuple[int, int, int, int]:
        """The leading numbers of the version, padded to four (Windows version resources and
        NSIS want exactly four): "1.2.0rc1" → (1, 2, 0, 0)."""
        match = re.match(r"\d+(?:\.\d+)*", self.version)
        if match is None:
            raise ProjectError(f"version {self.version!r} does not start with a number")
        parts = [int(part) for part in match.group().split(".")][:4]
        padded = [*parts, 0, 0, 0, 0][:4]
        return padded[0], padded[1], padded[2], padded[3]

    @property
    def dotted_numeric_version(self) -> str:
        return ".".join(str(part) for part in self.numeric_version)


def read_project(pyproject: Path = REPO / "pyproject.toml") -> Project:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"cannot read {pyproject}: {exc}") from None
    project = data.get("project", {})
    version = project.get("version")
    if not isinstance(version, str) or not version:
        raise ProjectError(f"{pyproject} has no static [project] version")
    return Project(
        name=str(project.get("name", "parley")),
        version=version,
        description=str(project.get("description", "")),
    )


def os_tag() -> str:
    """The OS name used in file names: linux, windows or macos."""
    system = platform.system()
    names = {"Linux": "linux", "Windows": "windows", "Darwin": "macos"}
    if system not in names:
        raise ProjectError(f"packaging for {system} is not supported")
    return names[system]


def arch_tag() -> str:
    """The CPU name used in file names: x86_64 or arm64."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
