"""Allocated IR -> Power (ppc64le, ELFv2) machine code for one TB.

Owns ``lower`` and the prologue. The TB's shape is the other hosts':

    entry:    ld r11, EXIT(r27) ; cmpdi r11, 0 ; bne .exit_at_entry
    nocheck:  icount += n (in the native block)
              body ...
              goto_tb sites: a nop, patched to ``b dest``
    stubs:    helper-raised and exit-request exits, the epilogue

i32 values stay zero-extended in the 64-bit registers: an op whose 64-bit
result may leave garbage above bit 31 is followed by ``clrldi 32``. Shift
counts are masked to the width (Power shifts by counts up to twice the
width), divisions are guarded (Power leaves x / 0 and MIN / -1 undefined).
Float ops are in ``lower_float``, guest memory accesses and goto_ptr's
jump-cache probe in ``lower_mem``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from tcgkit.host import TBTooLarge
from tcgkit.native import layout as L
from tcgkit.native.backend import Lowered, Runtime
from tcgkit.tcg.ir import Op, Temp
from tcgkit.tcg.ops import OPS
from tcgkit.tcg.regalloc import Allocation, Const, Insn
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32, I64, Cond, MemOrder

from . import encoder as E
from . import fpscr
from .encoder import BO_FALSE, BO_TRUE, SP, TOC, Asm, Label, fits_s16, fits_u16
from .features import HostFeatures

ENV, TMP0, TMP1, R0 = 27, 11, 12, 0
SAVED = tuple(range(14, 32))
SAVE_BASE = 32  # after the ELFv2 frame header
SLOTS_BASE = SAVE_BASE + 8 * len(SAVED)
SLOTS_SIZE = 16384
SCRATCH = SLOTS_BASE + SLOTS_SIZE  # 16 bytes for byte swaps through memory
SLOW_SAVE = SCRATCH + 16  # r3-r10 around out-of-line calls, then their arguments
CALLER_FPSCR = SLOW_SAVE + 96  # the caller's FPSCR, restored by the epilogue (``fpscr``)
FRAME = CALLER_FPSCR + 16  # 16-byte aligned

# IR condition -> (CR0 bit, whether the bit set means the condition holds), logical compare
_CC = {
    Cond.EQ: (E.EQ, True, False), Cond.NE: (E.EQ, False, False),
    Cond.LT: (E.LT, True, False), Cond.GE: (E.LT, False, False),
    Cond.GT: (E.GT, True, False), Cond.LE: (E.GT, False, False),
    Cond.LTU: (E.LT, True, True), Cond.GEU: (E.LT, False, True),
    Cond.GTU: (E.GT, True, True), Cond.LEU: (E.GT, False, True),
    Cond.TSTEQ: (E.EQ, True, False), Cond.TSTNE: (E.EQ, False, False),
}  # fmt: skip


class LoweringError(Exception):
    """An op this host cannot encode (a malformed op, or one not lowered yet)."""


def prologue() -> bytes:
    """entry(state=r3, code=r4): LR, TOC, r14-r31 and FPSCR saved, FPSCR cleared
    (``fpscr``: generated code's float-flag accumulator); r27 = state."""
    a = Asm()
    a.mflr(R0)
    a.std(R0, SP, 16)
    a.stdu(SP, SP, -FRAME)
    a.std(TOC, SP, 24)
    for i, r in enumerate(SAVED):
        a.std(r, SP, SAVE_BASE + 8 * i)
    a.mffs(0)
    a.load("stfd", 0, SP, CALLER_FPSCR)
    fpscr.clear(a, TMP0)
    a.mr(ENV, 3)
    a.mtctr(4)
    a.bctr()
    return a.code()


def epilogue(a: Asm) -> None:
    fpscr.save(a, ENV, TMP0)  # the float flags, for Python to fold
    a.load("lfd", 0, SP, CALLER_FPSCR)
    a.mtfsf(0xFF, 0)
    for i, r in enumerate(SAVED):
        a.ld(r, SP, SAVE_BASE + 8 * i)
    a.ld(TOC, SP, 24)
    a.addi(SP, SP, FRAME)
    a.ld(R0, SP, 16)
    a.mtlr(R0)
    a.blr()


def clr32(a: Asm, r: int) -> None:
    a.rldicl(r, r, 0, 32)


class Lowering:
    def __init__(self, tb_id: int, icount: int, rt: Runtime, features: HostFeatures) -> None:
        self.f = features
        self.tb_id = tb_id
        self.icount = icount
        self.rt = rt
        self.a = Asm()
        self.labels: dict[int, Label] = {}
        self.epilogue = Label()
        self.raised = Label()
        self.insn = -1
        self.out = Lowered(b"", 0)
        self.stubs: list[Callable[[], None]] = []
        self.helper_addr: Callable[[Op], int] = lambda op: 0

    def label(self, lab: object) -> Label:
        return self.labels.setdefault(id(lab), Label())

    def where(self) -> int:
        return self.tb_id << 16 | max(self.insn, 0)

    def exit_with(self, code: int) -> None:
        self.a.mov_imm(3, self.tb_id << L.EXIT_SHIFT | code)
        self.a.b(self.epilogue)

    def reg(self, x: int | Const) -> int:
        if isinstance(x, Const):
            self.a.mov_imm(TMP1, x.value)
            return TMP1
        return x

    def cmp(self, a_: int, b: int | Const, sf: bool, cond: Cond) -> tuple[int, bool]:
        """Set CR0 for ``a cond b``; (CR bit, whether it set means true)."""
        a = self.a
        bit, sense, logical = _CC[cond]
        if cond in (Cond.TSTEQ, Cond.TSTNE):
            if isinstance(b, Const) and fits_u16(b.value):
                a.andi_(R0, a_, b.value)
            else:
                a.logic(28, R0, a_, self.reg(b), rc=1)  # and.
            return bit, sense
        if isinstance(b, Const):
            v = signed(b.value, sf)
            if logical and fits_u16(b.value):
                a.cmpli(a_, b.value, sf)
                return bit, sense
            if not logical and fits_s16(v):
                a.cmpi(a_, v, sf)
                return bit, sense
        a.cmp(a_, self.reg(b), sf, logical)
        return bit, sense

    # -- the TB ----------------------------------------------------------------------------

    def run(self, alloc: Allocation) -> Lowered:
        if alloc.frame_size > SLOTS_SIZE:
            raise TBTooLarge(f"the TB needs {alloc.frame_size} bytes of frame")
        a = self.a
        at_entry = Label()
        a.ld(TMP0, ENV, L.OFF_EXIT)
        a.cmpi(TMP0, 0)
        a.bc(BO_FALSE, E.EQ, at_entry)
        self.out.nocheck = a.pos
        if self.icount:
            a.ld(TMP0, ENV, L.OFF_ICOUNT)
            a.addi(TMP0, TMP0, self.icount)
            a.std(TMP0, ENV, L.OFF_ICOUNT)
        for insn in alloc.insns:
            self.element(insn)
        for stub in self.stubs:
            stub()
        self.stubs.clear()  # each closes over this Lowering: no cycle left for the collector
        a.bind(at_entry)
        self.exit_with(L.EXIT_AT_ENTRY)
        a.bind(self.raised)
        self.exit_with(L.EXIT_HELPER_RAISED)
        a.bind(self.epilogue)
        epilogue(a)
        self.out.code = a.code()
        return self.out

    def element(self, i: Insn) -> None:
        kind: str = i[0]  # the stream's shapes: ``tcgkit.tcg.regalloc.Insn``
        if kind == "op":
            self.op(i[1], i[2], i[3])
            return
        a = self.a
        if kind == "mov":
            a.mr(i[1], i[2])
        elif kind == "movi":
            a.mov_imm(i[1], i[2])
        else:  # load or store: a register <-> temp's home
            t: Temp = i[2]
            slot: int = i[3]
            base, off = (ENV, t.offset) if slot < 0 else (SP, SLOTS_BASE + slot)
            if kind == "store":
                a.std(i[1], base, off)
            elif t.type is I64 or slot >= 0:
                a.ld(i[1], base, off)
            else:
                a.load("lwz", i[1], base, off)

    def op(self, op: Op, outs: list[int], ins: list) -> None:
        d = op.defn
        fn = _BY_INDEX[d.index]
        if fn is not None:
            fn(self, op, outs, ins, d.type is not I32)
            return
        a = self.a
        opc = op.opc
        if opc == "insn_start":
            self.insn += 1
            self.out.insn_offsets.append(a.pos)
        elif opc == "set_label":
            a.bind(self.label(op.consts[0]))
        elif opc == "br":
            a.b(self.label(op.consts[0]))
        elif opc == "mb":
            kind = op.consts[0]
            if kind:
                a.sync(lw=not kind & MemOrder.ST_LD)  # lwsync orders all but store-load
        elif opc == "goto_tb":
            slot = op.consts[0]
            self.out.goto_tb[slot] = a.pos
            a.nop()  # patched to `b dest` (or to the far stub); a nop falls through
            self.stubs.append(lambda slot=slot: self.far_stub(slot))
        elif opc == "exit_tb":
            self.exit_with(op.consts[0])
        elif opc == "call":
            self.call(op, outs)
        else:
            raise LoweringError(f"the ppc64le host cannot emit {op!r} yet")

    def far_stub(self, slot: int) -> None:
        """bl .+4 ; mflr r12 ; ld r12, 20(r12) ; mtctr r12 ; bctr ; nop ; .quad target
        (8-byte aligned, so that the literal is written with one store)."""
        a = self.a
        if a.pos % 8:
            a.nop()
        self.out.far[slot] = a.pos
        a.emit(18 << 26 | 4 | 1)  # bl .+4
        a.mflr(TMP1)
        a.ld(TMP1, TMP1, 20)
        a.mtctr(TMP1)
        a.bctr()
        a.nop()
        a.emit(0)
        a.emit(0)

    def call(self, op: Op, outs: list[int]) -> None:
        a = self.a
        a.mov_imm(TMP0, self.where())
        a.std(TMP0, ENV, L.OFF_WHERE)
        a.mr(3, ENV)
        fpscr.save(a, ENV, TMP0)  # the float flags so far, for Python to fold
        a.mov_imm(TMP1, self.helper_addr(op))  # ELFv2: r12 holds the callee's address
        a.mtctr(TMP1)
        a.bctr(link=True)
        a.ld(TOC, SP, 24)
        fpscr.reload(a, ENV, TMP0)
        a.cmpi(3, 0, False)
        a.bc(BO_FALSE, E.EQ, self.raised)
        if outs:
            a.ld(outs[0], ENV, L.OFF_RET)


# -- integer ops ---------------------------------------------------------------------------

Lower = Callable[[Lowering, Op, list[int], list, bool], None]


def _arith(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    if isinstance(y, Const):
        v = signed(y.value, sf)
        if base in ("add", "sub") and fits_s16(v) and fits_s16(-v):
            a.addi(d, x, v if base == "add" else -v)
            if not sf:
                clr32(a, d)
            return
        if base in ("and", "or", "xor") and fits_u16(y.value):
            {"and": a.andi_, "or": a.ori, "xor": a.xori}[base](d, x, y.value)
            return
        y = L_.reg(y)
    if base == "add":
        a.add(d, x, y)
    elif base == "sub":
        a.subf(d, y, x)
    elif base == "mul":
        a.mulld(d, x, y)
    else:
        xo = {"and": 28, "or": 444, "xor": 316, "andc": 60, "orc": 412, "eqv": 284,
              "nand": 476, "nor": 124}[base]  # fmt: skip
        a.logic(xo, d, x, y)
    if not sf and base in ("add", "sub", "mul", "orc", "eqv", "nand", "nor"):
        clr32(a, d)


def _unary(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    d, x = outs[0], ins[0]
    if base == "mov":
        a.mr(d, x)
    elif base == "neg":
        a.neg(d, x)
    elif base == "not":
        a.logic(124, d, x, x)  # nor
    elif base in ("bswap16", "bswap32", "bswap64"):
        store, load = {"bswap16": ("sthbrx", "lhz"), "bswap32": ("stwbrx", "lwz"),
                       "bswap64": ("stdbrx", "ld")}[base]  # fmt: skip
        a.addi(TMP0, SP, SCRATCH)
        a.indexed(store, x, 0, TMP0)
        if load == "ld":
            a.ld(d, SP, SCRATCH)
        else:
            a.load(load, d, SP, SCRATCH)
        return
    elif base in ("ext8s", "ext16s", "ext32s", "ext_i32_i64"):
        a.unary_x({"ext8s": 954, "ext16s": 922}.get(base, 986), d, x)
    elif base in ("ext8u", "ext16u"):
        a.rldicl(d, x, 0, 56 if base == "ext8u" else 48)
        return
    elif base in ("ext32u", "extrl_i64_i32", "extu_i32_i64"):
        a.rldicl(d, x, 0, 32)
        return
    elif base == "extrh_i64_i32":
        a.rldicl(d, x, 32, 32)
        return
    elif base == "ctpop":
        a.unary_x(506 if sf else 378, d, x)
        return
    if not sf:
        clr32(a, d)


def _shift(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    bits = 64 if sf else 32
    d, x, c = outs[0], ins[0], ins[1]
    if isinstance(c, Const):
        n = c.value & (bits - 1)
        if sf:
            if base == "shl":
                a.rldicr(d, x, n, 63 - n)
            elif base == "shr":
                a.rldicl(d, x, (64 - n) % 64, n)
            elif base == "sar":
                a.sradi(d, x, n)
            else:
                a.rldicl(d, x, n if base == "rotl" else (64 - n) % 64, 0)
        else:
            if base == "shl":
                a.rlwinm(d, x, n, 0, 31 - n)
            elif base == "shr":
                a.rlwinm(d, x, (32 - n) % 32, n, 31)
            elif base == "sar":
                a.srawi(d, x, n)
                clr32(a, d)
            else:
                a.rlwinm(d, x, n if base == "rotl" else (32 - n) % 32, 0, 31)
        return
    if base in ("rotl", "rotr"):
        if base == "rotr":
            a.neg(R0, c)
            c = R0
        if sf:
            a.rldcl(d, x, c, 0)
        else:
            a.rlwnm(d, x, c, 0, 31)
        return
    a.andi_(R0, c, bits - 1)
    xo = {("shl", True): 27, ("shr", True): 539, ("sar", True): 794, ("shl", False): 24,
          ("shr", False): 536, ("sar", False): 792}[(base, sf)]  # fmt: skip
    a.shift(xo, d, x, R0)
    if base == "sar" and not sf:
        clr32(a, d)


def _mulh(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    d, x, y = outs[0], ins[0], ins[1]
    unsigned = op.defn.base == "muluh"
    (a.mulhd if sf else a.mulhw)(d, x, y, unsigned)
    if not sf:
        clr32(a, d)


def _mul2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    lo, hi = outs
    x, y = ins
    signed_ = op.defn.base == "muls2"
    if sf:
        a.mulld(lo, x, y)
        a.mulhd(hi, x, y, not signed_)
        return
    if signed_:
        a.unary_x(986, TMP0, x)
        a.unary_x(986, TMP1, y)
        a.mulld(lo, TMP0, TMP1)
    else:
        a.mulld(lo, x, y)
    a.rldicl(hi, lo, 32, 32)
    clr32(a, lo)


def _div(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    """The IR's answers where Power's are undefined: x / 0 = 0, x % 0 = x,
    MIN / -1 = MIN, MIN % -1 = 0."""
    a = L_.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    rem = base in ("rem", "remu")
    unsigned = base in ("divu", "remu")
    zero, minus1, done = Label(), Label(), Label()
    a.cmpi(y, 0, sf)
    a.bc(BO_TRUE, E.EQ, zero)
    if not unsigned:
        a.cmpi(y, -1, sf)
        a.bc(BO_TRUE, E.EQ, minus1)
    (a.divd if sf else a.divw)(TMP0, x, y, unsigned)
    if rem:
        a.mulld(TMP0, TMP0, y)
        a.subf(d, TMP0, x)
    else:
        a.mr(d, TMP0)
    a.b(done)
    a.bind(zero)
    if rem:
        a.mr(d, x)
    else:
        a.li(d, 0)
    if not unsigned:
        a.b(done)
        a.bind(minus1)
        if rem:
            a.li(d, 0)
        else:
            a.neg(d, x)
    a.bind(done)
    if not sf:
        clr32(a, d)


def _count(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    d, x, z = outs[0], ins[0], ins[1]
    if op.defn.base == "ctz" and not L_.f.isa300:  # no cnttz: popcount((x - 1) & ~x)
        a.addi(R0, x, -1)
        a.logic(60, R0, R0, x)
        a.unary_x(506 if sf else 378, d, R0)
    else:
        xo = {("clz", True): 58, ("clz", False): 26, ("ctz", True): 570, ("ctz", False): 538}
        a.unary_x(xo[(op.defn.base, sf)], d, x)
    a.cmpi(x, 0, sf)
    a.isel(d, z, d, E.EQ)


def _field(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    pos, n = op.consts
    bits = 64 if sf else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    d, x = outs[0], ins[0]
    if op.defn.base == "extract":
        a.rldicl(d, x, (64 - pos) % 64, 64 - n)
        return
    a.rldicr(d, x, 64 - pos - n, 63) if pos + n < 64 else a.mr(d, x)
    a.sradi(d, d, 64 - n)
    if not sf:
        clr32(a, d)


def _deposit(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    pos, n = op.consts
    bits = 64 if sf else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    L_.a.rldimi(outs[0], ins[1], pos, 64 - pos - n)


def _setcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    d = outs[0]
    value = -1 if op.defn.base == "negsetcond" else 1
    if cond in (Cond.ALWAYS, Cond.NEVER):
        a.mov_imm(d, value if cond is Cond.ALWAYS else 0)
        if not sf:
            clr32(a, d)
        return
    bit, sense = L_.cmp(ins[0], ins[1], sf, cond)
    a.li(TMP0, value)
    if sense:
        a.li(R0, 0)
        a.isel(d, TMP0, R0, bit)
    else:
        a.isel(d, 0, TMP0, bit)  # ra = 0: the value 0
    if not sf:
        clr32(a, d)


def _movcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    d, v1, v2 = outs[0], ins[2], ins[3]
    if cond in (Cond.ALWAYS, Cond.NEVER):
        a.mr(d, v1 if cond is Cond.ALWAYS else v2)
        return
    bit, sense = L_.cmp(ins[0], ins[1], sf, cond)
    if sense:
        a.isel(d, v1, v2, bit)
    else:
        a.isel(d, v2, v1, bit)


def _brcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    target = L_.label(op.consts[1])
    if cond is Cond.ALWAYS:
        a.b(target)
    elif cond is not Cond.NEVER:
        bit, sense = L_.cmp(ins[0], ins[1], sf, cond)
        a.bc(BO_TRUE if sense else BO_FALSE, bit, target)


def _addsub2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    sub = op.defn.base == "sub2"
    lo, hi = outs
    al, ah, bl, bh = ins
    if sf:
        if sub:
            a.subfc(lo, bl, al)
            a.subfc(hi, bh, ah, extended=True)
        else:
            a.addc(lo, al, bl)
            a.addc(hi, ah, bh, extended=True)
        return
    # 32-bit halves in 64-bit registers: the carry (borrow) is bit 32 (the sign)
    if sub:
        a.subf(lo, bl, al)
        a.rldicl(TMP0, lo, 1, 63)  # borrow = bit 63 of the 64-bit difference
        a.subf(hi, bh, ah)
        a.subf(hi, TMP0, hi)
    else:
        a.add(lo, al, bl)
        a.rldicl(TMP0, lo, 32, 63)  # carry = bit 32
        a.add(hi, ah, bh)
        a.add(hi, hi, TMP0)
    clr32(a, lo)
    clr32(a, hi)


_ENV = {"ld8u": "lbz", "ld8s": "lbz", "ld16u": "lhz", "ld16s": "lha", "ld32u": "lwz",
        "st8": "stb", "st16": "sth", "st32": "stw"}  # fmt: skip


def _env(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    offset = op.consts[0]
    if base == "ld":
        (a.ld if sf else lambda r, b_, o: a.load("lwz", r, b_, o))(outs[0], ENV, offset)
    elif base == "st":
        (a.std if sf else lambda r, b_, o: a.load("stw", r, b_, o))(ins[0], ENV, offset)
    elif base == "ld32s":
        a.lwa(outs[0], ENV, offset)
    elif base.startswith("ld"):
        a.load(_ENV[base], outs[0], ENV, offset)
        if base == "ld8s":
            a.unary_x(954, outs[0], outs[0])
        if base in ("ld8s", "ld16s") and not sf:
            clr32(a, outs[0])
    else:
        a.load(_ENV[base], ins[0], ENV, offset)


_OPS: dict[str, Lower] = {
    **{b: _arith for b in ("add", "sub", "mul", "and", "or", "xor", "andc", "orc", "eqv",
                           "nand", "nor")},
    **{b: _unary for b in ("mov", "neg", "not", "bswap16", "bswap32", "bswap64", "ext8s",
                           "ext8u", "ext16s", "ext16u", "ext32s", "ext32u", "extrl_i64_i32",
                           "extrh_i64_i32", "extu_i32_i64", "ext_i32_i64", "ctpop")},
    "movi": lambda L_, op, outs, ins, sf: L_.a.mov_imm(outs[0], op.consts[0]),
    **{b: _shift for b in ("shl", "shr", "sar", "rotl", "rotr")},
    "muluh": _mulh, "mulsh": _mulh, "mulu2": _mul2, "muls2": _mul2,
    **{b: _div for b in ("div", "divu", "rem", "remu")},
    "clz": _count, "ctz": _count, "extract": _field, "sextract": _field, "deposit": _deposit,
    "setcond": _setcond, "negsetcond": _setcond, "movcond": _movcond, "brcond": _brcond,
    "add2": _addsub2, "sub2": _addsub2,
    **{b: _env for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s", "st8",
                         "st16", "st", "st32")},
}  # fmt: skip


def lower(alloc: Allocation, tb_id: int, icount: int, rt: Runtime,
          helper_addr: Callable[[Op], int], features: HostFeatures) -> Lowered:  # fmt: skip
    """Machine code for one allocated TB (see the module docstring)."""
    L_ = Lowering(tb_id, icount, rt, features)
    L_.helper_addr = helper_addr
    return L_.run(alloc)


# float ops live in their own module (it imports this one)
from .lower_crypto import CRYPTO_OPS, crypto_op  # noqa: E402
from .lower_float import FLOAT_OPS as _FLOAT_OPS  # noqa: E402
from .lower_mem import MEM_OPS as _MEM_OPS  # noqa: E402

_CRYPTO_OPS = dict.fromkeys(CRYPTO_OPS, crypto_op)
#: each op's lowering by ``OpDef.index`` (one list read per op, where its family was
#: looked up by name in up to four dicts); None: ``Lowering.op`` itself
_BY_INDEX: Final[list[Lower | None]] = [
    _OPS.get(d.base) or _FLOAT_OPS.get(d.base) or _MEM_OPS.get(d.base)
    or _CRYPTO_OPS.get(d.base)
    for d in OPS.values()
]  # fmt: skip
