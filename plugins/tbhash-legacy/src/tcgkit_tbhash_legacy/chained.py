"""The ``master`` and ``xxhash`` policies: fixed buckets of linked TBs under one lock.

Owns ``ChainedPolicy``, QEMU's TB hash table before qht: an array of 2^n
bucket heads, each the start of a singly linked list of TBs (QEMU linked the
TBs themselves through ``phys_hash_next``; here a node holds the key, the TB
and the link). New TBs go to the head of their list, and a lookup that finds
its TB further down moves it to the head (MRU promotion), so lookups write.
The two policies differ only in their hash (``hashing``).

Concurrency: one lock (QEMU's ``tb_lock``) protects everything: the lists,
the entry count and the counters. Every operation, lookups included, holds
it; that is the design the study measured, and why lookups there do not
scale. The bucket count never changes; ``reset()`` empties the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from tcgkit.exec.tb_hash import DEFAULT_LOG2_BUCKETS, TBHashPolicy, TBKey

from .hashing import tb_hash_weak, tb_hash_xx


class _Node:
    """One TB in its bucket's list."""

    __slots__ = ("key", "next", "tb")

    def __init__(self, key: TBKey, tb: Any, next: _Node | None) -> None:
        self.key = key
        self.tb = tb
        self.next = next


class ChainedPolicy(TBHashPolicy):
    """Fixed buckets of linked TBs, MRU promotion on lookup, one lock for everything."""

    hash_key: ClassVar[Callable[[TBKey], int]] = staticmethod(tb_hash_xx)

    def __init__(self, log2_buckets: int = DEFAULT_LOG2_BUCKETS) -> None:
        super().__init__(log2_buckets)
        self._lock = threading.Lock()  # protects everything below
        self._mask = (1 << log2_buckets) - 1
        self._heads: list[_Node | None] = [None] * (1 << log2_buckets)
        self._entries = 0
        self._lookups = 0
        self._probes = 0
        self._promotions = 0
        self._resets = 0

    def lookup(self, key: TBKey) -> Any | None:
        index = self.hash_key(key) & self._mask
        with self._lock:
            heads = self._heads
            prev = None
            node = heads[index]
            probes = 0
            while node is not None:
                probes += 1
                if node.key == key:
                    if prev is not None:  # MRU: move it to the head of its list
                        prev.next = node.next
                        node.next = heads[index]
                        heads[index] = node
                        self._promotions += 1
                    break
                prev = node
                node = node.next
            self._lookups += 1
            self._probes += probes
            return None if node is None else node.tb

    def insert(self, key: TBKey, tb: Any) -> Any:
        if tb is None:
            raise ValueError("a TB hash table cannot store None")
        index = self.hash_key(key) & self._mask
        with self._lock:
            heads = self._heads
            node = heads[index]
            while node is not None:
                if node.key == key:
                    return node.tb
                node = node.next
            heads[index] = _Node(key, tb, heads[index])
            self._entries += 1
            return tb

    def remove(self, key: TBKey, tb: Any) -> bool:
        index = self.hash_key(key) & self._mask
        with self._lock:
            heads = self._heads
            prev = None
            node = heads[index]
            while node is not None:
                if node.tb is tb and node.key == key:
                    if prev is None:
                        heads[index] = node.next
                    else:
                        prev.next = node.next
                    self._entries -= 1
                    return True
                prev = node
                node = node.next
            return False

    def reset(self) -> None:
        with self._lock:
            self._heads = [None] * (self._mask + 1)
            self._entries = 0
            self._resets += 1

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            snapshot = [node.tb for node in _nodes(self._heads)]
        return iter(snapshot)

    def __len__(self) -> int:
        return self._entries

    def stats(self) -> dict[str, float]:
        with self._lock:
            chains = [_chain_length(head) for head in filter(None, self._heads)]
            return {
                "buckets": self._mask + 1,
                "entries": self._entries,
                "mean_chain": sum(chains) / len(chains) if chains else 0.0,
                "max_chain": max(chains, default=0),
                "resizes": 0,
                "lookups": self._lookups,
                "probes": self._probes,
                "mru_promotions": self._promotions,
                # beyond STAT_KEYS
                "log2_buckets": self.initial_log2_buckets,
                "used_buckets": len(chains),
                "resets": self._resets,
            }


def _nodes(heads: list[_Node | None]) -> Iterator[_Node]:
    for node in filter(None, heads):
        while node is not None:
            yield node
            node = node.next


def _chain_length(node: _Node | None) -> int:
    n = 0
    while node is not None:
        n += 1
        node = node.next
    return n


class MasterPolicy(ChainedPolicy):
    """QEMU's TB hash table before qht: fixed buckets, the old weak hash, MRU on lookup."""

    name = "master"
    hash_key = staticmethod(tb_hash_weak)


class XxhashPolicy(ChainedPolicy):
    """Fixed buckets, xxh32 of the TB key, MRU on lookup: QEMU just before qht."""

    name = "xxhash"
    hash_key = staticmethod(tb_hash_xx)
