"""A small read-copy-update domain: read-side sections and grace periods.

Owns ``RcuDomain``: what the ``xxhash-rcu`` policy needs from QEMU's RCU
(``util/rcu.c``, the "memb" flavour of liburcu) to know when no reader can
still hold a reference it has unlinked. It owns no data structure; a
structure that uses it states what its readers may see.

Assumptions
-----------
* Loads and stores of one Python reference or int are atomic and each
  thread's are seen by the others in program order (sequential
  consistency), as under CPython's GIL. C needs the barriers that
  ``rcu_read_lock`` and ``synchronize_rcu`` issue; here program order is
  enough.
* Read-side sections do not nest and do not block on an updater.
* Reclaiming memory is the garbage collector's job: an unlinked object lives
  while any reader references it. A grace period is therefore needed only
  before an updater changes what a reader may still be *walking through*
  (the second grace period QEMU waits before ``free`` comes free).

Guarantees
----------
* ``read_lock`` / ``read_unlock`` never lock and write only the calling
  thread's own reader record (one shared write, under the registry lock,
  the first time a thread reads).
* A grace period that began at ``start_grace_period()`` has ended, as
  ``grace_period_done(cookie)`` reports, once every read-side section that
  was running when it began has ended. ``synchronize()`` waits for that.

Protocol
--------
The domain keeps a grace-period counter ``_gp`` (even, starting at 2; it
only grows). A reader's record holds 0 while the reader is outside a
section, else the value of ``_gp`` it read on entering.

read_lock:    record.ctr = domain._gp   (read once, then stored)
read_unlock:  record.ctr = 0
start:        under the domain lock, ``_gp += 2``; the cookie is the new value.
              The updater publishes its change *before* it starts the grace
              period, so a reader that reads the new ``_gp`` (or enters later)
              began after the change and cannot see what it replaced.
done(cookie): every registered record has ctr == 0 or ctr >= cookie.
              A reader that read the old ``_gp`` but has not stored it yet
              looks quiescent; it will walk the structure after the change
              was published, which is what makes that harmless.

Reader records are weakly referenced: a thread that ends drops its record
with its thread-local storage and stops counting.
"""

from __future__ import annotations

import threading
import time
import weakref


class _Reader:
    """One thread's reader state in one domain: written only by that thread."""

    __slots__ = ("__weakref__", "ctr")

    def __init__(self) -> None:
        self.ctr = 0  # 0: outside any read-side section; else the _gp read on entry


class RcuDomain:
    """Read-side sections and grace periods for one data structure."""

    def __init__(self) -> None:
        self._gp = 2  # the grace-period counter; grows by 2, stored under _lock
        self._lock = threading.Lock()  # protects _gp updates and _readers
        self._readers: list[weakref.ref[_Reader]] = []
        self._local = threading.local()  # .reader: this thread's _Reader

    def _reader(self) -> _Reader:
        try:
            return self._local.reader
        except AttributeError:
            reader = _Reader()
            with self._lock:
                self._readers.append(weakref.ref(reader))
            self._local.reader = reader
            return reader

    def read_lock(self) -> _Reader:
        """Enter a read-side section; pass the result to ``read_unlock``."""
        try:
            reader = self._local.reader
        except AttributeError:
            reader = self._reader()
        reader.ctr = self._gp
        return reader

    @staticmethod
    def read_unlock(reader: _Reader) -> None:
        """Leave the read-side section entered by ``read_lock``."""
        reader.ctr = 0

    def start_grace_period(self) -> int:
        """Begin a grace period (after publishing a change); returns its cookie."""
        with self._lock:
            self._gp += 2
            return self._gp

    def grace_period_done(self, cookie: int) -> bool:
        """Whether every read-side section running when ``cookie`` began has ended."""
        with self._lock:
            live = []
            done = True
            for ref in self._readers:
                reader = ref()
                if reader is None:
                    continue
                live.append(ref)
                ctr = reader.ctr
                if ctr and ctr < cookie:
                    done = False
            self._readers = live
        return done

    def synchronize(self) -> None:
        """Wait for a full grace period (``synchronize_rcu``); never call it from a reader."""
        cookie = self.start_grace_period()
        while not self.grace_period_done(cookie):
            time.sleep(0)  # let the readers run to the end of their sections
