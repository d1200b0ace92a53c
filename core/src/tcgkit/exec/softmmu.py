"""The software TLB: the fast path generated code inlines, and the slow path
it calls on a miss.

Owns ``SoftTLB``: per vCPU, a direct-mapped table of ``TLB_SIZE`` entries
indexed by guest page number. An entry is ``[read_tag, write_tag, view,
base]``: the tags are the page's guest address when reads (writes) of it may
take the fast path and -1 otherwise; ``view`` is the RAM's memoryview and
``base`` the guest address of ``view[0]``, so a hit reads
``view[addr - base]``. Generated code compares the tag with the access's
key: ``(addr + size - 1) & PAGE_MASK`` (a page-crossing access misses), or
``addr & (PAGE_MASK | (size - 1))`` when the access must be aligned (a
misaligned one misses).

What never takes the fast path (its tag is -1): pages that are not entirely
one RAM range, pages without the permission, pages covered by a memory hook
of that access kind, and, for writes, pages holding translated code (so
the slow path sees the write and invalidates the code).

With virtual-address translation on (``Engine.vtlb``, ``exec.vtlb``) the slow path
translates the address and goes on at the physical address (``_load_translated`` /
``_store_translated``; memory hooks and faults see the physical address); a
first-level entry is filled only for a virtual page whose kept translations cover
it whole, onto one physical RAM page (``_fill_translated``: tags by the physical
page's hooks, code and mapping, and the translations' permissions), and is dropped
when one of them is replaced (``Engine.translation_replaced``) or a TB is made on a
new physical page (a full flush: aliases are not known); the second level is never
filled.

The slow path (``load`` / ``store``) calls memory hooks, goes through the
memory API (MMIO callbacks, unmapped and protection faults with
HOOK_MEM_UNMAPPED / HOOK_MEM_PROT retry), notices writes to code, and
refills the entry. Entries are flushed when the memory topology, the hooks
or the set of code pages change.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, Protocol

from .. import hooks as H
from ..errors import CodeModified, UnalignedAccessError
from ..tcg.types import MemOp
from .tb import CF_SINGLE_STEP
from .vtlb import VirtualTLB

# MemOp's bits as plain ints: the slow path tests them at every access, and an
# IntFlag's ``&`` is a Python-level call (four per access, a fifth of a hooked load)
# module constants as Final: compiled, a plain name is a dictionary lookup and a
# module attribute (``H.X``) two, on every slow-path access
_MO_SIZE: Final = int(MemOp.MO_SIZE)
_MO_ALIGN: Final = int(MemOp.MO_ALIGN)
_MO_BE: Final = int(MemOp.MO_BE)
_MO_SIGN: Final = int(MemOp.MO_SIGN)
_HOOK_MEM_READ: Final = H.HOOK_MEM_READ
_HOOK_MEM_WRITE: Final = H.HOOK_MEM_WRITE
_MEM_READ: Final = H.MEM_READ
_MEM_WRITE: Final = H.MEM_WRITE
_PROT_READ: Final = 1  # tcgkit.memory's PROT_READ / PROT_WRITE (a translation's perms)
_PROT_WRITE: Final = 2

if TYPE_CHECKING:
    from .cpu import CPU

TLB_BITS: Final = 8
TLB_SIZE: Final = 1 << TLB_BITS
PAGE_BITS: Final = 12
PAGE_SIZE: Final = 1 << PAGE_BITS
PAGE_MASK: Final = ~(PAGE_SIZE - 1) & 0xFFFFFFFFFFFFFFFF
L2_BITS: Final = 15  # the native second level covers 2^L2_BITS pages (tcgkit.native.layout)
INVALID: Final[tuple[Any, ...]] = (-1, -1, None, 0)


class NativeTLB(Protocol):
    """A native backend's copy of the TLB, in memory its generated code reads, and
    the second level its slow path may refill from (``tcgkit.native.layout``)."""

    def set(self, index: int, read_tag: int, write_tag: int, addend: int) -> None: ...

    def invalidate(self, index: int) -> None: ...

    def invalidate_page(self, page: int) -> None: ...

    def clear(self) -> None: ...

    def refills(self) -> int: ...

    def fill_range(self, first_page: int, n: int, readable: bool, writable: bool,
                   addend: int, no_write: Iterable[int]) -> None: ...  # fmt: skip


def _item_views(view: memoryview) -> tuple[memoryview, ...]:
    """``view`` as items of 1, 2, 4 and 8 bytes (native order: little-endian hosts),
    or () where it cannot be (a big-endian host, a length not a multiple of 8)."""
    if sys.byteorder != "little" or len(view) % 8:
        return ()
    try:
        return (view.cast("B"), view.cast("H"), view.cast("I"), view.cast("Q"))
    except (TypeError, ValueError):
        return ()


class SoftTLB:
    """One vCPU's TLB. ``native``, when a host backend sets it, mirrors every change
    (tags and the addend host address - guest address of the page's RAM)."""

    def __init__(self, cpu: CPU) -> None:
        self.cpu = cpu
        self.engine = cpu.engine
        self.entries: list[Any] = [INVALID] * TLB_SIZE
        self.native: NativeTLB | None = None
        #: the native TLB has a second level that generated code refills from
        self.native_l2 = False
        self.misses = 0
        self.fills = 0
        #: (page, view, base, views by log2 size, addend) of the last page filled whose
        #: RAM is readable but whose reads are hooked (every read of it takes the slow
        #: path): such a read is served from the view without a refill (an aligned
        #: little-endian one by one item of the view of its size), or by generated code
        #: once its hooks have run (``load_native``: the addend, host address - guest
        #: address, as 64 bits); dropped with the entries
        self.hooked_read: tuple[int, memoryview, int, tuple[memoryview, ...], int] | None = None
        #: translation on (``Engine.vtlb``): ``Engine.ram_page`` by physical page, for the
        #: translated slow path (dropped with the entries: a map, protection or hook
        #: change flushes them)
        self.ram_memo: dict[int, tuple[memoryview, int, bool, bool, int] | None] = {}

    @property
    def native_refills(self) -> int:
        """Misses generated code refilled from the native second level (no Python)."""
        return self.native.refills() if self.native_l2 else 0  # type: ignore[union-attr]

    def flush(self) -> None:
        self.entries[:] = [INVALID] * TLB_SIZE
        self.hooked_read = None
        self.ram_memo.clear()
        if self.native is not None:
            self.native.clear()

    def flush_page(self, page: int) -> None:
        self.hooked_read = None
        i = page & (TLB_SIZE - 1)
        e = self.entries[i]
        if e is not INVALID and (e[0] >> PAGE_BITS == page or e[1] >> PAGE_BITS == page):
            self.entries[i] = INVALID
            if self.native is not None:
                self.native.invalidate(i)
        elif self.native_l2:
            # generated code may have refilled the native entry from the second level
            # behind this list's back: drop the native entry whatever page it holds
            self.native.invalidate(i)  # type: ignore[union-attr]
        if self.native_l2:
            self.native.invalidate_page(page)  # type: ignore[union-attr]

    def fill(self, addr: int) -> None:
        page = addr >> PAGE_BITS
        ram = self.engine.ram_page(page)
        self.hooked_read = None
        if ram is None:
            self.entries[page & (TLB_SIZE - 1)] = INVALID
            if self.native is not None:
                self.native.invalidate(page & (TLB_SIZE - 1))
            return
        view, base, readable, writable, host_addr = ram
        engine = self.engine
        tag = page << PAGE_BITS
        hooks = engine.hooks
        lo, hi = tag, tag + PAGE_SIZE - 1
        rtag = tag if readable and not hooks.any_overlaps(_HOOK_MEM_READ, lo, hi) else -1
        wtag = (
            tag
            if writable
            and page not in engine.code_pages
            and not hooks.any_overlaps(_HOOK_MEM_WRITE, lo, hi)
            else -1
        )
        self.entries[page & (TLB_SIZE - 1)] = (rtag, wtag, view, base)
        if readable and rtag < 0:
            self.hooked_read = (page, view, base, _item_views(view),
                                (host_addr - base) & 0xFFFFFFFFFFFFFFFF)  # fmt: skip
        if self.native is not None:
            self.native.set(page & (TLB_SIZE - 1), rtag, wtag, host_addr - base)
            if self.native_l2:
                self._fill_l2(page, host_addr - base)
        self.fills += 1

    def _fill_l2(self, page: int, addend: int) -> None:
        """Second-level entries for the whole RAM range around ``page`` (at most the
        second level's reach), so that generated code refills the range's other pages
        itself. A hook of a kind anywhere on the range keeps that kind of access off
        the second level for all of it; code pages keep their writes off."""
        engine = self.engine
        span = engine.ram_span(page << PAGE_BITS)
        if span is None:
            return
        start, end, readable, writable = span
        first, last = start >> PAGE_BITS, (end >> PAGE_BITS) - 1
        half = 1 << (L2_BITS - 1)
        first, last = max(first, page - half), min(last, page + half - 1)
        lo, hi = first << PAGE_BITS, ((last + 1) << PAGE_BITS) - 1
        hooks = engine.hooks
        readable = readable and not hooks.any_overlaps(_HOOK_MEM_READ, lo, hi)
        writable = writable and not hooks.any_overlaps(_HOOK_MEM_WRITE, lo, hi)
        if readable or writable:
            self.native.fill_range(first, last - first + 1, readable, writable,  # type: ignore[union-attr]
                                   addend, engine.code_pages)  # fmt: skip

    # -- slow path -------------------------------------------------------------

    def _hooks(self, kind: int, access: int, addr: int, size: int, value: int,
               pc_set: bool = False) -> None:  # fmt: skip
        """Fire memory hooks before an access (``pc_set``: the caller stored the
        instruction's pc already). A hook that rewrote the running TB
        makes the instruction re-execute alone, in fresh code, without its memory
        hooks firing a second time (QEMU's answer to current_tb_modified)."""
        cpu = self.cpu
        engine = self.engine
        if pc_set:
            # (the pc slot read only when an instruction re-executes: rarely)
            if cpu.skip_mem_hook_pc >= 0 and cpu.skip_mem_hook_pc == cpu.pc:
                return
        else:
            where = engine.current_insn(cpu)  # cpu.sync_pc(), keeping the pc
            if where is not None:
                pc = where[0].insn_pcs[where[1]]
                if cpu.pc != pc:  # (a read costs half a write: a loop's hooks find it set)
                    cpu.pc = pc
            else:
                pc = cpu.pc
            if cpu.skip_mem_hook_pc == pc:
                return
        engine.fire_mem_hooks(cpu, kind, access, addr, size, value, sync=False)
        if cpu.current_tb_invalidated:
            cpu.current_tb_invalidated = False
            where = engine.current_insn(cpu)
            if where is not None and where[0].icount != 1:
                cpu.skip_code_hook_pc = cpu.skip_mem_hook_pc = cpu.pc
                cpu.cflags_next_tb = CF_SINGLE_STEP
                raise CodeModified(resume_after=False)

    def load(self, addr: int, memop: int) -> int:
        """A guest load that missed the fast path; returns the (sign-extended) value."""
        return self._load(addr, memop, False, False)[1]

    def load_native(self, addr: int, memop: int, pc_set: bool) -> tuple[bool, int]:
        """``load`` for generated code that can read RAM itself (``pc_set``: and that
        stored the instruction's pc): (True, the page's addend) when ``addr``'s page is
        ``hooked_read``'s once the hooks have run (the caller then reads it), else
        (False, the value)."""
        return self._load(addr, memop, True, pc_set)

    def _load(self, addr: int, memop: int, native: bool, pc_set: bool = False) -> tuple[bool, int]:
        self.misses += 1
        size = 1 << (memop & _MO_SIZE)
        cpu = self.cpu
        engine = self.engine
        if memop & _MO_ALIGN and addr & (size - 1):
            cpu.sync_pc()
            raise UnalignedAccessError("unaligned read", access=_MEM_READ, address=addr,
                                       size=size, pc=cpu.pc)  # fmt: skip
        vtlb = engine.vtlb
        if vtlb is not None:
            return False, self._load_translated(vtlb, addr, size, memop)
        unmapped = False
        if engine.hooks.mask & _HOOK_MEM_READ:
            known = self.hooked_read
            page = addr >> PAGE_BITS
            # unmapped memory: the READ hooks come after a READ_UNMAPPED hook mapped it
            # (below), or never, as in Unicorn; the memo's page is mapped
            if (known is not None and known[0] == page) or engine.aspace.mapped(addr):
                self._hooks(_HOOK_MEM_READ, _MEM_READ, addr, size, 0, pc_set)
            else:
                unmapped = True
            # (after the hooks: one that changed the map or the hooks flushed the memo)
            known = self.hooked_read
            if known is not None and known[0] == page == (addr + size - 1) >> PAGE_BITS:
                if native:
                    return True, known[4]
                off = addr - known[2]
                items = known[3]
                if items and not off & (size - 1) and not memop & _MO_BE:
                    log2 = memop & _MO_SIZE
                    v = items[log2][off >> log2]
                    if memop & _MO_SIGN:
                        sb = 1 << (8 * size - 1)
                        v = (v ^ sb) - sb
                    return False, v
                return False, int.from_bytes(known[1][off : off + size],
                                             "big" if memop & _MO_BE else "little",
                                             signed=bool(memop & _MO_SIGN))  # fmt: skip
        data = engine.guest_read(cpu, addr, size)
        if unmapped:  # a READ_UNMAPPED hook mapped it
            self._hooks(_HOOK_MEM_READ, _MEM_READ, addr, size, 0)
        value = int.from_bytes(data, "big" if memop & _MO_BE else "little",
                               signed=bool(memop & _MO_SIGN))  # fmt: skip
        self.fill(addr)
        return False, value

    def store(self, addr: int, value: int, memop: int) -> None:
        """A guest store that missed the fast path."""
        self.misses += 1
        size = 1 << (memop & _MO_SIZE)
        cpu = self.cpu
        engine = self.engine
        value &= (1 << (8 * size)) - 1
        if memop & _MO_ALIGN and addr & (size - 1):
            cpu.sync_pc()
            raise UnalignedAccessError("unaligned write", access=_MEM_WRITE, address=addr,
                                       size=size, pc=cpu.pc)  # fmt: skip
        vtlb = engine.vtlb
        if vtlb is not None:
            self._store_translated(vtlb, addr, value, size, memop)
            return
        if engine.hooks.mask & _HOOK_MEM_WRITE:
            self._hooks(_HOOK_MEM_WRITE, _MEM_WRITE, addr, size, value)
        data = value.to_bytes(size, "big" if memop & _MO_BE else "little")
        engine.guest_write(cpu, addr, data)
        engine.code_written(cpu, addr, size)
        self.fill(addr)

    # -- translated accesses (Engine.vtlb) ---------------------------------------------

    def _load_translated(self, vtlb: VirtualTLB, addr: int, size: int, memop: int) -> int:
        """``load`` of virtual ``addr``: translated, then hooks and the memory API at the
        physical address."""
        cpu = self.cpu
        engine = self.engine
        pieces = vtlb.pieces(cpu, addr, size, _MEM_READ)
        paddr = pieces[0][0]
        if engine.hooks.mask & _HOOK_MEM_READ:
            self._hooks(_HOOK_MEM_READ, _MEM_READ, paddr, size, 0)
        if len(pieces) == 1:
            ram = self._ram(paddr >> PAGE_BITS)
            if ram is not None and ram[2]:  # readable RAM: from its view
                off = paddr - ram[1]
                self._fill_translated(vtlb, addr)
                return int.from_bytes(ram[0][off : off + size],
                                      "big" if memop & _MO_BE else "little",
                                      signed=bool(memop & _MO_SIGN))  # fmt: skip
            data = engine.read_translated(cpu, vtlb, addr, size)
            self._fill_translated(vtlb, addr)
        else:
            data = b"".join([engine.guest_read(cpu, p, n) for p, n in pieces])
        return int.from_bytes(data, "big" if memop & _MO_BE else "little",
                              signed=bool(memop & _MO_SIGN))  # fmt: skip

    def _store_translated(self, vtlb: VirtualTLB, addr: int, value: int, size: int,
                          memop: int) -> None:  # fmt: skip
        """``store`` to virtual ``addr``: translated, then hooks, the memory API and the
        code written at the physical address."""
        cpu = self.cpu
        engine = self.engine
        pieces = vtlb.pieces(cpu, addr, size, _MEM_WRITE)
        paddr = pieces[0][0]
        if engine.hooks.mask & _HOOK_MEM_WRITE:
            self._hooks(_HOOK_MEM_WRITE, _MEM_WRITE, paddr, size, value)
        data = value.to_bytes(size, "big" if memop & _MO_BE else "little")
        if len(pieces) == 1:
            ram = self._ram(paddr >> PAGE_BITS)
            if ram is not None and ram[3]:  # writable RAM: into its view
                off = paddr - ram[1]
                ram[0][off : off + size] = data
            else:
                paddr = engine.write_translated(cpu, vtlb, addr, data)
            engine.code_written(cpu, paddr, size)
            self._fill_translated(vtlb, addr)
            return
        done = 0
        for p, n in pieces:
            engine.guest_write(cpu, p, data[done : done + n])
            engine.code_written(cpu, p, n)
            done += n

    def _ram(self, page: int) -> tuple[memoryview, int, bool, bool, int] | None:
        """``Engine.ram_page(page)`` (a physical page), kept in ``ram_memo``."""
        memo = self.ram_memo
        if page in memo:
            return memo[page]
        ram = self.engine.ram_page(page)
        memo[page] = ram
        return ram

    def _fill_translated(self, vtlb: VirtualTLB, addr: int) -> None:
        """The first-level entry of virtual ``addr``'s page, when kept translations
        cover the whole page, onto one physical RAM page, with the permissions all of
        them give (the second level is never filled with translation on). The tags
        follow ``fill``'s rules on the physical page (hooks, code, the mapping)."""
        page = addr >> PAGE_BITS
        bits = vtlb.page_bits
        pages = vtlb.pages
        if bits >= PAGE_BITS:
            got = pages.get(addr >> bits)
            if got is None:
                return
            paddr = got[0] + ((page << PAGE_BITS) & ((1 << bits) - 1))
            perms = got[1]
        else:
            first = page << (PAGE_BITS - bits)
            got = pages.get(first)
            if got is None or got[0] & (PAGE_SIZE - 1):
                return
            paddr, perms = got
            for i in range(1, 1 << (PAGE_BITS - bits)):
                more = pages.get(first + i)
                if more is None or more[0] != paddr + (i << bits):
                    return
                perms &= more[1]
        ppage = paddr >> PAGE_BITS
        ram = self._ram(ppage)
        if ram is None:
            return
        view, base, readable, writable, host_addr = ram
        engine = self.engine
        hooks = engine.hooks
        lo, hi = paddr, paddr + PAGE_SIZE - 1
        tag = page << PAGE_BITS
        rtag = (
            tag
            if readable and perms & _PROT_READ and not hooks.any_overlaps(_HOOK_MEM_READ, lo, hi)
            else -1
        )
        wtag = (
            tag
            if writable
            and perms & _PROT_WRITE
            and ppage not in engine.code_pages
            and not hooks.any_overlaps(_HOOK_MEM_WRITE, lo, hi)
            else -1
        )
        if rtag < 0 and wtag < 0:
            return
        vbase = base + tag - paddr  # view[addr - vbase] is the physical byte
        i = page & (TLB_SIZE - 1)
        self.entries[i] = (rtag, wtag, view, vbase)
        if self.native is not None:
            self.native.set(i, rtag, wtag, host_addr - vbase)
        self.fills += 1
