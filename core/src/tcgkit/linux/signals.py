"""The signals of a Linux process: dispositions, masks, and delivery to guest handlers.

Owns ``Signals``: rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigreturn, the
signals a process sends itself (kill, tgkill, tkill), and ``deliver``, which runs
at the end of every system call: a pending signal that is not blocked is taken
by its disposition (ignored, the default action, or the guest handler: the
target's signal frame (``LinuxABI.signal_frames``) is pushed on the guest stack,
or on the alternate stack with SA_ONSTACK, and the handler returns through
SA_RESTORER's code or the sigreturn trampoline this module maps).

Invariants: SIGKILL and SIGSTOP cannot be caught, ignored or blocked; while a
handler runs, its signal (unless SA_NODEFER) and its sa_mask are blocked, and
rt_sigreturn restores the mask the frame saved; SA_RESETHAND resets the
disposition to the default before the handler runs; a default action that ends
the process records the signal (``LinuxProcess.term_signal``); one mask for the
whole process (the threads of a process share it here).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ..memory import PROT_EXEC, PROT_READ
from .mm import read_guest, write_guest

if TYPE_CHECKING:
    from .process import LinuxProcess

SIG_DFL, SIG_IGN = 0, 1
SIGKILL, SIGSTOP = 9, 19
SA_SIGINFO, SA_ONSTACK, SA_RESTORER, SA_NODEFER, SA_RESETHAND = (
    0x4, 0x08000000, 0x04000000, 0x40000000, 0x80000000)  # fmt: skip
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SS_ONSTACK, SS_DISABLE = 1, 2
SI_TKILL, SI_USER = -6, 0
#: signals whose default action is to ignore them (SIGCHLD, SIGURG, SIGWINCH, SIGCONT)
IGNORED_BY_DEFAULT = frozenset((17, 23, 28, 18))
EINVAL, EFAULT, ENOSYS, EPERM = 22, 14, 38, 1
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


class Signals:
    """The signal state of one process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.actions: dict[
            int, tuple[int, int, int, int]
        ] = {}  # sig -> handler, flags, restorer, mask
        self.blocked = 0
        self.pending: dict[int, bytes] = {}  # sig -> its siginfo
        self.altstack = (0, SS_DISABLE, 0)  # ss_sp, ss_flags, ss_size
        self._trampoline = 0

    # -- system calls ---------------------------------------------------------------------

    def sys_rt_sigaction(self, sig: int, act: int, old: int, size: int, *_: int) -> int:
        emu = self.proc.emu
        if not 1 <= sig <= 64 or (sig in (SIGKILL, SIGSTOP) and act):
            return -EINVAL
        if old:
            h, f, r, m = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
            if not write_guest(emu, old, struct.pack("<QQQQ", h, f, r, m)):
                return -EFAULT
        if act:
            raw = read_guest(emu, act, 32)
            if raw is None:
                return -EFAULT
            h, f, r, m = struct.unpack("<QQQQ", raw)
            self.actions[sig] = (h, f, r, m & ~UNBLOCKABLE)
            if h == SIG_IGN or (h == SIG_DFL and sig in IGNORED_BY_DEFAULT):
                self.pending.pop(sig, None)
        return 0

    def sys_rt_sigprocmask(self, how: int, new: int, old: int, size: int, *_: int) -> int:
        emu = self.proc.emu
        if old and not write_guest(emu, old, struct.pack("<Q", self.blocked)):
            return -EFAULT
        if new:
            raw = read_guest(emu, new, 8)
            if raw is None:
                return -EFAULT
            value = struct.unpack("<Q", raw)[0]
            if how == SIG_BLOCK:
                self.blocked |= value
            elif how == SIG_UNBLOCK:
                self.blocked &= ~value
            elif how == SIG_SETMASK:
                self.blocked = value
            else:
                return -EINVAL
            self.blocked &= ~UNBLOCKABLE
        return 0

    def sys_rt_sigpending(self, ptr: int, size: int, *_: int) -> int:
        bits = 0
        for sig in self.pending:
            bits |= 1 << (sig - 1)
        ok = write_guest(self.proc.emu, ptr, struct.pack("<Q", bits & self.blocked))
        return 0 if ok else -EFAULT

    def sys_sigaltstack(self, new: int, old: int, *_: int) -> int:
        emu = self.proc.emu
        if old:
            sp, flags, size = self.altstack
            if self._on_altstack():
                flags |= SS_ONSTACK
            if not write_guest(emu, old, struct.pack("<QiiQ", sp, flags, 0, size)):
                return -EFAULT
        if new:
            raw = read_guest(emu, new, 24)
            if raw is None:
                return -EFAULT
            sp, flags, _pad, size = struct.unpack("<QiiQ", raw)
            if self._on_altstack():
                return -EPERM
            if flags & ~SS_DISABLE:
                return -EINVAL
            self.altstack = (sp, flags, size) if not flags & SS_DISABLE else (0, SS_DISABLE, 0)
        return 0

    def sys_rt_sigreturn(self, *_: int) -> int:
        frames = self.proc.abi.signal_frames
        self.blocked = frames.pop(self.proc.emu) & ~UNBLOCKABLE
        return self.proc.emu.reg_read(self.proc.abi.ret_reg)  # the restored result register

    def sys_kill(self, pid: int, sig: int, *_: int) -> int:
        pid = _s32(pid)
        if pid not in (self.proc.pid, 0, -1):
            return -3  # ESRCH: no other process is visible from here
        return self.raise_self(sig & 0xFFFFFFFF, SI_USER)

    def sys_tgkill(self, tgid: int, tid: int, sig: int, *_: int) -> int:
        if _s32(tgid) != self.proc.pid:
            return -3
        return self.raise_self(sig & 0xFFFFFFFF, SI_TKILL)

    def sys_tkill(self, tid: int, sig: int, *_: int) -> int:
        return self.raise_self(sig & 0xFFFFFFFF, SI_TKILL)

    # -- raising and delivering -------------------------------------------------------------

    def raise_self(self, sig: int, code: int) -> int:
        if sig == 0:
            return 0
        if not 1 <= sig <= 64:
            return -EINVAL
        info = struct.pack("<iiiiII", sig, 0, code, 0, self.proc.pid, 0)
        self.pending[sig] = info
        return 0

    def deliver(self) -> None:
        """Take every pending signal that is not blocked (after a system call)."""
        while self.pending and self.proc.exit_code is None:
            ready = [s for s in sorted(self.pending) if not self.blocked & (1 << (s - 1))
                     or s in (SIGKILL, SIGSTOP)]  # fmt: skip
            if not ready:
                return
            sig = ready[0]
            info = self.pending.pop(sig)
            handler, flags, restorer, mask = self.actions.get(sig, (SIG_DFL, 0, 0, 0))
            if sig in (SIGKILL, SIGSTOP):
                handler = SIG_DFL
            if handler == SIG_IGN or (handler == SIG_DFL and sig in IGNORED_BY_DEFAULT):
                continue
            if handler == SIG_DFL:
                self.proc.terminate_by(sig)
                return
            self._run_handler(sig, info, handler, flags, restorer, mask)
            return  # the handler runs now; what else is pending waits for the next call

    def _run_handler(self, sig: int, info: bytes, handler: int, flags: int, restorer: int,
                     mask: int) -> None:  # fmt: skip
        proc = self.proc
        emu, abi = proc.emu, proc.abi
        frames: Any = abi.signal_frames
        sp = emu.reg_read(abi.sp_reg)
        ss_sp, ss_flags, ss_size = self.altstack
        if flags & SA_ONSTACK and not ss_flags & SS_DISABLE and not self._on_altstack():
            sp = ss_sp + ss_size
        if not flags & SA_RESTORER or not restorer:
            restorer = self._sigreturn_trampoline(frames.sigreturn_code)
        frames.push(emu, sp, sig, info, self.blocked, handler, restorer, self.altstack)
        self.blocked |= mask & ~UNBLOCKABLE
        if not flags & SA_NODEFER:
            self.blocked |= 1 << (sig - 1)
        if flags & SA_RESETHAND:
            self.actions[sig] = (SIG_DFL, 0, 0, 0)

    def _on_altstack(self) -> bool:
        ss_sp, ss_flags, ss_size = self.altstack
        if ss_flags & SS_DISABLE:
            return False
        sp = self.proc.emu.reg_read(self.proc.abi.sp_reg)
        return ss_sp < sp <= ss_sp + ss_size

    def _sigreturn_trampoline(self, code: bytes) -> int:
        """A page of the target's ``rt_sigreturn`` code (the kernel's vDSO has it)."""
        if not self._trampoline:
            mem = self.proc.mem
            at = mem.find_free(0x1000)
            if at is None:
                raise MemoryError("no room for the signal return trampoline")
            self.proc.emu.mem_map(at, 0x1000, PROT_READ | PROT_EXEC)
            self.proc.emu.mem_write(at, code)
            self._trampoline = at
        return self._trampoline


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v
