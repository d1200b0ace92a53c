"""What qht promises beyond the policy contract: its hash, its seqlock, its locks, MRU, growth."""

from __future__ import annotations

import random
import sys
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tcgkit.exec.tb_hash import TBKey
from tcgkit_tbhash_qht import POLICIES, QhtDynMru, QhtDynNoMru, QhtFixedNoMru, QhtPolicy
from tcgkit_tbhash_qht.hashing import tb_hash_xx, tb_hash_xx_python
from tcgkit_tbhash_qht.qht import BUCKET_ENTRIES

policies = pytest.mark.parametrize("cls", POLICIES, ids=lambda c: c.name)


def key(i: int, flags: int = 0) -> TBKey:
    return TBKey(pc=0x1000 + 4 * i, cs_base=0, flags=flags, cflags=0, phys_page=0x1000)


def bucket_keys(bucket) -> tuple:
    """The keys in a bucket's slots, None for an empty slot (slots: hashes, keys, TBs)."""
    return bucket.slots[BUCKET_ENTRIES : 2 * BUCKET_ENTRIES]


# -- the hash ------------------------------------------------------------------

any_int = st.integers(min_value=-(1 << 70), max_value=1 << 70)


@given(st.builds(TBKey, any_int, any_int, any_int, any_int, any_int))
def test_package_hash_is_our_python_xxh32(k: TBKey) -> None:
    assert tb_hash_xx(k) == tb_hash_xx_python(k)
    assert 0 <= tb_hash_xx(k) < 1 << 32


def test_hash_golden_values() -> None:
    # xxh32 of 32 zero bytes, seed 1; and one aarch64-like key
    assert tb_hash_xx(TBKey(0, 0, 0, 0, 0)) == 0x4F528B6D
    assert tb_hash_xx(TBKey(0x400123, 0, 5, 0x80000, 0x400000)) == 0x9A354705
    assert tb_hash_xx_python(TBKey(0x400123, 0, 5, 0x80000, 0x400000)) == 0x9A354705


def test_flags_change_the_hash() -> None:
    assert len({tb_hash_xx(key(1, flags)) for flags in range(64)}) == 64


# -- lookups: no locks, no shared writes, the seqlock -----------------------------


def _run_with_timeout(fn, seconds: float = 5.0) -> list:
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    return out


@policies
def test_lookups_take_no_lock(cls: type[QhtPolicy]) -> None:
    table = cls(2)
    tbs = {key(i): object() for i in range(40)}
    for k, tb in tbs.items():
        table.insert(k, tb)
    m = table._map
    if cls.mru_lookup:  # a hit past the head bucket upgrades to a writer there: ask the rest
        tbs = {k: tb for k, tb in tbs.items() if k in bucket_keys(m.heads[tb_hash_xx(k) & m.mask])}
    missing = [key(i) for i in range(100, 140)]
    with table._lock:
        m.lock_all()  # every lock of the table is held: writers, resizes, resets wait
        try:
            found = _run_with_timeout(lambda: [table.lookup(k) for k in [*tbs, *missing]])
        finally:
            m.unlock_all()
    assert found == [[*tbs.values(), *[None] * len(missing)]]
    assert len(tbs) >= 10


@pytest.mark.parametrize("cls", [QhtDynNoMru, QhtFixedNoMru], ids=lambda c: c.name)
def test_nomru_lookups_write_nothing_shared(cls: type[QhtPolicy]) -> None:
    table = cls(0)  # one chain of three buckets
    keys = [key(i) for i in range(10)]
    for k in keys:
        table.insert(k, object())
    head = table._map.heads[0]

    def state() -> list:
        out, b = [], head
        while b is not None:
            out.append(b.slots)
            b = b.next
        return [head.sequence, out]

    before = state()
    for _ in range(3):
        for k in keys:
            table.lookup(k)
    assert state() == before
    assert table.stats()["mru_promotions"] == table.stats()["mru_insert"]


@policies
def test_a_lookup_waits_while_a_writer_is_in_its_bucket(cls: type[QhtPolicy]) -> None:
    table = cls(0)
    k = key(1)
    tb = object()
    table.insert(k, tb)
    head = table._map.heads[0]
    with head.lock:
        head.sequence += 1  # a write section is open
        done = threading.Event()
        result: list = []

        def look() -> None:
            result.append(table.lookup(k))
            done.set()

        t = threading.Thread(target=look, daemon=True)
        t.start()
        assert not done.wait(0.1)  # the reader retries until the writer is out
        head.sequence += 1
    assert done.wait(5)
    t.join()
    assert result == [tb]


@policies
def test_lookups_racing_writes_to_their_one_chain(cls: type[QhtPolicy]) -> None:
    """Removals move a chain's last entry into the hole; readers must not lose it."""
    table = cls(0)
    keys = [key(i) for i in range(12)]
    stable = {k: object() for k in keys[:6]}
    for k, tb in stable.items():
        table.insert(k, tb)
    stop = threading.Event()
    misses: list[TBKey] = []

    def churn() -> None:
        rng = random.Random(0)
        while not stop.is_set():
            k = rng.choice(keys[6:])
            tb = table.insert(k, object())
            assert table.remove(k, tb)

    def read() -> None:
        while not stop.is_set():
            for k, tb in stable.items():
                if table.lookup(k) is not tb:
                    misses.append(k)

    threads = [threading.Thread(target=churn)] + [threading.Thread(target=read) for _ in range(2)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        time.sleep(0.4)
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(old)
    assert misses == []


# -- MRU -------------------------------------------------------------------------


@policies
def test_mru_on_insert(cls: type[QhtPolicy]) -> None:
    table = cls(0)
    keys = [key(i) for i in range(BUCKET_ENTRIES + 1)]
    for k in keys:
        table.insert(k, object())
    head = table._map.heads[0]
    assert bucket_keys(head)[0] == keys[-1]  # the entry that overflowed went to the front
    stats = table.stats()
    assert stats["mru_insert"] == 1
    assert stats["mru_promotions"] == 1
    assert stats["buckets"] == 2
    assert stats["overflow_buckets"] == 1


def test_mru_on_lookup_only_in_dyn_mru() -> None:
    for cls, promotes in ((QhtDynMru, True), (QhtDynNoMru, False), (QhtFixedNoMru, False)):
        table = cls(0)
        keys = [key(i) for i in range(BUCKET_ENTRIES + 3)]
        for k in keys:
            table.insert(k, object())
        head = table._map.heads[0]
        far = next(k for k in keys if k not in bucket_keys(head))
        table.lookup(far)
        assert (bucket_keys(head)[0] == far) is promotes
        assert (table.stats()["mru_lookup"] == 1) is promotes
        assert all(table.lookup(k) is not None for k in keys)


# -- growth and explicit resizes --------------------------------------------------


@policies
def test_growth_past_the_threshold(cls: type[QhtPolicy]) -> None:
    table = cls(4)
    for i in range(2000):
        table.insert(key(i), object())
    stats = table.stats()
    if cls.auto_resize:
        assert stats["resizes"] >= 1
        # grown until no more than 1/8 of the head buckets has an overflow bucket
        assert stats["overflow_buckets"] <= max(1, stats["head_buckets"] // 8) + 1
    else:
        assert stats["resizes"] == 0
        assert stats["head_buckets"] == 16
    assert stats["buckets"] == stats["head_buckets"] + stats["overflow_buckets"]
    assert all(table.lookup(key(i)) is not None for i in range(2000))


@policies
def test_explicit_resize_keeps_every_entry(cls: type[QhtPolicy]) -> None:
    table = cls(3)
    tbs = {key(i, i % 3): object() for i in range(300)}
    for k, tb in tbs.items():
        table.insert(k, tb)
    for log2 in (10, 0, 5):
        assert table.resize(log2) is True
        assert table.stats()["log2_buckets"] == log2
        assert all(table.lookup(k) is tb for k, tb in tbs.items())
    assert table.resize(5) is False
    with pytest.raises(ValueError):
        table.resize(31)
    table.reset()
    assert table.stats()["log2_buckets"] == 3
