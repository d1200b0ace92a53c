"""The IEEE exception flags each float op of the IR raises: the reference.

Owns ``OP_FLAGS`` (opcode name -> a function of the op's inputs and constants
giving the flags it raises) and the flag bits. ``softfloat`` owns the results;
this module owns which of IEEE 754's five exceptions computing them signals,
with Arm's choices where IEEE leaves one open, so that a target that keeps
cumulative flags (AArch64's FPSR, x86's MXCSR, POWER's FPSCR) has one exact
definition to check its hosts against. It is the oracle
(``plugins/target-aarch64/tests/test_fp_flags_reference.py`` checks it against
Unicorn's FPSR) for the hosts' flag tracking, and what the interpreters (``interp``,
tier 0), the python host and the native hosts' out-of-line float ops compute:
``op_flags``.

The IR's duty (``ops``): every float op ORs the flags it raises into the CPU-state
word ``GuestTarget.fp_flags_offset`` names (when the target names one), in these
bits. A native host may keep them in a host register while in generated code
(x86-64: MXCSR) if it folds them into that word before Python runs.

Rules (every op works on IEEE encodings, as in ``softfloat``; no flushing to
zero but by the optional ``*_fz`` ops, ``fz_flags``: IDC for a flushed operand,
UFC alone for a flushed result; a target that flushes with plain ops raises
IDC/UFC itself, around them):

* the bits are FPSR's: ``IOC`` invalid operation, ``DZC`` division by zero,
  ``OFC`` overflow, ``UFC`` underflow, ``IXC`` inexact;
* a signalling NaN operand raises IOC (every op but ``fneg``, ``fabs``,
  ``fclass``); a quiet NaN operand raises nothing, except where the op itself
  is invalid (``fma``'s infinity times zero with a quiet-NaN addend raises
  IOC, as Arm's FPMulAdd);
* invalid operations: infinity minus infinity, zero times infinity, 0/0,
  inf/inf, the square root of a number below zero, a float -> integer
  conversion of a NaN, an infinity or a value that rounds outside the
  destination (IOC alone: no IXC);
* a finite non-zero number divided by zero raises DZC;
* overflow: the result rounded as if the exponent were unbounded is above the
  largest finite number; raises OFC and IXC;
* underflow: tininess is detected *before* rounding (Arm, and IEEE's
  alternative that x86 does not take): the exact non-zero result is below the
  smallest normal number in magnitude; with the trap disabled UFC is raised
  only when the result is also inexact;
* inexact: the rounded result differs from the exact one;
* ``frint`` never raises IXC (Arm's FRINT forms but FRINTX, IEEE's
  roundToIntegral: FRINTX, which does, adds IXC itself when the result differs
  from a number operand);
* ``fcmp`` is the quiet comparison (FCMP: IOC for signalling NaNs only; FCMPE
  also signals on quiet NaNs: the target adds that);
* ``fmin``, ``fmax``, ``fminnm``, ``fmaxnm`` raise IOC for signalling NaNs only;
* ``fnan2``/``fnan3`` raise IOC for a signalling NaN among their operands (not the
  result input): Arm's FPProcessNaNs, which every op they serve raises anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .softfloat import (
    F32,
    F64,
    FZ_BASES,
    RDN,
    RNA,
    RNE,
    RUP,
    Fmt,
    dyadic,
    fadd,
    flush_in,
    fsub,
    is_inf,
    is_nan,
    is_snan,
    is_subnormal,
    is_zero,
    round_to_integer,
    sign,
    tiny_sign,
    value,
)

if TYPE_CHECKING:
    from fractions import Fraction

    from .context import TCGContext
    from .ir import Helper

IOC: Final = 1 << 0
DZC: Final = 1 << 1
OFC: Final = 1 << 2
UFC: Final = 1 << 3
IXC: Final = 1 << 4
IDC: Final = 1 << 7  # input denormal: only a flushing target raises it
ALL: Final = IOC | DZC | OFC | UFC | IXC | IDC


def round_flags(f: Fmt, x: Fraction, rm: int) -> int:
    """The flags of rounding the exact value ``x`` to format ``f`` in mode ``rm``."""
    from fractions import Fraction  # on first use, as softfloat

    if x == 0:
        return 0
    neg = x < 0
    a = -x if neg else x
    top = Fraction(2) ** (f.emax + 1)
    biggest = value(f, f.max_finite)
    if a >= top:
        return OFC | IXC
    if a > biggest:
        half_ulp = Fraction(2) ** (f.emax - f.mbits - 1)
        if rm in (RNE, RNA):
            up = a >= biggest + half_ulp
        else:
            up = (rm == RUP and not neg) or (rm == RDN and neg)
        return OFC | IXC if up else IXC
    ulp_exp = _exponent(a)
    q_exp = max(ulp_exp, f.emin) - f.mbits  # one unit in the last place of the result
    scaled = a / Fraction(2) ** q_exp if q_exp >= 0 else a * (1 << -q_exp)
    if scaled.denominator == 1:
        return 0  # representable: exact (tiny or not, no underflow without inexact)
    tiny = ulp_exp < f.emin
    return (UFC | IXC) if tiny else IXC


def _exponent(a: Fraction) -> int:
    """e with 2^e <= a < 2^(e+1), for a > 0."""
    from fractions import Fraction

    e = a.numerator.bit_length() - a.denominator.bit_length()
    if a < Fraction(2) ** e:
        e -= 1
    elif a >= Fraction(2) ** (e + 1):
        e += 1
    return e


def _dyadic_sum(x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
    e = min(x[1], y[1])
    return (x[0] << (x[1] - e)) + (y[0] << (y[1] - e)), e


def _dyadic_flags(f: Fmt, x: tuple[int, int], rm: int) -> int:
    """``round_flags`` of the exact value m * 2**e, in integers where the result is a
    normal number away from overflow (inexact or not: no mode matters there), else
    through ``round_flags``."""
    m, e = x
    if m == 0:
        return 0
    a = -m if m < 0 else m
    tz = (a & -a).bit_length() - 1
    a >>= tz
    n = a.bit_length()
    top = e + tz + n - 1  # 2**top <= |x| < 2**(top + 1)
    if f.emin <= top < f.emax:
        return IXC if n > f.mbits + 1 else 0
    from fractions import Fraction

    return round_flags(f, Fraction(m) * Fraction(2) ** e, rm)


def _snan(f: Fmt, *vs: int) -> bool:
    return any(is_snan(f, v) for v in vs)


def _nan(f: Fmt, *vs: int) -> bool:
    return any(is_nan(f, v) for v in vs)


def add_flags(f: Fmt, a: int, b: int, rm: int, negate_b: bool = False) -> int:
    """``fadd`` (``fsub``: ``negate_b``)."""
    if _nan(f, a, b):
        return IOC if _snan(f, a, b) else 0
    if negate_b:
        b ^= f.sign_bit
    ia, ib = is_inf(f, a), is_inf(f, b)
    if ia or ib:
        return IOC if ia and ib and sign(f, a) != sign(f, b) else 0
    return _dyadic_flags(f, _dyadic_sum(dyadic(f, a), dyadic(f, b)), rm)


def mul_flags(f: Fmt, a: int, b: int, rm: int) -> int:
    if _nan(f, a, b):
        return IOC if _snan(f, a, b) else 0
    ia, ib, za, zb = is_inf(f, a), is_inf(f, b), is_zero(f, a), is_zero(f, b)
    if (ia and zb) or (ib and za):
        return IOC
    if ia or ib or za or zb:
        return 0
    (ma, ea), (mb, eb) = dyadic(f, a), dyadic(f, b)
    return _dyadic_flags(f, (ma * mb, ea + eb), rm)


def div_flags(f: Fmt, a: int, b: int, rm: int) -> int:
    if _nan(f, a, b):
        return IOC if _snan(f, a, b) else 0
    ia, ib, za, zb = is_inf(f, a), is_inf(f, b), is_zero(f, a), is_zero(f, b)
    if (ia and ib) or (za and zb):
        return IOC
    if zb:
        return 0 if ia else DZC
    if ia or ib or za:
        return 0
    return round_flags(f, value(f, a) / value(f, b), rm)


def sqrt_flags(f: Fmt, a: int, rm: int) -> int:
    from fractions import Fraction

    if is_nan(f, a):
        return IOC if is_snan(f, a) else 0
    if is_zero(f, a):
        return 0
    if sign(f, a):
        return IOC
    if is_inf(f, a):
        return 0
    x = value(f, a)
    # exact when x is a square of a dyadic rational; otherwise inexact, and never
    # tiny or overflowing (sqrt of a finite float stays within the format's normals)
    n, d = x.numerator, x.denominator
    rn, rd = _isqrt_exact(n), _isqrt_exact(d)
    if rn is not None and rd is not None:
        return round_flags(f, Fraction(rn, rd), rm)
    return IXC


def _isqrt_exact(n: int) -> int | None:
    import math

    r = math.isqrt(n)
    return r if r * r == n else None


def fma_flags(f: Fmt, a: int, b: int, c: int, rm: int) -> int:
    """a * b + c with one rounding (``softfloat.fma``'s operand order)."""
    ia, ib, ic = is_inf(f, a), is_inf(f, b), is_inf(f, c)
    za, zb = is_zero(f, a), is_zero(f, b)
    zero_times_inf = (ia and zb) or (ib and za)
    if _nan(f, a, b, c):
        if _snan(f, a, b, c):
            return IOC
        return IOC if is_nan(f, c) and zero_times_inf else 0
    if zero_times_inf:
        return IOC
    if ia or ib:
        return IOC if ic and sign(f, c) != sign(f, a) ^ sign(f, b) else 0
    if ic:
        return 0
    if za or zb:
        return 0
    (ma, ea), (mb, eb) = dyadic(f, a), dyadic(f, b)
    return _dyadic_flags(f, _dyadic_sum((ma * mb, ea + eb), dyadic(f, c)), rm)


def frint_flags(f: Fmt, a: int, rm: int) -> int:
    if is_nan(f, a):
        return IOC if is_snan(f, a) else 0
    if is_inf(f, a) or is_zero(f, a):
        return 0
    return 0


def frintx_flags(f: Fmt, a: int, rm: int) -> int:
    """Arm's FRINTX: ``frint``'s flags, and IXC when a number was not integral."""
    if is_nan(f, a) or is_inf(f, a) or is_zero(f, a):
        return frint_flags(f, a, rm)
    x = value(f, a)
    return 0 if round_to_integer(x, rm) == x else IXC


def quiet_flags(f: Fmt, a: int, b: int) -> int:
    """``fcmp``, ``fmin``, ``fmax``, ``fminnm``, ``fmaxnm``: IOC for a signalling NaN."""
    return IOC if _snan(f, a, b) else 0


def fcvt_flags(src: Fmt, dst: Fmt, a: int, rm: int) -> int:
    if is_nan(src, a):
        return IOC if is_snan(src, a) else 0
    if is_inf(src, a) or is_zero(src, a):
        return 0
    return _dyadic_flags(dst, dyadic(src, a), rm)


def itof_flags(dst: Fmt, a: int, signed: int, rm: int) -> int:
    if signed and a >> 63:
        a -= 1 << 64
    return _dyadic_flags(dst, (a, 0), rm)


def ftoi_flags(src: Fmt, a: int, signed: int, bits: int, rm: int) -> int:
    if is_nan(src, a) or is_inf(src, a):
        return IOC
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    m, e = dyadic(src, a)
    if e >= 0:  # integral
        i = m << e
        return 0 if lo <= i <= hi else IOC
    neg = m < 0
    mag = -m if neg else m
    sh = -e
    q, r = mag >> sh, mag & ((1 << sh) - 1)
    if r:
        half = 1 << (sh - 1)
        if rm == RNE:
            q += r > half or (r == half and q & 1)
        elif rm == RNA:
            q += r >= half
        elif rm == RUP:
            q += not neg
        elif rm == RDN:
            q += neg
    i = -q if neg else q
    if not lo <= i <= hi:
        return IOC
    return IXC if r else 0


def fz_flags(base: str, f: Fmt, ins: tuple[int, ...], rm: int) -> int:
    """The flags of ``softfloat.fz_op`` (op ``base`` under Arm's FPCR.FZ): IDC when
    an operand was flushed; for a result flushed (its exact value tiny) UFC alone,
    else the flags of the op on the flushed operands."""
    flags = 0
    for x in ins:
        if is_subnormal(f, x):
            flags = IDC
    ins = tuple([flush_in(f, x) for x in ins])
    if base == "fadd" or base == "fsub":  # a tiny sum is exact: tiny when its result is
        if is_subnormal(f, (fadd if base == "fadd" else fsub)(f, *ins, rm)):
            return flags | UFC
    elif tiny_sign(base, f, ins, f.emin):
        return flags | UFC
    return flags | _FZ_PLAIN[base](f, *ins, rm)


_FZ_PLAIN: Final[dict[str, Callable[..., int]]] = {
    "fadd": add_flags,
    "fsub": lambda f, a, b, rm: add_flags(f, a, b, rm, negate_b=True),
    "fmul": mul_flags,
    "fdiv": div_flags,
    "fma": fma_flags,
}


def _table() -> dict[str, Callable[..., int]]:
    table: dict[str, Callable[..., int]] = {}
    for suffix, f in (("f32", F32), ("f64", F64)):
        table.update({
            f"fadd_{suffix}": lambda a, b, rm, f=f: add_flags(f, a, b, rm),
            f"fsub_{suffix}": lambda a, b, rm, f=f: add_flags(f, a, b, rm, negate_b=True),
            f"fmul_{suffix}": lambda a, b, rm, f=f: mul_flags(f, a, b, rm),
            f"fdiv_{suffix}": lambda a, b, rm, f=f: div_flags(f, a, b, rm),
            f"fsqrt_{suffix}": lambda a, rm, f=f: sqrt_flags(f, a, rm),
            f"frint_{suffix}": lambda a, rm, f=f: frint_flags(f, a, rm),
            f"fma_{suffix}": lambda a, b, c, rm, f=f: fma_flags(f, a, b, c, rm),
            f"fmin_{suffix}": lambda a, b, f=f: quiet_flags(f, a, b),
            f"fmax_{suffix}": lambda a, b, f=f: quiet_flags(f, a, b),
            f"fminnm_{suffix}": lambda a, b, f=f: quiet_flags(f, a, b),
            f"fmaxnm_{suffix}": lambda a, b, f=f: quiet_flags(f, a, b),
            f"fcmp_{suffix}": lambda a, b, f=f: quiet_flags(f, a, b),
            f"fneg_{suffix}": lambda a: 0,
            f"fabs_{suffix}": lambda a: 0,
            f"fclass_{suffix}": lambda a: 0,
            f"fnan2_{suffix}": lambda r, a, b, f=f: quiet_flags(f, a, b),
            f"fnan3_{suffix}": lambda r, a, b, c, fma, f=f: IOC if _snan(f, a, b, c) else 0,
        })  # fmt: skip
        for base in FZ_BASES:
            table[f"{base}_fz_{suffix}"] = lambda *args, f=f, base=base: fz_flags(
                base, f, args[:-1], args[-1]
            )
    table.update({
        "fcvt_f64_f32": lambda a, rm: fcvt_flags(F64, F32, a, rm),
        "fcvt_f32_f64": lambda a, rm: fcvt_flags(F32, F64, a, rm),
        "itof_f32": lambda a, signed, rm: itof_flags(F32, a, signed, rm),
        "itof_f64": lambda a, signed, rm: itof_flags(F64, a, signed, rm),
        "ftoi_f32": lambda a, signed, bits, rm: ftoi_flags(F32, a, signed, bits, rm),
        "ftoi_f64": lambda a, signed, bits, rm: ftoi_flags(F64, a, signed, bits, rm),
    })  # fmt: skip
    return table


#: opcode name -> flags of (inputs..., constants...), in ``softfloat.OP_IMPL``'s order
OP_FLAGS: Final[dict[str, Callable[..., int]]] = _table()
#: the opcodes that can raise a flag (``OP_FLAGS`` less the sign-bit ops and fclass)
RAISING: Final = frozenset(n for n in OP_FLAGS if not n.startswith(("fneg", "fabs", "fclass")))


def op_flags(name: str, ins: tuple[int, ...] | list[int], consts: tuple[int, ...]) -> int:
    """The flags op ``name`` raises on inputs ``ins`` with constants ``consts``."""
    return OP_FLAGS[name](*ins, *consts)


def flagged(name: str, slot: int) -> Callable[..., int]:
    """``softfloat``'s op ``name`` as a function of (state, inputs..., constants...)
    that also ORs the op's flags into ``state[slot]`` (the python host's float ops)."""
    from .softfloat import OP_IMPL

    impl: Callable[..., int] = OP_IMPL[name]  # type: ignore[assignment]
    flags = OP_FLAGS[name]

    def run(state: list[int], *args: int) -> int:
        state[slot] |= flags(*args)
        return impl(*args)

    return run


def flag_helper(name: str, consts: tuple[int, ...], slot: int) -> Helper:
    """A helper that ORs the flags op ``name`` with constants ``consts`` raises on its
    inputs into state slot ``slot`` (``add_flag_calls``)."""
    from .ir import Helper
    from .ops import opdef
    from .types import CallFlags

    flags = OP_FLAGS[name]

    def accumulate(cpu: Any, *ins: int) -> None:
        cpu.words[slot] |= flags(*ins, *consts)

    d = opdef(name)
    return Helper(f"fpflags_{name}", accumulate, CallFlags.NO_RWG, None, d.in_types)


def add_flag_calls(ctx: TCGContext, cache: dict[tuple[str, tuple[int, ...]], Helper]) -> None:
    """Before each float op of ``ctx.ops`` that can raise a flag, a call of its
    ``flag_helper``: the IR's flag duty for a host whose code does not compute the
    flags itself (``HostBackend.computes_fp_flags``). ``cache``: the helpers made so
    far, by (opcode, constants), kept by the caller (the engine)."""
    slot = ctx.fp_flags_offset >> 3
    ops = ctx.ops
    if not any(op.opc in RAISING for op in ops):
        return
    ctx.ops = out = []
    for op in ops:
        if op.opc in RAISING:
            consts = tuple(int(c) for c in op.consts)
            key = (op.opc, consts)
            helper = cache.get(key)
            if helper is None:
                helper = cache[key] = flag_helper(op.opc, consts, slot)
            ctx.call(helper, None, *op.ins)
        out.append(op)
