"""The slow path's second-level TLB refill executed on a ppc64le machine: a
ppc64el Debian Python (``scripts/debian-sysroot ppc64el``) under
qemu-ppc64le-static runs ``native_tlb_refill.py``: first-level misses whose
second-level entry (filled through ``TLBMirror.fill_range``) matches are served
without the ``slow_mem`` callback, counted, copied into the first level, with
every live register kept; second-level misses still reach the callback."""

from __future__ import annotations

import os
from pathlib import Path

from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))


def test_second_level_refills_on_ppc64le() -> None:
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    res = machine.run([str(Path(__file__).with_name("native_tlb_refill.py"))])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "second-level hits served without the callback" in res.stdout
    assert f"sweep: {300 + 2 * (300 - 256)} refills" in res.stdout
    assert "second-level refills matched" in res.stdout
