"""A64's atomic pairs of two doublewords (CASP and LDXP/STXP of X registers) in TBs
translated for several vCPUs, on every runnable host: the host's 16-byte
compare-and-swap (``atomic_cmpxchg2_i64``: ``lock cmpxchg16b`` on x86-64) where it
lowers it, the helper elsewhere. vCPUs in threads updating a pair of counters end with
the exact sums, through the inline access and through its slow path (a write hook on
the counters); one CASP on random operands does what ``semantics.cmpxchg2`` says, and so does
the op's tier-0 record (as the IR interpreter); a
misaligned pair raises the alignment fault (SIGBUS/BUS_ADRALN in Linux user mode)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import HOOK_MEM_WRITE, PROT_ALL, Emulator
from tcgkit.errors import UnalignedAccessError
from tcgkit.exec.tier0 import run_tb
from tcgkit.exec.tier0_program import prepare
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import cmpxchg2
from tcgkit.tcg.types import I64

U64 = st.integers(0, (1 << 64) - 1)

CODE, DATA = 0x10000, 0x80000
#: the A64 snippets, as keystone assembles them (the engine tests also run inside the
#: emulated arm64 and ppc64el machines, which have no keystone); the sums the tests
#: check would not come out with a wrong word
_A64 = {
    "spin: ldr x9, [x20, #16]; cbz x9, spin": "890a40f9e9ffffb4",
    "subs x19, x19, #1": "730600f1",
    "ldp x4, x5, [x20]": "841640a9",
    "mov x6, x4; mov x7, x5; add x8, x4, #1; add x9, x5, #3": "e60304aae70305aa88040091a90c0091",
    "cmp x6, x4; ccmp x7, x5, #0, eq; mov x4, x6; mov x5, x7": "df0004ebe00045fae40306aae50307aa",
    "retry: ldxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3;"
    " stxp w2, x0, x1, [x20]; cbnz w2, retry": "80067fc800040091210c0091800622c882ffff35",
    "retry: ldaxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3;"
    " stlxp w2, x0, x1, [x20]; cbnz w2, retry": "80867fc800040091210c0091808622c882ffff35",
    "ldxp x8, x9, [x21]": "a8267fc8",
}


def assemble(text: str) -> bytes:
    return bytes.fromhex(_A64[text])


def casp(sz: int, rs: int, rn: int, rt: int, acquire: int = 0, release: int = 0) -> bytes:
    """CASP{A}{L} (sz 1: X registers) rs, rs+1, rt, rt+1, [rn]."""
    word = sz << 30 | 0b0010000 << 23 | acquire << 22 | 1 << 21 | rs << 16 | release << 15
    return (word | 0b11111 << 10 | rn << 5 | rt).to_bytes(4, "little")


def _hosts() -> list[str]:
    return [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]


@pytest.fixture(params=_hosts())
def host(request: pytest.FixtureRequest) -> str:
    return request.param


def _loop(body: bytes) -> bytes:
    """Wait for the start flag at x20 + 16, then ``body`` x19 times."""
    wait = assemble("spin: ldr x9, [x20, #16]; cbz x9, spin")
    tail = assemble("subs x19, x19, #1")
    back = -(len(body) + len(tail)) // 4
    bne = (0x54000001 | (back & 0x7FFFF) << 5).to_bytes(4, "little")
    return wait + body + tail + bne


# each adds 1 to the doubleword at x20 and 3 to the one after it, as one 16-byte update
FORMS = {
    "casp": lambda: (
        assemble("ldp x4, x5, [x20]")
        + assemble("mov x6, x4; mov x7, x5; add x8, x4, #1; add x9, x5, #3")
        + casp(1, 6, 20, 8)
        + assemble("cmp x6, x4; ccmp x7, x5, #0, eq; mov x4, x6; mov x5, x7")
        + (0x54FFFEC1).to_bytes(4, "little")  # b.ne back to the first mov (-10)
    ),
    "caspal": lambda: (
        assemble("ldp x4, x5, [x20]")
        + assemble("mov x6, x4; mov x7, x5; add x8, x4, #1; add x9, x5, #3")
        + casp(1, 6, 20, 8, acquire=1, release=1)
        + assemble("cmp x6, x4; ccmp x7, x5, #0, eq; mov x4, x6; mov x5, x7")
        + (0x54FFFEC1).to_bytes(4, "little")
    ),
    "ldxp/stxp": lambda: assemble(
        "retry: ldxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3;"
        " stxp w2, x0, x1, [x20]; cbnz w2, retry"
    ),
    "ldaxp/stlxp": lambda: assemble(
        "retry: ldaxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3;"
        " stlxp w2, x0, x1, [x20]; cbnz w2, retry"
    ),
}


def _run(host: str, form: str, n: int, k: int, hook: list | None = None) -> Emulator:
    code = _loop(FORMS[form]())
    emu = Emulator("aarch64", host=host)
    emu.mem_map(CODE, 0x10000, PROT_ALL)
    emu.mem_map(DATA, 0x10000, PROT_ALL)
    emu.mem_write(CODE, code)
    if hook is not None:
        emu.hook_add(HOOK_MEM_WRITE,
                     lambda emu, access, addr, size, value: hook.append((addr, value)),
                     DATA, DATA + 15)  # fmt: skip
    cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(n - 1)]
    for cpu in cpus:
        cpu.reg_write("x20", DATA)
        cpu.reg_write("x19", k)
    for cpu in cpus:
        cpu.start(CODE, CODE + len(code))
    emu.mem_write(DATA + 16, b"\x01")  # go
    assert emu.wait(300)
    return emu


def _pair(emu: Emulator, addr: int = DATA) -> tuple[int, int]:
    raw = emu.mem_read(addr, 16)
    return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")


def _host_code(emu: Emulator) -> str:
    engine = emu.engine
    return "\n".join(engine.host.disassemble(tb) for tbs in engine.tb_cache.page_tbs.values()
                     for tb in tbs)  # fmt: skip


@pytest.mark.parametrize("form", sorted(FORMS))
def test_vcpus_never_lose_an_update_of_the_pair(host: str, form: str) -> None:
    n = 4
    # the AArch64 and POWER hosts run on emulated machines in the suite
    k = 3000 if host == "python" else 5000 if host in ("aarch64", "ppc64le") else 20000
    with _run(host, form, n, k) as emu:
        assert _pair(emu) == (n * k, 3 * n * k)
        if host == "x86_64":  # inline, not the helper
            assert "lock cmpxchg16b" in _host_code(emu)


if "x86_64" in _hosts():  # collected where the x86-64 host runs natively

    @pytest.mark.parametrize("form", ["casp", "ldxp/stxp"])
    def test_without_cx16_pairs_take_the_helper(monkeypatch: pytest.MonkeyPatch,
                                                form: str) -> None:  # fmt: skip
        """An x86-64 processor without CMPXCHG16B (the first ones, ``cx16`` off): the
        host offers neither the inline op nor the pair routine, the target calls its
        helper, which swaps the pair under the exclusive gate, and no update is lost."""
        from tcgkit_host_x86.backend import X86Host
        from tcgkit_host_x86.features import detect

        monkeypatch.setenv("TCGKIT_X86_DISABLE", "cx16")
        assert not detect().cx16
        host = X86Host()
        try:
            assert "atomic_cmpxchg2_i64" not in host.optional_ops
            assert host.atomic_routines().cas_pair is None
        finally:
            host.release()
        n, k = 2, 3000
        with _run("x86_64", form, n, k) as emu:
            assert _pair(emu) == (n * k, 3 * n * k)
            assert "cmpxchg16b" not in _host_code(emu)


@pytest.mark.parametrize("form", ["casp", "ldxp/stxp"])
def test_the_pair_through_the_slow_path(host: str, form: str) -> None:
    """A write hook on the counters sends every access to the slow path (x86-64: the
    inline op's, ``cmpxchg_pair_at``): still exact, each value written once."""
    n, k = 3, 150
    writes: list[tuple[int, int]] = []
    with _run(host, form, n, k, writes) as emu:
        assert _pair(emu) == (n * k, 3 * n * k)
    assert sorted(v for a, v in writes if a == DATA) == list(range(1, n * k + 1))
    assert sorted(v for a, v in writes if a == DATA + 8) == list(range(3, 3 * n * k + 1, 3))


@pytest.fixture
def parallel_emu(host: str) -> Iterator[Emulator]:
    """vCPU 0 of an emulator with a second vCPU (so its TBs are parallel ones), with
    ``casp x4, x5, x6, x7, [x20]`` at CODE."""
    with Emulator("aarch64", host=host) as emu:
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_map(DATA, 0x10000, PROT_ALL)
        emu.mem_write(CODE, casp(1, 4, 20, 6) + assemble("ldxp x8, x9, [x21]"))
        emu.add_cpu()
        yield emu


# one emulator for every example: each sets all that the instruction reads
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(old=st.tuples(U64, U64), regs=st.tuples(U64, U64, U64, U64), equal=st.booleans(),
       slot=st.integers(0, 255))  # fmt: skip
def test_casp_on_random_operands(parallel_emu: Emulator, old: tuple[int, int],
                                 regs: tuple[int, int, int, int], equal: bool,
                                 slot: int) -> None:  # fmt: skip
    emu = parallel_emu
    addr = DATA + 16 * slot
    if equal:
        old = regs[:2]
    emu.mem_write(addr, old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little"))
    for name, v in zip(("x4", "x5", "x6", "x7"), regs, strict=True):
        emu.reg_write(name, v)
    emu.reg_write("x20", addr)
    emu.emu_start(CODE, CODE + 4)
    assert (emu.reg_read("x4"), emu.reg_read("x5")) == old
    assert (emu.reg_read("x6"), emu.reg_read("x7")) == regs[2:]
    assert _pair(emu, addr) == cmpxchg2(old, regs[:2], regs[2:])


@pytest.mark.parametrize("offset", [8, 4, 1])
def test_misaligned_pairs_raise_the_alignment_fault(parallel_emu: Emulator,
                                                    offset: int) -> None:  # fmt: skip
    emu = parallel_emu
    emu.mem_write(DATA, bytes(range(32)))
    emu.reg_write("x20", DATA + offset)
    with pytest.raises(UnalignedAccessError) as info:
        emu.emu_start(CODE, CODE + 4)
    assert (info.value.address, info.value.pc) == (DATA + offset, CODE)
    emu.reg_write("x21", DATA + offset)
    with pytest.raises(UnalignedAccessError) as info:
        emu.emu_start(CODE + 4, CODE + 8)
    assert (info.value.address, info.value.pc) == (DATA + offset, CODE + 4)
    assert emu.mem_read(DATA, 32) == bytes(range(32))  # nothing written


@pytest.fixture
def vcpu_emu() -> Iterator[Emulator]:
    # tier 0 is the same Python on every host: the first one this machine runs
    with Emulator("aarch64", host=_hosts()[0]) as emu:
        emu.mem_map(DATA, 0x10000, PROT_ALL)
        yield emu


# one emulator for every example: each writes all the memory and state it reads
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(old=st.tuples(U64, U64), ins=st.tuples(U64, U64, U64, U64), equal=st.booleans(),
       slot=st.integers(0, 255))  # fmt: skip
def test_the_tier0_record_matches_the_interpreter(vcpu_emu: Emulator, old: tuple[int, int],
                                                  ins: tuple[int, int, int, int],
                                                  equal: bool, slot: int) -> None:  # fmt: skip
    """``atomic_cmpxchg2_i64`` run by tier 0 on a vCPU (its TLB, ``cmpxchg_pair``) and
    by the reference interpreter on a copy of the memory: the same state and bytes."""
    emu = vcpu_emu
    cpu = emu.engine.cpus[0]
    if equal:
        old = ins[:2]
    addr = DATA + 16 * slot
    mem = bytearray(old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little"))
    emu.mem_write(addr, bytes(mem))
    ctx = TCGContext(64)
    g = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(7)]
    ctx.freeze()
    ctx.emit("atomic_cmpxchg2_i64", g[5], g[6], g[0], *g[1:5], 3, 0)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    state = [addr, *ins, 0, 0]
    want = list(state)
    assert interpret(ctx.ops, want, mem, addr) == EXIT_LOOKUP
    saved = [cpu.words[i] for i in range(7)]
    for i, v in enumerate(state):
        cpu.words[i] = v
    try:
        prog = prepare(ctx.ops, len(ctx.globals), len(ctx.temps))
        assert run_tb(cpu, prog) == EXIT_LOOKUP
        assert [cpu.words[i] for i in range(7)] == want
    finally:
        for i, v in enumerate(saved):
            cpu.words[i] = v
    assert want[5:] == list(old)
    assert emu.mem_read(addr, 16) == bytes(mem)


def test_casp_with_the_zero_register(parallel_emu: Emulator) -> None:
    """CASP x30, xzr, x28, x29: xzr compares as zero and its old value is dropped."""
    emu = parallel_emu
    at = CODE + 0x100
    emu.mem_write(at, casp(1, 30, 20, 28))
    emu.reg_write("x20", DATA)
    emu.reg_write("x28", 0x1234)
    emu.reg_write("x29", 0x5678)
    for old, swapped in (((9, 0), True), ((9, 7), False)):
        emu.mem_write(DATA, old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little"))
        emu.reg_write("x30", 9)
        emu.emu_start(at, at + 4)
        assert emu.reg_read("x30") == 9
        assert _pair(emu) == ((0x1234, 0x5678) if swapped else old)
