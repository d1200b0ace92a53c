"""Memory snapshots (``Emulator.mem_snapshot`` / ``mem_restore``): the mappings and
RAM bytes of one moment come back, whatever was mapped, unmapped, protected, written
or run since; code changed since runs as it was; a device comes back with its
callbacks; a mapping of the caller's memory unmapped since is refused whole."""

from __future__ import annotations

import ctypes

import pytest
from tcgkit import PROT_ALL, PROT_READ, ProtectionFaultError
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import CODE, DATA

PROG = "ld r0, [r7]\naddi r0, r0, 1\nst r0, [r7]\n"


def _u64(emu, address: int) -> int:
    return int.from_bytes(emu.mem_read(address, 8), "little")


def test_bytes_written_and_code_changed_since_come_back(make):
    emu = make(PROG)
    emu.mem_write(DATA, (41).to_bytes(8, "little"))
    snap = emu.mem_snapshot()
    for _ in range(3):  # as a fuzzer's loop: run, restore
        emu.emu_start(CODE, emu.end)
        assert _u64(emu, DATA) == 42
        emu.mem_write(DATA + 0x1000, b"\xaa" * 64)  # another page
        emu.mem_write(CODE + 4, assemble("addi r0, r0, 100\n", CODE + 4))
        emu.mem_restore(snap)
        assert _u64(emu, DATA) == 41
        assert emu.mem_read(DATA + 0x1000, 64) == bytes(64)
    emu.mem_write(CODE + 4, assemble("addi r0, r0, 100\n", CODE + 4))
    emu.emu_start(CODE, emu.end)
    assert _u64(emu, DATA) == 141  # the changed code, translated again
    emu.mem_restore(snap)
    emu.emu_start(CODE, emu.end)
    assert _u64(emu, DATA) == 42  # and the restored code


def test_mappings_made_unmapped_and_protected_since_are_as_they_were(make):
    emu = make(PROG)
    emu.mem_map(0x4000_0000, 0x3000)
    emu.mem_write(0x4000_1000, b"middle")
    before = emu.mem_regions()
    snap = emu.mem_snapshot()
    emu.mem_unmap(0x4000_1000, 0x1000)  # a hole in the middle
    emu.mem_protect(DATA, 0x1000, PROT_READ)
    emu.mem_map(0x5000_0000, 0x1000)
    emu.mem_unmap(0x4000_0000, 0x1000)
    assert emu.mem_regions() != before
    emu.mem_restore(snap)
    assert emu.mem_regions() == before
    assert emu.mem_read(0x4000_1000, 6) == b"middle"
    emu.emu_start(CODE, emu.end)  # DATA is writable again
    assert _u64(emu, DATA) == 1
    # a range unmapped whole since (its RAM freed) comes back with its bytes
    emu.mem_unmap(0x4000_0000, 0x3000)
    emu.mem_restore(snap)
    assert emu.mem_read(0x4000_1000, 6) == b"middle"
    assert emu.mem_regions() == before


def test_protection_restored_faults_again(make):
    emu = make(PROG)
    emu.mem_protect(DATA, 0x1000, PROT_READ)
    snap = emu.mem_snapshot()
    emu.mem_protect(DATA, 0x1000, PROT_ALL)
    emu.emu_start(CODE, emu.end)
    emu.mem_restore(snap)
    with pytest.raises(ProtectionFaultError):
        emu.emu_start(CODE, emu.end)
    assert _u64(emu, DATA) == 0


def test_a_device_unmapped_since_comes_back_with_its_callbacks(make):
    emu = make("ld r0, [r2]\n")
    emu.mmio_map(0x9000_0000, 0x1000, lambda emu, off, size: 0x1234 + off, None)
    emu.reg_write("r2", 0x9000_0008)
    snap = emu.mem_snapshot()
    emu.mem_unmap(0x9000_0000, 0x1000)
    emu.mem_restore(snap)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 0x123C


def test_the_callers_memory_unmapped_since_is_refused_and_nothing_changes(make):
    emu = make()
    buf = (ctypes.c_char * 0x1000)()
    emu.mem_map_ptr(0x6000_0000, 0x1000, PROT_ALL, ctypes.addressof(buf))
    snap = emu.mem_snapshot()
    emu.mem_unmap(0x6000_0000, 0x1000)
    emu.mem_map(0x7000_0000, 0x1000)
    after = emu.mem_regions()
    with pytest.raises(ValueError, match="0x60000000"):
        emu.mem_restore(snap)
    assert emu.mem_regions() == after
    # still mapped: its bytes come back into the caller's memory
    emu.mem_map_ptr(0x6000_0000, 0x1000, PROT_ALL, ctypes.addressof(buf))
    snap = emu.mem_snapshot()
    emu.mem_write(0x6000_0000, b"changed")
    emu.mem_restore(snap)
    assert buf.raw[:7] == bytes(7)
    emu.mem_unmap(0x6000_0000, 0x1000)  # before buf goes


def test_code_and_data_on_one_mapping_restore_without_translating_again(make):
    # the data page's bytes come back in bulk; the code page, unchanged, keeps its TB
    emu = make("ld r0, [r2]\naddi r0, r0, 1\nst r0, [r2]\n")
    emu.reg_write("r2", 0x10000 + 0x2000)  # data on the code's own mapping
    snap = emu.mem_snapshot()
    emu.emu_start(CODE, emu.end)
    translated = emu.stats()["tbs_translated"]
    for _ in range(3):
        emu.mem_restore(snap)
        emu.emu_start(CODE, emu.end)
        assert _u64(emu, 0x12000) == 1
    assert emu.stats()["tbs_translated"] == translated


def test_a_snapshot_of_one_kib_granules(host):
    from tcgkit_target_toy.testing import build

    emu = build("ld r0, [r2]\naddi r0, r0, 1\nst r0, [r2]\n", host=host, map_granule=0x400)
    try:
        emu.mem_map(0x3000_0400, 0x800)  # part of a 4 KiB page
        emu.reg_write("r2", 0x3000_0800)
        emu.mem_write(0x3000_0800, (7).to_bytes(8, "little"))
        snap = emu.mem_snapshot()
        emu.emu_start(CODE, emu.end)
        assert _u64(emu, 0x3000_0800) == 8
        emu.mem_restore(snap)
        assert _u64(emu, 0x3000_0800) == 7
    finally:
        emu.close()
