"""Linux user mode's sockets and event descriptors (``linux.net``, ``linux.events``):
examples/bin/linux/sockets.elf against qemu-aarch64, and the structures they
translate (struct epoll_event, struct msghdr and its control messages, fd_sets and
the timeout pselect6 rewrites) called directly on an emulator's memory."""

from __future__ import annotations

import io
import os
import select
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit.linux.run import run_program
from tcgkit.plugins import HOST, get_plugin_manager

LINUX = Path(__file__).resolve().parents[1] / "examples" / "bin" / "linux"
HOSTS = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]
EFAULT, EBADF, EINVAL, EAFNOSUPPORT, EPERM = 14, 9, 22, 97, 1
MEM, PAGE = 0x10000, 0x1000  # the scratch memory the unit tests map
WILD = 0x7000_0000  # never mapped
EPOLLIN = 1
#: lines of sockets.elf's output that say its checks ran as they should
MILESTONES = (b"read through it: 29", b"the child's exit status: 0", b"SIGPIPEs: 2",
              b"data 0xdeadbeefcafef00d events 0x1", b"the peer is 127.0.0.1",
              b"timeout left 0 0", b"expirations 1", b'b.txt: 9 "45spliced"',
              b"done")  # fmt: skip
CALLS = ("socketpair", "accept4", "recvmsg", "epoll_pwait", "pselect6", "sendmmsg",
         "timerfd_settime", "copy_file_range", "eventfd2", "splice", "tee")  # fmt: skip


def qemu(*args: str) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    return subprocess.run([exe, *args], capture_output=True, timeout=600)


@pytest.mark.parametrize("host", HOSTS)
def test_sockets_and_events_match_qemu(host: str, tmp_path: Path) -> None:
    program = LINUX / "sockets.elf"
    (tmp_path / "q").mkdir()
    (tmp_path / "t").mkdir()
    want = qemu(str(program), str(tmp_path / "q"))
    out = io.BytesIO()
    result = run_program(program, [str(tmp_path / "t")], host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert all(line in want.stdout for line in MILESTONES)  # the checks ran
    assert all(result.syscalls.get(name) for name in CALLS)  # through these calls
    assert os.listdir(tmp_path / "t") == []  # it cleaned up after itself


@pytest.mark.parametrize("host", HOSTS)
def test_a_signal_ends_blocking_socket_calls_as_under_qemu(host: str, tmp_path: Path) -> None:
    """Under ``tcgkit run`` the host's signals reach the guest: a timer's SIGALRM ends a
    blocked recv, recvmsg, accept, epoll_wait or select with EINTR."""
    program = LINUX / "sockets.elf"
    want = qemu(str(program), str(tmp_path), "signals")
    got = subprocess.run([sys.executable, "-m", "tcgkit", "run", "--host", host, str(program),
                          str(tmp_path), "signals"], capture_output=True, timeout=600)  # fmt: skip
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    assert b"accept: -1 EINTR, alarms 3" in want.stdout
    assert b"epoll_wait with SA_RESTART: -1 EINTR, alarms 6" in want.stdout  # never restarted


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("mode", ["signal", "restart"])
def test_a_signal_for_a_thread_blocked_in_accept_as_under_qemu(host: str, mode: str,
                                                               tmp_path: Path) -> None:  # fmt: skip
    """netwait.elf: a second thread blocks in accept; the main thread, which blocks
    SIGUSR1, sends it to the process: the thread in accept takes it (woken from the host
    call), and accept fails with EINTR, or is made again with SA_RESTART and takes the
    connection the main thread then makes (the program exits 0 when so)."""
    program = LINUX / "netwait.elf"
    want = qemu(str(program), mode, str(tmp_path / "q"))
    got = subprocess.run([sys.executable, "-m", "tcgkit", "run", "--host", host, str(program),
                          mode, str(tmp_path / "t")], capture_output=True, timeout=60)  # fmt: skip
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    assert want.returncode == 0 and b"handled 1, connected 1, accept " in want.stdout


@pytest.fixture
def proc() -> Iterator[LinuxProcess]:
    """A process on an emulator without a program: its system calls called directly,
    their structures in the scratch pages at ``MEM``."""
    emu = Emulator("aarch64", host="python")
    p = LinuxProcess(emu, emu.engine.target.linux_abi, stdout=io.BytesIO())
    emu.mem_map(MEM, 4 * PAGE)
    try:
        yield p
    finally:
        p.close()
        emu.close()


def _put(p: LinuxProcess, addr: int, data: bytes) -> int:
    p.emu.mem_write(addr, data)
    return addr


def _get(p: LinuxProcess, addr: int, n: int) -> bytes:
    return bytes(p.emu.mem_read(addr, n))


def _host_fd(p: LinuxProcess, fd: int) -> int:
    f = p.files.get(fd)
    assert f is not None and f.fd >= 0
    return f.fd


def test_epoll_event_is_16_bytes_for_the_guest_and_its_data_comes_back(
    proc: LinuxProcess,
) -> None:
    ev = proc.events
    efd = ev.sys_eventfd2(0, 0)
    ep = ev.sys_epoll_create1(0o2000000)
    assert efd >= 3 and ep >= 3 and proc.files.get(ep).cloexec  # type: ignore[union-attr]
    data = 0x0123_4567_89AB_CDEF
    event = _put(proc, MEM, struct.pack("<I4xQ", EPOLLIN, data))
    assert ev.sys_epoll_ctl(ep, 1, efd, event) == 0
    os.write(_host_fd(proc, efd), struct.pack("<Q", 7))
    out = MEM + 0x100
    _put(proc, out, b"\xaa" * 48)
    assert ev.sys_epoll_pwait(ep, out, 3, 1000, 0, 8) == 1
    assert _get(proc, out, 16) == struct.pack("<IIQ", EPOLLIN, 0, data)
    assert _get(proc, out + 16, 32) == b"\xaa" * 32  # one event: one guest struct written
    if os.uname().machine == "x86_64":
        assert ev._host.event.size == 12  # the host's is packed
    assert ev.sys_epoll_pwait(ep, WILD, 3, 0, 0, 8) == -EFAULT
    assert ev.sys_epoll_pwait(ep, out, 0, 0, 0, 8) == -EINVAL
    assert ev.sys_epoll_ctl(ep, 1, efd, WILD) == -EFAULT
    assert ev.sys_epoll_ctl(ep, 1, 1, event) == -EPERM  # the embedding's stream
    tmo = _put(proc, MEM + 0x200, struct.pack("<qq", 0, 10_000_000))
    assert ev.sys_epoll_ctl(ep, 2, efd, 0) == 0
    assert ev.sys_epoll_pwait2(ep, out, 3, tmo, 0, 8) == 0  # 10 ms, nothing ready


def test_a_wild_pointer_to_sendmsg_or_recvmsg_is_efault_and_loses_nothing(
    proc: LinuxProcess,
) -> None:
    net = proc.net
    sv = MEM
    assert net.sys_socketpair(1, 2, 0, sv) == 0  # AF_UNIX, SOCK_DGRAM
    a, b = struct.unpack("<ii", _get(proc, sv, 8))
    assert net.sys_sendmsg(a, WILD, 0) == -EFAULT
    buf = _put(proc, MEM + 0x100, b"datagram")
    iov = _put(proc, MEM + 0x200, struct.pack("<QQ", WILD, 8))
    msg = _put(proc, MEM + 0x300, struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, 0, 0, 0))
    assert net.sys_sendmsg(a, msg, 0) == -EFAULT  # the iovec's buffer
    _put(proc, iov, struct.pack("<QQ", buf, 8))
    assert net.sys_sendmsg(a, msg, 0) == 8
    _put(proc, iov, struct.pack("<QQ", WILD, 8))
    assert net.sys_recvmsg(b, msg, 0) == -EFAULT
    _put(proc, msg, struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, WILD, 64, 0))
    _put(proc, iov, struct.pack("<QQ", MEM + 0x400, 8))
    assert net.sys_recvmsg(b, msg, 0) == -EFAULT  # the control buffer
    assert net.sys_recvfrom(b, MEM + 0x400, 8, 0, 0, 0) == 8  # still there
    assert _get(proc, MEM + 0x400, 8) == b"datagram"
    assert net.sys_socket(16, 3, 0) == -EAFNOSUPPORT  # AF_NETLINK
    assert net.sys_socket(1, 1 | 0x10000, 0) == -EINVAL
    assert net.sys_sendto(99, buf, 8, 0, 0, 0) == -EBADF


def test_scm_rights_translates_descriptors_both_ways(proc: LinuxProcess) -> None:
    net = proc.net
    assert net.sys_socketpair(1, 1, 0, MEM) == 0
    a, b = struct.unpack("<ii", _get(proc, MEM, 8))
    assert proc.files.sys_pipe2(MEM + 8, 0) == 0
    r, w = struct.unpack("<ii", _get(proc, MEM + 8, 8))
    data = _put(proc, MEM + 0x100, b"x")
    iov = _put(proc, MEM + 0x200, struct.pack("<QQ", data, 1))
    cmsg = struct.pack("<Qii", 20, 1, 1) + struct.pack("<i", r) + bytes(4)  # SCM_RIGHTS
    control = _put(proc, MEM + 0x300, cmsg)
    msg = _put(proc, MEM + 0x400, struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, control, 24, 0))
    assert net.sys_sendmsg(a, msg, 0) == 1
    _put(proc, control, bytes(64))
    _put(proc, msg, struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, control, 64, 0))
    assert net.sys_recvmsg(b, msg, 0x40000000) == 1  # MSG_CMSG_CLOEXEC
    controllen, flags = struct.unpack("<Qi", _get(proc, msg + 40, 12))
    length, level, typ, got = struct.unpack("<Qiii", _get(proc, control, 20))
    assert (controllen, flags, length, level, typ) == (24, 0x40000000, 20, 1, 1)
    assert got not in (a, b, r, w) and proc.files.get(got).cloexec  # type: ignore[union-attr]
    assert os.fstat(_host_fd(proc, got)).st_ino == os.fstat(_host_fd(proc, r)).st_ino
    bad = struct.pack("<Qii", 20, 1, 1) + struct.pack("<i", 77) + bytes(4)
    _put(proc, control, bad)
    _put(proc, msg, struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, control, 24, 0))
    assert net.sys_sendmsg(a, msg, 0) == -EBADF  # 77 is no guest descriptor
    _put(proc, control, struct.pack("<Qii", 99, 1, 1))
    assert net.sys_sendmsg(a, msg, 0) == -EINVAL  # a cmsg_len past the buffer


def test_pselect6_translates_fd_sets_and_rewrites_the_timeout(proc: LinuxProcess) -> None:
    ev = proc.events
    assert proc.files.sys_pipe2(MEM, 0) == 0
    r, w = struct.unpack("<ii", _get(proc, MEM, 8))
    rset = _put(proc, MEM + 0x100, (1 << r).to_bytes(8, "little"))
    wset = _put(proc, MEM + 0x108, (1 << w).to_bytes(8, "little"))
    tmo = _put(proc, MEM + 0x200, struct.pack("<qq", 0, 20_000_000))
    assert ev.sys_pselect6(w + 1, rset, wset, 0, tmo, 0) == 1  # the write end
    assert _get(proc, rset, 8) == bytes(8)
    assert _get(proc, wset, 8) == (1 << w).to_bytes(8, "little")
    left = struct.unpack("<qq", _get(proc, tmo, 16))
    assert left[0] == 0 and 0 < left[1] <= 20_000_000
    _put(proc, rset, (1 << r).to_bytes(8, "little"))
    assert ev.sys_pselect6(r + 1, rset, 0, 0, tmo, 0) == 0  # timed out
    assert struct.unpack("<qq", _get(proc, tmo, 16)) == (0, 0)
    _put(proc, rset, (1 << 40).to_bytes(8, "little"))
    assert ev.sys_pselect6(41, rset, 0, 0, tmo, 0) == -EBADF
    assert ev.sys_pselect6(r + 1, WILD, 0, 0, tmo, 0) == -EFAULT
    _put(proc, tmo, struct.pack("<qq", 0, 10**9))
    assert ev.sys_pselect6(r + 1, rset, 0, 0, tmo, 0) == -EINVAL


def test_sol_socket_numbers_are_the_identity_on_this_host(proc: LinuxProcess) -> None:
    if sys.platform != "linux" or os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("asm-generic socket numbers are those of x86-64 and aarch64 hosts")
    host = proc.net._host
    assert all(g == h for g, h in host.so.items()) and host.sol_socket == 1
    assert (host.nonblock, host.cloexec) == (0o4000, 0o2000000)
    assert host.msghdr.size == 56 and host.cmsg_data == 16
    assert select.POLLIN == 1  # the poll bits pselect6 relies on are the generic ones
