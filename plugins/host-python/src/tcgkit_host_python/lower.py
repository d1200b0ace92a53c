"""IR -> CPython bytecode for one TB (the python host's lowering, on 3.11).

Owns the choice of bytecode for every IR op, through ``bytecode.Assembler``.
The function it makes has the shape ``codegen``'s source has, and computes
exactly what that source computes (``codegen``'s docstring states the
conventions: ``s`` the CPU state's slots, ``c`` the vCPU, ``_tb`` the TB, temps
as locals ``t<index>``, values kept masked to their width, the softmmu TLB's
fast path inline); what bytecode changes is control flow and line numbers:

* labels are jump targets (no block dispatch): a brcond is a compare and a
  conditional jump, a br a jump, forward or backward;
* line ``k + FIRST_INSN_LINE`` is guest instruction ``k`` (the prologue is line 1):
  a traceback's line names the instruction directly (``insn_of_line``).

Every op is one statement: it starts and ends with an empty stack, and where it
branches, each branch stores its own result (the assembler's depth tracking
relies on it).
"""

from __future__ import annotations

import struct
import types
from collections.abc import Callable
from typing import Any, Final

from tcgkit._mypyc import i64
from tcgkit.tcg.fpflags import RAISING, flagged
from tcgkit.tcg.ir import Label, Op, Temp, TempKind
from tcgkit.tcg.ops import EXIT_LOOKUP, OpDef, by_index
from tcgkit.tcg.semantics import SEMANTICS
from tcgkit.tcg.softfloat import OP_IMPL as FLOAT_OPS
from tcgkit.tcg.types import I64, Cond, MemOp

from . import bytecode as bc
from .conventions import (
    CRYPTO_OPS,
    ENV_SIZES,
    M64,
    PAGE_BITS,
    PAGE_MASK,
    TLB_MASK,
    CodegenError,
    check_field,
    crypto_reference,
    struct_name,
)

ARGS: Final = ("s", "c", "_tb")
#: the function's other locals (temps follow): the TLB and its slow paths, the
#: address and TLB entry of an access, a double-width product, a rotation count
FIXED: Final = ("T", "LD", "ST", "_a", "_e", "_p", "_n")
# the local variables' numbers (Assembler: the arguments, then FIXED)
V_S: Final = 0
V_C: Final = 1
V_T: Final = 3
V_LD: Final = 4
V_ST: Final = 5
V_A: Final = 6
V_E: Final = 7
V_P: Final = 8
V_N: Final = 9
# (literals, so that compiled code holds them as constants: their names' places here)
assert (*ARGS, *FIXED) == ("s", "c", "_tb", "T", "LD", "ST", "_a", "_e", "_p", "_n")
#: the line of guest instruction 0 (the prologue's is 1)
FIRST_INSN_LINE: Final = 2
_CONST: Final = TempKind.CONST
_GLOBAL: Final = TempKind.GLOBAL
# MemOp's bits as plain ints (the flag enum's operators are Python code)
MO_SIZE: Final = int(MemOp.MO_SIZE)
MO_SIGN: Final = int(MemOp.MO_SIGN)
MO_BE: Final = int(MemOp.MO_BE)
MO_ALIGN: Final = int(MemOp.MO_ALIGN)
_BIT_LENGTH: Final = int.bit_length
_BIT_COUNT: Final = int.bit_count


def _bswap(x: int, n: int) -> int:
    return int.from_bytes((x & ((1 << 8 * n) - 1)).to_bytes(n, "little"), "big")


#: conditions by number, as ints (an enum member's read is a generic lookup on its class)
_ALWAYS: Final = int(Cond.ALWAYS)
_NEVER: Final = int(Cond.NEVER)
_TSTEQ: Final = int(Cond.TSTEQ)
_TSTNE: Final = int(Cond.TSTNE)
_EQ: Final = int(Cond.EQ)
_SIGNED_CMP: Final[dict[int, int]] = {Cond.LT: bc.CMP_LT, Cond.GE: bc.CMP_GE,
                                      Cond.LE: bc.CMP_LE, Cond.GT: bc.CMP_GT}  # fmt: skip
_CMP: Final[dict[int, int]] = {Cond.EQ: bc.CMP_EQ, Cond.NE: bc.CMP_NE, Cond.LTU: bc.CMP_LT,
                               Cond.GEU: bc.CMP_GE, Cond.LEU: bc.CMP_LE, Cond.GTU: bc.CMP_GT,
                               **_SIGNED_CMP}  # fmt: skip
#: by condition number: the COMPARE_OP of each comparison (-1: none), and whether signed
_CMP_AT: Final = [_CMP.get(c, -1) for c in range(max(Cond) + 1)]
_SIGNED_AT: Final = [c in _SIGNED_CMP for c in range(max(Cond) + 1)]

# -- what each opcode is to this lowering, by ``OpDef.index`` ------------------------------
#
# ``_KIND_AT``: the family (a chain of int tests in ``_Lower.op`` chooses its code);
# ``_SUB_AT`` / ``_PARAM_AT``: within the unary and binary families, the operation and
# its number (a BINARY_OP, a width in bits or bytes). Decided once at import from the
# op's name and operand counts, in the order the families are tried below.

K_UNSUPPORTED: Final = 0
K_NOP: Final = 1  # goto_tb (chaining is the TB's exit value), mb (one thread at a time)
K_INSN_START: Final = 2
K_SET_LABEL: Final = 3
K_EXIT_TB: Final = 4
K_GOTO_PTR: Final = 5
K_BR: Final = 6
K_CALL: Final = 7
K_BRCOND: Final = 8
K_MOVI: Final = 9
K_QEMU_LD: Final = 10
K_QEMU_ST: Final = 11
K_ENV_LD: Final = 12  # _PARAM_AT: bytes, _SUB_AT: 1 when sign-extending
K_ENV_ST: Final = 13  # _PARAM_AT: bytes
K_FLOAT: Final = 14  # _SUB_AT: F_*
K_UNARY: Final = 15  # _SUB_AT: U_*
K_BINARY: Final = 16  # _SUB_AT: B_*
K_SETCOND: Final = 17
K_NEGSETCOND: Final = 18
K_MOVCOND: Final = 19
K_EXTRACT: Final = 20
K_SEXTRACT: Final = 21
K_DEPOSIT: Final = 22
K_MULU2: Final = 23
K_MULS2: Final = 24
K_ADD2: Final = 25  # _PARAM_AT: NB_ADD
K_SUB2: Final = 26  # _PARAM_AT: NB_SUB
K_CRYPTO: Final = 27

F_NEG: Final = 1
F_ABS: Final = 2
F_RAISING: Final = 3  # with IEEE flags where the state has a slot for them
F_PLAIN: Final = 4

U_MOV: Final = 1
U_NEG: Final = 2
U_NOT: Final = 3
U_CTPOP: Final = 4
U_BSWAP: Final = 5  # _PARAM_AT: bytes
U_EXTS: Final = 6  # _PARAM_AT: bits (masked, then sign-extended)
U_EXTU: Final = 7  # _PARAM_AT: bits
U_SX: Final = 8  # _PARAM_AT: bits (an input already that wide: sign-extended)
U_EXTRH: Final = 9

B_SIMPLE: Final = 1  # _PARAM_AT: the BINARY_OP; its result in range
B_WRAPS: Final = 2  # _PARAM_AT: the BINARY_OP; its result masked to the width
B_NOT_Y: Final = 3  # x op ~y (andc, orc): _PARAM_AT: the BINARY_OP
B_NOT_OF: Final = 4  # ~(x op y) (eqv, nand, nor): _PARAM_AT: the BINARY_OP
B_SHL: Final = 5
B_SHR: Final = 6
B_SAR: Final = 7
B_MULUH: Final = 8
B_MULSH: Final = 9
B_DIVU: Final = 10
B_REMU: Final = 11
B_CLZ: Final = 12
B_CTZ: Final = 13
B_ROTL: Final = 14
B_ROTR: Final = 15
B_REFERENCE: Final = 16  # a call of ``semantics.SEMANTICS[base]``

_CONTROL: Final = {"goto_tb": K_NOP, "mb": K_NOP, "insn_start": K_INSN_START,
                   "set_label": K_SET_LABEL, "exit_tb": K_EXIT_TB, "goto_ptr": K_GOTO_PTR,
                   "br": K_BR, "call": K_CALL}  # fmt: skip
_OTHER_BASES: Final = {"brcond": K_BRCOND, "movi": K_MOVI, "qemu_ld": K_QEMU_LD,
                       "qemu_st": K_QEMU_ST, "setcond": K_SETCOND, "negsetcond": K_NEGSETCOND,
                       "movcond": K_MOVCOND, "extract": K_EXTRACT, "sextract": K_SEXTRACT,
                       "deposit": K_DEPOSIT, "mulu2": K_MULU2, "muls2": K_MULS2,
                       "add2": K_ADD2, "sub2": K_SUB2}  # fmt: skip
_ADD2_SUB2: Final = {"add2": bc.NB_ADD, "sub2": bc.NB_SUB}  # their BINARY_OP
_UNARY: Final[dict[str, tuple[int, int]]] = {
    "mov": (U_MOV, 0), "extu_i32_i64": (U_MOV, 0), "neg": (U_NEG, 0), "not": (U_NOT, 0),
    "ctpop": (U_CTPOP, 0), "bswap16": (U_BSWAP, 2), "bswap32": (U_BSWAP, 4),
    "bswap64": (U_BSWAP, 8), "ext8s": (U_EXTS, 8), "ext16s": (U_EXTS, 16),
    "ext32s": (U_EXTS, 32), "ext8u": (U_EXTU, 8), "ext16u": (U_EXTU, 16),
    "ext32u": (U_EXTU, 32), "extrl_i64_i32": (U_EXTU, 32), "extrh_i64_i32": (U_EXTRH, 0),
    "ext_i32_i64": (U_SX, 32),
}  # fmt: skip
_BINARY: Final[dict[str, tuple[int, int]]] = {
    "add": (B_WRAPS, bc.NB_ADD), "sub": (B_WRAPS, bc.NB_SUB), "mul": (B_WRAPS, bc.NB_MUL),
    "and": (B_SIMPLE, bc.NB_AND), "or": (B_SIMPLE, bc.NB_OR), "xor": (B_SIMPLE, bc.NB_XOR),
    "andc": (B_NOT_Y, bc.NB_AND), "orc": (B_NOT_Y, bc.NB_OR), "eqv": (B_NOT_OF, bc.NB_XOR),
    "nand": (B_NOT_OF, bc.NB_AND), "nor": (B_NOT_OF, bc.NB_OR), "shl": (B_SHL, 0),
    "shr": (B_SHR, 0), "sar": (B_SAR, 0), "muluh": (B_MULUH, 0), "mulsh": (B_MULSH, 0),
    "divu": (B_DIVU, 0), "remu": (B_REMU, 0), "clz": (B_CLZ, 0), "ctz": (B_CTZ, 0),
    "rotl": (B_ROTL, 0), "rotr": (B_ROTR, 0),
}  # fmt: skip


def _width(d: OpDef) -> int:
    """The bits of opcode ``d``'s values (64 for an op without a type)."""
    return d.type.value if d.type is not None else 64


def _classify(d: OpDef) -> tuple[int, int, int]:
    """(kind, sub, param) of opcode ``d`` (see above)."""
    name, base = d.name, d.base
    if name in _CONTROL:
        return _CONTROL[name], 0, 0
    if base in _OTHER_BASES:  # (none of them is an ld/st, a float op, unary or binary)
        return _OTHER_BASES[base], 0, _ADD2_SUB2.get(base, 0)
    if base.startswith("ld"):
        return K_ENV_LD, 1 if base.endswith("s") else 0, ENV_SIZES.get(base, _width(d) // 8)
    if base.startswith("st"):
        return K_ENV_ST, 0, ENV_SIZES.get(base, _width(d) // 8)
    if name in FLOAT_OPS:
        if name.startswith("fneg"):
            return K_FLOAT, F_NEG, 0
        if name.startswith("fabs"):
            return K_FLOAT, F_ABS, 0
        return K_FLOAT, F_RAISING if name in RAISING else F_PLAIN, 0
    if d.n_in == 1 and d.n_out == 1 and d.n_const == 0:
        sub, param = _UNARY.get(name, _UNARY.get(base, (0, 0)))
        return (K_UNARY if sub else K_UNSUPPORTED), sub, param
    if d.n_in == 2 and d.n_out == 1 and d.n_const == 0:
        sub, param = _BINARY.get(base, (B_REFERENCE if base in SEMANTICS else 0, 0))
        return (K_BINARY if sub else K_UNSUPPORTED), sub, param
    if base in CRYPTO_OPS:
        return K_CRYPTO, 0, 0
    return K_UNSUPPORTED, 0, 0


_CLASSES: Final = by_index(_classify)
_KIND_AT: Final[list[int]] = [k for k, _, _ in _CLASSES]
_SUB_AT: Final[list[int]] = [s for _, s, _ in _CLASSES]
_PARAM_AT: Final[list[int]] = [p for _, _, p in _CLASSES]
#: each opcode's name, base and width (64 for width-less ops), by ``OpDef.index``
_OPC: Final = by_index(lambda d: d.name)
_BASE: Final = by_index(lambda d: d.base)
_WIDTH: Final[list[int]] = by_index(_width)
#: the reference implementation of each float op (None: not a float op)
_FLOAT_IMPL: Final = by_index(lambda d: FLOAT_OPS.get(d.name))

#: the struct functions of each access, by the memop bits that choose them (size, sign,
#: order): bound once, so that every access of a TB with the same bits shares a constant
_STRUCT_BITS: Final = MO_SIZE | MO_SIGN | MO_BE
_STRUCTS: Final = [struct.Struct(struct_name(k)[0]) for k in range(_STRUCT_BITS + 1)]
_UNPACK_AT: Final[list[Callable[..., tuple[int, ...]]]] = [st.unpack_from for st in _STRUCTS]
_PACK_AT: Final[list[Callable[..., None]]] = [st.pack_into for st in _STRUCTS]

_ZERO: Final = Temp(I64, _CONST, -1, value=0)  # the constant the zero tests compare with


class Made:
    """What the code of one host's TBs shares, made once (``assemble``): the functions
    it calls by name (float ops that OR their IEEE flags into state slot ``fp_slot``,
    crypto references) and the names of the temps' local variables."""

    __slots__ = ("fp_slot", "functions", "temp_names")

    def __init__(self, fp_slot: int) -> None:
        self.fp_slot = fp_slot  # -1: float ops without flags
        self.functions: dict[str, Any] = {}
        self.temp_names: list[str] = []


class _Lower:
    def __init__(self, made: Made) -> None:
        self.fp_slot = made.fp_slot  # the state slot float ops OR their flags into
        self.refs = made.functions
        self.a = bc.Assembler(ARGS, FIXED, made.temp_names)
        # the constant indices of the 64- and 32-bit masks, once they have one
        self.m64: i64 = -1
        self.m32: i64 = -1
        self.labels: list[bc.Label | None] = []  # by the IR label's index
        self.insn: i64 = 0

    # -- operands ------------------------------------------------------------------

    def v(self, t: Temp) -> None:
        """Push the value of ``t``."""
        a = self.a
        kind = t.kind
        if kind is _CONST:
            a.load_int(t.value)
        elif kind is _GLOBAL:
            a.load_fast(V_S)
            a.load_int(t.offset >> 3)
            a.subscr()
        else:
            a.load_fast(a.temp(t.index))

    def put(self, t: Temp) -> None:
        """Pop the top of the stack into ``t``."""
        a = self.a
        if t.kind is _GLOBAL:
            a.load_fast(V_S)
            a.load_int(t.offset >> 3)
            a.store_subscr()
        else:
            a.store_fast(a.temp(t.index))

    def k(self, value: int) -> None:
        self.a.load_int(value)

    def bin(self, nb: i64, value: int = -1) -> None:
        """BINARY_OP ``nb`` of the top of the stack and ``value`` (pushed first, unless
        it is -1: every constant operand the lowering gives is at least 0)."""
        if value != -1:
            self.a.load_int(value)
        self.a.binary(nb)

    def mask(self, nb: i64, w: int) -> None:
        """BINARY_OP ``nb`` of the top of the stack and the ``w``-bit mask (the index of
        the frequent masks kept: finding a constant above 255 hashes it, and the 64-bit
        mask is a long int)."""
        a = self.a
        if w == 64:
            i = self.m64
            if i < 0:
                i = self.m64 = a.int_index(M64)
        elif w == 32:
            i = self.m32
            if i < 0:
                i = self.m32 = a.int_index(0xFFFFFFFF)
        else:
            i = a.int_index((1 << w) - 1)
        a.load_index(i)
        a.binary(nb)

    def sx(self, bits: int) -> None:
        """The top of the stack, seen as signed ``bits`` wide: (x ^ S) - S."""
        s = 1 << (bits - 1)
        self.bin(bc.NB_XOR, s)
        self.bin(bc.NB_SUB, s)

    def callee(self, fn: Any) -> None:
        """Push what a call of ``fn`` starts with (NULL, the function): its arguments
        follow, then ``Assembler.call``."""
        self.a.push_null()
        self.a.load_const(fn)

    def vs(self, args: tuple[Any, ...], first: int, n: int) -> None:
        """Push the value of each of ``args[first : first + n]``."""
        for i in range(first, first + n):
            self.v(args[i])

    def label(self, lab: Label) -> bc.Label:
        labels = self.labels
        i = lab.index
        if i >= len(labels):
            labels.extend([None] * (i + 1 - len(labels)))
        found = labels[i]
        if found is None:
            found = bc.Label()
            labels[i] = found
        return found

    # -- conditions ------------------------------------------------------------------

    def cond(self, c: int, x: Temp, y: Temp, w: int) -> bool | None:
        """Push what decides ``x c y`` (``w`` bits wide); the truth of the pushed value
        when the condition holds, or None when nothing was pushed (ALWAYS/NEVER:
        the condition is ``c is ALWAYS``)."""
        if c in (_ALWAYS, _NEVER):
            return None
        self.v(x)
        if c in (_TSTEQ, _TSTNE):
            self.v(y)
            self.bin(bc.NB_AND)
            return c == _TSTNE
        if _SIGNED_AT[c]:
            s = 1 << (w - 1)
            self.bin(bc.NB_XOR, s)
            self.v(y)
            self.bin(bc.NB_XOR, s)
        else:
            self.v(y)
        self.a.compare(_CMP_AT[c])
        return True

    def cond_bool(self, c: int, x: Temp, y: Temp, w: int) -> None:
        """Push ``x c y`` as a bool (or an int 0/1)."""
        truth = self.cond(c, x, y, w)
        if truth is None:
            self.k(1 if c == _ALWAYS else 0)
        elif c in (_TSTEQ, _TSTNE):
            self.k(0)
            self.a.compare(bc.CMP_NE if truth else bc.CMP_EQ)

    def if_zero(self, t: Temp, w: int) -> tuple[bc.Label, bc.Label]:
        """Begin ``out = A if t == 0 else B``: the code after this computes A (then
        ``otherwise``, then B, then ``done``)."""
        other, end = bc.Label(), bc.Label()
        self.cond(_EQ, t, _ZERO, w)
        self.a.jump(other, False)
        return other, end

    def otherwise(self, out: Temp, labels: tuple[bc.Label, bc.Label]) -> None:
        self.put(out)
        self.a.jump(labels[1])
        self.a.place(labels[0])

    def done(self, out: Temp, labels: tuple[bc.Label, bc.Label]) -> None:
        self.put(out)
        self.a.place(labels[1])

    # -- ops -------------------------------------------------------------------------

    def op(self, op: Op) -> None:
        x = op.defn.index  # the op's facts from the tables (one read of a foreign object
        kind = _KIND_AT[x]  # each costs a generic attribute lookup)
        a = self.a
        args = op.args
        if kind == K_INSN_START:
            a.set_line(self.insn + FIRST_INSN_LINE)
            self.insn += 1
            return
        if kind == K_NOP:
            return
        if kind == K_SET_LABEL:
            a.place(self.label(args[0]))
            return
        if kind == K_EXIT_TB:
            self.k(int(args[0]))
            a.ret()
            return
        if kind == K_GOTO_PTR:
            self.k(EXIT_LOOKUP)
            a.ret()
            return
        if kind == K_BR:
            a.jump(self.label(args[0]))
            return
        n_out = op.n_out
        n_in = op.n_in
        if kind == K_CALL:
            self.callee(args[n_out + n_in].func)
            a.load_fast(V_C)
            self.vs(args, n_out, n_in)
            a.call(n_in + 1)
            if n_out:
                out: Temp = args[0]
                self.bin(bc.NB_AND, out.type.mask)
                self.put(out)
            else:
                a.pop()
            return
        w = _WIDTH[x]
        if kind == K_BINARY:
            self.binary(_SUB_AT[x], _PARAM_AT[x], x, args[1], args[2], args[0], w)
            return
        if kind == K_UNARY:
            self.unary(_SUB_AT[x], _PARAM_AT[x], args[1], args[0], w)
            return
        if kind == K_MOVI:
            self.k(args[1] & ((1 << w) - 1))
            self.put(args[0])
            return
        if kind == K_BRCOND:
            target = self.label(args[3])
            c = int(args[2])
            truth = self.cond(c, args[0], args[1], w)
            if truth is None:
                if c == _ALWAYS:
                    a.jump(target)
            else:
                a.jump(target, truth)
            return
        if kind in (K_QEMU_LD, K_QEMU_ST):
            self.memory(op, kind == K_QEMU_LD, w)
            return
        if kind == K_ENV_LD:
            self.env_load(op, _PARAM_AT[x], _SUB_AT[x] != 0, w)
            return
        if kind == K_ENV_ST:
            self.env_store(op, _PARAM_AT[x])
            return
        if kind == K_FLOAT:
            self.float_op(op, x, w)
            return
        if kind in (K_SETCOND, K_NEGSETCOND):
            self.cond_bool(int(args[3]), args[1], args[2], w)
            if kind == K_SETCOND:
                self.bin(bc.NB_MUL, 1)
            else:
                a.unary(bc.UNARY_NEGATIVE)
                self.mask(bc.NB_AND, w)
            self.put(args[0])
            return
        if kind == K_MOVCOND:
            self.movcond(int(args[5]), args[1], args[2], w, args[3], args[4], args[0])
            return
        if kind in (K_EXTRACT, K_SEXTRACT):
            pos: int = args[2]
            n: int = args[3]
            check_field(op, pos, n, w)
            self.v(args[1])
            self.bin(bc.NB_RSHIFT, pos)
            self.bin(bc.NB_AND, (1 << n) - 1)
            if kind == K_SEXTRACT:
                self.sx(n)
                self.mask(bc.NB_AND, w)
            self.put(args[0])
            return
        if kind == K_DEPOSIT:
            pos = args[3]
            n = args[4]
            check_field(op, pos, n, w)
            f = ((1 << n) - 1) << pos
            self.v(args[1])
            self.bin(bc.NB_AND, ((1 << w) - 1) & ~f)
            self.v(args[2])
            self.bin(bc.NB_LSHIFT, pos)
            self.bin(bc.NB_AND, f)
            self.bin(bc.NB_OR)
            self.put(args[0])
            return
        if kind in (K_MULU2, K_MULS2):
            self.v(args[2])
            if kind == K_MULS2:
                self.sx(w)
            self.v(args[3])
            if kind == K_MULS2:
                self.sx(w)
            self.bin(bc.NB_MUL)
            self.two_halves(args, w)
            return
        if kind in (K_ADD2, K_SUB2):  # (hi:lo) op (hi:lo), outs then ins
            self.v(args[3])
            self.bin(bc.NB_LSHIFT, w)
            self.v(args[2])
            self.bin(bc.NB_OR)
            self.v(args[5])
            self.bin(bc.NB_LSHIFT, w)
            self.v(args[4])
            self.bin(bc.NB_OR)
            self.bin(_PARAM_AT[x])
            self.two_halves(args, w)
            return
        if kind == K_CRYPTO:
            base = _BASE[x]
            fn = self.refs.get(base)
            if fn is None:
                fn = self.refs[base] = crypto_reference(base)
            self.callee(fn)
            self.vs(args, n_out, n_in)
            a.call(n_in)
            a.op(bc.UNPACK_SEQUENCE, 2, 1)
            self.put(args[0])
            self.put(args[1])
            return
        raise CodegenError(f"the python host cannot emit {op!r}")

    def two_halves(self, outs: tuple[Any, ...], w: int) -> None:
        """The double-width value on the stack into outs[0] (low) and outs[1] (high)."""
        a = self.a
        a.store_fast(V_P)
        a.load_fast(V_P)
        self.mask(bc.NB_AND, w)
        self.put(outs[0])
        a.load_fast(V_P)
        self.bin(bc.NB_RSHIFT, w)
        self.mask(bc.NB_AND, w)
        self.put(outs[1])

    def unary(self, sub: int, param: int, x: Temp, out: Temp, w: int) -> None:
        a = self.a
        if sub == U_CTPOP:
            self.callee(_BIT_COUNT)
            self.v(x)
            a.call(1)
        elif sub == U_BSWAP:
            self.callee(_bswap)
            self.v(x)
            self.k(param)
            a.call(2)
        else:
            self.v(x)
            if sub == U_NEG:
                a.unary(bc.UNARY_NEGATIVE)
                self.mask(bc.NB_AND, w)
            elif sub == U_NOT:
                self.mask(bc.NB_XOR, w)
            elif sub == U_EXTU:
                self.bin(bc.NB_AND, (1 << param) - 1)
            elif sub == U_EXTS:
                self.bin(bc.NB_AND, (1 << param) - 1)
                self.sx(param)
                self.mask(bc.NB_AND, w)
            elif sub == U_SX:
                self.sx(param)
                self.mask(bc.NB_AND, w)
            elif sub == U_EXTRH:
                self.bin(bc.NB_RSHIFT, 32)
        self.put(out)

    def count(self, y: Temp, w: int) -> None:
        """Push a shift count: ``y`` modulo the width."""
        if y.kind is _CONST:
            self.k(y.value & (w - 1))
        else:
            self.v(y)
            self.bin(bc.NB_AND, w - 1)

    def binary(self, sub: int, nb: int, index: int, x: Temp, y: Temp, out: Temp, w: int) -> None:
        a = self.a
        if sub in (B_WRAPS, B_SIMPLE):
            self.v(x)
            self.v(y)
            self.bin(nb)
            if sub == B_WRAPS:
                self.mask(bc.NB_AND, w)
        elif sub == B_NOT_Y:
            self.v(x)
            self.v(y)
            self.mask(bc.NB_XOR, w)
            self.bin(nb)
        elif sub == B_NOT_OF:
            self.v(x)
            self.v(y)
            self.bin(nb)
            self.mask(bc.NB_XOR, w)
        elif sub == B_SHL:
            self.v(x)
            self.count(y, w)
            self.bin(bc.NB_LSHIFT)
            self.mask(bc.NB_AND, w)
        elif sub == B_SHR:
            self.v(x)
            self.count(y, w)
            self.bin(bc.NB_RSHIFT)
        elif sub == B_SAR:
            self.v(x)
            self.sx(w)
            self.count(y, w)
            self.bin(bc.NB_RSHIFT)
            self.mask(bc.NB_AND, w)
        elif sub in (B_MULUH, B_MULSH):
            self.v(x)
            if sub == B_MULSH:
                self.sx(w)
            self.v(y)
            if sub == B_MULSH:
                self.sx(w)
            self.bin(bc.NB_MUL)
            self.bin(bc.NB_RSHIFT, w)
            if sub == B_MULSH:
                self.mask(bc.NB_AND, w)
        elif sub in (B_DIVU, B_REMU):  # y == 0: 0 for divu, x for remu
            labels = self.if_zero(y, w)
            self.v(x if sub == B_REMU else _ZERO)
            self.otherwise(out, labels)
            self.v(x)
            self.v(y)
            self.bin(bc.NB_FLOORDIV if sub == B_DIVU else bc.NB_MOD)
            self.done(out, labels)
            return
        elif sub in (B_CLZ, B_CTZ):  # x == 0: y
            labels = self.if_zero(x, w)
            self.v(y)
            self.otherwise(out, labels)
            if sub == B_CLZ:  # w - x.bit_length()
                self.k(w)
                self.callee(_BIT_LENGTH)
                self.v(x)
                a.call(1)
                self.bin(bc.NB_SUB)
            else:  # (x & -x).bit_length() - 1
                self.callee(_BIT_LENGTH)
                self.v(x)
                self.v(x)
                a.unary(bc.UNARY_NEGATIVE)
                self.bin(bc.NB_AND)
                a.call(1)
                self.bin(bc.NB_SUB, 1)
            self.done(out, labels)
            return
        elif sub in (B_ROTL, B_ROTR):
            left, right = ((bc.NB_LSHIFT, bc.NB_RSHIFT) if sub == B_ROTL
                           else (bc.NB_RSHIFT, bc.NB_LSHIFT))  # fmt: skip
            self.count(y, w)
            a.store_fast(V_N)
            self.v(x)
            a.load_fast(V_N)
            self.bin(left)
            self.v(x)
            self.k(w)
            a.load_fast(V_N)
            self.bin(bc.NB_SUB)
            self.bin(right)
            self.bin(bc.NB_OR)
            self.mask(bc.NB_AND, w)
        else:
            self.callee(SEMANTICS[_BASE[index]])
            self.k(w)
            self.v(x)
            self.v(y)
            a.call(3)
            self.k(0)
            a.subscr()
            self.mask(bc.NB_AND, w)
        self.put(out)

    def movcond(self, c: int, x: Temp, y: Temp, w: int, if_true: Temp, if_false: Temp,
                out: Temp) -> None:  # fmt: skip
        """``out = if_true if x c y else if_false``."""
        truth = self.cond(c, x, y, w)
        if truth is None:
            self.v(if_true if c == _ALWAYS else if_false)
            self.put(out)
            return
        a = self.a
        other, end = bc.Label(), bc.Label()
        a.jump(other, not truth)
        self.v(if_true)
        self.otherwise(out, (other, end))
        self.v(if_false)
        self.done(out, (other, end))

    def float_op(self, op: Op, x: int, w: int) -> None:
        sub = _SUB_AT[x]
        args = op.args
        n_in = op.n_in
        out: Temp = args[0]
        sign = 1 << (w - 1)
        a = self.a
        if sub == F_NEG:
            self.v(args[1])
            self.bin(bc.NB_XOR, sign)
            self.put(out)
            return
        if sub == F_ABS:
            self.v(args[1])
            self.bin(bc.NB_AND, sign - 1)
            self.put(out)
            return
        n_args = len(args) - 1  # its inputs, then its constants
        if sub == F_RAISING and self.fp_slot >= 0:  # with its IEEE flags (``fpflags``)
            opc = _OPC[x]
            fn = self.refs.get(opc)
            if fn is None:
                fn = self.refs[opc] = flagged(opc, self.fp_slot)
            self.callee(fn)
            a.load_fast(V_S)
            n_args += 1
        else:
            self.callee(_FLOAT_IMPL[x])
        self.vs(args, 1, n_in)
        for i in range(1 + n_in, len(args)):
            self.k(int(args[i]))
        a.call(n_args)
        self.put(out)

    def env_load(self, op: Op, n: int, signed: bool, w: int) -> None:
        offset: int = op.args[1]
        slot, sub = self._env_slot(op, offset, n)
        a = self.a
        a.load_fast(V_S)
        self.k(slot)
        a.subscr()
        if not (sub == 0 and n == 8):
            self.bin(bc.NB_RSHIFT, 8 * sub)
            self.bin(bc.NB_AND, (1 << 8 * n) - 1)
        if signed:
            self.sx(8 * n)
            self.mask(bc.NB_AND, w)
        self.put(op.args[0])

    def env_store(self, op: Op, n: int) -> None:
        offset: int = op.args[1]
        slot, sub = self._env_slot(op, offset, n)
        a = self.a
        value: Temp = op.args[0]
        if n == 8:
            self.v(value)
        else:
            sm = (1 << 8 * n) - 1
            a.load_fast(V_S)
            self.k(slot)
            a.subscr()
            self.bin(bc.NB_AND, M64 & ~(sm << 8 * sub))
            self.v(value)
            self.bin(bc.NB_AND, sm)
            self.bin(bc.NB_LSHIFT, 8 * sub)
            self.bin(bc.NB_OR)
        a.load_fast(V_S)
        self.k(slot)
        a.store_subscr()

    @staticmethod
    def _env_slot(op: Op, offset: int, n: int) -> tuple[int, int]:
        """The state slot and the byte in it of an ``n``-byte access at ``offset``."""
        sub = offset & 7
        if sub + n > 8 or offset % n:
            raise CodegenError(f"{op!r}: CPU-state access must be naturally aligned")
        return offset >> 3, sub

    def memory(self, op: Op, load: bool, w: int) -> None:
        """qemu_ld (``load``) / qemu_st: the TLB's fast path inline, its slow path a
        call."""
        a = self.a
        args = op.args
        memop = int(args[2])
        if not load:
            memop &= ~MO_SIGN
        size = 1 << (memop & MO_SIZE)
        self.v(args[1])  # the address (ld: out, addr; st: value, addr)
        a.store_fast(V_A)
        a.load_fast(V_T)  # _e = T[(_a >> PAGE_BITS) & TLB_MASK]
        a.load_fast(V_A)
        self.bin(bc.NB_RSHIFT, PAGE_BITS)
        self.bin(bc.NB_AND, TLB_MASK)
        a.subscr()
        a.store_fast(V_E)
        a.load_fast(V_E)  # its tag for the access == the address's
        self.k(0 if load else 1)
        a.subscr()
        a.load_fast(V_A)
        if memop & MO_ALIGN:
            self.bin(bc.NB_AND, PAGE_MASK | (size - 1))
        else:
            if size > 1:
                self.bin(bc.NB_ADD, size - 1)
            self.bin(bc.NB_AND, PAGE_MASK)
        a.compare(bc.CMP_EQ)
        slow, end = bc.Label(), bc.Label()
        a.jump(slow, False)
        # the fast path: unpack_from / pack_into(_e[2], _a - _e[3][, value])
        bits = memop & _STRUCT_BITS
        if load:
            self.callee(_UNPACK_AT[bits])
        else:
            self.callee(_PACK_AT[bits])
        a.load_fast(V_E)
        self.k(2)
        a.subscr()
        a.load_fast(V_A)
        a.load_fast(V_E)
        self.k(3)
        a.subscr()
        self.bin(bc.NB_SUB)
        out: Temp = args[0]
        if load:
            a.call(2)
            self.k(0)
            a.subscr()
            if memop & MO_SIGN or size * 8 > w:
                self.mask(bc.NB_AND, w)
            self.put(out)
        else:
            self.v(out)
            if size * 8 < w:
                self.bin(bc.NB_AND, (1 << 8 * size) - 1)
            a.call(3)
            a.pop()
        a.jump(end)
        a.place(slow)
        a.push_null()
        a.load_fast(V_LD if load else V_ST)
        a.load_fast(V_A)
        if not load:
            self.v(out)
        self.k(memop)
        a.call(2 if load else 3)
        if load:
            self.mask(bc.NB_AND, w)
            self.put(out)
        else:
            a.pop()
        a.place(end)


def insn_of_line(lineno: int, icount: int) -> int:
    """The guest instruction (of a TB of ``icount``) that line ``lineno`` of its code
    belongs to."""
    return min(max(lineno - FIRST_INSN_LINE, 0), max(icount - 1, 0))


def assemble(ops: list[Op], filename: str, made: Made) -> tuple[types.CodeType, bytes]:
    """The code object of the function implementing ``ops`` (see the module docstring)
    and its bytecode, its code attributed to ``filename``; float ops OR their IEEE
    flags into state slot ``made.fp_slot`` (-1: none). A host passes one ``Made`` to
    all its TBs (of one ``fp_slot``)."""
    low = _Lower(made)
    a = low.a
    for op in ops:
        kind = _KIND_AT[op.defn.index]
        if kind in (K_QEMU_LD, K_QEMU_ST):
            for var, attr in ((V_T, "entries"), (V_LD, "load"), (V_ST, "store")):
                a.load_fast(V_C)
                a.load_attr("tlb")
                a.load_attr(attr)
                a.store_fast(var)
            break
    for op in ops:
        low.op(op)
    low.k(EXIT_LOOKUP)
    a.ret()
    for lab in low.labels:
        if lab is not None and lab.pending:  # a jump there would land on the next unit
            raise CodegenError("a branch to a label the TB never sets")
    return a.code_object("tb", filename), a.bytecode()


def lower(ops: list[Op], filename: str, fp_slot: int = -1) -> types.CodeType:
    """``assemble``'s code object alone (for one TB: nothing shared)."""
    return assemble(ops, filename, Made(fp_slot))[0]
