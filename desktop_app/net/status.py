"""HTTP status and transport failures → Parley's error tree. The one place this mapping lives."""

from __future__ import annotations

import email.utils
import json
import re
import time
from http import HTTPStatus

from desktop_app.core.errors import (
    AuthError,
    BadRequestError,
    EndpointNotFoundError,
    ModelNotFoundError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    ServerError,
)

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_MODEL_UNKNOWN = re.compile(
    r"model.{0,80}(not (be )?found|does ?n[o']t exist|not exist|unknown|invalid|no such|not available"
    r"|not supported|is not a valid)|(unknown|invalid|no such) model|model_not_found|pull it first",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    if "html" in content_type.lower():
        return True
    head = body.lstrip()[:64].lower()
    return head.startswith((b"<!doctype html", b"<html"))


def server_message(body: bytes, content_type: str = "") -> str | None:
    """The server's own words from an error body: JSON `error.message`/`error`/`message`/`detail`,
    an HTML page's title, or the text itself."""
    if not body.strip():
        return None
    if looks_like_html(body, content_type):
        match = _TITLE.search(body)
        title = match.group(1).decode("utf-8", "replace").strip() if match else ""
        return f"an HTML page{f' titled {title!r}' if title else ''}"
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return _message_from_json(data) or text


def _message_from_json(data: object) -> str | None:
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return None
    for key in ("error", "message", "detail", "msg", "error_description"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict | list):
            found = _message_from_json(
                value if isinstance(value, dict) else {"error": value[0]} if value else {}
            )
            if found:
                return found
    return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_for_status(
    status: int,
    body: bytes,
    *,
    provider: str,
    content_type: str = "",
    retry_after: str | None = None,
    model: str = "",
    reason: str | None = None,
) -> ProviderError:
    """The error for an HTTP response with status >= 400."""
    try:
        reason = reason or HTTPStatus(status).phrase
    except ValueError:
        reason = reason or None
    said = server_message(body, content_type)
    common: dict[str, object] = {
        "provider": provider,
        "status": status,
        "reason": reason,
        "server_message": said,
    }
    if status in (401, 403):
        what = "the API key was rejected" if status == 401 else "access was refused"
        return AuthError(what, **common)  # type: ignore[arg-type]
    if status == 429:
        return RateLimitError("too many requests", retry_after=parse_retry_after(retry_after), **common)
    if status == 404:
        if (said and _MODEL_UNKNOWN.search(said)) or b"model_not_found" in body:
            name = f"model {model!r}" if model else "the model"
            return ModelNotFoundError(f"{name} was not found", model=model, **common)
        return EndpointNotFoundError("no API at this address", **common)  # type: ignore[arg-type]
    if status >= 500:
        return ServerError("the server failed", **common)  # type: ignore[arg-type]
    if status == 400 and said and _MODEL_UNKNOWN.search(said):
        name = f"model {model!r}" if model else "the model"
        return ModelNotFoundError(f"{name} was not found", model=model, **common)
    if status in (400, 422):
        return BadRequestError("the server rejected the request", **common)  # type: ignore[arg-type]
    return ProviderError("the request failed", **common)  # type: ignore[arg-type]


def html_instead_of_answer(
    provider: str,
    body: bytes,
    content_type: str = "",
    *,
    status: int | None = None,
    reason: str | None = None,
) -> ProtocolError:
    """A successful status whose body is an HTML page (a captcha, a login portal, a web site)."""
    said = server_message(body, content_type)
    return ProtocolError(
        "an HTML page arrived instead of an answer (a captcha or login page, or a wrong base URL)",
        provider=provider,
        status=status,
        reason=reason,
        server_message=said if said and said != "an HTML page" else None,
    )
