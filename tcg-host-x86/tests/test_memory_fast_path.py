"""The inline TLB fast path: loads and stores of every size, sign and byte
order hit RAM through the entry's addend (movbe or bswap, by feature set),
and an access whose page has no valid tag, or that crosses into the next
page, or that is misaligned under MO_ALIGN, leaves the fast path."""

from __future__ import annotations

import ctypes
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I32, I64, MemOp
from tcgkit_host_x86 import abi

PAGE = 0x7000  # guest page address the TLB maps
INDEX = (PAGE >> 12) & (abi.TLB_SIZE - 1)


def program(memop: int, width: int, store: bool) -> TCGContext:
    ctx = TCGContext(64)
    ty = I64 if width == 64 else I32
    addr = ctx.new_global(I64, 0, "addr")
    val = ctx.new_global(ty, 8, "val")
    ctx.freeze()
    ctx.emit(f"qemu_st_{ty.suffix}" if store else f"qemu_ld_{ty.suffix}", val, addr, memop, 0)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def expected_load(data: bytes, off: int, memop: int, width: int) -> int:
    size = 1 << (memop & 3)
    v = int.from_bytes(data[off : off + size], "big" if memop & MemOp.MO_BE else "little",
                       signed=bool(memop & MemOp.MO_SIGN))  # fmt: skip
    return v & ((1 << width) - 1)


def _memop(size: int, sign: bool, be: bool) -> int:
    return size | (MemOp.MO_SIGN if sign else 0) | (MemOp.MO_BE if be else 0)


memops = st.builds(_memop, st.integers(0, 3), st.booleans(), st.booleans())


@settings(max_examples=120, deadline=None)
@given(memop=memops, off=st.integers(0, 4088), width=st.sampled_from([32, 64]),
       value=st.integers(0, (1 << 64) - 1))  # fmt: skip
def test_fast_path_loads_and_stores(runner, memop: int, off: int, width: int, value: int) -> None:
    size = 1 << (memop & 3)
    if size * 8 > width:
        return
    ram = (ctypes.c_ubyte * 4096).from_buffer(bytearray(bytes(range(256)) * 16))
    base = ctypes.addressof(ram)
    tlb = ((INDEX, PAGE, PAGE, base - PAGE),)
    before = bytes(ram)
    state = [PAGE + off, 0xDEAD, 0, 0, 0, 0, 0, 0]
    assert runner.run(program(memop, width, False).ops, state, tlb) == EXIT_LOOKUP
    assert state[1] == expected_load(before, off, memop, width)
    state = [PAGE + off, value & ((1 << width) - 1), 0, 0, 0, 0, 0, 0]
    st_memop = memop & ~MemOp.MO_SIGN
    assert runner.run(program(st_memop, width, True).ops, state, tlb) == EXIT_LOOKUP
    order = "big" if memop & MemOp.MO_BE else "little"
    want = bytearray(before)
    want[off : off + size] = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
    assert bytes(ram) == bytes(want)


def test_misses_leave_the_fast_path(runner) -> None:
    """With no callback behind it the slow path reports a raised status: what
    matters here is which accesses take it."""
    ram = (ctypes.c_ubyte * 8192)()
    base = ctypes.addressof(ram)
    tlb = ((INDEX, PAGE, PAGE, base - PAGE),)
    cases = [
        (PAGE + 8, MemOp.MO_LEUQ, EXIT_LOOKUP),  # hit
        (PAGE + 4092, MemOp.MO_LEUQ, abi.EXIT_HELPER_RAISED),  # crosses into the next page
        (PAGE + 4, MemOp.MO_LEUQ | MemOp.MO_ALIGN, abi.EXIT_HELPER_RAISED),  # misaligned
        (PAGE + 8, MemOp.MO_LEUQ | MemOp.MO_ALIGN, EXIT_LOOKUP),
        (PAGE + 0x1000, MemOp.MO_UB, abi.EXIT_HELPER_RAISED),  # another page, no entry
    ]
    for addr, memop, want in cases:
        state = [addr, 0, 0, 0, 0, 0, 0, 0]
        assert runner.run(program(memop, 64, False).ops, state, tlb) == want, (hex(addr), memop)
    struct.pack_into("<Q", ram, 8, 0x1122334455667788)
    state = [PAGE + 8, 0, 0, 0, 0, 0, 0, 0]
    runner.run(program(MemOp.MO_BEUQ, 64, False).ops, state, tlb)
    assert state[1] == 0x8877665544332211
