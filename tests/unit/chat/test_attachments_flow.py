"""Attachments through the application layer, without widgets: drafts prepared on the worker
thread (real files made here), the budget, a send with images and documents to a real local
OpenAI-compatible server, and a server that refuses images (the conversation goes on)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image
from pytestqt.qtbot import QtBot

from desktop_app.attachments import AttachmentLimits
from desktop_app.chat import drafts as drafts_module
from desktop_app.chat.budget import check_budget, cut_to_fit
from desktop_app.chat.drafts import Draft, DraftAttachments, DraftState
from desktop_app.chat.workspace import AnswerFinished, ChatWorkspace, MessageAdded
from desktop_app.compose import Services
from desktop_app.core.attachments import DocumentPart, ImagePart
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import ModelSetting
from desktop_app.gui_services import GuiServices, window_backend
from tests.support.desktop import ChatAPI
from tests.support.qt import WAIT_MS, run
from tests.unit.attachments.files import make_pdf


def make_png(path: Path, size: tuple[int, int] = (8, 6)) -> Path:
    Image.new("RGB", size, (20, 120, 220)).save(path, format="PNG")
    return path


@pytest.fixture
def workspace(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, services: Services, api: ChatAPI
) -> Iterator[ChatWorkspace]:
    """The workspace as the app builds it (`window_backend`), on a local server."""
    gui = GuiServices(services)
    made = window_backend(gui, None, None).workspace
    made.provider.reload(api.profile())
    made.model = lambda: "small-model"
    try:
        yield made
    finally:
        run(qtbot, qloop, made.aclose())
        made.deleteLater()


def ready(qtbot: QtBot, drafts: DraftAttachments) -> None:
    qtbot.waitUntil(lambda: not drafts.is_busy(), timeout=WAIT_MS)


# -- drafts ------------------------------------------------------------------------------------


def test_drafts_are_prepared_off_the_loop_and_a_failure_stays_until_removed(
    qtbot: QtBot, workspace: ChatWorkspace, tmp_path: Path
) -> None:
    picture = make_png(tmp_path / "blue.png", (4000, 1000))
    notes = tmp_path / "notes.md"
    notes.write_text("# Заметки\n\nfirst\n", encoding="utf-8")
    blob = tmp_path / "program.bin"
    blob.write_bytes(bytes(range(256)) * 16)
    drafts = workspace.new_drafts()
    changes: list[int] = []
    drafts.changed.connect(lambda: changes.append(len(drafts.drafts)))

    keys = drafts.add_files([picture, notes, blob])

    assert [d.state for d in drafts.drafts] == [DraftState.PREPARING] * 3  # chips at once
    ready(qtbot, drafts)
    states = {d.name: d for d in drafts.drafts}
    assert states["blue.png"].state is DraftState.READY
    assert states["notes.md"].state is DraftState.READY
    assert states["program.bin"].state is DraftState.FAILED
    assert states["program.bin"].error.startswith("program.bin")
    image, document = drafts.parts()
    assert isinstance(image, ImagePart)
    assert (image.width, image.height) == (2048, 512)  # downscaled to the default longest side
    assert isinstance(document, DocumentPart)
    assert document.text.startswith("# Заметки")
    assert states["blue.png"].tokens > 0
    assert states["notes.md"].size_label == "24 bytes"

    drafts.remove(keys[2])
    assert drafts.failed() == []
    assert drafts.parts() == (image, document)
    drafts.clear()
    assert drafts.drafts == []
    assert changes[-1] == 0


def test_pasted_image_bytes_are_prepared_like_a_file(
    qtbot: QtBot, workspace: ChatWorkspace, tmp_path: Path
) -> None:
    drafts = workspace.new_drafts()
    drafts.add_image_data(make_png(tmp_path / "clip.png").read_bytes())
    ready(qtbot, drafts)
    [draft] = drafts.drafts
    assert draft.name == "pasted-image-1.png"
    assert draft.state is DraftState.READY


def test_the_limits_come_from_the_settings(
    qtbot: QtBot, workspace: ChatWorkspace, services: Services, tmp_path: Path
) -> None:
    from desktop_app.storage.settings import Keys

    services.settings.set(Keys.ATTACHMENT_MAX_MB, 1)
    big = tmp_path / "big.txt"
    big.write_text("x" * 1_200_000, encoding="ascii")
    drafts = workspace.new_drafts()
    drafts.add_files([big])
    ready(qtbot, drafts)
    [draft] = drafts.drafts
    assert draft.state is DraftState.FAILED
    assert "limit" in draft.error
    assert services.attachment_limits() == AttachmentLimits(max_file_bytes=1_000_000, max_image_side=2048)


# -- the budget --------------------------------------------------------------------------------


def test_a_message_that_does_not_fit_is_cut_visibly_and_then_fits() -> None:
    long_text = "word " * 20_000  # ~20k tokens
    document = DocumentPart("report.txt", "text/plain", long_text)
    image = ImagePart("pic.png", "image/png", b"...", 512, 512)

    check = check_budget("Summarise", [document, image], context_tokens=8_000, reserve=1_000)
    assert not check.fits
    assert check.limit == 7_000

    cut = cut_to_fit("Summarise", [document, image], 7_000)
    assert check_budget("Summarise", cut, 8_000, 1_000).fits
    kept = cut[0]
    assert isinstance(kept, DocumentPart)
    assert kept.cut is not None
    assert kept.cut.total == len(long_text)
    assert "[cut at" in kept.as_text()
    assert cut[1] is image  # images are never cut
    assert check_budget("hi", [], None, 1_000).fits  # an unknown window takes anything


def test_the_users_context_setting_is_the_budget(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, services: Services
) -> None:
    services.settings.set_model_setting("small-model", ModelSetting(context_tokens=3_000))
    document = DocumentPart("a.txt", "text/plain", "token " * 5_000)

    check = run(qtbot, qloop, workspace.check_budget("read", [document]))

    assert check.limit == 3_000 - 1024
    assert not check.fits


# -- sending -----------------------------------------------------------------------------------


def test_a_message_with_an_image_and_a_document_is_sent_and_kept(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    workspace: ChatWorkspace,
    services: Services,
    api: ChatAPI,
    tmp_path: Path,
) -> None:
    drafts = workspace.new_drafts()
    notes = tmp_path / "notes.txt"
    notes.write_text("the notes", encoding="utf-8")
    drafts.add_files([make_png(tmp_path / "pic.png"), notes])
    ready(qtbot, drafts)
    added: list[MessageAdded] = []
    finished: list[AnswerFinished] = []
    workspace.message_added.connect(added.append)
    workspace.answer_finished.connect(finished.append)

    parts = drafts.parts()
    conversation = run(qtbot, qloop, workspace.send("What is this?", parts))
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)

    assert conversation is not None
    assert finished[0].status is MessageStatus.COMPLETE
    user = next(a for a in added if a.role is Role.USER)
    assert user.parts == parts
    [body] = api.chats()
    content = body["messages"][-1]["content"]
    assert [p["type"] for p in content] == ["text", "image_url", "text"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[2]["text"] == "[file: notes.txt]\nthe notes"
    assert services.history is not None
    rows = services.history.messages(conversation)
    assert [a.name for a in rows[0].attachments] == ["pic.png", "notes.txt"]
    history = services.history
    image_key = rows[0].attachments[0].key
    qtbot.waitUntil(lambda: history.thumbnail(image_key) is not None, timeout=WAIT_MS)  # made off the loop


def test_a_server_that_refuses_images_gets_their_names_and_the_model_is_remembered_text_only(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    workspace: ChatWorkspace,
    services: Services,
    api: ChatAPI,
    tmp_path: Path,
) -> None:
    answer = api.handle

    async def refuse_images(request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and b"image_url" in await request.read():
            message = "Invalid content type. image_url is only supported by certain models."
            return web.json_response({"error": {"message": message}}, status=400)
        return await answer(request)

    api.server.handle = refuse_images
    notices: list[str] = []
    text_only: list[str] = []
    finished: list[AnswerFinished] = []
    workspace.notice.connect(lambda _cid, line: notices.append(line))
    workspace.text_only_model.connect(text_only.append)
    workspace.answer_finished.connect(finished.append)
    drafts = workspace.new_drafts()
    drafts.add_files([make_png(tmp_path / "pic.png")])
    ready(qtbot, drafts)

    run(qtbot, qloop, workspace.send("Look", drafts.parts()))
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)

    assert finished[0].status is MessageStatus.COMPLETE
    assert finished[0].text == "Quick answer!"
    assert text_only == ["small-model"]
    assert any("small-model does not take images" in line for line in notices)
    first, second = api.chats()
    assert "image_url" in json.dumps(first)
    assert second["messages"][-1]["content"] == "Look\n\n[image: pic.png]"
    # Remembered: the next request with an image goes as text at once, and after a restart too.
    assert dict(services.vision_overrides) == {"small-model": False}
    assert services.settings.model_settings()["small-model"] == ModelSetting(takes_images=False)


def test_the_attach_folder_is_kept_in_the_settings_for_the_next_start(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, services: Services, tmp_path: Path
) -> None:
    gui = GuiServices(services)
    first = window_backend(gui, None, None)
    try:
        first.last_folder.set(str(tmp_path))
    finally:
        run(qtbot, qloop, first.workspace.aclose())
    again = window_backend(GuiServices(services), None, None)
    try:
        assert again.last_folder.get() == str(tmp_path)
    finally:
        run(qtbot, qloop, again.workspace.aclose())


# -- scanned PDF pages as images -----------------------------------------------------------------


def pdf_draft(drafts: DraftAttachments, name: str) -> Draft:
    return next(d for d in drafts.drafts if d.name == name)


def test_a_scanned_pdfs_textless_pages_are_offered_and_added_as_images_right_after_it(
    qtbot: QtBot, workspace: ChatWorkspace, tmp_path: Path
) -> None:
    scan = make_pdf(tmp_path / "scan.pdf", ["The first page has words.", None])
    notes = tmp_path / "notes.txt"
    notes.write_text("the notes", encoding="utf-8")
    drafts = workspace.new_drafts()
    [key, _] = drafts.add_files([scan, notes])
    ready(qtbot, drafts)

    pdf = pdf_draft(drafts, "scan.pdf")
    assert pdf.source == scan
    assert pdf.textless_pages == (2,)
    assert pdf.pages == 2
    assert pdf.prepared is not None
    assert pdf.prepared.notes[0] == "1 of 2 pages has no text — scanned?"
    # "small-model" is not known to be text-only: the pages are offered.
    qtbot.waitUntil(lambda: pdf_draft(drafts, "scan.pdf").pages_offered, timeout=WAIT_MS)
    assert drafts.images_refused is False

    [page_key] = drafts.add_pdf_pages(key)

    assert [d.name for d in drafts.drafts] == ["scan.pdf", "scan.pdf — page 2", "notes.txt"]
    assert drafts.is_busy()  # rendered on the worker thread; a send waits for it
    ready(qtbot, drafts)
    page = next(d for d in drafts.drafts if d.key == page_key)
    assert page.state is DraftState.READY
    assert page.prepared is not None
    image = page.prepared.part
    assert isinstance(image, ImagePart)
    assert (image.name, image.mime) == ("scan — page 2.png", "image/png")
    assert image.width == 1275  # a Letter page at 150 dpi (PDFium rounds the height up)
    assert image.height in (1650, 1651)
    assert page.tokens > 0
    with Image.open(io.BytesIO(image.data)) as shown:
        assert shown.size == (image.width, image.height)
        assert shown.convert("RGB").getpixel((640, 800)) != (255, 255, 255)  # the page's picture
    pdf = pdf_draft(drafts, "scan.pdf")
    assert (pdf.pages_offered, pdf.pages_added, pdf.pages_left_out) == (False, (2,), ())
    assert drafts.add_pdf_pages(key) == []  # once
    parts = drafts.parts()
    assert [type(p) for p in parts] == [DocumentPart, ImagePart, DocumentPart]


def test_a_text_only_model_is_not_offered_the_pages_until_another_model_is_chosen(
    qtbot: QtBot, workspace: ChatWorkspace, services: Services, tmp_path: Path
) -> None:
    services.settings.set_model_setting("small-model", ModelSetting(takes_images=False))
    drafts = workspace.new_drafts()
    drafts.add_files([make_pdf(tmp_path / "scan.pdf", ["words", None, None])])
    ready(qtbot, drafts)
    qtbot.waitUntil(lambda: drafts.images_refused is True, timeout=WAIT_MS)
    [pdf] = drafts.drafts
    assert pdf.textless_pages == (2, 3)
    assert not pdf.pages_offered

    workspace.model = lambda: "gpt-4o"  # a vision model by its name
    drafts.check_model()
    qtbot.waitUntil(lambda: drafts.drafts[0].pages_offered, timeout=WAIT_MS)
    assert drafts.images_refused is False


def test_at_most_max_page_images_pages_are_added_and_the_rest_are_named(
    qtbot: QtBot, workspace: ChatWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drafts_module, "MAX_PAGE_IMAGES", 2)
    drafts = workspace.new_drafts()
    [key] = drafts.add_files([make_pdf(tmp_path / "big scan.pdf", [None] * 5)])
    ready(qtbot, drafts)
    assert drafts.drafts[0].page_images == (1, 2)

    keys = drafts.add_pdf_pages(key)

    assert len(keys) == 2
    names = [d.name for d in drafts.drafts]
    assert names == ["big scan.pdf", "big scan.pdf — page 1", "big scan.pdf — page 2"]
    pdf = drafts.drafts[0]
    assert (pdf.pages_added, pdf.pages_left_out) == ((1, 2), (3, 4, 5))
    ready(qtbot, drafts)
    assert all(d.state is DraftState.READY for d in drafts.drafts)


def test_a_page_draft_removed_while_rendering_is_cancelled_and_the_composers_do_not_clash(
    qtbot: QtBot, workspace: ChatWorkspace, tmp_path: Path
) -> None:
    window, quick = workspace.new_drafts(), workspace.new_drafts()
    [key] = window.add_files([make_pdf(tmp_path / "scan.pdf", [None, None])])
    quick.add_files([make_png(tmp_path / "pic.png")])  # its first key is 1 too
    ready(qtbot, window)
    ready(qtbot, quick)
    assert [d.state for d in window.drafts + quick.drafts] == [DraftState.READY] * 2

    first, _second = window.add_pdf_pages(key)
    window.remove(first)
    ready(qtbot, window)
    assert [d.name for d in window.drafts] == ["scan.pdf", "scan.pdf — page 2"]
    assert window.drafts[1].state is DraftState.READY


def test_the_context_window_is_learnt_from_the_server_without_holding_up_a_plain_send(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, workspace: ChatWorkspace, api: ChatAPI
) -> None:
    answer = api.handle

    async def models_with_context(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            return web.json_response({"data": [{"id": "small-model", "context_length": 4096}]})
        return await answer(request)

    api.server.handle = models_with_context
    finished: list[AnswerFinished] = []
    workspace.answer_finished.connect(finished.append)

    run(qtbot, qloop, workspace.send("hello"))  # asks the server in the background
    qtbot.waitUntil(lambda: bool(finished) and workspace.chosen.known_context() == 4096, timeout=WAIT_MS)

    asked = len([r for r in api.server.requests if r.path.endswith("/models")])
    assert run(qtbot, qloop, workspace.context_tokens()) == 4096
    assert len([r for r in api.server.requests if r.path.endswith("/models")]) == asked  # remembered
