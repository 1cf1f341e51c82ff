"""The stream decoders take bytes cut anywhere. Each case is fed whole, and split at every byte
position (two pieces) and byte by byte; the items out must be the same every time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from desktop_app.net.decoding import LineSplitter, NdjsonDecoder, SseDecoder, SseEvent, Utf8Decoder

T = TypeVar("T")


def splits(data: bytes) -> Iterator[list[bytes]]:
    """Whole; cut once at every position; byte by byte; and cut at every pair of positions
    for short inputs (a CRLF pair and a UTF-8 character both need two cuts to be split three ways)."""
    yield [data]
    for cut in range(1, len(data)):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]
    if len(data) <= 80:
        for first in range(1, len(data)):
            for second in range(first + 1, len(data)):
                yield [data[:first], data[first:second], data[second:]]


def run_sse(pieces: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.flush()


def run_ndjson(pieces: list[bytes]) -> list[object]:
    decoder = NdjsonDecoder()
    items = [item for piece in pieces for item in decoder.feed(piece)]
    return items + decoder.flush()


def assert_same_for_every_split(data: bytes, run: Callable[[list[bytes]], T], expected: T) -> None:
    for pieces in splits(data):
        assert run(pieces) == expected, f"split as {pieces!r}"


# --- UTF-8 -------------------------------------------------------------------------------------

TEXTS = [
    "Привет, мир! Как дела?",
    "你好，世界。今天天气很好",
    "emoji 👍🏽 and a family 👨‍👩‍👧 and 🇷🇺",
    "mixed: ё 中 😀 e\u0301 end",
]


@pytest.mark.parametrize("text", TEXTS)
def test_utf8_decoder_survives_every_split(text: str) -> None:
    data = text.encode("utf-8")

    def run(pieces: list[bytes]) -> str:
        decoder = Utf8Decoder()
        out = [decoder.feed(piece) for piece in pieces]
        return "".join(out) + decoder.flush()

    assert_same_for_every_split(data, run, text)


def test_utf8_decoder_never_emits_half_a_character() -> None:
    decoder = Utf8Decoder()
    data = "😀".encode()
    assert [decoder.feed(data[i : i + 1]) for i in range(4)] == ["", "", "", "😀"]


def test_utf8_decoder_truncated_character_at_the_end_becomes_a_replacement() -> None:
    decoder = Utf8Decoder()
    assert decoder.feed("ok 中".encode()[:-1]) == "ok "
    assert decoder.flush() == "\ufffd"


# --- line splitting ---------------------------------------------------------------------------


def test_line_splitter_treats_crlf_split_across_chunks_as_one_break() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"one\r") == [b"one"]  # a CR ends the line at once
    assert splitter.feed(b"\ntwo\r") == [b"two"]  # the LF after it is not a second, empty line
    assert splitter.feed(b"\r") == [b""]  # but a second CR is
    assert splitter.flush() == []


# --- SSE -------------------------------------------------------------------------------------

SSE_CASES = [
    pytest.param(
        b'data: {"a": 1}\r\n\r\ndata: {"b": 2}\r\n\r\n',
        [SseEvent('{"a": 1}'), SseEvent('{"b": 2}')],
        id="crlf",
    ),
    pytest.param(
        b"data: one\r\rdata: two\r\r",
        [SseEvent("one"), SseEvent("two")],
        id="lone-cr",
    ),
    pytest.param(
        b": ping\n\ndata: hi\n\n: ping\n\n:\n\ndata: there\n\n",
        [SseEvent("hi"), SseEvent("there")],
        id="ping-comments",
    ),
    pytest.param(
        b'event: delta\nid: 7\ndata: {"text": "\xd0\x9f\xd1\x80\xd0\xb8"}\n\ndata: [DONE]\n\n',
        [SseEvent('{"text": "При"}', "delta", "7"), SseEvent("[DONE]", "message", "7")],
        id="several-events-in-one-chunk",
    ),
    pytest.param(
        b"data: first line\ndata: second line\ndata\ndata:no space\n\n",
        [SseEvent("first line\nsecond line\n\nno space")],
        id="multi-line-data",
    ),
    pytest.param(
        b"data: a\n\ndata: last without blank line",
        [SseEvent("a"), SseEvent("last without blank line")],
        id="missing-final-blank-line",
    ),
    pytest.param(
        b"data: kept\r\n",
        [SseEvent("kept")],
        id="eof-after-one-line-break",
    ),
    pytest.param(
        b"retry: 100\nunknown: x\ndata: only data\n\n",
        [SseEvent("only data")],
        id="ignored-fields",
    ),
]


@pytest.mark.parametrize(("stream", "expected"), SSE_CASES)
def test_sse_decoder_gives_the_same_events_for_every_split(stream: bytes, expected: list[SseEvent]) -> None:
    assert_same_for_every_split(stream, run_sse, expected)


def test_sse_json_data_line_split_mid_json_at_every_position() -> None:
    payload = {"choices": [{"delta": {"content": "Привет 👋 世界"}}], "id": "chatcmpl-1"}
    stream = b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\ndata: [DONE]\n\n"
    for pieces in splits(stream):
        events = run_sse(pieces)
        assert [json.loads(events[0].data), events[1].data] == [payload, "[DONE]"], pieces


def test_sse_cr_at_the_end_of_a_chunk_then_lf_in_the_next_is_one_line_break() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: a\r") == []
    # Were CR and LF counted as two breaks, "a" would be dispatched alone here.
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r") == [SseEvent("a\nb")]
    assert decoder.feed(b"\n") == []
    assert decoder.flush() == []


def test_sse_event_is_dispatched_as_soon_as_its_blank_line_arrives() -> None:
    decoder = SseDecoder()
    # Lone-CR servers: the last CR must not be held back waiting for a possible LF.
    assert decoder.feed(b"data: now\r\r") == [SseEvent("now")]


# --- NDJSON ----------------------------------------------------------------------------------

NDJSON = (
    b'{"message": {"content": "\xd0\x9f\xd1\x80\xd0\xb8"}, "done": false}\n'
    b"\n"
    b"   \r\n"
    b'{"message": {"content": "\xe4\xbd\xa0\xf0\x9f\x98\x80"}, "done": false}\r\n'
    b'{"done": true, "eval_count": 3}'
)
NDJSON_ITEMS: list[object] = [
    {"message": {"content": "При"}, "done": False},
    {"message": {"content": "你😀"}, "done": False},
    {"done": True, "eval_count": 3},
]


def test_ndjson_decoder_gives_the_same_values_for_every_split() -> None:
    assert_same_for_every_split(NDJSON, run_ndjson, NDJSON_ITEMS)


def test_ndjson_bad_line_raises_value_error_with_an_excerpt() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'{"ok": 1}\n') == [{"ok": 1}]
    with pytest.raises(ValueError, match=r"not a JSON line: .*<html><body>Bad Gateway") as caught:
        decoder.feed(b"<html><body>Bad Gateway" + b"x" * 500 + b"\n")
    assert len(str(caught.value)) < 200  # an excerpt, not the whole line
    assert "\n" not in str(caught.value)


def test_ndjson_bad_last_line_without_newline_raises_on_flush() -> None:
    decoder = NdjsonDecoder()
    assert decoder.feed(b'{"ok": 1}\n{"cut": ') == [{"ok": 1}]
    with pytest.raises(ValueError, match="not a JSON line"):
        decoder.flush()


def test_ndjson_keeps_values_before_a_malformed_line_in_the_same_chunk() -> None:
    from desktop_app.net.decoding import MalformedLineError, NdjsonDecoder

    with pytest.raises(MalformedLineError, match="not json") as caught:
        NdjsonDecoder().feed(b'{"a": 1}\n{"b": 2}\nnot json\n')
    assert caught.value.parsed == [{"a": 1}, {"b": 2}]
