"""SqliteHistory against real SQLite files under tmp_path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.errors import HistoryError
from desktop_app.core.history_types import (
    ConversationSettings,
    TokenUsage,
)
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.ports import HistoryStore
from desktop_app.storage.history import SqliteHistory, title_from


class StepClock:
    """A clock that moves one second per reading, so activity order never ties."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def history(path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(path, clock=StepClock())
    yield store
    store.close()


def raw(path: Path) -> sqlite3.Connection:
    """A second, independent connection to look at the file itself."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_satisfies_the_history_port(history: SqliteHistory) -> None:
    store: HistoryStore = history  # mypy checks the shape; this checks it at run time too
    assert store.interrupted_on_open == 0


# -- conversations ------------------------------------------------------------------------------


def test_conversation_crud(history: SqliteHistory) -> None:
    first = history.new_conversation("First", system_prompt="Be brief.")
    row = history.get_conversation(first)
    assert row is not None
    assert (row.title, row.settings) == ("First", ConversationSettings(system_prompt="Be brief."))
    assert row.settings.provider is None
    assert row.settings.temperature is None

    history.rename_conversation(first, "Renamed")
    settings = ConversationSettings("Answer in Russian.", "Ollama", "llama3", 0.3, 2048)
    history.update_conversation_settings(first, settings)
    row = history.get_conversation(first)
    assert row is not None
    assert (row.title, row.settings) == ("Renamed", settings)
    history.update_conversation_settings(first, ConversationSettings())
    row = history.get_conversation(first)
    assert row is not None
    assert row.settings == ConversationSettings()

    history.delete_conversation(first)
    history.delete_conversation(first)  # already gone: nothing to do
    assert history.get_conversation(first) is None
    with pytest.raises(HistoryError, match=r"conversation \d+ no longer exists"):
        history.rename_conversation(first, "ghost")
    with pytest.raises(HistoryError, match=r"conversation \d+ no longer exists"):
        history.append_message(first, Role.USER, "hello?")


def test_conversations_are_listed_by_last_activity(history: SqliteHistory) -> None:
    a = history.new_conversation("a")
    b = history.new_conversation("b")
    c = history.new_conversation("c")
    assert [r.id for r in history.list_conversations()] == [c, b, a]

    history.append_message(a, Role.USER, "back to a")
    assert [r.id for r in history.list_conversations()] == [a, c, b]

    answer = history.append_message(b, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    assert [r.id for r in history.list_conversations()] == [b, a, c]
    history.append_message(c, Role.USER, "c speaks")
    history.update_message(answer, "partial")  # partial saves are not activity
    assert [r.id for r in history.list_conversations()] == [c, b, a]
    history.update_message(answer, "done", status=MessageStatus.COMPLETE)  # finishing is
    listed = history.list_conversations()
    assert [r.id for r in listed] == [b, c, a]
    assert listed[0].updated_at > listed[1].updated_at > listed[2].updated_at
    assert [r.id for r in history.list_conversations(limit=2)] == [b, c]

    history.rename_conversation(a, "renaming is not activity")
    assert [r.id for r in history.list_conversations()] == [b, c, a]


def test_the_first_user_message_names_an_untitled_conversation(history: SqliteHistory) -> None:
    untitled = history.new_conversation()
    history.append_message(untitled, Role.SYSTEM, "You are helpful.")
    history.append_message(untitled, Role.ASSISTANT, "Hi! How can I help?")
    assert history.get_conversation(untitled).title == ""  # type: ignore[union-attr]
    history.append_message(untitled, Role.USER, "\n\n  How do I   reverse a list\nin Python?")
    history.append_message(untitled, Role.USER, "a later message changes nothing")
    assert history.get_conversation(untitled).title == "How do I reverse a list"  # type: ignore[union-attr]

    titled = history.new_conversation("My title")
    history.append_message(titled, Role.USER, "Something else")
    assert history.get_conversation(titled).title == "My title"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Short question", "Short question"),
        ("```python\nprint(1)\n```\nWhy does this print 1?", "print(1)"),
        ("# Heading words\nbody", "Heading words"),
        ("Расскажи, пожалуйста, подробно о том, как устроена память в Python и CPython", None),
        ("x" * 100, None),
        ("   \n  ", ""),
    ],
)
def test_titles_are_one_short_line(text: str, title: str | None) -> None:
    made = title_from(text)
    assert "\n" not in made
    assert len(made) <= 60
    if title is not None:
        assert made == title
    else:
        assert made.endswith("…")
        assert text.startswith(made[:-1])


# -- messages -----------------------------------------------------------------------------------


def test_messages_keep_their_order_and_fields(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    other = history.new_conversation()
    ids = [
        history.append_message(conversation, Role.SYSTEM, "rules"),
        history.append_message(conversation, Role.USER, "question"),
        history.append_message(other, Role.USER, "elsewhere"),
        history.append_message(
            conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING, provider="Ollama", model="qwen3"
        ),
    ]
    answer = ids[3]
    history.update_message(answer, "The answer is")
    history.update_message(answer, "The answer is 42.", status=MessageStatus.ERROR, error="HTTP 500")
    history.set_reasoning(answer, "Let me think…")
    history.set_usage(answer, TokenUsage(prompt_tokens=12, completion_tokens=5))

    rows = history.messages(conversation)
    assert [r.id for r in rows] == [ids[0], ids[1], answer]
    assert [r.role for r in rows] == [Role.SYSTEM, Role.USER, Role.ASSISTANT]
    last = rows[-1]
    assert (last.content, last.status, last.error) == ("The answer is 42.", MessageStatus.ERROR, "HTTP 500")
    assert (last.provider, last.model, last.reasoning) == ("Ollama", "qwen3", "Let me think…")
    assert last.usage == TokenUsage(12, 5)
    assert last.updated_at > last.created_at
    assert rows[0].provider == ""
    assert rows[0].usage is None
    assert rows[0].error is None

    history.update_message(answer, "The answer is 42.", status=MessageStatus.COMPLETE)
    last = history.message(answer)
    assert last is not None
    assert last.error == "HTTP 500"
    with pytest.raises(HistoryError, match="message 999 no longer exists"):
        history.update_message(999, "lost")
    assert history.message(999) is None


def test_rendered_html_is_a_cache_dropped_when_the_text_changes(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    message = history.append_message(conversation, Role.ASSISTANT, "**bold**")
    history.set_rendered_html(message, "<p><b>bold</b></p>", renderer_key="light-v1")
    row = history.message(message)
    assert row is not None
    assert (row.rendered_html, row.rendered_key) == ("<p><b>bold</b></p>", "light-v1")

    history.update_message(message, "**bold**", status=MessageStatus.COMPLETE)  # same text
    assert history.message(message).rendered_html == "<p><b>bold</b></p>"  # type: ignore[union-attr]
    history.update_message(message, "*italic*")
    assert history.message(message).rendered_html is None  # type: ignore[union-attr]


def test_delete_messages_after_drops_only_the_tail_of_that_conversation(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    other = history.new_conversation()
    first = history.append_message(conversation, Role.USER, "one")
    history.append_message(conversation, Role.ASSISTANT, "two")
    later_elsewhere = history.append_message(other, Role.USER, "other conversation")
    history.append_message(conversation, Role.USER, "three")

    assert history.delete_messages_after(first) == 2
    assert [m.content for m in history.messages(conversation)] == ["one"]
    assert [m.id for m in history.messages(other)] == [later_elsewhere]
    assert history.search("two") == []
    assert history.delete_messages_after(first) == 0


def test_delete_messages_by_id(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    keep = history.append_message(conversation, Role.USER, "keep")
    drop = [history.append_message(conversation, Role.ASSISTANT, f"drop {i}") for i in range(3)]
    history.delete_messages([*drop, 12345])
    assert [m.id for m in history.messages(conversation)] == [keep]


def test_deleting_a_conversation_takes_its_messages_and_search_entries(
    history: SqliteHistory, path: Path
) -> None:
    gone = history.new_conversation()
    history.append_message(gone, Role.USER, "platypus facts")
    kept = history.new_conversation()
    history.append_message(kept, Role.USER, "platypus again")
    history.delete_conversation(gone)
    assert history.messages(gone) == []
    assert [h.conversation_id for h in history.search("platypus")] == [kept]
    conn = raw(path)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    finally:
        conn.close()


def test_delete_all_erases_the_text_from_the_files(history: SqliteHistory, path: Path) -> None:
    secret_words = "unforgettable-marmalade-7319"
    for _ in range(3):
        conversation = history.new_conversation(f"about {secret_words}")
        history.append_message(conversation, Role.USER, f"remember {secret_words} " * 50)
    history.delete_all()
    assert history.list_conversations() == []
    assert history.search("marmalade") == []
    on_disk = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    assert secret_words.encode() not in on_disk
    conversation = history.new_conversation()  # still usable afterwards
    assert history.messages(conversation) == []


def test_a_crash_cut_answer_becomes_interrupted_on_open(path: Path) -> None:
    with SqliteHistory(path) as history:
        conversation = history.new_conversation()
        history.append_message(conversation, Role.USER, "question")
        cut = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
        history.update_message(cut, "half an aardvark answer")
        empty = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
        # close() here stands in for the crash: the rows stay 'streaming' either way.
    with SqliteHistory(path) as history:
        assert history.interrupted_on_open == 2
        rows = {m.id: m for m in history.messages(conversation)}
        assert rows[cut].status is MessageStatus.INTERRUPTED
        assert rows[cut].content == "half an aardvark answer"
        assert rows[empty].status is MessageStatus.INTERRUPTED
        assert [h.message_id for h in history.search("aardvark")] == [cut]
    with SqliteHistory(path) as history:
        assert history.interrupted_on_open == 0


def test_message_ids_are_never_reused_after_a_delete(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / "history.db")
    try:
        conversation = history.new_conversation("ids")
        history.append_message(conversation, Role.USER, "question")
        answer = history.append_message(conversation, Role.ASSISTANT, "first answer")
        history.delete_messages([answer])
        replacement = history.append_message(conversation, Role.ASSISTANT, "second answer")
        assert replacement > answer
    finally:
        history.close()
