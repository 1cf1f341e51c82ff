"""Attachments: files made ready to send — text extracted from documents, images oriented,
downscaled and stripped of metadata — and what they cost in tokens.

Qt-free and loop-free: the caller runs `prepare_file` and `render_pdf_pages` on a worker thread
(or process) and shows progress; `chat/` decides what to send, `ui/` shows chips.
"""

from __future__ import annotations

from desktop_app.attachments.budget import (
    cut_to,
    cut_to_tokens,
    estimate_image_tokens,
    estimate_part_tokens,
    estimate_tokens,
)
from desktop_app.attachments.errors import (
    AttachmentCancelledError,
    AttachmentError,
    FileTooLargeError,
    UnreadableFileError,
    UnsupportedFileError,
)
from desktop_app.attachments.limits import AttachmentLimits, CancelFlag, Progress, format_size
from desktop_app.attachments.pdf import render_pdf_pages
from desktop_app.attachments.prepare import PreparedFile, prepare_file

__all__ = [
    "AttachmentCancelledError",
    "AttachmentError",
    "AttachmentLimits",
    "CancelFlag",
    "FileTooLargeError",
    "PreparedFile",
    "Progress",
    "UnreadableFileError",
    "UnsupportedFileError",
    "cut_to",
    "cut_to_tokens",
    "estimate_image_tokens",
    "estimate_part_tokens",
    "estimate_tokens",
    "format_size",
    "prepare_file",
    "render_pdf_pages",
]
