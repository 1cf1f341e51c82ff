"""Find model servers already running on this machine (Ollama, LM Studio, llama.cpp, vLLM, Jan).

Every known port on 127.0.0.1 is probed at once with a short deadline; a port that is closed,
stalls, or answers something other than that server's model list (an HTML page, other JSON) is
left out silently. The result is in a fixed order, whatever answered first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

from desktop_app.core.errors import ConfigurationError, ProviderError
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.registry import preset

LOOPBACK = "127.0.0.1"
DEFAULT_PROBE_TIMEOUT = 0.8


@dataclass(frozen=True, slots=True)
class DiscoveredServer:
    """A server that answered with its model list. `preset_id` names a registry preset (or "jan")."""

    preset_id: str
    label: str
    kind: ProviderKind
    base_url: str
    models: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    preset_id: str
    label: str
    kind: ProviderKind
    default_port: int


# The probe order is the result order. Ollama's own API comes first: it says more than /v1.
_CANDIDATES: tuple[_Candidate, ...] = (
    _Candidate("ollama", "Ollama", ProviderKind.OLLAMA, 11434),
    _Candidate("lmstudio", "LM Studio", ProviderKind.OPENAI, 1234),
    _Candidate("llamacpp", "llama.cpp server", ProviderKind.OPENAI, 8080),
    _Candidate("vllm", "vLLM", ProviderKind.OPENAI, 8000),
    # Jan has no registry preset yet; it speaks the OpenAI API under /v1.
    _Candidate("jan", "Jan", ProviderKind.OPENAI, 1337),
)

DEFAULT_PORTS: Mapping[str, int] = {c.preset_id: c.default_port for c in _CANDIDATES}


def base_url_for(preset_id: str, port: int) -> str:
    """The base URL a provider of this kind uses for a server on `port` of this machine."""
    candidate = _candidate(preset_id)
    return f"http://{LOOPBACK}:{port}{candidate.kind.facts.url.root_path}"


async def discover_local_servers(
    *,
    ports: Mapping[str, int] | None = None,
    timeout: float = DEFAULT_PROBE_TIMEOUT,
) -> list[DiscoveredServer]:
    """Probe the local servers named in `ports` (preset id → port; default: every known server
    on its usual port) concurrently; the whole scan ends within about `timeout` seconds.

    The scan uses its own client without a proxy: these servers are on this machine, and an
    explicit --proxy that applies to every target must not carry the probes away from it.
    """
    wanted = dict(DEFAULT_PORTS if ports is None else ports)
    for preset_id in wanted:
        _candidate(preset_id)  # reject unknown ids before any network traffic
    client = HttpClient(NetworkConfig(timeout=timeout))
    try:
        probes = [
            _probe(client, candidate, wanted[candidate.preset_id], timeout)
            for candidate in _CANDIDATES
            if candidate.preset_id in wanted
        ]
        found = await asyncio.gather(*probes)
    finally:
        await client.aclose()
    return [server for server in found if server is not None]


async def _probe(
    http: HttpClient, candidate: _Candidate, port: int, timeout: float
) -> DiscoveredServer | None:
    base_url = base_url_for(candidate.preset_id, port)
    url = f"{base_url}{candidate.kind.facts.url.models_path}"
    parse = _ollama_models if candidate.kind is ProviderKind.OLLAMA else _openai_models
    document: object = None
    # The deadline covers connect, headers and a body that trickles in forever.
    with contextlib.suppress(ProviderError, TimeoutError):
        async with asyncio.timeout(timeout):
            document = await http.get_json(url, provider=candidate.label)
    models = parse(document)
    if models is None:
        return None
    return DiscoveredServer(candidate.preset_id, _label(candidate), candidate.kind, base_url, models)


def _ollama_models(document: object) -> tuple[str, ...] | None:
    """`{"models": [{"name": "llama3:latest", ...}, ...]}` → names; None when it is not that."""
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        return None
    names = [
        entry.get("name") or entry.get("model") for entry in document["models"] if isinstance(entry, dict)
    ]
    return tuple(name for name in names if isinstance(name, str) and name)


def _openai_models(document: object) -> tuple[str, ...] | None:
    """`{"object": "list", "data": [{"id": "..."}, ...]}` → ids; None when it is not that."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        return None
    ids = [entry.get("id") for entry in document["data"] if isinstance(entry, dict)]
    return tuple(model_id for model_id in ids if isinstance(model_id, str) and model_id)


def _label(candidate: _Candidate) -> str:
    known = preset(candidate.preset_id)
    return known.label if known is not None else candidate.label


def _candidate(preset_id: str) -> _Candidate:
    for candidate in _CANDIDATES:
        if candidate.preset_id == preset_id:
            return candidate
    known = ", ".join(DEFAULT_PORTS)
    raise ConfigurationError(f"Unknown local server {preset_id!r}; use one of {known}.")
