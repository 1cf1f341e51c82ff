"""Typed events a provider's stream yields."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.core.tools import ToolCall


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer text, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning ("thinking"), shown apart from the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The server said the answer is over; `reason` is its word for why ("stop", "length", ...)."""

    reason: str = "stop"


@dataclass(frozen=True, slots=True)
class ProviderSelected:
    """Which provider is answering (a fallback chain emits one each time it tries another)."""

    provider: str


@dataclass(frozen=True, slots=True)
class ToolCallsEvent:
    """The tool calls of this answer, complete: emitted once, after the last text and before
    `Usage` / `Finish`, when the model has finished them (finish_reason "tool_calls", or the end of
    the stream). Arguments are the model's text as sent; one that does not parse is still here
    (`ToolCall.arguments()` raises), for the caller to answer with an error result.

    One event per answer rather than per call: a call is only usable once its arguments are
    complete, and the loop runs (and asks approval for) the answer's calls together."""

    calls: tuple[ToolCall, ...]


StreamEvent = TextDelta | ReasoningDelta | Usage | Finish | ProviderSelected | ToolCallsEvent
