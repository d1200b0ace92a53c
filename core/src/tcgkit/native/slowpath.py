"""The calls generated code makes into Python for the slow path of a guest access
(a TLB miss, a page whose accesses are hooked, MMIO) and for an atomic
compare-and-swap or fetch-and-op it cannot do inline: what ``NativeHost`` hands
ctypes as callbacks. Compiled by mypyc with the translator (``hatch_build``): a
memory hook's harness comes through here on every hooked access (interpreted,
this glue was a quarter of such an access).

Owns ``SlowPath``. It reads the host's tables, shared with ``NativeHost`` (each
vCPU with its native block's control words, by state address: ``vcpus``, which
the host fills in ``attach`` and clears in ``release``; the TB table by id), and
writes only the native block's return word, the target's float-flags word (through
the host's ``fold``), the vCPU's ``native_where`` while it runs (the
TB and instruction that called: ``Engine.current_insn``) and, when it raises, the
calling thread's ``pending``/``pending_where`` (the host re-raises that once
generated code has returned).
"""

from __future__ import annotations

from collections.abc import Callable, MutableSequence
from typing import TYPE_CHECKING, Any, Final

from ..exec.atomic import FETCH_SHIFT, PAIR_FLAG, cmpxchg, cmpxchg_pair_at, fetch_op
from . import layout as L

if TYPE_CHECKING:
    from ..exec.cpu import CPU
    from ..exec.tb import TB

M64: Final = 0xFFFFFFFFFFFFFFFF
#: the return word's index in a native block's control words
_RET: Final = (L.OFF_RET + L.CONTROL_SIZE) // 8
_STORE: Final = L.STORE_FLAG


class SlowPath:
    """The slow-path callbacks of one host backend (see the module docstring)."""

    def __init__(self, tbs: list[TB], thread: Any) -> None:
        #: state address -> the vCPU and its native block's control words (a memoryview:
        #: one typed lookup per call rather than two dicts and a ctypes array)
        self.vcpus: dict[int, tuple[CPU, MutableSequence[int]]] = {}
        self.tbs = tbs
        self.thread = thread
        #: the host's ``fold_fp_flags`` by state address, for a host that keeps float
        #: flags in generated code (None: it keeps none): a memory hook sees FPSR whole
        self.fold: Callable[[CPU, int], None] | None = None

    def where(self, word: int) -> tuple[TB, int] | None:
        """The TB and instruction index an exit or callback word names."""
        tb_id = word >> 16
        if tb_id >= len(self.tbs):
            return None
        return self.tbs[tb_id], word & 0xFFFF

    def mem(self, state: int, addr: int, value: int, memop: int, where: int) -> int:
        """A load or store that missed the fast path; 0, or 1 when it raised."""
        cpu: CPU | None = None
        w: tuple[TB, int] | None = None
        try:
            cpu, control = self.vcpus[state]
            w = cpu.native_where = self.where(where)
            fold = self.fold
            if fold is not None:
                fold(cpu, state)
            if memop & _STORE:
                cpu.tlb.store(addr, value, memop & 0xFF)
            else:
                r = cpu.tlb.load(addr, memop)  # sign-extended: negative for some
                control[_RET] = r if r >= 0 else r & M64
            return 0
        except BaseException as e:
            t = self.thread
            t.pending, t.pending_where = e, w
            return 1
        finally:
            if cpu is not None:
                cpu.native_where = None

    def cmpxchg(self, state: int, addr: int, expected: int, new: int, memop: int,
                where: int) -> int:  # fmt: skip
        """A compare-and-swap (or, with a FETCH_SHIFT code, a fetch-and-op; with
        PAIR_FLAG, the 16-byte one of ``cmpxchg_pair_at``, ``expected`` the address
        of its operands) done here."""
        cpu: CPU | None = None
        w: tuple[TB, int] | None = None
        try:
            cpu, control = self.vcpus[state]
            w = cpu.native_where = self.where(where)
            fetch = memop >> FETCH_SHIFT
            if memop & PAIR_FLAG:
                old = cmpxchg_pair_at(cpu, addr, expected)
            elif fetch:
                old = fetch_op(cpu, addr, new, memop & 3, fetch - 1)
            else:
                old = cmpxchg(cpu, addr, expected, new, memop & 3)
            control[_RET] = old & M64
            return 0
        except BaseException as e:
            t = self.thread
            t.pending, t.pending_where = e, w
            return 1
        finally:
            if cpu is not None:
                cpu.native_where = None
