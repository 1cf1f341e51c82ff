"""Fitting a conversation into a model's context window.

Token counts here are *estimates*: the exact tokenizer depends on the model and is not available
offline. The estimate leans high on purpose, because sending too much fails the whole request while
leaving out one more old message costs little:

- ASCII text (English, code): about 4 characters per token, the usual rule of thumb.
- Other alphabets (Cyrillic, Greek, accented Latin, ...): about 2.5 characters per token; the BPE
  vocabularies split them into shorter pieces than English.
- CJK ideographs, kana and Hangul: about 1 token per character.
- Every message adds a few tokens of framing (role markers, separators).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.attachments import estimate_part_tokens
from desktop_app.core.messages import Message, Role

ASCII_CHARS_PER_TOKEN = 4.0
OTHER_CHARS_PER_TOKEN = 2.5
CJK_CHARS_PER_TOKEN = 1.0
MESSAGE_OVERHEAD_TOKENS = 4

# Han (incl. extension A and compatibility), Hiragana, Katakana, Hangul syllables, full-width forms.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_text_tokens(text: str) -> float:
    """The estimated token count of `text`, unrounded (so pieces of a stream can be summed)."""
    if text.isascii():
        return len(text) / ASCII_CHARS_PER_TOKEN
    ascii_count = len(text.encode("ascii", "ignore"))
    cjk_count = len(_CJK.findall(text))
    other_count = len(text) - ascii_count - cjk_count
    return (
        ascii_count / ASCII_CHARS_PER_TOKEN
        + other_count / OTHER_CHARS_PER_TOKEN
        + cjk_count / CJK_CHARS_PER_TOKEN
    )


def estimate_tokens(text: str) -> int:
    """The estimated token count of `text`, rounded up."""
    return math.ceil(estimate_text_tokens(text))


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
