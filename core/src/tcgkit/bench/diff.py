"""``tcgkit bench diff``: the random-encoding A64 differential against Unicorn, as a grid.

One task per seed: from ``random.Random(seed)`` it draws ``words`` random A64 words
and a random machine state for each (``tcgkit_target_aarch64.encoding_fuzz``, which
owns the words, the states and the verdicts), runs each on tcgkit (``host``) and on
Unicorn, and returns the tallies (same / unimplemented / mismatch) and the
mismatches (word, its text, what differs). The same seed and ``words`` give the
same row on any worker. Needs the aarch64 target and the test dependencies
unicorn and capstone on every worker.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidArgumentError
from ..plugins import HOST, TARGET
from . import runner

KEY_FIELDS = ("seed", "words", "host")
FIELDS = (*KEY_FIELDS, "same", "unimplemented", "mismatch", "mismatches")
TIMING_FIELDS: tuple[str, ...] = ()
NEEDED_MODULES = {"tcgkit_target_aarch64": "tcgkit-target-aarch64", "unicorn": "unicorn",
                  "capstone": "capstone"}  # fmt: skip


def check_modules() -> None:
    """That the differential's modules import here: ``InvalidArgumentError`` naming the
    missing distributions otherwise."""
    missing = [
        dist for mod, dist in NEEDED_MODULES.items() if importlib.util.find_spec(mod) is None
    ]
    if missing:
        raise InvalidArgumentError(
            f"tcgkit bench diff needs {', '.join(missing)}, not installed: "
            f"pip install {' '.join(missing)}"
        )


def task(seed: int, *, words: int, host: str, tier_up: int = 0) -> dict[str, Any]:
    """``words`` random words from ``seed`` on ``host`` against Unicorn: the row's results."""
    check_modules()
    from tcgkit_target_aarch64.encoding_fuzz import random_state, random_word, run_both

    rng = random.Random(seed)
    tally = {"same": 0, "unimplemented": 0, "mismatch": 0}
    mismatches = []
    for _ in range(words):
        word, text = random_word(rng)
        outcome = run_both(word, random_state(rng), host, tier_up)
        tally[outcome.verdict] += 1
        if outcome.verdict == "mismatch":
            mismatches.append(f"{word:#010x} {text}: " + "; ".join(outcome.detail[:4]))
    return {**tally, "mismatches": " | ".join(mismatches)}


def grid(seeds: Sequence[int], words: int, *, host: str = "auto",
         tier_up: int = 0) -> list[runner.Task]:  # fmt: skip
    return [runner.Task("tcgkit.bench.diff:task", {"seed": s, "words": words, "host": host},
                        {"tier_up": tier_up},
                        needs=((TARGET.key, "aarch64"), (HOST.key, host)), seed=s)
            for s in seeds]  # fmt: skip


def summary(rows: Sequence[dict[str, str]]) -> tuple[dict[str, int], list[str]]:
    """The tallies over ``rows`` and every mismatch, with its seed."""
    tally = {k: sum(int(r[k]) for r in rows) for k in ("words", "same", "unimplemented",
                                                       "mismatch")}  # fmt: skip
    found = [f"seed {r['seed']}: {m}" for r in rows if r["mismatches"]
             for m in r["mismatches"].split(" | ")]  # fmt: skip
    return tally, found
