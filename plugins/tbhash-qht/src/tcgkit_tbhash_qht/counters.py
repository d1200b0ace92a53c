"""Per-thread event counters, so that counting a lookup writes nothing shared.

Owns ``ThreadCounters``: one set of counters per thread and per table, each
written only by its own thread (as QEMU keeps per-thread statistics), and
summed when the table's ``stats()`` asks. A lookup that bumped one shared
counter would write a cache line every reader shares, which is what qht's
lookups must not do; and under free-threaded Python an unlocked shared ``+=``
would also lose counts.

A thread gets its counters on its first event (the one time it writes
anything shared: it appends them to the registry under a lock). Counters of
threads that have ended stay in the sum. A sum taken while threads count is a
snapshot that may lag by the events in flight; once they have finished it is
exact.
"""

from __future__ import annotations

import threading

COUNTER_NAMES = (
    "lookups",  # lookups done
    "probes",  # entries compared during lookups (hash and key checks; retries included)
    "lookup_retries",  # seqlock read sections retried because a writer was in the bucket
    "map_retries",  # lookups redone on a new map after a resize or a reset replaced theirs
    "mru_lookup",  # promotions to the front of the chain made by lookups
    "mru_insert",  # promotions to the front of the chain made by inserts
)


class Counters:
    """One thread's counters for one table: plain ints, written by that thread alone."""

    def __init__(self) -> None:  # one attribute per name of COUNTER_NAMES
        self.lookups = 0
        self.probes = 0
        self.lookup_retries = 0
        self.map_retries = 0
        self.mru_lookup = 0
        self.mru_insert = 0


class ThreadCounters:
    """The registry of every thread's ``Counters`` for one table."""

    def __init__(self) -> None:
        self.local = threading.local()  # .counters: this thread's Counters
        self._lock = threading.Lock()  # protects _all (appends and snapshots)
        self._all: list[Counters] = []

    def mine(self) -> Counters:
        """The calling thread's counters, created and registered on first use."""
        try:
            return self.local.counters
        except AttributeError:
            counters = Counters()
            with self._lock:
                self._all.append(counters)
            self.local.counters = counters
            return counters

    def totals(self) -> dict[str, int]:
        """Every counter summed over all threads that ever counted."""
        with self._lock:
            everyone = list(self._all)
        return {name: sum(getattr(c, name) for c in everyone) for name in COUNTER_NAMES}
