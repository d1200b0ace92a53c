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
from typing import Any, Final

from tcgkit.tcg.fpflags import RAISING, flagged
from tcgkit.tcg.ir import Helper, Label, Op, Temp, TempKind
from tcgkit.tcg.ops import EXIT_LOOKUP, OPS, by_index
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
V_S: Final = ARGS.index("s")
V_C: Final = ARGS.index("c")
V_T: Final = len(ARGS) + FIXED.index("T")
V_LD: Final = len(ARGS) + FIXED.index("LD")
V_ST: Final = len(ARGS) + FIXED.index("ST")
V_A: Final = len(ARGS) + FIXED.index("_a")
V_E: Final = len(ARGS) + FIXED.index("_e")
V_P: Final = len(ARGS) + FIXED.index("_p")
V_N: Final = len(ARGS) + FIXED.index("_n")
#: the line of guest instruction 0 (the prologue's is 1)
FIRST_INSN_LINE: Final = 2
_CONST: Final = TempKind.CONST
_GLOBAL: Final = TempKind.GLOBAL
_MEMORY: Final = frozenset({"qemu_ld", "qemu_st"})
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


class _Lower:
    def __init__(self, fp_slot: int = -1) -> None:
        self.fp_slot = fp_slot  # the state slot float ops OR their flags into (-1: none)
        self.a = bc.Assembler(ARGS, FIXED)
        self.labels: dict[int, bc.Label] = {}  # id of an IR label -> its assembler label
        self.insn = 0

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

    def bin(self, nb: int, value: int = -1) -> None:
        """BINARY_OP ``nb`` of the top of the stack and ``value`` (pushed first, unless
        it is -1: every constant operand the lowering gives is at least 0)."""
        if value != -1:
            self.a.load_int(value)
        self.a.binary(nb)

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

    def vs(self, temps: tuple[Any, ...]) -> None:
        """Push the value of each of ``temps``."""
        for t in temps:
            self.v(t)

    def label(self, lab: Label) -> bc.Label:
        found = self.labels.get(id(lab))
        if found is None:
            found = self.labels[id(lab)] = bc.Label()
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

    def select(self, c: int, x: Temp, y: Temp, w: int, if_true: Any, if_false: Any,
               out: Temp) -> None:  # fmt: skip
        """``out = if_true() if x c y else if_false()`` (each pushes its value)."""
        truth = self.cond(c, x, y, w)
        if truth is None:
            (if_true if c == _ALWAYS else if_false)()
            self.put(out)
            return
        a = self.a
        other, end = bc.Label(), bc.Label()
        a.jump(other, not truth)
        if_true()
        self.put(out)
        a.jump(end)
        a.place(other)
        if_false()
        self.put(out)
        a.place(end)

    # -- ops -------------------------------------------------------------------------

    def op(self, op: Op) -> None:
        x = op.defn.index  # the op's facts from the tables (one read of a foreign object
        opc = _OPC[x]  # each costs a generic attribute lookup)
        a = self.a
        if opc == "insn_start":
            a.set_line(self.insn + FIRST_INSN_LINE)
            self.insn += 1
            return
        if opc in ("goto_tb", "mb"):
            return
        if opc == "set_label":
            a.place(self.label(op.args[0]))
            return
        if opc == "exit_tb":
            self.k(op.args[0])
            a.ret()
            return
        if opc == "goto_ptr":
            self.k(EXIT_LOOKUP)
            a.ret()
            return
        if opc == "br":
            a.jump(self.label(op.args[0]))
            return
        args = op.args
        n_out = op.n_out
        ins = args[n_out : n_out + op.n_in]
        outs = args[:n_out]
        consts = args[n_out + op.n_in :]
        if opc == "call":
            h: Helper = consts[0]
            self.callee(h.func)
            a.load_fast(V_C)
            self.vs(ins)
            a.call(len(ins) + 1)
            if n_out:
                self.bin(bc.NB_AND, outs[0].type.mask)
                self.put(outs[0])
            else:
                a.pop()
            return
        w = _WIDTH[x]
        m = (1 << w) - 1
        base = _BASE[x]
        if base == "brcond":
            target = self.label(consts[1])
            truth = self.cond(consts[0], ins[0], ins[1], w)
            if truth is None:
                if consts[0] == _ALWAYS:
                    a.jump(target)
            else:
                a.jump(target, truth)
            return
        if base == "movi":
            self.k(consts[0] & m)
            self.put(outs[0])
            return
        if base in _MEMORY:
            self.memory(op, base == "qemu_ld", w, m)
            return
        if base.startswith("ld") or base.startswith("st"):
            self.env_access(op, base, w, m)
            return
        if opc in FLOAT_OPS:
            self.float_op(opc, outs[0], ins, consts, w)
            return
        if _N_IN[x] == 1 and _N_OUT[x] == 1 and not consts:
            self.unary(opc, base, ins[0], outs[0], w, m)
            return
        if _N_IN[x] == 2 and _N_OUT[x] == 1 and not consts:
            self.binary(base, ins[0], ins[1], outs[0], w, m)
            return
        if base in ("setcond", "negsetcond"):
            self.cond_bool(consts[0], ins[0], ins[1], w)
            if base == "setcond":
                self.bin(bc.NB_MUL, 1)
            else:
                a.unary(bc.UNARY_NEGATIVE)
                self.bin(bc.NB_AND, m)
            self.put(outs[0])
            return
        if base == "movcond":
            self.select(consts[0], ins[0], ins[1], w, lambda: self.v(ins[2]),
                        lambda: self.v(ins[3]), outs[0])  # fmt: skip
            return
        if base in ("extract", "sextract"):
            pos, n = consts
            check_field(op, pos, n, w)
            self.v(ins[0])
            self.bin(bc.NB_RSHIFT, pos)
            self.bin(bc.NB_AND, (1 << n) - 1)
            if base == "sextract":
                self.sx(n)
                self.bin(bc.NB_AND, m)
            self.put(outs[0])
            return
        if base == "deposit":
            pos, n = consts
            check_field(op, pos, n, w)
            f = ((1 << n) - 1) << pos
            self.v(ins[0])
            self.bin(bc.NB_AND, m & ~f)
            self.v(ins[1])
            self.bin(bc.NB_LSHIFT, pos)
            self.bin(bc.NB_AND, f)
            self.bin(bc.NB_OR)
            self.put(outs[0])
            return
        if base in ("mulu2", "muls2"):
            self.v(ins[0])
            if base == "muls2":
                self.sx(w)
            self.v(ins[1])
            if base == "muls2":
                self.sx(w)
            self.bin(bc.NB_MUL)
            self.two_halves(outs, w, m)
            return
        if base in ("add2", "sub2"):
            self.v(ins[1])
            self.bin(bc.NB_LSHIFT, w)
            self.v(ins[0])
            self.bin(bc.NB_OR)
            self.v(ins[3])
            self.bin(bc.NB_LSHIFT, w)
            self.v(ins[2])
            self.bin(bc.NB_OR)
            self.bin(bc.NB_ADD if base == "add2" else bc.NB_SUB)
            self.two_halves(outs, w, m)
            return
        if base in CRYPTO_OPS:
            self.callee(crypto_reference(base))
            self.vs(ins)
            a.call(len(ins))
            a.op(bc.UNPACK_SEQUENCE, 2, 1)
            self.put(outs[0])
            self.put(outs[1])
            return
        raise CodegenError(f"the python host cannot emit {op!r}")

    def two_halves(self, outs: tuple[Any, ...], w: int, m: int) -> None:
        """The double-width value on the stack into outs[0] (low) and outs[1] (high)."""
        a = self.a
        a.store_fast(V_P)
        a.load_fast(V_P)
        self.bin(bc.NB_AND, m)
        self.put(outs[0])
        a.load_fast(V_P)
        self.bin(bc.NB_RSHIFT, w)
        self.bin(bc.NB_AND, m)
        self.put(outs[1])

    def unary(self, opc: str, base: str, x: Temp, out: Temp, w: int, m: int) -> None:
        a = self.a
        if base == "mov" or opc == "extu_i32_i64":
            self.v(x)
        elif base == "neg":
            self.v(x)
            a.unary(bc.UNARY_NEGATIVE)
            self.bin(bc.NB_AND, m)
        elif base == "not":
            self.v(x)
            self.bin(bc.NB_XOR, m)
        elif base == "ctpop":
            self.callee(_BIT_COUNT)
            self.v(x)
            a.call(1)
        elif base in ("bswap16", "bswap32", "bswap64"):
            self.callee(_bswap)
            self.v(x)
            self.k({"bswap16": 2, "bswap32": 4, "bswap64": 8}[base])
            a.call(2)
        elif base in ("ext8s", "ext16s", "ext32s"):
            bits = {"ext8s": 8, "ext16s": 16, "ext32s": 32}[base]
            self.v(x)
            self.bin(bc.NB_AND, (1 << bits) - 1)
            self.sx(bits)
            self.bin(bc.NB_AND, m)
        elif base in ("ext8u", "ext16u", "ext32u"):
            bits = {"ext8u": 8, "ext16u": 16, "ext32u": 32}[base]
            self.v(x)
            self.bin(bc.NB_AND, (1 << bits) - 1)
        elif opc == "extrl_i64_i32":
            self.v(x)
            self.bin(bc.NB_AND, 0xFFFFFFFF)
        elif opc == "extrh_i64_i32":
            self.v(x)
            self.bin(bc.NB_RSHIFT, 32)
        elif opc == "ext_i32_i64":
            self.v(x)
            self.sx(32)
            self.bin(bc.NB_AND, M64)
        else:
            raise CodegenError(f"the python host cannot emit {opc}")
        self.put(out)

    def count(self, y: Temp, w: int) -> None:
        """Push a shift count: ``y`` modulo the width."""
        if y.kind is _CONST:
            self.k(y.value & (w - 1))
        else:
            self.v(y)
            self.bin(bc.NB_AND, w - 1)

    def binary(self, base: str, x: Temp, y: Temp, out: Temp, w: int, m: int) -> None:
        a = self.a
        simple = _SIMPLE.get(base)
        if simple is not None:
            self.v(x)
            self.v(y)
            self.bin(simple)
            if base in ("add", "sub", "mul"):
                self.bin(bc.NB_AND, m)
        elif base in ("andc", "orc"):
            self.v(x)
            self.v(y)
            self.bin(bc.NB_XOR, m)
            self.bin(bc.NB_AND if base == "andc" else bc.NB_OR)
        elif base in ("eqv", "nand", "nor"):
            self.v(x)
            self.v(y)
            self.bin(bc.NB_XOR if base == "eqv" else bc.NB_AND if base == "nand" else bc.NB_OR)
            self.bin(bc.NB_XOR, m)
        elif base == "shl":
            self.v(x)
            self.count(y, w)
            self.bin(bc.NB_LSHIFT)
            self.bin(bc.NB_AND, m)
        elif base == "shr":
            self.v(x)
            self.count(y, w)
            self.bin(bc.NB_RSHIFT)
        elif base == "sar":
            self.v(x)
            self.sx(w)
            self.count(y, w)
            self.bin(bc.NB_RSHIFT)
            self.bin(bc.NB_AND, m)
        elif base in ("muluh", "mulsh"):
            self.v(x)
            if base == "mulsh":
                self.sx(w)
            self.v(y)
            if base == "mulsh":
                self.sx(w)
            self.bin(bc.NB_MUL)
            self.bin(bc.NB_RSHIFT, w)
            if base == "mulsh":
                self.bin(bc.NB_AND, m)
        elif base in ("divu", "remu"):
            # b == 0: 0 for divu, a for remu
            def when_zero() -> None:
                self.v(x if base == "remu" else _ZERO)

            def otherwise() -> None:
                self.v(x)
                self.v(y)
                self.bin(bc.NB_FLOORDIV if base == "divu" else bc.NB_MOD)

            self.select(_EQ, y, _ZERO, w, when_zero, otherwise, out)
            return
        elif base in ("clz", "ctz"):

            def zero() -> None:
                self.v(y)

            def nonzero() -> None:
                if base == "clz":  # w - x.bit_length()
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

            self.select(_EQ, x, _ZERO, w, zero, nonzero, out)
            return
        elif base in ("rotl", "rotr"):
            left, right = ((bc.NB_LSHIFT, bc.NB_RSHIFT) if base == "rotl"
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
            self.bin(bc.NB_AND, m)
        else:
            self.callee(SEMANTICS[base])
            self.k(w)
            self.v(x)
            self.v(y)
            a.call(3)
            self.k(0)
            a.subscr()
            self.bin(bc.NB_AND, m)
        self.put(out)

    def float_op(self, opc: str, out: Temp, ins: tuple[Any, ...], consts: tuple[Any, ...],
                 w: int) -> None:  # fmt: skip
        sign = 1 << (w - 1)
        if opc.startswith("fneg"):
            self.v(ins[0])
            self.bin(bc.NB_XOR, sign)
        elif opc.startswith("fabs"):
            self.v(ins[0])
            self.bin(bc.NB_AND, sign - 1)
        elif self.fp_slot >= 0 and opc in RAISING:  # with its IEEE flags (``fpflags``)
            self.callee(flagged(opc, self.fp_slot))
            self.a.load_fast(V_S)
            self.vs(ins)
            for c in consts:
                self.k(int(c))
            self.a.call(1 + len(ins) + len(consts))
        else:
            self.callee(FLOAT_OPS[opc])
            self.vs(ins)
            for c in consts:
                self.k(int(c))
            self.a.call(len(ins) + len(consts))
        self.put(out)

    def env_access(self, op: Op, base: str, w: int, m: int) -> None:
        offset = op.args[op.n_out + op.n_in]
        n = ENV_SIZES.get(base, w // 8)
        slot, sub = divmod(offset, 8)
        if sub + n > 8 or offset % n:
            raise CodegenError(f"{op!r}: CPU-state access must be naturally aligned")
        sm = (1 << 8 * n) - 1
        a = self.a
        if base.startswith("ld"):
            a.load_fast(V_S)
            self.k(slot)
            a.subscr()
            if not (sub == 0 and n == 8):
                self.bin(bc.NB_RSHIFT, 8 * sub)
                self.bin(bc.NB_AND, sm)
            if base.endswith("s"):
                self.sx(8 * n)
                self.bin(bc.NB_AND, m)
            self.put(op.args[0])
            return
        value = op.args[0]
        if n == 8:
            self.v(value)
        else:
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

    def memory(self, op: Op, load: bool, w: int, m: int) -> None:
        """qemu_ld (``load``) / qemu_st: the TLB's fast path inline, its slow path a
        call."""
        a = self.a
        memop = int(op.args[op.n_out + op.n_in])
        if not load:
            memop &= ~MO_SIGN
        size = 1 << (memop & MO_SIZE)
        st = _STRUCTS[memop & _STRUCT_BITS]
        self.v(op.args[1])  # the address (ld: out, addr; st: value, addr)
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
        self.callee(st.unpack_from if load else st.pack_into)
        a.load_fast(V_E)
        self.k(2)
        a.subscr()
        a.load_fast(V_A)
        a.load_fast(V_E)
        self.k(3)
        a.subscr()
        self.bin(bc.NB_SUB)
        out = op.args[0]
        if load:
            a.call(2)
            self.k(0)
            a.subscr()
            if memop & MO_SIGN or size * 8 > w:
                self.bin(bc.NB_AND, m)
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
            self.bin(bc.NB_AND, m)
            self.put(out)
        else:
            a.pop()
        a.place(end)


#: each opcode's name, base, width (64 for width-less ops) and operand counts, by
#: ``OpDef.index``
_OPC: Final = by_index(lambda d: d.name)
_BASE: Final = by_index(lambda d: d.base)
_WIDTH: Final = by_index(lambda d: d.type.value if d.type is not None else 64)
_N_IN: Final = by_index(lambda d: d.n_in)
_N_OUT: Final = by_index(lambda d: d.n_out)
_MEMORY_OPCS: Final = frozenset(d.name for d in OPS.values() if d.base in _MEMORY)

#: the struct of each access, by the memop bits that choose it (size, sign, order)
_STRUCT_BITS: Final = MO_SIZE | MO_SIGN | MO_BE
_STRUCTS: Final = {k: struct.Struct(struct_name(k)[0]) for k in range(_STRUCT_BITS + 1)
                   if k & _STRUCT_BITS == k}  # fmt: skip


_SIMPLE: Final = {"add": bc.NB_ADD, "sub": bc.NB_SUB, "mul": bc.NB_MUL, "and": bc.NB_AND,
           "or": bc.NB_OR, "xor": bc.NB_XOR}  # fmt: skip
_ZERO: Final = Temp(I64, _CONST, -1, value=0)  # the constant the zero tests compare with


def insn_of_line(lineno: int, icount: int) -> int:
    """The guest instruction (of a TB of ``icount``) that line ``lineno`` of its code
    belongs to."""
    return min(max(lineno - FIRST_INSN_LINE, 0), max(icount - 1, 0))


def lower(ops: list[Op], filename: str, fp_slot: int = -1) -> types.CodeType:
    """The code object of the function implementing ``ops`` (see the module docstring),
    its code attributed to ``filename``; float ops OR their IEEE flags into state slot
    ``fp_slot`` (-1: none)."""
    low = _Lower(fp_slot)
    a = low.a
    if any(op.opc in _MEMORY_OPCS for op in ops):
        for var, attr in ((V_T, "entries"), (V_LD, "load"), (V_ST, "store")):
            a.load_fast(V_C)
            a.load_attr("tlb")
            a.load_attr(attr)
            a.store_fast(var)
    for op in ops:
        low.op(op)
    low.k(EXIT_LOOKUP)
    a.ret()
    for lab in low.labels.values():
        if lab.pending:  # a jump to a label never set would land on the next unit
            raise CodegenError("a branch to a label the TB never sets")
    return a.code_object("tb", filename)
