"""``tcgkit run``: pick the target for an ELF file, load it, run it, report.

Owns ``run_program`` (what the command does, callable from Python),
``read_program`` (the file's bytes, or an error naming the path) and
``target_for_machine`` (the installed target whose ``linux_abi`` runs an ELF
machine number).

Everything that can be wrong with what the caller asked for (the file, the
target, the host, the TB hash policy) is checked before the program runs and
raised as an ``InvalidArgumentError`` or a ``PluginError``; what goes wrong
while the guest runs is an ``EmulationError``.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from typing import Any, BinaryIO, TextIO

from ..api import Emulator
from ..errors import InvalidArgumentError, ProgramFileError
from ..plugins import TARGET, PluginManager, UnknownPluginError, get_plugin_manager
from .elf import ElfImage, machine_name, read_elf
from .host_signals import HostSignals
from .process import LinuxProcess


class RunResult:
    """What ``run_program`` returns: the exit status (None: the guest did not exit; 128 +
    the signal when one ended it, ``term_signal``), the engine's statistics, the system
    calls made by name, the seconds it ran."""

    __slots__ = ("emulator", "exit_code", "seconds", "stats", "syscalls", "term_signal")

    def __init__(self, exit_code: int | None, stats: dict[str, Any], syscalls: dict[str, int],
                 seconds: float, term_signal: int | None = None) -> None:  # fmt: skip
        self.exit_code = exit_code
        self.term_signal = term_signal
        self.stats = stats
        self.syscalls = syscalls
        self.seconds = seconds
        self.emulator: Emulator | None = None  # the open emulator, with close=False

    def __repr__(self) -> str:
        return f"RunResult(exit_code={self.exit_code}, seconds={self.seconds:.3f})"


def read_program(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a program file; ``ProgramFileError`` names the path if it cannot be read."""
    try:
        with open(path, "rb") as f:  # not pathlib: it imports urllib and ipaddress (3 ms)
            return f.read()
    except OSError as exc:
        why = {
            errno.ENOENT: "does not exist",
            errno.EISDIR: "is a directory, not a program file",
            errno.EACCES: "cannot be read: permission denied",
        }.get(exc.errno or 0, f"cannot be read: {exc.strerror or exc}")
        raise ProgramFileError(f"program file {str(path)!r} {why}") from exc


def target_for_machine(pm: PluginManager, machine: int, name: str = "") -> str:
    """The installed guest target whose Linux ABI runs ELF ``machine`` (``name``: the file)."""
    found = []
    runnable = []
    for info in pm.infos(TARGET):
        abi = getattr(info.obj, "linux_abi", None)
        if abi is not None:
            runnable.append(f"{info.name} for {machine_name(abi.elf_machine)}")
            if abi.elf_machine == machine:
                found.append(info.name)
    if not found:
        what = f"an ELF program for {machine_name(machine)}"
        msg = f"{name + ' is ' if name else ''}{what}, and no installed guest target runs it; "
        msg += (
            f"installed guest targets: {', '.join(runnable)}"
            if runnable
            else "no installed guest target runs Linux programs"
        )
        dist = {183: "tcgkit-target-aarch64"}.get(machine)
        if dist is not None:
            msg += f". pip install {dist}"
        raise UnknownPluginError(msg)
    return found[0]


def check_target(pm: PluginManager, target: str, image: ElfImage, name: str) -> None:
    """That guest target ``target`` is installed, runs Linux programs, and runs this one."""
    abi = getattr(pm.get(TARGET, target), "linux_abi", None)
    if abi is None:
        raise InvalidArgumentError(
            f"guest target {target!r} does not run Linux programs (it has no linux_abi); "
            "leave the target out to pick it from the ELF file"
        )
    if abi.elf_machine != image.machine:
        raise InvalidArgumentError(
            f"{name} is an ELF program for {machine_name(image.machine)}, and guest target "
            f"{target!r} runs {machine_name(abi.elf_machine)}; leave the target out to pick "
            "it from the ELF file"
        )


def resolve_sysroot(sysroot: str | None) -> str | None:
    """``-L DIR``, else ``TCGKIT_LD_PREFIX``, else None; a folder that is not one is an
    ``InvalidArgumentError``."""
    if sysroot is None:
        sysroot = os.environ.get("TCGKIT_LD_PREFIX") or None
    if sysroot is not None and not os.path.isdir(sysroot):
        raise InvalidArgumentError(f"sysroot {sysroot!r} (-L) is not a directory")
    return sysroot


def load_emulator(path: str | os.PathLike[str], *, target: str | None, host: str,
                  tb_hash: str | None, debug: str, tier_up: int | None,
                  cpu: str | None = None) -> tuple[bytes, Emulator]:  # fmt: skip
    """The program's bytes and an emulator of its target (``target``, checked against the
    ELF machine, else the target that machine names) emulating CPU model ``cpu`` (None:
    the target's default; an unknown one is an ``InvalidArgumentError`` naming the
    target's models)."""
    pm = get_plugin_manager()
    data = read_program(path)
    image = read_elf(data, str(path))
    if target is None:
        target = target_for_machine(pm, image.machine, str(path))
    else:
        check_target(pm, target, image, str(path))
    extra = {} if tier_up is None else {"tier_up": tier_up}
    return data, Emulator(target, host=host, tb_hash=tb_hash, debug=debug, cpu=cpu, **extra)


def run_program(
    path: str | os.PathLike[str],
    args: list[str] | None = None,
    *,
    target: str | None = None,
    host: str = "auto",
    tb_hash: str | None = None,
    cpu: str | None = None,
    debug: str = "",
    env: list[str] | None = None,
    stdout: BinaryIO | None = None,
    timeout: int = 0,
    stderr: BinaryIO | None = None,
    tier_up: int | None = None,
    close: bool = True,
    sysroot: str | None = None,
    strace: TextIO | None = None,
    host_stdio: bool = False,
    argv0: str | None = None,
    inherit_fds: list[int] | None = None,
    host_signals: bool = False,
) -> RunResult:
    """Run a Linux ELF program (static, or dynamic with its interpreter and libraries
    under ``sysroot``, else ``TCGKIT_LD_PREFIX``, else the host's) to completion.
    ``strace``: a text stream every system call is written to; ``stdout``/``stderr``:
    the guest's descriptors 1 and 2 (default: ``sys.stdout``/``sys.stderr``); ``host_stdio``: the
    guest's descriptors 0-2 are the host process's own (else ``stdout`` or Python's
    ``sys.std*`` streams); ``argv0``: the program's argv[0] (default: its path);
    ``inherit_fds``: host descriptors the guest has at the same numbers (after an
    execve); ``cpu``: the target's CPU model (``tcgkit run --cpu``; its features are
    what AT_HWCAP and AT_HWCAP2 advertise); ``host_signals``: the signals this
    process receives go to the guest's handlers (``host_signals``; only from the main
    thread, and the process's signal dispositions change while the program runs:
    what ``tcgkit run`` does).

    Raises ``ProgramFileError`` / ``ElfError`` (both ``InvalidArgumentError``)
    when the file cannot be run, ``PluginError`` when a name is not installed
    or the host cannot execute here, all before the program starts; an
    ``EmulationError`` when the guest fails. The emulator is closed when the
    program ends, unless ``close`` is false: it is then left open in the
    result's ``emulator`` (memory and registers as the program left them) for
    the caller to close (``tcgkit run`` exits the process instead)."""
    if host_signals and threading.current_thread() is not threading.main_thread():
        raise InvalidArgumentError("host_signals=True needs the main thread (Python's "
                                   "signal handlers run there)")  # fmt: skip
    sysroot = resolve_sysroot(sysroot)
    data, emu = load_emulator(path, target=target, host=host, tb_hash=tb_hash, debug=debug,
                              tier_up=tier_up, cpu=cpu)  # fmt: skip
    try:
        abi = emu.engine.target.linux_abi
        proc = LinuxProcess(emu, abi, stdout=stdout, stderr=stderr, sysroot=sysroot,
                            strace=strace, host_stdio=host_stdio)  # fmt: skip
        if inherit_fds:
            proc.files.adopt(inherit_fds)
        first = str(path) if argv0 is None else argv0
        try:
            proc.load(data, [first, *(args or [])], env or [], name=str(path))
            if host_signals:
                proc.host_signals = HostSignals(proc)
                proc.host_signals.install()
                proc.files.interrupted = proc.interrupted_here
            t0 = time.perf_counter()
            code = proc.run(timeout=timeout)
            seconds = time.perf_counter() - t0
        finally:
            if proc.host_signals is not None:
                proc.host_signals.uninstall()
            proc.close()
        result = RunResult(code, emu.stats(), dict(proc.syscall_counts), seconds,
                           proc.term_signal)  # fmt: skip
    except BaseException:
        emu.close()
        raise
    if close:
        emu.close()
    else:
        result.emulator = emu
    return result
