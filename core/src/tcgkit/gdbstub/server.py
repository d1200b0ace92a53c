"""The stub's transport: a listening socket, one gdb connection, and the Ctrl-C watcher.

Owns ``listen`` (a TCP socket on the loopback interface only), ``GdbServer`` (accepts
one connection; reads packets with ``packets.PacketReader``, acks them unless gdb
asked for no-ack mode, answers with ``session.GdbSession.handle``; while the guest runs
in the calling thread, a watcher thread reads the socket so that the byte 0x03 stops
it with SIGINT and a closed connection stops it too) and ``serve`` (a whole session
for any ``Emulator``, with a runner of the caller's choice).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import TYPE_CHECKING

from . import packets
from .session import ATTACHED, DETACHED, GdbSession, Resume

if TYPE_CHECKING:
    from .runner import Runner

LOOPBACK = "127.0.0.1"


def listen(port: int | str, host: str = LOOPBACK) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: a free port; ``getsockname`` says
    which), or on the Unix socket at the path ``port`` when it is a string (as
    ``qemu -g`` takes one; gdb: ``target remote PATH``)."""
    if isinstance(port, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(port)
            sock.listen(1)
        except BaseException:
            sock.close()
            raise
        return sock
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1)
    except BaseException:
        sock.close()
        raise
    return sock


class GdbServer:
    """Serves one gdb connection on ``listener`` to ``session`` (the listener is closed
    once gdb is connected, as qemu's stub does)."""

    def __init__(self, session: GdbSession, listener: socket.socket) -> None:
        self.session = session
        self.listener = listener
        self.conn: socket.socket | None = None
        self.closed = False  # gdb went away
        self._reader = packets.PacketReader()
        self._pending: list[tuple[str, bytes]] = []
        self._last_sent = b""

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        self.listener.close()
        if conn.family != socket.AF_UNIX:  # (a Unix socket has no Nagle to turn off)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn

    def serve(self) -> str:
        """Accept gdb (if not yet connected) and answer it until it detaches, kills the
        guest, the guest exits, or the connection closes; the session's final state
        (``DETACHED`` for a closed connection)."""
        if self.conn is None:
            self.accept()
        session = self.session
        try:
            while session.state == ATTACHED and not self.closed:
                events, self._pending = self._pending, []
                if not events:
                    events = self._receive()
                for kind, payload in events:
                    if session.state != ATTACHED or self.closed:
                        break
                    self._event(kind, payload)
        finally:
            self.close()
            session.close()
        if self.closed and session.state == ATTACHED:
            session.remove_all()
            session.state = DETACHED
        return session.state

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None

    # -- the wire ---------------------------------------------------------------------

    def _receive(self) -> list[tuple[str, bytes]]:
        assert self.conn is not None
        try:
            data = self.conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return []
        return self._reader.feed(data)

    def _send(self, data: bytes) -> None:
        if self.conn is None or self.closed:
            return
        try:
            self.conn.sendall(data)
        except OSError:
            self.closed = True

    def _reply(self, text: str) -> None:
        self._last_sent = packets.frame(text)
        self._send(self._last_sent)

    def _event(self, kind: str, payload: bytes) -> None:
        session = self.session
        if kind == packets.NACK:
            if self._last_sent and not session.no_ack:
                self._send(self._last_sent)
            return
        if kind == packets.BAD:
            if not session.no_ack:
                self._send(b"-")
            return
        if kind != packets.PACKET:
            return  # acks; an interrupt while the guest is stopped
        if not session.no_ack:
            self._send(b"+")
        reply = session.handle(payload)
        if isinstance(reply, Resume):
            reply = self._run(reply)
            if self.closed:
                return
        if session.state == ATTACHED or reply:
            self._reply(reply)

    # -- running the guest, watching for Ctrl-C -----------------------------------------

    def _run(self, action: Resume) -> str:
        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(done,), name="gdbstub-watch",
                                   daemon=True)  # fmt: skip
        watcher.start()
        try:
            return self.session.resume(action)
        finally:
            done.set()
            watcher.join()

    def _watch(self, done: threading.Event) -> None:
        """While the guest runs: 0x03 interrupts it; other bytes wait for the main loop;
        a closed connection stops the guest (the session then detaches)."""
        session = self.session
        conn = self.conn
        stopping = False
        while not done.is_set():
            if stopping:  # again: a stop may land before emu_start starts, a wake-up
                session.interrupt()  # before the thread enters its blocking call
            if conn is None:
                return
            if self.closed:
                done.wait(0.05)
                continue
            try:
                ready, _, _ = select.select([conn], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                stopping = True
                session.interrupt()
                continue
            for kind, payload in self._reader.feed(data):
                if kind == packets.INTERRUPT:
                    stopping = True
                    session.interrupt()
                else:
                    self._pending.append((kind, payload))


def serve(runner: Runner, listener: socket.socket) -> GdbSession:
    """Serve one gdb connection on ``listener`` for the guest ``runner`` runs; the session
    (its ``state`` and ``exit_status`` say how it ended)."""
    session = GdbSession(runner)
    GdbServer(session, listener).serve()
    return session
