"""Typed settings over `QSettings` in INI format at an injected path.

Every key is declared once below with its type, default and valid values. Raw values are
validated here, not by `QSettings.value(k, default, type=int)` (which turns "abc" into 0
silently): a corrupt or out-of-range value falls back to its default with a log line, and a file
that is not INI text at all is moved aside, never a crash. Secrets never live here (the proxy
password and API keys are in the keychain).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote, urlsplit

from PySide6.QtCore import QByteArray, QSettings

from desktop_app.core.errors import ConfigurationError, ParleyError
from desktop_app.core.preferences import (
    MAX_CONTEXT_TOKENS,
    ModelSetting,
    ModelSettings,
    Preferences,
    ProviderProfile,
    ProxyMode,
    model_settings,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
_PROFILE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MAX_TEXT = 4096

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
_DEFAULTS: Final = Preferences()  # defaults are declared once, on the plain-data side


class SettingsWriteError(ParleyError):
    """The settings file could not be written; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Key(Generic[T]):
    """One setting. `parse` turns a raw stored value (or a typed one) into `T` or raises
    `ValueError` saying what was expected; `encode` turns `T` into what QSettings stores."""

    name: str
    default: T
    parse: Callable[[object], T]
    encode: Callable[[T], object] = lambda value: value


def _int_parser(low: int, high: int) -> Callable[[object], int]:
    def parse(raw: object) -> int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", raw):
            value = int(raw)
        else:
            raise ValueError(f"expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return parse


def int_key(name: str, default: int, low: int, high: int) -> Key[int]:
    return Key(name, default, _int_parser(low, high))


def enum_key(name: str, default: E) -> Key[E]:
    kind = type(default)

    def parse(raw: object) -> E:
        if isinstance(raw, kind):
            return raw
        if isinstance(raw, str) and raw in kind._value2member_map_:
            return kind(raw)
        raise ValueError(f"expected one of {', '.join(m.value for m in kind)}")

    return Key(name, default, parse, lambda value: value.value)


def _text(raw: object) -> str:
    if not isinstance(raw, str) or len(raw) > _MAX_TEXT or any(c in raw for c in "\r\n\0"):
        raise ValueError("expected one line of text")
    return raw


def text_key(name: str, default: str = "") -> Key[str]:
    return Key(name, default, _text)


def _bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0"):
        return raw.strip().lower() in ("true", "1")
    raise ValueError("expected true or false")


def bool_key(name: str, default: bool) -> Key[bool]:
    return Key(name, default, _bool)


def _bytes(raw: object) -> bytes:
    if isinstance(raw, QByteArray):
        return bytes(raw.data())
    if isinstance(raw, bytes):
        return raw
    if raw == "":
        return b""
    raise ValueError("expected binary data")


def bytes_key(name: str) -> Key[bytes]:
    # QByteArray, not bytes: PySide would pickle a Python bytes object into the file.
    return Key(name, b"", _bytes, QByteArray)


class Keys:
    """Every key Parley stores, with its default (from `Preferences`) and valid values."""

    SCHEMA = int_key("meta/schema_version", SCHEMA_VERSION, 0, 1_000_000)

    PROXY_MODE = enum_key("network/proxy_mode", _DEFAULTS.proxy_mode)
    PROXY_TYPE = enum_key("network/proxy_type", _DEFAULTS.proxy_type)
    PROXY_HOST = text_key("network/proxy_host", _DEFAULTS.proxy_host)
    PROXY_PORT = int_key("network/proxy_port", _DEFAULTS.proxy_port, 1, 65535)
    PROXY_USER = text_key("network/proxy_user", _DEFAULTS.proxy_user)
    # A saved proxy skips local model servers (127.0.0.1, localhost) unless this is on.
    PROXY_LOOPBACK = bool_key("network/proxy_loopback", False)
    TIMEOUT = int_key("network/timeout", _DEFAULTS.timeout, 1, 3600)
    TOTAL_TIMEOUT = int_key("network/total_timeout", _DEFAULTS.total_timeout, 0, 86_400)  # 0 = off

    CURRENT_PROFILE = text_key("provider/current", _DEFAULTS.current_profile)  # "" = none saved

    THEME = enum_key("ui/theme", _DEFAULTS.theme)
    LANGUAGE = enum_key("ui/language", _DEFAULTS.language)
    SEND_KEY = enum_key("ui/send_key", _DEFAULTS.send_key)
    FONT_SIZE = int_key("ui/font_size", _DEFAULTS.font_size, 6, 72)
    HOTKEY = text_key("ui/hotkey", _DEFAULTS.hotkey)
    CLOSE_TO_TRAY = bool_key("ui/close_to_tray", _DEFAULTS.close_to_tray)
    NOTIFY_WHEN_DONE = bool_key("ui/notify_when_done", _DEFAULTS.notify_when_done)
    # Hidden (no control in Preferences): whether the "still running in the tray" notice was
    # shown once, and the ports local-server discovery probes ("ollama=11434,llamacpp=8080").
    TRAY_NOTICE_SHOWN = bool_key("ui/tray_notice_shown", False)
    DISCOVERY_PORTS = text_key("network/discovery_ports", "")

    # Attachments: the largest file accepted, and the longest side images are downscaled to.
    ATTACHMENT_MAX_MB = int_key("attachments/max_file_mb", _DEFAULTS.attachment_max_mb, 1, 2048)
    IMAGE_MAX_SIDE = int_key("attachments/image_max_side", _DEFAULTS.image_max_side, 256, 8192)
    ATTACH_FOLDER = text_key("attachments/last_folder", "")  # where the Attach dialog opens

    WINDOW_GEOMETRY = bytes_key("window/geometry")
    SPLITTER_STATE = bytes_key("window/splitter")


# Preferences field → its key (profiles and models are stored as arrays, below).
_PREFERENCE_KEYS: Final[Mapping[str, Key[Any]]] = {
    "proxy_mode": Keys.PROXY_MODE,
    "proxy_type": Keys.PROXY_TYPE,
    "proxy_host": Keys.PROXY_HOST,
    "proxy_port": Keys.PROXY_PORT,
    "proxy_user": Keys.PROXY_USER,
    "timeout": Keys.TIMEOUT,
    "total_timeout": Keys.TOTAL_TIMEOUT,
    "current_profile": Keys.CURRENT_PROFILE,
    "theme": Keys.THEME,
    "language": Keys.LANGUAGE,
    "send_key": Keys.SEND_KEY,
    "font_size": Keys.FONT_SIZE,
    "hotkey": Keys.HOTKEY,
    "close_to_tray": Keys.CLOSE_TO_TRAY,
    "notify_when_done": Keys.NOTIFY_WHEN_DONE,
    "attachment_max_mb": Keys.ATTACHMENT_MAX_MB,
    "image_max_side": Keys.IMAGE_MAX_SIDE,
}


PROFILES_ARRAY: Final = "provider/profiles"
MODELS_ARRAY: Final = "models/settings"
_MODEL_SNAPSHOTS: Final = 8  # `Preferences.models` values handed out or saved, newest last
_PROFILE_FIELDS: Final = ("id", "kind", "label", "base_url", "model")


def validate_profile(profile: ProviderProfile) -> ProviderProfile:
    """The profile itself, or `ValueError` saying which field is wrong. (Its kind was checked when
    it was made: a `ProviderProfile` holds a known `ProviderKind` only.)"""
    if not _PROFILE_ID.fullmatch(profile.id):
        raise ValueError(f"id {profile.id!r} must be letters, digits, '.', '_' or '-'")
    for text in (profile.label, profile.model, profile.base_url):
        _text(text)
    if profile.base_url:
        parts = urlsplit(profile.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL {profile.base_url!r} must be an http:// or https:// address")
    return profile


SystemProxies = Callable[[], Mapping[str, str]]


class Settings:
    """All of Parley's settings in one INI file (`core.ports.SettingsStore`). Reads never raise;
    writes raise `SettingsWriteError` (one line) when the file cannot be written."""

    def __init__(self, path: Path) -> None:
        self._path = path
        _move_aside_if_not_text(path)
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)
        self._model_snapshots: list[ModelSettings] = []
        if self._qs.status() == QSettings.Status.FormatError:
            log.warning("Settings file %s has format errors; unreadable entries use defaults", path)
        elif self._qs.status() == QSettings.Status.AccessError:
            log.warning("Settings file %s cannot be read; using defaults", path)
        stored = self.get(Keys.SCHEMA)
        if stored > SCHEMA_VERSION:
            log.warning("Settings come from a newer Parley (schema %d); keys it added are ignored", stored)

    @property
    def path(self) -> Path:
        return self._path

    def get(self, key: Key[T]) -> T:
        raw = self._qs.value(key.name)
        if raw is None:
            return key.default
        try:
            return key.parse(raw)
        except ValueError as exc:
            log.warning("Setting %s = %.60r is not valid (%s); using %r", key.name, raw, exc, key.default)
            return key.default

    def set(self, key: Key[T], value: T) -> None:
        self.update({key: value})

    def update(self, values: Mapping[Key[Any], object]) -> None:
        """Validate every value first (`ConfigurationError` names the bad one), then write them
        all and sync once."""
        checked = [(key, _checked(key, value)) for key, value in values.items()]
        for key, value in checked:
            self._qs.setValue(key.name, key.encode(value))
        self._sync()

    def reset(self, key: Key[Any]) -> None:
        self._qs.remove(key.name)
        self._sync()

    def _sync(self) -> None:
        if self._qs.value(Keys.SCHEMA.name) is None:
            self._qs.setValue(Keys.SCHEMA.name, SCHEMA_VERSION)
        self._qs.sync()
        if self._qs.status() == QSettings.Status.AccessError:
            raise SettingsWriteError(
                f"Could not save settings to {self._path}: the file or its folder is not writable; "
                "changes last only until Parley closes."
            )

    # SettingsStore ----------------------------------------------------------------------------

    def load(self) -> Preferences:
        values = {name: self.get(key) for name, key in _PREFERENCE_KEYS.items()}
        models = model_settings(self.model_settings())
        self._remember_models(models)
        return Preferences(profiles=tuple(self.profiles()), models=models, **values)

    def save(self, preferences: Preferences) -> None:
        """Write every preference, validated first: nothing is written if one is invalid.

        Model settings are also written by the app while it runs (`set_model_setting`: a server
        refused a model's images), so a `Preferences` loaded earlier may not hold them. Only the
        models the caller changed are written: `preferences.models` is compared with the value
        it most likely came from (of those `load` handed out and `save` took, the one closest to
        it); a value never seen before (nothing loaded yet) replaces the saved models."""
        values = {key: _checked(key, getattr(preferences, name)) for name, key in _PREFERENCE_KEYS.items()}
        models = self._models_to_write(_checked_models(preferences.models))
        self.set_profiles(list(preferences.profiles), sync=False)
        if models is not None:
            self._write_models(models, sync=False)
        self.update(values)
        self._remember_models(preferences.models)

    def window_state(self) -> tuple[bytes, bytes]:
        return self.get(Keys.WINDOW_GEOMETRY), self.get(Keys.SPLITTER_STATE)

    def save_window_state(self, geometry: bytes, splitter: bytes) -> None:
        self.update({Keys.WINDOW_GEOMETRY: geometry, Keys.SPLITTER_STATE: splitter})

    # Provider profiles ------------------------------------------------------------------------

    def profiles(self) -> list[ProviderProfile]:
        """The saved profiles in order; an invalid or duplicate entry is skipped with a log line."""
        found: list[ProviderProfile] = []
        size = self._qs.beginReadArray(PROFILES_ARRAY)
        try:
            for index in range(min(size, 1000)):
                self._qs.setArrayIndex(index)
                try:
                    profile = self._read_profile()
                except ValueError as exc:
                    log.warning("Provider profile #%d is not valid (%s); skipped", index + 1, exc)
                    continue
                if any(p.id == profile.id for p in found):
                    log.warning("Provider profile id %r appears twice; the second is skipped", profile.id)
                    continue
                found.append(profile)
        finally:
            self._qs.endArray()
        return found

    def _read_profile(self) -> ProviderProfile:
        fields = {name: self._qs.value(name, "") for name in _PROFILE_FIELDS}
        bad = [name for name, value in fields.items() if not isinstance(value, str)]
        if bad:
            raise ValueError(f"{bad[0]} is not text")
        # An unknown kind is a `ValueError` here: the profile is skipped with a log line.
        return validate_profile(ProviderProfile(**fields))  # type: ignore[arg-type]

    def set_profiles(self, profiles: list[ProviderProfile], *, sync: bool = True) -> None:
        try:
            checked = [validate_profile(p) for p in profiles]
        except ValueError as exc:
            raise ConfigurationError(f"Provider profile not saved: {exc}.") from None
        ids = [p.id for p in checked]
        if len(set(ids)) != len(ids):
            raise ConfigurationError("Provider profiles not saved: two profiles have the same id.")
        self._qs.remove(PROFILES_ARRAY)
        self._qs.beginWriteArray(PROFILES_ARRAY, len(checked))
        for index, profile in enumerate(checked):
            self._qs.setArrayIndex(index)
            for name in _PROFILE_FIELDS:
                self._qs.setValue(name, getattr(profile, name))
        self._qs.endArray()
        if sync:
            self._sync()

    def profile(self, profile_id: str) -> ProviderProfile | None:
        return next((p for p in self.profiles() if p.id == profile_id), None)

    def current_profile(self) -> ProviderProfile | None:
        """The saved current profile, or None when none is saved (or it no longer exists)."""
        current = self.get(Keys.CURRENT_PROFILE)
        if not current:
            return None
        found = self.profile(current)
        if found is None:
            log.warning("The current provider %r has no saved profile; using the default", current)
        return found

    # What is known about models ------------------------------------------------------------------

    def model_settings(self) -> dict[str, ModelSetting]:
        """Per model id: takes images or not, its context window (as the user or a server's
        refusal of images settled them). Invalid entries are skipped."""
        found: dict[str, ModelSetting] = {}
        size = self._qs.beginReadArray(MODELS_ARRAY)
        try:
            for index in range(min(size, 10_000)):
                self._qs.setArrayIndex(index)
                model = self._qs.value("id", "")
                if not isinstance(model, str) or not model:
                    continue
                images = _optional_bool(self._qs.value("takes_images", ""))
                context = _optional_int(self._qs.value("context_tokens", ""))
                found[model] = ModelSetting(images, context)
        finally:
            self._qs.endArray()
        return found

    def set_model_setting(self, model: str, setting: ModelSetting) -> None:
        """Remember `setting` for `model` (an empty setting forgets the model)."""
        known = self.model_settings()
        known[model] = setting
        self._write_models(known)

    def _models_to_write(self, edited: ModelSettings) -> dict[str, ModelSetting] | None:
        """What the models array becomes when `edited` is saved; None: leave it as it is."""
        if edited in self._model_snapshots:
            return None  # the caller changed no model: keep what the app has written since
        if not self._model_snapshots:
            return dict(edited)
        wanted = dict(edited)

        def changed(base: ModelSettings) -> set[str]:
            before = dict(base)
            return {m for m in before.keys() | wanted.keys() if before.get(m) != wanted.get(m)}

        base = min(reversed(self._model_snapshots), key=lambda snapshot: len(changed(snapshot)))
        merged = self.model_settings()
        for model in changed(base):
            merged[model] = wanted.get(model, ModelSetting())
        return merged

    def _remember_models(self, models: ModelSettings) -> None:
        if models in self._model_snapshots:
            self._model_snapshots.remove(models)
        self._model_snapshots = [*self._model_snapshots, models][-_MODEL_SNAPSHOTS:]

    def _write_models(self, models: Mapping[str, ModelSetting], *, sync: bool = True) -> None:
        known = dict(model_settings(models))  # sorted, without empty settings
        self._qs.remove(MODELS_ARRAY)
        self._qs.beginWriteArray(MODELS_ARRAY, len(known))
        for index, (name, value) in enumerate(known.items()):
            self._qs.setArrayIndex(index)
            self._qs.setValue("id", name)
            self._qs.setValue(
                "takes_images", "" if value.takes_images is None else str(value.takes_images).lower()
            )
            self._qs.setValue(
                "context_tokens", "" if value.context_tokens is None else str(value.context_tokens)
            )
        self._qs.endArray()
        if sync:
            self._sync()

    # Network ----------------------------------------------------------------------------------

    def proxy_url(
        self, password: str | None = None, *, system_proxies: SystemProxies | None = None
    ) -> str | None:
        """The proxy URL the saved settings describe (`password` from the keychain), or None."""
        return proxy_url_for(self.load(), password, system_proxies=system_proxies)


def proxy_url_for(
    preferences: Preferences,
    password: str | None = None,
    *,
    system_proxies: SystemProxies | None = None,
) -> str | None:
    """The proxy URL `preferences` describe (saved or still being edited), or None for none.

    "system" reads the OS or environment proxy. Raises `ConfigurationError` when a manual proxy is
    selected without a host: going direct instead would be a silent privacy leak.
    `system_proxies` defaults to `urllib.request.getproxies`, imported only when needed (start-up).
    """
    if preferences.proxy_mode is ProxyMode.OFF:
        return None
    if preferences.proxy_mode is ProxyMode.SYSTEM:
        if system_proxies is None:
            from urllib.request import getproxies

            system_proxies = getproxies
        return system_proxy(system_proxies())
    host = preferences.proxy_host.strip()
    if not host:
        raise ConfigurationError(
            "A manual proxy is selected but no proxy host is set; fix it in Preferences → Network."
        )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    credentials = ""
    if preferences.proxy_user:
        secret = f":{quote(password, safe='')}" if password else ""
        credentials = f"{quote(preferences.proxy_user, safe='')}{secret}@"
    return f"{preferences.proxy_type.value}://{credentials}{host}:{preferences.proxy_port}"


def system_proxy(proxies: Mapping[str, str]) -> str | None:
    """The proxy to use from `urllib.request.getproxies()`-style data: https, then http, then all
    (Parley's APIs are mostly https). A bare `host:port` means an HTTP proxy."""
    for scheme in ("https", "http", "all"):
        url = proxies.get(scheme, "").strip()
        if url:
            return url if "://" in url else f"http://{url}"
    return None


def _optional_bool(raw: object) -> bool | None:
    text = str(raw).strip().lower()
    return True if text == "true" else False if text == "false" else None


def _optional_int(raw: object) -> int | None:
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if 0 < value <= MAX_CONTEXT_TOKENS else None


def _checked_models(models: ModelSettings) -> ModelSettings:
    """`models` itself, or `ConfigurationError` naming the model whose setting cannot be saved."""
    for model, setting in models:
        try:
            if not _text(model).strip():
                raise ValueError("a model id is empty")
        except ValueError:
            raise ConfigurationError(f"Model setting not saved: {model!r} is not a model id.") from None
        context = setting.context_tokens
        if context is not None and not 0 < context <= MAX_CONTEXT_TOKENS:
            raise ConfigurationError(
                f"Model setting for {model} not saved: the context window must be from 1 to "
                f"{MAX_CONTEXT_TOKENS} tokens."
            )
    return models


def _checked(key: Key[T], value: object) -> T:
    try:
        return key.parse(value)
    except ValueError as exc:
        raise ConfigurationError(f"Setting {key.name} not saved: {exc}.") from None


def _move_aside_if_not_text(path: Path) -> None:
    """A settings file that is not text (binary garbage, a different format) would be read as
    nonsense keys and kept forever: rename it to `<name>.corrupt` and start from defaults."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("Settings file %s cannot be read (%s); using defaults", path, exc.strerror or exc)
        return
    try:
        data.decode("utf-8")
        is_text = b"\0" not in data
    except UnicodeDecodeError:
        is_text = False
    if is_text:
        return
    aside = path.with_name(path.name + ".corrupt")
    try:
        path.replace(aside)
        log.warning("Settings file %s is not text; moved it to %s and started from defaults", path, aside)
    except OSError as exc:
        log.warning("Settings file %s is not a text file and could not be moved aside (%s)", path, exc)
