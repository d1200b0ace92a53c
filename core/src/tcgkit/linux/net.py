"""Socket system calls of a Linux process, served by host sockets.

Owns ``SocketCalls``: socket, socketpair, bind, listen, accept, accept4, connect,
getsockname, getpeername, sendto, recvfrom, setsockopt, getsockopt, shutdown,
sendmsg, recvmsg, sendmmsg and recvmmsg (see each method).

Invariants:

* a guest socket is a host socket the ``FileTable`` owns (host close-on-exec, the
  guest's flag kept by its GuestFile): read, write, close, dup, fcntl, ppoll, fstat on
  it are ``files``'; an embedding's stream is no socket (ENOTSOCK);
* families: AF_UNIX, AF_INET, AF_INET6; any other (AF_NETLINK, ...) is EAFNOSUPPORT;
* the host calls are libc's, through ctypes (loaded at the first socket call).
  Passed as they are (AArch64 and 64-bit Linux hosts agree): sockaddrs, MSG_* and
  SOCK_* flags (SOCK_NONBLOCK 0o4000, SOCK_CLOEXEC 0o2000000 on x86-64 too), option
  values (int, linger, timeval, ucred). Translated: SOL_SOCKET and its option and
  SCM numbers (asm-generic on AArch64 and x86-64, the identity there; by name from
  the host's ``socket`` module elsewhere), struct msghdr / cmsghdr / mmsghdr (rebuilt
  in the host's layout), SCM_RIGHTS descriptors (guest -> host on a send, EBADF for
  one without; each received becomes a new guest descriptor, one the guest has no
  room for is closed: none leaks);
* bounded: ``files.MAX_IO`` bytes a call, 1024 iovecs, 64 KiB of control data or of
  an option, 128-byte addresses; an unmapped guest pointer is EFAULT, checked before
  a receive so that no data is lost (as qemu-user does);
* the host never gets SIGPIPE (MSG_NOSIGNAL always): a guest send without it that
  meets EPIPE raises SIGPIPE on the guest (``files.on_epipe``) and fails EPIPE;
* a blocking call is ended by a signal as ``hostcalls`` ends one: with EINTR when
  the guest sees the signal (one pending already: only if the call would block),
  made again when it does not; a connect made again is waited for (it goes on in
  the background);
* a relative AF_UNIX path is the guest's working directory's: made absolute when
  it is not the host process's (which never changes).
"""

from __future__ import annotations

import functools
import os
import select
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import hostcalls
from .files import MAX_IO, GuestFile
from .mm import read_guest, read_timespec, write_guest

if TYPE_CHECKING:
    from ..api import Emulator
    from .process import LinuxProcess

EBADF, EFAULT, EINVAL, EINTR, EPIPE, ERANGE = 9, 14, 22, 4, 32, 34
ENOTSOCK, EMSGSIZE, ENOPROTOOPT, EAFNOSUPPORT, ENOBUFS = 88, 90, 92, 97, 105
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
#: the guest's socket() / accept4() flags (the generic values: x86-64's too)
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_WAITFORONE = 0x8, 0x40, 0x4000, 0x10000
MSG_CMSG_CLOEXEC = 0x40000000
POLLIN, POLLOUT = select.POLLIN, select.POLLOUT
SOL_SOCKET, SCM_RIGHTS, SO_ERROR = 1, 1, 4  # the guest's (asm-generic)
SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage)
CONTROL_MAX = OPT_MAX = 1 << 16
IOV_MAX = 1024  # UIO_MAXIOV: iovecs per message, messages per sendmmsg/recvmmsg
SCM_MAX_FD = 253
#: the guest's SOL_SOCKET option numbers (asm-generic/socket.h) -> their names
_SO_NAMES = {
    1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE",
    6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE", 10: "SO_OOBINLINE",
    12: "SO_PRIORITY", 13: "SO_LINGER", 15: "SO_REUSEPORT", 16: "SO_PASSCRED",
    17: "SO_PEERCRED", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT", 20: "SO_RCVTIMEO",
    21: "SO_SNDTIMEO", 25: "SO_BINDTODEVICE", 30: "SO_ACCEPTCONN", 31: "SO_PEERSEC",
    34: "SO_PASSSEC", 36: "SO_MARK", 38: "SO_PROTOCOL", 39: "SO_DOMAIN",
    49: "SO_INCOMING_CPU",
}  # fmt: skip
_SCM_NAMES = {1: "SCM_RIGHTS", 2: "SCM_CREDENTIALS"}
#: SOL_SOCKET options whose value points into the guest's memory (a BPF program): the
#: host would read its own memory there
_SO_POINTERS = (26, 51)  # SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF
#: the guest's struct msghdr (56 bytes): name, namelen, iov, iovlen, control,
#: controllen, flags; struct mmsghdr is one and its msg_len (64 bytes)
MSGHDR = struct.Struct("<QI4xQQQQi4x")
MMSGHDR_SIZE = 64
#: the guest's struct cmsghdr (16 bytes, its data 8-aligned): len, level, type
CMSGHDR = struct.Struct("<Qii")
#: the libc functions called: result and argument types (int, pointer, size_t,
#: ssize_t, uint32: socklen_t)
_PROTOTYPES = {
    "socket": "iiii", "socketpair": "iiiip", "bind": "iipu", "connect": "iipu",
    "listen": "iii", "accept4": "iippi", "getsockname": "iipp", "getpeername": "iipp",
    "sendto": "sipzipu", "recvfrom": "sipzipp", "setsockopt": "iiiipu",
    "getsockopt": "iiiipp", "shutdown": "iii", "sendmsg": "sipi", "recvmsg": "sipi",
}  # fmt: skip


class _Host:
    """libc's socket functions (ctypes, errno kept) and the host's layouts and numbers."""

    def __init__(self) -> None:
        import ctypes
        import socket

        self.ctypes = ctypes
        lib = hostcalls.libc()
        kinds = {"i": ctypes.c_int, "p": ctypes.c_void_p, "z": ctypes.c_size_t,
                 "s": ctypes.c_ssize_t, "u": ctypes.c_uint32}  # fmt: skip
        for name, proto in _PROTOTYPES.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = kinds[proto[0]], [kinds[k] for k in proto[1:]]
            setattr(self, name, f)
        self.nonblock, self.cloexec = socket.SOCK_NONBLOCK, socket.SOCK_CLOEXEC
        self.sol_socket = socket.SOL_SOCKET
        self.so = {g: getattr(socket, name, g) for g, name in _SO_NAMES.items()}
        self.scm = {g: getattr(socket, name, g) for g, name in _SCM_NAMES.items()}
        self.scm_back = {h: g for g, h in self.scm.items()}
        self.msghdr = struct.Struct("@PIPNPNi0N")  # padded as C pads it
        self.iovec = struct.Struct("@PN")
        self.cmsghdr = struct.Struct("@Nii")
        self.cmsg_data = socket.CMSG_LEN(0)  # where a message's data begins
        self.cmsg_align = socket.CMSG_SPACE(1) - socket.CMSG_SPACE(0)

    def buffer(self, size: int, init: bytes = b"") -> Any:
        return self.ctypes.create_string_buffer(init, max(size, len(init), 1))

    def name_buffer(self) -> tuple[Any, Any]:
        """Room for an address and its length (a socklen_t), for a call to fill."""
        return self.buffer(SOCKADDR_MAX), self.ctypes.c_uint32(SOCKADDR_MAX)

    def msg(self, name: Any, data: Any, ctl: Any, nlen: int, dlen: int, clen: int) -> Any:
        """A host struct msghdr over these buffers (one iovec), and that iovec."""
        at = self.ctypes.addressof
        iov = self.buffer(0, self.iovec.pack(at(data), dlen))
        hdr = self.msghdr.pack(at(name), nlen, at(iov), 1, at(ctl) if clen else 0, clen, 0)
        return self.buffer(0, hdr), iov

    def cmsg(self, level: int, typ: int, data: bytes) -> bytes:
        """One control message in the host's layout, padded to its alignment."""
        head = self.cmsghdr.pack(self.cmsg_data + len(data), level, typ)
        msg = head.ljust(self.cmsg_data, b"\0") + data
        return msg.ljust(-(-len(msg) // self.cmsg_align) * self.cmsg_align, b"\0")


def _on_socket(call: Callable[..., int]) -> Callable[..., int]:
    """A system call on a guest socket: ``call`` gets its host descriptor instead."""

    def on(self: SocketCalls, fd: int, *args: int) -> int:
        h = self._sock(fd)
        return h if h < 0 else call(self, h, *args)

    on.__doc__, on.__name__ = call.__doc__, call.__name__
    return on


class SocketCalls:
    """The socket system calls of one process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.files = proc.files
        self.emu = proc.emu

    @functools.cached_property
    def _host(self) -> _Host:
        """libc's functions, set up at the first call that needs them."""
        return _Host()

    # -- descriptors and addresses ---------------------------------------------------------

    def _sock(self, fd: int) -> int:
        """The host descriptor of guest socket ``fd``, or a negative errno."""
        f = self.files.get(fd)
        if f is None:
            return -EBADF
        return f.fd if f.fd >= 0 else -ENOTSOCK

    def _install(self, hfd: int, cloexec: bool) -> int:
        """A new guest descriptor for host descriptor ``hfd`` (now the table's)."""
        with self.proc._lock:
            return self.files._new_fd(GuestFile(hfd, cloexec=cloexec))

    def _addr_in(self, ptr: int, length: int) -> bytes | int:
        """The guest's sockaddr at ``ptr`` for the host, or a negative errno."""
        n = _s32(length)
        if n < 0 or n > SOCKADDR_MAX:
            return -EINVAL
        raw = read_guest(self.emu, ptr, n) if n else b""
        if raw is None:
            return -EFAULT
        return self._unix_path(raw)

    def _unix_path(self, raw: bytes) -> bytes:
        """A relative AF_UNIX path made the guest's working directory's."""
        if len(raw) < 3 or raw[:2] != b"\x01\x00" or raw[2] in (0, 0x2F):
            return raw  # not AF_UNIX, abstract, or absolute
        cwd = self.files.cwd
        if cwd == os.fsencode(os.getcwd()):
            return raw
        rel = raw[2:].split(b"\0", 1)[0]
        for base in (cwd, f"/proc/self/fd/{self.files.cwd_fd}".encode()):
            path = base.rstrip(b"/") + b"/" + rel
            if len(path) < SOCKADDR_MAX - 20:  # sun_path holds 108 bytes
                return raw[:2] + path + b"\0"
        return raw

    def _room(self, buf: int, lenp: int, most: int) -> int:
        """The room the guest gives at ``buf``: ``*lenp`` (an int, the buffer checked up
        to ``most`` bytes), or a negative errno."""
        raw = read_guest(self.emu, lenp, 4)
        n = struct.unpack("<i", raw)[0] if raw is not None else 0
        if raw is None or (n > 0 and not _mapped(self.emu, buf, min(n, most))):
            return -EFAULT
        return n if n >= 0 else -EINVAL

    def _name_out(self, addr: int, lenp: int, room: int, name: bytes) -> bool:
        """The address, cut to the guest's room, and its whole length (as the kernel)."""
        if room and name and not write_guest(self.emu, addr, name[:room]):
            return False
        return write_guest(self.emu, lenp, struct.pack("<I", len(name)))

    def _call(self, f: Callable[..., int], h: int, events: int, *args: Any) -> int:
        """``f(h, *args)``, a call that may block until ``events`` on host socket ``h``
        (0: it does not), as ``hostcalls`` makes them: when the process's signals reach
        it (``files.interrupted``), one the guest sees ends it with EINTR (one pending
        already, only if it would block), one it does not see makes it again."""
        host, check = self._host, self.files.interrupted
        while True:
            if check is not None and events and check() and not _ready(h, events):
                return -EINTR
            r = f(h, *args)
            if r >= 0:
                return r
            err = host.ctypes.get_errno()
            if err != EINTR:
                return -(err or EINVAL)
            if check is not None and check():
                return -EINTR

    def _sent(self, r: int, flags: int) -> int:
        if r == -EPIPE and not flags & MSG_NOSIGNAL:
            self.files.on_epipe()
        return r

    # -- creating and naming ----------------------------------------------------------------

    def sys_socket(self, domain: int, typ: int, proto: int, *_: int) -> int:
        """A host socket of the guest's family, type and protocol."""
        htyp = self._type(domain, typ)
        if htyp < 0:
            return htyp
        host = self._host
        r = hostcalls.retry(host.socket, _s32(domain), htyp, _s32(proto))
        return r if r < 0 else self._install(r, bool(typ & SOCK_CLOEXEC))

    def _type(self, domain: int, typ: int) -> int:
        """The host's type (and flags) of a new socket, or a negative errno."""
        if typ & 0xFFFFFFFF & ~(0xF | SOCK_NONBLOCK | SOCK_CLOEXEC):
            return -EINVAL
        if _s32(domain) not in (AF_UNIX, AF_INET, AF_INET6):
            return -EAFNOSUPPORT
        host = self._host
        return (typ & 0xF) | host.cloexec | (host.nonblock if typ & SOCK_NONBLOCK else 0)

    def sys_socketpair(self, domain: int, typ: int, proto: int, sv: int, *_: int) -> int:
        """Two connected host sockets; their guest descriptors at ``sv``."""
        htyp = self._type(domain, typ)
        if htyp < 0:
            return htyp
        host = self._host
        pair = (host.ctypes.c_int * 2)()
        r = hostcalls.retry(host.socketpair, _s32(domain), htyp, _s32(proto), pair)
        if r < 0:
            return r
        cloexec = bool(typ & SOCK_CLOEXEC)
        a, b = self._install(pair[0], cloexec), self._install(pair[1], cloexec)
        if not write_guest(self.emu, sv, struct.pack("<ii", a, b)):
            self.files.sys_close(a)
            self.files.sys_close(b)
            return -EFAULT
        return 0

    @_on_socket
    def sys_bind(self, h: int, addr: int, length: int, *_: int) -> int:
        sa = self._addr_in(addr, length)
        return sa if isinstance(sa, int) else hostcalls.retry(self._host.bind, h, sa, len(sa))

    @_on_socket
    def sys_listen(self, h: int, backlog: int, *_: int) -> int:
        return hostcalls.retry(self._host.listen, h, _s32(backlog))

    @_on_socket
    def sys_shutdown(self, h: int, how: int, *_: int) -> int:
        return hostcalls.retry(self._host.shutdown, h, _s32(how))

    @_on_socket
    def sys_getsockname(self, h: int, addr: int, lenp: int, *_: int) -> int:
        return self._name(self._host.getsockname, h, addr, lenp)

    @_on_socket
    def sys_getpeername(self, h: int, addr: int, lenp: int, *_: int) -> int:
        return self._name(self._host.getpeername, h, addr, lenp)

    def _name(self, f: Callable[..., int], h: int, addr: int, lenp: int) -> int:
        room = self._room(addr, lenp, SOCKADDR_MAX)
        if room < 0:
            return room
        host = self._host
        name, nlen = host.name_buffer()
        r = hostcalls.retry(f, h, name, host.ctypes.byref(nlen))
        if r < 0:
            return r
        return 0 if self._name_out(addr, lenp, room, name.raw[: nlen.value]) else -EFAULT

    # -- connections ------------------------------------------------------------------------

    def sys_accept(self, fd: int, addr: int, lenp: int, *_: int) -> int:
        return self.sys_accept4(fd, addr, lenp, 0)

    def sys_accept4(self, fd: int, addr: int, lenp: int, flags: int, *_: int) -> int:
        """A connection's new host socket as a new guest descriptor; the peer's address
        at ``addr`` (checked before waiting, as qemu-user does)."""
        flags &= 0xFFFFFFFF
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            return -EINVAL
        h = self._sock(fd)
        if h < 0:
            return h
        room = self._room(addr, lenp, SOCKADDR_MAX) if addr else 0
        if room < 0:
            return room
        host = self._host
        name, nlen = host.name_buffer()
        hflags = host.cloexec | (host.nonblock if flags & SOCK_NONBLOCK else 0)
        r = self._call(host.accept4, h, POLLIN, name, host.ctypes.byref(nlen), hflags)
        if r < 0:
            return r
        if addr and not self._name_out(addr, lenp, room, name.raw[: nlen.value]):
            os.close(r)
            return -EFAULT
        return self._install(r, bool(flags & SOCK_CLOEXEC))

    @_on_socket
    def sys_connect(self, h: int, addr: int, length: int, *_: int) -> int:
        """The host's connect; one a signal interrupted is waited for to its end."""
        sa = self._addr_in(addr, length)
        if isinstance(sa, int):
            return sa
        host = self._host
        if host.connect(h, sa, len(sa)) == 0:
            return 0
        err = host.ctypes.get_errno()
        if err != EINTR:
            return -(err or EINVAL)
        check = self.files.interrupted
        if check is not None and check():
            return -EINTR  # the connection goes on in the background, as the kernel's
        done = hostcalls.poll([(h, POLLOUT)], None, check or (lambda: False))
        if isinstance(done, int):
            return done
        val, vlen = host.ctypes.c_int(0), host.ctypes.c_uint32(4)
        r = hostcalls.retry(host.getsockopt, h, host.sol_socket, host.so[SO_ERROR],
                      host.ctypes.byref(val), host.ctypes.byref(vlen))  # fmt: skip
        return r if r < 0 else -val.value

    # -- options ----------------------------------------------------------------------------

    def _opt(self, level: int, name: int) -> tuple[int, int]:
        """The host's level and option number of the guest's."""
        level, name = _s32(level), _s32(name)
        if level == SOL_SOCKET:
            return self._host.sol_socket, self._host.so.get(name, name)
        return level, name  # IPPROTO_*: the same numbers on every architecture

    @_on_socket
    def sys_setsockopt(self, h: int, level: int, name: int, val: int, vlen: int,
                       *_: int) -> int:  # fmt: skip
        n = _s32(vlen)
        if n < 0 or n > OPT_MAX:
            return -EINVAL
        if _s32(level) == SOL_SOCKET and _s32(name) in _SO_POINTERS:
            return -ENOPROTOOPT  # a BPF program by pointer: not translated
        data = read_guest(self.emu, val, n) if n else b""
        if data is None:
            return -EFAULT
        host = self._host
        return hostcalls.retry(host.setsockopt, h, *self._opt(level, name), data, n)

    @_on_socket
    def sys_getsockopt(self, h: int, level: int, name: int, val: int, lenp: int,
                       *_: int) -> int:  # fmt: skip
        n = self._room(val, lenp, OPT_MAX)
        if n < 0:
            return n
        n = min(n, OPT_MAX)
        host = self._host
        buf, blen = host.buffer(n), host.ctypes.c_uint32(n)
        r = hostcalls.retry(host.getsockopt, h, *self._opt(level, name), buf,
                      host.ctypes.byref(blen))  # fmt: skip
        if r < 0:
            if r == -ERANGE:  # SO_PEERSEC, SO_PEERGROUPS: the length it needs
                write_guest(self.emu, lenp, struct.pack("<I", blen.value))
            return r
        out = min(blen.value, n)
        if out and not write_guest(self.emu, val, buf.raw[:out]):
            return -EFAULT
        return 0 if write_guest(self.emu, lenp, struct.pack("<I", out)) else -EFAULT

    # -- data -------------------------------------------------------------------------------

    @_on_socket
    def sys_sendto(self, h: int, buf: int, n: int, flags: int, addr: int, alen: int,
                   *_: int) -> int:  # fmt: skip
        """Up to MAX_IO bytes; to ``addr`` when given."""
        data = read_guest(self.emu, buf, min(n, MAX_IO)) if n else b""
        if data is None:
            return -EFAULT
        dest = self._addr_in(addr, alen) if addr else b""
        if isinstance(dest, int):
            return dest
        host = self._host
        r = self._call(host.sendto, h, _waits(flags, POLLOUT), data, len(data),
                       _s32(flags | MSG_NOSIGNAL), dest or None, len(dest))  # fmt: skip
        return self._sent(r, flags)

    @_on_socket
    def sys_recvfrom(self, h: int, buf: int, n: int, flags: int, addr: int, lenp: int,
                     *_: int) -> int:  # fmt: skip
        """Up to MAX_IO bytes (the guest's buffer checked first); the sender's address
        at ``addr`` when given."""
        n = min(n, MAX_IO)
        if n and not _mapped(self.emu, buf, n):
            return -EFAULT
        room = self._room(addr, lenp, SOCKADDR_MAX) if addr else 0
        if room < 0:
            return room
        host = self._host
        data, (name, nlen) = host.buffer(n), host.name_buffer()
        r = self._call(host.recvfrom, h, _waits(flags, POLLIN), data, n, _s32(flags), name,
                       host.ctypes.byref(nlen))  # fmt: skip
        if r < 0:
            return r
        if min(r, n) and not write_guest(self.emu, buf, data.raw[: min(r, n)]):
            return -EFAULT
        if addr and not self._name_out(addr, lenp, room, name.raw[: nlen.value]):
            return -EFAULT
        return r

    @_on_socket
    def sys_sendmsg(self, h: int, msg: int, flags: int, *_: int) -> int:
        """A guest struct msghdr sent: its iovecs gathered, its control messages in the
        host's layout (SCM_RIGHTS descriptors translated)."""
        return self._sendmsg(h, msg, flags)

    @_on_socket
    def sys_recvmsg(self, h: int, msg: int, flags: int, *_: int) -> int:
        """Into a guest struct msghdr: data scattered over its iovecs, the address, the
        control messages in the guest's layout (received descriptors installed)."""
        return self._recvmsg(h, msg, flags)

    @_on_socket
    def sys_sendmmsg(self, h: int, vec: int, vlen: int, flags: int, *_: int) -> int:
        """sendmsg for each struct mmsghdr (its msg_len set) until one fails: how many
        were sent, or the first one's error."""
        return self._each(self._sendmsg, h, vec, vlen, flags & ~MSG_WAITFORONE, None)

    @_on_socket
    def sys_recvmmsg(self, h: int, vec: int, vlen: int, flags: int, tmo: int,
                     *_: int) -> int:  # fmt: skip
        """recvmsg for each struct mmsghdr until one fails (MSG_WAITFORONE: waits only
        for the first); ``tmo`` is checked after each message, and gets what is left."""
        t = read_timespec(self.emu, tmo) if tmo else 0.0
        if isinstance(t, int):
            return t
        end = time.monotonic() + t if tmo else None
        got = self._each(self._recvmsg, h, vec, vlen, flags, end)
        if end is not None and got > 0:
            left = max(0, int((end - time.monotonic()) * 1e9))
            write_guest(self.emu, tmo, struct.pack("<qq", left // 10**9, left % 10**9))
        return got

    def _each(self, op: Callable[[int, int, int], int], h: int, vec: int, vlen: int,
              flags: int, end: float | None) -> int:  # fmt: skip
        done = 0
        for i in range(min(vlen & 0xFFFFFFFF, IOV_MAX)):
            at = vec + MMSGHDR_SIZE * i
            r = op(h, at, flags)
            if r < 0 or not write_guest(self.emu, at + MSGHDR.size, struct.pack("<I", r)):
                return done or (r if r < 0 else -EFAULT)
            done += 1
            flags |= MSG_DONTWAIT if flags & MSG_WAITFORONE else 0
            if end is not None and time.monotonic() >= end:
                break
        return done

    # -- struct msghdr -------------------------------------------------------------------

    def _sendmsg(self, h: int, msg: int, flags: int) -> int:
        raw = read_guest(self.emu, msg, MSGHDR.size)
        if raw is None:
            return -EFAULT
        name, namelen, iov, iovlen, control, controllen, _f = MSGHDR.unpack(raw)
        dest = b""
        if name:
            if _s32(namelen) < 0:
                return -EINVAL
            got = read_guest(self.emu, name, min(namelen, SOCKADDR_MAX))
            if got is None:
                return -EFAULT
            dest = self._unix_path(got)
        vec = self._iovecs(iov, iovlen)
        if isinstance(vec, int):
            return vec
        chunks = [read_guest(self.emu, base, n) if n else b"" for base, n in vec]
        if None in chunks:
            return -EFAULT
        data = b"".join(c for c in chunks if c is not None)
        ctl = b""
        if control and controllen:
            if controllen > CONTROL_MAX:
                return -ENOBUFS
            got = read_guest(self.emu, control, controllen)
            if got is None:
                return -EFAULT
            ctl = self._control_to_host(got)
            if isinstance(ctl, int):
                return ctl
        host = self._host
        bufs = host.buffer(0, dest), host.buffer(0, data), host.buffer(0, ctl)
        hdr = host.msg(*bufs, len(dest), len(data), len(ctl))
        r = self._call(host.sendmsg, h, _waits(flags, POLLOUT), hdr[0], _s32(flags | MSG_NOSIGNAL))
        return self._sent(r, flags)

    def _iovecs(self, iov: int, iovlen: int) -> list[tuple[int, int]] | int:
        """The guest's iovecs, their lengths cut to MAX_IO in all."""
        if iovlen > IOV_MAX:
            return -EMSGSIZE
        raw = read_guest(self.emu, iov, 16 * iovlen) if iovlen else b""
        if raw is None:
            return -EFAULT
        out, total = [], 0
        for i in range(iovlen):
            base, length = struct.unpack_from("<QQ", raw, 16 * i)
            if length >> 63:
                return -EINVAL
            length = min(length, MAX_IO - total)
            out.append((base, length))
            total += length
        return out

    def _control_to_host(self, ctl: bytes) -> bytes | int:
        """The guest's control messages in the host's layout, descriptors translated."""
        host = self._host
        out = bytearray()
        off = 0
        while off + CMSGHDR.size <= len(ctl):
            clen, level, typ = CMSGHDR.unpack_from(ctl, off)
            if clen < CMSGHDR.size or clen > len(ctl) - off:
                return -EINVAL
            data = ctl[off + CMSGHDR.size : off + clen]
            off += (clen + 7) & ~7
            if level == SOL_SOCKET:
                level = host.sol_socket
                if typ == SCM_RIGHTS:
                    n = len(data) // 4
                    if n > SCM_MAX_FD:
                        return -EINVAL
                    fds = []
                    for g in struct.unpack_from(f"<{n}i", data):
                        f = self.files.get(g)
                        if f is None or f.fd < 0:
                            return -EBADF
                        fds.append(f.fd)
                    data = struct.pack(f"={n}i", *fds)
                typ = host.scm.get(typ, typ)
            out += host.cmsg(level, typ, data)
        return bytes(out)

    def _recvmsg(self, h: int, msg: int, flags: int) -> int:
        raw = read_guest(self.emu, msg, MSGHDR.size)
        if raw is None:
            return -EFAULT
        name, namelen, iov, iovlen, control, controllen, _f = MSGHDR.unpack(raw)
        vec = self._iovecs(iov, iovlen)
        if isinstance(vec, int):
            return vec
        if any(length and not _mapped(self.emu, base, length) for base, length in vec):
            return -EFAULT
        room = 0
        if name:
            if _s32(namelen) < 0:
                return -EINVAL
            room = min(namelen, SOCKADDR_MAX)
            if room and not _mapped(self.emu, name, room):
                return -EFAULT
        croom = min(controllen, CONTROL_MAX) if control else 0
        if croom and not _mapped(self.emu, control, croom):
            return -EFAULT
        total = sum(length for _b, length in vec)
        host = self._host
        nbuf, dbuf, cbuf = host.buffer(SOCKADDR_MAX), host.buffer(total), host.buffer(croom)
        hdr = host.msg(nbuf, dbuf, cbuf, SOCKADDR_MAX if name else 0, total, croom)
        r = self._call(host.recvmsg, h, _waits(flags, POLLIN), hdr[0],
                       _s32(flags | MSG_CMSG_CLOEXEC))  # fmt: skip
        if r < 0:
            return r
        _n, hnamelen, _i, _l, _c, hctl, hflags = host.msghdr.unpack(hdr[0].raw)
        gctl, trunc = self._control_to_guest(cbuf.raw[: min(hctl, croom)], croom,
                                             bool(flags & MSG_CMSG_CLOEXEC))  # fmt: skip
        data, pos = dbuf.raw[: min(r, total)], 0
        for base, length in vec:
            chunk = data[pos : pos + length]
            if chunk and not write_guest(self.emu, base, chunk):
                return -EFAULT
            pos += len(chunk)
        hflags = (hflags & ~MSG_CMSG_CLOEXEC) | (flags & MSG_CMSG_CLOEXEC) | trunc
        ok = write_guest(self.emu, msg + 40, struct.pack("<Q", len(gctl)))
        ok = ok and write_guest(self.emu, msg + 48, struct.pack("<i", _s32(hflags)))
        if gctl:
            ok = ok and write_guest(self.emu, control, gctl)
        if name:
            got = nbuf.raw[: min(hnamelen, SOCKADDR_MAX)]
            ok = ok and self._name_out(name, msg + 8, room, got)
        return r if ok else -EFAULT

    def _control_to_guest(self, ctl: bytes, room: int, cloexec: bool) -> tuple[bytes, int]:
        """The host's control messages in the guest's layout, at most ``room`` bytes, the
        descriptors received installed; and MSG_CTRUNC if some did not fit."""
        host = self._host
        out = bytearray()
        trunc = 0
        off = 0
        while off + host.cmsg_data <= len(ctl):
            clen, level, typ = host.cmsghdr.unpack_from(ctl, off)
            if clen < host.cmsg_data or clen > len(ctl) - off:
                break
            data = ctl[off + host.cmsg_data : off + clen]
            off += -(-clen // host.cmsg_align) * host.cmsg_align
            if level == host.sol_socket:
                level, typ = SOL_SOCKET, host.scm_back.get(typ, typ)
                if typ == SCM_RIGHTS:
                    hfds = struct.unpack_from(f"={len(data) // 4}i", data)
                    fit = max(0, (room - len(out) - CMSGHDR.size) // 4)
                    for extra in hfds[fit:]:  # no room for them in the guest's buffer
                        os.close(extra)
                        trunc = MSG_CTRUNC
                    fds = [self._install(d, cloexec) for d in hfds[:fit]]
                    if not fds:
                        continue
                    data = struct.pack(f"<{len(fds)}i", *fds)
            if len(out) + CMSGHDR.size + len(data) > room:
                trunc = MSG_CTRUNC
                break
            out += CMSGHDR.pack(CMSGHDR.size + len(data), level, typ) + data
            out += bytes(min((-len(out)) % 8, room - len(out)))
        return bytes(out), trunc


def _waits(flags: int, events: int) -> int:
    """What a send or receive with ``flags`` may wait for: nothing with MSG_DONTWAIT."""
    return 0 if flags & MSG_DONTWAIT else events


def _ready(h: int, events: int) -> bool:
    """Whether a call on host descriptor ``h`` would not block for ``events`` now."""
    if not os.get_blocking(h):
        return True
    poller = select.poll()
    poller.register(h, events)
    return bool(poller.poll(0))


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def _mapped(emu: Emulator, addr: int, n: int) -> bool:
    """Whether the first and the last byte of ``[addr, addr + n)`` are mapped."""
    return read_guest(emu, addr, 1) is not None and read_guest(emu, addr + n - 1, 1) is not None
