"""IR for the SHA-1 and SHA-512 instructions on 128-bit values held as (lo, hi) pairs
of i64 temps (as ``tcgkit.tcg.crypto``, which has AES, carry-less products and
SHA-256).

Owns ``gen_sha1`` and ``gen_sha512``, what a target's translator emits for SHA1C,
SHA1P, SHA1M, SHA1SU1, SHA512H, SHA512H2, SHA512SU0 and SHA512SU1: the optional IR
op (``sha1c_i64``..., ``sha512h_i64``...; ``tcgkit.tcg.ops``) where the host lowers
it (``dc.host_ops``), else a generic expansion in plain integer ops that every host
runs, without calling Python (``expand_sha1``, ``expand_sha512``); and
``gen_sha1h``, ``gen_sha1su0``, SHA1H and SHA1SU0 as plain IR (a rotation; four
XORs of halves: no op would be cheaper on any host):

* SHA-1 rounds: i32 ops on the words (``extrl``/``extrh`` out of the halves,
  ``extu`` and ``deposit`` back), as the Arm ARM's pseudocode writes them
  (``tcgkit.tcg.sha1``): Choose as ((c ^ d) & b) ^ d, Majority as (b & c) | ((b |
  c) & d); the message words read when a round first uses them;
* SHA1SU1: i32 ops on the words; ROL(T[0], 2) as ROL(word 0 of the result, 1);
* SHA-512: i64 ops on the halves (``tcgkit.tcg.sha512``): Ch as ((y ^ z) & x) ^ z,
  Maj(x, y, z) as y ^ ((x ^ y) & (y ^ z)) with SHA512H2's second Maj reusing the
  first's Y<127:64> ^ Y<63:0>.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .crypto import Operand, _join, _like, _new, _new32, _sigma, _sum, _Words, gen_op_or_expansion
from .ir import Temp
from .sha1 import ROUND_KINDS

if TYPE_CHECKING:
    from ..target import DisasContext
    from .context import TCGContext

#: the SHA-1 ops ``gen_sha1`` knows, by ``kind``; how many i64 inputs each takes
SHA1_KINDS: Final = {"sha1c": 5, "sha1p": 5, "sha1m": 5, "sha1su1": 4}
#: the SHA-512 ops ``gen_sha512`` knows, by ``kind``; how many i64 inputs each takes
SHA512_KINDS: Final = {"sha512h": 6, "sha512h2": 6, "sha512su0": 4, "sha512su1": 6}
#: the optional IR ops this module emits (``tcgkit.tcg.ops.OPTIONAL_OPS``)
SHA_OPS: Final = frozenset(f"{k}_i64" for k in (*SHA1_KINDS, *SHA512_KINDS))


def gen_sha1(dc: DisasContext, kind: str, *ins: Temp) -> tuple[Temp, Temp]:
    """kind in ``SHA1_KINDS``; ``ins`` as its op takes them (``tcgkit.tcg.ops``): the
    rounds ops x (a, b, c, d) as (lo, hi), e (low 32 bits of an i64) and w (message
    words plus K); ``sha1su1`` d and n. Returns new temps (lo, hi) of the result
    (``tcgkit.tcg.sha1``): the new abcd, or the schedule words."""
    return gen_op_or_expansion(dc, "SHA-1", SHA1_KINDS, kind, ins, expand_sha1)


def gen_sha512(dc: DisasContext, kind: str, *ins: Temp) -> tuple[Temp, Temp]:
    """kind in ``SHA512_KINDS``; ``ins`` the (lo, hi) halves of its operands, in the
    order of its op: ``sha512h`` and ``sha512h2`` x, y, w (A64's Vn, Vm, Vd),
    ``sha512su0`` d and n, ``sha512su1`` d, n and m. Returns new temps (lo, hi) of the
    result (``tcgkit.tcg.sha512``)."""
    return gen_op_or_expansion(dc, "SHA-512", SHA512_KINDS, kind, ins, expand_sha512)


def gen_sha1h(dc: DisasContext, n_lo: Temp) -> Temp:
    """A64 SHA1H: a new i64 temp of ROL(the low word of ``n_lo``, 30), zero-extended."""
    ctx = dc.ctx
    w = _new32(ctx, ctx.extrl_i64_i32, n_lo)
    return _new(ctx, ctx.extu_i32_i64, _new32(ctx, ctx.rotl, w, 30))


def gen_sha1su0(dc: DisasContext, *ins: Temp) -> tuple[Temp, Temp]:
    """A64 SHA1SU0 on the halves of d, n and m: new temps (lo, hi) of (n<63:0> :
    d<127:64>) ^ d ^ m."""
    ctx = dc.ctx
    d_lo, d_hi, n_lo, _, m_lo, m_hi = ins
    lo = _new(ctx, ctx.xor, _new(ctx, ctx.xor, d_hi, d_lo), m_lo)
    hi = _new(ctx, ctx.xor, _new(ctx, ctx.xor, n_lo, d_hi), m_hi)
    return lo, hi


# -- SHA-1 ----------------------------------------------------------------------------------


def _round_function(ctx: TCGContext, fn: int, b: Temp, c: Temp, d: Temp) -> Temp:
    """Choose (0), Parity (1) or Majority (2) of b, c, d."""
    if fn == 0:
        return _new32(ctx, ctx.xor, _new32(ctx, ctx.and_, _new32(ctx, ctx.xor, c, d), b), d)
    if fn == 1:
        return _new32(ctx, ctx.xor, _new32(ctx, ctx.xor, b, c), d)
    bc = _new32(ctx, ctx.and_, b, c)
    return _new32(ctx, ctx.or_, bc, _new32(ctx, ctx.and_, _new32(ctx, ctx.or_, b, c), d))


def expand_sha1(ctx: TCGContext, kind: str, *ins: Operand) -> tuple[Temp, Temp]:
    """``gen_sha1``'s generic expansion, into ``ctx``."""
    if kind == "sha1su1":  # T = d ^ (n1, n2, n3, 0); ROL(T, 1), word 3 ^ ROL(T0, 2)
        d, n = _Words(ctx, ins[0], ins[1]), _Words(ctx, ins[2], ins[3])
        t = [_new32(ctx, ctx.xor, d[e], n[e + 1]) for e in range(3)]
        out = [_new32(ctx, ctx.rotl, v, 1) for v in t]
        # ROL(T3, 1) ^ ROL(T0, 2) = ROL(T3 ^ ROL(T0, 1), 1), ROL(T0, 1) being word 0
        out.append(_new32(ctx, ctx.rotl, _new32(ctx, ctx.xor, d[3], out[0]), 1))
        return _join(ctx, out)
    if kind not in ROUND_KINDS:
        raise ValueError(f"no SHA-1 operation {kind!r}")
    fn = ROUND_KINDS.index(kind)
    xw, w = _Words(ctx, ins[0], ins[1]), _Words(ctx, ins[3], ins[4])
    a, b, c, d = (xw[i] for i in range(4))
    e = _new32(ctx, ctx.extrl_i64_i32, ins[2])
    for i in range(4):
        y = _sum(ctx, e, _like(ctx, ctx.rotl, a, 5), _round_function(ctx, fn, b, c, d), w[i])
        a, b, c, d, e = y, a, _like(ctx, ctx.rotl, b, 30), c, d
    return _join(ctx, [a, b, c, d])


# -- SHA-512 ------------------------------------------------------------------------------


def _ch(ctx: TCGContext, x: Temp, y: Operand, z: Operand) -> Temp:
    """(x & y) ^ (~x & z) as ((y ^ z) & x) ^ z."""
    return _new(ctx, ctx.xor, _new(ctx, ctx.and_, _new(ctx, ctx.xor, y, z), x), z)


def _at(ctx: TCGContext, x: Operand) -> Temp:
    """``x`` as a temp (an i64 constant put in one: the helpers above take temps)."""
    if isinstance(x, Temp):
        return x
    t = ctx.temp()
    ctx.movi(t, x)
    return t


def expand_sha512(ctx: TCGContext, kind: str, *ins: Operand) -> tuple[Temp, Temp]:
    """``gen_sha512``'s generic expansion, into ``ctx``."""
    v = [_at(ctx, x) for x in ins]
    if kind == "sha512h":  # x = (f, g), y = (d, e)
        x0, x1, y0, y1, w0, w1 = v
        hi = _sum(ctx, w1, _sigma(ctx, y1, 14, 18, 41, False), _ch(ctx, y1, x0, x1))
        tmp = _new(ctx, ctx.add, hi, y0)
        lo = _sum(ctx, w0, _sigma(ctx, tmp, 14, 18, 41, False), _ch(ctx, tmp, y1, x0))
    elif kind == "sha512h2":  # x = (c, _), y = (a, b)
        x0, _, y0, y1, w0, w1 = v
        yy = _new(ctx, ctx.xor, y1, y0)
        maj = _new(ctx, ctx.xor, _new(ctx, ctx.and_, _new(ctx, ctx.xor, x0, y1), yy), y1)
        hi = _sum(ctx, w1, _sigma(ctx, y0, 28, 34, 39, False), maj)
        maj = _new(ctx, ctx.xor, _new(ctx, ctx.and_, _new(ctx, ctx.xor, hi, y0), yy), y0)
        lo = _sum(ctx, w0, _sigma(ctx, hi, 28, 34, 39, False), maj)
    elif kind == "sha512su0":
        d0, d1, n0, _ = v
        lo = _new(ctx, ctx.add, d0, _sigma(ctx, d1, 1, 8, 7, True))
        hi = _new(ctx, ctx.add, d1, _sigma(ctx, n0, 1, 8, 7, True))
    elif kind == "sha512su1":
        d0, d1, n0, n1, m0, m1 = v
        lo = _sum(ctx, d0, _sigma(ctx, n0, 19, 61, 6, True), m0)
        hi = _sum(ctx, d1, _sigma(ctx, n1, 19, 61, 6, True), m1)
    else:
        raise ValueError(f"no SHA-512 operation {kind!r}")
    return lo, hi
