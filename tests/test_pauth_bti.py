"""Pointer authentication and BTI in Linux user mode against qemu-aarch64 -cpu max:
programs of examples/bin/linux (built by examples/build.sh) that sign, authenticate,
strip and branch through signed pointers with the process's random keys, reset
keys with prctl, fork and start threads, and branch to landing pads on pages made
guarded by mmap/mprotect PROT_BTI or by the ELF file's BTI marking; and the
Linux-side state itself (keys, SCTLR_EL1, TCR_EL1, AT_HWCAP, prctl, guarded pages
and their translations) through ``tcgkit.linux``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit import PROT_ALL, Emulator, InvalidInstructionError
from tcgkit.linux.run import run_program
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit_target_aarch64 import linux_process as LP
from tcgkit_target_aarch64 import state as S

LINUX = Path(__file__).resolve().parents[1] / "examples" / "bin" / "linux"
HOSTS = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]


def qemu(program: Path) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if exe is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    return subprocess.run([exe, "-cpu", "max", str(program)], capture_output=True, timeout=600)


def tcgkit(program: Path, host: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tcgkit", "run", "--host", host, str(program)],
                          capture_output=True, timeout=600)  # fmt: skip


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("name", ["pauth_bti", "bti_elf"])
def test_programs_match_qemu(name: str, host: str) -> None:
    program = LINUX / f"{name}.elf"
    want, got = qemu(program), tcgkit(program, host)
    assert got.stdout.decode() == want.stdout.decode(), got.stderr.decode()
    assert got.returncode == want.returncode == 0


def _run_words(words: list[int], setup: object = None) -> Emulator:
    """An emulator set up as ``linux_process`` sets up a process, having run ``words``."""
    emu = Emulator("aarch64")
    LP.AArch64ProcessHooks().start(emu)
    emu.mem_map(0x10000, 0x4000, PROT_ALL)
    emu.mem_write(0x10000, b"".join(w.to_bytes(4, "little") for w in words))
    if callable(setup):
        setup(emu)
    emu.emu_start(0x10000, 0x10000 + 4 * len(words))
    return emu


def test_a_process_starts_with_random_keys_enabled() -> None:
    a, b = Emulator("aarch64"), Emulator("aarch64")
    for emu in (a, b):
        LP.AArch64ProcessHooks().start(emu)
        assert emu.reg_read("sctlr_el1") == S.SCTLR_EN_ALL | S.SCTLR_BT0
        assert emu.reg_read("tcr_el1") == 16 | 16 << 16 | 1 << 37
    keys = [f"{k}key{h}_el1" for k in S.KEY_NAMES for h in ("lo", "hi")]
    assert [a.reg_read(k) for k in keys] != [b.reg_read(k) for k in keys]
    hooks = LP.AArch64ProcessHooks()
    assert hooks.hwcaps(a, 0, 0) == (LP.HWCAP_PACA | LP.HWCAP_PACG, LP.HWCAP2_BTI)
    cortex = Emulator("aarch64", cpu="cortex-a72")
    hooks.start(cortex)
    assert cortex.reg_read("sctlr_el1") == cortex.reg_read("tcr_el1") == 0
    assert hooks.hwcaps(cortex, 0, 0) == (0, 0)
    assert hooks.prctl(cortex, LP.PR_PAC_RESET_KEYS, (0, 0, 0, 0)) is None  # EINVAL


def test_prctl_reset_keys_replaces_the_named_keys_only() -> None:
    emu = Emulator("aarch64")
    hooks = LP.AArch64ProcessHooks()
    hooks.start(emu)
    before = {k: emu.reg_read(f"{k}keylo_el1") for k in S.KEY_NAMES}
    assert hooks.prctl(emu, LP.PR_PAC_RESET_KEYS, (1 | 4, 0, 0, 0)) == 0
    after = {k: emu.reg_read(f"{k}keylo_el1") for k in S.KEY_NAMES}
    assert [before[k] != after[k] for k in S.KEY_NAMES] == [True, False, True, False, False]
    assert hooks.prctl(emu, LP.PR_PAC_RESET_KEYS, (32, 0, 0, 0)) == -LP.EINVAL
    assert hooks.prctl(emu, LP.PR_PAC_RESET_KEYS, (0, 1, 0, 0)) == -LP.EINVAL
    assert hooks.prctl(emu, 60, (1, 0, 0, 0)) is None  # SET_ENABLED_KEYS: EINVAL, as qemu 7.2


def test_pac_and_aut_round_trip_in_generated_code() -> None:
    # x1 = ptr; pacia x1, x2; mov x3, x1; autia x3, x2; autib x1, x2 (wrong key)
    words = [0xDAC10041, 0xAA0103E3, 0xDAC11043, 0xDAC11441]
    emu = _run_words(words, lambda e: (e.reg_write("x1", 0x4000_1230), e.reg_write("x2", 5)))
    assert emu.reg_read("x3") == 0x4000_1230
    assert emu.reg_read("x1") == 0x4000_1230 | 2 << 53 or emu.reg_read("x1") == 0x4000_1230


def test_bti_fault_at_a_guarded_landing_and_not_once_unguarded() -> None:
    # 0x10000: adr x15, 0x11000; br x15 ... at 0x11000: nop (no landing pad); ret
    code = [0x1000000F | ((0x1000 >> 2) << 5), 0xD61F01E0]
    emu = Emulator("aarch64")
    hooks = LP.AArch64ProcessHooks()
    hooks.start(emu)
    emu.mem_map(0x10000, 0x2000, PROT_ALL)
    emu.mem_write(0x10000, b"".join(w.to_bytes(4, "little") for w in code))
    emu.mem_write(0x11000, (0xD503201F).to_bytes(4, "little") + (0xD503201F).to_bytes(4, "little"))
    hooks.set_prot(emu, 0x11000, 0x1000, 7 | LP.PROT_BTI)
    with pytest.raises(InvalidInstructionError) as info:
        emu.emu_start(0x10000, 0x11008)
    assert info.value.pc == 0x11000
    assert emu.reg_read("pstate") >> 10 & 3 == 1  # BTYPE of a BR from unguarded code
    hooks.set_prot(emu, 0x11000, 0x1000, 7)  # unguarded: its translations dropped
    emu.reg_write("pstate", emu.reg_read("pstate") & ~(3 << 10))
    emu.emu_start(0x10000, 0x11008)
    assert emu.reg_read("pc") == 0x11008


def test_guarded_pages_ranges() -> None:
    from tcgkit_target_aarch64.trans_bti import GuardedPages

    g = GuardedPages()
    assert g.set(0x1000, 0x5000, True) and not g.set(0x2000, 0x3000, True)
    assert g.set(0x2000, 0x3000, False)
    assert g.ranges() == [(0x1000, 0x2000), (0x3000, 0x5000)]
    assert g.guarded(0x1FFF) and not g.guarded(0x2000) and g.guarded(0x4FFF)
    assert g.set(0, 0x10000, True) and g.ranges() == [(0, 0x10000)]
    assert g.set(0, 0x10000, False) and not g


@pytest.mark.parametrize("host", HOSTS)
def test_auxv_of_a_process_advertises_pac_and_bti(host: str, tmp_path: Path) -> None:
    out = io.BytesIO()
    res = run_program(LINUX / "bti_elf.elf", host=host, stdout=out)
    assert res.exit_code == 0 and b"faults: 1" in out.getvalue()
