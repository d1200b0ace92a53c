"""The TB hash-table policy contract, and the core's fallback policy.

Owns the interface every TB hash-table policy implements (the policies of
QEMU's qht study ship as plugins: tcgkit-tbhash-qht, tcgkit-tbhash-legacy),
the key a TB is found by, the statistics every policy reports, and
``core-dict``: a plain dict used only when no policy plugin is installed.

Key: ``TBKey(pc, cs_base, flags, cflags, phys_page)``, a tuple of ints. A
policy hashes the key with its own hash function (the hash belongs to the
policy); equal keys name the same TB.

Contract:

* ``lookup(key)`` returns the TB stored under ``key`` or None. Lookups may
  run concurrently with each other and with ``insert`` / ``remove`` / a
  resize, from any thread; a lookup never misses an entry present for its
  whole duration, and never returns an entry whose removal had completed
  before it began.
* ``insert(key, tb)`` stores ``tb`` unless an entry with an equal key is
  present, and returns the entry that is stored afterwards (``tb`` or the
  existing one), as qht_insert does: two threads translating the same block
  agree on one TB.
* ``remove(key, tb)`` removes exactly that entry; False if it was absent.
* ``replace(key, old, new)`` puts ``new`` where ``old`` is stored under
  ``key`` (a tier-0 TB made hot: the compiled TB has the same key) and
  returns ``new``; if ``old`` is no longer there it inserts ``new`` as
  ``insert`` does and returns what ``insert`` returns. The base class removes
  and inserts (a lookup in between may miss and translate the block again,
  which the TB cache takes as two vCPUs translating one block); a policy may
  swap the entry in place, so that a lookup sees ``old`` or ``new`` (qht: one
  hash, one chain walk, under the bucket lock).
* ``reset()`` drops every entry and returns to the initial size (tb_flush).
* Iterating yields every entry once (a snapshot; safe during updates).
* ``stats()`` returns at least the keys of ``STAT_KEYS``.

Optional capability, native lookups: ``native_table(code_of, page_bits, cas)``
returns a ``tcgkit.native.tb_mirror.NativeTBTable`` that the policy fills with
its current entries and keeps in step with every later write (insert, remove,
replace, reset, resize), made while it holds the key's bucket lock (every
bucket lock for reset and resize), so that the mirror sees each key's writes in
the policy's order. ``code_of(tb)`` gives (host code address, guest size) of a
TB generated code may enter, None for the others (tier 0): only those are
mirrored. A host that emits a native lookup (x86-64) probes the mirror from
generated code without the GIL, with the invariants of ``lookup`` above, and
leaves for Python only on a miss. The mirror hashes as the qht policies do
(``NativeTBTable.hash_name``). A policy without the capability returns None
(the default): its lookups stay in Python, as on every other host. The policy
keeps one mirror at most; ``native_table`` again returns it.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from ..native.tb_mirror import Cas, NativeTBTable

DEFAULT_LOG2_BUCKETS = 15
#: the largest initial table a policy accepts (2^30 buckets)
MAX_LOG2_BUCKETS = 30

STAT_KEYS = (
    "buckets",  # buckets now (including overflow buckets where the design has them)
    "entries",  # TBs stored
    "mean_chain",  # mean entries compared per bucket chain walked, over non-empty chains
    "max_chain",  # longest chain (entries) of any head bucket
    "resizes",  # resizes since creation
    "lookups",  # lookups done
    "probes",  # entries compared during lookups
    "mru_promotions",  # entries moved to the front of their chain
)


class TBKey(NamedTuple):
    """What identifies a translation block."""

    pc: int
    cs_base: int
    flags: int
    cflags: int
    phys_page: int


#: ``make_key(TBKey, (pc, cs_base, flags, cflags, phys_page))``: a TBKey without the
#: namedtuple's ``__new__``, a Python function (the compiled loop makes one per lookup)
make_key: Any = tuple.__new__


class TBHashPolicy(ABC):
    """A TB hash table: see the module docstring for the contract."""

    name: ClassVar[str]

    def __init__(self, log2_buckets: int = DEFAULT_LOG2_BUCKETS) -> None:
        if not 0 <= log2_buckets <= MAX_LOG2_BUCKETS:
            raise ValueError(
                f"log2_buckets must be within 0..{MAX_LOG2_BUCKETS}, not {log2_buckets}"
            )
        self.initial_log2_buckets = log2_buckets

    @abstractmethod
    def lookup(self, key: TBKey) -> Any | None: ...

    @abstractmethod
    def insert(self, key: TBKey, tb: Any) -> Any: ...

    @abstractmethod
    def remove(self, key: TBKey, tb: Any) -> bool: ...

    def replace(self, key: TBKey, old: Any, new: Any) -> Any:
        """``new`` in ``old``'s place (see the module docstring)."""
        self.remove(key, old)
        return self.insert(key, new)

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def __iter__(self) -> Iterator[Any]: ...

    @abstractmethod
    def stats(self) -> dict[str, float]: ...

    def __len__(self) -> int:
        return int(self.stats()["entries"])

    def native_table(self, code_of: Callable[[Any], tuple[int, int] | None], page_bits: int,
                     cas: Cas | None) -> NativeTBTable | None:  # fmt: skip
        """The policy's native mirror, made and filled on the first call (see the module
        docstring); None: this policy has none, its lookups stay in Python."""
        return None


class CoreDictPolicy(TBHashPolicy):
    """Fallback used when no TB hash-table policy plugin is installed: one dict.

    Python's dict is itself an open-addressing hash table; it has no buckets
    of its own to report, so ``buckets`` is the entry count rounded up to a
    power of two and chains are never longer than one.
    """

    name = "core-dict"

    def __init__(self, log2_buckets: int = DEFAULT_LOG2_BUCKETS) -> None:
        super().__init__(log2_buckets)
        self._table: dict[TBKey, Any] = {}
        self._lock = threading.Lock()  # serializes writers; lookups take no lock
        self._lookups = 0

    def lookup(self, key: TBKey) -> Any | None:
        self._lookups += 1
        return self._table.get(key)

    def insert(self, key: TBKey, tb: Any) -> Any:
        with self._lock:
            return self._table.setdefault(key, tb)

    def remove(self, key: TBKey, tb: Any) -> bool:
        with self._lock:
            if self._table.get(key) is tb:
                del self._table[key]
                return True
            return False

    def reset(self) -> None:
        with self._lock:
            self._table = {}

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._table.values()))

    def stats(self) -> dict[str, float]:
        n = len(self._table)
        return {
            "buckets": 1 << max(self.initial_log2_buckets, n.bit_length()),
            "entries": n,
            "mean_chain": 1.0 if n else 0.0,
            "max_chain": 1 if n else 0,
            "resizes": 0,
            "lookups": self._lookups,
            "probes": self._lookups,
            "mru_promotions": 0,
        }
