"""Virtual-address translation (``Engine.set_translation``, ``exec.vtlb``): every
load, store and fetch goes through the fill function, on each host and tier, and
generated code never bypasses it (the TLB's fast path and second level stay off)."""

from __future__ import annotations

import pytest
from tcgkit import HOOK_MEM_READ, HOOK_MEM_WRITE, MEM_READ, MEM_WRITE, PROT_ALL, PROT_READ
from tcgkit.errors import TranslationFaultError
from tcgkit.hooks import MEM_FETCH
from tcgkit.memory import PROT_EXEC
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import CODE, DATA

V_CODE, V_DATA1, V_DATA2 = 0x40_0000, 0x50_0000, 0x60_0000
# sixty rounds: read through one virtual page, write through another onto the same
# physical page (TBs get compiled on the way)
LOOP = """
    li r4, 60
again:
    ld r1, [r2]
    addi r1, r1, 1
    st r1, [r3]
    addi r4, r4, -1
    bnz r4, again
"""


def _translated(emu, table, calls):
    def fill(address, access):
        calls.append((address, access))
        return table.get(address & ~0xFFF)

    emu.engine.set_translation(fill)


def test_accesses_and_fetches_are_translated(make):
    emu = make()
    code = assemble(LOOP, V_CODE)
    emu.mem_write(CODE, code)
    emu.mem_write(DATA, (7).to_bytes(8, "little"))
    table = {V_CODE: (CODE, PROT_ALL), V_DATA1: (DATA, PROT_READ), V_DATA2: (DATA, PROT_ALL)}
    calls = []
    _translated(emu, table, calls)
    seen = []
    emu.hook_add(HOOK_MEM_READ | HOOK_MEM_WRITE, lambda e, k, a, s, v: seen.append((k, a)))
    emu.reg_write("r2", V_DATA1)
    emu.reg_write("r3", V_DATA2)
    emu.emu_start(V_CODE, V_CODE + len(code))
    assert emu.reg_read("r1") == 7 + 60
    assert int.from_bytes(emu.mem_read(DATA, 8), "little") == 67
    # one fill per page and access kind the kept translation did not allow
    assert [(a & ~0xFFF, k) for a, k in calls] == [
        (V_CODE, MEM_FETCH), (V_DATA1, MEM_READ), (V_DATA2, MEM_WRITE)]  # fmt: skip
    assert set(seen) == {(MEM_READ, DATA), (MEM_WRITE, DATA)}  # physical addresses
    assert emu.engine.stats()["tlb_refills_native"] == 0


def test_refused_and_denied_accesses_raise_translation_faults(make):
    emu = make("ld r1, [r2]\nst r1, [r3]\n")
    table = {CODE: (CODE, PROT_READ | PROT_EXEC), V_DATA1: (DATA, PROT_READ)}
    _translated(emu, table, [])
    emu.reg_write("r2", V_DATA1 + 16)
    emu.reg_write("r3", V_DATA1 + 24)
    with pytest.raises(TranslationFaultError) as info:  # the entry allows no write
        emu.emu_start(CODE, emu.end)
    assert (info.value.access, info.value.address, info.value.pc) == (MEM_WRITE, V_DATA1 + 24,
                                                                      CODE + 4)  # fmt: skip
    emu.reg_write("r2", V_DATA2)
    with pytest.raises(TranslationFaultError) as info:  # no translation
        emu.emu_start(CODE, emu.end)
    assert (info.value.access, info.value.address, info.value.pc) == (MEM_READ, V_DATA2, CODE)
    with pytest.raises(TranslationFaultError) as info:  # no translation for the fetch
        emu.emu_start(V_CODE, V_CODE + 4)
    assert (info.value.access, info.value.pc) == (MEM_FETCH, V_CODE)


def test_a_flush_takes_a_changed_mapping_and_none_turns_translation_off(make):
    emu = make("ld r1, [r2]\n")
    emu.mem_write(DATA, (1).to_bytes(8, "little"))
    emu.mem_write(DATA + 0x1000, (2).to_bytes(8, "little"))
    table = {CODE: (CODE, PROT_ALL), V_DATA1: (DATA, PROT_ALL)}
    _translated(emu, table, [])
    emu.reg_write("r2", V_DATA1)
    for _ in range(5):
        emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 1
    table[V_DATA1] = (DATA + 0x1000, PROT_ALL)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 1  # the kept translation
    emu.engine.flush_translation()
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 2
    emu.engine.set_translation(None)
    emu.reg_write("r2", DATA)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 1


def test_code_written_through_an_alias_is_translated_again(make):
    emu = make()
    first = assemble("li r5, 1\n", V_CODE)
    emu.mem_write(CODE, first)
    table = {V_CODE: (CODE, PROT_ALL), V_DATA1: (CODE, PROT_ALL), CODE: (CODE, PROT_ALL)}
    _translated(emu, table, [])
    for _ in range(5):
        emu.emu_start(V_CODE, V_CODE + len(first))
    assert emu.reg_read("r5") == 1
    patch = assemble("li r5, 2\n", V_CODE)
    writer = assemble("st r1, [r2]\n", CODE + 0x100)
    emu.mem_write(CODE + 0x100, writer)
    emu.reg_write("r1", int.from_bytes(patch[:8].ljust(8, b"\0"), "little"))
    emu.reg_write("r2", V_DATA1)
    emu.emu_start(CODE + 0x100, CODE + 0x100 + len(writer))
    emu.emu_start(V_CODE, V_CODE + len(first))
    assert emu.reg_read("r5") == 2


SWEEP = """
    li r4, 512
again:
    ld r1, [r2]
    addi r1, r1, 1
    st r1, [r2]
    addi r2, r2, 8
    addi r4, r4, -1
    bnz r4, again
"""


def test_whole_translated_pages_take_the_fast_path_and_hooks_still_see_them(make):
    emu = make()
    code = assemble(SWEEP, V_CODE)
    emu.mem_write(CODE, code)
    calls = []

    def fill(address, access):  # 1 KiB pages, V_DATA1's onto DATA's
        calls.append(address)
        page = address & ~0x3FF
        return (page - V_DATA1 + DATA if page >> 12 == V_DATA1 >> 12 else page - V_CODE + CODE,
                PROT_ALL)  # fmt: skip

    emu.engine.set_translation(fill, 10)
    runs = []
    for _ in range(3):
        emu.reg_write("r2", V_DATA1)
        before = emu.engine.stats()["tlb_misses"]
        emu.emu_start(V_CODE, V_CODE + len(code))
        runs.append(emu.engine.stats()["tlb_misses"] - before)
    assert sorted({a & ~0x3FF for a in calls}) == [V_CODE, *range(V_DATA1, V_DATA1 + 0x1000, 0x400)]
    assert runs[0] > 0 and runs[2] == 0  # served by the TLB once the page is covered
    assert emu.mem_read(DATA, 16) == (3).to_bytes(8, "little") * 2
    seen = []
    emu.hook_add(HOOK_MEM_WRITE, lambda e, k, a, s, v: seen.append(a), DATA, DATA + 0xFFF)
    emu.reg_write("r2", V_DATA1)
    emu.emu_start(V_CODE, V_CODE + len(code))
    assert seen == list(range(DATA, DATA + 0x1000, 8))
