"""Fixtures every provider test uses: a plain HTTP client, and one that logs the chunks it reads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from desktop_app.net.session import HttpClient
from tests.integration.providers.helpers import ChunkLog


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient() as client:
        yield client


@pytest.fixture
async def log() -> AsyncIterator[ChunkLog]:
    client = ChunkLog()
    try:
        yield client
    finally:
        await client.aclose()
