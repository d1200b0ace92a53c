"""``atomic_cmpxchg2_i64`` lowered to A64 under Unicorn, for a host with LSE (CASPAL
after the TLB probe) and one without (an LDAXP / STLXP loop): random pairs, equal and
not, with the inputs sharing temps as a translator may make them share, on the fast
path (a TLB entry for writing) and on the slow path (the trapped slow_cmpxchg with
``PAIR_FLAG`` and the four operand words on the stack), against the reference
(``semantics.cmpxchg2`` and the IR interpreter); registers live across the access
kept, memory around the 16 bytes untouched; a misaligned or page-crossing address
takes the slow path. The three instructions' encodings against capstone."""

from __future__ import annotations

from typing import Any

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.exec.atomic import PAIR_FLAG
from tcgkit.native import layout as L
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import cmpxchg2
from tcgkit.tcg.types import I64, MemOp
from tcgkit_host_arm import encoder as E
from tcgkit_host_arm.features import HostFeatures

PAGE = 0x7000
INDEX = (PAGE >> 12) & (L.TLB_SIZE - 1)
LSE = HostFeatures(atomics=True, crc32=True)
NO_LSE = LSE.without("atomics")
U64 = st.integers(0, (1 << 64) - 1)
MD = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
#: which state slot each input reads (see the x86-64 host's test of the op)
SHARES = {"distinct": (1, 2, 3, 4), "cmp-is-new": (1, 2, 1, 2), "one-reg": (1, 1, 3, 3)}
MEMOP = 3 | MemOp.MO_ALIGN | PAIR_FLAG


@pytest.fixture(scope="module", params=[LSE, NO_LSE], ids=["lse", "ll-sc"])
def host(request: pytest.FixtureRequest, runner_for) -> Any:
    return runner_for(request.param)


def _dis(emit) -> list[str]:
    a = E.Asm()
    emit(a)
    return [f"{i.mnemonic} {i.op_str}" for i in MD.disasm(a.code(), 0)]


def test_encodings_against_capstone() -> None:
    for rs, rt, rn in ((0, 2, 16), (4, 6, 0), (26, 28, 1)):
        assert _dis(lambda a, rs=rs, rt=rt, rn=rn: a.caspal(rs, rt, rn)) == [
            f"caspal x{rs}, x{rs + 1}, x{rt}, x{rt + 1}, [x{rn}]"]  # fmt: skip
    assert _dis(lambda a: a.ldaxp(17, 30, 16)) == ["ldaxp x17, x30, [x16]"]
    assert _dis(lambda a: a.ldaxp(3, 9, E.SP)) == ["ldaxp x3, x9, [sp]"]
    assert _dis(lambda a: a.stlxp(4, 2, 3, 16)) == ["stlxp w4, x2, x3, [x16]"]
    assert _dis(lambda a: a.stlxp(4, 17, 30, 16)) == ["stlxp w4, x17, x30, [x16]"]


def program(share: str) -> TCGContext:
    """Slots: 0 the address, 1-4 the operands, 5-6 the outputs, 7-11 kept values."""
    ctx = TCGContext(96)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(12)]
    ctx.freeze()
    temps = [ctx.temp() for _ in range(5)]  # live in registers across the access
    for t, k in zip(temps, g[7:], strict=True):
        ctx.add(t, k, 1)
    ctx.emit("atomic_cmpxchg2_i64", g[5], g[6], g[0], *(g[i] for i in SHARES[share]), 3, 0)
    for t, k in zip(temps, g[7:], strict=True):
        ctx.add(k, t, 1)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    return ctx


def _pair_bytes(pair: tuple[int, int]) -> bytes:
    return pair[0].to_bytes(8, "little") + pair[1].to_bytes(8, "little")


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
@pytest.mark.parametrize("share", sorted(SHARES))
@settings(max_examples=12, deadline=None)
@given(slot=st.integers(0, 255), old=st.tuples(U64, U64), ops=st.tuples(U64, U64, U64, U64),
       equal=st.booleans())  # fmt: skip
def test_against_the_reference(host, share: str, fast: bool, slot: int, old: tuple[int, int],
                               ops: tuple[int, int, int, int], equal: bool) -> None:  # fmt: skip
    off = slot * 16
    state = [PAGE + off, *ops, 0xDEAD, 0xBEEF, 10, 20, 30, 40, 50]
    cmp = (state[SHARES[share][0]], state[SHARES[share][1]])
    new = (state[SHARES[share][2]], state[SHARES[share][3]])
    if equal:
        old = cmp
    ram = bytearray((i * 7 + 3) & 0xFF for i in range(0x1000))
    host.slow_memory[:] = bytes((i * 5 + 1) & 0xFF for i in range(0x10000))
    memory = ram if fast else host.slow_memory[PAGE : PAGE + 0x1000]
    memory[off : off + 16] = _pair_bytes(old)
    host.slow_memory[PAGE : PAGE + 0x1000] = memory if not fast else host.slow_memory[
        PAGE : PAGE + 0x1000]  # fmt: skip
    before = bytes(memory)
    tlb = ((INDEX, PAGE, PAGE, host.RAM - PAGE),) if fast else ()
    ctx = program(share)
    want_state, want_mem = list(state), bytearray(before)
    assert interpret(ctx.ops, want_state, want_mem, PAGE) == EXIT_LOOKUP
    host.slow.clear()
    assert host.run(ctx.ops, state, tlb, bytes(ram)) == EXIT_LOOKUP
    assert state == want_state
    assert state[5:7] == list(old) and state[7:] == [12, 22, 32, 42, 52]
    if fast:
        assert host.slow == []
        after = host.ram
    else:
        assert host.slow == [(PAGE + off, (*cmp, *new), MEMOP)]
        after = bytes(host.slow_memory[PAGE : PAGE + 0x1000])
    assert after == bytes(want_mem)
    assert after[off : off + 16] == _pair_bytes(cmpxchg2(old, cmp, new))
    assert after[:off] == before[:off] and after[off + 16 :] == before[off + 16 :]


def test_misaligned_or_crossing_takes_the_slow_path(host) -> None:
    tlb = ((INDEX, PAGE, PAGE, host.RAM - PAGE),)
    for addr, slow in ((PAGE + 0x10, False), (PAGE + 0x18, True), (PAGE + 0x4, True),
                       (PAGE + 0xFF8, True), (PAGE + 0xFF0, False)):  # fmt: skip
        host.slow.clear()
        host.slow_memory[:] = bytes(0x10000)
        state = [addr, 0, 0, 0x1111, 0x2222, 0, 0, 0, 0, 0, 0, 0]
        assert host.run(program("distinct").ops, state, tlb, bytes(0x1000)) == EXIT_LOOKUP
        assert bool(host.slow) == slow, hex(addr)
        memory, at = (host.slow_memory, addr & 0xFFFF) if slow else (host.ram, addr - PAGE)
        assert memory[at : at + 16] == _pair_bytes((0x1111, 0x2222))  # swapped, where it went


def test_the_form_follows_the_features(runner_for) -> None:
    """With LSE: one CASPAL and no exclusive access; without: an LDAXP / STLXP loop."""
    for features in (LSE, NO_LSE):
        code = runner_for(features).code(program("distinct").ops).code
        names = [i.mnemonic for i in MD.disasm(code, 0)]
        if features.atomics:
            assert names.count("caspal") == 1
            assert "ldaxp" not in names and "stlxp" not in names
        else:
            assert "caspal" not in names
            assert names.count("ldaxp") == 1 and names.count("stlxp") == 2
