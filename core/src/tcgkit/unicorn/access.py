"""Registers by Unicorn id: ``reg_read``, ``reg_write`` and their batches.

Owns ``RegisterAccess``, the mixin ``Uc`` (on the live vCPU) and ``UcContext`` (on
a saved state) share, and ``RegisterTable``, a target's registers for one CPU model
laid out for those calls: the plain 64-bit registers (X, SP, PC, D...) as slot
numbers read straight from the state, everything else through its ``regs.Reg``.

Values follow Unicorn's Python bindings: registers up to 64 bits take any integer
(or bool, or object with ``__index__``) modulo 2^64, 128-bit ones an ``int`` modulo
2^128 (``TypeError`` otherwise, as their ctypes do); the coprocessor-register id
reads with a key tuple as ``aux`` and writes a key-and-value tuple.

An id the target does not serve reads as 0 and ignores writes, with a warning on
stderr, as Unicorn 2.1 does; so does a coprocessor register the target does not
serve (its read gives back the value ``aux`` carries, 0 without one), unwarned: the
target serves every one Unicorn gives a value other than 0. With
``UC_IGNORE_REG_BREAK`` set in the environment both are ``UcError(UC_ERR_ARG)``, as
in Unicorn (and in its 2.2).
"""

from __future__ import annotations

import operator
import os
import sys
from collections.abc import Mapping, MutableSequence, Sequence
from typing import Any

from .errors import UcError
from .regs import M64, Reg, Slot, UnicornTarget
from .unicorn_const import UC_ERR_ARG

M128 = (1 << 128) - 1


class RegisterTable:
    """A target's registers for one CPU model, ready for ``RegisterAccess``."""

    __slots__ = ("cp_fields", "cp_id", "cp_regs", "regs", "slots")

    def __init__(self, spec: UnicornTarget, cpu_model: int) -> None:
        self.regs: Mapping[int, Reg] = spec.registers(cpu_model)
        self.slots = {rid: r.slot for rid, r in self.regs.items() if type(r) is Slot}
        if spec.cp_reg is not None:
            self.cp_id, fields, cp_regs = spec.cp_reg
            self.cp_regs = cp_regs(cpu_model) if callable(cp_regs) else cp_regs
            self.cp_fields = len(fields)
        else:
            self.cp_id, self.cp_fields, self.cp_regs = None, 0, {}


class RegisterAccess:
    """``reg_read``/``reg_write`` by Unicorn id over ``_words`` and ``_shadow``."""

    _words: MutableSequence[int] | None
    _shadow: dict[str, int]
    _table: RegisterTable

    def _attach(self) -> MutableSequence[int]:
        """The state to act on, made ready if it is not yet (``Uc``: the emulator)."""
        raise NotImplementedError

    def reg_read(self, reg_id: int, aux: Any = None) -> Any:
        """The value of register ``reg_id`` (``aux``: the key of a coprocessor register)."""
        words = self._words
        if words is None:
            words = self._attach()
        table = self._table
        slot = table.slots.get(reg_id)
        if slot is not None:
            return words[slot]
        reg = table.regs.get(reg_id)
        if reg is None:
            if reg_id != table.cp_id or table.cp_id is None:
                _undefined(reg_id)
                return 0
            reg = _cp_reg(table, _cp_key(aux, table.cp_fields), reg_id)
            if reg is None:
                return _cp_value(aux, table.cp_fields)
        return reg.read(words, self._shadow)

    def reg_write(self, reg_id: int, value: Any) -> None:
        """Set register ``reg_id`` (a coprocessor register: ``(key..., value)``)."""
        words = self._words
        if words is None:
            words = self._attach()
        table = self._table
        slot = table.slots.get(reg_id)
        if slot is not None:
            words[slot] = operator.index(value) & M64
            return
        reg = table.regs.get(reg_id)
        if reg is None:
            if reg_id != table.cp_id or table.cp_id is None:
                _undefined(reg_id)
                return
            n = table.cp_fields
            if not isinstance(value, tuple):
                raise TypeError(f"got {type(value).__name__} while expecting a tuple")
            if len(value) != n + 1:
                raise TypeError(f"got {len(value)} elements while expecting {n + 1}")
            reg = _cp_reg(table, tuple(operator.index(v) for v in value[:n]), reg_id)
            if reg is None:
                return
            value = value[n]
        reg.write(words, self._shadow, _convert(reg, value))

    def reg_read_batch(self, reg_data: Sequence[int | tuple[int, Any]]) -> tuple[Any, ...]:
        """The values of several registers: ids, or (id, aux) pairs."""
        out = []
        for elem in reg_data:
            reg_id, aux = elem if isinstance(elem, tuple) else (elem, None)
            try:
                out.append(self.reg_read(reg_id, aux))
            except UcError as e:
                raise UcError(e.errno) from None
        return tuple(out)

    def reg_write_batch(self, reg_data: Sequence[tuple[int, Any]]) -> None:
        """Set several registers: (id, value) pairs, in order."""
        for reg_id, value in reg_data:
            try:
                self.reg_write(reg_id, value)
            except UcError as e:
                raise UcError(e.errno) from None


def _undefined(reg_id: int) -> None:
    """An access to a register id Unicorn does not define: UC_ERR_ARG with
    ``UC_IGNORE_REG_BREAK`` set, else its warning (the access does nothing)."""
    if os.environ.get("UC_IGNORE_REG_BREAK"):
        raise UcError(UC_ERR_ARG, reg_id)
    print(
        f"WARNING: Your register accessing on id {reg_id} is deprecated and will get "
        "UC_ERR_ARG in the future release (2.2.0) because the accessing is either no-op "
        "or not defined. Set UC_IGNORE_REG_BREAK=1 to ignore this warning.",
        file=sys.stderr,
    )


def _cp_reg(table: RegisterTable, key: tuple[int, ...], reg_id: int) -> Reg | None:
    """The coprocessor register of ``key``; None for one the target does not serve
    (``UC_IGNORE_REG_BREAK`` set: UC_ERR_ARG)."""
    reg = table.cp_regs.get(key)
    if reg is None and os.environ.get("UC_IGNORE_REG_BREAK"):
        raise UcError(UC_ERR_ARG, reg_id)
    return reg


def _cp_value(aux: Any, n: int) -> int:
    """What a read of a coprocessor register not served gives: the value field of
    the bindings' structure, the element of ``aux`` after the key (else 0)."""
    if isinstance(aux, tuple) and len(aux) > n:
        return operator.index(aux[n]) & M64
    return 0


def _cp_key(aux: Any, n: int) -> tuple[int, ...]:
    """A coprocessor register's key from ``reg_read``'s ``aux`` (as the bindings build
    their ctypes structure: missing fields are 0, a value after the key is ignored)."""
    if aux is None:
        fields: tuple[Any, ...] = ()
    elif isinstance(aux, tuple):
        if len(aux) > n + 1:
            raise TypeError("too many initializers")
        fields = aux[:n]
    else:
        fields = (aux,)
    return tuple(operator.index(v) for v in fields) + (0,) * (n - len(fields))


def _convert(reg: Reg, value: Any) -> int:
    if reg.bits > 64:
        if not isinstance(value, int):
            raise TypeError(f"got {type(value).__name__} while expecting an integer")
        return value & ((1 << reg.bits) - 1)
    return operator.index(value) & M64


_tables: dict[tuple[int, int], RegisterTable] = {}


def table_for(spec: UnicornTarget, cpu_model: int) -> RegisterTable:
    """The register table of a target for a CPU model (made once)."""
    key = (id(spec), cpu_model)
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = RegisterTable(spec, cpu_model)
    return table


__all__ = ["RegisterAccess", "RegisterTable", "table_for"]
