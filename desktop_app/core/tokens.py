"""Estimated token counts, the same rule everywhere (history trimming, attachments' budgets).

The exact tokenizer depends on the model and is not available offline. The estimate leans high on
purpose, because sending too much fails the whole request while leaving out a little more costs
little:

- ASCII text (English, code): about 4 characters per token, the usual rule of thumb.
- Other alphabets (Cyrillic, Greek, accented Latin, ...): about 2.5 characters per token; the BPE
  vocabularies split them into shorter pieces than English.
- CJK ideographs, kana and Hangul: about 1 token per character.
"""

from __future__ import annotations

import math
import re

ASCII_CHARS_PER_TOKEN = 4.0
OTHER_CHARS_PER_TOKEN = 2.5
CJK_CHARS_PER_TOKEN = 1.0

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
