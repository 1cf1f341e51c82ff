"""`parley --selftest` (desktop_app/selftest*.py): run for real in a child process, as the packaged
app runs it, plus its failure handling in process. The keychain is pinned per test through
PYTHON_KEYRING_BACKEND, so no test touches the developer's own keychain."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from desktop_app import selftest

REPO = Path(__file__).resolve().parents[2]
CHECKS = (
    "qt", "plugins", "loop", "http", "tls", "settings", "history",
    "attach-image", "attach-pdf", "attach-xlsx", "attach-text",
    "keychain", "icons", "translations", "paths",
)  # fmt: skip
SCRATCH_CHECKS = {"settings", "history", "attach-image", "attach-pdf", "attach-xlsx", "attach-text"}
LINE = re.compile(r"^(ok|warn|FAIL) +(\S+) +(.+)$")


class MemoryKeyring(KeyringBackend):
    """A secure-looking in-memory keychain the child process loads by name."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("read-only")


def run_selftest(
    data_dir: Path, *, keyring_backend: str | None, stdout: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHON_KEYRING_BACKEND"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if keyring_backend is not None:
        env["PYTHON_KEYRING_BACKEND"] = keyring_backend
    code = (
        "import pathlib, sys; from desktop_app.selftest_gui import run_selftest; "
        "sys.exit(run_selftest(pathlib.Path(sys.argv[1])))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(data_dir)],
        cwd=REPO,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def results(stdout: str) -> dict[str, tuple[str, str]]:
    lines = stdout.splitlines()
    assert lines[0].startswith("Parley ")
    assert lines[0].endswith(" selftest")
    found = {}
    for line in lines[1:-1]:
        match = LINE.match(line)
        assert match, f"not a check line: {line!r}"
        found[match.group(2)] = (match.group(1), match.group(3))
    return found


def test_everything_passes_and_a_missing_keychain_is_only_a_warning(tmp_path: Path) -> None:
    child = run_selftest(tmp_path, keyring_backend="keyring.backends.fail.Keyring")
    out, err = child.communicate(timeout=90)

    found = results(out)
    assert tuple(found) == CHECKS
    assert found["keychain"][0] == "warn"
    assert found["keychain"][1].startswith("unavailable: No secure keychain")
    assert {name for name, (status, _) in found.items() if status != "ok"} == {"keychain"}
    assert found["http"][1].startswith("aiohttp ")
    assert "Yqcloud stream from 127.0.0.1:" in found["http"][1]
    assert found["paths"][1] == f"everything in {tmp_path}"
    assert found["attach-image"][1].endswith(": PNG, JPEG, WEBP, GIF written, prepared and re-encoded")
    assert found["attach-pdf"][1].startswith("pypdf ")
    assert "page 1 rendered as a 1275x1651 PNG" in found["attach-pdf"][1]  # 612x792 pt at 150 dpi
    assert found["attach-xlsx"][1].startswith("openpyxl ")
    assert found["attach-text"][1].endswith("cp1251 text recognised")
    assert out.splitlines()[-1] == "all checks passed"
    assert child.returncode == 0
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # the scratch folder is gone


def test_a_working_keychain_is_reported_ok(tmp_path: Path) -> None:
    child = run_selftest(tmp_path, keyring_backend=f"{__name__}.MemoryKeyring")
    out, _ = child.communicate(timeout=90)

    status, detail = results(out)["keychain"]
    assert (status, child.returncode) == ("ok", 0)
    assert "MemoryKeyring" in detail


@pytest.mark.keychain
def test_the_real_secret_service_is_found(tmp_path: Path) -> None:
    if os.environ.get("PARLEY_TEST_KEYCHAIN") != "1":
        pytest.skip(
            "needs the isolated D-Bus + gnome-keyring session of scripts/test (PARLEY_TEST_KEYCHAIN=1)"
        )
    child = run_selftest(tmp_path, keyring_backend=None)
    out, _ = child.communicate(timeout=90)

    assert results(out)["keychain"] == ("ok", "SecretService Keyring (read-only check)")


def test_an_unwritable_data_dir_fails_those_checks_in_one_line_each(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way", encoding="utf-8")
    child = run_selftest(not_a_folder, keyring_backend="keyring.backends.fail.Keyring")
    out, err = child.communicate(timeout=90)

    found = results(out)
    failed = {name for name, (status, _) in found.items() if status == "FAIL"}
    assert failed == SCRATCH_CHECKS
    expected = f"cannot make a temporary folder in {not_a_folder}: File exists"
    assert {found[name] for name in SCRATCH_CHECKS} == {("FAIL", expected)}
    assert out.splitlines()[-1] == f"{len(SCRATCH_CHECKS)} of {len(CHECKS)} checks failed"
    assert child.returncode == 1
    assert "Traceback" not in err


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path: Path) -> None:
    with run_selftest(tmp_path, keyring_backend="keyring.backends.fail.Keyring") as child:
        assert child.stdout is not None
        assert child.stderr is not None
        first = child.stdout.readline()
        child.stdout.close()  # like `parley --selftest | head -1`
        err = child.stderr.read()
        child.wait(timeout=90)

    assert first.startswith("Parley ")
    assert child.returncode == 0
    assert "Error" not in err
    assert "Traceback" not in err


# --- in process: how results become lines --------------------------------------------------------


async def test_an_exception_becomes_one_fail_line() -> None:
    async def broken() -> str:
        raise OSError("disk\nfull")

    result = await selftest._run_one("disk", broken)

    assert result.line() == "FAIL disk          OSError: disk full"


async def test_a_degraded_part_is_a_warning() -> None:
    async def degraded() -> str:
        raise selftest.DegradedError("unavailable: no keychain")

    assert (await selftest._run_one("keychain", degraded)).status is selftest.Status.WARN


async def test_a_check_that_hangs_fails_after_its_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "CHECK_TIMEOUT", 0.05)
    never = asyncio.Event()

    async def hangs() -> str:
        await never.wait()
        return "unreachable"

    result = await selftest._run_one("slow", hangs)

    assert (result.status, result.detail) == (selftest.Status.FAIL, "did not finish in 0.05 s")


async def test_the_http_check_fails_when_the_stream_is_not_what_was_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(selftest, "HTTP_EXPECTED", "something else")

    result = await selftest._run_one("http", selftest.check_http)

    assert result.line() == "FAIL http          expected 'something else', got 'Parley selftest: Привет'"


async def test_an_image_prepared_wrongly_fails_the_attachment_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(selftest, "ATTACH_IMAGES", (("WEBP", ".webp", "image/webp"),))
    scratch = selftest.Scratch(tmp_path)
    try:
        result = await selftest._run_one("attach-image", lambda: selftest.check_attach_images(scratch))
    finally:
        scratch.cleanup()

    assert result.line() == "FAIL attach-image  selftest.webp became image/png 64x48, not image/webp 64x48"


async def test_the_one_page_pdf_is_read_and_rendered(tmp_path: Path) -> None:
    scratch = selftest.Scratch(tmp_path)
    try:
        detail = await selftest.check_attach_pdf(scratch)
    finally:
        scratch.cleanup()

    assert detail.endswith("page 1 rendered as a 1275x1651 PNG")
