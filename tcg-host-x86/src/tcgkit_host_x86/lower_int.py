"""The integer ops of the x86-64 lowering: arithmetic, logic, shifts, divisions,
bit counts and fields, comparisons and conditional moves, branches on a condition,
double-word add/sub, and loads and stores of the CPU state.

Owns ``INT_KIND`` (op family -> the number ``lower_int_op`` lowers it by): each
family's function encodes one allocated op with ``encoder.Asm``, from the registers and immediates
the allocator chose (``tcgkit.tcg.regalloc``'s constraints, ``constraints``).
"""

from __future__ import annotations

from typing import Final

from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import EXTENSIONS
from tcgkit.tcg.regalloc import Const
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import Cond

from .encoder import (
    ADC,
    ADD,
    AND,
    CC_A,
    CC_AE,
    CC_B,
    CC_BE,
    CC_E,
    CC_G,
    CC_GE,
    CC_L,
    CC_LE,
    CC_NE,
    CMP,
    OR,
    RAX,
    RBP,
    RCX,
    RDX,
    ROL,
    ROR,
    SAR,
    SBB,
    SHL,
    SHR,
    SUB,
    XOR,
    Label,
    Mem,
)
from .lower import TMP0, TMP1, Lowering, LoweringError

#: the conditions by number (``Cond(n)`` is a call into the enum machinery)
_CONDS: Final = tuple(Cond)
# (module constants: an enum member's read is a Python-level lookup on the class)
_ALWAYS: Final = Cond.ALWAYS
_NEVER: Final = Cond.NEVER
_CC: Final = {
    Cond.EQ: CC_E, Cond.NE: CC_NE, Cond.LT: CC_L, Cond.GE: CC_GE, Cond.LE: CC_LE,
    Cond.GT: CC_G, Cond.LTU: CC_B, Cond.GEU: CC_AE, Cond.LEU: CC_BE, Cond.GTU: CC_A,
    Cond.TSTEQ: CC_E, Cond.TSTNE: CC_NE,
}  # fmt: skip
_ALU: Final = {"add": ADD, "sub": SUB, "and": AND, "or": OR, "xor": XOR}


def _alu(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    code = _ALU[op.defn.base]
    b = ins[1]
    if isinstance(b, Const):
        L.a.alu_ri(code, outs[0], signed(b.value, w), w)
    else:
        L.a.alu_rr(code, outs[0], b, w)


def _mul(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    b = ins[1]
    if isinstance(b, Const):
        L.a.imul_rri(outs[0], outs[0], signed(b.value, w), w)
    else:
        L.a.imul_rr(outs[0], b, w)


def _logic_not(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """andc orc eqv nand nor."""
    a = L.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    if base == "andc" and L.f.bmi1:
        a.andn(d, y, x, w)
        return
    if base in ("andc", "orc"):
        a.mov_rr(TMP0, y)
        a.unary(2, TMP0, w)  # not
        a.alu_rr(AND if base == "andc" else OR, d, TMP0, w)
        return
    a.alu_rr({"eqv": XOR, "nand": AND, "nor": OR}[base], d, y, w)
    a.unary(2, d, w)


def _unary(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    d = outs[0]
    if base == "neg":
        a.unary(3, d, w)
    elif base == "not":
        a.unary(2, d, w)
    elif base == "bswap16":
        a.movzx_rr(d, d, 2)
        a.rol16_8(d)
    elif base == "bswap32":
        a.bswap(d, False)
    elif base == "bswap64":
        a.bswap(d, True)
    elif base == "extrh_i64_i32":
        a.shift_ri(SHR, d, 32)


def _ext(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    d, s = outs[0], ins[0]
    if base in ("ext8u", "ext16u", "ext32u", "extrl_i64_i32", "extu_i32_i64"):
        a.movzx_rr(d, s, {"ext8u": 1, "ext16u": 2}.get(base, 4))
    elif base in ("ext8s", "ext16s"):
        a.movsx_rr(d, s, 1 if base == "ext8s" else 2, w)
    else:  # ext32s, ext_i32_i64
        a.movsx_rr(d, s, 4)


def _mov(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    if w:
        L.a.mov_rr(outs[0], ins[0])
    else:
        L.a.movzx_rr(outs[0], ins[0], 4)


def _movi(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    L.a.mov_ri(outs[0], op.consts[0], w)


def _shift(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    digit = {"shl": SHL, "shr": SHR, "sar": SAR, "rotl": ROL, "rotr": ROR}[base]
    d, x, c = outs[0], ins[0], ins[1]
    if isinstance(c, Const):
        n = c.value & (63 if w else 31)
        if n:
            a.shift_ri(digit, d, n, w)
        elif not w:
            a.movzx_rr(d, d, 4)
        return
    if base in ("shl", "shr", "sar") and L.f.bmi2:
        a.shiftx(digit, d, x, c, w)
        return
    assert c == RCX, "shift count must be in cl"
    a.shift_cl(digit, d, w)


def _muldiv(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """muluh mulsh mulu2 muls2: rdx:rax = rax * src."""
    base = op.defn.base
    L.a.unary(5 if base in ("mulsh", "muls2") else 4, ins[1], w)


def _div(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """div divu rem remu with the IR's answers for /0 and MIN / -1 (x86 would trap)."""
    a = L.a
    base = op.defn.base
    y = ins[1]
    if y == RDX:  # cqo / the zero-extension write rdx before the divide reads y
        a.mov_rr(TMP0, y)
        y = TMP0
    done, by_zero = Label(), Label()
    is_rem = base in ("rem", "remu")
    sgn = base in ("div", "rem")
    a.test_rr(y, y, w)
    a.jcc(CC_E, by_zero)
    if sgn:
        normal = Label()
        a.alu_ri(CMP, y, -1, w)
        a.jcc(CC_NE, normal)
        # x / -1 = -x (MIN stays MIN), x % -1 = 0
        if is_rem:
            a.mov_ri(RDX, 0)
        else:
            a.unary(3, RAX, w)
        a.jmp(done)
        a.bind(normal)
        a.buf.write(b"\x48\x99" if w else b"\x99")  # cqo / cdq
        a.unary(7, y, w)
    else:
        a.mov_ri(RDX, 0)
        a.unary(6, y, w)
    a.jmp(done)
    a.bind(by_zero)
    if is_rem:
        a.mov_rr(RDX, RAX)  # x % 0 = x
    else:
        a.mov_ri(RAX, 0)  # x / 0 = 0
    a.bind(done)


def _count(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """clz ctz (with the zero-input result) and ctpop."""
    a = L.a
    base = op.defn.base
    d, x = outs[0], ins[0]
    bits = 64 if w else 32
    if base == "ctpop":
        if L.f.popcnt:
            a.bit_scan(b"\x0f\xb8", d, x, w, f3=True)
            return
        _popcount_fallback(L, d, x, w)
        return
    zero_val = ins[1]
    if base == "clz" and L.f.lzcnt:
        a.bit_scan(b"\x0f\xbd", d, x, w, f3=True)
        zero_cc = CC_B  # CF: the source was zero
    elif base == "ctz" and L.f.bmi1:
        a.bit_scan(b"\x0f\xbc", d, x, w, f3=True)
        zero_cc = CC_B
    elif base == "clz":
        a.bit_scan(b"\x0f\xbd", d, x, w)  # bsr: index of the top bit
        a.alu_ri(XOR, d, bits - 1, w)
        a.test_rr(x, x, w)
        zero_cc = CC_E
    else:
        a.bit_scan(b"\x0f\xbc", d, x, w)  # bsf (ZF when the source is zero)
        zero_cc = CC_E
    if L.f.cmov:
        a.cmov(zero_cc, d, zero_val, w)
    else:
        skip = Label()
        a.jcc(zero_cc ^ 1, skip)
        a.mov_rr(d, zero_val)
        a.bind(skip)


def _popcount_fallback(L: Lowering, d: int, x: int, w: bool) -> None:
    """SWAR population count in d, using TMP0/TMP1."""
    a = L.a
    m1, m2, m4, h01 = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                       0x0101010101010101)  # fmt: skip
    a.mov_rr(d, x) if w else a.movzx_rr(d, x, 4)
    a.mov_rr(TMP0, d)
    a.shift_ri(SHR, TMP0, 1)
    a.mov_ri(TMP1, m1)
    a.alu_rr(AND, TMP0, TMP1)
    a.alu_rr(SUB, d, TMP0)
    a.mov_ri(TMP1, m2)
    a.mov_rr(TMP0, d)
    a.alu_rr(AND, TMP0, TMP1)
    a.shift_ri(SHR, d, 2)
    a.alu_rr(AND, d, TMP1)
    a.alu_rr(ADD, d, TMP0)
    a.mov_rr(TMP0, d)
    a.shift_ri(SHR, TMP0, 4)
    a.alu_rr(ADD, d, TMP0)
    a.mov_ri(TMP1, m4)
    a.alu_rr(AND, d, TMP1)
    a.mov_ri(TMP1, h01)
    a.imul_rr(d, TMP1)
    a.shift_ri(SHR, d, 56)


def _field(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """extract / sextract (pos, len)."""
    a = L.a
    pos, n = op.consts
    bits = 64 if w else 32
    d = outs[0]
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    sar = op.defn.base == "sextract"
    if not sar and pos == 0 and n in (8, 16, 32) and n < bits:
        a.movzx_rr(d, d, n // 8)
        return
    if sar and pos == 0 and n in (8, 16, 32) and n < bits:
        a.movsx_rr(d, d, n // 8, w)
        return
    left = bits - pos - n
    if left:
        a.shift_ri(SHL, d, left, w)
    if bits - n:
        a.shift_ri(SAR if sar else SHR, d, bits - n, w)


def _deposit(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    pos, n = op.consts
    bits = 64 if w else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    d, y = outs[0], ins[1]
    a.mov_rr(TMP0, y)
    if bits - n:
        a.shift_ri(SHL, TMP0, bits - n, w)
    if bits - n - pos:
        a.shift_ri(SHR, TMP0, bits - n - pos, w)
    # the kept bits, ~field: a sign-extended imm32 unless the field reaches bit 31 of a
    # 64-bit op (compiled, the masks of 2^62 and more are wide integers: only then)
    field = ((1 << n) - 1) << pos
    if not w:
        a.alu_ri(AND, d, signed(0xFFFFFFFF & ~field, False), False)
    elif pos + n <= 31:
        a.alu_ri(AND, d, ~field, True)
    else:
        a.mov_ri(TMP1, 0xFFFFFFFFFFFFFFFF & ~field)
        a.alu_rr(AND, d, TMP1, True)
    a.alu_rr(OR, d, TMP0, w)


def _setcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    d = outs[0]
    neg = op.defn.base == "negsetcond"
    if cond is _ALWAYS or cond is _NEVER:
        a.mov_ri(d, (-1 if neg else 1) if cond is _ALWAYS else 0, w)
        return
    a.mov_ri(d, 0)  # before the compare: xor clobbers flags
    L.cmp(ins[0], ins[1], w, cond)
    a.setcc(_CC[cond], d)
    if neg:
        a.unary(3, d, w)


def _movcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    d, v1 = outs[0], ins[2]
    if cond is _ALWAYS:
        a.mov_rr(d, v1)
        return
    if cond is _NEVER:
        return
    L.cmp(ins[0], ins[1], w, cond)
    if L.f.cmov:
        a.cmov(_CC[cond], d, v1, w)
    else:
        skip = Label()
        a.jcc(_CC[cond] ^ 1, skip)
        a.mov_rr(d, v1)
        a.bind(skip)


def _brcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    target = L.label(op.consts[1])
    if cond is _ALWAYS:
        a.jmp(target)
        return
    if cond is _NEVER:
        return
    L.cmp(ins[0], ins[1], w, cond)
    a.jcc(_CC[cond], target)


def _addsub2(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    lo, hi = outs
    bl, bh = ins[2], ins[3]
    if bh == lo:  # the low half is written before the high half reads bh
        a.mov_rr(TMP0, bh)
        bh = TMP0
    first, second = (ADD, ADC) if op.defn.base == "add2" else (SUB, SBB)
    for code, d, b in ((first, lo, bl), (second, hi, bh)):
        if isinstance(b, Const):
            a.alu_ri(code, d, signed(b.value, w), w)
        else:
            a.alu_rr(code, d, b, w)


_ENV_SIZES: Final = {"ld8u": 1, "ld8s": 1, "ld16u": 2, "ld16s": 2, "ld32u": 4, "ld32s": 4,
              "st8": 1, "st16": 2, "st32": 4}  # fmt: skip


def _env(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    base = op.defn.base
    n = _ENV_SIZES.get(base, 8 if w else 4)
    offset = op.consts[0]
    if offset % n:
        raise LoweringError(f"{op!r}: CPU-state access must be naturally aligned")
    m = Mem(RBP, offset)
    if base.startswith("ld"):
        L.a.load(outs[0], m, n, base.endswith("s"), w)
    else:
        L.a.store(m, ins[0], n)


#: op family -> its lowering (``lower._BY_INDEX`` joins these with the other modules')
# each family's lowering by number (``INT_KIND``), called by ``lower_int_op``'s chain of
# tests: compiled, a direct call where a table of functions is a generic call per op
# (argument parsing of the callee's Python entry); the commonest first
_K_ALU: Final = 1
_K_ENV: Final = 2
_K_BRCOND: Final = 3
_K_SETCOND: Final = 4
_K_EXT: Final = 5
_K_SHIFT: Final = 6
_K_MOV: Final = 7
_K_MOVI: Final = 8
_K_FIELD: Final = 9
_K_DEPOSIT: Final = 10
_K_MOVCOND: Final = 11
_K_MUL: Final = 12
_K_LOGIC_NOT: Final = 13
_K_UNARY: Final = 14
_K_MULDIV: Final = 15
_K_DIV: Final = 16
_K_COUNT: Final = 17
_K_ADDSUB2: Final = 18
#: the number after the last family's (``lower`` numbers its other kinds from here)
INT_KINDS_END: Final = 19

#: op family -> the number ``lower_int_op`` lowers it by
INT_KIND: Final[dict[str, int]] = {
    **{b: _K_ALU for b in _ALU},
    "mul": _K_MUL,
    **{b: _K_LOGIC_NOT for b in ("andc", "orc", "eqv", "nand", "nor")},
    **{b: _K_UNARY for b in ("neg", "not", "bswap16", "bswap32", "bswap64", "extrh_i64_i32")},
    **{b: _K_EXT for b in EXTENSIONS},
    "mov": _K_MOV,
    "movi": _K_MOVI,
    **{b: _K_SHIFT for b in ("shl", "shr", "sar", "rotl", "rotr")},
    **{b: _K_MULDIV for b in ("muluh", "mulsh", "mulu2", "muls2")},
    **{b: _K_DIV for b in ("div", "divu", "rem", "remu")},
    **{b: _K_COUNT for b in ("clz", "ctz", "ctpop")},
    "extract": _K_FIELD,
    "sextract": _K_FIELD,
    "deposit": _K_DEPOSIT,
    "setcond": _K_SETCOND,
    "negsetcond": _K_SETCOND,
    "movcond": _K_MOVCOND,
    "brcond": _K_BRCOND,
    "add2": _K_ADDSUB2,
    "sub2": _K_ADDSUB2,
    **{b: _K_ENV for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s",
                           "st8", "st16", "st", "st32")},
}  # fmt: skip


def lower_int_op(L: Lowering, kind: int, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """Lower ``op`` of family number ``kind`` (``INT_KIND``), 64-bit if ``w``."""
    if kind == _K_ALU:
        _alu(L, op, outs, ins, w)
    elif kind == _K_ENV:
        _env(L, op, outs, ins, w)
    elif kind == _K_BRCOND:
        _brcond(L, op, outs, ins, w)
    elif kind == _K_SETCOND:
        _setcond(L, op, outs, ins, w)
    elif kind == _K_EXT:
        _ext(L, op, outs, ins, w)
    elif kind == _K_SHIFT:
        _shift(L, op, outs, ins, w)
    elif kind == _K_MOV:
        _mov(L, op, outs, ins, w)
    elif kind == _K_MOVI:
        _movi(L, op, outs, ins, w)
    elif kind == _K_FIELD:
        _field(L, op, outs, ins, w)
    elif kind == _K_DEPOSIT:
        _deposit(L, op, outs, ins, w)
    elif kind == _K_MOVCOND:
        _movcond(L, op, outs, ins, w)
    elif kind == _K_MUL:
        _mul(L, op, outs, ins, w)
    elif kind == _K_LOGIC_NOT:
        _logic_not(L, op, outs, ins, w)
    elif kind == _K_UNARY:
        _unary(L, op, outs, ins, w)
    elif kind == _K_MULDIV:
        _muldiv(L, op, outs, ins, w)
    elif kind == _K_DIV:
        _div(L, op, outs, ins, w)
    elif kind == _K_COUNT:
        _count(L, op, outs, ins, w)
    elif kind == _K_ADDSUB2:
        _addsub2(L, op, outs, ins, w)
    else:
        raise LoweringError(f"no integer op family numbered {kind} ({op!r})")
