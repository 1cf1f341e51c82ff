"""Compile Parley's translations (resources/translations/*.ts → .qm) before bundling: the .qm
files are build output (not in git), and the app loads them from that same folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# PySide6's own lrelease, run through its wrapper so no Qt tools need to be on PATH.
_LRELEASE = "from PySide6.scripts.pyside_tool import lrelease; lrelease()"


class TranslationError(Exception):
    """lrelease failed; the message is one line."""


def compile_translations(folder: Path) -> list[Path]:
    """Write `<name>.qm` next to every `<name>.ts` in `folder`; returns the .qm files. A missing
    folder means no translations yet, which is fine."""
    sources = sorted(folder.glob("*.ts")) if folder.is_dir() else []
    if not sources:
        return []
    done = subprocess.run(
        [sys.executable, "-c", _LRELEASE, "-silent", *map(str, sources)],
        capture_output=True,
        text=True,
        check=False,
    )
    compiled = [source.with_suffix(".qm") for source in sources]
    missing = [path.name for path in compiled if not path.is_file()]
    if done.returncode != 0 or missing:
        detail = " ".join((done.stderr or done.stdout).split())[:300]
        raise TranslationError(f"lrelease failed (exit {done.returncode}): {detail or ', '.join(missing)}")
    return compiled
