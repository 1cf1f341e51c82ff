"""Screenshots of a whole X display, for end-to-end tests (saved as CI artifacts)."""

from __future__ import annotations

import os
from pathlib import Path

# Run in a child process on the display: Qt's own grab of the root window, saved as PNG.
SHOT_SCRIPT = (
    "import sys\n"
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication(['parley-shot'])\n"
    "sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)\n"
)


def artifacts_dir(fallback: Path) -> Path:
    """$PARLEY_ARTIFACTS_DIR/screenshots (set by scripts/test), else `fallback`."""
    root = os.environ.get("PARLEY_ARTIFACTS_DIR")
    folder = Path(root) / "screenshots" if root else fallback
    folder.mkdir(parents=True, exist_ok=True)
    return folder
