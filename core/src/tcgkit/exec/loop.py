"""The execution loop (QEMU's cpu_exec): find or translate the next TB, run
generated code, and handle why it came back.

Owns ``cpu_exec``. It stops when the pc reaches ``until``, when ``count``
guest instructions have run, when ``timeout`` microseconds have passed, when
emu_stop is called (from a hook or from another thread), or when an
exception leaves the guest. Work other threads queue for the vCPU
(``CPU.queue_work``: a signal to deliver, say) runs at the top of the loop, on
the vCPU's thread, at a TB boundary. Exceptions raised inside generated code (by
helpers, the softmmu slow path or hooks) arrive here after the host backend
can say in which TB and at which guest instruction they happened; the loop
restores the guest pc to that instruction before acting on them, so the
user always sees the pc of the instruction that faulted.

Several vCPUs may run ``cpu_exec`` at once, each in its own thread. Each
iteration of the loop (lookup, translation, chaining, generated code and the
callbacks it makes) is the vCPU's inner section of ``ExclusiveGate``; system
calls and interrupt hooks run outside it, so a vCPU blocked in one never
holds up exclusive work. A TB flush happens at the top of the loop, outside
the inner section, when no vCPU can be inside generated code.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final

from .._collector import relaxed
from ..errors import CodeModified, CPUExit, GuestInterrupt, StopRequest
from ..hooks import HOOK_EDGE_GENERATED
from ..tcg.ops import EXIT_CHAIN_1
from .jmp_cache import Lookup, jmp_cache_index
from .tb import CF_COUNT_MASK, CF_NOCACHE, CF_PARALLEL, TB
from .tier0 import run_tiers
from .translate import CodeBufferFull, gen_code

if TYPE_CHECKING:
    from .cpu import CPU
    from .engine import Engine

MASK64: Final = 0xFFFFFFFFFFFFFFFF


def _restore(engine: Engine, cpu: CPU, exc: BaseException) -> None:
    """Set the pc to the instruction that raised ``exc``; count the ones before it."""
    where = engine.locate(cpu, exc)
    if where is None:
        return
    tb, index = where
    cpu.icount += index
    if not (isinstance(exc, CPUExit) and exc.pc_is_set):
        cpu.pc = tb.insn_pcs[index]


def _find_tb(engine: Engine, cpu: CPU, pc: int, cflags: int, last: TB | None = None) -> TB:
    """The TB at ``pc``, translated if it is not cached (``last``: the TB run before,
    for HOOK_EDGE_GENERATED)."""
    cs_base, flags = cpu.tb_flags()
    tb = (None if cflags & CF_NOCACHE
          else engine.tb_cache.lookup(cpu.jmp_cache, pc, cs_base, flags, cflags))  # fmt: skip
    if tb is not None:
        if tb.program is None or tb.runs < engine.tier_up:
            return tb
        return _tier_up(engine, cpu, tb)
    tb = gen_code(engine, cpu, pc, cs_base, flags, cflags, tier0=_interpretable(engine, cflags))
    with engine.tb_lock:
        tb = engine.tb_cache.insert(tb)  # another vCPU's copy if it was first
    if last is not None and engine.hooks.mask & HOOK_EDGE_GENERATED:
        engine.fire_edge_hooks(tb, last)
    if not cflags & CF_NOCACHE and not engine.tb_cache.hash_only:
        cpu.jmp_cache[jmp_cache_index(pc)] = tb
    return tb


def _interpretable(engine: Engine, cflags: int) -> bool:
    """Whether a new TB starts in tier 0: unless tiers are off or several vCPUs run
    (their atomics and barriers must be the host's)."""
    return engine.tier_up > 0 and not cflags & CF_PARALLEL


def _tier_up(engine: Engine, cpu: CPU, old: TB) -> TB:
    """``old`` (tier 0) turned hot: compile it and cache the compiled TB instead.

    Its guest code is decoded again: a tier-0 TB keeps no IR (keeping the newest
    4,096 TBs' IR for their tier-up took fewer host instructions but a slower
    process: coldcode.elf embedded, 19 ms more to free it at close for a run no
    faster, 54 MB resident against 35; most tier-0 TBs never turn hot)."""
    tb = gen_code(engine, cpu, old.pc, old.cs_base, old.flags, old.cflags)
    with engine.tb_lock:
        cached = engine.tb_cache.replace(old, tb)
    if cached is None:  # its code changed meanwhile: translate it again
        return _find_tb(engine, cpu, old.pc, old.cflags)
    if not engine.tb_cache.hash_only:
        cpu.jmp_cache[jmp_cache_index(cached.pc)] = cached
    return cached


def cpu_exec(engine: Engine, cpu: CPU, begin: int, until: int, timeout_us: int, count: int) -> None:
    """Run ``cpu`` from ``begin`` (see the module docstring for when it stops). The
    caller clears ``cpu.stop_request`` when it decides to run (a stop requested
    after that and before the loop starts must still stop it)."""
    if cpu.running:
        raise RuntimeError(f"vCPU {cpu.index} is already running")
    cpu.pc = begin & MASK64
    cpu.exit_request = False
    cpu.cflags_next_tb = 0
    until &= MASK64
    cpu.until = until
    cpu.jmp_lookup = Lookup(cpu)
    with engine.tb_lock:
        engine.tb_cache.add_no_link(until)
        engine.relax_collector()
    budget = count if count > 0 else None
    timer = None
    if timeout_us > 0:
        timer = threading.Timer(timeout_us / 1e6, _stop_from_timer, (cpu,))
        timer.daemon = True
        timer.start()
    tb_cache = engine.tb_cache
    start_icount = cpu.icount
    cpu.running = True
    previous = engine.bind_thread(cpu)
    collector = relaxed(engine.gc_young)
    collector.__enter__()
    t0 = time.perf_counter()
    last: TB | None = None
    last_exit = -1
    try:
        while not cpu.stop_request:
            pc = cpu.pc
            if pc == until:
                if last is not None and engine.hooks.mask & HOOK_EDGE_GENERATED:
                    _edge_to_until(engine, last, until)
                break
            if engine.flush_pending:
                engine.tb_flush()
                last = None
                if engine.flush_pending:  # a vCPU is parked inside a TB: not yet
                    time.sleep(0)
                    continue
            cflags = engine.cflags_base
            if budget is not None:
                left = budget - (cpu.icount - start_icount)
                if left <= 0:
                    break
                cflags |= min(left, CF_COUNT_MASK)
            if cpu.cflags_next_tb:
                cflags = cpu.cflags_next_tb | engine.cflags_base
                cpu.cflags_next_tb = 0
            else:
                cpu.skip_mem_hook_pc = -1
            # a stop or exclusive request made from here on stays visible to generated code
            cpu.exit_request = False
            if cpu.stop_request:
                break
            if cpu.work:  # queued from another thread: it may move the pc
                cpu.run_work()
                last = None
                continue
            last, last_exit, stop = _inner(engine, cpu, pc, cflags, until, budget, last,
                                           last_exit)  # fmt: skip
            if stop:
                break
    finally:
        collector.__exit__()
        cpu.running = False
        cpu.exit_request = False
        engine.bind_thread(previous)
        cpu.until = None
        cpu.jmp_lookup = None
        with engine.tb_lock:
            tb_cache.remove_no_link(until)
        engine.time_executing += time.perf_counter() - t0
        if timer is not None:
            timer.cancel()
        if engine.flush_pending:
            engine.tb_flush()


def _inner(engine: Engine, cpu: CPU, pc: int, cflags: int, until: int, budget: int | None,
           last: TB | None, last_exit: int) -> tuple[TB | None, int, bool]:  # fmt: skip
    """One iteration's inner section: find (or translate) the TB at ``pc``, chain the
    previous one to it, run it. Returns the last TB run (None: do not chain from it),
    its exit, and whether the loop must stop."""
    gate = engine.gate
    gate.cpu_start(cpu)
    try:
        if budget is not None:
            cpu.exit_request = True  # count mode: back to the loop after each TB
        try:
            tb = _find_tb(engine, cpu, pc, cflags, last)
            if tb.pc < until < tb.pc + tb.size:
                # the run ends inside this block: a one-off TB that stops at `until`
                tb = gen_code(engine, cpu, pc, tb.cs_base, tb.flags, CF_NOCACHE | cflags,
                              tier0=_interpretable(engine, cflags))  # fmt: skip
        except CodeBufferFull:
            engine.flush_pending = True
            return None, -1, False
        if cpu.stop_request:  # an edge hook asked for it
            return None, -1, True
        if last is not None and last_exit <= EXIT_CHAIN_1 and budget is None:
            with engine.tb_lock:
                engine.tb_cache.link(last, last_exit, tb)
        try:
            if engine.tier_up:
                ran, exit_ = run_tiers(engine, cpu, tb)
            else:
                ran, exit_ = engine.host.execute(cpu, tb)
        except GuestInterrupt as e:
            _restore(engine, cpu, e)
            gate.cpu_end(cpu)  # a system call may block: not in the inner section
            engine.deliver_interrupt(cpu, e.intno)
            return None, -1, False
        except StopRequest as e:
            _restore(engine, cpu, e)
            return None, -1, True
        except (CodeModified, CPUExit) as e:
            _restore(engine, cpu, e)
            return None, -1, False
        except BaseException as e:
            _restore(engine, cpu, e)
            raise
        return (None if ran.cflags & CF_NOCACHE else ran), exit_, False
    finally:
        gate.cpu_end(cpu)


def _edge_to_until(engine: Engine, last: TB, until: int) -> None:
    """HOOK_EDGE_GENERATED into a run's ``until`` address: Unicorn translates a block
    there that stops (one instruction, no bytes) and reports it as any new block,
    once while its translations last; so does this (``TBCache.stop_blocks``)."""
    seen = engine.tb_cache.stop_blocks
    if until in seen:
        return
    seen.add(until)
    stop = TB(until, 0, 0, CF_NOCACHE, engine.target.page_bits)
    stop.icount = 1
    engine.fire_edge_hooks(stop, last)


def _stop_from_timer(cpu: CPU) -> None:
    cpu.request_stop()
