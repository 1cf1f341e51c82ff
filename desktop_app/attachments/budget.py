"""What an attachment costs in tokens, and cutting a document to fit.

Text is estimated by `core/tokens.py`, the rule history trimming uses too. Image tokens follow
the widely used OpenAI tile rule (a fair middle among vision models; Ollama's models cost less,
Anthropic's about the same).
"""

from __future__ import annotations

import math
from dataclasses import replace

from desktop_app.core.attachments import Cut, DocumentPart, ImagePart, Part
from desktop_app.core.tokens import estimate_tokens as estimate_tokens

# OpenAI "high detail": fit in 2048×2048, shortest side to 768, 170 tokens a 512-px tile + 85.
_TILE, _TILE_TOKENS, _BASE_TOKENS = 512, 170, 85
# How far back from the cut a line break or space is looked for, as a share of what is kept.
_BOUNDARY_WINDOW = 0.1


def estimate_image_tokens(width: int, height: int) -> int:
    """Tokens a vision model is likely to count for an image of this pixel size."""
    if width <= 0 or height <= 0:
        return 0
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    tiles = math.ceil(w / _TILE) * math.ceil(h / _TILE)
    return _BASE_TOKENS + _TILE_TOKENS * tiles


def estimate_part_tokens(part: Part) -> int:
    """A part as the model reads it: a document with its name header (and cut note), an image
    by its pixel size."""
    if isinstance(part, ImagePart):
        return estimate_image_tokens(part.width, part.height)
    return estimate_tokens(part.as_text())


def cut_to(document: DocumentPart, max_chars: int) -> DocumentPart:
    """The document with at most `max_chars` characters of text, cut at a line break (or a
    space) near the limit when there is one, and `cut` saying how much of the whole is kept.
    A document that fits is returned as it is; cutting a cut document counts from its whole."""
    if max_chars < 0:
        raise ValueError(f"max_chars must not be negative, got {max_chars}")
    text = document.text
    if len(text) <= max_chars:
        return document
    total = document.cut.total if document.cut is not None else len(text)
    end = _boundary(text, max_chars)
    kept = text[:end].rstrip()
    return replace(document, text=kept, cut=Cut(len(kept), total))


def cut_to_tokens(document: DocumentPart, max_tokens: int) -> DocumentPart:
    """The longest cut of the document whose `as_text()` is estimated at most `max_tokens`
    (the name header and the cut note included)."""
    if estimate_part_tokens(document) <= max_tokens:
        return document
    low, high = 0, len(document.text)  # invariant: a cut at `low` fits (or low == 0)
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_part_tokens(cut_to(document, middle)) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return cut_to(document, low)


def _boundary(text: str, limit: int) -> int:
    window_start = max(0, limit - max(1, int(limit * _BOUNDARY_WINDOW)))
    for separator in ("\n", " "):
        position = text.rfind(separator, window_start, limit + 1)
        if position > 0:
            return position
    return limit
