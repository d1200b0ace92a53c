"""tcgkit's cortex-a72 against Unicorn's UC_CPU_ARM64_A72 (Unicorn's default CPU), a
bounded count: random words (``encoding_fuzz.random_word``) and words from each
feature gate's encodings (``decode.GATES``), each run once from a random machine
state on the python host and the x86-64 host, where installed and runnable. Both engines
run a word to the same registers, vectors, NZCV, FPSR.QC and memory, or both refuse
it: nothing Unicorn's A72 runs is missing, nothing it refuses runs."""

from __future__ import annotations

import random

import pytest
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit_target_aarch64.decode import GATES, _compile
from tcgkit_target_aarch64.encoding_fuzz import candidate, random_state, random_word, run_both


def _hosts() -> list[str]:
    """The python and x86-64 hosts, those of them installed that run here (each tox
    environment installs its own set)."""
    pm = get_plugin_manager()
    names = pm.names(HOST)
    return [h for h in ("python", "x86_64") if h in names and pm.get(HOST, h).native_here()]


def _check(word: int, text: str, rng: random.Random, host: str, out: list[str]) -> str:
    outcome = run_both(word, random_state(rng), host, 0, "cortex-a72")
    if outcome.verdict != "same":
        out.append(f"{word:#010x} {text}: {outcome.verdict} " + "; ".join(outcome.detail[:4]))
    return outcome.verdict


@pytest.mark.parametrize("host", _hosts())
def test_random_words_run_or_are_refused_as_on_unicorns_a72(host: str) -> None:
    rng = random.Random(f"cortex-a72-{host}")
    wrong: list[str] = []
    for _ in range(400):
        word, text = random_word(rng)
        _check(word, text, rng, host, wrong)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("host", _hosts())
def test_gated_words_are_refused_as_on_unicorns_a72(host: str) -> None:
    """Three words of each gate's encodings (those capstone decodes and the differential
    takes; system-space gates aside: ``candidate`` leaves them out, the corpus script
    ``cpu_models.py`` and ``test_cpu_models`` cover CFINV, RNDR and the hints)."""
    rng = random.Random(f"gates-{host}")
    wrong: list[str] = []
    refused = 0
    for pattern, _feature in GATES:
        mask, value = _compile(pattern)
        taken = 0
        for _ in range(4000):
            word = value | (rng.getrandbits(32) & ~mask & 0xFFFFFFFF)
            text = candidate(word)
            if text is None:
                continue
            refused += _check(word, text, rng, host, wrong) == "same"
            taken += 1
            if taken == 3:
                break
    assert not wrong, "\n".join(wrong)
    assert refused > 60
