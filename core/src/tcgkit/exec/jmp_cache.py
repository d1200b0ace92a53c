"""The per-vCPU jump cache: where a TB sits in it, and the lookup after an
indirect jump (QEMU's helper_lookup_tb_ptr).

Owns ``jmp_cache_index`` and ``lookup``. Compiled with the translator
(``hatch_build``): every TB that does not chain straight into the next one
comes through here, from generated code's callbacks and from the loop that
runs the two tiers (``tier0``).

The cache is a list of ``JMP_CACHE_SIZE`` TB references indexed by pc; an
entry is a hint, checked against the pc, the flags and the cflags before it
is used, and cleared when its TB is invalidated (``TBCache``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .cpu import CPU
    from .tb import TB

JMP_CACHE_BITS: Final = 14
JMP_CACHE_SIZE: Final = 1 << JMP_CACHE_BITS


def jmp_cache_index(pc: int) -> int:
    return (pc >> 2 ^ pc >> (2 + JMP_CACHE_BITS)) & (JMP_CACHE_SIZE - 1)


class Lookup:
    """``lookup`` for one vCPU's run: what does not change while it runs is read once
    (the state, the jump cache, the pc's slot, the run's ``until``)."""

    __slots__ = ("cpu", "engine", "jmp_cache", "pc_slot", "state", "tb_cache", "until")

    def __init__(self, cpu: CPU) -> None:
        engine = cpu.engine
        self.cpu = cpu
        self.engine = engine
        self.tb_cache = engine.tb_cache
        self.state = cpu.words
        self.jmp_cache: list[TB | None] = cpu.jmp_cache
        self.pc_slot: int = engine.target.pc_offset >> 3
        self.until: int | None = cpu.until

    def find(self, interpreted: bool | None) -> TB | None:
        """See ``lookup``."""
        engine = self.engine
        pc: int = self.state[self.pc_slot]
        until = self.until
        if (until is not None and pc == until) or engine.flush_pending \
                or self.tb_cache.hash_only:  # fmt: skip
            return None
        tb = self.jmp_cache[(pc >> 2 ^ pc >> (2 + JMP_CACHE_BITS)) & (JMP_CACHE_SIZE - 1)]
        if tb is None or tb.pc != pc or tb.cflags != engine.cflags_base or not tb.valid:
            return None
        if interpreted is not None and (tb.program is not None) != interpreted:
            return None
        if until is not None and tb.pc < until < tb.pc + tb.size:
            return None
        cs_base, flags = self.cpu.tb_flags()
        if tb.flags != flags or tb.cs_base != cs_base:
            return None
        self.tb_cache.n_jmp_cache_hits += 1
        return tb


def lookup(cpu: CPU, interpreted: bool | None) -> TB | None:
    """After an indirect jump: the next TB straight from ``cpu``'s jump cache, or None
    when the execution loop must decide (a miss, the run's ``until``, a pending
    flush, hash-only lookups, a one-off TB, or a TB of the other tier: compiled ones
    only when ``interpreted`` is False, tier-0 ones only when True, either when
    None)."""
    return run_lookup(cpu).find(interpreted)


def run_lookup(cpu: CPU) -> Lookup:
    """The run's ``Lookup`` (``cpu.jmp_lookup``, made when ``cpu_exec`` starts and
    dropped when it ends); outside a run, a new one."""
    find = cpu.jmp_lookup
    return Lookup(cpu) if find is None else find
