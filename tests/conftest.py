"""Shared fixtures: real local servers, isolated data directories."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.support.server import ScriptedServer

pytest_plugins = ["tests.support.gui_thread"]

# Qt tests run offscreen unless a test module asks for the real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    srv = await ScriptedServer().start()
    try:
        yield srv
    finally:
        await srv.stop()
