"""Guest loads and stores on Power: the inline TLB fast path and its slow path,
and goto_ptr's inline jump-cache probe.

Owns ``MEM_OPS``: ``qemu_ld`` / ``qemu_st``, ``atomic_cmpxchg`` (the probe for a
write, aligned, then an l?arx / st?cx. loop on the host address between syncs;
its slow path calls ``slow_cmpxchg``), ``atomic_fetch`` (that probe, then an
l?arx / compute / st?cx. / bne- loop between the same syncs; the same slow path
with ``(aop + 1) << FETCH_SHIFT`` in its memop), ``atomic_cmpxchg2`` (the probe of a
16-byte access, 16-byte aligned, then an lqarx / stqcx. loop between the same
syncs; slow_cmpxchg with ``PAIR_FLAG`` and its operands in the frame) and
``goto_ptr``. Scratch: r0 (data only), r11, r12. The fast path:

    r11 <- ((addr >> 12) & 255) << 5 ; r11 += r27 - TLB
    r0  <- tag ; r12 <- key(addr) ; cmpd r0, r12 ; bne slow
    r11 <- addend ; l?zx / st?x value, addr, r11   (byte-reversed forms for big-endian)

The slow path is out of line. It first probes the TLB's second level (see
``tcgkit.native.layout``) with the key the probe left in r12; the second-level
entry is the first-level one (still in r11) plus the page index bits above the
first level's, at their place in an index * 32, plus a constant (OFF_L2 - OFF_TLB,
a multiple of 64 KiB):

    rlwinm r0, addr, 25, 12, 18 ; add r11, r11, r0 ; addis r11, r11, (OFF_L2 - OFF_TLB)@h
    ld r0, tag(r11) ; cmpld r0, r12 ; bne miss

On a hit it copies the entry into the first level, counts the refill and
branches back to the access with the addend in r11:

    rlwinm r12, addr, 25, 12, 18 ; subf r12, r12, r11 ; addis r12, r12, (OFF_TLB - OFF_L2)@h
    ld r0, 0(r11) ; std r0, 0(r12) ; ld r0, 8(r11) ; std r0, 8(r12)
    ld r11, 16(r11) ; std r11, 16(r12)
    ld r12, REFILLS(r27) ; addi r12, r12, 1 ; std r12, REFILLS(r27) ; b access

On a miss it saves r3-r10 (but the load's destination) in the frame, calls
``slow_mem`` (ELFv2: r12 = callee, TOC restored after), restores, tests the
status and branches back. Around every call FPSCR is stored at OFF_FP_SAVE and
loaded back after (``fpscr``: the float flags, for Python to fold).
"""

from __future__ import annotations

from tcgkit.exec.atomic import FETCH_SHIFT, PAIR_FLAG
from tcgkit.native import layout as L
from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import Const
from tcgkit.tcg.types import AtomicOp, MemOp

from . import encoder as E
from . import fpscr
from .encoder import BO_FALSE, BO_FALSE_UNLIKELY, SP, TOC, Label
from .lower import ENV, R0, SLOW_SAVE, TMP0, TMP1, Lowering, LoweringError, clr32

_LOAD = {(0, False): "lbzx", (1, False): "lhzx", (2, False): "lwzx", (3, False): "ldx",
         (1, True): "lhbrx", (2, True): "lwbrx", (3, True): "ldbrx"}  # fmt: skip
_STORE = {(0, False): "stbx", (1, False): "sthx", (2, False): "stwx", (3, False): "stdx",
          (1, True): "sthbrx", (2, True): "stwbrx", (3, True): "stdbrx"}  # fmt: skip


def _add_const(L_: Lowering, r: int, value: int) -> None:
    """r += value (a 32-bit signed constant): addis + addi."""
    a = L_.a
    lo = (value & 0xFFFF) - (0x10000 if value & 0x8000 else 0)
    hi = (value - lo) >> 16
    if hi:
        a.addis(r, r, hi)
    if lo:
        a.addi(r, r, lo)


def _probe(L_: Lowering, addr: int, memop: int, tag: int, slow: Label) -> None:
    """The first-level probe; a ``memop`` with ``PAIR_FLAG`` probes a 16-byte access."""
    a = L_.a
    size = 16 if memop & PAIR_FLAG else 1 << (memop & MemOp.MO_SIZE)
    a.rldicl(TMP0, addr, 64 - 12, 64 - 8)  # the page's TLB index
    a.rldicr(TMP0, TMP0, 5, 58)  # * 32
    a.add(TMP0, TMP0, ENV)
    _add_const(L_, TMP0, L.OFF_TLB)
    a.ld(R0, TMP0, tag)
    if memop & MemOp.MO_ALIGN:
        a.mov_imm(TMP1, (1 << 64) - (1 << 12) | (size - 1))
        a.logic(28, TMP1, addr, TMP1)
    else:
        a.addi(TMP1, addr, size - 1) if size > 1 else a.mr(TMP1, addr)
        a.rldicr(TMP1, TMP1, 0, 51)  # clear the page offset
    a.cmp(R0, TMP1, True, True)
    a.bc(BO_FALSE, E.EQ, slow)
    a.ld(TMP0, TMP0, L.TLB_ADDEND)


assert L.TLB_ENTRY == L.L2_ENTRY == 32 and L.L2_SIZE >= L.TLB_SIZE and 12 + L.L2_BITS <= 32
TLB_BITS = L.TLB_BITS
L2_DELTA = L.OFF_L2 - L.OFF_TLB  # the second-level entry - the first-level one - the bits


def _probed(L_: Lowering, addr: int, memop: int, tag: int) -> tuple[Label, Label, Label, int]:
    """The start of every guest access: its slow-path, access and return labels and its
    instruction (the stub is emitted after the body: ``where`` is read now), the TLB
    probe of ``tag`` jumping to the slow path, and the access label bound after it."""
    slow, access, back = Label(), Label(), Label()
    where = L_.where()
    _probe(L_, addr, memop, tag, slow)
    L_.a.bind(access)
    return slow, access, back, where


def _l2_bits(L_: Lowering, rd: int, addr: int) -> None:
    """rd <- the page index bits of ``addr`` above the first level's, times 32 (bits
    5 + TLB_BITS .. 5 + L2_BITS - 1): rlwinm rd, addr, 32 - 7, mb, me."""
    L_.a.rlwinm(rd, addr, 32 - (12 - 5), 31 - (5 + L.L2_BITS - 1), 31 - (5 + TLB_BITS))


def _l2_refill(L_: Lowering, addr: int, tag: int, access: Label) -> None:
    """The slow path's first part (the probe left the first-level entry's address in
    r11, the key in r12): on a second-level hit, copy the entry into the first level,
    count the refill and branch back to ``access`` with the addend in r11; on a miss,
    fall through to the call into Python (which needs neither)."""
    a = L_.a
    miss = Label()
    _l2_bits(L_, R0, addr)
    a.add(TMP0, TMP0, R0)
    _add_const(L_, TMP0, L2_DELTA)  # r11: the second-level entry
    a.ld(R0, TMP0, tag)
    a.cmp(R0, TMP1, True, True)
    a.bc(BO_FALSE, E.EQ, miss)
    _l2_bits(L_, TMP1, addr)  # the key is no longer needed
    a.subf(TMP1, TMP1, TMP0)
    _add_const(L_, TMP1, -L2_DELTA)  # r12: the first-level entry
    for word in (L.TLB_TAG_READ, L.TLB_TAG_WRITE):
        a.ld(R0, TMP0, word)
        a.std(R0, TMP1, word)
    a.ld(TMP0, TMP0, L.TLB_ADDEND)
    a.std(TMP0, TMP1, L.TLB_ADDEND)
    a.ld(TMP1, ENV, L.OFF_REFILLS)
    a.addi(TMP1, TMP1, 1)
    a.std(TMP1, ENV, L.OFF_REFILLS)
    a.b(access)
    a.bind(miss)


def _slow_call(L_: Lowering, addr: int, value: int | None, memop: int, keep: int | None,
               where: int) -> None:  # fmt: skip
    """slow_mem(state, addr, value, memop, where) with r3-r10 (but ``keep``) saved;
    leaves the status in r0 and the result in r11."""
    a = L_.a
    saved = [r for r in range(3, 11) if r != keep]
    for r in saved:
        a.std(r, SP, SLOW_SAVE + 8 * (r - 3))
    a.mr(TMP0, addr)
    if value is not None:
        a.mr(TMP1, value)
    a.mr(4, TMP0)
    if value is not None:
        a.mr(5, TMP1)
    a.mov_imm(6, memop)
    a.mov_imm(7, where)
    _call_restore(L_, L_.rt.slow_mem, saved)


def _call_restore(L_: Lowering, fn: int, saved: list[int]) -> None:
    """r3 = the state, call ``fn`` (ELFv2: r12 = callee, TOC restored after): the
    status to r0, the return word to r11; reload ``saved`` from the frame."""
    a = L_.a
    a.mr(3, ENV)
    fpscr.save(a, ENV, TMP0)  # the float flags so far, for Python to fold
    a.mov_imm(TMP1, fn)
    a.mtctr(TMP1)
    a.bctr(link=True)
    a.ld(TOC, SP, 24)
    fpscr.reload(a, ENV, TMP0)
    a.mr(R0, 3)
    a.ld(TMP0, ENV, L.OFF_RET)
    for r in saved:
        a.ld(r, SP, SLOW_SAVE + 8 * (r - 3))


def atomic_cmpxchg(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """d <- [addr], and [addr] <- new if that was ``expected``: a reservation loop on
    the host address between two syncs, naturally aligned (else the slow path)."""
    a = L_.a
    size = op.consts[0] & MemOp.MO_SIZE
    memop = size | MemOp.MO_ALIGN
    addr, expected, new = ins
    d = outs[0]
    if any(isinstance(x, Const) for x in ins):
        raise LoweringError(f"{op!r}: operands must be in registers")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    again, differ = Label(), Label()
    a.add(TMP0, addr, TMP0)  # the host address
    a.sync()
    a.bind(again)
    a.larx(d, 0, TMP0, size)
    a.cmp(d, expected)
    a.bc(BO_FALSE, E.EQ, differ)
    a.stcx(new, 0, TMP0, size)
    a.bc(BO_FALSE, E.EQ, again)  # the reservation was lost
    a.bind(differ)
    a.sync()
    a.bind(back)
    L_.stubs.append(lambda: _cmpxchg_stub(L_, slow, access, back, d, addr, expected, new,
                                          memop, where))  # fmt: skip


def _cmpxchg_stub(L_: Lowering, slow: Label, access: Label, back: Label, d: int, addr: int,
                  expected: int | None, new: int, memop: int, where: int) -> None:  # fmt: skip
    """The slow path of ``atomic_cmpxchg`` and ``atomic_fetch``: the second-level
    refill, else slow_cmpxchg(state, addr, expected, new, memop, where) with r3-r10
    (but ``d``) saved; ``d`` <- the value read (``expected`` None: 0 passed)."""
    a = L_.a
    a.bind(slow)
    _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
    saved = [r for r in range(3, 11) if r != d]
    for r in saved:
        a.std(r, SP, SLOW_SAVE + 8 * (r - 3))
    a.mr(TMP0, addr)
    a.mr(TMP1, new)
    if expected is None:
        a.li(5, 0)
    else:
        a.mr(5, expected)
    a.mr(4, TMP0)
    a.mr(6, TMP1)
    a.mov_imm(7, memop)
    a.mov_imm(8, where)
    _call_restore(L_, L_.rt.slow_cmpxchg, saved)
    a.cmpi(R0, 0, False)
    a.bc(BO_FALSE, E.EQ, L_.raised)
    a.mr(d, TMP0)
    a.b(back)


#: where the pair's slow path puts (cmp_lo, cmp_hi, new_lo, new_hi), which the pair read
#: replaces the first two of (``tcgkit.exec.atomic.cmpxchg_pair_at``): the frame's
#: argument words after r3-r10
PAIR_WORDS = SLOW_SAVE + 64
# the fixed registers of atomic_cmpxchg2 (``constraints``): lqarx's pair is the output
# and stqcx.'s the new value; in little-endian mode the odd register of a pair holds
# the doubleword at the address (lo) and the even one the doubleword 8 bytes on (hi)
# (checked under qemu-ppc64le 10.0: lqarx of 0x1111, 0x2222 at EA, EA + 8 gave
# r6 = 0x2222, r7 = 0x1111; stqcx. of r8 = 0xAAAA, r9 = 0xBBBB stored 0xBBBB at EA)
_OLD_HI, _OLD_LO, _CMP_LO, _CMP_HI, _NEW_HI, _NEW_LO = 6, 7, 4, 5, 8, 9


def atomic_cmpxchg2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """r7:r6 (lo, hi) <- the 16 bytes at [addr], and [addr] <- r9:r8 if they were
    r4:r5: an lqarx / stqcx. loop on the host address between two syncs, as the
    8-byte one (lqarx is a single-copy atomic quadword load: a pair that differs is
    not stored back). A misaligned or page-crossing pair takes the slow path,
    slow_cmpxchg with ``PAIR_FLAG`` and the four words in the frame."""
    a = L_.a
    if op.consts[0] & MemOp.MO_SIZE != 3:
        raise LoweringError(f"{op!r}: the elements of a 16-byte pair are 8 bytes")
    memop = 3 | MemOp.MO_ALIGN | PAIR_FLAG
    addr = ins[0]
    if any(isinstance(x, Const) for x in ins) or tuple(ins[1:]) != (
            _CMP_LO, _CMP_HI, _NEW_LO, _NEW_HI) or tuple(outs) != (_OLD_LO, _OLD_HI):  # fmt: skip
        raise LoweringError(f"{op!r}: operands must be in registers, r4:r5, r9:r8 -> r7:r6")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    again, differ = Label(), Label()
    a.add(TMP0, addr, TMP0)  # the host address (addr is not read again: it may be r6/r7)
    a.sync()
    a.bind(again)
    a.lqarx(_OLD_HI, 0, TMP0)
    a.cmp(_OLD_LO, _CMP_LO)
    a.bc(BO_FALSE, E.EQ, differ)
    a.cmp(_OLD_HI, _CMP_HI)
    a.bc(BO_FALSE, E.EQ, differ)
    a.stqcx(_NEW_HI, 0, TMP0)
    a.bc(BO_FALSE_UNLIKELY, E.EQ, again)  # the reservation was lost
    a.bind(differ)
    a.sync()
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
        for i, r in enumerate((_CMP_LO, _CMP_HI, _NEW_LO, _NEW_HI)):
            a.std(r, SP, PAIR_WORDS + 8 * i)
        saved = [r for r in range(3, 11) if r not in (_OLD_LO, _OLD_HI)]
        for r in saved:
            a.std(r, SP, SLOW_SAVE + 8 * (r - 3))
        a.mr(4, addr)  # the first argument written: addr may be in any other
        a.addi(5, SP, PAIR_WORDS)
        a.li(6, 0)
        a.mov_imm(7, memop)
        a.mov_imm(8, where)
        _call_restore(L_, L_.rt.slow_cmpxchg, saved)
        a.cmpi(R0, 0, False)
        a.bc(BO_FALSE, E.EQ, L_.raised)
        a.ld(_OLD_LO, SP, PAIR_WORDS)  # the pair read
        a.ld(_OLD_HI, SP, PAIR_WORDS + 8)
        a.b(back)

    L_.stubs.append(stub)


#: AtomicOp -> the X-form logic op (rs, rb) that makes the new value
_FETCH_LOGIC = {int(AtomicOp.AND): 28, int(AtomicOp.OR): 444, int(AtomicOp.XOR): 316}
_EXTS = (954, 922, 986)  # extsb extsh extsw, by log2 of the size


def atomic_fetch(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """d <- [addr], and [addr] <- aop(d, value), as one atomic access: a reservation
    loop (l?arx d; the new value to r12; st?cx.; bne-) on the host address between
    two syncs, naturally aligned (else the slow path, slow_cmpxchg with the operation
    in its memop). d is written before value is read again: it is apart (``&r``)."""
    a = L_.a
    size = op.consts[0] & MemOp.MO_SIZE
    memop = size | MemOp.MO_ALIGN
    aop = int(op.consts[2])
    addr, value = ins
    d = outs[0]
    if any(isinstance(x, Const) for x in ins):
        raise LoweringError(f"{op!r}: operands must be in registers")
    if not 0 <= aop <= AtomicOp.UMIN:
        raise LoweringError(f"{op!r}: no atomic operation {aop}")
    if d in (addr, value) or R0 in (d, value):  # (isel reads r0 as 0)
        raise LoweringError(f"{op!r}: the output must be apart from the inputs, none in r0")
    minmax = aop >= AtomicOp.SMAX
    signed_ = aop in (AtomicOp.SMAX, AtomicOp.SMIN)
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_WRITE)
    again = Label()
    a.add(TMP0, addr, TMP0)  # the host address
    operand = value  # what old is compared with: value at the access size
    if minmax and size < 2:  # extended once, outside the loop
        if signed_:
            a.unary_x(_EXTS[size], R0, value)
        else:
            a.rldicl(R0, value, 0, 64 - (8 << size))
        operand = R0
    a.sync()
    a.bind(again)
    a.larx(d, 0, TMP0, size)  # zero-extended
    new = TMP1
    if aop == AtomicOp.XCHG:
        new = value
    elif aop == AtomicOp.ADD:
        a.add(TMP1, d, value)
    elif not minmax:
        a.logic(_FETCH_LOGIC[aop], TMP1, d, value)
    else:
        old = d
        if signed_ and size < 2:
            a.unary_x(_EXTS[size], TMP1, d)
            old = TMP1
        # words: cmpw / cmplw; bytes and halfwords extended to words; doublewords: cmpd
        a.cmp(old, operand, size == 3, not signed_)
        # max: value if old < value; min: value if old > value
        bit = E.LT if aop in (AtomicOp.SMAX, AtomicOp.UMAX) else E.GT
        a.isel(TMP1, value, d, bit)
    a.stcx(new, 0, TMP0, size)
    a.bc(BO_FALSE_UNLIKELY, E.EQ, again)  # the reservation was lost
    a.sync()
    a.bind(back)
    fetch = memop | (aop + 1) << FETCH_SHIFT
    L_.stubs.append(lambda: _cmpxchg_stub(L_, slow, access, back, d, addr, None, value,
                                          fetch, where))  # fmt: skip


def _check(op: Op, sf: bool) -> int:
    memop = op.consts[0]
    if (1 << (memop & MemOp.MO_SIZE)) * 8 > (64 if sf else 32):
        raise LoweringError(f"{op!r}: the access does not fit the value")
    return memop


def qemu_ld(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    memop = _check(op, sf)
    addr, d = ins[0], outs[0]
    if isinstance(addr, Const):
        raise LoweringError(f"{op!r}: the address must be in a register")
    slow, access, back, where = _probed(L_, addr, memop, L.TLB_TAG_READ)
    size = memop & MemOp.MO_SIZE
    be = bool(memop & MemOp.MO_BE) and size > 0
    sign = bool(memop & MemOp.MO_SIGN)
    if sign and not be and size in (1, 2) and (sf or size == 1):
        a.indexed("lhax" if size == 1 else "lwax", d, addr, TMP0)
    else:
        a.indexed(_LOAD[(size, be)], d, addr, TMP0)
        if sign and size < 3:
            a.unary_x({0: 954, 1: 922, 2: 986}[size], d, d)  # extsb / extsh / extsw
    if sign and size < 3 and not sf:
        clr32(a, d)
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_READ, access)
        _slow_call(L_, addr, None, memop, d, where)
        a.cmpi(R0, 0, False)
        a.bc(BO_FALSE, E.EQ, L_.raised)
        a.mr(d, TMP0)
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
    a.indexed(_STORE[(size, bool(memop & MemOp.MO_BE) and size > 0)], value, addr, TMP0)
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L_, addr, L.TLB_TAG_WRITE, access)
        _slow_call(L_, addr, value, memop | L.STORE_FLAG, None, where)
        a.cmpi(R0, 0, False)
        a.bc(BO_FALSE, E.EQ, L_.raised)
        a.b(back)

    L_.stubs.append(stub)


def goto_ptr(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """Branch to the TB the jump cache holds for the pc, or exit to look it up."""
    a = L_.a
    pc = ins[0]
    miss = Label()
    a.ld(R0, ENV, L.OFF_UNTIL)
    a.cmp(pc, R0, True, True)
    a.bc(E.BO_TRUE, E.EQ, miss)
    a.rldicl(TMP0, pc, 62, 2)  # pc >> 2
    a.rldicl(TMP1, pc, 64 - 2 - L.JC_BITS, 2 + L.JC_BITS)
    a.logic(316, TMP0, TMP0, TMP1)
    a.rldic(TMP0, TMP0, 5, 64 - L.JC_BITS - 5)  # (index & (size - 1)) << 5
    a.add(TMP0, TMP0, ENV)
    _add_const(L_, TMP0, L.OFF_JC)
    a.ld(R0, TMP0, L.JC_PC)
    a.cmp(R0, pc, True, True)
    a.bc(BO_FALSE, E.EQ, miss)
    if L_.rt.flags_probe is not None:
        off, mask = L_.rt.flags_probe
        a.ld(TMP1, ENV, off)
        a.mov_imm(R0, mask)
        a.logic(28, TMP1, TMP1, R0)
        a.ld(R0, TMP0, L.JC_KEY)
        a.cmp(R0, TMP1, True, True)
        a.bc(BO_FALSE, E.EQ, miss)
    a.ld(TMP1, TMP0, L.JC_CODE)
    a.mtctr(TMP1)
    a.bctr()
    a.bind(miss)
    L_.exit_with(EXIT_LOOKUP)


MEM_OPS = {"qemu_ld": qemu_ld, "qemu_st": qemu_st, "atomic_cmpxchg": atomic_cmpxchg,
           "atomic_fetch": atomic_fetch, "atomic_cmpxchg2": atomic_cmpxchg2,
           "goto_ptr": goto_ptr}  # fmt: skip
