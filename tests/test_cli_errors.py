"""``tcgkit run`` / ``tcgkit bench`` mistakes that need the aarch64 target and
the host backends installed: one line ``tcgkit: error: ...``, exit status 2,
no traceback; and errors of the guest program, which stay exit status 1 with
the error's class named."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit import Emulator, HostUnavailableError
from tcgkit.plugins import HOST, get_plugin_manager

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SORT = EXAMPLES / "bin" / "sort.elf"


def tcgkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tcgkit", *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def one_line(res: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert res.returncode == status, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.stderr.startswith("tcgkit: error: ") and res.stderr.count("\n") == 1, res.stderr
    return res.stderr


def elf(code: bytes, machine: int = 183, base: int = 0x400000) -> bytes:
    """A static ELF64 executable: ``code`` at its entry point."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, base + 0x78, 64, 0, 0, 64, 56, 1, 64,
                          0, 0)  # fmt: skip
    size = 0x78 + len(code)
    return header + struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000) + code


@pytest.fixture(scope="module")
def foreign_host() -> str:
    """An installed host backend that cannot execute on this machine."""
    hosts = [i.name for i in get_plugin_manager().infos(HOST) if not i.obj.native_here()]
    if not hosts:
        pytest.skip("every installed host backend executes here")
    return hosts[0]


def test_run_on_a_host_that_cannot_execute_here(foreign_host: str) -> None:
    err = one_line(tcgkit("run", "--host", foreign_host, str(SORT)))
    assert f"host backend {foreign_host!r} cannot execute on this" in err
    runnable = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]
    assert f"hosts that can: {', '.join(runnable)}" in err
    assert "RuntimeError" not in err


def test_emulator_refuses_the_host_before_its_constructor(foreign_host, monkeypatch) -> None:
    cls = get_plugin_manager().get(HOST, foreign_host)

    def never(self, *a, **k):
        raise AssertionError("the backend was constructed")

    monkeypatch.setattr(cls, "__init__", never)
    with pytest.raises(HostUnavailableError) as info:
        Emulator("aarch64", host=foreign_host)
    assert info.value.host == foreign_host
    assert "cannot execute on this" in str(info.value)


def test_bench_on_a_host_that_cannot_execute_here(foreign_host: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    err = one_line(tcgkit("bench", "tb-hash", str(SORT), "--host", foreign_host, "--out",
                          str(out)))  # fmt: skip
    assert "cannot execute on this" in err
    assert not out.exists()


def test_unknown_tb_hash_policy() -> None:
    err = one_line(tcgkit("run", "--tb-hash", "nosuch", str(SORT)))
    assert "no TB hash-table policy named 'nosuch' is installed" in err
    assert "qht-dyn-nomru" in err


def test_unknown_target() -> None:
    err = one_line(tcgkit("run", "--target", "nosuch", str(SORT)))
    assert "no guest target named 'nosuch' is installed" in err


def test_elf_for_another_architecture(tmp_path: Path) -> None:
    prog = tmp_path / "x86.elf"
    prog.write_bytes(elf(b"\x90" * 4, machine=62))
    err = one_line(tcgkit("run", str(prog)))
    assert f"{prog} is an ELF program for x86-64 (machine 62)" in err
    assert "aarch64 for AArch64 (machine 183)" in err
    err = one_line(tcgkit("run", "--target", "aarch64", str(prog)))
    assert "guest target 'aarch64' runs AArch64 (machine 183)" in err
    err = one_line(tcgkit("bench", "tb-hash", str(prog), "--out", str(tmp_path / "out")))
    assert "x86-64 (machine 62)" in err


def test_segment_over_the_stack(tmp_path: Path) -> None:
    from tcgkit.linux.process import STACK_TOP

    prog = tmp_path / "stack.elf"
    prog.write_bytes(elf(b"\0" * 4, base=STACK_TOP - 0x2000))
    assert "a segment overlaps the stack" in one_line(tcgkit("run", str(prog)))


def test_bad_debug_item_with_a_real_program() -> None:
    err = one_line(tcgkit("run", "-d", "op,nonsense", str(SORT)))
    assert "unknown -d categories nonsense" in err


@pytest.mark.parametrize(
    ("code", "signal", "expected"),
    [
        (struct.pack("<I", 0), 4, "invalid or unsupported instruction"),  # udf: SIGILL
        (struct.pack("<I", 0xF9400000), 11, "unmapped memory"),  # ldr x0, [x0]: SIGSEGV
    ],
    ids=["udf", "ldr-null"],
)
def test_a_guest_fault_kills_the_command_by_its_signal(
    tmp_path: Path, code: bytes, signal: int, expected: str
) -> None:
    """As qemu-user: no handler, so the process dies of the fault's signal; one line on
    stderr names the fault, the pc and the signal (no traceback)."""
    prog = tmp_path / "guest.elf"
    prog.write_bytes(elf(code))
    res = tcgkit("run", str(prog))
    assert res.returncode == -signal, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, res.stderr
    err = res.stderr
    assert expected in err and "(pc=0x4000" in err and "the guest dies of SIG" in err


def test_a_segment_too_large_to_map_is_one_line_quickly(tmp_path: Path) -> None:
    """A p_memsz of 2^46 bytes: the loader works on page ranges, not page by page, and
    the mapping that cannot be made is the program's fault, named."""
    huge = tmp_path / "huge.elf"
    data = bytearray(elf(bytes(4)))
    struct.pack_into("<Q", data, 64 + 40, 1 << 46)  # the PT_LOAD's p_memsz
    huge.write_bytes(bytes(data))
    err = one_line(tcgkit("run", str(huge)))
    assert "cannot be mapped" in err and "huge.elf" in err


def test_unsupported_syscall_returns_enosys_and_is_reported_once(tmp_path: Path) -> None:
    # twice: mov x8, #999; svc #0; then exit_group(-x0): the status is ENOSYS (38)
    call = struct.pack("<II", 0xD2807CE8, 0xD4000001)
    prog = tmp_path / "enosys.elf"
    prog.write_bytes(elf(call + call + struct.pack("<III", 0xCB0003E0, 0xD2800BC8, 0xD4000001)))
    res = tcgkit("run", str(prog))
    assert res.returncode == 38, res.stderr
    assert res.stderr == "tcgkit: unsupported system call 999 at pc=0x400080: it returns ENOSYS\n"
