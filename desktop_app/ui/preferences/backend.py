"""What the preferences dialog needs from outside the UI, handed in by the composition root.

The dialog never imports providers or storage: the keychain comes as a `SecretStore`, the provider
presets as plain data, and model lists and the connection test as callables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from desktop_app.core.ports import SecretStore
from desktop_app.core.preferences import Preferences, ProviderProfile, api_key_entry
from desktop_app.core.provider_kinds import ProviderKind

api_key_name = api_key_entry  # the name the preferences pages use


class PresetLike(Protocol):
    """A provider preset (providers/registry.py `Preset` fits this shape)."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> ProviderKind: ...
    @property
    def base_url(self) -> str: ...
    @property
    def needs_key(self) -> bool: ...
    @property
    def default_model(self) -> str: ...
    @property
    def local(self) -> bool: ...


# (profile as edited, API key as typed or None for "the saved one") -> model ids.
ModelLister = Callable[[ProviderProfile, str | None], Awaitable[list[str]]]
# (preferences as edited, proxy password as typed or None for "the saved one") -> one line saying
# what answered; raises `ParleyError` with a one-line message when nothing did.
ConnectionTester = Callable[[Preferences, str | None], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class PreferencesBackend:
    secrets: SecretStore
    presets: Sequence[PresetLike]
    list_models: ModelLister
    test_connection: ConnectionTester


def preset_profile(preset: PresetLike, taken: Sequence[str] = ()) -> ProviderProfile:
    """A new profile from a preset, with an id no other profile has."""
    return ProviderProfile(
        id=unique_id(preset.id, taken),
        kind=preset.kind,
        label=preset.label,
        base_url=preset.base_url,
        model=preset.default_model,
    )


def unique_id(base: str, taken: Sequence[str]) -> str:
    if base not in taken:
        return base
    for number in range(2, 10_000):
        candidate = f"{base}-{number}"
        if candidate not in taken:
            return candidate
    raise ValueError("too many provider profiles")
