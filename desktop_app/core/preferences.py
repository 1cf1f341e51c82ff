"""The user's preferences as plain values. `storage/settings.py` persists them (QSettings INI);
the preferences dialog edits a copy; nothing here knows Qt."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from desktop_app.core.provider_kinds import ProviderKind

# Keychain entry names (service "Parley"): every reader and writer of a secret uses these.
PROXY_PASSWORD_KEY = "proxy_password"  # noqa: S105 - an entry name, not a password


def api_key_entry(profile_id: str) -> str:
    """The keychain entry holding a provider profile's API key."""
    return f"api_key/{profile_id}"


class ProxyMode(StrEnum):
    OFF = "off"
    SYSTEM = "system"
    MANUAL = "manual"


class ProxyType(StrEnum):
    HTTP = "http"
    HTTPS = "https"
    SOCKS5 = "socks5"


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


class Language(StrEnum):
    SYSTEM = "system"
    ENGLISH = "en"
    RUSSIAN = "ru"


class SendKey(StrEnum):
    ENTER = "enter"  # Enter sends, Shift+Enter adds a line
    CTRL_ENTER = "ctrl_enter"  # Ctrl+Enter sends, Enter adds a line


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """A provider the user set up: a preset (OpenAI, Groq, LM Studio, ...) or a custom endpoint.
    Its API key lives in the keychain under `api_key/<id>`, never here. `kind` may be given as its
    stored text; anything but a known kind is a `ValueError`."""

    id: str
    kind: ProviderKind
    label: str
    base_url: str = ""
    model: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ProviderKind.parse(self.kind))


MAX_CONTEXT_TOKENS = 100_000_000  # a context window setting above this is a typo


@dataclass(frozen=True, slots=True)
class ModelSetting:
    """What the user (or a server's refusal) settled about one model, over what servers say."""

    takes_images: bool | None = None  # None: as the server or the model's name says
    context_tokens: int | None = None  # None: as the server says (else unknown)


# Per model id, its setting: a sorted tuple of pairs, so `Preferences` stays frozen and hashable.
ModelSettings = tuple[tuple[str, ModelSetting], ...]


def model_settings(entries: Mapping[str, ModelSetting]) -> ModelSettings:
    """`entries` as `Preferences.models` holds them: sorted by model id, empty settings left out."""
    kept = [(model, setting) for model, setting in entries.items() if setting != ModelSetting()]
    return tuple(sorted(kept, key=lambda item: item[0]))


@dataclass(frozen=True, slots=True)
class Preferences:
    proxy_mode: ProxyMode = ProxyMode.OFF
    proxy_type: ProxyType = ProxyType.HTTP
    proxy_host: str = ""
    proxy_port: int = 8080
    proxy_user: str = ""  # the password is in the keychain under "proxy_password"
    timeout: int = 120  # seconds: connecting and each wait for the next bytes
    total_timeout: int = 0  # seconds for a whole answer; 0 = no limit
    current_profile: str = ""  # "" = nothing chosen yet (first run)
    profiles: tuple[ProviderProfile, ...] = field(default_factory=tuple)
    theme: Theme = Theme.SYSTEM
    language: Language = Language.SYSTEM
    send_key: SendKey = SendKey.ENTER
    font_size: int = 11  # points
    # Qt's names: on macOS "Alt" is the Option key (and "Ctrl" is Command).
    hotkey: str = "Alt+Space" if sys.platform == "darwin" else "Ctrl+Shift+Space"
    close_to_tray: bool = True
    notify_when_done: bool = True
    models: ModelSettings = ()  # what the user (or a server's refusal) settled per model
    attachment_max_mb: int = 50  # the largest file accepted as an attachment
    image_max_side: int = 2048  # px: images are downscaled to this longest side before sending

    def profile(self, profile_id: str) -> ProviderProfile | None:
        return next((p for p in self.profiles if p.id == profile_id), None)

    def model_setting(self, model: str) -> ModelSetting:
        return dict(self.models).get(model, ModelSetting())
