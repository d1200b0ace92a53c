"""Allocated IR -> A64 machine code for one TB (value ops, control flow, exits).

Owns ``lower``. The TB's shape, as on x86:

    entry:    ldur x16, [x19, #EXIT] ; cbnz x16, .exit_at_entry
    nocheck:  icount += n (in the native block)
              body ...
              goto_tb sites: one ``b`` word (patched by link/unlink)
    stubs:    helper-raised and exit-request exits, the epilogue

Integer ops map onto A64 directly (its division by zero and MIN / -1 already
give the IR's answers); float ops go through v0-v2 with FPCR.DN set by the
prologue, so that every NaN result is the default NaN as the IR requires;
rounding modes other than nearest-even are switched in FPCR around the
instruction. Guest memory accesses and goto_ptr's probe are in ``lower_mem``, the
optional crypto ops (AES, PMULL, SHA-1, SHA-256, SHA-512) in ``lower_crypto``.
The host features (``Lowering.feat``, the backend's frozen ``HostFeatures``)
choose between instruction forms, e.g. LSE atomics or LL/SC loops.
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
from tcgkit.tcg.types import I32, I64, Cond, RoundingMode

from . import encoder as E
from . import fpsr
from .constraints import arith_imm_ok
from .encoder import SP, ZR, Asm, Label, logical_imm
from .features import HostFeatures, detect

ENV, TMP0, TMP1 = 19, 16, 17
SAVED_PAIRS = ((19, 20), (21, 22), (23, 24), (25, 26), (27, 28))
SLOTS_SIZE = 16384
FRAME = SLOTS_SIZE  # below the save area; an add/sub immediate (4 << 12)
SAVE_AREA = 112  # x29/x30, x19-x28, the caller's FPCR at +96 and FPSR at +104
FPCR_DN = 1 << 25
FPCR_RMODE = {RoundingMode.NEAREST_EVEN: 0, RoundingMode.UP: 1, RoundingMode.DOWN: 2,
              RoundingMode.ZERO: 3}  # fmt: skip

_CC = {
    Cond.EQ: E.EQ, Cond.NE: E.NE, Cond.LT: E.LT, Cond.GE: E.GE, Cond.LE: E.LE, Cond.GT: E.GT,
    Cond.LTU: E.LO, Cond.GEU: E.HS, Cond.LEU: E.LS, Cond.GTU: E.HI, Cond.TSTEQ: E.EQ,
    Cond.TSTNE: E.NE,
}  # fmt: skip


class LoweringError(Exception):
    """An op this host cannot encode (a malformed op, or one not lowered yet)."""


def prologue() -> bytes:
    """entry(state=x0, code=x1): save x19-x30, FPCR and FPSR, set FPCR.DN, clear FPSR's
    flags (``fpsr``: generated code's float-flag accumulator), x19 = state."""
    a = Asm()
    a.ldp_stp(False, 29, 30, SP, -SAVE_AREA, "pre")
    a.add_imm(29, SP, 0)
    for i, (r1, r2) in enumerate(SAVED_PAIRS):
        a.ldp_stp(False, r1, r2, SP, 16 + 16 * i)
    a.mrs_fpcr(TMP0)
    a.ldst(3, 0, TMP0, SP, 96)  # the caller's FPCR and FPSR, restored by the epilogue
    fpsr.mrs_fpsr(a, TMP0)
    a.ldst(3, 0, TMP0, SP, 104)
    fpsr.msr_fpsr(a, ZR)
    a.add_imm(SP, SP, FRAME, sub=True)
    a.mov_imm(TMP1, FPCR_DN)
    a.msr_fpcr(TMP1)
    a.mov(ENV, 0)
    a.br(1)
    return a.code()


def epilogue(a: Asm) -> None:
    fpsr.save(a, ENV)  # the float flags, for Python to fold
    a.add_imm(SP, SP, FRAME)
    a.ldst(3, 1, TMP0, SP, 96)
    a.msr_fpcr(TMP0)
    a.ldst(3, 1, TMP0, SP, 104)
    fpsr.msr_fpsr(a, TMP0)
    for i, (r1, r2) in enumerate(SAVED_PAIRS):
        a.ldp_stp(True, r1, r2, SP, 16 + 16 * i)
    a.ldp_stp(True, 29, 30, SP, SAVE_AREA, "post")
    a.ret()


class Lowering:
    def __init__(self, tb_id: int, icount: int, rt: Runtime,
                 features: HostFeatures | None = None) -> None:  # fmt: skip
        self.feat = features if features is not None else detect()
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
        self.a.mov_imm(0, self.tb_id << L.EXIT_SHIFT | code)
        self.a.b(self.epilogue)

    def imm_or_reg(self, x: int | Const, sf: bool) -> int:
        """A register holding ``x`` (TMP1 for a constant)."""
        if isinstance(x, Const):
            self.a.mov_imm(TMP1, x.value, sf)
            return TMP1
        return x

    def cmp(self, a_: int, b: int | Const, sf: bool, cond: Cond) -> None:
        a = self.a
        if cond in (Cond.TSTEQ, Cond.TSTNE):
            if isinstance(b, Const) and logical_imm(b.value, sf) is not None:
                a.logic_imm(3, ZR, a_, logical_imm(b.value, sf), sf)  # type: ignore[arg-type]
            else:
                a.logic(3, ZR, a_, self.imm_or_reg(b, sf), sf)
            return
        if isinstance(b, Const) and arith_imm_ok(signed(b.value, sf)):
            a.cmp_imm(a_, signed(b.value, sf), sf)
        else:
            a.cmp(a_, self.imm_or_reg(b, sf), sf)

    # -- the TB ----------------------------------------------------------------------------

    def run(self, alloc: Allocation) -> Lowered:
        if alloc.frame_size > SLOTS_SIZE:
            raise TBTooLarge(f"the TB needs {alloc.frame_size} bytes of frame")
        a = self.a
        at_entry = Label()
        a.ldst(3, 1, TMP0, ENV, L.OFF_EXIT)
        a.cbz(TMP0, at_entry, nonzero=True)
        self.out.nocheck = a.pos
        if self.icount:
            a.ldst(3, 1, TMP0, ENV, L.OFF_ICOUNT)
            a.add_imm(TMP0, TMP0, self.icount)
            a.ldst(3, 0, TMP0, ENV, L.OFF_ICOUNT)
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
            a.mov(i[1], i[2])
        elif kind == "movi":
            a.mov_imm(i[1], i[2])
        else:  # load or store: a register <-> temp's home
            t: Temp = i[2]
            slot: int = i[3]
            base, off = (ENV, t.offset) if slot < 0 else (SP, slot)
            store = kind == "store"
            size = 3 if t.type is I64 or slot >= 0 or store else 2
            a.ldst(size, 0 if store else 1, i[1], base, off)

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
                a.dmb(kind)
        elif opc == "goto_tb":
            slot = op.consts[0]
            self.out.goto_tb[slot] = a.pos
            a.nop()  # patched to `b dest` (or `b` to the far stub); a nop falls through
            self.stubs.append(lambda slot=slot: self.far_stub(slot))
        elif opc == "exit_tb":
            self.exit_with(op.consts[0])
        elif opc == "call":
            self.call(op, outs)
        else:
            raise LoweringError(f"the aarch64 host cannot emit {op!r} yet")

    def far_stub(self, slot: int) -> None:
        """ldr x16, literal ; br x16 ; the 8-byte literal (8-aligned: patched atomically)."""
        a = self.a
        if a.pos % 8:
            a.nop()  # TBs start 16-byte aligned: the literal at +8 is then 8-byte aligned
        self.out.far[slot] = a.pos
        a.emit(0x58000040 | TMP0)  # ldr x16, #8
        a.br(TMP0)
        a.emit(0)
        a.emit(0)

    def call(self, op: Op, outs: list[int]) -> None:
        a = self.a
        a.mov_imm(TMP1, self.where())
        a.ldst(3, 0, TMP1, ENV, L.OFF_WHERE)
        a.mov(0, ENV)
        fpsr.save(a, ENV)  # the float flags so far, for Python to fold
        a.mov_imm(TMP0, self.helper_addr(op))
        a.blr(TMP0)
        fpsr.reload(a, ENV)
        a.cbz(0, self.raised, sf=False, nonzero=True)
        if outs:
            h = op.consts[0]
            a.ldst(3 if h.out_type is not I32 else 2, 1, outs[0], ENV, L.OFF_RET)


# -- integer ops ---------------------------------------------------------------------------

Lower = Callable[[Lowering, Op, list[int], list, bool], None]


def _addsub(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    sub = op.defn.base == "sub"
    d, x, y = outs[0], ins[0], ins[1]
    if isinstance(y, Const):
        v = signed(y.value, sf)
        if arith_imm_ok(v):
            a.add_imm(d, x, abs(v), sf, sub=sub != (v < 0))
            return
        y = L_.imm_or_reg(y, sf)
    a.add_reg(d, x, y, sf, sub=sub)


def _logic(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    opc = {"and": 0, "or": 1, "xor": 2}[op.defn.base]
    d, x, y = outs[0], ins[0], ins[1]
    if isinstance(y, Const):
        enc = logical_imm(y.value, sf)
        if enc is not None:
            a.logic_imm(opc, d, x, enc, sf)
            return
        y = L_.imm_or_reg(y, sf)
    a.logic(opc, d, x, y, sf)


def _logic_not(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    if base in ("andc", "orc", "eqv"):
        a.logic({"andc": 0, "orc": 1, "eqv": 2}[base], d, x, y, sf, invert=True)
    else:  # nand, nor: the operation, then mvn
        a.logic(0 if base == "nand" else 1, d, x, y, sf)
        a.logic(1, d, ZR, d, sf, invert=True)


def _unary(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    d, x = outs[0], ins[0]
    if base == "mov":
        a.mov(d, x, sf)
    elif base == "neg":
        a.add_reg(d, ZR, x, sf, sub=True)
    elif base == "not":
        a.logic(1, d, ZR, x, sf, invert=True)
    elif base == "bswap16":
        a.dp1(1, d, x, False)  # rev16 w
        a.bfm(2, d, d, 0, 15, False)  # uxth
    elif base == "bswap32":
        a.dp1(2, d, x, False)  # rev w
    elif base == "bswap64":
        a.dp1(3, d, x, True)
    elif base in ("ext8s", "ext16s", "ext32s", "ext_i32_i64"):
        bits = {"ext8s": 8, "ext16s": 16}.get(base, 32)
        a.bfm(0, d, x, 0, bits - 1, sf or bits == 32)  # a w form zeroes the upper half
    elif base in ("ext8u", "ext16u"):
        a.bfm(2, d, x, 0, 7 if base == "ext8u" else 15, False)
    elif base in ("ext32u", "extrl_i64_i32", "extu_i32_i64"):
        a.mov(d, x, False)
    elif base == "extrh_i64_i32":
        a.bfm(2, d, x, 32, 63, True)  # lsr #32
    elif base == "ctpop":
        a.fmov_to_fp(0, x, True)
        a.cnt8b(0, 0)
        a.addv8b(0, 0)
        a.fmov_from_fp(d, 0, False)


def _shift(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    bits = 64 if sf else 32
    d, x, c = outs[0], ins[0], ins[1]
    if isinstance(c, Const):
        n = c.value & (bits - 1)
        if base == "shl":
            a.bfm(2, d, x, (-n) % bits, bits - 1 - n, sf)
        elif base in ("shr", "sar"):
            a.bfm(2 if base == "shr" else 0, d, x, n, bits - 1, sf)
        else:
            a.extr(d, x, x, n if base == "rotr" else (-n) % bits, sf)
        return
    if base == "rotl":
        a.add_reg(TMP0, ZR, c, sf, sub=True)  # rotl n = rotr -n
        c = TMP0
    a.dp2({"shl": 8, "shr": 9, "sar": 10, "rotr": 11, "rotl": 11}[base], d, x, c, sf)


def _muldiv(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    if base == "mul":
        a.madd(d, x, y, ZR, sf)
    elif base in ("div", "divu"):
        a.dp2(3 if base == "div" else 2, d, x, y, sf)  # A64: x / 0 = 0, MIN / -1 = MIN
    elif base in ("rem", "remu"):
        a.dp2(3 if base == "rem" else 2, TMP0, x, y, sf)
        a.madd(d, TMP0, y, x, sf, sub=True)  # x - (x / y) * y
    elif sf:  # muluh / mulsh
        a.mulh(d, x, y, base == "mulsh")
    else:
        a.mull(d, x, y, base == "mulsh")
        a.bfm(2, d, d, 32, 63, True)  # lsr #32 (zero-extended high word)


def _mul2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    lo, hi = outs
    x, y = ins
    signed_ = op.defn.base == "muls2"
    if sf:
        a.madd(lo, x, y, ZR)
        a.mulh(hi, x, y, signed_)
    else:
        a.mull(lo, x, y, signed_)
        a.bfm(2, hi, lo, 32, 63, True)
        a.mov(lo, lo, False)


def _count(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    d, x, z = outs[0], ins[0], ins[1]
    if op.defn.base == "ctz":
        a.dp1(0, d, x, sf)  # rbit
        a.dp1(4, d, d, sf)
    else:
        a.dp1(4, d, x, sf)
    a.cmp_imm(x, 0, sf)
    a.csel(d, z, d, E.EQ, sf)


def _field(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    pos, n = op.consts
    bits = 64 if sf else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    L_.a.bfm(2 if op.defn.base == "extract" else 0, outs[0], ins[0], pos, pos + n - 1, sf)


def _deposit(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    pos, n = op.consts
    bits = 64 if sf else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    L_.a.bfm(1, outs[0], ins[1], (-pos) % bits, n - 1, sf)  # bfi


def _setcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    neg = op.defn.base == "negsetcond"
    if cond in (Cond.ALWAYS, Cond.NEVER):
        a.mov_imm(outs[0], (-1 if neg else 1) if cond is Cond.ALWAYS else 0, sf)
        return
    L_.cmp(ins[0], ins[1], sf, cond)
    (a.csetm if neg else a.cset)(outs[0], _CC[cond], sf)


def _movcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    if cond in (Cond.ALWAYS, Cond.NEVER):
        a.mov(outs[0], ins[2] if cond is Cond.ALWAYS else ins[3], sf)
        return
    L_.cmp(ins[0], ins[1], sf, cond)
    a.csel(outs[0], ins[2], ins[3], _CC[cond], sf)


def _brcond(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    cond = Cond(op.consts[0])
    target = L_.label(op.consts[1])
    if cond is Cond.ALWAYS:
        a.b(target)
    elif cond is not Cond.NEVER:
        L_.cmp(ins[0], ins[1], sf, cond)
        a.b_cond(_CC[cond], target)


def _addsub2(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    a = L_.a
    sub = op.defn.base == "sub2"
    lo, hi = outs
    al, ah, bl, bh = ins
    a.add_reg(lo, al, bl, sf, sub=sub, flags=True)
    a.adc(hi, ah, bh, sf, sub=sub)


# base name -> (log2 size, ldst opc: 0 store, 1 load, 2 load signed)
_ENV_SIZES = {"ld8u": (0, 1), "ld8s": (0, 2), "ld16u": (1, 1), "ld16s": (1, 2),
              "ld32u": (2, 1), "ld32s": (2, 2), "st8": (0, 0), "st16": (1, 0),
              "st32": (2, 0)}  # fmt: skip


def _env(L_: Lowering, op: Op, outs: list[int], ins: list, sf: bool) -> None:
    base = op.defn.base
    size, opc = _ENV_SIZES.get(base, (3 if sf else 2, 1 if base == "ld" else 0))
    offset = op.consts[0]
    if offset % (1 << size):
        raise LoweringError(f"{op!r}: CPU-state access must be naturally aligned")
    if opc == 2 and not sf:
        opc = 3  # sign-extend into a w register
    L_.a.ldst(size, opc, outs[0] if base.startswith("ld") else ins[0], ENV, offset)


_OPS: dict[str, Lower] = {
    "add": _addsub, "sub": _addsub, "and": _logic, "or": _logic, "xor": _logic,
    **{b: _logic_not for b in ("andc", "orc", "eqv", "nand", "nor")},
    **{b: _unary for b in ("mov", "neg", "not", "bswap16", "bswap32", "bswap64", "ext8s",
                           "ext8u", "ext16s", "ext16u", "ext32s", "ext32u", "extrl_i64_i32",
                           "extrh_i64_i32", "extu_i32_i64", "ext_i32_i64", "ctpop")},
    "movi": lambda L_, op, outs, ins, sf: L_.a.mov_imm(outs[0], op.consts[0], sf),
    **{b: _shift for b in ("shl", "shr", "sar", "rotl", "rotr")},
    **{b: _muldiv for b in ("mul", "div", "divu", "rem", "remu", "muluh", "mulsh")},
    "mulu2": _mul2, "muls2": _mul2, "clz": _count, "ctz": _count,
    "extract": _field, "sextract": _field, "deposit": _deposit,
    "setcond": _setcond, "negsetcond": _setcond, "movcond": _movcond, "brcond": _brcond,
    "add2": _addsub2, "sub2": _addsub2,
    **{b: _env for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s", "st8",
                         "st16", "st", "st32")},
}  # fmt: skip


def lower(alloc: Allocation, tb_id: int, icount: int, rt: Runtime,
          helper_addr: Callable[[Op], int],
          features: HostFeatures | None = None) -> Lowered:  # fmt: skip
    """Machine code for one allocated TB (see the module docstring), for the host
    ``features`` (the detected ones when None)."""
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
