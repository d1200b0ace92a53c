"""Guest atomics on the ppc64le host, executed on a ppc64le machine: a ppc64el
Debian Python (``scripts/debian-sysroot ppc64el``) under qemu-ppc64le-static runs
``native_atomics.py``: CAS of every size (match and mismatch, RAM before and after
the TLB holds the page, MMIO) through the inline ``atomic_cmpxchg_i64`` lowering and
its slow path, and two vCPUs in threads counting with LDXR/STXR and LDADD."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))


def test_guest_atomics_on_ppc64le() -> None:
    qemu = shutil.which("qemu-ppc64le-static") or shutil.which("qemu-ppc64le")
    python = ROOT / "sysroot" / "usr" / "bin" / "python3.11"
    if qemu is None or not python.exists() or not (ROOT / "site").exists():
        pytest.skip("the ppc64el sysroot is not built (scripts/debian-sysroot ppc64el; "
                    "tox -e host-ppc builds it) or qemu-ppc64le-static is missing")  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT / "site"), PYTHONDONTWRITEBYTECODE="1")
    script = Path(__file__).with_name("native_atomics.py")
    command = [qemu, "-L", str(ROOT / "sysroot"), str(python), str(script)]
    res = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=900)  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "compare-and-swaps matched: 48" in res.stdout
    assert "counters: ldxr/stxr 6000, ldadd 6000" in res.stdout
