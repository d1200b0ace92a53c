"""A CPU-bound guest program with 1 and with N threads, on tcgkit and on qemu-user.

``examples/bin/parallel_sum.elf THREADS COUNT`` mixes COUNT numbers split over
THREADS pthreads (static glibc); the output does not depend on THREADS. For
each engine the median wall time of ``--runs`` runs with 1 thread and with
``--threads`` threads, and the speedup (1-thread time / N-thread time; the goal
on this 2-core machine is 1.8x for 2 threads): tcgkit runs the program in this
process (``LinuxProcess.run``, host ``--host``, default x86_64), each guest
thread a vCPU in a host thread of its own; qemu-aarch64(-static) runs it as a
process. Unicorn has no threads, so qemu-user is the peer here.

Usage: ``python benchmarks/guest_threads.py [--count N] [--threads N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit_target_aarch64.state import LINUX_ABI

PROGRAM = Path(__file__).resolve().parents[1] / "examples" / "bin" / "parallel_sum.elf"
QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")


def run_tcgkit(host: str, threads: int, count: int) -> tuple[float, bytes]:
    out = io.BytesIO()
    with Emulator("aarch64", host=host) as emu:
        proc = LinuxProcess(emu, LINUX_ABI, stdout=out)
        proc.load(PROGRAM.read_bytes(), [str(PROGRAM), str(threads), str(count)])
        t0 = time.perf_counter()
        proc.run()
        return time.perf_counter() - t0, out.getvalue()


def run_qemu(threads: int, count: int) -> tuple[float, bytes]:
    assert QEMU is not None
    t0 = time.perf_counter()
    res = subprocess.run([QEMU, str(PROGRAM), str(threads), str(count)], capture_output=True,
                         check=True)  # fmt: skip
    return time.perf_counter() - t0, res.stdout


def median_run(fn, runs: int) -> tuple[float, bytes]:  # type: ignore[no-untyped-def]
    results = [fn() for _ in range(runs)]
    outputs = {out for _, out in results}
    assert len(outputs) == 1, outputs
    return statistics.median(t for t, _ in results), results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000_000)  # ~1 s a thread: CPU-bound
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host", default="x86_64")
    args = parser.parse_args()
    engines = [(f"tcgkit/{args.host}", lambda n: run_tcgkit(args.host, n, args.count))]
    if QEMU is not None:
        engines.append(("qemu-user", lambda n: run_qemu(n, args.count)))
    else:
        print("qemu-aarch64 is not installed (scripts/bootstrap installs it): no peer figure")
    print(f"parallel_sum.elf, {args.count:,} numbers, median of {args.runs} runs")
    outputs = set()
    for name, fn in engines:
        one, out1 = median_run(lambda fn=fn: fn(1), args.runs)
        many, outn = median_run(lambda fn=fn: fn(args.threads), args.runs)
        outputs |= {out1, outn}
        print(f"{name:16} 1 thread {one:.3f} s  {args.threads} threads {many:.3f} s  "
              f"speedup {one / many:.2f}x")  # fmt: skip
    assert len(outputs) == 1, f"the engines disagree: {outputs}"
    print(f"output: {outputs.pop().decode().strip()}")


if __name__ == "__main__":
    main()
