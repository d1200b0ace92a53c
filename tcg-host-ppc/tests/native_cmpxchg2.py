"""Run on a ppc64le machine (an emulated one: see test_emulated_atomics.py):
``atomic_cmpxchg2_i64`` lowered to Power (the TLB probe of a 16-byte access, then
an lqarx / stqcx. loop) and executed natively through a TLB entry that points at a
buffer, against the reference (``semantics.cmpxchg2`` and the IR interpreter), on
random pairs, equal and not, with the inputs sharing temps as a translator may make
them share (the address one of the operands too), twenty values live in registers
across the access kept (some in r3-r10, which the slow path's call saves), memory
around the 16 bytes untouched. A misaligned or page-crossing address takes the slow
path: ``slow_cmpxchg`` gets the guest address, ``PAIR_FLAG`` in its memop and the
address of (cmp_lo, cmp_hi, new_lo, new_hi), whose first two it replaces with the
pair read (here a Python compare-and-swap on the buffer), and the outputs are that
pair. Exit status 0 when everything matched.

    python native_cmpxchg2.py [EXAMPLES]
"""

from __future__ import annotations

import ctypes
import random
import sys

from tcgkit.exec.atomic import PAIR_FLAG
from tcgkit.native import layout as L
from tcgkit.native.backend import SLOW_CMPXCHG, Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, TLBMirror, libgcc_clear_cache
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.semantics import cmpxchg2
from tcgkit.tcg.types import I64, MemOp
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue

PAGE = 0x7000
INDEX = (PAGE >> 12) & (L.TLB_SIZE - 1)
M64 = (1 << 64) - 1
KEPT = 20  # values live across the access: slots 8 .. 8 + KEPT - 1
#: the state slot each input reads (address, cmp_lo, cmp_hi, new_lo, new_hi):
#: distinct globals, the sharing CASP x0, x1, x0, x1 makes (the compared pair is the
#: new one), a pair of one register, and the address one of the operands
SHARES = {"distinct": (0, 1, 2, 3, 4), "cmp-is-new": (0, 1, 2, 1, 2),
          "one-reg": (0, 1, 1, 3, 3), "addr-is-cmp": (0, 0, 2, 3, 4),
          "addr-is-new": (0, 1, 2, 3, 0)}  # fmt: skip
#: the outputs' slots
OUT = (5, 6)


def program(share: str) -> TCGContext:
    ctx = TCGContext(8 * (8 + KEPT))
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(8 + KEPT)]
    ctx.freeze()
    temps = [ctx.temp() for _ in range(KEPT)]  # live in registers across the access
    for t, k in zip(temps, g[8:], strict=True):
        ctx.add(t, k, 1)
    addr, *ins = (g[i] for i in SHARES[share])
    ctx.emit("atomic_cmpxchg2_i64", g[OUT[0]], g[OUT[1]], addr, *ins, 3, 0)
    for t, k in zip(temps, g[8:], strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


class Machine:
    """Code and a buffer of guest RAM at PAGE, and the slow path's callback."""

    def __init__(self) -> None:
        self.flush = libgcc_clear_cache()
        self.page = ExecPage(prologue(), self.flush)
        self.buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
        self.region = self.buffer.claim()
        self.ram = (ctypes.c_ubyte * 0x1000)()
        self.calls: list[tuple[int, int]] = []  # (guest address, memop)
        self.callback = SLOW_CMPXCHG(self.slow_cmpxchg)
        rt = Runtime(0, 0, lambda opc, consts: 0, None,
                     ctypes.cast(self.callback, ctypes.c_void_p).value or 0)  # fmt: skip
        features = detect()
        self.code: dict[str, int] = {}
        for share in SHARES:
            ctx = program(share)
            liveness(ctx)
            out = lower(allocate(ctx.ops, allocator()), 0, 0, rt, lambda op: 0, features)
            at = self.region.alloc(len(out.code))
            assert at is not None
            self.region.write(at, out.code)
            self.flush(at, len(out.code))
            self.code[share] = at + out.nocheck

    def slow_cmpxchg(self, state: int, addr: int, words: int, new: int, memop: int,
                     where: int) -> int:  # fmt: skip
        """The pair's compare-and-swap on the buffer (any alignment inside the page;
        a page-crossing pair: status 1, as a fault)."""
        self.calls.append((addr, memop))
        off = addr - PAGE
        if not 0 <= off <= 0x1000 - 16:
            return 1
        buf = (ctypes.c_uint64 * 4).from_address(words)
        raw = bytes(self.ram[off : off + 16])
        old = (int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little"))
        lo, hi = cmpxchg2(old, (buf[0], buf[1]), (buf[2], buf[3]))
        self.ram[off : off + 16] = lo.to_bytes(8, "little") + hi.to_bytes(8, "little")
        buf[0], buf[1] = old
        return 0

    def run(self, share: str, state: list[int]) -> tuple[int, list[int]]:
        native = NativeCPU(len(state))
        for i, v in enumerate(state):
            native.state[i] = v
        TLBMirror(native).set(INDEX, PAGE, PAGE, ctypes.addressof(self.ram) - PAGE)
        word = self.page.entry(native.state_addr, self.code[share])
        return word & 15, list(native.state)


def check(m: Machine, rng: random.Random, share: str, off: int, equal: bool) -> None:
    for i in range(0x1000):
        m.ram[i] = (i * 7 + 3) & 0xFF
    ops = [rng.getrandbits(64) for _ in range(4)]
    state = [PAGE + off, *ops, 0xDEAD, 0xBEEF, 0x5A5A, *range(10, 10 * (KEPT + 1), 10)]
    slot = SHARES[share]
    cmp = (state[slot[1]], state[slot[2]])
    new = (state[slot[3]], state[slot[4]])
    before = bytearray(m.ram)
    if equal:  # the compare succeeds
        before[off : off + 16] = cmp[0].to_bytes(8, "little") + cmp[1].to_bytes(8, "little")
        m.ram[off : off + 16] = before[off : off + 16]
    old = (int.from_bytes(before[off : off + 8], "little"),
           int.from_bytes(before[off + 8 : off + 16], "little"))  # fmt: skip
    want_state, want_mem = list(state), bytearray(before)
    assert interpret(program(share).ops, want_state, want_mem, PAGE) == EXIT_LOOKUP
    m.calls.clear()
    code, got = m.run(share, state)
    what = (share, hex(off), equal)
    assert code == EXIT_LOOKUP, what
    assert got == want_state, (what, got, want_state)
    assert got[OUT[0] : OUT[1] + 1] == list(old), what
    assert got[8:] == [v + 2 for v in state[8:]], what
    after = bytes(m.ram)
    assert after == bytes(want_mem), what
    lo, hi = cmpxchg2(old, cmp, new)
    assert after[off : off + 16] == lo.to_bytes(8, "little") + hi.to_bytes(8, "little")
    assert after[:off] == before[:off] and after[off + 16 :] == before[off + 16 :], what
    slow = bool(off & 15)
    want_calls = [(PAGE + off, 3 | MemOp.MO_ALIGN | PAIR_FLAG)] if slow else []
    assert m.calls == want_calls, (what, m.calls)


def crossing(m: Machine) -> None:
    """A pair across the end of the page: the probe misses, the slow path's status
    (1 here) exits to the raised path, and the buffer is untouched."""
    before = bytes(m.ram)
    state = [PAGE + 0xFF8, 1, 2, 3, 4, 0, 0, 0, *range(KEPT)]
    m.calls.clear()
    code, _ = m.run("distinct", state)
    assert code == L.EXIT_HELPER_RAISED & 15, code
    assert m.calls == [(PAGE + 0xFF8, 3 | MemOp.MO_ALIGN | PAIR_FLAG)]
    assert bytes(m.ram) == before


def main(examples: int) -> None:
    m = Machine()
    rng = random.Random(2026)
    n = 0
    for share in SHARES:
        for i in range(examples):
            # aligned (the fast path) and misaligned offsets (the slow path)
            off = rng.randrange(0, 0x1000 - 16, 16 if i % 3 else 8 if i % 2 else 1)
            check(m, rng, share, off, equal=bool(i & 1))
            n += 1
    crossing(m)
    print(f"pair compare-and-swaps against the reference: {n}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
