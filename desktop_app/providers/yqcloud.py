"""Yqcloud: a faithful port of gpt4free's classic provider (contract: shared/spec/yqcloud.md),
with the original's defects fixed: split-safe UTF-8, the abuse reply detected across chunks,
HTML pages treated as errors, and the timeout enforced while streaming.

Its API takes a text prompt only: a request with images is refused (`ImagesNotSupportedError`) before
anything is sent; documents are part of the prompt (`format_prompt`)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from desktop_app.core.errors import ProviderBlockedError
from desktop_app.core.events import Finish, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest, MessageLike, format_prompt
from desktop_app.core.vision import ModelFacts
from desktop_app.net.decoding import Utf8Decoder
from desktop_app.net.session import HttpClient, NetworkConfig
from desktop_app.providers.base import AsyncGeneratorProvider

ABUSE_REPLY = "sorry, 您的ip已由于触发防滥用检测而被封禁"
USER_ID_RANGE = (1690000544336, 2093025544336)


class Yqcloud(AsyncGeneratorProvider):
    url = "https://chat9.yqcloud.top/"
    api_endpoint = "https://api.aichatos.cloud/api/generateStream"
    working = True
    supports_gpt_35_turbo = True
    name = "Yqcloud"

    def __init__(
        self,
        *,
        api_endpoint: str | None = None,
        http: HttpClient | None = None,
        network: NetworkConfig | None = None,
    ) -> None:
        super().__init__(http=http, network=network)
        self._endpoint = api_endpoint or type(self).api_endpoint

    async def _events(self, request: ChatRequest, http: HttpClient) -> AsyncGenerator[StreamEvent, None]:
        options = dict(request.options)
        endpoint = str(options.pop("api_endpoint", None) or self._endpoint)
        # Faithful to the original: every message goes into the prompt; `system_message=` fills
        # the payload's separate "system" field.
        payload = _create_payload(request.messages, **options)
        decoder = Utf8Decoder()
        guard = AbuseReplyGuard()
        stream = http.stream(
            "POST", endpoint, provider=self.name, json_body=payload, headers=_create_header()
        )
        async with contextlib.aclosing(stream) as chunks:
            async for chunk in chunks:
                text = guard.feed(decoder.feed(chunk))
                if text:
                    yield TextDelta(text)
                if guard.blocked:
                    raise ProviderBlockedError("IP address is blocked by abuse detection.")
        tail = guard.feed(decoder.flush())
        tail += "" if guard.blocked else guard.flush()
        if tail:
            yield TextDelta(tail)
        if guard.blocked:
            raise ProviderBlockedError("IP address is blocked by abuse detection.")
        yield Finish("stop")

    async def _fetch_facts(self, model: str) -> ModelFacts:
        # No I/O: the API has one text `prompt` field, whatever the model is called.
        return ModelFacts(model, vision=False, source="Yqcloud takes text only")


def _create_header() -> dict[str, str]:
    return {
        "accept": "application/json, text/plain, */*",
        "content-type": "application/json",
        "origin": "https://chat9.yqcloud.top",
        "referer": "https://chat9.yqcloud.top/",
    }


def _create_payload(
    messages: Iterable[MessageLike],
    system_message: Any = "",
    user_id: Any = None,
    **kwargs: Any,  # accepted and ignored, as in the original
) -> dict[str, Any]:
    if not user_id:
        user_id = random.randint(*USER_ID_RANGE)  # noqa: S311 - an opaque id, not a secret
    return {
        "prompt": format_prompt(messages),
        "network": True,
        "system": str(system_message or ""),
        "withoutContext": False,
        "stream": True,
        "userId": f"#/chat/{user_id}",
    }


class AbuseReplyGuard:
    """Holds back any tail of the text that could be the start of the anti-abuse reply, so no
    part of that reply is ever shown as answer text, however the stream is split."""

    def __init__(self) -> None:
        self._pending = ""
        self.blocked = False  # the reply arrived: the caller shows what `feed` returned, then raises

    def feed(self, text: str) -> str:
        if self.blocked:
            return ""
        pending = self._pending + text if self._pending else text
        found = pending.find(ABUSE_REPLY)
        if found >= 0:
            # Text before the reply (even in the same chunk) is answer text; the reply is not.
            self.blocked, self._pending = True, ""
            return pending[:found]
        keep = _longest_prefix_suffix(pending, ABUSE_REPLY)
        self._pending = pending[len(pending) - keep :] if keep else ""
        return pending[: len(pending) - keep]

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest


def _longest_prefix_suffix(text: str, marker: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `marker`.

    Such a suffix starts with the marker's first character, so only those positions in the last
    `len(marker) - 1` characters are tried (a `find` each), longest first: most chunks have none.
    """
    if not marker:
        return 0
    first = marker[0]
    position = text.find(first, max(0, len(text) - (len(marker) - 1)))
    while position != -1:
        if marker.startswith(text[position:]):
            return len(text) - position
        position = text.find(first, position + 1)
    return 0
