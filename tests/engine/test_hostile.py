"""Hostile guests and hooks: whatever they do, the emulator reports a clear
error and stays usable; the host process never crashes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import HOOK_CODE, HOOK_MEM_READ, HOOK_MEM_WRITE, EmulationError, UnmappedMemoryError
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import CODE, DATA, build


def test_hook_that_unmaps_the_running_code(make):
    emu = make("li r0, 1\nli r1, 2\nli r2, 3\n")

    def hook(emu, address, size):
        if address == CODE + 4:
            emu.mem_unmap(CODE, 0x10000)

    emu.hook_add(HOOK_CODE, hook)
    with pytest.raises(UnmappedMemoryError) as info:
        emu.emu_start(CODE, emu.end)
    assert info.value.address in (CODE + 4, CODE + 8)
    emu.mem_map(CODE, 0x10000)  # still usable afterwards
    emu.mem_write(CODE, assemble("li r5, 9\n", CODE))
    emu.emu_start(CODE, CODE + 4)
    assert emu.reg_read("r5") == 9


def test_hook_cannot_close_or_reenter(make):
    emu = make("li r0, 1\nli r1, 2\n")
    seen = []

    def hook(emu, address, size):
        for call in (emu.close, lambda: emu.emu_start(CODE, CODE + 4)):
            try:
                call()
            except RuntimeError as e:
                seen.append(str(e))

    emu.hook_add(HOOK_CODE, hook, CODE, CODE)
    emu.emu_start(CODE, emu.end)
    assert len(seen) == 2 and "emu_stop" in seen[0] and "already running" in seen[1]
    assert emu.reg_read("r1") == 2


def test_memory_hook_rewriting_code_ahead(make):
    emu = make("st r1, [r7]\nli r0, 1\nli r0, 2\n")

    def hook(emu, access, address, size, value):
        emu.mem_write(CODE + 8, assemble("li r0, 7\n", CODE + 8))

    emu.hook_add(HOOK_MEM_WRITE, hook)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 7


def test_read_hook_rewriting_its_hot_block(make):
    """A read hook on a hot (compiled) loop's load rewrites the instruction after the
    load, in the same block: each load's hooks fire once, at the load's pc, and the
    loop runs the new instruction from then on."""
    emu = make("li r1, 8\nloop:\nld r3, [r7]\nli r0, 1\naddi r0, r0, 1\naddi r1, r1, -1\n"
               "bnz r1, loop\n")  # fmt: skip
    pcs = []

    def hook(emu, access, address, size, value):
        pcs.append(emu.reg_read("pc"))
        if len(pcs) == 5:
            emu.mem_write(CODE + 8, assemble("li r0, 7\n", CODE + 8))

    emu.hook_add(HOOK_MEM_READ, hook)
    emu.emu_start(CODE, emu.end)
    assert pcs == [CODE + 4] * 8
    assert emu.reg_read("r0") == 8


WORD = st.binary(min_size=4, max_size=4)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(WORD, min_size=1, max_size=24), st.lists(st.integers(0, 2**64 - 1), min_size=8,
                                                          max_size=8))  # fmt: skip
def test_random_bytes_never_crash(host_name, words, regs):
    """Random code: it runs, or stops with an EmulationError; never anything else."""
    emu = build("", host=host_name)
    try:
        emu.mem_write(CODE, b"".join(words))
        for i, v in enumerate(regs[:7]):
            emu.reg_write(f"r{i}", v)
        emu.reg_write("r7", DATA)
        with contextlib.suppress(EmulationError):
            emu.emu_start(CODE, CODE + 4 * len(words), timeout=200_000, count=2000)
        emu.reg_read("pc")
        assert len(emu.mem_read(CODE, 16)) == 16
    finally:
        emu.close()


@pytest.fixture
def host_name(host):
    return host


def test_runaway_recursion_ends_in_a_fault_below_the_stack(make):
    """A function that calls itself forever, pushing its return address, runs its
    stack pointer (r7) down out of mapped memory: an UnmappedMemoryError naming
    the store's pc and the first address below the mapping; the emulator stays
    usable."""
    src = """
    li r7, 9
    lui r7, 0          ; r7 = 9 << 16 = 0x90000: the top of the DATA mapping
f:  addi r7, r7, -8
    st r6, [r7 + 0]
    jal r6, f
    """
    emu = make(src)
    with pytest.raises(UnmappedMemoryError) as info:
        emu.emu_start(CODE, emu.end, timeout=10_000_000)
    assert info.value.address == DATA - 8
    assert info.value.pc == CODE + 12  # the st
    assert emu.reg_read("r7") == DATA - 8
    emu.reg_write("r0", 0)
    emu.mem_write(CODE, assemble("li r0, 42\n", CODE))
    emu.emu_start(CODE, CODE + 4)
    assert emu.reg_read("r0") == 42
