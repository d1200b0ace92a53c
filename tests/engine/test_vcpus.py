"""Several vCPUs of one emulator, each in its own host thread (MTTCG): their own
registers, shared memory and TB cache, hooks that know their vCPU, stops and
errors that reach every vCPU, exclusive work (flushes, memory-map changes) while
they run, and closing with vCPUs running."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from tcgkit import HOOK_CODE, PROT_ALL, UnmappedMemoryError
from tcgkit_target_toy.testing import CODE, DATA

# r1 = r0 of the caller (the count), r2 = the vCPU's slot offset; sums 1..r1 into [r7 + r2]
SUM_TO_SLOT = """
    li r0, 0
loop:
    add r0, r0, r1
    addi r1, r1, -1
    bnz r1, loop
    add r3, r7, r2
    st r0, [r3]
done:
"""

# counts forever in r0 and in [r7 + r2] (until stopped)
COUNT_FOREVER = """
    li r0, 0
    add r3, r7, r2
    li r5, 1
loop:
    addi r0, r0, 1
    st r0, [r3]
    bnz r5, loop
"""


def _slot(emu, i: int) -> int:
    return int.from_bytes(emu.mem_read(DATA + 8 * i, 8), "little")


def _start_all(emu, n: int, count_of=lambda i: 0, begin: int = CODE, until: int | None = None):
    cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(n - 1)]
    for i, cpu in enumerate(cpus):
        cpu.reg_write("r7", DATA)
        cpu.reg_write("r1", count_of(i))
        cpu.reg_write("r2", 8 * i)
    for cpu in cpus:
        cpu.start(begin, emu.end if until is None else until)
    return cpus


def _wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_vcpus_run_in_threads_with_their_own_registers(make):
    emu = make(SUM_TO_SLOT)
    counts = [1000 + 37 * i for i in range(4)]
    cpus = _start_all(emu, 4, lambda i: counts[i])
    assert emu.wait(60)
    for i, cpu in enumerate(cpus):
        expected = counts[i] * (counts[i] + 1) // 2
        assert cpu.reg_read("r0") == expected
        assert _slot(emu, i) == expected
        assert cpu.reg_read("pc") == emu.end
        assert cpu.index == i and not cpu.running
    stats = emu.stats()
    # one TB cache: the loop was translated once or a few times (vCPUs racing), not per run
    assert stats["tbs_cached"] <= 4
    assert stats["guest_instructions"] == sum(1 + 3 * c + 2 for c in counts)


def test_emu_start_still_runs_vcpu0_in_this_thread(make):
    emu = make(SUM_TO_SLOT)
    other = emu.add_cpu()
    other.reg_write("r1", 10)
    other.reg_write("r7", DATA)
    other.reg_write("r2", 8)
    other.start(CODE, emu.end)
    emu.reg_write("r1", 20)
    emu.emu_start(CODE, emu.end)  # vCPU 0, here, while vCPU 1 runs in its thread
    assert other.join(30)
    assert emu.reg_read("r0") == 210 and other.reg_read("r0") == 55
    assert emu.cpus[0].reg_read("r0") == 210
    other.reg_write("r1", 0)  # counts down from 2^64: runs until stopped
    other.start(CODE, emu.end)
    with pytest.raises(RuntimeError, match="already running"):
        other.start(CODE, emu.end)
    emu.emu_stop()
    assert emu.wait(30)


def test_hooks_run_on_their_vcpu_and_know_it(make):
    emu = make(SUM_TO_SLOT)
    seen: dict[int, set[int]] = {}
    threads: dict[int, set[str]] = {}
    lock = threading.Lock()

    def hook(emu, address, size):
        cpu = emu.current_cpu
        with lock:
            seen.setdefault(cpu.index, set()).add(emu.reg_read("r2"))  # that vCPU's r2
            threads.setdefault(cpu.index, set()).add(threading.current_thread().name)

    emu.hook_add(HOOK_CODE, hook, CODE + 4 * 4, CODE + 4 * 4)  # add r3, r7, r2
    _start_all(emu, 3, lambda i: 5)
    assert emu.wait(60)
    assert seen == {0: {0}, 1: {8}, 2: {16}}
    assert threads == {i: {f"tcgkit-vcpu{i}"} for i in range(3)}
    assert emu.current_cpu is None  # not a vCPU thread


def test_emu_stop_stops_every_vcpu(make):
    emu = make(COUNT_FOREVER)
    _start_all(emu, 3)
    _wait_until(lambda: all(_slot(emu, i) > 1000 for i in range(3)))
    emu.emu_stop()
    assert emu.wait(30)
    assert not any(cpu.running for cpu in emu.cpus)
    before = [_slot(emu, i) for i in range(3)]
    time.sleep(0.05)
    assert [_slot(emu, i) for i in range(3)] == before


def test_an_error_in_one_vcpu_stops_all_and_propagates(make):
    emu = make(COUNT_FOREVER + "\nbad:\n    ld r4, [r6]\n")
    cpus = _start_all(emu, 3)
    _wait_until(lambda: all(_slot(emu, i) > 100 for i in range(3)))
    boom = emu.add_cpu()
    boom.reg_write("r6", 0xDEAD0000)  # unmapped
    boom.start(emu.end - 4, emu.end)
    with pytest.raises(UnmappedMemoryError) as info:
        emu.wait(30)
    assert info.value.address == 0xDEAD0000 and info.value.pc == emu.end - 4
    assert not any(c.running for c in cpus)


def test_a_hook_exception_stops_all_and_propagates(make):
    emu = make(COUNT_FOREVER)
    armed = threading.Event()

    def hook(emu, address, size):
        if emu.current_cpu.index == 1 and armed.is_set():
            raise ValueError("from vCPU 1's hook")

    emu.hook_add(HOOK_CODE, hook, CODE + 4 * 3, CODE + 4 * 3)  # addi r0, r0, 1
    cpus = _start_all(emu, 3)
    _wait_until(lambda: all(_slot(emu, i) > 100 for i in range(3)))
    armed.set()
    with pytest.raises(ValueError, match="vCPU 1"):
        emu.wait(60)
    assert not any(c.running for c in cpus)
    with pytest.raises(ValueError, match="vCPU 1"):
        raise cpus[1]._error or ValueError("vCPU 1 (already reported)")


def test_exclusive_work_while_vcpus_run(make):
    """Hooks added and removed (a TB flush each time), memory mapped, written and
    unmapped, from another thread while vCPUs run: they go on counting."""
    emu = make(COUNT_FOREVER)
    _start_all(emu, 3)
    flushes = emu.stats()["flushes"]
    for round_ in range(5):
        before = [_slot(emu, i) for i in range(3)]
        handle = emu.hook_add(HOOK_CODE, lambda emu, a, s: None, 0x70000, 0x70000)
        emu.mem_map(0x200000 + round_ * 0x10000, 0x10000, PROT_ALL)
        emu.mem_write(0x200000 + round_ * 0x10000, b"x" * 64)
        emu.hook_del(handle)
        emu.mem_unmap(0x200000 + round_ * 0x10000, 0x10000)
        _wait_until(lambda b=before: all(_slot(emu, i) > b[i] for i in range(3)))
    emu.emu_stop()
    assert emu.wait(30)
    assert emu.stats()["flushes"] >= flushes + 5
    for i, cpu in enumerate(emu.cpus):
        assert cpu.reg_read("r0") == _slot(emu, i) > 0


def test_a_hook_changing_the_memory_map_while_others_run(make):
    """Exclusive work started from inside generated code (a hook) parks its vCPU."""
    emu = make(COUNT_FOREVER)
    mapped = []

    def hook(emu, address, size):
        if emu.current_cpu.index == 2 and len(mapped) < 20:
            base = 0x300000 + 0x10000 * len(mapped)
            emu.mem_map(base, 0x10000)
            mapped.append(base)
            emu.mem_unmap(base, 0x10000)

    emu.hook_add(HOOK_CODE, hook, CODE + 4 * 3, CODE + 4 * 3)
    _start_all(emu, 3)
    _wait_until(lambda: len(mapped) == 20 and all(_slot(emu, i) > 100 for i in range(3)))
    emu.emu_stop()
    assert emu.wait(30)


def test_code_buffer_full_with_several_vcpus(make):
    body = "\n".join(f"b{i}: addi r0, r0, {i % 100}\njal r6, b{i + 1}" for i in range(300))
    source = f"li r0, 0\nli r4, 3\nagain:\n{body}\nb300:\naddi r4, r4, -1\nbnz r4, again\n"
    source += "add r3, r7, r2\nst r0, [r3]\n"
    emu = make(source, code_buffer_size=16 << 10, region_size=4 << 10)
    _start_all(emu, 3)
    assert emu.wait(120)
    expected = 3 * sum(i % 100 for i in range(300))
    assert [_slot(emu, i) for i in range(3)] == [expected] * 3
    assert emu.stats()["flushes"] >= 1


def test_stats_while_vcpus_translate(make):
    """``stats()`` from another thread while vCPUs translate and flush: the TB census
    walks the page lists under the ``tb_lock``, so it never sees them change size."""
    n, rounds = 150, 4  # 600 TBs per vCPU, where 8 KiB of code buffer holds ~100
    body = "\n".join(f"b{i}: addi r0, r0, {i % 100}\njal r6, b{i + 1}" for i in range(n))
    source = f"li r0, 0\nli r4, {rounds}\nagain:\n{body}\nb{n}:\naddi r4, r4, -1\n"
    source += "bnz r4, again\nadd r3, r7, r2\nst r0, [r3]\n"
    emu = make(source, code_buffer_size=8 << 10, region_size=2 << 10)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch within the census's walk, if it allows
    try:
        _start_all(emu, 3)
        polls = 0
        while not emu.wait(0):
            stats = emu.stats()
            assert 0 <= stats["tbs_calling_helpers"] <= stats["tbs_cached"]
            polls += 1
    finally:
        sys.setswitchinterval(interval)
    assert polls > 0
    assert [_slot(emu, i) for i in range(3)] == [rounds * sum(i % 100 for i in range(n))] * 3
    assert emu.stats()["flushes"] >= 1


def test_close_stops_running_vcpus(make):
    emu = make(COUNT_FOREVER)
    cpus = _start_all(emu, 3)
    _wait_until(lambda: all(_slot(emu, i) > 100 for i in range(3)))
    emu.close()
    assert emu.closed
    assert not any(c._thread is not None and c._thread.is_alive() for c in cpus)


def test_max_cpus(make):
    emu = make(SUM_TO_SLOT, max_cpus=2)
    emu.add_cpu()
    with pytest.raises(ValueError, match="max_cpus"):
        emu.add_cpu()


def test_64_vcpus_on_a_small_machine(make):
    emu = make(SUM_TO_SLOT)
    cpus = _start_all(emu, 64, lambda i: 100 + i)
    assert emu.wait(300)
    assert [_slot(emu, i) for i in range(64)] == [(100 + i) * (101 + i) // 2 for i in range(64)]
    assert len(cpus) == len(emu.cpus) == 64


def test_the_hosts_compare_and_swap(make):
    """``HostBackend.cas`` / ``cas_pair`` (the routines guest atomics of several vCPUs
    use): the value read comes back, the new value is written only on a match, at
    every size; a host without them answers None (the core's exclusive path)."""
    import ctypes

    host = make("").engine.host
    buf = (ctypes.c_uint64 * 4)()
    base = (ctypes.addressof(buf) + 15) & ~15
    word = ctypes.c_uint64.from_address(base)
    if host.cas(base, 0, 0, 3) is None:
        assert host.name == "python"
        return
    for log2 in range(4):
        bits = 8 << log2
        mask = (1 << bits) - 1
        word.value = 0x8877665544332211
        old = 0x8877665544332211 & mask
        assert host.cas(base, old ^ 1, 0, log2) == old  # no match: unchanged
        assert word.value == 0x8877665544332211
        assert host.cas(base, old, mask, log2) == old  # match: the new value, its size only
        assert word.value == (0x8877665544332211 & ~mask) | mask
    pair = host.cas_pair(base, 1, 2, 3, 4)
    if pair is not None:
        hi = ctypes.c_uint64.from_address(base + 8)
        word.value, hi.value = 1, 2
        assert host.cas_pair(base, 1, 2, 3, 4) == (1, 2)
        assert (word.value, hi.value) == (3, 4)
        assert host.cas_pair(base, 3, 5, 6, 7) == (3, 4)  # half a match is no match
        assert (word.value, hi.value) == (3, 4)


def test_work_queued_from_another_thread_runs_on_the_vcpu_at_a_tb_boundary(make):
    emu = make(COUNT_FOREVER)
    cpu = emu.cpus[0]
    cpu.reg_write("r7", DATA)
    cpu.reg_write("r2", 0)
    cpu.start(CODE, emu.end)
    _wait_until(lambda: _slot(emu, 0) > 1000)  # in the chained loop of generated code
    ran_on: list[str] = []

    def leave_the_loop(vcpu):
        ran_on.append(threading.current_thread().name)
        assert emu.current_cpu is vcpu
        vcpu.reg_write("r5", 0)  # bnz r5 falls through: the program ends

    cpu.queue_work(leave_the_loop)
    assert emu.wait(30)
    assert ran_on == ["tcgkit-vcpu0"]
    assert cpu.reg_read("r0") == _slot(emu, 0) > 1000


def test_work_queued_before_a_run_runs_when_it_starts(make):
    emu = make(SUM_TO_SLOT)
    order: list[int] = []
    emu.cpus[0].queue_work(lambda v: order.append(1))
    emu.cpus[0].queue_work(lambda v: (order.append(2), v.reg_write("r1", 3)))
    emu.reg_write("r7", DATA)
    emu.emu_start(CODE, emu.end)  # r1 = 0 would count down from 2**64
    assert order == [1, 2]
    assert emu.reg_read("r0") == 6 == _slot(emu, 0)
