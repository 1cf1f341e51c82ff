"""The OS keychain through `keyring`, under the service name "Parley".

Keyring calls can block for a long time (a D-Bus autostart that fails waits 120 s and then raises
a jeepney error that is not a `KeyringError`). So every call runs on its own daemon thread that
resolves a future, with a short timeout; any exception or timeout becomes one `SecretStoreError`
line. Not the loop's default executor: its shutdown would wait for the stuck call. Insecure
backends (keyring's fail and null backends, plaintext files) are refused: a key is never written
somewhere it can be read as plain text, and never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Final, TypeVar

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
from keyring.backend import KeyringBackend

from desktop_app.core.errors import SecretStoreError

log = logging.getLogger(__name__)

SERVICE: Final = "Parley"
DEFAULT_TIMEOUT: Final = 5.0
_R = TypeVar("_R")

# What the user lost, per operation, for the end of every error line.
_CONSEQUENCE: Final = {
    "get": "the saved key could not be read",
    "set": "the key was not saved",
    "delete": "the key was not removed",
    "check": "keys cannot be saved",
}


class KeyringSecrets:
    """`core.ports.SecretStore` over the system keychain.

    `backend` is for tests and embedding; by default keyring's own choice (`keyring.get_keyring()`,
    which honours `PYTHON_KEYRING_BACKEND`) is looked up on the worker thread at each call.
    """

    def __init__(
        self,
        *,
        service: str = SERVICE,
        timeout: float = DEFAULT_TIMEOUT,
        backend: KeyringBackend | None = None,
    ) -> None:
        self._service = service
        self._timeout = timeout
        self._backend = backend
        # A call that timed out may still be blocked; while it is, new calls fail at once
        # instead of piling up threads behind the same dead keychain.
        self._stuck: threading.Thread | None = None

    async def get(self, key: str) -> str | None:
        return await self._call("get", key, lambda b: b.get_password(self._service, key))

    async def set(self, key: str, value: str) -> None:
        await self._call("set", key, lambda b: b.set_password(self._service, key, value))

    async def delete(self, key: str) -> None:
        def delete(backend: KeyringBackend) -> None:
            # Nothing saved under that name means it is already deleted.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                backend.delete_password(self._service, key)

        await self._call("delete", key, delete)

    async def describe(self) -> str:
        """The keychain in use ("SecretService Keyring"), or `SecretStoreError` when none is."""
        return await self._call("check", "", lambda b: str(b.name))

    async def _call(self, op: str, key: str, action: Callable[[KeyringBackend], _R]) -> _R:
        consequence = _CONSEQUENCE[op]
        if self._stuck is not None and self._stuck.is_alive():
            raise SecretStoreError(f"The system keychain is still not answering; {consequence}.")
        explicit = self._backend

        def work() -> _R:
            backend = secure_backend(explicit if explicit is not None else keyring.get_keyring(), consequence)
            return action(backend)

        future, thread = _start_thread(work)
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            self._stuck = thread
            log.warning("Keychain %s %r did not answer in %g s", op, key, self._timeout)
            raise SecretStoreError(
                f"The system keychain did not answer in {self._timeout:g} s; {consequence}."
            ) from None
        except SecretStoreError:
            raise
        except Exception as exc:  # jeepney, secretstorage, dbus, OS errors: all mean "unavailable"
            # Only the type goes to the log: a backend's message might quote what it was given.
            log.warning("Keychain %s %r failed: %s", op, key, type(exc).__name__)
            raise SecretStoreError(
                f"The system keychain failed ({type(exc).__name__}); {consequence}."
            ) from None


def secure_backend(backend: KeyringBackend, consequence: str = _CONSEQUENCE["set"]) -> KeyringBackend:
    """The backend to use, or `SecretStoreError` when only an insecure or failing one exists.

    keyring's chainer is unwrapped to its best secure member, so a plaintext backend that is
    also installed is never consulted.
    """
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        members: list[KeyringBackend] = [b for b in backend.backends if is_secure(b)]
        if not members:
            raise SecretStoreError(f"No secure keychain is available (keyring found none); {consequence}.")
        return members[0]
    if isinstance(backend, keyring.backends.fail.Keyring):
        raise SecretStoreError(f"No secure keychain is available (keyring's fail backend); {consequence}.")
    if not is_secure(backend):
        raise SecretStoreError(
            f"Only an insecure keychain is available ({type(backend).__name__}); {consequence}."
        )
    return backend


def is_secure(backend: KeyringBackend) -> bool:
    """keyring's convention: a priority below 1 means "not recommended" (plaintext files, the
    null and fail backends). keyrings.alt backends are files on disk, or prompt on a terminal."""
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    if type(backend).__module__.startswith("keyrings.alt"):
        return False
    try:
        return float(backend.priority) >= 1
    except Exception:  # priority raises when the backend is not usable here
        return False


def _start_thread(work: Callable[[], _R]) -> tuple[asyncio.Future[_R], threading.Thread]:
    """Run `work` on a new daemon thread; the returned future resolves on the running loop.

    The thread holds the loop and the future only weakly: a call that outlives its caller (a
    keychain stuck for minutes, a test whose loop is long closed) must not be the last owner of
    a qasync loop and its Qt objects, which would then be destroyed on this thread."""
    loop_ref = weakref.ref(asyncio.get_running_loop())
    future: asyncio.Future[_R] = asyncio.get_running_loop().create_future()
    future_ref = weakref.ref(future)

    def settle(result: _R | None, error: BaseException | None) -> None:
        waiting = future_ref()
        if waiting is None or waiting.done():  # timed out and cancelled meanwhile
            return
        if error is not None:
            waiting.set_exception(error)
        else:
            waiting.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: _R | None = None
        error: BaseException | None = None
        try:
            result = work()
        except Exception as exc:
            error = exc
        loop = loop_ref()
        if loop is None or loop.is_closed():
            return  # nobody is waiting any more
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    thread = threading.Thread(target=run, name="parley-keyring", daemon=True)
    thread.start()
    return future, thread
