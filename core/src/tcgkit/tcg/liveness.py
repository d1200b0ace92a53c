"""Liveness analysis and dead-code removal over one TB's ops.

Owns the backward pass that (1) removes ops without side effects whose
outputs are all dead and (2) annotates each remaining op with ``life``: bit i
set when input i is not used after this op (it dies here). The register
allocator reads ``life``; the portable host does not need it.

What is live where (the same rules the register allocator syncs by):
* at a TB exit (exit_tb, goto_ptr): every global;
* at the end of any basic block (br, brcond, a label): every global and
  every TB-scoped temp (BB-scoped temps die at their block's end);
* before a guest memory access (it may fault, and the fault handler sees the
  CPU state) and before a helper call that may read globals: every global.
"""

from __future__ import annotations

from .context import TCGContext
from .ir import Op, Temp, TempKind
from .ops import OpFlag
from .types import CallFlags


def liveness(ctx: TCGContext) -> None:
    """Remove dead ops from ``ctx.ops`` and set ``op.life`` on the rest."""
    globals_ = set(ctx.globals)
    tb_temps = {t for t in ctx.temps if t.kind is TempKind.TB}
    live: set[Temp] = set(globals_)
    kept: list[Op] = []
    for op in reversed(ctx.ops):
        flags = op.flags
        if flags & OpFlag.EXIT:
            live = set(globals_)
        elif flags & OpFlag.BB_END:
            live = globals_ | tb_temps | (live if flags & OpFlag.COND_BRANCH else set())
        if op.opc == "call":
            removable = op.consts[0].flags & CallFlags.NO_SIDE_EFFECTS
            if removable and not any(t in live for t in op.outs):
                continue
        elif not flags & OpFlag.SIDE_EFFECTS and op.n_out and not any(t in live for t in op.outs):
            continue
        for t in op.outs:
            live.discard(t)
        if flags & OpFlag.MEM or (
            op.opc == "call" and not op.consts[0].flags & CallFlags.NO_READ_GLOBALS
        ):
            live |= globals_
        life = 0
        for i, t in enumerate(op.ins):
            if t.kind is TempKind.CONST:
                continue
            if t not in live:
                life |= 1 << i
                live.add(t)
        op.life = life
        kept.append(op)
    kept.reverse()
    ctx.ops = kept
