"""The A64 decoder, as data.

Owns ``PATTERNS``: each entry is a 32-character bit pattern (most significant
bit first; ``0``/``1`` fixed, anything else free) and the translator function
of the instruction class it matches, in the spirit of QEMU's decodetree. The
first matching pattern wins, so more specific patterns come first. Patterns
are grouped by bits 28:25 (the top-level ``op0`` field) once, at import, so a
lookup scans only its group.

Also owns ``GATES``: the encodings of each optional architecture feature (the
names of ``cpu_models.FEATURES``), and ``decoder_for``, the decoder of a CPU model.
A model with every gated feature (``max``) decodes with ``decode`` itself; any
other gets a decoder that, when ``decode`` gives a translator whose patterns meet
gated encodings, looks the word up in those gates and answers None, as for an
unallocated encoding, when the first that matches names a feature the model lacks
(base-ISA words of other translators pay one dictionary lookup). The first
matching gate decides, so
a narrower gate comes before a wider one it is an exception to (LDAPR before the
LSE atomics it sits among, FCVT from half precision before the FP16 scalar ops).
"""

from __future__ import annotations

import functools
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
    *pauth.HINT_PATTERNS,
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


#: (pattern, feature) per feature-gated encoding space, narrower ones first
GATES: tuple[tuple[str, str], ...] = (
    # -- loads and stores: LSE atomics (v8.1), RCpc (v8.3, v8.4) --------------------------
    ("xx11100010111111110000xxxxxxxxxx", "lrcpc"),  # LDAPR, LDAPRB, LDAPRH
    ("xx111000xx1xxxxxxxxx00xxxxxxxxxx", "atomics"),  # LD<op>, ST<op>, SWP
    ("xx0010001x1xxxxxxxxxxxxxxxxxxxxx", "atomics"),  # CAS, CASB, CASH
    ("0x0010000x1xxxxxxxxxxxxxxxxxxxxx", "atomics"),  # CASP
    ("xx011001xx0xxxxxxxxx00xxxxxxxxxx", "ilrcpc"),  # LDAPUR*, STLUR*
    ("11111000xx1xxxxxxxxxx1xxxxxxxxxx", "paca"),  # LDRAA, LDRAB
    # -- data processing and system ------------------------------------------------------
    ("1101101011000001xxxxxxxxxxxxxxxx", "paca"),  # PACIA ... XPACD (not the hints)
    ("1101011xxxx1111100001xxxxxxxxxxx", "paca"),  # BRAA, BLRAA, RETAA, ERETAA...
    ("10011010110xxxxx001100xxxxxxxxxx", "pacg"),  # PACGA
    ("10111010000xxxxxx00001xxxxx0xxxx", "flagm"),  # RMIF
    ("00111010000000000x0010xxxxx01101", "flagm"),  # SETF8, SETF16
    ("11010101000000000100000000011111", "flagm"),  # CFINV
    ("11010101000000000100000000111111", "flagm2"),  # XAFLAG
    ("11010101000000000100000001011111", "flagm2"),  # AXFLAG
    ("11010101001110110010010000xxxxxx", "rng"),  # MRS RNDR, RNDRRS
    ("11010101000000110011000011111111", "sb"),  # SB
    ("110101010000101101111100001xxxxx", "dcpop"),  # DC CVAP
    ("110101010000101101111101001xxxxx", "dcpodp"),  # DC CVADP
    # -- cryptographic extension, Armv8.2 --------------------------------------------------
    ("11001110011xxxxx100011xxxxxxxxxx", "sha3"),  # RAX1
    ("11001110011xxxxx1000xxxxxxxxxxxx", "sha512"),  # SHA512H, SHA512H2, SHA512SU1
    ("1100111011000000100000xxxxxxxxxx", "sha512"),  # SHA512SU0
    ("1100111000xxxxxx0xxxxxxxxxxxxxxx", "sha3"),  # EOR3, BCAX
    ("11001110100xxxxxxxxxxxxxxxxxxxxx", "sha3"),  # XAR
    ("11001110010xxxxx0xxxxxxxxxxxxxxx", "sm3"),  # SM3SS1
    ("11001110010xxxxx10xxxxxxxxxxxxxx", "sm3"),  # SM3TT1A ... SM3TT2B
    ("11001110011xxxxx11000xxxxxxxxxxx", "sm3"),  # SM3PARTW1, SM3PARTW2
    ("11001110011xxxxx110010xxxxxxxxxx", "sm4"),  # SM4EKEY
    ("1100111011000000100001xxxxxxxxxx", "sm4"),  # SM4E
    # -- floating point: half precision (v8.2), FJCVTZS (v8.3), FRINT32/64 (v8.5) -----------
    ("0001111011100010x10000xxxxxxxxxx", "fp"),  # FCVT Sd/Dd, Hn: Armv8.0
    ("x001111011xxxxxxxxxxxxxxxxxxxxxx", "fphp"),  # scalar FP and conversions on H
    ("0001111111xxxxxxxxxxxxxxxxxxxxxx", "fphp"),  # FMADD ... FNMSUB on H
    ("0001111001111110000000xxxxxxxxxx", "jscvt"),  # FJCVTZS
    ("000111100x10100xx10000xxxxxxxxxx", "frint"),  # FRINT32Z ... FRINT64X (scalar)
    ("0xx011100x100001111x10xxxxxxxxxx", "frint"),  # FRINT32Z ... FRINT64X (vector)
    # -- AdvSIMD: FP16 (v8.2), FHM (v8.2), RDM (v8.1), DotProd (v8.2), FCMA (v8.3) ----------
    # trans_fp16_simd's encodings, but for FMULX by element of S and D (bit 23 set:
    # Armv8.0) which its by_element serves too
    *(
        (p, "asimdfhm" if h in (fp16_simd.fmlal, fp16_simd.fmlal_element) else "asimdhp")
        for p, h in fp16_simd.PATTERNS
        if not (h is fp16_simd.by_element and p[8] == "1")
    ),
    ("0x00111100000xxx111111xxxxxxxxxx", "asimdhp"),  # FMOV Vd.<T>, #imm (half)
    ("0xx011110001xxxx111001xxxxxxxxxx", "asimdhp"),  # SCVTF, UCVTF (vector, fixed, H)
    ("0xx011110001xxxx111111xxxxxxxxxx", "asimdhp"),  # FCVTZS, FCVTZU (vector, fixed, H)
    ("01x111110001xxxx111001xxxxxxxxxx", "asimdhp"),  # SCVTF, UCVTF (scalar, fixed, H)
    ("01x111110001xxxx111111xxxxxxxxxx", "asimdhp"),  # FCVTZS, FCVTZU (scalar, fixed, H)
    *((p, "fcma") for p, _ in simd_fcma.PATTERNS),
    ("0xx01110xx0xxxxx1000x1xxxxxxxxxx", "asimdrdm"),  # SQRDMLAH, SQRDMLSH (vector)
    ("01111110xx0xxxxx1000x1xxxxxxxxxx", "asimdrdm"),  # SQRDMLAH, SQRDMLSH (scalar)
    ("0x101111xxxxxxxx11x1x0xxxxxxxxxx", "asimdrdm"),  # ... by element (vector)
    ("01111111xxxxxxxx11x1x0xxxxxxxxxx", "asimdrdm"),  # ... by element (scalar)
    ("0xx01110xx0xxxxx100101xxxxxxxxxx", "asimddp"),  # SDOT, UDOT (vector)
    ("0xx01111xxxxxxxx1110x0xxxxxxxxxx", "asimddp"),  # SDOT, UDOT (by element)
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


def _groups(entries: tuple[tuple[str, Any], ...] = PATTERNS,
            ) -> tuple[tuple[tuple[int, int, Any], ...], ...]:  # fmt: skip
    """``entries`` (pattern, payload) as (mask, value, payload) by op0 group."""
    compiled = [(*_compile(p), h) for p, h in entries]
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


def gate(insn: int) -> str | None:
    """The optional feature whose encodings hold ``insn`` (None: the base ISA's)."""
    for mask, value, feature in _gate_groups()[(insn >> 25) & 0xF]:
        if insn & mask == value:
            return feature
    return None


@functools.cache
def _gate_groups() -> tuple[tuple[tuple[int, int, Any], ...], ...]:
    """``GATES`` by op0 group, built on first use: only a model that lacks a feature
    needs them, not every process's start-up."""
    return _groups(GATES)


GATED_FEATURES: Final = frozenset(f for _, f in GATES)


@functools.cache
def _handler_gates() -> dict[Handler, tuple[tuple[int, int, str], ...]]:
    """Translator -> the gates (mask, value, feature), in ``GATES`` order, whose
    encodings meet one of its patterns: the only gates its words can fall in."""
    compiled = [(*_compile(p), f) for p, f in GATES]
    out: dict[Handler, list[tuple[int, int, str]]] = {}
    for pattern, handler in PATTERNS:
        bm, bv = _compile(pattern)
        mine = out.setdefault(handler, [])
        for gm, gv, f in compiled:
            if not (gv ^ bv) & gm & bm and (gm, gv, f) not in mine:
                mine.append((gm, gv, f))
    order = {g: i for i, g in enumerate(compiled)}
    return {h: tuple(sorted(gs, key=order.__getitem__)) for h, gs in out.items() if gs}


def decoder_for(features: frozenset[str]) -> Callable[[int], Handler | None]:
    """The decoder of a CPU model with ``features``: ``decode`` itself when it has every
    gated one, else ``decode`` followed, for the translators whose encodings hold gated
    ones only, by a scan of those gates: None (refused, as an unallocated word) when the
    first that matches names a feature the model lacks."""
    if features >= GATED_FEATURES:
        return decode
    by_handler = {
        h: tuple((m, v, f in features) for m, v, f in gates)
        for h, gates in _handler_gates().items()
        if any(f not in features for _, _, f in gates)
    }

    def decode_model(insn: int) -> Handler | None:
        handler = decode(insn)
        gates = by_handler.get(handler)  # type: ignore[arg-type]
        if gates is not None:
            for mask, value, present in gates:
                if insn & mask == value:
                    if present:
                        break
                    return None
        return handler

    return decode_model
