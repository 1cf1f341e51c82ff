"""The house rules (tests/support/house_rules.py) hold for desktop_app/, and each rule reports a
violation planted in a small package written to tmp_path, by file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.house_rules import (
    KIND_EXEMPTIONS,
    Exemption,
    Source,
    Violation,
    check_all,
    no_kind_literals,
    read_sources,
    ui_builds_no_controller,
    ui_no_history,
)


def test_the_package_keeps_the_house_rules() -> None:
    sources = read_sources()
    assert len(sources) > 50, "the rules must see the package"
    assert any(s.is_in("desktop_app.ui") for s in sources)
    assert any(s.is_in("desktop_app.core") for s in sources)
    violations = check_all(sources)
    assert not violations, "\n" + "\n".join(map(str, violations))


def test_every_exemption_gives_its_reason() -> None:
    for exemption in KIND_EXEMPTIONS:
        assert len(exemption.reason) > 20, exemption


def package(tmp_path: Path, files: dict[str, str]) -> list[Source]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return read_sources(tmp_path)


def places(violations: list[Violation]) -> list[tuple[str, int]]:
    return sorted((v.path, v.line) for v in violations)


def test_a_controller_built_in_ui_is_reported(tmp_path: Path) -> None:
    sources = package(
        tmp_path,
        {
            "desktop_app/ui/pane.py": """
                from desktop_app.chat import controller
                from desktop_app.chat.controller import ChatController
                from desktop_app.chat.controller import ChatController as Ctl

                def make(history, provider) -> ChatController:  # naming the class is fine
                    first = ChatController(history, provider)
                    second = Ctl(history, provider)
                    return controller.ChatController(history, provider)
            """,
            "desktop_app/chat/workspace.py": """
                from desktop_app.chat.controller import ChatController

                def make(history, provider) -> ChatController:
                    return ChatController(history, provider)
            """,
        },
    )
    found = list(ui_builds_no_controller(sources))
    assert places(found) == [("desktop_app/ui/pane.py", line) for line in (6, 7, 8)]
    assert str(found[0]).startswith("desktop_app/ui/pane.py:6: [ui-builds-no-controller] ChatController(...)")


def test_kind_literals_outside_core_are_reported_and_other_strings_are_not(tmp_path: Path) -> None:
    sources = package(
        tmp_path,
        {
            "desktop_app/ui/form.py": '''
                """A form for openai and ollama servers."""
                import logging

                URL = "https://api.openai.com/v1"
                LABEL = "OpenAI"
                log = logging.getLogger(__name__)

                def check(profile) -> object:
                    log.info("openai server at %s", profile.base_url)
                    "ollama"
                    if profile.kind == "openai":
                        return {"ollama": 11434}
                    match profile.kind:
                        case "yqcloud":
                            return None
                    return lookup(kind="ollama")
            ''',
            "desktop_app/core/kinds.py": """
                OPENAI = "openai"
            """,
        },
    )
    found = list(no_kind_literals(sources, exemptions=()))
    assert places(found) == [("desktop_app/ui/form.py", line) for line in (11, 12, 14, 16)]
    messages = {v.line: v.message for v in found}
    assert messages[11].startswith(
        "'openai' (in an expression) spells a provider kind: use ProviderKind.OPENAI"
    )
    assert messages[16].startswith("'ollama' (in lookup(kind=)) spells a provider kind")


def test_an_exemption_allows_one_place_only_and_a_stale_one_is_reported(tmp_path: Path) -> None:
    sources = package(
        tmp_path,
        {
            "desktop_app/providers/registry.py": """
                PRESETS = (Preset("openai", "OpenAI", ProviderKind.OPENAI),)
                FAVOURITE = preset("openai")
            """,
            "desktop_app/compose.py": """
                DEFAULT_PROVIDER = "custom"
            """,
        },
    )
    exemptions = (
        Exemption("desktop_app/providers/registry.py", "Preset() argument 0", "preset ids"),
        Exemption("desktop_app/compose.py", "DEFAULT_PROVIDER =", "the default preset id"),
        Exemption("desktop_app/not_checked.py", "X =", "a file outside this check"),
    )
    found = list(no_kind_literals(sources, exemptions))
    assert [str(v) for v in found] == [
        "desktop_app/providers/registry.py:2: [kind-literal] 'openai' (in preset() argument 0) spells a "
        "provider kind: use ProviderKind.OPENAI and its facts (core/provider_kinds.py), or, if it is "
        "something else spelt the same, add an Exemption with the reason",
        "desktop_app/compose.py:1: [kind-literal] exemption for 'DEFAULT_PROVIDER =' matches nothing now",
    ]


def test_ui_reaching_the_history_store_is_reported(tmp_path: Path) -> None:
    text = """
        from desktop_app.storage.history import SqliteHistory
        import desktop_app.storage.settings
        from ..storage import settings
        from desktop_app.core.ports import HistoryStore
        from desktop_app.chat.workspace import ChatWorkspace

        class Panel:
            def __init__(self, history: HistoryStore, workspace: ChatWorkspace) -> None:
                self._history = history
                self._workspace = workspace

            def refresh(self) -> None:
                self._history.list_conversations()
                self.backend.history.search("word")
                self._workspace.conversations()
    """
    sources = package(tmp_path, {"desktop_app/ui/panel.py": text, "desktop_app/chat/panel.py": text})
    found = list(ui_no_history(sources))
    assert places(found) == [("desktop_app/ui/panel.py", line) for line in (1, 2, 3, 4, 8, 13, 14)]
    assert {v.line: v.message.split(":")[0] for v in found} == {
        1: "imports from desktop_app.storage.history",
        2: "imports desktop_app.storage.settings",
        3: "imports from desktop_app.storage",
        4: "imports HistoryStore",
        8: "names HistoryStore",
        13: "calls ._history.list_conversations(...)",
        14: "calls .history.search(...)",
    }
