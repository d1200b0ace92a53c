"""IR values and instructions: temps, labels, ops, helpers.

Owns the in-memory form of one translation block's IR. A ``Temp`` is a
value of type i32 or i64 of one of four kinds:

* CONST  - a constant, shared within a TB (``TCGContext.const``);
* GLOBAL - backed by a slot of the CPU state, defined once on the template
  context by the target (guest registers, flags, pc);
* TB     - a temporary that lives across the whole TB, labels included;
* BB     - a temporary whose value dies at the end of its basic block.

An ``Op`` is an opcode name (see ``ops``) and its arguments, outputs first,
then inputs, then constants. Helper calls carry their own operand counts.

Invariant: ``Temp``, ``Label`` and ``Op`` never take part in a reference cycle
(nothing they reference refers back to an op, a temp or a label). Compiled, they
are ``acyclic``: the cyclic collector neither tracks nor visits them, which a TB
cache of tens of thousands of ops (the IR tier-0 TBs keep) would otherwise make
it do at every collection. A helper (the one thing an op refers to that holds a
function) must be a module-level function or one whose closure does not reach
the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from .._mypyc import mypyc_attr
from .ops import OpDef, opdef
from .types import CallFlags, TCGType


class TempKind(IntEnum):
    CONST = 0
    GLOBAL = 1
    TB = 2
    BB = 3


@mypyc_attr(acyclic=True)
class Temp:
    """One IR value (see the module docstring). A plain slotted class rather than a
    dataclass: compiled by mypyc, a dataclass keeps an interpreted ``__init__``, and
    every temp and constant of every TB builds one."""

    __slots__ = ("index", "kind", "name", "offset", "type", "value")

    def __init__(self, type: TCGType, kind: TempKind, index: int, name: str = "",
                 offset: int = -1, value: int = 0) -> None:  # fmt: skip
        self.type = type
        self.kind = kind
        self.index = index
        self.name = name
        self.offset = offset  # GLOBAL: byte offset in the CPU state (8-byte aligned slot)
        self.value = value  # CONST: the value, already masked to the width

    @property
    def is_const(self) -> bool:
        return self.kind is TempKind.CONST

    @property
    def is_global(self) -> bool:
        return self.kind is TempKind.GLOBAL

    def __repr__(self) -> str:
        if self.kind is TempKind.CONST:
            return f"${self.value:#x}"
        if self.kind is TempKind.GLOBAL:
            return self.name
        return f"{'tmp' if self.kind is TempKind.TB else 'bb'}{self.index}"


@mypyc_attr(acyclic=True)
class Label:
    """A branch target within the TB; ``refs`` counts the branches to it."""

    __slots__ = ("index", "placed", "refs")

    def __init__(self, index: int, refs: int = 0, placed: bool = False) -> None:
        self.index = index
        self.refs = refs
        self.placed = placed

    def __repr__(self) -> str:
        return f"$L{self.index}"


class Helper:
    """A Python function generated code may call on a rare path.

    ``func(cpu, *args)`` receives the vCPU and the integer inputs; it returns
    an int when ``n_out`` is 1. It may raise a guest exception (a
    ``tcgkit.errors.GuestExit`` subclass), which ends the TB at the calling
    instruction. ``flags`` tell the passes what it touches; ``bits`` is the same as
    a plain int, which the compiled passes test without the enum's Python-level
    ``&``. (A plain class, not a dataclass: a dataclass costs ~0.5 ms of every
    process's start-up.)
    """

    __slots__ = ("bits", "flags", "func", "in_types", "name", "out_type")

    def __init__(
        self,
        name: str,
        func: Callable[..., Any],
        flags: CallFlags = CallFlags.NONE,
        out_type: TCGType | None = None,
        in_types: tuple[TCGType, ...] = (),
    ) -> None:
        self.name = name
        self.func = func
        self.flags = flags
        self.bits = int(flags)
        self.out_type = out_type
        self.in_types = in_types

    @property
    def n_out(self) -> int:
        return 0 if self.out_type is None else 1

    def __repr__(self) -> str:
        return self.name


@mypyc_attr(acyclic=True)
class Op:
    """One IR instruction: ``opc``, its arguments (outputs, inputs, constants),
    and what liveness found. A plain slotted class (not a dataclass): every
    emitted op builds one, and keyword-argument construction showed in profiles.

    ``args`` is a tuple: a pass that changes an operand gives the op a new tuple
    (``replace_arg``). A tuple of temps and constants is one object the collector
    does not track; a list would be one more tracked object per op."""

    __slots__ = ("args", "defn", "life", "n_in", "n_out", "opc", "sync")

    def __init__(self, opc: str, args: tuple[Any, ...], n_out: int, n_in: int,
                 life: int = 0, sync: int = 0, defn: OpDef | None = None) -> None:  # fmt: skip
        self.opc = opc
        self.args = args
        self.n_out = n_out
        self.n_in = n_in
        self.life = life  # liveness result: bit i set = input i dies here (liveness pass)
        self.sync = sync  # liveness result: bit i set = output i (a global) must be synced
        self.defn: OpDef = defn if defn is not None else opdef(opc)

    @classmethod
    def make(cls, opc: str, args: tuple[Any, ...] | list[Any], n_out: int | None = None,
             n_in: int | None = None) -> Op:  # fmt: skip
        d = opdef(opc)
        return cls(opc, tuple(args), d.n_out if n_out is None else n_out,
                   d.n_in if n_in is None else n_in, defn=d)  # fmt: skip

    def replace_arg(self, i: int, value: Any) -> None:
        """Argument ``i`` becomes ``value``."""
        args = self.args
        self.args = (*args[:i], value, *args[i + 1 :])

    @property
    def outs(self) -> tuple[Temp, ...]:
        return self.args[: self.n_out]

    @property
    def ins(self) -> tuple[Temp, ...]:
        return self.args[self.n_out : self.n_out + self.n_in]

    @property
    def consts(self) -> tuple[Any, ...]:
        return self.args[self.n_out + self.n_in :]

    @property
    def flags(self) -> int:
        return self.defn.flags

    def __repr__(self) -> str:
        from .dump import format_op

        return format_op(self)
