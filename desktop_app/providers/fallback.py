"""A chain of providers tried in order until one answers.

The rule: move on only while nothing of the answer has been shown. Text and reasoning both count
as shown (reasoning appears in the view as it streams), so after either, an error ends the answer
and the partial output stays with the consumer; switching then would splice two answers together.
Cancelling stops the current attempt at once and tries nothing else.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncGenerator, Sequence

from desktop_app.core.errors import ConfigurationError, ProviderError, shorten
from desktop_app.core.events import ProviderSelected, ReasoningDelta, StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest
from desktop_app.core.ports import ChatProvider

_BRIEF_SERVER_MESSAGE = 80


class FallbackProvider:
    """Implements `ChatProvider` over other providers. Each provider keeps its own key and
    headers: the chain passes only the request along, never configuration."""

    def __init__(self, providers: Sequence[ChatProvider], *, name: str = "Fallback") -> None:
        if not providers:
            raise ConfigurationError("A fallback chain needs at least one provider.")
        self.name = name
        self._providers = tuple(providers)

    @property
    def providers(self) -> tuple[ChatProvider, ...]:
        return self._providers

    def __repr__(self) -> str:
        return f"FallbackProvider([{', '.join(p.name for p in self._providers)}])"

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        failures: list[tuple[str, ProviderError]] = []
        for provider in self._providers:
            yield ProviderSelected(provider.name)
            shown = False
            try:
                async with contextlib.aclosing(provider.stream(request)) as events:
                    async for event in events:
                        if isinstance(event, TextDelta | ReasoningDelta) and event.text:
                            shown = True
                        yield event
            except ProviderError as exc:
                if shown:
                    raise
                failures.append((provider.name, exc))
                continue
            return
        raise _all_failed(self.name, failures)

    async def list_models(self) -> list[str]:
        """Every provider's models, in chain order without repeats; providers that cannot list
        them are skipped (an error only when none can)."""
        models: dict[str, None] = {}
        failures: list[tuple[str, ProviderError]] = []
        for provider in self._providers:
            try:
                models.update(dict.fromkeys(await provider.list_models()))
            except ProviderError as exc:
                failures.append((provider.name, exc))
        if len(failures) == len(self._providers):
            raise _all_failed(self.name, failures)
        return list(models)


def _all_failed(chain: str, failures: list[tuple[str, ProviderError]]) -> ProviderError:
    """The last error, retold as one line listing every provider's failure. Its class (and so
    its hint, `retry_after` and the like) is kept; the original stays attached as `__cause__`."""
    last = failures[-1][1]
    if len(failures) == 1:
        return last
    combined = copy.copy(last)
    combined.detail = "every provider failed: " + "; ".join(
        f"{name}: {_brief(error)}" for name, error in failures
    )
    combined.provider = chain
    combined.status = None
    combined.reason = None
    combined.server_message = None
    combined.args = (str(combined),)
    combined.__cause__ = last
    return combined


def _brief(error: ProviderError) -> str:
    text = error.detail
    if error.status is not None:
        text = f"HTTP {error.status}" + (f" {error.reason}" if error.reason else "") + f": {text}"
    if error.server_message:
        text += f" ({shorten(error.server_message, _BRIEF_SERVER_MESSAGE)})"
    return text
