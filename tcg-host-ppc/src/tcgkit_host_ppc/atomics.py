"""The POWER host's compare-and-swap routines, for guest atomics of several vCPUs.

Owns ``routines()``: ELFv2 functions that ``tcgkit.exec.atomic`` calls through
ctypes (``NativeHost.atomic_routines``), each a reservation loop (l?arx /
st?cx., the byte and halfword forms being ISA 2.06, which every host this
backend runs on has) between two ``sync``s, so that a guest compare-and-swap
is atomic and ordered against every other vCPU's generated code:

    cas_N(r3 = ptr, r4 = expected, r5 = new) -> r3 = the value read

There is no pair routine: a 16-byte guest compare-and-swap takes the core's
exclusive path on this host.
"""

from __future__ import annotations

from tcgkit.native.backend import AtomicRoutines

SYNC = 0x7C0004AC
BLR = 0x4E800020
# X-form extended opcodes by log2 of the size: lbarx lharx lwarx ldarx; stbcx. sthcx.
# stwcx. stdcx.
_LARX = (52, 116, 20, 84)
_STCX = (694, 726, 150, 214)


def _x(rt: int, ra: int, rb: int, xo: int, rc: int = 0) -> int:
    return 31 << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc


def _bne(words: int) -> int:
    """bne- cr0 (bc 4, 2): ``words`` instructions from here."""
    return 16 << 26 | 4 << 21 | 2 << 16 | (words << 2 & 0xFFFC)


def _cas(log2: int) -> list[int]:
    return [
        SYNC,
        _x(6, 0, 3, _LARX[log2]),  # 1: l?arx r6, 0, r3
        31 << 26 | 1 << 21 | 6 << 16 | 4 << 11,  # cmpd r6, r4
        _bne(3),  # bne- 6
        _x(5, 0, 3, _STCX[log2], 1),  # st?cx. r5, 0, r3
        _bne(-4),  # bne- 1 (the reservation was lost)
        SYNC,  # 6:
        _x(6, 3, 6, 444),  # mr r3, r6 (or r3, r6, r6)
        BLR,
    ]


def routines() -> AtomicRoutines:
    return AtomicRoutines.layout(
        [b"".join(w.to_bytes(4, "little") for w in _cas(n)) for n in range(4)]
    )
