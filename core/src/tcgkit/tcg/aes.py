"""AES round steps (FIPS-197) on 16-byte states: the reference the crypto IR ops
follow.

Owns the S-box and its inverse (computed at import from inversion in GF(2^8)
modulo x^8 + x^4 + x^3 + x + 1 and the affine map of FIPS-197 5.1.1: no typed-in
table), ShiftRows, MixColumns, their inverses, and the meaning of the optional
IR ops ``aese_i64``, ``aesd_i64``, ``aesmc_i64`` and ``aesimc_i64``
(``tcgkit.tcg.semantics``) on a 128-bit value held as two 64-bit halves.

A state is 16 bytes in FIPS-197's order: byte ``r + 4 * c`` is row ``r`` of column
``c``. As a 128-bit value it is little-endian: ``lo`` holds bytes 0-7 and ``hi``
bytes 8-15, which is both an A64 vector register and an x86 xmm register.
"""

from __future__ import annotations

import functools
from operator import itemgetter
from typing import Final

#: the reduction polynomial x^8 + x^4 + x^3 + x + 1
POLY: Final = 0x11B
#: the constant of the S-box's affine map
AFFINE_CONST: Final = 0x63


def xtime(a: int) -> int:
    """``a`` times x in GF(2^8)."""
    a <<= 1
    return a ^ POLY if a & 0x100 else a


def gf_mul(a: int, b: int) -> int:
    """The product of two elements of GF(2^8)."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = xtime(a)
        b >>= 1
    return r


def _tables() -> tuple[list[int], list[int]]:
    """(exp, log) of GF(2^8) to the base x + 1 (a generator of its 255 units)."""
    exp = [0] * 510
    log = [0] * 256
    a = 1
    for i in range(255):
        exp[i] = exp[i + 255] = a
        log[a] = i
        a ^= xtime(a)  # a * (x + 1)
    return exp, log


_EXP, _LOG = _tables()


def gf_inv(a: int) -> int:
    """The inverse in GF(2^8), with 0 mapped to 0 (as the S-box does)."""
    return _EXP[255 - _LOG[a]] if a else 0


def _rotl8(b: int, n: int) -> int:
    return (b << n | b >> (8 - n)) & 0xFF


def affine(b: int) -> int:
    """The S-box's affine map: bit i of the result is b_i + b_{i+4} + b_{i+5} + b_{i+6}
    + b_{i+7} (indices mod 8) + bit i of 0x63."""
    return b ^ _rotl8(b, 1) ^ _rotl8(b, 2) ^ _rotl8(b, 3) ^ _rotl8(b, 4) ^ AFFINE_CONST


def inv_affine(b: int) -> int:
    """The inverse of ``affine``: bit i is b_{i+2} + b_{i+5} + b_{i+7} + bit i of 0x05."""
    return _rotl8(b, 1) ^ _rotl8(b, 3) ^ _rotl8(b, 6) ^ 0x05


#: the S-box and its inverse, as bytes (``bytes.translate`` tables)
SBOX: Final = bytes(affine(gf_inv(a)) for a in range(256))
INV_SBOX: Final = bytes(gf_inv(inv_affine(a)) for a in range(256))
#: byte i of ShiftRows' result is byte _SHIFT_ROWS[i] of its input (byte r + 4c
#: takes byte r + 4(c + r)); and of InvShiftRows' (byte r + 4c takes r + 4(c - r))
_SHIFT_ROWS: Final = itemgetter(*[r + 4 * ((i // 4 + r) % 4) for i in range(16) for r in [i % 4]])
_INV_SHIFT_ROWS: Final = itemgetter(*[r + 4 * ((i // 4 - r) % 4) for i in range(16)
                                      for r in [i % 4]])  # fmt: skip


def sub_bytes(s: bytes) -> bytes:
    return s.translate(SBOX)


def inv_sub_bytes(s: bytes) -> bytes:
    return s.translate(INV_SBOX)


def shift_rows(s: bytes) -> bytes:
    """Row r turns left by r columns: s'[r, c] = s[r, c + r]."""
    return bytes(_SHIFT_ROWS(s))


def inv_shift_rows(s: bytes) -> bytes:
    """s'[r, c] = s[r, c - r]."""
    return bytes(_INV_SHIFT_ROWS(s))


@functools.cache
def _times(c: int) -> bytes:
    """The table of ``c * x`` in GF(2^8), made at first use."""
    return bytes(gf_mul(c, x) for x in range(256))


def _mix(s: bytes, coeffs: tuple[int, int, int, int]) -> bytes:
    """Each column times the circulant matrix whose first row is ``coeffs``:
    s'[r, c] = sum over k of coeffs[k] * s[r + k, c]."""
    t0, t1, t2, t3 = (_times(k) for k in coeffs)
    out = bytearray(16)
    for c in range(0, 16, 4):
        a0, a1, a2, a3 = s[c : c + 4]
        out[c] = t0[a0] ^ t1[a1] ^ t2[a2] ^ t3[a3]
        out[c + 1] = t0[a1] ^ t1[a2] ^ t2[a3] ^ t3[a0]
        out[c + 2] = t0[a2] ^ t1[a3] ^ t2[a0] ^ t3[a1]
        out[c + 3] = t0[a3] ^ t1[a0] ^ t2[a1] ^ t3[a2]
    return bytes(out)


def mix_columns(s: bytes) -> bytes:
    """Each column times the polynomial 03 x^3 + 01 x^2 + 01 x + 02."""
    return _mix(s, (2, 3, 1, 1))


def inv_mix_columns(s: bytes) -> bytes:
    """Each column times 0b x^3 + 0d x^2 + 09 x + 0e, the inverse of MixColumns'."""
    return _mix(s, (14, 11, 13, 9))


def state(lo: int, hi: int) -> bytes:
    """The 16 bytes of the 128-bit value ``hi:lo``."""
    return (lo & 0xFFFFFFFFFFFFFFFF | (hi & 0xFFFFFFFFFFFFFFFF) << 64).to_bytes(16, "little")


def halves(s: bytes) -> tuple[int, int]:
    """(lo, hi) of a 16-byte state."""
    v = int.from_bytes(s, "little")
    return v & 0xFFFFFFFFFFFFFFFF, v >> 64


def aese(lo: int, hi: int, key_lo: int, key_hi: int) -> tuple[int, int]:
    """``aese_i64``: SubBytes(ShiftRows(state ^ key)) (A64 AESE)."""
    return halves(sub_bytes(shift_rows(state(lo ^ key_lo, hi ^ key_hi))))


def aesd(lo: int, hi: int, key_lo: int, key_hi: int) -> tuple[int, int]:
    """``aesd_i64``: InvSubBytes(InvShiftRows(state ^ key)) (A64 AESD)."""
    return halves(inv_sub_bytes(inv_shift_rows(state(lo ^ key_lo, hi ^ key_hi))))


def aesmc(lo: int, hi: int) -> tuple[int, int]:
    """``aesmc_i64``: MixColumns (A64 AESMC)."""
    return halves(mix_columns(state(lo, hi)))


def aesimc(lo: int, hi: int) -> tuple[int, int]:
    """``aesimc_i64``: InvMixColumns (A64 AESIMC)."""
    return halves(inv_mix_columns(state(lo, hi)))
