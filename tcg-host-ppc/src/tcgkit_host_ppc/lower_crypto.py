"""The optional crypto ops on ppc64le: the vector crypto facility of ISA 2.07.

Owns ``CRYPTO_OPS``, ``crypto_ops`` (the ops a set of features lowers:
``PPC64Host.optional_ops`` of an instance, with HWCAP2 ``vcrypto``) and
``crypto_op``, the lowering of ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` and ``clmul_i64``. Without the facility the host does not list
them and the target emits the generic expansions (``tcgkit.tcg.crypto``). The
SHA ops (``sha256h_i64``..., ``sha1c_i64``..., ``sha512h_i64``...) it never lists:
the facility's ``vshasigmaw`` and ``vshasigmad`` compute SHA-256's and SHA-512's
sigma functions alone (SHA-1 has none), the rounds and the schedule's sums would
stay a long sequence of vector ops between moves in and out of vector registers,
so the generic expansions (i32 ops; i64 ops for SHA-512) run here.

Values: a 128-bit IR value arrives as two general registers (lo, hi) and goes
into a vector register as (hi, lo) (``mtvsrd`` to doubleword 0 of two VRs,
``xxpermdi`` to join them). POWER numbers a vector's bytes big-endian, the AES
state's byte 0 being the leftmost: (hi, lo) is the state with its 16 bytes in
reverse, so a ``vperm`` with the reversing mask (15, 14, ... 0: ``lvsl`` at the
16-byte-aligned stack pointer gives 0 ... 15, and ``vxor`` with a splat of 15
turns it round) puts them in order before the AES instruction and back after.
v0-v3 (VSR 32-35, volatile in the ELFv2 ABI) are scratch; the allocator hands
out general registers only. Every input is read before an output is written.

POWER's round instructions do a whole AES round; the IR's ops are A64's
single steps, so each is one or two rounds with a zero round key (v2):

    aese    vxor state, key; vcipherlast        SubBytes, ShiftRows
    aesd    vxor state, key; vncipherlast       InvSubBytes, InvShiftRows
    aesmc   vncipherlast, then vcipher          (the S-box and row steps cancel)
    aesimc  vcipherlast, then vncipher
    clmul   vpmsumd of (a, 0) and (b, 0): the 128-bit product, high doubleword first

The result leaves by ``mfvsrd hi, v0``, ``xxpermdi`` (swap), ``mfvsrd lo, v0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tcgkit.native.features import lowering_problem
from tcgkit.tcg.ir import Op

from .encoder import SP, VX_CIPHER, VX_CIPHERLAST, VX_NCIPHER, VX_NCIPHERLAST, VX_PMSUMD, VX_XOR

if TYPE_CHECKING:  # (lower imports this module: no import of it back at import time)
    from .features import HostFeatures
    from .lower import Lowering

CRYPTO_OPS: Final = ("aese", "aesd", "aesmc", "aesimc", "clmul")
VSR_V: Final = 32  # VR n is VSR 32 + n
#: the round instructions of each AES op, after the key (if any) is xored in
_ROUNDS: Final = {
    "aese": (VX_CIPHERLAST,),
    "aesd": (VX_NCIPHERLAST,),
    "aesmc": (VX_NCIPHERLAST, VX_CIPHER),
    "aesimc": (VX_CIPHERLAST, VX_NCIPHER),
}


def crypto_ops(feat: HostFeatures) -> frozenset[str]:
    """The optional crypto ops (``tcgkit.tcg.crypto``) these features lower."""
    return frozenset(f"{base}_i64" for base in CRYPTO_OPS) if feat.vcrypto else frozenset()


def _pair_in(L: Lowering, v: int, hi: int, lo: int, scratch: int) -> None:
    """VR ``v`` <- (hi, lo) (VR ``scratch`` clobbered)."""
    a = L.a
    a.mtvsrd(VSR_V + v, hi)
    a.mtvsrd(VSR_V + scratch, lo)
    a.xxpermdi(VSR_V + v, VSR_V + v, VSR_V + scratch, 0)


def crypto_op(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    base = op.defn.base
    problem = lowering_problem("ppc64le", L.f, "vcrypto" if base in CRYPTO_OPS else None, ins)
    if problem is not None:
        from .lower import LoweringError

        raise LoweringError(f"{op!r}: {problem}")
    a = L.a
    if base == "clmul":
        a.vx(VX_XOR, 2, 2, 2)
        a.mtvsrd(VSR_V + 0, ins[0])
        a.xxpermdi(VSR_V + 0, VSR_V + 0, VSR_V + 2, 0)
        a.mtvsrd(VSR_V + 1, ins[1])
        a.xxpermdi(VSR_V + 1, VSR_V + 1, VSR_V + 2, 0)
        a.vx(VX_PMSUMD, 0, 0, 1)
    else:
        _pair_in(L, 0, ins[1], ins[0], 1)
        if len(ins) == 4:  # aese, aesd: the key first (xor commutes with the reversal)
            _pair_in(L, 1, ins[3], ins[2], 2)
            a.vx(VX_XOR, 0, 0, 1)
        a.lvsl(3, 0, SP)  # 0, 1, ... 15: the stack pointer is 16-byte aligned
        a.vspltisb(2, 15)
        a.vx(VX_XOR, 3, 3, 2)  # 15, 14, ... 0
        a.vperm(0, 0, 0, 3)
        a.vx(VX_XOR, 2, 2, 2)  # the zero round key
        for xo in _ROUNDS[base]:
            a.vx(xo, 0, 0, 2)
        a.vperm(0, 0, 0, 3)
    a.mfvsrd(outs[1], VSR_V + 0)
    a.xxpermdi(VSR_V + 0, VSR_V + 0, VSR_V + 0, 2)
    a.mfvsrd(outs[0], VSR_V + 0)
