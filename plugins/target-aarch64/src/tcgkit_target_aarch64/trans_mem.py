"""Translators: loads, stores, exclusives, acquire/release and LSE atomics.

Owns the IR for every A64 memory instruction of the general and the SIMD&FP
register files: the addressing modes (unsigned offset, unscaled, pre/post
index, register offset with extend and shift, literal, pairs) and the access
sizes. Every instruction performs all of its memory accesses before it
writes any register (the loaded values go to temporaries first), so a fault
leaves it restartable. Exclusives keep one monitor (address and value, as
QEMU's user mode does): a store-exclusive succeeds when its address is the
monitored one and memory still holds the value the load-exclusive saw. In
TBs that may run beside other vCPUs (``dc.parallel``) the store-exclusive,
CAS and the pair forms of two words are atomic compare-and-swaps
(``tcgkit.exec.atomic.gen_cmpxchg``: the host's instruction inline where it
has one), the LSE operations atomic read-modify-writes (``gen_fetch_op``: a
host instruction or loop where the host lowers it, a compare-and-swap loop
otherwise), and the pair forms of two doublewords (STXP, CASP) one 16-byte
compare-and-swap (``gen_cmpxchg2``: the host's ``atomic_cmpxchg2_i64``, such as
``lock cmpxchg16b`` or CASPAL, where it has it, else a call of ``helper_atomic``);
otherwise they are a plain load, compare and store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.exec.atomic import (
    gen_atomic_update,
    gen_check_align,
    gen_cmpxchg,
    gen_cmpxchg2,
    gen_fetch_op,
)
from tcgkit.target import DisasContext
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I64, AtomicOp, MemOp, MemOrder

from . import helper_atomic as HA
from .aliases import COND_NE
from .bits import field, sext
from .trans_dp import extend_reg

if TYPE_CHECKING:
    from .target import AArch64Target

M64: Final = (1 << 64) - 1


def _ld(dc: DisasContext, addr: Temp, size: int, signed: bool = False,
        into: Temp | None = None) -> Temp:  # fmt: skip
    """The value loaded, in ``into`` if given (``AArch64Target.out``), else a new temp."""
    v = dc.ctx.temp() if into is None else into
    memop = size | (MemOp.MO_SIGN if signed else 0)
    dc.ctx.qemu_ld(v, addr, memop, 0)
    return v


def _st(dc: DisasContext, value: Temp, addr: Temp, size: int) -> None:
    dc.ctx.qemu_st(value, addr, size, 0)


def _offset(dc: DisasContext, base: Temp, offset: int) -> Temp:
    a = dc.ctx.temp()
    dc.ctx.add(a, base, offset)  # the constant is masked to 64 bits (``IRBuilder.const``)
    return a


# -- the SIMD&FP register file ------------------------------------------------------------


def load_vreg(t: AArch64Target, dc: DisasContext, addr: Temp, log2: int) -> tuple[Temp, Temp]:
    """(low, high) halves loaded for a 2^log2-byte access to a vector register."""
    ctx = dc.ctx
    hi = ctx.temp()
    if log2 == 4:
        lo = _ld(dc, addr, 3)
        hi = _ld(dc, _offset(dc, addr, 8), 3)
    else:
        lo = _ld(dc, addr, log2)
        ctx.movi(hi, 0)
    return lo, hi


def write_vreg(t: AArch64Target, dc: DisasContext, n: int, lo: Temp, hi: Temp) -> None:
    dc.ctx.mov(t.vlo[n], lo)
    dc.ctx.mov(t.vhi[n], hi)


def store_vreg(t: AArch64Target, dc: DisasContext, n: int, addr: Temp, log2: int) -> None:
    if log2 == 4:
        _st(dc, t.vlo[n], addr, 3)
        _st(dc, t.vhi[n], _offset(dc, addr, 8), 3)
    else:
        _st(dc, t.vlo[n], addr, log2)


# -- single register -------------------------------------------------------------------------


def _single(t: AArch64Target, dc: DisasContext, insn: int, addr: Temp,
            writeback: Temp | None, rn: int) -> None:  # fmt: skip
    """The access part shared by every single-register form."""
    size, v, opc, rt = field(insn, 31, 30), field(insn, 26, 26), field(insn, 23, 22), insn & 31
    if v:
        log2 = 4 if opc & 2 else size
        if opc & 2 and size:
            raise dc.invalid(insn, "unallocated SIMD&FP load/store size")
        if opc & 1:
            lo, hi = load_vreg(t, dc, addr, log2)
            write_vreg(t, dc, rt, lo, hi)
        else:
            store_vreg(t, dc, rt, addr, log2)
    elif opc == 0:
        _st(dc, t.rx(dc, rt), addr, size)
    elif opc == 1:  # the address is read before the register is written: loaded in place
        t.wx(dc, rt, _ld(dc, addr, size, into=t.out(dc, rt, 1)))
    elif size == 3:
        if opc == 3:
            raise dc.invalid(insn, "unallocated load/store")
        # PRFM: no effect
    elif opc == 2:
        t.wx(dc, rt, _ld(dc, addr, size, signed=True, into=t.out(dc, rt, 1)))
    elif size < 2:
        t.wx(dc, rt, _ld(dc, addr, size, signed=True), sf=0)
    else:
        raise dc.invalid(insn, "unallocated load/store")
    if writeback is not None:
        dc.ctx.mov(t.rsp(rn), writeback)


def single_uimm(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    size, v, opc = field(insn, 31, 30), field(insn, 26, 26), field(insn, 23, 22)
    scale = 4 if v and opc & 2 else size
    rn, imm = field(insn, 9, 5), field(insn, 21, 10) << scale
    addr = _offset(dc, t.rsp(rn), imm) if imm else t.rsp(rn)  # no writeback: Xn may be read
    _single(t, dc, insn, addr, None, rn)


def single_imm9(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    imm, kind, rn = sext(field(insn, 20, 12), 9), field(insn, 11, 10), field(insn, 9, 5)
    base = t.rsp(rn)
    if kind == 1:  # post-index (the written-back address is made before the access)
        _single(t, dc, insn, base, _offset(dc, base, imm), rn)
    elif kind == 3:  # pre-index
        addr = _offset(dc, base, imm)
        _single(t, dc, insn, addr, addr, rn)
    else:  # unscaled (LDUR/STUR) or unprivileged (LDTR/STTR: the same at EL0)
        _single(t, dc, insn, _offset(dc, base, imm), None, rn)


def single_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    size, v, opc = field(insn, 31, 30), field(insn, 26, 26), field(insn, 23, 22)
    option, s = field(insn, 15, 13), field(insn, 12, 12)
    if not option & 2:
        raise dc.invalid(insn, "unallocated register-offset extend")
    scale = 4 if v and opc & 2 else size
    rn = field(insn, 9, 5)
    off = extend_reg(dc, t.rx(dc, field(insn, 20, 16)), option, scale if s else 0)
    addr = dc.ctx.temp()
    dc.ctx.add(addr, t.rsp(rn), off)
    _single(t, dc, insn, addr, None, rn)


def load_literal(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    opc, v, rt = field(insn, 31, 30), field(insn, 26, 26), insn & 31
    addr = dc.ctx.const(I64, (dc.insn_start_pc + 4 * sext(field(insn, 23, 5), 19)) & M64)
    if v:
        if opc == 3:
            raise dc.invalid(insn, "unallocated literal load")
        lo, hi = load_vreg(t, dc, addr, 2 + opc)
        write_vreg(t, dc, rt, lo, hi)
    elif opc == 0:
        t.wx(dc, rt, _ld(dc, addr, 2))
    elif opc == 1:
        t.wx(dc, rt, _ld(dc, addr, 3))
    elif opc == 2:
        t.wx(dc, rt, _ld(dc, addr, 2, signed=True))
    # opc 3: PRFM (literal), no effect


# -- pairs ------------------------------------------------------------------------------------


def pair(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    opc, v, kind, load = field(insn, 31, 30), field(insn, 26, 26), field(insn, 24, 23), field(
        insn, 22, 22)  # fmt: skip
    rt2, rn, rt = field(insn, 14, 10), field(insn, 9, 5), insn & 31
    if opc == 3 or (not v and opc == 1 and not load):
        raise dc.invalid(insn, "unallocated load/store pair")
    log2 = 2 + opc if v else (3 if opc == 2 else 2)
    imm = sext(field(insn, 21, 15), 7) << log2
    base = t.rsp(rn)
    ctx = dc.ctx
    # post-index: the base itself (the second address is made before any access, the
    # writeback after them)
    addr = base if kind == 1 else _offset(dc, base, imm)
    addr2 = _offset(dc, addr, 1 << log2)
    if v:
        if load:
            va = load_vreg(t, dc, addr, log2)
            vb = load_vreg(t, dc, addr2, log2)
            write_vreg(t, dc, rt, *va)
            write_vreg(t, dc, rt2, *vb)
        else:
            store_vreg(t, dc, rt, addr, log2)
            store_vreg(t, dc, rt2, addr2, log2)
    elif load:
        # every form's value is final in 64 bits (LDP Wt zero-extends, LDPSW sign-extends);
        # Rt is written last, as QEMU does: unchanged if the second access faults
        signed = opc == 1  # LDPSW
        a = _ld(dc, addr, log2, signed)
        b = _ld(dc, addr2, log2, signed, into=t.out(dc, rt2, 1))
        t.wx(dc, rt2, b)
        t.wx(dc, rt, a)
    else:
        _st(dc, t.rx(dc, rt), addr, log2)
        _st(dc, t.rx(dc, rt2), addr2, log2)
    if kind == 1:
        ctx.add(base, base, imm & M64)
    elif kind == 3:
        ctx.mov(base, addr)


# -- exclusives, acquire/release, compare-and-swap ------------------------------------------------
#
# Barriers only in TBs that other vCPUs may run beside (one vCPU sees its own
# accesses in order). Acquire and release are RCsc in A64: a store-release
# followed by a load-acquire stays in that order, hence the store-load barrier
# before a load-acquire. The store-exclusives, CAS and LSE forms of parallel TBs
# are host atomics, full barriers already.


def acquire_before(dc: DisasContext) -> None:
    if dc.parallel:
        dc.ctx.mb(MemOrder.ST_LD)


def acquire_after(dc: DisasContext) -> None:
    if dc.parallel:
        dc.ctx.mb(MemOrder.ACQUIRE)


def release(dc: DisasContext) -> None:
    if dc.parallel:
        dc.ctx.mb(MemOrder.RELEASE)


def exclusive(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    size, o2, load, o1 = field(insn, 31, 30), field(insn, 23, 23), field(insn, 22, 22), field(
        insn, 21, 21)  # fmt: skip
    rs, o0, rt2, rn, rt = field(insn, 20, 16), field(insn, 15, 15), field(insn, 14, 10), field(
        insn, 9, 5), insn & 31  # fmt: skip
    ctx = dc.ctx
    addr = ctx.temp(local=True)
    ctx.mov(addr, t.rsp(rn))
    if o2 and o1:
        if rt2 != 31:
            raise dc.invalid(insn, "unallocated compare-and-swap")
        gen_check_align(dc, addr, 1 << size)
        _cas(t, dc, size, addr, rs, rt)
        return
    if o2:  # LDAR / STLR (and the LORegion forms, the same in user mode)
        if load:
            acquire_before(dc)
            value = _ld(dc, addr, size)
            acquire_after(dc)
            t.wx(dc, rt, value)
        else:
            release(dc)
            _st(dc, t.rx(dc, rt), addr, size)
        return
    if o1 and size < 2:  # CASP (sz = size): compare and swap a pair of registers
        if rt2 != 31 or rs & 1 or rt & 1:
            raise dc.invalid(insn, "unallocated compare-and-swap pair")
        gen_check_align(dc, addr, 8 << size)
        _casp(t, dc, 2 + size, addr, rs, rt)
        return
    if load:  # a load-exclusive faults unless aligned to its whole size (both registers
        # of a pair); a store-exclusive's address then matches only an aligned one
        gen_check_align(dc, addr, (1 << size) << o1)
        a = _ld(dc, addr, size)
        ctx.mov(t.excl_addr, addr)
        ctx.mov(t.excl_val, a)
        if o1:
            b = _ld(dc, _offset(dc, addr, 1 << size), size)
            ctx.mov(t.excl_val2, b)
            t.wx(dc, rt2, b)
        t.wx(dc, rt, a)
        if o0:
            acquire_after(dc)
        return
    # store-exclusive: status 0 on success, 1 on failure
    status = ctx.temp(local=True)
    fail, done = ctx.label(), ctx.label()
    ctx.brcond(COND_NE, addr, t.excl_addr, fail)
    if dc.parallel and o1 and size == 3:
        _stxp_pair(t, dc, status, addr, rt, rt2)
    elif dc.parallel and o1:  # two words: one 8-byte compare-and-swap
        expect, new, old = ctx.temp(), ctx.temp(), ctx.temp()
        ctx.deposit(expect, t.excl_val, t.excl_val2, 32, 32)
        ctx.deposit(new, t.rx(dc, rt), t.rx(dc, rt2), 32, 32)
        gen_cmpxchg(dc, old, addr, expect, new, 3)
        ctx.setcond(status, old, expect, COND_NE)
    elif dc.parallel:
        old = ctx.temp()
        gen_cmpxchg(dc, old, addr, t.excl_val, t.rx(dc, rt), size)
        ctx.setcond(status, old, t.excl_val, COND_NE)
    else:
        cur = _ld(dc, addr, size)
        ctx.brcond(COND_NE, cur, t.excl_val, fail)
        if o1:
            cur2 = _ld(dc, _offset(dc, addr, 1 << size), size)
            ctx.brcond(COND_NE, cur2, t.excl_val2, fail)
            _st(dc, t.rx(dc, rt), addr, size)
            _st(dc, t.rx(dc, rt2), _offset(dc, addr, 1 << size), size)
        else:
            _st(dc, t.rx(dc, rt), addr, size)
        ctx.movi(status, 0)
    ctx.br(done)
    ctx.set_label(fail)
    ctx.movi(status, 1)
    ctx.set_label(done)
    ctx.movi(t.excl_addr, M64)
    t.wx(dc, rs, status)


def _cas(t: AArch64Target, dc: DisasContext, size: int, addr: Temp, rs: int, rt: int) -> None:
    ctx = dc.ctx
    if dc.parallel:
        old, expect = ctx.temp(), ctx.temp()
        ctx.mov(expect, t.rx(dc, rs))
        if size < 3:
            ctx.and_(expect, expect, (1 << (8 << size)) - 1)
        gen_cmpxchg(dc, old, addr, expect, t.rx(dc, rt), size)
        t.wx(dc, rs, old)
        return
    cur = ctx.temp(local=True)
    ctx.emit("qemu_ld_i64", cur, addr, size, 0)
    expect = ctx.temp()
    ctx.mov(expect, t.rx(dc, rs))
    if size < 3:
        ctx.and_(expect, expect, (1 << (8 << size)) - 1)
    skip = ctx.label()
    ctx.brcond(COND_NE, cur, expect, skip)
    _st(dc, t.rx(dc, rt), addr, size)
    ctx.set_label(skip)
    t.wx(dc, rs, cur)


def _stxp_pair(t: AArch64Target, dc: DisasContext, status: Temp, addr: Temp, rt: int,
               rt2: int) -> None:  # fmt: skip
    """STXP of two X registers in a parallel TB: one 16-byte compare-and-swap of the
    monitored pair against Rt:Rt2 (the host's ``atomic_cmpxchg2_i64``, else the
    helper); ``status`` <- 0 if it swapped, else 1."""
    ctx = dc.ctx
    lo, hi = ctx.temp(), ctx.temp()
    new = (t.rx(dc, rt), t.rx(dc, rt2))
    if not gen_cmpxchg2(dc, lo, hi, addr, (t.excl_val, t.excl_val2), new):
        ctx.call(HA.STXP, status, addr, t.excl_val, t.excl_val2, *new)
        return
    ctx.xor(lo, lo, t.excl_val)
    ctx.xor(hi, hi, t.excl_val2)
    ctx.or_(lo, lo, hi)
    ctx.setcond(status, lo, 0, COND_NE)


def _casp(t: AArch64Target, dc: DisasContext, log2: int, addr: Temp, rs: int, rt: int) -> None:
    """CASP: if [addr] holds the pair Rs:Rs+1, store Rt:Rt+1; Rs:Rs+1 get the old pair."""
    ctx = dc.ctx
    if dc.parallel and log2 == 3:  # the host's 16-byte compare-and-swap, else the helper
        lo, hi = ctx.temp(), ctx.temp()
        cmp, new = (t.rx(dc, rs), t.rx(dc, rs + 1)), (t.rx(dc, rt), t.rx(dc, rt + 1))
        if gen_cmpxchg2(dc, lo, hi, addr, cmp, new):
            t.wx(dc, rs, lo)
            t.wx(dc, rs + 1, hi)
        else:
            ctx.call(HA.CASP, None, addr, rs, *new)
        return
    if dc.parallel:  # two words: one 8-byte compare-and-swap
        pair_expect, pair_new, seen, hi = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
        ctx.deposit(pair_expect, t.rx(dc, rs), t.rx(dc, rs + 1), 32, 32)
        ctx.deposit(pair_new, t.rx(dc, rt), t.rx(dc, rt + 1), 32, 32)
        gen_cmpxchg(dc, seen, addr, pair_expect, pair_new, 3)
        ctx.shr(hi, seen, 32)
        ctx.ext32u(seen, seen)
        t.wx(dc, rs, seen)
        t.wx(dc, rs + 1, hi)
        return
    step = 1 << log2
    mask = (1 << (8 << log2)) - 1
    cur = [ctx.temp(local=True) for _ in range(2)]
    for i, c in enumerate(cur):
        ctx.emit("qemu_ld_i64", c, _offset(dc, addr, i * step), log2, 0)
    skip = ctx.label()
    for i, c in enumerate(cur):
        expect = ctx.temp()
        ctx.mov(expect, t.rx(dc, rs + i))
        if log2 < 3:
            ctx.and_(expect, expect, mask)
        ctx.brcond(COND_NE, c, expect, skip)
    for i in range(2):
        _st(dc, t.rx(dc, rt + i), _offset(dc, addr, i * step), log2)
    ctx.set_label(skip)
    for i, c in enumerate(cur):
        t.wx(dc, rs + i, c)


def atomic(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    size, v, rs, o3, opc = field(insn, 31, 30), field(insn, 26, 26), field(insn, 20, 16), field(
        insn, 15, 15), field(insn, 14, 12)  # fmt: skip
    rn, rt = field(insn, 9, 5), insn & 31
    if o3 and opc == 4 and rs == 31 and field(insn, 23, 22) == 2 and not v:
        # LDAPR: a load-acquire of the weaker RCpc kind (no store-load barrier first)
        value = _ld(dc, t.rsp(rn), size)
        acquire_after(dc)
        t.wx(dc, rt, value)
        return
    if v or (o3 and opc):
        raise dc.invalid(insn, "unallocated or unsupported atomic memory operation")
    ctx = dc.ctx
    addr = ctx.temp(local=True)
    ctx.mov(addr, t.rsp(rn))
    gen_check_align(dc, addr, 1 << size)
    operand = t.rx(dc, rs)
    if opc == 1 and not o3:  # LDCLR: AND with the operand inverted
        inverted = ctx.temp()
        ctx.not_(inverted, operand)
        operand = inverted
    aop = AtomicOp.XCHG if o3 else _LSE_OPS[opc]
    if dc.parallel:
        old = ctx.temp()
        gen_fetch_op(dc, old, addr, operand, size, aop)
    else:
        old = _ld(dc, addr, size)
        _st(dc, gen_atomic_update(dc, aop, old, operand, size), addr, size)
    t.wx(dc, rt, old)


def rcpc_unscaled(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """STLUR (opc 0), LDAPUR (1), LDAPURS to 64 (2) or 32 bits (3): store-release and
    RCpc load-acquire with an unscaled signed offset."""
    size, opc = field(insn, 31, 30), field(insn, 23, 22)
    if (size == 3 and opc >= 2) or (size == 2 and opc == 3):
        raise dc.invalid(insn, "unallocated LDAPURS form")
    addr = _offset(dc, t.rsp(field(insn, 9, 5)), sext(field(insn, 20, 12), 9))
    rt = insn & 31
    if opc == 0:
        release(dc)
        _st(dc, t.rx(dc, rt), addr, size)
        return
    value = _ld(dc, addr, size, signed=opc >= 2)
    acquire_after(dc)
    t.wx(dc, rt, value, int(opc != 3))


#: LSE opc -> the atomic operation (LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN)
_LSE_OPS: Final = (AtomicOp.ADD, AtomicOp.AND, AtomicOp.XOR, AtomicOp.OR, AtomicOp.SMAX,
                   AtomicOp.SMIN, AtomicOp.UMAX, AtomicOp.UMIN)  # fmt: skip


# -- AdvSIMD structures ------------------------------------------------------------------------

#: opcode -> (registers, interleave): LD1/ST1 with 1-4 registers, LD2-LD4/ST2-ST4
_STRUCT: Final = {0b0111: (1, 1), 0b1010: (2, 1), 0b0110: (3, 1), 0b0010: (4, 1),
           0b1000: (2, 2), 0b0100: (3, 3), 0b0000: (4, 4)}  # fmt: skip


def simd_structures(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """LD1-LD4 / ST1-ST4 (multiple structures), with and without post-index."""
    from .trans_simd import get_lanes, set_lanes

    q, load, post = field(insn, 30, 30), field(insn, 22, 22), field(insn, 23, 23)
    rm, opcode, size = field(insn, 20, 16), field(insn, 15, 12), field(insn, 11, 10)
    rn, rt = field(insn, 9, 5), insn & 31
    shape = _STRUCT.get(opcode)
    if shape is None or (size == 3 and not q and shape[1] > 1):
        raise dc.invalid(insn, "unallocated load/store multiple structures")
    nregs, interleave = shape
    esize = 8 << size
    lanes = (128 if q else 64) // esize
    regs = [(rt + i) % 32 for i in range(nregs)]
    ctx = dc.ctx
    base = t.rsp(rn)
    addr0 = ctx.temp()
    ctx.mov(addr0, base)
    total = nregs * lanes * esize // 8
    if interleave == 1:  # whole registers, one after the other
        if load:
            loaded = [load_vreg(t, dc, _offset(dc, addr0, i * lanes * esize // 8), 4 if q else 3)
                      for i in range(nregs)]  # fmt: skip
            for r, (lo, hi) in zip(regs, loaded):
                write_vreg(t, dc, r, lo, hi)
        else:
            for i, r in enumerate(regs):
                store_vreg(t, dc, r, _offset(dc, addr0, i * lanes * esize // 8), 4 if q else 3)
    else:  # element e of register r at (e * n + r) * esize
        log2 = size
        if load:
            values = [[_ld(dc, _offset(dc, addr0, (e * nregs + r) * esize // 8), log2)
                       for e in range(lanes)] for r in range(nregs)]  # fmt: skip
            for r, vals in zip(regs, values):
                set_lanes(t, dc, r, vals, esize)
        else:
            for r_i, r in enumerate(regs):
                for e, v in enumerate(get_lanes(t, dc, r, esize, lanes)):
                    _st(dc, v, _offset(dc, addr0, (e * nregs + r_i) * esize // 8), log2)
    if post:
        if rm == 31:
            ctx.add(base, addr0, total)
        else:
            ctx.add(base, addr0, t.rx(dc, rm))


def simd_single(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """LD1-LD4 / ST1-ST4 (single structure: one lane of 1-4 registers) and
    LD1R-LD4R (load and replicate to every lane), with and without post-index."""
    q, load, r_bit = field(insn, 30, 30), field(insn, 22, 22), field(insn, 21, 21)
    post, rm, opcode = field(insn, 23, 23), field(insn, 20, 16), field(insn, 15, 13)
    s, size, rn, rt = field(insn, 12, 12), field(insn, 11, 10), field(insn, 9, 5), insn & 31
    selem = ((opcode & 1) << 1 | r_bit) + 1
    kind = opcode >> 1
    replicate = kind == 3
    if replicate:
        if not load or s:
            raise dc.invalid(insn, "unallocated load/store single structure")
        log2 = size
        index = 0
    elif kind == 0:
        log2, index = 0, q << 3 | s << 2 | size
    elif kind == 1:
        if size & 1:
            raise dc.invalid(insn, "unallocated load/store single structure")
        log2, index = 1, q << 2 | s << 1 | size >> 1
    elif size == 0:
        log2, index = 2, q << 1 | s
    elif size == 1 and not s:
        log2, index = 3, q
    else:
        raise dc.invalid(insn, "unallocated load/store single structure")
    esize = 8 << log2
    ctx = dc.ctx
    base = t.rsp(rn)
    addr0 = ctx.temp()
    ctx.mov(addr0, base)
    regs = [(rt + i) % 32 for i in range(selem)]
    step = esize // 8
    if replicate:
        from .trans_simd import set_lanes

        lanes = (128 if q else 64) // esize
        for i, r in enumerate(regs):
            v = _ld(dc, _offset(dc, addr0, i * step), log2)
            set_lanes(t, dc, r, [v] * lanes, esize)
    else:
        per_half = 64 // esize
        half_of = t.vhi if index >= per_half else t.vlo
        pos = (index % per_half) * esize
        if load:
            values = [_ld(dc, _offset(dc, addr0, i * step), log2) for i in range(selem)]
            for r, v in zip(regs, values):
                if esize == 64:
                    ctx.mov(half_of[r], v)
                else:
                    ctx.deposit(half_of[r], half_of[r], v, pos, esize)
        else:
            for i, r in enumerate(regs):
                v = ctx.temp()
                if esize == 64:
                    ctx.mov(v, half_of[r])
                else:
                    ctx.extract(v, half_of[r], pos, esize)
                _st(dc, v, _offset(dc, addr0, i * step), log2)
    if post:
        if rm == 31:
            ctx.add(base, addr0, selem * step)
        else:
            ctx.add(base, addr0, t.rx(dc, rm))
