"""tcgkit inside a Python of another architecture, under qemu-user.

Owns the harness of the native hosts' end-to-end tests: a Debian sysroot of
that architecture with tcgkit installed beside it (``scripts/debian-sysroot
ARCH``), run under ``qemu-<machine>-static -L``, where the host backend for
that architecture is the native one and ``auto`` picks it. A qemu-user in the
machine's own ``qemu/`` folder is preferred to the system's: debian-sysroot puts
one there when the system's lacks what the tests need (qemu-ppc64le before 8.0
never lets a stqcx. succeed, so the POWER host's quadword atomics need a newer one). From the test
machine: ``run(...)`` runs a command there; ``engine_tests`` runs tcgkit's
engine tests; ``examples`` runs the example programs and returns what each
printed, with the engine's statistics; ``check_engine_tests`` and
``check_examples`` are the assertions every emulated host's tests make.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

QEMU = {"arm64": "qemu-aarch64", "ppc64el": "qemu-ppc64le"}

_RUN_EXAMPLES = """
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


class NotBuilt(Exception):
    """The sysroot or qemu-user is missing (the caller decides whether to skip)."""


@dataclass(frozen=True)
class Emulated:
    arch: str  # Debian's name: arm64, ppc64el
    root: Path  # holds sysroot/ and site/
    repo: Path

    def command(self) -> list[str]:
        own = self.root / "qemu" / QEMU[self.arch]
        qemu = str(own) if own.exists() else (shutil.which(f"{QEMU[self.arch]}-static")
                                              or shutil.which(QEMU[self.arch]))  # fmt: skip
        python = self.root / "sysroot" / "usr" / "bin" / "python3.11"
        if qemu is None or not python.exists() or not (self.root / "site").exists():
            raise NotBuilt(f"the {self.arch} sysroot is not built (scripts/debian-sysroot "
                           f"{self.arch}) or {QEMU[self.arch]}-static is missing")  # fmt: skip
        return [qemu, "-L", str(self.root / "sysroot"), str(python)]

    def qemu(self) -> str:
        return self.command()[0]

    def ready(self) -> Emulated:
        """This machine, for a test fixture: when it is not built the test is skipped,
        saying how to build it (a suite under ``CI=true`` fails on skips)."""
        import pytest  # a test's helper: pytest is there when this runs

        try:
            self.command()
        except NotBuilt as e:
            pytest.skip(str(e))
        return self

    def run(self, args: list[str], timeout: int = 900,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # fmt: skip
        """Run the emulated Python with ``args`` (and the variables ``env`` besides)."""
        env = dict(os.environ, PYTHONPATH=str(self.root / "site"), PYTHONDONTWRITEBYTECODE="1",
                   **(env or {}))  # fmt: skip
        env.pop("TCGKIT_TEST_HOST", None)
        return subprocess.run([*self.command(), *args], cwd=self.repo, env=env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    def engine_tests(self) -> subprocess.CompletedProcess:
        """tcgkit's engine tests with TBs compiled (the host is what runs emulated: the
        interpreted tier is the same code on every host), all but the 10,000-cycle
        one, too slow emulated."""
        return self.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/engine",
                         "-k", "not ten_thousand and not interpreted"])  # fmt: skip

    def examples(self, programs: list[Path]) -> dict[str, list]:
        """program -> [output hex, exit code, host, code bytes, guest insns translated]."""
        res = self.run(["-c", _RUN_EXAMPLES, *map(str, programs)])
        if res.returncode:
            raise AssertionError(res.stderr[-3000:])
        return json.loads(res.stdout.splitlines()[-1])

    def check_engine_tests(self) -> None:
        """Assert that the engine tests pass there, with nothing skipped."""
        res = self.engine_tests()
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
        assert " passed" in res.stdout and " skipped" not in res.stdout

    def check_examples(self, programs: list[Path], host: str) -> None:
        """Assert that each example run there, on ``host``, prints and exits as under
        qemu-aarch64 (the guest oracle)."""
        oracle = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
        assert oracle is not None, "qemu-aarch64 (the guest oracle) is missing"
        got = self.examples(programs)
        for program in programs:
            want = subprocess.run([oracle, str(program)], capture_output=True, timeout=600)
            out_hex, code, ran_on, code_bytes, insns = got[str(program)]
            assert ran_on == host
            assert (bytes.fromhex(out_hex), code) == (want.stdout, want.returncode), program.name
            assert code_bytes > 0 and insns > 0
