"""Guest atomics on the ppc64le host, executed on a ppc64le machine: a ppc64el
Debian Python (``scripts/debian-sysroot ppc64el``) under qemu-ppc64le-static runs
``native_atomics.py``: CAS of every size (match and mismatch, RAM before and after
the TLB holds the page, MMIO) through the inline ``atomic_cmpxchg_i64`` lowering and
its slow path, every LSE operation of every size (RAM, fast and slow path, and MMIO)
through the inline ``atomic_fetch_i64`` lowering, CASP and CASPAL (match and
mismatch of either half; RAM on the fast and the slow path, MMIO, an unmapped page)
through the inline ``atomic_cmpxchg2_i64`` lowering, its slow path and the pair
routine, and two vCPUs in threads counting with LDXR/STXR, LDADD, LDADDH and around
SWPAL and LDSETAL spin locks, and a 16-byte pair with CASP, CASPAL, LDXP/STXP and
LDAXP/STLXP."""

from __future__ import annotations

import os
from pathlib import Path

from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))


def test_guest_atomics_on_ppc64le() -> None:
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    res = machine.run([str(Path(__file__).with_name("native_atomics.py"))])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "compare-and-swaps matched: 48" in res.stdout
    assert "LSE operations matched: 756" in res.stdout
    assert ("counters: ldxr/stxr 6000, ldadd 6000, ldaddh 6000, swpal lock 6000, "
            "ldsetal lock 6000") in res.stdout  # fmt: skip
    assert "pair compare-and-swaps matched: 19" in res.stdout
    assert ("pair counters: casp 4000/12000, caspal 4000/12000, ldxp/stxp 4000/12000, "
            "ldaxp/stlxp 4000/12000") in res.stdout  # fmt: skip


def test_the_pair_lowering_against_the_reference_on_ppc64le() -> None:
    """``native_cmpxchg2.py``: the inline ``atomic_cmpxchg2_i64`` run on its own (a TLB
    entry, no emulator), its operands shared every way, aligned (lqarx / stqcx.) and
    not (the slow path's call, its arguments and the pair it returns)."""
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    res = machine.run([str(Path(__file__).with_name("native_cmpxchg2.py")), "40"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "pair compare-and-swaps against the reference: 200" in res.stdout
