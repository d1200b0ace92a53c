"""End to end: tcgkit running on an (emulated) POWER machine.

A ppc64el Debian Python 3.11 (``scripts/debian-sysroot ppc64el``) runs under
qemu-ppc64le-static; inside it the ppc64le host backend is the native one,
``auto`` picks it, and the code it emits executes as that machine's own.
There, tcgkit's engine tests pass and every example program (AArch64 guests)
prints what qemu-aarch64 prints, as on the x86-64 and AArch64 hosts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))
MACHINE = Emulated("ppc64el", ROOT, REPO)
EXAMPLES = sorted((REPO / "examples" / "bin").glob("*.elf"))


@pytest.fixture
def machine() -> Emulated:
    return MACHINE.ready()


def test_engine_tests_pass_on_the_emulated_host(machine: Emulated) -> None:
    machine.check_engine_tests()


def test_examples_match_qemu_on_the_emulated_host(machine: Emulated) -> None:
    machine.check_examples(EXAMPLES, "ppc64le")
