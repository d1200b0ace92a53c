"""From guest code to a compiled TB: the translator loop and tb_gen_code.

Owns the order of the pipeline for one TB: the target decodes instructions
into IR (with the core inserting instruction markers and the IR calls of
the hooks that shape translation), the optimizer and liveness rewrite it,
the host backend compiles it into a code-buffer region. It also owns the
core's helpers that generated code calls for hooks.

Where a TB ends: when the target ends it (control flow), after
``max_insns`` instructions (or the cflags count), before an instruction on
another page, before the run's ``until`` address, or before an instruction
that cannot be fetched or decoded (the TB then stops short, and the error
happens when execution reaches that instruction, with its pc).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import hooks as H
from ..errors import CodeModified, CPUExit, EmulationError, StopRequest
from ..host import TBTooLarge
from ..target import DisasContext, DisasJump
from ..tcg.dump import format_ops
from ..tcg.fpflags import add_flag_calls
from ..tcg.ir import Helper, Op
from ..tcg.liveness import liveness
from ..tcg.optimize import optimize
from ..tcg.types import I64, CallFlags
from .tb import CF_COUNT_MASK, CF_PARALLEL, TB
from .tier0 import prepare

if TYPE_CHECKING:
    from ..tcg.region import Region
    from .cpu import CPU
    from .engine import Engine


class CodeBufferFull(Exception):
    """No region is left: the TB cache must be flushed and translation retried."""


def _code_hook(cpu: CPU, pc: int, size: int) -> None:
    engine = cpu.engine
    if cpu.skip_code_hook_pc == pc:
        cpu.skip_code_hook_pc = -1
        return
    cpu.pc = pc
    engine.fire_code_hooks(cpu, H.HOOK_CODE, pc, size)
    if engine.hooks.mask & H.HOOK_MEM_FETCH:
        engine.fire_mem_hooks(cpu, H.HOOK_MEM_FETCH, H.MEM_FETCH, pc, size, 0, sync=False)
    _after_hook(cpu, pc)


def _block_hook(cpu: CPU, pc: int, size: int) -> None:
    cpu.pc = pc
    cpu.engine.fire_code_hooks(cpu, H.HOOK_BLOCK, pc, size)
    _after_hook(cpu, pc)


def _after_hook(cpu: CPU, pc: int) -> None:
    """What a hook asked for by what it changed: stop, a jump, or new code here."""
    if cpu.stop_request:
        stop = StopRequest()
        stop.pc_is_set = cpu.pc != pc  # the hook also wrote the pc: the run ends there
        raise stop
    if cpu.pc != pc:  # the hook wrote the pc: continue there
        exit_ = CPUExit()
        exit_.pc_is_set = True
        raise exit_
    if cpu.current_tb_invalidated:
        cpu.current_tb_invalidated = False
        cpu.skip_code_hook_pc = pc
        raise CodeModified(resume_after=False)


HELPER_CODE_HOOK = Helper("code_hook", _code_hook, CallFlags.NONE, None, (I64, I64))
HELPER_BLOCK_HOOK = Helper("block_hook", _block_hook, CallFlags.NONE, None, (I64, I64))


def translator_loop(engine: Engine, cpu: CPU, dc: DisasContext) -> None:
    """Decode instructions into ``dc.ctx`` until the TB ends (``DisasContext.run``),
    with the IR calls of the hooks that cover the TB and its instructions."""
    target = engine.target
    hooks = engine.hooks
    ctx = dc.ctx
    ctx.mem_writes_globals = bool(hooks.mask & H.IN_ACCESS_KINDS)
    block_call = None
    if hooks.mask & H.HOOK_BLOCK and hooks.any_covers(H.HOOK_BLOCK, dc.pc_first):
        block_call = ctx.call(HELPER_BLOCK_HOOK, None, dc.pc_first, 0)
    code_hook = None
    if hooks.mask & (H.HOOK_CODE | H.HOOK_MEM_FETCH):

        def code_hook(start: int) -> Op | None:
            if hooks.any_covers(H.HOOK_CODE, start) or hooks.any_covers(H.HOOK_MEM_FETCH, start):
                return ctx.call(HELPER_CODE_HOOK, None, start, 0)
            return None

    if hooks.mask & H.HOOK_INSN:
        dc.insn_hooked = lambda pc: hooks.any_covers(H.HOOK_INSN, pc)
    if hooks.mask & H.HOOK_TCG_OPCODE:
        dc.op_hooked = lambda pc: hooks.any_covers(H.HOOK_TCG_OPCODE, pc)
    insn_pcs = dc.run(target, engine.tb_page_bits, cpu.until, code_hook)
    if dc.is_jmp is DisasJump.TOO_MANY:
        target.tb_stop(dc)
    if block_call is not None:
        block_call.replace_arg(1, ctx.const(I64, dc.pc - dc.pc_first))
    dc.extra["insn_pcs"] = tuple(insn_pcs)


def gen_code(engine: Engine, cpu: CPU, pc: int, cs_base: int, flags: int, cflags: int,
             *, tier0: bool = False) -> TB:  # fmt: skip
    """Translate the TB at ``pc`` (tb_gen_code): for tier 0 (``tier0``: the IR made
    ready for the interpreter), or optimized and compiled by the host backend. Runs
    without the engine's ``tb_lock``: each vCPU translates with its own context into
    its own region. Raises ``CodeBufferFull`` when no region is left (the caller
    flushes). A TB too large for the host is made again with half as many
    instructions (``TBTooLarge``), under the same key."""
    clock = engine.clock
    t0 = clock()
    max_insns = 0  # the cflags count or the target's maximum
    while True:
        tb = _front_end(engine, cpu, pc, cs_base, flags, cflags, max_insns)
        try:
            _finish(engine, cpu, tb, tier0)
            break
        except TBTooLarge as e:
            if tb.icount <= 1:
                raise EmulationError(f"the code of one instruction does not fit: {e}",
                                     pc=pc) from None  # fmt: skip
            max_insns = tb.icount // 2
            engine.tbs_halved += 1
    engine.time_translating += clock() - t0
    return tb


def _finish(engine: Engine, cpu: CPU, tb: TB, tier0: bool) -> None:
    """``cpu.ctx``'s IR as ``tb``'s tier-0 program or its compiled code."""
    ctx = cpu.ctx
    if not tier0:
        _compile(engine, cpu, tb)
        return
    fp = engine.target.fp_flags_offset
    prog = prepare(ctx.ops, ctx.n_globals, len(ctx.temps), -1 if fp is None else fp)
    # the program takes code-buffer space as host code would (8 bytes a field), so
    # that interpreted code is bounded and flushed as compiled code is
    region, _ = _alloc(engine, cpu, 8 * (len(prog.code) + len(prog.init)), tb.pc)
    tb.program = prog
    tb.helper_calls = ctx.count("call") if ctx.helpers_called else 0
    tb.region = region.index


def _front_end(engine: Engine, cpu: CPU, pc: int, cs_base: int, flags: int, cflags: int,
               max_insns: int = 0) -> TB:  # fmt: skip
    """Guest code at ``pc`` into IR in ``cpu.ctx``; the TB it describes (at most
    ``max_insns`` instructions if given, else the cflags count or the target's)."""
    target = engine.target
    ctx = cpu.ctx
    max_insns = max_insns or cflags & CF_COUNT_MASK or engine.target_max_insns
    ctx.reset()
    dc = DisasContext(
        ctx, pc, pc, flags, cs_base, max_insns, engine.fetch_code_fn,
        read_ahead=engine.read_code_fn, parallel=bool(cflags & CF_PARALLEL),
        host_ops=engine.host.optional_ops,
    )  # fmt: skip
    clock = engine.clock
    t0 = clock()
    translator_loop(engine, cpu, dc)
    engine.time_decode += clock() - t0
    tb = TB(pc, cs_base, flags, cflags, engine.target_page_bits)
    vtlb = engine.vtlb
    if vtlb is not None:  # translated: listed on its physical page (``exec.vtlb``)
        paddr = vtlb.peek(pc)
        if paddr is not None:
            tb.phys_delta = paddr - pc
    tb.size = dc.pc - pc
    tb.icount = dc.num_insns
    tb.insn_pcs = dc.extra["insn_pcs"]
    log = engine.log
    on = log.categories  # the frozenset itself: no method call per test when the log is off
    if "in_asm" in on:
        lines = target.disassemble(engine.fetch_code(pc, tb.size), pc) if tb.size else []
        log.write(f"IN: pc={pc:#x} ({tb.icount} instructions)\n" + "".join(
            f"0x{a:016x}:  {text}\n" for a, text in lines))  # fmt: skip
    if "op" in on:
        log.write(f"OP:\nIN: pc={pc:#x}\n{format_ops(ctx.ops)}\n")
    return tb


def _compile(engine: Engine, cpu: CPU, tb: TB) -> None:
    """Optimize ``cpu.ctx``'s IR and have the host backend compile it for ``tb``."""
    ctx = cpu.ctx
    pc = tb.pc
    log = engine.log
    on = log.categories
    clock = engine.clock
    t0 = clock()
    if ctx.fp_flags_offset >= 0 and not engine.host.computes_fp_flags:
        add_flag_calls(ctx, engine.fp_flag_helpers)  # the float ops' flags, by helpers
    optimize(ctx)
    t1 = clock()
    liveness(ctx)
    t2 = clock()
    engine.time_optimize += t1 - t0
    engine.time_liveness += t2 - t1
    if "op_opt" in on:
        log.write(f"OP after optimization and liveness:\nIN: pc={pc:#x}\n"
                  f"{format_ops(ctx.ops)}\n")  # fmt: skip
    tb.helper_calls = ctx.count("call") if ctx.helpers_called else 0
    tb.chainable()
    engine.host.compile(ctx, tb, lambda n: _alloc(engine, cpu, n, pc))
    if "out_asm" in on:
        log.write(f"OUT: [size={tb.host_size}]\n{engine.host.disassemble(tb)}\n")


def _alloc(engine: Engine, cpu: CPU, nbytes: int, pc: int) -> tuple[Region, int]:
    region = cpu.region
    if region is not None:
        addr = region.alloc(nbytes)
        if addr is not None:
            return region, addr
    region = engine.code_buffer.claim()
    if region is None:
        raise CodeBufferFull()
    cpu.region = region
    addr = region.alloc(nbytes)
    if addr is None:
        raise TBTooLarge(f"{nbytes} bytes do not fit in a code-buffer region ({region.size})")
    return region, addr
