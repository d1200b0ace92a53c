"""Guest loads and stores on A64: the inline TLB fast path and its slow path.

Owns ``qemu_ld`` / ``qemu_st``, ``atomic_cmpxchg`` (the probe for a write,
aligned, then an LDAXR / STLXR loop on the host address; its slow path calls
``slow_cmpxchg``), ``atomic_fetch`` (that probe, then one LSE instruction with
acquire and release semantics when the host has LSE, else an LDAXR / STLXR
loop computing the new value; the same slow path, the operation in its memop),
``atomic_cmpxchg2`` (the probe of a 16-byte aligned access, then CASPAL with LSE,
else an LDAXP / STLXP loop; the same slow path with ``PAIR_FLAG``, its operands
on the stack) and ``goto_ptr``'s jump-cache probe. Scratch:
x16, x17 and x30 (the link register: saved by the prologue, free inside a TB
except across calls). The fast path:

    ubfx x16, addr, #12, #8 ; add x16, x19, x16, lsl #5 ; sub x16, #-OFF_TLB
    ldr  x30, [x16, #tag] ; x17 = key(addr) ; cmp x30, x17 ; b.ne slow
    ldr  x16, [x16, #addend] ; ldr/str value, [addr, x16] (+ rev for big-endian)

The slow path is out of line. It first probes the TLB's second level (see
``tcgkit.native.layout``) with the key the probe left in x17, the first-level
entry's address being still in x16 (x30 is free):

    ubfx x30, addr, #20, #7 ; add x30, x16, x30, lsl #13   the second-level entry:
    sub  x30, x30, #(OFF_TLB - OFF_L2)                      first-level + the page's
    ldr  x30, [x30, #tag] ; cmp x30, x17 ; b.ne miss        upper index bits + a constant

and on a hit copies it into the first level, counts the refill and goes back
to the access with the addend in x16:

    ubfx x17, addr, #20, #7 ; add x30, x16, x17, lsl #13 ; sub x30, x30, #(OFF_TLB - OFF_L2)
    ldr x17, [x30, #16] ; str x17, [x16, #16] ; ldp x17, x30, [x30] ; stp x17, x30, [x16]
    ldr x16, [x16, #16] ; ldur x17, [x19, #REFILLS] ; add x17, x17, #1
    stur x17, [x19, #REFILLS] ; b access

On a miss it saves x0-x15 (but the load's destination), calls the
``slow_mem`` callback, restores, tests the status and jumps back.
"""

from __future__ import annotations

from typing import Final

from tcgkit.exec.atomic import FETCH_SHIFT, PAIR_FLAG
from tcgkit.native import layout as L
from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import Const
from tcgkit.tcg.types import AtomicOp, MemOp

from . import encoder as E
from . import fpsr
from .encoder import LSL, LSR, SP, ZR, Label, logical_imm
from .lower import ENV, TMP0, TMP1, Lowering, LoweringError

TMP2 = 30
PAGE_MASK = (1 << 64) - (1 << 12)


def _sub_const(L_: Lowering, rd: int, amount: int) -> None:
    """rd -= amount (amount < 2^24), in at most two immediates."""
    a = L_.a
    if amount >> 12:
        a.add_imm(rd, rd, amount & ~0xFFF, sub=True)
    if amount & 0xFFF:
        a.add_imm(rd, rd, amount & 0xFFF, sub=True)


def _probe(L_: Lowering, addr: int, memop: int, tag: int, slow: Label) -> None:
    a = L_.a
    size = 16 if memop & PAIR_FLAG else 1 << (memop & MemOp.MO_SIZE)
    a.bfm(2, TMP0, addr, 12, 12 + L.TLB_SIZE.bit_length() - 2)  # ubfx page index
    a.add_reg(TMP0, ENV, TMP0, shift=LSL, amount=5)
    _sub_const(L_, TMP0, -L.OFF_TLB)
    a.ldst(3, 1, TMP2, TMP0, tag)
    if memop & MemOp.MO_ALIGN or size == 1:
        mask = PAGE_MASK | (size - 1 if memop & MemOp.MO_ALIGN else 0)
        a.logic_imm(0, TMP1, addr, logical_imm(mask, True))  # type: ignore[arg-type]
    else:
        a.add_imm(TMP1, addr, size - 1)
        a.logic_imm(0, TMP1, TMP1, logical_imm(PAGE_MASK, True))  # type: ignore[arg-type]
    a.cmp(TMP2, TMP1)
    a.b_cond(E.NE, slow)
    a.ldst(3, 1, TMP0, TMP0, L.TLB_ADDEND)


# the second-level entry of a page is its first-level entry's address, plus the page
# index bits above the first level's (at their place in an index * 32), plus this
assert L.TLB_ENTRY == L.L2_ENTRY == 32 and L.L2_SIZE >= L.TLB_SIZE
TLB_BITS = L.TLB_BITS
L2_DELTA = L.OFF_TLB - L.OFF_L2  # subtracted: below 2^24, so at most two immediates


def _probed(L_: Lowering, addr: int, memop: int, tag: int) -> tuple[Label, Label, Label, int]:
    """The start of every guest access: its slow-path, access and return labels and its
    instruction (the stub is emitted after the body: ``where`` is read now), the TLB
    probe of ``tag`` jumping to the slow path, and the access label bound after it."""
    slow, access, back = Label(), Label(), Label()
    where = L_.where()
    _probe(L_, addr, memop, tag, slow)
    L_.a.bind(access)
    return slow, access, back, where


def _l2_entry(L_: Lowering, rd: int, high: int, addr: int) -> None:
    """rd <- the second-level entry of ``addr``'s page, from the first-level one in
    x16; ``high`` is a scratch register (may be ``rd``)."""
    a = L_.a
    a.bfm(2, high, addr, 12 + TLB_BITS, 12 + L.L2_BITS - 1)  # ubfx: index bits above
    a.add_reg(rd, TMP0, high, shift=LSL, amount=5 + TLB_BITS)
    _sub_const(L_, rd, L2_DELTA)


def _l2_refill(L_: Lowering, addr: int, tag: int, access: Label) -> None:
    """The slow path's first part (the probe left the first-level entry's address in
    x16, the key in x17): on a second-level hit, copy the entry into the first level,
    count the refill and go back to ``access`` with the addend in x16; on a miss, fall
    through to the call into Python."""
    a = L_.a
    miss = Label()
    _l2_entry(L_, TMP2, TMP2, addr)
    a.ldst(3, 1, TMP2, TMP2, tag)
    a.cmp(TMP2, TMP1)
    a.b_cond(E.NE, miss)
    _l2_entry(L_, TMP2, TMP1, addr)  # the key is no longer needed
    a.ldst(3, 1, TMP1, TMP2, L.TLB_ADDEND)
    a.ldst(3, 0, TMP1, TMP0, L.TLB_ADDEND)
    a.ldp_stp(True, TMP1, TMP2, TMP2, L.TLB_TAG_READ)  # both tags (no writeback)
    a.ldp_stp(False, TMP1, TMP2, TMP0, L.TLB_TAG_READ)
    a.ldst(3, 1, TMP0, TMP0, L.TLB_ADDEND)
    a.ldst(3, 1, TMP1, ENV, L.OFF_REFILLS)
    a.add_imm(TMP1, TMP1, 1)
    a.ldst(3, 0, TMP1, ENV, L.OFF_REFILLS)
    a.b(access)
    a.bind(miss)


def _slow_call(L_: Lowering, addr: int, value: int | None, memop: int, keep: int | None,
               where: int) -> None:  # fmt: skip
    """slow_mem(state, addr, value, memop, where), x0-x15 saved (but ``keep``); leaves
    the status in w17 and the result in x16."""
    a = L_.a
    saved = _save(L_, keep)
    a.mov(TMP0, addr)
    a.mov(TMP1, value if value is not None else ZR)
    a.mov(1, TMP0)
    a.mov(2, TMP1)
    a.mov_imm(3, memop)
    a.mov_imm(4, where)
    _call_restore(L_, L_.rt.slow_mem, saved)


def _save(L_: Lowering, keep: int | None) -> list[int]:
    """Push x0-x15 but ``keep`` (in pairs); what ``_call_restore`` pops."""
    saved = [r for r in range(16) if r != keep]
    if len(saved) % 2:
        saved.append(ZR)
    for i in range(0, len(saved), 2):
        L_.a.ldp_stp(False, saved[i], saved[i + 1], SP, -16, "pre")
    return saved


def _call_restore(L_: Lowering, fn: int, saved: list[int]) -> None:
    """x0 = the state, call ``fn``: the status to w17, the return word to x16; pop."""
    a = L_.a
    a.mov(0, ENV)
    fpsr.save(a, ENV)  # the float flags so far, for Python to fold
    a.mov_imm(TMP0, fn)
    a.blr(TMP0)
    fpsr.reload(a, ENV)
    a.mov(TMP1, 0, False)
    a.ldst(3, 1, TMP0, ENV, L.OFF_RET)
    for i in reversed(range(0, len(saved), 2)):
        a.ldp_stp(True, saved[i], saved[i + 1], SP, 16, "post")


def _check(op: Op, sf: bool) -> int:
    memop = op.consts[0]
    size = 1 << (memop & MemOp.MO_SIZE)
    if size * 8 > (64 if sf else 32):
        raise LoweringError(f"{op!r}: a {size}-byte access does not fit the value")
    return memop


def qemu_ld(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    memop = _check(op, sf)
    addr, d = ins[0], outs[0]
    if isinstance(addr, Const):
        raise LoweringError(f"{op!r}: the address must be in a register")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_READ)
    size = memop & MemOp.MO_SIZE
    sign = bool(memop & MemOp.MO_SIGN)
    be = bool(memop & MemOp.MO_BE) and size
    if be:
        a.ldst_reg(size, 1, d, addr, TMP0)
        a.dp1({1: 1, 2: 2, 3: 3}[size], d, d, size == 3)  # rev16 / rev w / rev x
        if size == 1:
            a.bfm(0 if sign else 2, d, d, 0, 15, sf)
        elif size == 2 and sign and sf:
            a.bfm(0, d, d, 0, 31, True)
    else:
        opc = 1 if not sign or size == 3 or (size == 2 and not sf) else (2 if sf else 3)
        a.ldst_reg(size, opc, d, addr, TMP0)
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_READ, access)
        _slow_call(L_, addr, None, memop, d, where)
        a.cbz(TMP1, L_.raised, sf=False, nonzero=True)
        a.mov(d, TMP0, sf)
        a.b(back)

    L_.stubs.append(stub)


def qemu_st(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    memop = _check(op, sf) & ~MemOp.MO_SIGN
    value, addr = ins[0], ins[1]
    if isinstance(addr, Const) or isinstance(value, Const):
        raise LoweringError(f"{op!r}: operands must be in registers")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    size = memop & MemOp.MO_SIZE
    if memop & MemOp.MO_BE and size:
        a.dp1({1: 1, 2: 2, 3: 3}[size], TMP1, value, size == 3)
        value_reg = TMP1
    else:
        value_reg = value
    a.ldst_reg(size, 0, value_reg, addr, TMP0)
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
        _slow_call(L_, addr, value, memop | L.STORE_FLAG, None, where)
        a.cbz(TMP1, L_.raised, sf=False, nonzero=True)
        a.b(back)

    L_.stubs.append(stub)


def atomic_cmpxchg(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """d <- [addr], and [addr] <- new if that was ``expected``: one atomic access,
    naturally aligned (a misaligned one takes the slow path)."""
    a = L_.a
    size = op.consts[0] & MemOp.MO_SIZE
    memop = size | MemOp.MO_ALIGN
    addr, expected, new = ins
    d = outs[0]
    if any(isinstance(x, Const) for x in ins):
        raise LoweringError(f"{op!r}: operands must be in registers")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    again, differ = Label(), Label()
    a.add_reg(TMP0, addr, TMP0)  # the host address
    a.bind(again)
    a.ldaxr(size, d, TMP0)
    a.cmp(d, expected, size == 3)
    a.b_cond(E.NE, differ)
    a.stlxr(size, TMP1, new, TMP0)
    a.cbz(TMP1, again, sf=False, nonzero=True)  # the reservation was lost
    a.b(back)
    a.bind(differ)
    a.clrex()
    a.bind(back)

    _cmpxchg_stub(L_, d, addr, expected, new, memop, where, slow, access, back)


def _cmpxchg_stub(L_: Lowering, d: int, addr: int, expected: int, new: int, memop: int,
                  where: int, slow: Label, access: Label, back: Label) -> None:  # fmt: skip
    """The slow path of atomic_cmpxchg and atomic_fetch (``memop`` says which, with
    ``FETCH_SHIFT``): refill from the second level and retry the access, or call the
    runtime's slow_cmpxchg; the old value into ``d``."""
    a = L_.a

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
        saved = _save(L_, d)
        a.mov(TMP0, addr)
        a.mov(TMP1, new)
        a.mov(2, expected)
        a.mov(1, TMP0)
        a.mov(3, TMP1)
        a.mov_imm(4, memop)
        a.mov_imm(5, where)
        _call_restore(L_, L_.rt.slow_cmpxchg, saved)
        a.cbz(TMP1, L_.raised, sf=False, nonzero=True)
        a.mov(d, TMP0)
        a.b(back)

    L_.stubs.append(stub)


#: AtomicOp -> the LSE instruction (LDCLR clears the operand's bits: AND inverts it first)
_LSE: Final = {AtomicOp.XCHG: E.SWP, AtomicOp.ADD: E.LD_ADD, AtomicOp.AND: E.LD_CLR,
               AtomicOp.OR: E.LD_SET, AtomicOp.XOR: E.LD_EOR, AtomicOp.SMAX: E.LD_SMAX,
               AtomicOp.SMIN: E.LD_SMIN, AtomicOp.UMAX: E.LD_UMAX,
               AtomicOp.UMIN: E.LD_UMIN}  # fmt: skip
#: AtomicOp -> the ALU op (``Asm.logic`` opc) of an LL/SC loop
_LOGIC: Final = {AtomicOp.AND: 0, AtomicOp.OR: 1, AtomicOp.XOR: 2}
#: AtomicOp -> the condition (old against the operand) under which the old value stays
_KEEP: Final = {AtomicOp.SMAX: E.GE, AtomicOp.SMIN: E.LE, AtomicOp.UMAX: E.HS,
                AtomicOp.UMIN: E.LS}  # fmt: skip
#: the extension of the operand in a compare at 1 / 2 bytes, by signedness
_EXTEND: Final = {(True, 0): E.SXTB, (True, 1): E.SXTH, (False, 0): E.UXTB, (False, 1): E.UXTH}


def _fetch_loop(L_: Lowering, aop: AtomicOp, size: int, d: int, value: int) -> None:
    """The LL/SC form at the host address in x16: d <- [x16] (zero-extended), the new
    value into x17 (or ``value`` itself for a swap), stored back by STLXR (status in
    w30) until the reservation holds."""
    a = L_.a
    again = Label()
    a.bind(again)
    a.ldaxr(size, d, TMP0)
    new = TMP1
    if aop == AtomicOp.XCHG:
        new = value
    elif aop == AtomicOp.ADD:
        a.add_reg(TMP1, d, value)
    elif aop in _LOGIC:
        a.logic(_LOGIC[aop], TMP1, d, value)
    else:
        signed_ = aop in (AtomicOp.SMAX, AtomicOp.SMIN)
        if size >= 2:  # the compare's own width (w or x): no extension
            a.cmp(d, value, size == 3)
        elif signed_:  # d is zero-extended: sign-extend it, and the operand in the cmp
            a.bfm(0, TMP2, d, 0, (8 << size) - 1, False)  # sxtb / sxth w30, wd
            a.cmp_ext(TMP2, value, _EXTEND[True, size])
        else:  # d is zero-extended already
            a.cmp_ext(d, value, _EXTEND[False, size])
        a.csel(TMP1, d, value, _KEEP[aop])
    a.stlxr(size, TMP2, new, TMP0)
    a.cbz(TMP2, again, sf=False, nonzero=True)  # the reservation was lost


def atomic_fetch(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """d <- [addr], and [addr] <- aop(old, value) as one atomic access, naturally
    aligned (a misaligned one takes the slow path): one LSE instruction with acquire
    and release semantics (swpal, ldaddal, ldclral of the inverted operand, ldsetal,
    ldeoral, ld{s,u}{max,min}al, sized b / h / w / x) on a host with LSE, else an
    LDAXR / STLXR loop (``_fetch_loop``). ``d`` is written before the operand is
    read: the constraint keeps it apart from the inputs (``&r``)."""
    a = L_.a
    size = op.consts[0] & MemOp.MO_SIZE
    memop = size | MemOp.MO_ALIGN
    aop = AtomicOp(op.consts[2])
    addr, value = ins
    d = outs[0]
    if any(isinstance(x, Const) for x in ins):
        raise LoweringError(f"{op!r}: operands must be in registers")
    if d in (addr, value):
        raise LoweringError(f"{op!r}: the output must not share an input's register")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    a.add_reg(TMP0, addr, TMP0)  # the host address
    if L_.feat.atomics:
        operand = value
        if aop == AtomicOp.AND:  # LDCLR: old & ~operand
            a.logic(1, TMP1, ZR, value, invert=True)  # mvn x17, value
            operand = TMP1
        a.lse_al(size, _LSE[aop], operand, d, TMP0)  # zero-extends into wd below 8 bytes
    else:
        _fetch_loop(L_, aop, size, d, value)
    a.bind(back)

    # expected: not used by a fetch (the zero register)
    _cmpxchg_stub(L_, d, addr, ZR, value, memop | (int(aop) + 1) << FETCH_SHIFT, where, slow,
                  access, back)  # fmt: skip


def atomic_cmpxchg2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """x0:x1 <- the 16 bytes at [addr], and [addr] <- x2:x3 if they were x0:x1 (lo
    first): one atomic access of a 16-byte aligned pair (a misaligned or page-crossing
    one takes the slow path). With LSE one CASPAL; without, an LDAXP / STLXP loop that
    also stores back a pair that differs, since LDAXP is single-copy atomic only when
    a store-exclusive of it succeeds (x4: its status)."""
    a = L_.a
    if op.consts[0] & MemOp.MO_SIZE != 3:
        raise LoweringError(f"{op!r}: the elements of a 16-byte pair are 8 bytes")
    memop = 3 | MemOp.MO_ALIGN | PAIR_FLAG
    addr = ins[0]
    if any(isinstance(x, Const) for x in ins) or tuple(ins[1:]) != (0, 1, 2, 3) or (
            tuple(outs) != (0, 1)):  # fmt: skip
        raise LoweringError(f"{op!r}: operands must be in registers, x0:x1 and x2:x3")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    a.add_reg(TMP0, addr, TMP0)  # the host address
    if L_.feat.atomics:
        a.caspal(0, 2, TMP0)
    else:
        again, differ = Label(), Label()
        a.bind(again)
        a.ldaxp(TMP1, TMP2, TMP0)
        a.cmp(TMP1, 0)
        a.b_cond(E.NE, differ)
        a.cmp(TMP2, 1)
        a.b_cond(E.NE, differ)
        a.stlxp(4, 2, 3, TMP0)
        a.cbz(4, again, sf=False, nonzero=True)  # the reservation was lost
        a.b(back)
        a.bind(differ)
        a.stlxp(4, TMP1, TMP2, TMP0)  # the pair as read: was it read atomically?
        a.cbz(4, again, sf=False, nonzero=True)
        a.mov(0, TMP1)
        a.mov(1, TMP2)
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
        # cmp_lo, cmp_hi, new_lo, new_hi at sp (exec.atomic.cmpxchg_pair_at's words)
        a.ldp_stp(False, 2, 3, SP, -16, "pre")
        a.ldp_stp(False, 0, 1, SP, -16, "pre")
        a.mov_sp(TMP1, SP)
        saved = _save(L_, None)
        a.mov(1, addr)  # the address is none of x0-x3
        a.mov(2, TMP1)
        a.mov(3, ZR)
        a.mov_imm(4, memop)
        a.mov_imm(5, where)
        _call_restore(L_, L_.rt.slow_cmpxchg, saved)
        a.ldp_stp(True, 0, 1, SP, 16, "post")  # the pair read
        a.add_imm(SP, SP, 16)
        a.cbz(TMP1, L_.raised, sf=False, nonzero=True)
        a.b(back)

    L_.stubs.append(stub)


def goto_ptr(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """Jump to the TB the jump cache holds for the pc in ``ins[0]``, or exit to look it up."""
    a = L_.a
    pc = ins[0]
    miss = Label()
    a.ldst(3, 1, TMP2, ENV, L.OFF_UNTIL)
    a.cmp(pc, TMP2)
    a.b_cond(E.EQ, miss)
    a.bfm(2, TMP0, pc, 2, 63)  # lsr #2
    a.logic(2, TMP0, TMP0, pc, shift=LSR, amount=2 + L.JC_BITS)
    a.logic_imm(0, TMP0, TMP0, logical_imm(L.JC_SIZE - 1, True))  # type: ignore[arg-type]
    a.add_reg(TMP0, ENV, TMP0, shift=LSL, amount=5)
    _sub_const(L_, TMP0, -L.OFF_JC)
    a.ldst(3, 1, TMP2, TMP0, L.JC_PC)
    a.cmp(TMP2, pc)
    a.b_cond(E.NE, miss)
    if L_.rt.flags_probe is not None:
        off, mask = L_.rt.flags_probe
        a.ldst(3, 1, TMP1, ENV, off)
        enc = logical_imm(mask, True)
        if enc is None:
            raise LoweringError("TB flags mask is not a bitmask immediate")
        a.logic_imm(0, TMP1, TMP1, enc)
        a.ldst(3, 1, TMP2, TMP0, L.JC_KEY)
        a.cmp(TMP2, TMP1)
        a.b_cond(E.NE, miss)
    a.ldst(3, 1, TMP0, TMP0, L.JC_CODE)
    a.br(TMP0)
    a.bind(miss)
    L_.exit_with(EXIT_LOOKUP)


MEM_OPS = {"qemu_ld": qemu_ld, "qemu_st": qemu_st, "atomic_cmpxchg": atomic_cmpxchg,
           "atomic_fetch": atomic_fetch, "atomic_cmpxchg2": atomic_cmpxchg2,
           "goto_ptr": goto_ptr}  # fmt: skip
