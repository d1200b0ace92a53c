"""The random-encoding differential against Unicorn, a bounded count: random words
that capstone decodes as user-level, non-SVE, non-branch, non-system A64
instructions, each run once from a random machine state on tcgkit (the test host,
compiled and interpreted TBs) and on Unicorn's max CPU. Every word either gives
the same registers, vectors, NZCV, FPSR.QC and memory, or both refuse it alike;
words tcgkit does not implement yet (Unicorn runs them, tcgkit raises
InvalidInstructionError) are counted, not failed -- ``scripts/a64_fuzz.py`` runs
tens of thousands and lists them (see ``encoding_fuzz`` for what is compared)."""

from __future__ import annotations

import random

import pytest
from tcgkit_target_aarch64.encoding_fuzz import DATA, random_state, random_word, run_both
from tcgkit_target_aarch64.oracle import test_host as host_under_test

TIERS = {"compiled": 0, "interpreted": 1 << 30}


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_random_words_match_unicorn(tier: str) -> None:
    rng = random.Random(f"random-encodings-{tier}")
    verdicts = {"same": 0, "unimplemented": 0, "mismatch": 0}
    mismatches = []
    for _ in range(600):
        word, text = random_word(rng)
        outcome = run_both(word, random_state(rng), host_under_test(), TIERS[tier])
        verdicts[outcome.verdict] += 1
        if outcome.verdict == "mismatch":
            mismatches.append(f"{word:#010x} {text}: " + "; ".join(outcome.detail[:4]))
    assert not mismatches, "\n".join(mismatches)
    assert verdicts["same"] > 0.9 * sum(verdicts.values()), verdicts


# LDXR x0, [x1]; LDAXP x2, x3, [x1]; LDXP w2, w3, [x1]; CAS x4, x5, [x1]; CASP x6, x7,
# x8, x9, [x1]; LDADD x4, x5, [x1]; SWPAL w4, w5, [x1]; and, aligned anyway, LDAR and
# STXR (a store-exclusive without a monitor fails before any access)
ALIGNMENT_WORDS = [0xC85F7C20, 0xC87F8C22, 0x887F0C22, 0xC8A47C25, 0x48267C28, 0xF8240025,
                   0xB8E48025, 0xC8DFFC20, 0xC8047C25]  # fmt: skip


@pytest.mark.parametrize("word", ALIGNMENT_WORDS, ids=hex)
@pytest.mark.parametrize("offset", [0, 1, 4, 8])
def test_misaligned_exclusives_and_atomics_fault_as_on_unicorn(word: int, offset: int) -> None:
    """Exclusive and atomic accesses fault unless aligned to their whole size (A64
    without LSE2, as Unicorn's max CPU); plain acquire loads do not."""
    state = random_state(random.Random(word))
    state.regs[1] = DATA + 0x1000 + offset
    outcome = run_both(word, state, host_under_test())
    assert outcome.verdict == "same", outcome.detail
