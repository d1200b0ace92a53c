"""IR for crypto instructions: AES round steps, 64 x 64 carry-less products and
SHA-256 steps on 128-bit values held as (lo, hi) pairs of i64 temps (lo = bytes
0-7, little-endian).

Owns ``gen_aes``, ``gen_clmul`` and ``gen_sha256``, what a target's translator
emits for AESE, AESD, AESMC, AESIMC, PMULL (64 x 64), SHA256H, SHA256H2, SHA256SU0
and SHA256SU1: the optional IR op (``aese_i64``..., ``clmul_i64``,
``sha256h_i64``...; ``tcgkit.tcg.ops``) where the host lowers it
(``dc.host_ops``: AES-NI, PCLMULQDQ and SHA-NI on x86-64), else a generic
expansion in plain integer ops that every host runs, without calling Python
(``gen_op_or_expansion`` picks; ``tcgkit.tcg.crypto_sha`` does the same for SHA-1
and SHA-512 with this module's word helpers):

* ShiftRows and its inverse: byte masks and 128-bit funnel shifts (20 ops);
* MixColumns: SWAR on each half (a column is a 32-bit lane), ``xtime`` as a mask,
  a shift and a multiplication by 0x1b; InvMixColumns as MixColumns after
  ``a + 4 (a + a >>> 16)`` per column (FIPS-197's factorization of the inverse
  matrix into the forward one times (05 00 04 00));
* SubBytes and its inverse, bitsliced: the 16 bytes become 8 bit-planes of 16
  lanes (one exchange of bits between the halves, then shifts: bit j of every
  byte in one temp), a Boolean circuit for the S-box runs on the planes (garbage
  between the lanes is harmless: every gate works bit by bit) and the planes go
  back. The circuit is derived here at first use, exact for all 256 bytes by
  construction (and checked by the tests): inversion in GF(2^8) seen as the
  tower GF(((2^2)^2)^2) (36 ANDs), between the linear maps in and out of the
  tower basis (the S-box's affine map folded into them), every XOR network
  (those linear maps and the tower's own linear steps together) found by
  Paar's greedy common-subexpression elimination;
* clmul: ``x & m_a`` times ``y & m_b`` (``mulu2``) for the five residue classes of
  bit positions mod 5 (``m_a``: every fifth bit): a class has at most 13 bits, so
  the sums of partial products (at most 13) never carry into the next bit of
  the same class; each product's class ``(a + b) mod 5`` is kept, so 25
  multiplications give the carry-less product (93 ops, against ~380 for a loop
  over the bits);
* SHA-256: i32 ops on the 32-bit words (``extrl``/``extrh`` out of the halves,
  ``extu`` and ``deposit`` back), the rounds and schedule steps as FIPS 180-4
  writes them (``tcgkit.tcg.sha256``): Ch as ((f ^ g) & e) ^ g, Maj as b ^ ((a ^ b)
  & (b ^ c)) with a ^ b kept for the next round's b ^ c; the message words are
  read when a round first uses them (fewer values live at once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from .ir import Temp
from .types import I32

if TYPE_CHECKING:
    from ..target import DisasContext
    from .context import TCGContext

M64: Final = 0xFFFFFFFFFFFFFFFF
#: the AES ops ``gen_aes`` knows, by ``kind``; whether each takes a round key
AES_KINDS: Final = {"aese": True, "aesd": True, "aesmc": False, "aesimc": False}
#: the SHA-256 ops ``gen_sha256`` knows, by ``kind``; how many i64 inputs each takes
SHA256_KINDS: Final = {"sha256h": 6, "sha256h2": 6, "sha256su0": 4, "sha256su1": 6}
#: the optional IR ops this module emits (``tcgkit.tcg.ops.OPTIONAL_OPS``)
CRYPTO_OPS: Final = frozenset({"aese_i64", "aesd_i64", "aesmc_i64", "aesimc_i64",
                                 "clmul_i64", *(f"{k}_i64" for k in SHA256_KINDS)})  # fmt: skip


def gen_aes(dc: DisasContext, kind: str, lo: Temp, hi: Temp, key_lo: Temp | None = None,
            key_hi: Temp | None = None) -> tuple[Temp, Temp]:  # fmt: skip
    """kind in ("aese", "aesd", "aesmc", "aesimc"); the key only for aese/aesd.

    Returns new temps (lo, hi) of the result: ``aese`` SubBytes(ShiftRows(state ^
    key)), ``aesd`` InvSubBytes(InvShiftRows(state ^ key)), ``aesmc`` MixColumns,
    ``aesimc`` InvMixColumns (``tcgkit.tcg.aes``)."""
    keyed = AES_KINDS.get(kind)
    if keyed is None:
        raise ValueError(f"no AES operation {kind!r}; known: {sorted(AES_KINDS)}")
    if keyed and (key_lo is None or key_hi is None):
        raise TypeError(f"{kind} takes a round key (key_lo, key_hi)")
    if not keyed and (key_lo is not None or key_hi is not None):
        raise TypeError(f"{kind} takes no round key")
    ctx = dc.ctx
    name = f"{kind}_i64"
    if name in dc.host_ops:
        out_lo, out_hi = ctx.temp(), ctx.temp()
        if keyed:
            ctx.emit(name, out_lo, out_hi, lo, hi, key_lo, key_hi)
        else:
            ctx.emit(name, out_lo, out_hi, lo, hi)
        return out_lo, out_hi
    return expand_aes(ctx, kind, lo, hi, key_lo, key_hi)


def gen_clmul(dc: DisasContext, a: Temp, b: Temp) -> tuple[Temp, Temp]:
    """64 x 64 -> 128 carry-less product (lo, hi)."""
    ctx = dc.ctx
    if "clmul_i64" in dc.host_ops:
        lo, hi = ctx.temp(), ctx.temp()
        ctx.emit("clmul_i64", lo, hi, a, b)
        return lo, hi
    return expand_clmul(ctx, a, b)


def gen_sha256(dc: DisasContext, kind: str, *ins: Temp) -> tuple[Temp, Temp]:
    """kind in ``SHA256_KINDS``; ``ins`` the (lo, hi) halves of its operands, in the
    order of its op (``tcgkit.tcg.ops``): ``sha256h`` and ``sha256h2`` take x (a, b, c,
    d), y (e, f, g, h) and w (message words plus constants), ``sha256su0`` d and n,
    ``sha256su1`` d, n and m.

    Returns new temps (lo, hi) of the result (``tcgkit.tcg.sha256``): ``sha256h`` the
    new abcd, ``sha256h2`` the new efgh, the others the schedule words."""
    return gen_op_or_expansion(dc, "SHA-256", SHA256_KINDS, kind, ins, expand_sha256)


def gen_op_or_expansion(dc: DisasContext, family: str, kinds: dict[str, int], kind: str,
                        ins: tuple[Temp, ...],
                        expand: Callable[..., tuple[Temp, Temp]]) -> tuple[Temp, Temp]:  # fmt: skip
    """The optional op ``{kind}_i64`` on ``ins`` (``kinds[kind]`` of them) where the host
    lowers it, else ``expand(ctx, kind, *ins)``: new temps (lo, hi) of the result
    (``gen_sha256``'s and ``tcgkit.tcg.crypto_sha``'s body; ``family`` names the ops
    in errors)."""
    n_in = kinds.get(kind)
    if n_in is None:
        raise ValueError(f"no {family} operation {kind!r}; known: {sorted(kinds)}")
    if len(ins) != n_in:
        raise TypeError(f"{kind} takes {n_in} halves, got {len(ins)}")
    ctx = dc.ctx
    name = f"{kind}_i64"
    if name in dc.host_ops:
        out_lo, out_hi = ctx.temp(), ctx.temp()
        ctx.emit(name, out_lo, out_hi, *ins)
        return out_lo, out_hi
    return expand(ctx, kind, *ins)


# -- the generic expansions ---------------------------------------------------------------

Operand = Temp | int


def _new(ctx: TCGContext, emit: Callable[..., object], *args: Operand) -> Temp:
    """A new temp set by ``emit(temp, *args)`` (a builder method of ``ctx``)."""
    t = ctx.temp()
    emit(t, *args)
    return t


def expand_aes(ctx: TCGContext, kind: str, lo: Operand, hi: Operand,
               key_lo: Operand | None = None, key_hi: Operand | None = None
               ) -> tuple[Temp, Temp]:  # fmt: skip
    """``gen_aes``'s generic expansion, into ``ctx``."""
    if kind in ("aese", "aesd"):
        assert key_lo is not None and key_hi is not None
        inverse = kind == "aesd"
        lo = _new(ctx, ctx.xor, lo, key_lo)
        hi = _new(ctx, ctx.xor, hi, key_hi)
        lo, hi = _shift_rows(ctx, lo, hi, inverse)
        return _sub_bytes(ctx, lo, hi, inverse)
    if kind == "aesmc":
        return _mix_columns(ctx, lo), _mix_columns(ctx, hi)
    if kind == "aesimc":
        return _inv_mix_columns(ctx, lo), _inv_mix_columns(ctx, hi)
    raise ValueError(f"no AES operation {kind!r}")


#: the bytes of row r in a 64-bit half (two columns): bytes r and r + 4
_ROW: Final = tuple(0x000000FF000000FF << (8 * r) for r in range(4))


def _shift_rows(ctx: TCGContext, lo: Temp, hi: Temp, inverse: bool) -> tuple[Temp, Temp]:
    """ShiftRows (row r of the 128-bit value rotated right by 32 r bits: byte
    r + 4c takes byte r + 4(c + r)), or its inverse (rotated left)."""
    # the 128-bit value rotated right by 32 bits: (f, g); left by 32: (g, f)
    f = _new(ctx, ctx.or_, _new(ctx, ctx.shr, lo, 32), _new(ctx, ctx.shl, hi, 32))
    g = _new(ctx, ctx.or_, _new(ctx, ctx.shr, hi, 32), _new(ctx, ctx.shl, lo, 32))
    r1, r3 = (g, f) if inverse else (f, g)  # sources of rows 1 and 3 in the low half
    out = []
    for row0, row1, row2, row3 in ((lo, r1, hi, r3), (hi, r3, lo, r1)):
        acc = _new(ctx, ctx.and_, row0, _ROW[0])
        for r, src in ((1, row1), (2, row2), (3, row3)):
            acc = _new(ctx, ctx.or_, acc, _new(ctx, ctx.and_, src, _ROW[r]))
        out.append(acc)
    return out[0], out[1]


_LOW7: Final = 0x7F7F7F7F7F7F7F7F
_BYTE_LSB: Final = 0x0101010101010101


def _xtime(ctx: TCGContext, x: Operand) -> Temp:
    """Each byte of ``x`` times x in GF(2^8)."""
    carry = _new(ctx, ctx.and_, _new(ctx, ctx.shr, x, 7), _BYTE_LSB)
    doubled = _new(ctx, ctx.shl, _new(ctx, ctx.and_, x, _LOW7), 1)
    return _new(ctx, ctx.xor, doubled, _new(ctx, ctx.mul, carry, 0x1B))


def _rot_bytes(ctx: TCGContext, x: Operand, n: int) -> Temp:
    """Each 32-bit lane (a column) of ``x`` rotated right by ``n`` bytes: byte r of a
    column takes byte r + n."""
    keep = (0xFFFFFFFF >> (8 * n)) * 0x0000000100000001
    right = _new(ctx, ctx.and_, _new(ctx, ctx.shr, x, 8 * n), keep)
    left = _new(ctx, ctx.and_, _new(ctx, ctx.shl, x, 32 - 8 * n), keep ^ M64)
    return _new(ctx, ctx.or_, right, left)


def _mix_columns(ctx: TCGContext, a: Operand) -> Temp:
    """MixColumns on two columns: out_r = 2 (a_r + a_r+1) + a_r+1 + a_r+2 + a_r+3."""
    a1 = _rot_bytes(ctx, a, 1)
    b = _new(ctx, ctx.xor, a, a1)  # b_r = a_r + a_r+1; (b >>> 2)_r = a_r+2 + a_r+3
    out = _new(ctx, ctx.xor, _xtime(ctx, b), a1)
    return _new(ctx, ctx.xor, out, _rot_bytes(ctx, b, 2))


def _inv_mix_columns(ctx: TCGContext, a: Operand) -> Temp:
    """InvMixColumns on two columns: MixColumns of u_r = a_r + 4 (a_r + a_r+2)."""
    c = _new(ctx, ctx.xor, a, _rot_bytes(ctx, a, 2))
    # 4c per byte: c << 2 within the byte, plus x^8 and x^9 reduced (0x1b, 0x36)
    four = _new(ctx, ctx.shl, _new(ctx, ctx.and_, c, 0x3F3F3F3F3F3F3F3F), 2)
    for bit, red in ((6, 0x1B), (7, 0x36)):
        top = _new(ctx, ctx.and_, _new(ctx, ctx.shr, c, bit), _BYTE_LSB)
        four = _new(ctx, ctx.xor, four, _new(ctx, ctx.mul, top, red))
    return _mix_columns(ctx, _new(ctx, ctx.xor, a, four))


#: odd bit positions: the low half's bits that trade places with the high half's
_ODD: Final = 0xAAAAAAAAAAAAAAAA
#: the lanes of a bit-plane: bits 0 and 1 of every byte
_LANES: Final = 0x0303030303030303


def _swap_halves(ctx: TCGContext, lo: Temp, hi: Temp) -> tuple[Temp, Temp]:
    """Exchange bit 2k + 1 of ``lo`` with bit 2k of ``hi`` (its own inverse)."""
    t = _new(ctx, ctx.and_, _new(ctx, ctx.xor, _new(ctx, ctx.shl, hi, 1), lo), _ODD)
    return _new(ctx, ctx.xor, lo, t), _new(ctx, ctx.xor, hi, _new(ctx, ctx.shr, t, 1))


def _sub_bytes(ctx: TCGContext, lo: Temp, hi: Temp, inverse: bool) -> tuple[Temp, Temp]:
    """SubBytes (or InvSubBytes) of the 16 bytes, bitsliced.

    After ``_swap_halves``, bit j of byte k sits in half j & 1 at bit (j & 6) +
    (k & 7) * 8 + (k >> 3): plane j (bit j of all 16 bytes) is that half shifted right
    by j & 6, its lanes at ``_LANES``."""
    lo, hi = _swap_halves(ctx, lo, hi)
    planes: list[Temp] = []
    for j in range(8):
        half = hi if j & 1 else lo
        planes.append(_new(ctx, ctx.shr, half, j & 6) if j & 6 else half)
    outs = _emit_circuit(ctx, _sbox_circuit(inverse), planes)
    halves = []
    for parity in (0, 1):
        acc: Temp | None = None
        for j in range(parity, 8, 2):
            part = _new(ctx, ctx.and_, outs[j], _LANES)
            if j & 6:
                part = _new(ctx, ctx.shl, part, j & 6)
            acc = part if acc is None else _new(ctx, ctx.or_, acc, part)
        assert acc is not None
        halves.append(acc)
    return _swap_halves(ctx, halves[0], halves[1])


def expand_clmul(ctx: TCGContext, a: Operand, b: Operand) -> tuple[Temp, Temp]:
    """``gen_clmul``'s generic expansion, into ``ctx`` (see the module docstring)."""
    classes = [sum(1 << i for i in range(k, 64, 5)) for k in range(5)]
    xa = [_new(ctx, ctx.and_, a, m) for m in classes]
    yb = [_new(ctx, ctx.and_, b, m) for m in classes]
    lo_acc: Temp | None = None
    hi_acc: Temp | None = None
    for k in range(5):
        lo_k: Temp | None = None
        hi_k: Temp | None = None
        for i in range(5):
            pl, ph = ctx.temp(), ctx.temp()
            ctx.mulu2(pl, ph, xa[i], yb[(k - i) % 5])
            lo_k = pl if lo_k is None else _new(ctx, ctx.xor, lo_k, pl)
            hi_k = ph if hi_k is None else _new(ctx, ctx.xor, hi_k, ph)
        assert lo_k is not None and hi_k is not None
        # bit 64 + i of the product is in class (64 + i) mod 5: i = k + 1 (mod 5)
        lo_k = _new(ctx, ctx.and_, lo_k, classes[k])
        hi_k = _new(ctx, ctx.and_, hi_k, classes[(k + 1) % 5])
        lo_acc = lo_k if lo_acc is None else _new(ctx, ctx.or_, lo_acc, lo_k)
        hi_acc = hi_k if hi_acc is None else _new(ctx, ctx.or_, hi_acc, hi_k)
    assert lo_acc is not None and hi_acc is not None
    return lo_acc, hi_acc


# -- SHA-256 ----------------------------------------------------------------------------------


def _new32(ctx: TCGContext, emit: Callable[..., object], *args: Operand) -> Temp:
    """A new i32 temp set by ``emit(temp, *args)``."""
    t = ctx.temp(I32)
    emit(t, *args)
    return t


class _Words:
    """The four 32-bit words of a (lo, hi) pair as i32 temps, each extracted when
    first used (a value fewer live until then)."""

    def __init__(self, ctx: TCGContext, lo: Operand, hi: Operand) -> None:
        self.ctx, self.halves = ctx, (lo, hi)
        self.cache: dict[int, Temp] = {}

    def __getitem__(self, i: int) -> Temp:
        w = self.cache.get(i)
        if w is None:
            ctx = self.ctx
            emit = ctx.extrh_i64_i32 if i & 1 else ctx.extrl_i64_i32
            w = self.cache[i] = _new32(ctx, emit, self.halves[i >> 1])
        return w


def _join(ctx: TCGContext, words: list[Temp]) -> tuple[Temp, Temp]:
    """(lo, hi) of four i32 words, word 0 first."""
    out = []
    for w0, w1 in (words[:2], words[2:]):
        lo, hi = _new(ctx, ctx.extu_i32_i64, w0), _new(ctx, ctx.extu_i32_i64, w1)
        out.append(_new(ctx, ctx.deposit, lo, hi, 32, 32))
    return out[0], out[1]


def _like(ctx: TCGContext, emit: Callable[..., object], x: Temp, *args: Operand) -> Temp:
    """A new temp of ``x``'s type set by ``emit(temp, x, *args)``."""
    t = ctx.temp(x.type)
    emit(t, x, *args)
    return t


def _sum(ctx: TCGContext, *xs: Temp) -> Temp:
    """The sum of temps of one type (i32 or i64)."""
    acc = xs[0]
    for x in xs[1:]:
        acc = _like(ctx, ctx.add, acc, x)
    return acc


def _sigma(ctx: TCGContext, x: Temp, r1: int, r2: int, r3: int, shift: bool) -> Temp:
    """ROR(x, r1) ^ ROR(x, r2) ^ (LSR if ``shift`` else ROR)(x, r3), at ``x``'s width."""
    a = _like(ctx, ctx.rotr, x, r1)
    b = _like(ctx, ctx.rotr, x, r2)
    c = _like(ctx, ctx.shr if shift else ctx.rotr, x, r3)
    return _like(ctx, ctx.xor, _like(ctx, ctx.xor, a, b), c)


def _sha256_rounds(ctx: TCGContext, x: list[Temp], y: list[Temp], w: _Words,
                   want_x: bool) -> list[Temp]:  # fmt: skip
    """Four rounds (``sha256.sha256_hash``) on x (a, b, c, d) and y (e, f, g, h): the
    new x if ``want_x`` else the new y."""
    bc = _new32(ctx, ctx.xor, x[1], x[2])  # b ^ c for the first Maj
    for e in range(4):
        a, b, c, d = x
        ee, f, g, h = y
        ch = _new32(ctx, ctx.xor, _new32(ctx, ctx.and_, _new32(ctx, ctx.xor, f, g), ee), g)
        t = _sum(ctx, h, _sigma(ctx, ee, 6, 11, 25, False), ch, w[e])
        # the last round's new e is not in (a, b, c, d) and its new a not in (e, f, g, h):
        # the one not wanted is left out (``d``, ``a``: placeholders never returned)
        last = e == 3
        new_e = d if last and want_x else _new32(ctx, ctx.add, t, d)
        if last and not want_x:
            new_a = a
        else:
            ab = _new32(ctx, ctx.xor, a, b)
            maj = _new32(ctx, ctx.xor, _new32(ctx, ctx.and_, ab, bc), b)
            new_a = _sum(ctx, t, _sigma(ctx, a, 2, 13, 22, False), maj)
            bc = ab  # the next round's b ^ c: its b and c are a and b
        x, y = [new_a, a, b, c], [new_e, ee, f, g]
    return x if want_x else y


def expand_sha256(ctx: TCGContext, kind: str, *ins: Operand) -> tuple[Temp, Temp]:
    """``gen_sha256``'s generic expansion, into ``ctx``."""
    if kind in ("sha256h", "sha256h2"):
        xw, yw = _Words(ctx, ins[0], ins[1]), _Words(ctx, ins[2], ins[3])
        x = [xw[i] for i in range(4)]
        y = [yw[i] for i in range(4)]
        out = _sha256_rounds(ctx, x, y, _Words(ctx, ins[4], ins[5]), kind == "sha256h")
    elif kind == "sha256su0":  # d[e] + sigma0((d1, d2, d3, n0)[e])
        d, n = _Words(ctx, ins[0], ins[1]), _Words(ctx, ins[2], ins[3])
        t = [d[1], d[2], d[3], n[0]]
        out = [_new32(ctx, ctx.add, _sigma(ctx, t[e], 7, 18, 3, True), d[e]) for e in range(4)]
    elif kind == "sha256su1":  # d[e] + (n1, n2, n3, m0)[e] + sigma1((m2, m3, out0, out1)[e])
        d, n, m = (_Words(ctx, ins[2 * i], ins[2 * i + 1]) for i in range(3))
        t0 = [n[1], n[2], n[3], m[0]]
        t1 = [m[2], m[3]]
        out = []
        for e in range(4):
            sig = _sigma(ctx, t1[e] if e < 2 else out[e - 2], 17, 19, 10, True)
            out.append(_sum(ctx, sig, d[e], t0[e]))
    else:
        raise ValueError(f"no SHA-256 operation {kind!r}")
    return _join(ctx, out)


# -- the S-box circuit ----------------------------------------------------------------------
#
# Signals are numbered: 0-7 are the input bits, the others gates. A linear
# expression over signals is an int: bit 0 the constant 1, bit s + 1 signal s.
# A gate is (kind, out, a, b) with kind one of "and", "andc" (a & ~b), "nor",
# "xor", "eqv" (~(a ^ b)), "not" (b unused).

Gate = tuple[str, int, int, int]

#: the tower's generators, elements of GF(2^8) in AES's polynomial basis: W
#: (W^2 = W + 1) spans GF(4) over GF(2), Z (Z^2 = Z + phi, phi in GF(4)) GF(16) over
#: GF(4), Y (Y^2 = Y + lambda, lambda in GF(16)) GF(2^8) over GF(16). Chosen among
#: the 128 such towers for the fewest XORs of the two circuits together: the S-box
#: takes 36 ANDs and 122 XOR/XNOR gates, its inverse 36 AND/ANDC/NOR and 120 XORs.
TOWER_W: Final = 0xBD
TOWER_Z: Final = 0x5C
TOWER_Y: Final = 0x42


class _Circuit:
    """AND gates over linear expressions, shared when they repeat."""

    def __init__(self, nsignals: int) -> None:
        self.next = nsignals
        self.ands: list[tuple[int, int, int]] = []  # (signal, a, b): linear expressions
        self._seen: dict[tuple[int, int], int] = {}

    def and_(self, a: int, b: int) -> int:
        if a == 0 or b == 0:
            return 0
        if a == 1 or a == b:
            return b
        if b == 1:
            return a
        key = (min(a, b), max(a, b))
        got = self._seen.get(key)
        if got is None:
            got = self._seen[key] = 1 << (self.next + 1)
            self.ands.append((self.next, key[0], key[1]))
            self.next += 1
        return got


# tower arithmetic on linear expressions: GF(4) is (a1, a0) = a1 W + a0, GF(16) is
# (A1, A0) = A1 Z + A0, GF(2^8) is (B1, B0) = B1 Y + B0; constants are tuples of 0/1


def _mul4(c: _Circuit, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    # (a1 W + a0)(b1 W + b0) with W^2 = W + 1, three ANDs (Karatsuba)
    p, q = c.and_(a[0], b[0]), c.and_(a[1], b[1])
    r = c.and_(a[0] ^ a[1], b[0] ^ b[1])
    return r ^ q, p ^ q


G4 = tuple[int, int]
G16 = tuple[G4, G4]


def _add4(a: G4, b: G4) -> G4:
    return a[0] ^ b[0], a[1] ^ b[1]


def _mul16(c: _Circuit, a: G16, b: G16, phi: G4) -> G16:
    # (A1 Z + A0)(B1 Z + B0) with Z^2 = Z + phi
    p, q = _mul4(c, a[0], b[0]), _mul4(c, a[1], b[1])
    r = _mul4(c, _add4(a[0], a[1]), _add4(b[0], b[1]))
    return _add4(r, q), _add4(_mul4(c, p, phi), q)


def _add16(a: G16, b: G16) -> G16:
    return _add4(a[0], b[0]), _add4(a[1], b[1])


def _inv16(c: _Circuit, a: G16, phi: G4) -> G16:
    # (A1 Z + A0)^-1 = (A1 Z + A1 + A0) / (phi A1^2 + A1 A0 + A0^2); in GF(4) 1/d = d^2
    d = _add4(_add4(_mul4(c, _mul4(c, a[0], a[0]), phi), _mul4(c, a[0], a[1])),
              _mul4(c, a[1], a[1]))  # fmt: skip
    d_inv = _mul4(c, d, d)
    return _mul4(c, a[0], d_inv), _mul4(c, _add4(a[0], a[1]), d_inv)


def _inv256(c: _Circuit, b: tuple[G16, G16], phi: G4, lam: G16) -> tuple[G16, G16]:
    # (B1 Y + B0)^-1 = (B1 Y + B1 + B0) / (lambda B1^2 + B1 B0 + B0^2)
    d = _add16(_add16(_mul16(c, _mul16(c, b[0], b[0], phi), lam, phi),
                      _mul16(c, b[0], b[1], phi)), _mul16(c, b[1], b[1], phi))  # fmt: skip
    d_inv = _inv16(c, d, phi)
    return _mul16(c, b[0], d_inv, phi), _mul16(c, _add16(b[0], b[1]), d_inv, phi)


def _tower_basis() -> tuple[list[int], G4, G16]:
    """The tower's basis in GF(2^8) (tower bit k -> element), phi and lambda in tower
    coordinates."""
    from .aes import gf_mul as mul

    w, z, y = TOWER_W, TOWER_Z, TOWER_Y
    basis = [1, w, z, mul(w, z), y, mul(w, y), mul(z, y), mul(mul(w, z), y)]

    def coords(v: int, n: int) -> int:
        for k in range(1 << n):
            if _apply(basis, k) == v:
                return k
        raise AssertionError(f"{v:#x} is not in the subfield")

    assert mul(w, w) ^ w == 1
    phi = coords(mul(z, z) ^ z, 2)
    lam = coords(mul(y, y) ^ y, 4)
    assert phi in (2, 3) and lam >= 4  # irreducible: phi not in GF(2), lambda not in GF(4)
    phi4 = (phi >> 1, phi & 1)
    lam16 = ((lam >> 3, lam >> 2 & 1), (lam >> 1 & 1, lam & 1))
    return basis, phi4, lam16


def _apply(cols: list[int], v: int) -> int:
    """The matrix with columns ``cols`` (ints over GF(2)) times the vector ``v``."""
    r = 0
    for j, col in enumerate(cols):
        if v >> j & 1:
            r ^= col
    return r


def _linear(cols: list[int], const: int, x: list[int]) -> list[int]:
    """Expressions of ``cols`` times the vector of expressions ``x``, plus ``const``."""
    out = []
    for i in range(8):
        e = const >> i & 1
        for j, col in enumerate(cols):
            if col >> i & 1:
                e ^= x[j]
        out.append(e)
    return out


@functools.cache
def _sbox_circuit(inverse: bool) -> tuple[tuple[Gate, ...], tuple[int, ...]]:
    """The S-box (or its inverse) as gates on input signals 0-7 (bit j of the byte):
    (gates in an order that computes each before its use, the 8 output signals)."""
    from . import aes  # here: the module computes its S-box at import

    basis, phi, lam = _tower_basis()
    to_tower = [next(v for v in range(256) if _apply(basis, v) == 1 << j) for j in range(8)]
    # AES bits -> tower coordinates, and back, with the affine map folded in
    if inverse:
        in_cols = [_apply(to_tower, aes.inv_affine(1 << j) ^ 0x05) for j in range(8)]
        in_const = _apply(to_tower, 0x05)
        out_cols, out_const = basis, 0
    else:
        in_cols, in_const = to_tower, 0
        out_cols = [aes.affine(v) ^ aes.AFFINE_CONST for v in basis]
        out_const = aes.AFFINE_CONST
    c = _Circuit(8)
    t = _linear(in_cols, in_const, [1 << (j + 1) for j in range(8)])
    # tower bit k: B1 = bits 7-4, B0 = bits 3-0; A1 = bits 3-2 of a GF(16) nibble
    b = (((t[7], t[6]), (t[5], t[4])), ((t[3], t[2]), (t[1], t[0])))
    inv = _inv256(c, b, phi, lam)
    flat = [inv[1][1][1], inv[1][1][0], inv[1][0][1], inv[1][0][0],
            inv[0][1][1], inv[0][1][0], inv[0][0][1], inv[0][0][0]]  # fmt: skip
    outs = _linear(out_cols, out_const, flat)
    return _synthesize(c, outs)


def _synthesize(c: _Circuit, outs: list[int]) -> tuple[tuple[Gate, ...], tuple[int, ...]]:
    """Gates computing the AND gates' inputs and ``outs`` (linear expressions, with
    constants): one XOR network for all of them, by Paar's greedy elimination (the
    pair of signals most targets hold becomes a gate, until no pair repeats)."""
    targets = sorted({e & ~1 for _, a, b in c.ands for e in (a, b)} | {e & ~1 for e in outs})
    sets = [{s for s in range(e.bit_length()) if e >> (s + 1) & 1} for e in targets]
    nxt = c.next
    pairs: dict[int, tuple[int, int]] = {}  # signal -> the two it is the XOR of
    while True:
        counts: dict[tuple[int, int], int] = {}
        for s in sets:
            members = sorted(s)
            for i, x in enumerate(members):
                for y in members[i + 1 :]:
                    counts[(x, y)] = counts.get((x, y), 0) + 1
        best = max(counts.values(), default=0)
        if best < 2:
            break
        pair = min(p for p, n in counts.items() if n == best)
        pairs[nxt] = pair
        for s in sets:
            if pair[0] in s and pair[1] in s:
                s -= set(pair)
                s.add(nxt)
        nxt += 1
    # each target: the XOR of what is left of it (gates made on demand, in order)
    gates: list[Gate] = []
    done: set[int] = set(range(8))
    and_of = {s: (a, b) for s, a, b in c.ands}
    signal_of: dict[int, int] = {}  # target (constant cleared) -> its signal
    complement: dict[int, int] = {}  # signal -> the signal of its complement

    def make(s: int) -> None:
        if s in done:
            return
        if s in pairs:
            x, y = pairs[s]
            make(x)
            make(y)
            gates.append(("xor", s, x, y))
        else:
            a, b = and_of[s]
            sa, sb = target(a & ~1), target(b & ~1)
            if a & 1 and b & 1:
                gates.append(("nor", s, sa, sb))
            elif a & 1 or b & 1:
                sa, sb = (sb, sa) if a & 1 else (sa, sb)
                gates.append(("andc", s, sa, sb))  # the complemented input second
            else:
                gates.append(("and", s, sa, sb))
        done.add(s)

    def target(e: int, kind: str = "xor") -> int:
        nonlocal nxt
        got = signal_of.get(e)
        if got is not None:
            return got
        members = sorted(sets[targets.index(e)])
        for m in members:
            make(m)
        acc = members[0]
        for i, m in enumerate(members[1:]):
            gates.append((kind if i == len(members) - 2 else "xor", nxt, acc, m))
            acc = nxt
            nxt += 1
        signal_of[e] = acc
        return acc

    out_signals = []
    for e in outs:
        linear = e & ~1
        if not e & 1:
            out_signals.append(target(linear))
            continue
        n_terms = len(sets[targets.index(linear)])
        if linear not in signal_of and n_terms > 1 and (e ^ 1) not in outs:
            # the last XOR of a complemented output as XNOR (not needed plain elsewhere)
            out_signals.append(target(linear, "eqv"))
            signal_of.pop(linear)  # that signal is the complement: not for other users
            continue
        s = target(linear)
        if s not in complement:
            complement[s] = nxt
            gates.append(("not", nxt, s, s))
            nxt += 1
        out_signals.append(complement[s])
    return _schedule(gates, out_signals), tuple(out_signals)


def _schedule(gates: list[Gate], outs: list[int]) -> tuple[Gate, ...]:
    """The gates reordered to keep fewer values live (fewer spills on a host with
    few registers): greedily, among the gates whose inputs are computed, the one
    that ends the most of its inputs' lives; the earliest on a tie."""
    uses: dict[int, int] = {}
    for _, _, a, b in gates:
        for x in {a, b}:
            uses[x] = uses.get(x, 0) + 1
    for x in outs:
        uses[x] = uses.get(x, 0) + 1
    done = set(range(8))
    pending = list(gates)
    order: list[Gate] = []
    while pending:
        best, score = 0, -1
        for i, (_, _, a, b) in enumerate(pending):
            if a in done and b in done:
                ends = (uses[a] == 1) + (b != a and uses[b] == 1)
                if ends > score:
                    best, score = i, ends
                    if ends == 2:
                        break
        gate = pending.pop(best)
        order.append(gate)
        done.add(gate[1])
        for x in {gate[2], gate[3]}:
            uses[x] -= 1
    return tuple(order)


_GATE_EMIT: Final = {"and": "and_", "andc": "andc", "nor": "nor", "xor": "xor", "eqv": "eqv"}


def _emit_circuit(ctx: TCGContext, circuit: tuple[tuple[Gate, ...], tuple[int, ...]],
                  inputs: list[Temp]) -> list[Temp]:  # fmt: skip
    """The circuit's gates as IR ops on ``inputs``; the output temps."""
    gates, outs = circuit
    sig: dict[int, Temp] = dict(enumerate(inputs))
    for kind, out, a, b in gates:
        t = ctx.temp()
        if kind == "not":
            ctx.not_(t, sig[a])
        else:
            getattr(ctx, _GATE_EMIT[kind])(t, sig[a], sig[b])
        sig[out] = t
    return [sig[s] for s in outs]


def evaluate_circuit(circuit: tuple[tuple[Gate, ...], tuple[int, ...]],
                     inputs: list[int], mask: int) -> list[int]:  # fmt: skip
    """The circuit on Python ints (one lane per bit, ``mask`` all lanes): for tests."""
    gates, outs = circuit
    sig = dict(enumerate(inputs))
    for kind, out, a, b in gates:
        x, y = sig[a], sig[b]
        if kind == "and":
            v = x & y
        elif kind == "andc":
            v = x & ~y
        elif kind == "nor":
            v = ~(x | y)
        elif kind == "xor":
            v = x ^ y
        elif kind == "eqv":
            v = ~(x ^ y)
        else:
            v = ~x
        sig[out] = v & mask
    return [sig[s] for s in outs]
