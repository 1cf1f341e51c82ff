"""What is known about the model chosen now: its context window and whether it takes images.

The user's setting for the model comes first (Preferences → Models), then what its server says
(asked through the provider's `KnowsModels` port, at most a bounded wait, remembered per model),
else nothing: an unknown window trims nothing, an unknown model is sent images and its server's
refusal is handled by the controller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from desktop_app.chat.active_provider import ActiveProvider
from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.errors import ParleyError
from desktop_app.core.vision import KnowsModels, Vision

log = logging.getLogger(__name__)


def _no_setting(_model: str) -> int | None:
    return None


class ChosenModel:
    """See the module docstring. `model` says which model is chosen at each call."""

    def __init__(self, provider: ActiveProvider, model: Callable[[], str], tasks: OwnedTasks) -> None:
        self._provider = provider
        self._model = model
        self._tasks = tasks
        self.context_setting: Callable[[str], int | None] = _no_setting
        self._context: dict[str, int | None] = {}  # model -> its window, as its server said
        self._learning: dict[str, asyncio.Task[None]] = {}  # model -> the question in flight

    def known_context(self) -> int | None:
        """The window known without asking anybody (the setting, or a server's earlier answer)."""
        model = self._model()
        return self.context_setting(model) or self._context.get(model)

    async def context_tokens(self, *, wait_s: float) -> int | None:
        """The chosen model's context window. A server that has not answered within `wait_s` is
        still asked in the background, so the next request knows."""
        model = self._model()
        known = self.context_setting(model)
        if known:
            return known
        if model in self._context:
            return self._context[model]
        learning = self._learning.get(model)
        if learning is None or learning.done():  # one question per model at a time
            learning = self._learning[model] = self._tasks.start(self._learn_context(model))
        try:
            async with asyncio.timeout(wait_s):
                await asyncio.shield(learning)
        except TimeoutError:
            return None
        return self._context.get(model)

    async def takes_images(self) -> bool | None:
        """True or False when the server, the user's setting or the model's name says; None when
        nothing is known (or there is no provider yet)."""
        await self._provider.ready()
        provider = self._known_models()
        if provider is None:
            return None
        support = await provider.vision_support(self._model())
        return None if support.answer is Vision.UNKNOWN else support.sends_images

    async def _learn_context(self, model: str) -> None:
        provider = self._known_models()
        if provider is None:
            self._context[model] = None
            return
        try:
            facts = await provider.model_facts(model)
        except ParleyError as exc:
            log.info("The context window of %s is unknown: %s", model, exc)
            self._context[model] = None
            return
        self._context[model] = facts.context_length

    def _known_models(self) -> KnowsModels | None:
        try:
            provider = self._provider.now()
        except ParleyError:
            return None
        return provider if isinstance(provider, KnowsModels) else None
