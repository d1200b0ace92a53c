"""A third-party TB hash-table policy for tests: a dict keyed by the TB key.

It registers itself through the ``tcgkit`` entry point exactly as an outside
project would; nothing in tcgkit names it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from tcgkit import hookimpl


class ToyDictPolicy:
    """Toy TB hash-table policy: one Python dict, no buckets of its own."""

    name = "toy-dict"

    def __init__(self, log2_buckets: int = 15) -> None:
        self._table: dict[Hashable, Any] = {}
        self._lookups = 0
        self._probes = 0

    def lookup(self, key: Hashable) -> Any | None:
        self._lookups += 1
        self._probes += 1
        return self._table.get(key)

    def insert(self, key: Hashable, tb: Any) -> Any:
        return self._table.setdefault(key, tb)

    def remove(self, key: Hashable, tb: Any) -> bool:
        if self._table.get(key) is tb:
            del self._table[key]
            return True
        return False

    def reset(self) -> None:
        self._table.clear()

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._table.values()))

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._table), "lookups": self._lookups, "probes": self._probes}


@hookimpl
def tcgkit_tb_hash_policies(register):
    register(ToyDictPolicy)
