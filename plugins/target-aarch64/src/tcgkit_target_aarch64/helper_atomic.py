"""Helpers: A64's atomic instructions when several vCPUs run (``dc.parallel``).

Owns the helpers that ``trans_mem`` calls instead of its inline load-compare-
store sequences in TBs translated with ``CF_PARALLEL``: store-exclusive
(single and pair), CAS, CASP and the LSE read-modify-writes. Each is one
atomic access through ``tcgkit.exec.atomic`` (the host's compare-and-swap on
RAM, an exclusive section otherwise). Register operands come in as inputs and
results go out as the return value, except CASP, whose two old values the
helper writes to Rs and Rs+1 itself. The store-exclusives keep QEMU user
mode's monitor: they succeed when memory still holds the value the
load-exclusive read (compared and swapped atomically).

Every helper is made once, per operation and access size (log2), here.
"""

from __future__ import annotations

from collections.abc import Callable

from tcgkit.exec.atomic import cmpxchg, cmpxchg_pair, fetch_update
from tcgkit.exec.cpu import CPU
from tcgkit.tcg.ir import Helper
from tcgkit.tcg.types import I64, CallFlags

# a helper may fault (the guest pc is then restored), but changes no global
_FAULTING = CallFlags.NO_WRITE_GLOBALS


def _stx(log2: int) -> Helper:
    def stx(cpu: CPU, addr: int, expected: int, new: int) -> int:
        return 0 if cmpxchg(cpu, addr, expected, new, log2) == expected else 1

    return Helper(f"a64_stx{8 << log2}", stx, _FAULTING, I64, (I64, I64, I64))


def _stxp(log2: int) -> Helper:
    def stxp(cpu: CPU, addr: int, exp_lo: int, exp_hi: int, new_lo: int, new_hi: int) -> int:
        mask = (1 << (8 << log2)) - 1
        old = cmpxchg_pair(cpu, addr, (exp_lo, exp_hi), (new_lo, new_hi), log2)
        return 0 if old == (exp_lo & mask, exp_hi & mask) else 1

    return Helper(f"a64_stxp{8 << log2}", stxp, _FAULTING, I64, (I64,) * 5)


def _cas(log2: int) -> Helper:
    def cas(cpu: CPU, addr: int, expected: int, new: int) -> int:
        return cmpxchg(cpu, addr, expected, new, log2)

    return Helper(f"a64_cas{8 << log2}", cas, _FAULTING, I64, (I64, I64, I64))


def _casp(log2: int) -> Helper:
    def casp(cpu: CPU, addr: int, rs: int, new_lo: int, new_hi: int) -> None:
        target = cpu.engine.target
        x = target.x
        expected = (cpu.state[x[rs].offset // 8], cpu.state[x[rs + 1].offset // 8])
        old = cmpxchg_pair(cpu, addr, expected, (new_lo, new_hi), log2)
        cpu.state[x[rs].offset // 8] = old[0]
        cpu.state[x[rs + 1].offset // 8] = old[1]

    # writes Rs and Rs+1 through the CPU state: the globals are reloaded after it
    return Helper(f"a64_casp{8 << log2}", casp, CallFlags.NONE, None, (I64,) * 4)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) & 1 else v


def _update(op: int, bits: int) -> Callable[[int, int], int]:
    """LSE's operation ``op`` (opc; 8 for SWP) on (old, operand), both ``bits`` wide."""
    mask = (1 << bits) - 1
    table: dict[int, Callable[[int, int], int]] = {
        0: lambda old, v: (old + v) & mask,  # LDADD
        1: lambda old, v: old & ~v & mask,  # LDCLR
        2: lambda old, v: (old ^ v) & mask,  # LDEOR
        3: lambda old, v: (old | v) & mask,  # LDSET
        4: lambda old, v: old if _signed(old, bits) >= _signed(v, bits) else v,  # LDSMAX
        5: lambda old, v: old if _signed(old, bits) <= _signed(v, bits) else v,  # LDSMIN
        6: lambda old, v: max(old, v),  # LDUMAX
        7: lambda old, v: min(old, v),  # LDUMIN
        8: lambda old, v: v,  # SWP
    }
    return table[op]


def _lse(op: int, log2: int) -> Helper:
    bits = 8 << log2
    mask = (1 << bits) - 1
    fn = _update(op, bits)

    def lse(cpu: CPU, addr: int, operand: int) -> int:
        operand &= mask
        return fetch_update(cpu, addr, lambda old: fn(old, operand), log2)

    return Helper(f"a64_lse{op}_{bits}", lse, _FAULTING, I64, (I64, I64))


STX = tuple(_stx(n) for n in range(4))
STXP = (None, None, _stxp(2), _stxp(3))
CAS = tuple(_cas(n) for n in range(4))
CASP = (None, None, _casp(2), _casp(3))
#: LSE[op][log2], op = opc (0-7) or 8 for SWP
LSE = tuple(tuple(_lse(op, n) for n in range(4)) for op in range(9))
