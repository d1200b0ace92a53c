"""The POWER host's compare-and-swap routines, for guest atomics of several vCPUs.

Owns ``routines()``: ELFv2 functions that ``tcgkit.exec.atomic`` calls through
ctypes (``NativeHost.atomic_routines``), each a reservation loop (l?arx /
st?cx., the byte and halfword forms being ISA 2.06, which every host this
backend runs on has; lqarx / stqcx. for the pair, ISA 2.07) between two
``sync``s, so that a guest compare-and-swap is atomic and ordered against every
other vCPU's generated code:

    cas_N(r3 = ptr, r4 = expected, r5 = new) -> r3 = the value read
    cas_pair(r3 = ptr, r4 = exp_lo, r5 = exp_hi, r6 = new_lo, r7 = new_hi,
             r8 = out): out[0], out[1] = the pair read (ptr 16-byte aligned)

lqarx is a single-copy atomic quadword load, so a pair that differs is not stored
back. Little-endian, the even register of a pair holds the doubleword 8 bytes on
(hi) and the odd one the doubleword at the address (lo), for lqarx and stqcx. both.
"""

from __future__ import annotations

from tcgkit.native.backend import AtomicRoutines

from .encoder import LQARX, STQCX

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


def _cmpd(ra: int, rb: int) -> int:
    return 31 << 26 | 1 << 21 | ra << 16 | rb << 11


def _mr(ra: int, rs: int) -> int:
    return _x(rs, ra, rs, 444)  # or ra, rs, rs


def _std(rs: int, ra: int, disp: int) -> int:
    return 62 << 26 | rs << 21 | ra << 16 | (disp & 0xFFFC)


def _cas(log2: int) -> list[int]:
    return [
        SYNC,
        _x(6, 0, 3, _LARX[log2]),  # 1: l?arx r6, 0, r3
        _cmpd(6, 4),  # cmpd r6, r4
        _bne(3),  # bne- 6
        _x(5, 0, 3, _STCX[log2], 1),  # st?cx. r5, 0, r3
        _bne(-4),  # bne- 1 (the reservation was lost)
        SYNC,  # 6:
        _mr(3, 6),  # mr r3, r6
        BLR,
    ]


_CAS_PAIR = [
    _mr(11, 6),  # mr r11, r6    (new: r10 = hi, r11 = lo)
    _mr(10, 7),  # mr r10, r7
    SYNC,
    _x(6, 0, 3, LQARX),  # 3: lqarx r6, 0, r3   (r6 = hi, r7 = lo)
    _cmpd(7, 4),  # cmpd r7, r4
    _bne(5),  # bne- 10
    _cmpd(6, 5),  # cmpd r6, r5
    _bne(3),  # bne- 10
    _x(10, 0, 3, STQCX, 1),  # stqcx. r10, 0, r3
    _bne(-6),  # bne- 3 (the reservation was lost)
    SYNC,  # 10:
    _std(7, 8, 0),  # std r7, 0(r8)   (the pair read, whether or not it was swapped)
    _std(6, 8, 8),  # std r6, 8(r8)
    BLR,
]


def _code(words: list[int]) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


def routines() -> AtomicRoutines:
    return AtomicRoutines.layout([_code(_cas(n)) for n in range(4)], _code(_CAS_PAIR))
