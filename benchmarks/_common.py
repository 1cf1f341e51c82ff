"""Shared helpers of the benchmark scripts: statistics, machine facts, the report every script prints
(a human table, and with `--json` one JSON object as the last line of stdout), and goal checks.

Every figure is reported next to a baseline measured in the same run, as a ratio; a figure with a
goal says whether it was met. No Qt here, so run_all.py can import it cheaply.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
FRAME_MS = 1000 / 60  # one frame at 60 Hz


# -- statistics --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(
            n=len(values),
            p50=percentile(values, 50),
            p90=percentile(values, 90),
            p99=percentile(values, 99),
            max=max(values),
            mean=sum(values) / len(values),
        )

    def as_dict(self) -> dict[str, float]:
        return {k: _finite(v) for k, v in asdict(self).items()}


def _finite(value: float) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


# -- the report --------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured number, its same-run baseline and, when there is one, its goal."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""  # e.g. "< 16 ms"; empty: no goal, reported for information
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline or not math.isfinite(self.value):
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = _finite(self.value)
        data["baseline"] = None if self.baseline is None else _finite(self.baseline)
        ratio = self.ratio
        data["ratio"] = None if ratio is None else _finite(ratio)
        return data


def below(value: float, limit: float) -> bool:
    return math.isfinite(value) and value < limit


def at_most(value: float, limit: float) -> bool:
    return math.isfinite(value) and value <= limit


@dataclass
class Report:
    benchmark: str
    smoke: bool
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def goals(self) -> list[Figure]:
        return [f for f in self.figures if f.goal]

    def as_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "smoke": self.smoke,
            "title": self.title,
            "seconds": round(time.monotonic() - self.started, 1),
            "machine": machine_facts(),
            "command": command_line(),
            "figures": [f.as_dict() for f in self.figures],
            "goals_met": sum(1 for f in self.goals if f.met),
            "goals_total": len(self.goals),
            "notes": self.notes,
            "details": self.details,
            "error": self.error,
        }

    def print(self, *, as_json: bool) -> None:
        print(render_table(self.title, self.figures))
        for note in self.notes:
            print(f"  note: {note}")
        if self.error:
            print(f"  ERROR: {self.error}")
        sys.stdout.flush()
        if as_json:
            print(json.dumps(self.as_dict(), ensure_ascii=False, default=str))
            sys.stdout.flush()


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "-"
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e15 and unit in ("times", "frames", ""):
        text = f"{int(value):,}"
    elif magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def render_table(title: str, figures: Iterable[Figure]) -> str:
    rows = [("figure", "value", "baseline (same run)", "ratio", "goal", "result")]
    for f in figures:
        baseline = "-" if f.baseline is None else f"{fmt(f.baseline, f.unit)} {f.baseline_name}".strip()
        ratio = f.ratio
        result = "" if not f.goal else ("met" if f.met else "MISSED")
        rows.append(
            (
                f.name,
                fmt(f.value, f.unit),
                baseline,
                "-" if ratio is None else f"{ratio:.2f}x",
                f.goal,
                result,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [title, ""]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1])]
        cells += [cell.ljust(widths[i + 2]) for i, cell in enumerate(row[2:])]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- the machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "?"


def machine_facts() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "os": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_mb": _memory_mb(),
        "load_average": None if load is None else [round(x, 2) for x in load],
        "python": platform.python_version(),
        "pyside6": _version("PySide6-Essentials"),
        "aiohttp": _version("aiohttp"),
        "qasync": _version("qasync"),
        "sqlite": sqlite3.sqlite_version,
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", ""),
    }


def command_line() -> str:
    return " ".join([Path(sys.executable).name, *sys.argv])


# -- process facts -----------------------------------------------------------------------------


def rss_mb(field_name: str = "VmRSS") -> float:
    """This process's resident memory (or its peak with "VmHWM") in MiB, from /proc."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(ns: int) -> float:
    return ns / 1e6


def now_ns() -> int:
    """CLOCK_MONOTONIC, shared by every process on the machine (so a server process's timestamps
    compare with the client's)."""
    return time.monotonic_ns()


# -- command line ------------------------------------------------------------------------------


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="a run of seconds that keeps the script working (CI)")
    p.add_argument("--json", action="store_true", help="end with one line of JSON: the results")
    p.add_argument("--seed", type=int, default=2026)
    return p


def offscreen_environment() -> None:
    """The offscreen Qt platform, no keychain and no desktop session for every benchmark process."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")


def run_main(
    main: Callable[[argparse.Namespace, Report], None], args: argparse.Namespace, report: Report
) -> int:
    """Run a benchmark body; any failure ends up in the report (and exit code 1), never lost."""
    status = 0
    try:
        main(args, report)
    except KeyboardInterrupt:
        report.error = "interrupted"
        status = 130
    except Exception as exc:
        import traceback

        traceback.print_exc()
        report.error = f"{type(exc).__name__}: {exc}"
        status = 1
    report.print(as_json=args.json)
    return status
