"""Run on a ppc64le machine (an emulated one: see test_emulated_tlb_refill.py):
the slow path's second-level TLB probe. Second-level entries are filled through
the Python API (``TLBMirror.fill_range``), the first level left empty (or
holding another page), and guest loads and stores run natively:

* a second-level hit is served without calling ``slow_mem``: every size, sign
  and byte order reads and writes the page's RAM, the refill counter moves by
  one, the first-level entry holds the second level's words, and every value
  live across the access (all the allocatable registers) survives;
* a sweep over more pages than the first level holds refills exactly the
  first-level misses;
* a second-level miss (no entry, a page aliasing the slot, a write to a
  read-only page or a ``no_write`` one, an invalidated page, a page-crossing
  access, a misaligned one under MO_ALIGN) reaches ``slow_mem`` and leaves
  the first level alone.

Exit status 0 when everything matched.

    python native_tlb_refill.py
"""

from __future__ import annotations

import ctypes

from tcgkit.native import layout as L
from tcgkit.native.backend import SLOW_MEM, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, TLBMirror, libgcc_clear_cache
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.types import I32, I64, MemOp
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue

PAGE = 0x1234_5000  # its second-level slot has index bits above the first level's
GPAGE = PAGE >> 12
INDEX = GPAGE & (L.TLB_SIZE - 1)
NPAGES = 300  # more than the first level holds
KEEP = 23  # values live across the accesses: every allocatable register holds one
INVALID = L.INVALID_TAG
M64 = (1 << 64) - 1
FILL = 0x5151_5151_5151_5151  # what the slow path's loads read

flush = libgcc_clear_cache()
features = detect()
page = ExecPage(prologue(), flush)
buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
region = buffer.claim()
ram = (ctypes.c_ubyte * (NPAGES * 4096))()
ADDEND = (ctypes.addressof(ram) - PAGE) & M64
slow_calls: list[tuple[int, int, int]] = []  # (addr, value, memop)


def slow_mem(state: int, addr: int, value: int, memop: int, where: int) -> int:
    slow_calls.append((addr, value, memop))
    if not memop & L.STORE_FLAG:
        size = 1 << (memop & 3)
        ctypes.c_uint64.from_address(state + L.OFF_RET).value = FILL & ((1 << 8 * size) - 1)
    return 0


callback = SLOW_MEM(slow_mem)
rt = Runtime(ctypes.cast(callback, ctypes.c_void_p).value, 0, lambda opc, consts: 0, None)


def program(accesses: list[tuple[int, bool]], width: int = 64) -> int:
    """Code for the accesses (memop, store) at the address in global 0 with KEEP values
    live across them; globals: 0 the address, 1 the loaded / stored value, 2.. kept.
    Returns its address."""
    global region
    ctx = TCGContext(8 * (2 + KEEP))
    ty = I64 if width == 64 else I32
    addr = ctx.new_global(I64, 0, "addr")
    val = ctx.new_global(ty, 8, "val")
    keep = [ctx.new_global(I64, 16 + 8 * i, f"k{i}") for i in range(KEEP)]
    ctx.freeze()
    temps = [ctx.temp() for _ in keep]
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    for memop, store in accesses:
        ctx.emit(f"qemu_{'st' if store else 'ld'}_{ty.suffix}", val, addr, memop, 0)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    out = lower(allocate(ctx.ops, allocator()), 0, 0, rt, lambda op: 0, features)
    at = region.alloc(len(out.code))
    if at is None:
        buffer.reset()
        region = buffer.claim()
        at = region.alloc(len(out.code))
    region.write(at, out.code)
    flush(at, len(out.code))
    return at + out.nocheck


class Machine:
    """A fresh native block: an empty first level, the second level as filled."""

    def __init__(self) -> None:
        self.native = NativeCPU(2 + KEEP)
        self.tlb = TLBMirror(self.native)

    def run(self, code: int, addr: int, value: int = 0) -> int:
        s = self.native.state
        s[0], s[1] = addr, value
        for i in range(KEEP):
            s[2 + i] = 1000 * i
        slow_calls.clear()
        assert page.entry(self.native.state_addr, code) & 15 == EXIT_LOOKUP
        assert list(s)[2:] == [1000 * i + 2 for i in range(KEEP)], "a live register changed"
        return s[1]

    def entry(self, index: int) -> tuple[int, int, int]:
        t = self.native.tlb
        return t[4 * index], t[4 * index + 1], t[4 * index + 2]


def hits() -> int:
    n = 0
    for memop in range(16):  # size, sign, big-endian
        size = 1 << (memop & 3)
        order = "big" if memop & MemOp.MO_BE else "little"
        for width in (32, 64):
            if size * 8 > width:
                continue
            for store in (False, True):
                m = memop & ~MemOp.MO_SIGN if store else memop
                code = program([(m, store)], width)
                for off in (0, 0x123 & ~(size - 1), 4096 - size):
                    for stale in (False, True):
                        for i in range(2 * 4096):
                            ram[i] = (i * 37 + 11) & 0xFF
                        before = bytes(ram[: 2 * 4096])
                        mc = Machine()
                        mc.tlb.fill_range(GPAGE, 2, True, True, ADDEND, ())
                        if stale:  # another page of the same first-level index
                            mc.tlb.set(INDEX, PAGE + (1 << 40), PAGE + (1 << 40), 0x5000)
                        value = 0x8877665544332211 & ((1 << width) - 1)
                        got = mc.run(code, PAGE + off, value)
                        what = (memop, width, store, off, stale)
                        assert slow_calls == [], what
                        assert mc.native.word(L.OFF_REFILLS) == mc.tlb.refills() == 1, what
                        assert mc.entry(INDEX) == (PAGE, PAGE, ADDEND), what
                        after = bytes(ram[: 2 * 4096])
                        if store:
                            want = (value & ((1 << 8 * size) - 1)).to_bytes(size, order)
                            assert after == before[:off] + want + before[off + size :], what
                        else:
                            v = int.from_bytes(before[off : off + size], order,
                                               signed=bool(memop & MemOp.MO_SIGN))  # fmt: skip
                            assert got == v & ((1 << width) - 1), what
                            assert after == before, what
                        n += 1
    return n


def sweep() -> int:
    """Pages 0..NPAGES-1 twice, loading then storing each: the first pass refills every
    page, the second the pages the first level's wrap-around evicted."""
    ld = program([(MemOp.MO_LEUQ, False), (MemOp.MO_LEUQ, True)])
    mc = Machine()
    mc.tlb.fill_range(GPAGE, NPAGES, True, True, ADDEND, ())
    for p in range(NPAGES):
        ctypes.c_uint64.from_address(ctypes.addressof(ram) + p * 4096 + 8).value = p * 3
    for p in range(NPAGES):
        assert mc.run(ld, PAGE + p * 4096 + 8) == p * 3
        assert not slow_calls
    assert mc.tlb.refills() == NPAGES
    for p in range(NPAGES):
        mc.run(ld, PAGE + p * 4096 + 8)
        assert not slow_calls
    wrapped = NPAGES - L.TLB_SIZE
    assert mc.tlb.refills() == NPAGES + 2 * wrapped, mc.tlb.refills()
    return mc.tlb.refills()


def misses() -> int:
    n = 0
    alias = PAGE + (L.L2_SIZE << 12)  # the same second-level slot, another page
    cases = [
        ("empty", PAGE + 8, MemOp.MO_LEUQ, (False, True)),
        ("alias", alias + 8, MemOp.MO_LEUQ, (False, True)),
        ("read-only", PAGE + 8, MemOp.MO_LEUQ, (True,)),
        ("no-write", PAGE + 0x1008, MemOp.MO_LEUQ, (True,)),
        ("invalidated", PAGE + 0x2008, MemOp.MO_LEUL, (False, True)),
        ("crossing", PAGE + 4092, MemOp.MO_LEUQ, (False, True)),
        ("crossing", PAGE + 4095, MemOp.MO_BEUW, (False, True)),
        ("misaligned", PAGE + 4, MemOp.MO_LEUQ | MemOp.MO_ALIGN, (False, True)),
        ("misaligned", PAGE + 2, MemOp.MO_BEUL | MemOp.MO_ALIGN, (False, True)),
        ("misaligned", PAGE + 1, MemOp.MO_LEUW | MemOp.MO_ALIGN, (False, True)),
    ]
    for kind, addr, memop, stores in cases:
        for store in stores:
            mc = Machine()
            if kind == "read-only":
                mc.tlb.fill_range(GPAGE, 4, True, False, ADDEND, ())
            elif kind != "empty":
                mc.tlb.fill_range(GPAGE, 4, True, True, ADDEND, [GPAGE + 1])
            if kind == "invalidated":
                mc.tlb.invalidate_page(GPAGE + 2)
            got = mc.run(program([(memop, store)]), addr, 0x77)
            flag = L.STORE_FLAG if store else 0
            # (a load passes no value: its register holds whatever it held)
            calls = [(a, v if store else None, m) for a, v, m in slow_calls]
            assert calls == [(addr, 0x77 if store else None, memop | flag)], (kind, store)
            if not store:
                size = 1 << (memop & 3)
                assert got == FILL & ((1 << 8 * size) - 1), kind
            assert mc.tlb.refills() == 0, kind
            assert mc.entry(addr >> 12 & (L.TLB_SIZE - 1))[:2] == (INVALID, INVALID), kind
            n += 1
    # the cases' neighbours: loads of the read-only page and the no-write page, aligned
    # and in-page accesses, refill
    for addr, memop, writable in ((PAGE + 8, MemOp.MO_LEUQ, False),
                                  (PAGE + 0x1008, MemOp.MO_LEUQ, True),
                                  (PAGE + 8, MemOp.MO_LEUQ | MemOp.MO_ALIGN, True),
                                  (PAGE + 4088, MemOp.MO_LEUQ, True)):  # fmt: skip
        mc = Machine()
        mc.tlb.fill_range(GPAGE, 4, True, writable, ADDEND, [GPAGE + 1])
        mc.run(program([(memop, False)]), addr)
        assert (slow_calls, mc.tlb.refills()) == ([], 1), hex(addr)
        tag = addr & ~0xFFF
        wtag = tag if writable and addr >> 12 != GPAGE + 1 else INVALID
        assert mc.entry(addr >> 12 & (L.TLB_SIZE - 1)) == (tag, wtag, ADDEND), hex(addr)
        n += 1
    return n


if __name__ == "__main__":
    print("features", features.as_dict())
    print(f"{hits()} second-level hits served without the callback")
    print(f"sweep: {sweep()} refills")
    print(f"{misses()} second-level misses and neighbours matched")
    print("second-level refills matched")
