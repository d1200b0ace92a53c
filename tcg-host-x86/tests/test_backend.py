"""The x86_64 backend inside an emulator: chained loops and jump-cache hits stay in
generated code, invalidation unlinks, W^X dual mapping, -d out_asm through
capstone, every feature forced off, and generated code running with the GIL
released."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from tcgkit.linux.run import run_program
from tcgkit_target_toy.testing import CODE, build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bin"


def count_entries(emu) -> list[int]:
    """Wrap the prologue so that each entry into generated code is counted."""
    way_in = emu.engine.host._entry
    real = way_in.entry
    calls = [0]

    def entry(state, code):
        calls[0] += 1
        return real(state, code)

    way_in.entry = entry
    return calls


LOOP = "li r1, 30000\nl: addi r0, r0, 3\naddi r1, r1, -1\nbnz r1, l\n"
CALLS = """
    li r1, 20000
top: jal r6, f
    addi r1, r1, -1
    bnz r1, top
    jal r5, end
f:  addi r0, r0, 1
    jr r6
end:
"""


def test_a_hot_loop_never_leaves_generated_code() -> None:
    with build(LOOP, host="x86_64") as emu:
        calls = count_entries(emu)
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 90000
        assert calls[0] <= 4  # the first TB, the loop TB, the exit: not one per iteration
        assert emu.stats()["guest_instructions"] == 1 + 3 * 30000


def test_returns_find_their_tb_in_the_jump_cache_inline() -> None:
    with build(CALLS, host="x86_64") as emu:
        calls = count_entries(emu)
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 20000
        assert calls[0] < 20  # jr resolved by the inline probe, not by Python


def test_invalidation_unlinks_a_chained_tb() -> None:
    from tcgkit import HOOK_CODE
    from tcgkit_target_toy.asm import assemble

    with build(LOOP, host="x86_64") as emu:
        emu.emu_start(CODE, emu.end)
        assert emu.stats()["chained_jumps"] >= 1
        # rewrite the loop body (addi r0, r0, 3 -> addi r0, r0, 5) between runs
        emu.mem_write(CODE + 4, assemble("addi r0, r0, 5\n", CODE + 4))
        emu.reg_write("r0", 0)
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 150000
        # and from a hook while the chained loop runs
        emu.reg_write("r0", 0)
        seen = []

        def patch(emu, address, size):
            if not seen:
                seen.append(address)
                emu.mem_write(CODE + 4, assemble("addi r0, r0, 1\n", CODE + 4))

        h = emu.hook_add(HOOK_CODE, patch, CODE + 8, CODE + 8)
        emu.emu_start(CODE, emu.end)
        emu.hook_del(h)
        assert emu.reg_read("r0") == 5 + 29999


def test_forced_wx_dual_mapping_runs_and_patches(monkeypatch) -> None:
    monkeypatch.setenv("TCGKIT_CODE_WX", "1")
    with build(CALLS + "\n", host="x86_64") as emu:
        assert emu.engine.code_buffer.wx
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 20000
        assert emu.stats()["chained_jumps"] >= 1


def test_out_asm_is_capstone_disassembly() -> None:
    pytest.importorskip("capstone")
    log = io.StringIO()
    with build("li r0, 1\naddi r0, r0, 2\n", host="x86_64", debug="out_asm",
               log_file=log) as emu:  # fmt: skip
        emu.emu_start(CODE, emu.end)
    text = log.getvalue()
    assert "cmp qword ptr [rbp - 8], 0" in text  # the exit-request check at TB entry
    assert "ret" in text


@pytest.mark.parametrize("program", ["fp.elf", "sort.elf", "crc.elf"])
def test_every_feature_forced_off(monkeypatch, program: str) -> None:
    want = io.BytesIO()
    run_program(EXAMPLES / program, host="x86_64", stdout=want)
    monkeypatch.setenv("TCGKIT_X86_DISABLE", "all")
    got = io.BytesIO()
    result = run_program(EXAMPLES / program, host="x86_64", stdout=got)
    assert got.getvalue() == want.getvalue() and result.exit_code == 0


def test_generated_code_runs_with_the_gil_released() -> None:
    with build("l: addi r0, r0, 1\njal r6, l\n", host="x86_64") as emu:
        ticks = [0]
        done = threading.Event()

        def spin() -> None:
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                ticks[0] += 1
            emu.emu_stop()
            done.set()

        t = threading.Thread(target=spin)
        t.start()
        emu.emu_start(CODE, 0)  # an infinite chained loop: only emu_stop ends it
        t.join()
        assert done.is_set() and ticks[0] > 10_000  # Python ran meanwhile
        assert emu.reg_read("r0") > 1_000_000
