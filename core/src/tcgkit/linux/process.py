"""Running a static Linux program on an Emulator (the first step of user mode).

Owns ``LinuxProcess``: loading an ELF image into guest memory, the initial
stack (argc, argv, envp, auxv, as the kernel lays it out), and the system
calls freestanding programs use: read, write, writev, exit, exit_group, brk,
anonymous mmap / munmap / mprotect, plus the few that static C runtimes call
at start and that have a harmless answer (getpid, ioctl -> ENOTTY, ...).
Threads (clone, futex, ...) are ``threads``'. Any other system call stops
the program with ``UnsupportedSyscall`` naming its number and pc: never a
silent wrong answer. System calls of several threads run at once; those that
change the process's state run one at a time (``_lock``), those that block
(futex waits, sleeps) without it.

Memory layout: segments where the ELF says; the heap (brk) starts at the page
after the highest segment; anonymous mmaps grow down from ``MMAP_TOP``; the
stack is ``STACK_SIZE`` bytes below ``STACK_TOP``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import EmulationError
from ..hooks import HOOK_INTR
from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .abi import LinuxABI
from .elf import PF_R, PF_W, PF_X, ElfError, read_elf
from .threads import Threads

if TYPE_CHECKING:
    from ..api import Emulator

PAGE = 0x1000
STACK_TOP = 0x7FFF_F000_0000
STACK_SIZE = 8 << 20
MMAP_TOP = 0x7FF0_0000_0000
PID = 1  # the process id getpid answers; the main thread's tid
BRK_MAX = 1 << 30  # the heap may grow this far

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY = 0, 3, 4, 5, 6, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_RANDOM = (
    11, 12, 13, 14, 16, 17, 23, 25)  # fmt: skip

ENOENT, EBADF, ENOMEM, EINVAL, ENOTTY, ENOSYS = 2, 9, 12, 22, 25, 38
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x20


class UnsupportedSyscall(EmulationError):
    """The guest made a system call tcgkit's user mode does not implement."""

    def __init__(self, nr: int, pc: int) -> None:
        super().__init__(f"unsupported system call {nr}", pc=pc)
        self.nr = nr


def _page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def _prot(flags: int) -> int:
    return ((PROT_READ if flags & PF_R else 0) | (PROT_WRITE if flags & PF_W else 0)
            | (PROT_EXEC if flags & PF_X else 0))  # fmt: skip


class LinuxProcess:
    """One program in one emulator: load, then ``run``."""

    def __init__(
        self,
        emu: Emulator,
        abi: LinuxABI,
        stdout: BinaryIO | None = None,
        stderr: BinaryIO | None = None,
        stdin: BinaryIO | None = None,
    ) -> None:
        self.emu = emu
        self.abi = abi
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.exit_code: int | None = None
        self.syscall_counts: dict[str, int] = {}
        self.entry = 0
        self.brk_start = 0
        self.brk = 0
        self._mmap_next = MMAP_TOP
        self._handlers: dict[int, Callable[..., int]] = {}
        self._lock = threading.RLock()
        self.threads = Threads(self.emu, self.abi, PID)
        th = self.threads
        names = {
            "read": self._read, "write": self._write, "writev": self._writev,
            "exit": self._exit_thread, "exit_group": self._exit, "brk": self._brk,
            "mmap": self._mmap, "munmap": self._munmap, "mprotect": self._mprotect,
            "set_tid_address": th.set_tid_address, "getpid": lambda *a: PID,
            "gettid": th.gettid, "clone": th.clone, "clone3": lambda *a: -ENOSYS,
            "futex": th.futex, "sched_yield": th.sched_yield,
            "sched_getaffinity": th.sched_getaffinity,
            "nanosleep": self._nanosleep, "clock_nanosleep": self._clock_nanosleep,
            "ioctl": lambda *a: -ENOTTY, "set_robust_list": lambda *a: 0,
            "rt_sigprocmask": lambda *a: 0, "rt_sigaction": lambda *a: 0,
            "madvise": lambda *a: 0,
            # what a static C runtime asks at start-up, answered as a minimal system would
            "rseq": lambda *a: -ENOSYS, "prlimit64": lambda *a: -ENOSYS,
            "readlinkat": lambda *a: -ENOENT, "openat": lambda *a: -ENOENT,
            "newfstatat": lambda *a: -ENOSYS, "fstat": lambda *a: -ENOSYS,
            "close": lambda fd, *a: 0 if fd <= 2 else -EBADF,
            "uname": self._uname, "getrandom": self._getrandom,
            "clock_gettime": self._clock_gettime,
        }  # fmt: skip
        for name, fn in names.items():
            nr = self.abi.syscalls.get(name)
            if nr is not None:
                self._handlers[nr] = fn
        self._by_nr = {nr: name for name, nr in self.abi.syscalls.items()}
        #: the system calls that may block: they run without ``_lock``
        blocking = ("futex", "sched_yield", "nanosleep", "clock_nanosleep")
        self._blocking = {self.abi.syscalls[n] for n in blocking if n in self.abi.syscalls}

    # -- loading ----------------------------------------------------------------------

    def load(self, image_bytes: bytes, argv: Sequence[str], envp: Sequence[str] = (),
             name: str = "<program>") -> None:  # fmt: skip
        img = read_elf(image_bytes, name)
        if img.machine != self.abi.elf_machine:
            raise ElfError(
                f"{name}: ELF machine {img.machine} is not this target's ({self.abi.elf_machine})"
            )
        runs = _page_runs(img.segments)
        stack = range((STACK_TOP - STACK_SIZE) // PAGE, STACK_TOP // PAGE)
        for first, end, _perms in runs:
            if first < stack.stop and stack.start < end:
                raise ElfError(
                    f"{name}: a segment overlaps the stack ({stack.start * PAGE:#x}.."
                    f"{stack.stop * PAGE:#x}), where tcgkit places it"
                )
        for first, end, _perms in runs:
            try:
                self.emu.mem_map(first * PAGE, (end - first) * PAGE, PROT_READ | PROT_WRITE)
            except (OSError, MemoryError, ValueError) as e:
                raise ElfError(
                    f"{name}: its segments need {(end - first) * PAGE:#x} bytes at "
                    f"{first * PAGE:#x}, which cannot be mapped here ({e})"
                ) from None
        for seg in img.segments:
            self.emu.mem_write(seg.vaddr, seg.data)
        for first, end, perms in runs:
            self.emu.mem_protect(first * PAGE, (end - first) * PAGE, perms)
        top = runs[-1][1] * PAGE if runs else 0
        self.entry = img.entry
        self.brk_start = self.brk = top
        self._setup_stack(img, argv, envp)
        self.emu.hook_add(HOOK_INTR, self._on_intr)

    def _setup_stack(self, img: object, argv: Sequence[str], envp: Sequence[str]) -> None:
        emu = self.emu
        emu.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE)
        strings = bytearray()
        offsets = []
        for s in [*argv, *envp]:
            offsets.append(len(strings))
            strings += s.encode() + b"\0"
        random16 = bytes(range(16))  # deterministic AT_RANDOM: runs are reproducible
        area = STACK_TOP - _page_up(len(strings) + 64)
        emu.mem_write(area, bytes(strings))
        rand_at = area + len(strings)
        emu.mem_write(rand_at, random16)
        ptrs = [area + o for o in offsets]
        auxv = [
            (AT_PHDR, img.phdr_vaddr), (AT_PHENT, img.phent), (AT_PHNUM, img.phnum),  # type: ignore[attr-defined]
            (AT_PAGESZ, PAGE), (AT_ENTRY, img.entry), (AT_UID, 0), (AT_EUID, 0),  # type: ignore[attr-defined]
            (AT_GID, 0), (AT_EGID, 0), (AT_HWCAP, self.abi.hwcap), (AT_CLKTCK, 100),
            (AT_SECURE, 0), (AT_RANDOM, rand_at), (AT_NULL, 0),
        ]  # fmt: skip
        words = [len(argv), *ptrs[: len(argv)], 0, *ptrs[len(argv) :], 0]
        for k, v in auxv:
            words += [k, v]
        sp = (area - 8 * len(words)) & ~(self.abi.stack_align - 1)
        emu.mem_write(sp, struct.pack(f"<{len(words)}Q", *words))
        emu.reg_write(self.abi.sp_reg, sp)

    # -- running ------------------------------------------------------------------------

    def run(self, timeout: int = 0, count: int = 0) -> int | None:
        """Run from the entry point until the program exits; its exit code. The main
        thread runs in the calling thread (``timeout`` and ``count`` apply to it), the
        others in threads of their own; an error in one of them stops them all."""
        try:
            self.emu.emu_start(self.entry, 0, timeout=timeout, count=count)
        except BaseException:
            self.emu.emu_stop()
            with contextlib.suppress(BaseException):  # the main thread's error is the one
                self.emu.wait()
            raise
        if self.threads.live() and self.exit_code is None and (timeout or count):
            self.emu.emu_stop()  # the main thread's limit ends the process
        self.emu.wait()
        return self.exit_code

    def _on_intr(self, emu: Emulator, intno: int) -> None:
        if intno != self.abi.syscall_intno:
            raise EmulationError(f"unexpected interrupt {intno}", pc=emu.reg_read("pc"))
        nr = emu.reg_read(self.abi.nr_reg)
        handler = self._handlers.get(nr)
        if handler is None:
            raise UnsupportedSyscall(nr, emu.reg_read("pc"))
        name = self._by_nr.get(nr, str(nr))
        args = [emu.reg_read(r) for r in self.abi.arg_regs]
        with self._lock:
            self.syscall_counts[name] = self.syscall_counts.get(name, 0) + 1
            if nr not in self._blocking:
                result = handler(*args)
        if nr in self._blocking:
            result = handler(*args)
        if self.exit_code is None:
            emu.reg_write(self.abi.ret_reg, result & 0xFFFFFFFFFFFFFFFF)

    # -- system calls --------------------------------------------------------------------

    def _stream(self, fd: int) -> BinaryIO | None:
        import sys

        if fd == 1:
            return self.stdout or sys.stdout.buffer
        if fd == 2:
            return self.stderr or sys.stderr.buffer
        return None

    def _write(self, fd: int, buf: int, n: int, *_: int) -> int:
        out = self._stream(fd)
        if out is None:
            return -EBADF
        out.write(bytes(self.emu.mem_read(buf, n)))
        out.flush()
        return n

    def _writev(self, fd: int, iov: int, cnt: int, *_: int) -> int:
        total = 0
        for i in range(cnt):
            base, length = struct.unpack("<QQ", self.emu.mem_read(iov + 16 * i, 16))
            r = self._write(fd, base, length)
            if r < 0:
                return r
            total += r
        return total

    def _read(self, fd: int, buf: int, n: int, *_: int) -> int:
        if fd != 0:
            return -EBADF
        import sys

        src = self.stdin or sys.stdin.buffer
        data = src.read(n) if n else b""
        self.emu.mem_write(buf, data)
        return len(data)

    def _uname(self, buf: int, *_: int) -> int:
        fields = ["Linux", "tcgkit", "6.1.0", "#1 tcgkit user mode", self.abi.uname_machine, ""]
        self.emu.mem_write(buf, b"".join(f.encode().ljust(65, b"\0") for f in fields))
        return 0

    def _getrandom(self, buf: int, n: int, *_: int) -> int:
        """Deterministic bytes: runs are reproducible (as AT_RANDOM is)."""
        self._random_state = getattr(self, "_random_state", 0x9E3779B97F4A7C15)
        out = bytearray()
        while len(out) < n:
            self._random_state = (self._random_state * 6364136223846793005 + 1) % (1 << 64)
            out += self._random_state.to_bytes(8, "little")
        self.emu.mem_write(buf, bytes(out[:n]))
        return n

    def _clock_gettime(self, clock: int, ts: int, *_: int) -> int:
        import time

        ns = time.monotonic_ns() if clock == 1 else time.time_ns()
        self.emu.mem_write(ts, struct.pack("<qq", ns // 10**9, ns % 10**9))
        return 0

    def _exit(self, code: int, *_: int) -> int:
        """exit_group: every thread ends."""
        self.exit_code = code & 0xFF
        self.emu.emu_stop()
        return 0

    def _exit_thread(self, code: int, *_: int) -> int:
        """exit: the calling thread ends; the process with its last thread."""
        if self.threads.exit_thread(code):
            self.exit_code = code & 0xFF
        return 0

    def _nanosleep(self, req: int, rem: int, *_: int) -> int:
        return self._clock_nanosleep(1, 0, req, rem)

    def _clock_nanosleep(self, clock: int, flags: int, req: int, rem: int, *_: int) -> int:
        sec, nsec = struct.unpack("<qq", self.emu.mem_read(req, 16))
        t = sec + nsec / 1e9
        if flags & 1:  # TIMER_ABSTIME
            t -= time.time() if clock == 0 else time.monotonic()
        if t > 0:
            time.sleep(t)
        return 0

    def _mprotect(self, addr: int, length: int, prot: int, *_: int) -> int:
        if addr % PAGE:
            return -EINVAL
        size = _page_up(length)
        covered = 0
        for b, e, _p in self.emu.mem_regions():
            lo, hi = max(b, addr), min(e + 1, addr + size)
            if lo < hi:
                self.emu.mem_protect(lo, hi - lo, prot & 7)
                covered += hi - lo
        return 0 if covered == size else -ENOMEM

    def _brk(self, addr: int, *_: int) -> int:
        if addr <= self.brk or addr > self.brk_start + BRK_MAX:
            return self.brk
        new_top = _page_up(addr)
        mapped_top = _page_up(self.brk)
        if new_top > mapped_top:
            self.emu.mem_map(mapped_top, new_top - mapped_top, PROT_READ | PROT_WRITE)
        self.brk = addr
        return addr

    def _mmap(self, addr: int, length: int, prot: int, flags: int, fd: int, off: int) -> int:
        if not flags & MAP_ANONYMOUS or length == 0:
            return -EINVAL if length == 0 else -ENOSYS
        size = _page_up(length)
        if flags & MAP_FIXED:
            if addr % PAGE:
                return -EINVAL
            start = addr
            for b, e, _p in self.emu.mem_regions():
                lo, hi = max(b, start), min(e + 1, start + size)
                if lo < hi:
                    self.emu.mem_unmap(lo, hi - lo)
        else:
            start = self._mmap_next - size
            self._mmap_next = start
        self.emu.mem_map(start, size, prot & 7)
        return start

    def _munmap(self, addr: int, length: int, *_: int) -> int:
        if addr % PAGE or length == 0:
            return -EINVAL
        size = _page_up(length)
        for b, e, _p in self.emu.mem_regions():
            lo, hi = max(b, addr), min(e + 1, addr + size)
            if lo < hi:
                self.emu.mem_unmap(lo, hi - lo)
        return 0


def _page_runs(segments: Sequence[Any]) -> list[list[int]]:
    """[first page, end page, perms] of the pages the segments cover, in address order,
    adjacent runs of equal permissions merged. A page two segments share gets both
    segments' permissions. Computed on page boundaries, not page by page, so that a
    huge segment costs no more than a small one."""
    spans = [(seg.vaddr // PAGE, _page_up(seg.vaddr + seg.memsz) // PAGE, _prot(seg.flags))
             for seg in segments if seg.memsz]  # fmt: skip
    cuts = sorted({b for first, end, _ in spans for b in (first, end)})
    runs: list[list[int]] = []
    for lo, hi in itertools.pairwise(cuts):
        perms = [p for first, end, p in spans if first <= lo and hi <= end]
        if not perms:
            continue
        prot = 0
        for p in perms:
            prot |= p
        if runs and runs[-1][1] == lo and runs[-1][2] == prot:
            runs[-1][1] = hi
        else:
            runs.append([lo, hi, prot])
    return runs


def load_file(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as f:
        return f.read()
