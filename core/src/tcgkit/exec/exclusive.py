"""Exclusive work between the vCPU threads of one emulator (QEMU's
cpu_exec_start / cpu_exec_end and start_exclusive / end_exclusive).

Owns ``ExclusiveGate``. Each vCPU is in one of three states:

* ``OUT``: not in the execution loop's inner section (before a run, between
  runs, while a system call or an interrupt hook runs, after an error);
* ``IN``: in the inner section: looking up, translating, chaining or running
  TBs, or in a callback generated code made (helpers, the memory slow path,
  memory and code hooks);
* ``PARKED``: in such a callback, waiting to become the owner of an
  exclusive section (``start(cpu)`` called from inside generated code).

Invariants:

* at most one thread owns the exclusive section; it may re-enter it
  (``start``/``end`` nest);
* while a thread owns it, no other vCPU is ``IN``: each one is ``OUT`` (and
  blocks in ``cpu_start`` until the section ends) or ``PARKED`` (blocked in
  Python, in a callback, inside a TB it will go on running afterwards);
* so exclusive work may change what generated code reads without locking
  (TLBs, jump caches, chained jumps, the memory map), but may free code only
  when ``parked()`` is false: a parked vCPU returns into its TB. Work that
  frees code (a TB flush) is therefore done by the execution loop, between
  TBs, and deferred while some vCPU is parked;
* a thread that asks for the section while another owns it parks first (when
  it is a vCPU in a callback), so two vCPUs that want exclusive work from
  callbacks never wait for each other.

Entering the section asks every vCPU to leave generated code at its next TB
boundary (its exit request). The gate's own lock is held only to change the
counts; no callback runs under it.
"""

from __future__ import annotations

import enum
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cpu import CPU


class RunState(enum.Enum):
    OUT = 0
    IN = 1
    PARKED = 2


class ExclusiveGate:
    """Counts the vCPUs in the loop's inner section and hands out the exclusive one."""

    def __init__(self, cpus: list[CPU]) -> None:
        self._cpus = cpus  # the engine's list: vCPUs added later are seen
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads in self._cond.wait(): whom a change must wake
        self._n_in = 0  # vCPUs IN
        self._n_parked = 0
        self._owner: int | None = None  # thread ident
        self._depth = 0

    # -- the vCPU side ------------------------------------------------------------------

    def cpu_start(self, cpu: CPU) -> None:
        """Enter the inner section (waits while another thread's exclusive work runs)."""
        # the lock itself, not the Condition, once per TB run; acquire/release rather
        # than ``with`` (compiled, a with statement looks up and calls __enter__ and
        # __exit__), nothing in between raising but the waits
        lock = self._lock
        lock.acquire()
        try:
            owner = self._owner  # read once per test: another thread changes it
            if owner is not None:
                me = threading.get_ident()
                while owner is not None and owner != me:
                    self._wait()
                    owner = self._owner
            cpu.run_state = RunState.IN
            self._n_in += 1
        finally:
            lock.release()

    def cpu_end(self, cpu: CPU) -> None:
        """Leave the inner section."""
        lock = self._lock
        lock.acquire()
        try:
            if cpu.run_state is RunState.IN:
                self._n_in -= 1
                cpu.run_state = RunState.OUT
                if self._waiting:
                    self._cond.notify_all()
        finally:
            lock.release()

    def _wait(self) -> None:
        """Wait for a change of the counts or the owner (the lock is held)."""
        self._waiting += 1
        try:
            self._cond.wait()
        finally:
            self._waiting -= 1

    # -- exclusive work -------------------------------------------------------------------

    def start(self, cpu: CPU | None) -> None:
        """Become the only thread with a vCPU IN. ``cpu``: the calling thread's vCPU,
        or None when the caller runs none (an API call from another thread)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            parked = cpu is not None and cpu.run_state is RunState.IN
            if parked:
                assert cpu is not None
                cpu.run_state = RunState.PARKED
                self._n_in -= 1
                self._n_parked += 1
                self._cond.notify_all()
            while self._owner is not None:
                self._wait()
            self._owner, self._depth = me, 1
            for c in self._cpus:
                if c.run_state is RunState.IN:
                    c.request_exit()
            while self._n_in:
                self._wait()

    def end(self, cpu: CPU | None) -> None:
        """End the section started by ``start(cpu)``."""
        with self._cond:
            assert self._owner == threading.get_ident(), "end() without start()"
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if cpu is not None and cpu.run_state is RunState.PARKED:
                cpu.run_state = RunState.IN
                self._n_parked -= 1
                self._n_in += 1
            self._cond.notify_all()

    def parked(self) -> bool:
        """Whether some vCPU waits in a callback (inside a TB) for its own section."""
        return self._n_parked > 0
