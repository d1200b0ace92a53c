"""The optional crypto ops on x86-64: AES-NI and PCLMULQDQ.

Owns ``crypto_op``, the lowering of ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` (listed in ``X86Host.optional_ops`` when the CPU has AES-NI) and
``clmul_i64`` (when it has PCLMULQDQ). A 128-bit value arrives as two general
registers (lo, hi) and is put together in xmm0 (``movq``, ``movq``,
``punpcklqdq``), with xmm1 and xmm2 as scratch: the allocator never uses
xmm0-xmm2 (as in ``lower_float``). Byte i of the value is byte i of the xmm
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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.native.features import lowering_problem
from tcgkit.tcg.ir import Op

from .encoder import AESDECLAST, AESENC, AESENCLAST, AESIMC

if TYPE_CHECKING:  # (lower imports this module: no import of it back at import time)
    from .lower import Lowering

X0, X1, X2 = 0, 1, 2
#: the ops and the host feature each needs
CRYPTO_OPS: Final = {"aese": "aes", "aesd": "aes", "aesmc": "aes", "aesimc": "aes",
                     "clmul": "pclmulqdq"}  # fmt: skip


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


def crypto_op(L: Lowering, op: Op, outs: list[int], ins: list) -> None:
    base = op.defn.base
    problem = lowering_problem("x86_64", L.f, CRYPTO_OPS.get(base), ins)
    if problem is not None:
        from .lower import LoweringError

        raise LoweringError(f"{op!r}: {problem}")
    a = L.a
    if base == "clmul":
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
