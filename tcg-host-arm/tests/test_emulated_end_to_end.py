"""Level 3 of the proof: tcgkit running on an (emulated) AArch64 machine.

An arm64 Debian Python 3.11 (``scripts/arm64-sysroot``) runs under
qemu-aarch64-static; inside it the aarch64 host backend is the native one,
``auto`` picks it, and the code it emits executes as that machine's own.
There, tcgkit's engine tests pass and every example program prints what
qemu-aarch64 prints (and so what the x86-64 host prints: its own tests
compare the same programs with qemu-aarch64).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_ARM64_ROOT", REPO / ".cache" / "arm64"))
EXAMPLES = sorted((REPO / "examples" / "bin").glob("*.elf"))

RUN_EXAMPLES = """
import io, json, sys
from tcgkit.linux.run import run_program
out = {}
for p in sys.argv[1:]:
    buf = io.BytesIO()
    r = run_program(p, host="auto", stdout=buf)
    s = r.stats
    out[p] = [buf.getvalue().hex(), r.exit_code, s["host"], s["code_bytes"],
              s["insns_translated"]]
print(json.dumps(out))
"""


def emulated_python() -> list[str]:
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    python = ROOT / "sysroot" / "usr" / "bin" / "python3.11"
    if qemu is None or not python.exists() or not (ROOT / "site").exists():
        pytest.skip("the arm64 sysroot is not built (scripts/arm64-sysroot; tox -e host-arm "
                    "builds it) or qemu-aarch64-static is missing")  # fmt: skip
    return [qemu, "-L", str(ROOT / "sysroot"), str(python)]


def run_emulated(args: list[str], timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "site"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("TCGKIT_TEST_HOST", None)
    return subprocess.run([*emulated_python(), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def test_engine_tests_pass_on_the_emulated_aarch64_host() -> None:
    res = run_emulated(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/engine",
                        "-k", "not ten_thousand"])  # fmt: skip
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and " skipped" not in res.stdout


def test_examples_match_qemu_on_the_emulated_aarch64_host() -> None:
    qemu = emulated_python()[0]
    res = run_emulated(["-c", RUN_EXAMPLES, *map(str, EXAMPLES)])
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.splitlines()[-1])
    for program in EXAMPLES:
        want = subprocess.run([qemu, str(program)], capture_output=True, timeout=600)
        out_hex, code, host, code_bytes, insns = got[str(program)]
        assert host == "aarch64"
        assert (bytes.fromhex(out_hex), code) == (want.stdout, want.returncode), program.name
        assert code_bytes > 0 and insns > 0
