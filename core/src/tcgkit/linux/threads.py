"""Guest threads of a Linux process: each one a vCPU of the emulator.

Owns ``Threads``: the thread table (tid -> vCPU), and the system calls that
make, identify, synchronize and end threads: clone with CLONE_VM |
CLONE_THREAD (a vCPU, new or one an exited thread left, started in a host
thread of its own with the parent's registers, the new stack, TLS and
return value 0), set_tid_address, gettid, futex (wait, wake, with timeouts,
the bitset, requeue and wake-op forms, private or not), exit of one thread
(its clear-child-tid word zeroed and woken, as glibc's pthread_join expects)
as opposed to exit_group, sched_yield, sched_getaffinity and the other
sched_* calls as a kernel answers them for SCHED_OTHER threads.

Invariants:

* system calls run outside the vCPU's inner section (``exec.exclusive``), so a
  thread blocked in a futex wait holds up no other vCPU and no exclusive work;
* the futex table is changed only under ``_lock``; a waiter reads the futex
  word and enqueues itself under it, and a waker takes it after changing the
  word, so no wake-up is lost (as in the kernel);
* a waiter wakes up at least every ``POLL`` seconds to see whether its vCPU
  was stopped (exit_group, an error elsewhere, ``emu_stop``);
* the main thread is vCPU 0 and its tid is the process id.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import MemoryAccessError
from .mm import read_guest, write_guest
from .signals import Suspended

if TYPE_CHECKING:
    from ..api import Emulator
    from ..vcpu import VCPU
    from .abi import LinuxABI

CLONE_VM, CLONE_THREAD, CLONE_SETTLS = 0x100, 0x10000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000
FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_CMD_MASK = 0x7F  # without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256)
FUTEX_CLOCK_REALTIME = 256
EAGAIN, EFAULT, EINTR, EINVAL, ENOSYS, ETIMEDOUT = 11, 14, 4, 22, 38, 110
POLL = 0.05
EPERM = 1
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE = 0, 1, 2, 3, 5
#: policy -> (lowest, highest) static priority
_PRIORITIES = {SCHED_OTHER: (0, 0), SCHED_FIFO: (1, 99), SCHED_RR: (1, 99), SCHED_BATCH: (0, 0),
               SCHED_IDLE: (0, 0)}  # fmt: skip


class Thread:
    """A guest thread: its tid and the vCPU that runs it."""

    __slots__ = ("alive", "blocked", "clear_tid", "host_ident", "suspended_mask", "tid", "vcpu")

    def __init__(self, tid: int, vcpu: VCPU, blocked: int = 0) -> None:
        self.tid = tid
        self.vcpu = vcpu
        self.clear_tid = 0  # CLONE_CHILD_CLEARTID / set_tid_address
        self.alive = True
        self.blocked = blocked  # its signal mask (``signals``): a new thread inherits it
        self.suspended_mask: int | None = None  # its mask before rt_sigsuspend's
        #: the host thread running it while it blocks in a system call (None: it does
        #: not): a stop of its vCPU or a signal for it wakes that thread
        self.host_ident: int | None = None


class _Waiter:
    """A thread waiting in FUTEX_WAIT on ``addr``."""

    __slots__ = ("addr", "bitset", "woken")

    def __init__(self, addr: int, bitset: int) -> None:
        self.addr = addr
        self.bitset = bitset
        self.woken = threading.Event()


class Threads:
    """The threads of one process (see the module docstring)."""

    def __init__(self, emu: Emulator, abi: LinuxABI, pid: int) -> None:
        self.emu = emu
        self.abi = abi
        self.pid = pid
        self._lock = threading.Lock()
        self._waiters: dict[int, list[_Waiter]] = {}
        self._threads: dict[int, Thread] = {}  # vCPU index -> thread
        self._next_tid = pid + 1
        main = emu.cpus[0]
        self._threads[main.index] = Thread(pid, main)
        #: the exit status of the last thread to exit, when it ended the process
        self.last_exit: int | None = None
        #: whether a signal is waiting that must end the calling thread's futex wait
        #: (``signals``: EINTR, glibc waits again after the handler)
        self.signal_waiting: Callable[[], bool] = lambda: False
        #: a blocking call that a stop of its vCPU ends is made again when the vCPU runs
        #: on (``signals.Suspended``), as after a debugger's stop; else it fails (EINTR)
        self.restart_on_stop = False

    def renumber(self, pid: int) -> None:
        """The process became ``pid`` (a forked child, whose only thread is the caller)."""
        self.pid = pid
        self._next_tid = pid + 1
        self.current().tid = pid

    # -- who is calling ---------------------------------------------------------------

    def current(self) -> Thread:
        vcpu = self.emu.current_cpu
        if vcpu is None or vcpu.index not in self._threads:
            raise RuntimeError("a system call from a vCPU that is not a thread of this process")
        return self._threads[vcpu.index]

    def after_fork(self) -> None:
        """In a child forked from a thread of a process with several: the others did not
        come along (their vCPUs are idle here; their futex waits are forgotten)."""
        me = self.current()
        self._lock = threading.Lock()  # another thread may have held the old one
        for t in self._threads.values():
            if t is not me:
                t.alive = False
                t.vcpu._cpu.running = False  # its host thread does not exist here
        self._waiters.clear()

    def current_stopped(self) -> bool:
        """Whether the calling thread's vCPU was asked to stop (exit_group, emu_stop)."""
        vcpu = self.emu.current_cpu
        return vcpu is None or vcpu.stop_requested

    def blocked_in_calls(self) -> list[Thread]:
        """The live threads blocked in a system call now (``host_ident`` set)."""
        return [t for t in list(self._threads.values()) if t.alive and t.host_ident is not None]

    def live(self) -> int:
        return sum(1 for t in self._threads.values() if t.alive)

    def by_vcpu(self) -> dict[int, Thread]:
        """The threads by vCPU index (a copy: a debugger's view of them)."""
        return dict(self._threads)

    def by_tid(self, tid: int) -> Thread | None:
        """The live guest thread of that tid, if any."""
        return next((t for t in list(self._threads.values()) if t.alive and t.tid == tid), None)

    def signal_vcpu(self, sig: int) -> VCPU | None:
        """The vCPU a signal sent to the process is taken on: the first live thread that
        does not block it, the main thread first; else the first live one, where it
        waits until unblocked (None: no thread is left)."""
        live = [t for t in list(self._threads.values()) if t.alive]
        bit = 1 << (sig - 1)
        chosen = next((t for t in live if not t.blocked & bit), live[0] if live else None)
        return None if chosen is None else chosen.vcpu

    def here(self) -> Thread:
        """The calling guest thread; the main thread when called from elsewhere (the
        embedding's thread between runs, a timer, the signal watcher)."""
        vcpu = self.emu.current_cpu
        thread = self._threads.get(vcpu.index) if vcpu is not None else None
        return thread if thread is not None else next(iter(self._threads.values()))

    # -- system calls -----------------------------------------------------------------

    def gettid(self, *_: int) -> int:
        return self.current().tid

    def set_tid_address(self, addr: int, *_: int) -> int:
        me = self.current()
        me.clear_tid = addr
        return me.tid

    def clone(self, flags: int, stack: int, ptid: int, tls: int, ctid: int, *_: int) -> int:
        if flags & (CLONE_VM | CLONE_THREAD) != CLONE_VM | CLONE_THREAD:
            return -ENOSYS  # a new process (fork) is not supported yet
        parent = self.current().vcpu
        emu = self.emu
        with self._lock:
            reuse = [t for t in self._threads.values() if not t.alive and not t.vcpu.running]
            vcpu = reuse[0].vcpu if reuse else emu.add_cpu()
            tid = self._next_tid
            self._next_tid += 1
            thread = self._threads[vcpu.index] = Thread(tid, vcpu, self.current().blocked)
        vcpu.context_restore(parent.context_save())
        abi = self.abi
        if stack:
            vcpu.reg_write(abi.sp_reg, stack)
        vcpu.reg_write(abi.ret_reg, 0)
        if flags & CLONE_SETTLS and abi.tls_reg:
            vcpu.reg_write(abi.tls_reg, tls)
        if flags & CLONE_CHILD_CLEARTID:
            thread.clear_tid = ctid
        for flag, addr in ((CLONE_PARENT_SETTID, ptid), (CLONE_CHILD_SETTID, ctid)):
            if flags & flag:
                emu.mem_write(addr, tid.to_bytes(4, "little"))
        vcpu.start(parent.reg_read("pc"), 0)  # the instruction after the svc, as the parent
        if parent.stop_requested:  # every vCPU was asked to stop (starting it cleared it)
            vcpu.stop()
        return tid

    def exit_thread(self, code: int) -> bool:
        """The calling thread ends; True when it was the last one (the process ends)."""
        me = self.current()
        if me.clear_tid:
            with contextlib.suppress(MemoryAccessError):
                self.emu.mem_write(me.clear_tid, bytes(4))
            self._wake(me.clear_tid, 1, 0xFFFFFFFF)
        with self._lock:
            me.alive = False
            last = self.live() == 0
        if last:
            self.last_exit = code
            self.emu.emu_stop()
        else:
            me.vcpu.stop()
        return last

    def sched_yield(self, *_: int) -> int:
        time.sleep(0)
        return 0

    def sched_getaffinity(self, pid: int, size: int, mask: int, *_: int) -> int:
        n = min(os.cpu_count() or 1, 64)
        if size < 8:
            return -EINVAL
        return 8 if write_guest(self.emu, mask, ((1 << n) - 1).to_bytes(8, "little")) else -EFAULT

    # -- scheduling, as far as programs ask (every thread is SCHED_OTHER) ---------------

    def sys_sched_setaffinity(self, pid: int, size: int, mask: int, *_: int) -> int:
        return 0 if read_guest(self.emu, mask, min(size, 128)) is not None else -EFAULT

    def sys_sched_getscheduler(self, *_: int) -> int:
        return SCHED_OTHER

    def sys_sched_setscheduler(self, pid: int, policy: int, param: int, *_: int) -> int:
        return 0 if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE) else -EPERM

    def sys_sched_getparam(self, pid: int, param: int, *_: int) -> int:
        return 0 if write_guest(self.emu, param, bytes(4)) else -EFAULT

    def sys_sched_setparam(self, pid: int, param: int, *_: int) -> int:
        raw = read_guest(self.emu, param, 4)
        if raw is None:
            return -EFAULT
        return 0 if raw == bytes(4) else -EINVAL

    def sys_sched_get_priority_max(self, policy: int, *_: int) -> int:
        return _PRIORITIES.get(policy, (-EINVAL, -EINVAL))[1]

    def sys_sched_get_priority_min(self, policy: int, *_: int) -> int:
        return _PRIORITIES.get(policy, (-EINVAL, -EINVAL))[0]

    def sys_sched_rr_get_interval(self, pid: int, ts: int, *_: int) -> int:
        return 0 if write_guest(self.emu, ts, struct.pack("<qq", 0, 100_000_000)) else -EFAULT

    def futex(self, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int) -> int:
        cmd = op & FUTEX_CMD_MASK
        try:
            if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
                bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAIT_BITSET else 0xFFFFFFFF
                if not bitset:
                    return -EINVAL
                deadline = self._deadline(timeout, absolute=cmd == FUTEX_WAIT_BITSET,
                                          realtime=bool(op & FUTEX_CLOCK_REALTIME))  # fmt: skip
                return self._wait(uaddr, val & 0xFFFFFFFF, bitset, deadline)
            if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
                bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAKE_BITSET else 0xFFFFFFFF
                return self._wake(uaddr, val, bitset) if bitset else -EINVAL
            if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
                expected = val3 & 0xFFFFFFFF if cmd == FUTEX_CMP_REQUEUE else None
                return self._requeue(uaddr, val, timeout, uaddr2, expected)
            if cmd == FUTEX_WAKE_OP:
                return self._wake_op(uaddr, val, timeout, uaddr2, val3)
        except MemoryAccessError:
            return -EFAULT
        return -ENOSYS

    # -- futexes ----------------------------------------------------------------------

    def _word(self, addr: int) -> int:
        return int.from_bytes(self.emu.mem_read(addr, 4), "little")

    def _deadline(self, ts: int, absolute: bool, realtime: bool) -> float | None:
        if not ts:
            return None
        sec, nsec = struct.unpack("<qq", self.emu.mem_read(ts, 16))
        t = sec + nsec / 1e9
        if not absolute:
            return time.monotonic() + t
        now = time.time() if realtime else time.monotonic()
        return time.monotonic() + (t - now)

    def _wait(self, addr: int, val: int, bitset: int, deadline: float | None) -> int:
        with self._lock:
            if self._word(addr) != val:
                return -EAGAIN
            w = _Waiter(addr, bitset)
            self._waiters.setdefault(addr, []).append(w)
        vcpu = self.current().vcpu
        while True:
            left = POLL if deadline is None else min(POLL, deadline - time.monotonic())
            if left > 0 and w.woken.wait(left):
                return 0
            gave_up = vcpu.stop_requested or self.signal_waiting()
            if not gave_up and (deadline is None or time.monotonic() < deadline):
                continue
            with self._lock:
                if w.woken.is_set():
                    return 0
                queue = self._waiters.get(w.addr, [])  # requeue may have moved it
                if w in queue:
                    queue.remove(w)
                    if not queue:
                        del self._waiters[w.addr]
            if gave_up and vcpu.stop_requested and self.restart_on_stop:
                raise Suspended
            return -EINTR if gave_up else -ETIMEDOUT

    def _wake(self, addr: int, n: int, bitset: int) -> int:
        with self._lock:
            return self._wake_locked(addr, n, bitset)

    def _wake_locked(self, addr: int, n: int, bitset: int) -> int:
        queue = self._waiters.get(addr)
        if not queue:
            return 0
        woken = [w for w in queue if w.bitset & bitset][: max(n, 0)]
        for w in woken:
            queue.remove(w)
            w.woken.set()
        if not queue:
            del self._waiters[addr]
        return len(woken)

    def _requeue(self, addr: int, n_wake: int, n_move: int, addr2: int,
                 expected: int | None) -> int:  # fmt: skip
        with self._lock:
            if expected is not None and self._word(addr) != expected:
                return -EAGAIN
            woken = self._wake_locked(addr, n_wake, 0xFFFFFFFF)
            queue = self._waiters.get(addr, [])
            moved = queue[: max(n_move, 0)]
            for w in moved:
                queue.remove(w)
                w.addr = addr2
                self._waiters.setdefault(addr2, []).append(w)
            if not queue:
                self._waiters.pop(addr, None)
            return woken + len(moved)

    def _wake_op(self, addr: int, n: int, n2: int, addr2: int, encoded: int) -> int:
        op, cmp = encoded >> 28 & 7, encoded >> 24 & 15
        oparg, cmparg = encoded >> 12 & 0xFFF, encoded & 0xFFF
        if encoded >> 31 & 1:  # FUTEX_OP_OPARG_SHIFT
            oparg = 1 << (oparg & 31)
        ops = {0: lambda old: oparg, 1: lambda old: old + oparg, 2: lambda old: old | oparg,
               3: lambda old: old & ~oparg, 4: lambda old: old ^ oparg}  # fmt: skip
        compare = {0: int.__eq__, 1: int.__ne__, 2: int.__lt__, 3: int.__le__, 4: int.__gt__,
                   5: int.__ge__}  # fmt: skip
        if op not in ops or cmp not in compare:
            return -ENOSYS
        engine = self.emu.engine
        with self._lock:
            with engine.exclusive():  # no vCPU runs between the read and the write
                old = self._word(addr2)
                self.emu.mem_write(addr2, (ops[op](old) & 0xFFFFFFFF).to_bytes(4, "little"))
            woken = self._wake_locked(addr, n, 0xFFFFFFFF)
            signed_old = old - (1 << 32) if old >> 31 else old
            if compare[cmp](signed_old, cmparg):
                woken += self._wake_locked(addr2, n2, 0xFFFFFFFF)
            return woken
