"""Provider presets, and the one function that turns a profile into a provider instance: it maps
each `ProviderKind` (core/provider_kinds.py, where a kind's facts live) to its provider class."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from desktop_app.core.errors import ConfigurationError
from desktop_app.core.ports import ChatProvider
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.net.session import HttpClient


@dataclass(frozen=True, slots=True)
class Preset:
    id: str
    label: str
    kind: ProviderKind
    base_url: str
    needs_key: bool
    default_model: str = ""
    local: bool = False


PRESETS: tuple[Preset, ...] = (
    Preset(
        "yqcloud",
        "Yqcloud (no account)",
        ProviderKind.YQCLOUD,
        "",
        needs_key=False,
        default_model="gpt-3.5-turbo",
    ),
    Preset("openai", "OpenAI", ProviderKind.OPENAI, "https://api.openai.com/v1", True, "gpt-4o-mini"),
    Preset(
        "openrouter",
        "OpenRouter",
        ProviderKind.OPENAI,
        "https://openrouter.ai/api/v1",
        True,
        "openai/gpt-4o-mini",
    ),
    Preset(
        "groq", "Groq", ProviderKind.OPENAI, "https://api.groq.com/openai/v1", True, "llama-3.1-8b-instant"
    ),
    Preset("deepseek", "DeepSeek", ProviderKind.OPENAI, "https://api.deepseek.com/v1", True, "deepseek-chat"),
    Preset(
        "mistral", "Mistral", ProviderKind.OPENAI, "https://api.mistral.ai/v1", True, "mistral-small-latest"
    ),
    Preset("lmstudio", "LM Studio", ProviderKind.OPENAI, "http://127.0.0.1:1234/v1", False, local=True),
    Preset(
        "llamacpp", "llama.cpp server", ProviderKind.OPENAI, "http://127.0.0.1:8080/v1", False, local=True
    ),
    Preset("vllm", "vLLM", ProviderKind.OPENAI, "http://127.0.0.1:8000/v1", False, local=True),
    Preset(
        "ollama-openai",
        "Ollama (OpenAI API)",
        ProviderKind.OPENAI,
        "http://127.0.0.1:11434/v1",
        False,
        local=True,
    ),
    Preset("ollama", "Ollama", ProviderKind.OLLAMA, "http://127.0.0.1:11434", False, local=True),
)


def preset(preset_id: str) -> Preset | None:
    return next((p for p in PRESETS if p.id == preset_id), None)


def create_provider(
    kind: ProviderKind | str,
    *,
    http: HttpClient,
    base_url: str = "",
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    name: str | None = None,
    vision_overrides: Mapping[str, bool] | None = None,
) -> ChatProvider:
    """A configured provider instance. `api_key` goes only to this provider's own requests, and
    only when the kind sends one. `vision_overrides` (model id → takes images) is read at each
    decision (core/vision.py), so its owner may change it later; the server's word beats it."""
    try:
        kind = ProviderKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in ProviderKind)
        raise ConfigurationError(f"Unknown provider kind {kind!r}; use one of {known}.") from None
    facts = kind.facts
    if facts.url.required and not base_url:
        raise ConfigurationError(f"The {facts.name} API needs a base URL, e.g. {facts.url.example}.")
    setup = _Setup(
        http=http,
        base_url=base_url or facts.url.default,
        api_key=api_key if facts.uses_api_key else None,
        headers=headers,
        name=name or facts.name,
        vision_overrides=vision_overrides,
    )
    return _FACTORIES[kind](setup)


@dataclass(frozen=True, slots=True)
class _Setup:
    http: HttpClient
    base_url: str  # "" = the provider's own endpoint (Yqcloud)
    api_key: str | None
    headers: Mapping[str, str] | None
    name: str
    vision_overrides: Mapping[str, bool] | None = None


# Each kind's provider class, imported when first used (aiohttp-heavy modules stay off start-up).
def _yqcloud(setup: _Setup) -> ChatProvider:
    from desktop_app.providers.yqcloud import Yqcloud

    return Yqcloud(api_endpoint=setup.base_url or None, http=setup.http)


def _openai(setup: _Setup) -> ChatProvider:
    from desktop_app.providers.openai_compat import OpenAICompatible

    return OpenAICompatible(
        setup.base_url,
        setup.api_key,
        setup.headers,
        name=setup.name,
        http=setup.http,
        vision_overrides=setup.vision_overrides,
    )


def _ollama(setup: _Setup) -> ChatProvider:
    from desktop_app.providers.ollama import Ollama

    return Ollama(setup.base_url, name=setup.name, http=setup.http, vision_overrides=setup.vision_overrides)


_FACTORIES: Final[Mapping[ProviderKind, Callable[[_Setup], ChatProvider]]] = {
    ProviderKind.YQCLOUD: _yqcloud,
    ProviderKind.OPENAI: _openai,
    ProviderKind.OLLAMA: _ollama,
}
