"""New processes of a Linux process: fork, execve, wait.

Owns ``Children``: clone without CLONE_THREAD (fork, and vfork: CLONE_VM |
CLONE_VFORK, served as a fork as qemu-user does) by forking the whole host
process, emulator included; execve of an AArch64 ELF program (or of a ``#!``
script whose interpreter is one) by replacing the host process with a new
``tcgkit run`` of it; wait4 by the host's.

Invariants:

* a guest process is a host process: the pid the guest sees is the host's, a
  child's exit status and death by a signal reach its parent's wait4 as the
  host reports them;
* fork from a process with several threads happens while the other vCPUs are
  outside generated code and translation (an exclusive section, so none holds
  the translator's locks); in the child only the calling thread lives, as in the
  kernel, and it is the process's main thread from then on;
* a forked child never returns into the embedding's code: when its guest ends,
  the child process ends (``LinuxProcess.run``);
* execve keeps the guest's descriptors that are not close-on-exec at the same
  numbers (the new ``tcgkit run`` adopts them with ``--inherit-fds``), gives the
  new program the guest's environment, argv[0] and sysroot, and fails with
  ENOEXEC for a file tcgkit cannot run (another machine's ELF: a machine without
  binfmt_misc does the same) and ENOENT / EACCES as the host says.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from typing import TYPE_CHECKING

from . import hostcalls
from .mm import read_cstring, read_guest, write_guest

if TYPE_CHECKING:
    from .process import LinuxProcess

CLONE_VM, CLONE_VFORK, CLONE_SETTLS = 0x100, 0x4000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000
EAGAIN, EFAULT, EINVAL, ENOEXEC, ECHILD, E2BIG = 11, 14, 22, 8, 10, 7
MAX_ARGS = 1 << 16


class Children:
    """fork, execve and wait4 of one guest process (see the module docstring)."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        #: True in a process forked from the one that loaded the program
        self.forked = False

    # -- fork ------------------------------------------------------------------------------

    def fork(self, flags: int, stack: int, ptid: int, tls: int, ctid: int) -> int:
        proc = self.proc
        emu, abi = proc.emu, proc.abi
        for stream in (sys.stdout, sys.stderr, *proc.files.streams()):
            with contextlib.suppress(Exception):
                stream.flush()
        threaded = proc.threads.live() > 1
        try:
            if threaded:  # the other vCPUs outside generated code and translation
                with emu.engine.exclusive():
                    pid = os.fork()
            else:
                pid = os.fork()
        except OSError as e:
            return -(e.errno or EAGAIN)
        if pid == 0 and threaded:  # only the calling thread came along
            proc.threads.after_fork()
            proc.became_main_thread()
        if pid:
            if flags & CLONE_PARENT_SETTID:
                write_guest(emu, ptid, struct.pack("<I", pid))
            return pid
        # the child: the guest's process id is the new host one
        self.forked = True
        proc.set_pid(os.getpid())
        if proc.host_signals is not None:
            proc.host_signals.after_fork()
        if stack:
            emu.reg_write(abi.sp_reg, stack)
        if flags & CLONE_SETTLS and abi.tls_reg:
            emu.reg_write(abi.tls_reg, tls)
        if flags & CLONE_CHILD_SETTID:
            write_guest(emu, ctid, struct.pack("<I", proc.pid))
        if flags & CLONE_CHILD_CLEARTID:
            proc.threads.current().clear_tid = ctid
        return 0

    # -- wait ------------------------------------------------------------------------------

    def sys_wait4(self, pid: int, status: int, options: int, rusage: int, *_: int) -> int:
        """The host's wait4 (through libc: a signal the guest handles ends it, EINTR);
        struct rusage and the status word are the same on 64-bit Linux."""
        interrupted = self.proc.files.interrupted or (lambda: False)
        done = hostcalls.wait4(_s32(pid), options & 0xFF, interrupted)
        if isinstance(done, int):
            return done
        got, code, usage = done
        if got and status and not write_guest(self.proc.emu, status, struct.pack("<i", code)):
            return -EFAULT
        if got and rusage and not write_guest(self.proc.emu, rusage, usage):
            return -EFAULT
        return got

    def sys_waitid(self, idtype: int, ident: int, infop: int, options: int, rusage: int,
                   *_: int) -> int:  # fmt: skip
        try:
            got = os.waitid(idtype, _s32(ident), options & 0x7FFFFFFF)
        except ChildProcessError:
            return -ECHILD
        except OSError as e:
            return -(e.errno or EINVAL)
        info = bytes(128)  # WNOHANG and no child changed: a zeroed siginfo
        if got is not None:
            info = struct.pack("<iiiiIIi", got.si_signo, 0, got.si_code, 0, got.si_pid,
                               got.si_uid, got.si_status).ljust(128, b"\0")  # fmt: skip
        emu = self.proc.emu
        if infop and not write_guest(emu, infop, info):
            return -EFAULT
        if rusage and not write_guest(emu, rusage, bytes(144)):
            return -EFAULT
        return 0

    # -- execve ------------------------------------------------------------------------------

    def _strings(self, ptr: int) -> list[bytes] | int:
        out: list[bytes] = []
        emu = self.proc.emu
        while ptr:
            raw = read_guest(emu, ptr + 8 * len(out), 8)
            if raw is None:
                return -EFAULT
            at = struct.unpack("<Q", raw)[0]
            if at == 0:
                return out
            s = read_cstring(emu, at, 1 << 17)
            if s is None:
                return -EFAULT
            out.append(s)
            if len(out) > MAX_ARGS:
                return -E2BIG
        return out

    def sys_execve(self, path_ptr: int, argv_ptr: int, envp_ptr: int, *_: int) -> int:
        proc = self.proc
        files = proc.files
        raw = read_cstring(proc.emu, path_ptr)
        if raw is None:
            return -EFAULT
        argv, envp = self._strings(argv_ptr), self._strings(envp_ptr)
        if isinstance(argv, int):
            return argv
        if isinstance(envp, int):
            return envp
        got = files.path_arg(-100, path_ptr)
        if isinstance(got, int):
            return got
        host, dir_fd = got
        if raw in (b"/proc/self/exe", f"/proc/{proc.pid}/exe".encode()) and files.exe_path:
            host = os.fsencode(os.path.abspath(files.exe_path))  # the guest's, not python

        try:
            fd = os.open(host, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
            try:
                head = os.pread(fd, 256, 0)
                os.fstat(fd)
            finally:
                os.close(fd)
            if not os.access(host, os.X_OK, dir_fd=dir_fd):
                return -13  # EACCES
        except OSError as e:
            return -(e.errno or ENOEXEC)
        program, args = host, argv[1:]  # the file as the host sees it (sysroot first)
        if head.startswith(b"#!"):
            line = head[2:].split(b"\n", 1)[0].strip()
            if not line:
                return -ENOEXEC
            interp, _, arg = line.partition(b" ")
            args = [*([arg.strip()] if arg.strip() else []), raw, *argv[1:]]
            argv = [interp, *args]
            ih = program = files.host_path(interp)
            try:
                with open(ih, "rb") as f:
                    head = f.read(64)
            except OSError as e:
                return -(e.errno or ENOEXEC)
        if not (head[:4] == b"\x7fELF" and len(head) >= 20
                and struct.unpack_from("<H", head, 18)[0] == proc.abi.elf_machine):  # fmt: skip
            return -ENOEXEC
        try:  # the guest's descriptors at their numbers, its working directory the host's
            inherit, undo = files.prepare_exec()
        except OSError as e:
            return -(e.errno or ENOEXEC)
        # the guest's environment goes to the new process in a memory file of its own:
        # the host environment of that process is only what Python needs to start
        env_fd = os.memfd_create("tcgkit-env", 0)
        os.write(env_fd, b"".join(e + b"\0" for e in envp))
        os.set_inheritable(env_fd, True)
        cmd = [sys.executable, "-m", "tcgkit", "run", *proc.exec_options(),
               "--env0-fd", str(env_fd)]  # fmt: skip
        if inherit:
            cmd += ["--inherit-fds", ",".join(map(str, inherit))]
        arg0 = argv[0] if argv else program
        cmd += ["--argv0", os.fsdecode(arg0), "--", os.fsdecode(program),
                *map(os.fsdecode, args)]  # fmt: skip
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        if proc.host_signals is not None:
            proc.host_signals.prepare_exec()
        try:
            os.execve(sys.executable, cmd, _python_env())
        except OSError as e:
            os.close(env_fd)
            undo()
            if proc.host_signals is not None:
                proc.host_signals.exec_failed()
            return -(e.errno or ENOEXEC)
        return 0  # not reached


def _python_env() -> dict[str, str]:
    """What the new tcgkit process itself needs of this one's environment to start."""
    keep = ("PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if k in keep}


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v
