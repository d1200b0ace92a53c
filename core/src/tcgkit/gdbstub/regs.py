"""The guest's registers for gdb: which, in what order, and how they are encoded.

Owns ``GdbRegs``: the target's ``gdb_regs`` module (found beside the target class, or
named by its ``gdb_regs`` attribute, as ``unicorn.targets`` finds ``unicorn_regs``),
read as a register list and a target description, and the encoding of register
values for ``g``/``G``/``p``/``P`` (little-endian hex, each register its bit size).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ..api import Emulator


class GdbReg(NamedTuple):
    name: str  # gdb's name
    bits: int
    reg: str  # the name ``Emulator.reg_read`` takes
    gdb_type: str
    feature: str


class NoGdbRegs(LookupError):
    """The target has no description of its registers for gdb."""


def module_name(target_cls: type) -> str:
    """The module that describes ``target_cls``'s registers for gdb."""
    name = getattr(target_cls, "gdb_regs", None)
    if isinstance(name, str) and name:
        return name
    return target_cls.__module__.rpartition(".")[0] + ".gdb_regs"


class GdbRegs:
    """The registers of one emulator's target, as gdb numbers them."""

    def __init__(self, regs: list[GdbReg], xml: str, architecture: str = "",
                 watch_before: bool = False) -> None:  # fmt: skip
        self.regs = regs
        self.xml = xml
        self.architecture = architecture
        #: a watchpoint stops before the access (the target module's
        #: ``WATCHPOINTS_STOP_BEFORE_ACCESS``), else after the accessing instruction
        self.watch_before = watch_before
        self.by_name = {r.name: i for i, r in enumerate(regs)}
        self.pc = self.by_name.get("pc")

    @classmethod
    def for_emulator(cls, emu: Emulator) -> GdbRegs:
        """Load the description of ``emu``'s target; ``NoGdbRegs`` when there is none."""
        target_cls = type(emu.engine.target)
        name = module_name(target_cls)
        try:
            module: Any = importlib.import_module(name)
        except ImportError as exc:
            raise NoGdbRegs(f"guest target {target_cls.__name__} has no gdb description "
                            f"({name}: {exc})") from exc  # fmt: skip
        regs = [GdbReg(*row) for row in module.REGISTERS]
        return cls(regs, module.target_xml(), getattr(module, "ARCHITECTURE", ""),
                   bool(getattr(module, "WATCHPOINTS_STOP_BEFORE_ACCESS", False)))  # fmt: skip

    # -- encoding ----------------------------------------------------------------------

    def read(self, emu: Emulator, regnum: int) -> str:
        """Register ``regnum`` as gdb wants it: little-endian hex of its size."""
        r = self.regs[regnum]
        value = emu.reg_read(r.reg) & ((1 << r.bits) - 1)
        return value.to_bytes(r.bits // 8, "little").hex()

    def write(self, emu: Emulator, regnum: int, data: bytes) -> None:
        """Write register ``regnum`` from its little-endian bytes (``ValueError``: wrong size)."""
        r = self.regs[regnum]
        if len(data) != r.bits // 8:
            raise ValueError(f"register {r.name} takes {r.bits // 8} bytes, not {len(data)}")
        emu.reg_write(r.reg, int.from_bytes(data, "little"))

    def read_all(self, emu: Emulator) -> str:
        """The ``g`` reply: every register, in order."""
        return "".join(self.read(emu, i) for i in range(len(self.regs)))

    def write_all(self, emu: Emulator, data: bytes) -> None:
        """``G``: every register from ``data`` (``ValueError`` when it is too short)."""
        pos = 0
        for i, r in enumerate(self.regs):
            size = r.bits // 8
            if pos + size > len(data):
                if pos == len(data):
                    return  # gdb may send fewer registers than described
                raise ValueError("G packet ends inside a register")
            self.write(emu, i, data[pos : pos + size])
            pos += size

    def total_bytes(self) -> int:
        return sum(r.bits // 8 for r in self.regs)
