"""Whole aarch64 programs: tcgkit (every runnable host) against qemu-aarch64 and Unicorn.

Runs each example program that tcgkit supports, in one process, on:
* tcgkit, through ``tcgkit.linux.LinuxProcess`` on an ``Emulator``;
* Unicorn, through the same LinuxProcess driving a thin adapter that gives
  ``unicorn.Uc`` the Emulator's method names (same loader, same system calls);
* qemu-aarch64(-static) as a subprocess (its time includes process start-up).

Prints seconds, guest instructions per second (tcgkit counts them), and the
ratios tcgkit/peer. Usage: ``python benchmarks/aarch64_programs.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import time
from pathlib import Path

from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit_target_aarch64.state import LINUX_ABI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bin"
#: examples that start guest threads: the Unicorn harness has one vCPU (guest_threads.py
#: measures them against qemu-user instead)
THREADED = frozenset({"litmus.elf", "parallel_sum.elf", "pthread_edges.elf", "threads.elf"})
PROGRAMS = ["sort.elf", "bytecode.elf", "manyfuncs.elf"]


class UnicornAsEmulator:
    """The subset of the Emulator API LinuxProcess uses, on a unicorn.Uc."""

    def __init__(self) -> None:
        from unicorn import UC_ARCH_ARM64, UC_HOOK_INTR, UC_MODE_ARM, Uc
        from unicorn import arm64_const as A

        self._uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        # the features AT_HWCAP lets glibc use (LSE atomics, ...): Unicorn's `max` CPU
        self._uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
        self._A = A
        self._hook_intr = UC_HOOK_INTR

    def _reg(self, name: str) -> int:
        return getattr(self._A, f"UC_ARM64_REG_{name.upper()}")

    def mem_map(self, address: int, size: int, perms: int = 7) -> None:
        self._uc.mem_map(address, size, perms)

    def mem_unmap(self, address: int, size: int) -> None:
        self._uc.mem_unmap(address, size)

    def mem_protect(self, address: int, size: int, perms: int, *, merge: bool = False) -> None:
        # Unicorn keeps the pieces of a mapping split: ``merge`` changes nothing here
        self._uc.mem_protect(address, size, perms)

    def mem_regions(self) -> list[tuple[int, int, int]]:
        return list(self._uc.mem_regions())

    def mem_write(self, address: int, data: bytes) -> None:
        self._uc.mem_write(address, bytes(data))

    def mem_read(self, address: int, size: int) -> bytearray:
        return self._uc.mem_read(address, size)

    def reg_write(self, name: str, value: int) -> None:
        self._uc.reg_write(self._reg(name), value)

    def reg_read(self, name: str) -> int:
        return self._uc.reg_read(self._reg(name))

    def hook_add(self, kind: int, callback) -> None:
        self._uc.hook_add(self._hook_intr, lambda uc, intno, user: callback(self, intno))

    def emu_start(self, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        self._uc.emu_start(begin, until, timeout, count)

    def emu_stop(self) -> None:
        self._uc.emu_stop()

    # one vCPU: what LinuxProcess asks of the vCPU API for a single-threaded program
    @property
    def cpus(self) -> list[_OneVCPU]:
        return [_ONE_VCPU]

    @property
    def current_cpu(self) -> _OneVCPU:
        return _ONE_VCPU

    def wait(self, timeout: float | None = None) -> bool:
        """Nothing runs in another thread: every vCPU is done."""
        return True

    def add_cpu(self) -> None:
        raise RuntimeError("the Unicorn harness runs one vCPU: no guest threads")


class _OneVCPU:
    index = 0
    stop_requested = False  # nothing asks the Unicorn harness's one vCPU to stop


_ONE_VCPU = _OneVCPU()


def run_tcgkit(path: Path, host: str) -> tuple[float, int, bytes]:
    out = io.BytesIO()
    with Emulator("aarch64", host=host) as emu:
        proc = LinuxProcess(emu, LINUX_ABI, stdout=out)
        proc.load(path.read_bytes(), [str(path)])
        t0 = time.perf_counter()
        proc.run()
        dt = time.perf_counter() - t0
        return dt, emu.stats()["guest_instructions"], out.getvalue()


def run_unicorn(path: Path) -> tuple[float, bytes]:
    out = io.BytesIO()
    emu = UnicornAsEmulator()
    proc = LinuxProcess(emu, LINUX_ABI, stdout=out)  # type: ignore[arg-type]
    proc.load(path.read_bytes(), [str(path)])
    t0 = time.perf_counter()
    proc.run()
    return time.perf_counter() - t0, out.getvalue()


def run_qemu(path: Path) -> tuple[float, bytes] | None:
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if exe is None:
        return None
    t0 = time.perf_counter()
    res = subprocess.run([exe, str(path)], capture_output=True, check=True)
    return time.perf_counter() - t0, res.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per measurement")
    args = parser.parse_args()
    hosts = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]
    print(f"{'program':15} {'engine':18} {'seconds':>9} {'guest MIPS':>11}  ratio tcgkit/peer")
    for name in PROGRAMS:
        path = EXAMPLES / name
        insns = 0
        results: dict[str, float] = {}
        for host in hosts:
            best = min(run_tcgkit(path, host)[0] for _ in range(args.runs))
            insns = run_tcgkit(path, host)[1]
            results[f"tcgkit/{host}"] = best
        try:
            results["unicorn"] = min(run_unicorn(path)[0] for _ in range(args.runs))
        except ImportError:
            print("  (unicorn is not installed)")
        q = [run_qemu(path) for _ in range(args.runs)]
        if q[0] is not None:
            results["qemu-aarch64"] = min(r[0] for r in q if r is not None)
        for engine, secs in results.items():
            mips = insns / secs / 1e6
            line = f"{name:15} {engine:18} {secs:9.3f} {mips:11.2f}"
            if not engine.startswith("tcgkit"):
                ratios = ", ".join(f"{h}: {results[h] / secs:.1f}x slower"
                                   for h in results if h.startswith("tcgkit"))  # fmt: skip
                line += f"  {ratios}"
            print(line)


if __name__ == "__main__":
    main()
