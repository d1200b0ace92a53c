"""The release interface: close() frees what the emulator made, is idempotent,
and leaves nothing behind over many emulators."""

from __future__ import annotations

import gc
import resource

import pytest
from tcgkit import EmulatorClosedError
from tcgkit_target_toy.testing import CODE, build


def mappings() -> int:
    with open("/proc/self/maps") as f:
        return sum(1 for _ in f)


def test_close_is_idempotent_and_later_calls_fail(make):
    emu = make("li r0, 1\n")
    emu.emu_start(CODE, emu.end)
    emu.close()
    emu.close()
    assert emu.closed
    for call in (lambda: emu.reg_read("r0"), lambda: emu.mem_read(CODE, 4),
                 lambda: emu.emu_start(CODE, CODE + 4), lambda: emu.stats(),
                 lambda: emu.mem_map(0, 0x1000), lambda: emu.hook_add(4, print)):  # fmt: skip
        with pytest.raises(EmulatorClosedError):
            call()


def test_with_block_closes(host):
    with build("li r0, 1\n", host=host) as emu:
        emu.emu_start(CODE, emu.end)
    assert emu.closed


def test_create_and_close_in_a_loop_keeps_mappings_and_objects_flat(host):
    def cycle(n: int) -> None:
        for _ in range(n):
            emu = build("li r1, 3\nl: addi r1, r1, -1\nbnz r1, l\n", host=host)
            emu.emu_start(CODE, emu.end)
            emu.close()
        gc.collect()

    cycle(20)  # warm up caches (plugin discovery, imports)
    maps0, objs0 = mappings(), len(gc.get_objects())
    cycle(300)
    maps1, objs1 = mappings(), len(gc.get_objects())
    assert maps1 <= maps0 + 2
    assert objs1 <= objs0 + 500


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def test_ten_thousand_cycles_keep_rss_and_mappings_flat(host):
    """10,000 create / map / run / close cycles: RSS grows by less than 5 MB and
    the number of mappings does not grow. Slack of a few mappings for the Python
    allocator's arenas, which come and go with the rest of the suite's heap; a
    leak of one mapping per emulator would show as thousands."""

    def cycle() -> None:
        emu = build("li r1, 3\nl: addi r1, r1, -1\nbnz r1, l\n", host=host)
        emu.emu_start(CODE, emu.end)
        emu.close()

    for _ in range(200):
        cycle()
    gc.collect()
    rss0, maps0 = rss_kib(), mappings()
    for _ in range(10_000):
        cycle()
    gc.collect()
    assert rss_kib() - rss0 < 5 * 1024
    assert mappings() <= maps0 + 4


def test_unclosed_emulator_is_released_when_collected(host):
    maps0 = mappings()
    for _ in range(50):
        emu = build("li r0, 1\n", host=host)
        emu.emu_start(CODE, emu.end)
        del emu
    gc.collect()
    assert mappings() <= maps0 + 2


def test_closing_running_vcpus_in_a_loop_keeps_threads_and_mappings_flat(host):
    """Emulators with three vCPUs running in threads, closed while they run: every
    vCPU thread ends and nothing stays mapped."""
    import threading

    def cycle(n: int) -> None:
        for _ in range(n):
            emu = build("li r1, 1\nl: addi r0, r0, 1\nbnz r1, l\n", host=host)
            for cpu in [emu.cpus[0], emu.add_cpu(), emu.add_cpu()]:
                cpu.start(CODE, emu.end)
            emu.close()
        gc.collect()

    cycle(5)
    maps0, threads0 = mappings(), threading.active_count()
    cycle(100)
    assert threading.active_count() == threads0
    assert mappings() <= maps0 + 2
