"""The release interface under load: create, run and close emulators in a loop.

For N emulators (default 2,000) each mapping memory, running a short aarch64
loop and closing, prints the time per cycle, and the process's resident
memory and mapping count before and after, for tcgkit and for Unicorn (the
peer) in one run, with the ratio of the cycle times. Flat memory and mapping
counts are the point; tests assert flatness on smaller loops
(tests/engine/test_release.py), never timings.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

CODE = 0x10000
# mov x0, #100; loop: subs x0, x0, #1; b.ne loop
PROGRAM = bytes.fromhex("800c80d2000400f1e1ffff54")


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def mappings() -> int:
    with open("/proc/self/maps") as f:
        return sum(1 for _ in f)


def tcgkit_cycle() -> None:
    from tcgkit import Emulator

    emu = Emulator("aarch64", host="auto")
    emu.mem_map(CODE, 0x10000)
    emu.mem_write(CODE, PROGRAM)
    emu.emu_start(CODE, CODE + len(PROGRAM))
    emu.close()


def unicorn_cycle() -> None:
    from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc

    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x10000)
    uc.mem_write(CODE, PROGRAM)
    uc.emu_start(CODE, CODE + len(PROGRAM))
    del uc


def measure(name: str, cycle, n: int) -> float:
    for _ in range(20):
        cycle()
    gc.collect()
    rss0, maps0 = rss_kib(), mappings()
    t0 = time.perf_counter()
    for _ in range(n):
        cycle()
    dt = (time.perf_counter() - t0) / n
    gc.collect()
    print(f"{name:8} {dt * 1e3:8.3f} ms/cycle  RSS {rss0} -> {rss_kib()} KiB  "
          f"mappings {maps0} -> {mappings()}")  # fmt: skip
    return dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="emulators to create and close")
    args = parser.parse_args()
    ours = measure("tcgkit", tcgkit_cycle, args.n)
    try:
        theirs = measure("unicorn", unicorn_cycle, args.n)
    except ImportError:
        print("unicorn is not installed: no peer figure")
        return
    print(f"ratio tcgkit/unicorn: {ours / theirs:.1f}")


if __name__ == "__main__":
    main()
