"""Debian's dynamically linked arm64 programs (coreutils, grep, sed, gawk, dash: real
binaries built by Debian, with their libraries and the dynamic loader from a sysroot
that scripts/arm64-userland unpacks; and python3.11 running a script of threads,
regular expressions, floats, big integers, files and errors) under
``tcgkit run -L SYSROOT``, against
``qemu-aarch64-static -L SYSROOT``: stdout, stderr and the exit status of each
command must be qemu's. (gawk's ``print | "sort"`` runs /bin/sh: under tcgkit the
sysroot's dash, an arm64 program run by a new ``tcgkit run``; under qemu, whose execve
goes to the host, the host's shell: the output is the same.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SYSROOT = REPO / ".cache" / "userland" / "sysroot"

COMMANDS = [
    ["bin/ls", "-l", "--time-style=+", "."],
    ["usr/bin/sort", "notes.txt"],
    ["usr/bin/sort", "-n", "-k2", "notes.txt"],
    ["usr/bin/uniq", "-c", "notes.txt"],
    ["usr/bin/wc", "notes.txt"],
    ["usr/bin/sha256sum", "notes.txt"],
    ["usr/bin/md5sum", "notes.txt"],
    ["usr/bin/cut", "-d ", "-f2", "notes.txt"],
    ["usr/bin/tr", "a-z", "A-Z"],
    ["usr/bin/od", "-c", "notes.txt"],
    ["usr/bin/base64", "notes.txt"],
    ["usr/bin/factor", "1234567", "600851475143"],
    ["usr/bin/seq", "-w", "8", "11"],
    ["usr/bin/numfmt", "--to=iec", "123456789"],
    ["usr/bin/stat", "-c", "%s %F %a", "notes.txt"],
    ["bin/date", "-u", "-d", "@86400", "+%F %T"],
    ["bin/cat", "missing.txt"],
    ["bin/grep", "-n", "pear", "notes.txt"],
    ["bin/grep", "-c", "-E", "^(a|f)", "notes.txt"],
    ["bin/sed", "-e", "s/p/P/g", "-e", "2d", "notes.txt"],
    ["usr/bin/gawk", '{ n[$1] += $2 } END { for (k in n) print k, n[k] | "sort" }', "notes.txt"],
    ["usr/bin/gawk", 'BEGIN { printf "%.6f %d %s\\n", atan2(1, 1) * 4, 2 ^ 40, toupper("x") }'],
    ["usr/bin/python3.11", "-S", "prog.py"],
]

#: prog.py: a Python program of the kinds of work an interpreter does (its own
#: bytecode loop, allocation, threads and locks, the C library's math and stdio)
PROGRAM = """\
import collections, math, os, re, struct, sys, threading
print(sys.version_info[:2], sys.byteorder, os.uname().machine)
print(re.findall(r"(\\w+) (\\d+)", open("notes.txt").read()))
words = collections.Counter(line.split()[0] for line in open("notes.txt"))
print(sorted(words.items()), sum(int(line.split()[1]) for line in open("notes.txt")))
print(struct.pack("<dqf", math.pi, -5, 1.5).hex(), math.sqrt(2), math.lgamma(7.5))
print(math.factorial(30), pow(3, 200, 10**9 + 7), (1 << 127) // 12345, f"{1/3:.17g}")
print(float("1e-310") * 1e10, math.fsum([0.1] * 10), divmod(-7, 2), round(2.675, 2))
results, lock = [], threading.Lock()
def work(k):
    s = sum(i * i for i in range(20000 * k))
    with lock:
        results.append(s)
threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results))
try:
    open("missing/file")
except OSError as e:
    print(type(e).__name__, e.errno)
with open("out.txt", "w") as f:
    f.write("x" * 1000)
print(os.path.getsize("out.txt"), sorted(os.listdir(".")))
sys.exit(3)
"""


@pytest.fixture(scope="module")
def sysroot() -> Path:
    if not (SYSROOT / "bin" / "dash").exists() or not (SYSROOT / "usr/bin/python3.11").exists():
        res = subprocess.run([str(REPO / "scripts" / "arm64-userland")], capture_output=True,
                             text=True, timeout=900)  # fmt: skip
        if res.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"scripts/arm64-userland failed: {res.stderr}")
            pytest.skip(f"Debian's arm64 packages could not be fetched: {res.stderr.strip()}")
    return SYSROOT


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    cwd.mkdir()
    (cwd / "notes.txt").write_text("pear 3\napple 1\npear 2\nfig 7\napple 10\npear 1\n")
    (cwd / "prog.py").write_text(PROGRAM)
    env = {"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin"}
    return subprocess.run(cmd, cwd=cwd, env=env, input=b"stdin text\n", capture_output=True,
                          timeout=600)  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_debian_program_matches_qemu(sysroot: Path, tmp_path: Path, args: list[str]) -> None:
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if qemu is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    program, rest = str(sysroot / args[0]), args[1:]
    want = _run([qemu, "-L", str(sysroot), program, *rest], tmp_path / "q")
    got = _run([sys.executable, "-m", "tcgkit", "run", "-L", str(sysroot), program, *rest],
               tmp_path / "t")  # fmt: skip
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    assert got.stderr == want.stderr
