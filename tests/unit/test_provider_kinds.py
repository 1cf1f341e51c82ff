"""Provider kinds: every kind has its facts and a provider class, the facts agree with each other,
and what the registry builds follows them."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import ConfigurationError
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.net.session import HttpClient
from desktop_app.providers.ollama import Ollama
from desktop_app.providers.openai_compat import OpenAICompatible
from desktop_app.providers.registry import PRESETS, create_provider
from desktop_app.providers.yqcloud import Yqcloud


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_each_kind_has_consistent_facts(kind: ProviderKind) -> None:
    facts = kind.facts
    assert facts.name
    url = facts.url
    if url.required:
        assert url.editable, "a base URL the user must give is one the user can set"
        assert not url.default, "a kind with a default base URL does not require one"
        assert url.example.startswith(("http://", "https://"))
    if url.example:
        assert url.example.rstrip("/").endswith(url.root_path), "the example follows the layout"
    if url.default:
        assert url.default.rstrip("/").endswith(url.root_path)
    assert facts.lists_models == bool(url.models_path)


async def test_the_registry_builds_each_kind_with_its_defaults() -> None:
    async with HttpClient() as http:
        built = {
            kind: create_provider(
                kind, http=http, base_url=kind.facts.url.example if kind.facts.url.required else ""
            )
            for kind in ProviderKind
        }
        assert {kind: type(provider) for kind, provider in built.items()} == {
            ProviderKind.YQCLOUD: Yqcloud,
            ProviderKind.OPENAI: OpenAICompatible,
            ProviderKind.OLLAMA: Ollama,
        }
        ollama = built[ProviderKind.OLLAMA]
        assert isinstance(ollama, Ollama)
        assert ollama.base_url == ProviderKind.OLLAMA.facts.url.default
        assert ollama.name == "Ollama"


async def test_a_kind_that_needs_a_base_url_says_so_with_an_example() -> None:
    async with HttpClient() as http:
        with pytest.raises(
            ConfigurationError, match=r"OpenAI-compatible API needs a base URL, e\.g\. http://"
        ):
            create_provider(ProviderKind.OPENAI, http=http)
        with pytest.raises(ConfigurationError, match=r"Unknown provider kind 'telnet'; use one of yqcloud, "):
            create_provider("telnet", http=http)


def test_stored_text_parses_to_the_kind_and_nothing_else_does() -> None:
    assert ProviderKind.parse("openai") is ProviderKind.OPENAI
    assert ProviderKind.OPENAI == "openai"  # a StrEnum: settings files keep the same text
    with pytest.raises(ValueError, match=r"kind 'OpenAI' is not one of yqcloud, openai, ollama"):
        ProviderKind.parse("OpenAI")


def test_presets_that_need_a_key_are_of_a_kind_that_sends_one() -> None:
    for preset in PRESETS:
        if preset.needs_key:
            assert preset.kind.facts.uses_api_key, preset.id
        if preset.kind.facts.url.editable and preset.base_url:
            assert preset.base_url.endswith(preset.kind.facts.url.root_path), preset.id
