"""scripts/test's runner (tests/support/run_groups.py): a pytest process that crashes is reported
with the test it was running, and the tests after it still run and report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.run_groups import Outcome, overall

REPO = Path(__file__).resolve().parents[2]

PASSING = "def test_passes() -> None:\n    assert 1 + 1 == 2\n"
CRASHING = "import faulthandler\n\ndef test_segfaults() -> None:\n    faulthandler._sigsegv()\n"


def run_runner(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.support.run_groups", str(folder), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(folder), "-c", "/dev/null", "-o", "asyncio_default_fixture_loop_scope=function",
         *args],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_crash_names_its_test_and_the_rest_still_runs(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(PASSING, encoding="utf-8")
    (tmp_path / "test_b.py").write_text(CRASHING, encoding="utf-8")
    (tmp_path / "test_c.py").write_text(PASSING, encoding="utf-8")
    junit = tmp_path / "out" / "junit.xml"
    result = run_runner(tmp_path, f"--junitxml={junit}")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "pytest died (SIGSEGV) while running test_b.py::test_segfaults" in output
    assert "Fatal Python error: Segmentation fault" in output  # faulthandler's own traceback
    # After the crash, a second process ran test_c (and did not run test_a or test_b again).
    assert "goes on after that test" in output
    assert "1 passed, 2 deselected" in output
    assert sorted(p.name for p in junit.parent.iterdir()) == [
        "junit-selection-1.xml",
        "junit-selection-crash.xml",
    ]
    crash = (junit.parent / "junit-selection-crash.xml").read_text(encoding="utf-8")
    assert 'name="test_b.py::test_segfaults"' in crash
    assert "pytest died (SIGSEGV)" in crash


def test_a_passing_selection_exits_0(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(PASSING, encoding="utf-8")
    result = run_runner(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_overall_status() -> None:
    assert overall([Outcome("a", 0), Outcome("b", 5)]) == 0
    assert overall([Outcome("a", 5), Outcome("b", 5)]) == 5
    assert overall([Outcome("a", 0), Outcome("b", 1)]) == 1
    assert overall([Outcome("a", 0), Outcome("b", 1, ["t::x"])]) == 1
