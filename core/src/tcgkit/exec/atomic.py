"""Guest atomic read-modify-writes for emulators with several vCPUs (QEMU's
atomic helpers and its exclusive-step fallback).

Owns ``gen_cmpxchg``, what translators emit for an atomic compare-and-swap
in TBs translated with ``CF_PARALLEL`` (``DisasContext.parallel``), when
other vCPUs may run at the same time: the optional op
``atomic_cmpxchg_i64`` where the host lowers it (inline: the TLB probe, then
the host's atomic instruction on the host address, e.g. ``lock cmpxchg``;
its slow path comes back to ``cmpxchg`` here), a call of ``CMPXCHG`` (a
helper around ``cmpxchg``) elsewhere. Also ``cmpxchg`` and ``cmpxchg_pair``,
which helpers and that slow path call. Two ways, chosen per access:

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

from typing import TYPE_CHECKING

from .. import hooks as H
from ..tcg.ir import Helper, Temp
from ..tcg.types import I64, CallFlags
from .softmmu import PAGE_BITS

if TYPE_CHECKING:
    from ..target import DisasContext
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


def _cmpxchg_helper(log2: int) -> Helper:
    def helper(cpu: CPU, addr: int, expected: int, new: int) -> int:
        return cmpxchg(cpu, addr, expected, new, log2)

    # may fault (the pc is then restored), changes no global
    return Helper(f"cmpxchg{8 << log2}", helper, CallFlags.NO_WRITE_GLOBALS, I64, (I64,) * 3)


#: the helpers of hosts without ``atomic_cmpxchg_i64``, by log2 of the access size
CMPXCHG = tuple(_cmpxchg_helper(n) for n in range(4))


def gen_cmpxchg(dc: DisasContext, out: Temp, addr: Temp, expected: Temp, new: Temp,
                log2: int) -> None:  # fmt: skip
    """Emit ``out = cmpxchg(addr, expected, new)`` of ``1 << log2`` bytes (``expected``
    zero-extended from that size): the host's op, or the helper."""
    if "atomic_cmpxchg_i64" in dc.host_ops:
        dc.ctx.emit("atomic_cmpxchg_i64", out, addr, expected, new, log2, 0)
    else:
        dc.ctx.call(CMPXCHG[log2], out, addr, expected, new)
