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
import platform
from dataclasses import dataclass, fields, replace

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
}


@dataclass(frozen=True)
class HostFeatures:
    cmov: bool = False
    bmi1: bool = False
    bmi2: bool = False
    lzcnt: bool = False
    popcnt: bool = False
    movbe: bool = False
    fma: bool = False
    sse41: bool = False

    def without(self, names: str | list[str] | tuple[str, ...]) -> HostFeatures:
        """These features with ``names`` (or ``"all"``) forced off."""
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        known = {f.name for f in fields(self)}
        if "all" in names:
            names = sorted(known)
        unknown = set(names) - known
        if unknown:
            raise ValueError(f"unknown x86 host features {sorted(unknown)}; known: {sorted(known)}")
        return replace(self, **{n: False for n in names})

    def as_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


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
