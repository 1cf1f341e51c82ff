"""The keychain wrapper against real keyring backends: keyring's own fail and null backends,
in-process backends that implement keyring's `KeyringBackend` (memory, blocking, raising, low
priority), and the real Secret Service inside the isolated session `scripts/test` starts.
Nothing here can reach the developer's own keychain: every test hands in its backend, and the
Secret Service test runs only when PARLEY_TEST_KEYCHAIN=1 announces that session."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.core
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from desktop_app.core.errors import SecretStoreError
from desktop_app.storage.secrets import KeyringSecrets

SECRET = "sk-test-VALUE-never-logged-1234"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class PlaintextLikeKeyring(MemoryKeyring):
    """keyrings.alt's PlaintextKeyring has priority 0.5: usable, but files anyone can read."""

    priority = 0.5  # type: ignore[assignment]


class BlockingKeyring(MemoryKeyring):
    """Behaves like a keychain behind a D-Bus autostart that hangs: get_password blocks until
    released (bounded, so the thread always ends)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.entered.set()
        self.release.wait(timeout=10)
        return super().get_password(service, username)


class DBusLikeError(Exception):
    """Not a KeyringError, like jeepney's DBusErrorResponse."""


class RaisingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise DBusLikeError(f"org.freedesktop.DBus.Error.ServiceUnknown while storing {password}")


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Put keyring's process-wide backend back as it was (without resolving one if none was)."""
    saved = keyring.core._keyring_backend
    try:
        yield
    finally:
        keyring.core._keyring_backend = saved


async def test_round_trip_with_a_secure_backend() -> None:
    backend = MemoryKeyring()
    secrets = KeyringSecrets(backend=backend)
    assert await secrets.get("api_key/openai") is None
    await secrets.set("api_key/openai", SECRET)
    assert backend.items == {("Parley", "api_key/openai"): SECRET}
    assert await secrets.get("api_key/openai") == SECRET
    await secrets.delete("api_key/openai")
    await secrets.delete("api_key/openai")  # deleting what is not there is not an error
    assert backend.items == {}
    assert await secrets.describe() == "test secrets MemoryKeyring"


async def test_keyrings_fail_backend_fails_closed(restore_keyring: None) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secrets = KeyringSecrets()  # keyring's own choice: the fail backend just set
    with pytest.raises(SecretStoreError) as caught:
        await secrets.set("api_key/openai", SECRET)
    assert str(caught.value) == (
        "No secure keychain is available (keyring's fail backend); the key was not saved."
    )
    with pytest.raises(SecretStoreError, match="the saved key could not be read"):
        await secrets.get("api_key/openai")


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        (keyring.backends.null.Keyring(), "Only an insecure keychain is available (Keyring)"),
        (PlaintextLikeKeyring(), "Only an insecure keychain is available (PlaintextLikeKeyring)"),
    ],
)
async def test_insecure_backends_are_refused(backend: KeyringBackend, expected: str) -> None:
    with pytest.raises(SecretStoreError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        await KeyringSecrets(backend=backend).set("api_key/x", SECRET)
    if isinstance(backend, MemoryKeyring):
        assert backend.items == {}


async def test_a_chain_without_a_secure_member_is_refused() -> None:
    class EmptyChain(keyring.backends.chainer.ChainerBackend):
        backends = []  # type: ignore[assignment]  # noqa: RUF012

    with pytest.raises(SecretStoreError, match=r"No secure keychain is available \(keyring found none\)"):
        await KeyringSecrets(backend=EmptyChain()).set("api_key/x", SECRET)


async def test_a_chain_uses_its_secure_member_and_never_the_plaintext_one() -> None:
    plaintext, secure = PlaintextLikeKeyring(), MemoryKeyring()

    class MixedChain(keyring.backends.chainer.ChainerBackend):
        backends = [plaintext, secure]  # type: ignore[assignment]  # noqa: RUF012

    secrets = KeyringSecrets(backend=MixedChain())
    await secrets.set("api_key/x", SECRET)
    assert secure.items == {("Parley", "api_key/x"): SECRET}
    assert plaintext.items == {}


async def test_any_backend_exception_is_one_line_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(SecretStoreError) as caught:
        await KeyringSecrets(backend=RaisingKeyring()).set("api_key/x", SECRET)
    message = str(caught.value)
    assert message == "The system keychain failed (DBusLikeError); the key was not saved."
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert SECRET not in caplog.text


async def test_a_blocked_keychain_times_out_while_the_loop_keeps_running() -> None:
    backend = BlockingKeyring()
    backend.items[("Parley", "api_key/x")] = SECRET
    secrets = KeyringSecrets(backend=backend, timeout=0.3)
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(1000):  # bounded: ~10 s at most
            ticks.append(loop.time())
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    try:
        started = time.monotonic()
        with pytest.raises(SecretStoreError) as caught:
            await secrets.get("api_key/x")
        elapsed = time.monotonic() - started
        assert (
            str(caught.value)
            == "The system keychain did not answer in 0.3 s; the saved key could not be read."
        )
        assert 0.25 <= elapsed < 1.0
        assert backend.entered.is_set()
        during = [t for t in ticks if t >= started - 0.01]
        assert len(during) >= 10  # the loop ran its timer all along
        assert max(b - a for a, b in itertools.pairwise(during)) < 0.15

        # While the stuck call is still blocked, new calls fail at once instead of piling up threads.
        started = time.monotonic()
        with pytest.raises(SecretStoreError, match="still not answering; the key was not saved"):
            await secrets.set("api_key/x", "other")
        assert time.monotonic() - started < 0.05
    finally:
        ticking.cancel()
        backend.release.set()

    stuck = secrets._stuck
    assert stuck is not None
    stuck.join(timeout=5)
    assert not stuck.is_alive()
    # Once the keychain answers again, so does the store.
    assert await secrets.get("api_key/x") == SECRET


# The backend classes this module defines register themselves with keyring's discovery, so the
# default backend is checked in a fresh interpreter: exactly what the app gets at start.
_REAL_ROUND_TRIP = """
import asyncio, sys, uuid
import keyring
from desktop_app.storage.secrets import KeyringSecrets, secure_backend

async def main() -> None:
    backend = secure_backend(keyring.get_keyring())
    print(type(backend).__module__)
    secrets = KeyringSecrets(service=f"Parley-test-{uuid.uuid4().hex}", timeout=10)
    print(await secrets.describe())
    assert await secrets.get("api_key/openai") is None
    await secrets.set("api_key/openai", sys.argv[1])
    assert await secrets.get("api_key/openai") == sys.argv[1]
    await secrets.delete("api_key/openai")
    assert await secrets.get("api_key/openai") is None
    print("round trip ok")

asyncio.run(main())
"""


@pytest.mark.keychain
def test_real_secret_service_round_trip() -> None:
    if os.environ.get("PARLEY_TEST_KEYCHAIN") != "1":
        pytest.skip(
            "needs the isolated D-Bus + gnome-keyring session of scripts/test (PARLEY_TEST_KEYCHAIN=1)"
        )
    child = subprocess.run(
        [sys.executable, "-c", _REAL_ROUND_TRIP, SECRET], capture_output=True, text=True, timeout=60
    )
    # The session was announced: a different backend is a broken setup, not a reason to skip.
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == [
        "keyring.backends.SecretService",
        "SecretService Keyring",
        "round trip ok",
    ]
    assert SECRET not in child.stderr
