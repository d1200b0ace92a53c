"""``atomic_fetch_i64`` lowered to A64 under Unicorn, for a host with LSE (one
acquire-release LSE instruction after the TLB probe) and one without (an LDAXR /
STLXR loop): every ``AtomicOp`` at every size, on the fast path (a TLB entry for
writing) and on the slow path (the trapped slow_cmpxchg with the operation in its
memop), the value read zero-extended into the output, memory around the access
untouched, registers live across the access kept; a misaligned address takes the
slow path.

Unicorn (2.1.4, on QEMU 5.0's A64 translator) compares LDSMAX / LDSMIN of 1, 2 and
4 bytes as unsigned values, where the architecture compares them as signed ones
(``unicorn_signed_lse``, probed once): where that emulator gives the wrong answer,
those stores are not compared (the output, the registers and the bytes around
still are)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.exec.atomic import FETCH_SHIFT
from tcgkit.native import layout as L
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.types import I64, AtomicOp, MemOp
from tcgkit_host_arm import encoder as E
from tcgkit_host_arm.features import HostFeatures

PAGE = 0x7000
INDEX = (PAGE >> 12) & (L.TLB_SIZE - 1)
LSE = HostFeatures(atomics=True, crc32=True)
NO_LSE = LSE.without("atomics")
#: values at the edges of the signed and unsigned ranges of every size, and any other
EDGES = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0xFFFFFFFFFFFFFF80, 0x123456789ABCDE7F]  # fmt: skip
WORDS = st.one_of(st.sampled_from(EDGES), st.integers(0, (1 << 64) - 1))


@pytest.fixture(scope="module", params=[LSE, NO_LSE], ids=["lse", "ll-sc"])
def host(request: pytest.FixtureRequest, runner_for) -> Any:
    """A Unicorn runner lowering for a host with LSE, then for one without."""
    return runner_for(request.param)


@functools.cache
def unicorn_signed_lse() -> bool:
    """Whether Unicorn's ldsmaxalb keeps 0 against -128 (the architecture's answer)."""
    unicorn = pytest.importorskip("unicorn")
    from unicorn import arm64_const as A

    uc = unicorn.Uc(unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
    uc.mem_map(0x1000, 0x2000)
    a = E.Asm()
    a.lse_al(0, E.LD_SMAX, 1, 2, 0)  # ldsmaxalb w1, w2, [x0]
    uc.mem_write(0x1000, a.code())
    uc.mem_write(0x2000, b"\x00")
    uc.reg_write(A.UC_ARM64_REG_X0, 0x2000)
    uc.reg_write(A.UC_ARM64_REG_X1, 0x80)
    uc.emu_start(0x1000, 0x1004)
    return bytes(uc.mem_read(0x2000, 1)) == b"\x00"


def emulated_right(host, aop: AtomicOp, log2: int, fast: bool, old: int, value: int) -> bool:
    """False where Unicorn's unsigned LDSMAX / LDSMIN stores what the architecture
    would not (the signed and unsigned answers differ)."""
    if not (fast and host.features.atomics and log2 < 3 and aop in _SIGNED):
        return True
    if unicorn_signed_lse():
        return True
    bits = 8 << log2
    unsigned = _SIGNED[aop]
    return atomic_update(aop, old, value, bits) == atomic_update(unsigned, old, value, bits)


_SIGNED = {AtomicOp.SMAX: AtomicOp.UMAX, AtomicOp.SMIN: AtomicOp.UMIN}


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


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
@pytest.mark.parametrize("log2", range(4))
@pytest.mark.parametrize("aop", list(AtomicOp), ids=[a.name for a in AtomicOp])
@settings(max_examples=8, deadline=None)
@given(slot=st.integers(0, 511), old=WORDS, value=WORDS)
def test_every_operation_and_size(host, aop: AtomicOp, log2: int, fast: bool,
                                  slot: int, old: int, value: int) -> None:  # fmt: skip
    n = 1 << log2
    mask = (1 << 8 * n) - 1
    off = slot * 8  # naturally aligned for every size
    ram = bytearray((i * 7 + 3) & 0xFF for i in range(0x1000))
    host.slow_memory[:] = bytes((i * 5 + 1) & 0xFF for i in range(0x10000))
    memory = ram if fast else host.slow_memory[PAGE : PAGE + 0x1000]
    memory[off : off + n] = (old & mask).to_bytes(n, "little")
    if not fast:
        host.slow_memory[PAGE : PAGE + 0x1000] = memory
    before = bytes(memory)
    tlb = ((INDEX, PAGE, PAGE, host.RAM - PAGE),) if fast else ()
    host.slow.clear()
    state = [PAGE + off, value, 0xDEAD, 10, 20, 30, 40, 50]
    assert host.run(program(log2, aop).ops, state, tlb, bytes(ram)) == EXIT_LOOKUP
    assert state[2] == old & mask
    assert state[:2] == [PAGE + off, value]
    assert state[3:] == [12, 22, 32, 42, 52]
    if fast:
        assert host.slow == []
    else:
        memop = log2 | MemOp.MO_ALIGN | (int(aop) + 1) << FETCH_SHIFT
        assert host.slow == [(PAGE + off, value, memop)]
    after = host.ram if fast else bytes(host.slow_memory[PAGE : PAGE + 0x1000])
    if emulated_right(host, aop, log2, fast, old, value):
        want = atomic_update(aop, old, value, 8 * n).to_bytes(n, "little")
        assert after[off : off + n] == want
    assert after[:off] == before[:off] and after[off + n :] == before[off + n :]


def test_misaligned_takes_the_slow_path(host) -> None:
    tlb = ((INDEX, PAGE, PAGE, host.RAM - PAGE),)
    for addr, slow in ((PAGE + 8, False), (PAGE + 4, True), (PAGE + 1, True)):
        host.slow.clear()
        host.slow_memory[:] = bytes(0x10000)
        state = [addr, 1, 0, 0, 0, 0, 0, 0]
        assert host.run(program(3, AtomicOp.ADD).ops, state, tlb, bytes(0x1000)) == EXIT_LOOKUP
        assert bool(host.slow) == slow, hex(addr)
        memory = host.slow_memory[PAGE : PAGE + 0x1000] if slow else host.ram
        assert memory[addr - PAGE] == 1  # the addition, where the access went


LSE_NAMES = {AtomicOp.XCHG: "swpal", AtomicOp.ADD: "ldaddal", AtomicOp.AND: "ldclral",
             AtomicOp.OR: "ldsetal", AtomicOp.XOR: "ldeoral", AtomicOp.SMAX: "ldsmaxal",
             AtomicOp.SMIN: "ldsminal", AtomicOp.UMAX: "ldumaxal",
             AtomicOp.UMIN: "lduminal"}  # fmt: skip


@pytest.mark.parametrize("aop", list(AtomicOp), ids=[a.name for a in AtomicOp])
def test_the_form_follows_the_features(runner_for, aop: AtomicOp) -> None:
    """With LSE: one LSE instruction (sized b / h / w / x) and no exclusive access;
    without: an LDAXR / STLXR loop and no LSE instruction."""
    capstone = pytest.importorskip("capstone")
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    for log2, suffix in enumerate(("b", "h", "", "")):
        for features in (LSE, NO_LSE):
            code = runner_for(features).code(program(log2, aop).ops).code
            insns = [(i.mnemonic, i.op_str) for i in md.disasm(code, 0)]
            names = [m for m, _ in insns]
            lse = [(m, o) for m, o in insns if m.startswith(("swp", "ld")) and "al" in m]
            if features.atomics:
                assert [m for m, _ in lse] == [LSE_NAMES[aop] + suffix]
                assert lse[0][1].startswith("x" if log2 == 3 else "w")
                assert not any(m.startswith(("ldaxr", "stlxr")) for m in names)
                assert ("mvn" in names) == (aop == AtomicOp.AND)
            else:
                assert lse == []
                assert f"ldaxr{suffix}" in names and f"stlxr{suffix}" in names
