"""The status bar: which provider and model answer, a busy indicator until the first bytes of an
answer arrive, then its speed (tokens/s) and elapsed time."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from desktop_app.i18n import format_decimal, numerus

TICK_MS = 250  # how often the elapsed time is refreshed while waiting for the first bytes
MESSAGE_MS = 8000  # how long a one-line message stays


class AnswerStatus(QWidget):
    """Lives in the main window's status bar. The window reports an answer's life:
    `answer_started()`, `first_text()`, `set_stats(rate, elapsed)`, `answer_finished()`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._provider = ""
        self._model = ""
        self._rate = 0.0
        self._elapsed: float | None = None
        self._waiting = False
        self._clock = QElapsedTimer()
        self.source = QLabel(self)
        self.source.setObjectName("statusSource")
        self.busy = QProgressBar(self)
        self.busy.setObjectName("statusBusy")
        self.busy.setRange(0, 0)  # indeterminate: we wait, we do not know how long
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(72, 10)
        self.busy.hide()
        self.waiting = QLabel(self)
        self.waiting.hide()
        self.speed = QLabel(self)
        self.speed.setObjectName("statusSpeed")
        self.message = QLabel(self)
        self.message.setObjectName("statusMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(10)
        layout.addWidget(self.source)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.waiting)
        layout.addWidget(self.speed)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.clear)
        self.retranslate()

    def show_message(self, text: str, milliseconds: int = MESSAGE_MS) -> None:
        """A one-line remark (an error a user can act on, "Exported to …") for a few seconds."""
        self.message.setText(" ".join(text.split()))
        self.message.setToolTip(text)
        self._message_timer.start(milliseconds)

    def show_interrupted(self, count: int) -> None:
        """At start-up: answers the last session left unfinished (the history marked them)."""
        line = self.tr(
            "%n answer(s) were cut off when Parley last closed; they are marked interrupted.", "", count
        )
        if count == 1:
            english = "1 answer was cut off when Parley last closed; it is marked interrupted."
        else:
            english = f"{count} answers were cut off when Parley last closed; they are marked interrupted."
        self.show_message(numerus(line, count, english=english))

    def set_source(self, provider: str, model: str) -> None:
        self._provider, self._model = provider, model
        self._refresh_source()

    def answer_started(self) -> None:
        self._rate, self._elapsed = 0.0, 0.0
        self._set_waiting(True)
        self._clock.start()
        self._ticker.start()
        self._refresh_speed()

    def first_text(self) -> None:
        self._set_waiting(False)

    def set_stats(self, rate: float, elapsed: float) -> None:
        """`rate`: tokens per second since the first text; `elapsed`: seconds since sending."""
        self._rate, self._elapsed = rate, elapsed
        self._refresh_speed()

    def answer_finished(self) -> None:
        self._ticker.stop()
        self._set_waiting(False)
        self._refresh_speed()

    @property
    def is_waiting(self) -> bool:
        """True between the start of an answer and its first bytes."""
        return self._waiting

    def _set_waiting(self, waiting: bool) -> None:
        self._waiting = waiting
        self.busy.setVisible(waiting)
        self.waiting.setVisible(waiting)

    def _tick(self) -> None:
        # The controller reports stats only as text arrives; keep the clock moving meanwhile.
        self._elapsed = max(self._elapsed or 0.0, self._clock.elapsed() / 1000)
        self._refresh_speed()

    def _refresh_source(self) -> None:
        if not self._provider:
            self.source.setText(self.tr("No provider chosen"))
        elif self._model:
            self.source.setText(f"{self._provider} · {self._model}")
        else:
            self.source.setText(self._provider)

    def _refresh_speed(self) -> None:
        if self._elapsed is None:
            self.speed.clear()
            return
        elapsed = self.tr("{seconds} s").format(seconds=format_decimal(self._elapsed, 1))
        if self._rate > 0:
            rate = format_decimal(self._rate, 0)
            self.speed.setText(self.tr("{rate} tok/s · {elapsed}").format(rate=rate, elapsed=elapsed))
        else:
            self.speed.setText(elapsed)

    def retranslate(self) -> None:
        self.waiting.setText(self.tr("Waiting for the first reply…"))
        self.busy.setAccessibleName(self.tr("Waiting for the first reply"))
        self._refresh_source()
        self._refresh_speed()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
