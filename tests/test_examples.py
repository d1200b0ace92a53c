"""Whole programs: every example ELF (examples/bin, gcc -O2 output of the C
sources in examples/src) prints the same and exits the same under tcgkit, on
every runnable host, as under qemu-aarch64."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit.linux.run import run_program
from tcgkit.plugins import HOST, get_plugin_manager

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PROGRAMS = sorted((EXAMPLES / "bin").glob("*.elf"))
HOSTS = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]


def qemu(path: Path) -> tuple[bytes, int]:
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if exe is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    res = subprocess.run([exe, str(path)], capture_output=True, timeout=600)
    return res.stdout, res.returncode


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_example_matches_qemu(program: Path, host: str) -> None:
    want_out, want_code = qemu(program)
    out = io.BytesIO()
    result = run_program(program, host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want_out, want_code)
    assert result.stats["guest_instructions"] > 1000


def test_command_ends_its_process_with_the_guest_status() -> None:
    """``tcgkit run`` ends its process without closing the emulator once the guest has
    exited: everything printed (the guest's output, the statistics) is still there,
    and the exit status is the guest's."""
    program = EXAMPLES / "bin" / "hello_glibc.elf"
    want_out, want_code = qemu(program)
    res = subprocess.run([sys.executable, "-m", "tcgkit", "run", "--stats", str(program)],
                         capture_output=True, timeout=600)  # fmt: skip
    assert (res.stdout, res.returncode) == (want_out, want_code)
    stats = json.loads(res.stderr)
    assert stats["exit_code"] == want_code and stats["guest_instructions"] > 1000


def test_run_program_can_leave_the_emulator_open() -> None:
    """``close=False``: the program's memory and registers stay for the caller, who
    closes the emulator."""
    out = io.BytesIO()
    result = run_program(EXAMPLES / "bin" / "hello_glibc.elf", stdout=out, close=False)
    emu = result.emulator
    assert emu is not None and not emu.closed
    assert emu.reg_read("pc") != 0
    emu.close()
    assert run_program(EXAMPLES / "bin" / "hello_glibc.elf", stdout=out).emulator is None


def test_there_are_examples() -> None:
    assert len(PROGRAMS) >= 5


@pytest.mark.parametrize("host", HOSTS)
def test_litmus_store_buffering_with_release_acquire(host: str) -> None:
    """STLR then LDAR on each of two threads: both loads missing the other's store
    is forbidden (A64 acquire/release are sequentially consistent). Not compared
    with qemu-aarch64, which shows it on x86-64 hosts: the expected count is 0."""
    program = EXAMPLES / "bin" / "litmus.elf"
    out = io.BytesIO()
    rounds = "200" if host == "python" else "2000"
    result = run_program(program, [rounds, "sc"], host=host, stdout=out)
    assert result.exit_code == 0
    lines = out.getvalue().decode().splitlines()
    assert [line for line in lines if "forbidden" in line] == [
        f"{name} forbidden outcomes: 0" for name in ("MP  ", "SB  ", "SBsc")
    ]
    assert lines[-1] == f"counter: {2 * int(rounds)} of {2 * int(rounds)}"
