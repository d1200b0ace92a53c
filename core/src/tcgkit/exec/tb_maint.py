"""The TB cache and its maintenance: lookup, insertion, the pages holding
code, chaining, invalidation and tb_flush.

Owns ``TBCache``. Lookups go: the vCPU's jump cache (direct-mapped by pc)
-> the TB hash table (a ``TBHashPolicy``: a plugin, or the core's
``core-dict``) -> translation (by the caller).

Invariants:
* a TB is valid iff it is in the hash table (or is a one-off CF_NOCACHE TB
  being executed); every valid cached TB is listed under each guest page its
  code touches (``page_tbs``), and those pages are ``code_pages``;
* a TB's outgoing links point only at valid TBs: invalidating a TB unlinks
  every jump into it and every jump out of it, and drops it from every jump
  cache;
* no link points at a TB whose pc is the ``until`` address of a running vCPU
  (so chained code always returns to the loop there);
* changes (insert, link, invalidate, flush) are made under the engine's
  ``tb_lock``; lookups take no lock (the policy's lookups only read);
* ``flush()`` runs only while no vCPU executes generated code; it drops every
  TB, resets the hash table to its initial size, the code buffer's regions
  and the jump caches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .jmp_cache import jmp_cache_index
from .tb import CF_NOCACHE, TB
from .tb_hash import TBHashPolicy, TBKey, make_key

if TYPE_CHECKING:
    from .engine import Engine


class TBCache:
    def __init__(self, engine: Engine, policy: TBHashPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self.page_tbs: dict[int, set[TB]] = {}
        #: the ``until`` addresses HOOK_EDGE_GENERATED has reported a block at since
        #: the last flush (``loop._edge_to_until``)
        self.stop_blocks: set[int] = set()
        self.no_link: dict[int, int] = {}  # `until` of running vCPUs -> how many
        #: the qht study's mode: no jump cache and no chaining, so that every TB
        #: the guest enters is looked up in the hash table
        self.hash_only = False
        # counters as fields, not a dict of names: the compiled class adds to a field
        # natively, and the loop counts every lookup (``counts`` gives them by name)
        self.n_tbs_translated = 0
        self.n_insns_translated = 0
        self.n_jmp_cache_hits = 0
        self.n_hash_hits = 0
        self.n_misses = 0
        self.n_chained = 0
        self.n_invalidated = 0
        self.n_flushes = 0
        self.n_tier0_tbs = 0
        self.n_tier0_insns = 0
        self.n_tier_ups = 0

    @property
    def counts(self) -> dict[str, int]:
        """The counters by name (a new dict)."""
        return {
            "tbs_translated": self.n_tbs_translated,
            "jmp_cache_hits": self.n_jmp_cache_hits,
            "insns_translated": self.n_insns_translated,
            "hash_hits": self.n_hash_hits,
            "misses": self.n_misses,
            "chained": self.n_chained,
            "invalidated": self.n_invalidated,
            "flushes": self.n_flushes,
            "tier0_tbs": self.n_tier0_tbs,
            "tier0_insns": self.n_tier0_insns,
            "tier_ups": self.n_tier_ups,
        }

    # -- lookup ----------------------------------------------------------------

    def lookup(self, cpu_jmp_cache: list[TB | None], pc: int, cs_base: int, flags: int,
               cflags: int) -> TB | None:  # fmt: skip
        """The cached TB for these key fields: the vCPU's jump cache, then the hash table
        (whose key is made only then: most lookups hit the jump cache)."""
        i = jmp_cache_index(pc)
        if not self.hash_only:
            tb = cpu_jmp_cache[i]
            if (
                tb is not None
                and tb.pc == pc
                and tb.flags == flags
                and tb.cs_base == cs_base
                and tb.cflags == cflags
            ):
                self.n_jmp_cache_hits += 1
                return tb
        key: TBKey = make_key(TBKey, (pc, cs_base, flags, cflags,
                                      pc >> self.engine.target.page_bits))  # fmt: skip
        tb = self.policy.lookup(key)
        if tb is None:
            self.n_misses += 1
            return None
        self.n_hash_hits += 1
        if not self.hash_only:
            cpu_jmp_cache[i] = tb
        return tb

    def _count(self, tb: TB) -> None:
        self.n_tbs_translated += 1
        self.n_insns_translated += tb.icount
        if tb.program is not None:
            self.n_tier0_tbs += 1
            self.n_tier0_insns += tb.icount

    def insert(self, tb: TB) -> TB:
        """Enter a freshly translated TB; returns the TB that is cached afterwards."""
        self._count(tb)
        if tb.cflags & CF_NOCACHE:
            return tb
        existing = self.policy.insert(tb.key, tb)
        if existing is not tb:
            tb.valid = False
            return existing
        new_pages = []
        for page in range(tb.first_page, tb.last_page + 1):
            tbs = self.page_tbs.get(page)
            if tbs is None:
                tbs = self.page_tbs[page] = set()
                new_pages.append(page)
            tbs.add(tb)
        if new_pages and self.engine.vtlb is not None:
            # translation on: entries of any virtual page may map these physical ones
            for cpu in self.engine.cpus:
                cpu.tlb.flush()
            return tb
        for page in new_pages:  # writes to these pages must now take the slow path
            for cpu in self.engine.cpus:
                cpu.tlb.flush_page(page)
        return tb

    # -- chaining --------------------------------------------------------------

    def link(self, tb: TB, slot: int, dest: TB) -> None:
        """Patch goto_tb ``slot`` of ``tb`` to jump to ``dest`` (if allowed)."""
        dests = tb.jmp_dest
        incoming = dest.jmp_incoming
        if (
            dests is None  # tier 0 (never chained), either side
            or incoming is None
            or self.hash_only
            or not tb.valid
            or not dest.valid
            or dests[slot] is not None
            or dest.pc in self.no_link
            or dest.cflags & CF_NOCACHE
            or tb.cflags & CF_NOCACHE
        ):
            return
        self.engine.host.link(tb, slot, dest)
        incoming.add((tb, slot))
        self.n_chained += 1

    def add_no_link(self, pc: int) -> None:
        """Make every jump into the TB at ``pc`` return to the loop (a run's `until`)."""
        n = self.no_link.get(pc, 0)
        self.no_link[pc] = n + 1
        if n:
            return
        # the TBs at pc are on pc's page list (every valid cached TB is on its first
        # page's): a look at that page, not a walk of the whole table, at every run
        vtlb = self.engine.vtlb
        at = pc
        if vtlb is not None:  # the TBs at pc are on its physical page's list
            paddr = vtlb.peek(pc)
            at = pc if paddr is None else paddr
        for tb in list(self.page_tbs.get(at >> self.engine.target.page_bits, ())):
            if tb.pc == pc:
                self._unlink_incoming(tb)

    def remove_no_link(self, pc: int) -> None:
        n = self.no_link.get(pc, 0) - 1
        if n > 0:
            self.no_link[pc] = n
        else:
            self.no_link.pop(pc, None)

    def _unlink_incoming(self, tb: TB) -> None:
        incoming = tb.jmp_incoming
        if not incoming:
            return
        for src, slot in list(incoming):
            dests = src.jmp_dest
            if dests is not None and dests[slot] is tb:
                self.engine.host.unlink(src, slot)
        incoming.clear()

    # -- invalidation ----------------------------------------------------------

    def replace(self, old: TB, new: TB) -> TB | None:
        """A tier-0 TB made hot: ``new`` (compiled, same key) takes ``old``'s place;
        returns the TB cached afterwards, or None when ``old`` was invalidated
        meanwhile (its code changed: ``new`` may be stale and is dropped)."""
        if not old.valid:
            new.valid = False
            return None
        # ``new`` holds the same code: it joins ``old``'s pages first, so that they never
        # look free of code meanwhile (``insert`` would flush them from every TLB)
        for page in range(old.first_page, old.last_page + 1):
            tbs = self.page_tbs.get(page)
            if tbs is not None:
                tbs.add(new)
        self.n_tier_ups += 1
        if new.cflags & CF_NOCACHE:
            self._drop(old)
            return self.insert(new)
        # the hash table swaps the entry in place (``TBHashPolicy.replace``); the rest of
        # dropping ``old`` follows (a tier-0 TB is never chained)
        self._count(new)
        cached: TB = self.policy.replace(new.key, old, new)
        self._drop(old, in_hash=False)
        if cached is not new:  # another vCPU's TB under the same key: ``new`` is not kept
            new.valid = False
            self._forget_pages(new)
        return cached

    def invalidate(self, tb: TB) -> None:
        if not tb.valid:
            return
        self._drop(tb)
        self.n_invalidated += 1

    def _forget_pages(self, tb: TB) -> None:
        for page in range(tb.first_page, tb.last_page + 1):
            tbs = self.page_tbs.get(page)
            if tbs is not None:
                tbs.discard(tb)
                if not tbs:
                    del self.page_tbs[page]

    def _drop(self, tb: TB, in_hash: bool = True) -> None:
        """Invalidate ``tb``: out of the hash table (unless ``in_hash`` is off: the
        caller replaced it there), its pages, its chains and the jump caches."""
        tb.valid = False
        if in_hash:
            self.policy.remove(tb.key, tb)
        self._forget_pages(tb)
        self._unlink_incoming(tb)
        dests = tb.jmp_dest
        if dests is not None:
            for slot, dest in enumerate(dests):
                if dest is not None:
                    if dest.jmp_incoming is not None:
                        dest.jmp_incoming.discard((tb, slot))
                    self.engine.host.unlink(tb, slot)
        i = jmp_cache_index(tb.pc)
        for cpu in self.engine.cpus:
            if cpu.jmp_cache[i] is tb:
                cpu.jmp_cache[i] = None
        self.engine.host.tb_invalidated(tb)

    def invalidate_range(self, start: int, end: int) -> list[TB]:
        """Invalidate every TB whose code overlaps guest bytes [start, end)."""
        bits = self.engine.target.page_bits
        hit: list[TB] = []
        for page in range(start >> bits, ((end - 1) >> bits) + 1):
            for tb in list(self.page_tbs.get(page, ())):
                at = tb.pc + tb.phys_delta
                if at < end and start < at + max(tb.size, 1):
                    self.invalidate(tb)
                    hit.append(tb)
        return hit

    def flush(self) -> None:
        """tb_flush: drop everything (no vCPU may be executing generated code)."""
        self.drop_all()
        for cpu in self.engine.cpus:
            cpu.flush_jmp_cache()
            cpu.tlb.flush()
            cpu.region = None
        self.engine.code_buffer.reset()
        self.engine.host.flushed()
        self.n_flushes += 1

    def drop_all(self) -> None:
        """Invalidate every TB and let go of it: out of the hash table and the page
        lists, its links dropped (links are cycles between TBs). ``flush``
        then resets the caches and the code buffer; a released engine frees those."""
        # every valid cached TB is on its pages' lists (the invariant above): walking
        # them is cheaper than a snapshot of the hash table
        for tbs in self.page_tbs.values():
            for tb in tbs:
                tb.valid = False
                dests = tb.jmp_dest
                if dests is not None:  # compiled: its links go (the code buffer is reset)
                    dests[0] = dests[1] = None
                    incoming = tb.jmp_incoming
                    if incoming:
                        incoming.clear()
        self.policy.reset()
        self.page_tbs.clear()
        self.stop_blocks.clear()

    def census(self) -> tuple[int, int]:
        """(TBs cached, those of them that call helpers): counted on the page lists,
        each TB on its first page (the invariant above: they list exactly the valid
        cached TBs; walking them is cheaper than iterating a hash-table policy). Under
        the ``tb_lock``, as every change to them."""
        cached = calling = 0
        for page, tbs in self.page_tbs.items():
            for tb in tbs:
                if tb.first_page == page:
                    cached += 1
                    if tb.helper_calls:
                        calling += 1
        return cached, calling

    @property
    def code_pages(self) -> dict[int, set[TB]]:
        return self.page_tbs
