#!/usr/bin/env python3
"""The random-encoding differential, by hand: random A64 words against Unicorn.

Draws ``--count`` words that capstone decodes as user-level, non-SVE, non-branch,
non-system instructions (``tcgkit_target_aarch64.encoding_fuzz``), runs each
once from a random machine state on tcgkit (``--host``, ``--tier``) and on
Unicorn's max CPU, and prints the tallies (same / unimplemented / mismatch),
the mnemonics tcgkit refuses that Unicorn runs, and every mismatch with its
word and what differs. Exit status 1 if any word mismatches.

Usage: ``python scripts/a64_fuzz.py [--count 20000] [--seed 1] [--host x86_64]
[--tier compiled|interpreted]``.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time

from tcgkit_target_aarch64.encoding_fuzz import random_state, random_word, run_both

TIERS = {"compiled": 0, "interpreted": 1 << 30}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="x86_64")
    parser.add_argument("--tier", choices=sorted(TIERS), default="compiled")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally: collections.Counter[str] = collections.Counter()
    refused: collections.Counter[str] = collections.Counter()
    mismatches = []
    t0 = time.perf_counter()
    for _ in range(args.count):
        word, text = random_word(rng)
        outcome = run_both(word, random_state(rng), args.host, TIERS[args.tier])
        tally[outcome.verdict] += 1
        if outcome.verdict == "unimplemented":
            refused[text.split()[0]] += 1
        elif outcome.verdict == "mismatch":
            mismatches.append((word, text, outcome.detail))
    took = time.perf_counter() - t0
    print(f"{args.count} words, seed {args.seed}, host {args.host}, {args.tier} TBs, "
          f"{took:.0f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))  # fmt: skip
    if refused:
        print("refused by tcgkit, run by Unicorn: " + ", ".join(
            f"{m} {n}" for m, n in refused.most_common()))  # fmt: skip
    for word, text, detail in mismatches:
        print(f"MISMATCH {word:#010x} {text}: " + "; ".join(detail[:4]))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
