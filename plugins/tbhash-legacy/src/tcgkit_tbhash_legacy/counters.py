"""Per-thread event counters, so that counting a lookup writes nothing shared.

Owns ``ThreadCounters``: one set of counters per thread and per table, each
written only by its own thread, and summed when the table's ``stats()``
asks. The ``xxhash-rcu`` policy's lookups take no lock, so a shared ``+=``
would lose counts to races, and the study's "probes per lookup" should be
exact. (The same few lines as ``tcgkit_tbhash_qht.counters``, kept as a copy
so that this distribution installs without that one.)

A thread gets its counters on its first event (appending them to the
registry under a lock). Counters of threads that have ended stay in the sum.
A sum taken while threads count may lag by the events in flight; once they
have finished it is exact.
"""

from __future__ import annotations

import threading

COUNTER_NAMES = (
    "lookups",  # lookups done
    "probes",  # records compared during lookups
)


class Counters:
    """One thread's counters for one table: plain ints, written by that thread alone."""

    __slots__ = COUNTER_NAMES

    def __init__(self) -> None:
        for name in COUNTER_NAMES:
            setattr(self, name, 0)


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
