"""Guest atomic read-modify-writes for emulators with several vCPUs (QEMU's
atomic helpers and its exclusive-step fallback).

Owns ``cmpxchg``, ``cmpxchg_pair`` and ``fetch_update``, which target
helpers call for the atomic instructions of TBs translated with
``CF_PARALLEL`` (``DisasContext.parallel``), when other vCPUs may run at
the same time. Two ways, chosen per access:

* on RAM that takes the fast path (readable and writable, no memory hook
  installed, no translated code on the page, naturally aligned): the host's
  own compare-and-swap on the host address (``HostBackend.cas`` /
  ``cas_pair``: lock cmpxchg, LL/SC...), atomic against every other vCPU's
  generated code, plain stores included, without stopping anyone;
* otherwise (MMIO, hooks, code pages, a fault to raise, unaligned, a host
  without such instructions): the access goes through the softmmu slow path
  (hooks, faults, self-modifying code) inside an exclusive section, so no
  other vCPU runs guest code between the read and the write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import hooks as H
from .softmmu import PAGE_BITS

if TYPE_CHECKING:
    from .cpu import CPU

_MEM_HOOKS = H.HOOK_MEM_READ | H.HOOK_MEM_WRITE


def _host_address(cpu: CPU, addr: int, nbytes: int) -> int | None:
    """The host address of guest ``[addr, addr + nbytes)`` when an access there may
    bypass the slow path (see the module docstring), else None."""
    engine = cpu.engine
    if addr & (nbytes - 1) or engine.hooks.mask & _MEM_HOOKS:
        return None
    page = addr >> PAGE_BITS
    if page in engine.tb_cache.page_tbs:
        return None
    got = engine.ram_page(page)
    if got is None:
        return None
    _view, base, readable, writable, host_addr = got
    if not (readable and writable):
        return None
    return host_addr + (addr - base)


def cmpxchg(cpu: CPU, addr: int, expected: int, new: int, log2: int) -> int:
    """Atomically: read the ``1 << log2`` bytes at ``addr``; if they equal
    ``expected``, write ``new``. Returns what was read."""
    mask = (1 << (8 << log2)) - 1
    expected &= mask
    new &= mask
    host = _host_address(cpu, addr, 1 << log2)
    if host is not None:
        old = cpu.engine.host.cas(host, expected, new, log2)
        if old is not None:
            return old
    with cpu.engine.exclusive():
        old = cpu.tlb.load(addr, log2)
        if old == expected:
            cpu.tlb.store(addr, new, log2)
        return old


def cmpxchg_pair(cpu: CPU, addr: int, expected: tuple[int, int], new: tuple[int, int],
                 log2: int) -> tuple[int, int]:  # fmt: skip
    """``cmpxchg`` of two consecutive ``1 << log2``-byte elements as one access
    (the first at ``addr``); returns the pair read."""
    bits = 8 << log2
    mask = (1 << bits) - 1
    if log2 < 3:  # the pair fits one 8-byte (or smaller) compare-and-swap
        old = cmpxchg(cpu, addr, (expected[0] & mask) | (expected[1] & mask) << bits,
                      (new[0] & mask) | (new[1] & mask) << bits, log2 + 1)  # fmt: skip
        return old & mask, old >> bits
    host = _host_address(cpu, addr, 16)
    if host is not None:
        got = cpu.engine.host.cas_pair(host, expected[0] & mask, expected[1] & mask,
                                       new[0] & mask, new[1] & mask)  # fmt: skip
        if got is not None:
            return got
    with cpu.engine.exclusive():
        old = (cpu.tlb.load(addr, 3), cpu.tlb.load(addr + 8, 3))
        if old == (expected[0] & mask, expected[1] & mask):
            cpu.tlb.store(addr, new[0], 3)
            cpu.tlb.store(addr + 8, new[1], 3)
        return old


def fetch_update(cpu: CPU, addr: int, update: Callable[[int], int], log2: int) -> int:
    """Atomically replace the value ``v`` at ``addr`` by ``update(v)``; returns ``v``
    (a compare-and-swap loop; LSE's LDADD, LDSET, SWP...)."""
    mask = (1 << (8 << log2)) - 1
    host = _host_address(cpu, addr, 1 << log2)
    if host is not None:
        cas = cpu.engine.host.cas
        seen = cas(host, 0, 0, log2)  # an atomic read (writes only if the value is 0)
        while seen is not None:
            old = cas(host, seen, update(seen) & mask, log2)
            if old == seen:
                return old
            seen = old
    with cpu.engine.exclusive():
        old = cpu.tlb.load(addr, log2)
        cpu.tlb.store(addr, update(old) & mask, log2)
        return old
