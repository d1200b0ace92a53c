"""Bit-field helpers for decoding A64 instruction words.

Owns ``field`` (bits hi..lo of a word), ``sext`` and ``decode_bit_masks``
(the Arm ARM's DecodeBitMasks, for logical immediates and bitfield moves).
"""

from __future__ import annotations

import functools

from tcgkit._mypyc import i64


def field(insn: i64, hi: i64, lo: i64) -> int:
    """Bits ``hi`` to ``lo`` of the 32-bit instruction word ``insn`` (native integers
    compiled: the shifts and the mask are C operations)."""
    return (insn >> lo) & ((1 << (hi - lo + 1)) - 1)


def sext(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _ror(value: int, amount: int, size: int) -> int:
    amount %= size
    return ((value >> amount) | (value << (size - amount))) & ((1 << size) - 1)


def decode_bit_masks(n: int, imms: int, immr: int, size: int) -> tuple[int, int] | None:
    """(wmask, tmask) of a logical immediate, or None for a reserved encoding."""
    return _bit_masks(n << 20 | imms << 14 | immr << 8 | size)


@functools.cache
def _bit_masks(key: int) -> tuple[int, int] | None:
    """``decode_bit_masks`` memoized by one int (its fields are 1, 6, 6 and 7 bits: at
    most 2^20 keys, of which code uses a few hundred; the masks are wide integers)."""
    n, imms, immr, size = key >> 20, key >> 14 & 0x3F, key >> 8 & 0x3F, key & 0xFF
    combined = (n << 6) | (~imms & 0x3F)
    length = combined.bit_length() - 1
    if length < 1:
        return None
    esize = 1 << length
    if esize > size:
        return None
    levels = esize - 1
    s, r = imms & levels, immr & levels
    if s == levels:
        return None  # all ones: reserved for logical immediates
    welem = (1 << (s + 1)) - 1
    diff = (s - r) & levels
    telem = (1 << (diff + 1)) - 1
    wmask = tmask = 0
    rotated = _ror(welem, r, esize)
    for i in range(size // esize):
        wmask |= rotated << (i * esize)
        tmask |= telem << (i * esize)
    return wmask, tmask
