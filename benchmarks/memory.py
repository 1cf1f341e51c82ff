"""Memory: resident set size (RSS) of the real app at three moments, next to a bare PySide6 window.

The real app (offscreen, real services in a temporary folder whose history already holds one
10,000-message conversation, built in another process so this one's memory stays untouched):
1. idle: the window shown and settled;
2. after a 30,000-token markdown answer has streamed in (from a local server, as fast as it can)
   and finished;
3. after opening the 10,000-message conversation from the sidebar.
Each after a garbage collection and a second of idle. Baseline in the same run: a bare PySide6
script showing an empty QMainWindow of the same size, measured the same way. No goal is set; the
ratios show what Parley costs on top of Qt.

    python benchmarks/memory.py            # ~25 s
    python benchmarks/memory.py --smoke    # a 6,000-token answer, 2,000 messages
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import Figure, Report, offscreen_environment, parser, rss_mb, run_main

SETTLE_S = 1.0

_BARE_WINDOW = r"""
import gc, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
sys.path.insert(0, sys.argv[1])
from _common import rss_mb

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1100, 720)
window.show()

def report():
    gc.collect()
    print(f"{rss_mb():.2f} {rss_mb('VmHWM'):.2f}", flush=True)
    app.quit()

QTimer.singleShot(int(float(sys.argv[2]) * 1000), report)
sys.exit(app.exec())
"""


def bare_window_rss() -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _BARE_WINDOW, str(Path(__file__).parent), str(SETTLE_S + 0.5)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rss, peak = done.stdout.split()
    return float(rss), float(peak)


def _build(path: str, messages: int, seed: int) -> None:
    offscreen_environment()
    from _history_data import build_history

    build_history(Path(path), conversations=1, messages=messages, big_messages=messages, seed=seed)


def build_elsewhere(path: Path, messages: int, seed: int) -> None:
    """Build the history in a separate process: this process's memory must not hold its traces."""
    process = multiprocessing.get_context("spawn").Process(target=_build, args=(str(path), messages, seed))
    process.start()
    process.join(300)
    if process.exitcode != 0:
        raise RuntimeError(f"building the history failed (exit {process.exitcode})")


async def measured() -> tuple[float, float]:
    await asyncio.sleep(SETTLE_S)
    gc.collect()
    return rss_mb(), rss_mb("VmHWM")


def main(args: Any, report: Report) -> None:
    offscreen_environment()
    answer = 6_000 if args.smoke else 30_000
    messages = 2_000 if args.smoke else 10_000
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        data_dir = Path(tmp)
        build_elsewhere(data_dir / "history.sqlite3", messages, args.seed)
        bare, bare_peak = bare_window_rss()
        from _answer import answer_text
        from _app_driver import install_arrival_tap, prepare_data_dir, run_app, type_and_send
        from _qt_probes import wait_until
        from _stream_server import StreamPlan, StreamServer

        with StreamServer(answer, args.seed) as server:
            prepare_data_dir(data_dir, server.base_url)
            tap = install_arrival_tap()
            expected = len(answer_text(answer, args.seed))

            async def scenario(window: Any) -> dict[str, tuple[float, float]]:
                from _history_ui import select_conversation

                out = {"idle": await measured()}
                window.conversations.new_chat()
                server.plan(StreamPlan(tokens=answer, rate=0))
                type_and_send(window, "Write a long answer")
                await wait_until(lambda: tap.chars >= expected and not window.composer.streaming, 120)
                out["answer"] = await measured()
                select_conversation(window, 1)
                await wait_until(lambda: window.conversations.current == 1, 30)
                out["opened"] = await measured()
                return out

            rss = run_app(data_dir, scenario, limit_s=240)
    stages = (
        ("idle", "RSS idle (window shown)"),
        ("answer", f"RSS after a {answer:,}-token answer"),
        ("opened", f"RSS after opening a {messages:,}-message conversation"),
    )
    for key, label in stages:
        report.add(Figure(label, rss[key][0], "MiB", bare, "bare PySide6 window"))
    report.add(Figure("peak RSS (VmHWM)", rss["opened"][1], "MiB", bare_peak, "bare PySide6 window"))
    report.details = {"rss_mib": {k: v[0] for k, v in rss.items()}, "bare_rss_mib": bare}
    report.note("RSS of the benchmark process, which is the app plus a few small benchmark modules")


def entry(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    report = Report(
        "memory", args.smoke, "Memory: resident set size of the real app vs a bare PySide6 window"
    )
    return run_main(main, args, report)


if __name__ == "__main__":
    sys.exit(entry())
