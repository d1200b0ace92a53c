"""The optional crypto ops on A64: the Cryptographic Extension's AES, PMULL, SHA-1,
SHA-256 and SHA-512.

Owns ``CRYPTO_OPS`` (each op and the host feature it needs), ``crypto_ops`` (the
ops a set of features lowers: ``AArch64Host.optional_ops`` of an instance) and
``crypto_op``, the lowering of ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` (with HWCAP ``aes``), ``clmul_i64`` (with ``pmull``) and
``sha256h_i64``, ``sha256h2_i64``, ``sha256su0_i64``, ``sha256su1_i64`` (with
``sha2``), ``sha1c_i64``, ``sha1p_i64``, ``sha1m_i64``, ``sha1su1_i64`` (with
``sha1``) and ``sha512h_i64``, ``sha512h2_i64``, ``sha512su0_i64``,
``sha512su1_i64`` (with ``sha512``). Without the features the host does not list
them and the target emits the generic expansions (``tcgkit.tcg.crypto``,
``tcgkit.tcg.crypto_sha``) instead.

The IR's ops are the A64 instructions themselves, so each is one instruction
between moves. A 128-bit value arrives as two general registers (lo, hi) and is
put together in a vector register (``fmov dN, lo`` clears the upper half, ``mov
vN.d[1], hi`` fills it): byte i of the IR value is byte i of the vector, the
AES state's byte order (and 32-bit word i lane i, SHA-1's and SHA-256's; 64-bit
word i lane i, SHA-512's). v0-v2 are scratch
(as in ``lower_float``: the allocator hands out general registers only). Every
input is read before an output is written, so outputs may share registers with
inputs.

    aese       AESE v0, v1      state ^ key, then SubBytes and ShiftRows
    aesd       AESD v0, v1      state ^ key, then InvSubBytes and InvShiftRows
    aesmc      AESMC v0, v0     MixColumns
    aesimc     AESIMC v0, v0    InvMixColumns
    clmul      PMULL v0.1q, v0.1d, v1.1d
    sha256h    SHA256H q0, q1, v2.4s     v0 = x (abcd), v1 = y (efgh), v2 = w
    sha256h2   SHA256H2 q0, q1, v2.4s    v0 = y (efgh), v1 = x (abcd), v2 = w
    sha256su0  SHA256SU0 v0.4s, v1.4s    v0 = d, v1 = n
    sha256su1  SHA256SU1 v0.4s, v1.4s, v2.4s
    sha1c      SHA1C q0, s1, v2.4s       v0 = x (abcd), s1 = e (``fmov s1, w``), v2 = w
    sha1p      SHA1P q0, s1, v2.4s       (SHA1M likewise)
    sha1su1    SHA1SU1 v0.4s, v1.4s      v0 = d, v1 = n
    sha512h    SHA512H q0, q1, v2.2d     v0 = w (Vd), v1 = x (Vn), v2 = y (Vm)
    sha512h2   SHA512H2 q0, q1, v2.2d    the same
    sha512su0  SHA512SU0 v0.2d, v1.2d    v0 = d, v1 = n
    sha512su1  SHA512SU1 v0.2d, v1.2d, v2.2d

The result leaves by ``fmov lo, d0`` and ``mov hi, v0.d[1]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.native.features import lowering_problem
from tcgkit.tcg.ir import Op

from .encoder import (
    AESD,
    AESE,
    AESIMC,
    AESMC,
    SHA1C,
    SHA1M,
    SHA1P,
    SHA1SU1,
    SHA256H,
    SHA256H2,
    SHA256SU0,
    SHA256SU1,
    SHA512H,
    SHA512H2,
    SHA512SU1,
)

if TYPE_CHECKING:  # (lower imports this module: no import of it back at import time)
    from .features import HostFeatures
    from .lower import Lowering

#: the ops and the host feature each needs
CRYPTO_OPS: Final = {"aese": "aes", "aesd": "aes", "aesmc": "aes", "aesimc": "aes",
                     "clmul": "pmull", "sha256h": "sha2", "sha256h2": "sha2",
                     "sha256su0": "sha2", "sha256su1": "sha2", "sha1c": "sha1", "sha1p": "sha1",
                     "sha1m": "sha1", "sha1su1": "sha1", "sha512h": "sha512",
                     "sha512h2": "sha512", "sha512su0": "sha512",
                     "sha512su1": "sha512"}  # fmt: skip
_AES: Final = {"aese": AESE, "aesd": AESD, "aesmc": AESMC, "aesimc": AESIMC}
#: the SHA ops by how they are encoded: ``Asm.sha_3``, ``sha_2``, ``sha512_3``'s opcode
_SHA_3: Final = {"sha256h": SHA256H, "sha256h2": SHA256H2, "sha256su1": SHA256SU1,
                 "sha1c": SHA1C, "sha1p": SHA1P, "sha1m": SHA1M}  # fmt: skip
_SHA_2: Final = {"sha256su0": SHA256SU0, "sha1su1": SHA1SU1}
_SHA512_3: Final = {"sha512h": SHA512H, "sha512h2": SHA512H2, "sha512su1": SHA512SU1}
#: the vector registers each SHA op's inputs go to, as pairs of ``ins`` (v0 the
#: destination: Qd / Vd); SHA1C/P/M's e is an S register alone (v1)
_SHA_REGS: Final = {"sha256h2": (1, 0, 2), "sha512h": (1, 2, 0), "sha512h2": (1, 2, 0)}


def crypto_ops(feat: HostFeatures) -> frozenset[str]:
    """The optional crypto ops (``tcgkit.tcg.crypto``) these features lower."""
    return frozenset(f"{base}_i64" for base, need in CRYPTO_OPS.items() if getattr(feat, need))


def _pair_in(L: Lowering, v: int, lo: int, hi: int) -> None:
    """v ``v`` <- hi:lo."""
    L.a.fmov_to_fp(v, lo, True)
    L.a.ins_d1(v, hi)


def crypto_op(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    base = op.defn.base
    problem = lowering_problem("aarch64", L.feat, CRYPTO_OPS.get(base), ins)
    if problem is not None:
        from .lower import LoweringError

        raise LoweringError(f"{op!r}: {problem}")
    a = L.a
    if base in _SHA_3 and base.startswith("sha1"):  # x in q0, e in s1, w in v2
        _pair_in(L, 0, ins[0], ins[1])
        a.fmov_to_fp(1, ins[2], False)
        _pair_in(L, 2, ins[3], ins[4])
        a.sha_3(_SHA_3[base], 0, 1, 2)
    elif base.startswith("sha"):
        for i, v in enumerate(_SHA_REGS.get(base, (0, 1, 2))[: len(ins) // 2]):
            _pair_in(L, v, ins[2 * i], ins[2 * i + 1])
        if base in _SHA_3:
            a.sha_3(_SHA_3[base], 0, 1, 2)
        elif base in _SHA_2:
            a.sha_2(_SHA_2[base], 0, 1)
        elif base in _SHA512_3:
            a.sha512_3(_SHA512_3[base], 0, 1, 2)
        else:
            a.sha512su0(0, 1)
    elif base == "clmul":
        a.fmov_to_fp(0, ins[0], True)
        a.fmov_to_fp(1, ins[1], True)
        a.pmull_1q(0, 0, 1)
    elif base in ("aese", "aesd"):
        _pair_in(L, 0, ins[0], ins[1])
        _pair_in(L, 1, ins[2], ins[3])
        a.aes(_AES[base], 0, 1)
    else:  # aesmc, aesimc
        _pair_in(L, 0, ins[0], ins[1])
        a.aes(_AES[base], 0, 0)
    a.fmov_from_fp(outs[0], 0, True)
    a.umov_d1(outs[1], 0)
