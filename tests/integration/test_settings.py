"""Typed settings over a real INI file under tmp_path: defaults, validation, corrupt files,
write failures, provider profiles, the proxy URL and window state."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.core.errors import ConfigurationError
from desktop_app.core.preferences import (
    Language,
    ModelSetting,
    Preferences,
    ProviderProfile,
    ProxyMode,
    ProxyType,
    SendKey,
    Theme,
)
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.net.proxy import parse_proxy
from desktop_app.storage.paths import resolve_paths
from desktop_app.storage.settings import (
    SCHEMA_VERSION,
    Keys,
    Settings,
    SettingsWriteError,
    system_proxy,
)

LOGGER = "desktop_app.storage.settings"


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage()]


def test_a_missing_file_gives_the_defaults_and_is_not_created_by_reading(ini: Path) -> None:
    settings = Settings(ini)
    assert settings.load() == Preferences()
    assert settings.get(Keys.TIMEOUT) == 120
    assert settings.get(Keys.TOTAL_TIMEOUT) == 0
    assert settings.get(Keys.CURRENT_PROFILE) == ""
    assert not ini.exists()


def test_saved_preferences_reach_the_file_and_a_new_instance(ini: Path) -> None:
    profiles = (
        ProviderProfile("local", ProviderKind.OPENAI, "llama.cpp", "http://127.0.0.1:8080/v1", "SmolLM2"),
        ProviderProfile("free", ProviderKind.YQCLOUD, "Yqcloud"),
    )
    wanted = Preferences(
        proxy_mode=ProxyMode.MANUAL,
        proxy_type=ProxyType.SOCKS5,
        proxy_host="proxy.example",
        proxy_port=1080,
        proxy_user="me",
        timeout=30,
        total_timeout=600,
        current_profile="local",
        profiles=profiles,
        theme=Theme.DARK,
        language=Language.RUSSIAN,
        send_key=SendKey.CTRL_ENTER,
        font_size=14,
        hotkey="Ctrl+Alt+P",
        close_to_tray=False,
        notify_when_done=False,
        models=(
            ("llava:13b", ModelSetting(takes_images=False, context_tokens=4096)),
            ("qwen/qwen2.5-vl", ModelSetting(takes_images=True)),
        ),
        attachment_max_mb=20,
        image_max_side=1024,
    )
    Settings(ini).save(wanted)

    loaded = Settings(ini).load()
    assert loaded == wanted
    assert [p.kind for p in loaded.profiles] == [ProviderKind.OPENAI, ProviderKind.YQCLOUD]
    assert all(type(p.kind) is ProviderKind for p in loaded.profiles)  # not just equal text
    text = ini.read_text(encoding="utf-8")
    assert "1\\kind=openai" in text  # the kind's value, as settings files always had it
    assert "2\\kind=yqcloud" in text
    assert "timeout=30" in text
    assert "proxy_type=socks5" in text
    assert "theme=dark" in text
    assert "max_file_mb=20" in text
    assert "image_max_side=1024" in text
    assert f"schema_version={SCHEMA_VERSION}" in text
    assert "password" not in text  # the proxy password lives in the keychain only


def test_corrupt_and_out_of_range_values_fall_back_to_defaults_with_a_log_line(
    ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ini.write_text(
        "[network]\ntimeout=abc\nproxy_port=99999\nproxy_mode=sometimes\ntotal_timeout=-5\n"
        "proxy_host=a,b\n"
        "[ui]\ntheme=purple\nclose_to_tray=maybe\nfont_size=3\nhotkey=Ctrl+K\nlanguage=ru\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        prefs = Settings(ini).load()

    defaults = Preferences()
    assert prefs.timeout == defaults.timeout
    assert prefs.proxy_port == defaults.proxy_port
    assert prefs.proxy_mode is defaults.proxy_mode
    assert prefs.total_timeout == defaults.total_timeout
    assert prefs.proxy_host == defaults.proxy_host  # "a,b" reads as a list, not one host
    assert prefs.theme is defaults.theme
    assert prefs.close_to_tray is defaults.close_to_tray
    assert prefs.font_size == defaults.font_size
    # Valid neighbours are kept.
    assert prefs.hotkey == "Ctrl+K"
    assert prefs.language is Language.RUSSIAN
    for key in (
        "timeout",
        "proxy_port",
        "proxy_mode",
        "total_timeout",
        "proxy_host",
        "theme",
        "close_to_tray",
    ):
        assert warnings_about(caplog, f"/{key} "), f"no log line for {key}"


@pytest.mark.parametrize(
    ("raw", "expected"), [(" 42 ", 42), ("+7", 7), ("3600", 3600), ("3601", 120), ("1e3", 120)]
)
def test_integer_values_are_parsed_strictly(ini: Path, raw: str, expected: int) -> None:
    ini.write_text(f"[network]\ntimeout={raw}\n", encoding="utf-8")
    assert Settings(ini).get(Keys.TIMEOUT) == expected


def test_a_binary_file_is_moved_aside_and_settings_start_from_defaults(
    ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe[network]\ntimeout=5\n" + bytes(range(256))
    ini.write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        settings = Settings(ini)
    assert settings.load() == Preferences()
    assert (ini.parent / "settings.ini.corrupt").read_bytes() == garbage
    assert warnings_about(caplog, "not text")

    settings.set(Keys.TIMEOUT, 45)
    assert "timeout=45" in ini.read_text(encoding="utf-8")
    assert Settings(ini).get(Keys.TIMEOUT) == 45


def test_a_text_file_with_ini_syntax_errors_does_not_crash(
    ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ini.write_text("[network\ntimeout=5\n]]]\n==\n[ui]\ntheme=dark\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        prefs = Settings(ini).load()
    assert prefs.theme is Theme.DARK  # what can be read is read
    assert warnings_about(caplog, "format errors")


def test_a_write_that_cannot_reach_the_disk_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be", encoding="utf-8")
    settings = Settings(blocker / "settings.ini")
    assert settings.get(Keys.TIMEOUT) == 120

    with pytest.raises(SettingsWriteError) as caught:
        settings.set(Keys.TIMEOUT, 30)
    message = str(caught.value)
    assert "\n" not in message
    assert str(blocker / "settings.ini") in message
    assert "not writable" in message


READ_ONLY_CHECK = """
import sys
from pathlib import Path
from desktop_app.storage.settings import Keys, Settings, SettingsWriteError
settings = Settings(Path(sys.argv[1]))
assert settings.get(Keys.TIMEOUT) == 5
try:
    settings.set(Keys.TIMEOUT, 9)
except SettingsWriteError as exc:
    print(exc)
"""


def test_a_read_only_file_is_reported_as_one_line(ini: Path) -> None:
    ini.write_text("[network]\ntimeout=5\n", encoding="utf-8")
    ini.chmod(0o444)
    command = [sys.executable, "-c", READ_ONLY_CHECK, str(ini)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # root writes anything: drop the capability that lets it, so permissions apply as for a user.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only file is writable for root")
        caps = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"Could not save settings to {ini}: the file or its folder is not writable; "
        "changes last only until Parley closes.\n"
    )
    assert ini.read_text(encoding="utf-8") == "[network]\ntimeout=5\n"


def test_invalid_values_are_refused_before_anything_is_written(ini: Path) -> None:
    settings = Settings(ini)
    settings.set(Keys.TIMEOUT, 60)
    before = ini.read_bytes()

    with pytest.raises(ConfigurationError, match="network/timeout"):
        settings.update({Keys.THEME: Theme.DARK, Keys.TIMEOUT: 0})
    with pytest.raises(ConfigurationError, match="ui/hotkey"):
        settings.set(Keys.HOTKEY, "Ctrl+K\n[evil]")
    bad = ProviderProfile("x", ProviderKind.OPENAI, "X", "ftp://host/v1")
    with pytest.raises(ConfigurationError, match="profile"):
        settings.save(Preferences(theme=Theme.DARK, profiles=(bad,)))

    assert ini.read_bytes() == before
    assert Settings(ini).get(Keys.THEME) is Theme.SYSTEM


def test_invalid_and_duplicate_profiles_are_skipped_with_a_log_line(
    ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ini.write_text(
        "[provider]\ncurrent=gone\n"
        "profiles\\1\\id=good\nprofiles\\1\\kind=ollama\nprofiles\\1\\label=Ollama\n"
        "profiles\\2\\id=bad kind\nprofiles\\2\\kind=ollama\n"
        "profiles\\3\\id=x\nprofiles\\3\\kind=telnet\n"
        "profiles\\4\\id=y\nprofiles\\4\\kind=openai\nprofiles\\4\\base_url=ftp://host/v1\n"
        "profiles\\5\\id=good\nprofiles\\5\\kind=yqcloud\n"
        "profiles\\size=5\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        settings = Settings(ini)
        assert settings.profiles() == [ProviderProfile("good", "ollama", "Ollama")]
        assert settings.current_profile() is None
    for marker in ("#2", "#3", "#4", "twice", "'gone'"):
        assert warnings_about(caplog, marker), marker


def test_the_current_profile_is_looked_up_by_id(ini: Path) -> None:
    settings = Settings(ini)
    local = ProviderProfile("local", "openai", "Local", "http://127.0.0.1:1234/v1", "m")
    settings.save(Preferences(current_profile="local", profiles=(local,)))
    assert settings.current_profile() == local
    assert settings.profile("nope") is None


def test_window_state_round_trips_as_bytes(ini: Path) -> None:
    geometry = b"\x01\xd9\xd0\xcb\x00\x03\x00\x00\xff\n\r"
    splitter = bytes(range(40))
    Settings(ini).save_window_state(geometry, splitter)
    assert Settings(ini).window_state() == (geometry, splitter)
    text = ini.read_text(encoding="utf-8")
    assert "@ByteArray(" in text
    assert "PyObject" not in text  # not a pickled Python object


def test_settings_from_a_newer_version_are_read_with_a_warning(
    ini: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ini.write_text(f"[meta]\nschema_version={SCHEMA_VERSION + 1}\n[network]\ntimeout=33\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert Settings(ini).get(Keys.TIMEOUT) == 33
    assert warnings_about(caplog, "newer Parley")


def test_a_profile_holds_a_known_kind_only() -> None:
    assert ProviderProfile("x", "ollama", "X").kind is ProviderKind.OLLAMA  # stored text is parsed
    with pytest.raises(ValueError, match=r"'telnet' is not one of yqcloud, openai, ollama"):
        ProviderProfile("x", "telnet", "X")


# Proxy URL ---------------------------------------------------------------------------------------


def test_no_proxy_when_off(ini: Path) -> None:
    assert Settings(ini).proxy_url("secret") is None


def test_manual_proxy_url_escapes_credentials_and_parses_back(ini: Path) -> None:
    settings = Settings(ini)
    settings.update(
        {
            Keys.PROXY_MODE: ProxyMode.MANUAL,
            Keys.PROXY_TYPE: ProxyType.SOCKS5,
            Keys.PROXY_HOST: "10.0.0.2",
            Keys.PROXY_PORT: 1080,
            Keys.PROXY_USER: "dom\\user@corp",
        }
    )
    password = "p@ss:w/rd %20"
    url = settings.proxy_url(password)
    assert url is not None
    assert url.startswith("socks5://")
    assert url.endswith("@10.0.0.2:1080")
    spec = parse_proxy(url)
    assert (spec.username, spec.password, spec.host, spec.port) == (
        "dom\\user@corp",
        password,
        "10.0.0.2",
        1080,
    )
    # Without a user the password is not put anywhere.
    settings.set(Keys.PROXY_USER, "")
    assert settings.proxy_url(password) == "socks5://10.0.0.2:1080"


def test_manual_proxy_with_an_ipv6_host(ini: Path) -> None:
    settings = Settings(ini)
    settings.update({Keys.PROXY_MODE: ProxyMode.MANUAL, Keys.PROXY_HOST: "::1", Keys.PROXY_PORT: 3128})
    url = settings.proxy_url()
    assert url == "http://[::1]:3128"
    assert parse_proxy(url).host == "::1"


def test_manual_proxy_without_a_host_is_an_error_not_a_direct_connection(ini: Path) -> None:
    settings = Settings(ini)
    settings.set(Keys.PROXY_MODE, ProxyMode.MANUAL)
    with pytest.raises(ConfigurationError, match="no proxy host"):
        settings.proxy_url()


def test_system_proxy_choice() -> None:
    assert system_proxy({"http": "http://a:1", "https": "http://b:2"}) == "http://b:2"
    assert system_proxy({"http": "corp:3128"}) == "http://corp:3128"
    assert system_proxy({"all": "socks5://c:1080"}) == "socks5://c:1080"
    assert system_proxy({}) is None


def test_system_mode_reads_the_environment_proxy(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "request_method"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("https_proxy", "http://env-proxy:3128")
    settings = Settings(ini)
    settings.set(Keys.PROXY_MODE, ProxyMode.SYSTEM)
    assert settings.proxy_url() == "http://env-proxy:3128"

    monkeypatch.delenv("https_proxy")
    assert settings.proxy_url() is None


# Locations ---------------------------------------------------------------------------------------


def test_a_data_dir_holds_everything(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "portable")
    assert paths.settings_file == tmp_path / "portable" / "settings.ini"
    assert paths.history_file == tmp_path / "portable" / "history.sqlite3"
    assert paths.log_file == tmp_path / "portable" / "parley.log"
    paths.ensure()
    assert (tmp_path / "portable").is_dir()


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="XDG variables decide the locations on Linux"
)
def test_default_locations_are_named_for_parley(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    paths = resolve_paths(None)
    # Organisation and application are both "Parley"; without them Qt would answer a bare
    # ~/.local/share shared with every nameless program.
    assert paths.config_dir == tmp_path / "config" / "Parley" / "Parley"
    assert paths.data_dir == tmp_path / "data" / "Parley" / "Parley"
    assert not paths.config_dir.exists()  # resolving creates nothing


def test_proxy_url_for_unsaved_preferences_escapes_credentials_and_brackets_ipv6() -> None:
    from desktop_app.core.preferences import Preferences, ProxyMode, ProxyType
    from desktop_app.storage.settings import proxy_url_for

    draft = Preferences(
        proxy_mode=ProxyMode.MANUAL,
        proxy_type=ProxyType.SOCKS5,
        proxy_host="::1",
        proxy_port=1080,
        proxy_user="me@home",
    )
    assert proxy_url_for(draft, "p@ss:w/rd") == "socks5://me%40home:p%40ss%3Aw%2Frd@[::1]:1080"
    assert proxy_url_for(Preferences(proxy_mode=ProxyMode.OFF), "x") is None
    system = Preferences(proxy_mode=ProxyMode.SYSTEM)
    assert (
        proxy_url_for(system, system_proxies=lambda: {"http": "proxy.example:3128"})
        == "http://proxy.example:3128"
    )


def test_model_settings_survive_a_restart_with_slashes_and_colons_in_their_ids(ini: Path) -> None:
    settings = Settings(ini)
    settings.set_model_setting("meta-llama/llama-3.2-11b-vision", ModelSetting(takes_images=True))
    settings.set_model_setting("llava:13b", ModelSetting(takes_images=False, context_tokens=4096))
    settings.set_model_setting("gone", ModelSetting(context_tokens=100))
    settings.set_model_setting("gone", ModelSetting())  # an empty setting forgets the model

    again = Settings(ini).model_settings()

    assert again == {
        "llava:13b": ModelSetting(takes_images=False, context_tokens=4096),
        "meta-llama/llama-3.2-11b-vision": ModelSetting(takes_images=True),
    }


def test_a_broken_model_entry_is_read_as_no_setting(ini: Path) -> None:
    ini.write_text(
        "[models]\nsettings\\1\\id=m\nsettings\\1\\takes_images=maybe\nsettings\\1\\context_tokens=-5\n"
        "settings\\size=1\n",
        encoding="utf-8",
    )

    assert Settings(ini).model_settings() == {"m": ModelSetting()}


def test_saving_preferences_replaces_the_models_the_user_edited_and_keeps_marks_made_meanwhile(
    ini: Path,
) -> None:
    settings = Settings(ini)
    settings.set_model_setting("old", ModelSetting(context_tokens=8192))
    settings.set_model_setting("kept", ModelSetting(takes_images=True))
    opened = settings.load()  # e.g. the window's copy, or what the preferences dialog opened with
    assert opened.models == (
        ("kept", ModelSetting(takes_images=True)),
        ("old", ModelSetting(context_tokens=8192)),
    )
    settings.set_model_setting("llava", ModelSetting(takes_images=False))  # a server refused images
    settings.proxy_url()  # reads the settings again (a newer value of `models` was handed out)

    settings.save(replace(opened, theme=Theme.DARK))  # models untouched: the refusal stays
    assert Settings(ini).model_settings()["llava"] == ModelSetting(takes_images=False)

    edited = replace(
        opened,
        models=(("kept", ModelSetting(takes_images=True)), ("new", ModelSetting(context_tokens=32_000))),
    )
    settings.save(edited)  # "old" removed and "new" added by the user; "llava" was not theirs

    assert Settings(ini).load().models == (
        ("kept", ModelSetting(takes_images=True)),
        ("llava", ModelSetting(takes_images=False)),
        ("new", ModelSetting(context_tokens=32_000)),
    )


def test_an_invalid_model_setting_is_refused_before_anything_is_written(ini: Path) -> None:
    settings = Settings(ini)
    with pytest.raises(ConfigurationError, match="context window"):
        settings.save(Preferences(theme=Theme.DARK, models=(("m", ModelSetting(context_tokens=0)),)))
    with pytest.raises(ConfigurationError, match="not a model id"):
        settings.save(Preferences(theme=Theme.DARK, models=(("a\nb", ModelSetting(takes_images=True)),)))
    assert not ini.exists()


def test_attachment_limits_out_of_range_fall_back_to_their_defaults(ini: Path) -> None:
    ini.write_text("[attachments]\nmax_file_mb=0\nimage_max_side=abc\n", encoding="utf-8")

    loaded = Settings(ini).load()

    assert (loaded.attachment_max_mb, loaded.image_max_side) == (50, 2048)
