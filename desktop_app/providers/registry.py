"""Provider kinds and presets, and the one function that turns a profile into a provider instance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from desktop_app.core.errors import ConfigurationError
from desktop_app.core.ports import ChatProvider
from desktop_app.net.session import HttpClient


class ProviderKind(StrEnum):
    YQCLOUD = "yqcloud"
    OPENAI = "openai"  # any OpenAI-compatible API
    OLLAMA = "ollama"  # Ollama's native API


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
) -> ChatProvider:
    """A configured provider instance. `api_key` goes only to this provider's own requests."""
    try:
        kind = ProviderKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in ProviderKind)
        raise ConfigurationError(f"Unknown provider kind {kind!r}; use one of {known}.") from None
    if kind is ProviderKind.YQCLOUD:
        from desktop_app.providers.yqcloud import Yqcloud

        return Yqcloud(api_endpoint=base_url or None, http=http)
    if kind is ProviderKind.OPENAI:
        from desktop_app.providers.openai_compat import OpenAICompatible

        if not base_url:
            raise ConfigurationError(
                "An OpenAI-compatible provider needs a base URL, e.g. http://127.0.0.1:8080/v1."
            )
        return OpenAICompatible(base_url, api_key, headers, name=name or "OpenAI-compatible", http=http)
    from desktop_app.providers.ollama import Ollama

    return Ollama(base_url or "http://127.0.0.1:11434", name=name or "Ollama", http=http)
