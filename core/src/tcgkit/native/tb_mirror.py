"""The native mirror of a TB hash table: qht's structure in memory generated code reads.

Owns ``NativeTBTable`` (the mirror and its writers, driven by a policy that
offers one: ``TBHashPolicy.native_table``) and the layout of its memory, which
a host's native lookup routine walks (x86-64: ``tcgkit_host_x86.tb_lookup``).
It knows TBs only as a key, a code address and a guest size; it must not touch
the translation or execution machinery, and keeps no module-level state.

Layout
------
The table header is one 64-byte block whose word 0 is the address of the
current *map*. A map is one anonymous mapping: a 64-byte header (``MAP_MASK``:
head buckets - 1, ``MAP_LOG2``) then the head buckets, ``BUCKET_SIZE`` bytes
each. A bucket is three words (``B_SEQ``: the seqlock of the chain that starts
at this head; ``B_LOCK``: its spinlock, 0 free, 1 held; ``B_NEXT``: the next
bucket of the chain or 0) and ``BUCKET_SLOTS`` slots of six words: the 32-bit
hash, pc, cs_base, flags | cflags << 32 (the TB key's words; its physical page
is pc >> page_bits), the code address (0: the slot is empty) and the guest
size. Overflow buckets come from chunks owned by their map. As in qht a chain
is dense: its entries fill the slots from the head's first one on, so an empty
slot ends every walk. The hash is the one of the qht policies
(``tcgkit_tbhash_qht.hashing``: xxh32, seed 1, of the key packed ``<QQQII``),
which a host's routine computes the same way.

Only what a vCPU may jump to straight from generated code is mirrored: the
policy's compiled TBs (``code_of`` gives None for tier-0 ones) whose flags
and cflags fit 32 bits.

Assumptions
-----------
* The Python writers (``put``, ``remove``, ``resize``, ``reset``) are called by
  the policy while it holds the key's bucket lock, or every bucket lock (resize,
  reset): per key, the mirror sees the policy's writes in the policy's order.
  They also serialize among themselves on the mirror's writer lock.
* Generated code may promote an entry (MRU on lookup) under the bucket's
  spinlock; Python writers take that spinlock too, with the host's
  compare-and-swap (``cas``: ``lock cmpxchg`` on x86-64, a full barrier). With
  ``cas`` None no native code may write the mirror (tests, hosts without
  native lookups), and writers take no spinlock.
* Stores become visible in program order (x86-64's TSO); a reader that fills a
  jump cache from a hit orders that store before its final checks with a full
  barrier, and a writer's spinlock release is one too.
* Memory is reclaimed only when no reader can be inside it: a map replaced by
  ``resize`` or ``reset`` is kept (``retired``) until ``reclaim``, which the
  engine calls when no vCPU is in generated code (tb_flush, close).

Guarantees
----------
* Lookups never lock and never write shared state (qht-dyn-mru's promotion
  aside, which makes that lookup a writer under the bucket's spinlock).
* A lookup never misses an entry present for its whole duration, and never
  returns an entry whose removal, or a reset, completed before it began.
* A jump-cache entry a lookup filled from a hit is either seen by the writer
  that removes that entry afterwards (which drops it, ``NativeHost.
  tb_invalidated``) or found stale by the lookup itself, which clears it.
* A TB's code is freed (tb_flush) only after it left the mirror and while no
  vCPU runs generated code: no vCPU can jump to code being freed.

Protocol
--------
lookup (generated code, or ``lookup`` here for tests):
  m = header[0]; head = m's bucket at hash & mask; s = head.seq, waiting while
  it is odd; walk the chain comparing the hash, then the key words; if head.seq
  is not s any more, walk again; if header[0] is not m any more, start over on
  the new map. A hit is used only after those two checks (and, when it fills
  the jump cache, after the fill, behind a full barrier).
writers (put, remove):
  under the writer lock: take the head's spinlock, seq += 1 (odd), change the
  chain (a new overflow bucket is complete before it is linked), seq += 1,
  release the spinlock. An entry put past the head is promoted to the head's
  first slot (MRU on insert, as qht).
MRU on lookup (generated code):
  after a validated hit past the head: take the spinlock, and only if seq is
  still s: seq += 1, rotate the entry to the head's first slot (the head's
  entries shift by one, its last one takes the entry's old place), seq += 1;
  release.
resize, reset:
  under the writer lock build the new map (a resize copies each chain under its
  spinlock) where no reader can see it, publish it in header[0], retire the old.
"""

from __future__ import annotations

import ctypes
import mmap
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from ..tcg.region import _libc, _map

#: cas(address, expected, new) -> the value read: a 64-bit compare-and-swap
Cas = Callable[[int, int, int], int]

HASH_NAME: Final = "xxh32-qht"  # the hash a host's routine must compute (see the docstring)

# -- the layout (bytes) ---------------------------------------------------------------
HEADER_SIZE: Final = 64
MAP_MASK: Final = 0
MAP_LOG2: Final = 8
MAP_HEADS: Final = 64
B_SEQ: Final = 0
B_LOCK: Final = 8
B_NEXT: Final = 16
B_SLOTS: Final = 24
BUCKET_SLOTS: Final = 4
S_HASH: Final = 0
S_PC: Final = 8
S_CS_BASE: Final = 16
S_FLAGS: Final = 24
S_CODE: Final = 32
S_SIZE: Final = 40
SLOT_SIZE: Final = 48
BUCKET_SIZE: Final = B_SLOTS + BUCKET_SLOTS * SLOT_SIZE
CHUNK_BUCKETS: Final = 256  # overflow buckets per chunk

_SW: Final = SLOT_SIZE // 8  # words per slot
_M32: Final = 0xFFFFFFFF
_PROT_RW: Final = mmap.PROT_READ | mmap.PROT_WRITE
SPINS_BEFORE_YIELD: Final = 16

Slot = tuple[int, int, int, int, int, int]  # hash, pc, cs_base, flags word, code, size


def _round_page(n: int) -> int:
    return (n + mmap.PAGESIZE - 1) & ~(mmap.PAGESIZE - 1)


class _Memory:
    """One anonymous mapping, read and written as 64-bit words."""

    __slots__ = ("addr", "size", "words")

    def __init__(self, size: int) -> None:
        self.size = _round_page(size)
        self.addr = _map(self.size, _PROT_RW)  # zero-filled, and only touched pages cost
        # a memoryview of 64-bit words: its items are read and written in C, where a
        # ctypes array's go through ctypes' converters (several per entry written)
        raw = (ctypes.c_uint64 * (self.size // 8)).from_address(self.addr)
        self.words: Any = memoryview(raw).cast("B").cast("Q")

    def free(self) -> None:
        if self.addr:
            self.words.release()
            self.words = None
            _libc.munmap(self.addr, self.size)
            self.addr = 0


class _Map:
    """Head buckets and the overflow chunks of one size of the table."""

    __slots__ = ("chunks", "heads", "left", "log2", "mask", "n_added", "used")

    def __init__(self, log2: int) -> None:
        self.log2 = log2
        self.mask = (1 << log2) - 1
        self.heads = _Memory(MAP_HEADS + (1 << log2) * BUCKET_SIZE)
        self.heads.words[MAP_MASK // 8] = self.mask
        self.heads.words[MAP_LOG2 // 8] = log2
        self.chunks: list[_Memory] = []
        self.left = 0  # free buckets at the end of the last chunk
        self.n_added = 0
        self.used: set[int] = set()  # head indices that ever held an entry

    @property
    def addr(self) -> int:
        return self.heads.addr

    def head(self, index: int) -> int:
        return self.heads.addr + MAP_HEADS + index * BUCKET_SIZE

    def loc(self, bucket: int) -> tuple[Any, int]:
        """(words, index of the bucket's first word) of the bucket at address ``bucket``."""
        off = bucket - self.heads.addr
        if 0 <= off < self.heads.size:
            return self.heads.words, off >> 3
        for chunk in self.chunks:
            off = bucket - chunk.addr
            if 0 <= off < chunk.size:
                return chunk.words, off >> 3
        raise ValueError(f"{bucket:#x} is no bucket of this map")

    def new_bucket(self) -> int:
        """A zeroed overflow bucket (writer lock held)."""
        if not self.left:
            self.chunks.append(_Memory(CHUNK_BUCKETS * BUCKET_SIZE))
            self.left = CHUNK_BUCKETS
        chunk = self.chunks[-1]
        self.left -= 1
        self.n_added += 1
        return chunk.addr + (CHUNK_BUCKETS - 1 - self.left) * BUCKET_SIZE

    def free(self) -> None:
        self.heads.free()
        for chunk in self.chunks:
            chunk.free()
        self.chunks.clear()


def _read_slot(w: Any, at: int) -> Slot:
    return (w[at], w[at + 1], w[at + 2], w[at + 3], w[at + 4], w[at + 5])


def _write_slot(w: Any, at: int, slot: Slot) -> None:
    """A slot's words, the code word last (a reader stops at an empty one)."""
    w[at], w[at + 1], w[at + 2], w[at + 3], w[at + 5] = (slot[0], slot[1], slot[2], slot[3],
                                                          slot[5])  # fmt: skip
    w[at + 4] = slot[4]


_EMPTY: Final[Slot] = (0, 0, 0, 0, 0, 0)


class NativeTBTable:
    """The mirror (see the module docstring). ``page_bits``: the key's physical page
    is pc >> page_bits; ``cas``: the host's 64-bit compare-and-swap, or None when no
    native code will ever write the mirror; ``mru``: native lookups promote what they
    find past the head bucket (the policy's MRU on lookup)."""

    hash_name: Final = HASH_NAME

    def __init__(self, log2: int, page_bits: int, cas: Cas | None = None,
                 mru: bool = False) -> None:  # fmt: skip
        self.page_bits = page_bits
        self.mru = mru
        self._cas = cas
        self._header = (ctypes.c_uint64 * (HEADER_SIZE // 8))()
        self.header_addr = ctypes.addressof(self._header)
        self._lock = threading.Lock()  # the writer lock: every Python write, one at a time
        self._map: _Map | None = _Map(log2)
        self._header[0] = self._map.addr
        self.retired: list[_Map] = []  # replaced maps readers may still walk
        self.resizes = 0
        self.resets = 0
        self.entries = 0

    # -- spinlock and seqlock (writer side) --------------------------------------------

    def _lock_bucket(self, head: int) -> None:
        cas = self._cas
        if cas is None:
            return
        spins = 0
        while cas(head + B_LOCK, 0, 1) != 0:
            spins += 1
            if spins >= SPINS_BEFORE_YIELD:
                time.sleep(0)

    def _unlock_bucket(self, head: int) -> None:
        if self._cas is not None:
            self._cas(head + B_LOCK, 1, 0)  # a locked instruction: a full barrier

    # -- writers ----------------------------------------------------------------------

    def key_words(self, key: tuple[int, ...]) -> tuple[int, int, int] | None:
        """(pc, cs_base, flags | cflags << 32) of a TBKey, or None when it cannot be
        mirrored (flags or cflags wider than 32 bits, a physical page other than
        pc >> page_bits)."""
        pc, cs_base, flags, cflags, phys_page = key[0], key[1], key[2], key[3], key[4]
        if flags >> 32 or cflags >> 32 or flags < 0 or cflags < 0 or pc < 0 or cs_base < 0:
            return None
        if phys_page != pc >> self.page_bits:
            return None
        return pc, cs_base, flags | cflags << 32

    def put(self, h: int, key: tuple[int, ...], code: int, size: int) -> bool:
        """Store ``key`` -> (code, size), over the entry of an equal key if there is one;
        False when the key cannot be mirrored."""
        words = self.key_words(key)
        if words is None or not code:
            return False
        slot: Slot = (h & _M32, words[0], words[1], words[2], code, size & _M32)
        with self._lock:
            m = self._map
            if m is None:
                return False
            index = h & m.mask
            head = m.head(index)
            m.used.add(index)
            self._lock_bucket(head)
            hw, hi = m.loc(head)
            hw[hi + B_SEQ // 8] += 1
            try:
                self._put_locked(m, head, slot)
            finally:
                hw[hi + B_SEQ // 8] += 1
                self._unlock_bucket(head)
        return True

    def _put_locked(self, m: _Map, head: int, slot: Slot) -> None:
        b, prev = head, 0
        while b:
            w, at = m.loc(b)
            for i in range(BUCKET_SLOTS):
                s = at + (B_SLOTS // 8) + i * _SW
                if not w[s + 4]:
                    _write_slot(w, s, slot)
                    self.entries += 1
                    if b != head:
                        self._rotate(m, head, b, i)
                    return
                if w[s] == slot[0] and w[s + 1] == slot[1] and w[s + 2] == slot[2] \
                        and w[s + 3] == slot[3]:  # fmt: skip
                    _write_slot(w, s, slot)
                    return
            prev, b = b, w[at + B_NEXT // 8]
        new = m.new_bucket()
        w, at = m.loc(new)
        _write_slot(w, at + B_SLOTS // 8, slot)
        pw, pat = m.loc(prev)
        pw[pat + B_NEXT // 8] = new  # complete before it is reachable
        self.entries += 1
        self._rotate(m, head, new, 0)

    def _rotate(self, m: _Map, head: int, b: int, i: int) -> None:
        """MRU: slot ``i`` of ``b`` (past the head, so the head is full) to the head's
        first slot; the head's slots shift on, its last takes the entry's place."""
        hw, hat = m.loc(head)
        bw, bat = m.loc(b)
        first = hat + B_SLOTS // 8
        at = bat + B_SLOTS // 8 + i * _SW
        entry = _read_slot(bw, at)
        last = first + (BUCKET_SLOTS - 1) * _SW
        _write_slot(bw, at, _read_slot(hw, last))
        for k in range(BUCKET_SLOTS - 1, 0, -1):
            _write_slot(hw, first + k * _SW, _read_slot(hw, first + (k - 1) * _SW))
        _write_slot(hw, first, entry)

    def remove(self, h: int, key: tuple[int, ...], code: int) -> bool:
        """Remove the entry of ``key`` if it enters ``code``; False if there is none."""
        words = self.key_words(key)
        if words is None or not code:
            return False
        with self._lock:
            m = self._map
            if m is None or (h & m.mask) not in m.used:
                return False
            head = m.head(h & m.mask)
            self._lock_bucket(head)
            hw, hi = m.loc(head)
            hw[hi + B_SEQ // 8] += 1
            try:
                found = self._remove_locked(m, head, (h & _M32, *words, code))
            finally:
                hw[hi + B_SEQ // 8] += 1
                self._unlock_bucket(head)
        return found

    def _remove_locked(self, m: _Map, head: int, want: tuple[int, int, int, int, int]) -> bool:
        hole: tuple[Any, int] | None = None
        last: tuple[Any, int] | None = None
        for w, s in _positions(m, head):
            last = (w, s)
            if hole is None and (w[s], w[s + 1], w[s + 2], w[s + 3], w[s + 4]) == want:
                hole = (w, s)
        if hole is None or last is None:
            return False
        if hole != last:
            _write_slot(hole[0], hole[1], _read_slot(last[0], last[1]))
        _write_slot(last[0], last[1], _EMPTY)  # the chain's last entry, now in the hole
        self.entries -= 1
        return True

    def resize(self, log2: int) -> None:
        """Copy every entry into a map of 2**log2 head buckets and publish it."""
        with self._lock:
            old = self._map
            if old is None:
                return
            new = _Map(log2)
            for index in sorted(old.used):
                head = old.head(index)
                self._lock_bucket(head)  # a promotion may be rotating this chain
                try:
                    for slot in list(_chain(old, head)):
                        index2 = slot[0] & new.mask
                        new.used.add(index2)
                        self._put_locked(new, new.head(index2), slot)
                finally:
                    self._unlock_bucket(head)
            self.entries = sum(1 for _ in self._iter_map(new))
            self._publish(new)
            self.resizes += 1

    def reset(self, log2: int) -> None:
        """Drop every entry: an empty map of 2**log2 head buckets."""
        with self._lock:
            if self._map is None:
                return
            self._publish(_Map(log2))
            self.entries = 0
            self.resets += 1

    def _publish(self, new: _Map) -> None:
        old = self._map
        self._map = new
        self._header[0] = new.addr
        if old is not None:
            self.retired.append(old)

    def reclaim(self) -> None:
        """Free the replaced maps: only while no reader can be walking them (no vCPU in
        generated code, no other thread in ``lookup``)."""
        with self._lock:
            retired, self.retired = self.retired, []
        for m in retired:
            m.free()

    def release(self) -> None:
        """Free everything; later writes do nothing (idempotent)."""
        with self._lock:
            m, self._map = self._map, None
            self._header[0] = 0
        self.reclaim()
        if m is not None:
            m.free()

    # -- readers ----------------------------------------------------------------------

    def lookup(self, h: int, key: tuple[int, ...]) -> tuple[int, int] | None:
        """(code, size) stored under ``key``, by the readers' protocol (what a host's
        routine does, for tests and for hosts that look up from Python)."""
        words = self.key_words(key)
        if words is None:
            return None
        h &= _M32
        while True:
            m = self._map
            if m is None:
                return None
            head = m.head(h & m.mask)
            hw, hi = m.loc(head)
            while True:
                seq = hw[hi + B_SEQ // 8]
                if seq & 1:
                    time.sleep(0)
                    continue
                found = None
                for slot in _chain(m, head):
                    if slot[0] == h and slot[1:4] == words:
                        found = (slot[4], slot[5])
                        break
                if hw[hi + B_SEQ // 8] == seq:
                    break
            if self._map is m:
                return found

    def __iter__(self) -> Iterator[Slot]:
        """A snapshot of every entry (writers excluded)."""
        with self._lock:
            m = self._map
            return iter([] if m is None else list(self._iter_map(m)))

    def _iter_map(self, m: _Map) -> Iterator[Slot]:
        for index in sorted(m.used):
            yield from _chain(m, m.head(index))

    def stats(self) -> dict[str, int]:
        m = self._map
        return {
            "entries": self.entries,
            "log2_buckets": 0 if m is None else m.log2,
            "overflow_buckets": 0 if m is None else m.n_added,
            "resizes": self.resizes,
            "resets": self.resets,
            "retired_maps": len(self.retired),
        }


def _positions(m: _Map, head: int) -> Iterator[tuple[Any, int]]:
    """Where the entries of the chain at ``head`` are, in order: (words, slot index);
    dense, so the first empty slot ends it."""
    b = head
    while b:
        w, at = m.loc(b)
        for i in range(BUCKET_SLOTS):
            s = at + B_SLOTS // 8 + i * _SW
            if not w[s + 4]:
                return
            yield w, s
        b = w[at + B_NEXT // 8]


def _chain(m: _Map, head: int) -> Iterator[Slot]:
    """The entries of the chain at ``head``, in order."""
    for w, s in _positions(m, head):
        yield _read_slot(w, s)
