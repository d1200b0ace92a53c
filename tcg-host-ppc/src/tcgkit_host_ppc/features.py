"""The ppc64le host features code generation may use, detected once and frozen.

Owns ``HostFeatures`` and ``detect``: the ISA levels the kernel reports in
the auxiliary vector (AT_HWCAP: ARCH_2_06; AT_HWCAP2: ARCH_2_07, ARCH_3_00,
ARCH_3_1, VEC_CRYPTO). The lowering needs 2.07 (moves between GPRs and FPRs) and uses
3.00 where it pays (cnttzd/cnttzw) with a fallback; ``TCGKIT_PPC_DISABLE``
forces levels off for tests.
"""

from __future__ import annotations

import ctypes
import functools
import os

from tcgkit.native.features import FeatureFlags, machine

AT_HWCAP, AT_HWCAP2 = 16, 26
PPC_FEATURE_ARCH_2_06 = 0x00000100
PPC_FEATURE2_ARCH_2_07, PPC_FEATURE2_ARCH_3_00, PPC_FEATURE2_ARCH_3_1 = (0x80000000, 0x00800000,
                                                                       0x00040000)  # fmt: skip
PPC_FEATURE2_VEC_CRYPTO = 0x02000000


class HostFeatures(FeatureFlags):
    """The Power ISA levels code generation may use (``FeatureFlags``: all false
    unless given, frozen, ``without``, ``as_dict``)."""

    __slots__ = ("isa206", "isa207", "isa300", "isa310", "vcrypto")
    ISA = "ppc64le"
    isa206: bool
    isa207: bool
    isa300: bool
    isa310: bool
    vcrypto: bool  # the vector crypto facility (vcipher, vpmsumd ...; HWCAP2 VEC_CRYPTO)


def is_ppc64le() -> bool:
    return machine() in ("ppc64le", "powerpc64le")


@functools.cache
def _detected() -> HostFeatures:
    if not is_ppc64le():
        return HostFeatures()
    libc = ctypes.CDLL(None)
    libc.getauxval.restype = ctypes.c_ulong
    libc.getauxval.argtypes = (ctypes.c_ulong,)
    hw, hw2 = libc.getauxval(AT_HWCAP), libc.getauxval(AT_HWCAP2)
    return HostFeatures(isa206=bool(hw & PPC_FEATURE_ARCH_2_06),
                        isa207=bool(hw2 & PPC_FEATURE2_ARCH_2_07),
                        isa300=bool(hw2 & PPC_FEATURE2_ARCH_3_00),
                        isa310=bool(hw2 & PPC_FEATURE2_ARCH_3_1),
                        vcrypto=bool(hw2 & PPC_FEATURE2_VEC_CRYPTO))  # fmt: skip


def detect() -> HostFeatures:
    found = _detected()
    off = os.environ.get("TCGKIT_PPC_DISABLE", "")
    return found.without(off) if off else found
