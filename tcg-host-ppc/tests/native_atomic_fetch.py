"""Run on a ppc64le machine (an emulated one: see test_emulated_atomic_fetch.py):
``atomic_fetch_i64`` lowered to Power (an l?arx / compute / st?cx. / bne- loop
between syncs after the TLB probe) and executed natively, every ``AtomicOp`` at
every size:

* the fast path (the first level holds the page): old / operand pairs with the
  sign boundaries of the size (0x7f / 0x80 for bytes ...) and random ones, the
  operand with garbage above the access size; memory gets ``atomic_update``,
  the bytes around it do not change, the output is the old value zero-extended
  and every value live across the access (all the allocatable registers hold
  one) survives;
* a second-level hit: refilled without the callback, then the same access;
* the slow path (no TLB entry, or a misaligned address): ``slow_cmpxchg`` gets
  the address, the operand as ``new`` and ``memop | (aop + 1) << FETCH_SHIFT``;
  this script's callback performs ``atomic_update`` and its old value lands in
  the output; a failing callback exits with EXIT_HELPER_RAISED;
* two threads (each its own native block, both TLBs on the same RAM) adding in
  a loop to a shared doubleword, to a shared halfword beside it and each to its
  own byte of one word end with the exact sums and leave the other bytes alone.

Exit status 0 when everything matched.

    python native_atomic_fetch.py
"""

from __future__ import annotations

import ctypes
import random
import threading

from tcgkit.exec.atomic import FETCH_SHIFT
from tcgkit.native import layout as L
from tcgkit.native.backend import SLOW_CMPXCHG, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, TLBMirror, libgcc_clear_cache
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.types import I64, AtomicOp, Cond, MemOp
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue

PAGE = 0x4567_8000  # the guest page
GPAGE = PAGE >> 12
INDEX = GPAGE & (L.TLB_SIZE - 1)
KEEP = 22  # values live across the access: with the three globals, every register
M64 = (1 << 64) - 1
TB = 3  # the TB id: slow_cmpxchg's ``where`` is TB << 16 (the first instruction)

flush = libgcc_clear_cache()
features = detect()
page = ExecPage(prologue(), flush)
buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
region = buffer.claim()
ram = (ctypes.c_ubyte * 4096)()
ADDEND = (ctypes.addressof(ram) - PAGE) & M64
calls: list[tuple[int, int, int, int]] = []  # (addr, new, memop, where)
fail = [False]


def slow_cmpxchg(state: int, addr: int, expected: int, new: int, memop: int, where: int) -> int:
    """What the core's slow path does for a fetch (``fetch_op``), on ``ram``."""
    calls.append((addr, new, memop, where))
    if fail[0]:
        return 1
    log2, aop = memop & 3, (memop >> FETCH_SHIFT) - 1
    assert aop >= 0, "the fetch flag is missing"
    n = 1 << log2
    off = addr - PAGE
    old = int.from_bytes(bytes(ram[off : off + n]), "little")
    ram[off : off + n] = list(atomic_update(aop, old, new, 8 * n).to_bytes(n, "little"))
    ctypes.c_uint64.from_address(state + L.OFF_RET).value = old
    return 0


callback = SLOW_CMPXCHG(slow_cmpxchg)
rt = Runtime(0, 0, lambda opc, consts: 0, None, ctypes.cast(callback, ctypes.c_void_p).value)


def place(ctx: TCGContext) -> int:
    global region
    out = lower(allocate(ctx.ops, allocator()), TB, 0, rt, lambda op: 0, features)
    at = region.alloc(len(out.code))
    if at is None:
        buffer.reset()
        region = buffer.claim()
        at = region.alloc(len(out.code))
    region.write(at, out.code)
    flush(at, len(out.code))
    return at + out.nocheck


def program(log2: int, aop: int) -> int:
    """out (global 2) <- atomic_fetch of the address in global 0 with the value in
    global 1, KEEP values live across it (globals 3..)."""
    ctx = TCGContext(8 * (3 + KEEP))
    addr, value, out = (ctx.new_global(I64, 8 * i, n) for i, n in enumerate(("a", "v", "o")))
    keep = [ctx.new_global(I64, 24 + 8 * i, f"k{i}") for i in range(KEEP)]
    ctx.freeze()
    temps = [ctx.temp() for _ in keep]
    for t, k in zip(temps, keep, strict=True):
        ctx.add(t, k, 1)
    ctx.emit("atomic_fetch_i64", out, addr, value, log2, 0, aop)
    for t, k in zip(temps, keep, strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return place(ctx)


CODE = {(n, aop): program(n, aop) for n in range(4) for aop in AtomicOp}


class Machine:
    """A fresh native block: an empty TLB (first and second level)."""

    def __init__(self) -> None:
        self.native = NativeCPU(3 + KEEP)
        self.tlb = TLBMirror(self.native)

    def run(self, code: int, addr: int, value: int, exit_code: int = EXIT_LOOKUP) -> int:
        s = self.native.state
        s[0], s[1], s[2] = addr, value, 0xDEAD
        for i in range(KEEP):
            s[3 + i] = 1000 * i
        calls.clear()
        assert page.entry(self.native.state_addr, code) & 15 == exit_code
        if exit_code == EXIT_LOOKUP:
            assert list(s)[3:] == [1000 * i + 2 for i in range(KEEP)], "a live value changed"
        assert (s[0], s[1]) == (addr, value), "an input changed"
        return s[2]


def pairs(bits: int, rng: random.Random) -> list[tuple[int, int]]:
    """(old, operand): the size's edges against each other, then random ones; the
    operand carries garbage above the access size."""
    m = (1 << bits) - 1
    half = 1 << (bits - 1)
    edges = [0, 1, half - 1, half, half + 1, m - 1, m]
    out = [(a, b) for a in edges for b in edges]
    out += [(rng.getrandbits(bits), rng.getrandbits(bits)) for _ in range(16)]
    return [(a, b | rng.getrandbits(64) & ~m & M64) for a, b in out]


def access(mc: Machine, log2: int, aop: int, off: int, old: int, value: int,
           fast: bool) -> None:  # fmt: skip
    """One fetch at ``off`` of the page holding ``old``: memory, output, callback."""
    n = 1 << log2
    m = (1 << 8 * n) - 1
    for i in range(4096):
        ram[i] = (i * 37 + 11) & 0xFF
    ram[off : off + n] = list((old & m).to_bytes(n, "little"))
    before = bytes(ram)
    got = mc.run(CODE[(log2, aop)], PAGE + off, value)
    what = (log2, AtomicOp(aop).name, hex(off), hex(old), hex(value), fast)
    assert got == old & m, (what, hex(got))
    want = atomic_update(aop, old, value, 8 * n).to_bytes(n, "little")
    assert bytes(ram) == before[:off] + want + before[off + n :], what
    memop = log2 | MemOp.MO_ALIGN | (aop + 1) << FETCH_SHIFT
    assert calls == ([] if fast else [(PAGE + off, value, memop, TB << 16)]), (what, calls)


def fast_path() -> int:
    rng = random.Random(1)
    mc = Machine()
    mc.tlb.set(INDEX, PAGE, PAGE, ADDEND)
    count = 0
    for log2 in range(4):
        n = 1 << log2
        for aop in AtomicOp:
            for i, (old, value) in enumerate(pairs(8 * n, rng)):
                off = (0, 0x238 & ~(n - 1), 4096 - n)[i % 3]
                access(mc, log2, aop, off, old, value, True)
                count += 1
    return count


def second_level() -> int:
    count = 0
    for log2 in range(4):
        for aop in AtomicOp:
            mc = Machine()
            mc.tlb.fill_range(GPAGE, 1, True, True, ADDEND, ())
            access(mc, log2, aop, 8 << log2, 0x80 << (8 << log2) - 8, 0x7F, True)
            assert mc.tlb.refills() == 1
            assert mc.native.tlb[4 * INDEX : 4 * INDEX + 3] == [PAGE, PAGE, ADDEND]
            count += 1
    return count


def slow_path() -> int:
    rng = random.Random(2)
    count = 0
    for log2 in range(4):
        n = 1 << log2
        for aop in AtomicOp:
            for old, value in pairs(8 * n, rng)[::6]:
                access(Machine(), log2, aop, 0x100 + n, old, value, False)  # no entry
                count += 1
            if n > 1:  # misaligned: the page is in the TLB, the access leaves it
                mc = Machine()
                mc.tlb.set(INDEX, PAGE, PAGE, ADDEND)
                access(mc, log2, aop, 0x101, 0x8001 & (1 << 8 * n) - 1, 0xFF, False)
                count += 1
    fail[0] = True
    try:
        for log2 in range(4):
            mc = Machine()
            mc.run(CODE[(log2, AtomicOp.ADD)], PAGE + 8, 1, L.EXIT_HELPER_RAISED)
            assert len(calls) == 1
    finally:
        fail[0] = False
    return count


def counting(k: int = 1_000_000) -> tuple[int, int, int]:
    """Two threads, k iterations each of: add 1 to the doubleword at 0, to the
    halfword at 8, and to the byte at 12 + the thread's number (after both have
    counted themselves in at 16)."""
    ctx = TCGContext(24)
    base, tid, n = (ctx.new_global(I64, 8 * i, x) for i, x in enumerate(("base", "tid", "n")))
    ctx.freeze()
    a64, a16, a8, one, old = (ctx.temp(local=True) for _ in range(5))
    ctx.mov(a64, base)
    ctx.add(a16, base, 8)
    ctx.add(a8, base, 12)
    ctx.add(a8, a8, tid)
    ctx.movi(one, 1)
    # both threads in the loop at once: count in at 16, wait for the other
    ready, wait, again = ctx.temp(local=True), ctx.label(), ctx.label()
    ctx.add(ready, base, 16)
    ctx.emit("atomic_fetch_i64", old, ready, one, 3, 0, AtomicOp.ADD)
    ctx.set_label(wait)
    ctx.emit("qemu_ld_i64", old, ready, 3, 0)
    ctx.brcond(Cond.NE, old, 2, wait)
    ctx.set_label(again)
    for addr, log2 in ((a64, 3), (a16, 1), (a8, 0)):
        ctx.emit("atomic_fetch_i64", old, addr, one, log2, 0, AtomicOp.ADD)
    ctx.sub(n, n, 1)
    ctx.brcond(Cond.NE, n, 0, again)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    code = place(ctx)
    for i in range(24):
        ram[i] = 0
    ram[14] = ram[15] = 0x5A  # neighbours of the two counting bytes
    machines = [Machine(), Machine()]
    calls.clear()
    for i, mc in enumerate(machines):
        mc.tlb.set(INDEX, PAGE, PAGE, ADDEND)
        mc.native.state[0], mc.native.state[1], mc.native.state[2] = PAGE, i, k
    exits: list[int] = []
    threads = [threading.Thread(target=lambda mc=mc: exits.append(
        page.entry(mc.native.state_addr, code) & 15)) for mc in machines]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert exits == [EXIT_LOOKUP, EXIT_LOOKUP] and not calls, (exits, calls)
    raw = bytes(ram[:16])
    d, h = int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:10], "little")
    assert (d, h, raw[10:12]) == (2 * k, 2 * k & 0xFFFF, b"\0\0"), raw.hex()
    assert raw[12:] == bytes([k & 0xFF, k & 0xFF, 0x5A, 0x5A]), raw.hex()
    return d, h, raw[12]


if __name__ == "__main__":
    print("features", features.as_dict())
    print(f"fast path: {fast_path()} fetches matched")
    print(f"second level: {second_level()} refills then fetches matched")
    print(f"slow path: {slow_path()} fetches matched")
    d, h, b = counting()
    print(f"counting: doubleword {d}, halfword {h}, bytes {b}")
    print("atomic fetches matched")
