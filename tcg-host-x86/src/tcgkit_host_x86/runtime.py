"""Native memory and entry points shared by generated code and Python.

Owns ``NativeCPU`` (one vCPU's native block: control words, TLB and jump
cache in front of the CPU state, see ``abi``), ``ExecPage`` (a small
executable mapping holding the prologue that Python calls), and ``TLBMirror``
(the native copy of the core's software TLB that the inline fast path reads).

Everything here is freed explicitly by ``release()``: the native blocks are
ctypes buffers dropped by their owner, the exec page is munmapped.
"""

from __future__ import annotations

import ctypes
import mmap

from tcgkit.tcg.region import _libc, _map

from . import abi
from .encoder import RBP, RDI, RSI, RSP, Asm

_REGS = {"rbp": RBP, "rbx": 3, "r12": 12, "r13": 13, "r14": 14, "r15": 15}
ENTRY = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p)


class NativeCPU:
    """One vCPU's native block; ``state`` is the CPU state generated code sees at rbp."""

    def __init__(self, nslots: int) -> None:
        size = abi.NATIVE_SIZE + nslots * 8
        self._buf = ctypes.create_string_buffer(size + 64)
        base = (ctypes.addressof(self._buf) + 63) & ~63
        self.state_addr = base + abi.NATIVE_SIZE
        self.state = (ctypes.c_uint64 * nslots).from_address(self.state_addr)
        self.control = (ctypes.c_uint64 * (abi.CONTROL_SIZE // 8)).from_address(
            self.state_addr - abi.CONTROL_SIZE
        )
        # the MXCSR images of the four rounding modes
        mx = (ctypes.c_uint32 * 4).from_address(self.state_addr + abi.OFF_MXCSR)
        for i, v in enumerate(abi.MXCSR_BY_RM):
            mx[i] = v
        self.tlb = (ctypes.c_uint64 * (abi.TLB_SIZE * 4)).from_address(
            self.state_addr + abi.OFF_TLB
        )
        self.jc = (ctypes.c_uint64 * (abi.JC_SIZE * 4)).from_address(self.state_addr + abi.OFF_JC)
        self.tlb_clear()
        self.jc_clear()
        self.set_until(None)

    def word(self, off: int) -> int:
        return self.control[(off + abi.CONTROL_SIZE) // 8]

    def set_word(self, off: int, value: int) -> None:
        self.control[(off + abi.CONTROL_SIZE) // 8] = value & 0xFFFFFFFFFFFFFFFF

    def set_until(self, until: int | None) -> None:
        # a pc no guest can reach when there is no `until`: the probe then never matches
        self.set_word(abi.OFF_UNTIL, abi.INVALID_TAG if until is None else until)

    def tlb_clear(self) -> None:
        ctypes.memset(ctypes.addressof(self.tlb), 0xFF, ctypes.sizeof(self.tlb))

    def jc_clear(self) -> None:
        ctypes.memset(ctypes.addressof(self.jc), 0xFF, ctypes.sizeof(self.jc))

    def jc_set(self, index: int, pc: int, key: int, code: int) -> None:
        j = self.jc
        i = index * 4
        j[i + 2] = code
        j[i + 1] = key
        j[i] = pc

    def jc_drop(self, index: int, code: int) -> None:
        """Forget entry ``index`` if it enters ``code`` (a TB is only ever cached at
        the index of its pc)."""
        if self.jc[index * 4 + 2] == code:
            self.jc[index * 4] = abi.INVALID_TAG

    def release(self) -> None:
        self._buf = None  # type: ignore[assignment]


class TLBMirror:
    """The native TLB the inline fast path reads, kept equal to the core's SoftTLB."""

    def __init__(self, native: NativeCPU) -> None:
        self.native = native

    def set(self, index: int, read_tag: int, write_tag: int, addend: int) -> None:
        t = self.native.tlb
        i = index * 4
        t[i] = read_tag & 0xFFFFFFFFFFFFFFFF
        t[i + 1] = write_tag & 0xFFFFFFFFFFFFFFFF
        t[i + 2] = addend & 0xFFFFFFFFFFFFFFFF

    def invalidate(self, index: int) -> None:
        t = self.native.tlb
        t[index * 4] = t[index * 4 + 1] = abi.INVALID_TAG

    def clear(self) -> None:
        self.native.tlb_clear()


class ExecPage:
    """An executable page with the prologue: ``entry(state, code) -> exit word``."""

    def __init__(self) -> None:
        a = Asm()
        for r in abi.SAVED:
            a.push(_REGS[r])
        a.alu_ri(5, RSP, abi.FRAME)  # sub rsp, FRAME
        a.mov_rr(RBP, RDI)
        a.jmp_r(RSI)
        code = bytes(a.buf)
        self.size = mmap.PAGESIZE
        self.addr = _map(self.size, mmap.PROT_READ | mmap.PROT_WRITE)
        ctypes.memmove(self.addr, code, len(code))
        if _libc.mprotect(self.addr, self.size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            _libc.munmap(self.addr, self.size)
            raise OSError(ctypes.get_errno(), "mprotect of the prologue page failed")
        self.entry = ENTRY(self.addr)
        self.code = code

    def release(self) -> None:
        if self.addr:
            _libc.munmap(self.addr, self.size)
            self.addr = 0
