"""Transport failures (no HTTP status) → Parley errors: refused, DNS, TLS, proxy, reset, timeout."""

from __future__ import annotations

import errno
import ssl
import sys
from typing import TYPE_CHECKING

import aiohttp

from desktop_app.core.errors import ConnectionError_, ProtocolError, ProviderError, ProviderTimeoutError

if TYPE_CHECKING:
    from desktop_app.net.proxy import ProxySpec
    from desktop_app.net.session import NetworkConfig

_SOCKS_ERROR_NAMES = ("ProxyError", "ProxyConnectionError", "ProxyTimeoutError")
_DROPPED = (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)


class TlsError(ConnectionError_):
    hint = (
        "If your network inspects HTTPS, install its certificate in the system's trust store; "
        "otherwise check the address."
    )


class ProxyConnectError(ConnectionError_):
    hint = "Check the proxy address, port and credentials {proxy}."


def socks_errors() -> tuple[type[Exception], ...]:
    """What aiohttp-socks raises besides aiohttp's own errors; none of them is an OSError.

    Empty until a SOCKS proxy's session has imported aiohttp-socks: nothing else raises them, and
    looking them up this way keeps the library out of start-up.
    """
    socks = sys.modules.get("aiohttp_socks")
    if socks is None:
        return ()
    return tuple(getattr(socks, name) for name in _SOCKS_ERROR_NAMES)


def _is_socks_error(exc: BaseException, name: str) -> bool:
    socks = sys.modules.get("aiohttp_socks")
    return socks is not None and isinstance(exc, getattr(socks, name))


def translate_transport_error(
    exc: BaseException,
    *,
    provider: str,
    config: NetworkConfig,
    proxy: ProxySpec | None,
    total_expired: bool = False,
) -> ProviderError:
    """One-line error for a failure below HTTP. `proxy` is the proxy this request went through."""
    if total_expired:
        seconds = config.total_timeout or 0.0
        return ProviderTimeoutError(
            f"timed out: the answer took longer than the overall limit of {seconds:g} s",
            provider=provider,
            limit="total",
            seconds=seconds,
        )
    return (
        _timeout_error(exc, provider, config, proxy)
        or _proxy_error(exc, provider, proxy)
        or _other(exc, provider, proxy)
    )


def _timeout_error(
    exc: BaseException, provider: str, config: NetworkConfig, proxy: ProxySpec | None
) -> ProviderError | None:
    via = f" through the proxy {proxy}" if proxy else ""
    if isinstance(exc, aiohttp.ConnectionTimeoutError) or _is_socks_error(exc, "ProxyTimeoutError"):
        return ProviderTimeoutError(
            f"timed out connecting{via} after {config.timeout:g} s",
            provider=provider,
            limit="connect",
            seconds=config.timeout,
        )
    if isinstance(exc, TimeoutError):  # aiohttp's SocketTimeoutError (sock_read) is one too
        return ProviderTimeoutError(
            f"timed out: no data for {config.timeout:g} s",
            provider=provider,
            limit="idle",
            seconds=config.timeout,
        )
    return None


def _proxy_error(exc: BaseException, provider: str, proxy: ProxySpec | None) -> ProviderError | None:
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return proxy_status_error(exc.status, provider, proxy)
    if isinstance(exc, aiohttp.ClientProxyConnectionError) or _is_socks_error(exc, "ProxyConnectionError"):
        return ProxyConnectError(f"could not connect to the proxy {proxy}", provider=provider)
    if _is_socks_error(exc, "ProxyError"):
        said = _first_line(exc)
        if "authentication" in said.lower():
            return _credentials_error(provider, proxy, said)
        return ProxyConnectError(f"the proxy {proxy} refused the request ({said})", provider=provider)
    return None


def proxy_status_error(status: int, provider: str, proxy: ProxySpec | None) -> ProviderError:
    """An HTTP proxy answered with an error status itself (407, 502 …), not the server behind it."""
    if status == 407:
        return _credentials_error(provider, proxy, "HTTP 407")
    return ProxyConnectError(f"the proxy {proxy} refused the connection (HTTP {status})", provider=provider)


def _credentials_error(provider: str, proxy: ProxySpec | None, detail: str) -> ProviderError:
    if proxy is not None and proxy.username is None:
        what = f"the proxy {proxy} requires a user name and password ({detail})"
    else:
        what = f"the proxy {proxy} rejected the credentials ({detail})"
    return ProxyConnectError(what, provider=provider)


def _other(exc: BaseException, provider: str, proxy: ProxySpec | None) -> ProviderError:
    via = f" through the proxy {proxy}" if proxy else ""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        reason = getattr(exc.certificate_error, "verify_message", "") or _first_line(exc.certificate_error)
        return TlsError(
            f"the certificate of {_host_of(exc) or 'the server'} could not be verified ({reason})",
            provider=provider,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsError(
            f"the server's certificate could not be verified ({exc.verify_message or _first_line(exc)})",
            provider=provider,
        )
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        host = _host_of(exc)
        return TlsError(
            f"secure connection to {host or 'the server'} failed ({_first_line(exc)})", provider=provider
        )
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        host = exc.host if proxy is None else f"{exc.host} (the proxy)"
        return ConnectionError_(f"could not find the server {host}: the DNS lookup failed", provider=provider)
    if isinstance(exc, aiohttp.ClientConnectorError):
        target = _host_of(exc)
        if isinstance(exc.os_error, ConnectionRefusedError):
            return ConnectionError_(
                f"connection refused by {target}{via}: is the server running?", provider=provider
            )
        return ConnectionError_(
            f"could not connect to {target}{via} ({_first_line(exc.os_error)})", provider=provider
        )
    if _is_dropped_connection(exc):
        return ConnectionError_("the connection was closed before the answer was complete", provider=provider)
    if isinstance(exc, aiohttp.InvalidURL):
        return ProtocolError(f"the address {exc.url} is not a valid URL", provider=provider)
    if isinstance(exc, ValueError) and not isinstance(exc, aiohttp.ClientError):
        return ProtocolError(f"invalid request: {_first_line(exc)}", provider=provider)
    return ConnectionError_(f"network error: {_first_line(exc)}", provider=provider)


def _is_dropped_connection(exc: BaseException) -> bool:
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | ConnectionResetError):
        return True
    return isinstance(exc, aiohttp.ClientOSError) and exc.errno in _DROPPED


def _host_of(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"{exc.host}:{exc.port}"
    return ""


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__
