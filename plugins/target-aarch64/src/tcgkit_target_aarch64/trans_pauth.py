"""Translators: pointer authentication (FEAT_PAuth, the architected QARMA5 algorithm),
with the keys enabled or disabled as SCTLR_EL1 says.

Owns the data-processing forms (PACIA, PACIB, PACDA, PACDB, AUTIA, AUTIB, AUTDA,
AUTDB, their zero-modifier forms PACIZA ... AUTDZB, XPACI, XPACD), PACGA, the
authenticating loads (LDRAA, LDRAB, with and without writeback), the
authenticating branches (BRAA, BRAB, BLRAA, BLRAB, BRAAZ, BRABZ, BLRAAZ, BLRABZ,
RETAA, RETAB) and the hint-space forms (PACIASP, PACIBSP, PACIAZ, PACIBZ, AUTIASP,
AUTIBSP, AUTIAZ, AUTIBZ, PACIA1716, PACIB1716, AUTIA1716, AUTIB1716, XPACLRI); the
state it reads (SCTLR_EL1's EnIA/EnIB/EnDA/EnDB, TCR_EL1, the five keys) lives in
``state`` slots, the arithmetic in ``pac_qarma``.

Two translations, chosen per TB by ``state.FLAG_PAUTH`` (set when SCTLR_EL1 enables
a key or TCR_EL1 gives pointers a PAC field: ``AArch64Target.sync_modes``):

* without it, as Unicorn's max CPU runs user code (both registers zero): adding a
  code leaves a pointer as it is and authenticating one gives it back (the Arm
  ARM's AddPAC/Auth return the pointer when the key's enable bit is clear), and
  with a 64-bit address space XPACI/XPACD have no field to strip: so these are
  moves, loads and branches whose pointer operand is used as it is, the hint forms
  NOPs, and PACGA is refused, as Unicorn's max refuses it;
* with it (Linux user mode: ``linux_process`` enables the four keys with random
  values, TCR_EL1 as Linux's: 48-bit addresses, TBI0), each operation is a call of
  a helper (``HELPER_PAC``, ``HELPER_AUT``, ...), as QEMU's, that checks the key's
  enable bit itself, so PR_PAC_SET_ENABLED_KEYS needs no new translation. A failed
  authentication leaves the error code in the pointer (FEAT_PAuth without FEAT_FPAC,
  as qemu-aarch64 7.2's max): a load or branch through it then faults (SIGSEGV).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tcgkit.exec.cpu import CPU
from tcgkit.target import DisasContext
from tcgkit.tcg.ir import Helper, Temp
from tcgkit.tcg.types import I64, CallFlags

from . import pac_qarma as Q
from . import state as S
from .bits import field, sext
from .trans_bti import branch_type

if TYPE_CHECKING:
    from .target import AArch64Target

#: the ID registers showing pointer authentication and BTI (``AArch64Target.id_reg``),
#: and ID_AA64ISAR1_EL1's APA (architected algorithm) and GPA (PACGA) fields
ID_AA64ISAR1: Final = (3, 0, 0, 6, 1)
ID_AA64PFR1: Final = (3, 0, 0, 4, 1)
ISAR1_PAUTH: Final = 1 << 4 | 1 << 24
#: the keys by number, as the state keeps them (``state.KEY_NAMES``)
KEY_IA: Final = 0
KEY_IB: Final = 1
KEY_DA: Final = 2
KEY_DB: Final = 3
KEY_GA: Final = 4
_ENABLES: Final = (S.SCTLR_EN_IA, S.SCTLR_EN_IB, S.SCTLR_EN_DA, S.SCTLR_EN_DB)


def _key(st: object, key: int) -> tuple[int, int]:
    """(high half, low half) of key ``key``."""
    at = S.SLOT_KEYS + 2 * key
    return st[at + 1], st[at]  # type: ignore[index]


def _pac_helper(key: int) -> Helper:
    def pac(cpu: CPU, x: int, modifier: int) -> int:
        st = cpu.state
        if not st[S.SLOT_SCTLR] & _ENABLES[key]:
            return x
        hi, lo = _key(st, key)
        return Q.add_pac(x, modifier, hi, lo, st[S.SLOT_TCR], key >= KEY_DA)

    name = S.KEY_NAMES[key][2:]
    return Helper(f"a64_pac{name}", pac, CallFlags.NO_RWG_SE, I64, (I64, I64))


def _aut_helper(key: int) -> Helper:
    def aut(cpu: CPU, x: int, modifier: int) -> int:
        st = cpu.state
        if not st[S.SLOT_SCTLR] & _ENABLES[key]:
            return x
        hi, lo = _key(st, key)
        return Q.auth(x, modifier, hi, lo, st[S.SLOT_TCR], key >= KEY_DA, key & 1)

    name = S.KEY_NAMES[key][2:]
    return Helper(f"a64_aut{name}", aut, CallFlags.NO_RWG_SE, I64, (I64, I64))


def _xpac_helper(data: bool) -> Helper:
    def xpac(cpu: CPU, x: int) -> int:
        return Q.strip(x, cpu.state[S.SLOT_TCR], data)

    return Helper(f"a64_xpac{'d' if data else 'i'}", xpac, CallFlags.NO_RWG_SE, I64, (I64,))


def _pacga(cpu: CPU, x: int, modifier: int) -> int:
    hi, lo = _key(cpu.state, KEY_GA)
    return Q.pacga(x, modifier, hi, lo)


#: by key number (IA, IB, DA, DB): add a code, authenticate
HELPER_PAC: Final = tuple(_pac_helper(k) for k in range(4))
HELPER_AUT: Final = tuple(_aut_helper(k) for k in range(4))
#: XPACI, XPACD
HELPER_XPAC: Final = (_xpac_helper(False), _xpac_helper(True))
HELPER_PACGA: Final = Helper("a64_pacga", _pacga, CallFlags.NO_RWG_SE, I64, (I64, I64))


def _call(dc: DisasContext, helper: Helper, *ins: Temp) -> Temp:
    r = dc.ctx.temp()
    dc.ctx.call(helper, r, *ins)
    return r


def pac_dp1(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """PAC*, AUT* (Xd, Xn|SP or the zero forms) and XPACI/XPACD (Xd)."""
    opcode, rn, rd = field(insn, 15, 10), field(insn, 9, 5), insn & 31
    if not (opcode < 8 or (opcode < 18 and rn == 31)):
        raise dc.invalid(insn, "unallocated pointer authentication instruction")
    if not dc.flags & S.FLAG_PAUTH:
        return  # Xd keeps its value; the modifier register is only read
    x = t.rx(dc, rd)
    if opcode >= 16:
        t.wx(dc, rd, _call(dc, HELPER_XPAC[opcode - 16], x))
        return
    modifier = dc.ctx.const(I64, 0) if opcode & 8 else t.rsp(rn)
    helper = (HELPER_AUT if opcode & 4 else HELPER_PAC)[opcode & 3]
    t.wx(dc, rd, _call(dc, helper, x, modifier))


def pacga(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """PACGA Xd, Xn, Xm|SP: the top half of ComputePAC with the generic key."""
    if not dc.flags & S.FLAG_PAUTH:  # refused, as Unicorn's max refuses it
        raise dc.invalid(insn, "unallocated or unsupported encoding")
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    t.wx(dc, rd, _call(dc, HELPER_PACGA, t.rx(dc, rn), t.rsp(rm)))


def ldra(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """LDRAA/LDRAB Xt, [Xn|SP, #simm10 * 8]{!}: a 64-bit load from the base, authenticated
    with key DA or DB and a zero modifier, plus the offset; the address written back
    with W."""
    from .trans_mem import _ld, _offset

    offset = sext(field(insn, 22, 22) << 9 | field(insn, 20, 12), 10) << 3
    writeback, rn, rt = field(insn, 11, 11), field(insn, 9, 5), insn & 31
    base = t.rsp(rn)
    if dc.flags & S.FLAG_PAUTH:
        key = KEY_DB if field(insn, 23, 23) else KEY_DA
        base = _call(dc, HELPER_AUT[key], base, dc.ctx.const(I64, 0))
    addr = _offset(dc, base, offset)
    value = _ld(dc, addr, 3)
    if writeback:
        dc.ctx.mov(t.rsp(rn), addr)
    t.wx(dc, rt, value)


def branch(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """BRAA/BRAB/BLRAA/BLRAB (Xn, modifier Xm|SP), BRAAZ/BRABZ/BLRAAZ/BLRABZ (Xn, zero
    modifier), RETAA/RETAB (X30, modifier SP): a branch to the pointer authenticated
    with key IA or IB (bit 10)."""
    opc, rn, op4 = field(insn, 24, 21), field(insn, 9, 5), insn & 31
    if (opc in (0, 1) and op4 == 31) or opc in (8, 9):
        link, target = opc & 1, rn
    elif opc == 2 and rn == 31 and op4 == 31:
        link, target = 0, 30
    else:
        raise dc.invalid(insn, "unallocated or privileged authenticated branch")
    ctx = dc.ctx
    dest = ctx.temp()
    if dc.flags & S.FLAG_PAUTH:
        modifier = t.sp if opc == 2 else t.rsp(op4) if opc & 8 else ctx.const(I64, 0)
        ctx.call(HELPER_AUT[field(insn, 10, 10)], dest, t.rx(dc, target), modifier)
    else:
        ctx.mov(dest, t.rx(dc, target))
    if link:
        ctx.movi(t.x[30], dc.pc)
    t.goto_reg(dc, dest, 0 if opc == 2 else branch_type(t, dc, 2 if link else 1, rn))


def hint(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """The hint-space forms (NOPs without FLAG_PAUTH, as on a CPU without PAuth):
    XPACLRI (#7); PACIA1716, PACIB1716, AUTIA1716, AUTIB1716 (#8-#14, even: X17 with
    modifier X16); PACIAZ ... AUTIBSP (#24-#31: X30, modifier zero or SP)."""
    if not dc.flags & S.FLAG_PAUTH:
        return
    op = field(insn, 11, 5)
    ctx = dc.ctx
    if op == 7:
        t.wx(dc, 30, _call(dc, HELPER_XPAC[0], t.x[30]))
        return
    if op < 16:
        if op & 1:
            return  # #9, #11, #13, #15: NOPs
        reg, modifier = 17, t.x[16]
    else:
        reg, modifier = 30, (t.sp if op & 1 else ctx.const(I64, 0))
    key = KEY_IB if op & 2 else KEY_IA
    helper = (HELPER_AUT if op & 4 else HELPER_PAC)[key]
    t.wx(dc, reg, _call(dc, helper, t.x[reg], modifier))


#: the hint forms, which ``decode`` puts before the other hints (NOPs)
HINT_PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("11010101000000110010000011111111", hint),  # XPACLRI
    ("110101010000001100100001xxx11111", hint),  # PAC*1716, AUT*1716
    ("110101010000001100100011xxx11111", hint),  # PACIAZ ... AUTIBSP
)
PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("1101101011000001xxxxxxxxxxxxxxxx", pac_dp1),
    ("10011010110xxxxx001100xxxxxxxxxx", pacga),
    ("11111000xx1xxxxxxxxxx1xxxxxxxxxx", ldra),
    ("1101011xxxx1111100001xxxxxxxxxxx", branch),
)
