"""The AArch64 host's compare-and-swap routines, for guest atomics of several vCPUs.

Owns ``routines()``: AAPCS64 functions that ``tcgkit.exec.atomic`` calls
through ctypes (``NativeHost.atomic_routines``), each a load-acquire /
store-release exclusive loop (LL/SC, which every ARMv8.0 host has), so that a
guest compare-and-swap is atomic against every other vCPU's generated code:

    cas_N(x0 = ptr, x1 = expected, x2 = new) -> x0 = the value read
    cas_pair(x0 = ptr, x1 = exp_lo, x2 = exp_hi, x3 = new_lo, x4 = new_hi, x5 = out)

A pair whose compare fails is stored back unchanged, so that the 16 bytes it
returns were read as one single-copy-atomic access (LDAXP alone is not).
"""

from __future__ import annotations

from tcgkit.native.backend import AtomicRoutines

from .encoder import LDAXR as _LDAXR
from .encoder import STLXR as _STLXR

# by log2 of the size: CMP W or X
_CMP = (0x6B00001F, 0x6B00001F, 0x6B00001F, 0xEB00001F)
CLREX = 0xD5033F5F
RET = 0xD65F03C0


def _b_cond(cond: int, words: int) -> int:
    return 0x54000000 | (words & 0x7FFFF) << 5 | cond


def _cbnz_w(rt: int, words: int) -> int:
    return 0x35000000 | (words & 0x7FFFF) << 5 | rt


def _cas(log2: int) -> list[int]:
    return [
        _LDAXR[log2] | 0 << 5 | 3,  # 0: ldaxr x3, [x0]
        _CMP[log2] | 1 << 16 | 3 << 5,  # cmp x3, x1
        _b_cond(1, 3),  # b.ne 5
        _STLXR[log2] | 4 << 16 | 0 << 5 | 2,  # stlxr w4, x2, [x0]
        _cbnz_w(4, -4),  # cbnz w4, 0
        CLREX,  # 5: clrex (harmless after a successful store)
        0xAA0303E0,  # mov x0, x3
        RET,
    ]


_CAS_PAIR = [
    0xC87F8000 | 7 << 10 | 0 << 5 | 6,  # 0: ldaxp x6, x7, [x0]
    0xEB00001F | 1 << 16 | 6 << 5,  # cmp x6, x1
    0xFA400000 | 2 << 16 | 0 << 12 | 7 << 5 | 0,  # ccmp x7, x2, #0, eq
    _b_cond(1, 4),  # b.ne 7
    0xC8208000 | 8 << 16 | 4 << 10 | 0 << 5 | 3,  # stlxp w8, x3, x4, [x0]
    _cbnz_w(8, -5),  # cbnz w8, 0
    0x14000003,  # b 9
    0xC8208000 | 8 << 16 | 7 << 10 | 0 << 5 | 6,  # 7: stlxp w8, x6, x7, [x0] (unchanged)
    _cbnz_w(8, -8),  # cbnz w8, 0
    0xA9001CA6,  # 9: stp x6, x7, [x5]
    RET,
]


def _code(words: list[int]) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


def routines() -> AtomicRoutines:
    return AtomicRoutines.layout([_code(_cas(n)) for n in range(4)], _code(_CAS_PAIR))
