"""The IR optimizer: constant folding, copy propagation, algebraic identities,
branch folding and removal of unreachable code.

Owns the forward rewriting pass over one TB's op list (dead code whose
results are unused is removed by ``liveness``, which runs after it).

Knowledge tracked per temp, forward through a basic block (``_Knowledge``, by temp
index, in lists the context keeps from TB to TB):
* ``val[t]`` - t is known to hold that value;
* ``rep[t]`` - t holds the same value as another temp (its representative).
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
from .ops import OPS, OpFlag, by_index
from .semantics import SEMANTICS, cond_holds, evaluate
from .types import I32, I64, CallFlags, Cond

# ops whose results depend only on their inputs and constants (foldable)
_PURE: Final = {
    d.name
    for d in OPS.values()
    if d.base in SEMANTICS and not d.flags & (OpFlag.SIDE_EFFECTS | OpFlag.BB_END)
}


class _Knowledge:
    """What the pass knows, by temp index (globals and temps are numbered densely;
    constants have no index and are known by their value): ``val[i]`` a known value,
    ``rep[i]`` the representative temp ``i`` copies, ``users[i]`` the temps that have
    copied ``i`` (an entry whose ``rep`` is no longer ``i`` is stale and skipped).
    An index's entries hold only while ``stamp[i] == epoch``: forgetting everything
    is a new epoch, and the lists are kept from TB to TB in the context (the epoch
    only grows), so neither costs a pass over them. ``known`` lists the temps stamped
    in this epoch (``forget_globals`` walks them)."""

    __slots__ = ("epoch", "known", "rep", "stamp", "users", "val")

    def __init__(self) -> None:
        self.epoch = 0
        self.stamp: list[int] = []
        self.val: list[int | None] = []
        self.rep: list[Temp | None] = []
        self.users: list[list[Temp] | None] = []
        self.known: list[Temp] = []

    def start(self, n_index: int) -> None:
        """A new TB of ``n_index`` numbered temps."""
        grow = n_index - len(self.stamp)
        if grow > 0:
            self.stamp.extend([-1] * grow)
            self.val.extend([None] * grow)
            self.rep.extend([None] * grow)
            self.users.extend([None] * grow)
        self.forget_all()

    def forget_all(self) -> None:
        self.epoch += 1
        self.known = []

    def touch(self, t: Temp) -> int:
        """``t``'s index, its entries made current (empty if they were stale)."""
        i = t.index
        if self.stamp[i] != self.epoch:
            self.stamp[i] = self.epoch
            self.val[i] = None
            self.rep[i] = None
            self.users[i] = None
            self.known.append(t)
        return i

    def forget(self, t: Temp) -> None:
        """``t`` is written: its value and its copy are no longer known, nor any copy
        of it."""
        i = t.index
        epoch = self.epoch
        if self.stamp[i] != epoch:
            return
        self.val[i] = None
        self.rep[i] = None  # its entry in the representative's users goes stale
        mine = self.users[i]
        if mine is not None:
            self.users[i] = None
            stamp, rep = self.stamp, self.rep
            for u in mine:
                j = u.index
                if stamp[j] == epoch and rep[j] is t:
                    rep[j] = None

    def forget_globals(self) -> None:
        for t in self.known:
            if t.kind is _GLOBAL:
                self.forget(t)

    def set_copy(self, dst: Temp, src: Temp) -> None:
        """``mov dst, src`` (the caller has forgotten what was known about dst)."""
        epoch, stamp = self.epoch, self.stamp
        if src.kind is _CONST:
            self.val[self.touch(dst)] = src.value
            return
        s = src.index
        current = stamp[s] == epoch
        if (dst.kind is _GLOBAL and src.kind is _BB
                and not (current and (self.rep[s] is not None
                                      or self.users[s] is not None))):  # fmt: skip
            # the global becomes the representative: later reads of src read the
            # global, so src dies here and liveness can fold the move away
            self.rep[self.touch(src)] = dst
            self._add_user(self.touch(dst), src)
            return
        r = self.rep[s] if current else None
        if r is not None:
            src = r
            s = r.index
            current = stamp[s] == epoch
        if src is dst:
            return
        v = self.val[s] if current else None
        d = self.touch(dst)
        if v is not None:
            self.val[d] = v
        self.rep[d] = src
        self._add_user(self.touch(src), dst)

    def _add_user(self, i: int, t: Temp) -> None:
        users = self.users[i]
        if users is None:
            self.users[i] = [t]
        else:
            users.append(t)


_MOV: Final = {I32: OPS["mov_i32"], I64: OPS["mov_i64"]}
_BR: Final = OPS["br"]
_ONES32: Final = (1 << 32) - 1
_ONES64: Final = (1 << 64) - 1
# ops _fold may simplify (a mov is only recorded as a copy)
_FOLDABLE: Final = (_PURE | {d.name for d in OPS.values() if d.base == "brcond"}) - {
    d.name for d in OPS.values() if d.base == "mov"
}
#: ``_FOLDABLE`` by ``OpDef.index``: a list read per op instead of a set lookup by name
_FOLDABLE_AT: Final = by_index(lambda d: d.name in _FOLDABLE)
_BRCOND_AT: Final = by_index(lambda d: d.base == "brcond")
_LABEL: Final = OpFlag.LABEL
_NO_WRITE_GLOBALS: Final = int(CallFlags.NO_WRITE_GLOBALS)  # tested on Helper.bits
_BB_END: Final = OpFlag.BB_END
_MEM: Final = OpFlag.MEM
_CONST: Final = TempKind.CONST
_GLOBAL: Final = TempKind.GLOBAL
_BB: Final = TempKind.BB


def optimize(ctx: TCGContext) -> None:
    """Rewrite ``ctx.ops`` in place."""
    k = ctx.opt_knowledge
    if not isinstance(k, _Knowledge):
        k = ctx.opt_knowledge = _Knowledge()
    k.start(ctx.n_index)
    stamp, val, rep = k.stamp, k.val, k.rep
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
        epoch = k.epoch
        # inputs: through copies to representatives, known values to constants
        n_out, n_in = op.n_out, op.n_in
        if n_in and k.known:
            args = op.args
            changed: list[Any] | None = None
            for i in range(n_out, n_out + n_in):
                t0: Temp = args[i]
                if t0.kind is _CONST:
                    continue
                j = t0.index
                if stamp[j] != epoch:
                    continue
                t = t0
                r = rep[j]
                if r is not None:
                    t = r
                    j = r.index
                v = val[j] if stamp[j] == epoch else None
                if v is not None:
                    t = ctx.const(t.type, v)
                if t is not t0:
                    if changed is None:
                        changed = list(args)
                    changed[i] = t
            if changed is not None:
                op.args = tuple(changed)
        if n_in and _FOLDABLE_AT[d.index] and _maybe_foldable(op.args, n_out, n_in):
            folded = _fold(ctx, op)
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
        if k.known:
            args = op.args
            for i in range(op.n_out):
                k.forget(args[i])
        base = d.base
        if base == "mov":
            k.set_copy(op.args[0], op.args[1])
        elif base == "movi":
            val[k.touch(op.args[0])] = op.args[1]
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


def _fold(ctx: TCGContext, op: Op) -> Op | None:
    """A simpler op computing the same thing, the same op, or None to delete it."""
    d = op.defn
    w = d.width
    args = op.args
    # inputs were resolved already: a known value is a constant temp by now
    if _BRCOND_AT[d.index]:
        a: Temp = args[0]
        b: Temp = args[1]
        if a.kind is _CONST and b.kind is _CONST:
            label = op.consts[1]
            if cond_holds(op.consts[0], a.value, b.value, w):
                return Op("br", (label,), 0, 0, 0, 0, _BR)
            label.refs -= 1
            return None
        if a is b and op.consts[0] in (Cond.EQ, Cond.NE, Cond.GE, Cond.GEU):
            label = op.consts[1]
            if op.consts[0] == Cond.NE:
                label.refs -= 1
                return None
            return Op("br", (label,), 0, 0, 0, 0, _BR)
        return op
    if op.n_out != 1:
        return op
    if op.n_in == 2:  # most: no list of values made
        a = args[1]
        b = args[2]
        va = a.value if a.kind is _CONST else None
        vb = b.value if b.kind is _CONST else None
        if va is not None and vb is not None:
            [result] = evaluate(d.base, w, (va, vb), tuple(op.consts))
            return _movi(ctx, op, args[0], result)
        # the identities hold for a repeated input or a constant 0, 1 or all-ones
        # (compared one by one: a tuple of the three and ``in`` cost a long-int
        # shift and a generic comparison per op)
        ones = _ONES64 if w == 64 else _ONES32
        if (a is b
                or (va is not None and (va == 0 or va == 1 or va == ones))
                or (vb is not None and (vb == 0 or vb == 1 or vb == ones))):  # fmt: skip
            return _identity(ctx, op, va, vb, w)
        return op
    vals: list[int] = []
    for i in range(1, 1 + op.n_in):
        t: Temp = args[i]
        if t.kind is not _CONST:
            return op
        vals.append(t.value)
    [result] = evaluate(d.base, w, tuple(vals), tuple(op.consts))
    return _movi(ctx, op, args[0], result)


def _identity(ctx: TCGContext, op: Op, va: int | None, vb: int | None, w: int) -> Op:
    base = op.defn.base
    a, b = op.ins
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
