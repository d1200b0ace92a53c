"""The TB hash-table policy contract suite (tcgkit.exec.tb_hash), for any policy package.

A policy distribution runs it by importing it into one of its test modules
(``from tcgkit.testing.tb_hash_contract import *``) and naming its policies
in its ``conftest.py``: the ``policy_name`` parameter, and the fixtures
``distribution`` and ``auto_resize`` (see tcgkit-tbhash-qht's tests).
Policies are taken through the plugin manager, as the emulator takes them,
so these tests also check that each is discovered from its distribution's
entry point. Needs pytest and hypothesis.

Covered: lookup / insert / remove semantics, iteration, every STAT_KEY,
reset to the initial size, growth of the auto-resizing policies, random
operation sequences against a dict (hypothesis state machine), and readers
racing writers and resizes.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from ..exec.tb_hash import STAT_KEYS, TBHashPolicy, TBKey
from ..plugins import TB_HASH, get_plugin_manager


class TB:
    """A stand-in translation block: compared by identity, as tables compare TBs."""

    __slots__ = ("key",)

    def __init__(self, key: TBKey) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"TB({self.key.pc:#x}, flags={self.key.flags})"


def make_key(i: int, flags: int = 0) -> TBKey:
    """Keys that look like aarch64 blocks: 4-byte aligned pcs spread over a few pages."""
    pc = 0x400000 + 4 * i
    return TBKey(pc=pc, cs_base=0, flags=flags, cflags=0, phys_page=pc & ~0xFFF)


@pytest.fixture
def policy_cls(policy_name: str, distribution: str) -> type[TBHashPolicy]:
    info = get_plugin_manager().get_info(TB_HASH, policy_name)
    assert info.distribution == distribution
    assert info.entry_point == policy_name  # each policy is its own entry point
    return info.obj


@pytest.fixture
def table(policy_cls: type[TBHashPolicy]) -> Iterator[TBHashPolicy]:
    yield policy_cls(4)


# -- basic semantics ---------------------------------------------------------


def test_is_a_policy_named_as_registered(policy_cls: type[TBHashPolicy], policy_name: str) -> None:
    assert issubclass(policy_cls, TBHashPolicy)
    assert policy_cls.name == policy_name
    doc = policy_cls.__doc__  # what `tcgkit plugins` shows: a string (not, say, a descriptor)
    assert isinstance(doc, str) and doc.strip()


def test_empty_table(table: TBHashPolicy) -> None:
    assert table.lookup(make_key(1)) is None
    assert list(table) == []
    assert len(table) == 0
    assert table.remove(make_key(1), TB(make_key(1))) is False
    stats = table.stats()
    assert set(STAT_KEYS) <= set(stats)
    assert stats["entries"] == 0
    assert stats["max_chain"] == 0
    assert stats["mean_chain"] == 0


def test_insert_lookup_remove(table: TBHashPolicy) -> None:
    key = make_key(7)
    tb = TB(key)
    assert table.insert(key, tb) is tb
    assert table.lookup(key) is tb
    assert table.lookup(TBKey(*key)) is tb  # equal keys, not identical ones
    assert table.lookup(make_key(8)) is None
    assert table.lookup(key._replace(flags=1)) is None
    assert len(table) == 1
    assert table.remove(key, TB(key)) is False  # not that entry
    assert table.lookup(key) is tb
    assert table.remove(key, tb) is True
    assert table.lookup(key) is None
    assert table.remove(key, tb) is False
    assert len(table) == 0


def test_insert_of_a_present_key_returns_the_stored_tb(table: TBHashPolicy) -> None:
    key = make_key(3)
    first, second = TB(key), TB(key)
    assert table.insert(key, first) is first
    assert table.insert(key, second) is first
    assert table.lookup(key) is first
    assert list(table) == [first]


def test_replace_swaps_the_stored_entry(table: TBHashPolicy) -> None:
    """A tier-up: the compiled TB takes the tier-0 TB's place under the same key."""
    key, other = make_key(5), make_key(6)
    old, new, neighbour = TB(key), TB(key), TB(other)
    table.insert(key, old)
    table.insert(other, neighbour)
    assert table.replace(key, old, new) is new
    assert table.lookup(key) is new
    assert table.lookup(other) is neighbour
    assert sorted(map(id, table)) == sorted(map(id, [new, neighbour]))
    assert len(table) == 2
    assert table.remove(key, old) is False
    assert table.remove(key, new) is True


def test_replace_of_an_absent_entry_inserts(table: TBHashPolicy) -> None:
    key = make_key(9)
    old, new, third = TB(key), TB(key), TB(key)
    assert table.replace(key, old, new) is new  # ``old`` was never stored
    assert table.lookup(key) is new
    # ``old`` absent and another TB under the key: that one stays, as insert decides
    assert table.replace(key, old, third) is new
    assert table.lookup(key) is new
    assert len(table) == 1


def test_none_cannot_be_stored(table: TBHashPolicy) -> None:
    with pytest.raises(ValueError):
        table.insert(make_key(1), None)


@pytest.mark.parametrize("log2", [0, 1, 3, 15])
def test_many_entries_and_collisions(policy_cls: type[TBHashPolicy], log2: int) -> None:
    table = policy_cls(log2)
    tbs = {}
    for i in range(300):
        for flags in (0, 1):  # the weak hash of master ignores flags: same-bucket pairs
            key = make_key(i, flags)
            tbs[key] = table.insert(key, TB(key))
    assert len(table) == len(tbs) == table.stats()["entries"]
    for key, tb in tbs.items():
        assert table.lookup(key) is tb
    assert sorted(map(id, table)) == sorted(map(id, tbs.values()))
    for key in list(tbs)[::2]:
        assert table.remove(key, tbs.pop(key))
    for key, tb in tbs.items():
        assert table.lookup(key) is tb
    assert len(table) == len(tbs)


def test_any_int_fields_hash(table: TBHashPolicy) -> None:
    keys = [
        TBKey(-4, -1, -1, -1, -4096),
        TBKey(1 << 70, 1 << 65, 1 << 40, 1 << 33, 1 << 80),
        TBKey(0, 0, 0, 0, 0),
    ]
    for key in keys:
        table.insert(key, TB(key))
    for key in keys:
        assert table.lookup(key).key == key


@pytest.mark.parametrize("log2", [-1, 31])
def test_log2_out_of_range(policy_cls: type[TBHashPolicy], log2: int) -> None:
    with pytest.raises(ValueError):
        policy_cls(log2)


def test_default_size_is_two_to_the_fifteen(policy_cls: type[TBHashPolicy]) -> None:
    table = policy_cls()
    assert table.initial_log2_buckets == 15
    assert table.stats()["buckets"] == 1 << 15


# -- statistics, reset, resizing ----------------------------------------------


def test_stats(policy_cls: type[TBHashPolicy]) -> None:
    table = policy_cls(0)  # one bucket: a single chain holds everything
    keys = [make_key(i) for i in range(3)]
    for key in keys:
        table.insert(key, TB(key))
    stats = table.stats()
    assert stats["entries"] == 3
    assert stats["max_chain"] == 3
    assert stats["mean_chain"] == 3.0
    assert stats["lookups"] == 0
    for key in keys:
        assert table.lookup(key) is not None
    assert table.lookup(make_key(99)) is None
    stats = table.stats()
    assert stats["lookups"] == 4
    assert 4 <= stats["probes"] <= 4 * 3
    assert stats["mru_promotions"] >= 0
    assert all(isinstance(stats[k], int | float) for k in STAT_KEYS)


def test_stats_count_lookups_of_every_thread(table: TBHashPolicy) -> None:
    key = make_key(1)
    table.insert(key, TB(key))

    def look() -> None:
        for _ in range(100):
            table.lookup(key)

    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    look()
    stats = table.stats()
    assert stats["lookups"] == 500
    assert stats["probes"] >= 500


def test_reset_returns_to_the_initial_size(
    policy_cls: type[TBHashPolicy], auto_resize: bool
) -> None:
    table = policy_cls(2)
    assert table.stats()["buckets"] == 4
    keys = [make_key(i) for i in range(500)]
    for key in keys:
        table.insert(key, TB(key))
    grown = table.stats()
    if auto_resize:
        assert grown["resizes"] >= 1
        assert grown["buckets"] >= 128
    else:
        assert grown["resizes"] == 0
    table.reset()
    stats = table.stats()
    assert stats["buckets"] == 4
    assert stats["entries"] == 0
    assert len(table) == 0
    assert list(table) == []
    assert all(table.lookup(key) is None for key in keys)
    # and it works, and grows, again
    for key in keys:
        table.insert(key, TB(key))
    assert len(table) == 500
    assert (table.stats()["resizes"] > grown["resizes"]) == auto_resize


def test_iteration_is_a_snapshot(table: TBHashPolicy) -> None:
    keys = [make_key(i) for i in range(50)]
    for key in keys:
        table.insert(key, TB(key))
    seen = []
    for tb in table:  # updating while iterating is allowed
        seen.append(tb)
        table.remove(tb.key, tb)
    assert len(seen) == 50
    assert len(table) == 0


# -- random operations against a dict ---------------------------------------

KEYS = [make_key(i, flags) for i in range(12) for flags in (0, 3)]


class _TableVsDict(RuleBasedStateMachine):
    """Random operation sequences on a small table, checked against a dict."""

    policy_cls: type[TBHashPolicy]

    tbs = Bundle("tbs")

    def __init__(self) -> None:
        super().__init__()
        self.table: TBHashPolicy | None = None
        self.model: dict[TBKey, Any] = {}

    @initialize(log2=st.integers(0, 3))
    def create(self, log2: int) -> None:
        self.table = self.policy_cls(log2)

    @rule(target=tbs, key=st.sampled_from(KEYS))
    def insert(self, key: TBKey) -> TB:
        tb = TB(key)
        expect = self.model.setdefault(key, tb)
        assert self.tab.insert(key, tb) is expect
        return tb

    @rule(tb=tbs)
    def remove(self, tb: TB) -> None:
        expect = self.model.get(tb.key) is tb
        assert self.tab.remove(tb.key, tb) is expect
        if expect:
            del self.model[tb.key]

    @rule(target=tbs, old=tbs)
    def replace(self, old: TB) -> TB:
        new = TB(old.key)
        stored = self.model.get(old.key)
        expect = new if stored is None or stored is old else stored
        assert self.tab.replace(old.key, old, new) is expect
        self.model[old.key] = expect
        return new

    @rule(key=st.sampled_from(KEYS))
    def lookup(self, key: TBKey) -> None:
        assert self.tab.lookup(key) is self.model.get(key)

    @rule()
    def reset(self) -> None:
        self.tab.reset()
        self.model.clear()
        assert self.tab.stats()["buckets"] == 1 << self.tab.initial_log2_buckets

    @rule(log2=st.integers(0, 4))
    def resize(self, log2: int) -> None:
        resize = getattr(self.tab, "resize", None)
        if resize is not None:
            resize(log2)

    @property
    def tab(self) -> TBHashPolicy:
        assert self.table is not None
        return self.table

    @invariant()
    def agrees(self) -> None:
        if self.table is None:  # invariants run before the initialize rule too
            return
        stats = self.table.stats()
        assert stats["entries"] == len(self.model) == len(self.table)
        assert sorted(map(id, self.table)) == sorted(map(id, self.model.values()))
        assert stats["max_chain"] <= len(self.model)


def test_random_operations_against_a_dict(policy_cls: type[TBHashPolicy]) -> None:
    machine = type(f"TableVsDict_{policy_cls.__name__}", (_TableVsDict,), {})
    machine.policy_cls = policy_cls
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# -- concurrency ----------------------------------------------------------------

RACE_SECONDS = 1.2


def test_readers_racing_writers_and_resizes(
    policy_cls: type[TBHashPolicy], auto_resize: bool
) -> None:
    """Readers never miss a stable entry, nor see one whose removal had completed."""
    table = policy_cls(1)
    stable = {make_key(i): TB(make_key(i)) for i in range(0, 400, 2)}  # present throughout
    doomed = {make_key(i): TB(make_key(i)) for i in range(1, 400, 2)}  # removed once, for good
    for key, tb in (stable | doomed).items():
        assert table.insert(key, tb) is tb
    removed: set[TBKey] = set()  # a key is added once its removal has returned
    errors: list[str] = []
    stop = threading.Event()
    stable_keys, doomed_keys = list(stable), list(doomed)

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            key = rng.choice(stable_keys)
            if table.lookup(key) is not stable[key]:
                errors.append(f"missed {key} present throughout")
            key = rng.choice(doomed_keys)
            gone = key in removed  # read before the lookup begins
            found = table.lookup(key)
            if gone and found is not None:
                errors.append(f"found {key} after its removal completed")
            if found is not None and found is not doomed[key]:
                errors.append(f"wrong TB for {key}")

    def remover() -> None:
        rng = random.Random(1)
        order = doomed_keys[:]
        rng.shuffle(order)
        for key in order:
            if stop.is_set():
                return
            assert table.remove(key, doomed[key])
            removed.add(key)
            time.sleep(RACE_SECONDS / 2 / len(order))

    def churner(seed: int) -> None:
        # inserts fresh keys (driving growth) and removes some of them again
        rng = random.Random(seed)
        mine: list[tuple[TBKey, TB]] = []
        i = 0
        while not stop.is_set():
            key = make_key(1_000_000 * (seed + 1) + i)
            i += 1
            tb = TB(key)
            assert table.insert(key, tb) is tb
            mine.append((key, tb))
            if len(mine) > 1500 or rng.random() < 0.3:  # bounded: resizes copy everything
                key, tb = mine.pop(rng.randrange(len(mine)))
                assert table.remove(key, tb)

    def resizer() -> None:
        rng = random.Random(2)
        while not stop.is_set():
            table.resize(rng.randint(0, 6))  # type: ignore[attr-defined]
            time.sleep(0.005)

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    threads += [threading.Thread(target=churner, args=(s,)) for s in range(2)]
    threads.append(threading.Thread(target=remover))
    if hasattr(table, "resize"):
        threads.append(threading.Thread(target=resizer))
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: more interleavings
    try:
        for t in threads:
            t.start()
        time.sleep(RACE_SECONDS)
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(old_interval)
    assert errors[:5] == []
    for key, tb in stable.items():
        assert table.lookup(key) is tb
    for key in removed:
        assert table.lookup(key) is None
    stats = table.stats()
    assert stats["entries"] == len(table) == len(list(table))
    assert stats["lookups"] > 0
    if auto_resize:
        assert stats["resizes"] >= 1


def test_no_entry_survives_a_completed_reset(policy_cls: type[TBHashPolicy]) -> None:
    """A lookup that begins after reset() returned finds nothing inserted before it."""
    table = policy_cls(3)
    old = {make_key(i): TB(make_key(i)) for i in range(500)}
    for key, tb in old.items():
        table.insert(key, tb)
    old_keys = list(old)
    reset_done = threading.Event()
    stop = threading.Event()
    errors: list[str] = []

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            key = rng.choice(old_keys)
            after = reset_done.is_set()  # read before the lookup begins
            if table.lookup(key) is not None and after:
                errors.append(f"found {key} after the reset completed")

    def writer() -> None:
        i = 0
        while not stop.is_set():
            key = make_key(10_000 + i)
            i += 1
            table.insert(key, TB(key))

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    threads.append(threading.Thread(target=writer))
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for t in threads:
            t.start()
        time.sleep(0.1)
        table.reset()
        reset_done.set()
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(old_interval)
    assert errors[:5] == []
    assert all(table.lookup(key) is None for key in old_keys)
