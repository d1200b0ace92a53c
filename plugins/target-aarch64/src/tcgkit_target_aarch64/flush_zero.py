"""FPCR.FZ and FPCR.FZ16, flush to zero, for single and double precision and for
half-precision arithmetic.

Owns the passes ``flush_insn`` runs over the IR of one instruction when the TB's
flags have ``FLAG_FZ``, or ``FLAG_FZ16`` and the instruction computes on halves
(``AArch64Target.translate_insn``), and ``flush_in`` (the flush of one operand, for
the translators that compute a float result with integer ops: the estimates,
FRECPX, FCVTXN, FJCVTZS, FCVT to half).

Arm's rules (FPUnpack, FPRound with FPCR.AH = 0): a subnormal operand counts as a
zero of its sign; a result whose exact value is below the smallest normal number in
magnitude is a zero of its sign, decided before rounding (a product just below
2^-126 that rounds up to it is flushed too). The IR's float ops have neither rule
(``tcgkit.tcg.softfloat``). FPSR (the float ops' flags word,
``target.fp_flags_offset``): a flushed operand raises IDC; a flushed result raises
UFC and nothing else (no IXC).

FZ (``flush_ops_fz``): programs built with gcc's -ffast-math run with FZ set from
their start-up code, so their float arithmetic must stay in generated code. Where
the host lowers the optional flush-to-zero ops (``fadd_fz_f32`` ... ``fma_fz_f64``:
``softfloat.fz_op``, the rules below in one op with its test and rare slow path in
the host's code), a sum, difference, product, quotient or fused op becomes its twin
(``_FZ_TWIN``) and nothing else. Elsewhere, a
product, quotient, fused multiply-add or narrowing conversion (``_BRANCHING``) runs
as itself after a test of its operands (three integer ops each: no subnormal) and of
its result's tininess by its operands' exponents (``_to_fast_unless_tiny``: a few
integer ops and branches that prove the exact result not tiny, or a zero, an
infinity or a NaN); a subnormal operand makes it one call of ``fz_helper`` (the op
with Arm's rules), a result that may be tiny one call of ``tiny_helper`` (an exact
test in integer arithmetic), except a single-precision fused op whose terms nearly
cancel, decided exactly in doubles (``_fma_f32_close``). No FPSR update on the
common path. The other ops of ``FLUSH_IN`` keep the branch-free IR below (a label
ends a basic block, where the guest registers go back to memory): a sum is tiny
exactly when its rounded value is (a tiny sum is exact: two floats' sum is a
multiple of the smallest subnormal), flushed after the op, IDC and UFC in one FPSR
update.

FZ16 (``flush_ops``; ``_flush_op`` per op, which FZ's other ops share) puts the rules
in IR around each op:

* every float input of ``FLUSH_IN``'s ops goes through ``flush_in`` (three ops:
  magnitude below the threshold -> the sign alone);
* ``FLUSH_OUT``'s sums are computed a second time rounding toward zero, which is
  below the threshold exactly when the exact result is, and the result becomes the
  zero of its own sign; quotients and fused ops run as themselves when their
  operands' exponents prove them not tiny, else after ``tiny_helper``, an exact
  test in integer arithmetic.

Half-precision arithmetic computes on doubles (``trans_fp16``), whose values from
halves are never subnormal, so FZ leaves it alone as Arm does. Under FZ16 the
widening of an operand (``from_half``) turns a subnormal half into a zero (raising
nothing: Arm's FPUnpack raises IDC for singles and doubles only) and marks the
instruction (``dc.extra["fz16"]``); the pass then flushes its double-precision ops
at the smallest normal half, 2^-14, instead (a double below it is exactly a result
below the smallest normal half), with UFC alone as under FZ (sums and products of
widened halves are exact; quotients and fused operations take the helper), and its
single-precision ones (FMLAL's accumulation) as FZ says.
"""

from __future__ import annotations

from typing import Any, Final

from tcgkit.target import DisasContext
from tcgkit.tcg import softfloat as sf
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.fpflags import IDC, UFC, op_flags
from tcgkit.tcg.ir import Helper, Label, Op, Temp, TempKind
from tcgkit.tcg.ops import OpDef, opdef
from tcgkit.tcg.semantics import evaluate_op
from tcgkit.tcg.softfloat import FMT, FZ_BASES, Fmt, tiny_sign
from tcgkit.tcg.types import I32, I64, CallFlags, RoundingMode

from .aliases import COND_EQ, COND_GE, COND_GEU, COND_GT, COND_LE, COND_LT, COND_LTU, COND_NE
from .lanes import or_fpsr, or_fpsr_bits
from .state import FLAG_FZ, FLAG_FZ16, SLOT_FPSR

#: ops whose float inputs are flushed (by base; conversions by full name)
FLUSH_IN: Final = frozenset({"fadd", "fsub", "fmul", "fdiv", "fsqrt", "fma", "fmin", "fmax",
                             "fminnm", "fmaxnm", "fcmp", "frint", "fcvt_f64_f32", "fcvt_f32_f64",
                             "ftoi_f32", "ftoi_f64"})  # fmt: skip
#: ops whose result is flushed when tiny (the last constant is the rounding mode)
FLUSH_OUT: Final = frozenset({"fadd", "fsub", "fmul", "fdiv", "fma", "fcvt_f64_f32"})
#: the ops whose tininess test under FZ branches anyway (``flush_ops_fz`` adds the
#: operands' test to it; the others keep branch-free IR: a label ends a basic block,
#: where guest registers go back to memory)
_BRANCHING: Final = frozenset({"fmul", "fdiv", "fma", "fcvt_f64_f32"})
#: the ops whose flush-to-zero twin (``fadd_f32`` -> ``fadd_fz_f32``: optional ops,
#: ``tcgkit.tcg.ops``) replaces ``flush_ops_fz``'s IR on the hosts that lower it
_FZ_TWIN: Final = {f"{b}_{s}": f"{b}_fz_{s}" for b in FZ_BASES for s in ("f32", "f64")}
#: 2^-126, the smallest normal single, as a double's encoding
_F32_MIN_AS_F64: Final = (1023 - 126) << 52
#: the smallest normal number's encoding, by format width
MIN_NORMAL: Final = {16: 0x0400, 32: 0x00800000, 64: 0x0010000000000000}
#: the thresholds of FZ: single and double precision at their own smallest normal
FZ_LIMITS: Final = {32: MIN_NORMAL[32], 64: MIN_NORMAL[64]}
#: FZ16's thresholds for an instruction on halves: 2^-14 (the smallest normal half) on
#: its doubles, and, with FZ too, the smallest normal single on its singles (FMLAL)
FZ16_LIMITS: Final = {64: 0x3F10000000000000}
FZ16_FZ_LIMITS: Final = {64: 0x3F10000000000000, 32: MIN_NORMAL[32]}


def fz(dc: DisasContext, bits: int = 64) -> bool:
    """FPCR.FZ (FPCR.FZ16 for ``bits`` 16): TB flags."""
    return bool(dc.flags & (FLAG_FZ16 if bits == 16 else FLAG_FZ))


def flush_in(dc: DisasContext, v: Temp, bits: int) -> Temp:
    """``v`` (a float of ``bits`` bits in its i32 or i64 temp), or the zero of its sign
    when FPCR.FZ (FZ16 for a half) is set and it is subnormal (raising IDC)."""
    if not fz(dc, bits):
        return v
    return _flush(dc.ctx, v, bits, MIN_NORMAL[bits], IDC if bits != 16 else 0)


def flush_out(dc: DisasContext, v: Temp, limit: int) -> Temp:
    """The double ``v``, a result computed exactly, or the zero of its sign when it is
    nonzero and below ``limit`` in magnitude (raising UFC then, and nothing else): FZ16's
    flush of a half-precision result that no flushed op made (a conversion from an
    integer or a fixed-point number)."""
    return _flush(dc.ctx, v, 64, limit, UFC)


def _flush_const(ctx: TCGContext, t: Temp, bits: int, limit: int,
                 raise_idc: bool = False) -> Temp:  # fmt: skip
    """A constant input flushed at translation time (raising IDC, with ``raise_idc``)."""
    sign = 1 << (bits - 1)
    v = t.value
    if v & (sign - 1) < limit and v & (sign - 1):
        if raise_idc:
            one = ctx.temp(I64)
            ctx.movi(one, 1)
            or_fpsr(ctx, one, IDC)
        return ctx.const(t.type, v & sign)
    return t


def flush_insn(dc: DisasContext, start: int, helpers: dict[tuple[Any, ...], Helper]) -> None:
    """After an instruction translated from op ``start`` on under FZ or FZ16: the pass
    with the thresholds its flags and its operands (halves or not) call for;
    ``helpers``: the target's cache of ``fz_helper``s and ``tiny_helper``s."""
    fz32_64 = bool(dc.flags & FLAG_FZ)
    if dc.extra.pop("fz16", False):  # on halves: ``from_half`` said so
        flush_ops(dc, start, FZ16_FZ_LIMITS if fz32_64 else FZ16_LIMITS, helpers)
    elif fz32_64:
        flush_ops_fz(dc, start, helpers)


def flush_ops(dc: DisasContext, start: int, limits: dict[int, int] = FZ_LIMITS,
              helpers: dict[tuple[Any, ...], Helper] | None = None) -> None:  # fmt: skip
    """Flush to zero around the float ops of ``dc.ctx.ops[start:]`` (the IR of the
    instruction just translated): see the module docstring. ``limits``: the
    magnitude below which a single (32) or double (64) is flushed; a width it leaves
    out is not. ``helpers``: ``tiny_helper``'s cache (None: a fresh one)."""
    if helpers is None:
        helpers = {}
    ctx = dc.ctx
    ops = ctx.ops
    tail = ops[start:]
    del ops[start:]
    for k, op in enumerate(tail):
        d = op.defn
        if (d.base if d.base in FLUSH_IN else d.name) not in FLUSH_IN:
            ops.append(op)
            continue
        _flush_op(dc, op, limits, helpers, tail[k + 1 :])


def _flush_op(dc: DisasContext, op: Op, limits: dict[int, int],
              helpers: dict[tuple[Any, ...], Helper], rest: list[Op]) -> None:  # fmt: skip
    """One float op of ``flush_ops`` (``rest``: the ops of the instruction after it)."""
    ctx = dc.ctx
    d = op.defn
    name = d.base if d.base in FLUSH_IN else d.name
    n_out = op.n_out
    args = list(op.args)
    tiny: Temp | None = None  # 1 when an operand was flushed (IDC), for one FPSR update
    for i, ty in enumerate(d.in_types):
        a = args[n_out + i]
        bits = 32 if ty is I32 else 64
        limit = limits.get(bits)
        if limit is None:
            continue
        idc = limit == MIN_NORMAL[bits]  # FZ proper (not FZ16's threshold on doubles)
        if a.kind is TempKind.CONST:
            args[n_out + i] = _flush_const(ctx, a, bits, limit, idc)
            continue
        args[n_out + i], mag = _flush_mag(ctx, a, bits, limit)
        if idc:  # (an op's float operands share one type)
            t = _tiny_nonzero(ctx, mag, limit)
            if tiny is not None:
                ctx.or_(t, t, tiny)
            tiny = t
    out_bits = 32 if d.type is I32 else 64
    limit = limits.get(out_bits)
    if name in FLUSH_OUT and limit is not None:
        # tiny only when exact: UFC alone (a sum; under FZ16's threshold a product
        # of widened halves too, exact in double precision)
        if d.base in ("fadd", "fsub") or (d.base == "fmul" and limit != MIN_NORMAL[out_bits]):
            _flushed_result(dc, op, args, limit, tiny)
            return
        if tiny is not None:
            or_fpsr(ctx, tiny, IDC)
        key = (d.name, limit)
        helper = helpers.get(key)
        if helper is None and d.name != "fcvt_f64_f32":  # (always tiny below the test)
            helper = helpers[key] = tiny_helper(d.name, limit)
        _native_unless_tiny(ctx, op, args, limit, helper, rest)
    else:
        if tiny is not None:
            or_fpsr(ctx, tiny, IDC)
        op.args = tuple(args)
        ctx.ops.append(op)


def flush_ops_fz(dc: DisasContext, start: int, helpers: dict[tuple[Any, ...], Helper]) -> None:
    """FPCR.FZ around the float ops of ``dc.ctx.ops[start:]`` (single and double
    precision flushed at their own smallest normal). A product, quotient, fused op or
    narrowing conversion (``_BRANCHING``: its tininess test branches anyway) runs as
    itself when a test of its operands (three integer ops each) finds no subnormal and
    its operands' exponents prove its result not tiny; a subnormal operand makes it one
    call of ``fz_helper`` (the op with Arm's rules), a result that may be tiny one
    call of ``tiny_helper`` (the exact test). No FPSR update on the common path. The
    other ops keep ``flush_ops``'s branch-free IR (a label ends a basic block, where
    the guest registers go back to memory): their operands flushed with movcond, IDC
    and a sum's UFC in one FPSR update."""
    ctx = dc.ctx
    ops = ctx.ops
    tail = ops[start:]
    del ops[start:]
    host_ops = dc.host_ops
    for k, op in enumerate(tail):
        d = op.defn
        name = d.base if d.base in FLUSH_IN else d.name
        if name not in FLUSH_IN:
            ops.append(op)
            continue
        twin = _FZ_TWIN.get(d.name)
        if twin is not None and twin in host_ops:  # the host computes FZ's rules itself
            ops.append(Op(twin, op.args, op.n_out, op.n_in, defn=opdef(twin)))
            continue
        if name not in _BRANCHING:
            _flush_op(dc, op, FZ_LIMITS, helpers, tail[k + 1 :])
            continue
        args = list(op.args)
        live: list[tuple[Temp, int]] = []  # the operands to test, and their width
        for i, ty in enumerate(d.in_types):
            a = args[1 + i]
            bits = 32 if ty is I32 else 64
            if a.kind is TempKind.CONST:
                args[1 + i] = _flush_const(ctx, a, bits, MIN_NORMAL[bits], True)
            else:
                live.append((a, bits))
        _fz_op(ctx, op, args, live, helpers, tail[k + 1 :])


def _fz_op(ctx: TCGContext, op: Op, args: list, live: list[tuple[Temp, int]],
           helpers: dict[tuple[Any, ...], Helper], rest: list[Op]) -> None:  # fmt: skip
    """One op of ``_BRANCHING`` (with ``args``, its constant operands flushed; ``live``:
    the others and their widths) under FZ: ``flush_ops_fz``. ``rest``: the ops of
    the instruction after it."""
    d = op.defn
    ty = d.type if d.type is not None else I64
    limit = MIN_NORMAL[32 if ty is I32 else 64]
    _outlive(args[1 : 1 + op.n_in], rest)
    slow: Label | None = None
    whole: Helper | None = None
    if live:  # a subnormal operand: the whole op in Python (a zero wraps to the top)
        slow = ctx.label()
        for a, bits in live:
            mag, m1 = ctx.temp(a.type), ctx.temp(a.type)
            ctx.and_(mag, a, (1 << (bits - 1)) - 1)
            ctx.sub(m1, mag, 1)
            ctx.brcond(COND_LTU, m1, MIN_NORMAL[bits] - 1, slow)
        consts = tuple(int(c) for c in args[1 + op.n_in :])
        key = ("fz", d.name, consts)
        whole = helpers.get(key)
        if whole is None:
            whole = helpers[key] = fz_helper(d.name, consts)
    tiny = None
    if d.name != "fcvt_f64_f32":  # (always tiny below the test)
        tiny = helpers.get((d.name, limit))
        if tiny is None:
            tiny = helpers[(d.name, limit)] = tiny_helper(d.name, limit)
    _native_unless_tiny(ctx, op, args, limit, tiny, rest, slow, whole)


def fz_helper(name: str, consts: tuple[int, ...]) -> Helper:
    """Float op ``name`` of ``_BRANCHING`` (a product, quotient, fused op or narrowing
    conversion) with constants ``consts`` under FPCR.FZ, exactly, as a helper of its
    IR inputs returning its result: subnormal operands are zeros of their sign (IDC);
    a result whose exact value is nonzero and below the smallest normal number in
    magnitude (``softfloat.tiny_sign``) is the zero of its sign (UFC and no other
    flag). ORs the flags into FPSR."""
    d = opdef(name)
    f, out = _formats(d)
    low = _limit_exponent(MIN_NORMAL[out.bits], out, f) - f.bias
    out_sign = out.sign_bit

    def run(cpu: Any, *ins: int) -> int:
        flags = IDC if any(sf.is_subnormal(f, x) for x in ins) else 0
        args = tuple([sf.flush_in(f, x) for x in ins])
        t = tiny_sign(d.base, f, args, low)
        if t:
            cpu.words[SLOT_FPSR] |= flags | UFC
            return out_sign if t < 0 else 0
        cpu.words[SLOT_FPSR] |= flags | op_flags(name, args, consts)
        return evaluate_op(name, d.base, out.bits, args, consts)[0]

    return Helper(f"a64_fz_{name}", run, CallFlags.NO_RWG, d.type, d.in_types)


def tiny_helper(name: str, limit: int) -> Helper:
    """A helper telling whether float op ``name``'s exact result (inputs flushed
    already) is nonzero and below ``limit`` (the smallest normal of the result's format,
    or FZ16's threshold) in magnitude: 0 when it is not, else the zero of the exact
    result's sign with bit 0 set (a tiny result is that zero, raising UFC alone, in every
    rounding mode): ``softfloat.tiny_sign``, exact integer arithmetic."""
    d = opdef(name)
    f, out = _formats(d)
    low = _limit_exponent(limit, out, f) - f.bias  # the limit is 2^low
    out_sign = out.sign_bit
    base = d.base

    def run(cpu: Any, *ins: int) -> int:
        t = tiny_sign(base, f, ins, low)
        return 0 if not t else (out_sign if t < 0 else 0) | 1

    return Helper(f"a64_fz_tiny_{name}", run, CallFlags.NO_RWG_SE, d.type, d.in_types)


def _native_unless_tiny(ctx: TCGContext, op: Op, args: list, limit: int, helper: Helper | None,
                        rest: list[Op], slow: Label | None = None,
                        whole: Helper | None = None) -> None:  # fmt: skip
    """``op`` (a product, quotient, fused op or narrowing conversion, inputs flushed,
    with ``args``) as itself when its operands' exponents show that its exact result
    cannot be below ``limit`` in magnitude (or is a zero, an infinity or a NaN), else
    after ``helper`` (``tiny_helper``) says so; a tiny result is the zero of its sign,
    raising UFC alone. The test costs a few integer ops and branches, so a program
    running with FZ (gcc's -ffast-math start-up sets it) computes in generated code:
    only operands near the bottom of the range take the call.

    The branches end basic blocks: the temps read across them (the op's inputs, and
    what the rest of the instruction, ``rest``, reads that was made before) become
    TB-scoped. ``slow``: a label the caller's tests branch to, where ``whole`` (the op
    under Arm's rules, ``fz_helper``) computes the result instead."""
    d = op.defn
    out = args[0]
    ins = args[1:-1]
    ty = d.type if d.type is not None else I64
    out_f = _formats(d)[1]
    _outlive(ins, rest)
    fast, done = ctx.label(), ctx.label()
    # a single-precision fused op whose terms nearly cancel: decided in doubles
    close = ctx.label() if d.name == "fma_f32" and limit == MIN_NORMAL[32] else None
    _to_fast_unless_tiny(ctx, d, ins, limit, fast, close)
    # maybe tiny: the helper decides exactly; tiny, the result is a zero and UFC alone
    res = ctx.temp(ty, local=True)
    if d.base == "fcvt_f64_f32":  # below the test, a double is below 2^-126: tiny
        ctx.extrh_i64_i32(res, ins[0])
    else:
        assert helper is not None
        ctx.call(helper, res, *ins)
        ctx.brcond(COND_EQ, res, 0, fast)
    ctx.and_(res, res, out_f.sign_bit)  # the sign's zero
    ufc = ctx.temp(I64)
    ctx.movi(ufc, UFC)
    or_fpsr_bits(ctx, ufc)
    ctx.br(done)
    if slow is not None and whole is not None:
        ctx.set_label(slow)
        ctx.call(whole, res, *ins)
        ctx.br(done)
    if close is not None:
        ctx.set_label(close)
        _fma_f32_close(ctx, ins, res, fast)
        ctx.br(done)
    ctx.set_label(fast)
    op.args = (res, *args[1:])
    ctx.ops.append(op)
    ctx.set_label(done)
    ctx.mov(out, res)


def _fma_f32_close(ctx: TCGContext, ins: list, res: Temp, fast: Label) -> None:
    """``fma_f32`` of normal a and b and a normal or zero c, the product and c of
    opposite signs with exponents within a few binades (``_fma_not_tiny``'s
    ``close``): a * b + c computed in doubles is exact (the product of two singles has
    48 significant bits, and c's bits lie within three places above the product's
    leading bit and far above its last one: at most 52 bits in all), so no op raises a
    flag and the sum is tiny exactly when its double is below 2^-126 and not zero. Not
    tiny: to ``fast`` (the op itself); tiny: ``res`` is the zero of the sum's sign,
    raising UFC alone."""
    wide = []
    for t in ins:
        w = ctx.temp(I64)
        ctx.emit("fcvt_f32_f64", w, t, int(RoundingMode.NEAREST_EVEN))
        wide.append(w)
    p, r = ctx.temp(I64), ctx.temp(I64, local=True)  # r is read after the branch
    ctx.emit("fmul_f64", p, wide[0], wide[1], int(RoundingMode.NEAREST_EVEN))
    ctx.emit("fadd_f64", r, p, wide[2], int(RoundingMode.NEAREST_EVEN))
    mag, m1 = ctx.temp(I64), ctx.temp(I64)
    ctx.and_(mag, r, (1 << 63) - 1)
    ctx.sub(m1, mag, 1)  # a zero wraps to the top: not tiny
    ctx.brcond(COND_GEU, m1, _F32_MIN_AS_F64 - 1, fast)
    ctx.extrh_i64_i32(res, r)
    ctx.and_(res, res, 1 << 31)
    ufc = ctx.temp(I64)
    ctx.movi(ufc, UFC)
    or_fpsr_bits(ctx, ufc)


def _outlive(ins: list, rest: list[Op]) -> None:
    """Before branches inside an instruction: its op's inputs ``ins``, and what the
    rest of the instruction (``rest``) reads that was made before, become TB-scoped
    (a BB-scoped temp dies at a label)."""
    for t in ins:
        if isinstance(t, Temp):
            _outlive_block(t)
    made: set[Temp] = set()
    for later in rest:  # values of before the branches that the instruction reads after
        for i in range(later.n_out, later.n_out + later.n_in):
            x = later.args[i]
            if isinstance(x, Temp) and x not in made:
                _outlive_block(x)
        for i in range(later.n_out):
            made.add(later.args[i])


def _to_fast_unless_tiny(ctx: TCGContext, d: OpDef, ins: list, limit: int, fast: Label,
                         close: Label | None = None) -> None:  # fmt: skip
    """Branch to ``fast`` when the exact result of ``d`` (a product, quotient, fused
    op or narrowing conversion) on ``ins`` (flushed already) cannot be nonzero and
    below ``limit`` in magnitude, by its operands' exponents; fall through when it
    may be. ``close`` (fused ops): where a product and an addend of opposite signs and
    magnitudes within a few binades of each other go instead."""
    f, out_f = _formats(d)
    in_bits, frac, bias = f.bits, f.mbits, f.bias
    emax = (1 << f.ebits) - 1  # the exponent field of an infinity or a NaN
    el = _limit_exponent(limit, out_f, f)
    exps = []
    for t in ins:
        e = ctx.temp(t.type, local=True)
        ctx.extract(e, t, frac, in_bits - frac - 1)
        exps.append(e)
    base = d.base
    if base == "fcvt_f64_f32":  # tiny below the single's limit
        [e] = exps
        ctx.brcond(COND_EQ, e, 0, fast)  # a zero
        ctx.brcond(COND_GEU, e, el, fast)
    elif base == "fmul":  # the product is at least 2^(ea + eb - 2 bias)
        ea, eb = exps
        ctx.brcond(COND_EQ, ea, 0, fast)
        ctx.brcond(COND_EQ, eb, 0, fast)
        s = ctx.temp(ea.type)
        ctx.add(s, ea, eb)
        ctx.brcond(COND_GEU, s, el + bias, fast)
    elif base == "fdiv":  # the quotient is above 2^(ea - eb - 1)
        ea, eb = exps
        _to_fast_if_special(ctx, ea, emax, fast)
        _to_fast_if_special(ctx, eb, emax, fast)
        s = ctx.temp(ea.type)
        ctx.add(s, ea, bias - el - 1)
        ctx.brcond(COND_GEU, s, eb, fast)
    else:  # fma
        _fma_not_tiny(ctx, exps, ins, in_bits, frac, emax, el, fast, close)


def _formats(d: OpDef) -> tuple[Fmt, Fmt]:
    """The float formats of float op ``d``'s operands and of its result."""
    return FMT[32 if d.in_types[0] is I32 else 64], FMT[32 if d.type is I32 else 64]


def _limit_exponent(limit: int, out: Fmt, f: Fmt) -> int:
    """The biased exponent in format ``f`` of ``limit``, a power of two encoded in
    format ``out`` (a single's limit as a double's exponent for f64 -> f32)."""
    return (limit >> out.mbits) - out.bias + f.bias


def _fma_not_tiny(ctx: TCGContext, exps: list[Temp], ins: list, bits: int, frac: int,
                  emax: int, el: int, fast: Label, close: Label | None = None) -> None:  # fmt: skip
    """Branch to ``fast`` when a * b + c (biased exponents ``exps``) cannot be below the
    limit (biased exponent ``el``) in magnitude: with P = |a * b| at least 2^(ea + eb -
    2 bias) and below 4 times that, C = |c| at least 2^(ec - bias) and below twice that:

    * a zero factor (the result is c, not tiny: it is flushed), an infinity or a NaN;
    * the product's last place at least the limit: a nonzero sum is a multiple of the
      smaller last place of the two terms, and a c with a smaller one is too small to
      bring the sum below the limit (the product is then 2^(2 frac) times the limit);
    * one term at least twice the other: the sum is above half the larger;
    * both terms of one sign: the sum is at least the larger.

    What is left (opposite signs, magnitudes close, small exponents) takes the helper,
    or, with ``close``, goes there when the two terms' exponents are within the two
    dominance tests' bounds (``d`` between bias - 3 and bias + 2)."""
    bias = emax >> 1
    ea, eb, ec = exps
    _to_fast_if_special(ctx, ea, emax, fast)
    _to_fast_if_special(ctx, eb, emax, fast)
    ctx.brcond(COND_EQ, ec, emax, fast)
    ty = ea.type
    s, d = ctx.temp(ty, local=True), ctx.temp(ty, local=True)
    ctx.add(s, ea, eb)
    ctx.brcond(COND_GEU, s, el + bias + 2 * frac, fast)
    ctx.sub(d, s, ec)  # C dominates when d <= bias - 3, P when d >= bias + 2
    not_c, not_p, slow = ctx.label(), ctx.label(), ctx.label()
    ctx.brcond(COND_GT, d, bias - 3, not_c)
    ctx.brcond(COND_GEU, ec, el + 1, fast)
    ctx.set_label(not_c)
    ctx.brcond(COND_LT, d, bias + 2, not_p)
    ctx.brcond(COND_GEU, s, el + bias + 1, fast)
    ctx.set_label(not_p)
    sg = ctx.temp(ty)
    ctx.xor(sg, ins[0], ins[1])
    ctx.xor(sg, sg, ins[2])
    ctx.and_(sg, sg, 1 << (bits - 1))
    if close is None:
        ctx.brcond(COND_NE, sg, 0, slow)  # opposite signs
    else:
        same = ctx.label()
        ctx.brcond(COND_EQ, sg, 0, same)
        ctx.brcond(COND_LE, d, bias - 3, slow)  # opposite signs, far apart
        ctx.brcond(COND_GE, d, bias + 2, slow)
        ctx.br(close)
        ctx.set_label(same)
    ctx.brcond(COND_GEU, ec, max(el, 1), fast)  # c nonzero and at least the limit
    ctx.brcond(COND_GEU, s, el + bias, fast)
    ctx.set_label(slow)


def _to_fast_if_special(ctx: TCGContext, e: Temp, emax: int, fast: Label) -> None:
    """Branch to ``fast`` when the biased exponent ``e`` is 0 (a zero: operands are
    flushed) or ``emax`` (an infinity or a NaN)."""
    m1 = ctx.temp(e.type)
    ctx.sub(m1, e, 1)  # 0 wraps to the top
    ctx.brcond(COND_GEU, m1, emax - 1, fast)


def _outlive_block(t: Temp) -> None:
    """Make a BB-scoped temp TB-scoped (it is read after a branch)."""
    if t.kind is TempKind.BB:
        t.kind = TempKind.TB


def _tiny_nonzero(ctx: TCGContext, mag: Temp, limit: int) -> Temp:
    """1 when 0 < ``mag`` < ``limit`` (unsigned), else 0."""
    m1, t = ctx.temp(mag.type), ctx.temp(mag.type)
    ctx.sub(m1, mag, 1)  # a zero wraps to the top
    ctx.setcond(t, m1, limit - 1, COND_LTU)
    return t


def _flush(ctx: TCGContext, v: Temp, bits: int, limit: int, flag: int = 0) -> Temp:
    """``v``, or the zero of its sign when its magnitude is below ``limit`` (raising
    ``flag`` then, IDC for an operand or UFC for a result, if it was not a zero)."""
    r, mag = _flush_mag(ctx, v, bits, limit)
    if flag:
        or_fpsr(ctx, _tiny_nonzero(ctx, mag, limit), flag)
    return r


def _flush_mag(ctx: TCGContext, v: Temp, bits: int, limit: int) -> tuple[Temp, Temp]:
    """``v`` or the zero of its sign when its magnitude is below ``limit``, and that
    magnitude."""
    ty = v.type
    sign = 1 << (bits - 1)
    mag, sgn, r = ctx.temp(ty), ctx.temp(ty), ctx.temp(ty)
    ctx.and_(mag, v, sign - 1)
    ctx.and_(sgn, v, sign)
    ctx.movcond(r, mag, limit, sgn, v, COND_LTU)
    return r, mag


def _flushed_result(dc: DisasContext, op: Op, args: list, limit: int,
                    idc: Temp | None) -> None:  # fmt: skip
    """``op`` (a sum, or a product under FZ16's threshold: tiny only when exact) with
    ``args``, followed by the flush of its result, raising UFC then; ``idc``: 1 when
    an operand was flushed (IDC), raised with it (one FPSR update). Tininess: under
    FZ proper the rounded sum of two numbers of its format is tiny exactly when the
    sum is (a tiny sum is exact); otherwise a twin rounding toward zero, made first
    (the op may overwrite an input), is below the threshold exactly when the exact
    result is."""
    ctx = dc.ctx
    d = op.defn
    out = args[0]
    ty = d.type if d.type is not None else I64
    bits = 32 if ty is I32 else 64
    if d.base in ("fadd", "fsub") and limit == MIN_NORMAL[bits]:
        rz = None
    else:
        rz = ctx.temp(ty)
        ctx.emit(d.name, rz, *args[1:-1], int(RoundingMode.ZERO))
    op.args = tuple(args)
    ctx.ops.append(op)
    sign = 1 << (bits - 1)
    mag, sgn = ctx.temp(ty), ctx.temp(ty)
    ctx.and_(mag, out if rz is None else rz, sign - 1)
    ctx.and_(sgn, out, sign)
    ctx.movcond(out, mag, limit, sgn, out, COND_LTU)
    flags = _flag(ctx, _tiny_nonzero(ctx, mag, limit), UFC)
    if idc is not None:
        ctx.or_(flags, flags, _flag(ctx, idc, IDC))
    or_fpsr_bits(ctx, flags)


def _flag(ctx: TCGContext, cond: Temp, bit: int) -> Temp:
    """An i64 temp holding ``bit`` when ``cond`` (0 or 1, i32 or i64) is 1, else 0."""
    b = ctx.temp(I64)
    if cond.type is I32:
        ctx.extu_i32_i64(b, cond)
    else:
        ctx.mov(b, cond)
    ctx.shl(b, b, bit.bit_length() - 1)
    return b
