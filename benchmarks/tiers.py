"""Tier 0 against compiling every TB at once, and both against Unicorn, in one run.

For each example program (and the long runs of ``vs_unicorn``): the median of
``--runs`` whole-process wall times (a fresh ``python`` that imports the engine,
loads the ELF and runs it, as ``vs_unicorn`` measures them) of tcgkit with
``tier_up=0`` (every TB compiled by the host backend at once), of tcgkit with
the default ``tier_up`` (TBs interpreted until they have run that many times,
``tcgkit.exec.tier0``), of the ``tcgkit run`` command with the default, and
of Unicorn; the ratios to Unicorn; and, from one
in-process run with the default, how many TBs started interpreted, how many
turned hot and were compiled, and the time spent interpreting and translating.

Usage: ``python benchmarks/tiers.py [--runs N] [--host x86_64]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aarch64_programs import THREADED
from tcgkit.exec.engine import DEFAULT_TIER_UP
from vs_unicorn import EXAMPLES, LONG_RUNS, run_tcgkit, whole_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="median of N runs per measurement")
    parser.add_argument("--host", default="x86_64")
    args = parser.parse_args()
    med = statistics.median
    print(f"whole process s, median of {args.runs}; tier_up={DEFAULT_TIER_UP} is the default\n")
    heads = ("tier_up=0", "default", "cli", "unicorn", "ratio 0", "ratio", "ratio cli",
             "tier-0 TBs", "compiled", "interp s", "transl s")  # fmt: skip
    print(f"{'program':24} " + " ".join(f"{h:>10}" for h in heads))
    cases = [(p, []) for p in sorted(EXAMPLES.glob("*.elf")) if p.name not in THREADED]
    cases += [(EXAMPLES / name, prog_args) for name, prog_args in LONG_RUNS]
    for path, prog_args in cases:
        label = " ".join([path.name, *prog_args])
        at_once = med(whole_process("tcgkit", path, args.host, prog_args, 0)
                      for _ in range(args.runs))  # fmt: skip
        tiered = med(whole_process("tcgkit", path, args.host, prog_args)
                     for _ in range(args.runs))  # fmt: skip
        cli = med(whole_process("tcgkit-cli", path, args.host, prog_args)
                  for _ in range(args.runs))  # fmt: skip
        uc = med(whole_process("unicorn", path, args.host, prog_args) for _ in range(args.runs))
        stats = run_tcgkit(path, args.host, prog_args)[1]
        t0 = stats["tier0"]
        cells = (f"{at_once:.3f}", f"{tiered:.3f}", f"{cli:.3f}", f"{uc:.3f}",
                 f"{at_once / uc:.2f}", f"{tiered / uc:.2f}", f"{cli / uc:.2f}",
                 str(t0["tbs"]), str(t0["compiled_when_hot"]),
                 f"{t0['time_interpreting']:.3f}", f"{stats['time_translating']:.3f}")  # fmt: skip
        print(f"{label:24} " + " ".join(f"{c:>10}" for c in cells))
    print(
        "\nratio: tcgkit / unicorn (whole process, an embedding script); 'ratio 0' with every"
        "\nTB compiled at once; 'ratio cli' the `tcgkit run` command"
    )


if __name__ == "__main__":
    main()
