"""Instruction hooks (HOOK_INSN) on the system instructions: MRS, MSR (register),
SYS (the DC/IC operations this target implements); SYSL is undefined here and so
never reaches a hook.

Owns ``hookable``: it wraps a translator so that, where a HOOK_INSN hook covers the
instruction, the TB first calls a helper that runs the hooks with the
instruction's id (numbered as Unicorn's UC_ARM64_INS_*: MRS 1, MSR 2, SYS 3,
SYSL 4), its Rt, the system register's encoding (op0, op1, CRn, CRm, op2) and Rt's
value (0 for XZR), and skips the instruction when a hook returns true. The
helper reads and writes no global behind the passes' backs (CallFlags.NONE: the
hooks may change any register). Code no hook covers is translated as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from tcgkit.exec.cpu import CPU
from tcgkit.target import DisasContext, DisasJump
from tcgkit.tcg.ir import Helper
from tcgkit.tcg.types import I64, CallFlags, Cond

from .bits import field

if TYPE_CHECKING:
    from .target import AArch64Target

INSN_MRS: Final = 1
INSN_MSR: Final = 2
INSN_SYS: Final = 3
INSN_SYSL: Final = 4


def sys_key(insn: int) -> tuple[int, int, int, int, int]:
    """(op0, op1, CRn, CRm, op2) of a system instruction's encoding."""
    return (field(insn, 20, 19), field(insn, 18, 16), field(insn, 15, 12),
            field(insn, 11, 8), field(insn, 7, 5))  # fmt: skip


def _run_hooks(cpu: CPU, kind: int, insn: int) -> int:
    rt = insn & 31
    value = 0 if rt == 31 else cpu.state[cpu.engine.target.x[rt].offset // 8]
    return int(cpu.engine.fire_insn_hooks(cpu, kind, rt, sys_key(insn), value))


HELPER_INSN_HOOKS: Final = Helper("a64_insn_hooks", _run_hooks, CallFlags.NONE, I64, (I64, I64))

Translator = Callable[["AArch64Target", DisasContext, int], Any]


def hookable(translate: Translator, kind: int) -> Translator:
    """``translate`` with the instruction hooks of ``kind`` before it where they apply."""

    def hooked(t: AArch64Target, dc: DisasContext, insn: int) -> Any:
        covers = dc.insn_hooked
        if covers is None or not covers(dc.insn_start_pc):
            return translate(t, dc, insn)
        ctx = dc.ctx
        skip, r = ctx.label(), ctx.temp()
        ctx.call(HELPER_INSN_HOOKS, r, kind, insn)
        ctx.brcond(Cond.NE, r, 0, skip)
        result = translate(t, dc, insn)
        ctx.set_label(skip)
        if dc.is_jmp is DisasJump.NEXT:
            # the TB ends after it, so that a stop a hook asked for (Unicorn: after
            # the instruction) is seen at the next TB's start
            dc.is_jmp = DisasJump.TOO_MANY
        return result

    hooked.__name__ = translate.__name__
    hooked.__doc__ = translate.__doc__
    return hooked
