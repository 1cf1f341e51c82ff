"""Guard against the PySide6 build that kills Python 3.11.

PySide6 6.12.0 drops one reference to `None` on every call of a C++ method returning void. On
Python < 3.12 `None` is an ordinary refcounted object, so after enough calls its count reaches zero
and the interpreter aborts in `none_dealloc` — the app dies minutes into a streamed answer. Python
3.12+ made `None` immortal, hence the version-dependent pin in pyproject.toml.

The calls run in a child process so that a bad build aborts the child, not the test run.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap

from packaging.requirements import Requirement
from packaging.version import Version

VOID_CALLS = 20_000
# Allowed drift of None's count from unrelated interpreter bookkeeping; the defect loses one per
# void call, i.e. at least VOID_CALLS, so this margin cannot hide it.
DRIFT = 200

CHILD = textwrap.dedent(
    """
    import gc, json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QTextEdit

    app = QApplication([])
    label, timer, edit = QLabel(), QTimer(), QTextEdit()

    def void_calls(rounds):
        # Each round makes 5 calls that return void in C++.
        for index in range(rounds):
            label.setText("x")
            timer.start(1000)
            timer.stop()
            edit.insertPlainText("y")
            edit.clear()
        return rounds * 5

    void_calls(100)  # warm up lazy caches before measuring
    gc.collect()
    before = sys.getrefcount(None)
    calls = void_calls(ROUNDS)
    gc.collect()
    after = sys.getrefcount(None)
    print(json.dumps({"before": before, "after": after, "calls": calls}))
    """
).replace("ROUNDS", str(VOID_CALLS // 5))


def test_void_qt_calls_do_not_drop_references_to_none() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert child.returncode == 0, (
        f"the child died (exit {child.returncode}); a PySide6 build that drops references to None "
        f"aborts Python < 3.12 this way.\nstderr:\n{child.stderr[-2000:]}"
    )
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"refcount of None: before={counts['before']} after={counts['after']} ({counts['calls']} calls)")
    assert counts["calls"] == VOID_CALLS
    assert counts["after"] >= counts["before"] - DRIFT, (
        f"sys.getrefcount(None) fell from {counts['before']} to {counts['after']} over "
        f"{VOID_CALLS} void Qt calls: this PySide6 build leaks references to None"
    )


def _declared_pyside_requirements(python_version: str) -> list[Requirement]:
    """Parley's declared PySide6-Essentials requirements that apply on `python_version`."""
    declared = [Requirement(line) for line in importlib.metadata.requires("parley") or []]
    environment = {"python_version": python_version, "extra": ""}
    return [
        req
        for req in declared
        if req.name.lower() == "pyside6-essentials"
        and (req.marker is None or req.marker.evaluate(environment))
    ]


def test_parley_pins_pyside_below_6_12_on_python_3_11() -> None:
    requirements = _declared_pyside_requirements("3.11")
    assert requirements, "parley must declare PySide6-Essentials for Python 3.11"
    for requirement in requirements:
        assert not requirement.specifier.contains("6.12.0", prereleases=True), requirement


def test_installed_pyside_satisfies_the_pin() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    installed = {
        name: Version(importlib.metadata.version(name)) for name in ("PySide6-Essentials", "shiboken6")
    }
    for requirement in _declared_pyside_requirements(running):
        assert requirement.specifier.contains(installed["PySide6-Essentials"], prereleases=True), (
            f"installed PySide6-Essentials {installed['PySide6-Essentials']} violates {requirement}"
        )
    if sys.version_info < (3, 12):
        # shiboken6 carries the defect and is versioned in lockstep with PySide6.
        for name, version in installed.items():
            assert version < Version("6.12"), f"{name} {version} aborts Python < 3.12 (none_dealloc)"
