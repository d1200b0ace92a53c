"""Debian's arm64 busybox-static under ``tcgkit run`` against qemu-aarch64-static: applets
over files in a temporary directory and ``sh -c`` scripts with pipes, redirections,
subshells, command substitution, traps and kill, archive round trips, a program
killed by a signal, a missing file. stdout, stderr and the exit status must be
qemu's (scripts/busybox-arm64 fetches the package; the applets are found on PATH as
links to busybox, so the shell forks and execs them as programs: under tcgkit an
execve of an arm64 program is a new ``tcgkit run``; qemu's PATH has host scripts that
run each applet under qemu, which needs no binfmt_misc)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / ".cache" / "busybox"
BUSYBOX = ROOT / "root" / "bin" / "busybox"

COMMANDS = [
    ["echo", "hello", "world"],
    ["ls", "-1", "."],
    ["cat", "notes.txt"],
    ["wc", "-l", "notes.txt"],
    ["sort", "-r", "notes.txt"],
    ["cat", "missing.txt"],
    ["sha256sum", "notes.txt"],
    ["sh", "-c", "cat notes.txt | sort | uniq -c | sort -rn | head -3"],
    ["sh", "-c", "echo one > a; echo two >> a; cat < a; wc -c a; rm a; ls"],
    ["sh", "-c", 'x=$(echo sub | tr a-z A-Z); echo "got $x"; (cd /; pwd); pwd | wc -c'],
    ["sh", "-c", "for i in 3 1 2; do echo $i; done | sort; echo status $?"],
    ["sh", "-c", "false || echo recovered; (exit 3); echo sub $?; test -e nothing; echo $?"],
    ["sh", "-c", "trap 'echo caught TERM; exit 9' TERM; kill -TERM $$; echo not here"],
    ["sh", "-c", "kill -KILL $$"],
    [
        "sh",
        "-c",
        "mkdir d && echo x > d/f && tar cf t.tar d && rm -r d && tar xf t.tar && "
        "cat d/f && gzip -9 t.tar && gunzip -c t.tar.gz | tar tf - | sort",
    ],
    ["sh", "-c", "seq 1 200 | gzip | gunzip | sha256sum; echo $((6 * 7))"],
    ["sh", "-c", "printf '%s\\n' b a c > f; sort f -o f; cat f; cmp f f && echo same"],
    ["sh", "-c", "echo err >&2; exit 4"],
    # signals from outside the process: another process's kill, a pipe's reader gone
    # (SIGPIPE), a trap run while the shell waits, an ignored signal kept across execve
    ["sh", "-c", "yes | head -2; echo status $?"],
    # (whether ash reports "Terminated" depends on when SIGCHLD comes: not compared)
    ["sh", "-c", "exec 2>/dev/null; sleep 5 & pid=$!; kill -TERM $pid; wait $pid; echo status $?"],
    [
        "sh",
        "-c",
        "trap 'echo got USR1' USR1; (sleep 0.3; kill -USR1 $$) & sleep 2; wait; echo after",
    ],
    ["sh", "-c", "trap '' INT; sleep 0.5 & kill -INT $!; wait $!; echo status $?"],
    [
        "sh",
        "-c",
        "trap 'echo got USR1' USR1; sleep 3 & (sleep 0.5; kill -USR1 $$) & wait $!; echo waited $?",
    ],
]


@pytest.fixture(scope="module")
def busybox() -> Path:
    if not (BUSYBOX.exists() and (ROOT / "qemu-bin" / "sh").exists()):
        res = subprocess.run([str(REPO / "scripts" / "busybox-arm64")], capture_output=True,
                             text=True, timeout=600)  # fmt: skip
        if res.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"scripts/busybox-arm64 failed: {res.stderr}")
            pytest.skip(f"busybox-static:arm64 could not be fetched: {res.stderr.strip()}")
    return BUSYBOX


def _run(cmd: list[str], cwd: Path, path: str) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": str(ROOT / path), "HOME": str(cwd), "LC_ALL": "C"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=600)


def _seed(where: Path) -> Path:
    where.mkdir()
    (where / "notes.txt").write_text("pear\napple\npear\nfig\napple\npear\n")
    return where


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_busybox_matches_qemu(busybox: Path, tmp_path: Path, args: list[str]) -> None:
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if qemu is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    want = _run([qemu, str(busybox), *args], _seed(tmp_path / "q"), "qemu-bin")
    got = _run([sys.executable, "-m", "tcgkit", "run", str(busybox), *args],
               _seed(tmp_path / "t"), "bin")  # fmt: skip
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    if want.returncode >= 0:  # qemu says something of its own about a death by a signal
        assert got.stderr == want.stderr
    assert sorted(os.listdir(tmp_path / "t")) == sorted(os.listdir(tmp_path / "q"))


def _interrupt(cmd: list[str], cwd: Path, path: str, stdin: int) -> tuple[int, bytes]:
    """Run ``cmd``; once its stdout shows "looping", send it SIGINT (what Ctrl-C does):
    its exit status and stdout."""
    env = {"PATH": str(ROOT / path), "HOME": str(cwd), "LC_ALL": "C"}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stdin=stdin)
    assert proc.stdout is not None
    out = proc.stdout.readline()
    assert out == b"looping\n", out
    # "looping" comes before the shell blocks in read(): a SIGINT in between can be
    # lost (seen with qemu-aarch64, the oracle), so send it again until the run ends
    for _ in range(24):
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        proc.kill()
        rest, _ = proc.communicate()
    return proc.returncode, out + rest


@pytest.mark.parametrize(
    "script",
    [
        "echo looping; while :; do :; done",  # dies of SIGINT, in a loop of no calls
        "trap 'echo caught INT; exit 3' INT; echo looping; while :; do :; done",
        "trap 'echo caught INT; exit 4' INT; echo looping; read x",  # blocked in a read
    ],
    ids=["default", "trap-in-loop", "trap-in-read"],
)
def test_ctrl_c_reaches_the_guest_as_under_qemu(busybox: Path, tmp_path: Path,
                                                script: str) -> None:  # fmt: skip
    """SIGINT from outside: to the default action (the command dies of it) or to the
    shell's trap, while the guest runs generated code or waits in a read."""
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if qemu is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    r, w = os.pipe()  # standard input: a read that blocks, nobody writes
    try:
        want = _interrupt([qemu, str(busybox), "sh", "-c", script], _seed(tmp_path / "q"),
                          "qemu-bin", r)  # fmt: skip
        got = _interrupt([sys.executable, "-m", "tcgkit", "run", str(busybox), "sh", "-c",
                          script], _seed(tmp_path / "t"), "bin", r)  # fmt: skip
    finally:
        os.close(r)
        os.close(w)
    assert got == want
    assert want[0] in (-signal.SIGINT, 3, 4)
