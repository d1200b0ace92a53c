"""The x86-64 host features code generation may use, detected once and frozen.

Owns ``HostFeatures`` and ``detect``. Detection reads the kernel's report of
the CPU (the ``flags`` line of /proc/cpuinfo, which comes from cpuid) once per
process; the result is immutable and shared by every emulator. Features can
be forced off, for tests of the fallbacks, with the environment variable
``TCGKIT_X86_DISABLE`` (a comma-separated list of names, or ``all``) or by
passing ``disable=`` to the backend.
"""

from __future__ import annotations

import functools
import os

from tcgkit.native.features import FeatureFlags, machine

# feature name -> the /proc/cpuinfo flag that reports it
_FLAGS = {
    "cmov": "cmov",
    "bmi1": "bmi1",
    "bmi2": "bmi2",
    "lzcnt": "abm",  # LZCNT is reported with ABM (AMD) / as "abm" by Linux on Intel too
    "popcnt": "popcnt",
    "movbe": "movbe",
    "fma": "fma",
    "sse41": "sse4_1",
    "aes": "aes",  # AES-NI
    "pclmulqdq": "pclmulqdq",
    "cx16": "cx16",  # CMPXCHG16B: the 16-byte compare-and-swap of guest pair atomics
    "sha_ni": "sha_ni",  # SHA-NI (CPUID leaf 7, EBX bit 29): SHA256RNDS2, SHA256MSG1/2
}


class HostFeatures(FeatureFlags):
    """The x86-64 extensions code generation may use (``FeatureFlags``: all false
    unless given, frozen, ``without``, ``as_dict``)."""

    __slots__ = ("aes", "bmi1", "bmi2", "cmov", "cx16", "fma", "lzcnt", "movbe", "pclmulqdq",
                 "popcnt", "sha_ni", "sse41")  # fmt: skip
    ISA = "x86"
    cmov: bool
    bmi1: bool
    bmi2: bool
    lzcnt: bool
    popcnt: bool
    movbe: bool
    fma: bool
    sse41: bool
    aes: bool
    pclmulqdq: bool
    cx16: bool
    sha_ni: bool


def is_x86_64() -> bool:
    return machine() in ("x86_64", "amd64")


@functools.cache
def _detected() -> HostFeatures:
    if not is_x86_64():
        return HostFeatures()
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    return HostFeatures(**{name: flag in flags for name, flag in _FLAGS.items()})


def detect() -> HostFeatures:
    """The host's features (frozen), minus those ``TCGKIT_X86_DISABLE`` names."""
    found = _detected()
    off = os.environ.get("TCGKIT_X86_DISABLE", "")
    return found.without(off) if off else found
