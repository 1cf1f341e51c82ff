"""Startup: how long until the user sees the window, and until `parley ask` prints the answer's
first byte, each next to the least a Python program of the same kind needs, in the same run.

- GUI: process start -> the main window's first paint (offscreen platform), `python -m
  desktop_app --data-dir DIR` with a provider saved (a local server), vs a bare PySide6 script
  that shows an empty QMainWindow of the same size. Both report the first paint through a tiny
  probe (an event filter on the main window) and then close; the probe adds the same to both.
  Goal: <= 2.0x the bare window. Parley's modules are byte-compiled first, as `pip install` does
  for an installed Parley (and PyInstaller for the bundle): a checkout run with
  PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module again at every start (~85 ms).
- CLI: process start -> first answer byte on stdout, `parley ask PROMPT` (the installed console
  script, saving to history in a data folder) vs a bare aiohttp script that posts the same request
  and prints the first text it decodes. Same local server (a separate process), which answers at
  once. Goal: <= 2x the bare script.

Runs alternate (bare, parley, bare, ...) after one warm-up each; medians are compared.

    python benchmarks/startup.py            # 10 runs each (~40 s)
    python benchmarks/startup.py --smoke    # 2 runs each
    python benchmarks/startup.py --importtime   # also: the slowest imports of each Parley start
"""

from __future__ import annotations

import compileall
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, Report, Summary, at_most, offscreen_environment, parser, run_main

GUI_GOAL = 2.0
CLI_GOAL = 2.0
RUN_LIMIT = 60.0  # seconds any one start may take
PROBE_FD_ENV = "PARLEY_BENCH_FD"

# Reports the first paint of a QMainWindow (the app's or the bare one) on an inherited pipe, then
# closes that window. Installed on the class, so it is there before the window is shown.
_PROBE = r"""
import os, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

class _FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not getattr(watched, "_bench_seen", False):
            watched._bench_seen = True
            os.write(int(os.environ["PARLEY_BENCH_FD"]), f"{time.monotonic_ns()}\n".encode())
            QTimer.singleShot(0, watched.close)
        return False

_probe = _FirstPaint()
_show = QMainWindow.show
def _probed_show(self):
    self.installEventFilter(_probe)
    _show(self)
QMainWindow.show = _probed_show
"""

_PARLEY_GUI = (
    _PROBE
    + r"""
import sys
from desktop_app.__main__ import main
sys.exit(main(["--data-dir", sys.argv[1]]))
"""
)

_BARE_GUI = (
    _PROBE
    + r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1100, 720)
window.show()
sys.exit(app.exec())
"""
)

_BARE_ASK = r"""
import asyncio, json, sys
import aiohttp

async def ask(url, prompt):
    body = {"model": "bench-model", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        rest = b""
        async for chunk in response.content.iter_any():
            *events, rest = (rest + chunk).split(b"\n\n")
            for event in events:
                if event.startswith(b"data: {"):
                    text = json.loads(event[6:])["choices"][0]["delta"].get("content") or ""
                    sys.stdout.buffer.write(text.encode())
                    sys.stdout.buffer.flush()
    sys.stdout.buffer.write(b"\n")

asyncio.run(ask(sys.argv[1], sys.argv[2]))
"""


def time_gui(script: str, args: list[str]) -> float:
    """ms from spawning to the first paint the probe reports (the process then closes itself)."""
    return time_first_paint([sys.executable, "-c", script, *args])


def time_first_paint(command: list[str]) -> float:
    """ms from spawning `command` (a program with the probe in it) to the first paint it reports."""
    read_end, write_end = os.pipe()
    env = {**os.environ, PROBE_FD_ENV: str(write_end)}
    started = time.monotonic_ns()
    process = subprocess.Popen(
        command,
        env=env,
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], RUN_LIMIT)
        line = os.read(read_end, 64).decode().strip() if ready else ""
        if not line:
            raise RuntimeError(f"no first paint within {RUN_LIMIT:.0f} s: {_stderr(process)}")
        _, err = process.communicate(timeout=RUN_LIMIT)
        if process.returncode != 0:
            raise RuntimeError(f"exit {process.returncode}: {err.decode(errors='replace')[-400:]}")
        return (int(line) - started) / 1e6
    finally:
        os.close(read_end)
        _reap(process)


def time_first_byte(command: list[str]) -> float:
    """ms from spawning to the first byte on the child's stdout; the child must then exit 0."""
    started = time.monotonic_ns()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], RUN_LIMIT)
        first = time.monotonic_ns()
        if not ready or not os.read(process.stdout.fileno(), 1):
            raise RuntimeError(f"no output within {RUN_LIMIT:.0f} s: {_stderr(process)}")
        _, err = process.communicate(timeout=RUN_LIMIT)
        if process.returncode != 0:
            raise RuntimeError(f"exit {process.returncode}: {err.decode(errors='replace')[-400:]}")
        return (first - started) / 1e6
    finally:
        _reap(process)


def _stderr(process: subprocess.Popen[bytes]) -> str:
    process.kill()
    _, err = process.communicate(timeout=10)
    return (err or b"").decode(errors="replace")[-400:]


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def parley_command() -> list[str]:
    script = Path(sys.executable).with_name("parley")
    return [str(script)] if script.exists() else [sys.executable, "-m", "desktop_app"]


def slowest_imports(data_dir: Path, top: int = 12) -> list[str]:
    """`python -X importtime` of a Parley GUI start: the imports with the most cumulative time."""
    env = {**os.environ, PROBE_FD_ENV: "2"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PARLEY_GUI, str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and len(match.group(3)) <= 3:  # top-level imports (and their first children)
            rows.append((int(match.group(2)), match.group(4)))
    rows.sort(reverse=True)
    return [f"{name} {cumulative / 1000:.0f} ms" for cumulative, name in rows[:top]]


def compile_bytecode() -> None:
    """Byte-compile Parley's modules into __pycache__ (what pip does when it installs a wheel)."""
    import desktop_app

    package = Path(desktop_app.__file__).parent
    if not compileall.compile_dir(package, quiet=1):
        raise RuntimeError(f"byte-compiling {package} failed")


def main(args: Any, report: Report) -> None:
    offscreen_environment()
    compile_bytecode()
    from _app_driver import API_KEY, prepare_data_dir
    from _stream_server import StreamPlan, StreamServer

    runs = 2 if args.smoke else 10
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp, StreamServer(200, args.seed) as server:
        data_dir = Path(tmp)
        prepare_data_dir(data_dir, server.base_url)
        os.environ["PARLEY_API_KEY"] = API_KEY
        server.plan(StreamPlan(tokens=200, rate=0))
        url = server.base_url + "/chat/completions"
        ask = [*parley_command(), "ask", "--data-dir", str(data_dir), "Say something"]
        bare_ask = [sys.executable, "-c", _BARE_ASK, url, "Say something"]
        gui: dict[str, list[float]] = {"parley": [], "bare": []}
        cli: dict[str, list[float]] = {"parley": [], "bare": []}
        for run in range(runs + 1):  # run 0 warms the file cache and is not counted
            bare_gui_ms = time_gui(_BARE_GUI, [])
            parley_gui_ms = time_gui(_PARLEY_GUI, [str(data_dir)])
            bare_cli_ms = time_first_byte(bare_ask)
            parley_cli_ms = time_first_byte(ask)
            if run:
                gui["bare"].append(bare_gui_ms)
                gui["parley"].append(parley_gui_ms)
                cli["bare"].append(bare_cli_ms)
                cli["parley"].append(parley_cli_ms)
        imports = slowest_imports(data_dir) if getattr(args, "importtime", False) else []
    g_ours, g_bare = Summary.of(gui["parley"]), Summary.of(gui["bare"])
    c_ours, c_bare = Summary.of(cli["parley"]), Summary.of(cli["bare"])
    window = report.add(
        Figure(
            "process start -> main window painted (median)",
            g_ours.p50,
            "ms",
            g_bare.p50,
            "bare PySide6 window",
        )
    )
    window.goal, window.met = f"<= {GUI_GOAL}x", at_most(g_ours.p50 / g_bare.p50, GUI_GOAL)
    report.add(
        Figure(
            "process start -> main window painted (p90)", g_ours.p90, "ms", g_bare.p90, "bare PySide6 window"
        )
    )
    first = report.add(
        Figure(
            "parley ask start -> first answer byte (median)",
            c_ours.p50,
            "ms",
            c_bare.p50,
            "bare aiohttp script",
        )
    )
    first.goal, first.met = f"<= {CLI_GOAL}x", at_most(c_ours.p50 / c_bare.p50, CLI_GOAL)
    report.add(
        Figure(
            "parley ask start -> first answer byte (p90)", c_ours.p90, "ms", c_bare.p90, "bare aiohttp script"
        )
    )
    report.details = {"runs": runs, "gui_ms": gui, "cli_ms": cli, "slowest_imports": imports}
    if imports:
        report.note("slowest imports of a GUI start: " + ", ".join(imports))


def entry(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument(
        "--importtime", action="store_true", help="also list the slowest imports (python -X importtime)"
    )
    args = p.parse_args(argv)
    report = Report("startup", args.smoke, "Startup: Parley vs the bare minimum of the same kind")
    return run_main(main, args, report)


if __name__ == "__main__":
    sys.exit(entry())
