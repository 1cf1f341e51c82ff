"""What a send carries besides its text, decided the same way in the window and the quick
prompt: wait for attachments still being prepared, and when the message would not fit the
model's context, ask — cut the documents to fit, or cancel. Never silent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.i18n import format_integer

if TYPE_CHECKING:
    from desktop_app.chat.drafts import DraftAttachments
    from desktop_app.chat.workspace import ChatWorkspace
    from desktop_app.core.attachments import Part


def refusal(drafts: DraftAttachments) -> str:
    """One line when a draft cannot be sent ("Remove x.bin to send"), else ""."""
    failed = [d.name for d in drafts.failed()]
    if not failed:
        return ""
    return QCoreApplication.translate("AttachmentSend", "Remove {names} to send.").format(
        names=", ".join(failed)
    )


class BudgetQuestion(QMessageBox):
    """ "This message is about N tokens; the model's context leaves room for M. Cut the
    documents to fit, or cancel?" — opened window-modal; `answer()` awaits the choice."""

    def __init__(self, tokens: int, limit: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("budgetQuestion")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(self.tr("Message too long for the model"))
        self.setText(
            self.tr(
                "This message is about {tokens} tokens; the model's context leaves room for "
                "{limit}. Cut the documents to fit, or cancel?"
            ).format(tokens=format_integer(tokens), limit=format_integer(limit))
        )
        self.setInformativeText(
            self.tr("A cut document says where it was cut, so the model knows text is missing.")
        )
        self.cut_button = self.addButton(self.tr("Cut to fit"), QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.cancel_button)
        self.setEscapeButton(self.cancel_button)

    async def answer(self) -> bool:
        """Show the question; True when the user chose to cut."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()

        def finished(_result: int) -> None:
            if not done.done():
                done.set_result(self.clickedButton() is self.cut_button)

        self.finished.connect(finished)
        self.open()
        try:
            return await done
        finally:
            self.finished.disconnect(finished)
            if self.isVisible():  # the send was cancelled while asking
                self.reject()


async def parts_for_send(
    workspace: ChatWorkspace, drafts: DraftAttachments, text: str, parent: QWidget | None
) -> tuple[Part, ...] | None:
    """The parts to send with `text` (cut when the user chose so), or None when the send does not
    happen (an attachment failed, or the user cancelled). The drafts stay until the caller
    sends: take them with `drafts.clear()` then."""
    await drafts.wait_ready()
    if drafts.failed():
        return None
    parts = drafts.parts()
    if not parts:
        return ()
    check = await workspace.check_budget(text, parts)
    if check.fits or check.limit is None:
        return parts
    question = BudgetQuestion(check.tokens, check.limit, parent)
    try:
        if not await question.answer():
            return None
    finally:
        question.deleteLater()
    from desktop_app.chat.budget import cut_to_fit

    return cut_to_fit(text, parts, check.limit)
