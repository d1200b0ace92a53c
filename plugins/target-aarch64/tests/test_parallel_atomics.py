"""A64 atomics with several vCPUs: the exclusives against Unicorn in TBs translated for
parallel vCPUs (CAS, CASP and LSE: ``test_instructions``, with ``cpus=2``), and vCPUs
in threads updating shared counters with every atomic form (exclusive pairs, LSE, CAS,
CASP), ending with the exact sums."""

from __future__ import annotations

import pytest
from tcgkit import HOOK_MEM_WRITE, PROT_ALL, Emulator
from tcgkit_target_aarch64.oracle import CODE, DATA, Machine, assemble, cas, casp, compare, lse
from tcgkit_target_aarch64.oracle import test_host as host_under_test

EXCLUSIVE = (
    "ldxr x0, [x20]; add x0, x0, #1; stxr w1, x0, [x20]; ldaxr w2, [x21];"
    " stlxr w3, w2, [x21]; stxr w4, x5, [x20]; ldar x6, [x20]; stlr w7, [x21]"
)


def test_exclusives_match_unicorn_in_parallel_tbs(machine: Machine) -> None:
    compare(assemble(EXCLUSIVE), machine, cpus=2)
    pair = ("ldxp x0, x1, [x20]; add x0, x0, #1; stxp w2, x0, x1, [x20];"
            " ldaxp w3, w4, [x21]; stlxp w5, w4, w3, [x21]; stxp w6, x7, x8, [x20]")  # fmt: skip
    compare(assemble(pair), machine, cpus=2)


def _loop(body: bytes) -> bytes:
    """Wait for the start flag at x20 + 16, then ``body`` (which updates the counters
    at x20) x19 times: the vCPUs start their updates together."""
    wait = assemble("spin: ldr x9, [x20, #16]; cbz x9, spin")
    tail = assemble("subs x19, x19, #1")
    back = -(len(body) + len(tail)) // 4
    bne = (0x54000001 | (back & 0x7FFFF) << 5).to_bytes(4, "little")
    return wait + body + tail + bne


# each form updates the counter(s) at x20 once per iteration
FORMS = {
    "ldxr/stxr": lambda: assemble(
        "retry: ldxr x0, [x20]; add x0, x0, #1; stxr w1, x0, [x20]; cbnz w1, retry"
    ),
    "ldaxr/stlxr w": lambda: assemble(
        "retry: ldaxr w0, [x20]; add w0, w0, #1; stlxr w1, w0, [x20]; cbnz w1, retry"
    ),
    "ldxp/stxp": lambda: assemble(
        "retry: ldxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3;"
        " stxp w2, x0, x1, [x20]; cbnz w2, retry"
    ),
    "ldadd": lambda: assemble("mov x2, #1") + lse(3, 0, 0, 2, 20, 0),
    "ldaddal w": lambda: assemble("mov w2, #1") + lse(2, 0, 0, 2, 20, 0, ar=3),
    "ldaddh": lambda: assemble("mov w2, #1") + lse(1, 0, 0, 2, 20, 0),
    "cas": lambda: (
        assemble("ldr x0, [x20]")
        + assemble("add x1, x0, #1; mov x3, x0")
        + cas(3, 3, 20, 1)
        + assemble("cmp x3, x0; mov x0, x3")
        + (0x54FFFF41).to_bytes(4, "little")  # b.ne back to `add` (-6 instructions)
    ),
    "casp": lambda: (
        assemble("ldp x4, x5, [x20]")
        + assemble("mov x6, x4; mov x7, x5; add x8, x4, #1; add x9, x5, #3")
        + casp(1, 6, 20, 8)
        + assemble("cmp x6, x4; ccmp x7, x5, #0, eq; mov x4, x6; mov x5, x7")
        + (0x54FFFEC1).to_bytes(4, "little")  # b.ne back to the first mov (-10)
    ),
}


def _lock(acquire: bytes) -> bytes:
    """A spin lock at x20 + 32 taken with ``acquire`` (w3 = 1 to write, the old value
    to w4), around a plain increment of the counter: exact only if ``acquire`` is
    one atomic read-modify-write."""
    cbnz_back = (0x35000000 | 0x7FFFF << 5 | 4).to_bytes(4, "little")  # cbnz w4, acquire
    return (
        assemble("add x21, x20, #32; mov w3, #1")
        + acquire
        + cbnz_back
        + assemble("ldr x0, [x20]; add x0, x0, #1; str x0, [x20]; stlr wzr, [x21]")
    )


FORMS.update({
    "ldxp/stxp w": lambda: assemble(
        "retry: ldxp w0, w1, [x20]; add w0, w0, #1; add w1, w1, #3;"
        " stxp w2, w0, w1, [x20]; cbnz w2, retry"
    ),
    "casp w": lambda: (
        assemble("ldp w4, w5, [x20]")
        + assemble("mov w6, w4; mov w7, w5; add w8, w4, #1; add w9, w5, #3")
        + casp(0, 6, 20, 8)
        + assemble("cmp w6, w4; ccmp w7, w5, #0, eq; mov w4, w6; mov w5, w7")
        + (0x54FFFEC1).to_bytes(4, "little")  # b.ne back to the first mov (-10)
    ),
    "swpa lock": lambda: _lock(lse(2, 0, 1, 3, 21, 4, ar=2)),
    "ldseta lock": lambda: _lock(lse(2, 3, 0, 3, 21, 4, ar=2)),
})  # fmt: skip
PAIRS = {"ldxp/stxp", "casp"}
WORD_PAIRS = {"ldxp/stxp w", "casp w"}  # two 32-bit counters in the first doubleword


def _counters(emu: Emulator) -> tuple[int, int]:
    raw = emu.mem_read(DATA, 16)
    return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")


@pytest.mark.parametrize("form", sorted(FORMS))
def test_vcpus_never_lose_an_update(form: str) -> None:
    n = 4
    k = 5000 if host_under_test() == "python" else 20000  # the python host is slower
    code = _loop(FORMS[form]())
    with Emulator("aarch64", host=host_under_test()) as emu:
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_map(DATA, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code)
        cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(n - 1)]
        for cpu in cpus:
            cpu.reg_write("x20", DATA)
            cpu.reg_write("x19", k)
        for cpu in cpus:
            cpu.start(CODE, CODE + len(code))
        emu.mem_write(DATA + 16, b"\x01")  # go
        assert emu.wait(300)
        lo, hi = _counters(emu)
    if form in WORD_PAIRS:
        assert (lo & 0xFFFFFFFF, lo >> 32, hi) == (n * k, 3 * n * k, 0)
        return
    assert lo == n * k & (0xFFFF if form == "ldaddh" else -1)
    assert hi == (3 * n * k if form in PAIRS else 0)


def test_atomics_under_a_memory_hook_take_the_exclusive_path() -> None:
    """With a write hook on the counter the host's compare-and-swap cannot be used:
    the accesses go through the slow path in an exclusive section, still exact."""
    n, k = 3, 100
    code = _loop(FORMS["ldadd"]())
    writes = []
    with Emulator("aarch64", host=host_under_test()) as emu:
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_map(DATA, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code)
        emu.hook_add(HOOK_MEM_WRITE, lambda emu, access, addr, size, value: writes.append(value),
                     DATA, DATA + 7)  # fmt: skip
        cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(n - 1)]
        for cpu in cpus:
            cpu.reg_write("x20", DATA)
            cpu.reg_write("x19", k)
            cpu.start(CODE, CODE + len(code))
        emu.mem_write(DATA + 16, b"\x01")  # go
        assert emu.wait(300)
        assert _counters(emu)[0] == n * k
    assert sorted(writes) == list(range(1, n * k + 1))
