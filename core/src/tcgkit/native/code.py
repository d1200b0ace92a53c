"""What a TB's machine code is, before and after it is placed in the code buffer.

Owns ``Lowered`` (a host lowering's result: the bytes and the offsets of their
parts), ``NativeCode`` (the same parts as host addresses, once placed),
``compile_tb`` (what ``NativeHost.compile`` does: register allocation, the
host's lowering, placing the bytes in the context's region; what it needs of the
host in a ``CompileEnv``) and ``link_tb`` /
``unlink_tb`` (``NativeHost.link`` / ``unlink``: a goto_tb site patched to
jump to another TB or back to its exit). Compiled by mypyc
with the translator (``hatch_build``): every compiled TB goes through here
(manyfuncs.elf: 3,000 TBs; interpreted, this glue cost 25,000 host
instructions per TB).
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..tcg.regalloc import allocate

if TYPE_CHECKING:
    from ..exec.tb import TB
    from ..tcg.context import TCGContext
    from ..tcg.ir import Op
    from ..tcg.region import Region
    from .backend import Runtime


class Lowered:
    """One TB's machine code and where its parts are (offsets into ``code``)."""

    __slots__ = ("code", "far", "goto_tb", "insn_offsets", "nocheck")

    def __init__(self, code: bytes | bytearray, nocheck: int) -> None:
        self.code = code  # copied into a region, then dropped
        self.nocheck = nocheck  # the entry that skips the exit-request check (Python enters)
        self.goto_tb: list[int | None] = [None, None]  # patch sites
        #: per slot, an out-of-line far-jump stub a host may branch to when the target is
        #: out of its direct branch's range (AArch64: ldr x16, literal; br x16; the literal)
        self.far: list[int | None] = [None, None]
        self.insn_offsets: list[int] = []  # host offset of each guest insn


class NativeCode:
    """Where a TB's machine code is: the checked entry, the entry Python uses, the
    goto_tb patch sites and far stubs (host addresses)."""

    __slots__ = ("entry", "far", "nocheck", "sites")

    def __init__(self, entry: int, out: Lowered) -> None:
        self.entry = entry
        self.nocheck = entry + out.nocheck
        self.sites: list[int | None] = [None if s is None else entry + s for s in out.goto_tb]
        self.far: list[int | None] = [None if s is None else entry + s for s in out.far]


class PhaseTimes:
    """Seconds ``compile_tb`` spent allocating registers and lowering (the host's
    ``time_phases``): float fields, added to natively per TB."""

    __slots__ = ("allocate", "lower")

    def __init__(self) -> None:
        self.allocate = 0.0
        self.lower = 0.0


class CompileEnv:
    """What ``compile_tb`` reads of its host for every TB, gathered when the host's
    runtime is fixed (``NativeHost.bind_runtime``): the fields of a compiled record,
    read natively, where each attribute of the interpreted host would be a generic
    lookup (a dozen per TB)."""

    __slots__ = ("allocator", "clock", "flush_icache", "helper_addr", "icache_coherent",
                 "lock", "lower", "rt", "tbs", "times")  # fmt: skip

    def __init__(self, host: Any, rt: Runtime) -> None:
        self.tbs: list[Any] = host._tbs  # TB ids: indices here
        self.lock: Any = host._tb_id_lock  # vCPUs translate concurrently
        self.allocator: Any = host.allocator
        self.lower: Callable[..., Lowered] = host.lower_call
        self.rt = rt
        self.helper_addr: Callable[[Op], int] = host.helper_addr
        self.times: PhaseTimes = host.phase_times  # the host's, added to in place
        self.clock: Callable[[], float] = perf_counter  # a field: a global is a dict lookup
        self.icache_coherent: bool = host.icache_coherent
        self.flush_icache: Callable[[int, int], None] = host.flush_icache


def compile_tb(env: CompileEnv, ctx: TCGContext, tb: TB,
               alloc: Callable[[int], tuple[Region, int]]) -> None:  # fmt: skip
    """``NativeHost.compile``: ``ctx``'s optimized IR as ``tb``'s machine code, in the
    region ``alloc`` hands out."""
    tbs = env.tbs
    lock = env.lock  # (acquire/release: ``with`` is two generic attribute reads more)
    lock.acquire()
    try:
        tb_id = len(tbs)
        tbs.append(tb)
    finally:
        lock.release()
    clock = env.clock
    t0 = clock()
    reg_of = ctx.alloc_reg_of
    ctx.alloc_reg_of = []  # taken: an allocation that fails leaves no half-used list
    allocation = allocate(ctx.ops, env.allocator, ctx.n_index, ctx.mem_writes_globals, reg_of)
    ctx.alloc_reg_of = reg_of
    t1 = clock()
    out: Lowered = env.lower(allocation, tb_id, tb.icount, env.rt, env.helper_addr)
    times = env.times
    times.allocate += t1 - t0
    times.lower += clock() - t1
    code = out.code
    n = len(code)
    region, addr = alloc(n)
    region.write(addr, code)
    if not env.icache_coherent:
        env.flush_icache(addr, n)
    tb.host = NativeCode(addr, out)
    tb.host_size = n
    tb.region = region.index


def patch_site(host: Any, site: int, target: int | None) -> None:
    """Make the goto_tb ``site`` jump to ``target`` (None: fall through to its exit):
    a rel32 computed here where the host's sites are one (``goto_tb_rel32``), else
    the host's ``goto_tb_word``; written through the code buffer's view."""
    if host.goto_tb_rel32:
        word = 0 if target is None else target - (site + 4)
    else:
        word = host.goto_tb_word(site, target)
    host._buffer.write(site, (word & 0xFFFFFFFF).to_bytes(4, "little"))
    if not host.icache_coherent:
        host.flush_icache(site, 4)


def link_tb(host: Any, tb: TB, slot: int, dest: TB) -> None:
    """``NativeHost.link``: goto_tb ``slot`` of ``tb`` jumps straight to ``dest`` (through
    the slot's far stub where ``dest`` is out of the host's direct reach)."""
    code: NativeCode = tb.host
    site = code.sites[slot]
    if site is None:
        return
    dest_code: NativeCode = dest.host
    target = dest_code.entry
    reach: int | None = host.branch_range
    if reach is not None and not -reach <= target - site < reach:
        far = code.far[slot]
        assert far is not None, "a site beyond the branch's reach has a far stub"
        host.write_code(far + host.far_literal, target.to_bytes(8, "little"))
        target = far
    patch_site(host, site, target)
    dests = tb.jmp_dest
    assert dests is not None
    dests[slot] = dest


def unlink_tb(host: Any, tb: TB, slot: int) -> None:
    """``NativeHost.unlink``: goto_tb ``slot`` of ``tb`` falls through to its exit again."""
    code: NativeCode | None = tb.host
    site = code.sites[slot] if code is not None else None
    if site is not None:
        patch_site(host, site, None)
    dests = tb.jmp_dest
    assert dests is not None
    dests[slot] = None
