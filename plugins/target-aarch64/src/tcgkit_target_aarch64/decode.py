"""The A64 decoder, as data.

Owns ``PATTERNS``: each entry is a 32-character bit pattern (most significant
bit first; ``0``/``1`` fixed, anything else free) and the translator function
of the instruction class it matches, in the spirit of QEMU's decodetree. The
first matching pattern wins, so more specific patterns come first. Patterns
are grouped by bits 28:25 (the top-level ``op0`` field) once, at import, so a
lookup scans only its group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import trans_crypto as crypto
from . import trans_dp as dp
from . import trans_fp as fp
from . import trans_fp16_simd as fp16_simd
from . import trans_mem as mem
from . import trans_pauth as pauth
from . import trans_simd as simd
from . import trans_simd_fcma as simd_fcma
from . import trans_simd_fp as simd_fp
from . import trans_simd_int as simd_int
from .trans_sys_hooks import INSN_MRS, INSN_MSR, INSN_SYS, hookable

Handler = Callable[[Any, Any, int], None]

PATTERNS: tuple[tuple[str, Handler], ...] = (
    # -- data processing, immediate --------------------------------------------------
    ("xxx10000xxxxxxxxxxxxxxxxxxxxxxxx", dp.adr),
    ("xxx100010xxxxxxxxxxxxxxxxxxxxxxx", dp.add_sub_imm),
    ("xxx100100xxxxxxxxxxxxxxxxxxxxxxx", dp.logic_imm),
    ("xxx100101xxxxxxxxxxxxxxxxxxxxxxx", dp.move_wide),
    ("xxx100110xxxxxxxxxxxxxxxxxxxxxxx", dp.bitfield),
    ("x00100111x0xxxxxxxxxxxxxxxxxxxxx", dp.extr),
    # -- branches, exceptions, system ------------------------------------------------------
    ("x00101xxxxxxxxxxxxxxxxxxxxxxxxxx", dp.b_bl),
    ("x011010xxxxxxxxxxxxxxxxxxxxxxxxx", dp.cbz),
    ("x011011xxxxxxxxxxxxxxxxxxxxxxxxx", dp.tbz),
    ("01010100xxxxxxxxxxxxxxxxxxx0xxxx", dp.b_cond),
    ("1101011000011111000000xxxxx00000", dp.br),
    ("1101011000111111000000xxxxx00000", dp.blr),
    ("1101011001011111000000xxxxx00000", dp.ret),
    ("11010100000xxxxxxxxxxxxxxxx00001", dp.svc),
    ("11010100001xxxxxxxxxxxxxxxx00000", dp.brk),
    ("11010101000000110010xxxxxxx11111", dp.hint),
    ("11010101000000110011xxxx01011111", dp.clrex),
    ("11010101000000110011xxxx1xx11111", dp.barrier),
    ("11010101000010110111xxxxxxxxxxxx", hookable(dp.dc_ic, INSN_SYS)),
    ("1101010100000000010000000xx11111", dp.flag_pstate),
    ("1101010100111xxxxxxxxxxxxxxxxxxx", hookable(dp.mrs, INSN_MRS)),
    ("1101010100011xxxxxxxxxxxxxxxxxxx", hookable(dp.msr, INSN_MSR)),
    # -- data processing, register -----------------------------------------------------------
    ("xxx01010xxxxxxxxxxxxxxxxxxxxxxxx", dp.logic_reg),
    ("xxx01011xx0xxxxxxxxxxxxxxxxxxxxx", dp.add_sub_shifted),
    ("xxx01011001xxxxxxxxxxxxxxxxxxxxx", dp.add_sub_ext),
    ("xxx11010000xxxxx000000xxxxxxxxxx", dp.adc_sbc),
    ("xx111010010xxxxxxxxxx0xxxxx0xxxx", dp.ccmp),
    ("xx011010100xxxxxxxxx0xxxxxxxxxxx", dp.csel),
    ("x0011010110xxxxx0000xxxxxxxxxxxx", dp.dp2),
    ("x0011010110xxxxx0010xxxxxxxxxxxx", dp.dp2),
    ("x0011010110xxxxx010xxxxxxxxxxxxx", dp.crc32),
    ("x101101011000000000xxxxxxxxxxxxx", dp.dp1),
    ("10111010000xxxxxx00001xxxxx0xxxx", dp.rmif),
    ("00111010000000000x0010xxxxx01101", dp.setf),
    ("x0011011xxxxxxxxxxxxxxxxxxxxxxxx", dp.dp3),
    *pauth.PATTERNS,
    # -- loads and stores ------------------------------------------------------------------------
    ("xx001000xxxxxxxxxxxxxxxxxxxxxxxx", mem.exclusive),
    ("xx011001xx0xxxxxxxxx00xxxxxxxxxx", mem.rcpc_unscaled),
    ("xx011x00xxxxxxxxxxxxxxxxxxxxxxxx", mem.load_literal),
    ("xx101x0xxxxxxxxxxxxxxxxxxxxxxxxx", mem.pair),
    ("xx111x01xxxxxxxxxxxxxxxxxxxxxxxx", mem.single_uimm),
    ("xx111x00xx0xxxxxxxxxxxxxxxxxxxxx", mem.single_imm9),
    ("xx111x00xx1xxxxxxxxx10xxxxxxxxxx", mem.single_reg),
    ("xx111000xx1xxxxxxxxx00xxxxxxxxxx", mem.atomic),
    ("0x0011000x000000xxxxxxxxxxxxxxxx", mem.simd_structures),
    ("0x0011001x0xxxxxxxxxxxxxxxxxxxxx", mem.simd_structures),
    ("0x0011010xx00000xxxxxxxxxxxxxxxx", mem.simd_single),
    ("0x0011011xxxxxxxxxxxxxxxxxxxxxxx", mem.simd_single),
    # -- cryptographic extension, then floating point and AdvSIMD ----------------------------------
    *crypto.PATTERNS,
    *fp16_simd.PATTERNS,
    *fp.PATTERNS,
    ("x0011110xx0xxxxxxxxxxxxxxxxxxxxx", simd_fp.fixed_general),
    *simd_fcma.PATTERNS,
    *simd_int.PATTERNS,
    *simd.PATTERNS,
)


def _compile(pattern: str) -> tuple[int, int]:
    if len(pattern) != 32:
        raise ValueError(f"pattern {pattern!r} is not 32 bits")
    mask = value = 0
    for ch in pattern:
        mask <<= 1
        value <<= 1
        if ch in "01":
            mask |= 1
            value |= ch == "1"
    return mask, value


def _groups() -> tuple[tuple[tuple[int, int, Handler], ...], ...]:
    compiled = [(*_compile(p), h) for p, h in PATTERNS]
    groups = []
    for op0 in range(16):
        word = op0 << 25
        groups.append(tuple(
            (m, v, h) for m, v, h in compiled
            if (word & m & (0xF << 25)) == (v & m & (0xF << 25))
        ))  # fmt: skip
    return tuple(groups)


_GROUPS: Final = _groups()


def decode(insn: int) -> Handler | None:
    """The translator for ``insn``, or None if no pattern claims it."""
    for mask, value, handler in _GROUPS[(insn >> 25) & 0xF]:
        if insn & mask == value:
            return handler
    return None
