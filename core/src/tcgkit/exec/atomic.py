"""Guest atomic read-modify-writes for emulators with several vCPUs (QEMU's
atomic helpers and its exclusive-step fallback).

Owns ``gen_cmpxchg``, what translators emit for an atomic compare-and-swap
in TBs translated with ``CF_PARALLEL`` (``DisasContext.parallel``), when
other vCPUs may run at the same time: the optional op
``atomic_cmpxchg_i64`` where the host lowers it (inline: the TLB probe, then
the host's atomic instruction on the host address, e.g. ``lock cmpxchg``;
its slow path comes back to ``cmpxchg`` here), a call of ``CMPXCHG`` (a
helper around ``cmpxchg``) elsewhere. ``gen_fetch_op`` is the same for an
atomic read-modify-write (``AtomicOp``: swap, add, logic, min/max): the
optional op ``atomic_fetch_i64`` (``xchg``, ``lock xadd``, an LSE instruction,
a host LL/SC or compare-and-swap loop; its slow path comes back to
``fetch_op``), else a compare-and-swap loop in IR. ``gen_cmpxchg2`` emits the
16-byte compare-and-swap of a pair of doublewords, the optional op
``atomic_cmpxchg2_i64`` (``lock cmpxchg16b``, CASPAL, an LDAXP / STLXP loop, an
lqarx / stqcx. loop; its slow path comes back to ``cmpxchg_pair_at``); a host
without it leaves the caller to call a helper around ``cmpxchg_pair``. Also
``cmpxchg``, ``cmpxchg_pair`` and ``fetch_op``, which helpers and those slow paths
call.
Two ways, chosen per access:

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

import ctypes
from typing import TYPE_CHECKING, Final

from .. import hooks as H
from ..errors import UnalignedAccessError
from ..tcg.ir import Helper, Temp
from ..tcg.semantics import atomic_update
from ..tcg.types import I64, AtomicOp, CallFlags, Cond
from .softmmu import PAGE_BITS

if TYPE_CHECKING:
    from ..target import DisasContext
    from .cpu import CPU

_MEM_HOOKS = H.HOOK_MEM_READ | H.HOOK_MEM_WRITE
#: the slow path of a host's inline ``atomic_fetch_i64`` is its ``atomic_cmpxchg``
#: one (``Runtime.slow_cmpxchg``) with ``(aop + 1) << FETCH_SHIFT`` in the memop
#: argument and the op's value as ``new`` (``expected`` is not used)
FETCH_SHIFT = 8
#: the slow path of a host's inline ``atomic_cmpxchg2_i64`` is ``slow_cmpxchg`` too,
#: with this bit in the memop argument and, as ``expected``, the host address of four
#: 8-byte words (cmp_lo, cmp_hi, new_lo, new_hi) that the pair read replaces the
#: first two of (``cmpxchg_pair_at``)
PAIR_FLAG: Final = 1 << 7
#: the name of the optional op ``gen_cmpxchg2`` emits
CMPXCHG2_OP: Final = "atomic_cmpxchg2_i64"


def _host_address(cpu: CPU, addr: int, nbytes: int) -> int | None:
    """The host address of guest ``[addr, addr + nbytes)`` when an access there may
    bypass the slow path (see the module docstring), else None."""
    engine = cpu.engine
    if addr & (nbytes - 1) or engine.hooks.mask & _MEM_HOOKS or engine.vtlb is not None:
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


def cmpxchg_pair_at(cpu: CPU, addr: int, words: int) -> int:
    """``cmpxchg_pair`` of two doublewords with its operands in host memory: the four
    8-byte words at host address ``words`` are (cmp_lo, cmp_hi, new_lo, new_hi); the
    pair read is written over the first two (the slow path of the hosts' inline
    ``atomic_cmpxchg2_i64``, see ``PAIR_FLAG``). Returns the low doubleword read."""
    buf = (ctypes.c_uint64 * 4).from_address(words)
    lo, hi = cmpxchg_pair(cpu, addr, (buf[0], buf[1]), (buf[2], buf[3]), 3)
    buf[0] = lo
    buf[1] = hi
    return lo


def fetch_op(cpu: CPU, addr: int, value: int, log2: int, aop: int) -> int:
    """Atomically replace the ``1 << log2`` bytes at ``addr`` by what the ``AtomicOp``
    ``aop`` makes of them and ``value``; returns what was read. A compare-and-swap
    loop on ``cmpxchg`` (the access is read first as a plain load: a fault or a
    read hook comes from there, as the IR loop of hosts without the op does)."""
    bits = 8 << log2
    old = cpu.tlb.load(addr, log2)
    while True:
        seen = cmpxchg(cpu, addr, old, atomic_update(aop, old, value, bits), log2)
        if seen == old:
            return old
        old = seen


def gen_fetch_op(dc: DisasContext, out: Temp, addr: Temp, value: Temp, log2: int,
                 aop: AtomicOp) -> None:  # fmt: skip
    """Emit ``out = fetch_op(addr, value)`` of ``1 << log2`` bytes: the host's
    ``atomic_fetch_i64``, or a compare-and-swap loop (``gen_cmpxchg``) in IR.
    ``out`` must not be ``addr`` or ``value``."""
    ctx = dc.ctx
    if "atomic_fetch_i64" in dc.host_ops:
        ctx.emit("atomic_fetch_i64", out, addr, value, log2, 0, int(aop))
        return
    old, seen, operand = ctx.temp(local=True), ctx.temp(local=True), ctx.temp(local=True)
    ctx.mov(operand, value)  # used across the loop's labels
    ctx.emit("qemu_ld_i64", old, addr, log2, 0)
    again, done = ctx.label(), ctx.label()
    ctx.set_label(again)
    gen_cmpxchg(dc, seen, addr, old, gen_atomic_update(dc, aop, old, operand, log2), log2)
    ctx.brcond(Cond.EQ, seen, old, done)
    ctx.mov(old, seen)
    ctx.br(again)
    ctx.set_label(done)
    ctx.mov(out, old)


def gen_atomic_update(dc: DisasContext, aop: AtomicOp, old: Temp, value: Temp,
                      log2: int) -> Temp:  # fmt: skip
    """IR for ``semantics.atomic_update``: the value to store (``old`` zero-extended
    from the ``1 << log2``-byte size; the result's bits above that size are not
    defined: it is stored at that size)."""
    ctx = dc.ctx
    new = ctx.temp()
    bits = 8 << log2
    if aop == AtomicOp.XCHG:
        ctx.mov(new, value)
    elif aop == AtomicOp.ADD:
        ctx.add(new, old, value)
    elif aop == AtomicOp.AND:
        ctx.and_(new, old, value)
    elif aop == AtomicOp.OR:
        ctx.or_(new, old, value)
    elif aop == AtomicOp.XOR:
        ctx.xor(new, old, value)
    else:
        a, b = old, value
        if bits < 64:
            a, b = ctx.temp(), ctx.temp()
            if aop in (AtomicOp.SMAX, AtomicOp.SMIN):
                ctx.sextract(a, old, 0, bits)
                ctx.sextract(b, value, 0, bits)
            else:
                ctx.mov(a, old)
                ctx.extract(b, value, 0, bits)
        cond = {AtomicOp.SMAX: Cond.GE, AtomicOp.SMIN: Cond.LE, AtomicOp.UMAX: Cond.GEU,
                AtomicOp.UMIN: Cond.LEU}[aop]  # fmt: skip
        ctx.movcond(new, a, b, old, value, cond)
    return new


def _cmpxchg_helper(log2: int) -> Helper:
    def helper(cpu: CPU, addr: int, expected: int, new: int) -> int:
        return cmpxchg(cpu, addr, expected, new, log2)

    # may fault (the pc is then restored), changes no global
    return Helper(f"cmpxchg{8 << log2}", helper, CallFlags.NO_WRITE_GLOBALS, I64, (I64,) * 3)


#: the helpers of hosts without ``atomic_cmpxchg_i64``, by log2 of the access size
CMPXCHG = tuple(_cmpxchg_helper(n) for n in range(4))


def _unaligned(cpu: CPU, addr: int, nbytes: int) -> None:
    cpu.sync_pc()
    raise UnalignedAccessError(f"unaligned {nbytes}-byte atomic access", access=H.MEM_READ,
                               address=addr, size=nbytes, pc=cpu.pc)  # fmt: skip


#: raises the alignment fault (a helper may fault: the guest pc is restored first)
UNALIGNED = Helper("unaligned", _unaligned, CallFlags.NO_WRITE_GLOBALS, None, (I64, I64))


def gen_check_align(dc: DisasContext, addr: Temp, nbytes: int) -> None:
    """An alignment fault (``UnalignedAccessError``) at this instruction unless
    ``addr`` is a multiple of ``nbytes`` (a power of two): what exclusive and atomic
    accesses need on an architecture without unaligned atomics (A64 before LSE2),
    for every host and vCPU count alike. The helper is called only on the fault."""
    ctx = dc.ctx
    low = ctx.temp()
    ctx.and_(low, addr, nbytes - 1)
    aligned = ctx.label()
    ctx.brcond(Cond.EQ, low, 0, aligned)
    ctx.call(UNALIGNED, None, addr, nbytes)
    ctx.set_label(aligned)


def gen_cmpxchg(dc: DisasContext, out: Temp, addr: Temp, expected: Temp, new: Temp,
                log2: int) -> None:  # fmt: skip
    """Emit ``out = cmpxchg(addr, expected, new)`` of ``1 << log2`` bytes (``expected``
    zero-extended from that size): the host's op, or the helper."""
    if "atomic_cmpxchg_i64" in dc.host_ops:
        dc.ctx.emit("atomic_cmpxchg_i64", out, addr, expected, new, log2, 0)
    else:
        dc.ctx.call(CMPXCHG[log2], out, addr, expected, new)


def gen_cmpxchg2(dc: DisasContext, lo: Temp, hi: Temp, addr: Temp, cmp: tuple[Temp, Temp],
                 new: tuple[Temp, Temp]) -> bool:  # fmt: skip
    """Emit ``lo, hi = cmpxchg_pair(addr, cmp, new)`` of two doublewords (16 bytes, the
    low one at ``addr``) as the host's ``atomic_cmpxchg2_i64`` and return True; on a
    host without that op emit nothing and return False: the caller then calls a
    helper of its own around ``cmpxchg_pair`` (a helper call has one output, and
    what a caller needs of the pair read differs: a status, or two registers).
    The address is not checked for alignment:
    a target with alignment faults raises them first (``gen_check_align``)."""
    if CMPXCHG2_OP not in dc.host_ops:
        return False
    dc.ctx.emit(CMPXCHG2_OP, lo, hi, addr, cmp[0], cmp[1], new[0], new[1], 3, 0)
    return True
