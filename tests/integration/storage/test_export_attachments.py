"""Exports with attachments: HTML embeds images as data: URLs under the same CSP, Markdown writes
them beside the file, JSON carries them and imports them back."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.attachments.images import make_thumbnail
from desktop_app.core.attachment_keys import attachment_key
from desktop_app.core.attachments import Cut, DocumentPart, ImagePart
from desktop_app.core.errors import HistoryError
from desktop_app.core.history_types import ConversationRow, MessageRow
from desktop_app.core.messages import Role
from desktop_app.storage.export import (
    FORMAT_VERSION,
    import_json,
    to_html,
    to_json,
    to_markdown,
    write_markdown,
)
from desktop_app.storage.history import SqliteHistory


def png(color: tuple[int, int, int], name: str) -> ImagePart:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, format="PNG")
    return ImagePart(name, "image/png", buffer.getvalue(), 40, 30)


SHOT = png((255, 0, 0), "screen <shot>.png")
OTHER = png((0, 0, 255), "../../evil.png")
DOC = DocumentPart(
    "notes <b>.txt",
    "text/plain",
    "Line with ``` fences and <script>alert(1)</script>",
    pages=3,
    cut=Cut(50, 900),
    notes=("1 of 3 pages has no text — scanned?",),
)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[SqliteHistory]:
    store = SqliteHistory(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def conversation(history: SqliteHistory) -> int:
    cid = history.new_conversation("With files")
    key = attachment_key(SHOT)
    history.append_message(cid, Role.USER, "Look", parts=(SHOT, DOC), tokens={key: 85})
    history.append_message(cid, Role.ASSISTANT, "Red.")
    history.append_message(cid, Role.USER, "Again, and another", parts=(SHOT, OTHER))
    return cid


def rows(history: SqliteHistory, cid: int) -> tuple[ConversationRow, list[MessageRow]]:
    conv = history.get_conversation(cid)
    assert conv is not None
    return conv, history.messages(cid)


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.sources.append(dict(attrs)["src"] or "")


def test_html_embeds_images_as_data_urls_and_keeps_the_policy(
    history: SqliteHistory, conversation: int
) -> None:
    page = to_html(*rows(history, conversation), attachment_part=history.attachment_part)
    parser = Images()
    parser.feed(page)
    assert len(parser.sources) == 3
    assert all(src.startswith("data:image/png;base64,") for src in parser.sources)
    assert base64.b64decode(parser.sources[0].split(",", 1)[1]) == SHOT.data
    assert "script" not in parser.tags
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:\"" in page
    assert "screen &lt;shot&gt;.png" in page
    assert "notes &lt;b&gt;.txt" in page  # the document: a named summary with its text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "3 pages" in page
    assert "scanned?" in page


def test_html_without_content_names_the_attachments(history: SqliteHistory, conversation: int) -> None:
    page = to_html(*rows(history, conversation))
    parser = Images()
    parser.feed(page)
    assert parser.sources == []
    assert "[image: screen &lt;shot&gt;.png]" in page


def test_markdown_writes_images_beside_the_file_once(
    history: SqliteHistory, conversation: int, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "My chat.md"
    target.parent.mkdir()
    write_markdown(target, *rows(history, conversation), attachment_part=history.attachment_part)
    text = target.read_text(encoding="utf-8")
    files = sorted(p.relative_to(target.parent).as_posix() for p in target.parent.rglob("*.png"))
    assert files == ["My chat_files/evil.png", "My chat_files/screen _shot_.png"]
    assert (target.parent / "My chat_files" / "screen _shot_.png").read_bytes() == SHOT.data
    assert text.count("![screen <shot>.png](<My chat_files/screen _shot_.png>)") == 2
    assert "![../../evil.png](<My chat_files/evil.png>)" in text
    assert "**📎 notes <b>.txt** · 3 pages" in text
    assert "````text\n" + DOC.text + "\n````" in text  # a fence longer than any in the text
    assert "<details><summary>Text</summary>" in text


def test_markdown_text_alone_names_images(history: SqliteHistory, conversation: int) -> None:
    text = to_markdown(*rows(history, conversation))
    assert "*[image: screen <shot>.png]*" in text


def test_json_carries_attachments_once_and_imports_them_back(
    history: SqliteHistory, conversation: int, tmp_path: Path
) -> None:
    conv, messages = rows(history, conversation)
    exported = to_json(conv, messages, attachment_part=history.attachment_part)
    document = json.loads(exported)
    assert document["version"] == FORMAT_VERSION
    assert set(document["attachments"]) == {attachment_key(p) for p in (SHOT, OTHER, DOC)}
    shot = document["attachments"][attachment_key(SHOT)]
    assert base64.b64decode(shot["data"]) == SHOT.data
    assert document["attachments"][attachment_key(DOC)]["text"] == DOC.text
    assert document["messages"][0]["attachments"][0]["tokens"] == 85

    with SqliteHistory(tmp_path / "elsewhere.sqlite3") as other:
        new_id = import_json(other, exported, make_thumbnail=make_thumbnail)
        imported = other.messages(new_id)
        assert [m.attachments for m in imported] == [m.attachments for m in messages]
        assert [other.attachment_parts(m.id) for m in imported] == [
            history.attachment_parts(m.id) for m in messages
        ]
        thumb = other.thumbnail(attachment_key(SHOT))
        assert thumb is not None
        assert Image.open(io.BytesIO(thumb)).format == "JPEG"
        assert other.search("fences")[0].message_id == imported[0].id

    again = import_json(history, exported)  # into the same file: stored content is shared
    assert [history.attachment_parts(m.id) for m in history.messages(again)] == [
        history.attachment_parts(m.id) for m in messages
    ]


def test_json_without_a_reader_refuses_rather_than_losing_attachments(
    history: SqliteHistory, conversation: int
) -> None:
    with pytest.raises(HistoryError, match="could not be read"):
        to_json(*rows(history, conversation))


def test_an_import_naming_a_missing_attachment_writes_nothing(
    history: SqliteHistory, conversation: int
) -> None:
    document = json.loads(to_json(*rows(history, conversation), attachment_part=history.attachment_part))
    del document["attachments"][attachment_key(DOC)]
    before = history.list_conversations()
    with pytest.raises(HistoryError, match=r"messages\[0\]\.attachments\[1\] names an attachment"):
        import_json(history, json.dumps(document))
    assert history.list_conversations() == before


def test_an_edited_key_is_computed_again_from_the_content(history: SqliteHistory, tmp_path: Path) -> None:
    cid = history.new_conversation()
    history.append_message(cid, Role.USER, "doc", parts=(DOC,))
    document = json.loads(to_json(*rows(history, cid), attachment_part=history.attachment_part))
    real = attachment_key(DOC)
    document["attachments"] = {"made-up": document["attachments"][real]}
    document["messages"][0]["attachments"][0]["key"] = "made-up"
    with SqliteHistory(tmp_path / "b.sqlite3") as other:
        new_id = import_json(other, json.dumps(document))
        (message,) = other.messages(new_id)
        assert [ref.key for ref in message.attachments] == [real]
        assert dataclasses.replace(message.attachments[0]) == history.messages(cid)[0].attachments[0]
