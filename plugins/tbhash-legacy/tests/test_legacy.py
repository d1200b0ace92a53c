"""What the legacy policies promise beyond the contract: their hashes, MRU, RCU copies."""

from __future__ import annotations

import importlib.metadata as metadata
import struct
import threading

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st
from tcgkit.exec.tb_hash import TBKey
from tcgkit.plugins import TB_HASH, get_plugin_manager
from tcgkit_tbhash_legacy import (
    POLICIES,
    MasterPolicy,
    XxhashPolicy,
    XxhashRcuPolicy,
    tb_hash_weak,
    tb_hash_xx,
)
from tcgkit_tbhash_legacy.rcu import RcuDomain


def key(i: int, flags: int = 0) -> TBKey:
    pc = 0x400000 + 4 * i
    return TBKey(pc=pc, cs_base=0, flags=flags, cflags=0, phys_page=pc & ~0xFFF)


# -- distribution ------------------------------------------------------------------


def test_entry_points_and_discovery() -> None:
    dist = metadata.distribution("tcgkit-tbhash-legacy")
    names = {ep.name for ep in dist.entry_points if ep.group == "tcgkit"}
    assert names == {"master", "xxhash", "xxhash-rcu"}
    manager = get_plugin_manager()
    for cls in POLICIES:
        info = manager.get_info(TB_HASH, cls.name)
        assert info.obj is cls
        assert info.distribution == "tcgkit-tbhash-legacy"
        assert TB_HASH.first_party[cls.name] == "tcgkit-tbhash-legacy"


# -- hashes ------------------------------------------------------------------------


def test_weak_hash_is_the_physical_pc_shifted_by_two() -> None:
    k = TBKey(pc=0x7F0123, cs_base=9, flags=3, cflags=1, phys_page=0x20000)
    assert tb_hash_weak(k) == (0x20000 + 0x123) >> 2
    # it ignores cs_base, flags and cflags: such TBs always share a bucket
    assert tb_hash_weak(k) == tb_hash_weak(k._replace(flags=0, cs_base=0, cflags=0))


any_int = st.integers(min_value=0, max_value=(1 << 32) - 1)


@given(any_int, any_int, any_int, any_int, any_int)
def test_xx_hash_is_xxh32_of_the_packed_key(pc: int, cs: int, fl: int, cf: int, pp: int) -> None:
    k = TBKey(pc << 12, cs, fl, cf, pp << 12)
    packed = struct.pack("<QQQII", pp << 12, pc << 12, cs, fl, cf)
    assert tb_hash_xx(k) == xxhash.xxh32_intdigest(packed, 1)


def test_xx_hash_golden_values() -> None:
    # the same values tcgkit-tbhash-qht pins for its copy of the function
    assert tb_hash_xx(TBKey(0, 0, 0, 0, 0)) == 0x4F528B6D
    assert tb_hash_xx(TBKey(0x400123, 0, 5, 0x80000, 0x400000)) == 0x9A354705


def test_master_spreads_worse_than_xxhash() -> None:
    # TBs of one pc under 16 flag values: master puts them all in one bucket
    keys = [key(i, flags) for i in range(256) for flags in range(16)]
    chains = {}
    for cls in (MasterPolicy, XxhashPolicy):
        table = cls(12)
        for k in keys:
            table.insert(k, object())
        chains[cls.name] = table.stats()["max_chain"]
    assert chains["master"] >= 16
    assert chains["xxhash"] < chains["master"]


# -- MRU on lookup ------------------------------------------------------------------


@pytest.mark.parametrize("cls", POLICIES, ids=lambda c: c.name)
def test_a_hit_past_the_head_moves_to_the_head(cls: type) -> None:
    table = cls(0)  # one list
    keys = [key(i) for i in range(5)]
    for k in keys:
        table.insert(k, object())  # each new TB goes to the head: keys[0] is last
    assert table.lookup(keys[0]) is not None
    stats = table.stats()
    assert stats["mru_promotions"] == 1
    assert stats["probes"] == 5
    assert table.lookup(keys[0]) is not None
    stats = table.stats()
    assert stats["probes"] == 6  # found at the head now
    assert stats["mru_promotions"] == 1
    assert stats["entries"] == 5
    assert stats["max_chain"] == 5  # the stale copy is gone: no reader was in the way


# -- xxhash-rcu: copies, grace periods ------------------------------------------------


def _hold_read_section(domain: RcuDomain) -> tuple[threading.Event, threading.Thread]:
    entered, leave = threading.Event(), threading.Event()

    def reader() -> None:
        r = domain.read_lock()
        entered.set()
        leave.wait(5)
        domain.read_unlock(r)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    assert entered.wait(5)
    return leave, t


def test_rcu_grace_period_waits_for_readers_that_were_inside() -> None:
    domain = RcuDomain()
    leave, t = _hold_read_section(domain)
    cookie = domain.start_grace_period()
    assert not domain.grace_period_done(cookie)
    r = domain.read_lock()  # a reader that entered after the start does not delay it
    leave.set()
    t.join()
    assert domain.grace_period_done(cookie)
    domain.read_unlock(r)
    domain.synchronize()  # no reader inside: returns


def test_rcu_promotion_copies_then_unlinks_after_a_grace_period() -> None:
    table = XxhashRcuPolicy(0)
    keys = [key(i) for i in range(4)]
    tbs = {k: table.insert(k, object()) for k in keys}
    leave, t = _hold_read_section(table._rcu)  # a reader in the middle of a walk
    assert table.lookup(keys[0]) is tbs[keys[0]]
    stats = table.stats()
    assert stats["mru_promotions"] == 1
    assert stats["stale_records"] == 1  # the original waits for that reader
    assert stats["max_chain"] == 5
    assert stats["entries"] == 4
    assert table._heads[0].key == keys[0]
    assert sorted(map(id, table)) == sorted(map(id, tbs.values()))  # each entry once
    assert all(table.lookup(k) is tb for k, tb in tbs.items())  # promotes keys 1 to 3 too
    stats = table.stats()
    assert (stats["stale_records"], stats["max_chain"], stats["mru_promotions"]) == (4, 8, 4)
    # removing an entry removes its copy and its stale original
    assert table.remove(keys[0], tbs[keys[0]])
    assert table.lookup(keys[0]) is None
    stats = table.stats()
    assert (stats["stale_records"], stats["max_chain"], stats["entries"]) == (3, 6, 3)
    leave.set()
    t.join()
    assert table.lookup(keys[1]) is tbs[keys[1]]  # promotes; now nothing is in the way
    stats = table.stats()
    assert stats["stale_records"] == 0
    assert stats["max_chain"] == 3


def test_rcu_reset_drops_pending_originals() -> None:
    table = XxhashRcuPolicy(0)
    keys = [key(i) for i in range(3)]
    for k in keys:
        table.insert(k, object())
    leave, t = _hold_read_section(table._rcu)
    table.lookup(keys[0])
    assert table.stats()["stale_records"] == 1
    table.reset()
    assert table.stats()["stale_records"] == 0
    assert table.lookup(keys[0]) is None
    leave.set()
    t.join()
