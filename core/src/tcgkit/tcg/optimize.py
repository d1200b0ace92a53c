"""The IR optimizer: constant folding, copy propagation, algebraic identities,
branch folding and removal of unreachable code.

Owns the forward rewriting pass over one TB's op list (dead code whose
results are unused is removed by ``liveness``, which runs after it).

Knowledge tracked per temp, forward through a basic block:
* ``consts[t]`` - t is known to hold that value;
* ``copies[t]`` - t holds the same value as another temp (its representative).
  After ``mov global, bb`` (a fresh BB temp) the global is the representative,
  so that the BB temp dies at the move (see ``liveness``, which then writes the
  value straight into the global).
Everything known is forgotten at a label (control flow merges there). A
write to a temp invalidates what was known about it and every copy that
refers to it. A helper call that may write globals forgets what was known
about globals, and so does a guest memory access when memory hooks may write
them (``TCGContext.mem_writes_globals``). Ops with side effects are never removed here.
"""

from __future__ import annotations

from typing import Any, Final

from .context import TCGContext
from .ir import Helper, Op, Temp, TempKind
from .ops import OPS, OpFlag
from .semantics import SEMANTICS, cond_holds, evaluate
from .types import I32, I64, CallFlags, Cond

# ops whose results depend only on their inputs and constants (foldable)
_PURE: Final = {
    d.name
    for d in OPS.values()
    if d.base in SEMANTICS and not d.flags & (OpFlag.SIDE_EFFECTS | OpFlag.BB_END)
}


class _Knowledge:
    def __init__(self) -> None:
        self.consts: dict[Temp, int] = {}
        self.copies: dict[Temp, Temp] = {}  # t -> representative
        self.users: dict[Temp, set[Temp]] = {}  # representative -> temps copying it

    def forget_all(self) -> None:
        self.consts.clear()
        self.copies.clear()
        self.users.clear()

    def forget(self, t: Temp) -> None:
        consts, copies, users = self.consts, self.copies, self.users
        if t in consts:
            del consts[t]
        rep = copies.get(t)
        if rep is not None:
            del copies[t]
            copied = users.get(rep)
            if copied is not None:
                copied.discard(t)
        mine = users.get(t)
        if mine is not None:
            del users[t]
            for u in mine:
                if u in copies:
                    del copies[u]

    def forget_globals(self) -> None:
        for t in [t for t in self.consts if t.kind is TempKind.GLOBAL]:
            self.forget(t)
        for t in [t for t in self.copies if t.kind is TempKind.GLOBAL]:
            self.forget(t)
        for rep in [r for r in self.users if r.kind is TempKind.GLOBAL]:
            self.forget(rep)

    def set_copy(self, dst: Temp, src: Temp) -> None:
        """``mov dst, src`` (the caller has forgotten what was known about dst)."""
        if (dst.kind is _GLOBAL and src.kind is _BB
                and src not in self.copies and src not in self.users):  # fmt: skip
            # the global becomes the representative: later reads of src read the
            # global, so src dies here and liveness can fold the move away
            self.copies[src] = dst
            self.users.setdefault(dst, set()).add(src)
            return
        src = self.copies.get(src, src)
        if src is dst:
            return
        if src.kind is TempKind.CONST:
            self.consts[dst] = src.value
            return
        if src in self.consts:
            self.consts[dst] = self.consts[src]
        self.copies[dst] = src
        self.users.setdefault(src, set()).add(dst)


_MOV: Final = {I32: OPS["mov_i32"], I64: OPS["mov_i64"]}
_BR: Final = OPS["br"]
_ONES32: Final = (1 << 32) - 1
_ONES64: Final = (1 << 64) - 1
# ops _fold may simplify (a mov is only recorded as a copy)
_FOLDABLE: Final = (_PURE | {d.name for d in OPS.values() if d.base == "brcond"}) - {
    d.name for d in OPS.values() if d.base == "mov"
}
#: ``_FOLDABLE`` by ``OpDef.index``: a list read per op instead of a set lookup by name
_FOLDABLE_AT: Final = [d.name in _FOLDABLE for d in OPS.values()]
_LABEL: Final = OpFlag.LABEL
_NO_WRITE_GLOBALS: Final = int(CallFlags.NO_WRITE_GLOBALS)  # tested on Helper.bits
_BB_END: Final = OpFlag.BB_END
_MEM: Final = OpFlag.MEM
_CONST: Final = TempKind.CONST
_GLOBAL: Final = TempKind.GLOBAL
_BB: Final = TempKind.BB


def optimize(ctx: TCGContext) -> None:
    """Rewrite ``ctx.ops`` in place."""
    k = _Knowledge()
    consts, copies, users = k.consts, k.copies, k.users
    const = ctx.const
    out: list[Op] = []
    unreachable = False
    mem_writes_globals = ctx.mem_writes_globals
    for op in ctx.ops:
        d = op.defn
        flags = d.flags
        if flags & _LABEL:
            unreachable = False
            k.forget_all()
            out.append(op)
            continue
        if unreachable:
            _drop_label_ref(op)
            continue
        # inputs: through copies to representatives, known values to constants
        n_out, n_in = op.n_out, op.n_in
        if n_in and (consts or copies):
            args = op.args
            changed: list[Any] | None = None
            for i in range(n_out, n_out + n_in):
                t0: Temp = args[i]
                if t0.kind is _CONST:
                    continue
                t = copies.get(t0, t0)
                v = consts.get(t)
                if v is not None:
                    t = const(t.type, v)
                if t is not t0:
                    if changed is None:
                        changed = list(args)
                    changed[i] = t
            if changed is not None:
                op.args = tuple(changed)
        if n_in and _FOLDABLE_AT[d.index] and _maybe_foldable(op.args, n_out, n_in):
            folded = _fold(ctx, op, k)
            if folded is None:
                continue
            op = folded
            d = op.defn
        elif op.opc == "call":
            helper: Helper = op.args[-1]
            if not helper.bits & _NO_WRITE_GLOBALS:
                k.forget_globals()
        elif flags & _MEM and mem_writes_globals:
            k.forget_globals()
        if consts or copies or users:
            args = op.args
            for i in range(op.n_out):
                t = args[i]
                if t in consts or t in copies or t in users:
                    k.forget(t)
        base = d.base
        if base == "mov":
            k.set_copy(op.args[0], op.args[1])
        elif base == "movi":
            consts[op.args[0]] = op.args[1]
        if flags & _BB_END:
            # after a branch or an exit, control may arrive only through a label
            k.forget_all()
            if op.opc in ("br", "exit_tb", "goto_ptr"):
                unreachable = True
        out.append(op)
    ctx.ops = out


def _maybe_foldable(args: tuple[Temp, ...], n_out: int, n_in: int) -> bool:
    """Whether _fold can do anything: some input is a constant, or (two inputs) both
    are the same temp (``x - x``, ``x == x``...). Not asked for ops without inputs: a
    ``movi`` stays one (recorded as a known value below)."""
    if n_in == 1:
        return args[n_out].kind is _CONST
    if n_in == 2:
        a, b = args[n_out], args[n_out + 1]
        return a.kind is _CONST or b.kind is _CONST or a is b
    return True


def _drop_label_ref(op: Op) -> None:
    if op.opc in ("br",) or op.defn.base == "brcond":
        op.consts[-1].refs -= 1


def _mov(ctx: TCGContext, op: Op, src: Temp) -> Op:
    d = _MOV[src.type]
    return Op(d.name, (op.args[0], src), 1, 1, 0, 0, d)


def _movi(ctx: TCGContext, op: Op, out: Temp, value: int) -> Op:
    d = _MOV[out.type]
    return Op(d.name, (out, ctx.const(out.type, value)), 1, 1, 0, 0, d)


def _fold(ctx: TCGContext, op: Op, k: _Knowledge) -> Op | None:
    """A simpler op computing the same thing, the same op, or None to delete it."""
    d = op.defn
    w = d.width
    n_out = op.n_out
    ins = op.args[n_out : n_out + op.n_in]
    # inputs were resolved already: a known value is a constant temp by now
    vals: list[int | None] = []
    for i in range(len(ins)):
        t: Temp = ins[i]
        vals.append(t.value if t.kind is _CONST else None)
    if d.base == "brcond":
        a, b = vals
        if a is not None and b is not None:
            label = op.consts[1]
            if cond_holds(op.consts[0], a, b, w):
                return Op("br", (label,), 0, 0, 0, 0, _BR)
            label.refs -= 1
            return None
        if ins[0] is ins[1] and op.consts[0] in (Cond.EQ, Cond.NE, Cond.GE, Cond.GEU):
            label = op.consts[1]
            if op.consts[0] == Cond.NE:
                label.refs -= 1
                return None
            return Op("br", (label,), 0, 0, 0, 0, _BR)
        return op
    if d.n_out != 1:
        return op
    if None not in vals:
        [result] = evaluate(d.base, w, tuple(vals), tuple(op.consts))  # type: ignore[arg-type]
        return _movi(ctx, op, op.args[0], result)
    if d.n_in == 2:
        # the identities hold for a repeated input or a constant 0, 1 or all-ones
        # (compared one by one: a tuple of the three and ``in`` cost a long-int
        # shift and a generic comparison per op)
        va, vb = vals
        ones = _ONES64 if w == 64 else _ONES32
        if (ins[0] is ins[1]
                or (va is not None and (va == 0 or va == 1 or va == ones))
                or (vb is not None and (vb == 0 or vb == 1 or vb == ones))):  # fmt: skip
            return _identity(ctx, op, vals, w)
    return op


def _identity(ctx: TCGContext, op: Op, vals: list[int | None], w: int) -> Op:
    base = op.defn.base
    a, b = op.ins
    va, vb = vals
    mask = (1 << w) - 1
    out = op.args[0]
    if vb == 0 and base in ("add", "or", "xor", "sub", "shl", "shr", "sar", "rotl", "rotr", "andc"):
        return _mov(ctx, op, a)
    if base in ("add", "or", "xor") and va == 0:
        return _mov(ctx, op, b)
    if base in ("and", "mul") and (va == 0 or vb == 0):
        return _movi(ctx, op, out, 0)
    if base == "and":
        if vb == mask:
            return _mov(ctx, op, a)
        if va == mask:
            return _mov(ctx, op, b)
    if base == "or" and (va == mask or vb == mask):
        return _movi(ctx, op, out, mask)
    if base == "mul":
        if vb == 1:
            return _mov(ctx, op, a)
        if va == 1:
            return _mov(ctx, op, b)
    if a is b:
        if base in ("and", "or"):
            return _mov(ctx, op, a)
        if base in ("sub", "xor", "andc"):
            return _movi(ctx, op, out, 0)
        if base in ("eqv", "orc"):
            return _movi(ctx, op, out, mask)
    if base in ("shl", "shr", "rotl", "rotr", "sar") and va == 0:
        return _movi(ctx, op, out, 0)
    return op
