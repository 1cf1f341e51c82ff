"""One Parley per user and data directory: a second start hands its arguments to the first and exits.

The first instance listens on a local socket (a Unix socket, or a named pipe on Windows) whose name
is derived from the user and the resolved data directory, so two users, or two portable installs,
never meet. A message is one JSON line `{"args": [...]}`; the running instance answers `ok`.

Start-up order in the app: `name = instance_name(data_dir)`; `if try_hand_off(name, argv): exit 0`;
otherwise create `InstanceServer(name)`, call `listen()`, and connect `message_received`.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

HAND_OFF_TIMEOUT_MS = 1500
# A connection that does not finish its message within this time is dropped.
_CLIENT_DEADLINE_MS = 5000
_MAX_MESSAGE_BYTES = 1024 * 1024
_ACK = b"ok\n"


def instance_name(data_dir: str | os.PathLike[str], *, runtime_dir: str | None = None) -> str:
    """The socket name for this user and data directory.

    On Unix with a per-user runtime directory ($XDG_RUNTIME_DIR, mode 0700) the socket lives there,
    out of reach of other users; otherwise Qt puts it in the temporary directory (per user on
    macOS) or makes it a named pipe (Windows), and the user is part of the hashed name.
    """
    try:
        user = str(os.getuid())
    except AttributeError:  # Windows
        user = getpass.getuser()
    resolved = str(Path(data_dir).expanduser().resolve())
    digest = hashlib.sha256(f"{user}\0{resolved}".encode()).hexdigest()[:20]
    name = f"parley-{digest}"
    if runtime_dir is None and sys.platform != "win32":
        runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or None
    if runtime_dir and sys.platform != "win32" and Path(runtime_dir).is_dir():
        return str(Path(runtime_dir) / f"{name}.sock")
    return name


def encode_message(args: list[str]) -> bytes:
    import json  # not needed to start the first instance

    return json.dumps({"args": args}, ensure_ascii=False).encode() + b"\n"


def decode_message(line: bytes) -> list[str] | None:
    """The arguments in one message line, or None when it is not a valid message."""
    import json

    try:
        document = json.loads(line)
    except ValueError:
        return None
    args = document.get("args") if isinstance(document, dict) else None
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return None
    return args


def try_hand_off(name: str, args: list[str], *, timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> bool:
    """Send `args` to the instance listening on `name`; True once it acknowledged them.

    Blocking (bounded by about `timeout_ms`): call it at start-up, before the event loop runs.
    False means no instance answered: this process should become the instance.
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    try:
        socket.write(encode_message(args))
        if not socket.waitForBytesWritten(timeout_ms):
            return False
        reply = b""
        while _ACK not in reply and len(reply) < 64:
            if not socket.bytesAvailable() and not socket.waitForReadyRead(timeout_ms):
                return False
            reply += bytes(socket.readAll().data())
        return True
    finally:
        socket.abort()


class InstanceServer(QObject):
    """Listens for later starts of Parley; `message_received` carries each one's arguments."""

    message_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.error_text = ""
        self._server = QLocalServer(self)
        # Only this user may connect (a 0700 socket on Unix, the user's ACL on a Windows pipe).
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening. A socket left behind by a crashed instance is removed first; a live
        instance on the same name makes this return False (with `error_text`)."""
        # Ask first: with socket options set, Qt binds elsewhere and renames over the name, which
        # would silently take it from a live instance.
        if _someone_listens(self.name):
            self.error_text = "Parley is already running for this data folder."
            return False
        # Nobody answered, so whatever is at the name was left by a crashed instance.
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        self.error_text = f"Cannot listen for other Parley starts: {self._server.errorString()}"
        return False

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is not None:
                _Reader(socket, self.message_received.emit, self)


class _Reader(QObject):
    """Reads one message from one connection, acknowledges it and closes."""

    def __init__(self, socket: QLocalSocket, deliver: Callable[[list[str]], None], parent: QObject) -> None:
        super().__init__(parent)
        self._socket = socket
        self._deliver = deliver
        self._buffer = bytearray()
        self._done = False
        socket.setParent(self)
        socket.readyRead.connect(self._read)
        socket.disconnected.connect(self._finish)
        QTimer.singleShot(_CLIENT_DEADLINE_MS, self, self._finish)
        self._read()  # bytes may have arrived before the signal was connected

    def _read(self) -> None:
        if self._done:
            return
        self._buffer += bytes(self._socket.readAll().data())
        if len(self._buffer) > _MAX_MESSAGE_BYTES:
            self._finish()
            return
        line, newline, _ = bytes(self._buffer).partition(b"\n")
        if not newline:
            return
        args = decode_message(line)
        if args is None:
            self._finish()
            return
        self._done = True
        self._socket.write(_ACK)
        self._socket.flush()
        # Closes once the acknowledgement is out; `disconnected` then runs _finish.
        self._socket.disconnectFromServer()
        self._deliver(args)

    def _finish(self) -> None:
        self._done = True
        self._socket.abort()
        self.deleteLater()


def _someone_listens(name: str) -> bool:
    probe = QLocalSocket()
    probe.connectToServer(name)
    alive = probe.waitForConnected(300)
    probe.abort()
    return alive
