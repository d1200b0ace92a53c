"""``tcgkit run``: pick the target for an ELF file, load it, run it, report.

Owns ``run_program`` (what the command does, callable from Python) and
``target_for_machine`` (the installed target whose ``linux_abi`` runs an ELF
machine number).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..api import Emulator
from ..plugins import TARGET, PluginManager, UnknownPluginError, get_plugin_manager
from .elf import read_elf
from .process import LinuxProcess


@dataclass
class RunResult:
    exit_code: int | None
    stats: dict[str, Any]
    syscalls: dict[str, int]
    seconds: float


def target_for_machine(pm: PluginManager, machine: int) -> str:
    found = []
    for info in pm.infos(TARGET):
        abi = getattr(info.obj, "linux_abi", None)
        if abi is not None and abi.elf_machine == machine:
            found.append(info.name)
    if not found:
        raise UnknownPluginError(
            f"no installed guest target runs ELF machine {machine} "
            f"(for aarch64, machine 183: pip install tcgkit-target-aarch64)"
        )
    return found[0]


def run_program(
    path: str | Path,
    args: list[str] | None = None,
    *,
    target: str | None = None,
    host: str = "auto",
    tb_hash: str | None = None,
    debug: str = "",
    env: list[str] | None = None,
    stdout: BinaryIO | None = None,
    timeout: int = 0,
) -> RunResult:
    """Run a static Linux ELF program to completion."""
    pm = get_plugin_manager()
    data = Path(path).read_bytes()
    image = read_elf(data, str(path))
    target = target or target_for_machine(pm, image.machine)
    with Emulator(target, host=host, tb_hash=tb_hash, debug=debug) as emu:
        abi = emu.engine.target.linux_abi
        proc = LinuxProcess(emu, abi, stdout=stdout)
        proc.load(data, [str(path), *(args or [])], env or [], name=str(path))
        t0 = time.perf_counter()
        code = proc.run(timeout=timeout)
        seconds = time.perf_counter() - t0
        return RunResult(code, emu.stats(), dict(proc.syscall_counts), seconds)
