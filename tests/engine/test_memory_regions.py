"""The memory API through an emulator: ROM, MMIO devices with access sizes,
aliases and priorities, listeners on one emulator, transactions."""

from __future__ import annotations

import pytest
from tcgkit import PROT_ALL, ProtectionFaultError
from tcgkit.memory import MemoryRegion
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import CODE


def test_rom_faults_on_guest_writes_and_is_loaded_by_mem_write(make):
    emu = make("ld r0, [r2]\nst r0, [r2 + 8]\n")
    rom = MemoryRegion.rom("boot", 0x1000, b"\x2a" + bytes(7))
    emu.memory.add_subregion(0x3000_0000, rom)
    emu.reg_write("r2", 0x3000_0000)
    with pytest.raises(ProtectionFaultError) as info:
        emu.emu_start(CODE, emu.end)
    assert (info.value.pc, info.value.address) == (CODE + 4, 0x3000_0008)
    assert emu.reg_read("r0") == 0x2A
    emu.mem_write(0x3000_0008, b"\x07")  # the debug path writes ROM
    assert emu.mem_read(0x3000_0008, 1) == b"\x07"


def test_code_runs_from_rom(make):
    emu = make()
    code = assemble("li r0, 5\n", 0x3000_0000)
    emu.memory.add_subregion(0x3000_0000, MemoryRegion.rom("boot", 0x1000, code))
    emu.emu_start(0x3000_0000, 0x3000_0004)
    assert emu.reg_read("r0") == 5


def test_mmio_device_with_four_byte_registers(make):
    emu = make("ld r0, [r2]\nstb r1, [r2 + 5]\n")
    regs = {0: 0x11223344, 4: 0x55667788}
    log = []

    def read(off, size):
        log.append(("r", off, size))
        return regs.get(off, 0)

    def write(off, size, value):
        log.append(("w", off, size, value))
        regs[off] = value

    dev = MemoryRegion.mmio("dev", 0x1000, read, write, min_access=4, max_access=4)
    emu.memory.add_subregion(0x4000_0000, dev)
    emu.reg_write("r2", 0x4000_0000)
    emu.reg_write("r1", 0xAB)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 0x5566778811223344  # an 8-byte load: two 4-byte reads
    # the byte store became a read-modify-write of the 4-byte register at 4
    assert log == [("r", 0, 4), ("r", 4, 4), ("r", 4, 4), ("w", 4, 4, 0x5566AB88)]


def test_alias_and_priority_overlay(make):
    emu = make("ld r0, [r2]\nld r1, [r3]\n")
    ram = MemoryRegion.ram("bank", 0x2000)
    ram.view[0x1000:0x1008] = (0x1234).to_bytes(8, "little")
    overlay = MemoryRegion.ram("overlay", 0x1000)
    overlay.view[0:8] = (0x9999).to_bytes(8, "little")
    with emu.memory_system.transaction():
        emu.memory.add_subregion(0x5000_0000, MemoryRegion.alias("win", ram, 0x1000, 0x1000))
        emu.memory.add_subregion(0x6000_0000, ram)
        emu.memory.add_subregion(0x6000_0000, overlay, priority=1)
    emu.reg_write("r2", 0x5000_0000)
    emu.reg_write("r3", 0x6000_0000)
    emu.emu_start(CODE, emu.end)
    assert (emu.reg_read("r0"), emu.reg_read("r1")) == (0x1234, 0x9999)
    overlay.set_enabled(False)  # the bank shows through; the TLB must not keep the overlay
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 0


def test_listener_on_one_emulator_sees_the_exact_diff(make):
    emu = make()
    events = []

    class Listener:
        def begin(self, space):
            events.append("begin")

        def region_add(self, space, section):
            events.append(("add", section.start, section.end, section.perms))

        def region_del(self, space, section):
            events.append(("del", section.start, section.end))

        def commit(self, space):
            events.append("commit")

    emu.memory_system.add_listener(Listener())
    emu.mem_map(0x7000_0000, 0x2000, PROT_ALL)
    assert events == ["begin", ("add", 0x7000_0000, 0x7000_2000, PROT_ALL), "commit"]
    events.clear()
    emu.mem_protect(0x7000_1000, 0x1000, 1)
    assert events == ["begin", ("del", 0x7000_0000, 0x7000_2000),
                      ("add", 0x7000_0000, 0x7000_1000, PROT_ALL),
                      ("add", 0x7000_1000, 0x7000_2000, 1), "commit"]  # fmt: skip


def test_mem_protect_splits_as_unicorn_and_merges_as_linux(make):
    """A protection change splits the mapping (Unicorn's mem_regions lists the parts);
    with ``merge`` the parts that end up alike become one mapping again, the bytes in
    place, as Linux merges VMAs: a process changing parts of a mapping over and over
    keeps a mapping per run of permissions, not one per change."""
    emu = make("")
    base = 0x7000_0000
    emu.mem_map(base, 0x8000, PROT_ALL)
    emu.mem_write(base, bytes(range(256)) * 128)
    emu.mem_protect(base + 0x2000, 0x2000, 1)
    emu.mem_protect(base + 0x2000, 0x2000, PROT_ALL)
    assert [r for r in emu.mem_regions() if r[0] >= base] == [
        (base, base + 0x1FFF, PROT_ALL), (base + 0x2000, base + 0x3FFF, PROT_ALL),
        (base + 0x4000, base + 0x7FFF, PROT_ALL)]  # fmt: skip
    emu.mem_protect(base + 0x1000, 0x1000, 1, merge=True)  # alike neighbours join
    emu.mem_protect(base + 0x5000, 0x1000, 3, merge=True)
    for lo in range(0, 0x8000, 0x1000):  # every page changed back and forth
        emu.mem_protect(base + lo, 0x1000, 5, merge=True)
        emu.mem_protect(base + lo, 0x1000, PROT_ALL, merge=True)
    assert [r for r in emu.mem_regions() if r[0] >= base] == [(base, base + 0x7FFF, PROT_ALL)]
    assert bytes(emu.mem_read(base, 0x8000)) == bytes(range(256)) * 128
    emu.mem_protect(base + 0x3000, 0x2000, 1, merge=True)
    assert [r for r in emu.mem_regions() if r[0] >= base] == [
        (base, base + 0x2FFF, PROT_ALL), (base + 0x3000, base + 0x4FFF, 1),
        (base + 0x5000, base + 0x7FFF, PROT_ALL)]  # fmt: skip
    emu.mem_map(base + 0x8000, 0x1000, PROT_ALL)  # another mapping: never merged with it
    emu.mem_protect(base + 0x5000, 0x4000, PROT_ALL, merge=True)
    assert [r for r in emu.mem_regions() if r[0] >= base][-1] == (base + 0x8000, base + 0x8FFF,
                                                                  PROT_ALL)  # fmt: skip


def test_mem_map_ptr_shares_the_callers_memory_and_leaves_it_on_close(make):
    import ctypes

    emu = make("ld r0, [r2]\naddi r0, r0, 1\nst r0, [r2 + 8]\n")
    buf = ctypes.create_string_buffer(0x2000)
    buf[0:8] = (41).to_bytes(8, "little")
    emu.mem_map_ptr(0x4000_0000, 0x2000, PROT_ALL, ctypes.addressof(buf))
    emu.reg_write("r2", 0x4000_0000)
    emu.emu_start(CODE, emu.end)
    assert int.from_bytes(buf[8:16], "little") == 42  # the guest's store, in place
    emu.mem_write(0x4000_0000, (99).to_bytes(8, "little"))
    assert int.from_bytes(buf[0:8], "little") == 99
    emu.close()
    buf[0:8] = b"still ok"  # the caller's memory outlives the emulator, untouched
    assert buf[8:16] == (42).to_bytes(8, "little")
