"""Export to Markdown, JSON and HTML, and JSON back into a history file."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from desktop_app.core.errors import HistoryError
from desktop_app.core.history_types import ConversationRow, ConversationSettings, MessageRow, TokenUsage
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage.export import (
    FORMAT,
    FORMAT_VERSION,
    PLAIN_FORMAT_VERSION,
    import_json,
    to_html,
    to_json,
    to_markdown,
)
from desktop_app.storage.history import SqliteHistory

HOSTILE = '<script>alert("x")</script><img src=https://tracker.example/p.png onerror=alert(1)>'


@pytest.fixture
def history(tmp_path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def conversation(history: SqliteHistory) -> int:
    """A conversation with every kind of message a user can end up with."""
    cid = history.new_conversation(f"Чат {HOSTILE}", system_prompt=f"Be terse. {HOSTILE}")
    history.update_conversation_settings(
        cid, ConversationSettings(f"Be terse. {HOSTILE}", "Ollama", f"qwen3 {HOSTILE}", 0.25, 4096)
    )
    history.append_message(cid, Role.SYSTEM, "Answer in Russian.")
    history.append_message(cid, Role.USER, f"Что такое {HOSTILE}?\n\nВторой абзац.")
    done = history.append_message(
        cid, Role.ASSISTANT, "", status=MessageStatus.STREAMING, provider="Ollama", model="qwen3"
    )
    history.update_message(
        done, f"Это **тег** `{HOSTILE}`.\n\n```html\n{HOSTILE}\n```", status=MessageStatus.COMPLETE
    )
    history.set_reasoning(done, f"The user asks about {HOSTILE}")
    history.set_usage(done, TokenUsage(prompt_tokens=31, completion_tokens=None))
    history.set_rendered_html(done, "<p>cached</p>", renderer_key="k")
    history.append_message(cid, Role.USER, "And then?")
    stopped = history.append_message(cid, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(stopped, "Half an", status=MessageStatus.STOPPED)
    failed = history.append_message(cid, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(failed, "", status=MessageStatus.ERROR, error=f"Ollama: HTTP 500 {HOSTILE}")
    return cid


def rows(history: SqliteHistory, cid: int) -> tuple[ConversationRow, list[MessageRow]]:
    conv = history.get_conversation(cid)
    assert conv is not None
    return conv, history.messages(cid)


def comparable(message: MessageRow) -> MessageRow:
    """What an export carries: everything but ids and the HTML cache."""
    return dataclasses.replace(message, id=0, conversation_id=0, rendered_html=None, rendered_key="")


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


# -- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_gives_equal_messages(
    history: SqliteHistory, conversation: int, tmp_path: Path
) -> None:
    conv, messages = rows(history, conversation)
    exported = to_json(conv, messages)

    with SqliteHistory(tmp_path / "elsewhere.sqlite3") as other:
        new_id = import_json(other, exported.encode("utf-8"))
        imported_conv, imported = rows(other, new_id)
        assert [comparable(m) for m in imported] == [comparable(m) for m in messages]
        assert (imported_conv.title, imported_conv.settings) == (conv.title, conv.settings)
        assert (imported_conv.created_at, imported_conv.updated_at) == (conv.created_at, conv.updated_at)
        assert other.search("абзац")[0].conversation_id == new_id  # imported text is searchable

    again = import_json(history, exported)  # into the same file: a second, separate copy
    assert again != conversation
    assert [comparable(m) for m in history.messages(again)] == [comparable(m) for m in messages]


def test_json_is_the_documented_format_and_nothing_else(history: SqliteHistory, conversation: int) -> None:
    document = json.loads(to_json(*rows(history, conversation)))
    assert (document["format"], document["version"]) == (FORMAT, PLAIN_FORMAT_VERSION)  # no attachments
    assert set(document) == {"format", "version", "exported_at", "conversation", "messages"}
    assert set(document["conversation"]) == {"title", "created_at", "updated_at", "settings"}
    assert set(document["conversation"]["settings"]) == {
        "system_prompt",
        "provider",
        "model",
        "temperature",
        "max_tokens",
    }
    message_keys = {
        "role",
        "content",
        "status",
        "error",
        "provider",
        "model",
        "created_at",
        "updated_at",
        "reasoning",
        "usage",
    }
    assert all(set(m) == message_keys for m in document["messages"])
    answer = document["messages"][2]
    assert answer["usage"] == {"prompt_tokens": 31, "completion_tokens": None}
    assert answer["created_at"].endswith("+00:00")
    assert "cached" not in json.dumps(document)  # the HTML cache stays home


def test_import_needs_only_the_required_fields(history: SqliteHistory) -> None:
    minimal = {
        "format": FORMAT,
        "version": 1,
        "conversation": {"title": "minimal", "future_field": True},
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "cut", "status": "streaming", "usage": None},
        ],
    }
    cid = import_json(history, json.dumps(minimal))
    user, assistant = history.messages(cid)
    assert (user.role, user.content, user.status) == (Role.USER, "hi", MessageStatus.COMPLETE)
    assert assistant.status is MessageStatus.INTERRUPTED  # nothing is streaming into an import


def bad(**changes: object) -> str:
    document: dict[str, object] = {
        "format": FORMAT,
        "version": 1,
        "conversation": {"title": "t"},
        "messages": [{"role": "user", "content": "hi"}],
    }
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        (b"\x80 not utf-8", "not JSON"),
        ("[1, 2]", "not a Parley conversation export"),
        (bad(format="something.else"), "not a Parley conversation export"),
        (bad(version=FORMAT_VERSION + 1), f"format version {FORMAT_VERSION + 1} is not supported"),
        (bad(version="1"), "file.version has the wrong type"),
        (bad(version=True), "file.version has the wrong type"),
        (bad(conversation={}), "conversation.title is missing"),
        (bad(messages={"role": "user"}), "file.messages has the wrong type"),
        (bad(messages=["hi"]), r"messages\[0\] is not an object"),
        (bad(messages=[{"role": "robot", "content": "x"}]), r"messages\[0\].role 'robot' is unknown"),
        (bad(messages=[{"role": "user"}]), r"messages\[0\].content is missing"),
        (bad(messages=[{"role": "user", "content": 5}]), r"messages\[0\].content has the wrong type"),
        (bad(messages=[{"role": "user", "content": "x", "status": "??"}]), "status '\\?\\?' is unknown"),
        (bad(messages=[{"role": "user", "content": "x", "created_at": "yesterday"}]), "not a date"),
        (bad(messages=[{"role": "user", "content": "x", "usage": {"prompt_tokens": True}}]), "wrong type"),
        (bad(conversation={"title": "t", "settings": {"temperature": "hot"}}), "temperature has the wrong"),
    ],
)
def test_a_bad_import_is_one_line_and_writes_nothing(
    history: SqliteHistory, text: str | bytes, problem: str
) -> None:
    with pytest.raises(HistoryError, match=problem) as caught:
        import_json(history, text)
    message = str(caught.value)
    assert message.startswith("Could not import conversation: ")
    assert "\n" not in message
    assert history.list_conversations() == []


# -- Markdown -----------------------------------------------------------------------------------


def test_markdown_has_the_whole_conversation(history: SqliteHistory, conversation: int) -> None:
    text = to_markdown(*rows(history, conversation))
    assert text.startswith(f"# Чат {HOSTILE}\n")
    assert "- Model: Ollama / qwen3" in text
    assert f"> Be terse. {HOSTILE}" in text
    assert "\nЧто такое" in text
    assert "Второй абзац." in text
    assert f"```html\n{HOSTILE}\n```" in text  # content is markdown already: kept verbatim
    assert f"> The user asks about {HOSTILE}" in text
    assert "### Assistant · " in text
    assert " · stopped\n" in text
    assert "error: Ollama: HTTP 500" in text
    assert text.index("Answer in Russian.") < text.index("Что такое") < text.index("Half an")


# -- HTML ---------------------------------------------------------------------------------------


def test_html_escapes_everything_by_default(history: SqliteHistory, conversation: int) -> None:
    page = to_html(*rows(history, conversation))
    parser = TagCollector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert "onerror" not in parser.attributes
    assert html.escape(HOSTILE) in page
    assert page.count("<pre>") >= 5  # system prompt, messages and reasoning as escaped text
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert "<title>Чат &lt;script&gt;" in page
    assert "Второй абзац." in page


def test_html_uses_the_given_renderer_for_message_text_only(
    history: SqliteHistory, conversation: int
) -> None:
    rendered: list[str] = []

    def render(markdown: str) -> str:
        rendered.append(markdown)
        return f"<div class='md'>{html.escape(markdown)}</div>"

    conv, messages = rows(history, conversation)
    page = to_html(conv, messages, render)
    texts = [m.content for m in messages]
    assert [r for r in rendered if r in texts] == texts
    assert f"The user asks about {HOSTILE}" in rendered  # reasoning is markdown too
    assert f"Be terse. {HOSTILE}" not in rendered  # the system prompt is plain text
    parser = TagCollector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert page.count("<div class='md'>") == len(rendered)
