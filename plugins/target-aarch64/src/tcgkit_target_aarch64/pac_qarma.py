"""Pointer authentication arithmetic: the Arm ARM's ComputePAC (QARMA5), AddPAC, Auth
and Strip, as plain functions of integers.

Owns the architected PAC algorithm (``compute_pac``: QARMA-64 with five rounds and
the sigma-2 S-box, the block cipher the Arm ARM's ``ComputePAC`` pseudocode
describes, checked against the QARMA paper's published test vector), and the
pointer layout rules around it (``add_pac``, ``auth``, ``strip``: where the code
goes in a pointer given TCR_EL1's T0SZ/T1SZ and TBI0/TBI1/TBID0/TBID1 for the
lower and upper halves of the address space, bit 55 choosing the half, and the
error code a failed authentication leaves in bits 54:53 or 62:61, as FEAT_PAuth
without FEAT_FPAC does). It knows nothing of CPU state slots or IR: the helpers in
``trans_pauth`` read the keys and TCR_EL1 and call these.

Speed: each cell layer of a round is a linear map (shuffle, multiply, tweak
update) or a nibble substitution, so each is done with per-byte lookup tables
built once, on first use, from the cell-level definitions (``_reference_pac``
keeps the cell-level cipher; the tests check both agree); the last results are
remembered (``functools.lru_cache``), since a function's AUTIASP recomputes its
PACIASP's code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Final

M64: Final = (1 << 64) - 1

#: round constants and the reflection constant alpha (the Arm ARM's RC[] and Alpha)
RC: Final = (0x0000000000000000, 0x13198A2E03707344, 0xA4093822299F31D0,
             0x082EFA98EC4E6C89, 0x452821E638D01377)  # fmt: skip
ALPHA: Final = 0xC0AC29B7C97C50DD
#: PACSub: the S-box on each 4-bit cell (QARMA's sigma-2), and its inverse
SBOX: Final = (0xB, 0x6, 0x8, 0xF, 0xC, 0x0, 0x9, 0xE, 0x3, 0x7, 0x4, 0x5, 0xD, 0x2, 0x1, 0xA)
INV_SBOX: Final = tuple(SBOX.index(i) for i in range(16))
#: PACCellShuffle: output cell i takes input cell CELL_SHUFFLE[i]
CELL_SHUFFLE: Final = (13, 6, 11, 0, 7, 12, 1, 10, 8, 3, 14, 5, 2, 9, 4, 15)
CELL_INV_SHUFFLE: Final = tuple(CELL_SHUFFLE.index(i) for i in range(16))
#: TweakShuffle: output cell i takes input cell TWEAK_SHUFFLE[i], rotated (TweakCellRot)
#: where TWEAK_ROT[i]
TWEAK_SHUFFLE: Final = (4, 5, 6, 7, 11, 2, 3, 8, 12, 13, 14, 15, 0, 1, 10, 9)
TWEAK_ROT: Final = (0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1)


def _cell(x: int, i: int) -> int:
    return (x >> (4 * i)) & 0xF


def _cells(cells: Sequence[int]) -> int:
    out = 0
    for i, c in enumerate(cells):
        out |= c << (4 * i)
    return out


def _rot_cell(c: int, n: int) -> int:
    """RotCell: a 4-bit left rotation."""
    return ((c << n) | (c >> (4 - n))) & 0xF


def _tweak_cell_rot(c: int) -> int:
    """TweakCellRot: one step of the cell's LFSR (bit 3 <- bit 0 XOR bit 1, bits 2:0 <- 3:1)."""
    return (c >> 1) | (((c ^ (c >> 1)) & 1) << 3)


def _tweak_cell_inv_rot(c: int) -> int:
    return ((c << 1) & 0xF) | (((c >> 3) ^ c) & 1)


def cell_shuffle(x: int) -> int:
    return _cells([_cell(x, CELL_SHUFFLE[i]) for i in range(16)])


def cell_inv_shuffle(x: int) -> int:
    return _cells([_cell(x, CELL_INV_SHUFFLE[i]) for i in range(16)])


def tweak_shuffle(x: int) -> int:
    return _cells([
        _tweak_cell_rot(_cell(x, TWEAK_SHUFFLE[i])) if TWEAK_ROT[i] else _cell(x, TWEAK_SHUFFLE[i])
        for i in range(16)
    ])  # fmt: skip


def tweak_inv_shuffle(x: int) -> int:
    out = [0] * 16
    for i in range(16):
        c = _cell(x, i)
        out[TWEAK_SHUFFLE[i]] = _tweak_cell_inv_rot(c) if TWEAK_ROT[i] else c
    return _cells(out)


def pac_mult(x: int) -> int:
    """PACMult: each column (cells i, i+4, i+8, i+12) times QARMA's involutory matrix
    circ(0, rho, rho^2, rho) over 4-bit cells."""
    out = [0] * 16
    for i in range(4):
        a, b, c, d = _cell(x, i), _cell(x, i + 4), _cell(x, i + 8), _cell(x, i + 12)
        out[i + 12] = _rot_cell(c, 1) ^ _rot_cell(b, 2) ^ _rot_cell(a, 1)
        out[i + 8] = _rot_cell(d, 1) ^ _rot_cell(b, 1) ^ _rot_cell(a, 2)
        out[i + 4] = _rot_cell(d, 2) ^ _rot_cell(c, 1) ^ _rot_cell(a, 1)
        out[i] = _rot_cell(d, 1) ^ _rot_cell(c, 2) ^ _rot_cell(b, 1)
    return _cells(out)


def pac_sub(x: int) -> int:
    return _cells([SBOX[_cell(x, i)] for i in range(16)])


def pac_inv_sub(x: int) -> int:
    return _cells([INV_SBOX[_cell(x, i)] for i in range(16)])


#: ComputePAC's layers: ShuffleCells then MixColumns, MixColumns then the inverse
#: shuffle, the inverse shuffle, SubCells, its inverse, the tweak update, its inverse
Layers = tuple[Callable[[int], int], Callable[[int], int], Callable[[int], int],
               Callable[[int], int], Callable[[int], int], Callable[[int], int],
               Callable[[int], int]]  # fmt: skip


def _qarma5(data: int, modifier: int, key0: int, key1: int, layers: Layers) -> int:
    """ComputePAC's rounds, with its layers given (cell-level or table-driven)."""
    shuffle_mult, mult_inv_shuffle, inv_shuffle, sub, inv_sub, tweak, inv_tweak = layers
    modk0 = ((key0 & 1) << 63) | (key0 >> 2 & ((1 << 62) - 1)) << 1 \
        | ((key0 >> 63) ^ (key0 >> 1)) & 1  # fmt: skip
    mod = modifier
    w = data ^ key0
    for i in range(5):
        w ^= key1 ^ mod ^ RC[i]
        if i:
            w = shuffle_mult(w)
        w = sub(w)
        mod = tweak(mod)
    w ^= modk0 ^ mod
    w = sub(shuffle_mult(w))
    w = shuffle_mult(w)
    w ^= key1
    w = mult_inv_shuffle(inv_sub(inv_shuffle(w)))
    w ^= key0 ^ mod
    for i in range(5):
        w = inv_sub(w)
        if i < 4:
            w = mult_inv_shuffle(w)
        mod = inv_tweak(mod)
        w ^= RC[4 - i] ^ key1 ^ mod ^ ALPHA
    return w ^ modk0


def _reference_pac(data: int, modifier: int, key0: int, key1: int) -> int:
    """ComputePAC at the level of cells, as the Arm ARM writes it."""
    layers: Layers = (
        lambda w: pac_mult(cell_shuffle(w)),
        lambda w: cell_inv_shuffle(pac_mult(w)),
        cell_inv_shuffle,
        pac_sub,
        pac_inv_sub,
        tweak_shuffle,
        tweak_inv_shuffle,
    )
    return _qarma5(data, modifier, key0, key1, layers)


# -- the table-driven layers ---------------------------------------------------------------


def _byte_tables(linear: Callable[[int], int]) -> tuple[tuple[int, ...], ...]:
    """For a map linear over GF(2) on 64 bits: per input byte, the image of its 256 values."""
    return tuple(tuple(linear(v << (8 * k)) for v in range(256)) for k in range(8))


def _apply(tables: tuple[tuple[int, ...], ...], x: int) -> int:
    t0, t1, t2, t3, t4, t5, t6, t7 = tables
    lo = t0[x & 0xFF] ^ t1[x >> 8 & 0xFF] ^ t2[x >> 16 & 0xFF] ^ t3[x >> 24 & 0xFF]
    return lo ^ t4[x >> 32 & 0xFF] ^ t5[x >> 40 & 0xFF] ^ t6[x >> 48 & 0xFF] ^ t7[x >> 56]


def _sub_bytes(box: Sequence[int]) -> bytes:
    return bytes(box[v >> 4] << 4 | box[v & 15] for v in range(256))


class _Tables:
    """The per-byte tables of ComputePAC's layers (made on first use)."""

    def __init__(self) -> None:
        self.shuffle_mult = _byte_tables(lambda w: pac_mult(cell_shuffle(w)))
        self.mult_inv_shuffle = _byte_tables(lambda w: cell_inv_shuffle(pac_mult(w)))
        self.inv_shuffle = _byte_tables(cell_inv_shuffle)
        self.tweak = _byte_tables(tweak_shuffle)
        self.inv_tweak = _byte_tables(tweak_inv_shuffle)
        sub_t, inv_t = _sub_bytes(SBOX), _sub_bytes(INV_SBOX)
        sm, mis, ins = self.shuffle_mult, self.mult_inv_shuffle, self.inv_shuffle
        tw, itw = self.tweak, self.inv_tweak

        def sub(w: int) -> int:
            return int.from_bytes(w.to_bytes(8, "little").translate(sub_t), "little")

        def inv_sub(w: int) -> int:
            return int.from_bytes(w.to_bytes(8, "little").translate(inv_t), "little")

        self.layers: Layers = (
            lambda w: _apply(sm, w),
            lambda w: _apply(mis, w),
            lambda w: _apply(ins, w),
            sub,
            inv_sub,
            lambda w: _apply(tw, w),
            lambda w: _apply(itw, w),
        )


@functools.cache
def _layers() -> Layers:
    """The table-driven layers (their tables made once, on first use)."""
    return _Tables().layers


@functools.lru_cache(maxsize=256)
def compute_pac(data: int, modifier: int, key0: int, key1: int) -> int:
    """ComputePAC(data, modifier, key0, key1): the 64-bit QARMA5 output (key0 is the
    key register's high half, key1 its low half). A pure function: its last results
    are remembered (a function's AUTIASP recomputes its PACIASP's code)."""
    return _qarma5(data, modifier, key0, key1, _layers())


# -- pointers ------------------------------------------------------------------------------

TCR_TBI0, TCR_TBI1 = 1 << 37, 1 << 38
TCR_TBID0, TCR_TBID1 = 1 << 51, 1 << 52
#: TCR_EL1 as Linux gives a user process: 48-bit addresses in both halves (T0SZ = T1SZ =
#: 16), the top byte ignored in the lower half (TBI0) for data and instruction addresses
TCR_LINUX: Final = 16 | 16 << 16 | TCR_TBI0


def va_params(tcr: int, ptr: int, data: bool) -> tuple[int, bool, int]:
    """(bottom PAC bit, top byte ignored, bit 55) of ``ptr`` under TCR_EL1 ``tcr``."""
    sel = ptr >> 55 & 1
    if sel:
        tsz, tbi, tbid = tcr >> 16 & 63, tcr & TCR_TBI1, tcr & TCR_TBID1
    else:
        tsz, tbi, tbid = tcr & 63, tcr & TCR_TBI0, tcr & TCR_TBID0
    tsz = min(max(tsz, 16), 39)  # the sizes a 4 KiB granule without FEAT_LVA allows
    return 64 - tsz, bool(tbi) and (data or not tbid), sel


def _extend(ptr: int, bottom: int, tbi: bool, sel: int) -> int:
    """``ptr`` with its PAC field (bits bottom..55, and 63:56 without TBI) replaced by
    copies of bit 55."""
    top = 56 if tbi else 64
    field = ((1 << top) - 1) ^ ((1 << bottom) - 1)
    return (ptr & ~field | (field if sel else 0)) & M64


@functools.lru_cache(maxsize=1024)
def add_pac(ptr: int, modifier: int, key_hi: int, key_lo: int, tcr: int, data: bool) -> int:
    """AddPAC: ``ptr`` with its pointer authentication code inserted (remembered, as
    ``compute_pac``: a loop signs the same return address with the same SP)."""
    bottom, tbi, sel = va_params(tcr, ptr, data)
    ext = _extend(ptr, bottom, tbi, sel)
    pac = compute_pac(ext, modifier, key_hi, key_lo)
    top_bit = 55 if tbi else 63
    check = ptr >> bottom & ((1 << (top_bit - bottom + 1)) - 1)
    if check not in (0, (1 << (top_bit - bottom + 1)) - 1):  # bad extension: corrupt it
        pac ^= 1 << (top_bit - 1)
    low = ptr & ((1 << bottom) - 1)
    code = pac & ((1 << 55) - 1) & ~((1 << bottom) - 1)
    high = ptr & (0xFF << 56) if tbi else pac & (0xFF << 56)
    return high | sel << 55 | code | low


@functools.lru_cache(maxsize=1024)
def auth(ptr: int, modifier: int, key_hi: int, key_lo: int, tcr: int, data: bool,
         keynumber: int) -> int:  # fmt: skip
    """Auth: the pointer without its code when the code is right; else with the error
    code (keynumber, NOT keynumber) in bits 54:53 (62:61 without TBI)."""
    bottom, tbi, sel = va_params(tcr, ptr, data)
    original = _extend(ptr, bottom, tbi, sel)
    pac = compute_pac(original, modifier, key_hi, key_lo)
    field = ((1 << 55) - 1) ^ ((1 << bottom) - 1)
    if not tbi:
        field |= 0xFF << 56
    if (pac ^ ptr) & field == 0:
        return original
    error = (keynumber << 1 | (keynumber ^ 1)) & 3
    at = 53 if tbi else 61
    return original & ~(3 << at) | error << at


def strip(ptr: int, tcr: int, data: bool) -> int:
    """Strip (XPACI, XPACD): the pointer with its PAC field restored to the extension."""
    bottom, tbi, sel = va_params(tcr, ptr, data)
    return _extend(ptr, bottom, tbi, sel)


def pacga(x: int, modifier: int, key_hi: int, key_lo: int) -> int:
    """PACGA: the top 32 bits of ComputePAC(x, modifier, APGAKey), the low 32 zero."""
    return compute_pac(x, modifier, key_hi, key_lo) & 0xFFFFFFFF_00000000
