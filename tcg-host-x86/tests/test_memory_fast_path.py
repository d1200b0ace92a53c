"""Guest loads and stores on the x86-64 host.

The inline TLB fast path: loads and stores of every size, sign and byte order
hit RAM through the entry's addend (movbe or bswap, by feature set), and an
access whose page has no valid tag, or that crosses into the next page, or that
is misaligned under MO_ALIGN, leaves the fast path.

The slow path every TB's accesses share (``tcgkit_host_x86.slow_path``): its
routines are real x86-64 code (capstone), the stubs of a TB call them, a
first-level miss that the second level holds is refilled there and the access
done with the refilled entry (every size, sign, byte order and alignment, as
the inline probe keys them), and a miss of both levels goes to Python."""

from __future__ import annotations

import ctypes
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I32, I64, MemOp
from tcgkit_host_x86 import abi
from tcgkit_host_x86.slow_path import MEMOP_SHIFT, routines

PAGE = 0x7000  # guest page address the TLB maps
INDEX = (PAGE >> 12) & (abi.TLB_SIZE - 1)
L2_INDEX = (PAGE >> 12) & (abi.L2_SIZE - 1)


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


def _ram(pages: int) -> tuple[ctypes.Array[ctypes.c_ubyte], int]:
    """``pages`` pages of host memory holding 0..255 repeated, and their address."""
    ram = (ctypes.c_ubyte * (4096 * pages)).from_buffer(bytearray(bytes(range(256)) * 16 * pages))
    return ram, ctypes.addressof(ram)


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
    ram, base = _ram(1)
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


def _refills(runner) -> int:
    return runner.native.word(abi.OFF_REFILLS)


def test_the_routines_disassemble():
    capstone = pytest.importorskip("capstone")
    r = routines(0x1122334455667788, 0x1122334455667788)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    for start, end, pops in ((r.load, r.store, 8), (r.store, len(r.code), 16)):
        body = r.code[start:end]
        insns = list(md.disasm(body, 0x1000 + start))
        assert sum(i.size for i in insns) == len(body), "every byte decodes"
        while insns[-1].mnemonic == "nop":  # the padding that aligns `store`
            insns.pop()
        rets = [i for i in insns if i.mnemonic == "ret"]
        assert [int(i.op_str, 0) for i in rets] == [pops] * 2  # the refill's and the call's
        assert insns[-1].mnemonic == "ret"
        assert any(i.mnemonic == "movabs" and "0x1122334455667788" in i.op_str for i in insns)


def test_a_tbs_accesses_call_the_shared_routines(runner):
    """Each stub: the operands pushed, r11 = memop << 48 | where, a call of the
    routine, then the status tests (no copy of the slow path in the TB)."""
    capstone = pytest.importorskip("capstone")
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    for store, routine in ((False, runner.rt.mem_load), (True, runner.rt.mem_store)):
        assert routine
        memop = MemOp.MO_LEUL
        code = runner.code(program(memop, 64, store).ops)
        text = [(i.mnemonic, i.op_str) for i in md.disasm(code, 0)]
        assert ("movabs", f"r10, {routine:#x}") in text
        assert ("call", "r10") in text
        flag = abi.STORE_FLAG if store else 0
        assert ("movabs", f"r11, {(memop | flag) << MEMOP_SHIFT:#x}") in text  # TB 0, insn 0
        assert not any(m == "push" and o == "rax" for m, o in text), "no inline refill"


def _memop_aligned(size: int, sign: bool, be: bool, align: bool) -> int:
    return (size | (MemOp.MO_SIGN if sign else 0) | (MemOp.MO_BE if be else 0)
            | (MemOp.MO_ALIGN if align else 0))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(memop=st.builds(_memop_aligned, st.integers(0, 3), st.booleans(), st.booleans(),
                      st.booleans()),
       off=st.integers(0, 4095), width=st.sampled_from([32, 64]),
       value=st.integers(0, (1 << 64) - 1))  # fmt: skip
def test_second_level_refills_and_misses(runner, memop: int, off: int, width: int,
                                         value: int) -> None:  # fmt: skip
    """The first level empty, the second holding the page: an access within the page
    (and aligned, under MO_ALIGN) is refilled and done natively, counted once; one
    that crosses into the next page or is misaligned goes to Python (no vCPU here:
    it reports a raised status), as the inline probe's key says."""
    size = 1 << (memop & 3)
    if size * 8 > width:
        return
    ram, base = _ram(2)
    l2 = ((L2_INDEX, PAGE, PAGE, base - PAGE),)
    crosses = off + size > 4096
    misaligned = bool(memop & MemOp.MO_ALIGN) and off % size != 0
    refilled = not crosses and not misaligned
    want = EXIT_LOOKUP if refilled else abi.EXIT_HELPER_RAISED
    before = bytes(ram)
    state = [PAGE + off, 0xDEAD, 0, 0, 0, 0, 0, 0]
    assert runner.run(program(memop, width, False).ops, state, (), l2) == want
    assert _refills(runner) == int(refilled)
    if refilled:
        assert state[1] == expected_load(before, off, memop, width)
        t = runner.native.tlb
        assert (t[INDEX * 4], t[INDEX * 4 + 1], t[INDEX * 4 + 2]) == (PAGE, PAGE, base - PAGE)
    st_memop = memop & ~MemOp.MO_SIGN
    state = [PAGE + off, value & ((1 << width) - 1), 0, 0, 0, 0, 0, 0]
    assert runner.run(program(st_memop, width, True).ops, state, (), l2) == want
    expect = bytearray(before)
    if refilled:
        order = "big" if memop & MemOp.MO_BE else "little"
        expect[off : off + size] = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
    assert bytes(ram) == bytes(expect)
