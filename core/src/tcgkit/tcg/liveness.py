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
from .ir import Op, Temp, TempKind
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
_NO_SIDE_EFFECTS: Final = CallFlags.NO_SIDE_EFFECTS
_NO_READ_GLOBALS: Final = CallFlags.NO_READ_GLOBALS


def liveness(ctx: TCGContext) -> None:
    """Remove dead ops from ``ctx.ops`` and set ``op.life`` on the rest.

    The live set is a list of flags by temp index (globals are 0..n-1, the TB's
    temps follow): one flag is read and written per operand without allocating
    (an int bit mask over a hundred globals and more is a long int, and every bit
    operation on it made a new one); "every global is live" is a slice copy."""
    n_globals = len(ctx.globals)
    n = n_globals + len(ctx.temps)
    all_globals = [True] * n_globals
    tb_temps = [tmp.index for tmp in ctx.temps if tmp.kind is _TB]
    at_exit = all_globals + [False] * (n - n_globals)
    at_bb_end = at_exit.copy()
    for i in tb_temps:
        at_bb_end[i] = True
    live = at_exit.copy()
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
            if (src.kind is _BB and not live[src.index] and prev.n_out == 1
                    and prev.args[0] is src and not prev.defn.flags & _CALL):  # fmt: skip
                prev.replace_arg(0, args[0])
                continue
        if flags & _EXIT:
            live = at_exit.copy()
        elif flags & _BB_END:
            if not flags & _COND_BRANCH:
                live = at_bb_end.copy()
            else:
                live[:n_globals] = all_globals
                for i in tb_temps:
                    live[i] = True
        n_out = op.n_out
        if n_out:
            any_live = False
            for i in range(n_out):
                if live[args[i].index]:
                    any_live = True
            if not any_live and (
                args[-1].flags & _NO_SIDE_EFFECTS if flags & _CALL else not flags & _SIDE_EFFECTS
            ):
                continue  # every output is dead
            for i in range(n_out):
                live[args[i].index] = False
        elif flags & _CALL and args[-1].flags & _NO_SIDE_EFFECTS:
            continue  # a pure call without outputs
        if flags & _MEM or (flags & _CALL and not args[-1].flags & _NO_READ_GLOBALS):
            live[:n_globals] = all_globals
        life = 0
        for i in range(op.n_in):
            t: Temp = args[n_out + i]
            if t.kind is _CONST:
                continue
            idx = t.index
            if not live[idx]:
                life |= 1 << i
                live[idx] = True
        op.life = life
        kept.append(op)
    kept.reverse()
    ctx.ops = kept
