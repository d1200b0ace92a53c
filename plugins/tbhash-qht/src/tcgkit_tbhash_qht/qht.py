"""qht: QEMU's hash table for translation blocks, built to scale for read-mostly use.

Owns the qht data structure (maps of head buckets, overflow chains, a seqlock
and a writer lock per head bucket, resizing) and the three qht policies of
the qht study: ``qht-dyn-nomru`` (the default), ``qht-dyn-mru`` and
``qht-fixed-nomru``. It knows nothing of TBs beyond their key; it must not
touch the translation or execution machinery, and keeps no module-level state.

Assumptions
-----------
* An entry is a key and its TB; ``tb`` is never None. A key is stored
  at most once: inserting a present key returns the stored TB.
* Loading or storing one Python reference (an attribute, a list item) is
  atomic, and each thread's loads and stores are seen by the others in
  program order (sequential consistency). CPython with the GIL gives this; on
  free-threaded CPython, single-reference loads and stores of attributes and
  list items are atomic, and this module relies on them being ordered as
  written, where C would use qatomic_read/set and the seqlock's barriers.
* Memory is reclaimed by the garbage collector: a map, bucket or entry a
  reader still references stays valid until that reader drops it. That is the
  grace period QEMU's qht gets from RCU; here it comes free.

Guarantees
----------
* Lookups never lock and never write shared state. They read a bucket inside
  a seqlock read section and retry when a writer was in that bucket; they
  count into their own thread's counters only (``counters.ThreadCounters``).
  The one exception is the policy being measured: ``qht-dyn-mru`` promotes an
  entry found past the head bucket, upgrading that lookup to a writer.
* A lookup never misses an entry present for its whole duration, and never
  returns an entry whose removal, or a reset, completed before it began.
* Writes (insert, remove) to different buckets run concurrently; writes to one
  bucket are serialized by its lock.
* Resizing (automatic growth, ``resize()``) and ``reset()`` run concurrently
  with lookups and are serialized with writers and with each other.
* Iteration yields a snapshot of every entry once, taken with writers excluded.

Statistics: per-thread counters, not approximate shared ones
--------------------------------------------------------------
A lookup must count itself (``lookups``, ``probes``) without writing what
other threads read. Two designs fit: approximate shared counters (an
unlocked ``+=`` on the table, losing some counts to races) or counters kept
per thread. We keep them per thread (``counters.ThreadCounters``, as QEMU
keeps its TB statistics per TCG context): a shared ``+=`` would make every
lookup write one object all readers share (the cache-line ping-pong qht
exists to avoid, and on free-threaded CPython a contended reference count
and lost updates), and the study's figure "probes per lookup" should be
exact. The price is one ``threading.local`` read per lookup and a sum over
threads when ``stats()`` is asked; a thread registers its counters once, on
its first event, under the registry's lock.

Structure
---------
A *map* is a power-of-two array of head buckets and owns everything reachable
from them. A bucket (QEMU's is one 64-byte cache line) holds four slots, each
a 32-bit hash and an entry (key, TB), and a link to an overflow bucket; a
head bucket adds the lock and the seqlock that cover its whole chain. The
slots of a bucket are one flat tuple, ``(h0..h3, key0..key3, tb0..tb3)``,
which a writer replaces whole: a reader that loads it gets one bucket's
slots in one load and touches one object where a list per field would cost
several (the Python analogue of QEMU's one cache line per bucket; chain walks
in random key order got about 40 % faster than with a list of hashes and a
list of (key, TB) pairs per bucket). An empty
slot holds hash 0, key None, TB None. A chain is dense:
its entries fill the slots from the head's first one onwards with no hole
(a removal moves the chain's last entry into the hole), so an empty slot ends
every walk. Head buckets are created on a map's first write to them, so that
a map of 2^24 buckets costs a list of 2^24 references, not 2^24 objects; a
lookup that finds no head finds nothing. Overflow buckets are never unlinked
from their chain while the map lives; their count drives resizing.

The table holds one current map. Growth: when an insert makes the map's
overflow buckets outnumber one eighth of its head buckets, the table doubles
(``qht-dyn-*``; ``qht-fixed-nomru`` never resizes). ``reset()`` replaces the
map with an empty one of the initial size.

Locks and what each protects
----------------------------
* The table lock (``QhtPolicy._lock``): which map is current (``_map`` is
  stored only under it), resizes and resets (one at a time), the ``resizes``
  and ``resets`` counts. A writer that finds its map replaced takes it to wait
  for the resize in progress.
* The map's creation lock (``_Map.create_lock``): the head slots of that map
  and its list of created heads. A resize or reset holds it throughout, so no
  head appears that it has not locked.
* The bucket lock (``_Head.lock``), one per head bucket: every write to the
  chain starting at that head (``slots``, ``next`` links) and its seqlock.
* The added-bucket lock (``_Map.added_lock``): the map's count of overflow
  buckets, the one counter that writers of different buckets share (QEMU
  increments it atomically).
* The seqlock (``_Head.sequence``), one per head bucket: odd while a writer is
  changing the chain; every write to the chain happens between its two
  increments. It protects readers, not data: a lookup reads it before and
  after walking the chain and walks again if it was odd or has changed.

Lock order: table lock, then creation lock, then bucket locks, then the
added-bucket lock. A thread holding a bucket lock never takes a creation lock
or the table lock.

Protocol
--------
lookup(key):
  read the current map m; hash; head = m.heads[hash & mask]; with no head,
  the result is "absent". Otherwise: s = head.sequence, waiting while it is
  odd (a spinning reader yields the interpreter after a few tries, since
  under the GIL the writer it waits for cannot run while it spins); walk the
  chain, comparing the stored 32-bit hash, then the key; if head.sequence is
  not s any more, walk again. Then, if the table's map is no longer m (a
  resize or reset replaced it during the walk), redo the lookup on the new
  map: a resize copies every entry before it publishes the new map, and a
  reset leaves the old map full, so the answer must come from the current
  map. The lookup takes effect at that final check of the map.
insert(key, tb) and remove(key, tb):
  lock the key's head in the current map, then check that the map is still
  current; if not (a resize won the race), unlock, take the table lock (which
  waits for the resize), lock the head in the new map and release the table
  lock. Under the bucket lock: find the key, or the first empty slot; the
  write itself (store a bucket's new slots, link a new overflow bucket) happens
  inside a seqlock write section. An insert that lands past
  the head bucket promotes its entry to the head's first slot (MRU on
  insert): the head's slots shift by one and the head's last entry takes the
  new entry's old place. An insert that added an overflow bucket past the
  threshold triggers growth after releasing its bucket lock, if no resize is
  running already (a try-lock of the table lock).
resize(new size), reset():
  under the table lock, take the creation lock and every bucket lock of the
  current map: writers are now excluded, readers are not. A resize copies
  every entry into a new map that no one else can see yet; a reset makes an
  empty one. Store the new map as current; release the old map's locks. A
  writer that was waiting on an old bucket lock sees the map replaced and
  starts over on the new one; a reader that was in the old map sees it at
  its final check and looks again.
MRU on lookup (qht-dyn-mru only):
  a lookup that found its entry past the head bucket takes that bucket lock,
  checks the map is current and the entry still where it was found, and
  promotes it as an insert does, in a seqlock write section.

Native mirror (``native_table``: the optional capability of the policy contract)
-------------------------------------------------------------------------------
Made on request (a host that looks TBs up from generated code) under the table
lock with every bucket lock held, filled with the compiled TBs stored; from
then on each writer updates it while it holds the bucket lock(s) of its own
write: insert and replace put, remove removes, a resize resizes it to the same
size, a reset resets it. The mirror's own protocol (``tcgkit.native.
tb_mirror``) gives native lookups the guarantees above; its MRU on lookup
(``qht-dyn-mru``) reorders the mirror's chains, not these.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tcgkit.exec.tb_hash import DEFAULT_LOG2_BUCKETS, TBHashPolicy, TBKey

if TYPE_CHECKING:
    from tcgkit.native.tb_mirror import Cas, NativeTBTable

from .counters import Counters, ThreadCounters
from .hashing import tb_hash_xx

BUCKET_ENTRIES: Final = 4  # slots per bucket: a 64-byte cache line of hashes and pointers in QEMU
RESIZE_THRESHOLD_DIV: Final = 8  # grow when overflow buckets > head buckets / 8
MAX_LOG2_BUCKETS: Final = 30  # growth stops here
SPINS_BEFORE_YIELD: Final = 8  # seqlock retries before a reader lets the writer run

_N: Final = BUCKET_ENTRIES
_K: Final = _N  # slots[_K + i]: key of slot i
_T: Final = 2 * _N  # slots[_T + i]: TB of slot i (None: the slot is empty)
_EMPTY: tuple[Any, ...] = (0,) * _N + (None,) * (2 * _N)  # immutable: shared by new buckets
assert _N == 4, "_find tests the four hashes of a bucket unrolled"

Entry = tuple[int, TBKey, Any]  # (hash, key, tb)


class _Bucket:
    """Four (hash, key, TB) slots as one tuple, and the link to the next bucket of the chain."""

    __slots__ = ("next", "slots")

    def __init__(self) -> None:
        self.slots: tuple[Any, ...] = _EMPTY
        self.next: _Bucket | None = None


class _Head(_Bucket):
    """A head bucket: its lock and seqlock cover the whole chain that starts here."""

    __slots__ = ("lock", "sequence")

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.sequence = 0


class _Map:
    """A power-of-two array of head buckets (created on first write) and their chains."""

    __slots__ = (
        "added_lock",
        "create_lock",
        "created",
        "heads",
        "log2",
        "mask",
        "n_added",
        "n_buckets",
        "threshold",
    )

    def __init__(self, log2: int) -> None:
        self.log2 = log2
        self.n_buckets = 1 << log2
        self.mask = self.n_buckets - 1
        self.heads: list[_Head | None] = [None] * self.n_buckets
        self.create_lock = threading.Lock()
        self.created: list[_Head] = []  # heads in creation order; appended under create_lock
        self.added_lock = threading.Lock()
        self.n_added = 0  # overflow buckets; written under added_lock
        # let tiny tables add at least one overflow bucket before growing
        self.threshold = max(1, self.n_buckets // RESIZE_THRESHOLD_DIV)

    def head_for_write(self, index: int) -> _Head:
        """The head bucket at ``index``, created and published if absent."""
        head = self.heads[index]
        if head is None:
            with self.create_lock:
                head = self.heads[index]
                if head is None:
                    head = _Head()
                    self.created.append(head)
                    self.heads[index] = head  # published fully built
        return head

    def needs_resize(self) -> bool:
        return self.n_added > self.threshold

    def lock_all(self) -> None:
        """Exclude every writer of this map (readers go on): creation lock, then each head."""
        self.create_lock.acquire()
        for head in self.created:
            head.lock.acquire()

    def unlock_all(self) -> None:
        for head in reversed(self.created):
            head.lock.release()
        self.create_lock.release()


# -- chain walks and edits -----------------------------------------------------------


def _find(head: _Head, key: TBKey, h: int) -> tuple[Any, int, _Bucket | None, int]:
    """Walk a chain for ``key``: (TB or None, probes, bucket if past the head, slot).

    Safe without the bucket lock: each bucket's slots are read in one load,
    and a hit checks the key itself, so a walk concurrent with a writer can
    miss but never answer a wrong key; the caller's seqlock check catches the
    miss. Probes count the hashes compared: up to the hit, or every occupied
    slot of the chain.
    """
    b: _Bucket = head
    probes = 0
    while True:
        s = b.slots
        for i in range(_N):
            tb = s[_T + i]
            if tb is None:  # dense chain: the end
                return None, probes + i, None, 0
            stored: int = s[i]  # typed: compiled, a machine comparison
            if stored == h and s[_K + i] == key:
                return tb, probes + i + 1, (None if b is head else b), i
        probes += _N
        nxt = b.next
        if nxt is None:
            return None, probes, None, 0
        b = nxt


def _used(s: tuple[Any, ...]) -> int:
    """How many slots of a bucket are occupied (TBs are tested by identity only)."""
    for i in range(_N):
        if s[_T + i] is None:
            return i
    return _N


def _with_slot(s: tuple[Any, ...], i: int, h: int, key: Any, tb: Any) -> tuple[Any, ...]:
    """``s`` with slot ``i`` replaced."""
    out = list(s)
    out[i], out[_K + i], out[_T + i] = h, key, tb
    return tuple(out)


def _entries_of(s: tuple[Any, ...]) -> Iterator[Entry]:
    """The occupied slots of one bucket, in order."""
    for i in range(_N):
        tb = s[_T + i]
        if tb is None:
            return
        yield s[i], s[_K + i], tb


def _rotate_to_front(head: _Head, b: _Bucket, pos: int) -> None:
    """MRU promotion (caller holds the bucket lock, in a seqlock write section).

    The entry at ``b[pos]`` (a bucket past the head, so the head is full)
    takes the head's first slot, the head's entries shift one slot on and the
    head's last entry takes ``b[pos]``: the chain stays dense.
    """
    hs, bs = head.slots, b.slots
    n = _N - 1
    head.slots = (
        *(bs[pos], *hs[0:n]),
        *(bs[_K + pos], *hs[_K : _K + n]),
        *(bs[_T + pos], *hs[_T : _T + n]),
    )
    b.slots = _with_slot(bs, pos, hs[n], hs[_K + n], hs[_T + n])


def _slot_of(head: _Bucket, h: int, key: TBKey, tb: Any) -> tuple[_Bucket, int] | None:
    """Where exactly the entry ``tb`` under ``key`` is in the chain (bucket lock held)."""
    b: _Bucket | None = head
    while b is not None:
        s = b.slots
        for i in range(_N):
            stored = s[_T + i]
            if stored is None:
                return None
            stored_h: int = s[i]
            if stored is tb and stored_h == h and s[_K + i] == key:
                return b, i
        b = b.next
    return None


def _remove_slot(orig: _Bucket, pos: int) -> None:
    """Empty ``orig[pos]``, moving the chain's last entry into it (bucket lock, write section)."""
    last_b, last_i = orig, pos
    b: _Bucket | None = orig
    while b is not None:
        used = _used(b.slots)
        if used:
            last_b, last_i = b, used - 1
        b = b.next if used == _N else None
    if last_b is not orig or last_i != pos:
        ls = last_b.slots
        orig.slots = _with_slot(orig.slots, pos, ls[last_i], ls[_K + last_i], ls[_T + last_i])
    last_b.slots = _with_slot(last_b.slots, last_i, 0, None, None)


def _append_unpublished(m: _Map, h: int, key: TBKey, tb: Any) -> None:
    """Add an entry to a map no other thread can see yet (a resize's copy)."""
    b: _Bucket = m.head_for_write(h & m.mask)
    while True:
        s = b.slots
        if s[_T + _N - 1] is None:
            b.slots = _with_slot(s, _used(s), h, key, tb)
            return
        if b.next is None:
            b.next = _Bucket()
            m.n_added += 1
        b = b.next


def _chain_entries(head: _Head) -> Iterator[Entry]:
    """Every entry of a chain (the caller excludes writers, or checks the seqlock)."""
    b: _Bucket | None = head
    while b is not None:
        yield from _entries_of(b.slots)
        b = b.next


class QhtPolicy(TBHashPolicy):
    """qht: seqlocked buckets of four slots, overflow chains, optional growth and MRU.

    Subclasses fix the mode as class attributes; see the module docstring for
    the protocol.
    """

    auto_resize: ClassVar[bool] = True  # grow past the load threshold
    mru_lookup: ClassVar[bool] = False  # lookups promote entries found past the head
    mru_insert: ClassVar[bool] = True  # inserts past the head move to its first slot

    def __init__(self, log2_buckets: int = DEFAULT_LOG2_BUCKETS) -> None:
        super().__init__(log2_buckets)
        self._lock = threading.Lock()  # the table lock
        self._map = _Map(log2_buckets)
        self._counters = ThreadCounters()
        self._resizes = 0
        self._resets = 0
        self._mirror: NativeTBTable | None = None  # the native mirror, once asked for
        self._code_of: Callable[[Any], tuple[int, int] | None] | None = None
        #: the last key a lookup hashed and its hash, one pair (read and replaced whole,
        #: so that any thread sees a matching pair): a TB's insert (or tier-up's
        #: replace) follows the lookup that missed (or found it), with the same key
        self._hashed: tuple[Any, int] = ((), 0)

    # -- lookups -------------------------------------------------------------

    def lookup(self, key: TBKey) -> Any | None:
        try:
            counters: Counters = self._counters.local.counters
        except AttributeError:
            counters = self._counters.mine()
        m = self._map
        h = tb_hash_xx(key)
        self._hashed = (key, h)
        probes = 0
        while True:
            head = m.heads[h & m.mask]
            far = None
            pos = 0
            if head is None:
                tb = None
            else:
                spins = 0
                while True:
                    seq = head.sequence
                    if seq & 1:
                        spins = _wait_for_writer(spins)
                        continue
                    tb, n, far, pos = _find(head, key, h)
                    probes += n
                    if head.sequence == seq:
                        break
                    counters.lookup_retries += 1
            current = self._map
            if current is m:
                break
            counters.map_retries += 1
            m = current
        counters.lookups += 1
        counters.probes += probes
        if far is not None and head is not None and self.mru_lookup:
            self._promote(m, head, far, pos, tb)
        return tb

    def _promote(self, m: _Map, head: _Head, b: _Bucket, pos: int, tb: Any) -> None:
        """MRU on lookup: the reader upgrades to a writer of its bucket."""
        with head.lock:
            if self._map is not m or b.slots[_T + pos] is not tb:
                return  # moved or removed meanwhile: nothing to promote
            head.sequence += 1
            _rotate_to_front(head, b, pos)
            head.sequence += 1
        self._counters.mine().mru_lookup += 1

    # -- writers -------------------------------------------------------------

    def _lock_head(self, h: int, create: bool) -> _Head | None:
        """Lock the key's head bucket in the current map (None: no head and ``create`` is off)."""
        while True:
            m = self._map
            head = m.head_for_write(h & m.mask) if create else m.heads[h & m.mask]
            if head is None:
                if self._map is m:
                    return None
                continue
            head.lock.acquire()
            if self._map is m:
                return head
            head.lock.release()
            with self._lock:  # a resize or reset replaced the map: wait for it to finish
                m = self._map
                head = m.head_for_write(h & m.mask) if create else m.heads[h & m.mask]
                if head is None:
                    return None
                head.lock.acquire()
                return head

    def insert(self, key: TBKey, tb: Any) -> Any:
        return self._store(key, tb, None)

    def _insert_locked(
        self, m: _Map, head: _Head, h: int, key: TBKey, tb: Any
    ) -> tuple[Any | None, bool]:
        """Insert under the bucket lock: (the TB already stored, whether to grow)."""
        b: _Bucket = head
        while True:
            s = b.slots
            for i in range(_N):
                stored = s[_T + i]
                if stored is None:
                    self._write_slot(head, b, i, h, key, tb, None)
                    return None, False
                stored_h: int = s[i]
                if stored_h == h and s[_K + i] == key:
                    return stored, False
            if b.next is None:
                break
            b = b.next
        new = _Bucket()
        with m.added_lock:
            m.n_added += 1
            grow = m.n_added > m.threshold
        self._write_slot(head, new, 0, h, key, tb, b)
        return None, grow

    def _write_slot(
        self,
        head: _Head,
        b: _Bucket,
        i: int,
        h: int,
        key: TBKey,
        tb: Any,
        link_from: _Bucket | None,
    ) -> None:
        """Store an entry in an empty slot of the chain (and link ``b`` in after ``link_from``)."""
        head.sequence += 1  # write section begins: lookups of this chain will retry
        b.slots = _with_slot(b.slots, i, h, key, tb)
        if link_from is not None:
            link_from.next = b  # b is complete before it becomes reachable
        promote = self.mru_insert and b is not head
        if promote:
            _rotate_to_front(head, b, i)
        head.sequence += 1  # write section ends
        if promote:
            self._counters.mine().mru_insert += 1

    def replace(self, key: TBKey, old: Any, new: Any) -> Any:
        """``new`` where ``old`` is, in place: one hash and one chain walk under the
        bucket lock; a lookup meanwhile retries and finds one of the two."""
        return self._store(key, new, old)

    def _store(self, key: TBKey, tb: Any, old: Any | None) -> Any:
        """``insert`` (``old`` None) and ``replace``: under the key's bucket lock, swap
        ``old`` for ``tb`` where ``old`` is stored, else insert ``tb`` unless an equal
        key is present; the entry stored afterwards."""
        if tb is None:
            raise ValueError("a TB hash table cannot store None")
        hashed = self._hashed
        h = hashed[1] if hashed[0] == key else tb_hash_xx(key)
        head = self._lock_head(h, create=True)
        assert head is not None
        try:
            found = None if old is None else _slot_of(head, h, key, old)
            if found is not None:
                b, i = found
                s = b.slots
                head.sequence += 1
                b.slots = _with_slot(s, i, h, s[_K + i], tb)
                head.sequence += 1
                if self._mirror is not None:
                    self._mirror_put(h, key, tb, old)
                return tb
            m = self._map  # current: we hold one of its bucket locks
            existing, grow = self._insert_locked(m, head, h, key, tb)
            if existing is None and self._mirror is not None:
                self._mirror_put(h, key, tb, None)
        finally:
            head.lock.release()
        if grow and self.auto_resize:
            self._grow_maybe()
        return tb if existing is None else existing

    def remove(self, key: TBKey, tb: Any) -> bool:
        h = tb_hash_xx(key)
        head = self._lock_head(h, create=False)
        if head is None:
            return False
        try:
            found = _slot_of(head, h, key, tb)
            if found is None:
                return False
            b, i = found
            head.sequence += 1
            _remove_slot(b, i)
            head.sequence += 1
            if self._mirror is not None:
                self._mirror_remove(h, key, tb)
            return True
        finally:
            head.lock.release()

    # -- resizing and reset --------------------------------------------------

    def _grow_maybe(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # a resize is running, or about to
        try:
            m = self._map
            if m.needs_resize() and m.log2 < MAX_LOG2_BUCKETS:
                self._resize_locked(m.log2 + 1)
        finally:
            self._lock.release()

    def resize(self, log2_buckets: int) -> bool:
        """Resize to 2**log2_buckets head buckets now (qht_resize); False if already that size."""
        if not 0 <= log2_buckets <= MAX_LOG2_BUCKETS:
            raise ValueError(f"log2_buckets must be within 0..{MAX_LOG2_BUCKETS}")
        with self._lock:
            if self._map.log2 == log2_buckets:
                return False
            self._resize_locked(log2_buckets)
            return True

    def _resize_locked(self, log2: int) -> None:
        """Copy every entry into a new map and publish it (table lock held)."""
        old = self._map
        new = _Map(log2)
        old.lock_all()
        try:
            for head in old.created:
                for h, key, tb in _chain_entries(head):
                    _append_unpublished(new, h, key, tb)
            self._map = new
            self._resizes += 1
            if self._mirror is not None:
                self._mirror.resize(log2)
        finally:
            old.unlock_all()

    def reset(self) -> None:
        with self._lock:
            old = self._map
            old.lock_all()
            try:
                self._map = _Map(self.initial_log2_buckets)
                self._resets += 1
                if self._mirror is not None:
                    self._mirror.reset(self.initial_log2_buckets)
            finally:
                old.unlock_all()

    # -- the native mirror ----------------------------------------------------

    def native_table(self, code_of: Callable[[Any], tuple[int, int] | None], page_bits: int,
                     cas: Cas | None) -> NativeTBTable | None:  # fmt: skip
        """The native mirror (see the module docstring), made and filled on first use."""
        from tcgkit.native.tb_mirror import NativeTBTable

        with self._lock:
            if self._mirror is not None:
                return self._mirror
            m = self._map
            m.lock_all()
            try:
                mirror = NativeTBTable(m.log2, page_bits, cas, mru=self.mru_lookup)
                self._code_of = code_of
                for head in m.created:
                    for h, key, tb in _chain_entries(head):
                        got = code_of(tb)
                        if got is not None:
                            mirror.put(h, key, got[0], got[1])
                self._mirror = mirror
            finally:
                m.unlock_all()
        return mirror

    def _mirror_put(self, h: int, key: TBKey, tb: Any, old: Any | None) -> None:
        """``tb`` stored under ``key`` (in ``old``'s place): the same in the mirror."""
        assert self._mirror is not None and self._code_of is not None
        got = self._code_of(tb)
        if got is not None:
            self._mirror.put(h, key, got[0], got[1])
        elif old is not None:
            self._mirror_remove(h, key, old)

    def _mirror_remove(self, h: int, key: TBKey, tb: Any) -> None:
        assert self._mirror is not None and self._code_of is not None
        got = self._code_of(tb)
        if got is not None:
            self._mirror.remove(h, key, got[0])

    # -- iteration and statistics --------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            m = self._map
            m.lock_all()
            try:
                snapshot = [tb for head in m.created for _h, _k, tb in _chain_entries(head)]
            finally:
                m.unlock_all()
        return iter(snapshot)

    def __len__(self) -> int:
        return sum(_chains(self._map))

    def stats(self) -> dict[str, float]:
        m = self._map
        chains = list(_chains(m))
        overflow = m.n_added
        nonempty = [n for n in chains if n]
        counts = self._counters.totals()
        return {
            "buckets": m.n_buckets + overflow,
            "entries": sum(nonempty),
            "mean_chain": sum(nonempty) / len(nonempty) if nonempty else 0.0,
            "max_chain": max(nonempty, default=0),
            "resizes": self._resizes,
            "lookups": counts["lookups"],
            "probes": counts["probes"],
            "mru_promotions": counts["mru_lookup"] + counts["mru_insert"],
            # beyond STAT_KEYS
            "log2_buckets": m.log2,
            "head_buckets": m.n_buckets,
            "overflow_buckets": overflow,
            "used_head_buckets": len(nonempty),
            "resets": self._resets,
            "mru_lookup": counts["mru_lookup"],
            "mru_insert": counts["mru_insert"],
            "lookup_retries": counts["lookup_retries"],
            "map_retries": counts["map_retries"],
        }


def _wait_for_writer(spins: int) -> int:
    """A reader found a writer in its bucket: spin a little, then let other threads run."""
    spins += 1
    if spins >= SPINS_BEFORE_YIELD:
        time.sleep(0)  # releases the GIL, so the writer can finish
    return spins


def _chains(m: _Map) -> Iterator[int]:
    """The entry count of each created chain, each read in a seqlock read section."""
    for head in list(m.created):  # appended to under the creation lock; copied at once
        spins = 0
        while True:
            seq = head.sequence
            if seq & 1:
                spins = _wait_for_writer(spins)
                continue
            entries = 0
            b: _Bucket | None = head
            while b is not None:
                used = _used(b.slots)
                entries += used
                b = b.next if used == _N else None  # dense: a gap ends the chain
            if head.sequence == seq:
                break
        yield entries


# the modes (their docs are set after the classes: mypyc drops a compiled class's
# docstring, and `tcgkit plugins` shows it)


class QhtDynNoMru(QhtPolicy):
    name = "qht-dyn-nomru"
    auto_resize = True
    mru_lookup = False


class QhtDynMru(QhtPolicy):
    name = "qht-dyn-mru"
    auto_resize = True
    mru_lookup = True


class QhtFixedNoMru(QhtPolicy):
    name = "qht-fixed-nomru"
    auto_resize = False
    mru_lookup = False


POLICIES: tuple[type[QhtPolicy], ...] = (QhtDynNoMru, QhtDynMru, QhtFixedNoMru)
for _mode, _doc in (
    (QhtDynNoMru, "qht with auto-resize, MRU on insert only: the default TB hash table."),
    (QhtDynMru, "qht with auto-resize, MRU on insert and on lookup."),
    (QhtFixedNoMru, "qht with a fixed number of buckets, MRU on insert only."),
):
    setattr(_mode, "__doc__", _doc)  # noqa: B010 (mypy rejects assigning __doc__)
