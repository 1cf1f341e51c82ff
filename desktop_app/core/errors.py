"""The error tree. Every error a user can cause is a `ProviderError` whose `str()` is one line
that says what happened and what to do. No traceback ever reaches a user; these messages do.
"""

from __future__ import annotations

MAX_SERVER_MESSAGE = 200
# Where hints say the proxy is set, unless the front end says otherwise (`proxy_set`).
PROXY_IN_PREFERENCES = "in Preferences → Network"


def shorten(text: str, limit: int = MAX_SERVER_MESSAGE) -> str:
    """Collapse whitespace to one line and cut it to `limit` characters."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


class ParleyError(Exception):
    """Base of Parley's own errors."""


class ConfigurationError(ParleyError, ValueError):
    """A setting or argument cannot work (bad proxy URL, bad base URL, unknown provider)."""


class ProviderError(ParleyError):
    """Getting an answer failed. `provider` and `status` are filled in when known.

    A hint that names the proxy says where it is set with "{proxy}", filled from `proxy_setting`
    (Preferences by default; a front end that took the proxy from elsewhere says so)."""

    hint = ""
    proxy_setting = PROXY_IN_PREFERENCES

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        reason: str | None = None,
        server_message: str | None = None,
    ) -> None:
        self.detail = message
        self.provider = provider
        self.status = status
        self.reason = reason
        self.server_message = shorten(server_message) if server_message else None
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts: list[str] = []
        head = f"{self.provider}: " if self.provider else ""
        if self.status is not None:
            status = f"HTTP {self.status}" + (f" {self.reason}" if self.reason else "")
            parts.append(f"{head}{status}: {self.detail}")
        else:
            parts.append(f"{head}{self.detail}")
        if self.server_message:
            parts.append(f"Server said: {self.server_message}")
        if self.hint:
            parts.append(self.hint.replace("{proxy}", self.proxy_setting))
        return " — ".join(parts) if len(parts) > 1 else parts[0]

    def with_provider(self, provider: str) -> ProviderError:
        """Name the provider on an error raised below the provider layer (returns self)."""
        if self.provider is None:
            self.provider = provider
            self.args = (self._compose(),)
        return self

    def proxy_set(self, where: str) -> ProviderError:
        """Say where the proxy in use was set, e.g. "given with --proxy", for a hint that names
        it (returns self)."""
        self.proxy_setting = where
        self.args = (self._compose(),)
        return self

    def __str__(self) -> str:
        return self._compose()


class AuthError(ProviderError):
    hint = "Check the API key in Preferences → Providers."


class RateLimitError(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]

    @property
    def hint(self) -> str:  # type: ignore[override]
        if self.retry_after is None:
            return "Wait a little and try again."
        seconds = max(1, round(self.retry_after))
        return f"Try again in {seconds} s."


class ModelNotFoundError(ProviderError):
    def __init__(self, message: str, *, model: str = "", **kw: object) -> None:
        self.model = model
        super().__init__(message, **kw)  # type: ignore[arg-type]

    hint = "Pick another model in the toolbar or with --model."


class EndpointNotFoundError(ProviderError):
    hint = "Check the base URL (for example a missing /v1)."


class BadRequestError(ProviderError):
    """400: the server rejected the request; its own message says why."""


class ServerError(ProviderError):
    hint = "The server is having trouble; try again later or use another provider."


class ProtocolError(ProviderError):
    """The server answered something that is not an answer (an HTML page, a malformed stream)."""


class ConnectionError_(ProviderError):  # noqa: N801, N818 - the builtin ConnectionError is taken
    hint = "Check the address, your network and the proxy {proxy}."


class ProviderTimeoutError(ProviderError):
    def __init__(self, message: str, *, limit: str = "idle", seconds: float = 0.0, **kw: object) -> None:
        self.limit = limit
        self.seconds = seconds
        super().__init__(message, **kw)  # type: ignore[arg-type]

    hint = "Raise the timeout in Preferences → Network or with --timeout."


class ProviderBlockedError(ProviderError, RuntimeError):
    """The service refused this IP address (Yqcloud's anti-abuse reply)."""

    hint = "Use another provider, or a proxy {proxy}."


class SecretStoreError(ParleyError):
    """The OS keychain is missing, insecure, locked or does not answer."""


class HistoryError(ParleyError):
    """The conversation history cannot be read or saved (disk full, read-only or damaged file,
    not a history file, a bad import). `str()` is one line for the user; the caller decides
    whether to keep going without saving."""
