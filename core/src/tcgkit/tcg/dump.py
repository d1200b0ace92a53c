"""Textual form of the IR, for ``-d op`` / ``-d op_opt`` logging and tests.

Owns formatting only. The format follows QEMU's op dump: one op per line,
outputs then inputs then constants, comma separated; ``insn_start`` lines
start each guest instruction; helper calls are spelled ``call name``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .ir import Label, Op
from .types import Cond, memop_str


def _const(name: str, value: Any) -> str:
    if name == "cond":
        return Cond(value).name.lower()
    if name == "memop":
        return memop_str(value)
    if isinstance(value, Label):
        return repr(value)
    if isinstance(value, int):
        return f"{value:#x}" if name in ("pc", "value", "offset") else str(value)
    return repr(value)


def format_op(op: Op) -> str:
    if op.opc == "insn_start":
        pc, data = op.consts
        return f" ---- {pc:#018x} {data:#x}"
    if op.opc == "set_label":
        return f"{op.consts[0]!r}:"
    if op.opc == "call":
        helper = op.consts[0]
        args = [repr(a) for a in op.outs + op.ins]
        return f" call {helper.name},{','.join(args)}".rstrip(",")
    parts = [repr(a) for a in op.outs + op.ins]
    parts += [_const(n, v) for n, v in zip(op.defn.consts, op.consts, strict=True)]
    return f" {op.opc} {','.join(parts)}".rstrip()


def format_ops(ops: Iterable[Op]) -> str:
    """The dump of a TB's ops, one per line."""
    return "\n".join(format_op(op) for op in ops)
