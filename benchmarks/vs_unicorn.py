"""Every example program on tcgkit's x86_64 host and on Unicorn, in one run.

For each program in examples/bin: the median of ``--runs`` runs of
* emulation time: ``LinuxProcess.run()`` in this process, on tcgkit (host
  ``x86_64``) and on Unicorn driven by the same loader and system calls
  (``aarch64_programs.UnicornAsEmulator``);
* whole-process time: a fresh ``python`` process that imports the engine,
  loads the ELF and runs it (``--one ENGINE PROGRAM`` below), wall clock;
and the ratio tcgkit / Unicorn of both; then the same for longer runs of
programs that take a size (``LONG_RUNS``), where hot loops dominate rather
than translation. tcgkit's translation share is shown
(time translating, guest instructions translated, µs per translated guest
instruction), since the programs that are slowest relative to Unicorn are the
ones dominated by translation.

Usage: ``python benchmarks/vs_unicorn.py [--runs N] [--host x86_64]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aarch64_programs import UnicornAsEmulator
from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit_target_aarch64.state import LINUX_ABI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bin"
LONG_RUNS = [("sort.elf", ["300000"])]


def run_tcgkit(path: Path, host: str, args: list[str] = ()) -> tuple[float, dict, bytes]:
    out = io.BytesIO()
    with Emulator("aarch64", host=host) as emu:
        proc = LinuxProcess(emu, LINUX_ABI, stdout=out)
        proc.load(path.read_bytes(), [str(path), *args])
        t0 = time.perf_counter()
        proc.run()
        return time.perf_counter() - t0, emu.stats(), out.getvalue()


def run_unicorn(path: Path, args: list[str] = ()) -> tuple[float, bytes]:
    out = io.BytesIO()
    emu = UnicornAsEmulator()
    proc = LinuxProcess(emu, LINUX_ABI, stdout=out)  # type: ignore[arg-type]
    proc.load(path.read_bytes(), [str(path), *args])
    t0 = time.perf_counter()
    proc.run()
    return time.perf_counter() - t0, out.getvalue()


def whole_process(engine: str, path: Path, host: str, args: list[str] = ()) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--host", host, "--one", engine, str(path), *args],
                   check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="median of N runs per measurement")
    parser.add_argument("--host", default="x86_64")
    parser.add_argument("--one", nargs="+", metavar="ENGINE PROGRAM", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, program, *prog_args = args.one
        if engine == "tcgkit":
            run_tcgkit(Path(program), args.host, prog_args)
        else:
            run_unicorn(Path(program), prog_args)
        return
    med = statistics.median
    print(f"{'program':16} {'tcgkit emu s':>12} {'unicorn emu s':>13} {'ratio':>6} "
          f"{'tcgkit proc s':>13} {'unicorn proc s':>14} {'ratio':>6}  translation")  # fmt: skip
    cases = [(p, []) for p in sorted(EXAMPLES.glob("*.elf"))]
    cases += [(EXAMPLES / name, prog_args) for name, prog_args in LONG_RUNS]
    for path, prog_args in cases:
        runs = [run_tcgkit(path, args.host, prog_args) for _ in range(args.runs)]
        uc = [run_unicorn(path, prog_args) for _ in range(args.runs)]
        if runs[0][2] != uc[0][1]:
            print(f"{path.name}: outputs differ between tcgkit and Unicorn", file=sys.stderr)
        t_emu, u_emu = med(r[0] for r in runs), med(u[0] for u in uc)
        t_proc = med(whole_process("tcgkit", path, args.host, prog_args)
                     for _ in range(args.runs))  # fmt: skip
        u_proc = med(whole_process("unicorn", path, args.host, prog_args)
                     for _ in range(args.runs))  # fmt: skip
        stats = runs[len(runs) // 2][1]
        tr, n = stats["time_translating"], stats["insns_translated"]
        share = f"{tr:.3f} s for {n} insns = {tr / max(n, 1) * 1e6:.1f} us/insn"
        label = " ".join([path.name, *prog_args])
        print(f"{label:16} {t_emu:12.3f} {u_emu:13.3f} {t_emu / u_emu:6.2f} "
              f"{t_proc:13.3f} {u_proc:14.3f} {t_proc / u_proc:6.2f}  {share}")  # fmt: skip


if __name__ == "__main__":
    main()
