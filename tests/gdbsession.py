"""Driving a real gdb against a stub, for the gdb stub's tests (tests/test_gdbstub*.py
load this file by its path: the suite imports test modules by path, not as a package).

Owns the hosts the tests run on, the tools they need (gdb-multiarch,
qemu-aarch64-static: missing, a skip, which the suite's CI policy makes a failure),
a free port, gdb runs (a script, or commands with the test acting on gdb's output)
and the normalisation of gdb's output that makes two stubs' sessions comparable.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GDB_DIR = Path(__file__).resolve().parent / "gdb"
TIMEOUT = 60


def _hosts() -> list[str]:
    chosen = os.environ.get("TCGKIT_TEST_HOST")
    if chosen:
        return [chosen]
    hosts = ["python"]
    if platform.machine() in ("x86_64", "AMD64"):
        hosts.append("x86_64")
    return hosts


HOSTS = _hosts()


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is not installed (scripts/bootstrap installs it)")
        pytest.skip(f"{tool} is not installed")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _debug(server_cmd: list[str], port: int, script: Path, program: Path,
           subs: dict[str, str] | None = None) -> tuple[str, str]:  # fmt: skip
    """Run ``server_cmd`` (waiting for gdb on ``port``) and gdb with ``script`` (its
    ``@NAME@`` placeholders replaced by ``subs``); gdb's output and the server's."""
    gdb = _need("gdb-multiarch")
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=ROOT, text=True)  # fmt: skip
    try:
        text = script.read_text().replace("@PORT@", str(port))
        for name, value in (subs or {}).items():
            text = text.replace(f"@{name}@", value)
        args = [gdb, "-nx", "-batch", "-ex", "set tcp connect-timeout 30"]
        for line in text.splitlines():
            if line.strip() and not line.startswith("#"):
                args += ["-ex", line]
        out = subprocess.run([*args, str(program)], capture_output=True, text=True,
                             timeout=TIMEOUT, cwd=ROOT)  # fmt: skip
        server_out, _ = server.communicate(timeout=TIMEOUT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return out.stdout + out.stderr, server_out


def _normalize(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if line.startswith("warning: remote target does not support file transfer"):
            continue
        lines.append(re.sub(r"process \d+", "process N", line))
    return lines


def _normalize_debugme(text: str, qemu: bool) -> list[str]:
    """What differs by design between the two stubs, made equal: the stack's place
    (argv), qemu's reset cpsr, and the watchpoint's kind (qemu-user refuses hardware
    watchpoints: gdb single-steps there, tcgkit's stub sets a Z2 one)."""
    lines = []
    for line in _normalize(text):
        line = re.sub(r"argv=0x[0-9a-f]+", "argv=ARGV", line)
        line = line.replace("Hardware watchpoint ", "Watchpoint ")
        line = line.replace("hw watchpoint  ", "watchpoint     ")
        if qemu and line == "$1 = 0x40000000":
            # the script's first command, p/x $cpsr at the entry point: qemu shows its
            # internal reset value (Z set); Linux starts EL0 with NZCV clear, as tcgkit
            line = "$1 = 0x0"
        lines.append(line)
    return lines


def _gdb_driven(server_cmd: list[str], port: int, program: Path, cmds: list[str],
                actions: dict[str, Any] | None = None) -> tuple[str, str]:  # fmt: skip
    """gdb runs ``cmds`` on ``program`` served by ``server_cmd``; a line ``RUNNING`` it
    prints (``echo RUNNING\\n`` before a continue) makes the test wait until the guest
    blocks, then send gdb SIGINT, as a user's Ctrl-C (gdb sends 0x03); any other line
    named in ``actions`` calls its function. gdb's output and the server's."""
    gdb = _need("gdb-multiarch")
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=ROOT, text=True)  # fmt: skip
    head = ["set architecture aarch64", "set confirm off", "set pagination off",
            "directory examples", f"target remote :{port}"]  # fmt: skip
    args = [gdb, "-nx", "-batch", "-ex", "set tcp connect-timeout 30"]
    for c in head + cmds:
        args += ["-ex", c]
    out: list[str] = []
    proc = subprocess.Popen([*args, str(program)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)  # fmt: skip
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if line.startswith("RUNNING"):
                time.sleep(1.0)  # into the blocking call (it blocks for ever: no race)
                proc.send_signal(signal.SIGINT)
            elif actions and line.strip() in actions:
                actions[line.strip()]()
        proc.wait(TIMEOUT)
        server_out, _ = server.communicate(timeout=TIMEOUT)
    finally:
        timer.cancel()
        for p in (proc, server):
            if p.poll() is None:
                p.kill()
                p.wait()
    return "".join(out), server_out
