"""A private Xvfb display for tests that need a real X server of their own."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
from collections.abc import Iterator

START_TIMEOUT_S = 10.0


@contextlib.contextmanager
def private_xvfb(screen: str = "1280x800x24") -> Iterator[str]:
    """Start Xvfb on a free display number and yield it (":N") once the server is ready: Xvfb
    writes the number to the -displayfd pipe only then. Stopped on exit."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], START_TIMEOUT_S)
        assert ready, f"Xvfb did not start within {START_TIMEOUT_S:g} s"
        number = os.read(read_end, 32).decode().strip()
        assert number.isdigit(), number
        yield f":{number}"
    finally:
        os.close(read_end)
        process.terminate()
        process.wait(timeout=10)
