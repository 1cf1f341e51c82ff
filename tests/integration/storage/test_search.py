"""Full-text search over finished messages: quoting of user terms, Russian text, indexing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.history_types import SNIPPET_MARK_END, SNIPPET_MARK_START
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage import history as history_module
from desktop_app.storage.history import SqliteHistory, fts_query


@pytest.fixture
def history(tmp_path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hello", '"hello"'),
        ('say "hi"', '"say" """hi"""'),
        ("-foo", '"-foo"'),
        ("cats AND dogs", '"cats" "AND" "dogs"'),
        ("a*", '"a" *'),
        ("(", None),
        ('"', None),
        ("*", None),
        ("   ", None),
        ("NEAR(a b)", '"NEAR(a" "b)"'),
        ("col:umn", '"col:umn"'),
    ],
)
def test_search_terms_are_quoted(query: str, expected: str | None) -> None:
    assert fts_query(query) == expected


def test_hostile_search_terms_never_raise(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    history.append_message(conversation, Role.USER, 'apples and oranges; foo-bar (baz) "quoted" col:umn')
    for query in ['"', "-foo", "AND", "a*", "(", ")", "NEAR(", "^", ":", "OR NOT", "''", '"unbalanced', "*"]:
        history.search(query)  # must not raise
    assert [h.message_id for h in history.search("-foo")] != []
    assert len(history.search("AND")) == 1
    assert len(history.search("a*")) == 1  # prefix: apples, and
    assert len(history.search('"quoted"')) == 1
    assert len(history.search("(baz)")) == 1
    assert history.search("(") == []
    assert history.search("oranges pears") == []  # every word must match


def test_search_finds_russian_text_in_any_case(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    history.append_message(conversation, Role.USER, "Привет! Расскажи про Ёлку и кошек.")
    for query in ["привет", "ПРИВЕТ", "расск*", "ёлку", "кошек"]:
        hits = history.search(query)
        assert [h.conversation_id for h in hits] == [conversation], query
    hit = history.search("привет")[0]
    assert f"{SNIPPET_MARK_START}Привет{SNIPPET_MARK_END}" in hit.snippet
    assert hit.role is Role.USER


def test_search_finds_an_answer_only_once_it_is_finished(history: SqliteHistory) -> None:
    conversation = history.new_conversation("Zoo")
    answer = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(answer, "the quokka is")
    history.update_message(answer, "the quokka is a marsupial")
    assert history.search("quokka") == []

    history.update_message(answer, "the quokka is a marsupial", status=MessageStatus.COMPLETE)
    hits = history.search("quokka")
    assert [(h.conversation_id, h.message_id, h.conversation_title) for h in hits] == [
        (conversation, answer, "Zoo")
    ]
    history.update_message(answer, "edited: a wallaby")  # edits re-index
    assert history.search("quokka") == []
    assert len(history.search("wallaby")) == 1

    stopped = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(stopped, "stopped mid numbat", status=MessageStatus.STOPPED)
    failed = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(failed, "", status=MessageStatus.ERROR, error="HTTP 500")
    assert [h.message_id for h in history.search("numbat")] == [stopped]
    assert history.search("500") == []  # the error line is not message text


def test_the_index_matches_the_messages_after_many_changes(history: SqliteHistory) -> None:
    conversation = history.new_conversation()
    ids = [history.append_message(conversation, Role.USER, f"word{i} common") for i in range(20)]
    for i in ids[::3]:
        history.update_message(i, f"changed{i} common")
    history.delete_messages(ids[1::4])
    history.delete_messages_after(ids[15])
    other = history.new_conversation()
    history.append_message(other, Role.USER, "common in another")
    history.delete_conversation(other)
    conn = history._conn
    assert conn is not None
    # Every remaining row is finished with text, so the external-content index must equal the
    # table exactly; FTS5's integrity check compares the two.
    conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    remaining = len(history.messages(conversation))
    assert len(history.search("common", limit=100)) == remaining
    assert len(history.search("common", limit=3)) == 3


# -- the candidate cap (append to tests/integration/storage/test_search.py;
#    imports: pytest, Role, SqliteHistory, `from desktop_app.storage import history as history_module`) --


def test_a_very_common_word_is_ranked_among_its_newest_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "SEARCH_CANDIDATES", 10)
    with SqliteHistory(tmp_path / "h.sqlite3") as history:
        conversation = history.new_conversation("c")
        ids = []
        for i in range(30):
            # Older messages say "server" more often: bm25 alone would prefer them.
            text = "server " * (30 - i) + f"message {i}"
            ids.append(history.append_message(conversation, Role.USER, text))
        hits = history.search("server", limit=5)
        assert len(hits) == 5
        assert {hit.message_id for hit in hits} <= set(ids[-10:])
        assert len(history.search("server", limit=50)) == 30  # a limit above the cap: all 30
        assert len(history.search("message", limit=50)) == 30
