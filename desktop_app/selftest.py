"""`parley --selftest`, the part without widgets: each check of Parley's machinery, and the run
that prints one line per check.

    ok   qt            PySide6 6.11.3 / Qt 6.11.3, platform offscreen
    warn keychain      unavailable: No secure keychain is available (...)
    FAIL history       Could not open history: ...

Exit 0 when nothing failed. An unavailable keychain is a warning, not a failure: Parley works
without one (it only cannot save API keys). Everything written goes to a temporary folder
(inside `--data-dir` when given) that is removed afterwards; the user's own settings, history
and keychain are only read, never changed. Made for packaged builds: it proves the bundle
has its Qt plugins, SSL, SQLite with FTS5, resources, the asyncio/Qt event loop, and what
attachments need (Pillow's codecs, pypdf, PDFium, openpyxl, charset-normalizer): files made
here are prepared as the app prepares them. The attachment libraries are imported inside their
checks, so a bundle that lacks one reports a FAIL line instead of stopping the selftest.

`selftest_gui.py` makes the QApplication, adds the checks that need widgets (a widget grabbed,
the icons drawn) and decides the order; this module imports no widgets (the layers contract in
pyproject.toml keeps it beside `ui`, not above it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import socket
import sqlite3
import ssl
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final, TextIO, TypeAlias

import aiohttp
import truststore
from aiohttp import web
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTimer, QTranslator

from desktop_app import __version__
from desktop_app.core.errors import SecretStoreError
from desktop_app.core.events import TextDelta
from desktop_app.core.messages import ChatRequest, Message, MessageStatus, Role
from desktop_app.gui_thread import objects_die_on_the_gui_thread
from desktop_app.i18n import TRANSLATIONS_DIR
from desktop_app.net.session import HttpClient, NetworkConfig, default_ssl_context
from desktop_app.providers.yqcloud import Yqcloud
from desktop_app.qt_async import close_event_loop, create_event_loop
from desktop_app.storage.history import SqliteHistory
from desktop_app.storage.paths import resolve_paths
from desktop_app.storage.secrets import KeyringSecrets
from desktop_app.storage.settings import Keys, Settings

CHECK_TIMEOUT: Final = 20.0  # seconds per check; the keychain has its own, shorter limit
KEYCHAIN_TIMEOUT: Final = 5.0
# Split inside a two-byte letter on purpose: the stream decoder must put it back together.
HTTP_CHUNKS: Final = (b"Parley ", "selftest: Пр".encode()[:-1], "Пр".encode()[-1:] + "ивет".encode())
HTTP_EXPECTED: Final = "Parley selftest: Привет"
# Where OpenSSL-based systems keep their CA bundle (the same places truststore searches).
CA_FILES: Final = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
)
# Attachments: the image formats Pillow must read (name, suffix, the MIME type sent after
# re-encoding), the text of the one-page PDF, and a text file only an encoding guess can read.
ATTACH_IMAGES: Final = (
    ("PNG", ".png", "image/png"),
    ("JPEG", ".jpg", "image/jpeg"),
    ("WEBP", ".webp", "image/png"),
    ("GIF", ".gif", "image/png"),
)
ATTACH_IMAGE_SIZE: Final = (64, 48)
ATTACH_PDF_TEXT: Final = "Parley selftest PDF"
ATTACH_TEXT: Final = "Съешь же ещё этих мягких французских булок, да выпей чаю.\n"
ATTACH_TEXT_ENCODING: Final = "cp1251"
# Qt plugins each OS needs: folder → plugin names (file names without "lib" and suffix).
REQUIRED_PLUGINS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "linux": {
        "platforms": ("qxcb", "qwayland", "qoffscreen"),
        "platformthemes": ("qxdgdesktopportal",),
        "platforminputcontexts": ("composeplatforminputcontextplugin",),
        "iconengines": ("qsvgicon",),
        "imageformats": ("qsvg",),
    },
    "win32": {"platforms": ("qwindows",), "iconengines": ("qsvgicon",), "imageformats": ("qsvg",)},
    "darwin": {"platforms": ("qcocoa",), "iconengines": ("qsvgicon",), "imageformats": ("qsvg",)},
}
log = logging.getLogger(__name__)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


class CheckFailedError(Exception):
    """A check found a fault; the message says which, in words a user can act on."""


class DegradedError(Exception):
    """Something Parley can live without is missing (the keychain): reported as a warning."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<5}{self.name:<14}{self.detail}"


@dataclass
class Scratch:
    """Temporary folders for checks that write, made on first use and removed at the end."""

    parent: Path | None
    _temp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    def folder(self, name: str) -> Path:
        if self._temp is None:
            try:
                if self.parent is not None:
                    self.parent.mkdir(parents=True, exist_ok=True)
                self._temp = tempfile.TemporaryDirectory(prefix="parley-selftest-", dir=self.parent)
            except OSError as exc:
                where = self.parent or Path(tempfile.gettempdir())
                raise CheckFailedError(f"cannot make a temporary folder in {where}: {exc.strerror}") from None
        path = Path(self._temp.name) / name
        path.mkdir()
        return path

    def cleanup(self) -> None:
        if self._temp is not None:
            self._temp.cleanup()


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the checks: each returns its detail text, raises DegradedError or fails with any exception ---


async def check_plugins() -> str:
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    required = REQUIRED_PLUGINS.get("linux" if sys.platform.startswith("linux") else sys.platform, {})
    missing, found = [], 0
    for kind, names in required.items():
        present = {p.name.split(".")[0].removeprefix("lib") for p in (folder / kind).glob("*")}
        for name in names:
            if name in present:
                found += 1
            else:
                missing.append(f"{kind}/{name}")
    if missing:
        raise CheckFailedError(f"missing from {folder}: {', '.join(missing)}")
    return f"{found} required plugins in {folder}"


async def check_loop() -> str:
    loop = asyncio.get_running_loop()
    fired: asyncio.Future[str] = loop.create_future()

    def on_timeout() -> None:
        if not fired.done():
            fired.set_result("Qt timer")

    QTimer.singleShot(0, on_timeout)

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    result = await asyncio.create_task(answer())
    source = await asyncio.wait_for(fired, 5)
    if result != 42:
        raise CheckFailedError(f"a task returned {result!r}")
    return f"{type(loop).__module__}.{type(loop).__name__}: an asyncio task and a {source} ran"


async def check_http() -> str:
    received: list[bytes] = []

    async def generate(request: web.Request) -> web.StreamResponse:
        received.append(await request.read())
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        for chunk in HTTP_CHUNKS:
            await response.write(chunk)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/api/generateStream", generate)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        port = sock.getsockname()[1]
        started = time.perf_counter()
        async with HttpClient(NetworkConfig(timeout=10)) as http:
            provider = Yqcloud(api_endpoint=f"http://127.0.0.1:{port}/api/generateStream", http=http)
            request = ChatRequest((Message(Role.USER, "selftest"),))
            parts = []
            async with contextlib.aclosing(provider.stream(request)) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        parts.append(event.text)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        await runner.cleanup()
        sock.close()
    text = "".join(parts)
    if text != HTTP_EXPECTED:
        raise CheckFailedError(f"expected {HTTP_EXPECTED!r}, got {text!r}")
    if not received or b"selftest" not in received[0]:
        raise CheckFailedError("the server did not receive the prompt")
    return f"aiohttp {aiohttp.__version__}, Yqcloud stream from 127.0.0.1:{port} in {elapsed:.0f} ms"


async def check_tls() -> str:
    context = default_ssl_context()
    if not isinstance(context, truststore.SSLContext):
        raise CheckFailedError(f"the TLS context is {type(context).__name__}, not truststore's")
    detail = f"truststore {truststore.__version__}, {ssl.OPENSSL_VERSION}"
    if sys.platform in ("win32", "darwin"):
        return f"{detail}, the system's certificate store"
    # OpenSSL-based systems: the CA bundle must exist and load (truststore reads the same file).
    bundle = _system_ca_bundle()
    if bundle is None:
        raise CheckFailedError("no system CA certificates found (install the ca-certificates package)")
    probe = ssl.create_default_context(cafile=bundle)
    count = probe.cert_store_stats()["x509_ca"]
    if count == 0:
        raise CheckFailedError(f"{bundle} holds no CA certificates")
    return f"{detail}, {count} CA certificates from {bundle}"


def _system_ca_bundle() -> str | None:
    defaults = ssl.get_default_verify_paths()
    candidates = [defaults.cafile] if defaults.cafile else []
    return next((path for path in [*candidates, *CA_FILES] if os.path.isfile(path)), None)


async def check_settings(scratch: Scratch) -> str:
    path = scratch.folder("settings") / "settings.ini"
    Settings(path).update({Keys.TIMEOUT: 77, Keys.PROXY_HOST: "proxy.example"})
    again = Settings(path)
    values = (again.get(Keys.TIMEOUT), again.get(Keys.PROXY_HOST))
    if values != (77, "proxy.example"):
        raise CheckFailedError(f"wrote (77, 'proxy.example'), read back {values}")
    return f"INI written and read back ({path.stat().st_size} bytes)"


async def check_history(scratch: Scratch) -> str:
    path = scratch.folder("history") / "history.sqlite3"
    with SqliteHistory(path) as history:
        conversation = history.new_conversation(system_prompt="")
        history.append_message(conversation, Role.USER, "selftest: Привет")
        answer = history.append_message(conversation, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
        history.update_message(answer, "ответ", status=MessageStatus.COMPLETE)
    with SqliteHistory(path) as history:
        contents = [m.content for m in history.messages(conversation)]
        hits = history.search("Привет")
    if contents != ["selftest: Привет", "ответ"]:
        raise CheckFailedError(f"read back {contents!r}")
    if not hits:
        raise CheckFailedError("full-text search (FTS5) found nothing")
    return f"SQLite {sqlite3.sqlite_version}: written, reopened, read back, found by full-text search"


async def check_keychain() -> str:
    secrets = KeyringSecrets(timeout=KEYCHAIN_TIMEOUT)
    try:
        backend = await secrets.describe()
    except SecretStoreError as exc:
        raise DegradedError(f"unavailable: {exc}") from None
    return f"{backend} (read-only check)"


async def check_translations() -> str:
    qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not QTranslator().load("qtbase_ru", qt_folder):
        raise CheckFailedError(f"Qt's own Russian translation is missing from {qt_folder}")
    catalogs = sorted(TRANSLATIONS_DIR.glob("*.qm")) if TRANSLATIONS_DIR.is_dir() else []
    broken = [p.name for p in catalogs if not QTranslator().load(str(p))]
    if broken:
        raise CheckFailedError(f"cannot load {', '.join(broken)}")
    parley = ", ".join(p.stem for p in catalogs) or "none yet"
    return f"Qt's qtbase_ru; Parley's: {parley}"


async def check_paths(data_dir: Path | None) -> str:
    paths = resolve_paths(data_dir)
    if paths.config_dir == paths.data_dir:
        return f"everything in {paths.data_dir}"
    return f"settings in {paths.config_dir}, history in {paths.data_dir}"


# Attachments are prepared on a worker thread (the PDF in a worker process, as the app does).


async def check_attach_images(scratch: Scratch) -> str:
    import PIL
    from PIL import Image

    from desktop_app.attachments import prepare_file
    from desktop_app.core.attachments import ImagePart

    folder = scratch.folder("attach-images")
    done = []
    for pillow_format, suffix, mime in ATTACH_IMAGES:
        path = folder / f"selftest{suffix}"
        image = Image.new("RGB", ATTACH_IMAGE_SIZE, (40, 120, 200))
        image.paste((250, 200, 20), (0, 0, ATTACH_IMAGE_SIZE[0] // 2, ATTACH_IMAGE_SIZE[1]))
        try:
            image.save(path, format=pillow_format)
        except (KeyError, OSError) as exc:  # KeyError: no encoder registered under that name
            detail = f"{type(exc).__name__}: {exc}"
            raise CheckFailedError(f"Pillow cannot write {pillow_format}: {detail}") from None
        prepared = await asyncio.to_thread(prepare_file, path)
        part = prepared.part
        if not isinstance(part, ImagePart):
            raise CheckFailedError(f"{path.name} was prepared as {type(part).__name__}, not an image")
        if (part.mime, (part.width, part.height)) != (mime, ATTACH_IMAGE_SIZE):
            raise CheckFailedError(
                f"{path.name} became {part.mime} {part.width}x{part.height}, "
                f"not {mime} {ATTACH_IMAGE_SIZE[0]}x{ATTACH_IMAGE_SIZE[1]}"
            )
        with Image.open(io.BytesIO(part.data)) as encoded:
            encoded.load()
        done.append(pillow_format)
    return f"Pillow {PIL.__version__}: {', '.join(done)} written, prepared and re-encoded"


def write_one_page_pdf(path: Path, text: str) -> None:
    """A one-page PDF showing `text` (ASCII) in Helvetica, written byte by byte."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii")
    content = b"BT /F1 24 Tf 72 700 Td (" + escaped + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())


async def check_attach_pdf(scratch: Scratch) -> str:
    import pypdf
    import pypdfium2.version  # reads the version.json files both pypdfium2 packages ship

    from desktop_app.attachments import AttachmentLimits, render_pdf_pages
    from desktop_app.attachments.worker import ProcessPreparer
    from desktop_app.core.attachments import DocumentPart

    path = scratch.folder("attach-pdf") / "selftest.pdf"
    write_one_page_pdf(path, ATTACH_PDF_TEXT)
    # In the worker process, as the app prepares documents (a frozen app must be able to start it).
    preparer = ProcessPreparer()
    try:
        prepared = await asyncio.to_thread(preparer.prepare_in_process, path, AttachmentLimits())
        pid = preparer.pid
    finally:
        await asyncio.to_thread(preparer.close)
    if pid is None or pid == os.getpid():
        raise CheckFailedError(f"the PDF was not prepared in a worker process (pid {pid})")
    part = prepared.part
    if not isinstance(part, DocumentPart) or part.pages != 1:
        raise CheckFailedError(f"the one-page PDF was prepared as {part!r:.120}")
    if ATTACH_PDF_TEXT not in part.text or prepared.textless_pages:
        raise CheckFailedError(f"expected the text {ATTACH_PDF_TEXT!r}, read {part.text!r:.120}")
    (page,) = await asyncio.to_thread(render_pdf_pages, path, [1])
    if page.mime != "image/png" or not page.data.startswith(b"\x89PNG") or min(page.width, page.height) < 1:
        raise CheckFailedError(f"rendering page 1 gave {page.mime} {page.width}x{page.height}")
    pdfium, wrapper = pypdfium2.version.PDFIUM_INFO.tag, pypdfium2.version.PYPDFIUM_INFO.version
    return (
        f"pypdf {pypdf.__version__}: 1 page, its text read in a worker process; "
        f"pypdfium2 {wrapper} (PDFium {pdfium}): page 1 rendered as a {page.width}x{page.height} PNG"
    )


async def check_attach_xlsx(scratch: Scratch) -> str:
    import openpyxl

    from desktop_app.attachments import prepare_file

    path = scratch.folder("attach-xlsx") / "selftest.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Selftest"
    sheet.append(["name", "count"])
    sheet.append(["Привет", 42])
    workbook.save(path)
    prepared = await asyncio.to_thread(prepare_file, path)
    text = getattr(prepared.part, "text", "")
    expected = ("## Sheet: Selftest", "Привет", "42")
    if not all(piece in text for piece in expected):
        raise CheckFailedError(f"expected a table with {', '.join(expected)}; got {text!r:.120}")
    return f"openpyxl {openpyxl.__version__}: a workbook written, its sheet read as a table"


async def check_attach_text(scratch: Scratch) -> str:
    import charset_normalizer
    import charset_normalizer.md

    from desktop_app.attachments import prepare_file

    path = scratch.folder("attach-text") / "selftest.txt"
    path.write_bytes(ATTACH_TEXT.encode(ATTACH_TEXT_ENCODING))
    prepared = await asyncio.to_thread(prepare_file, path)
    text = getattr(prepared.part, "text", "")
    if text != ATTACH_TEXT:
        raise CheckFailedError(f"read {text!r:.80} ({'; '.join(prepared.notes)})")
    compiled = not str(getattr(charset_normalizer.md, "__file__", "")).endswith((".py", ".pyc"))
    speed = "compiled" if compiled else "pure Python"
    version = charset_normalizer.__version__
    return f"charset-normalizer {version} ({speed}): {ATTACH_TEXT_ENCODING} text recognised"


# --- running them --------------------------------------------------------------------------------


Check: TypeAlias = tuple[str, Callable[[], Awaitable[str]]]  # a name and what checks it


async def run_checks(checks: Sequence[Check], report: Callable[[CheckResult], None]) -> list[CheckResult]:
    """Run `checks` one after another; each result is reported as soon as it is known."""
    results = []
    for name, check in checks:
        result = await _run_one(name, check)
        report(result)
        results.append(result)
    return results


async def _run_one(name: str, check: Callable[[], Awaitable[str]]) -> CheckResult:
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except DegradedError as warning:
        return CheckResult(name, Status.WARN, one_line(str(warning)))
    except TimeoutError:
        return CheckResult(name, Status.FAIL, f"did not finish in {CHECK_TIMEOUT:g} s")
    except CheckFailedError as failure:
        return CheckResult(name, Status.FAIL, one_line(str(failure)))
    except Exception as exc:  # every failure is reported as a line, never a traceback
        log.debug("Selftest check %s failed", name, exc_info=True)
        return CheckResult(name, Status.FAIL, one_line(f"{type(exc).__name__}: {exc}"))
    return CheckResult(name, Status.OK, one_line(detail))


class _Output:
    """Lines to stdout, flushed one by one. A reader that goes away (`| head`) ends the output
    quietly: stdout is pointed at the null device so the final flush cannot complain."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write_line(self, text: str) -> None:
        if self._stream is None:  # a windowed executable on Windows has no stdout
            return
        try:
            self._stream.write(text + "\n")
            self._stream.flush()
        except OSError:
            self._stream = None
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)


def run(
    app: QCoreApplication,
    data_dir: Path | None,
    checks: Callable[[Scratch], Sequence[Check]],
    *,
    out: TextIO | None,
) -> int:
    """Run the checks `checks(scratch)` lists on a qasync loop over `app`; print a heading, one
    line per check and a summary to `out` (None: nowhere, a windowed executable has no stdout);
    return 0 if none failed, else 1. Checks that write use `scratch`, a temporary folder inside
    `data_dir` (else the system's) that is removed at the end."""
    output = _Output(out)
    root = logging.getLogger()
    quiet = logging.NullHandler()  # the lines say what failed; keep stray log records off stderr
    if not root.handlers:
        root.addHandler(quiet)
    scratch = Scratch(data_dir)
    with objects_die_on_the_gui_thread(app):
        loop = create_event_loop(app)
        asyncio.set_event_loop(loop)
        output.write_line(f"Parley {__version__} selftest")
        try:
            results = loop.run_until_complete(
                run_checks(checks(scratch), lambda result: output.write_line(result.line()))
            )
        finally:
            scratch.cleanup()
            close_event_loop(loop)
            asyncio.set_event_loop(None)
            root.removeHandler(quiet)
    failed = [r.name for r in results if r.status is Status.FAIL]
    output.write_line(f"{len(failed)} of {len(results)} checks failed" if failed else "all checks passed")
    return 1 if failed else 0
