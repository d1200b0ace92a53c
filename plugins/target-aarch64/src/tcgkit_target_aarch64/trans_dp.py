"""Translators: data processing (immediate and register), branches, system.

Owns the IR for every integer instruction class of A64 that is not a memory
access. Each function takes (target, dc, insn); fields are extracted here
from the bit positions of the Arm ARM. 32-bit forms compute on the values
zero-extended to 64 bits and write back zero-extended (``target.wx`` with
``sf=0``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from tcgkit.hooks import TCG_OP_FLAG_CMP, TCG_OP_FLAG_DIRECT, TCG_OP_SUB
from tcgkit.target import DisasContext, gen_op_hook
from tcgkit.tcg.builders import (
    F_ADD,
    F_AND,
    F_ANDC,
    F_EQV,
    F_EXT8S,
    F_EXT8U,
    F_EXT16S,
    F_EXT16U,
    F_EXT32S,
    F_EXT32U,
    F_MOV,
    F_MULSH,
    F_MULUH,
    F_OR,
    F_ORC,
    F_SUB,
    F_XOR,
)
from tcgkit.tcg.crypto import gen_clmul
from tcgkit.tcg.ir import Helper, Temp
from tcgkit.tcg.types import I64, CallFlags, Cond, MemOrder

from .aliases import (
    COND_ALWAYS,
    COND_EQ,
    COND_NE,
    COND_TSTEQ,
    COND_TSTNE,
    JMP_NORETURN,
    JMP_TOO_MANY,
)
from .bits import decode_bit_masks, field, sext
from .state import SLOT_FPSR
from .trans_bti import branch_type

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1
M32: Final = 0xFFFFFFFF

# system registers by (op0, op1, CRn, CRm, op2)
NZCV: Final = (3, 3, 4, 2, 0)
FPCR: Final = (3, 3, 4, 4, 0)
FPSR: Final = (3, 3, 4, 4, 1)
TPIDR: Final = (3, 3, 13, 0, 2)
CNTFRQ: Final = (3, 3, 14, 0, 0)
CNTVCT: Final = (3, 3, 14, 0, 2)
RNDR: Final = (3, 3, 2, 4, 0)
RNDRRS: Final = (3, 3, 2, 4, 1)
#: the generic timer's frequency, as QEMU models it (a 16 ns tick)
CNTFRQ_HZ: Final = 62_500_000


#: the logical ops by their ``opc`` field (ANDS is AND and its flags), and with N set
_LOGIC: Final = (F_AND, F_OR, F_XOR, F_AND)
_LOGIC_NOT: Final = (F_ANDC, F_ORC, F_EQV, F_ANDC)
#: UXTB..SXTX by the extended-register ``option`` field
_EXTEND: Final = (F_EXT8U, F_EXT16U, F_EXT32U, F_MOV, F_EXT8S, F_EXT16S, F_EXT32S, F_MOV)


def _read_cntvct(cpu: object) -> int:
    import time

    return time.monotonic_ns() // 16


HELPER_CNTVCT: Final = Helper("a64_cntvct", _read_cntvct, CallFlags.NO_RWG, I64)


def _read_fpsr(cpu: Any) -> int:
    return int(cpu.words[SLOT_FPSR]) & FPSR_MASK


def _write_fpsr(cpu: Any, v: int) -> None:
    cpu.words[SLOT_FPSR] = v & FPSR_MASK


#: FPSR's bits: N Z C V QC IDC IXC UFC OFC DZC IOC
FPSR_MASK: Final = 0xF800009F
#: MRS and MSR of FPSR: the float ops' flags word (``target.fp_flags_offset``), which
#: native hosts fold their own flag keeping into before any helper runs
HELPER_READ_FPSR: Final = Helper("a64_read_fpsr", _read_fpsr, CallFlags.NO_RWG, I64)
HELPER_WRITE_FPSR: Final = Helper("a64_write_fpsr", _write_fpsr, CallFlags.NO_RWG, None,
                                  (I64,))  # fmt: skip


def _random64(cpu: object) -> int:
    import secrets

    return secrets.randbits(64)


#: RNDR/RNDRRS: 64 bits from the host's CSPRNG (the reseeded and the plain read alike)
HELPER_RNDR: Final = Helper("a64_rndr", _random64, CallFlags.NO_RWG, I64)
#: ID_AA64ISAR0_EL1's fields (bit, value): AES with PMULL (2), SHA1 (1), SHA2 with
#: SHA512 (2), CRC32 (1), atomics (2), RDM (1), SHA3 (1), SM3 (1), SM4 (1), DotProd (1),
#: FHM (1), FlagM2 (2), RNDR (1)
_ISAR0_FIELDS: Final = ((4, 2), (8, 1), (12, 2), (16, 1), (20, 2), (28, 1), (32, 1), (36, 1),
                        (40, 1), (44, 1), (48, 1), (52, 2), (60, 1))  # fmt: skip
READ_ONLY_IDS: Final = {
    (3, 3, 0, 0, 1): 0x8444C004,  # CTR_EL0 (Cortex-A72, as Unicorn models it)
    (3, 3, 0, 0, 7): 0x4,  # DCZID_EL0: DC ZVA blocks of 64 bytes
    (3, 0, 0, 0, 0): 0x000F0510,  # MIDR_EL1: QEMU's and Unicorn's max CPU
    (3, 3, 13, 0, 3): 0,  # TPIDRRO_EL0: Linux keeps it 0 for a 64-bit process
    # the ID registers Linux lets EL0 read (HWCAP_CPUID: it traps and emulates MRS),
    # with the fields of what this target implements; every other one in op0=3, op1=0,
    # CRn=0, CRm=0 or 4..7 reads as zero, as the kernel's emulation does (CRm 1..3, the
    # AArch32 ID registers, are undefined: SIGILL)
    (3, 0, 0, 0, 5): 0x80000000,  # MPIDR_EL1: uniprocessor bit clear, affinity 0
    (3, 0, 0, 4, 0): 0x110011,  # ID_AA64PFR0_EL1: EL0 and EL1 AArch64; FP, AdvSIMD with FP16 (1)
    (3, 0, 0, 6, 0): sum(value << at for at, value in _ISAR0_FIELDS),  # ID_AA64ISAR0_EL1
    # ID_AA64ISAR1_EL1: DPB with DC CVADP (2), JSCVT (1), FCMA (1), LRCPC with LDAPUR (2),
    # FRINTTS (1), SB (1)
    (3, 0, 0, 6, 1): 2 | (1 << 12) | (1 << 16) | (2 << 20) | (1 << 32) | (1 << 36),
}


def _sysreg(insn: int) -> tuple[int, int, int, int, int]:
    return (2 + field(insn, 19, 19), field(insn, 18, 16), field(insn, 15, 12),
            field(insn, 11, 8), field(insn, 7, 5))  # fmt: skip


# -- data processing, immediate --------------------------------------------------------


def adr(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    imm = sext(field(insn, 23, 5) << 2 | field(insn, 30, 29), 21)
    base = dc.insn_start_pc
    if insn >> 31:
        base &= ~0xFFF
        imm <<= 12
    t.wx(dc, field(insn, 4, 0), (base + imm) & M64)


def _sub_hook(dc: DisasContext, a: Temp, b: Temp | int, sf: int, flags: bool,
              result_kept: bool) -> None:  # fmt: skip
    """HOOK_TCG_OPCODE's call for a subtraction ``a - b`` (``gen_op_hook``), with the
    operands and width Unicorn's A64 translation gives its TCG sub: a flag-setting
    32-bit form subtracts the low words (32), every other form 64-bit values (64)."""
    if dc.op_hooked is None:
        return
    bits = 64
    if flags and not sf:
        ctx = dc.ctx
        a32 = ctx.temp()
        ctx.ext32u(a32, a)
        a = a32
        if not isinstance(b, int):
            b32 = ctx.temp()
            ctx.ext32u(b32, b)
            b = b32
        bits = 32
    kind = TCG_OP_FLAG_DIRECT if result_kept else TCG_OP_FLAG_CMP
    gen_op_hook(dc, TCG_OP_SUB, kind, a, b, bits)


def add_sub_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, s = insn >> 31, field(insn, 30, 30), field(insn, 29, 29)
    imm = field(insn, 21, 10) << (12 if field(insn, 22, 22) else 0)
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    a = t.rsp(rn)
    b = ctx.const(I64, imm)
    if op and (s or imm):  # Unicorn: no TCG sub for SUB #0 (a move)
        _sub_hook(dc, a, imm, sf, bool(s), not s or rd != 31)
    if s:
        r = t.sub_flags(dc, a, b, sf) if op else t.add_flags(dc, a, b, sf)
        t.wx(dc, rd, r, sf)
        return
    r = t.out(dc, rd, sf, sp=True)
    ctx.binary(F_SUB if op else F_ADD, r, a, b)
    t.wsp(dc, rd, r, sf)


def logic_imm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opc, n = insn >> 31, field(insn, 30, 29), field(insn, 22, 22)
    if not sf and n:
        raise dc.invalid(insn, "logical immediate with N=1 in a 32-bit form")
    masks = decode_bit_masks(n, field(insn, 15, 10), field(insn, 21, 16), 64 if sf else 32)
    if masks is None:
        raise dc.invalid(insn, "reserved bitmask immediate")
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    r = t.out(dc, rd, sf, sp=opc != 3)
    ctx.binary(_LOGIC[opc], r, t.rx(dc, rn), masks[0])
    if opc == 3:
        t.set_nz(dc, r, sf)
        t.wx(dc, rd, r, sf)
    else:
        t.wsp(dc, rd, r, sf)


def move_wide(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opc, hw = insn >> 31, field(insn, 30, 29), field(insn, 22, 21)
    if opc == 1 or (not sf and hw > 1):
        raise dc.invalid(insn, "unallocated move-wide form")
    imm, rd = field(insn, 20, 5) << (16 * hw), field(insn, 4, 0)
    if opc == 0:
        t.wx(dc, rd, ~imm, sf)
    elif opc == 2:
        t.wx(dc, rd, imm, sf)
    elif rd != 31:
        ctx = dc.ctx
        r = t.out(dc, rd, sf)
        ctx.deposit(r, t.x[rd], ctx.const(I64, imm >> (16 * hw)), 16 * hw, 16)
        t.wx(dc, rd, r, sf)


def bitfield(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opc, n = insn >> 31, field(insn, 30, 29), field(insn, 22, 22)
    immr, imms = field(insn, 21, 16), field(insn, 15, 10)
    size = 64 if sf else 32
    if opc == 3 or n != sf or immr >= size or imms >= size:
        raise dc.invalid(insn, "unallocated bitfield form")
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    src = t.rw(dc, rn, sf)
    r = t.out(dc, rd, sf)  # once r is written, the ops read only r and temporaries
    if opc == 2:  # UBFM: LSR, LSL, UBFX, UBFIZ, UXTB, UXTH
        if imms >= immr:
            ctx.extract(r, src, immr, imms - immr + 1)
        else:
            ctx.deposit(r, ctx.const(I64, 0), src, size - immr, imms + 1)
    elif opc == 0:  # SBFM: ASR, SBFX, SBFIZ, SXTB, SXTH, SXTW
        if imms >= immr:
            ctx.sextract(r, src, immr, imms - immr + 1)
        else:
            ctx.sextract(r, src, 0, imms + 1)
            ctx.shl(r, r, size - immr)
    else:  # BFM: BFI, BFXIL
        old = t.rw(dc, rd, sf)
        if imms >= immr:
            f = ctx.temp()
            ctx.extract(f, src, immr, imms - immr + 1)
            ctx.deposit(r, old, f, 0, imms - immr + 1)
        else:
            ctx.deposit(r, old, src, size - immr, imms + 1)
    t.wx(dc, rd, r, sf)


def extr(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, n, lsb = insn >> 31, field(insn, 22, 22), field(insn, 15, 10)
    if n != sf or (not sf and lsb >= 32):
        raise dc.invalid(insn, "unallocated EXTR form")
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    lo, hi = t.rw(dc, rm, sf), t.rw(dc, rn, sf)
    r = t.out(dc, rd, sf)
    if lsb == 0:
        ctx.mov(r, lo)
    else:
        size = 64 if sf else 32
        a, b = ctx.temp(), ctx.temp()
        ctx.shr(a, lo, lsb)
        ctx.shl(b, hi, size - lsb)
        ctx.or_(r, a, b)
    t.wx(dc, rd, r, sf)


# -- branches -------------------------------------------------------------------------------


def _two_way(t: AArch64Target, dc: DisasContext, cond: Cond, a: Temp, b: object,
             target: int) -> None:  # fmt: skip
    ctx = dc.ctx
    if cond is COND_ALWAYS:
        t.goto(dc, 0, target)
    else:
        taken = ctx.label()
        ctx.brcond(cond, a, b, taken)  # type: ignore[arg-type]
        t.goto(dc, 0, dc.pc)
        ctx.set_label(taken)
        t.goto(dc, 1, target)
    dc.is_jmp = JMP_NORETURN


def b_bl(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    target = dc.insn_start_pc + 4 * sext(field(insn, 25, 0), 26)
    if insn >> 31:
        dc.ctx.movi(t.x[30], dc.pc)
    t.goto(dc, 0, target)
    dc.is_jmp = JMP_NORETURN


def cbz(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, nz = insn >> 31, field(insn, 24, 24)
    target = dc.insn_start_pc + 4 * sext(field(insn, 23, 5), 19)
    v = t.rw(dc, field(insn, 4, 0), sf)
    _two_way(t, dc, COND_NE if nz else COND_EQ, v, 0, target)


def tbz(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    bit = field(insn, 31, 31) << 5 | field(insn, 23, 19)
    target = dc.insn_start_pc + 4 * sext(field(insn, 18, 5), 14)
    v = t.rx(dc, field(insn, 4, 0))
    cond = COND_TSTNE if field(insn, 24, 24) else COND_TSTEQ
    _two_way(t, dc, cond, v, 1 << bit, target)


def b_cond(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    target = dc.insn_start_pc + 4 * sext(field(insn, 23, 5), 19)
    cond, a, b = t.cond(dc, insn & 15)
    _two_way(t, dc, cond, a, b, target)


def _branch_reg(t: AArch64Target, dc: DisasContext, insn: int, kind: int) -> None:  # RET, BR, BLR
    ctx = dc.ctx
    ctx.mov(t.pc, t.rx(dc, field(insn, 9, 5)))  # before the link: BLR X30 jumps to the old X30
    if kind == 2:
        ctx.movi(t.x[30], dc.pc)
    t.goto_pc(dc, branch_type(t, dc, kind, field(insn, 9, 5)) if kind else 0)


def br(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    _branch_reg(t, dc, insn, 1)


def blr(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    _branch_reg(t, dc, insn, 2)


def ret(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    _branch_reg(t, dc, insn, 0)


# -- exceptions and system --------------------------------------------------------------------


def svc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    from .target import HELPER_SVC

    t.end_with_helper(dc, HELPER_SVC)


def brk(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    from .target import HELPER_BRK

    dc.pc = dc.insn_start_pc  # the exception is taken at the brk itself
    t.end_with_helper(dc, HELPER_BRK)
    dc.pc = dc.insn_start_pc + 4


def hint(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    return None  # NOP, YIELD, WFE, SEV, BTI, PAC hints in their NOP space...


def clrex(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    dc.ctx.movi(t.excl_addr, M64)


def barrier(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """DSB / DMB (a host fence for what the option's type orders, in TBs other vCPUs
    may run beside), ISB (ends the TB: later instructions see code changes), SB."""
    opc2, types = field(insn, 7, 5), field(insn, 9, 8)
    if opc2 in (4, 5) and dc.parallel:  # DSB, DMB: reads (LD), writes (ST) or all
        dc.ctx.mb({1: MemOrder.ACQUIRE, 2: MemOrder.ST_ST}.get(types, MemOrder.ALL))
    if opc2 == 6:
        dc.is_jmp = JMP_TOO_MANY


def dc_ic(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """DC ZVA zeroes a 64-byte block (DCZID_EL0 says 64); the other EL0 cache
    maintenance operations have nothing to do here (the emulated caches are coherent)."""
    if field(insn, 11, 8) != 4 or field(insn, 7, 5) != 1:
        return None
    ctx = dc.ctx
    base = ctx.temp()
    ctx.and_(base, t.rx(dc, field(insn, 4, 0)), ~63 & M64)
    zero = ctx.const(I64, 0)
    for i in range(8):
        a = ctx.temp()
        ctx.add(a, base, 8 * i)
        ctx.emit("qemu_st_i64", zero, a, 3, 0)
    return None


def mrs(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    reg, rt = _sysreg(insn), field(insn, 4, 0)
    ctx = dc.ctx
    if reg == NZCV:
        r, u = ctx.temp(), ctx.temp()
        ctx.shr(r, t.nf, 63)
        ctx.shl(r, r, 31)
        ctx.setcond(u, t.zf, 0, COND_EQ)
        ctx.shl(u, u, 30)
        ctx.or_(r, r, u)
        ctx.shl(u, t.cf, 29)
        ctx.or_(r, r, u)
        ctx.shr(u, t.vf, 63)
        ctx.shl(u, u, 28)
        ctx.or_(r, r, u)
        t.wx(dc, rt, r)
    elif reg in (FPCR, FPSR, TPIDR):
        if reg == FPSR:  # through a helper: a native host folds its flags in first
            r = ctx.temp()
            ctx.call(HELPER_READ_FPSR, r)
            t.wx(dc, rt, r)
        else:
            t.wx(dc, rt, t.fpcr_value(dc) if reg == FPCR else t.tpidr)
    elif reg in t.id_regs:  # the CPU model's (``cpu_models``; max: READ_ONLY_IDS)
        t.wx(dc, rt, t.id_reg(dc, reg))
    elif reg[:3] == (3, 0, 0) and reg[3] in (0, 4, 5, 6, 7):
        # an ID register Linux emulates as zero: the AArch64 ID space (CRm 0, 4-7);
        # its emulation leaves the AArch32 ones (CRm 1-3: ID_MMFR*, MVFR*) undefined
        t.wx(dc, rt, t.id_reg(dc, reg))
    elif reg == CNTFRQ:
        t.wx(dc, rt, CNTFRQ_HZ)
    elif reg == CNTVCT:  # the virtual count: host monotonic time in 16 ns ticks
        r = ctx.temp()
        ctx.call(HELPER_CNTVCT, r)
        t.wx(dc, rt, r)
    elif reg in (RNDR, RNDRRS):  # a random number, and NZCV = 0000 (it succeeded)
        r = ctx.temp()
        ctx.call(HELPER_RNDR, r)
        t.wx(dc, rt, r)
        ctx.movi(t.nf, 0)
        ctx.movi(t.zf, 1)
        ctx.movi(t.cf, 0)
        ctx.movi(t.vf, 0)
    else:
        raise dc.invalid(insn, f"MRS of an unsupported system register {reg}")


# -- FlagM: the flag manipulation instructions -------------------------------------------------


def flag_pstate(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """CFINV (op2 0), XAFLAG (1), AXFLAG (2): the MSR (immediate) forms on NZCV."""
    op2 = field(insn, 7, 5)
    ctx = dc.ctx
    if op2 == 0:
        ctx.xor(t.cf, t.cf, 1)
        return
    z, v = ctx.temp(), ctx.temp()
    ctx.setcond(z, t.zf, 0, COND_EQ)
    if op2 == 1:  # XAFLAG: N = !C & !Z, Z = Z & C, C = C | Z, V = !C & Z
        c, n = ctx.temp(), ctx.temp()
        ctx.or_(c, t.cf, z)
        ctx.xor(n, c, 1)
        ctx.andc(v, z, t.cf)
        ctx.and_(z, z, t.cf)
        ctx.shl(t.nf, n, 63)
        ctx.xor(t.zf, z, 1)
        ctx.mov(t.cf, c)
        ctx.shl(t.vf, v, 63)
    elif op2 == 2:  # AXFLAG: N = 0, Z = Z | V, C = C & !V, V = 0
        ctx.shr(v, t.vf, 63)
        ctx.or_(z, z, v)
        ctx.movi(t.nf, 0)
        ctx.andc(t.cf, t.cf, v)
        ctx.setcond(t.zf, z, 0, COND_EQ)
        ctx.movi(t.vf, 0)
        return
    else:
        raise dc.invalid(insn, "unallocated PSTATE field")


def rmif(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """RMIF: the bits of Xn rotated right by imm6 into the flags the mask names."""
    imm6, mask = field(insn, 20, 15), insn & 15
    ctx = dc.ctx
    tmp = ctx.temp()
    ctx.rotr(tmp, t.rx(dc, field(insn, 9, 5)), imm6)
    b = ctx.temp()
    if mask & 8:
        ctx.extract(b, tmp, 3, 1)
        ctx.shl(t.nf, b, 63)
    if mask & 4:
        ctx.extract(b, tmp, 2, 1)
        ctx.xor(t.zf, b, 1)
    if mask & 2:
        ctx.extract(t.cf, tmp, 1, 1)
    if mask & 1:
        ctx.extract(b, tmp, 0, 1)
        ctx.shl(t.vf, b, 63)


def setf(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SETF8, SETF16: N, Z and V from the low byte or halfword of Wn (C unchanged)."""
    bits = 16 if field(insn, 14, 14) else 8
    ctx = dc.ctx
    x = t.rx(dc, field(insn, 9, 5))
    v, n = ctx.temp(), ctx.temp()
    ctx.shl(t.nf, x, 64 - bits)
    ctx.extract(t.zf, x, 0, bits)
    ctx.extract(v, x, bits, 1)
    ctx.extract(n, x, bits - 1, 1)
    ctx.xor(v, v, n)
    ctx.shl(t.vf, v, 63)


def msr(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    reg = _sysreg(insn)
    ctx = dc.ctx
    v = t.rx(dc, field(insn, 4, 0))
    if reg == NZCV:
        ctx.extract(t.nf, v, 31, 1)
        ctx.shl(t.nf, t.nf, 63)
        ctx.extract(t.zf, v, 30, 1)
        ctx.setcond(t.zf, t.zf, 0, COND_EQ)
        ctx.extract(t.cf, v, 29, 1)
        ctx.extract(t.vf, v, 28, 1)
        ctx.shl(t.vf, t.vf, 63)
    elif reg == FPCR:
        t.set_fpcr(dc, v)
        dc.is_jmp = JMP_TOO_MANY  # the rounding mode is part of the TB key
    elif reg == FPSR:  # a helper: a native host drops the flags it keeps (folded first)
        ctx.call(HELPER_WRITE_FPSR, None, v)
    elif reg == TPIDR:
        ctx.mov(t.tpidr, v)
    else:
        raise dc.invalid(insn, f"MSR to an unsupported system register {reg}")


# -- data processing, register -------------------------------------------------------------------


def shift_reg(t: AArch64Target, dc: DisasContext, v: Temp, kind: int, amount: int,
              sf: int) -> Temp:  # fmt: skip
    """``v`` (zero-extended when 32-bit) shifted by LSL/LSR/ASR/ROR ``amount``."""
    if amount == 0:
        return v
    ctx = dc.ctx
    r = ctx.temp()
    if kind == 0:
        ctx.shl(r, v, amount)
        if not sf:
            ctx.ext32u(r, r)
    elif kind == 1:
        ctx.shr(r, v, amount)
    elif kind == 2:
        if sf:
            ctx.sar(r, v, amount)
        else:
            ctx.ext32s(r, v)
            ctx.sar(r, r, amount)
            ctx.ext32u(r, r)
    elif sf:
        ctx.rotr(r, v, amount)
    else:
        a, b = ctx.temp(), ctx.temp()
        ctx.shr(a, v, amount)
        ctx.shl(b, v, 32 - amount)
        ctx.or_(r, a, b)
        ctx.ext32u(r, r)
    return r


def extend_reg(dc: DisasContext, v: Temp, option: int, shift: int) -> Temp:
    """``v`` extended per the UXTB..SXTX ``option``, then shifted left."""
    ctx = dc.ctx
    r = ctx.temp()
    ctx.unary(_EXTEND[option], r, v)
    if shift:
        ctx.shl(r, r, shift)
    return r


def logic_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opc, kind, n = insn >> 31, field(insn, 30, 29), field(insn, 23, 22), field(insn, 21, 21)
    imm6 = field(insn, 15, 10)
    if not sf and imm6 >= 32:
        raise dc.invalid(insn, "shift amount out of range")
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    b = shift_reg(t, dc, t.rw(dc, rm, sf), kind, imm6, sf)
    a = t.rx(dc, rn)
    r = t.out(dc, rd, sf)
    ctx.binary((_LOGIC_NOT if n else _LOGIC)[opc], r, a, b)
    if opc == 3:
        t.set_nz(dc, r, sf)
    t.wx(dc, rd, r, sf)


def add_sub_shifted(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, s, kind = insn >> 31, field(insn, 30, 30), field(insn, 29, 29), field(insn, 23, 22)
    imm6 = field(insn, 15, 10)
    if kind == 3 or (not sf and imm6 >= 32):
        raise dc.invalid(insn, "unallocated shifted-register form")
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    b = shift_reg(t, dc, t.rw(dc, rm, sf), kind, imm6, sf)
    if op:
        _sub_hook(dc, t.rw(dc, rn, sf), b, sf, bool(s), not s or rd != 31)
    _add_sub(t, dc, t.rx(dc, rn), b, op, s, sf, rd, sp_dest=False)


def add_sub_ext(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, s = insn >> 31, field(insn, 30, 30), field(insn, 29, 29)
    option, imm3 = field(insn, 15, 13), field(insn, 12, 10)
    if imm3 > 4:
        raise dc.invalid(insn, "extended-register shift above 4")
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    b = extend_reg(dc, t.rx(dc, rm), option, imm3)
    if op:
        a = t.rsp(rn)
        if not sf and dc.op_hooked is not None:
            a32 = dc.ctx.temp()
            dc.ctx.ext32u(a32, a)
            a = a32
        _sub_hook(dc, a, b, sf, bool(s), not s or rd != 31)
    _add_sub(t, dc, t.rsp(rn), b, op, s, sf, rd, sp_dest=not s)


def _add_sub(t: AArch64Target, dc: DisasContext, a: Temp, b: Temp, op: int, s: int, sf: int,
             rd: int, *, sp_dest: bool) -> None:  # fmt: skip
    ctx = dc.ctx
    if s:
        r = t.sub_flags(dc, a, b, sf) if op else t.add_flags(dc, a, b, sf)
    else:
        r = t.out(dc, rd, sf, sp=sp_dest)
        ctx.binary(F_SUB if op else F_ADD, r, a, b)
    if sp_dest:
        t.wsp(dc, rd, r, sf)
    else:
        t.wx(dc, rd, r, sf)


def adc_sbc(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, s = insn >> 31, field(insn, 30, 30), field(insn, 29, 29)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    a, b = t.rx(dc, rn), t.rx(dc, rm)
    if op:
        nb = ctx.temp()
        ctx.not_(nb, b)
        b = nb
    if s:
        r = t.add_flags(dc, a, b, sf, carry_in=t.cf)
    else:
        r = ctx.temp()
        ctx.add(r, a, b)
        ctx.add(r, r, t.cf)
    t.wx(dc, rd, r, sf)


def ccmp(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, use_imm = insn >> 31, field(insn, 30, 30), field(insn, 11, 11)
    rm, cc, rn, nzcv = field(insn, 20, 16), field(insn, 15, 12), field(insn, 9, 5), insn & 15
    ctx = dc.ctx
    cond, a, b = t.cond(dc, cc)
    if dc.op_hooked is not None:
        # Unicorn's translation subtracts whatever the condition: CCMP's comparison,
        # then (CCMP and CCMN) !cond - 1 for a mask of the flags
        if op:
            _sub_hook(dc, t.rx(dc, rn), rm if use_imm else t.rx(dc, rm), sf, True, False)
        not_cond = ctx.temp()
        if cond is COND_ALWAYS:
            ctx.movi(not_cond, 0)
        else:
            ctx.setcond(not_cond, a, b, cond.invert())
        gen_op_hook(dc, TCG_OP_SUB, 0, not_cond, 1, 32)
    skip, done = ctx.label(), ctx.label()
    if cond is not COND_ALWAYS:
        ctx.brcond(cond.invert(), a, b, skip)
    x = t.rx(dc, rn)
    y = ctx.const(I64, rm) if use_imm else t.rx(dc, rm)
    if op:
        t.sub_flags(dc, x, y, sf)
    else:
        t.add_flags(dc, x, y, sf)
    ctx.br(done)
    ctx.set_label(skip)
    ctx.movi(t.nf, (1 << 63) if nzcv & 8 else 0)
    ctx.movi(t.zf, 0 if nzcv & 4 else 1)
    ctx.movi(t.cf, (nzcv >> 1) & 1)
    ctx.movi(t.vf, (1 << 63) if nzcv & 1 else 0)
    ctx.set_label(done)


def csel(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op, o2 = insn >> 31, field(insn, 30, 30), field(insn, 10, 10)
    rm, cc, rn, rd = field(insn, 20, 16), field(insn, 15, 12), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    a, b = t.rx(dc, rn), t.rx(dc, rm)
    if op or o2:
        nb = ctx.temp()
        if not op:
            ctx.add(nb, b, 1)  # CSINC
        elif not o2:
            ctx.not_(nb, b)  # CSINV
        else:
            ctx.neg(nb, b)  # CSNEG
        b = nb
    cond, x, y = t.cond(dc, cc)
    r = t.out(dc, rd, sf)
    if cond is COND_ALWAYS:
        ctx.mov(r, a)
    else:
        ctx.movcond(r, x, ctx.const(I64, y) if isinstance(y, int) else y, a, b, cond)
    t.wx(dc, rd, r, sf)


def dp2(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opcode = insn >> 31, field(insn, 15, 10)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    a, b = t.rw(dc, rn, sf), t.rw(dc, rm, sf)
    r = ctx.temp()
    size = 64 if sf else 32
    if opcode == 2:
        ctx.divu(r, a, b)
    elif opcode == 3:
        if sf:
            ctx.div(r, a, b)
        else:
            sa, sb = ctx.temp(), ctx.temp()
            ctx.ext32s(sa, a)
            ctx.ext32s(sb, b)
            ctx.div(r, sa, sb)
    elif 8 <= opcode <= 11:
        amount = ctx.temp()
        ctx.and_(amount, b, size - 1)
        if opcode == 8:
            ctx.shl(r, a, amount)
        elif opcode == 9:
            ctx.shr(r, a, amount)
        elif opcode == 10:
            if sf:
                ctx.sar(r, a, amount)
            else:
                ctx.ext32s(r, a)
                ctx.sar(r, r, amount)
        elif sf:
            ctx.rotr(r, a, amount)
        else:
            back, lo, hi = ctx.temp(), ctx.temp(), ctx.temp()
            ctx.sub(back, 32, amount)
            ctx.and_(back, back, 31)
            ctx.shr(lo, a, amount)
            ctx.shl(hi, a, back)
            ctx.or_(r, lo, hi)
    else:
        raise dc.invalid(insn, "unallocated or unsupported 2-source instruction")
    t.wx(dc, rd, r, sf)


CRC32_POLY: Final = 0xEDB88320  # reflected polynomials
CRC32C_POLY: Final = 0x82F63B78
#: floor(x^96 / P) without its x^64 term, bit-reversed in 64 bits: the Barrett
#: constant of each polynomial for ``_crc32_clmul`` (``test_crypto.py`` of the target derives it)
CRC32_BARRETT: Final = {CRC32_POLY: 0x5A72D812FB808B20, CRC32C_POLY: 0xA434F61C6F5389F8}


def crc32(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """CRC32{B,H,W,X} and CRC32C{B,H,W,X}: the accumulator Wn updated with the low
    8 << sz bits of Rm: two carry-less products where the host has them, else bit
    by bit in IR (shift, test, conditional xor)."""
    sf, rm, c, sz = insn >> 31, field(insn, 20, 16), field(insn, 12, 12), field(insn, 11, 10)
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    if (sz == 3) != bool(sf):
        raise dc.invalid(insn, "unallocated CRC32 form")
    ctx = dc.ctx
    poly = CRC32C_POLY if c else CRC32_POLY
    bits = 8 << sz
    if "clmul_i64" in dc.host_ops:
        t.wx(dc, rd, _crc32_clmul(dc, t.rw(dc, rn, 0), t.rx(dc, rm), bits, poly), 0)
        return
    crc = ctx.temp()
    ctx.mov(crc, t.rw(dc, rn, 0))
    data = t.rx(dc, rm)
    for chunk in range(0, bits, 32):
        part = ctx.temp()
        ctx.extract(part, data, chunk, min(32, bits))
        ctx.xor(crc, crc, part)
        for _ in range(min(32, bits)):
            low = ctx.temp()
            ctx.and_(low, crc, 1)
            ctx.neg(low, low)
            ctx.and_(low, low, poly)
            ctx.shr(crc, crc, 1)
            ctx.xor(crc, crc, low)
    t.wx(dc, rd, crc, 0)


def _crc32_clmul(dc: DisasContext, acc: Temp, data: Temp, bits: int, poly: int) -> Temp:
    """The reflected CRC of ``bits`` bits of ``data`` into the 32-bit ``acc`` by Barrett
    reduction. Bit-serial CRC is linear: ``u = acc ^ data`` run for ``bits`` steps
    is ``u >> bits`` (bits that only shift down) xor the reduction of the low ``bits``
    bits, placed at the top of 64 (leading zero steps change nothing). In
    the unreflected domain that reduction is ``low32(q * p)`` with
    ``q = U ^ hi64(U * mu)`` (``mu`` = floor(x^96 / P) less x^64, ``p`` = P less
    x^32); reflected, a 64-bit product's bits 64..95 are bits 31..62."""
    ctx = dc.ctx
    u = ctx.temp()
    if bits < 64:
        ctx.extract(u, data, 0, bits)
        ctx.xor(u, u, acc)
    else:
        ctx.xor(u, data, acc)
    top = u
    rest: Temp | None = None
    if bits < 64:
        top = ctx.temp()
        if bits < 32:
            rest = ctx.temp()
            ctx.shr(rest, u, bits)
        ctx.shl(top, u, 64 - bits)
    c_lo, _ = gen_clmul(dc, top, ctx.const(I64, CRC32_BARRETT[poly]))
    q = ctx.temp()
    ctx.shr(q, c_lo, 31)
    hi = ctx.temp()
    ctx.shr(hi, top, 32)
    ctx.xor(q, q, hi)
    ctx.ext32u(q, q)
    d_lo, _ = gen_clmul(dc, q, ctx.const(I64, poly))
    r = ctx.temp()
    ctx.extract(r, d_lo, 31, 32)
    if rest is not None:
        ctx.xor(r, r, rest)
    return r


def _rbit(dc: DisasContext, v: Temp, size: int) -> Temp:
    ctx = dc.ctx
    masks = [
        (1, 0x5555555555555555),
        (2, 0x3333333333333333),
        (4, 0x0F0F0F0F0F0F0F0F),
        (8, 0x00FF00FF00FF00FF),
        (16, 0x0000FFFF0000FFFF),
        (32, 0xFFFFFFFF),
    ]
    r = v
    for s, m in masks:
        if s >= size:
            break
        m &= (1 << size) - 1
        a, b, n = ctx.temp(), ctx.temp(), ctx.temp()
        ctx.shr(a, r, s)
        ctx.and_(a, a, m)
        ctx.and_(b, r, m)
        ctx.shl(b, b, s)
        ctx.or_(n, a, b)
        r = n
    if size == 32:
        ctx.ext32u(r, r)
    return r


def dp1(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, opcode = insn >> 31, field(insn, 15, 10)
    rn, rd = field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    v = t.rw(dc, rn, sf)
    r = ctx.temp()
    if opcode == 0:
        r = _rbit(dc, v, 64 if sf else 32)
    elif opcode == 1:
        a, b = ctx.temp(), ctx.temp()
        ctx.shr(a, v, 8)
        ctx.and_(a, a, 0x00FF00FF00FF00FF)
        ctx.and_(b, v, 0x00FF00FF00FF00FF)
        ctx.shl(b, b, 8)
        ctx.or_(r, a, b)
    elif opcode == 2 and not sf:
        ctx.bswap32(r, v)
    elif opcode == 2:
        ctx.bswap64(r, v)
        ctx.rotr(r, r, 32)
    elif opcode == 3 and sf:
        ctx.bswap64(r, v)
    elif opcode == 4:
        if sf:
            ctx.clz(r, v, 64)
        else:
            ctx.clz(r, v, 64)
            ctx.sub(r, r, 32)
    elif opcode == 5:
        s, y = ctx.temp(), ctx.temp()
        if sf:
            ctx.mov(s, v)
        else:
            ctx.ext32s(s, v)
        ctx.sar(y, s, 1)
        ctx.xor(y, y, s)
        ctx.clz(r, y, 64)
        ctx.sub(r, r, 1 if sf else 33)
    else:
        raise dc.invalid(insn, "unallocated 1-source instruction")
    t.wx(dc, rd, r, sf)


def dp3(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    sf, op31, o0 = insn >> 31, field(insn, 23, 21), field(insn, 15, 15)
    rm, ra, rn, rd = field(insn, 20, 16), field(insn, 14, 10), field(insn, 9, 5), field(insn, 4, 0)
    ctx = dc.ctx
    a, b = t.rx(dc, rn), t.rx(dc, rm)
    r = ctx.temp()
    if op31 == 0:
        ctx.mul(r, a, b)
    elif sf and op31 in (1, 5):
        ext = F_EXT32S if op31 == 1 else F_EXT32U
        x, y = ctx.temp(), ctx.temp()
        ctx.unary(ext, x, a)
        ctx.unary(ext, y, b)
        ctx.mul(r, x, y)
    elif sf and op31 in (2, 6) and not o0:
        ctx.binary(F_MULSH if op31 == 2 else F_MULUH, r, a, b)
        t.wx(dc, rd, r)
        return
    else:
        raise dc.invalid(insn, "unallocated 3-source instruction")
    acc = t.rx(dc, ra)
    if o0:
        _sub_hook(dc, acc, r, 1, False, True)
    res = t.out(dc, rd, sf)  # the product stays in its temp: Ra may be Rd
    ctx.binary(F_SUB if o0 else F_ADD, res, acc, r)
    t.wx(dc, rd, res, sf)
