"""Branch target identification (FEAT_BTI) as Linux user mode has it.

Owns the guarded pages of an emulator (``GuardedPages``: what PROT_BTI and a BTI-marked
ELF's text make guarded, ``linux_process`` fills it), the BTYPE an indirect branch
sets (``branch_type``) and the check of the first instruction of a TB entered with a
nonzero PSTATE.BTYPE (``landing``), with the rules of SCTLR_EL1.BT0 set, as Linux
sets it.

Where the state lives: PSTATE.BTYPE is bits 30:29 of the FPCR slot and part of the
TB flags (``state.FLAG_BTYPE``), so the TB an indirect branch enters is translated
for the BTYPE it arrives with, and the check costs nothing elsewhere: only BR, BLR
and their authenticating forms set it (the TB ends there), and the first
instruction of the next TB clears it. Nothing of this runs unless the TB flags have
``FLAG_BTI`` (SCTLR_EL1.BT0 set: ``AArch64Target.sync_modes``): with it clear, as
Unicorn's max runs, branches translate as without FEAT_BTI. Nor while no page is
guarded (a program and libraries without BTI marking, as Debian's): branches then
leave BTYPE zero, and the first page to become guarded flushes every translation,
so that the indirect branches are translated again, setting it. A failed check is the
Branch Target exception, which Linux user mode (qemu-aarch64 too) delivers as an
undefined instruction: the translator raises ``InvalidInstructionError`` at the
landing address (SIGILL, ILL_ILLOPN, as for any undefined instruction).

Whether a page is guarded is read when a TB is translated; a change of PROT_BTI on
a page drops its translations (``linux_process``).
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext

from . import state as S

if TYPE_CHECKING:
    from .target import AArch64Target

PAGE_BITS: Final = 12
M64: Final = (1 << 64) - 1
#: BTYPE values: BR from X16/X17 or from an unguarded page, BLR, BR from a guarded one
BTYPE_J16: Final = 1
BTYPE_C: Final = 2
BTYPE_J: Final = 3


class GuardedPages:
    """The guarded pages of one emulator: disjoint, sorted [first, end) page ranges."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def __bool__(self) -> bool:
        return bool(self._starts)

    def guarded(self, addr: int) -> bool:
        """Whether the page holding ``addr`` is guarded."""
        page = addr >> PAGE_BITS
        i = bisect.bisect_right(self._starts, page) - 1
        return i >= 0 and page < self._ends[i]

    def ranges(self) -> list[tuple[int, int]]:
        """(first byte, end byte) of each guarded range."""
        pairs = zip(self._starts, self._ends, strict=True)
        return [(a << PAGE_BITS, b << PAGE_BITS) for a, b in pairs]

    def set(self, start: int, end: int, guarded: bool) -> bool:
        """Make bytes [start, end) (whole pages) guarded or not; whether any page changed."""
        lo, hi = start >> PAGE_BITS, (end + (1 << PAGE_BITS) - 1) >> PAGE_BITS
        pairs = list(zip(self._starts, self._ends, strict=True))
        covered = sum(max(0, min(b, hi) - max(a, lo)) for a, b in pairs)
        if covered == (hi - lo if guarded else 0):
            return False
        kept = [(a, min(b, lo)) for a, b in pairs if a < lo] + \
               [(max(a, hi), b) for a, b in pairs if b > hi]  # fmt: skip
        if guarded:
            kept.append((lo, hi))
        merged: list[tuple[int, int]] = []
        for a, b in sorted(r for r in kept if r[0] < r[1]):
            if merged and merged[-1][1] >= a:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._starts = [a for a, _ in merged]
        self._ends = [b for _, b in merged]
        return True


def branch_type(t: AArch64Target, dc: DisasContext, kind: int, rn: int) -> int:
    """The BTYPE an indirect branch of ``kind`` (1: BR and its PAC forms, 2: BLR and
    its) through Xn sets: BLR 2; BR 1 from X16 or X17 or from an unguarded page, else
    3. 0 where BTYPE is not tracked (no FLAG_BTI) or while no page is guarded (the
    first guarded page flushes every translation: ``linux_process``)."""
    if not dc.flags & S.FLAG_BTI or not t.guarded:
        return 0
    if kind == 2:
        return BTYPE_C
    if rn in (16, 17) or not t.guarded.guarded(dc.insn_start_pc):
        return BTYPE_J16
    return BTYPE_J


def compatible(insn: int, btype: int) -> bool:
    """Whether ``insn`` may be the target of a branch of ``btype`` on a guarded page,
    SCTLR_EL1.BT0 set: BTI c (BTYPE 1, 2), BTI j (1, 3), BTI jc (any), PACIASP and
    PACIBSP (1, 2: with BT0 set, not 3); BRK and HLT (their exception comes first)."""
    if insn & 0xFFFFF01F == 0xD503201F:  # the hint space
        op = insn >> 5 & 0x7F
        if op in (25, 27, 34):  # PACIASP, PACIBSP, BTI c
            return btype != BTYPE_J
        if op == 36:  # BTI j
            return btype != BTYPE_C
        return op == 38  # BTI jc (BTI alone takes none)
    return insn & 0xFFE0001F in (0xD4200000, 0xD4400000)


def landing(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The first instruction of a TB entered with BTYPE nonzero: the Branch Target
    exception when its page is guarded and it is no landing pad for that BTYPE; else
    BTYPE is cleared before it runs (an indirect branch sets it again after)."""
    btype = dc.flags >> S.FLAG_BTYPE_SHIFT & 3
    if t.guarded.guarded(dc.insn_start_pc) and not compatible(insn, btype):
        raise dc.invalid(insn, f"branch target exception: no landing pad for BTYPE {btype}")
    dc.ctx.and_(t.fpcr, t.fpcr, ~(3 << S.FPCR_BTYPE_SHIFT) & M64)
