"""Provider kinds, each with its facts: does it take an API key, how is its base URL laid out,
does it list models, which capabilities can it report.

Adding a kind is one member and its facts here, plus its provider module (`providers/registry.py`
maps the kind to its class). A kind's value is what the settings file stores, so a value never
changes. The names a user reads (translated) live in `ui/`; `KindFacts.name` is the untranslated
name errors and logs use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Capability(StrEnum):
    """Something a model may or may not support, beyond plain text."""

    VISION = "vision"  # images in the prompt
    TOOLS = "tools"  # tool calls


@dataclass(frozen=True, slots=True)
class UrlLayout:
    """What a kind's base URL is and where its endpoints are under it."""

    editable: bool  # the user sets a base URL at all (Yqcloud: a fixed endpoint)
    required: bool  # there is no usable default, so a profile without one cannot work
    default: str = ""  # used when a profile gives none ("" = none, or the provider's own endpoint)
    example: str = ""  # an example base URL for messages and placeholders
    root_path: str = ""  # what follows host:port in a base URL ("/v1": the OpenAI layout)
    models_path: str = ""  # appended to the base URL to list the models ("" = lists none)


@dataclass(frozen=True, slots=True)
class KindFacts:
    name: str  # the provider's name in errors and logs when a profile gives none (not translated)
    uses_api_key: bool  # requests carry the profile's API key (optional for local servers)
    url: UrlLayout
    # What the kind's API can say about a model ("does it take images?"); the rest must be assumed.
    reported_capabilities: frozenset[Capability] = frozenset()

    @property
    def lists_models(self) -> bool:
        return bool(self.url.models_path)


class ProviderKind(StrEnum):
    """A kind of provider API; `facts` says what it is."""

    YQCLOUD = "yqcloud"
    OPENAI = "openai"  # any OpenAI-compatible API: OpenAI, OpenRouter, Groq, LM Studio, llama.cpp, ...
    OLLAMA = "ollama"  # Ollama's native API

    @property
    def facts(self) -> KindFacts:
        return _FACTS[self]

    @classmethod
    def parse(cls, text: str) -> ProviderKind:
        """The kind stored as `text`, or `ValueError` naming the known kinds."""
        try:
            return cls(text)
        except ValueError:
            known = ", ".join(kind.value for kind in cls)
            raise ValueError(f"kind {text!r} is not one of {known}") from None


_FACTS: Final[Mapping[ProviderKind, KindFacts]] = {
    ProviderKind.YQCLOUD: KindFacts(
        "Yqcloud",
        uses_api_key=False,
        url=UrlLayout(editable=False, required=False),  # its own endpoint; a profile may override it
    ),
    ProviderKind.OPENAI: KindFacts(
        "OpenAI-compatible",
        uses_api_key=True,
        url=UrlLayout(
            editable=True,
            required=True,
            example="http://127.0.0.1:8080/v1",
            root_path="/v1",
            models_path="/models",
        ),
    ),
    ProviderKind.OLLAMA: KindFacts(
        "Ollama",
        uses_api_key=False,
        url=UrlLayout(
            editable=True,
            required=False,
            default="http://127.0.0.1:11434",
            example="http://127.0.0.1:11434",
            models_path="/api/tags",
        ),
        reported_capabilities=frozenset({Capability.VISION, Capability.TOOLS}),  # in /api/show
    ),
}
