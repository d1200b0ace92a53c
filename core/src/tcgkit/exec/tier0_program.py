"""Tier 0's program form: the records a TB's IR becomes for the interpreter.

Owns ``Program`` (one TB's IR as a flat list of integers), the record kinds
(``K_*``, each with its fields) and ``prepare`` (a TB's IR, as the target
emitted it, turned into a ``Program``: one record per op, operands resolved
once). The interpreter that runs a program is ``tier0``; the policy that
decides which TBs start here is ``translate``'s and ``loop``'s.

Invariants (what ``tier0.run_tb`` relies on):

* a record is its kind followed by that kind's fields, as listed beside ``K_*``;
  a branch's target is a position in ``code``, fixed once every label is seen;
* an operand ``o`` names ``regs[o]`` when ``o >= 0`` and the CPU state's 8-byte
  slot ``~o`` otherwise (a global); an i32 global read as an operand is first
  zero-extended into a register of its own (its slot's upper half is not part
  of its value);
* ``Program.init`` is the register list an execution starts from, constants
  and movi values set; every other register is written before it is read;
* a program holds no reference to its TB or to any TB (it stays out of the
  cyclic collector when compiled).
"""

from __future__ import annotations

from typing import Any, Final

from .._mypyc import mypyc_attr
from ..tcg.fpflags import RAISING
from ..tcg.ir import Label, Op, Temp, TempKind
from ..tcg.ops import EXIT_LOOKUP, by_index
from ..tcg.types import I32

M64: Final = 0xFFFFFFFFFFFFFFFF
PAGE_MASK: Final = ~0xFFF & 0xFFFFFFFFFFFFFFFF
TLB_INDEX: Final = 255  # softmmu.TLB_SIZE - 1

# record kinds and their fields (o: operand, m: mask of the width, s: sign bit)
K_INSN: Final = 0  # index                       a guest instruction starts
K_MOV: Final = 1  # out, a
K_ADD: Final = 2  # out, a, b, m
K_SUB: Final = 3  # out, a, b, m
K_AND: Final = 4  # out, a, b
K_OR: Final = 5  # out, a, b
K_XOR: Final = 6  # out, a, b
K_SHL: Final = 7  # out, a, b, m, w
K_SHR: Final = 8  # out, a, b, w
K_SAR: Final = 9  # out, a, b, m, w
K_MUL: Final = 10  # out, a, b, m
K_NOT: Final = 11  # out, a, m
K_NEG: Final = 12  # out, a, m
K_ANDC: Final = 13  # out, a, b, m
K_ZEXT: Final = 14  # out, a, mask               ext*u, extu_i32_i64, extrl_i64_i32
K_SEXT: Final = 15  # out, a, sign bit, m       ext*s, ext_i32_i64
K_EXTRACT: Final = 16  # out, a, pos, field mask
K_SEXTRACT: Final = 17  # out, a, pos, field sign bit, m
K_DEPOSIT: Final = 18  # out, a, b, pos, field mask (unshifted)
K_SETCOND: Final = 19  # out, a, b, cond, s, value if true (1, or m for negsetcond)
K_MOVCOND: Final = 20  # out, c1, c2, v1, v2, cond, s
K_BRCOND: Final = 21  # a, b, cond, s, code position
K_BR: Final = 22  # code position
K_EXIT: Final = 23  # exit value
K_LD: Final = 24  # out, addr, memop, size, key add, key mask, sign bit (0: unsigned), big
K_ST: Final = 25  # value, addr, memop, size, key add, key mask, big
K_ENV_LD: Final = 26  # out, offset, size, sign bit (0: unsigned)
K_ENV_ST: Final = 27  # value, offset, size
K_CALL: Final = 28  # index into Program.calls
K_OTHER: Final = 29  # index into Program.others: any other value op, by its semantics
K_CMPXCHG: Final = 30  # out, addr, expected, new, log2
K_ROTL: Final = 31  # out, a, b, m, w
K_EXTRH: Final = 32  # out, a                     extrh_i64_i32
K_FETCH: Final = 33  # out, addr, value, log2, aop
K_CMPXCHG2: Final = 34  # lo, hi, addr, cmp_lo, cmp_hi, new_lo, new_hi

_SIMPLE: Final = {"add": K_ADD, "sub": K_SUB, "mul": K_MUL, "andc": K_ANDC}
_LOGIC: Final = {"and": K_AND, "or": K_OR, "xor": K_XOR}
_SHIFTS: Final = {"shl": K_SHL, "sar": K_SAR, "rotl": K_ROTL}
_ZEXT: Final = {"ext8u": 0xFF, "ext16u": 0xFFFF, "ext32u": 0xFFFFFFFF,
                "extu_i32_i64": 0xFFFFFFFF, "extrl_i64_i32": 0xFFFFFFFF}  # fmt: skip
_SEXT: Final = {"ext8s": 8, "ext16s": 16, "ext32s": 32, "ext_i32_i64": 32}
_ENV: Final = {"ld8u": (1, False), "ld8s": (1, True), "ld16u": (2, False),
               "ld16s": (2, True), "ld32u": (4, False), "ld32s": (4, True),
               "st8": (1, False), "st16": (2, False), "st32": (4, False)}  # fmt: skip
MO_SIZE: Final = 3
MO_SIGN: Final = 4
MO_BE: Final = 8
MO_ALIGN: Final = 16


@mypyc_attr(acyclic=True)
class Program:
    """One TB's IR in the interpreter's form (see the module docstring). Only its TB
    refers to it and nothing it holds refers back (its helpers are module-level
    functions or reach no TB): compiled, it stays out of the cyclic collector, and
    its ``calls`` and ``others``, most often empty, are the shared empty tuple."""

    __slots__ = ("calls", "code", "init", "others")

    def __init__(self, code: list[int], init: list[int], calls: tuple[Any, ...],
                 others: tuple[Any, ...]) -> None:  # fmt: skip
        self.code = code
        self.init = init  # the register list an execution starts from (constants set)
        #: (function, input operands, output operand or None, mask of the output)
        self.calls = calls
        #: (name, base, width, input operands, output operands, constants)
        self.others = others


_CONST: Final = TempKind.CONST
_GLOBAL: Final = TempKind.GLOBAL
_I32: Final = I32

# how ``prepare`` writes each opcode (the first field of its ``_PLAN`` entry)
P_INSN: Final = 0
P_LABEL: Final = 1
P_NOTHING: Final = 2  # goto_tb (the exit_tb after it returns the slot), mb (one vCPU)
P_EXIT: Final = 3
P_GOTO_PTR: Final = 4
P_BR: Final = 5
P_CALL: Final = 6
P_BRCOND: Final = 7
P_QEMU_LD: Final = 8
P_QEMU_ST: Final = 9
P_CMPXCHG: Final = 10
P_ENV_LD: Final = 11
P_ENV_ST: Final = 12
P_BINARY_M: Final = 13  # K, out, a, b, m
P_BINARY: Final = 14  # K, out, a, b
P_SHIFT: Final = 15  # K, out, a, b, m, w
P_SHR: Final = 16
P_UNARY: Final = 17  # K, out, a, aux (a mask)
P_MOV: Final = 18
P_MOVI: Final = 19
P_SEXT: Final = 20  # aux: the sign bit
P_EXTRH: Final = 21
P_EXTRACT: Final = 22
P_SEXTRACT: Final = 23
P_DEPOSIT: Final = 24
P_SETCOND: Final = 25  # aux: the value when true
P_MOVCOND: Final = 26
P_OTHER: Final = 27
P_FETCH: Final = 28
P_CMPXCHG2: Final = 29


def _plan(name: str, base: str, w: int) -> tuple[int, int, int, int, int, int]:
    """(P_*, K_*, mask, width, sign bit, aux) for one opcode."""
    m = (1 << w) - 1
    s = 1 << (w - 1)
    fixed = {"insn_start": P_INSN, "set_label": P_LABEL, "goto_tb": P_NOTHING,
             "mb": P_NOTHING, "exit_tb": P_EXIT, "goto_ptr": P_GOTO_PTR, "br": P_BR,
             "call": P_CALL, "brcond": P_BRCOND, "qemu_ld": P_QEMU_LD,
             "qemu_st": P_QEMU_ST, "atomic_cmpxchg": P_CMPXCHG, "atomic_fetch": P_FETCH,
             "atomic_cmpxchg2": P_CMPXCHG2,
             "mov": P_MOV, "movi": P_MOVI, "shr": P_SHR, "extrh_i64_i32": P_EXTRH,
             "extract": P_EXTRACT, "sextract": P_SEXTRACT,
             "deposit": P_DEPOSIT, "movcond": P_MOVCOND}  # fmt: skip
    if base in fixed:
        return fixed[base], 0, m, w, s, 0
    if base in _ENV or base in ("ld", "st"):
        return (P_ENV_LD if base.startswith("ld") else P_ENV_ST), 0, m, w, s, 0
    if base in _SIMPLE:
        return P_BINARY_M, _SIMPLE[base], m, w, s, 0
    if base in _LOGIC:
        return P_BINARY, _LOGIC[base], m, w, s, 0
    if base in _SHIFTS:
        return P_SHIFT, _SHIFTS[base], m, w, s, 0
    if base in ("not", "neg"):
        return P_UNARY, K_NOT if base == "not" else K_NEG, m, w, s, m
    if base in _ZEXT:
        return P_UNARY, K_ZEXT, m, w, s, _ZEXT[base] & m
    if base in _SEXT:
        return P_SEXT, K_SEXT, m, w, s, 1 << (_SEXT[base] - 1)
    if base in ("setcond", "negsetcond"):
        return P_SETCOND, K_SETCOND, m, w, s, 1 if base == "setcond" else m
    return P_OTHER, K_OTHER, m, w, s, 0


#: each opcode's plan, by ``OpDef.index``
_PLAN: Final = by_index(lambda d: _plan(d.name, d.base, d.width))
# the plans' fields as lists of ints (compiled, reading a field of a tuple of six
# would unbox all six): P_*, K_*, mask, width, sign bit, aux
_P: Final = [plan[0] for plan in _PLAN]
_KIND: Final = [plan[1] for plan in _PLAN]
_MASK: Final = [plan[2] for plan in _PLAN]
_WIDTH: Final = [plan[3] for plan in _PLAN]
_SIGN: Final = [plan[4] for plan in _PLAN]
_AUX: Final = [plan[5] for plan in _PLAN]


class _Builder:
    """Registers for a TB's temps (``index - nglobals``, first) and its constants."""

    def __init__(self, nglobals: int, ntemps: int) -> None:
        self.nglobals = nglobals
        self.code: list[int] = []
        self.init: list[int] = [0] * ntemps
        self.consts: dict[Temp, int] = {}  # a constant temp (by identity) -> register

    def operand(self, t: Temp) -> int:
        kind = t.kind
        if kind is _CONST:
            r = self.consts.get(t)
            if r is None:
                r = self.consts[t] = len(self.init)
                self.init.append(t.value)
            return r
        if kind is _GLOBAL:
            if t.type is _I32:
                # an i32 global: its slot's upper half is not part of the value
                r = len(self.init)
                self.init.append(0)
                self.code.extend((K_ZEXT, r, ~(t.offset >> 3), 0xFFFFFFFF))
                return r
            return ~(t.offset >> 3)
        return t.index - self.nglobals

    def out(self, t: Temp) -> int:
        if t.kind is _GLOBAL:
            return ~(t.offset >> 3)
        return t.index - self.nglobals

    def fresh(self, value: int) -> int:
        """A register of its own holding ``value`` (a movi's)."""
        self.init.append(value)
        return len(self.init) - 1


def prepare(ops: list[Op], nglobals: int, ntemps: int, fp_flags_offset: int = -1) -> Program:
    """The interpreter's program for one TB's ops (as emitted: unoptimized is fine);
    ``nglobals``/``ntemps``: how many globals and temps the TB's context has;
    ``fp_flags_offset``: the state word float ops OR their IEEE flags into (-1: none;
    ``GuestTarget.fp_flags_offset``)."""
    b = _Builder(nglobals, ntemps)
    code = b.code
    labels: dict[int, int] = {}  # a label's index -> code position
    fixups: list[tuple[int, int]] = []  # (code index, its label's index)
    calls: list[Any] = []
    others: list[Any] = []
    insn = -1
    # a record is appended field by field (cheaper compiled than a tuple and extend);
    # operands are resolved before their record starts, since an i32 global's operand
    # adds a record of its own (``_Builder.operand``)
    for op in ops:
        x = op.defn.index  # its plan's fields are read where a record needs them
        p = _P[x]
        args = op.args
        if p == P_INSN:
            insn += 1
            code.append(K_INSN)
            code.append(insn)
        elif p == P_MOV:
            a = b.operand(args[1])
            code.append(K_MOV)
            code.append(b.out(args[0]))
            code.append(a)
        elif p == P_BINARY_M:
            a, c = b.operand(args[1]), b.operand(args[2])
            code.append(_KIND[x])
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
            code.append(_MASK[x])
        elif p == P_BINARY:
            a, c = b.operand(args[1]), b.operand(args[2])
            code.append(_KIND[x])
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
        elif p in (P_QEMU_LD, P_QEMU_ST):
            memop = _int(args[2])
            size = 1 << (memop & MO_SIZE)
            if memop & MO_ALIGN:
                add, kmask = 0, PAGE_MASK | (size - 1)
            else:
                add, kmask = size - 1, PAGE_MASK
            big = 1 if memop & MO_BE else 0
            addr = b.operand(args[1])
            if p == P_QEMU_LD:
                sign = 1 << (8 * size - 1) if memop & MO_SIGN else 0
                code.append(K_LD)
                code.append(b.out(args[0]))
                code.append(addr)
                code.append(memop)
                code.append(size)
                code.append(add)
                code.append(kmask)
                code.append(sign)
                code.append(big)
            else:
                v = b.operand(args[0])
                code.append(K_ST)
                code.append(v)
                code.append(addr)
                code.append(memop)
                code.append(size)
                code.append(add)
                code.append(kmask)
                code.append(big)
        elif p == P_LABEL:
            label: Label = args[0]
            labels[label.index] = len(code)
        elif p == P_NOTHING:
            pass
        elif p == P_EXIT:
            code.append(K_EXIT)
            code.append(args[0])
        elif p == P_GOTO_PTR:
            code.append(K_EXIT)
            code.append(EXIT_LOOKUP)
        elif p == P_BR:
            label = args[0]
            fixups.append((len(code) + 1, label.index))
            code.append(K_BR)
            code.append(-1)
        elif p == P_BRCOND:
            a, c = b.operand(args[0]), b.operand(args[1])
            label = args[3]
            fixups.append((len(code) + 5, label.index))
            code.append(K_BRCOND)
            code.append(a)
            code.append(c)
            code.append(_int(args[2]))
            code.append(_SIGN[x])
            code.append(-1)
        elif p == P_SHIFT:
            a, c = b.operand(args[1]), b.operand(args[2])
            code.append(_KIND[x])
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
            code.append(_MASK[x])
            code.append(_WIDTH[x])
        elif p == P_SHR:
            a, c = b.operand(args[1]), b.operand(args[2])
            code.append(K_SHR)
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
            code.append(_WIDTH[x])
        elif p == P_UNARY:
            a = b.operand(args[1])
            code.append(_KIND[x])
            code.append(b.out(args[0]))
            code.append(a)
            code.append(_AUX[x])
        elif p == P_MOVI:
            code.append(K_MOV)
            code.append(b.out(args[0]))
            code.append(b.fresh(_int(args[1]) & _MASK[x]))
        elif p == P_SEXT:
            a = b.operand(args[1])
            code.append(K_SEXT)
            code.append(b.out(args[0]))
            code.append(a)
            code.append(_AUX[x])
            code.append(_MASK[x])
        elif p in (P_EXTRACT, P_SEXTRACT):
            a = b.operand(args[1])
            pos, n = _int(args[2]), _int(args[3])
            if p == P_EXTRACT:
                code.append(K_EXTRACT)
                code.append(b.out(args[0]))
                code.append(a)
                code.append(pos)
                code.append((1 << n) - 1)
            else:
                code.append(K_SEXTRACT)
                code.append(b.out(args[0]))
                code.append(a)
                code.append(pos)
                code.append(1 << (n - 1))
                code.append(_MASK[x])
        elif p == P_DEPOSIT:
            a, c = b.operand(args[1]), b.operand(args[2])
            pos, n = _int(args[3]), _int(args[4])
            code.append(K_DEPOSIT)
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
            code.append(pos)
            code.append((1 << n) - 1)
        elif p == P_SETCOND:
            a, c = b.operand(args[1]), b.operand(args[2])
            code.append(K_SETCOND)
            code.append(b.out(args[0]))
            code.append(a)
            code.append(c)
            code.append(_int(args[3]))
            code.append(_SIGN[x])
            code.append(_AUX[x])
        elif p == P_MOVCOND:
            ins = [b.operand(t) for t in args[1:5]]
            code += [K_MOVCOND, b.out(args[0]), *ins, _int(args[5]), _SIGN[x]]
        elif p == P_EXTRH:
            a = b.operand(args[1])
            code.append(K_EXTRH)
            code.append(b.out(args[0]))
            code.append(a)
        elif p == P_CALL:
            n_out = op.n_out
            call_ins = tuple([b.operand(t) for t in args[n_out : n_out + op.n_in]])
            out = b.out(args[0]) if n_out else None
            mask = 0xFFFFFFFF if n_out and args[0].type is _I32 else M64
            code.append(K_CALL)
            code.append(len(calls))
            calls.append((args[-1].func, call_ins, out, mask))
        elif p == P_ENV_LD:
            size, signed = _ENV.get(op.defn.base, (_WIDTH[x] // 8, False))
            sign = 1 << (8 * size - 1) if signed else 0
            code.append(K_ENV_LD)
            code.append(b.out(args[0]))
            code.append(_int(args[1]))
            code.append(size)
            code.append(sign)
        elif p == P_ENV_ST:
            size, _ = _ENV.get(op.defn.base, (_WIDTH[x] // 8, False))
            v = b.operand(args[0])  # first: an i32 global's operand adds a record of its own
            code.append(K_ENV_ST)
            code.append(v)
            code.append(_int(args[1]))
            code.append(size)
        elif p == P_CMPXCHG:
            ins = [b.operand(t) for t in args[1:4]]
            code += [K_CMPXCHG, b.out(args[0]), *ins, _int(args[4]) & MO_SIZE]
        elif p == P_FETCH:
            ins = [b.operand(t) for t in args[1:3]]
            code += [K_FETCH, b.out(args[0]), *ins, _int(args[3]) & MO_SIZE, _int(args[5])]
        elif p == P_CMPXCHG2:
            ins = [b.operand(t) for t in args[2:7]]
            code += [K_CMPXCHG2, b.out(args[0]), b.out(args[1]), *ins]
        else:
            n_out = op.n_out
            n = n_out + op.n_in
            ins = [b.operand(t) for t in args[n_out:n]]
            outs = [b.out(t) for t in args[:n_out]]
            code.append(K_OTHER)
            code.append(len(others))
            # the state slot float ops OR their flags into (-1: the op raises none)
            fslot = fp_flags_offset >> 3 if fp_flags_offset >= 0 and op.opc in RAISING else -1
            others.append((op.opc, op.defn.base, _WIDTH[x], ins, outs,
                           tuple([int(c) for c in args[n:]]), fslot))  # fmt: skip
    for at, key in fixups:
        code[at] = labels[key]
    return Program(code, b.init, tuple(calls) if calls else (), tuple(others) if others else ())


def _int(x: Any) -> int:
    """An op's constant argument as an int (compiled: a type check and an unboxing,
    where ``int(x)`` is a generic call; an IntEnum constant stays one interpreted,
    which the interpreter treats alike)."""
    return x  # type: ignore[no-any-return]
