"""Every example program on tcgkit's x86_64 host, on Unicorn and on qemu-user, in one run.

For each program in examples/bin: the median of ``--runs`` runs of
* emulation time: ``LinuxProcess.run()`` in this process, on tcgkit (host
  ``x86_64``) and on Unicorn driven by the same loader and system calls
  (``aarch64_programs.UnicornAsEmulator``);
* whole-process time: a fresh ``python`` process that imports the engine,
  loads the ELF and runs it (``--one ENGINE PROGRAM`` below: an embedding
  script, as a Unicorn user writes one), wall clock; and, for tcgkit, the
  ``tcgkit run PROGRAM ARGS`` command (``python -m tcgkit``), which may tune
  its process as a whole (``cli``);
  and a ``qemu-aarch64-static PROGRAM ARGS`` process (or ``qemu-aarch64``,
  whichever is on PATH; every example is a static Linux program), wall clock;
  when neither is installed, a note says so and the qemu columns show ``-``;
and the ratios tcgkit / Unicorn (emulation and whole process) and tcgkit /
qemu (whole process); then the same for longer runs of programs that take a
size (``LONG_RUNS``), where hot loops and, for bigmem, a working set far
beyond the software TLB's reach dominate rather than translation.
Per program, tcgkit's software-TLB refills: those that went through Python
(``tlb_misses``) and, where the host refills natively, those done in
generated code (``tlb_refills_native``). tcgkit's translation share is shown
(time translating, guest instructions translated, µs per translated guest
instruction), since the programs that are slowest relative to Unicorn are the
ones dominated by translation.

Usage: ``python benchmarks/vs_unicorn.py [--runs N] [--host x86_64]``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aarch64_programs import THREADED, UnicornAsEmulator
from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit_target_aarch64.state import LINUX_ABI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bin"
# size arguments for long runs; bigmem's: sieve bytes, hash-table bytes, keys
LONG_RUNS = [
    ("sort.elf", ["300000"]),
    ("bigmem.elf", ["32M", "32M", "1M"]),
    ("crypto.elf", ["1024"]),
    ("fastmath.elf", ["20"]),
]
QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")


def run_tcgkit(path: Path, host: str, args: list[str] = (),
               tier_up: int | None = None) -> tuple[float, dict, bytes, int]:  # fmt: skip
    """Emulation time, stats, output and exit code (``tier_up``: the Emulator's unless
    given)."""
    out = io.BytesIO()
    extra = {} if tier_up is None else {"tier_up": tier_up}
    with Emulator("aarch64", host=host, **extra) as emu:
        proc = LinuxProcess(emu, LINUX_ABI, stdout=out)
        proc.load(path.read_bytes(), [str(path), *args])
        t0 = time.perf_counter()
        proc.run()
        dt = time.perf_counter() - t0
        return dt, emu.stats(), out.getvalue(), proc.exit_code


def run_unicorn(path: Path, args: list[str] = ()) -> tuple[float, bytes]:
    out = io.BytesIO()
    emu = UnicornAsEmulator()
    proc = LinuxProcess(emu, LINUX_ABI, stdout=out)  # type: ignore[arg-type]
    proc.load(path.read_bytes(), [str(path), *args])
    t0 = time.perf_counter()
    proc.run()
    return time.perf_counter() - t0, out.getvalue()


# Whole-process runs use Python's bytecode cache, as an installed package does (pip writes
# the .pyc files at install time): PYTHONDONTWRITEBYTECODE, set in some environments, would
# make every run compile every module of both engines' Python code again.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def whole_process(engine: str, path: Path, host: str, args: list[str] = (),
                  tier_up: int | None = None) -> float:  # fmt: skip
    """Wall time of one process: ``engine`` "tcgkit" or "unicorn" embedded in a script
    (``--one``), or "tcgkit-cli", the ``tcgkit run`` command."""
    tier = [] if tier_up is None else ["--tier-up", str(tier_up)]
    if engine == "tcgkit-cli":
        cmd = [sys.executable, "-m", "tcgkit", "run", "--host", host, *tier, str(path), *args]
    else:
        cmd = [sys.executable, __file__, "--host", host, *tier, "--one", engine, str(path),
               *args]  # fmt: skip
    t0 = time.perf_counter()
    # the programs' exit status is theirs (hello_glibc's is 7): not checked here
    subprocess.run(cmd, check=engine != "tcgkit-cli", capture_output=True, env=_CHILD_ENV)
    return time.perf_counter() - t0


def run_qemu(path: Path, args: list[str] = ()) -> tuple[float, bytes, int]:
    """Whole-process wall time of qemu-user running the program, its stdout and exit code."""
    assert QEMU is not None
    t0 = time.perf_counter()
    res = subprocess.run([QEMU, str(path), *args], capture_output=True, check=False)
    return time.perf_counter() - t0, res.stdout, res.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="median of N runs per measurement")
    parser.add_argument("--host", default="x86_64")
    parser.add_argument(
        "--tier-up",
        type=int,
        default=None,
        help="Emulator(tier_up=N) for tcgkit (default: the Emulator's)",
    )
    parser.add_argument("--one", nargs="+", metavar="ENGINE PROGRAM", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, program, *prog_args = args.one
        if engine == "tcgkit":
            run_tcgkit(Path(program), args.host, prog_args, args.tier_up)
        else:
            run_unicorn(Path(program), prog_args)
        return
    med = statistics.median
    if QEMU is None:
        print("note: neither qemu-aarch64-static nor qemu-aarch64 is on PATH: no qemu times\n")
    else:
        print(f"qemu: {QEMU}\n")
    widths = [8, 8, 6, 8, 8, 6, 7, 6, 7, 6, 8, 9]  # the columns after the program's

    def row(first: str, *cells: str) -> str:
        return " ".join([f"{first:22}", *(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))])

    groups = [("emulation s", 3), ("whole process s", 7), ("TLB refills", 2)]
    heads, i = [], 0
    for title, n in groups:
        heads.append(f"{title:-^{sum(widths[i : i + n]) + n - 1}}")
        i += n
    print(" ".join([" " * 22, *heads]))
    print(row("program", "tcgkit", "unicorn", "ratio", "tcgkit", "unicorn", "ratio", "cli",
              "ratio", "qemu", "ratio", "python", "native") + "  tcgkit translation")  # fmt: skip
    cases = [(p, []) for p in sorted(EXAMPLES.glob("*.elf")) if p.name not in THREADED]
    cases += [(EXAMPLES / name, prog_args) for name, prog_args in LONG_RUNS]
    for path, prog_args in cases:
        label = " ".join([path.name, *prog_args])
        runs = [run_tcgkit(path, args.host, prog_args, args.tier_up) for _ in range(args.runs)]
        uc = [run_unicorn(path, prog_args) for _ in range(args.runs)]
        if runs[0][2] != uc[0][1]:
            print(f"{label}: outputs differ between tcgkit and Unicorn", file=sys.stderr)
        t_emu, u_emu = med(r[0] for r in runs), med(u[0] for u in uc)
        t_proc = med(whole_process("tcgkit", path, args.host, prog_args, args.tier_up)
                     for _ in range(args.runs))  # fmt: skip
        u_proc = med(whole_process("unicorn", path, args.host, prog_args)
                     for _ in range(args.runs))  # fmt: skip
        c_proc = med(whole_process("tcgkit-cli", path, args.host, prog_args, args.tier_up)
                     for _ in range(args.runs))  # fmt: skip
        q_proc = q_ratio = "-"
        if QEMU is not None:
            qs = [run_qemu(path, prog_args) for _ in range(args.runs)]
            if qs[0][1:] != runs[0][2:]:
                print(f"{label}: output or exit code differs between tcgkit and qemu",
                      file=sys.stderr)  # fmt: skip
            q = med(q[0] for q in qs)
            q_proc, q_ratio = f"{q:.3f}", f"{t_proc / q:.2f}"
        stats = runs[len(runs) // 2][1]
        tr, n = stats["time_translating"], stats["insns_translated"]
        share = f"{tr:.3f} s for {n} insns = {tr / max(n, 1) * 1e6:.1f} us/insn"
        print(row(label, f"{t_emu:.3f}", f"{u_emu:.3f}", f"{t_emu / u_emu:.2f}",
                  f"{t_proc:.3f}", f"{u_proc:.3f}", f"{t_proc / u_proc:.2f}", f"{c_proc:.3f}",
                  f"{c_proc / u_proc:.2f}", q_proc, q_ratio,
                  str(stats.get("tlb_misses", "-")), str(stats.get("tlb_refills_native", "-")))
              + "  " + share)  # fmt: skip
    print(
        "\nratio: tcgkit / unicorn (emulation, whole process), `tcgkit run` (cli) / unicorn,"
        "\ntcgkit / qemu (whole process);"
        "\nTLB refills: tcgkit's software-TLB misses handled in Python, and in generated code"
    )


if __name__ == "__main__":
    main()
