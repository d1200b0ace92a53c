"""Native code in parallel threads: the 2-thread speedup.

Each worker runs a hot loop of ``--iterations`` iterations (aarch64 target,
``--host``, default x86_64); the loop is chained machine code that runs with
the GIL released, so two workers on two cores should take about as long as
one. Workers are either separate emulators (one per thread), or the vCPUs of
one emulator (MTTCG: shared memory and TB cache, each vCPU in its own
thread). Prints the wall time of one worker alone, of N workers one after
the other, of N workers in N threads at once, and the speedup (sequential /
parallel; the goal is 1.8x on 2 cores). Unicorn, the peer, also releases the
GIL in emu_start (one Uc per thread): its speedup is printed the same way.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

CODE = 0x10000
# mov x0, #iterations (movz + movk); loop: subs x0, x0, #1; b.ne loop
LOOP = "loop: subs x0, x0, #1\nb.ne loop\n"


def program(iterations: int) -> bytes:
    lo, hi = iterations & 0xFFFF, iterations >> 16 & 0xFFFF
    movz = 0xD2800000 | lo << 5
    movk = 0xF2A00000 | hi << 5
    subs = 0xF1000400
    bne = 0x54FFFFE1
    return b"".join(w.to_bytes(4, "little") for w in (movz, movk, subs, bne))


def tcgkit_worker(host: str, code: bytes) -> Callable[[], None]:
    from tcgkit import Emulator

    emu = Emulator("aarch64", host=host)
    emu.mem_map(CODE, 0x1000)
    emu.mem_write(CODE, code)
    emu.emu_start(CODE, CODE + len(code), count=8)  # translate before timing

    def run() -> None:
        emu.emu_start(CODE, CODE + len(code))

    return run


def tcgkit_vcpu_workers(host: str, code: bytes, n: int) -> list[Callable[[], None]]:
    from tcgkit import Emulator

    emu = Emulator("aarch64", host=host)
    emu.mem_map(CODE, 0x1000)
    emu.mem_write(CODE, code)
    cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(n - 1)]
    emu.emu_start(CODE, CODE + len(code), count=8)  # translate before timing

    def worker(cpu: object) -> Callable[[], None]:
        def run() -> None:
            cpu.start(CODE, CODE + len(code))  # type: ignore[attr-defined]
            cpu.join()  # type: ignore[attr-defined]

        return run

    return [worker(cpu) for cpu in cpus]


def unicorn_worker(code: bytes) -> Callable[[], None]:
    from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc

    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x1000)
    uc.mem_write(CODE, code)

    def run() -> None:
        uc.emu_start(CODE, CODE + len(code))

    return run


def measure(name: str, workers: list[Callable[[], None]]) -> None:
    t0 = time.perf_counter()
    workers[0]()
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    for w in workers:
        w()
    seq = time.perf_counter() - t0
    threads = [threading.Thread(target=w) for w in workers]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    par = time.perf_counter() - t0
    print(f"{name:22} one {one:.3f} s  {len(workers)} sequential {seq:.3f} s  "
          f"{len(workers)} threads {par:.3f} s  speedup {seq / par:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--host", default="x86_64")
    args = parser.parse_args()
    code = program(args.iterations)
    measure(f"tcgkit/{args.host}", [tcgkit_worker(args.host, code) for _ in range(args.threads)])
    measure(f"tcgkit/{args.host} vCPUs", tcgkit_vcpu_workers(args.host, code, args.threads))
    try:
        measure("unicorn", [unicorn_worker(code) for _ in range(args.threads)])
    except ImportError:
        print("unicorn is not installed: no peer figure")


if __name__ == "__main__":
    main()
