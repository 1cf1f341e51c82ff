"""Attachments in the window and the quick prompt, with real widgets, real files (made here with
Pillow) prepared on the workspace's worker thread, and the real window over real services.

Sends are recorded at the workspace (`workspace.send`) where a test is about what the UI hands
on — the parts, cut or not — rather than about the provider's request."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.chat.workspace import MessageAdded
from desktop_app.core.attachments import DocumentPart, ImagePart, Part
from desktop_app.core.messages import Role
from desktop_app.core.preferences import ModelSetting
from desktop_app.ui.attachment_viewer import DocumentViewer, ImageViewer
from desktop_app.ui.main_window import MainWindow
from tests.support.desktop import WAIT_MS, ChatAPI, configured
from tests.unit.attachments.files import make_pdf

# -- files made by the tests -----------------------------------------------------------------------


def png_bytes(width: int = 320, height: int = 200, color: str = "#3b82f6") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "files"
    folder.mkdir()
    made = {
        "png": folder / "photo.png",
        "text": folder / "notes.txt",
        "big": folder / "report.txt",
        "binary": folder / "blob.bin",
    }
    made["png"].write_bytes(png_bytes())
    made["text"].write_text("Meeting notes\nBring the slides.\n", encoding="utf-8")
    made["big"].write_text("All work and no play makes Jack a dull boy. " * 400, encoding="utf-8")
    made["binary"].write_bytes(bytes(range(256)) * 64)
    return made


class SendRecorder:
    """Stands in for `workspace.send`: what the UI sent, and the conversation it reports."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Part, ...]]] = []

    async def __call__(self, text: str, parts: tuple[Part, ...] = ()) -> int | None:
        self.sent.append((text, tuple(parts)))
        return 1


@pytest.fixture
def window(make_app: Any, api: ChatAPI) -> MainWindow:
    window: MainWindow = make_app(configured(api)).open()
    return window


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_and_drop(target: QWidget, mime: QMimeData) -> bool:
    """Drag `mime` over `target` and drop it; returns whether the drop highlight showed."""
    point = QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    highlight = target.window().findChild(QWidget, "dropHighlight")
    shown = highlight is not None and highlight.isVisible()
    drop = QDropEvent(point, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()
    assert highlight is not None
    assert not highlight.isVisible()
    return shown


def ready(window: MainWindow, count: int) -> bool:
    drafts = window.composer.drafts
    return drafts is not None and len(drafts.drafts) == count and not drafts.is_busy()


# -- the composer ----------------------------------------------------------------------------------


def test_ctrl_v_pastes_a_clipboard_image_as_an_attachment_chip(qtbot: QtBot, window: MainWindow) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setImage(QImage.fromData(png_bytes(64, 48)))  # (Qt owns the clipboard's data)
    window.composer.edit.setFocus()
    try:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    finally:
        clipboard.clear()
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    [chip] = window.composer.chips.chips()
    assert chip.draft.name == "pasted-image-1.png"
    assert isinstance(chip.draft.prepared.part if chip.draft.prepared else None, ImagePart)
    assert "token" in chip.details.text()
    assert chip.picture.pixmap() is not None
    assert not chip.picture.pixmap().isNull()
    assert window.composer.text() == ""  # the image did not go into the text
    assert window.composer.send_button.isEnabled()  # an image alone can be sent


def test_pasting_copied_files_attaches_them_and_plain_text_stays_text(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    window.composer.edit.insertFromMimeData(file_mime(files["text"], files["png"]))
    qtbot.waitUntil(lambda: ready(window, 2), timeout=WAIT_MS)
    assert [c.draft.name for c in window.composer.chips.chips()] == ["notes.txt", "photo.png"]
    text = QMimeData()
    text.setText("just words")
    window.composer.edit.insertFromMimeData(text)
    assert window.composer.text() == "just words"


def test_files_dropped_on_the_composer_or_the_transcript_are_attached_with_a_highlight(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    assert drag_and_drop(window.composer.edit.viewport(), file_mime(files["text"]))
    assert drag_and_drop(window.chat_view.browser.viewport(), file_mime(files["png"]))
    qtbot.waitUntil(lambda: ready(window, 2), timeout=WAIT_MS)
    assert window.composer.chips.isVisible()
    assert window.composer.text() == ""


def test_a_chip_is_removed_by_its_button_and_by_delete_on_the_keyboard(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    drag_and_drop(window.composer.edit.viewport(), file_mime(files["text"], files["png"], files["big"]))
    qtbot.waitUntil(lambda: ready(window, 3), timeout=WAIT_MS)
    first, second, third = window.composer.chips.chips()
    qtbot.mouseClick(first.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.composer.chips.chips()) == 2, timeout=WAIT_MS)
    second.setFocus()
    qtbot.waitUntil(second.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(second, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: [c.draft.name for c in window.composer.chips.chips()] == ["report.txt"])
    assert third.hasFocus()  # the focus moved on to the next chip
    qtbot.keyClick(third, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: not window.composer.chips.chips(), timeout=WAIT_MS)
    assert window.composer.chips.isHidden()
    assert window.composer.edit.hasFocus()


def test_enter_on_a_chip_opens_the_viewer_and_escape_closes_it(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    window.composer.edit.insertFromMimeData(file_mime(files["text"]))
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    [chip] = window.composer.chips.chips()
    chip.setFocus()
    qtbot.keyClick(chip, Qt.Key.Key_Return)
    viewer = window.composer.chips.viewer
    assert isinstance(viewer, DocumentViewer)
    qtbot.waitExposed(viewer)
    assert "Bring the slides." in viewer.text.toPlainText()
    assert viewer.text.isReadOnly()
    qtbot.keyClick(viewer.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isVisible(), timeout=WAIT_MS)


def test_a_failed_attachment_blocks_sending_with_a_line_naming_it(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    recorder = window.workspace.send = SendRecorder()  # type: ignore[method-assign]
    window.composer.edit.insertFromMimeData(file_mime(files["binary"]))
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    [chip] = window.composer.chips.chips()
    assert chip.failed
    assert chip.error.isVisible()
    assert chip.error.text()
    composer = window.composer
    assert composer.problem.isVisible()
    assert composer.problem.text() == "Remove blob.bin to send."
    qtbot.keyClicks(composer.edit, "Here is the file")
    assert not composer.send_button.isEnabled()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert composer.text() == "Here is the file"
    assert recorder.sent == []
    qtbot.mouseClick(chip.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: composer.problem.isHidden(), timeout=WAIT_MS)
    assert composer.send_button.isEnabled()


def test_send_waits_for_attachments_being_prepared_then_sends_them(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    recorder = window.workspace.send = SendRecorder()  # type: ignore[method-assign]
    composer = window.composer
    qtbot.keyClicks(composer.edit, "Look at this")
    composer.edit.insertFromMimeData(file_mime(files["png"]))
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)  # at once: the file is still being prepared
    qtbot.waitUntil(lambda: bool(recorder.sent), timeout=WAIT_MS)
    [(text, parts)] = recorder.sent
    assert text == "Look at this"
    assert [type(p) for p in parts] == [ImagePart]
    qtbot.waitUntil(lambda: not composer.chips.chips(), timeout=WAIT_MS)
    assert composer.send_button.text() == "Send"


class RefusingSend(SendRecorder):
    """`workspace.send` as it answers when the history could not save the message."""

    async def __call__(self, text: str, parts: tuple[Part, ...] = ()) -> int | None:
        await super().__call__(text, parts)
        return None


def test_a_send_the_history_refuses_keeps_the_text_and_its_chips(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    recorder = window.workspace.send = RefusingSend()  # type: ignore[method-assign]
    composer = window.composer
    composer.edit.insertFromMimeData(file_mime(files["png"]))
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    qtbot.keyClicks(composer.edit, "Keep me")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(recorder.sent) and composer.edit.toPlainText() == "Keep me", timeout=WAIT_MS)

    assert [type(p) for p in recorder.sent[0][1]] == [ImagePart]
    assert ready(window, 1)  # the chip is still there to send again
    assert len(composer.chips.chips()) == 1


def budget_question(qtbot: QtBot, window: MainWindow) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [w for w in window.findChildren(QMessageBox, "budgetQuestion") if w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


@pytest.mark.parametrize("choice", ["cut", "cancel"])
def test_a_message_too_big_for_the_context_asks_to_cut_or_cancel(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path], choice: str
) -> None:
    recorder = window.workspace.send = SendRecorder()  # type: ignore[method-assign]
    window.workspace.context_setting = lambda _model: 50  # a tiny context: the report cannot fit
    composer = window.composer
    composer.edit.insertFromMimeData(file_mime(files["big"]))
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    qtbot.keyClicks(composer.edit, "Summarise")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    question = budget_question(qtbot, window)
    assert "This message is about" in question.text()
    assert "Cut the documents to fit, or cancel?" in question.text()
    button = question.buttons()
    labels = sorted(b.text().replace("&", "") for b in button)
    assert labels == ["Cancel", "Cut to fit"]
    if choice == "cut":
        cut = next(b for b in question.buttons() if b.text().replace("&", "") == "Cut to fit")
        qtbot.mouseClick(cut, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(recorder.sent), timeout=WAIT_MS)
        [(text, parts)] = recorder.sent
        [document] = parts
        assert text == "Summarise"
        assert isinstance(document, DocumentPart)
        assert document.cut is not None
        assert document.cut.note() in document.as_text()
        assert not composer.chips.chips()
    else:
        qtbot.keyClick(question, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: composer.text() == "Summarise", timeout=WAIT_MS)
        assert recorder.sent == []
        assert [c.draft.name for c in composer.chips.chips()] == ["report.txt"]  # kept


# -- the conversation ------------------------------------------------------------------------------


def show_sent_message(window: MainWindow, parts: tuple[Part, ...]) -> None:
    binding = window.conversations.binding
    binding.conversation_id = 7
    window.workspace.message_added.emit(MessageAdded(7, 70, Role.USER, "What is in these?", parts))


def test_a_sent_messages_image_shows_as_a_thumbnail_that_opens_full_size(
    qtbot: QtBot, window: MainWindow
) -> None:
    image = ImagePart("photo.png", "image/png", png_bytes(1200, 800), 1200, 800)
    note = "4 of 12 pages have no text — scanned?"
    document = DocumentPart("report.pdf", "application/pdf", "Page one text", pages=12, notes=(note,))
    show_sent_message(window, (image, document))
    view = window.chat_view
    links = view.attachment_links()
    assert len(links) == 2
    key = links[0].split("/")[1]
    document_resources = view.browser.document()
    thumbnail = document_resources.resource(
        document_resources.ResourceType.ImageResource, QUrl(f"parley-attachment:{key}/0")
    )
    assert isinstance(thumbnail, QImage)
    assert max(thumbnail.width(), thumbnail.height()) == 240
    assert "report.pdf · 12 pages" in view.browser.toPlainText()
    assert view.browser.refused_resources == 0  # Parley's own images are never loaded from anywhere

    view._on_anchor(QUrl(links[0]))
    viewer = view.viewer
    assert isinstance(viewer, ImageViewer)
    qtbot.waitExposed(viewer)
    assert viewer.shown_size.width() <= 1200
    screen = viewer.screen().availableGeometry()
    assert viewer.width() <= screen.width()
    assert viewer.height() <= screen.height()
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isVisible(), timeout=WAIT_MS)

    view._on_anchor(QUrl(links[1]))
    text_viewer = view.viewer
    assert isinstance(text_viewer, DocumentViewer)
    qtbot.waitExposed(text_viewer)
    assert text_viewer.text.toPlainText() == "Page one text"
    assert text_viewer.notes.text() == "4 of 12 pages have no text — scanned?"
    text_viewer.reject()


def test_thumbnails_survive_a_theme_rebuild_and_model_images_stay_refused(
    qtbot: QtBot, window: MainWindow
) -> None:
    image = ImagePart("photo.png", "image/png", png_bytes(100, 60), 100, 60)
    show_sent_message(window, (image,))
    view = window.chat_view
    view.set_dark(True)
    assert len(view.attachment_links()) == 1
    view.begin_assistant_message(71)
    view.update_streaming("![x](parley-attachment:1/0) and ![y](http://example.com/a.png)")
    view.finish_streaming()
    assert len(view.attachment_links()) == 1  # model output never makes an attachment link


# -- the quick prompt ------------------------------------------------------------------------------


def test_files_dropped_on_the_quick_prompt_are_attached_and_sent(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    quick = window.desktop.quick
    quick.show_at_pointer()
    qtbot.waitExposed(quick)
    sent: list[tuple[int, str, tuple[Part, ...]]] = []

    async def send_to(conversation_id: int, text: str, parts: tuple[Part, ...] = (), **_: Any) -> int | None:
        sent.append((conversation_id, text, tuple(parts)))
        return conversation_id

    window.workspace.send_to = send_to  # type: ignore[method-assign]
    assert drag_and_drop(quick.edit.viewport(), file_mime(files["text"]))
    qtbot.waitUntil(lambda: len(quick.chips.chips()) == 1 and not quick.drafts.is_busy(), timeout=WAIT_MS)
    assert quick.chips.isVisible()
    qtbot.keyClicks(quick.edit, "Read this")
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(sent), timeout=WAIT_MS)
    [(_conversation, text, parts)] = sent
    assert text == "Read this"
    assert [p.name for p in parts] == ["notes.txt"]
    qtbot.waitUntil(lambda: not quick.chips.chips(), timeout=WAIT_MS)


def test_attachments_sent_for_real_show_again_when_the_conversation_is_opened_from_history(
    qtbot: QtBot, window: MainWindow, api: ChatAPI, files: dict[str, Path]
) -> None:
    composer = window.composer
    composer.edit.insertFromMimeData(file_mime(files["png"], files["text"]))
    qtbot.waitUntil(lambda: ready(window, 2), timeout=WAIT_MS)
    qtbot.keyClicks(composer.edit, "Describe these")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Quick answer!" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.conversations.is_streaming(), timeout=WAIT_MS)
    assert len(window.chat_view.attachment_links()) == 2  # shown from the parts just sent
    content = api.chats()[-1]["messages"][-1]["content"]
    assert any(p.get("type") == "image_url" for p in content)
    conversation = window.conversations.current
    assert conversation is not None

    window.conversations.new_chat()
    window.conversations.open(conversation)
    view = window.chat_view
    links = view.attachment_links()
    assert len(links) == 2
    assert "notes.txt" in view.browser.toPlainText()
    view._on_anchor(QUrl(links[0]))
    viewer = view.viewer
    assert isinstance(viewer, ImageViewer)
    assert (viewer.image.width(), viewer.image.height()) == (320, 200)
    viewer.reject()
    view._on_anchor(QUrl(links[1]))
    assert isinstance(view.viewer, DocumentViewer)
    assert "Bring the slides." in view.viewer.text.toPlainText()
    view.viewer.reject()


# -- scanned PDF pages -----------------------------------------------------------------------------


def scanned_pdf(folder: Path) -> Path:
    """A PDF whose first page has text and whose second is only a picture."""
    return make_pdf(folder / "scan.pdf", ["The first page has words.", None])


def test_a_scanned_pdf_chip_offers_its_pages_and_the_keyboard_adds_them_as_chips(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    composer = window.composer
    composer.edit.insertFromMimeData(file_mime(scanned_pdf(tmp_path)))
    qtbot.waitUntil(lambda: ready(window, 1), timeout=WAIT_MS)
    [chip] = composer.chips.chips()
    assert chip.note.isVisible()
    assert chip.note.text() == "1 of 2 pages has no text — scanned?"
    qtbot.waitUntil(chip.pages_button.isVisible, timeout=WAIT_MS)  # "small-model" may see images
    assert chip.pages_button.text() == "Add 1 page as an image"
    assert "scanned?" in chip.accessibleName()

    chip.setFocus()
    qtbot.waitUntil(chip.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(chip, Qt.Key.Key_Tab)
    assert chip.pages_button.hasFocus()  # Tab reaches it, before the text field
    qtbot.keyClick(chip.pages_button, Qt.Key.Key_Tab)
    assert composer.edit.hasFocus()  # and goes on from it to what follows the chip
    qtbot.keyClick(composer.edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert chip.hasFocus()
    qtbot.keyClick(chip, Qt.Key.Key_Tab)
    assert chip.pages_button.hasFocus()
    qtbot.keyClick(chip.pages_button, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: ready(window, 2), timeout=WAIT_MS)
    first, page = composer.chips.chips()
    assert first is chip
    assert page.draft.name == "scan.pdf — page 2"
    assert isinstance(page.draft.prepared.part if page.draft.prepared else None, ImagePart)
    assert not page.picture.pixmap().isNull()  # its thumbnail
    assert chip.pages_button.isHidden()  # the button went
    assert chip.note.isVisible()  # the note stays
    assert chip.hasFocus()  # the focus stayed on the chip, not lost with the button


def test_the_button_adds_the_pages_by_mouse_in_the_quick_prompt_too(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    quick = window.desktop.quick
    quick.show_at_pointer()
    qtbot.waitExposed(quick)
    quick.edit.insertFromMimeData(file_mime(scanned_pdf(tmp_path)))
    qtbot.waitUntil(lambda: len(quick.chips.chips()) == 1 and not quick.drafts.is_busy(), timeout=WAIT_MS)
    [chip] = quick.chips.chips()
    qtbot.waitUntil(chip.pages_button.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(chip.pages_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(quick.chips.chips()) == 2 and not quick.drafts.is_busy(), timeout=WAIT_MS)
    assert [c.draft.name for c in quick.chips.chips()] == ["scan.pdf", "scan.pdf — page 2"]
    assert chip.pages_button.isHidden()


def test_a_text_only_model_gets_the_note_but_no_button(
    qtbot: QtBot, make_app: Any, api: ChatAPI, tmp_path: Path
) -> None:
    app = make_app(configured(api))
    app.services.settings.set_model_setting("small-model", ModelSetting(takes_images=False))
    window: MainWindow = app.open()
    assert window.workspace.model() == "small-model"
    window.composer.edit.insertFromMimeData(file_mime(scanned_pdf(tmp_path)))
    drafts = window.composer.drafts
    assert drafts is not None
    qtbot.waitUntil(lambda: ready(window, 1) and drafts.images_refused is True, timeout=WAIT_MS)
    [chip] = window.composer.chips.chips()
    assert chip.note.isVisible()
    assert chip.note.text() == "1 of 2 pages has no text — scanned?"
    assert chip.pages_button.isHidden()
