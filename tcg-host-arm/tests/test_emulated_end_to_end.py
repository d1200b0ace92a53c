"""Level 3 of the proof: tcgkit running on an (emulated) AArch64 machine.

An arm64 Debian Python 3.11 (``scripts/debian-sysroot arm64``) runs under
qemu-aarch64-static; inside it the aarch64 host backend is the native one,
``auto`` picks it, and the code it emits executes as that machine's own.
There, tcgkit's engine tests pass and every example program prints what
qemu-aarch64 prints (and so what the x86-64 host prints: its own tests
compare the same programs with qemu-aarch64).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
MACHINE = Emulated("arm64", Path(os.environ.get("TCGKIT_ARM64_ROOT", REPO / ".cache" / "arm64")),
                   REPO)  # fmt: skip
EXAMPLES = sorted((REPO / "examples" / "bin").glob("*.elf"))


@pytest.fixture
def machine() -> Emulated:
    return MACHINE.ready()


def test_engine_tests_pass_on_the_emulated_host(machine: Emulated) -> None:
    machine.check_engine_tests()


def test_examples_match_qemu_on_the_emulated_host(machine: Emulated) -> None:
    machine.check_examples(EXAMPLES, "aarch64")
