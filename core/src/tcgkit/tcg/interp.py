"""A reference interpreter of the IR, for differential tests and tools.

Owns nothing the engine runs: it executes one TB's ops directly, slowly and
obviously, on a CPU state (a list of 8-byte slots) and a guest memory given
as a ``bytearray``-like object plus a base address (``qemu_ld``/``qemu_st`` and the
16-byte ``atomic_cmpxchg2``). Passes are tested by
interpreting ops before and after them; host backends by comparing their
generated code with this. Helper calls go to the helper's Python function
with ``cpu=None``. Float ops OR their IEEE flags (``fpflags``) into the state word
at ``fp_flags_offset`` when one is given. Returns the exit value.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

from .fpflags import RAISING, op_flags
from .ir import Op, Temp, TempKind
from .ops import EXIT_LOOKUP
from .semantics import cmpxchg2, cond_holds, evaluate_op, sx
from .types import MemOp

_ENV = {"ld8u": (1, False), "ld8s": (1, True), "ld16u": (2, False), "ld16s": (2, True),
        "ld32u": (4, False), "ld32s": (4, True), "st8": (1, False), "st16": (2, False),
        "st32": (4, False)}  # fmt: skip


def interpret(ops: list[Op], state: MutableSequence[int], memory: Any = None,
              mem_base: int = 0, max_steps: int = 1_000_000,
              fp_flags_offset: int | None = None) -> int:  # fmt: skip
    """Run ``ops``; return the exit value (goto_tb slot, or EXIT_LOOKUP)."""
    temps: dict[int, int] = {}

    def get(t: Temp) -> int:
        if t.kind is TempKind.CONST:
            return t.value
        if t.kind is TempKind.GLOBAL:
            return state[t.offset >> 3] & t.type.mask
        return temps[id(t)]

    def put(t: Temp, v: int) -> None:
        v &= t.type.mask
        if t.kind is TempKind.GLOBAL:
            state[t.offset >> 3] = v
        else:
            temps[id(t)] = v

    labels = {id(op.consts[0]): i for i, op in enumerate(ops) if op.opc == "set_label"}
    i = 0
    steps = 0
    while i < len(ops):
        steps += 1
        if steps > max_steps:
            raise RuntimeError("interpreter step limit reached")
        op = ops[i]
        i += 1
        d = op.defn
        opc = op.opc
        if opc in ("insn_start", "set_label", "goto_tb", "mb"):
            continue
        if opc == "exit_tb":
            return op.consts[0]
        if opc == "goto_ptr":
            return EXIT_LOOKUP
        if opc == "br":
            i = labels[id(op.consts[0])]
            continue
        ins = [get(t) for t in op.ins]
        if opc == "call":
            result = op.consts[0].func(None, *ins)
            if op.n_out:
                put(op.outs[0], result)
            continue
        w = d.type.value if d.type is not None else 64
        base = d.base
        if base == "brcond":
            if cond_holds(op.consts[0], ins[0], ins[1], w):
                i = labels[id(op.consts[1])]
            continue
        if base.startswith(("ld", "st")) and not base.startswith("qemu"):
            size, signed = _ENV.get(base, (w // 8, False))
            off = op.consts[0]
            slot, sub = divmod(off, 8)
            if base.startswith("ld"):
                v = (state[slot] >> (8 * sub)) & ((1 << (8 * size)) - 1)
                put(op.outs[0], sx(v, 8 * size) if signed else v)
            else:
                mask = ((1 << (8 * size)) - 1) << (8 * sub)
                state[slot] = (state[slot] & ~mask) | ((ins[0] << (8 * sub)) & mask)
            continue
        if base in ("qemu_ld", "qemu_st"):
            memop = op.consts[0]
            size = 1 << (memop & MemOp.MO_SIZE)
            order = "big" if memop & MemOp.MO_BE else "little"
            addr = ins[-1] - mem_base
            if base == "qemu_ld":
                v = int.from_bytes(memory[addr : addr + size], order,
                                   signed=bool(memop & MemOp.MO_SIGN))  # fmt: skip
                put(op.outs[0], v)
            else:
                memory[addr : addr + size] = (ins[0] & ((1 << 8 * size) - 1)).to_bytes(size, order)
            continue
        if base == "atomic_cmpxchg2":  # one thread: the read and the write in turn
            at = ins[0] - mem_base
            old = (int.from_bytes(memory[at : at + 8], "little"),
                   int.from_bytes(memory[at + 8 : at + 16], "little"))  # fmt: skip
            lo, hi = cmpxchg2(old, (ins[1], ins[2]), (ins[3], ins[4]))
            memory[at : at + 16] = lo.to_bytes(8, "little") + hi.to_bytes(8, "little")
            put(op.outs[0], old[0])
            put(op.outs[1], old[1])
            continue
        outs = evaluate_op(op.opc, base, w, tuple(ins), tuple(op.consts))
        if fp_flags_offset is not None and opc in RAISING:
            state[fp_flags_offset >> 3] |= op_flags(opc, ins, tuple(op.consts))
        for t, v in zip(op.outs, outs, strict=True):
            put(t, v)
    return EXIT_LOOKUP
