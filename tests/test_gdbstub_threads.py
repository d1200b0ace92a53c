"""The gdb stub with several guest threads and blocking system calls, debugged by a real
gdb (``tcgkit run -g PORT``; qemu-aarch64 the oracle where its user-mode stub copes):
threads stopping at once (one stop per continue), Ctrl-C while a thread blocks in a
socket call, a signal for a thread blocked in accept (EINTR, SA_RESTART, suppressed).
The helpers are tests/gdbsession.py's.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest


def _load_gdbsession() -> Any:
    """tests/gdbsession.py, the gdb tests' helpers, loaded by its path (once)."""
    name = "tcgkit_tests_gdbsession"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("gdbsession.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_gs = _load_gdbsession()
ROOT, GDB_DIR, HOSTS = _gs.ROOT, _gs.GDB_DIR, _gs.HOSTS
_need, _free_port, _debug, _normalize = _gs._need, _gs._free_port, _gs._debug, _gs._normalize
_normalize_debugme, _gdb_driven = _gs._normalize_debugme, _gs._gdb_driven
#: built -O0 -g: blocks in socket calls (main thread, another thread, a signal for it)
NETWAIT = ROOT / "examples" / "bin" / "linux" / "netwait.elf"
#: built -O0 -g: three threads stop at one breakpoint, then for three signals, at once
THREADSTOPS = ROOT / "examples" / "bin" / "linux" / "threadstops.elf"


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_threads(host: str) -> None:
    """One gdb thread per guest thread: a breakpoint at the start of the workers, made
    while the main thread makes more of them, is hit once by each of the four (a new
    thread that reaches it while another's stop is told waits its turn), one stop per
    continue; the threads listed, every thread running on to the end."""
    program = ROOT / "examples" / "bin" / "threads.elf"
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(program)]  # fmt: skip
    out, server_out = _debug(cmd, port, GDB_DIR / "threads.gdb", program)
    hits = re.findall(r"Thread (\d+) hit Breakpoint 1, 0x00000000004009ec in worker", out)
    assert sorted(hits) == ["2", "3", "4", "5"], out
    assert re.findall(r"^\$\d+ = (\d+)$", out, re.M) == ["1"] * 4, out
    listed = re.findall(r"^\*? +(\d+) +Thread \d+\.\d+ ", out, re.M)
    assert sorted(listed) == ["1", "2", "3", "4", "5"], out
    assert "[Inferior 1 (process N) exited normally]" in _normalize(out), out
    assert "queue: 1000 items, sum 500500" in server_out


def _stops(out: str) -> list[str]:
    """gdb's stop reports (``Thread N hit ...``, ``Thread N received ...``, the exit), each
    with the line after it (the frame or the source line), in the order gdb printed them."""
    lines = [line for line in _normalize(out) if not line.startswith("[Switching to ")]
    stops = []
    for i, line in enumerate(lines):
        if re.match(r"Thread \d+ (hit|received) ", line):
            stops.append(line + " / " + (lines[i + 1] if i + 1 < len(lines) else ""))
        elif line.startswith("[Inferior 1 "):
            stops.append(line)
    return stops


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_threads_stopping_at_once(host: str) -> None:
    """All-stop with several vCPUs stopping at one moment (tests/gdb/threadstops.gdb):
    three threads released together hit one breakpoint, then three signals stop them
    together; gdb sees one stop per continue, each thread's own (the others' wait for
    the following continues, as gdbserver keeps them), never two replies for one
    continue, and every signal is delivered to its thread's handler. The order is the
    threads': the stops are compared as a set. (qemu-aarch64 7.2's user-mode stub,
    which does not stop the other threads, crashes here: no oracle.)"""
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(THREADSTOPS)]  # fmt: skip
    out, server_out = _debug(cmd, port, GDB_DIR / "threadstops.gdb", THREADSTOPS)
    stops = _stops(out)
    where = "__pthread_kill_implementation.constprop.0 ()"
    assert stops[0] == "Thread 1 hit Breakpoint 1, ready () at src/linux/threadstops.c:34 / 34\t}"
    assert sorted(stops[1:4]) == [
        f"Thread {k} hit Breakpoint 2, meet (id={k - 2}) at src/linux/threadstops.c:28"
        " / 28\t    met[id]++;" for k in (2, 3, 4)], out  # fmt: skip
    assert sorted(re.findall(r"^\$\d+ = (\d+)$", out, re.M)) == ["0", "1", "2"], out
    received = [re.sub(r" / .*0x[0-9a-f]+ in ", " / ", s) for s in stops[4:7]]
    assert sorted(received) == [
        f"Thread 2 received signal SIGUSR1, User defined signal 1. / {where}",
        f"Thread 3 received signal SIGUSR2, User defined signal 2. / {where}",
        f"Thread 4 received signal SIGHUP, Hangup. / {where}"], out  # fmt: skip
    assert stops[7:] == ["[Inferior 1 (process N) exited normally]"], out
    assert "met 1 1 1, handled 1 1 1" in server_out


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("mode", ["main", "thread"])
def test_gdb_ctrl_c_in_socket_calls(host: str, mode: str, tmp_path: Path) -> None:
    """Ctrl-C while a guest thread blocks in accept, then in recv (the main thread, or a
    second thread while the main one waits in pthread_join): the guest stops at once,
    the blocked thread at its system call instruction; continue makes the call again
    (twice for accept), and it then takes the connection and the byte the test sends:
    the program sees no EINTR and exits normally."""
    path = str(tmp_path / "s")
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(NETWAIT), mode, path]  # fmt: skip
    look = ["thread 2" if mode == "thread" else "bt 1", "x/i $pc", "p $x8"]  # frame #0
    cmds = ["echo RUNNING\\n", "continue", *look, "echo RUNNING\\n", "continue", *look,
            "echo CONNECT\\n", "echo RUNNING\\n", "continue", *look, "echo SEND\\n",
            "continue"]  # fmt: skip
    peer: list[socket.socket] = []

    def connect() -> None:
        peer.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        peer[0].connect(path)

    def send() -> None:
        peer[0].sendall(b"x")

    try:
        out, server = _gdb_driven(cmd, port, NETWAIT, cmds,
                                  {"CONNECT": connect, "SEND": send})  # fmt: skip
    finally:
        for p in peer:
            p.close()
    assert out.count("received signal SIGINT, Interrupt.") == 3, out + server
    calls = re.findall(r"^#0  0x[0-9a-f]+ in (\w+) \(\)$", out, re.M)
    assert calls == ["accept", "accept", "recv"], out
    assert len(re.findall(r"^=> 0x[0-9a-f]+ <(accept|recv)\+\d+>:\tsvc\t#0x0$", out, re.M)) == 3
    assert re.findall(r"^\$\d+ = (\d+)$", out, re.M) == ["202", "202", "207"], out
    assert "[Inferior 1 (process N) exited normally]" in _normalize(out), out
    assert "received 1 byte: x" in server


def _normalize_threads(text: str) -> list[str]:
    """gdb's output with the host's thread ids (and argv's place) made equal."""
    lines = []
    for line in _normalize_debugme(text, False):
        line = re.sub(r"Thread \d+\.\d+", "Thread P.T", line)
        lines.append(re.sub(r"arg=0x[0-9a-f]+", "arg=ARG", line))
    return lines


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(("mode", "ending"), [("signal", "accept Interrupted system call"),
                                              ("restart", "accept ok")])  # fmt: skip
def test_gdb_signal_for_a_blocked_thread_against_qemu(host: str, mode: str, ending: str,
                                                      tmp_path: Path) -> None:  # fmt: skip
    """A signal sent to the process while its second thread blocks in accept (the only
    thread that does not block it) wakes that thread: the guest stops in accept, as
    under qemu: after its system call instruction when its handler has no SA_RESTART
    (it fails with EINTR), at it with SA_RESTART (it is made again); continue delivers
    the signal to the handler, and accept then fails with EINTR or takes a connection,
    as the program checks: it exits 0 either way."""
    qemu = _need("qemu-aarch64-static")
    _need("gdb-multiarch")
    outs = []
    for server in ([sys.executable, "-m", "tcgkit", "run", "--host", host], [qemu]):
        port = _free_port()
        path = str(tmp_path / f"s{len(outs)}")
        cmd = [*server, "-g", str(port), str(NETWAIT), mode, path]
        outs.append(_debug(cmd, port, GDB_DIR / "netwait_signal.gdb", NETWAIT))
    (ours, ours_server), (theirs, theirs_server) = outs
    a, b = _normalize_threads(ours), _normalize_threads(theirs)
    assert a == b, f"tcgkit:\n{ours}\n{ours_server}\nqemu:\n{theirs}"
    assert "Thread 2 received signal SIGUSR1, User defined signal 1." in a
    if mode == "restart":  # at the system call instruction: it is made again
        assert "=> 0x42672c <accept+108>:\tsvc\t#0x0" in a
    else:  # after it: it fails with EINTR once the handler has run
        assert "=> 0x426730 <accept+112>:\tcmn\tx0, #0x1, lsl #12" in a
    assert "$1 = 202" in a and "$2 = 0" in a
    assert "[Inferior 1 (process N) exited normally]" in a
    assert f"handled 1, connected 1, {ending}" in ours_server
    assert f"handled 1, connected 1, {ending}" in theirs_server


@pytest.mark.parametrize("host", HOSTS[:1])
def test_gdb_suppressed_signal_makes_the_call_again(host: str, tmp_path: Path) -> None:
    """``signal 0`` at the stop for SIGUSR1 (handler without SA_RESTART) in accept on the
    second thread: no handler runs, so accept is made again, as the kernel restarts a
    call when a debugger suppresses the signal that ended it; it takes the main
    thread's connection (the program, which expects EINTR, exits 1 saying so)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(NETWAIT), "signal", str(tmp_path / "s")]  # fmt: skip
    out, server = _gdb_driven(cmd, port, NETWAIT, ["continue", "signal 0"])
    assert "Thread 2 received signal SIGUSR1, User defined signal 1." in out, out
    assert "[Inferior 1 (process N) exited with code 01]" in _normalize(out), out
    assert "handled 0, connected 1, accept ok" in server
