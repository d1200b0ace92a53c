"""Tier 0: a TB runs by interpreting its IR until it turns hot.

Owns ``run_tb`` (one execution of a TB's program on a vCPU) and ``run_tiers``
(a run of TBs, interpreted or compiled, for as long as the jump cache has the
next one). The program form and ``prepare``, which makes a program of a TB's
IR, are ``tier0_program``'s. The policy that uses them (when a TB starts in
tier 0, when it is compiled by the host backend) belongs to ``translate`` and
``loop``.

Why: most guest code runs once or a few times (start-up code, error paths,
initialisation), and compiling a TB costs as much as interpreting it a few
dozen times. A TB starts here (decode to IR, ``prepare``: no optimizer,
liveness, register allocation or host code); after ``Engine.tier_up`` runs
it is translated again by the whole pipeline and replaces this one in the TB
cache, as HotSpot's interpreter hands a method to its compiler.

Invariants:

* the interpreter gives every op the meaning ``tcgkit.tcg.semantics`` and
  ``tcgkit.tcg.softfloat`` give it, like every host; guest memory goes
  through the vCPU's software TLB (its fast path on a hit, the slow path
  ``SoftTLB.load``/``store`` otherwise: hooks, faults, MMIO and writes to
  code behave as from generated code);
* float ops OR their IEEE flags (``tcgkit.tcg.fpflags``) into the state word the
  program was prepared with (``GuestTarget.fp_flags_offset``);
* globals are read from and written to the CPU state at each op (helpers
  and hooks see every store at once); temps and constants live in the
  program's register list, a fresh copy per execution;
* a tier-0 TB is never chained and never entered from generated code: its
  exits return to whoever called ``run_tb``; ``TB.program`` is set;
* while it runs, ``cpu.interp_tb``/``cpu.interp_insn`` say which TB and guest
  instruction it is at (``Engine.current_insn``); an exception leaving it is
  recorded with that place on ``cpu.interp_raised`` (``Engine.locate``);
* only TBs of one vCPU run here: TBs with ``CF_PARALLEL`` (several vCPUs,
  whose atomics and barriers must be the host's) are always compiled.

Program form: see ``tier0_program`` (an operand ``o`` names ``regs[o]`` when
``o >= 0`` and the CPU state's slot ``~o`` otherwise).
"""

from __future__ import annotations

import time
from collections.abc import MutableSequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..tcg.fpflags import op_flags
from ..tcg.ops import EXIT_CHAIN_1, EXIT_LOOKUP
from ..tcg.semantics import evaluate_op
from .atomic import cmpxchg, cmpxchg_pair, fetch_op
from .jmp_cache import Lookup, run_lookup
from .tier0_program import (
    K_ADD,
    K_AND,
    K_ANDC,
    K_BR,
    K_BRCOND,
    K_CALL,
    K_CMPXCHG,
    K_CMPXCHG2,
    K_DEPOSIT,
    K_ENV_LD,
    K_ENV_ST,
    K_EXIT,
    K_EXTRACT,
    K_EXTRH,
    K_FETCH,
    K_INSN,
    K_LD,
    K_MOV,
    K_MOVCOND,
    K_MUL,
    K_NEG,
    K_NOT,
    K_OR,
    K_ROTL,
    K_SAR,
    K_SETCOND,
    K_SEXT,
    K_SEXTRACT,
    K_SHL,
    K_SHR,
    K_ST,
    K_SUB,
    K_XOR,
    K_ZEXT,
    M64,
    TLB_INDEX,
    Program,
    prepare,
)

if TYPE_CHECKING:
    from .cpu import CPU
    from .engine import Engine
    from .tb import TB

__all__ = ["Program", "RunsTier0", "prepare", "run_tb", "run_tiers"]


def _holds(cond: int, a: int, b: int, s: int) -> bool:
    """``a cond b`` for values of the width whose sign bit is ``s`` (``Cond`` numbers)."""
    if cond == 2:
        return a == b
    if cond == 3:
        return a != b
    if cond >= 8:
        if cond == 8:
            return a < b
        if cond == 9:
            return a >= b
        if cond == 10:
            return a <= b
        if cond == 11:
            return a > b
        if cond == 12:
            return a & b == 0
        return a & b != 0
    if cond >= 4:
        a ^= s
        b ^= s
        if cond == 4:
            return a < b
        if cond == 5:
            return a >= b
        if cond == 6:
            return a <= b
        return a > b
    return cond == 1


def run_tiers(engine: Engine, cpu: CPU, tb: TB) -> tuple[TB, int]:
    """Run ``tb`` and the TBs after it, interpreted or compiled, for as long as the
    jump cache has the next one (as generated code's lookup_and_goto_ptr does, across
    the two tiers); back to the loop for anything else, or for a TB to compile now.
    Compiled TBs that follow each other through a goto_tb are chained here."""
    host = engine.host
    tier_up: int = engine.tier_up
    exit_flag: MutableSequence[int] = cpu.exit_flag
    find = run_lookup(cpu)
    while True:
        if tb.program is not None:
            t1 = time.perf_counter()
            try:
                last, exit_ = _interpret(cpu, tb, tier_up, find, exit_flag)
            finally:
                engine.time_interpreting += time.perf_counter() - t1
        else:
            last, exit_ = host.execute(cpu, tb)
        if exit_ > EXIT_LOOKUP or exit_flag[0]:
            return last, exit_
        nxt = find.find(None)
        if nxt is None:
            return last, exit_
        if nxt.program is not None:
            if nxt.runs >= tier_up:
                return last, exit_
        elif exit_ <= EXIT_CHAIN_1 and last.program is None:
            with engine.tb_lock:
                engine.tb_cache.link(last, exit_, nxt)
        tb = nxt


def _interpret(cpu: CPU, tb: TB, tier_up: int, find: Lookup,
               exit_flag: MutableSequence[int]) -> tuple[TB, int]:  # fmt: skip
    """Run tier-0 TBs from ``tb`` on, as long as the next one is a tier-0 TB the jump
    cache holds that has run fewer than ``tier_up`` times; then return the last TB
    run and its exit value."""
    icount = 0
    try:
        while True:
            tb.runs += 1
            cpu.interp_tb = tb
            try:
                exit_ = run_tb(cpu, tb.program)
            except BaseException as e:
                cpu.interp_raised = (e, (tb, cpu.interp_insn))
                raise
            icount += tb.icount
            if exit_ > EXIT_LOOKUP or exit_flag[0]:
                return tb, exit_
            nxt = find.find(True)
            if nxt is None or nxt.runs >= tier_up:
                return tb, exit_
            tb = nxt
    finally:
        cpu.interp_tb = None
        cpu.icount += icount


def _get(r: list[int], st: MutableSequence[int], o: int) -> int:
    """Operand ``o``: a register, or (negative) a CPU state slot."""
    return r[o] if o >= 0 else st[~o]


def _put(r: list[int], st: MutableSequence[int], o: int, v: int) -> None:
    if o >= 0:
        r[o] = v
    else:
        st[~o] = v


class RunsTier0(Protocol):
    """What ``run_tb`` uses of a vCPU (a ``CPU``; the tests give it one made for a bare
    IR program): its state words, its TLB, the instruction index it reports, and the
    state by byte offset."""

    words: MutableSequence[int]
    tlb: Any
    interp_insn: int

    def read_state(self, offset: int, nbytes: int) -> int: ...

    def write_state(self, offset: int, nbytes: int, value: int) -> None: ...


def run_tb(cpu: RunsTier0, prog: Program) -> int:
    """Execute ``prog`` once on ``cpu``; the exit value. ``cpu.interp_insn`` is the
    guest instruction's index whenever code outside runs (a helper, the TLB's slow
    path) and when an exception leaves (the caller sets ``cpu.interp_tb``)."""
    code = prog.code
    r = prog.init.copy()
    st: MutableSequence[int] = cpu.words
    entries: list[Any] = cpu.tlb.entries
    i = 0
    insn = 0
    try:
        while True:
            k = code[i]
            if k == K_INSN:
                insn = code[i + 1]
                i += 2
            elif k == K_MOV:
                q = code[i + 2]
                v = r[q] if q >= 0 else st[~q]
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 3
            elif k <= K_ANDC:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                if k in (K_NOT, K_NEG):
                    v = a ^ code[i + 3] if k == K_NOT else -a & code[i + 3]
                    n = 4
                else:
                    q = code[i + 3]
                    c = r[q] if q >= 0 else st[~q]
                    if k == K_ADD:
                        v = (a + c) & code[i + 4]
                        n = 5
                    elif k == K_AND:
                        v = a & c
                        n = 4
                    elif k == K_SUB:
                        v = (a - c) & code[i + 4]
                        n = 5
                    elif k == K_OR:
                        v = a | c
                        n = 4
                    elif k == K_XOR:
                        v = a ^ c
                        n = 4
                    elif k == K_SHL:
                        v = (a << (c % code[i + 5])) & code[i + 4]
                        n = 6
                    elif k == K_SHR:
                        v = a >> (c % code[i + 4])
                        n = 5
                    elif k == K_SAR:
                        w = code[i + 5]
                        sb = 1 << (w - 1)
                        v = (((a ^ sb) - sb) >> (c % w)) & code[i + 4]
                        n = 6
                    elif k == K_MUL:
                        v = (a * c) & code[i + 4]
                        n = 5
                    else:  # K_ANDC
                        v = a & (c ^ code[i + 4])
                        n = 5
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += n
            elif k <= K_SEXTRACT:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                if k == K_ZEXT:
                    v = a & code[i + 3]
                    n = 4
                elif k == K_SEXT:
                    sb = code[i + 3]
                    v = ((a & (2 * sb - 1)) ^ sb) - sb & code[i + 4]
                    n = 5
                elif k == K_EXTRACT:
                    v = (a >> code[i + 3]) & code[i + 4]
                    n = 5
                else:  # K_SEXTRACT
                    sb = code[i + 4]
                    v = (((a >> code[i + 3]) & (2 * sb - 1)) ^ sb) - sb & code[i + 5]
                    n = 6
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += n
            elif k == K_LD:
                q = code[i + 2]
                addr = r[q] if q >= 0 else st[~q]
                size = code[i + 4]
                e = entries[(addr >> 12) & TLB_INDEX]
                if e[0] == (addr + code[i + 5]) & code[i + 6]:
                    off = addr - e[3]
                    v = int.from_bytes(e[2][off : off + size], "big" if code[i + 8] else "little")
                    sb = code[i + 7]
                    if sb:
                        v = ((v ^ sb) - sb) & M64
                else:
                    cpu.interp_insn = insn
                    v = cpu.tlb.load(addr, code[i + 3]) & M64
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 9
            elif k == K_ST:
                q = code[i + 1]
                v = r[q] if q >= 0 else st[~q]
                q = code[i + 2]
                addr = r[q] if q >= 0 else st[~q]
                size = code[i + 4]
                e = entries[(addr >> 12) & TLB_INDEX]
                if e[1] == (addr + code[i + 5]) & code[i + 6]:
                    off = addr - e[3]
                    v &= (1 << (8 * size)) - 1
                    e[2][off : off + size] = v.to_bytes(size, "big" if code[i + 7] else "little")
                else:
                    cpu.interp_insn = insn
                    cpu.tlb.store(addr, v, code[i + 3])
                i += 8
            elif k == K_BRCOND:
                q = code[i + 1]
                a = r[q] if q >= 0 else st[~q]
                q = code[i + 2]
                c = r[q] if q >= 0 else st[~q]
                if _holds(code[i + 3], a, c, code[i + 4]):
                    i = code[i + 5]
                else:
                    i += 6
            elif k == K_BR:
                i = code[i + 1]
            elif k == K_EXIT:
                return code[i + 1]
            elif k == K_SETCOND:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                q = code[i + 3]
                c = r[q] if q >= 0 else st[~q]
                v = code[i + 6] if _holds(code[i + 4], a, c, code[i + 5]) else 0
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 7
            elif k == K_MOVCOND:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                q = code[i + 3]
                c = r[q] if q >= 0 else st[~q]
                o = code[i + 4] if _holds(code[i + 6], a, c, code[i + 7]) else code[i + 5]
                q = o
                v = r[q] if q >= 0 else st[~q]
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 8
            elif k == K_DEPOSIT:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                q = code[i + 3]
                c = r[q] if q >= 0 else st[~q]
                pos = code[i + 4]
                field = code[i + 5] << pos
                v = (a & ~field) | ((c << pos) & field)
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 6
            elif k == K_ENV_LD:
                off = code[i + 2]
                size = code[i + 3]
                if size == 8 and not off & 7:
                    v = st[off >> 3]
                else:
                    v = cpu.read_state(off, size)
                    sb = code[i + 4]
                    if sb:
                        v = ((v ^ sb) - sb) & M64
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 5
            elif k == K_ENV_ST:
                q = code[i + 1]
                v = r[q] if q >= 0 else st[~q]
                off = code[i + 2]
                size = code[i + 3]
                if size == 8 and not off & 7:
                    st[off >> 3] = v
                else:
                    cpu.write_state(off, size, v)
                i += 4
            elif k == K_CALL:
                fn, ins, out, mask = prog.calls[code[i + 1]]
                cpu.interp_insn = insn
                res = fn(cpu, *[_get(r, st, o) for o in ins])
                if out is not None:
                    v = int(res) & mask
                    q = out
                    if q >= 0:
                        r[q] = v
                    else:
                        st[~q] = v
                i += 2
            elif k == K_ROTL:
                q = code[i + 2]
                a = r[q] if q >= 0 else st[~q]
                o = code[i + 3]
                w = code[i + 5]
                c = (_get(r, st, o)) % w
                v = ((a << c) | (a >> ((w - c) % w))) & code[i + 4]
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 6
            elif k == K_EXTRH:
                o = code[i + 2]
                v = (_get(r, st, o)) >> 32
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 3
            elif k == K_CMPXCHG:
                q = code[i + 2]
                addr = r[q] if q >= 0 else st[~q]
                q = code[i + 3]
                exp = r[q] if q >= 0 else st[~q]
                q = code[i + 4]
                new = r[q] if q >= 0 else st[~q]
                cpu.interp_insn = insn
                v = cmpxchg(cast("CPU", cpu), addr, exp, new, code[i + 5])  # a real vCPU
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 6
            elif k == K_FETCH:
                q = code[i + 2]
                addr = r[q] if q >= 0 else st[~q]
                q = code[i + 3]
                value = r[q] if q >= 0 else st[~q]
                cpu.interp_insn = insn
                v = fetch_op(cast("CPU", cpu), addr, value, code[i + 4], code[i + 5])
                q = code[i + 1]
                if q >= 0:
                    r[q] = v
                else:
                    st[~q] = v
                i += 6
            elif k == K_CMPXCHG2:
                pv = [_get(r, st, o) for o in code[i + 3 : i + 8]]
                cpu.interp_insn = insn
                pair = cmpxchg_pair(cast("CPU", cpu), pv[0], (pv[1], pv[2]), (pv[3], pv[4]), 3)
                _put(r, st, code[i + 1], pair[0])
                _put(r, st, code[i + 2], pair[1])
                i += 8
            else:  # K_OTHER
                opc, base, w, ins, outs, consts, fslot = prog.others[code[i + 1]]
                vals = tuple([_get(r, st, o) for o in ins])
                results = evaluate_op(opc, base, w, vals, consts)
                if fslot >= 0:  # a float op: its IEEE flags (``fpflags``)
                    st[fslot] |= op_flags(opc, vals, consts)
                for o, v in zip(outs, results, strict=True):
                    q = o
                    if q >= 0:
                        r[q] = v
                    else:
                        st[~q] = v
                i += 2
    except BaseException:
        cpu.interp_insn = insn  # where it happened, for Engine.locate
        raise
