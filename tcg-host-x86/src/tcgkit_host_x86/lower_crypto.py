"""The optional crypto ops on x86-64: AES-NI, PCLMULQDQ and SHA-NI.

Owns ``crypto_op``, the lowering of ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` (listed in ``X86Host.optional_ops`` when the CPU has AES-NI),
``clmul_i64`` (when it has PCLMULQDQ) and ``sha256h_i64``, ``sha256h2_i64``,
``sha256su0_i64``, ``sha256su1_i64`` (when it has SHA-NI). A 128-bit value
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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.native.features import lowering_problem
from tcgkit.tcg.ir import Op

from .encoder import (
    AESDECLAST,
    AESENC,
    AESENCLAST,
    AESIMC,
    SHA256MSG1,
    SHA256MSG2,
    SHA256RNDS2,
)

if TYPE_CHECKING:  # (lower imports this module: no import of it back at import time)
    from .lower import Lowering

X0, X1, X2 = 0, 1, 2
#: the ops and the host feature each needs
CRYPTO_OPS: Final = {"aese": "aes", "aesd": "aes", "aesmc": "aes", "aesimc": "aes",
                     "clmul": "pclmulqdq", "sha256h": "sha_ni", "sha256h2": "sha_ni",
                     "sha256su0": "sha_ni", "sha256su1": "sha_ni"}  # fmt: skip
#: the ``pshufd`` that puts a result half (lanes 0 and 1) out of ABEF and CDGH
_SHA_OUT: Final = {"sha256h": 0x0B, "sha256h2": 0x01}


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
    if base == "sha256su0":
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
