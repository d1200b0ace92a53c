"""``atomic_fetch_i64`` lowered to x86-64 and run natively: every ``AtomicOp`` at
every size on the TLB fast path (``xchg``, ``lock xadd``, a ``lock cmpxchg`` loop),
the value read zero-extended into the output, memory around the access untouched,
values live in registers across the access kept; a misaligned address leaves the
fast path (no CPU behind this state: the slow path reports an error)."""

from __future__ import annotations

import ctypes

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.types import I64, AtomicOp
from tcgkit_host_x86 import abi

PAGE = 0x7000
INDEX = (PAGE >> 12) & (abi.TLB_SIZE - 1)
U64 = st.integers(0, (1 << 64) - 1)


def program(log2: int, aop: int) -> TCGContext:
    ctx = TCGContext(64)
    addr, value, out = (ctx.new_global(I64, 8 * i, n) for i, n in enumerate(("a", "v", "o")))
    keep = [ctx.new_global(I64, 24 + 8 * i, f"k{i}") for i in range(5)]
    ctx.freeze()
    temps = [ctx.temp() for _ in keep]  # live in registers across the access
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    ctx.emit("atomic_fetch_i64", out, addr, value, log2, 0, aop)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


@settings(max_examples=200, deadline=None)
@given(log2=st.integers(0, 3), aop=st.sampled_from(list(AtomicOp)), slot=st.integers(0, 511),
       old=U64, value=U64)  # fmt: skip
def test_every_operation_and_size(runner, log2: int, aop: AtomicOp, slot: int, old: int,
                                  value: int) -> None:  # fmt: skip
    n = 1 << log2
    off = slot * 8
    raw = bytearray((i * 7 + 3) & 0xFF for i in range(0x1000))
    raw[off : off + n] = (old & ((1 << 8 * n) - 1)).to_bytes(n, "little")
    before = bytes(raw)
    ram = (ctypes.c_ubyte * 0x1000).from_buffer(raw)
    tlb = ((INDEX, PAGE, PAGE, ctypes.addressof(ram) - PAGE),)
    state = [PAGE + off, value, 0xDEAD, 10, 20, 30, 40, 50]
    assert runner.run(program(log2, aop).ops, state, tlb) == EXIT_LOOKUP
    want_old = old & ((1 << 8 * n) - 1)
    assert state[2] == want_old
    assert state[:2] == [PAGE + off, value]
    assert state[3:] == [12, 22, 32, 42, 52]
    after = bytes(ram)
    assert after[off : off + n] == atomic_update(aop, old, value, 8 * n).to_bytes(n, "little")
    assert after[:off] == before[:off] and after[off + n :] == before[off + n :]


def test_misaligned_leaves_the_fast_path(runner) -> None:
    raw = bytearray(0x1000)
    ram = (ctypes.c_ubyte * 0x1000).from_buffer(raw)
    tlb = ((INDEX, PAGE, PAGE, ctypes.addressof(ram) - PAGE),)
    for addr, fast in ((PAGE + 8, True), (PAGE + 4, False), (PAGE + 1, False)):
        state = [addr, 1, 0, 0, 0, 0, 0, 0]
        exit_code = runner.run(program(3, AtomicOp.ADD).ops, state, tlb)
        assert (exit_code == EXIT_LOOKUP) == fast, hex(addr)
        assert raw[8] == 1  # only the aligned access added
