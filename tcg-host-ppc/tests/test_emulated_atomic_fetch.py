"""``atomic_fetch_i64`` on the ppc64le host, executed on a ppc64le machine: a
ppc64el Debian Python (``scripts/debian-sysroot ppc64el``) under
qemu-ppc64le-static runs ``native_atomic_fetch.py``: every ``AtomicOp`` at every
size through the inline reservation loop (first-level hit, second-level refill)
and through its slow path (``slow_cmpxchg`` with the operation in its memop),
and two threads counting with it on one doubleword, one halfword and two
neighbouring bytes."""

from __future__ import annotations

import os
from pathlib import Path

from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))


def test_atomic_fetch_on_ppc64le() -> None:
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    res = machine.run([str(Path(__file__).with_name("native_atomic_fetch.py"))])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "fast path: 2340 fetches matched" in res.stdout
    assert "second level: 36 refills then fetches matched" in res.stdout
    assert "slow path: 423 fetches matched" in res.stdout
    assert "counting: doubleword 2000000, halfword 33920, bytes 64" in res.stdout
    assert "atomic fetches matched" in res.stdout
