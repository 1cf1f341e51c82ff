"""Attachments in a real history file: stored once by content, linked in order, removed with the
last message that carries them, searchable, and read back as the same parts."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import Cut, DocumentPart, ImagePart
from desktop_app.core.errors import HistoryError
from desktop_app.core.history_types import AttachmentKind, AttachmentRef
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.storage.history import SqliteHistory


def png(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> ImagePart:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return ImagePart("shot.png", "image/png", buffer.getvalue(), *size)


RED = png((255, 0, 0))
BLUE = png((0, 0, 255), (30, 20))
REPORT = DocumentPart(
    "report.pdf",
    "application/pdf",
    "Quarterly figures: the zanzibar warehouse doubled its throughput.",
    pages=12,
    cut=Cut(66, 90_000),
    notes=("4 of 12 pages have no text — scanned?",),
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def history(path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(path)
    yield store
    store.close()


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_parts_round_trip_in_order_with_refs_and_thumbnails(history: SqliteHistory) -> None:
    cid = history.new_conversation()
    history.append_message(cid, Role.USER, "no attachments")
    key_red, key_doc = attachment_key(RED), attachment_key(REPORT)
    mid = history.append_message(
        cid,
        Role.USER,
        "look at these",
        parts=(RED, REPORT),
        thumbnails={key_red: b"thumb-bytes"},
        tokens={key_red: 85, key_doc: 17},
    )
    history.append_message(cid, Role.ASSISTANT, "I see red.")

    assert history.attachment_parts(mid) == (RED, REPORT)
    rows = history.messages(cid)
    assert [len(m.attachments) for m in rows] == [0, 2, 0]
    image_ref, doc_ref = rows[1].attachments
    assert image_ref == AttachmentRef(
        key=key_red, kind=AttachmentKind.IMAGE, name="shot.png", mime="image/png", size=len(RED.data),
        width=64, height=48, tokens=85,
    )  # fmt: skip
    assert image_ref.is_image
    assert doc_ref == AttachmentRef(
        key=key_doc, kind=AttachmentKind.DOCUMENT, name="report.pdf", mime="application/pdf",
        size=len(REPORT.text), pages=12, tokens=17, notes=REPORT.notes, cut=Cut(66, 90_000),
    )  # fmt: skip
    single = history.message(mid)
    assert single is not None
    assert single.attachments == rows[1].attachments

    assert history.thumbnail(key_red) == b"thumb-bytes"
    assert history.thumbnail(key_doc) is None
    assert history.attachment_part(key_red) == RED
    assert history.attachment_part(key_doc) == REPORT
    assert history.attachment_part("0" * 64) is None
    assert history.attachment_parts(rows[0].id) == ()


def test_one_content_is_stored_once_and_goes_with_the_last_message_using_it(
    history: SqliteHistory, path: Path
) -> None:
    cid = history.new_conversation()
    renamed = ImagePart("копия.png", RED.mime, RED.data, RED.width, RED.height)
    first = history.append_message(cid, Role.USER, "one", parts=(RED,))
    second = history.append_message(cid, Role.USER, "two", parts=(renamed, BLUE))
    assert count(path, "attachments") == 2  # RED once, BLUE
    assert history.attachment_parts(second) == (renamed, BLUE)  # the name as attached
    assert history.attachment_parts(first) == (RED,)

    history.delete_messages([first])
    assert count(path, "attachments") == 2
    assert history.attachment_parts(second) == (renamed, BLUE)

    history.delete_messages([second])
    assert count(path, "attachments") == 0
    assert count(path, "message_attachments") == 0
    assert history.attachment_part(attachment_key(RED)) is None


def test_delete_after_and_delete_conversation_free_attachments(history: SqliteHistory, path: Path) -> None:
    keep = history.new_conversation()
    history.append_message(keep, Role.USER, "kept", parts=(BLUE,))
    cid = history.new_conversation()
    anchor = history.append_message(cid, Role.USER, "anchor", parts=(RED,))
    history.append_message(cid, Role.USER, "after", parts=(REPORT, BLUE))
    assert count(path, "attachments") == 3

    assert history.delete_messages_after(anchor) == 1
    assert count(path, "attachments") == 2  # REPORT gone; BLUE still used by `keep`
    assert history.search("zanzibar") == []

    history.delete_conversation(cid)
    assert count(path, "attachments") == 1
    assert history.attachment_part(attachment_key(BLUE)) == BLUE

    history.delete_all()
    assert count(path, "attachments") == 0


def test_a_documents_text_is_found_by_search(history: SqliteHistory) -> None:
    cid = history.new_conversation("Figures")
    mid = history.append_message(cid, Role.USER, "Summarise the attached file", parts=(REPORT,))
    other = history.new_conversation("Zanzibar trip")
    text_hit = history.append_message(other, Role.USER, "Flights to zanzibar?")

    hits = history.search("zanzibar warehouse")
    assert [(h.conversation_id, h.message_id, h.attachment_name) for h in hits] == [(cid, mid, "report.pdf")]
    assert "\x02zanzibar\x03" in hits[0].snippet

    both = {h.message_id: h for h in history.search("zanzibar")}
    assert set(both) == {mid, text_hit}
    assert both[text_hit].attachment_name is None
    assert both[mid].attachment_name == "report.pdf"


def test_a_message_found_in_its_text_and_its_document_is_listed_once(history: SqliteHistory) -> None:
    cid = history.new_conversation()
    mid = history.append_message(cid, Role.USER, "about the zanzibar warehouse", parts=(REPORT,))
    assert [h.message_id for h in history.search("zanzibar")] == [mid]


def test_thumbnails_can_be_set_later_and_fill_in_when_missing(history: SqliteHistory) -> None:
    cid = history.new_conversation()
    key = attachment_key(RED)
    history.append_message(cid, Role.USER, "a", parts=(RED,))
    assert history.thumbnail(key) is None
    history.append_message(cid, Role.USER, "b", parts=(RED,), thumbnails={key: b"later"})
    assert history.thumbnail(key) == b"later"
    assert history.set_thumbnail(key, b"newer")
    assert history.thumbnail(key) == b"newer"
    assert not history.set_thumbnail(attachment_key(REPORT), b"x")  # a document; not stored


def test_a_failed_save_stores_no_attachment(history: SqliteHistory, path: Path) -> None:
    with pytest.raises(HistoryError, match="no longer exists"):
        history.append_message(12345, Role.USER, "ghost", parts=(RED,))
    assert count(path, "attachments") == 0


def test_messages_without_attachments_are_unchanged(history: SqliteHistory) -> None:
    cid = history.new_conversation()
    answer = history.append_message(cid, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    history.update_message(answer, "done", status=MessageStatus.COMPLETE)
    (row,) = history.messages(cid)
    assert row.attachments == ()
