"""Memory API figures: rendering, dispatch lookups, and reads against Unicorn.

* render 10,000 RAM regions placed under one container (one transaction);
* 1,000,000 dispatch lookups at random mapped addresses, for the ``bisect``
  and ``radix`` structures, with 10, 1,000 and 10,000 flat ranges;
* as the peer, 100,000 one-byte reads at random mapped addresses through
  ``AddressSpace.read`` and through Unicorn's ``uc.mem_read`` on the same
  layout, with the ratio;
* map changes with 10, 100 and 1,000 regions mapped (a Linux process's mmaps,
  a thread's stack guard): ``mem_protect`` of one page, and ``mem_map`` +
  ``mem_unmap`` of another region, on an ``Emulator`` and on a Unicorn ``Uc``
  with the same mappings, with the ratio (each change renders the address
  space's flat view again, O(regions) for both).

Usage: ``python benchmarks/memory_api.py``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tcgkit.memory import AddressSpace, MemoryRegion, MemorySystem
from tcgkit.memory.dispatch import make_dispatch

PAGE = 0x1000


def layout(n: int) -> tuple[MemorySystem, AddressSpace, list[int]]:
    system = MemorySystem()
    root = MemoryRegion.container("sys", 1 << 64)
    with system.transaction():
        for i in range(n):  # pages with gaps, so that no two ranges merge
            root.add_subregion(2 * i * PAGE, MemoryRegion.ram(f"r{i}", PAGE))
    space = AddressSpace(system, root, "cpu")
    return system, space, [2 * i * PAGE for i in range(n)]


def main() -> None:
    t0 = time.perf_counter()
    system, space, _ = layout(10_000)
    print(f"render 10,000 regions under one container: {time.perf_counter() - t0:.3f} s "
          f"({system.memory_stats()['flat_ranges']} flat ranges)")  # fmt: skip
    system.close()
    rng = random.Random(1)
    for n in (10, 1_000, 10_000):
        system, space, starts = layout(n)
        addrs = [rng.choice(starts) + rng.randrange(PAGE) for _ in range(1_000_000)]
        line = f"1,000,000 lookups, {n:>6} ranges:"
        for kind in ("bisect", "radix"):
            lookup = make_dispatch(kind, space.flatview.ranges).lookup
            t0 = time.perf_counter()
            for a in addrs:
                lookup(a)
            dt = time.perf_counter() - t0
            line += f"  {kind} {dt * 1e3:.0f} ns/lookup"
        print(line)
        system.close()
    system, space, starts = layout(1_000)
    addrs = [rng.choice(starts) + rng.randrange(PAGE) for _ in range(100_000)]
    t0 = time.perf_counter()
    for a in addrs:
        space.read(a, 1)
    ours = time.perf_counter() - t0
    system.close()
    try:
        from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc
    except ImportError:
        print("unicorn is not installed: no peer figure")
        return
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    for s in starts:
        uc.mem_map(s, PAGE)
    t0 = time.perf_counter()
    for a in addrs:
        uc.mem_read(a, 1)
    theirs = time.perf_counter() - t0
    print(f"100,000 one-byte reads over 1,000 mappings: tcgkit {ours * 1e4:.0f} ns/read, "
          f"unicorn {theirs * 1e4:.0f} ns/read, "
          f"ratio tcgkit/unicorn {ours / theirs:.2f}")  # fmt: skip
    from tcgkit import Emulator

    for n in (10, 100, 1_000):
        with Emulator("aarch64") as emu:
            ours_p, ours_m = map_changes(emu.mem_map, emu.mem_unmap, emu.mem_protect, n)
        uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        theirs_p, theirs_m = map_changes(uc.mem_map, uc.mem_unmap, uc.mem_protect, n)
        print(f"map changes, {n:>5} regions mapped: mem_protect tcgkit {ours_p * 1e6:.0f} us, "
              f"unicorn {theirs_p * 1e6:.0f} us, ratio {ours_p / theirs_p:.1f}; map+unmap "
              f"tcgkit {ours_m * 1e6:.0f} us, unicorn {theirs_m * 1e6:.0f} us, "
              f"ratio {ours_m / theirs_m:.1f}")  # fmt: skip


def map_changes(
    mem_map: Callable[..., None],
    mem_unmap: Callable[[int, int], None],
    mem_protect: Callable[[int, int, int], None],
    n: int,
) -> tuple[float, float]:
    """Seconds per ``mem_protect`` of one page and per map + unmap of a 64 KiB region,
    with ``n`` 64 KiB regions mapped (the same calls on either API)."""
    base = 0x1000000
    for i in range(n):
        mem_map(base + i * 0x20000, 0x10000)
    t0 = time.perf_counter()
    for j in range(200):
        mem_protect(base + (j % n) * 0x20000, PAGE, 1 if j % 2 else 3)
    protect = (time.perf_counter() - t0) / 200
    t0 = time.perf_counter()
    for j in range(50):
        mem_map(0x80000000 + j * 0x20000, 0x10000)
        mem_unmap(0x80000000 + j * 0x20000, 0x10000)
    return protect, (time.perf_counter() - t0) / 50


if __name__ == "__main__":
    main()
