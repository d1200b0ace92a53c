"""The optional crypto ops on x86-64: AES-NI, PCLMULQDQ and SHA-NI.

Owns ``crypto_op``, the lowering of ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` (listed in ``X86Host.optional_ops`` when the CPU has AES-NI),
``clmul_i64`` (when it has PCLMULQDQ) and ``sha256h_i64``, ``sha256h2_i64``,
``sha256su0_i64``, ``sha256su1_i64``, ``sha1c_i64``, ``sha1p_i64``, ``sha1m_i64``,
``sha1su1_i64`` (when it has SHA-NI). A 128-bit value
arrives as two general registers (lo, hi) and is put together in xmm0 (``movq``,
``movq``, ``punpcklqdq``), with xmm1 and xmm2 as scratch: the allocator never
uses xmm0-xmm2 (as in ``lower_float``). Byte i of the value is byte i of the xmm
register, which is the AES state's byte order on Intel as on ARM. Every input
is read before an output is written, so outputs may share registers with inputs.

    aese    state ^ key; AESENCLAST with a zero round key (ShiftRows, SubBytes)
    aesd    state ^ key; AESDECLAST with a zero round key
    aesmc   AESDECLAST then AESENC, both with a zero round key: SubBytes and
            ShiftRows commute, so SubBytes ShiftRows InvSubBytes InvShiftRows
            is the identity and what is left is MixColumns
    aesimc  AESIMC
    clmul   PCLMULQDQ of the low qwords (imm 0)

The result leaves by ``movq lo, xmm0``, ``punpckhqdq xmm0, xmm0``, ``movq hi, xmm0``
(SSE2 only: no SSE4.1 ``pextrq`` needed).

SHA-256: the 32-bit word i of an IR value is lane i of the xmm register. The
schedule steps are A64's and Intel's alike:

    sha256su0   SHA256MSG1 d, n (it reads n's lane 0 alone: ``movq`` of n_lo)
    sha256su1   SHA256MSG2 of d + (n1, n2, n3, m0) and m (lanes 2 and 3 read):
                ``psrldq`` n by 4 bytes, ``pslldq`` m_lo by 12, two ``paddd``

The rounds differ in the state's layout: A64 holds (a, b, c, d) and (e, f, g, h)
with a and e in lane 0; SHA256RNDS2 takes ABEF (lanes 3 to 0: a, b, e, f) and
CDGH, does two rounds with the words in xmm0's lanes 0 and 1 and gives the new
ABEF (the new CDGH is the old ABEF). So

    xmm1 = ABEF     (y_lo, x_lo) = (e, f, a, b), ``pshufd`` 0xB1: (f, e, b, a)
    xmm2 = CDGH     (y_hi, x_hi), ``pshufd`` 0xB1
    xmm0 = w_lo     SHA256RNDS2 xmm2, xmm1: xmm2 = ABEF after rounds 0 and 1
    xmm0 = w_hi     SHA256RNDS2 xmm1, xmm2: xmm1 = ABEF after round 3, xmm2 CDGH

and the result's halves are two lanes of each: sha256h's (a, b) and (c, d) are
lanes 3, 2 of xmm1 and of xmm2 (``pshufd`` 0x0B), sha256h2's (e, f) and (g, h)
lanes 1, 0 (``pshufd`` 0x01), each then ``movq`` out. Only SSE2 beside SHA-NI
(every x86-64 has it: no feature besides ``sha_ni`` to check).

SHA-1: Intel's layout is A64's with the lanes reversed (A, or W0, in lane 3), so
the operands and the result go through ``pshufd`` 0x1B. The schedule's second step
is SHA1MSG2 itself (W16 = ROL(d0 ^ n1, 1) ... W19 = ROL(d3 ^ W16, 1), which is A64
SHA1SU1's word 3). The rounds are one SHA1RNDS4 whose immediate picks SHA1C's,
SHA1P's or SHA1M's function (0, 1, 2), but two things differ: A64's words have K
added already and SHA1RNDS4 adds K (K[imm]) itself, and A64 takes e itself where
Intel expects it in the first word (what SHA1NEXTE computes from the previous
rounds' A, rotated). So

    xmm2 = W + K, reversed; ``psubd`` K (splat by ``mov r11, imm64``, ``movq``,
           ``punpcklqdq``); ``paddd`` e in lane 3 (``movq``, ``pslldq`` 12)
    xmm1 = abcd, reversed; SHA1RNDS4 xmm1, xmm2, imm; reversed out

20 instructions, moves included, against about 45 IR ops of the generic
expansion. SHA1H and SHA1SU0 are no ops (SHA1MSG1 would be SHA1SU0 with reversed
lanes, more work than four XORs of general registers); SHA-512 has no
instructions before AVX's SHA512 extension: the generic i64 expansion runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.native.features import lowering_problem
from tcgkit.tcg.ir import Op
from tcgkit.tcg.sha1 import ROUND_KINDS, round_constants

from .encoder import (
    AESDECLAST,
    AESENC,
    AESENCLAST,
    AESIMC,
    R11,
    SHA1MSG2,
    SHA256MSG1,
    SHA256MSG2,
    SHA256RNDS2,
)

if TYPE_CHECKING:  # (lower imports this module: no import of it back at import time)
    from .lower import Lowering

X0: Final = 0
X1: Final = 1
X2: Final = 2
#: the ops and the host feature each needs
CRYPTO_OPS: Final = {"aese": "aes", "aesd": "aes", "aesmc": "aes", "aesimc": "aes",
                     "clmul": "pclmulqdq", "sha256h": "sha_ni", "sha256h2": "sha_ni",
                     "sha256su0": "sha_ni", "sha256su1": "sha_ni", "sha1c": "sha_ni",
                     "sha1p": "sha_ni", "sha1m": "sha_ni", "sha1su1": "sha_ni"}  # fmt: skip
#: the ``pshufd`` that puts a result half (lanes 0 and 1) out of ABEF and CDGH
_SHA_OUT: Final = {"sha256h": 0x0B, "sha256h2": 0x01}
#: SHA1RNDS4's immediate for each rounds op (its f; the K it adds is K[imm])
_SHA1_IMM: Final = {kind: imm for imm, kind in enumerate(ROUND_KINDS)}
#: the ``pshufd`` that reverses the four lanes (A64's word order <-> Intel's)
_REVERSE: Final = 0x1B


def _pair_in(L: Lowering, x: int, lo: int, hi: int, scratch: int) -> None:
    """xmm ``x`` <- hi:lo (``scratch`` another xmm register, clobbered)."""
    a = L.a
    a.movq_xr(x, lo)
    a.movq_xr(scratch, hi)
    a.punpcklqdq(x, scratch)


def _pair_out(L: Lowering, outs: list[int], x: int) -> None:
    a = L.a
    a.movq_rx(outs[0], x)
    a.punpckhqdq(x, x)
    a.movq_rx(outs[1], x)


def _sha256_rounds(L: Lowering, base: str, outs: list[int], ins: list) -> None:
    """sha256h / sha256h2: four rounds by two SHA256RNDS2 (see the module docstring)."""
    a = L.a
    _pair_in(L, X1, ins[2], ins[0], X0)  # (e, f, a, b)
    a.pshufd(X1, X1, 0xB1)  # ABEF
    _pair_in(L, X2, ins[3], ins[1], X0)  # (g, h, c, d)
    a.pshufd(X2, X2, 0xB1)  # CDGH
    a.movq_xr(X0, ins[4])
    a.sha(SHA256RNDS2, X2, X1)
    a.movq_xr(X0, ins[5])
    a.sha(SHA256RNDS2, X1, X2)
    imm = _SHA_OUT[base]
    a.pshufd(X0, X1, imm)
    a.movq_rx(outs[0], X0)
    a.pshufd(X0, X2, imm)
    a.movq_rx(outs[1], X0)


def _sha1_rounds(L: Lowering, base: str, outs: list[int], ins: list) -> None:
    """sha1c / sha1p / sha1m: one SHA1RNDS4 (see the module docstring)."""
    a = L.a
    imm = _SHA1_IMM[base]
    k = round_constants()[imm]
    _pair_in(L, X1, ins[0], ins[1], X0)
    a.pshufd(X1, X1, _REVERSE)  # ABCD, A in lane 3
    _pair_in(L, X2, ins[3], ins[4], X0)
    a.pshufd(X2, X2, _REVERSE)  # W0 + K ... W3 + K, lanes 3 to 0
    a.mov_ri(R11, k * 0x1_0000_0001)  # K in both words (r11: the lowering's TMP1)
    a.movq_xr(X0, R11)
    a.punpcklqdq(X0, X0)
    a.psubd(X2, X0)  # SHA1RNDS4 adds K itself
    a.movq_xr(X0, ins[2])
    a.pslldq(X0, 12)  # (0, 0, 0, e): e's low word in lane 3, the rest shifted out
    a.paddd(X2, X0)  # W0 + E
    a.sha1rnds4(X1, X2, imm)
    a.pshufd(X0, X1, _REVERSE)


def crypto_op(L: Lowering, op: Op, outs: list[int], ins: list) -> None:
    base = op.defn.base
    problem = lowering_problem("x86_64", L.f, CRYPTO_OPS.get(base), ins)
    if problem is not None:
        from .lower import LoweringError

        raise LoweringError(f"{op!r}: {problem}")
    a = L.a
    if base in _SHA_OUT:
        _sha256_rounds(L, base, outs, ins)
        return
    if base in _SHA1_IMM:
        _sha1_rounds(L, base, outs, ins)
    elif base == "sha1su1":  # SHA1MSG2 with both operands' lanes reversed
        _pair_in(L, X1, ins[0], ins[1], X0)
        a.pshufd(X1, X1, _REVERSE)
        _pair_in(L, X2, ins[2], ins[3], X0)
        a.pshufd(X2, X2, _REVERSE)  # n1, n2, n3 in lanes 2 to 0 (W13, W14, W15)
        a.sha(SHA1MSG2, X1, X2)
        a.pshufd(X0, X1, _REVERSE)
    elif base == "sha256su0":
        _pair_in(L, X0, ins[0], ins[1], X1)
        a.movq_xr(X1, ins[2])  # SHA256MSG1 reads lane 0 of n alone
        a.sha(SHA256MSG1, X0, X1)
    elif base == "sha256su1":
        _pair_in(L, X0, ins[0], ins[1], X1)  # d
        _pair_in(L, X1, ins[2], ins[3], X2)  # n
        a.psrldq(X1, 4)  # (n1, n2, n3, 0)
        a.paddd(X0, X1)
        a.movq_xr(X1, ins[4])
        a.pslldq(X1, 12)  # (0, 0, 0, m0)
        a.paddd(X0, X1)
        a.movq_xr(X1, ins[5])
        a.pslldq(X1, 8)  # (0, 0, m2, m3): SHA256MSG2 reads lanes 2 and 3
        a.sha(SHA256MSG2, X0, X1)
    elif base == "clmul":
        a.movq_xr(X0, ins[0])
        a.movq_xr(X1, ins[1])
        a.pclmulqdq(X0, X1, 0)
    elif base in ("aese", "aesd"):
        _pair_in(L, X0, ins[0], ins[1], X1)
        _pair_in(L, X1, ins[2], ins[3], X2)
        a.pxor(X0, X1)
        a.pxor(X1, X1)
        a.aes(AESENCLAST if base == "aese" else AESDECLAST, X0, X1)
    elif base == "aesmc":
        _pair_in(L, X0, ins[0], ins[1], X1)
        a.pxor(X1, X1)
        a.aes(AESDECLAST, X0, X1)
        a.aes(AESENC, X0, X1)
    else:  # aesimc
        _pair_in(L, X0, ins[0], ins[1], X1)
        a.aes(AESIMC, X0, X0)
    _pair_out(L, outs, X0)
