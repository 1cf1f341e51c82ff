"""The desktop app as a process in end-to-end tests: started, waited on (for an event, or for the
process to end first), and never left running."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path


@contextlib.asynccontextmanager
async def running_app(
    data_dir: Path, env: Mapping[str, str], *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m desktop_app --data-dir DATA_DIR ARGS` with `env`, stdout and stderr piped;
    killed on exit if it is still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "desktop_app",
        "--data-dir",
        str(data_dir),
        *args,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()


async def until_asked(process: asyncio.subprocess.Process, asked: asyncio.Event, timeout: float) -> None:
    """Until the app has asked the server for something (`asked`); an app that exits first fails
    the wait at once, with its exit code and stderr, instead of after the whole timeout."""
    waiting = asyncio.ensure_future(asked.wait())
    exiting = asyncio.ensure_future(process.wait())
    try:
        done, _ = await asyncio.wait({waiting, exiting}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
        if not exiting.done():
            exiting.cancel()
    if waiting in done:
        return
    if exiting in done:
        assert process.stderr is not None
        stderr = await asyncio.wait_for(process.stderr.read(), timeout)
        raise AssertionError(
            f"the app exited ({process.returncode}) before that: {stderr.decode(errors='replace')}"
        )
    raise AssertionError(f"the app asked the server for nothing within {timeout:g} s")
