"""Translation contexts: the template, per-vCPU clones, the context table,
and the builder API targets use to emit IR.

Owns ``TCGContext`` and ``ContextTable``.

Life of a context (as in QEMU's MTTCG):

1. The target builds the *template*: it declares the TCG globals (guest
   registers mapped to byte offsets of the CPU state) with ``new_global``.
2. ``freeze()`` ends that phase: the template never changes again and is
   shared read-only. Its globals are shared by every clone.
3. Each vCPU thread claims a slot of the ``ContextTable`` (an atomic
   increment of the slot counter; the table is an array of references sized
   by ``max_cpus``, because how many contexts will exist is not known when
   the template is built) and keeps its own ``clone()``, into which it
   translates without locking. One context serves when one vCPU runs.

Per TB, a context holds the op list, the non-global temps, the constants
and the labels; ``reset()`` clears them before the next TB.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final

from .ir import Helper, Label, Op, Temp, TempKind
from .ops import OPS, OpDef
from .types import I32, I64, Cond, TCGType

SLOT: Final = 8  # the CPU state is an array of 8-byte little-endian slots


class TCGContext:
    """One translation context (the template, or a vCPU's clone)."""

    def __init__(self, state_size: int, *, name: str = "template") -> None:
        if state_size <= 0 or state_size % SLOT:
            raise ValueError(f"CPU state size must be a positive multiple of {SLOT}")
        self.name = name
        self.state_size = state_size
        self._globals: list[Temp] | tuple[Temp, ...] = []
        self._frozen = False
        self._template: TCGContext | None = None
        self.reset()

    # -- template phase ------------------------------------------------------

    def new_global(self, type: TCGType, offset: int, name: str) -> Temp:
        """Declare a TCG global backed by the CPU state slot at ``offset``."""
        if self._frozen:
            raise RuntimeError(f"context {self.name!r} is frozen: globals are defined at init")
        if offset % SLOT or not 0 <= offset < self.state_size:
            raise ValueError(f"global {name!r}: offset {offset} is not a slot of the CPU state")
        if any(g.offset == offset or g.name == name for g in self._globals):
            raise ValueError(f"global {name!r} at offset {offset} is already defined")
        assert isinstance(self._globals, list)
        t = Temp(type, TempKind.GLOBAL, len(self._globals), name, offset=offset)
        self._globals.append(t)
        return t

    def freeze(self) -> None:
        """End the template phase; the globals become an immutable tuple."""
        self._globals = tuple(self._globals)
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def globals(self) -> tuple[Temp, ...]:
        return tuple(self._globals)

    def clone(self, name: str) -> TCGContext:
        """A context for one vCPU: shares the frozen globals, owns everything else."""
        if not self._frozen:
            raise RuntimeError("freeze() the template before cloning it")
        c = TCGContext(self.state_size, name=name)
        c._globals = self._globals
        c._frozen = True
        c._template = self
        c.reset()
        return c

    # -- per-TB state --------------------------------------------------------

    def reset(self) -> None:
        """Forget the previous TB's ops, temps, constants and labels."""
        self.ops: list[Op] = []
        self.temps: list[Temp] = []
        self.labels: list[Label] = []
        self._consts: dict[tuple[TCGType, int], Temp] = {}
        self.helpers_called: int = 0

    def detach(self) -> tuple[Any, ...]:
        """The current TB's IR (ops, temps, labels, constants), for ``attach`` later;
        the context goes on with the next TB (``reset`` makes new lists)."""
        return (self.ops, self.temps, self.labels, self._consts, self.helpers_called)

    def attach(self, ir: tuple[Any, ...]) -> None:
        """Make a TB's IR from ``detach`` the current one again."""
        self.ops, self.temps, self.labels, self._consts, self.helpers_called = ir

    def temp(self, type: TCGType = I64, *, local: bool = False) -> Temp:
        """A new temporary: BB-scoped, or TB-scoped with ``local=True``."""
        kind = TempKind.TB if local else TempKind.BB
        t = Temp(type, kind, len(self._globals) + len(self.temps))
        self.temps.append(t)
        return t

    def temp_i32(self, *, local: bool = False) -> Temp:
        return self.temp(I32, local=local)

    def temp_i64(self, *, local: bool = False) -> Temp:
        return self.temp(I64, local=local)

    def const(self, type: TCGType, value: int) -> Temp:
        """The constant ``value`` (masked to the width), shared within the TB."""
        value &= 0xFFFFFFFF if type is _I32 else 0xFFFFFFFFFFFFFFFF  # type.mask, inlined
        key = (type, value)
        t = self._consts.get(key)
        if t is None:
            t = Temp(type, TempKind.CONST, -1, value=value)
            self._consts[key] = t
        return t

    def count(self, opc: str) -> int:
        """How many ``opc`` ops the TB holds now."""
        n = 0
        for op in self.ops:
            if op.opc == opc:
                n += 1
        return n

    def label(self) -> Label:
        lab = Label(len(self.labels))
        self.labels.append(lab)
        return lab

    def all_temps(self) -> Iterator[Temp]:
        yield from self.globals
        yield from self.temps

    # -- emission ------------------------------------------------------------

    def emit(self, opc: str, *args: Any) -> Op:
        """Append ``opc`` with ``args``; ints in temp positions become constants."""
        return self.emit_def(OPS[opc], args)

    def emit_def(self, d: OpDef, args: tuple[Any, ...]) -> Op:
        """``emit`` for a caller that holds the op's definition already."""
        opc = d.name
        n_out = d.n_out
        n = n_out + d.n_in
        if len(args) != n + d.n_const:
            raise TypeError(
                f"{opc} takes {d.n_out} outputs, {d.n_in} inputs and constants "
                f"{d.consts}; got {len(args)} arguments"
            )
        fixed = list(args)
        ty = d.type
        for i in range(n_out):
            t = fixed[i]
            if type(t) is not Temp or t.type is not ty or t.kind is _CONST:
                _check(opc, t, ty, "output")
        j = n_out
        for ty in d.in_types:
            a = fixed[j]
            if type(a) is Temp:
                if a.type is not ty:
                    _check(opc, a, ty, "input")
            elif isinstance(a, int):
                fixed[j] = self.const(ty, a)
            else:
                _check(opc, a, ty, "input")
            j += 1
        if opc in _BRANCHES:
            fixed[-1].refs += 1  # the label, always the last constant
        op = Op(opc, fixed, n_out, d.n_in, 0, 0, d)
        self.ops.append(op)
        return op

    def call(self, helper: Helper, out: Temp | None, *ins: Temp | int) -> Op:
        """Call a Python helper (rare paths only: it shows in the IR dump and stats)."""
        if (out is None) != (helper.out_type is None):
            raise TypeError(f"helper {helper.name} returns {helper.out_type}, got output {out}")
        if len(ins) != len(helper.in_types):
            raise TypeError(f"helper {helper.name} takes {len(helper.in_types)} inputs")
        args: list[Any] = [] if out is None else [out]
        for a, ty in zip(ins, helper.in_types, strict=True):
            args.append(self.const(ty, a) if isinstance(a, int) else a)
        args.append(helper)
        op = Op("call", args, 0 if out is None else 1, len(ins), 0, 0, _CALL)
        self.ops.append(op)
        self.helpers_called += 1
        return op

    def set_label(self, label: Label) -> None:
        if label.placed:
            raise ValueError(f"label {label} placed twice")
        label.placed = True
        self.emit_def(_SET_LABEL, (label,))

    def br(self, label: Label) -> None:
        self.emit_def(_BR, (label,))

    def brcond(self, cond: Cond, a: Temp, b: Temp | int, label: Label) -> None:
        self.emit_def(_BRCOND[a.type], (a, b, cond, label))

    def goto_tb(self, slot: int) -> None:
        self.emit_def(_GOTO_TB, (slot,))

    def exit_tb(self, value: int) -> None:
        self.emit_def(_EXIT_TB, (value,))

    def goto_ptr(self, pc: Temp) -> None:
        self.emit_def(_GOTO_PTR, (pc,))

    def insn_start(self, pc: int, data: int = 0) -> None:
        self.emit_def(_INSN_START, (pc, data))

    def mb(self, kind: int = 15) -> None:
        """A memory barrier providing the ``MemOrder`` orderings ``kind`` (all of them
        unless told)."""
        self.emit_def(_MB, (int(kind),))


_CONST: Final = TempKind.CONST
_I32: Final = I32
_CALL: Final = OPS["call"]
_SET_LABEL: Final = OPS["set_label"]
_BR: Final = OPS["br"]
_BRCOND: Final = {I32: OPS["brcond_i32"], I64: OPS["brcond_i64"]}
_GOTO_TB: Final = OPS["goto_tb"]
_EXIT_TB: Final = OPS["exit_tb"]
_GOTO_PTR: Final = OPS["goto_ptr"]
_INSN_START: Final = OPS["insn_start"]
_MB: Final = OPS["mb"]
#: ops whose last constant is a label they branch to (set_label defines it instead)
_BRANCHES: Final = frozenset(d.name for d in OPS.values() if d.consts[-1:] == ("label",)) - {
    "set_label"
}


def _check(opc: str, t: object, ty: TCGType | None, role: str) -> None:
    """Raise the TypeError that says what is wrong with operand ``t`` (if anything)."""
    if not isinstance(t, Temp):
        raise TypeError(f"{opc}: {role} must be a Temp, not {t!r}")
    if ty is not None and t.type is not ty:
        raise TypeError(f"{opc}: {role} {t!r} is {t.type.suffix}, the op wants {ty.suffix}")
    if role == "output" and t.kind is TempKind.CONST:
        raise TypeError(f"{opc}: cannot write to the constant {t!r}")


def _width_generic(base: str, variants: dict[TCGType, OpDef]) -> Callable[..., Op]:
    """A builder method that picks the i32 or i64 variant from its first temp."""

    def method(self: TCGContext, *args: Any) -> Op:
        for first in args:
            if type(first) is Temp:
                break
        else:
            raise TypeError(f"{base}: needs at least one temp to know its width")
        d = variants.get(first.type)
        if d is None:
            raise TypeError(f"{base} has no {first.type.suffix} form")
        return self.emit_def(d, args)

    method.__name__ = base
    method.__doc__ = f"Emit {base}_i32 or {base}_i64, by the width of the first temp."
    return method


_FLOAT_SUFFIX: Final = {I32: "f32", I64: "f64"}


def _install_builders() -> None:
    by_base: dict[str, dict[TCGType, OpDef]] = {}
    for d in OPS.values():
        if d.type is not None and d.name == f"{d.base}_{d.type.suffix}":
            by_base.setdefault(d.base, {})[d.type] = d
    for base, variants in by_base.items():
        name = base + "_" if base in ("and", "or", "not") else base
        if not hasattr(TCGContext, name):
            setattr(TCGContext, name, _width_generic(base, variants))
    float_by_base: dict[str, dict[TCGType, OpDef]] = {}
    for d in OPS.values():
        if d.type is not None and d.name == f"{d.base}_{_FLOAT_SUFFIX[d.type]}":
            float_by_base.setdefault(d.base, {})[d.type] = d
    for base, variants in float_by_base.items():
        if not hasattr(TCGContext, base):
            setattr(TCGContext, base, _width_generic(base, variants))
    for opc in ("fcvt_f64_f32", "fcvt_f32_f64", "itof_f32", "itof_f64", "ftoi_f32", "ftoi_f64"):
        setattr(TCGContext, opc, lambda self, *args, _d=OPS[opc]: self.emit_def(_d, args))
    for opc in ("extrl_i64_i32", "extrh_i64_i32", "extu_i32_i64", "ext_i32_i64"):
        setattr(TCGContext, opc, lambda self, out, a, _d=OPS[opc]: self.emit_def(_d, (out, a)))


_install_builders()


class ContextTable:
    """The table of per-vCPU contexts: an array of references, claimed atomically."""

    def __init__(self, template: TCGContext, max_cpus: int) -> None:
        if max_cpus < 1:
            raise ValueError("max_cpus must be at least 1")
        template.freeze() if not template.frozen else None
        self.template = template
        self._slots: list[TCGContext | None] = [None] * max_cpus
        self._next = itertools.count()
        self._lock = threading.Lock()  # makes the take-next-index step atomic

    def claim(self) -> tuple[int, TCGContext]:
        """Take the next free slot and put a fresh clone of the template in it."""
        with self._lock:
            index = next(self._next)
        if index >= len(self._slots):
            raise RuntimeError(f"all {len(self._slots)} translation contexts are claimed")
        ctx = self.template.clone(f"cpu{index}")
        self._slots[index] = ctx
        return index, ctx

    @property
    def contexts(self) -> list[TCGContext]:
        return [c for c in self._slots if c is not None]
