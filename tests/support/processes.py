"""Waiting on app processes in end-to-end tests: for an event, or for the process to end first."""

from __future__ import annotations

import asyncio


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
