"""``tcgkit run -g PORT``: a Linux program that waits for gdb before its first instruction.

Owns ``run_program_gdb``: loads the program as ``linux.run.run_program`` does (the same
checks of the file, the target, the host), listens on the loopback interface, serves one
gdb connection with a ``runner.LinuxRunner`` and, when gdb detaches or goes away, runs
the program on to its end, as ``qemu-aarch64 -g PORT`` does. Host signals are not
routed to the guest in this mode (Ctrl-C belongs to gdb); one of them, ``WAKE``, gets a
handler that does nothing while gdb is connected: the runner sends it to a thread
blocked in a host system call to make it leave the call when gdb stops the guest.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any, TextIO

from ..linux.host_signals import WAKE
from ..linux.process import LinuxProcess
from ..linux.run import load_emulator, resolve_sysroot
from .runner import LinuxRunner
from .server import LOOPBACK, GdbServer, listen
from .session import DETACHED, KILLED, GdbSession


def run_program_gdb(
    path: str,
    args: list[str] | None = None,
    *,
    port: int,
    target: str | None = None,
    host: str = "auto",
    tb_hash: str | None = None,
    cpu: str | None = None,
    debug: str = "",
    env: list[str] | None = None,
    tier_up: int | None = None,
    sysroot: str | None = None,
    strace: TextIO | None = None,
    argv0: str | None = None,
    listen_host: str = LOOPBACK,
) -> int:
    """Run ``path`` under gdb's control (gdb connects to ``listen_host``:``port``); the
    exit status: the guest's, 128 + the signal that killed it, 0 when gdb killed it."""
    sysroot = resolve_sysroot(sysroot)
    data, emu = load_emulator(path, target=target, host=host, tb_hash=tb_hash, debug=debug,
                              tier_up=tier_up, cpu=cpu)  # fmt: skip
    abi = emu.engine.target.linux_abi
    proc = LinuxProcess(emu, abi, sysroot=sysroot, strace=strace, host_stdio=True)
    previous: Any = None
    try:
        first = str(path) if argv0 is None else argv0
        proc.load(data, [first, *(args or [])], env or [], name=str(path))
        wake = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(WAKE, _nothing)
            wake = WAKE
        runner = LinuxRunner(proc, wake=wake)
        session = GdbSession(runner)
        listener = listen(port, listen_host)
        state = GdbServer(session, listener).serve()
        if session.exit_status is not None:
            return session.exit_status
        if state == KILLED:
            sys.stderr.write("tcgkit: terminated via the gdb stub\n")
            return 0
        assert state == DETACHED
        session.remove_all()
        runner.detach()  # the signal the guest stopped at, if any, is taken now
        outcome = runner.run(emu.reg_read("pc"), 0, signal=runner.held_signal())
        if outcome.kind == "exited":
            return outcome.code
        if outcome.kind == "killed":
            return 128 + outcome.signal
        sys.stderr.write(f"tcgkit: error: {outcome.message or outcome.kind}\n")
        return 1
    finally:
        if previous is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(WAKE, previous)
        proc.close()


def _nothing(_sig: int, _frame: object) -> None:
    """``WAKE``'s handler: its arrival has ended the host call the thread was in."""
