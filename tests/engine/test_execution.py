"""Running guest code end to end: results, counts, stops, chaining, stats."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from tcgkit import HOOK_CODE, EmulationError, InvalidInstructionError, UnmappedMemoryError
from tcgkit_target_toy.testing import CODE, DATA

SUM_LOOP = """
    li r0, 0
    li r1, 100
loop:
    add r0, r0, r1
    addi r1, r1, -1
    bnz r1, loop
    st r0, [r7]
"""


def test_loop_computes_and_counts(make, tier):
    emu = make(SUM_LOOP)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 5050
    assert int.from_bytes(emu.mem_read(DATA, 8), "little") == 5050
    assert emu.reg_read("pc") == emu.end
    stats = emu.stats()
    assert stats["guest_instructions"] == 2 + 3 * 100 + 1
    assert stats["tbs_translated"] == 3
    if tier == "compiled":
        assert stats["chained_jumps"] >= 1  # the loop's back edge was chained
        assert stats["tier0"]["tbs"] == 0
    else:  # interpreted TBs are never chained
        assert stats["chained_jumps"] == 0
        assert stats["tier0"]["tbs"] == 3
    assert stats["tbs_calling_helpers"] == 0


def test_count_stops_after_exactly_n_instructions(make):
    emu = make(SUM_LOOP)
    emu.emu_start(CODE, emu.end, count=7)  # li, li, then 5 loop instructions
    assert emu.reg_read("pc") == CODE + 4 * 4  # after add, addi, bnz, add, addi
    assert emu.reg_read("r0") == 100 + 99
    assert emu.reg_read("r1") == 98
    emu.emu_start(emu.reg_read("pc"), emu.end)  # and it goes on from there
    assert emu.reg_read("r0") == 5050


def test_until_inside_a_block_stops_there(make):
    emu = make("li r0, 1\nli r1, 2\nli r2, 3\nli r3, 4\n")
    emu.emu_start(CODE, CODE + 8)
    assert (emu.reg_read("r0"), emu.reg_read("r1"), emu.reg_read("r2")) == (1, 2, 0)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r3") == 4


def test_timeout_stops_an_infinite_loop(make):
    emu = make("spin: li r0, 1\nbnz r0, spin\n")
    t0 = time.perf_counter()
    emu.emu_start(CODE, emu.end, timeout=50_000)  # microseconds
    assert time.perf_counter() - t0 < 10
    assert emu.reg_read("pc") in (CODE, CODE + 4)


def test_emu_stop_from_another_thread(make):
    emu = make("spin: addi r1, r1, 1\nbnz r1, spin\n")
    threading.Timer(0.05, emu.emu_stop).start()
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") > 0


def test_emu_stop_from_a_hook(make):
    emu = make("addi r1, r1, 1\naddi r1, r1, 1\naddi r1, r1, 1\n")

    def stop_at_second(emu, address, size):
        if address == CODE + 4:
            emu.emu_stop()

    emu.hook_add(HOOK_CODE, stop_at_second)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r1") == 1
    assert emu.reg_read("pc") == CODE + 4


def test_invalid_instruction_names_pc_and_word(make):
    emu = make("li r0, 1\nli r1, 2\n")
    emu.mem_write(CODE + 8, bytes([0xEE, 1, 2, 3]))
    with pytest.raises(InvalidInstructionError) as info:
        emu.emu_start(CODE, CODE + 12)
    assert info.value.pc == CODE + 8
    assert f"pc={CODE + 8:#x}" in str(info.value)
    assert "ee010203" in str(info.value)
    assert emu.reg_read("r1") == 2  # what came before it ran
    assert emu.reg_read("pc") == CODE + 8


def test_fetch_from_unmapped_memory(make):
    emu = make("li r0, 0x40\nshl r0, r0, r1\njr r0\n")
    emu.reg_write("r1", 24)  # r0 = 0x40000000, unmapped
    with pytest.raises(UnmappedMemoryError) as info:
        emu.emu_start(CODE, 0)
    assert info.value.address == 0x40000000
    assert info.value.pc == 0x40000000


def test_indirect_jumps_and_calls(make):
    emu = make(
        """
        li r5, 10
    again:
        jal r6, func
        addi r5, r5, -1
        bnz r5, again
        li r0, 0x77
        jal r6, done
    func:
        addi r4, r4, 3
        jr r6
    done:
        """
    )
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r4") == 30
    assert emu.reg_read("r0") == 0x77


def test_division_by_zero_is_defined(make):
    emu = make("li r0, 7\ndivu r2, r0, r1\n")
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r2") == 0


def test_tiny_code_buffer_flushes_and_stays_correct(make):
    body = "\n".join(f"b{i}: addi r0, r0, {i % 100}\njal r6, b{i + 1}" for i in range(400))
    emu = make(body + "\nb400:\n", code_buffer_size=16 << 10, region_size=4 << 10)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == sum(i % 100 for i in range(400))
    stats = emu.stats()
    assert stats["flushes"] >= 1
    emu.emu_start(CODE, emu.end)  # after a flush everything retranslates
    assert emu.reg_read("r0") == 2 * sum(i % 100 for i in range(400))


def test_a_tb_too_large_for_a_region_is_made_again_in_halves(make):
    """A straight-line block whose code does not fit one region is translated again
    with half the instructions (as often as needed), under the same key; the
    result is the same."""
    n = 250  # 500 instructions: more code than a 2 KiB region holds on every host
    body = "\n".join(f"addi r{i % 6}, r{i % 6}, {i % 50}\nst r{i % 6}, [r7]" for i in range(n))
    emu = make(body + "\n", code_buffer_size=64 << 10, region_size=2 << 10)
    emu.emu_start(CODE, emu.end)
    for r in range(6):
        assert emu.reg_read(f"r{r}") == sum(i % 50 for i in range(r, n, 6))
    assert int.from_bytes(emu.mem_read(DATA, 8), "little") == emu.reg_read(f"r{(n - 1) % 6}")
    stats = emu.stats()
    assert stats["tbs_halved"] >= 1
    assert stats["guest_instructions"] == 2 * n


def test_context_save_and_restore(make):
    emu = make(SUM_LOOP)
    saved = emu.context_save()
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 5050
    emu.context_restore(saved)
    assert emu.reg_read("r0") == 0
    assert emu.reg_read("r7") == DATA


def test_register_names_are_case_insensitive_and_checked(make):
    emu = make()
    emu.reg_write("R3", 0xFFFFFFFFFFFFFFFF)
    assert emu.reg_read("r3") == 0xFFFFFFFFFFFFFFFF
    emu.reg_write("r3", -1)
    assert emu.reg_read("R3") == 0xFFFFFFFFFFFFFFFF
    with pytest.raises(KeyError, match="no register 'x9'"):
        emu.reg_read("x9")
    with pytest.raises(ValueError, match="does not fit"):
        emu.reg_write("r1", 1 << 64)


def test_two_emulators_run_in_parallel_threads(make):
    emus = [make(SUM_LOOP.replace("100", str(n))) for n in (1000, 2000)]
    errors: list[BaseException] = []

    def run(emu):
        try:
            for _ in range(5):
                emu.emu_start(CODE, emu.end)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(e,)) for e in emus]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [e.reg_read("r0") for e in emus] == [1000 * 1001 // 2, 2000 * 2001 // 2]


def test_errors_are_emulation_errors(make):
    emu = make("ld r0, [r1]\n")
    with pytest.raises(EmulationError):
        emu.emu_start(CODE, emu.end)


def test_hash_only_mode_sends_every_lookup_to_the_table(make):
    emu = make(SUM_LOOP, jump_cache=False)
    emu.emu_start(CODE, emu.end)
    assert emu.reg_read("r0") == 5050
    stats = emu.stats()
    assert stats["lookups"]["jmp_cache_hits"] == 0
    assert stats["chained_jumps"] == 0
    assert stats["lookups"]["hash_hits"] == 98  # the loop block: entered 99 times, 1 miss
    assert stats["tb_hash"]["lookups"] >= 99


def test_debug_log_shows_guest_code_ir_and_host_code(host):
    import io

    from tcgkit_target_toy.testing import build

    log = io.StringIO()
    with build("li r0, 1\naddi r0, r0, 2\n", host=host, debug="in_asm,op,op_opt,out_asm",
               log_file=log) as emu:  # fmt: skip
        emu.emu_start(CODE, emu.end)
    text = log.getvalue()
    assert "IN: pc=0x10000 (2 instructions)" in text
    assert "0x0000000000010004:  20000002" in text
    assert "add_i64 r0,r0,$0x2" in text  # op
    assert "mov_i64 r0,$0x3" in text  # op_opt: folded
    assert "OUT: [size=" in text


def test_a_hot_tb_is_compiled_after_tier_up_runs(host):
    from tcgkit_target_toy.testing import build

    with build(SUM_LOOP, host=host, tier_up=3) as emu:
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 5050
        assert int.from_bytes(emu.mem_read(DATA, 8), "little") == 5050
        stats = emu.stats()
        assert stats["guest_instructions"] == 2 + 3 * 100 + 1
        # three TBs start interpreted; the loop's turns hot and is compiled (from the IR
        # it kept), then chained to itself
        assert stats["tier0"]["tbs"] == 3
        assert stats["tier0"]["compiled_when_hot"] == 1
        assert stats["tbs_translated"] == 4
        assert stats["chained_jumps"] >= 1


@pytest.mark.parametrize("count", [1, 5, 9, 10, 11, 50])
def test_count_is_exact_across_the_tiers(host, count):
    from tcgkit_target_toy.testing import build

    with (
        build(SUM_LOOP, host=host, tier_up=2) as mixed,
        build(SUM_LOOP, host=host, tier_up=0) as compiled,
    ):
        for emu in (mixed, compiled):
            emu.emu_start(CODE, emu.end, count=count)
            emu.emu_start(emu.reg_read("pc"), emu.end, count=count)
        for reg in ("pc", "r0", "r1"):
            assert mixed.reg_read(reg) == compiled.reg_read(reg)
        assert mixed.stats()["guest_instructions"] == compiled.stats()["guest_instructions"]


def test_code_rewritten_while_interpreted_is_translated_again(host):
    from tcgkit_target_toy.testing import build

    with build("li r0, 1\naddi r0, r0, 2\n", host=host, tier_up=5) as emu:
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 3
        new = build("li r0, 7\naddi r0, r0, 2\n", host=host)
        code = new.mem_read(CODE, 8)
        new.close()
        emu.mem_write(CODE, bytes(code))
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 9
        assert emu.stats()["tbs_invalidated"] == 1


@pytest.mark.parametrize("young", [500_000, 0])
def test_collector_relaxed_from_the_first_run_until_close(make, young):
    """``gc_young``: the first threshold while emu_start runs (hooks see it) and until
    the emulator is closed, so that what the runs kept is freed before a young
    collection traverses it; the program's own threshold afterwards; 0 leaves the
    collector alone."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        emu = make(SUM_LOOP, gc_young=young)
        assert gc.get_threshold() == (700, 10, 10)  # made, not run yet
        seen = []
        emu.hook_add(HOOK_CODE, lambda emu, address, size: seen.append(gc.get_threshold()[0]))
        emu.emu_start(CODE, emu.end)
        assert emu.reg_read("r0") == 5050
        assert set(seen) == {young or 700}
        assert gc.get_threshold() == (young or 700, 10, 10)
        emu.emu_start(CODE, emu.end)
        emu.close()
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*saved)


def test_collector_with_two_emulators_closed_in_either_order(make):
    """The second emulator's hold finds the collector relaxed and holds nothing: after
    the first is closed, the second's runs are relaxed while they run."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        first, second = make(SUM_LOOP), make(SUM_LOOP)
        first.emu_start(CODE, first.end)
        second.emu_start(CODE, second.end)
        first.close()
        assert gc.get_threshold() == (700, 10, 10)
        seen = []
        second.hook_add(HOOK_CODE, lambda emu, address, size: seen.append(gc.get_threshold()[0]))
        second.emu_start(CODE, second.end)
        assert set(seen) == {500_000}
        assert gc.get_threshold() == (700, 10, 10)
        second.close()
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*saved)


def test_gc_young_must_not_be_negative(make):
    with pytest.raises(ValueError, match="gc_young"):
        make(SUM_LOOP, gc_young=-1)
