"""Attachments: do files cost the window anything, and does preparing them cost more than Pillow?

Every file is made by the benchmark (`_attachment_files.py`): text PDFs (raw PDF bytes, ~3,500
characters of English prose per page), a camera-like JPEG with an EXIF orientation tag, and
distinct photo-like images stored in a real history with their thumbnails.

1. Extraction while streaming: in the real window (offscreen, real services, a local SSE server
   in another process), a 15,000-token answer streams at 5,000 tok/s; right after Enter, a
   300-page PDF is added to the composer's drafts (`window.composer.drafts.add_files`, prepared
   on the workspace's worker thread, the chip showing progress) so extraction overlaps the
   stream. Event-loop lag (5 ms timer) from Enter until the answer is painted and the PDF is
   ready. Baseline: the same stream without a file, alternating. Goal: lag p99 < 16 ms.
2. A 12-megapixel JPEG (4000x3000, EXIF orientation 6) through `attachments.prepare_file`.
   Baseline: Pillow's own open + `ImageOps.exif_transpose` + `thumbnail((2048, 2048))` + save
   (JPEG q88) of the same file. Medians of interleaved runs. Goal <= 1.3x.
3. Opening a conversation with 50 images (10 questions of 5 images each, and their answers,
   stored by `SqliteHistory.append_message(..., parts=..., thumbnails=make_thumbnail(...))`)
   from the sidebar to the end of the first frame painting it (worst of alternating opens).
   Baseline: the same conversation without the images. Goal < 300 ms.
4. Peak memory (VmHWM) of a child process preparing a 50 MB text PDF, against the same process
   idle (the attachment modules imported). Reported, no goal.

    python benchmarks/attachments.py            # ~1.5 minutes (the 50 MB PDF alone ~40 s)
    python benchmarks/attachments.py --smoke    # 30 pages, 2 MP, 10 images, 5 MB (~15 s)
    python benchmarks/attachments.py --json     # the last stdout line is one JSON object
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    BENCHMARKS_DIR,
    Figure,
    Report,
    Summary,
    at_most,
    below,
    offscreen_environment,
    parser,
    run_main,
)

LAG_GOAL_MS = 16.0
IMAGE_GOAL_RATIO = 1.3
OPEN_GOAL_MS = 300.0
RATE = 5_000
PROMPT = "Summarise the attached report section by section"
JPEG_QUALITY = 88
MAX_SIDE = 2048


@dataclass(frozen=True)
class Sizes:
    pdf_pages: int
    answer_tokens: int
    stream_rounds: int  # alternating baseline / extraction rounds
    jpeg: tuple[int, int]
    jpeg_runs: int
    images: int  # in the conversation, 5 per question
    image_size: tuple[int, int]
    opens: int
    big_pdf_bytes: int

    @classmethod
    def of(cls, smoke: bool) -> Sizes:
        if smoke:
            return cls(30, 3_000, 1, (1632, 1224), 3, 10, (800, 600), 2, 5_000_000)
        return cls(300, 15_000, 3, (4000, 3000), 9, 50, (1600, 1200), 5, 49_900_000)


# -- 2. a 12-megapixel JPEG ------------------------------------------------------------------------


def pillow_alone(path: Path) -> bytes:
    """What Pillow's documentation does for the same job: open, orient, shrink, save."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        return buffer.getvalue()


def measure_jpeg(path: Path, runs: int) -> tuple[list[float], list[float], Any]:
    """ms per `prepare_file` and per `pillow_alone`, interleaved (one warm-up each first)."""
    from desktop_app.attachments import prepare_file

    prepare_file(path)
    pillow_alone(path)
    ours: list[float] = []
    pillow: list[float] = []
    prepared = None
    for _ in range(runs):
        start = time.perf_counter()
        prepared = prepare_file(path)
        ours.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pillow_alone(path)
        pillow.append((time.perf_counter() - start) * 1000)
    return ours, pillow, prepared


# -- 4. peak memory in a child process -------------------------------------------------------------

_MEMORY_CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
from _common import rss_mb
from desktop_app.attachments import prepare_file
import pypdf  # what prepare_file uses for a PDF: imported before "idle", as a running app has it
gc.collect()
time.sleep(0.2)
idle, idle_peak = rss_mb(), rss_mb("VmHWM")
start = time.perf_counter()
prepared = prepare_file(sys.argv[2])
seconds = time.perf_counter() - start
peak = rss_mb("VmHWM")
print(json.dumps({"idle": idle, "idle_peak": idle_peak, "peak": peak, "after": rss_mb(),
                  "seconds": seconds, "chars": len(prepared.part.text), "pages": prepared.part.pages}))
"""


def measure_memory(path: Path, timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(BENCHMARKS_DIR), str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory child failed: {done.stderr.strip()[-400:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- 3. a history with pictures --------------------------------------------------------------------


@dataclass(frozen=True)
class PictureHistory:
    with_images: int
    without_images: int
    images: int
    stored_mb: float
    seconds: float


def build_picture_history(path: Path, images: int, size: tuple[int, int], seed: int) -> PictureHistory:
    """Two conversations of the same questions and answers; one's questions carry 5 images each
    (distinct photo-like JPEGs, prepared as Parley prepares them), stored with their thumbnails."""
    import random

    from _attachment_files import _prose_lines, photo_like
    from PIL import Image

    from desktop_app.attachments.images import make_thumbnail
    from desktop_app.core.attachment_keys import attachment_key
    from desktop_app.core.attachments import ImagePart
    from desktop_app.core.messages import Role
    from desktop_app.storage.history import SqliteHistory

    started = time.monotonic()
    rng = random.Random(seed)
    lines = _prose_lines(rng, 400)
    questions = max(1, images // 5)
    history = SqliteHistory(path)
    stored = 0
    try:
        plain = history.new_conversation("Quarterly site photos (text only)")
        pictured = history.new_conversation("Quarterly site photos")
        for q in range(questions):
            question = f"What do these photos from site {q + 1} show? " + rng.choice(lines)
            answer = "\n\n".join(" ".join(rng.choices(lines, k=4)) for _ in range(3))
            parts, thumbnails = [], {}
            for n in range(5):
                image = photo_like(*size, seed=seed * 1000 + q * 5 + n)
                assert isinstance(image, Image.Image)
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
                part = ImagePart(f"site-{q + 1}-{n + 1}.jpg", "image/jpeg", buffer.getvalue(), *size)
                parts.append(part)
                thumbnails[attachment_key(part)] = make_thumbnail(part)
                stored += len(part.data)
            history.append_message(plain, Role.USER, question)
            history.append_message(plain, Role.ASSISTANT, answer)
            history.append_message(pictured, Role.USER, question, parts=parts, thumbnails=thumbnails)
            history.append_message(pictured, Role.ASSISTANT, answer)
    finally:
        history.close()
    return PictureHistory(pictured, plain, questions * 5, stored / 1e6, time.monotonic() - started)


# -- 1 and 3 in the real window --------------------------------------------------------------------


async def open_runs(window: Any, built: PictureHistory, opens: int) -> dict[str, list[float]]:
    """Alternating opens from the sidebar: each timed from the click to the end of the first frame
    that paints the chat view."""
    from _history_ui import next_frame, select_conversation
    from _qt_probes import FrameProbe, settle

    await settle(0.5)
    probe = FrameProbe(window, window.chat_view.browser.viewport(), lambda: 0)
    probe.recording = True
    out: dict[str, list[float]] = {"images": [], "plain": []}
    try:
        for _ in range(opens):
            for key, conversation in (("plain", built.without_images), ("images", built.with_images)):
                start = time.monotonic_ns()
                select_conversation(window, conversation)
                frame = await next_frame(probe, start)
                if window.conversations.current != conversation:
                    raise RuntimeError(f"conversation {conversation} was not opened")
                out[key].append((frame.end_ns - start) / 1e6)
                await settle(0.3)
    finally:
        probe.remove()
    out["hidden_messages"] = [float(window.chat_view.hidden_message_count())]
    return out


async def stream_run(window: Any, server: Any, tap: Any, tokens: int, pdf: Path | None, seed: int) -> Any:
    """Enter, then (with a PDF) the file added to the composer's drafts at once; lag until the
    answer is painted and the PDF ready."""
    from _answer import answer_text
    from _app_driver import type_and_send
    from _qt_probes import LagProbe, settle, wait_until
    from _stream_server import StreamPlan

    from desktop_app.chat.drafts import DraftState

    expected = len(answer_text(tokens, seed))
    drafts = window.composer.drafts
    if drafts is None:
        raise RuntimeError("the window's composer has no drafts")
    window.conversations.new_chat()
    await settle(0.3)
    server.drain()
    server.plan(StreamPlan(tokens=tokens, rate=RATE))
    tap.reset()
    lag = LagProbe()
    lag.start()
    ready_ns = 0
    start = time.monotonic_ns()
    try:
        type_and_send(window, PROMPT)
        if pdf is not None:
            # Once the send has taken the composer's (empty) drafts: the file is for the next
            # message, as when a user attaches while an answer streams.
            await wait_until(lambda: window.composer.streaming, 10, 0.001)

            def settled() -> None:
                nonlocal ready_ns
                if not ready_ns and not drafts.is_busy():
                    ready_ns = time.monotonic_ns()

            drafts.changed.connect(settled)
            drafts.add_files([pdf])
        limit = tokens / RATE * 4 + 60
        await wait_until(lambda: tap.chars >= expected and not window.composer.streaming, limit)
        streamed_ns = time.monotonic_ns()
        if pdf is not None:
            await wait_until(lambda: bool(ready_ns), 120)
            drafts.changed.disconnect(settled)
        await settle(0.05)  # the last frames
        end = time.monotonic_ns()
    finally:
        lag.stop()
    record = await server.next_record_async(10)
    if not record.completed or tap.chars != expected:
        raise RuntimeError(f"got {tap.chars} of {expected} characters")
    pages = 0
    if pdf is not None:
        draft = drafts.drafts[-1]
        if draft.state is not DraftState.READY or draft.prepared is None:
            raise RuntimeError(f"the PDF was not prepared: {draft.state} {draft.error}")
        pages = int(getattr(draft.prepared.part, "pages", 0) or 0)
        drafts.clear()
    return {
        "lag": lag.lateness(start, end),
        "samples": lag.samples,
        "start": start,
        "stream_s": (streamed_ns - start) / 1e9,
        "ready_s": (ready_ns - start) / 1e9 if ready_ns else None,
        "pages": pages,
    }


def main(args: Any, report: Report) -> None:
    offscreen_environment()
    from _attachment_files import write_camera_jpeg, write_text_pdf

    sizes = Sizes.of(args.smoke)
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        folder = Path(tmp)
        files = folder / "files"
        files.mkdir()
        pdf = files / "report.pdf"
        pages = write_text_pdf(pdf, pages=sizes.pdf_pages, seed=args.seed)
        pdf_bytes = pdf.stat().st_size
        big_pdf = files / "big-report.pdf"
        big_pages = write_text_pdf(big_pdf, target_bytes=sizes.big_pdf_bytes, seed=args.seed + 1)
        jpeg = files / "camera.jpg"
        jpeg_bytes = write_camera_jpeg(jpeg, *sizes.jpeg, orientation=6, seed=args.seed)

        # 4: its own process, first, while the machine is otherwise quiet.
        memory = measure_memory(big_pdf, timeout=240)
        # 2: in this process, before Qt exists.
        jpeg_ours, jpeg_pillow, prepared = measure_jpeg(jpeg, sizes.jpeg_runs)

        from _app_driver import install_arrival_tap, prepare_data_dir, run_app
        from _stream_server import StreamServer

        data_dir = folder / "data"
        with StreamServer(sizes.answer_tokens, args.seed) as server:
            prepare_data_dir(data_dir, server.base_url)
            built = build_picture_history(
                data_dir / "history.sqlite3", sizes.images, sizes.image_size, args.seed
            )
            tap = install_arrival_tap()

            async def scenario(window: Any) -> dict[str, Any]:
                out: dict[str, Any] = {"open": await open_runs(window, built, sizes.opens)}
                # A first answer warms what the first stream of a session loads (highlighters, the
                # renderer's caches), so neither measured side pays for it.
                await stream_run(window, server, tap, sizes.answer_tokens // 3, None, args.seed)
                plain, extracting = [], []
                for _ in range(sizes.stream_rounds):
                    plain.append(await stream_run(window, server, tap, sizes.answer_tokens, None, args.seed))
                    extracting.append(
                        await stream_run(window, server, tap, sizes.answer_tokens, pdf, args.seed)
                    )
                out["plain"], out["extracting"] = plain, extracting
                return out

            ui = run_app(data_dir, scenario, limit_s=240 if args.smoke else 600)
            log = (data_dir / "parley.log").read_text(encoding="utf-8", errors="replace")

    add_figures(report, sizes, ui, jpeg_ours, jpeg_pillow, memory, built)
    report.note(
        f"files: {pages}-page PDF ({pdf_bytes / 1e6:.1f} MB), {sizes.jpeg[0]}x{sizes.jpeg[1]} JPEG "
        f"({jpeg_bytes / 1e6:.1f} MB) -> {prepared.part.width}x{prepared.part.height}, "
        f"{big_pages:,}-page PDF ({sizes.big_pdf_bytes / 1e6:.0f} MB) for memory; "
        f"{built.images} images ({built.stored_mb:.0f} MB) stored in {built.seconds:.1f} s"
    )
    problems = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    if problems:
        report.note(f"the app logged {len(problems)} error line(s), first: {problems[0][:200]}")


def span_lag(run: dict[str, Any], span_ns: int) -> list[float]:
    """Lag samples of a run's first `span_ns` after Enter."""
    start = run["start"]
    return [max(0.0, late) for t, late in run["samples"] if start <= t <= start + span_ns]


def add_figures(
    report: Report,
    sizes: Sizes,
    ui: dict[str, Any],
    jpeg_ours: list[float],
    jpeg_pillow: list[float],
    memory: dict[str, Any],
    built: PictureHistory,
) -> None:
    plain, extracting = ui["plain"], ui["extracting"]
    with_pdf = [Summary.of(r["lag"]) for r in extracting]
    without = [Summary.of(r["lag"]) for r in plain]
    worst = max(s.p99 for s in with_pdf)
    figure = report.add(
        Figure(
            f"loop lag p99, {RATE:,} tok/s + {sizes.pdf_pages}-page PDF (worst of {len(with_pdf)})",
            worst,
            "ms",
            max(s.p99 for s in without),
            "same stream, no file",
        )
    )
    figure.goal, figure.met = f"< {LAG_GOAL_MS:.0f} ms", below(worst, LAG_GOAL_MS)
    # Over the extraction alone: Enter -> PDF ready, against the same span of the plain stream.
    spans = [r["ready_s"] * 1e9 for r in extracting]
    during = [Summary.of(span_lag(r, int(r["ready_s"] * 1e9))) for r in extracting]
    same_span = [Summary.of(span_lag(p, int(s))) for p, s in zip(plain, spans, strict=True)]
    report.add(
        Figure(
            "loop lag p99 while extracting (Enter -> PDF ready, worst)",
            max(s.p99 for s in during),
            "ms",
            max(s.p99 for s in same_span),
            "same span, no file",
        )
    )
    report.add(
        Figure(
            "loop lag max while extracting (worst)",
            max(s.max for s in during),
            "ms",
            max(s.max for s in same_span),
            "same span, no file",
        )
    )
    ready = [r["ready_s"] * 1000 for r in extracting]
    streams = [r["stream_s"] * 1000 for r in extracting]
    report.add(
        Figure(
            f"{sizes.pdf_pages}-page PDF ready after Enter (median)",
            statistics.median(ready),
            "ms",
            statistics.median(streams),
            "answer fully shown",
        )
    )
    ours, pillow = statistics.median(jpeg_ours), statistics.median(jpeg_pillow)
    megapixels = sizes.jpeg[0] * sizes.jpeg[1] / 1e6
    image = report.add(
        Figure(
            f"prepare_file, {megapixels:.0f} MP JPEG (median of {len(jpeg_ours)})",
            ours,
            "ms",
            pillow,
            "Pillow open+exif_transpose+thumbnail+save",
        )
    )
    image.goal = f"<= {IMAGE_GOAL_RATIO}x"
    image.met = image.ratio is not None and at_most(image.ratio, IMAGE_GOAL_RATIO)
    opened, opened_plain = Summary.of(ui["open"]["images"]), Summary.of(ui["open"]["plain"])
    worst_open = report.add(
        Figure(
            f"open conversation with {built.images} images -> first paint (worst)",
            opened.max,
            "ms",
            opened_plain.max,
            "same conversation, no images",
        )
    )
    worst_open.goal, worst_open.met = f"< {OPEN_GOAL_MS:.0f} ms", below(opened.max, OPEN_GOAL_MS)
    report.add(
        Figure(
            f"open conversation with {built.images} images (median)",
            opened.p50,
            "ms",
            opened_plain.p50,
            "same conversation, no images",
        )
    )
    big_mb = sizes.big_pdf_bytes / 1e6
    report.add(
        Figure(
            f"peak RSS preparing a {big_mb:.0f} MB PDF", memory["peak"], "MiB", memory["idle"], "idle process"
        )
    )
    report.add(
        Figure(
            f"RSS growth preparing a {big_mb:.0f} MB PDF",
            memory["peak"] - memory["idle"],
            "MiB",
            big_mb / 1.048576,
            "the file's size",
        )
    )
    report.add(Figure(f"{big_mb:.0f} MB PDF prepared in", memory["seconds"] * 1000, "ms"))
    report.note(
        f"memory: {memory['pages']:,} pages, {memory['chars'] / 1e6:.1f} M characters of text kept; "
        "no goal (reported)"
    )
    report.note(
        "extraction rounds: PDF ready "
        + ", ".join(f"{r:.0f}" for r in ready)
        + " ms after Enter; answer shown "
        + ", ".join(f"{s:.0f}" for s in streams)
        + " ms; lag p99 with/without: "
        + ", ".join(f"{a.p99:.1f}/{b.p99:.1f}" for a, b in zip(with_pdf, without, strict=True))
        + " ms"
    )
    hidden = int(ui["open"]["hidden_messages"][0])
    if hidden:
        report.note(f"the opened conversation's view kept {hidden} earlier messages for later")
    report.details = {
        "lag_p99_with_pdf_ms": [s.p99 for s in with_pdf],
        "lag_p99_without_ms": [s.p99 for s in without],
        "pdf_ready_ms": ready,
        "answer_shown_ms": streams,
        "jpeg_prepare_ms": jpeg_ours,
        "jpeg_pillow_ms": jpeg_pillow,
        "open_images_ms": ui["open"]["images"],
        "open_plain_ms": ui["open"]["plain"],
        "memory_mib": memory,
    }


def entry(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    report = Report("attachments", args.smoke, "Attachments: extraction, images and pictures in history")
    return run_main(main, args, report)


if __name__ == "__main__":
    sys.exit(entry())
