"""The Power lowering executed on a ppc64le machine: a ppc64el Debian Python
(``scripts/debian-sysroot ppc64el``) under qemu-ppc64le-static runs
``native_differential.py``: random IR programs (every value op, float ops
included, and control flow) compiled to Power code and executed natively
there match the reference interpreter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))


@pytest.mark.parametrize("disable", ["", "isa300"])
def test_random_programs_match_on_ppc64le(disable: str) -> None:
    """With every ISA level the machine has, and with ISA 3.00 forced off (the
    count-trailing-zeros fallback)."""
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    script = Path(__file__).with_name("native_differential.py")
    res = machine.run([str(script), "200"], env={"TCGKIT_PPC_DISABLE": disable})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "200 programs matched" in res.stdout and "memory accesses matched" in res.stdout
    assert ("'isa300': False" in res.stdout) == (disable == "isa300")
