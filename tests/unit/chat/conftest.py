"""The application layer's tests run on the qasync loop with real services, and no widget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.compose import Services, build_services
from desktop_app.gui_services import GuiServices
from tests.support.desktop import MemorySecrets
from tests.support.qt import run
from tests.ui.conftest import api, qloop, server

__all__ = ["api", "qloop", "server", "services"]


@pytest.fixture
def services(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Services]:
    """Real services (settings INI, SQLite history) in a data folder under tmp_path."""
    built = run(qtbot, qloop, build_services(tmp_path / "data", secrets=MemorySecrets(), env={}))
    try:
        yield built
    finally:
        run(qtbot, qloop, GuiServices(built).aclose())
