"""Typed events a provider's stream yields."""

from __future__ import annotations

from dataclasses import dataclass


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


StreamEvent = TextDelta | ReasoningDelta | Usage | Finish | ProviderSelected
