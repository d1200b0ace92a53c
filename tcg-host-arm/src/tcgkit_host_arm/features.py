"""The AArch64 host features code generation may use, detected once and frozen.

Owns ``HostFeatures`` and ``detect``: what the kernel reports in the
auxiliary vector (AT_HWCAP, through ``getauxval``) or, failing that, in
/proc/cpuinfo's ``Features`` line. Forced off with ``TCGKIT_ARM_DISABLE``
(names, or ``all``) for tests of the fallbacks.
"""

from __future__ import annotations

import ctypes
import functools
import os
from typing import Any

from tcgkit.native.features import FeatureFlags, machine

AT_HWCAP = 16
_HWCAP = {"fp": 1 << 0, "asimd": 1 << 1, "aes": 1 << 3, "pmull": 1 << 4, "sha1": 1 << 5,
          "sha2": 1 << 6, "crc32": 1 << 7, "atomics": 1 << 8, "fphp": 1 << 9,
          "lrcpc": 1 << 15, "dcpop": 1 << 16, "sha512": 1 << 21, "uscat": 1 << 25}  # fmt: skip


class HostFeatures(FeatureFlags):
    """The AArch64 extensions code generation may use (``FeatureFlags``: all false
    unless given, frozen, ``without``, ``as_dict`` with the ``arch`` level)."""

    __slots__ = ("aes", "atomics", "crc32", "fphp", "lrcpc", "pmull", "sha1", "sha2", "sha512",
                 "uscat")  # fmt: skip
    ISA = "aarch64"
    aes: bool  # AESE/AESD/AESMC/AESIMC (the Cryptographic Extension)
    pmull: bool  # PMULL/PMULL2 on 64-bit lanes
    sha1: bool  # SHA1C/SHA1P/SHA1M/SHA1H/SHA1SU0/SHA1SU1
    sha2: bool  # SHA256H/SHA256H2/SHA256SU0/SHA256SU1
    sha512: bool  # SHA512H/SHA512H2/SHA512SU0/SHA512SU1 (FEAT_SHA512, ARMv8.2)
    atomics: bool  # LSE (ARMv8.1)
    crc32: bool
    lrcpc: bool  # ARMv8.3
    uscat: bool  # ARMv8.4 unaligned single-copy atomicity
    fphp: bool  # half-precision arithmetic (ARMv8.2)

    @property
    def arch_level(self) -> str:
        """The highest architecture level the features imply."""
        if self.uscat:
            return "v8.4"
        if self.lrcpc:
            return "v8.3"
        if self.fphp:
            return "v8.2"
        if self.atomics:
            return "v8.1"
        return "v8.0"

    def as_dict(self) -> dict[str, Any]:
        return {**self.as_flags(), "arch": self.arch_level}


def is_aarch64() -> bool:
    return machine() in ("aarch64", "arm64")


@functools.cache
def _detected() -> HostFeatures:
    if not is_aarch64():
        return HostFeatures()
    hwcap = 0
    try:
        libc = ctypes.CDLL(None)
        libc.getauxval.restype = ctypes.c_ulong
        libc.getauxval.argtypes = (ctypes.c_ulong,)
        hwcap = libc.getauxval(AT_HWCAP)
    except (OSError, AttributeError):
        pass
    names: set[str] = {n for n, bit in _HWCAP.items() if hwcap & bit}
    if not hwcap:
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Features"):
                        names = set(line.split(":", 1)[1].split())
                        break
        except OSError:
            pass
    return HostFeatures(**{name: name in names for name in HostFeatures.__slots__})


def detect() -> HostFeatures:
    found = _detected()
    off = os.environ.get("TCGKIT_ARM_DISABLE", "")
    return found.without(off) if off else found
