"""The calls generated code makes into Python for the slow path of a guest access
(a TLB miss, a page whose accesses are hooked, MMIO) and for an atomic
compare-and-swap or fetch-and-op it cannot do inline: what ``NativeHost`` hands
ctypes as callbacks. Compiled by mypyc with the translator (``hatch_build``): a
memory hook's harness comes through here on every hooked access (interpreted,
this glue was a quarter of such an access).

Owns ``SlowPath``. It reads the host's tables, shared with ``NativeHost`` (each
vCPU with its native block's control and float-flag words, by state address:
``vcpus``, which the host fills through ``attach`` and empties through ``clear`` at
release; the TB table by id), and
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
_MEMOP_SHIFT: Final = L.LOAD_MEMOP_SHIFT
_MEMOP_MASK: Final = (1 << (L.LOAD_NO_FLAGS.bit_length() - 1 - _MEMOP_SHIFT)) - 1
_WHERE_MASK: Final = (1 << _MEMOP_SHIFT) - 1
_NO_FLAGS: Final = L.LOAD_NO_FLAGS
_PC_SET: Final = L.LOAD_PC_SET


class SlowPath:
    """The slow-path callbacks of one host backend (see the module docstring)."""

    def __init__(self, tbs: list[TB], thread: Any) -> None:
        #: state address -> the vCPU, its native block's control words and its float-flag
        #: words (memoryviews: one typed lookup per call rather than two dicts and a
        #: ctypes array)
        self.vcpus: dict[int, tuple[CPU, MutableSequence[int], MutableSequence[int]]] = {}
        #: the state address last looked up with its entry (the calls come from one vCPU
        #: mostly: a comparison rather than a dictionary lookup of a large integer)
        self.last: tuple[int, CPU, MutableSequence[int], MutableSequence[int]] | None = None
        self.tbs = tbs
        self.thread = thread
        #: the host's ``fold_fp_flags`` by state address, for a host that keeps float
        #: flags in generated code (None: it keeps none): a memory hook sees FPSR whole.
        #: Called only when the image's flag bits (``fold_mask``) hold some: most
        #: accesses have nothing to fold, and the test here spares them a Python call
        self.fold: Callable[[CPU, int], None] | None = None
        self.fold_mask = 0

    def attach(self, state: int, cpu: CPU, control: MutableSequence[int],
               fp: MutableSequence[int]) -> None:  # fmt: skip
        """A vCPU with its block's control and float-flag words, by state address."""
        self.vcpus[state] = (cpu, control, fp)
        self.last = None

    def clear(self) -> None:
        """Every vCPU released."""
        self.vcpus.clear()
        self.last = None

    def vcpu(self, state: int) -> tuple[int, CPU, MutableSequence[int], MutableSequence[int]]:
        """``state`` with its vCPU, control words and float-flag words."""
        last = self.last
        if last is not None and last[0] == state:
            return last
        cpu, control, fp = self.vcpus[state]
        self.last = last = (state, cpu, control, fp)
        return last

    def where(self, word: int) -> tuple[TB, int] | None:
        """The TB and instruction index an exit or callback word names."""
        tb_id = word >> 16
        if tb_id >= len(self.tbs):
            return None
        return self.tbs[tb_id], word & 0xFFFF

    def mem(self, state: int, addr: int, value: int, memop: int, where: int) -> int:
        """A load or store that missed the fast path; 0, or 1 when it raised."""
        return self._access(state, addr, value, memop, where, False)

    def load(self, state: int, addr: int, word: int) -> int:
        """A load from a host's shared slow path, ``word`` its memop << LOAD_MEMOP_SHIFT
        | where, with LOAD_NO_FLAGS when the float-flag image holds none and LOAD_PC_SET
        when the pc is the instruction's: 0, the value in the return word; 2, the page's
        addend there instead, its memory hooks run (generated code reads the page
        itself, ``SoftTLB.load_native``); 1, it raised."""
        return self._access(state, addr, 0, word >> _MEMOP_SHIFT & _MEMOP_MASK,
                            word & _WHERE_MASK, True, bool(word & _NO_FLAGS),
                            bool(word & _PC_SET))  # fmt: skip

    def _access(self, state: int, addr: int, value: int, memop: int, where: int,
                native: bool, no_flags: bool = False, pc_set: bool = False) -> int:  # fmt: skip
        cpu: CPU | None = None
        w: tuple[TB, int] | None = None
        try:
            _, cpu, control, fp = self.vcpu(state)
            w = cpu.native_where = self.where(where)
            if not no_flags and fp[0] & self.fold_mask:
                self.fold(cpu, state)  # type: ignore[misc]  # a mask is set with ``fold``
            if memop & _STORE:
                cpu.tlb.store(addr, value, memop & 0xFF)
                return 0
            if native:
                served, r = cpu.tlb.load_native(addr, memop, pc_set)
            else:
                served, r = False, cpu.tlb.load(addr, memop)  # sign-extended: negative for some
            control[_RET] = r if r >= 0 else r & M64
            return 2 if served else 0
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
            _, cpu, control, _ = self.vcpu(state)
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
