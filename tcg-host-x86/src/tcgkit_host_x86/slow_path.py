"""The x86-64 host's shared slow path of guest loads and stores: two routines that
every TB's ``qemu_ld`` / ``qemu_st`` call when the inline TLB probe misses.

Owns ``routines(slow_mem, slow_load)``: the code of ``load`` and ``store``, placed once per
backend in a page of their own by ``NativeHost`` (``slow_path_routines``); the
stubs that call them are ``lower_mem``'s. A TB's stub is then about 45 bytes
instead of the 150 of a stub holding the whole slow path (the second-level
refill and the saved call into Python), and the lowering emits a few
instructions per access instead of four dozen.

The protocol, from a stub in a TB (rsp 16-byte aligned, as everywhere in a
TB's body; r10 and r11 are scratch, as after every inline probe):

    push addr                   ; the guest address's register
    push value                  ; (store) the value's register
    mov  r11, memop << 48 | where
    mov  r10, routine ; call r10
    cmp  r11d, 1 ; ja access ; je raised
    mov  d, r10                 ; (load) the value read
    jmp  back

A routine returns with ``ret 8`` (load) or ``ret 16`` (store), popping what the
stub pushed, every register but r10 and r11 as it was, and in r11d:

* 2, a second-level hit: the first-level entry was refilled from the second
  level (``OFF_L2``, the same entry ``SoftTLB.fill`` would make now) and counted
  in ``OFF_REFILLS``; r10 holds its addend, and the stub goes back to the
  access (``[addr + r10]``), as the inline probe's hit does;
* 0, done in Python (a miss of both levels, MMIO, a hooked or watched page) by
  ``slow_mem(state, addr, value, memop, where)`` (a store) or ``slow_load(state,
  addr, memop << 48 | where)`` (a load, with ``NO_FLAGS`` set when the float flags
  image holds none: ``SlowPath.load``): r10 holds the value read;
* 2 from ``slow_load`` too: its memory hooks have run and the page is RAM that
  generated code may read (reads of it are hooked, so the probe misses): r10 holds
  the page's addend, and the stub goes back to the access as on a refill;
* 1, the call raised (a fault): the stub exits through the TB's ``raised``
  exit, and the core re-raises the pending exception at ``where``.

The routines recompute what the inline probe left in r10/r11 (the first-level
entry offset and the compared key) from the address and the memop's size and
alignment bits, so that the stub can pass its operands there. ``where`` below
2**48 holds for every TB id below 2**32; a larger one keeps the whole slow path
in its stub (``lower_mem``).
"""

from __future__ import annotations

from typing import Final

from tcgkit.native.layout import LOAD_MEMOP_SHIFT, LOAD_NO_FLAGS
from tcgkit.tcg.types import MemOp

from . import abi, mxcsr
from .encoder import (
    ADD,
    AND,
    CC_B,
    CC_NE,
    CMP,
    OR,
    R8,
    R10,
    R11,
    RAX,
    RBP,
    RCX,
    RDI,
    RDX,
    RSI,
    RSP,
    SHL,
    SHR,
    SUB,
    Asm,
    Label,
    Mem,
)

MEMOP_SHIFT: Final = LOAD_MEMOP_SHIFT  # r11 = memop << 48 | where
WHERE_LIMIT: Final = 1 << MEMOP_SHIFT
#: the bit of ``slow_load``'s word set when MXCSR's image holds no flag: Python then
#: has none to fold and need not read the image (``SlowPath.load``)
NO_FLAGS_BIT: Final = LOAD_NO_FLAGS.bit_length() - 1
#: the call-clobbered registers a routine saves around ``slow_mem`` (r9 by number)
_SAVED: Final = (RAX, RCX, RDX, RSI, RDI, R8, 9)
_ALIGN_BIT: Final = int(MemOp.MO_ALIGN).bit_length() - 1
_PAGE_MASK: Final = -4096


class SlowPathRoutines:
    """The code of the two routines and their offsets in it."""

    __slots__ = ("code", "load", "store")

    def __init__(self, code: bytes, load: int, store: int) -> None:
        self.code = code
        self.load = load
        self.store = store


def routines(slow_mem: int, slow_load: int) -> SlowPathRoutines:
    """``load`` calling ``slow_load`` and ``store`` calling ``slow_mem`` (the backend's
    ctypes callbacks)."""
    a = Asm()
    load = a.pos
    _routine(a, slow_load, store=False)
    a.align(16)
    store = a.pos
    _routine(a, slow_mem, store=True)
    return SlowPathRoutines(a.code(), load, store)


def _routine(a: Asm, callback: int, store: bool) -> None:
    args = 16 if store else 8  # what the stub pushed: the address (and the value)
    tag = abi.TLB_TAG_WRITE if store else abi.TLB_TAG_READ
    miss, aligned, keyed = Label(), Label(), Label()
    # -- the second level: rax, rcx saved (no call here: rsp's alignment is free)
    a.push(RAX)
    a.push(RCX)
    a.load(RAX, Mem(RSP, 16 + args), 8)  # the address: [rsp] rcx, rax, return, args
    a.mov_rr(RCX, R11)
    a.shift_ri(SHR, RCX, MEMOP_SHIFT)
    a.alu_ri(AND, RCX, int(MemOp.MO_SIZE), False)
    a.mov_ri(R10, 1, False)
    a.shift_cl(SHL, R10)  # the access's size
    a.alu_ri(SUB, R10, 1)
    a.bt_ri(R11, MEMOP_SHIFT + _ALIGN_BIT)
    a.jcc(CC_B, aligned)
    a.alu_rr(ADD, R10, RAX)  # the key of the inline probe: (addr + size - 1) & PAGE_MASK
    a.alu_ri(AND, R10, _PAGE_MASK)
    a.jmp(keyed)
    a.bind(aligned)  # or addr & (PAGE_MASK | size - 1): misaligned never matches
    a.alu_ri(OR, R10, _PAGE_MASK)
    a.alu_rr(AND, R10, RAX)
    a.bind(keyed)
    a.mov_rr(RCX, RAX)
    a.shift_ri(SHR, RCX, 12 - 5)
    a.alu_ri(AND, RCX, (abi.L2_SIZE - 1) << 5, False)
    a.alu_rm(CMP, R10, Mem(RBP, abi.OFF_L2 + tag, RCX))
    a.jcc(CC_NE, miss)
    a.shift_ri(SHR, RAX, 12 - 5)  # a hit: the entry into the first level
    a.alu_ri(AND, RAX, (abi.TLB_SIZE - 1) << 5, False)
    for word in (abi.TLB_TAG_READ, abi.TLB_TAG_WRITE, abi.TLB_ADDEND):
        a.load(R10, Mem(RBP, abi.OFF_L2 + word, RCX), 8)
        a.store(Mem(RBP, abi.OFF_TLB + word, RAX), R10, 8)
    a.alu_mi(ADD, Mem(RBP, abi.OFF_REFILLS), 1)
    a.mov_ri(R11, 2, False)
    a.pop(RCX)
    a.pop(RAX)
    a.ret_pop(args)
    # -- both levels missed: slow_mem(state, addr, value, memop, where) or
    # slow_load(state, addr, memop << 48 | where) in Python
    a.bind(miss)
    a.pop(RCX)
    a.pop(RAX)
    for r in _SAVED:
        a.push(r)
    # rsp at the call: the stub's pushes, the return address and these pushes
    pad = (args + 8 + 8 * len(_SAVED)) % 16
    if pad:
        a.alu_ri(SUB, RSP, pad)
    base = 8 * len(_SAVED) + pad + 8  # [rsp + base]: what the stub pushed
    mxcsr.save(a)  # the float flags so far, for Python to fold (``mxcsr``)
    if store:
        a.load(RSI, Mem(RSP, base + 8), 8)
        a.load(RDX, Mem(RSP, base), 8)
        a.mov_rr(RCX, R11)
        a.shift_ri(SHR, RCX, MEMOP_SHIFT)
        a.mov_rr(R8, R11)
        a.shift_ri(SHL, R8, 64 - MEMOP_SHIFT)
        a.shift_ri(SHR, R8, 64 - MEMOP_SHIFT)
    else:
        flags = Label()
        a.load(RSI, Mem(RSP, base), 8)
        a.mov_rr(RDX, R11)
        a.load(RCX, Mem(RBP, abi.OFF_FP_SAVE), 4)
        a.alu_ri(AND, RCX, mxcsr.FLAG_MASK, False)
        a.jcc(CC_NE, flags)
        a.bt_ri(RDX, NO_FLAGS_BIT, digit=5)  # bts
        a.bind(flags)
    a.mov_rr(RDI, RBP)
    a.mov_ri(RAX, callback)
    a.call_r(RAX)
    mxcsr.reload(a)
    a.movzx_rr(R11, RAX, 4)
    a.load(R10, Mem(RBP, abi.OFF_RET), 8)
    if pad:
        a.alu_ri(ADD, RSP, pad)
    for r in reversed(_SAVED):
        a.pop(r)
    a.ret_pop(args)
