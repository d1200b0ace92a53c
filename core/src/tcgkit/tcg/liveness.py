"""Liveness analysis and dead-code removal over one TB's ops.

Owns the backward pass that (1) removes ops without side effects whose
outputs are all dead and (2) annotates each remaining op with ``life``: bit i
set when input i is not used after this op (it dies here), and ``SYNC_ONLY``
on a move to a global that nothing reads again before its basic block ends
(the value is only wanted in the CPU state: QEMU's sync-without-register). The
register allocator reads ``life``; the portable host does not need it.

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
from .ops import OpFlag, by_index
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
#: ``_MOVES`` by ``OpDef.index`` (a list read per op, not a set lookup by name)
_IS_MOVE_AT: Final = by_index(lambda d: d.name in _MOVES)
_NO_SIDE_EFFECTS: Final = int(CallFlags.NO_SIDE_EFFECTS)  # tested on Helper.bits
_NO_READ_GLOBALS: Final = int(CallFlags.NO_READ_GLOBALS)
#: ``Op.life`` of a move whose output is a global that no op reads before the end of
#: the basic block: the allocator stores the input to the global's home at once
#: instead of giving the global a register of its own (above the inputs' bits)
SYNC_ONLY: Final = 1 << 16


def liveness(ctx: TCGContext) -> None:
    """Remove dead ops from ``ctx.ops`` and set ``op.life`` on the rest.

    A global (index below ``n_globals``) is live unless it was marked dead since
    the last point that made every global live: ``dead_at[g] == epoch``. Those
    points (an exit, a block's end, a memory access, a call that reads globals)
    come several times in a TB and there are a hundred globals and more, so they
    only advance ``epoch`` instead of setting a flag per global. The TB's own temps
    are a list of flags by ``index - n_globals``. At a block's end every TB-scoped
    temp becomes live and (unless the branch is conditional) every BB-scoped one
    dead: only those whose flag says otherwise are set, found in the lists of the
    flags that changed since (``dead_tb``, ``live_bb``), so that a TB of flushed
    float code (a hundred blocks and as many TB-scoped temps) does not pass over
    its temps at each block. One flag is read and written per operand without
    allocating (an int bit mask would be a long int, and every bit operation on it
    made a new one)."""
    n_globals = ctx.n_globals
    temps = ctx.temps
    ops = ctx.ops
    # the context's words per global (reused: ``TCGContext.live_epoch``); the epochs
    # and blocks of this TB start above every value stored before, and the next TB's
    # above every value this one can store (at most two epochs per op)
    dead_at = ctx.live_dead_at
    read_in = ctx.live_read_in  # the block (counted from the end) a global was last read in
    if len(dead_at) != n_globals:
        dead_at = ctx.live_dead_at = [-1] * n_globals
        read_in = ctx.live_read_in = [-1] * n_globals
    epoch = block = ctx.live_epoch + 1
    ctx.live_epoch = epoch + 2 * len(ops) + 2
    is_tb = [t.kind is _TB for t in temps]
    tb_temps = [i for i, tb in enumerate(is_tb) if tb]
    live = [False] * len(temps)
    dead_tb: list[int] = tb_temps.copy()  # TB-scoped temps made dead since a block's end
    live_bb: list[int] = []  # BB-scoped temps made live since a block's end
    kept: list[Op] = []
    for pos in range(len(ops) - 1, -1, -1):
        op = ops[pos]
        defn = op.defn
        flags = defn.flags
        is_move = _IS_MOVE_AT[defn.index]
        args = op.args
        if pos and is_move:
            # ``x = f(...); mov g, x`` with x dying here: f writes g itself (the
            # ops are adjacent, so nothing reads g or x in between)
            src: Temp = args[1]
            prev = ops[pos - 1]
            if (src.kind is _BB and not live[src.index - n_globals] and prev.n_out == 1
                    and prev.args[0] is src and not prev.defn.flags & _CALL):  # fmt: skip
                prev.replace_arg(0, args[0])
                continue
        if flags & _BB_END:
            epoch += 1
            block += 1
            if flags & _EXIT:  # nothing of the TB's own is live after it
                for i in tb_temps:
                    live[i] = False
                dead_tb = tb_temps.copy()
            else:  # the TB-scoped temps are live at a block's end
                for i in dead_tb:
                    live[i] = True
                dead_tb.clear()
            if not flags & _COND_BRANCH:  # the BB-scoped ones die there
                for i in live_bb:
                    live[i] = False
                live_bb.clear()
        n_out = op.n_out
        call_bits = 0
        sync_only = 0
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
                elif live[idx - n_globals]:
                    any_live = True
            if not any_live and (
                call_bits & _NO_SIDE_EFFECTS if flags & _CALL else not flags & _SIDE_EFFECTS
            ):
                continue  # every output is dead
            for i in range(n_out):
                t = args[i]
                idx = t.index
                if idx < n_globals:
                    if n_out == 1 and is_move and read_in[idx] != block:
                        sync_only = SYNC_ONLY  # live (above) but not read in this block
                    dead_at[idx] = epoch
                else:
                    j = idx - n_globals
                    if live[j]:
                        live[j] = False
                        if is_tb[j]:
                            dead_tb.append(j)
        elif flags & _CALL and call_bits & _NO_SIDE_EFFECTS:
            continue  # a pure call without outputs
        if flags & _MEM or (flags & _CALL and not call_bits & _NO_READ_GLOBALS):
            epoch += 1
        life = sync_only
        for i in range(op.n_in):
            t = args[n_out + i]
            if t.kind is _CONST:
                continue
            idx = t.index
            if idx < n_globals:
                read_in[idx] = block
                if dead_at[idx] == epoch:
                    life |= 1 << i
                    dead_at[idx] = -1
            else:
                j = idx - n_globals
                if not live[j]:
                    life |= 1 << i
                    live[j] = True
                    if not is_tb[j]:
                        live_bb.append(j)
        op.life = life
        kept.append(op)
    kept.reverse()
    ctx.ops = kept
