"""What one streamed answer looked like from the event loop's and the screen's point of view:
loop lag, received vs displayed text rate, how long each piece of text waited to be painted, the
cost of each view update and paint, and CPU use. Shared by ui_stream.py and history_scale.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from _common import Summary
from _qt_probes import Frame


@dataclass
class StreamMetrics:
    label: str
    rate: float  # tokens per second the server was asked for
    deltas: int  # text pieces received (tokens for the app, chunk reads for the naive baseline)
    chars: int  # characters received
    seconds: float  # measured span (send → last paint, or the baseline's window)
    lag: Summary  # lateness of the 5 ms timer, ms
    received_rate: float  # characters per second, first → last arrival
    displayed_rate: float  # characters per second, first → last painted frame
    display_latency: Summary  # ms from a delta's arrival to the end of the frame that showed it
    last_chunk_to_paint: float  # ms from the last arrival to the end of the frame that showed it all
    update_cost: Summary  # ms per view update (update_streaming, or setMarkdown for the baseline)
    paint_cost: Summary  # ms per painted frame (paint + flush)
    frames: int
    cpu_percent: float  # of one core, over `seconds`
    complete: bool  # every received character was painted
    preempted: int  # involuntary context switches: other processes took this one's core

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.as_dict() if isinstance(value, Summary) else value
        return out


def analyse(
    label: str,
    rate: float,
    *,
    arrivals: Sequence[tuple[int, int]],
    frames: Sequence[Frame],
    updates: Sequence[tuple[int, int, int]],
    lag: Sequence[float],
    start_ns: int,
    end_ns: int,
    cpu_seconds: float,
    preempted: int = 0,
) -> StreamMetrics:
    chars = arrivals[-1][1] if arrivals else 0
    painted = [f for f in frames if f.painted and f.shown > 0]
    received_rate = displayed_rate = 0.0
    if len(arrivals) > 1 and arrivals[-1][0] > arrivals[0][0]:
        received_rate = (chars - arrivals[0][1]) / ((arrivals[-1][0] - arrivals[0][0]) / 1e9)
    if len(painted) > 1 and painted[-1].end_ns > painted[0].end_ns:
        displayed_rate = (painted[-1].shown - painted[0].shown) / (
            (painted[-1].end_ns - painted[0].end_ns) / 1e9
        )
    latencies: list[float] = []
    index = 0
    for arrived, total in arrivals:  # each delta waits for the first frame that shows it
        while index < len(painted) and (painted[index].shown < total or painted[index].end_ns < arrived):
            index += 1
        if index == len(painted):
            break
        latencies.append((painted[index].end_ns - arrived) / 1e6)
    complete = bool(arrivals) and bool(painted) and painted[-1].shown >= chars
    last = float("nan")
    if complete:
        full = next(f for f in painted if f.shown >= chars)
        last = (full.end_ns - arrivals[-1][0]) / 1e6
    seconds = (end_ns - start_ns) / 1e9
    return StreamMetrics(
        label=label,
        rate=rate,
        deltas=len(arrivals),
        chars=chars,
        seconds=seconds,
        lag=Summary.of(lag),
        received_rate=received_rate,
        displayed_rate=displayed_rate,
        display_latency=Summary.of(latencies),
        last_chunk_to_paint=last,
        update_cost=Summary.of([(end - start) / 1e6 for start, end, _ in updates]),
        paint_cost=Summary.of([(f.end_ns - f.start_ns) / 1e6 for f in painted]),
        frames=len(painted),
        cpu_percent=100 * cpu_seconds / seconds if seconds > 0 else float("nan"),
        complete=complete,
        preempted=preempted,
    )
