"""Run every benchmark and write benchmarks/RESULTS.md: the machine, the command, every figure next
to its same-run baseline, and each goal met or not.

    python benchmarks/run_all.py                 # the full suite (~8 minutes on 2 cores)
    python benchmarks/run_all.py --smoke         # every benchmark's smoke run (~1.5 minutes);
                                                 # prints only, unless --output is given
    python benchmarks/run_all.py --only ui_stream,startup

Each benchmark runs as its own process (`<name>.py --json`), one after another, so none disturbs
another's timing; its last stdout line is its JSON result. A benchmark that fails or times out
is reported as such and the others still run. Exit status 0 when every benchmark ran (goals
missed do not fail the run: benchmarks report, tests assert).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import BENCHMARKS_DIR, Figure, command_line, fmt, machine_facts, parser, render_table

BENCHMARKS = (
    "stream_throughput",
    "ui_stream",
    "stop_latency",
    "startup",
    "memory",
    "history_scale",
    "attachments",
)
LIMIT_S = {"smoke": 60, "full": 300}  # per benchmark


def run_one(name: str, smoke: bool) -> dict[str, Any]:
    command = [sys.executable, str(BENCHMARKS_DIR / f"{name}.py"), "--json", *(["--smoke"] if smoke else [])]
    started = time.monotonic()
    limit = LIMIT_S["smoke" if smoke else "full"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return {"benchmark": name, "error": f"timed out after {limit} s", "figures": []}
    lines = done.stdout.rstrip().splitlines()
    result: dict[str, Any] = {"benchmark": name, "figures": []}
    try:
        result = json.loads(lines[-1]) if lines else result
    except json.JSONDecodeError:
        result["error"] = "no JSON result"
    if done.returncode != 0 and not result.get("error"):
        result["error"] = f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
    result["table"] = "\n".join(lines[:-1])
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    result["command"] = " ".join(["python", f"benchmarks/{name}.py", *command[2:]])
    if name == "stream_throughput" and "results" in result:
        result["figures"] = throughput_figures(result["results"])
    return result


def throughput_figures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """stream_throughput.py's own JSON rows as figures (provider vs raw read, same run)."""
    figures = []
    for row in rows:
        if row["mode"] == "live":
            goal = row.get("goal")
            figure = Figure(
                f"live {row['provider']}: provider wire MB/s",
                row["provider_wire_mb_s"],
                "MB/s",
                row["raw_wire_mb_s"],
                "raw aiohttp read",
                f">= {goal}x" if goal else "",
                row.get("met"),
            )
        else:
            figure = Figure(
                f"cpu-bound {row['provider']}: provider µs/event",
                row["provider_us_per_event"],
                "µs",
                row["minimal_us_per_event"],
                "least decoding",
            )
        figures.append(figure.as_dict())
    return figures


def as_figures(result: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            name=str(f["name"]),
            value=float("nan") if f["value"] is None else float(f["value"]),
            unit=str(f["unit"]),
            baseline=None if f["baseline"] is None else float(f["baseline"]),
            baseline_name=str(f["baseline_name"]),
            goal=str(f["goal"]),
            met=f["met"],
        )
        for f in result.get("figures", [])
    ]


def markdown(results: list[dict[str, Any]], smoke: bool, seconds: float, load_before: Any) -> str:
    facts = next((r["machine"] for r in results if r.get("machine")), None) or machine_facts()
    facts = {**facts, "load_average": f"{load_before} before, {machine_facts()['load_average']} after"}
    facts["qt_platform"] = "offscreen (set by each benchmark)"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmark results",
        "",
        f"Written by `{command_line()}` on {now} in {seconds:.0f} s"
        + (" (smoke runs: not representative)." if smoke else "."),
        "Every figure is next to a baseline measured in the same run; ratio = figure / baseline.",
        "What each benchmark measures, and the causes of missed goals with their fixes:"
        " [README.md](README.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in facts.items()),
        "",
        "## Goals",
        "",
        "| benchmark | figure | value | baseline (same run) | ratio | goal | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for f in as_figures(result):
            if f.goal:
                verdict = "met" if f.met else "**MISSED**"
                out.append(f"| {result['benchmark']} | {f.name} | {_row(f)} | {verdict} |")
    for result in results:
        out += [
            "",
            f"## {result['benchmark']}: {result.get('title', '')}".rstrip(": "),
            "",
            f"`{result.get('command', '')}` ({result.get('wall_seconds', '?')} s)",
            "",
        ]
        if result.get("error"):
            out += [f"**Error:** {result['error']}", ""]
        out += [
            "| figure | value | baseline (same run) | ratio | goal | result |",
            "|---|---|---|---|---|---|",
        ]
        for f in as_figures(result):
            ratio = f.ratio
            baseline = "-" if f.baseline is None else f"{fmt(f.baseline, f.unit)} ({f.baseline_name})"
            result_text = "" if not f.goal else ("met" if f.met else "**MISSED**")
            out.append(
                f"| {f.name} | {fmt(f.value, f.unit)} | {baseline} | "
                f"{'-' if ratio is None else f'{ratio:.2f}x'} | {f.goal} | {result_text} |"
            )
        out += [f"- {note}" for note in result.get("notes", [])]
    out.append("")
    return "\n".join(out)


def _row(f: Figure) -> str:
    """value | baseline | ratio | goal, as table cells."""
    baseline = "-" if f.baseline is None else f"{fmt(f.baseline, f.unit)} ({f.baseline_name})"
    ratio = f.ratio
    return f"{fmt(f.value, f.unit)} | {baseline} | {'-' if ratio is None else f'{ratio:.2f}x'} | {f.goal}"


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--only", help="comma-separated benchmark names")
    p.add_argument(
        "--output",
        type=Path,
        help="where to write the results (default: benchmarks/RESULTS.md for full runs)",
    )
    args = p.parse_args(argv)
    names = [n for n in (args.only.split(",") if args.only else BENCHMARKS) if n]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    load_before = machine_facts()["load_average"]
    results = []
    for name in names:
        print(f"== {name} ...", flush=True)
        result = run_one(name, args.smoke)
        results.append(result)
        figures = as_figures(result)
        print(
            render_table(f"{name} ({result.get('wall_seconds')} s)", figures)
            if figures
            else result.get("table", "")
        )
        if result.get("error") and figures:
            print(f"  ERROR: {result['error']}")
        print(flush=True)
    seconds = time.monotonic() - started
    output = args.output or (None if args.smoke else BENCHMARKS_DIR / "RESULTS.md")
    if output is not None:
        output.write_text(markdown(results, args.smoke, seconds, load_before), encoding="utf-8")
        print(f"wrote {output}")
    goals = [f for r in results for f in as_figures(r) if f.goal]
    print(f"{sum(1 for f in goals if f.met)} of {len(goals)} goals met; {seconds:.0f} s")
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "run_all",
                    "results": [{k: v for k, v in r.items() if k != "table"} for r in results],
                },
                default=str,
            )
        )
    return 1 if any(r.get("error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
