"""The content key an attachment is stored under: one image or document is kept once however many
messages carry it (storage/history.py), and callers name a part's thumbnail and token estimate
by the same key when they save a message.

The key is the SHA-256 (hex) of the part's content: an image's bytes (its name is not content:
the same screenshot attached twice under two names is one blob, each message keeps the name it
was attached under), or a document's name and extracted text (a document's name is part of what
the model reads, "[file: name]"). A kind prefix keeps an image and a document from ever sharing
a key.
"""

from __future__ import annotations

import hashlib

from desktop_app.core.attachments import ImagePart, Part


def attachment_key(part: Part) -> str:
    """64 hex digits naming the part's content (see the module docstring)."""
    digest = hashlib.sha256()
    if isinstance(part, ImagePart):
        digest.update(b"image\0")
        digest.update(part.data)
    else:
        digest.update(b"document\0")
        digest.update(part.name.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(part.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
