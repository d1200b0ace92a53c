"""The IR builder API: the methods a target calls on a context to emit ops.

Owns ``IRBuilder``, the base class of ``TCGContext``: ``emit``/``emit_def`` (any op
by name or definition, operands checked), ``const``, helper ``call``, the control
ops (labels, branches, TB exits), and one method per op family of ``ops.OPS``
(``add(out, a, b)``, ``setcond(out, a, b, cond)``, ``qemu_ld(out, addr, memop,
mmu_idx)``...).

Rules every builder follows:

* A family method picks the family's i32 or i64 (f32 or f64) op by the width of
  its first ``Temp`` operand, outputs first: ``add(out, a, b)`` with an i64
  ``out`` emits ``add_i64``. A family without that width raises ``TypeError``.
* An ``int`` where the op wants an input becomes a constant of the op's input
  width (``const``); constants are shared within the TB.
* Operands are checked against the op's definition before anything is
  appended: a wrong width, a non-temp or a constant as an output raise
  ``TypeError`` naming the op.

The family methods are written out, not made from the op table at import:
type checkers then see them, and mypyc (which compiles this module with the
targets that call it) calls them directly. ``tests`` check that every family
in ``ops.OPS`` has its method here.
"""

from __future__ import annotations

from typing import Any, Final

from .ir import Helper, Label, Op, Temp, TempKind
from .ops import OPS, OpDef
from .types import I32, I64, Cond, TCGType

#: a family's (name, i32 or f32 op, i64 or f64 op)
Family = tuple[str, OpDef | None, OpDef | None]


def _family(base: str, floats: bool = False) -> Family:
    s32, s64 = ("f32", "f64") if floats else ("i32", "i64")
    d32, d64 = OPS.get(f"{base}_{s32}"), OPS.get(f"{base}_{s64}")
    if d32 is None and d64 is None:
        raise KeyError(f"no op family {base!r}")
    return base, d32, d64


def _pick(f: Family, args: tuple[Any, ...]) -> OpDef:
    """The op of family ``f`` for the width of the first temp in ``args``."""
    for a in args:
        if type(a) is Temp:
            d = f[2] if a.type is _I64 else f[1]
            if d is None:
                raise TypeError(f"{f[0]} has no {a.type.suffix} form")
            return d
    raise TypeError(f"{f[0]}: needs at least one temp to know its width")


class IRBuilder:
    """Emission into the current TB's op list (see the module docstring).

    The per-TB lists are the context's (``TCGContext.reset`` makes them)."""

    ops: list[Op]
    #: constants by ``value`` (i64) or ``~value`` (i32): an int key allocates nothing,
    #: and a dict of ints and temps stays out of the cyclic collector
    _consts: dict[int, Temp]
    helpers_called: int

    # -- any op --------------------------------------------------------------

    def emit(self, opc: str, *args: Any) -> Op:
        """Append ``opc`` with ``args``; ints in temp positions become constants."""
        return self.emit_def(OPS[opc], args)

    def emit_def(self, d: OpDef, args: tuple[Any, ...]) -> Op:
        """``emit`` for a caller that holds the op's definition already."""
        opc = d.name
        n_out = d.n_out
        n = n_out + d.n_in
        if len(args) != n + d.n_const:
            raise TypeError(
                f"{opc} takes {d.n_out} outputs, {d.n_in} inputs and constants "
                f"{d.consts}; got {len(args)} arguments"
            )
        fixed = args
        ty = d.type
        for i in range(n_out):
            t = fixed[i]
            if type(t) is not Temp or t.type is not ty or t.kind is _CONST:
                _check(opc, t, ty, "output")
        j = n_out
        for ty in d.in_types:
            a = fixed[j]
            if type(a) is Temp:
                if a.type is not ty:
                    _check(opc, a, ty, "input")
            elif isinstance(a, int):
                fixed = (*fixed[:j], self.const(ty, a), *fixed[j + 1 :])
            else:
                _check(opc, a, ty, "input")
            j += 1
        if opc in _BRANCHES:
            fixed[-1].refs += 1  # the label, always the last constant
        op = Op(opc, fixed, n_out, d.n_in, 0, 0, d)
        self.ops.append(op)
        return op

    def const(self, type: TCGType, value: int) -> Temp:
        """The constant ``value`` (masked to the width), shared within the TB."""
        if type is _I32:
            value &= 0xFFFFFFFF  # type.mask, inlined
            key = ~value
        else:
            # compiled, the 64-bit mask is a wide-integer operation and the range test
            # (mypyc's short ints) a native one
            if not 0 <= value <= 0x3FFFFFFFFFFFFFFF:
                value &= 0xFFFFFFFFFFFFFFFF
            key = value
        t = self._consts.get(key)
        if t is None:
            t = Temp(type, _CONST, -1, value=value)
            self._consts[key] = t
        return t

    def call(self, helper: Helper, out: Temp | None, *ins: Temp | int) -> Op:
        """Call a Python helper (rare paths only: it shows in the IR dump and stats)."""
        if (out is None) != (helper.out_type is None):
            raise TypeError(f"helper {helper.name} returns {helper.out_type}, got output {out}")
        if len(ins) != len(helper.in_types):
            raise TypeError(f"helper {helper.name} takes {len(helper.in_types)} inputs")
        args: list[Any] = [] if out is None else [out]
        for a, ty in zip(ins, helper.in_types):
            args.append(self.const(ty, a) if isinstance(a, int) else a)
        args.append(helper)
        op = Op("call", tuple(args), 0 if out is None else 1, len(ins), 0, 0, _CALL)
        self.ops.append(op)
        self.helpers_called += 1
        return op

    # -- control -------------------------------------------------------------

    def set_label(self, label: Label) -> None:
        if label.placed:
            raise ValueError(f"label {label} placed twice")
        label.placed = True
        self.emit_def(_SET_LABEL, (label,))

    def br(self, label: Label) -> None:
        self.emit_def(_BR, (label,))

    def brcond(self, cond: Cond | int, a: Temp, b: Temp | int, label: Label) -> None:
        if type(a) is Temp and type(label) is Label:
            # the common case without emit_def's general checks (the same checks, inline)
            ty = a.type
            if ty is _I64 or ty is _I32:
                y = b if type(b) is Temp else self.const(ty, b) if isinstance(b, int) else None
                if y is not None and y.type is ty:
                    d = F_BRCOND[2] if ty is _I64 else F_BRCOND[1]
                    assert d is not None
                    label.refs += 1
                    self.ops.append(Op(d.name, (a, y, cond, label), 0, 2, 0, 0, d))
                    return
        args = (a, b, cond, label)
        self.emit_def(_pick(F_BRCOND, args), args)

    def goto_tb(self, slot: int) -> None:
        self.emit_def(_GOTO_TB, (slot,))

    def exit_tb(self, value: int) -> None:
        self.emit_def(_EXIT_TB, (value,))

    def goto_ptr(self, pc: Temp) -> None:
        self.emit_def(_GOTO_PTR, (pc,))

    def insn_start(self, pc: int, data: int = 0) -> None:
        # two constants and nothing to check: one per guest instruction, made directly
        self.ops.append(Op("insn_start", (pc, data), 0, 0, 0, 0, _INSN_START))

    def mb(self, kind: int = 15) -> None:
        """A memory barrier providing the ``MemOrder`` orderings ``kind`` (all of them
        unless told)."""
        self.emit_def(_MB, (int(kind),))

    # -- families: one output, one input -------------------------------------

    def unary(self, f: Family, out: Temp, a: Temp | int) -> Op:
        """The op of family ``f`` (an ``F_*`` constant of this module) on one input: what
        ``neg``, ``ext8u``... call, for a translator that picks the family at run time
        (no bound method made per choice)."""
        d = (f[2] if out.type is _I64 else f[1]) if type(out) is Temp else None
        if d is not None and d.n_in == 1 and not d.n_const and out.kind is not _CONST \
                and out.type is d.type:  # fmt: skip
            # the common case without emit_def's general checks (the same checks, inline)
            ty = d.in_types[0]
            if type(a) is Temp:
                if a.type is ty:
                    op = Op(d.name, (out, a), 1, 1, 0, 0, d)
                    self.ops.append(op)
                    return op
            elif isinstance(a, int):
                op = Op(d.name, (out, self.const(ty, a)), 1, 1, 0, 0, d)
                self.ops.append(op)
                return op
        args = (out, a)
        return self.emit_def(_pick(f, args), args)

    def mov(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_MOV, out, a)

    def neg(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_NEG, out, a)

    def not_(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_NOT, out, a)

    def ctpop(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_CTPOP, out, a)

    def bswap16(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_BSWAP16, out, a)

    def bswap32(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_BSWAP32, out, a)

    def bswap64(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_BSWAP64, out, a)

    def ext8s(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT8S, out, a)

    def ext8u(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT8U, out, a)

    def ext16s(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT16S, out, a)

    def ext16u(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT16U, out, a)

    def ext32s(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT32S, out, a)

    def ext32u(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_EXT32U, out, a)

    def fneg(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_FNEG, out, a)

    def fabs(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_FABS, out, a)

    def fclass(self, out: Temp, a: Temp | int) -> Op:
        return self.unary(F_FCLASS, out, a)

    # -- families: one output, two inputs ------------------------------------

    def binary(self, f: Family, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        """The op of family ``f`` (an ``F_*`` constant) on two inputs (``unary``'s twin)."""
        d = (f[2] if out.type is _I64 else f[1]) if type(out) is Temp else None
        if d is not None and d.n_in == 2 and not d.n_const and out.kind is not _CONST \
                and out.type is d.type:  # fmt: skip
            # the common case without emit_def's general checks (the same checks, inline)
            tys = d.in_types
            x = a if type(a) is Temp else self.const(tys[0], a) if isinstance(a, int) else None
            y = b if type(b) is Temp else self.const(tys[1], b) if isinstance(b, int) else None
            if x is not None and y is not None and x.type is tys[0] and y.type is tys[1]:
                op = Op(d.name, (out, x, y), 1, 2, 0, 0, d)
                self.ops.append(op)
                return op
        args = (out, a, b)
        return self.emit_def(_pick(f, args), args)

    def add(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_ADD, out, a, b)

    def sub(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_SUB, out, a, b)

    def mul(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_MUL, out, a, b)

    def and_(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_AND, out, a, b)

    def or_(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_OR, out, a, b)

    def xor(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_XOR, out, a, b)

    def andc(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_ANDC, out, a, b)

    def orc(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_ORC, out, a, b)

    def eqv(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_EQV, out, a, b)

    def nand(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_NAND, out, a, b)

    def nor(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_NOR, out, a, b)

    def shl(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_SHL, out, a, b)

    def shr(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_SHR, out, a, b)

    def sar(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_SAR, out, a, b)

    def rotl(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_ROTL, out, a, b)

    def rotr(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_ROTR, out, a, b)

    def muluh(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_MULUH, out, a, b)

    def mulsh(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_MULSH, out, a, b)

    def div(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_DIV, out, a, b)

    def divu(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_DIVU, out, a, b)

    def rem(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_REM, out, a, b)

    def remu(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_REMU, out, a, b)

    def clz(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        """Leading zeros of ``a``; ``b`` when ``a`` is zero."""
        return self.binary(F_CLZ, out, a, b)

    def ctz(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        """Trailing zeros of ``a``; ``b`` when ``a`` is zero."""
        return self.binary(F_CTZ, out, a, b)

    def fmin(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_FMIN, out, a, b)

    def fmax(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_FMAX, out, a, b)

    def fminnm(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_FMINNM, out, a, b)

    def fmaxnm(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        return self.binary(F_FMAXNM, out, a, b)

    def fcmp(self, out: Temp, a: Temp | int, b: Temp | int) -> Op:
        """1/2/4/8 for less/equal/greater/unordered."""
        return self.binary(F_FCMP, out, a, b)

    # -- families with constants ---------------------------------------------

    def movi(self, out: Temp, value: int) -> Op:
        if type(out) is Temp and out.kind is not _CONST:  # the common case, made directly
            d = F_MOVI[2] if out.type is _I64 else F_MOVI[1]
            if d is not None and out.type is d.type:
                op = Op(d.name, (out, value), 1, 0, 0, 0, d)
                self.ops.append(op)
                return op
        args = (out, value)
        return self.emit_def(_pick(F_MOVI, args), args)

    def extract(self, out: Temp, a: Temp | int, pos: int, len: int) -> Op:
        args = (out, a, pos, len)
        return self.emit_def(_pick(F_EXTRACT, args), args)

    def sextract(self, out: Temp, a: Temp | int, pos: int, len: int) -> Op:
        args = (out, a, pos, len)
        return self.emit_def(_pick(F_SEXTRACT, args), args)

    def deposit(self, out: Temp, a: Temp | int, b: Temp | int, pos: int, len: int) -> Op:
        args = (out, a, b, pos, len)
        return self.emit_def(_pick(F_DEPOSIT, args), args)

    def setcond(self, out: Temp, a: Temp | int, b: Temp | int, cond: Cond | int) -> Op:
        args = (out, a, b, cond)
        return self.emit_def(_pick(F_SETCOND, args), args)

    def negsetcond(self, out: Temp, a: Temp | int, b: Temp | int, cond: Cond | int) -> Op:
        args = (out, a, b, cond)
        return self.emit_def(_pick(F_NEGSETCOND, args), args)

    def movcond(self, out: Temp, c1: Temp | int, c2: Temp | int, v1: Temp | int,
                v2: Temp | int, cond: Cond | int) -> Op:  # fmt: skip
        """``out = v1 if c1 cond c2 else v2``."""
        args = (out, c1, c2, v1, v2, cond)
        return self.emit_def(_pick(F_MOVCOND, args), args)

    def mulu2(self, lo: Temp, hi: Temp, a: Temp | int, b: Temp | int) -> Op:
        args = (lo, hi, a, b)
        return self.emit_def(_pick(F_MULU2, args), args)

    def muls2(self, lo: Temp, hi: Temp, a: Temp | int, b: Temp | int) -> Op:
        args = (lo, hi, a, b)
        return self.emit_def(_pick(F_MULS2, args), args)

    def add2(self, lo: Temp, hi: Temp, al: Temp | int, ah: Temp | int, bl: Temp | int,
             bh: Temp | int) -> Op:  # fmt: skip
        args = (lo, hi, al, ah, bl, bh)
        return self.emit_def(_pick(F_ADD2, args), args)

    def sub2(self, lo: Temp, hi: Temp, al: Temp | int, ah: Temp | int, bl: Temp | int,
             bh: Temp | int) -> Op:  # fmt: skip
        args = (lo, hi, al, ah, bl, bh)
        return self.emit_def(_pick(F_SUB2, args), args)

    # -- crypto on 128-bit values as (lo, hi) pairs (optional ops: see tcg.crypto) --

    def aese(self, lo: Temp, hi: Temp, state_lo: Temp | int, state_hi: Temp | int,
             key_lo: Temp | int, key_hi: Temp | int) -> Op:  # fmt: skip
        """AES SubBytes(ShiftRows(state ^ key)) (hosts that lower the op)."""
        args = (lo, hi, state_lo, state_hi, key_lo, key_hi)
        return self.emit_def(_pick(F_AESE, args), args)

    def aesd(self, lo: Temp, hi: Temp, state_lo: Temp | int, state_hi: Temp | int,
             key_lo: Temp | int, key_hi: Temp | int) -> Op:  # fmt: skip
        """AES InvSubBytes(InvShiftRows(state ^ key))."""
        args = (lo, hi, state_lo, state_hi, key_lo, key_hi)
        return self.emit_def(_pick(F_AESD, args), args)

    def aesmc(self, lo: Temp, hi: Temp, state_lo: Temp | int, state_hi: Temp | int) -> Op:
        """AES MixColumns."""
        args = (lo, hi, state_lo, state_hi)
        return self.emit_def(_pick(F_AESMC, args), args)

    def aesimc(self, lo: Temp, hi: Temp, state_lo: Temp | int, state_hi: Temp | int) -> Op:
        """AES InvMixColumns."""
        args = (lo, hi, state_lo, state_hi)
        return self.emit_def(_pick(F_AESIMC, args), args)

    def clmul(self, lo: Temp, hi: Temp, a: Temp | int, b: Temp | int) -> Op:
        """The 128-bit carry-less product of two 64-bit values."""
        args = (lo, hi, a, b)
        return self.emit_def(_pick(F_CLMUL, args), args)

    def sha256h(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int,
                y_lo: Temp | int, y_hi: Temp | int, w_lo: Temp | int,
                w_hi: Temp | int) -> Op:  # fmt: skip
        """Four SHA-256 rounds on (a, b, c, d) = x, (e, f, g, h) = y: the new abcd."""
        args = (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
        return self.emit_def(_pick(F_SHA256H, args), args)

    def sha256h2(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int,
                 y_lo: Temp | int, y_hi: Temp | int, w_lo: Temp | int,
                 w_hi: Temp | int) -> Op:  # fmt: skip
        """The same four rounds: the new efgh."""
        args = (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
        return self.emit_def(_pick(F_SHA256H2, args), args)

    def sha256su0(self, lo: Temp, hi: Temp, d_lo: Temp | int, d_hi: Temp | int,
                  n_lo: Temp | int, n_hi: Temp | int) -> Op:  # fmt: skip
        """SHA-256 message schedule, first part (A64 SHA256SU0)."""
        args = (lo, hi, d_lo, d_hi, n_lo, n_hi)
        return self.emit_def(_pick(F_SHA256SU0, args), args)

    def sha256su1(self, lo: Temp, hi: Temp, d_lo: Temp | int, d_hi: Temp | int,
                  n_lo: Temp | int, n_hi: Temp | int, m_lo: Temp | int,
                  m_hi: Temp | int) -> Op:  # fmt: skip
        """SHA-256 message schedule, second part (A64 SHA256SU1)."""
        args = (lo, hi, d_lo, d_hi, n_lo, n_hi, m_lo, m_hi)
        return self.emit_def(_pick(F_SHA256SU1, args), args)

    def sha1c(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int, e: Temp | int,
              w_lo: Temp | int, w_hi: Temp | int) -> Op:  # fmt: skip
        """Four SHA-1 rounds with Choose on (a, b, c, d) = x and e: the new abcd."""
        return self.emit_def(_pick(F_SHA1C, args := (lo, hi, x_lo, x_hi, e, w_lo, w_hi)), args)

    def sha1p(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int, e: Temp | int,
              w_lo: Temp | int, w_hi: Temp | int) -> Op:  # fmt: skip
        """The same with Parity (A64 SHA1P)."""
        return self.emit_def(_pick(F_SHA1P, args := (lo, hi, x_lo, x_hi, e, w_lo, w_hi)), args)

    def sha1m(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int, e: Temp | int,
              w_lo: Temp | int, w_hi: Temp | int) -> Op:  # fmt: skip
        """The same with Majority (A64 SHA1M)."""
        return self.emit_def(_pick(F_SHA1M, args := (lo, hi, x_lo, x_hi, e, w_lo, w_hi)), args)

    def sha1su1(self, lo: Temp, hi: Temp, d_lo: Temp | int, d_hi: Temp | int,
                n_lo: Temp | int, n_hi: Temp | int) -> Op:  # fmt: skip
        """SHA-1 message schedule, second part (A64 SHA1SU1)."""
        return self.emit_def(_pick(F_SHA1SU1, args := (lo, hi, d_lo, d_hi, n_lo, n_hi)), args)

    def sha512h(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int,
                y_lo: Temp | int, y_hi: Temp | int, w_lo: Temp | int,
                w_hi: Temp | int) -> Op:  # fmt: skip
        """Two SHA-512 rounds' T1 (A64 SHA512H: x = Vn, y = Vm, w = Vd)."""
        args = (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
        return self.emit_def(_pick(F_SHA512H, args), args)

    def sha512h2(self, lo: Temp, hi: Temp, x_lo: Temp | int, x_hi: Temp | int,
                 y_lo: Temp | int, y_hi: Temp | int, w_lo: Temp | int,
                 w_hi: Temp | int) -> Op:  # fmt: skip
        """Two SHA-512 rounds' new a (A64 SHA512H2)."""
        args = (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
        return self.emit_def(_pick(F_SHA512H2, args), args)

    def sha512su0(self, lo: Temp, hi: Temp, d_lo: Temp | int, d_hi: Temp | int,
                  n_lo: Temp | int, n_hi: Temp | int) -> Op:  # fmt: skip
        """SHA-512 message schedule, first part (A64 SHA512SU0)."""
        return self.emit_def(_pick(F_SHA512SU0, args := (lo, hi, d_lo, d_hi, n_lo, n_hi)), args)

    def sha512su1(self, lo: Temp, hi: Temp, d_lo: Temp | int, d_hi: Temp | int,
                  n_lo: Temp | int, n_hi: Temp | int, m_lo: Temp | int,
                  m_hi: Temp | int) -> Op:  # fmt: skip
        """SHA-512 message schedule, second part (A64 SHA512SU1)."""
        args = (lo, hi, d_lo, d_hi, n_lo, n_hi, m_lo, m_hi)
        return self.emit_def(_pick(F_SHA512SU1, args), args)

    # -- CPU state and guest memory ------------------------------------------

    def _ld(self, f: Family, out: Temp, offset: int) -> Op:
        args = (out, offset)
        return self.emit_def(_pick(f, args), args)

    def ld8u(self, out: Temp, offset: int) -> Op:
        """Load from the CPU state at byte ``offset`` (also ld8s ... ld32s, ld)."""
        return self._ld(F_LD8U, out, offset)

    def ld8s(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD8S, out, offset)

    def ld16u(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD16U, out, offset)

    def ld16s(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD16S, out, offset)

    def ld32u(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD32U, out, offset)

    def ld32s(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD32S, out, offset)

    def ld(self, out: Temp, offset: int) -> Op:
        return self._ld(F_LD, out, offset)

    def _st(self, f: Family, value: Temp | int, offset: int) -> Op:
        args = (value, offset)
        return self.emit_def(_pick(f, args), args)

    def st8(self, value: Temp | int, offset: int) -> Op:
        """Store into the CPU state at byte ``offset`` (also st16, st32, st)."""
        return self._st(F_ST8, value, offset)

    def st16(self, value: Temp | int, offset: int) -> Op:
        return self._st(F_ST16, value, offset)

    def st32(self, value: Temp | int, offset: int) -> Op:
        return self._st(F_ST32, value, offset)

    def st(self, value: Temp | int, offset: int) -> Op:
        return self._st(F_ST, value, offset)

    def qemu_ld(self, out: Temp, addr: Temp | int, memop: int, mmu_idx: int) -> Op:
        """Load guest memory at ``addr`` (i64) as ``memop`` says."""
        if type(out) is Temp and type(addr) is Temp and out.type is _I64 \
                and addr.type is _I64 and out.kind is not _CONST:  # fmt: skip
            op = Op("qemu_ld_i64", (out, addr, memop, mmu_idx), 1, 1, 0, 0, _LD64)
            self.ops.append(op)  # the common case, without emit_def's general checks
            return op
        args = (out, addr, memop, mmu_idx)
        return self.emit_def(_pick(_F_QEMU_LD, args), args)

    def qemu_st(self, value: Temp | int, addr: Temp | int, memop: int, mmu_idx: int) -> Op:
        """Store ``value`` to guest memory at ``addr`` (i64) as ``memop`` says."""
        if type(value) is Temp and type(addr) is Temp and value.type is _I64 \
                and addr.type is _I64:  # fmt: skip
            op = Op("qemu_st_i64", (value, addr, memop, mmu_idx), 0, 2, 0, 0, _ST64)
            self.ops.append(op)
            return op
        args = (value, addr, memop, mmu_idx)
        return self.emit_def(_pick(_F_QEMU_ST, args), args)

    def atomic_cmpxchg(self, out: Temp, addr: Temp | int, expected: Temp | int,
                       new: Temp | int, memop: int, mmu_idx: int) -> Op:  # fmt: skip
        args = (out, addr, expected, new, memop, mmu_idx)
        return self.emit_def(_pick(F_CMPXCHG, args), args)

    def atomic_fetch(self, out: Temp, addr: Temp | int, value: Temp | int, memop: int,
                     mmu_idx: int, aop: int) -> Op:  # fmt: skip
        """``out`` = the value at ``addr``, replaced atomically by what the
        ``AtomicOp`` ``aop`` makes of it and ``value`` (hosts that lower the op)."""
        args = (out, addr, value, memop, mmu_idx, aop)
        return self.emit_def(_pick(F_FETCH, args), args)

    def atomic_cmpxchg2(self, lo: Temp, hi: Temp, addr: Temp | int, cmp_lo: Temp | int,
                        cmp_hi: Temp | int, new_lo: Temp | int, new_hi: Temp | int,
                        memop: int, mmu_idx: int) -> Op:  # fmt: skip
        """``lo, hi`` = the 16-byte pair at ``addr``, replaced atomically by
        ``new_hi:new_lo`` if it is ``cmp_hi:cmp_lo`` (hosts that lower the op)."""
        args = (lo, hi, addr, cmp_lo, cmp_hi, new_lo, new_hi, memop, mmu_idx)
        return self.emit_def(_pick(F_CMPXCHG2, args), args)

    # -- floating point (IEEE encodings in i32/i64 temps) ----------------------

    def _farith(self, f: Family, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        args = (out, a, b, rm)
        return self.emit_def(_pick(f, args), args)

    def fadd(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FADD, out, a, b, rm)

    def fsub(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FSUB, out, a, b, rm)

    def fmul(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FMUL, out, a, b, rm)

    def fdiv(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FDIV, out, a, b, rm)

    def fsqrt(self, out: Temp, a: Temp | int, rm: int) -> Op:
        args = (out, a, rm)
        return self.emit_def(_pick(F_FSQRT, args), args)

    def frint(self, out: Temp, a: Temp | int, rm: int) -> Op:
        args = (out, a, rm)
        return self.emit_def(_pick(F_FRINT, args), args)

    def fma(self, out: Temp, a: Temp | int, b: Temp | int, c: Temp | int, rm: int) -> Op:
        """``a * b + c`` with one rounding."""
        args = (out, a, b, c, rm)
        return self.emit_def(_pick(F_FMA, args), args)

    # the flush-to-zero twins (optional: Arm's FPCR.FZ in the op, ``softfloat.fz_op``)

    def fadd_fz(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FADD_FZ, out, a, b, rm)

    def fsub_fz(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FSUB_FZ, out, a, b, rm)

    def fmul_fz(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FMUL_FZ, out, a, b, rm)

    def fdiv_fz(self, out: Temp, a: Temp | int, b: Temp | int, rm: int) -> Op:
        return self._farith(F_FDIV_FZ, out, a, b, rm)

    def fma_fz(self, out: Temp, a: Temp | int, b: Temp | int, c: Temp | int, rm: int) -> Op:
        args = (out, a, b, c, rm)
        return self.emit_def(_pick(F_FMA_FZ, args), args)

    def fnan2(self, out: Temp, r: Temp, a: Temp | int, b: Temp | int) -> Op:
        """``r`` unless ``a`` or ``b`` is a NaN: then the NaN IEEE 754 recommends
        (``softfloat.nan_pick``). Optional: only for hosts listing it."""
        args = (out, r, a, b)
        return self.emit_def(_pick(F_FNAN2, args), args)

    def fnan3(self, out: Temp, r: Temp, a: Temp | int, b: Temp | int, c: Temp | int,
              fma: int) -> Op:  # fmt: skip
        """``fnan2`` over three operands; ``fma``: FPMulAdd's default NaN for a quiet-NaN
        ``a`` with ``b * c`` an infinity times a zero."""
        args = (out, r, a, b, c, fma)
        return self.emit_def(_pick(F_FNAN3, args), args)

    # -- conversions between widths (the op names say the direction) ---------

    def fcvt_f64_f32(self, out: Temp, a: Temp | int, rm: int) -> Op:
        return self.emit_def(_FCVT_F64_F32, (out, a, rm))

    def fcvt_f32_f64(self, out: Temp, a: Temp | int, rm: int) -> Op:
        return self.emit_def(_FCVT_F32_F64, (out, a, rm))

    def itof_f32(self, out: Temp, a: Temp | int, signed: int, rm: int) -> Op:
        return self.emit_def(_ITOF_F32, (out, a, signed, rm))

    def itof_f64(self, out: Temp, a: Temp | int, signed: int, rm: int) -> Op:
        return self.emit_def(_ITOF_F64, (out, a, signed, rm))

    def ftoi_f32(self, out: Temp, a: Temp | int, signed: int, bits: int, rm: int) -> Op:
        return self.emit_def(_FTOI_F32, (out, a, signed, bits, rm))

    def ftoi_f64(self, out: Temp, a: Temp | int, signed: int, bits: int, rm: int) -> Op:
        return self.emit_def(_FTOI_F64, (out, a, signed, bits, rm))

    def extrl_i64_i32(self, out: Temp, a: Temp | int) -> Op:
        return self.emit_def(_EXTRL_I64_I32, (out, a))

    def extrh_i64_i32(self, out: Temp, a: Temp | int) -> Op:
        return self.emit_def(_EXTRH_I64_I32, (out, a))

    def extu_i32_i64(self, out: Temp, a: Temp | int) -> Op:
        return self.emit_def(_EXTU_I32_I64, (out, a))

    def ext_i32_i64(self, out: Temp, a: Temp | int) -> Op:
        return self.emit_def(_EXT_I32_I64, (out, a))


def _check(opc: str, t: object, ty: TCGType | None, role: str) -> None:
    """Raise the TypeError that says what is wrong with operand ``t`` (if anything)."""
    if not isinstance(t, Temp):
        raise TypeError(f"{opc}: {role} must be a Temp, not {t!r}")
    if ty is not None and t.type is not ty:
        raise TypeError(f"{opc}: {role} {t!r} is {t.type.suffix}, the op wants {ty.suffix}")
    if role == "output" and t.kind is TempKind.CONST:
        raise TypeError(f"{opc}: cannot write to the constant {t!r}")


_CONST: Final = TempKind.CONST
_LD64: Final = OPS["qemu_ld_i64"]
_ST64: Final = OPS["qemu_st_i64"]
_I32: Final = I32
_I64: Final = I64
_CALL: Final = OPS["call"]
_SET_LABEL: Final = OPS["set_label"]
_BR: Final = OPS["br"]
_GOTO_TB: Final = OPS["goto_tb"]
_EXIT_TB: Final = OPS["exit_tb"]
_GOTO_PTR: Final = OPS["goto_ptr"]
_INSN_START: Final = OPS["insn_start"]
_MB: Final = OPS["mb"]
#: ops whose last constant is a label they branch to (set_label defines it instead)
_BRANCHES: Final = frozenset(d.name for d in OPS.values() if d.consts[-1:] == ("label",)) - {
    "set_label"
}

#: the op families a translator may pass to ``unary``/``binary`` (and the methods use)
F_MOV: Final = _family("mov")
F_NEG: Final = _family("neg")
F_NOT: Final = _family("not")
F_CTPOP: Final = _family("ctpop")
F_BSWAP16: Final = _family("bswap16")
F_BSWAP32: Final = _family("bswap32")
F_BSWAP64: Final = _family("bswap64")
F_EXT8S: Final = _family("ext8s")
F_EXT8U: Final = _family("ext8u")
F_EXT16S: Final = _family("ext16s")
F_EXT16U: Final = _family("ext16u")
F_EXT32S: Final = _family("ext32s")
F_EXT32U: Final = _family("ext32u")
F_FNEG: Final = _family("fneg", floats=True)
F_FABS: Final = _family("fabs", floats=True)
F_FCLASS: Final = _family("fclass", floats=True)
F_ADD: Final = _family("add")
F_SUB: Final = _family("sub")
F_MUL: Final = _family("mul")
F_AND: Final = _family("and")
F_OR: Final = _family("or")
F_XOR: Final = _family("xor")
F_ANDC: Final = _family("andc")
F_ORC: Final = _family("orc")
F_EQV: Final = _family("eqv")
F_NAND: Final = _family("nand")
F_NOR: Final = _family("nor")
F_SHL: Final = _family("shl")
F_SHR: Final = _family("shr")
F_SAR: Final = _family("sar")
F_ROTL: Final = _family("rotl")
F_ROTR: Final = _family("rotr")
F_MULUH: Final = _family("muluh")
F_MULSH: Final = _family("mulsh")
F_DIV: Final = _family("div")
F_DIVU: Final = _family("divu")
F_REM: Final = _family("rem")
F_REMU: Final = _family("remu")
F_CLZ: Final = _family("clz")
F_CTZ: Final = _family("ctz")
F_FMIN: Final = _family("fmin", floats=True)
F_FMAX: Final = _family("fmax", floats=True)
F_FMINNM: Final = _family("fminnm", floats=True)
F_FMAXNM: Final = _family("fmaxnm", floats=True)
F_FCMP: Final = _family("fcmp", floats=True)
F_MOVI: Final = _family("movi")
F_EXTRACT: Final = _family("extract")
F_SEXTRACT: Final = _family("sextract")
F_DEPOSIT: Final = _family("deposit")
F_SETCOND: Final = _family("setcond")
F_NEGSETCOND: Final = _family("negsetcond")
F_MOVCOND: Final = _family("movcond")
F_BRCOND: Final = _family("brcond")
F_MULU2: Final = _family("mulu2")
F_MULS2: Final = _family("muls2")
F_ADD2: Final = _family("add2")
F_SUB2: Final = _family("sub2")
F_AESE: Final = _family("aese")
F_AESD: Final = _family("aesd")
F_AESMC: Final = _family("aesmc")
F_AESIMC: Final = _family("aesimc")
F_CLMUL: Final = _family("clmul")
F_SHA256H: Final = _family("sha256h")
F_SHA256H2: Final = _family("sha256h2")
F_SHA256SU0: Final = _family("sha256su0")
F_SHA256SU1: Final = _family("sha256su1")
F_SHA1C: Final = _family("sha1c")
F_SHA1P: Final = _family("sha1p")
F_SHA1M: Final = _family("sha1m")
F_SHA1SU1: Final = _family("sha1su1")
F_SHA512H: Final = _family("sha512h")
F_SHA512H2: Final = _family("sha512h2")
F_SHA512SU0: Final = _family("sha512su0")
F_SHA512SU1: Final = _family("sha512su1")
F_LD8U: Final = _family("ld8u")
F_LD8S: Final = _family("ld8s")
F_LD16U: Final = _family("ld16u")
F_LD16S: Final = _family("ld16s")
F_LD32U: Final = _family("ld32u")
F_LD32S: Final = _family("ld32s")
F_LD: Final = _family("ld")
F_ST8: Final = _family("st8")
F_ST16: Final = _family("st16")
F_ST32: Final = _family("st32")
F_ST: Final = _family("st")
_F_QEMU_LD: Final = _family("qemu_ld")
_F_QEMU_ST: Final = _family("qemu_st")
F_CMPXCHG: Final = _family("atomic_cmpxchg")
F_FETCH: Final = _family("atomic_fetch")
F_CMPXCHG2: Final = _family("atomic_cmpxchg2")
F_FADD: Final = _family("fadd", floats=True)
F_FSUB: Final = _family("fsub", floats=True)
F_FMUL: Final = _family("fmul", floats=True)
F_FDIV: Final = _family("fdiv", floats=True)
F_FSQRT: Final = _family("fsqrt", floats=True)
F_FRINT: Final = _family("frint", floats=True)
F_FMA: Final = _family("fma", floats=True)
F_FADD_FZ: Final = _family("fadd_fz", floats=True)
F_FSUB_FZ: Final = _family("fsub_fz", floats=True)
F_FMUL_FZ: Final = _family("fmul_fz", floats=True)
F_FDIV_FZ: Final = _family("fdiv_fz", floats=True)
F_FMA_FZ: Final = _family("fma_fz", floats=True)
F_FNAN2: Final = _family("fnan2", floats=True)
F_FNAN3: Final = _family("fnan3", floats=True)
_FCVT_F64_F32: Final = OPS["fcvt_f64_f32"]
_FCVT_F32_F64: Final = OPS["fcvt_f32_f64"]
_ITOF_F32: Final = OPS["itof_f32"]
_ITOF_F64: Final = OPS["itof_f64"]
_FTOI_F32: Final = OPS["ftoi_f32"]
_FTOI_F64: Final = OPS["ftoi_f64"]
_EXTRL_I64_I32: Final = OPS["extrl_i64_i32"]
_EXTRH_I64_I32: Final = OPS["extrh_i64_i32"]
_EXTU_I32_I64: Final = OPS["extu_i32_i64"]
_EXT_I32_I64: Final = OPS["ext_i32_i64"]
