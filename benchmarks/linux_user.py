"""Linux user mode, whole processes: `tcgkit run` against qemu-aarch64 on real programs.

For each command (Debian's arm64 busybox-static applets and `sh -c` scripts that fork
and exec, the dynamically linked example with its loader from the cross libc, the
file-system, memory, sockets and signals examples), the fastest of ``--runs``
whole-process wall times of ``python -m tcgkit run`` and of ``qemu-aarch64-static``,
and their ratio. These processes are translation-bound: most of what they run, they
run once (issue 13's work is what brings the ratio down); a script that execs N
programs pays for N start-ups of tcgkit (Python, imports, plugins) where qemu pays for
N of its own.

Needs scripts/busybox-arm64 (it fetches busybox-static:arm64 into .cache/busybox)
and Debian's libc6-arm64-cross for the dynamic example; the python3.11 commands
(Debian's arm64 interpreter starting, then running a small program: the largest
real program here, ~150,000 distinct guest instructions before its first line) use
the sysroot of scripts/arm64-userland (.cache/userland/sysroot).

Usage: ``python benchmarks/linux_user.py [--runs N] [--host HOST]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUSYBOX_ROOT = REPO / ".cache" / "busybox"
BUSYBOX = BUSYBOX_ROOT / "root" / "bin" / "busybox"
LINUX = REPO / "examples" / "bin" / "linux"
SYSROOT = "/usr/aarch64-linux-gnu"
USERLAND = REPO / ".cache" / "userland" / "sysroot"
PYTHON = USERLAND / "usr" / "bin" / "python3.11"
PY_PROGRAM = "import re, math; print(len(re.findall(r'[aeiou]', str(math.factorial(2000)))))"

#: (label, program, arguments, the sysroot it needs: None, SYSROOT or USERLAND)
COMMANDS = [
    ("busybox echo", BUSYBOX, ["echo", "hello"], None),
    ("busybox sort | uniq", BUSYBOX, ["sh", "-c", "seq 1 500 | sort -r | uniq | wc -l"], None),
    ("busybox sha256sum", BUSYBOX, ["sha256sum", str(REPO / "README.md")], None),
    (
        "busybox tar+gzip",
        BUSYBOX,
        ["sh", "-c", "tar cf - -C {tmp} . | gzip | gunzip | tar tf - | wc -l"],
        None,
    ),
    ("files.elf", LINUX / "files.elf", ["{tmp}"], None),
    ("memory.elf", LINUX / "memory.elf", ["{tmp}"], None),
    ("sockets.elf", LINUX / "sockets.elf", ["{tmp}"], None),
    # timers into busy loops, interrupted calls, faults to handlers (~0.3 s of sleeps)
    ("sigasync.elf", LINUX / "sigasync.elf", [], None),
    ("hello_dynamic.elf", LINUX / "hello_dynamic.elf", ["a", "b"], SYSROOT),
    ("python3 -S -c pass", PYTHON, ["-S", "-c", "pass"], USERLAND),
    ("python3 -S -c re+math", PYTHON, ["-S", "-c", PY_PROGRAM], USERLAND),
]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fastest of N runs per command")
    parser.add_argument("--host", default="auto")
    args = parser.parse_args()
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if qemu is None:
        sys.exit("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    if not BUSYBOX.exists():
        subprocess.run([str(REPO / "scripts" / "busybox-arm64")], check=True)
    print(f"{'command':24} {'tcgkit run s':>12} {'qemu s':>8} {'ratio':>7}")
    if not PYTHON.exists():
        subprocess.run([str(REPO / "scripts" / "arm64-userland")], check=True)
    for label, program, prog_args, root in COMMANDS:
        if root is not None and not Path(root, "lib", "ld-linux-aarch64.so.1").exists():
            print(f"{label:24} (no {root}: skipped)")
            continue
        best_t, best_q = float("inf"), float("inf")
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                Path(tmp, "x").write_text("x\n")
                argv = [a.replace("{tmp}", tmp) for a in prog_args]
                sysroot = ["-L", str(root)] if root is not None else []
                env_t = {
                    "PATH": str(BUSYBOX_ROOT / "bin"),
                    "LC_ALL": "C",
                    **{k: v for k, v in os.environ.items() if k.startswith("PYTHON")},
                }
                env_q = {"PATH": str(BUSYBOX_ROOT / "qemu-bin"), "LC_ALL": "C"}
                best_t = min(
                    best_t,
                    wall(
                        [
                            sys.executable,
                            "-m",
                            "tcgkit",
                            "run",
                            "--host",
                            args.host,
                            *sysroot,
                            str(program),
                            *argv,
                        ],
                        env_t,
                    ),
                )
                best_q = min(best_q, wall([qemu, *sysroot, str(program), *argv], env_q))
        print(f"{label:24} {best_t:12.3f} {best_q:8.3f} {best_t / best_q:7.1f}")


if __name__ == "__main__":
    main()
