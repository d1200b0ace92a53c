"""Liveness analysis and dead-code removal over one TB's ops.

Owns the backward pass that (1) removes ops without side effects whose
outputs are all dead and (2) annotates each remaining op with ``life``: bit i
set when input i is not used after this op (it dies here). The register
allocator reads ``life``; the portable host does not need it.

A move whose source is a BB temp defined by the op just before it, and dying
at the move, is folded into that op: the op writes the move's destination.

What is live where (the same rules the register allocator syncs by):
* at a TB exit (exit_tb, goto_ptr): every global;
* at the end of any basic block (br, brcond, a label): every global and
  every TB-scoped temp (BB-scoped temps die at their block's end);
* before a guest memory access (it may fault, and the fault handler sees the
  CPU state) and before a helper call that may read globals: every global.
"""

from __future__ import annotations

from typing import Final

from .context import TCGContext
from .ir import Helper, Op, Temp, TempKind
from .ops import OpFlag
from .types import CallFlags

_EXIT: Final = OpFlag.EXIT
_BB_END: Final = OpFlag.BB_END
_COND_BRANCH: Final = OpFlag.COND_BRANCH
_SIDE_EFFECTS: Final = OpFlag.SIDE_EFFECTS
_MEM: Final = OpFlag.MEM
_CALL: Final = OpFlag.CALL
_CONST: Final = TempKind.CONST
_BB: Final = TempKind.BB
_TB: Final = TempKind.TB
_MOVES: Final = frozenset(("mov_i32", "mov_i64"))
_NO_SIDE_EFFECTS: Final = int(CallFlags.NO_SIDE_EFFECTS)  # tested on Helper.bits
_NO_READ_GLOBALS: Final = int(CallFlags.NO_READ_GLOBALS)


def liveness(ctx: TCGContext) -> None:
    """Remove dead ops from ``ctx.ops`` and set ``op.life`` on the rest.

    A global (index below ``n_globals``) is live unless it was marked dead since
    the last point that made every global live: ``dead_at[g] == epoch``. Those
    points (an exit, a block's end, a memory access, a call that reads globals)
    come several times in a TB and there are a hundred globals and more, so they
    only advance ``epoch`` instead of setting a flag per global. The TB's own temps
    (by ``index - n_globals``) work the same way, one epoch per kind: a temp's flag
    ``live[i]`` counts only if ``stamp[i]`` is its kind's current epoch, else the
    kind's state at its last reset holds (a TB-scoped temp is live after a block's
    end and dead after an exit; a BB-scoped one dead after either, but a conditional
    branch leaves it as it was). A TB of flushed float code has a hundred blocks and
    as many TB-scoped temps: a reset costs one increment, not a pass over the temps.
    One flag is read and written per operand without allocating (an int bit mask
    would be a long int, and every bit operation on it made a new one)."""
    n_globals = ctx.n_globals
    temps = ctx.temps
    dead_at = [-1] * n_globals
    epoch = 0
    is_tb = [t.kind is _TB for t in temps]
    live = [False] * len(temps)
    stamp = [0] * len(temps)
    tb_epoch = bb_epoch = 0  # every stamp is current: nothing is live after the TB
    tb_live = False  # the state of a temp of that kind whose stamp is not current
    kept: list[Op] = []
    ops = ctx.ops
    for pos in range(len(ops) - 1, -1, -1):
        op = ops[pos]
        flags = op.defn.flags
        args = op.args
        if pos and op.opc in _MOVES:
            # ``x = f(...); mov g, x`` with x dying here: f writes g itself (the
            # ops are adjacent, so nothing reads g or x in between)
            src: Temp = args[1]
            prev = ops[pos - 1]
            if src.kind is _BB and prev.n_out == 1 and prev.args[0] is src:
                i = src.index - n_globals
                if (not (live[i] if stamp[i] == bb_epoch else False)
                        and not prev.defn.flags & _CALL):  # fmt: skip
                    prev.replace_arg(0, args[0])
                    continue
        if flags & _EXIT:
            epoch += 1
            tb_epoch += 1
            bb_epoch += 1
            tb_live = False
        elif flags & _BB_END:
            epoch += 1
            tb_epoch += 1
            tb_live = True
            if not flags & _COND_BRANCH:
                bb_epoch += 1
        n_out = op.n_out
        call_bits = 0
        if flags & _CALL:
            helper: Helper = args[-1]
            call_bits = helper.bits
        if n_out:
            any_live = False
            for i in range(n_out):
                t: Temp = args[i]
                idx = t.index
                if idx < n_globals:
                    if dead_at[idx] != epoch:
                        any_live = True
                else:
                    j = idx - n_globals
                    if is_tb[j]:
                        if live[j] if stamp[j] == tb_epoch else tb_live:
                            any_live = True
                    elif stamp[j] == bb_epoch and live[j]:
                        any_live = True
            if not any_live and (
                call_bits & _NO_SIDE_EFFECTS if flags & _CALL else not flags & _SIDE_EFFECTS
            ):
                continue  # every output is dead
            for i in range(n_out):
                t = args[i]
                idx = t.index
                if idx < n_globals:
                    dead_at[idx] = epoch
                else:
                    j = idx - n_globals
                    stamp[j] = tb_epoch if is_tb[j] else bb_epoch
                    live[j] = False
        elif flags & _CALL and call_bits & _NO_SIDE_EFFECTS:
            continue  # a pure call without outputs
        if flags & _MEM or (flags & _CALL and not call_bits & _NO_READ_GLOBALS):
            epoch += 1
        life = 0
        for i in range(op.n_in):
            t = args[n_out + i]
            if t.kind is _CONST:
                continue
            idx = t.index
            if idx < n_globals:
                if dead_at[idx] == epoch:
                    life |= 1 << i
                    dead_at[idx] = -1
            else:
                j = idx - n_globals
                if is_tb[j]:
                    was = live[j] if stamp[j] == tb_epoch else tb_live
                    stamp[j] = tb_epoch
                else:
                    was = stamp[j] == bb_epoch and live[j]
                    stamp[j] = bb_epoch
                live[j] = True
                if not was:
                    life |= 1 << i
        op.life = life
        kept.append(op)
    kept.reverse()
    ctx.ops = kept
