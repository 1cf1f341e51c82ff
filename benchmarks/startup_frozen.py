"""Startup of the frozen bundle: process start -> the main window's first paint (offscreen
platform), Parley's PyInstaller bundle vs a bare PySide6 window frozen by the same PyInstaller.

- Parley: `packaging/parley.spec` as it is, but for its entry script: the same first-paint probe
  as `startup.py`, then `desktop_app.__main__.main()` (what `packaging/parley_main.py` runs), with
  `--data-dir DIR` and a provider saved (a local server).
- Bare: `startup.py`'s bare window script (an empty QMainWindow of the same size, same probe),
  frozen as a one-folder bundle with PyInstaller's defaults.

Both are built into a temporary folder first (a few minutes on a small machine); PyInstaller
byte-compiles every module into the bundle, so neither compiles anything at start. Runs alternate
after one warm-up each; medians are compared. No goal: the figure shows whether the bundle keeps
the ratio `startup.py` measures for an installed Parley.

    python benchmarks/startup_frozen.py            # 10 runs each
    python benchmarks/startup_frozen.py --smoke    # 2 runs each
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import BENCHMARKS_DIR, Figure, Report, Summary, offscreen_environment, parser, run_main
from startup import _BARE_GUI, _PROBE, time_first_paint

REPO = BENCHMARKS_DIR.parent
SPEC = REPO / "packaging" / "parley.spec"
BUILD_LIMIT = 1800.0  # seconds one PyInstaller build may take

_PARLEY_PROBED = (
    _PROBE
    + r"""
import sys
from desktop_app.__main__ import main
sys.exit(main())
"""
)


def probed_spec(folder: Path, entry: Path) -> Path:
    """A copy of Parley's spec in `folder` that freezes `entry` instead of parley_main.py."""
    text = SPEC.read_text(encoding="utf-8")
    replacements = {
        "sys.path.insert(0, SPECPATH)": f"sys.path.insert(0, {str(SPEC.parent)!r})",
        "REPO = Path(SPECPATH).parent": f"REPO = Path({str(REPO)!r})",
        'str(REPO / "packaging" / "parley_main.py")': repr(str(entry)),
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{SPEC.name} changed: {old!r} not found; update {Path(__file__).name}")
        text = text.replace(old, new)
    spec = folder / "parley_probed.spec"
    spec.write_text(text, encoding="utf-8")
    return spec


def pyinstaller(folder: Path, *args: str) -> None:
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(folder / "dist"), "--workpath", str(folder / "work"), *args,
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=BUILD_LIMIT, cwd=folder)


def build(folder: Path) -> tuple[list[str], list[str]]:
    """Freeze both programs into `folder`; returns their commands (Parley's without arguments)."""
    entry = folder / "parley_probed.py"
    entry.write_text(_PARLEY_PROBED, encoding="utf-8")
    bare = folder / "bare_window.py"
    bare.write_text(_BARE_GUI, encoding="utf-8")
    pyinstaller(folder, str(probed_spec(folder, entry)))
    pyinstaller(folder, "--onedir", "--specpath", str(folder), str(bare))
    parley = folder / "dist" / "Parley" / "parley"
    bare_exe = folder / "dist" / "bare_window" / "bare_window"
    for program in (parley, bare_exe):
        if not program.is_file():
            raise RuntimeError(f"the build made no {program}")
    return [str(parley)], [str(bare_exe)]


def main(args: Any, report: Report) -> None:
    offscreen_environment()
    from _app_driver import API_KEY, prepare_data_dir
    from _stream_server import StreamServer

    runs = 2 if args.smoke else 10
    with (
        tempfile.TemporaryDirectory(prefix="parley-frozen-") as tmp,
        StreamServer(200, args.seed) as server,
    ):
        folder = Path(tmp)
        parley, bare = build(folder)
        data_dir = folder / "data"
        data_dir.mkdir()
        prepare_data_dir(data_dir, server.base_url)
        os.environ["PARLEY_API_KEY"] = API_KEY
        times: dict[str, list[float]] = {"parley": [], "bare": []}
        for run in range(runs + 1):  # run 0 warms the file cache and is not counted
            bare_ms = time_first_paint(bare)
            parley_ms = time_first_paint([*parley, "--data-dir", str(data_dir)])
            if run:
                times["bare"].append(bare_ms)
                times["parley"].append(parley_ms)
    ours, baseline = Summary.of(times["parley"]), Summary.of(times["bare"])
    report.add(
        Figure(
            "frozen: process start -> main window painted (median)",
            ours.p50,
            "ms",
            baseline.p50,
            "bare frozen PySide6 window",
        )
    )
    report.add(
        Figure(
            "frozen: process start -> main window painted (p90)",
            ours.p90,
            "ms",
            baseline.p90,
            "bare frozen PySide6 window",
        )
    )
    report.details = {"runs": runs, "gui_ms": times}


def entry(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    report = Report("startup_frozen", args.smoke, "Startup of the frozen bundle vs a bare frozen window")
    return run_main(main, args, report)


if __name__ == "__main__":
    sys.exit(entry())
