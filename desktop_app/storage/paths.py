"""Where Parley keeps its files: the settings INI, the history database and the logs.

By default settings go to the OS config location and history and logs to the OS data location
(Qt's `AppConfigLocation` / `AppDataLocation`); `--data-dir PATH` puts all of them in that one
folder (portable installs, tests). QStandardPaths needs no QCoreApplication instance, only the
organisation and application names, which must be set first: without them Qt answers with a
bare `~/.local/share` shared with every other nameless program.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths

from desktop_app import APP_NAME, ORG_NAME

SETTINGS_FILE = "settings.ini"
HISTORY_FILE = "history.sqlite3"
LOG_FILE = "parley.log"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / SETTINGS_FILE

    @property
    def history_file(self) -> Path:
        return self.data_dir / HISTORY_FILE

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    def ensure(self) -> None:
        """Create both folders. Raises `OSError` (the caller turns it into one line)."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)


def set_application_names() -> None:
    """Name the application for Qt (QStandardPaths, QSettings defaults). Idempotent."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)


def resolve_paths(data_dir: Path | None = None) -> AppPaths:
    """The folders to use: `data_dir` for everything when given, else the OS locations."""
    if data_dir is not None:
        folder = data_dir.expanduser().absolute()
        return AppPaths(config_dir=folder, data_dir=folder)
    set_application_names()
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not config or not data:  # no writable home at all (a locked-down service account)
        raise OSError("the system reports no writable folder for settings; use --data-dir PATH")
    return AppPaths(config_dir=Path(config), data_dir=Path(data))
