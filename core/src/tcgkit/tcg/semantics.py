"""Reference semantics of every value-computing IR op, on Python ints.

Owns the meaning of the integer ops: the optimizer folds constants with
these functions, the portable host checks itself against them, and native
backends are differential-tested against them. Values are unsigned ints
below ``2**width``; each function returns the tuple of outputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from . import softfloat as sf
from .types import Cond


def sx(v: int, bits: int) -> int:
    """Sign-extend the low ``bits`` of ``v`` to a Python int."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def signed(value: int, wide: bool) -> int:
    """``value`` read as a two's-complement integer of 64 (``wide``) or 32 bits."""
    if 0 <= value < 0x80000000:  # most immediates: compiled, no wide-integer mask
        return value
    return sx(value, 64 if wide else 32)


#: ``Cond``'s values as plain ints: compiled, an enum member's read is a Python-level
#: attribute lookup on the class, and ``Cond(c)`` a call of the enum
_NEVER: Final = int(Cond.NEVER)
_EQ: Final = int(Cond.EQ)
_NE: Final = int(Cond.NE)
_LT: Final = int(Cond.LT)
_GT: Final = int(Cond.GT)
_TSTEQ: Final = int(Cond.TSTEQ)
_TSTNE: Final = int(Cond.TSTNE)


def cond_holds(cond: int, a: int, b: int, w: int) -> bool:
    """Whether ``a cond b`` holds for w-bit values."""
    c = int(cond)
    if not _NEVER <= c <= _TSTNE:
        raise ValueError(f"{cond} is not a valid Cond")
    if c < _EQ:
        return c != _NEVER  # ALWAYS
    if c == _EQ:
        return a == b
    if c == _NE:
        return a != b
    if c >= _TSTEQ:
        return (a & b == 0) if c == _TSTEQ else (a & b != 0)
    if c <= _GT:  # LT, GE, LE, GT: signed
        a, b = sx(a, w), sx(b, w)
    k = (c - _LT) & 3  # LT/LTU, GE/GEU, LE/LEU, GT/GTU
    if k == 0:
        return a < b
    if k == 1:
        return a >= b
    if k == 2:
        return a <= b
    return a > b


def atomic_update(aop: int, old: int, value: int, bits: int) -> int:
    """What ``atomic_fetch_i64`` with ``aop`` (an ``AtomicOp``) stores, from the
    ``bits``-wide value it read and its input (both taken at that width)."""
    m = (1 << bits) - 1
    old &= m
    value &= m
    if aop == 0:
        return value
    if aop == 1:
        return (old + value) & m
    if aop == 2:
        return old & value
    if aop == 3:
        return old | value
    if aop == 4:
        return old ^ value
    if aop in (5, 6):
        bigger = sx(old, bits) >= sx(value, bits)
        return old if bigger == (aop == 5) else value
    if aop in (7, 8):
        return old if (old >= value) == (aop == 7) else value
    raise ValueError(f"no atomic operation {aop}")


def cmpxchg2(old: tuple[int, int], cmp: tuple[int, int],
             new: tuple[int, int]) -> tuple[int, int]:  # fmt: skip
    """What ``atomic_cmpxchg2_i64`` leaves in memory: the (lo, hi) pair ``new`` when
    the pair read, ``old``, equals ``cmp`` (each element taken as 64 bits), else
    ``old``. The op's outputs are ``old``."""
    m = 0xFFFFFFFFFFFFFFFF
    old = (old[0] & m, old[1] & m)
    if old == (cmp[0] & m, cmp[1] & m):
        return new[0] & m, new[1] & m
    return old


def clmul(a: int, b: int) -> tuple[int, int]:
    """``clmul_i64``: the carry-less product of two 64-bit values, as (low, high)."""
    a &= 0xFFFFFFFFFFFFFFFF
    b &= 0xFFFFFFFFFFFFFFFF
    r = 0
    while b:
        low = b & -b  # the lowest bit set
        r ^= a * low
        b ^= low
    return r & 0xFFFFFFFFFFFFFFFF, r >> 64


def _aes(name: str, ins: tuple[int, ...]) -> tuple[int, ...]:
    """An AES op of ``tcgkit.tcg.aes``, imported at first use (its S-box is computed
    at import: not at every process's start)."""
    from . import aes

    fn: Callable[..., tuple[int, ...]] = getattr(aes, name)
    return fn(*ins)


#: the SHA ops, each the function of its name in ``tcgkit.tcg.sha1``, ``sha256`` or
#: ``sha512``
SHA_NAMES: Final = ("sha256h", "sha256h2", "sha256su0", "sha256su1", "sha1c", "sha1p", "sha1m",
                    "sha1su1", "sha512h", "sha512h2", "sha512su0", "sha512su1")  # fmt: skip


def sha_function(name: str) -> Callable[..., tuple[int, int]]:
    """The reference of the SHA op ``name`` (one of ``SHA_NAMES``): the function of that
    name in ``tcgkit.tcg.sha1``, ``sha256`` or ``sha512`` (imported at first use, as
    ``_aes``); it takes the op's inputs and gives its (lo, hi) in range."""
    from . import sha1, sha256, sha512

    module = sha1 if name.startswith("sha1") else sha256 if name.startswith("sha256") else sha512
    fn: Callable[..., tuple[int, int]] = getattr(module, name)
    return fn


def _sha(name: str, w: int, *ins: int) -> tuple[int, ...]:
    return sha_function(name)(*ins)


def _bswap(v: int, nbytes: int) -> int:
    return int.from_bytes((v & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little"), "big")


def _div(a: int, b: int, w: int) -> int:
    a, b = sx(a, w), sx(b, w)
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _rem(a: int, b: int, w: int) -> int:
    sa, sb = sx(a, w), sx(b, w)
    if sb == 0:
        return sa
    return sa - sb * _div(a, b, w)


def _clz(a: int, z: int, w: int) -> int:
    return w - a.bit_length() if a else z


def _ctz(a: int, z: int, w: int) -> int:
    return (a & -a).bit_length() - 1 if a else z


def _deposit(a: int, b: int, pos: int, length: int, w: int) -> int:
    field = ((1 << length) - 1) << pos
    return (a & ~field) | ((b << pos) & field)


M = Callable[..., tuple[int, ...]]

#: base name -> f(width, *inputs, *constants) -> outputs (unmasked; callers mask)
SEMANTICS: dict[str, M] = {
    "mov": lambda w, a: (a,),
    "movi": lambda w, v: (v,),
    "neg": lambda w, a: (-a,),
    "not": lambda w, a: (~a,),
    "ctpop": lambda w, a: (a.bit_count(),),
    "bswap16": lambda w, a: (_bswap(a, 2),),
    "bswap32": lambda w, a: (_bswap(a, 4),),
    "bswap64": lambda w, a: (_bswap(a, 8),),
    "ext8s": lambda w, a: (sx(a, 8),),
    "ext8u": lambda w, a: (a & 0xFF,),
    "ext16s": lambda w, a: (sx(a, 16),),
    "ext16u": lambda w, a: (a & 0xFFFF,),
    "ext32s": lambda w, a: (sx(a, 32),),
    "ext32u": lambda w, a: (a & 0xFFFFFFFF,),
    "add": lambda w, a, b: (a + b,),
    "sub": lambda w, a, b: (a - b,),
    "mul": lambda w, a, b: (a * b,),
    "and": lambda w, a, b: (a & b,),
    "or": lambda w, a, b: (a | b,),
    "xor": lambda w, a, b: (a ^ b,),
    "andc": lambda w, a, b: (a & ~b,),
    "orc": lambda w, a, b: (a | ~b,),
    "eqv": lambda w, a, b: (~(a ^ b),),
    "nand": lambda w, a, b: (~(a & b),),
    "nor": lambda w, a, b: (~(a | b),),
    "shl": lambda w, a, b: (a << (b % w),),
    "shr": lambda w, a, b: (a >> (b % w),),
    "sar": lambda w, a, b: (sx(a, w) >> (b % w),),
    "rotl": lambda w, a, b: ((a << (b % w)) | (a >> ((w - b % w) % w)),),
    "rotr": lambda w, a, b: ((a >> (b % w)) | (a << ((w - b % w) % w)),),
    "muluh": lambda w, a, b: ((a * b) >> w,),
    "mulsh": lambda w, a, b: ((sx(a, w) * sx(b, w)) >> w,),
    "div": lambda w, a, b: (_div(a, b, w),),
    "divu": lambda w, a, b: (a // b if b else 0,),
    "rem": lambda w, a, b: (_rem(a, b, w),),
    "remu": lambda w, a, b: (a % b if b else a,),
    "clz": lambda w, a, z: (_clz(a, z, w),),
    "ctz": lambda w, a, z: (_ctz(a, z, w),),
    "extract": lambda w, a, pos, n: ((a >> pos) & ((1 << n) - 1),),
    "sextract": lambda w, a, pos, n: (sx(a >> pos, n),),
    "deposit": lambda w, a, b, pos, n: (_deposit(a, b, pos, n, w),),
    "setcond": lambda w, a, b, c: (int(cond_holds(c, a, b, w)),),
    "negsetcond": lambda w, a, b, c: (-int(cond_holds(c, a, b, w)),),
    "movcond": lambda w, c1, c2, v1, v2, c: (v1 if cond_holds(c, c1, c2, w) else v2,),
    "mulu2": lambda w, a, b: (a * b, (a * b) >> w),
    "muls2": lambda w, a, b: (sx(a, w) * sx(b, w), (sx(a, w) * sx(b, w)) >> w),
    "add2": lambda w, al, ah, bl, bh: (al + bl, ((ah << w | al) + (bh << w | bl)) >> w),
    "sub2": lambda w, al, ah, bl, bh: (al - bl, ((ah << w | al) - (bh << w | bl)) >> w),
    "extrl_i64_i32": lambda w, a: (a,),
    "extrh_i64_i32": lambda w, a: (a >> 32,),
    "extu_i32_i64": lambda w, a: (a,),
    "ext_i32_i64": lambda w, a: (sx(a, 32),),
    # optional: 128-bit values as (lo, hi); these give outputs in range
    "aese": lambda w, lo, hi, klo, khi: _aes("aese", (lo, hi, klo, khi)),
    "aesd": lambda w, lo, hi, klo, khi: _aes("aesd", (lo, hi, klo, khi)),
    "aesmc": lambda w, lo, hi: _aes("aesmc", (lo, hi)),
    "aesimc": lambda w, lo, hi: _aes("aesimc", (lo, hi)),
    "clmul": lambda w, a, b: clmul(a, b),
    **{name: functools.partial(_sha, name) for name in SHA_NAMES},
}


#: float ops, by full opcode name (their base is the opcode minus the format, but
#: one entry per format keeps the format out of ``w``): see ``softfloat``
FLOAT_SEMANTICS: dict[str, M] = {
    name: (lambda w, *args, _fn=fn: (_fn(*args),)) for name, fn in sf.OP_IMPL.items()
}


def evaluate(base: str, width: int, ins: tuple[int, ...], consts: tuple[int, ...]) -> list[int]:
    """Outputs of op ``base`` at ``width`` bits, masked to the width."""
    mask = (1 << width) - 1
    return [v & mask for v in SEMANTICS[base](width, *ins, *consts)]


def evaluate_op(name: str, base: str, width: int, ins: tuple[int, ...],
                consts: tuple[int, ...]) -> list[int]:  # fmt: skip
    """Like ``evaluate``, for any value op by its full name (float ops included)."""
    fn = FLOAT_SEMANTICS.get(name)
    if fn is None:
        return evaluate(base, width, ins, consts)
    mask = (1 << width) - 1
    return [v & mask for v in fn(width, *ins, *consts)]
