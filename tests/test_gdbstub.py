"""The gdb stub (tcgkit.gdbstub): framing, the commands, a bare Emulator served over a
socket, and ``tcgkit run -g PORT`` debugged by a real gdb with qemu-aarch64 as the oracle.

Hosts: ``TCGKIT_TEST_HOST`` when set, else the python host and (on x86-64) the x86_64 host.
gdb-multiarch or qemu-aarch64-static missing: skipped, a failure under CI=true.
"""

from __future__ import annotations

import importlib.util
import io
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.api import Emulator
from tcgkit.gdbstub import (
    EmulatorRunner,
    GdbServer,
    GdbSession,
    PacketReader,
    Resume,
    checksum,
    frame,
    listen,
    packets,
)


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
ROOT, GDB_DIR, TIMEOUT, HOSTS = _gs.ROOT, _gs.GDB_DIR, _gs.TIMEOUT, _gs.HOSTS
_need, _free_port, _debug, _normalize = _gs._need, _gs._free_port, _gs._debug, _gs._normalize
_normalize_debugme, _gdb_driven = _gs._normalize_debugme, _gs._gdb_driven
SORT = ROOT / "examples" / "bin" / "sort.elf"
#: built -O0 -g (examples/build.sh): symbols, lines, locals for gdb
DEBUGME = ROOT / "examples" / "bin" / "linux" / "debugme.elf"


# -- framing ----------------------------------------------------------------------------


def test_checksum_and_frame() -> None:
    assert checksum(b"") == 0
    assert frame("OK") == b"$OK#9a"
    assert frame(b"") == b"$#00"
    # the reserved characters are escaped, the checksum covers the escaped bytes
    for data, wire in ((b"a#b", b"a}\x03b"), (b"}$*", b"}]}\x04}\x0a")):
        assert frame(data) == b"$" + wire + b"#" + b"%02x" % checksum(wire)


def test_reader_packets_acks_interrupt() -> None:
    r = PacketReader()
    assert r.feed(b"+$g#67") == [("ack", b""), ("packet", b"g")]
    assert r.feed(b"-\x03") == [("nack", b""), ("interrupt", b"")]
    assert r.feed(b"$g#00") == [("bad", b"")]
    assert r.feed(b"$m0,4#zz") == [("bad", b"")]
    # pieces of any size
    wire = frame("qSupported:multiprocess+")
    got = []
    for i in range(len(wire)):
        got += r.feed(wire[i : i + 1])
    assert got == [("packet", b"qSupported:multiprocess+")]
    # an escaped '#' does not end the packet; the checksum covers the escapes
    body = b"X0,1:}\x03"
    assert r.feed(b"$" + body + b"#" + b"%02x" % checksum(body)) == [("packet", body)]
    assert packets.unescape(b"}\x03}]") == b"#}"


def test_hex_helpers() -> None:
    assert packets.parse_hex("ff") == 255
    for bad in ("", "-1", " 1", "0x1", "g"):
        with pytest.raises(ValueError):
            packets.parse_hex(bad)
    assert packets.decode_hex("0aff") == b"\x0a\xff"
    with pytest.raises(ValueError):
        packets.decode_hex("abc")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_reader_fuzz(chunks: list[bytes]) -> None:
    r = PacketReader()
    for chunk in chunks:
        for kind, payload in r.feed(chunk):
            assert kind in ("packet", "bad", "ack", "nack", "interrupt")
            assert isinstance(payload, bytes)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_frame_round_trip(data: bytes) -> None:
    assert PacketReader().feed(frame(data)) == [("packet", packets.escape(data))]
    assert packets.unescape(packets.escape(data)) == data


# -- the commands, on a bare Emulator ----------------------------------------------------

CODE = 0x10000
DATA = 0x20000
#: movz x0, #1; add x0, x0, #1; str x0, [x1]; b . (the last: a loop for Ctrl-C)
PROGRAM = bytes.fromhex("200080d2 00040091 200000f9 00000014")


def _bare(host: str) -> Emulator:
    emu = Emulator("aarch64", host=host)
    emu.mem_map(CODE, 0x1000)
    emu.mem_map(DATA, 0x1000)
    emu.mem_write(CODE, PROGRAM)
    emu.reg_write("pc", CODE)
    emu.reg_write("x1", DATA)
    return emu


@pytest.fixture(scope="module")
def fuzz_session():
    emu = _bare("python")
    yield GdbSession(EmulatorRunner(emu))
    emu.close()


_COMMANDS = [b"", b"g", b"G", b"p", b"P", b"m", b"M", b"X", b"Z", b"z", b"H", b"T", b"?", b"q",
             b"qSupported:", b"qXfer:features:read:target.xml:", b"qXfer:", b"vCont",
             b"vCont;", b"vCont?", b"qfThreadInfo", b"qC", b"Q", b"qAttached", b"S",
             b"C"]  # fmt: skip


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_COMMANDS), st.binary(max_size=80))
def test_session_fuzz(fuzz_session: GdbSession, head: bytes, tail: bytes) -> None:
    """Malformed packets: an error reply or the empty one, never an exception; every reply
    frames and parses back."""
    reply = fuzz_session.handle(head + tail)
    if isinstance(reply, Resume):
        return  # running the guest is the server's
    assert isinstance(reply, str)
    assert PacketReader().feed(frame(reply))[0][0] == "packet"
    fuzz_session.remove_all()


@pytest.mark.parametrize("host", HOSTS)
def test_session_commands(host: str) -> None:
    emu = _bare(host)
    try:
        s = GdbSession(EmulatorRunner(emu))
        assert "qXfer:features:read+" in s.handle(b"qSupported:multiprocess+;swbreak+")
        xml = s.handle(b"qXfer:features:read:target.xml:0,ffff")
        assert xml.startswith("l<?xml") and "org.gnu.gdb.aarch64.fpu" in xml
        part = s.handle(b"qXfer:features:read:target.xml:0,10")
        assert part.startswith("m") and len(part) == 17
        regs = s.handle(b"g")
        assert len(regs) == 2 * (33 * 8 + 4 + 32 * 16 + 8)
        assert s.handle(b"p20") == CODE.to_bytes(8, "little").hex()  # pc is register 32
        assert s.handle(b"p99") == "E01"
        assert s.handle(b"P2=" + (7).to_bytes(8, "little").hex().encode()) == "OK"
        assert emu.reg_read("x2") == 7
        assert s.handle(b"P22=" + (1 << 64 | 5).to_bytes(16, "little").hex().encode()) == "OK"
        assert emu.reg_read("v0") == 1 << 64 | 5  # v0 is register 34
        assert s.handle(b"m10000,4") == PROGRAM[:4].hex()
        assert s.handle(b"m0,4") == "E14"
        assert s.handle(b"M20008,2:abcd") == "OK"
        assert s.handle(b"X2000a,2:}\x03}]") == "OK"
        assert bytes(emu.mem_read(DATA + 8, 4)) == b"\xab\xcd#}"
        assert s.handle(b"M0,1:00") == "E14"
        assert s.handle(b"G" + regs.encode()) == "OK"  # the registers as they were
        assert emu.reg_read("x2") == 0 and emu.reg_read("v0") == 0
        assert s.handle(b"G00") == "E01"
        assert s.handle(b"qfThreadInfo") == "mp1.1"
        assert s.handle(b"qsThreadInfo") == "l"
        assert s.handle(b"qC") == "QCp1.1"
        assert s.handle(b"Tp1.1") == "OK"
        assert s.handle(b"vCont?") == "vCont;c;C;s;S"
        assert s.handle(b"s") == Resume(True)
        assert s.resume(Resume(True)) == "T05thread:p1.1;"
        assert emu.reg_read("pc") == CODE + 4
        # a breakpoint on the store; continue stops before it, resuming there runs it
        assert s.handle(b"Z0,10008,4") == "OK"
        assert s.resume(Resume(False)) == "T05swbreak:;thread:p1.1;"
        assert emu.reg_read("pc") == CODE + 8
        assert emu.reg_read("x0") == 2
        assert s.handle(b"z0,10008,4") == "OK"
        # a write watchpoint: stops before the store (AArch64's watchpoints do; gdb steps
        # over it), with the data address; resuming runs the store without a second stop
        assert s.handle(b"Z2,20000,8") == "OK"
        assert s.resume(Resume(False)) == "T05watch:20000;thread:p1.1;"
        assert emu.reg_read("pc") == CODE + 8
        assert bytes(emu.mem_read(DATA, 8)) == bytes(8)
        assert s.resume(Resume(True)) == "T05thread:p1.1;"
        assert emu.reg_read("pc") == CODE + 12
        assert bytes(emu.mem_read(DATA, 8)) == (2).to_bytes(8, "little")
        assert s.handle(b"z2,20000,8") == "OK"
        assert s.handle(b"D") == "OK"
    finally:
        emu.close()


# -- a bare Emulator over a socket: acks, Ctrl-C, detach ----------------------------------


class Client:
    def __init__(self, port: int | str) -> None:
        if isinstance(port, str):  # a Unix socket's path
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(TIMEOUT)
            self.sock.connect(port)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.reader = PacketReader()
        self.events: list[tuple[str, bytes]] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(frame(data))

    def reply(self) -> bytes:
        while True:
            for i, (kind, payload) in enumerate(self.events):
                if kind == "packet":
                    del self.events[: i + 1]
                    return payload
            data = self.sock.recv(65536)
            assert data, "the stub closed the connection"
            self.events += self.reader.feed(data)

    def ask(self, data: bytes) -> bytes:
        self.send(data)
        return self.reply()


@pytest.mark.parametrize("host", HOSTS)
def test_server_interrupt_and_detach(host: str) -> None:
    emu = _bare(host)
    listener = listen(0)
    port = listener.getsockname()[1]
    session = GdbSession(EmulatorRunner(emu))
    server = GdbServer(session, listener)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        c = Client(port)
        c.sock.sendall(b"+")
        assert c.ask(b"qSupported:swbreak+").startswith(b"PacketSize=")
        c.sock.sendall(b"$g#00")  # a bad checksum: "-", and the stub goes on
        assert c.ask(b"QStartNoAckMode") == b"OK"
        assert c.ask(b"?") == b"T05thread:1;"
        c.send(b"vCont;c")
        time.sleep(0.3)  # the guest spins in "b ."
        c.sock.sendall(b"\x03")
        assert c.reply() == b"T02thread:1;"
        assert emu.reg_read("pc") == CODE + 12
        assert c.ask(b"m20000,8") == (2).to_bytes(8, "little").hex().encode()
        c.send(b"D")
        assert c.reply() == b"OK"
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert session.state == "detached"
        c.sock.close()
    finally:
        emu.emu_stop()
        thread.join(TIMEOUT)
        emu.close()


@pytest.mark.parametrize("host", HOSTS)
def test_emulator_gdb_serve_on_a_unix_socket(host: str, tmp_path: Path) -> None:
    emu = _bare(host)
    path = str(tmp_path / "gdb.sock")
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(emu.gdb_serve(path)), daemon=True)
    thread.start()
    try:
        for _ in range(200):  # until it listens
            try:
                c = Client(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.05)
        c.sock.sendall(b"+")
        assert c.ask(b"QStartNoAckMode") == b"OK"
        assert c.ask(b"?") == b"T05thread:1;"
        assert c.ask(b"p20") == CODE.to_bytes(8, "little").hex().encode()  # pc
        c.send(b"D")
        assert c.reply() == b"OK"
        thread.join(TIMEOUT)
        assert done and done[0].state == "detached"  # type: ignore[attr-defined]
        c.sock.close()
    finally:
        emu.emu_stop()
        thread.join(TIMEOUT)
        emu.close()


def _linux_session(host: str, args: list[str]) -> tuple[Emulator, GdbSession]:
    from tcgkit.gdbstub import LinuxRunner
    from tcgkit.linux.process import LinuxProcess

    emu = Emulator("aarch64", host=host)
    proc = LinuxProcess(emu, emu.engine.target.linux_abi, stdout=io.BytesIO(),
                        stderr=io.BytesIO())  # fmt: skip
    proc.load(SORT.read_bytes(), [str(SORT), *args], [], name=str(SORT))
    return emu, GdbSession(LinuxRunner(proc))


@pytest.mark.parametrize("host", HOSTS)
def test_linux_session(host: str) -> None:
    """User mode: auxv and exec-file, a step, a breakpoint, the exit as W."""
    emu, s = _linux_session(host, ["50"])
    try:
        features = s.handle(b"qSupported:multiprocess+").split(";")
        assert "qXfer:auxv:read+" in features and "qXfer:exec-file:read+" in features
        auxv = s.handle(b"qXfer:auxv:read::0,1000")
        assert auxv.startswith("l")
        raw = auxv[1:].encode("latin-1")
        pairs = dict(struct.iter_unpack("<QQ", raw))
        assert pairs[9] == 0x400660  # AT_ENTRY
        assert s.handle(b"qXfer:exec-file:read:p1:0,1000") == "l" + str(SORT)
        pid = s.runner.pid
        assert s.handle(b"?") == f"T05thread:p{pid:x}.{pid:x};"
        assert s.resume(Resume(True)).startswith("T05")
        assert emu.reg_read("pc") == 0x400664
        assert s.handle(b"Z0,400180,4") == "OK"  # main
        assert s.resume(Resume(False)).startswith("T05")
        assert emu.reg_read("pc") == 0x400180
        assert s.resume(Resume(False)) == f"W00;process:{pid:x}"
        assert s.exit_status == 0
    finally:
        emu.close()


def test_vfile_reads_the_program_and_nothing_else() -> None:
    """vFile host I/O, as gdb reads the program (its sysroot ``target:``): setfs, open,
    pread, fstat, close, readlink of /proc/PID/exe; confined to the loaded program,
    read-only; errors as F-1,errno (gdb's numbers, hex)."""
    emu, s = _linux_session("python", ["5"])
    try:
        pid, data = s.runner.pid, SORT.read_bytes()

        def hexpath(path: str) -> bytes:
            return path.encode().hex().encode()

        assert s.handle(b"vFile:setfs:0") == "F0"
        assert s.handle(b"vFile:setfs:%x" % pid) == "F0"
        assert s.handle(b"vFile:setfs:%x" % (pid + 1)) == "F-1,16"  # EINVAL (22)
        assert s.handle(b"vFile:open:" + hexpath("/no/such/file") + b",0,0") == "F-1,2"
        assert s.handle(b"vFile:open:" + hexpath("/etc/passwd") + b",0,0") == "F-1,d"
        assert s.handle(b"vFile:open:" + hexpath(str(SORT)) + b",1,0") == "F-1,d"  # O_WRONLY
        assert s.handle(b"vFile:open:" + hexpath(str(SORT)) + b",601,1a4") == "F-1,d"
        fd = s.handle(b"vFile:open:" + hexpath(str(SORT)) + b",0,0")
        assert fd.startswith("F") and fd != "F-1"
        n = fd[1:].encode()
        got = s.handle(b"vFile:pread:" + n + b",40,0")
        assert got == "F40;" + data[:0x40].decode("latin-1")
        got = s.handle(b"vFile:pread:" + n + b",100000,%x" % (len(data) - 3))
        assert got == "F3;" + data[-3:].decode("latin-1")
        assert s.handle(b"vFile:pread:" + n + b",10,%x" % len(data)) == "F0;"
        big = s.handle(b"vFile:pread:" + n + b",100000,0")  # bounded by the packet size
        head, _, body = big.partition(";")
        assert int(head[1:], 16) == len(body) < 0x4000 and data.startswith(body.encode("latin-1"))
        head, _, raw = s.handle(b"vFile:fstat:" + n).partition(";")
        assert head == "F40" and len(raw) == 64
        fields = struct.unpack(">IIIIIIIQQQIII", raw.encode("latin-1"))
        assert fields[7] == len(data) and fields[2] & 0o170000 == 0o100000  # size, S_IFREG
        assert s.handle(b"vFile:close:" + n) == "F0"
        assert s.handle(b"vFile:close:" + n) == "F-1,9"
        assert s.handle(b"vFile:pread:" + n + b",10,0") == "F-1,9"
        exe = s.handle(b"vFile:readlink:" + hexpath(f"/proc/{pid}/exe"))
        assert exe == f"F{len(str(SORT)):x};{SORT}"
        assert s.handle(b"vFile:readlink:" + hexpath("/proc/1/exe")) == "F-1,d"
        assert s.handle(b"vFile:unlink:" + hexpath(str(SORT))) == ""  # not offered
        assert s.handle(b"vFile:pread:zz,1,0") == "F-1,16"
    finally:
        s.close()
        emu.close()


def _tcgkit_g(host: str, port: int, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port), str(SORT),
           *args]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                            text=True)  # fmt: skip


def _connect(port: int, proc: subprocess.Popen) -> Client:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return Client(port)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_run_g_closed_connection_runs_on() -> None:
    """gdb goes away: the stub detaches and the program runs to its end."""
    port = _free_port()
    proc = _tcgkit_g(HOSTS[0], port, "100")
    try:
        c = _connect(port, proc)
        assert c.ask(b"qSupported").startswith(b"PacketSize=")
        assert c.ask(b"Z0,400180,4") == b"OK"  # taken out when gdb goes
        c.sock.close()
        out, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "sorted 100 + 100 elements" in out
    assert proc.returncode == 0


def test_run_g_interrupt_and_kill() -> None:
    """Ctrl-C while the program runs stops it with SIGINT; k ends tcgkit."""
    port = _free_port()
    proc = _tcgkit_g("python", port, "3000000")
    try:
        c = _connect(port, proc)
        c.sock.sendall(b"+")
        assert c.ask(b"qSupported:multiprocess+").startswith(b"PacketSize=")
        c.send(b"c")
        time.sleep(1.0)
        c.sock.sendall(b"\x03")
        assert c.reply().startswith(b"T02thread:p")
        assert c.ask(b"p20") != b"E01"
        c.send(b"k")
        out, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "terminated via the gdb stub" in out
    assert proc.returncode == 0


def test_run_g_needs_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    from tcgkit.cli import main

    for bad in ("0", "70000", "x"):
        with pytest.raises(SystemExit) as exc:
            main(["run", "-g", bad, str(SORT)])
        assert exc.value.code == 2
        assert "not a TCP port number" in capsys.readouterr().err


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300).filter(lambda b: b"$" not in b))
def test_server_survives_garbage(garbage: bytes) -> None:
    """Noise and broken packets on the wire: the stub answers the next good packet."""
    emu = _bare("python")
    listener = listen(0)
    port = listener.getsockname()[1]
    session = GdbSession(EmulatorRunner(emu))
    thread = threading.Thread(target=GdbServer(session, listener).serve, daemon=True)
    thread.start()
    try:
        c = Client(port)
        c.sock.sendall(garbage.replace(b"\x03", b"") + b"$qC#00$m0,zz#")
        c.sock.sendall(b"%02x" % checksum(b"m0,zz"))
        assert c.reply() == b"E01"
        assert c.ask(b"?") == b"T05thread:1;"
        c.sock.close()
        thread.join(TIMEOUT)
        assert not thread.is_alive() and session.state == "detached"
    finally:
        emu.close()


def test_listen_is_loopback_only() -> None:
    sock = listen(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


# -- tcgkit run -g PORT with a real gdb, qemu-aarch64 the oracle ---------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_against_qemu(host: str) -> None:
    qemu = _need("qemu-aarch64-static")
    _need("gdb-multiarch")
    script = GDB_DIR / "sort.gdb"
    port = _free_port()
    ours, ours_server = _debug([sys.executable, "-m", "tcgkit", "run", "--host", host,
                                "-g", str(port), str(SORT), "300"], port, script, SORT)  # fmt: skip
    port = _free_port()
    theirs, _ = _debug([qemu, "-g", str(port), str(SORT), "300"], port, script,
                                   SORT)  # fmt: skip
    a, b = _normalize(ours), _normalize(theirs)
    assert a == b, f"tcgkit:\n{ours}\n{ours_server}\nqemu:\n{theirs}"
    assert "does not support file transfer" not in ours  # gdb read the program: vFile
    # what the script checks, so that agreement is not agreement on nothing
    assert any(line.startswith("Breakpoint 1, ") and "main" in line for line in a)
    assert "[Inferior 1 (process N) exited with code 052]" in a
    assert "pc             0x40019c            0x40019c <main+28>" in a
    assert "checksum" in ours_server


@pytest.mark.parametrize("host", HOSTS[:1])
def test_gdb_detach_runs_on(host: str) -> None:
    """gdb detaches at main: the program runs to its end and exits with its own status."""
    _need("gdb-multiarch")
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port), str(SORT),
           "100"]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                              text=True)  # fmt: skip
    try:
        gdb = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "set architecture aarch64",
                              "-ex", f"target remote :{port}", "-ex", "break main", "-ex",
                              "continue", "-ex", "detach", str(SORT)], capture_output=True,
                             text=True, timeout=TIMEOUT)  # fmt: skip
        out, _ = server.communicate(timeout=TIMEOUT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "Breakpoint 1, " in gdb.stdout, gdb.stdout + gdb.stderr
    assert "sorted 100 + 100 elements" in out
    assert server.returncode == 0


# -- a program with debug info: symbols, source lines, signals, Ctrl-C -------------------


def _against_qemu(host: str, script: str, args: list[str]) -> tuple[list[str], str, str]:
    """``tests/gdb/<script>`` against tcgkit and qemu on debugme ``args``: tcgkit's
    normalised gdb output (asserted equal to qemu's) and both servers' outputs."""
    qemu = _need("qemu-aarch64-static")
    _need("gdb-multiarch")
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(DEBUGME), *args]  # fmt: skip
    ours, ours_server = _debug(cmd, port, GDB_DIR / script, DEBUGME,
                               {"WATCH": "set can-use-hw-watchpoints 1"})  # fmt: skip
    port = _free_port()
    theirs, theirs_server = _debug([qemu, "-g", str(port), str(DEBUGME), *args], port,
                                   GDB_DIR / script, DEBUGME,
                                   {"WATCH": "set can-use-hw-watchpoints 0"})  # fmt: skip
    a, b = _normalize_debugme(ours, False), _normalize_debugme(theirs, True)
    assert a == b, f"tcgkit:\n{ours}\n{ours_server}\nqemu:\n{theirs}"
    return a, ours_server, theirs_server


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_debugme_against_qemu(host: str) -> None:
    """break on a function by name, bt, p a global, finish, set var, next, a call made
    by gdb, watch a variable change twice, continue to the exit status."""
    out, server, _ = _against_qemu(host, "debugme.gdb", [])
    text = "\n".join(out)
    assert "Breakpoint 1, add_square (x=1) at src/linux/debugme.c:29" in out
    assert "#1  0x0000000000400754 in sum_squares (n=4) at src/linux/debugme.c:38" in out
    assert "Value returned is $4 = 1" in out
    assert "$7 = 100" in out  # set var counter = 100
    assert "38\t        total += add_square(i);" in out  # next
    assert "$9 = 49" in out  # p square(7): gdb ran it in the guest
    assert "Old value = 100\nNew value = 104\nadd_square (x=2) at src/linux/debugme.c:31" in text
    assert "Old value = 104\nNew value = 113" in text
    assert "[Inferior 1 (process N) exited with code 0202]" in out  # 100 + 30: set var held
    assert "total 30, counter 130" in server


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_signals_against_qemu(host: str) -> None:
    """A signal stops the guest before it is taken (gdb's numbering on the wire):
    continue delivers SIGUSR1 to its handler, ``signal 0`` suppresses SIGUSR2."""
    out, server, _ = _against_qemu(host, "signals.gdb", ["signal"])
    assert "Program received signal SIGUSR1, User defined signal 1." in out
    assert "Program received signal SIGUSR2, User defined signal 2." in out
    assert "#2  0x0000000000400844 in signals () at src/linux/debugme.c:66" in out
    assert re.findall(r"^\$\d+ = (\d+)$", "\n".join(out), re.M) == ["0", "1"]
    assert "[Inferior 1 (process N) exited with code 01]" in out
    assert "handled 1" in server


@pytest.mark.parametrize("host", HOSTS[:1])
def test_gdb_signal_passed_kills(host: str) -> None:
    """continue at SIGUSR2 delivers it: its default action ends the program (X packet)."""
    out, _, _ = _against_qemu(host, "signals_pass.gdb", ["signal"])
    assert "Program terminated with signal SIGUSR2, User defined signal 2." in out


@pytest.mark.parametrize("host", HOSTS)
def test_gdb_segv_against_qemu(host: str) -> None:
    """A fault stops at the faulting instruction with SIGSEGV; continue delivers it to
    the program's handler."""
    out, _, _ = _against_qemu(host, "segv.gdb", ["segv"])
    assert "Program received signal SIGSEGV, Segmentation fault." in out
    assert "74\t    *(volatile long *)0 = 1;" in out
    assert "[Inferior 1 (process N) exited with code 03]" in out


def _gdb_ctrl_c(server_cmd: list[str], port: int, rounds: int) -> str:
    """gdb continues ``rounds`` times; each time the guest runs (blocked), gdb gets
    SIGINT, as a user's Ctrl-C, and sends 0x03; gdb's output."""
    cmds = ["echo RUNNING\\n", "continue", "bt", "x/i $pc", "p $x8"] * rounds + ["kill"]
    return _gdb_driven(server_cmd, port, DEBUGME, cmds)[0]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(
    ("mode", "function", "nr"), [("block", "read", 63), ("sleep", "clock_nanosleep", 115)]
)
def test_gdb_ctrl_c_in_blocking_call(host: str, mode: str, function: str, nr: int) -> None:
    """Ctrl-C while the guest blocks in a system call (read on a pipe no one writes,
    nanosleep) stops it with SIGINT, at the system call instruction; continuing makes
    the call again (it still blocks: the stop is invisible to the program), and a
    second Ctrl-C stops it there again. (qemu-aarch64 7.2's user-mode stub reads
    gdb's socket only while the guest is stopped: it ignores Ctrl-C; no oracle.)"""
    port = _free_port()
    cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, "-g", str(port),
           str(DEBUGME), mode]  # fmt: skip
    out = _gdb_ctrl_c(cmd, port, 2)
    assert out.count("Program received signal SIGINT, Interrupt.") == 2, out
    assert len(re.findall(rf"^#0  0x[0-9a-f]+ in {function} \(\)$", out, re.M)) == 2, out
    assert len(re.findall(rf"^=> 0x[0-9a-f]+ <{function}\+\d+>:\tsvc\t#0x0$", out, re.M)) == 2
    assert re.findall(r"^\$\d+ = (\d+)$", out, re.M) == [str(nr)] * 2, out
    assert " in main (argc=2, " in out
    assert "exited" not in out
