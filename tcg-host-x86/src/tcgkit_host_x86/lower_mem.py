"""Guest loads and stores: the inline softmmu TLB fast path and its slow path.

Owns ``qemu_ld`` / ``qemu_st``, ``atomic_cmpxchg`` (the same probe for a
write, aligned, then ``lock cmpxchg`` on the host address; its slow path calls
``slow_cmpxchg``) and ``atomic_fetch`` (that probe, then ``xchg``, ``lock xadd``
or a ``lock cmpxchg`` loop; the same slow path with the operation in its
memop) and ``atomic_cmpxchg2`` (the probe of a 16-byte access, 16-byte aligned,
then ``lock cmpxchg16b``; the same slow path with ``PAIR_FLAG`` and its operands
on the stack). The fast path (QEMU's tcg_out_tlb_load):

    r10 <- (addr >> 7) & (TLB_MASK << 5)           entry offset
    r11 <- (addr + size - 1) & PAGE_MASK            (addr & (PAGE_MASK | size-1) if aligned)
    cmp r11, [rbp + r10 + TLB + tag] ; jne slow     a page-crossing or misaligned access misses
    r10 <- [rbp + r10 + TLB + addend]
    load/store [addr + r10], with the size, sign and byte order of the memop

The slow path is out of line: a stub per access that calls the host's shared
routines (``slow_path``: the second-level refill, else the backend's ``slow_mem``
callback, saving every call-clobbered register so that the allocator need not
spill around guest accesses), tests the status and jumps back. Loads and stores
record their stub's operands as they are lowered (``_slow_path_later``) and
``place_slow_paths`` writes the stubs after the body from a memoized template; the
atomics' stubs hold the whole slow path (the second-level refill, then the saved
call of ``slow_cmpxchg``). A load's stub stores its instruction's pc first, and goes
back to the access also when Python has run the memory hooks of a RAM page whose
reads are hooked (the routine's status 2, the page's addend in r10): the read itself
stays native.
"""

from __future__ import annotations

import functools
from typing import Final

from tcgkit.exec.atomic import FETCH_SHIFT, PAIR_FLAG
from tcgkit.native.layout import LOAD_PC_SET
from tcgkit.tcg.ir import Op
from tcgkit.tcg.regalloc import Const
from tcgkit.tcg.types import AtomicOp, MemOp

from . import abi
from .encoder import (
    ADD,
    AND,
    CC_A,
    CC_B,
    CC_E,
    CC_G,
    CC_L,
    CC_NE,
    CMP,
    OR,
    R8,
    R9,
    RAX,
    RBP,
    RBX,
    RCX,
    RDI,
    RDX,
    RSI,
    RSP,
    SHR,
    XOR,
    Asm,
    Label,
    Mem,
    put_rel32,
    put_u64,
)
from .lower import (
    PAGE_MASK_IMM,
    SAVE_ON_SLOW_PATH,
    STORE_FLAG,
    TMP0,
    TMP1,
    Lowering,
    LoweringError,
    call_and_restore,
    save_for_call,
)
from .slow_path import MEMOP_SHIFT, WHERE_LIMIT

# plain ints: arithmetic on MemOp (an IntFlag) costs a Python call per use
MO_SIZE: Final = int(MemOp.MO_SIZE)
MO_SIGN: Final = int(MemOp.MO_SIGN)
MO_BE: Final = int(MemOp.MO_BE)
MO_ALIGN: Final = int(MemOp.MO_ALIGN)


def _probe(L: Lowering, addr: int, memop: int, tag: int) -> int:
    """The TLB probe of ``tag`` (``TLB_TAG_READ`` or ``_WRITE``) up to and including
    the addend's load: returns the offset of its ``jne slow``'s rel32 (zero until
    the slow path is placed). Memoized by one int key (CPython's lru_cache keys a
    lone int by itself: no tuple to build and hash per access)."""
    buf = L.a.buf
    buf.write(_probe_code(addr | memop << 4 | tag << 24))
    return len(buf) - _ADDEND_LEN - 4


@functools.lru_cache(maxsize=4096)
def _probe_code(key: int) -> bytes:
    """``_probe``'s code for ``key`` = addr | memop << 4 | tag << 24 (a pure function of
    its operands). A ``memop`` with ``PAIR_FLAG`` probes a 16-byte access."""
    addr, memop, tag = key & 15, key >> 4 & 0xFFFFF, key >> 24
    a = Asm()
    size = 16 if memop & PAIR_FLAG else 1 << (memop & MO_SIZE)
    a.mov_rr(TMP0, addr)
    a.shift_ri(SHR, TMP0, 12 - 5)
    a.alu_ri(AND, TMP0, (abi.TLB_SIZE - 1) << 5, False)
    if memop & MO_ALIGN or size == 1:
        a.mov_rr(TMP1, addr)
        mask = PAGE_MASK_IMM | (size - 1 if memop & MO_ALIGN else 0)
    else:
        a.lea(TMP1, Mem(addr, size - 1))
        mask = PAGE_MASK_IMM
    a.alu_ri(AND, TMP1, mask)
    a.alu_rm(CMP, TMP1, Mem(RBP, abi.OFF_TLB + tag, TMP0))
    a.jcc(CC_NE, Label())  # rel32 0: patched when the slow path is placed
    a.load(TMP0, Mem(RBP, abi.OFF_TLB + abi.TLB_ADDEND, TMP0), 8)  # r10 <- the addend
    return a.seq()


def _addend_len() -> int:
    a = Asm()
    a.load(TMP0, Mem(RBP, abi.OFF_TLB + abi.TLB_ADDEND, TMP0), 8)
    return len(a.buf)


_ADDEND_LEN: Final = _addend_len()  # bytes of the probe's last instruction, after its jne


def _probed(L: Lowering, addr: int, memop: int, tag: int) -> tuple[Label, Label, Label, int]:
    """The start of an atomic access: its slow-path, access and return labels and its
    instruction (the stub is emitted after the body: ``where`` is read now), the TLB
    probe of ``tag`` jumping to the slow path, and the access label bound after it."""
    slow, access, back = Label(), Label(), Label()
    where = L.where()
    slow.refs.append(_probe(L, addr, memop, tag))
    L.a.bind(access)
    return slow, access, back, where


def _l2_refill(L: Lowering, addr: int, tag: int, access: Label) -> None:
    """The slow path's first part: probe the TLB's second level with the key the
    inline probe left in r11 (its first-level entry offset is still in r10); on a hit,
    copy the entry into the first level, count the refill and go back to the access
    with the addend in r10; on a miss, fall through to the call into Python."""
    a = L.a
    miss = Label()
    a.buf.write(_l2_probe_code(addr, tag))
    a.jcc(CC_NE, miss)
    a.buf.write(_L2_COPY)
    a.jmp(access)
    a.bind(miss)
    a.buf.write(_POP_RAX)


@functools.lru_cache(maxsize=1024)
def _l2_probe_code(addr: int, tag: int) -> bytes:
    """rax <- the second-level entry offset of ``addr``'s page (rax saved first), then
    compare its tag with the key in r11 (memoized: a function of its operands)."""
    a = Asm()
    a.push(RAX)
    a.mov_rr(RAX, addr)
    a.shift_ri(SHR, RAX, 12 - 5)
    a.alu_ri(AND, RAX, (abi.L2_SIZE - 1) << 5, False)
    a.alu_rm(CMP, TMP1, Mem(RBP, abi.OFF_L2 + tag, RAX))
    return a.seq()


def _l2_copy() -> bytes:
    a = Asm()
    for word in (abi.TLB_TAG_READ, abi.TLB_TAG_WRITE, abi.TLB_ADDEND):
        a.load(TMP1, Mem(RBP, abi.OFF_L2 + word, RAX), 8)
        a.store(Mem(RBP, abi.OFF_TLB + word, TMP0), TMP1, 8)
    a.pop(RAX)
    a.mov_rr(TMP0, TMP1)  # the addend, where the access expects it
    a.alu_mi(ADD, Mem(RBP, abi.OFF_REFILLS), 1)
    return a.seq()


def _pop_rax() -> bytes:
    a = Asm()
    a.pop(RAX)
    return a.seq()


_L2_COPY: Final = _l2_copy()  # a second-level hit: the entry into the first level, r10 = addend
_POP_RAX: Final = _pop_rax()


def _check(op: Op, w: bool) -> int:
    memop = int(op.consts[0])
    size = 1 << (memop & MO_SIZE)
    if size * 8 > (64 if w else 32):
        raise LoweringError(f"{op!r}: a {size}-byte access does not fit the value")
    return memop


def qemu_ld(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    memop = _check(op, w)
    addr, d = ins[0], outs[0]
    if isinstance(addr, Const):
        raise LoweringError(f"{op!r}: the address must be in a register")
    where = L.where()
    jne = _probe(L, addr, memop, abi.TLB_TAG_READ)
    access = L.a.pos
    _load(L, d, Mem(addr, 0, TMP0), memop, w)
    _slow_path_later(L, jne, access, addr, -1, memop, where, d, L.insn_pc)


def _slow_path_later(L: Lowering, jne: int, access: int, addr: int, value: int, memop: int,
                     where: int, d: int, pc: int = -1) -> None:  # fmt: skip
    """Record a load's or store's slow path (``value`` -1 for a load, ``d`` -1 for a
    store) for ``place_slow_paths``: its probe's ``jne`` rel32 offset, the access to
    go back to after a second-level refill, the register operands, the memop, the
    instruction and its guest ``pc`` (a load's, -1: not known), and where the
    access's code ends (``back``, the position now). A plain record, not a closure
    and labels: every guest access has one."""
    L.mem_stubs.append((jne, access, L.a.pos, addr, value, memop, where, d, pc))


def place_slow_paths(L: Lowering) -> None:
    """Emit the slow paths ``qemu_ld`` / ``qemu_st`` recorded, after the TB's body: per
    access, the call of the host's shared routine (``slow_path``; ``_stub_code``) with
    its immediates and rel32s written in place. A load's stub stores its
    instruction's pc in the state first, where the runtime knows the pc's offset
    (``LOAD_PC_SET``: the memory hooks the routine calls need not sync it; storing
    the current instruction's pc inside a TB is what a hook's pc sync does)."""
    a = L.a
    buf = a.buf
    rt = L.rt
    pc_offset = rt.pc_offset
    mem_store, mem_load = rt.mem_store, rt.mem_load  # (the runtime's: generic reads)
    raised_refs = L.raised.refs
    for jne, access, back, addr, value, memop, where, d, pc in L.mem_stubs:
        start = len(buf)
        store = value >= 0
        routine = mem_store if store else mem_load
        if not routine or where >= WHERE_LIMIT:  # tb ids fit the exit word's 28 bits
            raise LoweringError("the x86-64 host's shared slow path is not placed")
        word = (memop | STORE_FLAG if store else memop) << MEMOP_SHIFT | where
        key = addr << 10 | (value & 31) << 5 | (d & 31)
        sets_pc = not store and pc >= 0 and 0 <= pc_offset < 0x10000  # its key field
        if sets_pc:
            key |= 1 << 15 | pc_offset << 16
            word |= LOAD_PC_SET
        code, at = _stub_code(key | routine << _ROUTINE_SHIFT)
        at += start
        buf.write(code)
        if sets_pc:  # the pc's 8-byte immediate, after the mov's REX and opcode
            put_u64(buf, start + 2, pc)
        put_u64(buf, at, word)
        put_rel32(buf, jne, start)
        put_rel32(buf, at + _AT_JA, access)
        raised_refs.append(at + _AT_JE)  # the raised exit is placed after the stubs
        put_rel32(buf, len(buf) - 4, back)
    L.mem_stubs.clear()


#: from the stub's 8-byte immediate: its ``ja access`` rel32 and its ``je raised`` rel32
_AT_JA: Final = 8 + 10 + 3 + 4 + 2
_AT_JE: Final = _AT_JA + 4 + 2


#: ``_stub_code``'s key: the routine's address above the operands' bits
_ROUTINE_SHIFT: Final = 32


@functools.lru_cache(maxsize=1024)
def _stub_code(key: int) -> tuple[bytes, int]:
    """A stub's call of the shared routine for ``key`` = routine << _ROUTINE_SHIFT |
    pc_offset << 16 | sets_pc << 15 | addr << 10 | value << 5 | d (5-bit fields, -1 =
    none), with zeros where ``place_slow_paths`` writes the pc, the memop and where
    word and the three rel32s (``_AT_JA``, ``_AT_JE``, the last four bytes): (mov r10, <pc>;
    mov [rbp + pc_offset], r10;) push addr (, push value); mov r11, <memop, where>;
    mov r10, <routine>; call r10; cmp r11d, 1; ja access; je raised (; mov d, r10); jmp
    back. Returns the code and the offset of the memop and where word."""
    addr, value, d = key >> 10 & 31, key >> 5 & 31, key & 31
    a = Asm()
    if key >> 15 & 1:
        a.mov_ri_fixed(TMP0, 0, True)  # the pc: written at offset 2
        a.store(Mem(RBP, key >> 16 & 0xFFFF), TMP0, 8)
    a.push(addr)
    if value != 31:
        a.push(value)
    a.mov_ri_fixed(TMP1, 0, True)
    at = a.pos - 8
    a.mov_ri_fixed(TMP0, key >> _ROUTINE_SHIFT, True)
    a.call_r(TMP0)
    a.alu_ri(CMP, TMP1, 1, False)
    ja, je = Label(), Label()
    a.jcc(CC_A, ja)
    a.jcc(CC_E, je)
    if d != 31:
        a.mov_rr(d, TMP0)
    a.jmp(Label())
    code = a.seq()
    assert ja.refs == [at + _AT_JA] and je.refs == [at + _AT_JE]
    assert code[at + 8 : at + 10] == b"\x49\xba"
    return code, at


def _load(L: Lowering, d: int, m: Mem, memop: int, w: bool) -> None:
    a = L.a
    size = 1 << (memop & MO_SIZE)
    sign = bool(memop & MO_SIGN)
    be = bool(memop & MO_BE) and size > 1
    if not be:
        a.load(d, m, size, sign and (size < 4 or w), w)
        return
    if size == 2:
        a.load(d, m, 2)
        a.rol16_8(d)
        if sign:
            a.movsx_rr(d, d, 2, w)
        return
    if L.f.movbe:
        a.movbe_load(d, m, size == 8)
    else:
        a.load(d, m, size)
        a.bswap(d, size == 8)
    if size == 4 and sign and w:
        a.movsx_rr(d, d, 4)


def qemu_st(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    memop = _check(op, w) & ~MO_SIGN
    value, addr = ins[0], ins[1]
    if isinstance(addr, Const) or isinstance(value, Const):
        raise LoweringError(f"{op!r}: operands must be in registers")
    where = L.where()
    jne = _probe(L, addr, memop, abi.TLB_TAG_WRITE)
    access = L.a.pos
    _store(L, Mem(addr, 0, TMP0), value, memop)
    _slow_path_later(L, jne, access, addr, value, memop, where, -1)


def atomic_cmpxchg(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """out (rax) <- [addr], and [addr] <- new if that was ``expected`` (in rax): one
    atomic access, naturally aligned (a misaligned one takes the slow path)."""
    a = L.a
    memop = (int(op.consts[0]) & MO_SIZE) | MO_ALIGN
    size = 1 << (memop & MO_SIZE)
    addr, expected, new = ins
    if any(isinstance(x, Const) for x in ins) or expected != RAX or outs[0] != RAX:
        raise LoweringError(f"{op!r}: operands must be in registers, expected in rax")
    slow, access, back, where = _probed(L, addr, memop, abi.TLB_TAG_WRITE)
    a.lock_cmpxchg(Mem(addr, 0, TMP0), new, size)
    if size < 4:  # a failed compare loads only al / ax
        a.movzx_rr(RAX, RAX, size)
    a.bind(back)

    _cmpxchg_stub(L, addr, new, memop, slow, access, back, where)


#: AtomicOp -> the ALU op that makes the new value, or the condition (old against the
#: operand) under which the operand replaces the old value
_FETCH_ALU: Final = {int(AtomicOp.AND): AND, int(AtomicOp.OR): OR, int(AtomicOp.XOR): XOR}
_FETCH_CMOV: Final = {int(AtomicOp.SMAX): CC_L, int(AtomicOp.SMIN): CC_G,
                      int(AtomicOp.UMAX): CC_B, int(AtomicOp.UMIN): CC_A}  # fmt: skip


def atomic_fetch(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """out (rax) <- [addr], and [addr] <- aop(old, value) (value in rcx) as one atomic
    access, naturally aligned (a misaligned one takes the slow path): ``xchg`` for a
    swap, ``lock xadd`` for an addition, a ``lock cmpxchg`` loop for the others."""
    a = L.a
    memop = (int(op.consts[0]) & MO_SIZE) | MO_ALIGN
    aop = int(op.consts[2])
    size = 1 << (memop & MO_SIZE)
    addr, value = ins
    if any(isinstance(x, Const) for x in ins) or value != RCX or outs[0] != RAX:
        raise LoweringError(f"{op!r}: operands must be in registers, the value in rcx")
    slow, access, back, where = _probed(L, addr, memop, abi.TLB_TAG_WRITE)
    host = Mem(TMP0)
    a.lea(TMP0, Mem(addr, 0, TMP0))  # before rax changes: the address may be there
    if aop == AtomicOp.XCHG or aop == AtomicOp.ADD:
        a.mov_rr(RAX, value)
        if aop == AtomicOp.XCHG:
            a.xchg_m(host, RAX, size)
        else:
            a.lock_xadd(host, RAX, size)
    else:
        again = Label()
        a.load(RAX, host, size)  # zero-extended; a failed cmpxchg keeps it so
        a.bind(again)
        a.mov_rr(TMP1, RAX)
        alu = _FETCH_ALU.get(aop)
        if alu is not None:
            a.alu_rr(alu, TMP1, value)
        else:
            a.cmp_sized(TMP1, value, size)
            a.cmov(_FETCH_CMOV[aop], TMP1, value)
        a.lock_cmpxchg(host, TMP1, size)
        a.jcc(CC_NE, again)
    if size < 4:
        a.movzx_rr(RAX, RAX, size)
    a.bind(back)

    _cmpxchg_stub(L, addr, value, memop | (aop + 1) << FETCH_SHIFT, slow, access, back, where)


def _cmpxchg_stub(L: Lowering, addr: int, new: int, memop: int, slow: Label, access: Label,
                  back: Label, where: int) -> None:  # fmt: skip
    """The out-of-line slow path of ``atomic_cmpxchg`` and ``atomic_fetch`` (``memop``
    says which): the second-level refill, else ``slow_cmpxchg``; the value read in rax."""
    a = L.a

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L, addr, abi.TLB_TAG_WRITE, access)
        code, at = _cmpxchg_call_code(addr, new, memop, L.rt.slow_cmpxchg)
        start = a.pos
        a.buf.write(code)
        a.patch(start + at, where, 8)
        a.test_rr(TMP1, TMP1, False)
        a.jcc(CC_NE, L.raised)
        a.mov_rr(RAX, TMP0)
        a.jmp(back)

    L.stubs.append(stub)


@functools.lru_cache(maxsize=1024)
def _cmpxchg_call_code(addr: int, new: int, memop: int, slow_cmpxchg: int) -> tuple[bytes, int]:
    """slow_cmpxchg(state, addr, rax, new, memop, where) saving the call-clobbered
    registers but rax; the status in r11d, the value read in r10. Returns the code with
    a zero ``where`` and the offset of that 8-byte immediate (patched by the caller)."""
    a = Asm()
    saved, pad = save_for_call(a, RAX)
    a.mov_rr(TMP0, addr)
    a.mov_rr(TMP1, new)
    a.mov_rr(RDX, RAX)
    a.mov_rr(RSI, TMP0)
    a.mov_rr(RCX, TMP1)
    a.mov_ri(R8, memop, w=False)
    a.mov_rr(RDI, RBP)
    a.mov_ri_fixed(R9, 0, True)  # where: patched
    at = a.pos - 8
    call_and_restore(a, slow_cmpxchg, saved, pad)
    return a.seq(), at


def atomic_cmpxchg2(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """rdx:rax <- the 16 bytes at [addr], and [addr] <- rcx:rbx if they were the
    expected rdx:rax: one ``lock cmpxchg16b``, which needs a 16-byte aligned address
    (the probe sends a misaligned or page-crossing one to the slow path, never to a
    #GP). rbx is allocatable here: the prologue saves it for the caller."""
    a = L.a
    if int(op.consts[0]) & MO_SIZE != 3:
        raise LoweringError(f"{op!r}: the elements of a 16-byte pair are 8 bytes")
    memop = 3 | MO_ALIGN | PAIR_FLAG
    addr = ins[0]
    if (any(isinstance(x, Const) for x in ins) or tuple(ins[1:]) != (RAX, RDX, RBX, RCX)
            or tuple(outs) != (RAX, RDX)):  # fmt: skip
        raise LoweringError(f"{op!r}: operands must be in registers, rdx:rax and rcx:rbx")
    slow, access, back, where = _probed(L, addr, memop, abi.TLB_TAG_WRITE)
    a.lock_cmpxchg16b(Mem(addr, 0, TMP0))
    a.bind(back)

    def stub() -> None:
        a.bind(slow)
        _l2_refill(L, addr, abi.TLB_TAG_WRITE, access)
        code, at = _cmpxchg2_call_code(addr, memop, L.rt.slow_cmpxchg)
        start = a.pos
        a.buf.write(code)
        a.patch(start + at, where, 8)
        a.test_rr(TMP1, TMP1, False)
        a.jcc(CC_NE, L.raised)
        a.jmp(back)

    L.stubs.append(stub)


@functools.lru_cache(maxsize=256)
def _cmpxchg2_call_code(addr: int, memop: int,
                        slow_cmpxchg: int) -> tuple[bytes, int]:  # fmt: skip
    """slow_cmpxchg(state, addr, words, 0, memop, where) with ``words`` = rsp after
    pushing rcx, rbx, rdx, rax (the operands, as ``exec.atomic.cmpxchg_pair_at``
    reads them), the call-clobbered registers but rax and rdx saved; then rdx:rax <-
    the pair it wrote over the first two words, the stack popped, the status in r11d.
    Returns the code with a zero ``where`` and the offset of that 8-byte immediate."""
    a = Asm()
    for r in (RCX, RBX, RDX, RAX):  # 32 bytes: rsp stays 16-byte aligned
        a.push(r)
    a.mov_rr(TMP1, RSP)
    saved = [r for r in SAVE_ON_SLOW_PATH if r not in (RAX, RDX)]
    for r in saved:
        a.push(r)
    pad = bool(len(saved) % 2)
    if pad:
        a.alu_ri(5, RSP, 8)  # sub rsp, 8
    a.mov_rr(RSI, addr)  # the address is none of rax, rdx, rbx, rcx
    a.mov_rr(RDX, TMP1)
    a.mov_ri(RCX, 0, w=False)
    a.mov_ri(R8, memop, w=False)
    a.mov_rr(RDI, RBP)
    a.mov_ri_fixed(R9, 0, True)  # where: patched
    at = a.pos - 8
    call_and_restore(a, slow_cmpxchg, saved, pad)
    a.load(RAX, Mem(RSP), 8)
    a.load(RDX, Mem(RSP, 8), 8)
    a.lea(RSP, Mem(RSP, 32))
    return a.seq(), at


def _store(L: Lowering, m: Mem, value: int, memop: int) -> None:
    a = L.a
    size = 1 << (memop & MO_SIZE)
    if not memop & MO_BE or size == 1:
        a.store(m, value, size)
        return
    if size == 2:
        a.mov_rr(TMP1, value)
        a.rol16_8(TMP1)
        a.store(m, TMP1, 2)
    elif L.f.movbe:
        a.movbe_store(m, value, size == 8)
    else:
        a.mov_rr(TMP1, value)
        a.bswap(TMP1, size == 8)
        a.store(m, TMP1, size)
