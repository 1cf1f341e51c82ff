"""The attachments of a message being written, as chips above its text field.

A chip shows a thumbnail (images) or an icon (documents), the name, the size and an estimate
of the tokens, a progress bar while the file is prepared, a red line when it cannot be attached,
and a remove button. Chips take the keyboard focus: Delete or Backspace removes one, Enter or
Space opens it in a viewer. A PDF with pages that have no text says so ("4 of 12 pages have no
text — scanned?") and, unless the chosen model is known to be text-only, offers them as images
with a link-like button (Tab reaches it) that adds them as chips of their own. `ChipStrip`
follows a `DraftAttachments` (chat/drafts.py) and wraps its chips onto as many lines as they need.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMargins, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QEnterEvent,
    QFocusEvent,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from desktop_app.core.attachments import ImagePart, page_ranges
from desktop_app.i18n import numerus
from desktop_app.ui.attachment_items import thumbnail_image
from desktop_app.ui.attachment_viewer import open_viewer
from desktop_app.ui.chat_colors import chat_colors
from desktop_app.ui.icons import palette_icon
from desktop_app.ui.theme import is_dark

if TYPE_CHECKING:  # chat.drafts brings the attachments package: not needed for the first paint
    from desktop_app.chat.drafts import Draft, DraftAttachments

CHIP_WIDTH = 236
PICTURE_PX = 40
_PREPARING, _FAILED = "preparing", "failed"  # DraftState's values


class FlowLayout(QLayout):
    """Items left to right, wrapping onto the next line (Qt's flow layout example, trimmed)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def insert_widget(self, index: int, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())  # (the height comes from heightForWidth)
        margins = self.contentsMargins()
        return size.grownBy(QMargins(margins.left(), margins.top(), margins.right(), margins.bottom()))

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if item.hasHeightForWidth():  # a chip's wrapped error line makes it taller
                hint.setHeight(max(hint.height(), item.heightForWidth(hint.width())))
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + margins.bottom()


class AttachmentChip(QFrame):
    """One draft attachment. Emits `remove_requested(key)` and `open_requested(key)`."""

    remove_requested = Signal(int)
    open_requested = Signal(int)
    pages_requested = Signal(int)  # add the PDF's textless pages as images
    focused = Signal()

    def __init__(self, draft: Draft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        self.key = draft.key
        self.draft = draft
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFixedWidth(CHIP_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self._picture_key: tuple[str, bool] | None = None
        self._styled_dark: bool | None = None
        self.picture = QLabel(self)
        self.picture.setObjectName("attachmentChipPicture")
        self.picture.setFixedSize(PICTURE_PX, PICTURE_PX)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLabel(self)
        self.name.setObjectName("attachmentChipName")
        self.details = QLabel(self)
        self.details.setObjectName("attachmentChipDetails")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("attachmentChipProgress")
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(5)
        self.error = QLabel(self)
        self.error.setObjectName("attachmentChipError")
        self.error.setWordWrap(True)
        self.note = QLabel(self)  # a PDF's pages without text
        self.note.setObjectName("attachmentChipNote")
        self.note.setWordWrap(True)
        self.pages_button = QPushButton(self)
        self.pages_button.setObjectName("attachmentChipPages")
        self.pages_button.setFlat(True)
        self.pages_button.setAutoDefault(True)  # Enter presses it, as Space does
        self.pages_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pages_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.pages_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.pages_button.clicked.connect(self._add_pages)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("attachmentChipRemove")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Delete on the chip does it
        self.remove_button.setIconSize(QSize(14, 14))
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.key))

        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.name)
        text.addWidget(self.details)
        text.addWidget(self.progress)
        text.addWidget(self.error)
        text.addWidget(self.note)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(7)
        row.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 5, 3, 5)
        outer.setSpacing(2)
        outer.addLayout(row)
        # The whole chip's width: a translated "Add 4 pages as images" is long.
        outer.addWidget(self.pages_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._apply_style()
        self.remove_button.setToolTip(self.tr("Remove (Delete)"))
        self.set_draft(draft)

    # -- what it shows -------------------------------------------------------------------------

    @property
    def failed(self) -> bool:
        return self.draft.state == _FAILED

    def set_draft(self, draft: Draft) -> None:
        if _only_progress(self.draft, draft) and not self.progress.isHidden():
            # A progress tick: the bar alone (the rest of the chip is as it was).
            self.draft = draft
            self._show_progress(draft)
            return
        self.draft = draft
        metrics = QFontMetrics(self.name.font())
        room = CHIP_WIDTH - PICTURE_PX - 50
        self.name.setText(metrics.elidedText(draft.name, Qt.TextElideMode.ElideMiddle, room))
        self.name.setToolTip(draft.name)
        preparing, failed = draft.state == _PREPARING, draft.state == _FAILED
        self.progress.setVisible(preparing)
        if preparing:
            self._show_progress(draft)
        self.error.setVisible(failed)
        self.error.setText(draft.error)
        self.details.setVisible(not failed)  # the error line says it
        self.details.setText(self._details())
        note = self._note()
        self.note.setVisible(bool(note))
        self.note.setText(note)
        offered = len(draft.page_images) if draft.pages_offered else 0
        if not offered and self.pages_button.hasFocus():
            self.setFocus(Qt.FocusReason.OtherFocusReason)  # (the button goes: the chip keeps it)
        self.pages_button.setVisible(bool(offered))
        if offered:
            label = numerus(
                self.tr("Add %n page(s) as images", "", offered),
                offered,
                "Add 1 page as an image" if offered == 1 else None,
            )
            room = CHIP_WIDTH - 20
            metrics = QFontMetrics(self.pages_button.font())
            self.pages_button.setText(metrics.elidedText(label, Qt.TextElideMode.ElideRight, room))
            self.pages_button.setAccessibleName(label)
            self.pages_button.setToolTip(
                self.tr("Pages {pages}, each as an image the model reads (not for text-only models)").format(
                    pages=page_ranges(draft.page_images)
                )
            )
        self._update_picture()
        self.setAccessibleName(self._accessible_name())
        self.setToolTip(self._tooltip())

    def _show_progress(self, draft: Draft) -> None:
        total = max(0, draft.total)  # 0..0: busy, the total is not known yet
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        value = min(draft.done, total)
        if self.progress.value() != value:
            self.progress.setValue(value)

    def _details(self) -> str:
        draft = self.draft
        if draft.state == _PREPARING:
            return self.tr("Preparing…")
        if draft.state == _FAILED:
            return self.tr("Cannot be attached")
        facts = [draft.size_label] if draft.size_label else []
        facts.append(numerus(self.tr("~%Ln token(s)", "", draft.tokens), draft.tokens))
        return " · ".join(facts)

    def _note(self) -> str:
        """A PDF's pages without text, and those not added as images (over the cap)."""
        draft = self.draft
        textless = len(draft.textless_pages)
        if not textless:
            return ""
        total = max(draft.pages, textless)
        if total == 1:
            lines = [self.tr("The page has no text — scanned?")]
        else:
            translated = self.tr("%n of {total} page(s) have no text — scanned?", "", textless)
            english = f"{textless} of {{total}} pages {'has' if textless == 1 else 'have'} no text — scanned?"
            lines = [numerus(translated, textless, english).format(total=total)]
        if draft.pages_left_out:
            lines.append(
                self.tr("Not added as images (at most {count}): pages {pages}").format(
                    count=len(draft.pages_added), pages=page_ranges(draft.pages_left_out)
                )
            )
        return "\n".join(lines)

    def _accessible_name(self) -> str:
        details = self.draft.error or self._details()
        note = self._note()
        return self.tr("Attachment {name}: {details}").format(
            name=self.draft.name, details=f"{details}. {note}" if note else details
        )

    def _add_pages(self) -> None:
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.pages_requested.emit(self.key)

    def _tooltip(self) -> str:
        lines = [self.draft.name]
        notes = self.draft.prepared.notes if self.draft.prepared is not None else ()
        lines += notes
        lines.append(self.tr("Enter opens it · Delete removes it"))
        return "\n".join(lines)

    def _image(self) -> ImagePart | None:
        prepared = self.draft.prepared
        return prepared.part if prepared is not None and isinstance(prepared.part, ImagePart) else None

    def _update_picture(self) -> None:
        image = self._image()
        key = ("image" if image is not None else "document", bool(self._styled_dark))
        if key == self._picture_key:
            return
        self._picture_key = key
        if image is not None:
            thumbnail = thumbnail_image(image.data, PICTURE_PX)
            if not thumbnail.isNull():
                self.picture.setPixmap(QPixmap.fromImage(thumbnail))
                return
        self.picture.setPixmap(palette_icon("document", self.palette()).pixmap(28, 28))

    def _apply_style(self) -> None:
        dark = is_dark(self.palette())
        if dark == self._styled_dark:
            return  # (setting a style sheet sends a palette change of its own)
        self._styled_dark = dark
        colors = chat_colors(dark)
        self.setStyleSheet(
            "QFrame#attachmentChip { border: 1px solid palette(mid); border-radius: 7px;"
            " background: palette(base); }"
            "QFrame#attachmentChip:focus { border: 2px solid palette(highlight); }"
            f"QLabel#attachmentChipError {{ color: {colors.error_text}; }}"
            "QLabel#attachmentChipDetails { color: palette(placeholder-text); }"
            "QLabel#attachmentChipNote { color: palette(placeholder-text); }"
            "QPushButton#attachmentChipPages { border: none; background: transparent; padding: 1px 0;"
            " color: palette(link); text-align: left; }"
            "QPushButton#attachmentChipPages:hover { text-decoration: underline; }"
            "QPushButton#attachmentChipPages:focus { text-decoration: underline;"
            " border-bottom: 1px solid palette(highlight); }"
        )
        self.remove_button.setIcon(palette_icon("close", self.palette()))

    # -- the keyboard and the mouse ------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(self.key)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.open_requested.emit(self.key)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.open_requested.emit(self.key)
        super().mouseReleaseEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        self.update()
        self.focused.emit()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 - Qt's names
        """Tab goes from the chip to its "Add pages" button and on from there to what follows
        the chip (the composer orders the chips, not what is inside them); Shift+Tab back."""
        button = self.pages_button
        if button.isVisible() and button.isEnabled():
            if next and self.hasFocus():
                button.setFocus(Qt.FocusReason.TabFocusReason)
                return True
            if not next and button.hasFocus():
                self.setFocus(Qt.FocusReason.BacktabFocusReason)
                return True
            if next and button.hasFocus():
                following = self._after_chip()
                if following is not None:
                    following.setFocus(Qt.FocusReason.TabFocusReason)
                    return True
        return super().focusNextPrevChild(next)

    def _after_chip(self) -> QWidget | None:
        """The widget Tab reaches after the chip (skipping what is inside it)."""
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self:
            takes_tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
            if takes_tab and widget.isVisible() and widget.isEnabled() and not self.isAncestorOf(widget):
                return widget
            widget = widget.nextInFocusChain()
        return None

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_style()
            self._update_picture()
        elif event.type() == QEvent.Type.LanguageChange:
            self.remove_button.setToolTip(self.tr("Remove (Delete)"))
            self.set_draft(self.draft)
        super().changeEvent(event)


def _only_progress(old: Draft, new: Draft) -> bool:
    """`new` is `old` moved on while preparing: only its progress differs."""
    return (
        old.state == _PREPARING
        and new.state == _PREPARING
        and old.key == new.key
        and replace(old, done=new.done, total=new.total) == new
    )


class ChipStrip(QWidget):
    """The chips of one `DraftAttachments`, hidden while there are none. `chips_changed` fires
    after chips came or went (the composer puts them in its Tab order)."""

    chips_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChips")
        self._drafts: DraftAttachments | None = None
        self._chips: dict[int, AttachmentChip] = {}
        self._layout = FlowLayout(self)
        self.viewer: QDialog | None = None  # the viewer opened last (tests look)
        self.focus_when_empty: QWidget | None = None  # takes the focus when the last chip goes
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.hide()

    @property
    def drafts(self) -> DraftAttachments | None:
        return self._drafts

    def set_drafts(self, drafts: DraftAttachments) -> None:
        self._drafts = drafts
        drafts.changed.connect(self.sync)
        self.sync()

    def chips(self) -> list[AttachmentChip]:
        return [self._chips[d.key] for d in self._drafts.drafts] if self._drafts is not None else []

    def chip(self, key: int) -> AttachmentChip | None:
        return self._chips.get(key)

    def sync(self) -> None:
        """Show the drafts as they are now: new chips, updated ones, and removed ones gone (the
        focus moving to a neighbour, so the keyboard can go on removing)."""
        drafts = self._drafts.drafts if self._drafts is not None else []
        keys = [d.key for d in drafts]
        focused = next((k for k, c in self._chips.items() if c.hasFocus()), None)
        gone = [k for k in self._chips if k not in keys]
        added = False
        for key in gone:
            old = self._chips.pop(key)
            self._layout.removeWidget(old)
            old.hide()
            old.deleteLater()
        for index, draft in enumerate(drafts):
            chip = self._chips.get(draft.key)
            if chip is None:
                chip = self._chips[draft.key] = AttachmentChip(draft, self)
                chip.remove_requested.connect(self.remove)
                chip.open_requested.connect(self.open)
                chip.pages_requested.connect(self.add_pages)
                chip.focused.connect(self.check_model)
                self._layout.insert_widget(index, chip)
                chip.show()
                added = True
            elif chip.draft != draft:
                chip.set_draft(draft)
        self.setVisible(bool(drafts))
        self.updateGeometry()
        if gone or added:
            self.chips_changed.emit()
        if focused is not None and focused in gone:
            self._focus_near(focused)

    def remove(self, key: int) -> None:
        if self._drafts is not None:
            self._drafts.remove(key)

    def add_pages(self, key: int) -> list[int]:
        """A PDF's textless pages as image chips, right after it."""
        return self._drafts.add_pdf_pages(key) if self._drafts is not None else []

    def check_model(self) -> None:
        """Whether to offer a PDF's textless pages as images follows the model chosen now: asked
        when the chips show, when the mouse comes over them and when one takes the focus."""
        if self._drafts is not None:
            self._drafts.check_model()

    def open(self, key: int) -> QDialog | None:
        """The viewer for a prepared draft (a preparing or failed one has nothing to show)."""
        chip = self._chips.get(key)
        prepared = chip.draft.prepared if chip is not None else None
        if prepared is None:
            return None
        self.viewer = open_viewer(prepared.part, self.window())
        return self.viewer

    def failed_names(self) -> list[str]:
        return [c.draft.name for c in self.chips() if c.failed]

    def _focus_near(self, removed: int) -> None:
        chips = self.chips()
        if not chips:
            if self.focus_when_empty is not None:
                self.focus_when_empty.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        # The chip after the removed one, else the last.
        later = [c for c in chips if c.key > removed]
        (later[0] if later else chips[-1]).setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.check_model()

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt's name
        super().enterEvent(event)
        self.check_model()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._layout.heightForWidth(width)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        width = max(CHIP_WIDTH, self.width())
        return QSize(width, self._layout.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(CHIP_WIDTH, self._layout.heightForWidth(max(CHIP_WIDTH, self.width())))
