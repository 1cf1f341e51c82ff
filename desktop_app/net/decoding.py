"""Incremental decoders for streamed answers. Pure code: bytes in any split → items out.

Servers and proxies cut streams anywhere: inside a UTF-8 character, between CR and LF, in the
middle of a JSON object. Each decoder keeps the unfinished tail until the next feed.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass


class Utf8Decoder:
    """UTF-8 that survives a multi-byte character split across chunks."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        """The end of the stream: a truncated character becomes U+FFFD instead of vanishing."""
        return self._decoder.decode(b"", final=True)


class LineSplitter:
    """Splits bytes into lines ending in LF, CRLF or a lone CR, keeping an unfinished last line."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer + data
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next feed.
            held = b"\r" if buffer.endswith(b"\r") else b""
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + held
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        return lines

    def flush(self) -> list[bytes]:
        rest, self._buffer = self._buffer.rstrip(b"\r"), b""
        return [rest] if rest else []


@dataclass(frozen=True, slots=True)
class SseEvent:
    data: str
    event: str = "message"
    id: str | None = None


class SseDecoder:
    """Server-sent events (the WHATWG `text/event-stream` format), incrementally.

    Comments (`: ping`) are skipped, several `data:` lines join with "\\n", a blank line dispatches.
    At the end of the stream a pending event without its blank line is still dispatched: servers
    that forget the final blank line (or `[DONE]`) must not lose their last chunk.
    """

    def __init__(self) -> None:
        self._lines = LineSplitter()
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None

    def feed(self, data: bytes) -> list[SseEvent]:
        events: list[SseEvent] = []
        for raw in self._lines.feed(data):
            self._take_line(raw, events)
        return events

    def flush(self) -> list[SseEvent]:
        events: list[SseEvent] = []
        for raw in self._lines.flush():
            self._take_line(raw, events)
        self._dispatch(events)
        return events

    def _take_line(self, raw: bytes, events: list[SseEvent]) -> None:
        if not raw:
            self._dispatch(events)
            return
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        # "retry" and unknown fields are ignored, as the standard says.

    def _dispatch(self, events: list[SseEvent]) -> None:
        if self._data:
            events.append(SseEvent("\n".join(self._data), self._event or "message", self._id))
        self._data = []
        self._event = ""


class NdjsonDecoder:
    """Newline-delimited JSON: one value per line; blank lines are skipped.

    A line that is not JSON raises `ValueError` with a short excerpt, so the provider can say
    "malformed stream" instead of silently dropping text.
    """

    def __init__(self) -> None:
        self._lines = LineSplitter()

    def feed(self, data: bytes) -> list[object]:
        return [self._parse(line) for line in self._lines.feed(data) if line.strip()]

    def flush(self) -> list[object]:
        return [self._parse(line) for line in self._lines.flush() if line.strip()]

    @staticmethod
    def _parse(line: bytes) -> object:
        try:
            return json.loads(line)
        except ValueError as exc:
            excerpt = line[:80].decode("utf-8", errors="replace")
            raise ValueError(f"not a JSON line: {excerpt!r}") from exc
