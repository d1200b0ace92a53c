"""Translators: pointer authentication (FEAT_PAuth) outside the hint space, with the
keys disabled, as Unicorn's max CPU runs user code.

Owns the data-processing forms (PACIA, PACIB, PACDA, PACDB, AUTIA, AUTIB, AUTDA,
AUTDB, their zero-modifier forms PACIZA ... AUTDZB, XPACI, XPACD), the
authenticating loads (LDRAA, LDRAB, with and without writeback) and the
authenticating branches (BRAA, BRAB, BLRAA, BLRAB, BRAAZ, BRABZ, BLRAAZ, BLRABZ,
RETAA, RETAB). With no key enabled, adding a code leaves a pointer as it is and
authenticating one gives it back unchanged (the Arm ARM's AddPAC/Auth return the
pointer when the key's enable bit is clear), and Unicorn's XPACI/XPACD leave it
as well: so these instructions are moves, loads and branches whose pointer
operand is used as it is, which keeps code built for Armv8.3 (``retaa`` after
``paciasp``) running. The hint-space forms (PACIASP, AUTIASP, ...) are NOPs in
``trans_dp.hint``. PACGA is not here: Unicorn's max CPU refuses it, and
AT_HWCAP does not advertise PACA or PACG, so a C library never relies on
pointers changing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tcgkit.target import DisasContext

from .bits import field, sext

if TYPE_CHECKING:
    from .target import AArch64Target


def pac_dp1(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """PAC*, AUT* (Xd, Xn|SP or the zero forms) and XPACI/XPACD: Xd is unchanged."""
    opcode, rn = field(insn, 15, 10), field(insn, 9, 5)
    if opcode < 8:
        return  # Xd keeps its value; the modifier register is only read
    if opcode < 18 and rn == 31:
        return  # the zero-modifier forms and XPACI/XPACD
    raise dc.invalid(insn, "unallocated pointer authentication instruction")


def ldra(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """LDRAA/LDRAB Xt, [Xn|SP, #simm10 * 8]{!}: a 64-bit load from the (unchanged)
    authenticated base plus the offset, the address written back with W."""
    from .trans_mem import _ld, _offset

    offset = sext(field(insn, 22, 22) << 9 | field(insn, 20, 12), 10) << 3
    writeback, rn, rt = field(insn, 11, 11), field(insn, 9, 5), insn & 31
    addr = _offset(dc, t.rsp(rn), offset)
    value = _ld(dc, addr, 3)
    if writeback:
        dc.ctx.mov(t.rsp(rn), addr)
    t.wx(dc, rt, value)


def branch(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """BRAA/BRAB/BLRAA/BLRAB (Xn, modifier Xm|SP), BRAAZ/BRABZ/BLRAAZ/BLRABZ (Xn),
    RETAA/RETAB (X30): a branch to the unchanged pointer."""
    opc, rn, op4 = field(insn, 24, 21), field(insn, 9, 5), insn & 31
    if (opc in (0, 1) and op4 == 31) or opc in (8, 9):
        link, target = opc & 1, rn
    elif opc == 2 and rn == 31 and op4 == 31:
        link, target = 0, 30
    else:
        raise dc.invalid(insn, "unallocated or privileged authenticated branch")
    ctx = dc.ctx
    dest = ctx.temp()
    ctx.mov(dest, t.rx(dc, target))
    if link:
        ctx.movi(t.x[30], dc.pc)
    t.goto_reg(dc, dest)


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("1101101011000001xxxxxxxxxxxxxxxx", pac_dp1),
    ("11111000xx1xxxxxxxxxx1xxxxxxxxxx", ldra),
    ("1101011xxxx1111100001xxxxxxxxxxx", branch),
)
