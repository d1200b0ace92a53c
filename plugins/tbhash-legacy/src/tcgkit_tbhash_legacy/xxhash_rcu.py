"""The ``xxhash-rcu`` policy: fixed buckets of RCU lists, MRU promotion by copying.

Owns ``XxhashRcuPolicy``, the third baseline of QEMU's qht study: a fixed
array of 2^n bucket heads, each the start of an RCU-protected singly linked
list of records (hash, key, TB). Lookups walk a list without locking; every
update happens under one writer lock (QEMU's ``tb_lock``). MRU promotion
cannot move a record in place under readers, so, as the study describes, it
*copies* the record to the head of its list and unlinks the original only
after a grace period; the memory is reclaimed later still (here by the
garbage collector, once no reader references it). The churn of those copies
and grace periods is what the study measured. It must not touch the
translation or execution machinery and keeps no module-level state.

Assumptions
-----------
* As in ``rcu``: single reference loads and stores are atomic and ordered as
  written (CPython's GIL); memory is reclaimed by the garbage collector.
* A key is stored at most once; ``tb`` is never None.

Guarantees
----------
* A lookup never locks. It writes only its own thread's RCU reader record
  and statistics counters, except when it promotes (MRU), which takes the
  writer lock after its read-side section has ended.
* A lookup never misses an entry present for its whole duration: an entry is
  always reachable from its head by a walk that started before or after any
  one update, because an original is unlinked only once every walk that
  began before its copy was published has ended.
* A lookup that begins after ``remove`` or ``reset`` completed does not see
  the removed entries: a removal unlinks every record of the entry (its
  live copy and any stale original) before it returns, and ``reset``
  publishes a fresh array of heads.

Records and their states
------------------------
* LIVE: the one record of each stored entry that iteration and statistics
  count; a lookup may return it.
* STALE: an original superseded by its copy at the head of the same list;
  still linked, so a walk that began before the copy appeared still finds
  the entry; a lookup may return it (same key, same TB). It waits in
  ``_pending`` for a grace period, then is unlinked.
* UNLINKED: out of its list. Its ``next`` is left as it was, so a reader
  standing on it walks on into the list (standard RCU list deletion).

Lock: ``_lock`` (the writer lock) protects every store to a list (heads,
``next`` links, record states), ``_heads`` itself, ``_entries``,
``_pending`` and ``_promotions``. Lookups read all of these without it.

Protocol
--------
lookup: enter a read-side section; walk from ``_heads[i]``, comparing the
  stored hash, then the key; leave the section. If the record found was not
  the head of its list: take the writer lock, and if the record is still
  LIVE and still not the head, link a LIVE copy at the head, mark the
  original STALE, start a grace period and queue the original with its
  cookie.
insert: under the lock, return the TB of any record with the key; else link
  a new LIVE record at the head (MRU on insert, as a list insertion is).
remove: under the lock, unlink every record of the key whose TB is ``tb``.
Every writer first unlinks the queued originals whose grace period has ended
(oldest first), and a promotion tries again after queueing its own (with no
other reader in a section, its grace period is over at once), so stale
records do not pile up. A grace period is polled, never waited for: the
writer lock is never held across a wait for readers.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from tcgkit.exec.tb_hash import DEFAULT_LOG2_BUCKETS, TBHashPolicy, TBKey

from .counters import ThreadCounters
from .hashing import tb_hash_xx
from .rcu import RcuDomain

LIVE, STALE, UNLINKED = 0, 1, 2


class _Record:
    """The intermediate struct of the study: a hash, the key, the TB and the link."""

    __slots__ = ("hash", "key", "next", "state", "tb")

    def __init__(self, h: int, key: TBKey, tb: Any, next: _Record | None) -> None:
        self.hash = h
        self.key = key
        self.tb = tb
        self.next = next
        self.state = LIVE


class XxhashRcuPolicy(TBHashPolicy):
    """Fixed buckets, xxh32 of the TB key, RCU lists, MRU on lookup by copying to the head."""

    name = "xxhash-rcu"

    def __init__(self, log2_buckets: int = DEFAULT_LOG2_BUCKETS) -> None:
        super().__init__(log2_buckets)
        self._mask = (1 << log2_buckets) - 1
        self._lock = threading.Lock()  # the writer lock: see the module docstring
        self._heads: list[_Record | None] = [None] * (1 << log2_buckets)
        self._entries = 0
        self._pending: deque[tuple[int, int, _Record]] = deque()  # (cookie, index, original)
        self._promotions = 0
        self._resets = 0
        self._rcu = RcuDomain()
        self._counters = ThreadCounters()

    # -- lookups -------------------------------------------------------------

    def lookup(self, key: TBKey) -> Any | None:
        try:
            counters = self._counters.local.counters
        except AttributeError:
            counters = self._counters.mine()
        h = tb_hash_xx(key)
        index = h & self._mask
        reader = self._rcu.read_lock()
        heads = self._heads
        first = rec = heads[index]
        probes = 0
        while rec is not None:
            probes += 1
            if rec.hash == h and rec.key == key:
                break
            rec = rec.next
        self._rcu.read_unlock(reader)
        counters.lookups += 1
        counters.probes += probes
        if rec is None:
            return None
        if rec is not first:
            self._promote(heads, index, rec)
        return rec.tb

    def _promote(self, heads: list[_Record | None], index: int, rec: _Record) -> None:
        """MRU: link a copy of ``rec`` at the head; unlink ``rec`` after a grace period."""
        with self._lock:
            self._reclaim()
            if heads is not self._heads or rec.state != LIVE or heads[index] is rec:
                return  # reset, removed, already promoted, or at the head by now
            heads[index] = _Record(rec.hash, rec.key, rec.tb, heads[index])
            rec.state = STALE
            self._pending.append((self._rcu.start_grace_period(), index, rec))
            self._promotions += 1
            self._reclaim()  # with no reader in a section, that grace period is already over

    # -- writers (all under self._lock) --------------------------------------

    def _reclaim(self) -> None:
        """Unlink the stale originals whose grace period has ended (oldest first)."""
        pending = self._pending
        while pending and self._rcu.grace_period_done(pending[0][0]):
            _cookie, index, rec = pending.popleft()
            if rec.state == STALE:
                self._unlink(index, rec)

    def _unlink(self, index: int, rec: _Record) -> None:
        heads = self._heads
        prev = None
        node = heads[index]
        while node is not rec:
            assert node is not None, "a linked record is reachable from its head"
            prev = node
            node = node.next
        if prev is None:
            heads[index] = rec.next
        else:
            prev.next = rec.next
        rec.state = UNLINKED

    def insert(self, key: TBKey, tb: Any) -> Any:
        if tb is None:
            raise ValueError("a TB hash table cannot store None")
        h = tb_hash_xx(key)
        index = h & self._mask
        with self._lock:
            self._reclaim()
            heads = self._heads
            node = heads[index]
            while node is not None:
                if node.hash == h and node.key == key:
                    return node.tb
                node = node.next
            heads[index] = _Record(h, key, tb, heads[index])
            self._entries += 1
            return tb

    def remove(self, key: TBKey, tb: Any) -> bool:
        h = tb_hash_xx(key)
        index = h & self._mask
        with self._lock:
            self._reclaim()
            found = False
            node = self._heads[index]
            while node is not None:
                nxt = node.next
                if node.tb is tb and node.hash == h and node.key == key:
                    found = found or node.state == LIVE
                    self._unlink(index, node)
                node = nxt
            if found:
                self._entries -= 1
            return found

    def reset(self) -> None:
        with self._lock:
            self._heads = [None] * (self._mask + 1)
            self._entries = 0
            self._pending.clear()  # their lists went with the old heads
            self._resets += 1

    # -- iteration and statistics --------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            snapshot = [r.tb for r in _records(self._heads) if r.state == LIVE]
        return iter(snapshot)

    def __len__(self) -> int:
        return self._entries

    def stats(self) -> dict[str, float]:
        counts = self._counters.totals()
        with self._lock:
            chains = [_chain_length(head) for head in filter(None, self._heads)]
            return {
                "buckets": self._mask + 1,
                "entries": self._entries,
                # chains count every linked record, stale originals included:
                # a lookup walks those too
                "mean_chain": sum(chains) / len(chains) if chains else 0.0,
                "max_chain": max(chains, default=0),
                "resizes": 0,
                "lookups": counts["lookups"],
                "probes": counts["probes"],
                "mru_promotions": self._promotions,
                # beyond STAT_KEYS
                "log2_buckets": self.initial_log2_buckets,
                "used_buckets": len(chains),
                "stale_records": sum(1 for _c, _i, r in self._pending if r.state == STALE),
                "resets": self._resets,
            }


def _records(heads: list[_Record | None]) -> Iterator[_Record]:
    for node in filter(None, heads):
        while node is not None:
            yield node
            node = node.next


def _chain_length(node: _Record | None) -> int:
    n = 0
    while node is not None:
        n += 1
        node = node.next
    return n
