"""The composition root: provider names resolve to profiles, keys go only to their own provider,
network settings apply to new providers."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import desktop_app
from desktop_app.compose import Services, UnknownProviderError, build_services
from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, Role
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.storage.settings import Keys
from tests.support.server import ScriptedServer, sse, stream_chunks

KEY = "sk-parley-test-0123456789abcdef"


class DictSecrets:
    """A keychain in a dict: the `SecretStore` protocol, for tests of what asks it."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self.items = dict(items or {})
        self.asked: list[str] = []

    async def get(self, key: str) -> str | None:
        self.asked.append(key)
        return self.items.get(key)

    async def set(self, key: str, value: str) -> None:
        self.items[key] = value

    async def delete(self, key: str) -> None:
        self.items.pop(key, None)


@contextlib.asynccontextmanager
async def services_in(tmp_path: Path, secrets: DictSecrets, **env: str) -> AsyncIterator[Services]:
    services = await build_services(tmp_path, secrets=secrets, env=env, open_history=False)
    try:
        yield services
    finally:
        await services.aclose()


async def test_provider_names_resolve_to_profiles(tmp_path: Path) -> None:
    local = ProviderProfile("local", "openai", "My Server", "http://127.0.0.1:8080/v1", "m")
    async with services_in(tmp_path, DictSecrets()) as services:
        assert services.resolve_profile(None).id == "yqcloud"  # nothing saved yet
        services.settings.save(Preferences(current_profile="local", profiles=(local,)))
        assert services.resolve_profile(None) == local
        assert services.resolve_profile("local") == local
        assert services.resolve_profile("my server") == local
        groq = services.resolve_profile("groq")
        assert (groq.kind, groq.base_url) == ("openai", "https://api.groq.com/openai/v1")
        assert services.resolve_profile("ollama").kind == "ollama"
        with pytest.raises(UnknownProviderError, match=r"'nope'.*local"):
            services.resolve_profile("nope")


async def test_the_keychain_key_goes_only_to_its_own_provider(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/chat/completions"):
            return await stream_chunks(request, sse({"content": "ok"}), content_type="text/event-stream")
        return await stream_chunks(request, [b"ok"])

    server.handle = handle
    local = ProviderProfile("local", "openai", "Local", server.url("/v1"), "m")
    secrets = DictSecrets({"api_key/local": "sk-from-keychain-123456"})
    async with services_in(tmp_path, secrets) as services:
        services.settings.save(Preferences(profiles=(local,)))
        request = ChatRequest((Message(Role.USER, "hi"),), model="m")
        for provider in (
            await services.provider_for("local"),
            await services.provider_for("yqcloud", base_url=server.url("/y")),
        ):
            async with contextlib.aclosing(provider.stream(request)) as events:
                assert [e async for e in events if isinstance(e, TextDelta)] == [TextDelta("ok")]
    assert secrets.asked == ["api_key/local"]  # Yqcloud takes no key: the keychain was not asked
    openai_seen, yqcloud_seen = server.requests
    assert ("Authorization", "Bearer sk-from-keychain-123456") in openai_seen.raw_headers
    assert not any(name.lower() == "authorization" for name, _ in yqcloud_seen.raw_headers)
    assert b"sk-from-keychain" not in yqcloud_seen.body


async def test_the_environment_key_comes_before_the_keychain(server: ScriptedServer, tmp_path: Path) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await stream_chunks(request, sse({"content": "ok"}), content_type="text/event-stream")

    server.handle = handle
    secrets = DictSecrets({"api_key/openai": "sk-from-keychain-123456"})
    async with services_in(tmp_path, secrets, PARLEY_API_KEY=KEY) as services:
        provider = await services.provider_for("openai", base_url=server.url("/v1"))
        request = ChatRequest((Message(Role.USER, "hi"),), model="m")
        async with contextlib.aclosing(provider.stream(request)) as events:
            _ = [e async for e in events]
        assert services.redactor(f"key {KEY}") == "key ***"
    assert secrets.asked == []
    assert ("Authorization", f"Bearer {KEY}") in server.requests[0].raw_headers


async def test_changed_network_settings_apply_to_new_providers(tmp_path: Path) -> None:
    async with services_in(tmp_path, DictSecrets()) as services:
        first = services.http
        assert first.config.timeout == 120
        services.settings.update({Keys.TIMEOUT: 7, Keys.TOTAL_TIMEOUT: 600})
        await services.reload_network()
        assert services.http is not first
        assert (services.http.config.timeout, services.http.config.total_timeout) == (7, 600)


# The log ------------------------------------------------------------------------------------------
# -- lazy services (append to tests/integration/test_compose.py; imports: subprocess, sys, desktop_app) --

SCRIPT = """
import asyncio, sys
from pathlib import Path
from desktop_app.compose import build_services
services = asyncio.run(build_services(Path(sys.argv[1])))
loaded = sorted(m for m in ("aiohttp", "keyring", "importlib.metadata") if m in sys.modules)
print(",".join(loaded))
first = services.http  # made on first use
print("aiohttp" in sys.modules)
asyncio.run(services.aclose())
"""


def test_services_are_built_without_aiohttp_keyring_or_importlib_metadata(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60, check=True
    )
    first, second = done.stdout.split("\n")[:2]
    assert first == ""
    assert second == "True"


def test_the_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert desktop_app.__version__ == version("parley")
