"""Translation cost per example program: µs per translated guest instruction, by phase.

For each program in examples/bin, on one host (``--host``, x86_64 unless told), the
median of ``--runs`` runs of the program in this process (the runs go round the
programs, so that the machine's drift is shared), every TB compiled at once
(``tier_up=0``: ``benchmarks/tiers.py`` measures the interpreted tier), with each
phase of ``gen_code`` timed: the core's passes by the engine itself
and a native host's allocation and lowering by the host (``stats()``'s
``time_translating_core`` and ``time_translating_host``: the translator is compiled,
so its calls cannot be wrapped from here); the python host's compile step by wrapping it:

* decode/IR   - the target's translator loop (fetch, decode, IR emission);
* optimize    - ``tcg.optimize``;
* liveness    - ``tcg.liveness``;
* allocate    - ``tcg.regalloc.allocate`` (native hosts);
* lower+enc   - the host's lowering and instruction encoding (``lower_tb``; on the
  python host, its compile step);
* install     - the rest of ``gen_code``: the TB record, region allocation, the copy
  into the code buffer, the instruction-cache flush;

then the whole-process time of a fresh process running the program on tcgkit (with
the default tiers) and on
Unicorn (``vs_unicorn.whole_process``) and their ratio (not for the examples that start
guest threads: the Unicorn harness has one vCPU). The first line says whether
the translator runs compiled (mypyc, from a wheel install) or as pure Python (an
editable install, or ``TCGKIT_BUILD=pure``).

Usage: ``python benchmarks/translation.py [--runs N] [--host x86_64] [PROGRAM ...]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aarch64_programs import THREADED
from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit.tcg import translator_build
from tcgkit_target_aarch64.state import LINUX_ABI
from vs_unicorn import EXAMPLES, whole_process

PHASES = ("decode/IR", "optimize", "liveness", "allocate", "lower+enc", "install")


class PhaseClock:
    """Seconds spent in each phase, by wrapping the functions that implement them."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(PHASES, 0.0)

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        spent = self.spent

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - t0

        return timed


def run_once(path: Path, host: str) -> tuple[dict[str, float], int]:
    """Run ``path`` once; the seconds per phase and the guest instructions translated."""
    clock = PhaseClock()
    with Emulator("aarch64", host=host, tier_up=0) as emu:
        backend = emu.engine.host
        if not hasattr(backend, "lower_tb"):  # native hosts time allocation and lowering
            backend.compile = clock.wrap("lower+enc", backend.compile)
        proc = LinuxProcess(emu, LINUX_ABI, stdout=io.BytesIO())
        proc.load(path.read_bytes(), [str(path)])
        proc.run()
        stats = emu.stats()
        clock.spent.update(stats["time_translating_core"])
        clock.spent.update(stats["time_translating_host"])
    total = stats["time_translating"]
    clock.spent["install"] = max(0.0, total - sum(clock.spent.values()))
    return clock.spent, stats["insns_translated"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="median of N runs per program")
    parser.add_argument("--host", default="x86_64")
    parser.add_argument("--no-unicorn", action="store_true", help="skip the whole-process runs")
    parser.add_argument("programs", nargs="*", help="example names (default: all)")
    args = parser.parse_args()
    paths = [EXAMPLES / (p if p.endswith(".elf") else p + ".elf") for p in args.programs]
    paths = paths or sorted(EXAMPLES.glob("*.elf"))
    print(f"translator: {translator_build()}; host: {args.host}; median of {args.runs} runs")
    cols = [*PHASES, "total"]
    print(f"{'program':18}{'insns':>7}" + "".join(f"{c:>10}" for c in cols)
          + f"{'tcgkit s':>10}{'unicorn s':>10}{'ratio':>7}")  # fmt: skip
    med = statistics.median
    # the runs go round the programs (and tcgkit and Unicorn alternate), so that a slow
    # spell of the machine (timings here drift by a third) falls on every program alike
    # instead of on the one measured then
    runs: dict[Path, list[tuple[dict[str, float], int]]] = {p: [] for p in paths}
    for _ in range(args.runs):
        for path in paths:
            runs[path].append(run_once(path, args.host))
    whole: dict[Path, tuple[list[float], list[float]]] = {}
    if not args.no_unicorn:
        single = [p for p in paths if p.name not in THREADED]
        whole = {p: ([], []) for p in single}
        for _ in range(args.runs):
            for path in single:
                whole[path][0].append(whole_process("tcgkit", path, args.host))
                whole[path][1].append(whole_process("unicorn", path, args.host))
    for path in paths:
        n = runs[path][0][1]
        per = {ph: med(r[0][ph] for r in runs[path]) * 1e6 / max(n, 1) for ph in PHASES}
        total = med(sum(r[0].values()) for r in runs[path]) * 1e6 / max(n, 1)
        line = f"{path.name:18}{n:>7}" + "".join(f"{per[ph]:>10.1f}" for ph in PHASES)
        line += f"{total:>10.1f}"
        if path in whole:
            t, u = med(whole[path][0]), med(whole[path][1])
            line += f"{t:>10.3f}{u:>10.3f}{t / u:>7.2f}"
        print(line, flush=True)
    print("\nphases in µs per translated guest instruction; ratio: whole process tcgkit / Unicorn")


if __name__ == "__main__":
    main()
