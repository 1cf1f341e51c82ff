"""Does a message with its attachments fit the model's context? And if the user says "cut",
what is sent instead. Never silent: the caller shows the figures and asks before sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.attachments import cut_to_tokens, estimate_part_tokens
from desktop_app.chat.context_window import estimate_text_tokens
from desktop_app.core.attachments import DocumentPart, Part


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """The message's estimated tokens against the room the model's context leaves for it."""

    tokens: int
    limit: int | None  # None: the context window is unknown, so anything goes

    @property
    def fits(self) -> bool:
        return self.limit is None or self.tokens <= self.limit


def check_budget(text: str, parts: Sequence[Part], context_tokens: int | None, reserve: int) -> BudgetCheck:
    """`context_tokens` is the model's window; `reserve` the room kept for the answer."""
    tokens = round(estimate_text_tokens(text)) + sum(estimate_part_tokens(p) for p in parts)
    limit = max(0, context_tokens - reserve) if context_tokens is not None else None
    return BudgetCheck(tokens, limit)


def cut_to_fit(text: str, parts: Sequence[Part], limit: int) -> tuple[Part, ...]:
    """The parts with documents cut (the largest first) so the message fits `limit` tokens.
    Images are never cut; a cut document carries its visible "[cut at N of M characters]" note.
    When even empty documents would not fit, each keeps nothing but its name and note."""
    over = check_budget(text, parts, limit, 0).tokens - limit
    if over <= 0:
        return tuple(parts)
    result = list(parts)
    documents = sorted(
        (i for i, p in enumerate(result) if isinstance(p, DocumentPart)),
        key=lambda i: -estimate_part_tokens(result[i]),
    )
    for index in documents:  # bounded by the number of documents
        document = result[index]
        assert isinstance(document, DocumentPart)
        current = estimate_part_tokens(document)
        result[index] = cut_to_tokens(document, max(0, current - over))
        over -= current - estimate_part_tokens(result[index])
        if over <= 0:
            break
    return tuple(result)
