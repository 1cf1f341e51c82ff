"""Bytes of a text file → text, with the encoding found and anything lossy said in a note.

The order: a byte-order mark (UTF-32, UTF-8, UTF-16), strict UTF-8, an encoding the file itself
declares (an HTML `<meta charset>`), then charset-normalizer's guess (a small maintained MIT
library, the successor of chardet). The last resort is UTF-8 with invalid bytes replaced by "�",
and a note saying how many sequences were replaced, so nothing lossy is silent. Line endings
become "\\n" (a model does not need "\\r", and it costs tokens).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_NAMES = {"utf-32": "UTF-32", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}
REPLACEMENT = "\ufffd"
_TIE = 0.01
# Legacy encodings by how common they are (Windows code pages first), for breaking ties.
_COMMON = ("cp1252", "cp1251", "cp1250", "shift_jis", "gb18030", "big5", "euc_kr", "cp1253", "cp1254")
# Control bytes a text file does have: tab, line feed, form feed, carriage return, escape (ANSI).
_TEXT_CONTROLS = frozenset(b"\t\n\f\r\x1b\x08")


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str  # what was used, e.g. "UTF-8", "UTF-16", "cp1252"
    notes: tuple[str, ...] = ()


def bom_encoding(data: bytes) -> str | None:
    """The codec named by a byte-order mark at the start of `data`, if any."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file (no byte-order mark) are not text: a NUL byte, or more
    than 1 in 10 bytes being control characters that text files do not contain."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in _TEXT_CONTROLS)
    return controls * 10 > len(head)


def decode_text(data: bytes, *, declared: str | None = None) -> DecodedText:
    """Decode a whole text file. `declared` is an encoding the file names itself (HTML)."""
    codec = bom_encoding(data)
    if codec is not None:
        return _decode_with(data, codec, _BOM_NAMES[codec], guessed=False)
    try:
        return DecodedText(_newlines(data.decode("utf-8")), "UTF-8")
    except UnicodeDecodeError:
        pass
    if declared is not None and _known_codec(declared):
        try:
            return DecodedText(_newlines(data.decode(declared)), declared)
        except UnicodeDecodeError:
            pass
    guess = guess_encoding(data)
    if guess is not None:
        return _decode_with(data, guess, guess, guessed=True)
    text, replaced = _replacing(data, "utf-8")
    return DecodedText(
        _newlines(text),
        "UTF-8",
        (
            "Not valid UTF-8 and no other encoding fitted: "
            f"{_sequences(replaced)} replaced with “{REPLACEMENT}”.",
        ),
    )


def guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's best guess; among guesses it rates the same (short texts often tie:
    French in latin-1 fits cp1250 as well as cp1252), the most widely used encoding wins."""
    import charset_normalizer  # here: only text that is not UTF-8 needs a guess

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    ties = [
        m for m in matches if abs(m.chaos - best.chaos) < _TIE and abs(m.coherence - best.coherence) < _TIE
    ]
    for preferred in _COMMON:
        for match in ties:
            if match.encoding == preferred or preferred in match.could_be_from_charset:
                return preferred
    return str(best.encoding)


def _decode_with(data: bytes, codec: str, label: str, *, guessed: bool) -> DecodedText:
    notes: list[str] = []
    if guessed:
        notes.append(f"Not UTF-8: read as {label} (a guess from the bytes).")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        text, replaced = _replacing(data, codec)
        notes.append(f"{_sequences(replaced)} not valid {label}, replaced with “{REPLACEMENT}”.")
    return DecodedText(_newlines(text), label, tuple(notes))


def _replacing(data: bytes, codec: str) -> tuple[str, int]:
    """Decode with replacement; return the text and how many invalid sequences were replaced
    (replacement characters that were in the file itself are not counted)."""
    text = data.decode(codec, errors="replace")
    already = data.count(REPLACEMENT.encode(codec)) if codec.startswith("utf-8") else 0
    return text, max(0, text.count(REPLACEMENT) - already)


def _sequences(count: int) -> str:
    return "1 byte sequence" if count == 1 else f"{count:,} byte sequences"


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
