"""Translators: the A64 cryptographic extension.

Owns the instructions of the Arm ARM's cryptographic encoding classes and their
decoder patterns (``PATTERNS``, spliced into ``decode.PATTERNS`` ahead of the
AdvSIMD classes): AES (AESE, AESD, AESMC, AESIMC), three-register SHA (SHA1C,
SHA1P, SHA1M, SHA1SU0, SHA256H, SHA256H2, SHA256SU1), two-register SHA (SHA1H,
SHA1SU1, SHA256SU0), three-register SHA512 (SHA512H, SHA512H2, SHA512SU1, RAX1,
SM3PARTW1, SM3PARTW2, SM4EKEY), two-register SHA512 (SHA512SU0, SM4E),
three-register imm2 (SM3TT1A, SM3TT1B, SM3TT2A, SM3TT2B), four-register (EOR3,
BCAX, SM3SS1) and XAR. A word of these classes that no instruction allocates is
invalid. PMULL{2} of doublewords, an AdvSIMD three-different instruction, is
``trans_simd_int``'s (through ``gen_clmul``).

SM3 and SM4 are i32 IR on the four words of a vector (words 0 and 1 in the ``vlo``
global, 2 and 3 in ``vhi``); the SHA3 group is i64 IR on the halves. The SM4 S-box
is a lookup made of IR: a chain of movconds on the index picks one of 32 i64
constants (eight S-box bytes each; the table is built on first use from the
S-box's algebraic definition) and a shift picks the byte. AES, SHA-1, SHA-256 and
SHA-512 go through ``tcgkit.tcg.crypto`` and ``tcgkit.tcg.crypto_sha``
(``gen_aes``, ``gen_sha256``, ``gen_sha1``, ``gen_sha512``: the host's instruction
when it has one, else a generic expansion; SHA1H and SHA1SU0 always plain IR). No
Python helper is called from generated code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from tcgkit.target import DisasContext
from tcgkit.tcg.crypto import gen_aes, gen_sha256
from tcgkit.tcg.crypto_sha import gen_sha1, gen_sha1h, gen_sha1su0, gen_sha512
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.types import I32, I64, TCGType

from .aliases import COND_GEU
from .bits import field

if TYPE_CHECKING:
    from tcgkit.tcg.context import TCGContext

    from .target import AArch64Target


class _Ops:
    """Formulas on one width: each method emits its ops into fresh temps and returns
    the result, so the translators read like the Arm ARM's pseudocode."""

    def __init__(self, ctx: TCGContext, ty: TCGType) -> None:
        self.ctx, self.ty = ctx, ty

    def _fold(self, emit: Callable[..., object], xs: Sequence[Temp]) -> Temp:
        r = xs[0]
        for x in xs[1:]:
            o = self.ctx.temp(self.ty)
            emit(o, r, x)
            r = o
        return r

    def xor(self, *xs: Temp) -> Temp:
        return self._fold(self.ctx.xor, xs)

    def add(self, *xs: Temp) -> Temp:
        return self._fold(self.ctx.add, xs)

    def and_(self, a: Temp, b: Temp) -> Temp:
        return self._fold(self.ctx.and_, (a, b))

    def or_(self, a: Temp, b: Temp) -> Temp:
        return self._fold(self.ctx.or_, (a, b))

    def rol(self, a: Temp, n: int) -> Temp:
        o = self.ctx.temp(self.ty)
        self.ctx.rotl(o, a, n)
        return o

    def ror(self, a: Temp, n: int) -> Temp:
        o = self.ctx.temp(self.ty)
        self.ctx.rotr(o, a, n)
        return o

    def ch(self, x: Temp, y: Temp, z: Temp) -> Temp:
        """(x AND y) OR (NOT x AND z), as ((y EOR z) AND x) EOR z."""
        return self.xor(self.and_(self.xor(y, z), x), z)

    def maj(self, x: Temp, y: Temp, z: Temp) -> Temp:
        """The majority of each bit: (x AND y) OR ((x OR y) AND z)."""
        return self.or_(self.and_(x, y), self.and_(self.or_(x, y), z))


# -- vector registers as four words -----------------------------------------------------


def _words(t: AArch64Target, dc: DisasContext, n: int) -> list[Temp]:
    """The four 32-bit words of v<n>, least significant first, as i32 temps."""
    ctx = dc.ctx
    out: list[Temp] = []
    for half in (t.vlo[n], t.vhi[n]):
        lo, hi = ctx.temp(I32), ctx.temp(I32)
        ctx.extrl_i64_i32(lo, half)
        ctx.extrh_i64_i32(hi, half)
        out += (lo, hi)
    return out


def _word(t: AArch64Target, dc: DisasContext, n: int, i: int) -> Temp:
    """Word ``i`` of v<n> as an i32 temp."""
    w = dc.ctx.temp(I32)
    half = t.vhi[n] if i >= 2 else t.vlo[n]
    (dc.ctx.extrh_i64_i32 if i & 1 else dc.ctx.extrl_i64_i32)(w, half)
    return w


def _set_words(t: AArch64Target, dc: DisasContext, d: int,
               words: Sequence[Temp | None]) -> None:  # fmt: skip
    """v<d> = the four words (None: zero). The words are temps, computed already."""
    ctx = dc.ctx
    for half, (w0, w1) in ((t.vlo[d], words[:2]), (t.vhi[d], words[2:])):
        if w0 is None and w1 is None:
            ctx.movi(half, 0)
            continue
        lo = ctx.temp()
        if w0 is None:
            ctx.movi(lo, 0)
        else:
            ctx.extu_i32_i64(lo, w0)
        if w1 is None:
            ctx.mov(half, lo)
        else:
            hi = ctx.temp()
            ctx.extu_i32_i64(hi, w1)
            ctx.deposit(half, lo, hi, 32, 32)


def _set_halves(t: AArch64Target, dc: DisasContext, d: int, lo: Temp, hi: Temp) -> None:
    dc.ctx.mov(t.vlo[d], lo)
    dc.ctx.mov(t.vhi[d], hi)


# -- AES ---------------------------------------------------------------------------------

_AES_KINDS: Final = {4: "aese", 5: "aesd", 6: "aesmc", 7: "aesimc"}


def aes(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """AESE, AESD (Vd = SubBytes(ShiftRows(Vd EOR Vn)), or the inverses); AESMC,
    AESIMC (Vd = [Inv]MixColumns(Vn))."""
    size, opcode = field(insn, 23, 22), field(insn, 16, 12)
    rn, rd = field(insn, 9, 5), insn & 31
    kind = _AES_KINDS.get(opcode)
    if size or kind is None:
        raise dc.invalid(insn, "unallocated AES instruction")
    if opcode < 6:
        lo, hi = gen_aes(dc, kind, t.vlo[rd], t.vhi[rd], t.vlo[rn], t.vhi[rn])
    else:
        lo, hi = gen_aes(dc, kind, t.vlo[rn], t.vhi[rn])
    _set_halves(t, dc, rd, lo, hi)


# -- SHA-1, SHA-256 and SHA-512 ---------------------------------------------------------------

#: the ``gen_sha1`` / ``gen_sha256`` kind of each three-register SHA instruction, by opcode
_SHA_THREE: Final = {0: "sha1c", 1: "sha1p", 2: "sha1m", 4: "sha256h", 5: "sha256h2",
                     6: "sha256su1"}  # fmt: skip
#: the ``gen_sha512`` kind of SHA512H, SHA512H2, SHA512SU1, by opcode
_SHA512_THREE: Final = {0: "sha512h", 1: "sha512h2", 2: "sha512su1"}


def sha_three_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SHA1C (opcode 0), SHA1P (1), SHA1M (2), SHA1SU0 (3), SHA256H (4), SHA256H2 (5),
    SHA256SU1 (6)."""
    size, opcode = field(insn, 23, 22), field(insn, 14, 12)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if size or opcode == 7:
        raise dc.invalid(insn, "unallocated SHA three-register instruction")
    d, n, m = (t.vlo[rd], t.vhi[rd]), (t.vlo[rn], t.vhi[rn]), (t.vlo[rm], t.vhi[rm])
    if opcode < 3:  # SHA1C/P/M Qd, Sn, Vm: abcd = Qd, e = Sn
        lo, hi = gen_sha1(dc, _SHA_THREE[opcode], *d, n[0], *m)
    elif opcode == 3:  # SHA1SU0
        lo, hi = gen_sha1su0(dc, *d, *n, *m)
    elif opcode == 5:  # SHA256H2: Qd is efgh, Qn abcd
        lo, hi = gen_sha256(dc, "sha256h2", *n, *d, *m)
    else:  # SHA256H: Qd is abcd, Qn efgh; SHA256SU1
        lo, hi = gen_sha256(dc, _SHA_THREE[opcode], *d, *n, *m)
    _set_halves(t, dc, rd, lo, hi)


def sha_two_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SHA1H (opcode 0), SHA1SU1 (1), SHA256SU0 (2)."""
    size, opcode = field(insn, 23, 22), field(insn, 16, 12)
    rn, rd = field(insn, 9, 5), insn & 31
    if size or opcode > 2:
        raise dc.invalid(insn, "unallocated SHA two-register instruction")
    ctx = dc.ctx
    if opcode == 0:  # SHA1H: ROL(Vn<31:0>, 30), the rest zero
        ctx.mov(t.vlo[rd], gen_sha1h(dc, t.vlo[rn]))
        ctx.movi(t.vhi[rd], 0)
        return
    ins = (t.vlo[rd], t.vhi[rd], t.vlo[rn], t.vhi[rn])
    if opcode == 1:
        lo, hi = gen_sha1(dc, "sha1su1", *ins)
    else:
        lo, hi = gen_sha256(dc, "sha256su0", *ins)
    _set_halves(t, dc, rd, lo, hi)


def sha512_three_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SHA512H, SHA512H2, SHA512SU1, RAX1 (O=0, opcode 0-3); SM3PARTW1, SM3PARTW2,
    SM4EKEY (O=1, opcode 0-2)."""
    o_bit, opcode = field(insn, 14, 14), field(insn, 11, 10)
    rm, rn, rd = field(insn, 20, 16), field(insn, 9, 5), insn & 31
    if not o_bit:
        vd, vn, vm = (t.vlo[rd], t.vhi[rd]), (t.vlo[rn], t.vhi[rn]), (t.vlo[rm], t.vhi[rm])
        if opcode == 3:  # RAX1: Vn EOR ROL(Vm, 1)
            q = _Ops(dc.ctx, I64)
            lo, hi = q.xor(vn[0], q.rol(vm[0], 1)), q.xor(vn[1], q.rol(vm[1], 1))
        elif opcode == 2:  # SHA512SU1 Vd, Vn, Vm
            lo, hi = gen_sha512(dc, "sha512su1", *vd, *vn, *vm)
        else:  # SHA512H / SHA512H2 Qd, Qn, Vm: x = Vn, y = Vm, w = Vd
            lo, hi = gen_sha512(dc, _SHA512_THREE[opcode], *vn, *vm, *vd)
        _set_halves(t, dc, rd, lo, hi)
        return
    if opcode == 3:
        raise dc.invalid(insn, "unallocated SHA512 three-register instruction")
    o = _Ops(dc.ctx, I32)
    if opcode == 2:  # SM4EKEY: four key-schedule rounds of Vn with the constants Vm
        _set_words(t, dc, rd, _sm4_rounds(dc, o, _words(t, dc, rn), _words(t, dc, rm), True))
        return
    d, n, m = _words(t, dc, rd), _words(t, dc, rn), _words(t, dc, rm)
    if opcode == 0:  # SM3PARTW1
        out = [_p1(o, o.xor(d[i], n[i], o.rol(m[i + 1], 15))) for i in range(3)]
        out.append(_p1(o, o.xor(d[3], n[3], o.rol(out[0], 15))))
    else:  # SM3PARTW2
        w = [o.xor(n[i], o.rol(m[i], 7)) for i in range(4)]
        out = [o.xor(d[i], w[i]) for i in range(4)]
        tmp = o.rol(w[0], 15)
        out[3] = o.xor(out[3], tmp, o.rol(tmp, 15), o.rol(tmp, 23))
    _set_words(t, dc, rd, out)


def sha512_two_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SHA512SU0 (opcode 0), SM4E (1)."""
    opcode, rn, rd = field(insn, 11, 10), field(insn, 9, 5), insn & 31
    if opcode > 1:
        raise dc.invalid(insn, "unallocated SHA512 two-register instruction")
    if opcode == 1:  # SM4E: four rounds of Vd with the round keys Vn
        o = _Ops(dc.ctx, I32)
        _set_words(t, dc, rd, _sm4_rounds(dc, o, _words(t, dc, rd), _words(t, dc, rn), False))
        return
    lo, hi = gen_sha512(dc, "sha512su0", t.vlo[rd], t.vhi[rd], t.vlo[rn], t.vhi[rn])
    _set_halves(t, dc, rd, lo, hi)


# -- SHA3 --------------------------------------------------------------------------------------


def four_reg(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """EOR3 (Op0 0), BCAX (1), SM3SS1 (2)."""
    op0 = field(insn, 22, 21)
    rm, ra, rn, rd = field(insn, 20, 16), field(insn, 14, 10), field(insn, 9, 5), insn & 31
    ctx = dc.ctx
    if op0 == 3:
        raise dc.invalid(insn, "unallocated cryptographic four-register instruction")
    if op0 == 2:  # SM3SS1: ROL(ROL(Vn<127:96>, 12) + Vm<127:96> + Va<127:96>, 7) in word 3
        o = _Ops(ctx, I32)
        n3, m3, a3 = (_word(t, dc, r, 3) for r in (rn, rm, ra))
        _set_words(t, dc, rd, [None, None, None, o.rol(o.add(o.rol(n3, 12), m3, a3), 7)])
        return
    q = _Ops(ctx, I64)
    out = []
    for half in (t.vlo, t.vhi):
        if op0 == 0:  # EOR3: n ^ m ^ a
            out.append(q.xor(half[rn], half[rm], half[ra]))
        else:  # BCAX: n ^ (m & ~a)
            r = ctx.temp()
            ctx.andc(r, half[rm], half[ra])
            out.append(q.xor(r, half[rn]))
    _set_halves(t, dc, rd, *out)


def xar(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """XAR: ROR(Vn EOR Vm, imm6) of each doubleword."""
    rm, imm6, rn, rd = field(insn, 20, 16), field(insn, 15, 10), field(insn, 9, 5), insn & 31
    q = _Ops(dc.ctx, I64)
    lo, hi = (q.ror(q.xor(half[rn], half[rm]), imm6) for half in (t.vlo, t.vhi))
    _set_halves(t, dc, rd, lo, hi)


# -- SM3 -----------------------------------------------------------------------------------------


def _p1(o: _Ops, x: Temp) -> Temp:
    """SM3's permutation P1: x EOR ROL(x, 15) EOR ROL(x, 23)."""
    return o.xor(x, o.rol(x, 15), o.rol(x, 23))


def sm3tt(t: AArch64Target, dc: DisasContext, insn: int) -> None:
    """SM3TT1A (opcode 0), SM3TT1B (1), SM3TT2A (2), SM3TT2B (3) with Vm.S[imm2]."""
    rm, imm2, opcode = field(insn, 20, 16), field(insn, 13, 12), field(insn, 11, 10)
    rn, rd = field(insn, 9, 5), insn & 31
    o = _Ops(dc.ctx, I32)
    d = _words(t, dc, rd)
    n3, wj = _word(t, dc, rn, 3), _word(t, dc, rm, imm2)
    if opcode in (0, 2):
        f = o.xor(d[3], d[2], d[1])
    elif opcode == 1:
        f = o.maj(d[3], d[2], d[1])
    else:
        f = o.ch(d[3], d[2], d[1])
    tt = o.add(f, d[0], wj)
    if opcode < 2:  # TT1 + (SS1 EOR ROL(a, 12)), SS1 being Vn<127:96>
        tt = o.add(tt, o.xor(n3, o.rol(d[3], 12)))
        b = o.rol(d[2], 9)
    else:  # P0(TT2 + SS1)
        tt = o.add(tt, n3)
        tt = o.xor(tt, o.rol(tt, 9), o.rol(tt, 17))
        b = o.rol(d[2], 19)
    _set_words(t, dc, rd, [d[1], b, d[3], tt])


# -- SM4 ------------------------------------------------------------------------------------------


def _sm4_sbox() -> tuple[int, ...]:
    """The SM4 S-box from its definition (GB/T 32907): S(x) = A(I(A(x) + 0xD3)) + 0xD3,
    I the inverse in GF(2^8) modulo x^8+x^7+x^6+x^5+x^4+x^2+1 (0 to 0), A the circulant
    bit matrix whose first row is 0xD3."""

    def mul(a: int, b: int) -> int:
        r = 0
        while b:
            if b & 1:
                r ^= a
            b >>= 1
            a <<= 1
            if a & 0x100:
                a ^= 0x1F5
        return r

    inverse = [0] * 256
    for a in range(1, 256):
        for b in range(a, 256):
            if mul(a, b) == 1:
                inverse[a], inverse[b] = b, a
                break

    def affine(x: int) -> int:
        out = 0
        for i in range(8):  # row i gives bit 7 - i; rows rotate right
            row = (0xD3 >> i | 0xD3 << (8 - i)) & 0xFF
            out |= (bin(row & x).count("1") & 1) << (7 - i)
        return out ^ 0xD3

    return tuple(affine(inverse[affine(x)]) for x in range(256))


@functools.cache
def _sm4_words() -> tuple[int, ...]:
    """The S-box as 32 doublewords: entry x is byte x % 8 of word x // 8 (made on the
    first SM4 instruction translated, not at import: ~5 ms every process would pay)."""
    sbox = _sm4_sbox()
    return tuple(sum(sbox[8 * j + i] << 8 * i for i in range(8)) for j in range(32))


def _sbox_byte(dc: DisasContext, x: Temp, pos: int) -> Temp:
    """S(byte ``pos / 8`` of the i64 ``x``) in the low byte of the result (garbage
    above): the word that holds it by a chain of movconds on the byte's value (one
    accumulator: few temps live at once, as a long TB of them needs), the byte in it
    by a shift of the byte's bits 0-2 times 8."""
    ctx = dc.ctx
    b, word, sh, r = ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()
    ctx.extract(b, x, pos, 8)
    words = _sm4_words()
    ctx.movcond(word, b, 8, words[1], words[0], COND_GEU)
    for j in range(2, 32):
        ctx.movcond(word, b, 8 * j, words[j], word, COND_GEU)
    ctx.extract(sh, b, 0, 3)
    ctx.shl(sh, sh, 3)
    ctx.shr(r, word, sh)
    return r


def _sm4_tau(dc: DisasContext, x: Temp) -> Temp:
    """SM4's nonlinear tau: the S-box on each byte of the i32 ``x``."""
    ctx = dc.ctx
    wide, acc = ctx.temp(), ctx.temp()
    ctx.extu_i32_i64(wide, x)
    ctx.movi(acc, 0)
    for k in range(4):
        ctx.deposit(acc, acc, _sbox_byte(dc, wide, 8 * k), 8 * k, 8)
    out = ctx.temp(I32)
    ctx.extrl_i64_i32(out, acc)
    return out


def _sm4_rounds(dc: DisasContext, o: _Ops, x: list[Temp], rk: Sequence[Temp],
                key: bool) -> list[Temp]:  # fmt: skip
    """Four SM4 rounds (SM4E) or key-schedule rounds (``key``: SM4EKEY) of the state
    words ``x`` with the words ``rk``: each word EOR L(tau(the other three EOR rk))."""
    x = list(x)
    for i in range(4):
        s = _sm4_tau(dc, o.xor(x[(i + 1) % 4], x[(i + 2) % 4], x[(i + 3) % 4], rk[i]))
        rots = (13, 23) if key else (2, 10, 18, 24)
        x[i] = o.xor(x[i], s, *(o.rol(s, r) for r in rots))
    return x


PATTERNS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("01001110xx10100xxxxx10xxxxxxxxxx", aes),
    ("01011110xx0xxxxx0xxx00xxxxxxxxxx", sha_three_reg),
    ("01011110xx10100xxxxx10xxxxxxxxxx", sha_two_reg),
    ("11001110010xxxxx10xxxxxxxxxxxxxx", sm3tt),
    ("11001110011xxxxx1x00xxxxxxxxxxxx", sha512_three_reg),
    ("110011100xxxxxxx0xxxxxxxxxxxxxxx", four_reg),
    ("11001110100xxxxxxxxxxxxxxxxxxxxx", xar),
    ("11001110110000001000xxxxxxxxxxxx", sha512_two_reg),
)
