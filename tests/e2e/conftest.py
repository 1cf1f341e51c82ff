"""End-to-end tests drive whole app processes step by step; each step waits for an event with a
generous limit that holds on a busy 2-core machine, so a whole test gets more than the suite's
default per-test timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

E2E_TIMEOUT_S = 300
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S))
