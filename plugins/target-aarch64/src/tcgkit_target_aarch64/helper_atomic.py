"""Helpers: A64's atomic pair instructions of two doublewords when several vCPUs run
(``dc.parallel``).

Owns the helpers that ``trans_mem`` calls instead of its inline load-compare-
store sequences for STXP and CASP of two X registers in TBs translated with
``CF_PARALLEL``, on hosts that do not lower the 16-byte compare-and-swap
``atomic_cmpxchg2_i64`` (``tcgkit.exec.atomic.gen_cmpxchg2`` says which; the
single-register forms and the pairs of two words are
``tcgkit.exec.atomic.gen_cmpxchg``, one 8-byte compare-and-swap). Each is one
atomic 16-byte access through ``tcgkit.exec.atomic`` (the host's
compare-and-swap on RAM, an exclusive section otherwise). Register operands
come in as inputs; STXP returns its status, CASP writes the old pair to Rs and
Rs+1 itself. STXP keeps QEMU user mode's monitor: it succeeds when memory
still holds the pair the load-exclusive read (compared and swapped atomically).

Every helper is made once, here.
"""

from __future__ import annotations

from tcgkit.exec.atomic import cmpxchg_pair
from tcgkit.exec.cpu import CPU
from tcgkit.tcg.ir import Helper
from tcgkit.tcg.types import I64, CallFlags

# a helper may fault (the guest pc is then restored), but changes no global
_FAULTING = CallFlags.NO_WRITE_GLOBALS


def _stxp(log2: int) -> Helper:
    def stxp(cpu: CPU, addr: int, exp_lo: int, exp_hi: int, new_lo: int, new_hi: int) -> int:
        mask = (1 << (8 << log2)) - 1
        old = cmpxchg_pair(cpu, addr, (exp_lo, exp_hi), (new_lo, new_hi), log2)
        return 0 if old == (exp_lo & mask, exp_hi & mask) else 1

    return Helper(f"a64_stxp{8 << log2}", stxp, _FAULTING, I64, (I64,) * 5)


def _casp(log2: int) -> Helper:
    def casp(cpu: CPU, addr: int, rs: int, new_lo: int, new_hi: int) -> None:
        x = cpu.engine.target.x
        slots = [x[n].offset // 8 if n < 31 else None for n in (rs, rs + 1)]  # 31: xzr
        expected = (0 if slots[0] is None else cpu.state[slots[0]],
                    0 if slots[1] is None else cpu.state[slots[1]])  # fmt: skip
        old = cmpxchg_pair(cpu, addr, expected, (new_lo, new_hi), log2)
        for slot, value in zip(slots, old, strict=True):
            if slot is not None:
                cpu.state[slot] = value

    # writes Rs and Rs+1 through the CPU state: the globals are reloaded after it
    return Helper(f"a64_casp{8 << log2}", casp, CallFlags.NONE, None, (I64,) * 4)


STXP = _stxp(3)
CASP = _casp(3)
