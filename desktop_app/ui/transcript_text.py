"""The words the chat transcript writes around messages ("You", "Copy", "Stopped.", ...), in the
UI's language.

`TranscriptText` is a QObject only so that `tr()` and lupdate share one context for these words.
The view takes a `TranscriptLabels` snapshot and hands it to its writer: a link is later removed
by its length, so the words in the document must stay the ones it was written with until the
view rebuilds the document on `LanguageChange`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QObject

from desktop_app.core.messages import MessageStatus
from desktop_app.i18n import numerus
from desktop_app.ui.markdown import COPY_CODE_PREFIX

# The code block's copy link as `markdown.py` renders (and the history caches) it, in English.
_CODE_COPY_LINK = re.compile('(href="' + re.escape(COPY_CODE_PREFIX) + '[0-9/]+">)Copy(</a>)')


def _escape_html(text: str) -> str:
    """Escape & < > and " exactly as markdown-it does (single quotes stay), so highlighted and
    cached HTML are byte-identical; a local copy keeps markdown-it out of start-up."""
    return escape(text, quote=False).replace('"', "&quot;")


def _reasoning_in_english(words: int) -> str:
    return f"Reasoning ({words} word{'' if words == 1 else 's'})"


def _earlier_in_english(count: int) -> str:
    return f"Show {count} earlier message{'' if count == 1 else 's'}"


def _pages_in_english(count: int) -> str:
    return f"{count} page{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class TranscriptLabels:
    """One language's words for the transcript (English by default)."""

    you: str = "You"
    assistant: str = "Assistant"
    copy: str = "Copy"
    edit: str = "Edit"
    regenerate: str = "Regenerate"
    retry: str = "Retry"
    copy_code: str = "Copy"
    stopped: str = "Stopped."
    failed: str = "The answer ended with an error."
    interrupted: str = "Interrupted: Parley closed before the answer finished."
    reasoning: Callable[[int], str] = _reasoning_in_english
    earlier: Callable[[int], str] = _earlier_in_english
    pages: Callable[[int], str] = _pages_in_english  # a document's pages, beside its name
    unreadable_attachment: str = "This attachment could not be read from the history."

    def status_note(self, status: MessageStatus) -> str:
        """The italic line under an answer that did not complete ("" for a complete one)."""
        notes = {
            MessageStatus.STOPPED: self.stopped,
            MessageStatus.ERROR: self.failed,
            MessageStatus.INTERRUPTED: self.interrupted,
        }
        return notes.get(status, "")

    def localise_code_html(self, html: str) -> str:
        """Rendered markdown with its code blocks' "Copy" links in this language."""
        if self.copy_code == "Copy" or COPY_CODE_PREFIX not in html:
            return html
        label = _escape_html(self.copy_code)
        return _CODE_COPY_LINK.sub(lambda match: f"{match.group(1)}{label}{match.group(2)}", html)


class TranscriptText(QObject):
    """Makes `TranscriptLabels` in the language the installed translators speak."""

    def labels(self) -> TranscriptLabels:
        return TranscriptLabels(
            you=self.tr("You"),
            assistant=self.tr("Assistant"),
            copy=self.tr("Copy"),
            edit=self.tr("Edit"),
            regenerate=self.tr("Regenerate"),
            retry=self.tr("Retry"),
            copy_code=self.tr("Copy", "the copy link of a code block"),
            stopped=self.tr("Stopped."),
            failed=self.tr("The answer ended with an error."),
            interrupted=self.tr("Interrupted: Parley closed before the answer finished."),
            reasoning=self.reasoning,
            earlier=self.earlier,
            pages=self.pages,
            unreadable_attachment=self.tr("This attachment could not be read from the history."),
        )

    def reasoning(self, words: int) -> str:
        """The summary line of a model's reasoning: "Reasoning (42 words)"."""
        return numerus(self.tr("Reasoning (%n word(s))", "", words), words)

    def pages(self, count: int) -> str:
        """A document's length beside its name in a sent message: "12 pages"."""
        return numerus(self.tr("%n page(s)", "", count), count)

    def earlier(self, count: int) -> str:
        """The link above a long conversation that shows the messages before the first shown."""
        return numerus(self.tr("Show %n earlier message(s)", "", count), count)
