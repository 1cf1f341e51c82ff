"""How scripts/test runs pytest: the suite in groups, each in its own process, so a crash in the
Qt-heavy folders names its test and the rest still runs and reports; and `--stress N`.

    python -m tests.support.run_groups [--stress N] [pytest arguments ...]

Without test paths in the arguments the suite runs as three processes: unit + integration, ui,
e2e. With paths, those run in one process. A process that dies (segfault, abort) is reported
with the test that was running (tests/support/progress.py), and the group goes on after that
test, at most `MAX_RESTARTS` times. `--junitxml=PATH` becomes one file per process:
PATH's stem + "-<group>[-<restart>]" (all of them match `<stem>*.xml`); a process that crashed
writes none, so a "-crash" file records its crashed test as a failure.

`--stress N` runs the end-to-end, tray and CLI suites N times with two CPU burners beside them
(other builds on the same machine, as CI may have), each round in its own process.

Exit status: 0 when every process passed; 5 when no process collected a test; else the first
failing status, 1 for a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.progress import ENV as PROGRESS_ENV

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("tests/unit", "tests/integration")),
    ("ui", ("tests/ui",)),
    ("e2e", ("tests/e2e",)),
)
STRESS_SUITES = ("tests/e2e", "tests/ui/test_tray.py", "tests/integration/test_cli.py")
STRESS_BURNERS = 2
MAX_RESTARTS = 3
GROUP_TIMEOUT_S = 30 * 60  # pytest-timeout ends a stuck test long before this
EXIT_NO_TESTS = 5


@dataclass
class Outcome:
    name: str
    status: int = 0
    crashes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.crashes:
            result = "CRASHED in " + ", ".join(self.crashes)
        elif self.status == 0:
            result = "passed"
        elif self.status == EXIT_NO_TESTS:
            result = "no tests collected"
        else:
            result = f"FAILED (pytest exit {self.status})"
        return f"{self.name:<12} {result}"


def _is_path(arg: str) -> bool:
    return not arg.startswith("-") and (Path(arg.split("::", 1)[0]).exists() or "::" in arg)


def _junit_for(args: Sequence[str], suffix: str) -> list[str]:
    out = []
    for arg in args:
        if arg.startswith("--junitxml="):
            path = Path(arg.removeprefix("--junitxml="))
            extension = path.suffix or ".xml"
            arg = f"--junitxml={path.with_name(f'{path.stem}-{suffix}{extension}')}"
        out.append(arg)
    return out


def _write_crash_junit(args: Sequence[str], suffix: str, nodeid: str, how: str) -> None:
    """A crashed pytest writes no JUnit file: one with the crashed test as a failure stands in."""
    for arg in _junit_for(args, f"{suffix}-crash"):
        if arg.startswith("--junitxml="):
            suite = ET.Element("testsuite", name="pytest", tests="1", failures="1", errors="0", skipped="0")
            case = ET.SubElement(suite, "testcase", classname=nodeid.split("::", 1)[0], name=nodeid)
            ET.SubElement(case, "failure", message=f"pytest died ({how}) while running this test")
            path = Path(arg.removeprefix("--junitxml="))
            path.parent.mkdir(parents=True, exist_ok=True)
            ET.ElementTree(suite).write(path, encoding="utf-8")


def _signal_name(status: int) -> str:
    number = -status if status < 0 else status - 128
    with contextlib.suppress(ValueError):
        return signal.Signals(number).name
    return f"exit {status}"


def _died(status: int) -> bool:
    """Killed by a signal (subprocess: negative), or a shell's 128+N for SIGSEGV/SIGABRT/SIGBUS."""
    return status < 0 or status in (128 + signal.SIGSEGV, 128 + signal.SIGABRT, 128 + signal.SIGBUS)


def _read_progress(path: Path) -> tuple[list[str], str | None]:
    """(tests that started, the one that started but did not end)."""
    started: list[str] = []
    finished: set[str] = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            kind, _, nodeid = line.partition(" ")
            if kind == "start":
                started.append(nodeid)
            elif kind == "done":
                finished.add(nodeid)
    running = next((n for n in reversed(started) if n not in finished), None)
    return started, running


def run_group(name: str, paths: Sequence[str], args: Sequence[str]) -> Outcome:
    outcome = Outcome(name)
    skip: list[str] = []
    with tempfile.TemporaryDirectory(prefix="parley-progress-") as folder:
        for attempt in range(MAX_RESTARTS + 1):
            progress = Path(folder) / f"{attempt}.txt"
            suffix = name if attempt == 0 else f"{name}-{attempt}"
            command = [
                sys.executable, "-m", "pytest", "-p", "tests.support.progress",
                *paths, *_junit_for(args, suffix), *(f"--deselect={nodeid}" for nodeid in skip),
            ]  # fmt: skip
            env = {**os.environ, PROGRESS_ENV: str(progress), "PYTHONFAULTHANDLER": "1"}
            print(f"\n----- scripts/test: {name}: pytest {' '.join(paths) or ' '.join(args)}", flush=True)
            status = subprocess.run(command, env=env, timeout=GROUP_TIMEOUT_S, check=False).returncode
            if not _died(status):
                outcome.status = status
                return outcome
            started, running = _read_progress(progress)
            crashed = running or "(before the first test started)"
            outcome.crashes.append(crashed)
            _write_crash_junit(args, suffix, crashed, _signal_name(status))
            print(
                f"\nscripts/test: pytest died ({_signal_name(status)}) while running {crashed}",
                file=sys.stderr,
                flush=True,
            )
            if running is None:
                break
            skip.extend(started)
            print(f"scripts/test: {name} goes on after that test", file=sys.stderr, flush=True)
    outcome.status = 1
    return outcome


@contextlib.contextmanager
def cpu_burners(count: int) -> Iterator[None]:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait(timeout=10)


def overall(outcomes: Sequence[Outcome]) -> int:
    if all(o.status == EXIT_NO_TESTS and not o.crashes for o in outcomes):
        return EXIT_NO_TESTS
    for outcome in outcomes:
        if outcome.status not in (0, EXIT_NO_TESTS):
            return outcome.status
        if outcome.crashes:
            return 1
    return 0


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    rounds = 0
    if args[:1] == ["--stress"]:
        if len(args) < 2 or not args[1].isdigit() or int(args[1]) < 1:
            print("scripts/test: --stress needs a number of rounds, e.g. --stress 3", file=sys.stderr)
            return 2
        rounds, args = int(args[1]), args[2:]
    started = time.monotonic()
    outcomes: list[Outcome] = []
    if rounds:
        print(f"scripts/test: stress: {rounds} round(s) of {', '.join(STRESS_SUITES)} "
              f"with {STRESS_BURNERS} CPU burners", flush=True)  # fmt: skip
        with cpu_burners(STRESS_BURNERS):
            for number in range(1, rounds + 1):
                outcomes.append(run_group(f"stress-{number}", STRESS_SUITES, args))
    elif any(_is_path(arg) for arg in args):
        outcomes.append(run_group("selection", [], args))
    else:
        outcomes.extend(run_group(name, paths, args) for name, paths in GROUPS)
    if len(outcomes) > 1:
        print(f"\n===== scripts/test: {len(outcomes)} pytest processes in {time.monotonic() - started:.0f} s")
        for outcome in outcomes:
            print(outcome.line())
    return overall(outcomes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
