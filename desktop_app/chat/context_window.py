"""Fitting a conversation into a model's context window.

Token counts are the estimates of `core/tokens.py` (they lean high on purpose); every message adds
a few tokens of framing (role markers, separators).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.attachments import estimate_part_tokens
from desktop_app.core.messages import Message, Role
from desktop_app.core.tokens import estimate_text_tokens as estimate_text_tokens
from desktop_app.core.tokens import estimate_tokens

MESSAGE_OVERHEAD_TOKENS = 4


def estimate_message_tokens(message: Message) -> int:
    """The message as the model reads it: its text, its documents and its images."""
    attached = sum(estimate_part_tokens(part) for part in message.parts)
    return estimate_tokens(message.content) + attached + MESSAGE_OVERHEAD_TOKENS


@dataclass(frozen=True, slots=True)
class FittedHistory:
    messages: tuple[Message, ...]
    left_out: int  # how many older messages did not fit

    def notice(self) -> str:
        """The line a user sees when something was left out ("" when nothing was)."""
        if self.left_out == 0:
            return ""
        if self.left_out == 1:
            return "1 older message was left out to fit the model's context."
        return f"{self.left_out} older messages were left out to fit the model's context."


def fit_to_context(
    messages: Sequence[Message], context_tokens: int | None, reserved_tokens: int
) -> FittedHistory:
    """Keep every system message and the newest other messages that fit in
    `context_tokens - reserved_tokens` (the reserve is room for the answer).

    Messages are dropped oldest first and never skipped over: keeping a short old message after
    dropping a longer newer one would give the model a history with a hole in it. The newest
    message is always kept, even when it alone is too long: the server then says so, which is
    clearer than sending nothing. `context_tokens=None` (unknown window) keeps everything.
    """
    if context_tokens is None:
        return FittedHistory(tuple(messages), 0)
    system = [m for m in messages if m.role is Role.SYSTEM]
    others = [m for m in messages if m.role is not Role.SYSTEM]
    budget = context_tokens - reserved_tokens - sum(estimate_message_tokens(m) for m in system)
    kept: list[Message] = []
    for message in reversed(others):
        cost = estimate_message_tokens(message)
        if kept and cost > budget:
            break
        kept.append(message)
        budget -= cost
    kept.reverse()
    return FittedHistory((*system, *kept), len(others) - len(kept))
