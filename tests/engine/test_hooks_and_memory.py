"""Hooks (Unicorn's kinds and arguments), guest memory faults, MMIO, and
self-modifying code."""

from __future__ import annotations

import pytest
from tcgkit import (
    HOOK_BLOCK,
    HOOK_CODE,
    HOOK_INTR,
    HOOK_MEM_READ,
    HOOK_MEM_READ_UNMAPPED,
    HOOK_MEM_UNMAPPED,
    HOOK_MEM_WRITE,
    HOOK_MEM_WRITE_PROT,
    MEM_READ,
    MEM_READ_UNMAPPED,
    MEM_WRITE,
    MEM_WRITE_PROT,
    PROT_ALL,
    PROT_READ,
    ProtectionFaultError,
    UnhandledInterruptError,
    UnmappedMemoryError,
)
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import CODE, DATA

LOOP3 = """
    li r1, 3
loop:
    addi r1, r1, -1
    bnz r1, loop
"""


def test_code_hook_sees_every_instruction_in_order(make):
    emu = make(LOOP3)
    seen = []
    emu.hook_add(HOOK_CODE, lambda emu, address, size: seen.append((address, size)))
    emu.emu_start(CODE, emu.end)
    assert seen == [(CODE, 4)] + [(CODE + 4, 4), (CODE + 8, 4)] * 3


def test_code_hook_range_and_hook_del(make):
    emu = make(LOOP3)
    seen = []
    h = emu.hook_add(HOOK_CODE, lambda emu, a, s: seen.append(a), CODE + 8, CODE + 8)
    emu.emu_start(CODE, emu.end)
    assert seen == [CODE + 8] * 3
    emu.hook_del(h)
    emu.emu_start(CODE, emu.end)
    assert seen == [CODE + 8] * 3


def test_block_hook_reports_blocks_and_sizes(make):
    emu = make(LOOP3)
    seen = []
    emu.hook_add(HOOK_BLOCK, lambda emu, address, size: seen.append((address, size)))
    emu.emu_start(CODE, emu.end)
    assert seen == [(CODE, 12), (CODE + 4, 8), (CODE + 4, 8)]


def test_interrupt_hook_gets_intno_and_pc_after_sys(make):
    emu = make("li r0, 1\nsys\nli r0, 2\n")
    seen = []

    def on_intr(emu, intno):
        seen.append((intno, emu.reg_read("pc"), emu.reg_read("r0")))
        emu.reg_write("r3", 99)

    emu.hook_add(HOOK_INTR, on_intr)
    emu.emu_start(CODE, emu.end)
    assert seen == [(2, CODE + 8, 1)]
    assert (emu.reg_read("r0"), emu.reg_read("r3")) == (2, 99)


def test_unhandled_interrupt_is_an_error_with_pc(make):
    emu = make("sys\n")
    with pytest.raises(UnhandledInterruptError) as info:
        emu.emu_start(CODE, emu.end)
    assert info.value.intno == 2


def test_memory_hooks_see_access_address_size_value(make):
    emu = make("li r0, 0x1234\nst r0, [r7 + 8]\nld r1, [r7 + 8]\nstb r0, [r7 + 1]\n")
    seen = []
    emu.hook_add(HOOK_MEM_READ | HOOK_MEM_WRITE,
                 lambda emu, access, address, size, value: seen.append(
                     (access, address, size, value)))  # fmt: skip
    emu.emu_start(CODE, emu.end)
    assert seen == [
        (MEM_WRITE, DATA + 8, 8, 0x1234),
        (MEM_READ, DATA + 8, 8, 0),
        (MEM_WRITE, DATA + 1, 1, 0x34),
    ]
    assert emu.reg_read("r1") == 0x1234


@pytest.mark.parametrize("kind", [HOOK_MEM_READ, HOOK_MEM_WRITE])
def test_register_written_by_a_memory_hook_reaches_the_code_after_it(make, kind):
    # r3 sums in a loop around a load and a store; the hook adds 1000 to r3 at each
    # access and ends the loop early through r1 at its 5th: the block keeps r3 and r1
    # in host registers, which must not hide the hook's writes
    emu = make("""
    li r1, 10
    li r3, 0
loop:
    ld r4, [r7 + 8]
    add r3, r3, r4
    st r3, [r7 + 16]
    addi r1, r1, -1
    bnz r1, loop
""")
    emu.mem_write(DATA + 8, (2).to_bytes(8, "little"))
    calls = []

    def hook(emu, access, address, size, value):
        calls.append(address)
        emu.reg_write("r3", emu.reg_read("r3") + 1000)
        if len(calls) == 5:
            emu.reg_write("r1", 1)

    emu.hook_add(kind, hook)
    emu.emu_start(CODE, emu.end)
    # five iterations: each adds 2, each hook call 1000 (a read's before the add, a
    # write's after the store, which then holds the sum without it)
    assert len(calls) == 5
    assert emu.reg_read("r3") == 5 * 2 + 5 * 1000
    stored = 5 * 2 + 5 * 1000 if kind == HOOK_MEM_READ else 5 * 2 + 4 * 1000
    assert int.from_bytes(emu.mem_read(DATA + 16, 8), "little") == stored


def test_register_written_by_an_unmapped_hook_reaches_code_compiled_before_it(make):
    # the loop runs once with its data mapped (its TBs made with no memory hook); then
    # the page goes, and a hook that maps it again and writes r3 is added: the next run
    # must see the write, whatever the TBs kept in registers before
    emu = make("""
    li r1, 3
    li r3, 0
loop:
    ld r4, [r6 + 0]
    add r3, r3, r4
    addi r1, r1, -1
    bnz r1, loop
""")
    page = 0x5000_0000
    emu.reg_write("r6", page)
    emu.mem_map(page, 0x1000, PROT_ALL)
    emu.mem_write(page, (5).to_bytes(8, "little"))
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r3") == 15
    emu.mem_unmap(page, 0x1000)

    def remap(emu, access, address, size, value):
        emu.mem_map(page, 0x1000, PROT_ALL)
        emu.mem_write(page, (5).to_bytes(8, "little"))
        emu.reg_write("r3", emu.reg_read("r3") + 1000)
        return True

    emu.hook_add(HOOK_MEM_READ_UNMAPPED, remap)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r3") == 15 + 1000


def test_unmapped_read_raises_with_pc_and_address(make):
    emu = make("li r0, 1\nld r1, [r2]\n")
    emu.reg_write("r2", 0x5000_0000)
    with pytest.raises(UnmappedMemoryError) as info:
        emu.emu_start(CODE, emu.end)
    assert (info.value.pc, info.value.address) == (CODE + 4, 0x5000_0000)
    assert emu.reg_read("pc") == CODE + 4
    assert emu.reg_read("r0") == 1


def test_unmapped_hook_can_map_and_retry(make):
    emu = make("ld r1, [r2]\naddi r1, r1, 1\n")
    emu.reg_write("r2", 0x5000_0010)
    seen = []

    def fix(emu, access, address, size, value):
        seen.append((access, address, size))
        emu.mem_map(0x5000_0000, 0x1000, PROT_ALL)
        emu.mem_write(0x5000_0010, (41).to_bytes(8, "little"))
        return True

    emu.hook_add(HOOK_MEM_READ_UNMAPPED, fix)
    emu.emu_start(CODE, emu.end)
    assert seen == [(MEM_READ_UNMAPPED, 0x5000_0010, 8)]
    assert emu.reg_read("r1") == 42


def test_unmapped_hook_returning_false_still_faults(make):
    emu = make("st r1, [r2]\n")
    emu.reg_write("r2", 0x6000_0000)
    emu.hook_add(HOOK_MEM_UNMAPPED, lambda *a: False)
    with pytest.raises(UnmappedMemoryError):
        emu.emu_start(CODE, emu.end)


def test_write_to_read_only_page(make):
    emu = make("li r0, 5\nst r0, [r7]\n")
    emu.mem_protect(DATA, 0x1000, PROT_READ)
    seen = []
    emu.hook_add(HOOK_MEM_WRITE_PROT, lambda emu, acc, a, s, v: seen.append((acc, a, s, v)))
    with pytest.raises(ProtectionFaultError) as info:
        emu.emu_start(CODE, emu.end)
    assert (info.value.pc, info.value.address) == (CODE + 4, DATA)
    assert seen == [(MEM_WRITE_PROT, DATA, 8, 5)]
    assert emu.mem_read(DATA, 8) == bytes(8)


def test_fetch_from_non_executable_page(make):
    emu = make("li r0, 1\n")
    emu.mem_write(DATA, assemble("li r1, 1\n", DATA))
    emu.mem_protect(DATA, 0x1000, PROT_READ)
    with pytest.raises(ProtectionFaultError) as info:
        emu.emu_start(DATA, DATA + 4)
    assert info.value.pc == DATA


def test_access_straddling_two_mappings(make):
    emu = make("ld r0, [r2]\nst r0, [r3]\n")
    emu.mem_map(0x20_0000, 0x1000)
    emu.mem_map(0x20_1000, 0x1000)
    emu.mem_write(0x20_0FFC, bytes(range(1, 9)))
    emu.reg_write("r2", 0x20_0FFC)
    emu.reg_write("r3", 0x20_1FFD)
    with pytest.raises(UnmappedMemoryError) as info:  # the store runs off the end
        emu.emu_start(CODE, emu.end)
    assert info.value.address == 0x20_2000
    assert emu.reg_read("r0") == int.from_bytes(bytes(range(1, 9)), "little")
    assert emu.mem_read(0x20_1FFD, 3) == bytes(3)  # nothing half-written


def test_mmio_callbacks_from_guest_code(make):
    emu = make("ld r0, [r2 + 8]\nst r0, [r2 + 16]\nldb r1, [r2 + 3]\n")
    log = []

    def read(emu, offset, size):
        log.append(("r", offset, size))
        return 0x1122334455667788 >> (8 * (offset % 8))

    emu.mmio_map(0x9000_0000, 0x1000, read, lambda emu, o, s, v: log.append(("w", o, s, v)))
    emu.reg_write("r2", 0x9000_0000)
    emu.emu_start(CODE, emu.end)
    assert log == [("r", 8, 8), ("w", 16, 8, 0x1122334455667788), ("r", 3, 1)]
    assert emu.reg_read("r1") == 0x55


def test_self_modifying_code_in_the_running_block(make):
    # the store rewrites the instruction right after it: the new one must run
    emu = make("st r1, [r2]\nli r0, 1\n")
    new = assemble("li r0, 2\n", CODE + 4)
    emu.reg_write("r1", int.from_bytes(new, "little"))
    emu.reg_write("r2", CODE + 4)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 2
    assert emu.stats()["tbs_invalidated"] >= 1


def test_mem_write_between_runs_invalidates_code(make):
    emu = make("li r0, 1\n")
    emu.emu_start(CODE, emu.end)
    emu.mem_write(CODE, assemble("li r0, 7\n", CODE))
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 7


def test_exception_in_hook_propagates_and_stops(make):
    emu = make(LOOP3)

    class Boom(Exception):
        pass

    def hook(emu, address, size):
        if address == CODE + 8:
            raise Boom("from the hook")

    emu.hook_add(HOOK_CODE, hook)
    with pytest.raises(Boom):
        emu.emu_start(CODE, emu.end)
    assert emu.reg_read("pc") == CODE + 8
    assert emu.reg_read("r1") == 2


def test_mem_regions_and_map_errors(make):
    emu = make()
    assert emu.mem_regions() == [(CODE, CODE + 0xFFFF, PROT_ALL), (DATA, DATA + 0xFFFF, PROT_ALL)]
    with pytest.raises(ValueError, match="0x10000"):
        emu.mem_map(CODE, 0x1000)
    with pytest.raises(ValueError, match="0x1234"):
        emu.mem_map(0x1234, 0x1000)
    emu.mem_unmap(CODE + 0x1000, 0x1000)
    assert emu.mem_regions()[:2] == [(CODE, CODE + 0xFFF, PROT_ALL),
                                     (CODE + 0x2000, CODE + 0xFFFF, PROT_ALL)]  # fmt: skip


def test_hook_added_after_translation_sees_the_next_run(make):
    emu = make(LOOP3)
    emu.emu_start(CODE, emu.end)  # translated and chained without hooks
    seen = []
    emu.hook_add(HOOK_CODE, lambda emu, address, size: seen.append(address))
    emu.emu_start(CODE, emu.end)
    assert seen == [CODE] + [CODE + 4, CODE + 8] * 3


def test_hook_deleting_itself_from_inside(make):
    emu = make(LOOP3)
    seen = []
    handle = None

    def once(emu, address, size):
        seen.append(address)
        emu.hook_del(handle)

    handle = emu.hook_add(HOOK_CODE, once)
    emu.emu_start(CODE, emu.end)
    assert seen == [CODE]
    assert emu.reg_read("r1") == 0  # the run went on to the end


ALL_KINDS_PROGRAM = """
    li r2, 8
    lui r2, 0          ; r2 = DATA
    ld r3, [r2 + 0]
    st r3, [r2 + 8]
    sys
    li r4, 0
    ld r5, [r4 + 0]    ; unmapped
"""


HOOK_KINDS = ["HOOK_CODE", "HOOK_BLOCK", "HOOK_MEM_READ", "HOOK_MEM_WRITE", "HOOK_MEM_FETCH",
              "HOOK_MEM_READ_UNMAPPED", "HOOK_INTR"]  # fmt: skip


@pytest.mark.parametrize("kind", HOOK_KINDS)
def test_an_exception_in_any_kind_of_hook_keeps_its_traceback(make, kind):
    import tcgkit

    emu = make(ALL_KINDS_PROGRAM)

    class Boom(Exception):
        pass

    def hook_that_raises(*args):
        raise Boom(kind)

    if kind != "HOOK_INTR":
        emu.hook_add(HOOK_INTR, lambda emu, intno: None)
    handle = emu.hook_add(getattr(tcgkit, kind), hook_that_raises)
    with pytest.raises(Boom) as info:
        emu.emu_start(CODE, emu.end)
    assert str(info.value) == kind
    # the original traceback: its last frame is the hook that raised
    assert info.traceback[-1].name == "hook_that_raises"
    emu.hook_del(handle)  # the emulator stays usable
    emu.mem_write(CODE, assemble("li r0, 5\n", CODE))
    emu.emu_start(CODE, CODE + 4)
    assert emu.reg_read("r0") == 5


def test_1k_map_granule_faults_at_the_mapping_edge_inside_a_page(make):
    # two 1 KiB mappings and a 1 KiB hole in one 4 KiB page of the software TLB:
    # accesses there take the slow path and fault exactly where nothing is mapped
    emu = make("ld r1, [r2]\nst r1, [r3]\nld r4, [r5]\n", map_granule=1024)
    base = 0x5000_0000
    emu.mem_map(base, 0x400, PROT_READ)
    emu.mem_map(base + 0x800, 0x400, PROT_ALL)
    emu.mem_write(base + 0x3F8, (77).to_bytes(8, "little"))
    emu.reg_write("r2", base + 0x3F8)
    emu.reg_write("r3", base + 0x800)
    emu.reg_write("r5", base + 0x400)  # the hole
    with pytest.raises(UnmappedMemoryError) as info:
        emu.emu_start(CODE, emu.end)
    assert (info.value.pc, info.value.address) == (CODE + 8, base + 0x400)
    assert int.from_bytes(emu.mem_read(base + 0x800, 8), "little") == 77
    emu.reg_write("r3", base + 0x3F0)  # read-only 1 KiB
    with pytest.raises(ProtectionFaultError):
        emu.emu_start(CODE, emu.end)
    with pytest.raises(ValueError):
        emu.mem_map(base + 0xC00, 0x200)  # under the granule


def test_map_granule_must_be_1k_2k_or_4k(host):
    from tcgkit import Emulator, InvalidArgumentError

    for bad in (512, 3072, 8192):
        with pytest.raises(InvalidArgumentError, match="map_granule"):
            Emulator("toy", host=host, map_granule=bad)
