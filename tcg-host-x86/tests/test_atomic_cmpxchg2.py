"""``atomic_cmpxchg2_i64`` lowered to x86-64: ``lock cmpxchg16b`` encoded as capstone
reads it, and run natively against the reference (``semantics.cmpxchg2`` and the IR
interpreter) on random pairs, equal and not, with the inputs sharing temps as a
translator may make them share, values live in registers across the access kept and
memory around the 16 bytes untouched; a misaligned or page-crossing address leaves
the fast path (no CPU behind this state: the slow path reports an error), never a
#GP."""

from __future__ import annotations

import ctypes

import capstone
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import cmpxchg2
from tcgkit.tcg.types import I64
from tcgkit_host_x86 import abi
from tcgkit_host_x86 import encoder as E
from tcgkit_host_x86.encoder import Asm, Mem

PAGE = 0x7000
INDEX = (PAGE >> 12) & (abi.TLB_SIZE - 1)
U64 = st.integers(0, (1 << 64) - 1)
MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)

#: which state slot each input reads: distinct globals, or the sharing CASP x0, x1,
#: x0, x1 makes (the compared pair is the new one) and a pair of one register
SHARES = {"distinct": (1, 2, 3, 4), "cmp-is-new": (1, 2, 1, 2), "one-reg": (1, 1, 3, 3)}


def test_encoding_against_capstone() -> None:
    for m, text in ((Mem(E.RSI, 0, E.R10), "rsi + r10"), (Mem(E.R12), "r12"),
                    (Mem(E.R13, 8), "r13 + 8"), (Mem(E.RSP, 0x20), "rsp + 0x20"),
                    (Mem(E.R15, 0, E.R10), "r15 + r10")):  # fmt: skip
        a = Asm()
        a.lock_cmpxchg16b(m)
        got = [f"{i.mnemonic} {i.op_str}" for i in MD.disasm(a.code(), 0)]
        assert got == [f"lock cmpxchg16b xmmword ptr [{text}]"]
        assert sum(i.size for i in MD.disasm(a.code(), 0)) == len(a.buf)


def program(share: str) -> TCGContext:
    """Slots: 0 the address, 1-4 the operands, 5-6 the outputs, 7-11 kept values."""
    ctx = TCGContext(96)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(12)]
    ctx.freeze()
    temps = [ctx.temp() for _ in range(5)]  # live in registers across the access
    for t, k in zip(temps, g[7:], strict=True):
        ctx.add(t, k, 1)
    ins = [g[i] for i in SHARES[share]]
    ctx.emit("atomic_cmpxchg2_i64", g[5], g[6], g[0], *ins, 3, 0)
    for t, k in zip(temps, g[7:], strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def _ram(off: int, old: tuple[int, int]) -> tuple[bytearray, ctypes.Array]:
    raw = bytearray((i * 7 + 3) & 0xFF for i in range(0x1000))
    raw[off : off + 16] = old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little")
    return raw, (ctypes.c_ubyte * 0x1000).from_buffer(raw)


@settings(max_examples=300, deadline=None)
@given(share=st.sampled_from(sorted(SHARES)), slot=st.integers(0, 255), old=st.tuples(U64, U64),
       ops=st.tuples(U64, U64, U64, U64), equal=st.booleans())  # fmt: skip
def test_against_the_reference(runner, share: str, slot: int, old: tuple[int, int],
                               ops: tuple[int, int, int, int], equal: bool) -> None:  # fmt: skip
    off = slot * 16
    state = [PAGE + off, *ops, 0xDEAD, 0xBEEF, 10, 20, 30, 40, 50]
    cmp = tuple(state[i] for i in SHARES[share][:2])
    if equal:  # the compare succeeds
        old = (cmp[0], cmp[1])
    new = tuple(state[i] for i in SHARES[share][2:])
    raw, ram = _ram(off, old)
    before = bytes(raw)
    tlb = ((INDEX, PAGE, PAGE, ctypes.addressof(ram) - PAGE),)
    ctx = program(share)
    want_state = list(state)
    want_mem = bytearray(before)
    assert interpret(ctx.ops, want_state, want_mem, PAGE) == EXIT_LOOKUP
    assert runner.run(ctx.ops, state, tlb) == EXIT_LOOKUP
    assert state == want_state
    assert state[5:7] == list(old)
    assert state[7:] == [12, 22, 32, 42, 52]
    after = bytes(ram)
    assert after == bytes(want_mem)
    lo, hi = cmpxchg2(old, cmp, new)
    assert after[off : off + 16] == lo.to_bytes(8, "little") + hi.to_bytes(8, "little")
    assert after[:off] == before[:off] and after[off + 16 :] == before[off + 16 :]


def test_misaligned_or_crossing_leaves_the_fast_path(runner) -> None:
    raw = bytearray(0x1000)
    ram = (ctypes.c_ubyte * 0x1000).from_buffer(raw)
    tlb = ((INDEX, PAGE, PAGE, ctypes.addressof(ram) - PAGE),)
    ctx = program("distinct")
    for addr, fast in ((PAGE + 0x10, True), (PAGE + 0x18, False), (PAGE + 0x14, False),
                       (PAGE + 0x1, False), (PAGE + 0xFF8, False),
                       (PAGE + 0xFF0, True)):  # fmt: skip
        state = [addr, 0, 0, 0x1111, 0x2222, 0, 0, 0, 0, 0, 0, 0]
        exit_code = runner.run(ctx.ops, state, tlb)
        assert (exit_code == EXIT_LOOKUP) == fast, hex(addr)
    pair = (0x1111).to_bytes(8, "little") + (0x2222).to_bytes(8, "little")
    want = bytearray(0x1000)
    want[0x10:0x20] = want[0xFF0:0x1000] = pair  # only the aligned accesses swapped
    assert raw == want
