"""The attachment errors: each `str()` is one line that names the file and says what to do.

They derive from `ParleyError` (core), not `ProviderError`: nothing was sent, no provider is
involved. They pickle by their fields, so a worker process can raise them back to the caller.
"""

from __future__ import annotations

from desktop_app.core.errors import ParleyError, shorten


class AttachmentError(ParleyError):
    """A file cannot be attached. `name` is the file's name as the user sees it."""

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        self.detail = detail
        super().__init__(f"{name}: {detail}")

    def __reduce__(self) -> tuple[type[AttachmentError], tuple[str, str]]:
        return (type(self), (self.name, self.detail))


class UnsupportedFileError(AttachmentError):
    """The file is of a kind Parley does not read (binary, an archive, an old Office format)."""


class FileTooLargeError(AttachmentError):
    """The file is over a limit of `AttachmentLimits`."""


class UnreadableFileError(AttachmentError):
    """The file is missing, unreadable, damaged or password-protected."""

    @classmethod
    def because(cls, name: str, what: str, exc: BaseException) -> UnreadableFileError:
        """`what` ("could not be read as a PDF") followed by the library's own reason, shortened."""
        reason = shorten(str(exc) or type(exc).__name__, 120)
        return cls(name, f"{what} ({reason})")


class AttachmentCancelledError(AttachmentError):
    """The caller set the cancel flag; whatever was extracted so far is dropped."""

    def __init__(self, name: str, detail: str = "preparing the attachment was cancelled") -> None:
        super().__init__(name, detail)
