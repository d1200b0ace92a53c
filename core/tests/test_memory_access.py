"""Accesses, MMIO splitting, guest mappings, deferred reclamation and release."""

from __future__ import annotations

import threading

import pytest
from tcgkit.memory import (
    PROT_ALL,
    PROT_READ,
    AddressSpace,
    GuestMemoryMap,
    MemoryRegion,
    MemorySystem,
    ProtectionError,
    UnmappedAccessError,
)


def make_machine() -> tuple[MemorySystem, MemoryRegion, AddressSpace, GuestMemoryMap]:
    system = MemorySystem()
    root = MemoryRegion.container("sys", 1 << 64)
    return system, root, AddressSpace(system, root, "cpu"), GuestMemoryMap(system, root)


def test_reads_and_writes_cross_ranges_and_fail_whole() -> None:
    system, _, space, gmap = make_machine()
    gmap.map_ram(0x1000, 0x1000)
    gmap.map_ram(0x2000, 0x1000, PROT_READ)
    space.write(0x1FFC, bytes(range(8)), check_perms=False)
    assert space.read(0x1FFC, 8) == bytes(range(8))
    with pytest.raises(ProtectionError) as info:
        space.write(0x1FFE, b"\xff\xff\xff\xff")
    assert info.value.address == 0x2000
    assert space.read(0x1FFC, 8) == bytes(range(8))  # nothing half-written
    with pytest.raises(UnmappedAccessError) as info2:
        space.read(0x2FFE, 4)
    assert info2.value.address == 0x3000
    with pytest.raises(UnmappedAccessError) as info3:
        space.read((1 << 64) - 2, 4)
    assert info3.value.address == (1 << 64) - 2  # the first address with nothing mapped
    system.close()


def test_mmio_accesses_are_split_to_what_the_device_takes() -> None:
    system, root, space, _ = make_machine()
    log: list[tuple] = []
    regs = bytearray(range(16))

    def read(off: int, size: int) -> int:
        log.append(("r", off, size))
        return int.from_bytes(regs[off : off + size], "little")

    def write(off: int, size: int, value: int) -> None:
        log.append(("w", off, size, value))
        regs[off : off + size] = value.to_bytes(size, "little")

    dev = MemoryRegion.mmio("dev", 16, read, write, min_access=2, max_access=4)
    root.add_subregion(0x4000, dev)
    assert space.read(0x4001, 6) == bytes(range(1, 7))
    # aligned pieces no wider than what is left; the odd bytes widened to 2
    assert log == [("r", 0, 2), ("r", 2, 2), ("r", 4, 2), ("r", 6, 2)]
    log.clear()
    space.write(0x4009, b"\xaa")  # narrower than the device: read-modify-write
    assert log == [("r", 8, 2), ("w", 8, 2, 0xAA08)]
    system.close()


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8])
def test_unaligned_mmio_never_drops_a_byte(offset: int, size: int) -> None:
    # a device taking unaligned accesses of 4 bytes only: a short tail that
    # straddles a 4-byte unit must be read (and merged) unit by unit
    system, root, space, _ = make_machine()
    regs = bytearray(range(0x40, 0x50))

    def read(off: int, n: int) -> int:
        assert n == 4
        return int.from_bytes(regs[off : off + n], "little")

    def write(off: int, n: int, value: int) -> None:
        assert n == 4
        regs[off : off + n] = value.to_bytes(n, "little")

    dev = MemoryRegion.mmio("dev", 16, read, write, min_access=4, max_access=4, unaligned=True)
    root.add_subregion(0x4000, dev)
    expected = bytearray(range(0x40, 0x50))
    assert space.read(0x4000 + offset, size) == bytes(expected[offset : offset + size])
    data = bytes(range(0xA0, 0xA0 + size))
    space.write(0x4000 + offset, data)
    expected[offset : offset + size] = data
    assert bytes(regs) == bytes(expected)
    system.close()


def test_rom_rejects_guest_writes_but_loads_through_the_debug_path() -> None:
    system, root, space, _ = make_machine()
    rom = MemoryRegion.rom("rom", 0x1000, b"boot")
    root.add_subregion(0x8000, rom)
    assert space.read(0x8000, 4) == b"boot"
    with pytest.raises(ProtectionError):
        space.write(0x8000, b"x")
    space.write(0x8000, b"B", check_perms=False)
    assert space.read(0x8000, 4) == b"Boot"
    system.close()


def test_guest_map_validates_and_changes_nothing_on_error() -> None:
    system, _, space, gmap = make_machine()
    gmap.map_ram(0x10000, 0x4000)
    space.write(0x10000, b"keep", check_perms=False)
    before = (gmap.regions(), system.memory_stats()["renders"])
    for call, match in (
        (lambda: gmap.map_ram(0x10800, 0x1000), "0x10800"),
        (lambda: gmap.map_ram(0x13000, 0x2000), "overlaps"),
        (lambda: gmap.map_ram(0x20000, 0x10), "0x10"),
        (lambda: gmap.unmap(0x13000, 0x2000), "0x14000 .* not mapped"),
        (lambda: gmap.protect(0xF000, 0x2000, PROT_READ), "0xf000 .* not mapped"),
        (lambda: gmap.protect(0x10000, 0x1000, 9), "permissions"),
        (lambda: gmap.map_ram((1 << 64) - 0x1000, 0x2000), "64-bit"),
    ):
        with pytest.raises(ValueError, match=match):
            call()
    assert (gmap.regions(), system.memory_stats()["renders"]) == before
    gmap.protect(0x11000, 0x1000, PROT_READ)
    gmap.unmap(0x12000, 0x1000)
    assert gmap.regions() == [(0x10000, 0x10FFF, PROT_ALL), (0x11000, 0x11FFF, PROT_READ),
                              (0x13000, 0x13FFF, PROT_ALL)]  # fmt: skip
    assert space.read(0x10000, 4) == b"keep"  # the bytes never moved
    system.close()


def test_a_reader_keeps_an_old_view_and_its_ram_until_it_lets_go() -> None:
    system, _, space, gmap = make_machine()
    gmap.map_ram(0x1000, 0x1000)
    space.write(0x1000, b"old!", check_perms=False)
    baseline = system.memory_stats()
    held = threading.Event()
    done = threading.Event()
    seen: list[bytes] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with space.reading() as view:
                held.set()
                for _ in range(200):
                    fr = view.lookup(0x1000)
                    seen.append(fr.region.read_leaf(fr.offset_in_region, 4))
                done.wait(10)
                fr = view.lookup(0x1000)
                seen.append(fr.region.read_leaf(fr.offset_in_region, 4))
        except BaseException as e:  # reported below
            errors.append(e)

    th = threading.Thread(target=reader)
    th.start()
    held.wait(10)
    for i in range(50):  # the writer replaces the mapping under the reader, again and again
        gmap.unmap(0x1000, 0x1000)
        gmap.map_ram(0x1000, 0x1000)
        space.write(0x1000, b"n%03d" % i, check_perms=False)
    assert system.memory_stats()["ram_regions"] == 1  # the old RAM is no longer the system's
    done.set()
    th.join()
    assert not errors
    assert set(seen) == {b"old!"}  # the old view and its RAM stayed valid throughout
    after = system.memory_stats()
    assert (after["flatviews"], after["dispatch"]) == (baseline["flatviews"],
                                                      baseline["dispatch"])  # fmt: skip
    system.close()
    assert system.memory_stats()["flatviews"] == 0


def test_many_systems_keep_mappings_flat() -> None:
    def maps() -> int:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)

    def cycle() -> None:
        system, _, _, gmap = make_machine()
        gmap.map_ram(0x1000, 0x10000)
        gmap.protect(0x2000, 0x1000, PROT_READ)
        system.close()

    for _ in range(20):
        cycle()
    start = maps()
    for _ in range(500):
        cycle()
    assert maps() <= start + 2
