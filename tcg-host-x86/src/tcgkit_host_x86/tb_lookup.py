"""The x86-64 host's native TB lookup: QEMU's helper_lookup_tb_ptr in machine code.

Owns ``routines()``: the code of three routines over the TB hash table's native
mirror (``tcgkit.native.tb_mirror``, whose header states the layout, the
invariants and the protocol followed here), placed in one page by
``NativeHost``:

* ``goto``: where a goto_ptr whose jump-cache probe missed jumps (with r11 =
  the guest pc, eax = the TB's EXIT_LOOKUP exit word, rbp = the CPU state, the
  TB's frame still on the stack). It checks the exit request and the vCPU's
  key words (``layout.NL_*``: valid for the current probed flag bits), hashes
  the key as the qht policies do (xxh32, seed 1, of ``<QQQII>`` phys_page, pc,
  cs_base, flags, cflags), walks the bucket chain under its seqlock (retrying
  on an odd or changed sequence, and on a replaced map), refuses a TB that
  holds the run's ``until`` strictly inside (the loop runs a one-off TB there),
  fills the jump cache (jump cache on: the entry, a full barrier, then the
  checks again, undoing the entry if they fail), promotes the entry under the
  bucket's spinlock (``lock cmpxchg``; MRU on lookup) and jumps to the TB's
  checked entry. A miss returns the exit word to Python, which translates.
  Every outcome is counted in the vCPU's own words (hits, misses,
  promotions, retries).
* ``NL_JUMP``: the sequence goto_ptr's misses and (jump cache off) direct jumps'
  exits end with: to ``goto`` when the vCPU's block names it (``layout.NL_FN``),
  else the TB epilogue, as an exit without native lookups.
* ``lookup(table, key, mru) -> code or 0`` and ``hash(pc, cs_base, flags_word)
  -> hash``: the same walk and hash with the System V convention, so that tests
  call them through ctypes (with the GIL released) against Python writers.

All registers but rbp and rsp are free in ``goto`` (a TB exit: the prologue
saved the callee-saved ones). The walk's registers: rsi the table header, rdi
the map, rdx the hash, rbx the head bucket, r12 its sequence, r13 the bucket
walked, rcx the slot's offset in it, r10 the code found, r8/r9 key words.
"""

from __future__ import annotations

import functools
from typing import Final

from tcgkit.native import layout as L
from tcgkit.native import tb_mirror as M

from . import abi
from .encoder import (
    ADD,
    AND,
    CC_B,
    CC_E,
    CC_NE,
    CMP,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBP,
    RBX,
    RCX,
    RDI,
    RDX,
    ROL,
    RSI,
    RSP,
    SHL,
    SHR,
    SUB,
    XOR,
    Asm,
    Label,
    Mem,
)
from .mxcsr import stmxcsr

_P1: Final = 2654435761
_P2: Final = 2246822519
_P3: Final = 3266489917
_SEED: Final = 1
_M32: Final = 0xFFFFFFFF
SPINS_BEFORE_YIELD: Final = 64
_SYS_SCHED_YIELD: Final = 24
_CALLEE_SAVED: Final = (RBX, RBP, R12, R13, R14, R15)
_TEMP: Final = 48  # bytes of stack for a slot being rotated


def _s32(v: int) -> int:
    """``v`` as the sign-extended imm32 of a 32-bit operation."""
    v &= _M32
    return v - (1 << 32) if v >> 31 else v


def _nl(field: int) -> Mem:
    return Mem(RBP, L.OFF_NL + field)


class Routines:
    """The routines' code and each one's offset in it."""

    __slots__ = ("code", "goto", "hash", "lookup")

    def __init__(self, code: bytes, goto: int, lookup: int, hash_: int) -> None:
        self.code = code
        self.goto = goto
        self.lookup = lookup
        self.hash = hash_


@functools.lru_cache(maxsize=8)
def routines(page_bits: int, probe: tuple[int, int] | None) -> Routines:
    """The three routines; ``probe``: (state offset, mask) of the TB-flags bits the
    key words hold for (None: the flags are constant). A pure function of its
    arguments, memoized: every emulator of a process shares the code (each maps
    its own copy)."""
    a = Asm()
    goto = _goto(a, page_bits, probe)
    a.align(16)
    lookup = a.pos
    _lookup(a, page_bits)
    a.align(16)
    hash_ = a.pos
    _hash_entry(a, page_bits)
    return Routines(a.code(), goto, lookup, hash_)


# -- the pieces ---------------------------------------------------------------------------


def _round(a: Asm, acc: int) -> None:
    """acc = rotl32(acc + eax * P2, 13) * P1 (eax: the lane)."""
    a.imul_rri(RAX, RAX, _s32(_P2), False)
    a.alu_rr(ADD, acc, RAX, False)
    a.shift_ri(ROL, acc, 13, False)
    a.imul_rri(acc, acc, _s32(_P1), False)


def _lane(a: Asm, src: int, shift: int) -> None:
    """eax = the low 32 bits of src >> shift."""
    a.mov_rr(RAX, src)
    if shift:
        a.shift_ri(SHR, RAX, shift)


def _hash(a: Asm, page_bits: int) -> None:
    """edx = xxh32 of the key (r11 pc, r8 cs_base, r9 flags | cflags << 32); clobbers
    rax, rbx, r10, r12, r13."""
    accs = (RBX, R10, R12, R13)
    for acc, init in zip(accs, (_SEED + _P1 + _P2, _SEED + _P2, _SEED, _SEED - _P1), strict=True):
        a.mov_ri(acc, init & _M32, False)
    lanes = ((R11, page_bits), (R11, page_bits + 32), (R11, 0), (R11, 32),
             (R8, 0), (R8, 32), (R9, 0), (R9, 32))  # fmt: skip
    for k, (src, shift) in enumerate(lanes):
        _lane(a, src, shift)
        _round(a, accs[k % 4])
    a.mov_rr(RDX, RBX, False)
    a.shift_ri(ROL, RDX, 1, False)
    for acc, n in ((R10, 7), (R12, 12), (R13, 18)):
        a.mov_rr(RAX, acc, False)
        a.shift_ri(ROL, RAX, n, False)
        a.alu_rr(ADD, RDX, RAX, False)
    a.alu_ri(ADD, RDX, 32, False)
    for shift, prime in ((15, _P2), (13, _P3), (16, 0)):
        a.mov_rr(RAX, RDX, False)
        a.shift_ri(SHR, RAX, shift, False)
        a.alu_rr(XOR, RDX, RAX, False)
        if prime:
            a.imul_rri(RDX, RDX, _s32(prime), False)


def _walk(a: Asm, hit: Label, miss: Label, retries: Mem | None, probes: int | None) -> Label:
    """Find the key (r11, r8, r9; hash edx) in the table at rsi: at ``hit`` with r10 the
    code, rbx/r12 the head and the sequence the walk was validated with, r13 the
    bucket and rcx the slot's offset in it; else at ``miss``. ``probes``: a register
    counting the occupied slots compared. Returns the label that starts over on the
    current map (for a caller whose later checks fail)."""
    map_retry, seq_retry, even, bucket, not_found, found = (Label() for _ in range(6))
    again_seq, again_map = Label(), Label()
    a.bind(map_retry)
    a.load(RDI, Mem(RSI, 0), 8)
    a.test_rr(RDI, RDI)
    a.jcc(CC_E, miss)  # released
    a.mov_rr(RCX, RDX, False)
    a.alu_rm(AND, RCX, Mem(RDI, M.MAP_MASK), False)
    a.imul_rri(RCX, RCX, M.BUCKET_SIZE)
    a.lea(RBX, Mem(RDI, M.MAP_HEADS, RCX))
    a.bind(seq_retry)
    a.load(R12, Mem(RBX, M.B_SEQ), 8)
    a.test_ri(R12, 1, False)
    a.jcc(CC_E, even)
    a.buf.write(b"\xf3\x90")  # pause: a writer is in the chain
    a.jmp(seq_retry)
    a.bind(even)
    a.mov_rr(R13, RBX)
    a.bind(bucket)
    for i in range(M.BUCKET_SLOTS):
        off = M.B_SLOTS + i * M.SLOT_SIZE
        nxt = Label()
        a.load(R10, Mem(R13, off + M.S_CODE), 8)
        a.test_rr(R10, R10)
        a.jcc(CC_E, not_found)  # dense: an empty slot ends the chain
        if probes is not None:
            a.alu_ri(ADD, probes, 1, False)
        for reg, field in ((RDX, M.S_HASH), (R11, M.S_PC), (R8, M.S_CS_BASE), (R9, M.S_FLAGS)):
            a.alu_rm(CMP, reg, Mem(R13, off + field))
            a.jcc(CC_NE, nxt)
        a.mov_ri(RCX, off, False)
        a.jmp(found)
        a.bind(nxt)
    a.load(R13, Mem(R13, M.B_NEXT), 8)
    a.test_rr(R13, R13)
    a.jcc(CC_NE, bucket)
    a.bind(not_found)
    a.alu_rm(CMP, R12, Mem(RBX, M.B_SEQ))
    a.jcc(CC_NE, again_seq)
    a.alu_rm(CMP, RDI, Mem(RSI, 0))
    a.jcc(CC_NE, again_map)
    a.jmp(miss)
    a.bind(found)
    a.alu_rm(CMP, R12, Mem(RBX, M.B_SEQ))
    a.jcc(CC_NE, again_seq)
    a.alu_rm(CMP, RDI, Mem(RSI, 0))
    a.jcc(CC_NE, again_map)
    a.jmp(hit)
    a.bind(again_seq)
    if retries is not None:
        a.alu_mi(ADD, retries, 1)
    a.jmp(seq_retry)
    a.bind(again_map)
    if retries is not None:
        a.alu_mi(ADD, retries, 1)
    a.jmp(map_retry)
    return map_retry


def _promote(a: Asm, promotions: Mem | None) -> None:
    """MRU on lookup (a validated hit past the head): under the head's spinlock, if the
    chain is unchanged since the walk, the entry to the head's first slot. Clobbers
    rax, rcx, rdx, r9, r11, r14 and the ``_TEMP`` bytes at rsp; keeps r10."""
    lock_try, spin, locked, unlock = Label(), Label(), Label(), Label()
    a.mov_rr(R9, RCX)  # the slot's offset (a system call clobbers rcx and r11)
    a.mov_ri(R14, 0, False)
    a.bind(lock_try)
    a.mov_ri(RAX, 0, False)
    a.mov_ri(RDX, 1, False)
    a.lock_cmpxchg(Mem(RBX, M.B_LOCK), RDX, 8)
    a.jcc(CC_E, locked)
    a.alu_ri(ADD, R14, 1, False)
    a.alu_ri(CMP, R14, SPINS_BEFORE_YIELD, False)
    a.jcc(CC_B, spin)
    a.mov_ri(RAX, _SYS_SCHED_YIELD, False)
    a.buf.write(b"\x0f\x05")  # syscall: the lock holder may be a descheduled thread
    a.mov_ri(R14, 0, False)
    a.jmp(lock_try)
    a.bind(spin)
    a.buf.write(b"\xf3\x90")  # pause
    a.jmp(lock_try)
    a.bind(locked)
    a.alu_rm(CMP, R12, Mem(RBX, M.B_SEQ))
    a.jcc(CC_NE, unlock)  # a writer was here since: the entry may have moved
    a.alu_mi(ADD, Mem(RBX, M.B_SEQ), 1)
    words = M.SLOT_SIZE // 8
    first = M.B_SLOTS
    last = M.B_SLOTS + (M.BUCKET_SLOTS - 1) * M.SLOT_SIZE
    for k in range(words):  # the entry aside
        a.load(RAX, Mem(R13, 8 * k, R9), 8)
        a.store(Mem(RSP, 8 * k), RAX, 8)
    for k in range(words):  # the head's last entry takes its place
        a.load(RAX, Mem(RBX, last + 8 * k), 8)
        a.store(Mem(R13, 8 * k, R9), RAX, 8)
    for j in range(M.BUCKET_SLOTS - 1, 0, -1):  # the head's entries shift on
        for k in range(words):
            a.load(RAX, Mem(RBX, first + (j - 1) * M.SLOT_SIZE + 8 * k), 8)
            a.store(Mem(RBX, first + j * M.SLOT_SIZE + 8 * k), RAX, 8)
    for k in range(words):  # the entry first
        a.load(RAX, Mem(RSP, 8 * k), 8)
        a.store(Mem(RBX, first + 8 * k), RAX, 8)
    a.alu_mi(ADD, Mem(RBX, M.B_SEQ), 1)
    if promotions is not None:
        a.alu_mi(ADD, promotions, 1)
    a.bind(unlock)
    a.store_imm32(Mem(RBX, M.B_LOCK), 0)


def _add_to(a: Asm, m: Mem, reg: int) -> None:
    """[m] += reg (64-bit)."""
    a.rm(bytes((ADD * 8 + 1,)), reg, m, True)


def _epilogue(a: Asm) -> None:
    """The TB epilogue (``lower._EPILOGUE``): the exit word is in eax."""
    stmxcsr(a, Mem(RBP, abi.OFF_FP_SAVE))  # the float flags (``mxcsr.save``)
    a.alu_ri(ADD, RSP, abi.FRAME)
    for r in (R15, R14, R13, R12, RBX, RBP):  # abi.SAVED, reversed
        a.pop(r)
    a.ret()


def _goto(a: Asm, page_bits: int, probe: tuple[int, int] | None) -> int:
    start = a.pos
    hit, miss, leave, ok, no_fill, go, undo = (Label() for _ in range(7))
    a.mov_rr(R15, RAX, False)  # the exit word, for a miss
    a.mov_ri(R14, 0, False)  # probes
    a.alu_mi(CMP, Mem(RBP, L.OFF_EXIT), 0)
    a.jcc(CC_NE, leave)  # an exit request: the loop decides, as without this routine
    if probe is None:
        a.mov_ri(RAX, 0, False)
    else:
        a.load(RAX, Mem(RBP, probe[0]), 8)
        a.alu_ri(AND, RAX, probe[1])
    a.alu_rm(CMP, RAX, _nl(L.NL_SEEN))
    a.jcc(CC_NE, miss)  # the key words are not this CPU mode's: Python knows
    a.load(R8, _nl(L.NL_CS_BASE), 8)
    a.load(R9, _nl(L.NL_FLAGS), 8)
    a.load(RSI, _nl(L.NL_TABLE), 8)
    _hash(a, page_bits)
    restart = _walk(a, hit, miss, _nl(L.NL_RETRIES), R14)
    a.bind(hit)
    _add_to(a, _nl(L.NL_PROBES), R14)
    a.mov_ri(R14, 0, False)  # a walk again (undo) counts afresh

    # a TB that holds `until` strictly inside: the loop runs a one-off TB that stops there
    a.load(RAX, Mem(RBP, L.OFF_UNTIL), 8)
    a.alu_rr(SUB, RAX, R11)
    a.jcc(CC_E, miss)
    a.alu_rm(CMP, RAX, Mem(R13, M.S_SIZE, RCX))
    a.jcc(CC_B, miss)
    a.bind(ok)
    a.alu_mi(CMP, _nl(L.NL_MODE), 0)  # bits: NL_MODE_FILL_JC, NL_MODE_MRU
    a.jcc(CC_E, go)
    a.load(RAX, _nl(L.NL_MODE), 8)
    a.test_ri(RAX, L.NL_MODE_FILL_JC, False)
    a.jcc(CC_E, no_fill)
    # the jump cache: code, key, pc last (as NativeCPU.jc_set); then the checks again
    a.mov_rr(RAX, R11)
    a.shift_ri(SHR, RAX, 2)
    a.mov_rr(R14, R11)
    a.shift_ri(SHR, R14, 2 + L.JC_BITS)
    a.alu_rr(XOR, RAX, R14, False)
    a.alu_ri(AND, RAX, L.JC_SIZE - 1, False)
    a.shift_ri(SHL, RAX, 5, False)
    a.store(Mem(RBP, L.OFF_JC + L.JC_CODE, RAX), R10, 8)
    a.load(R14, _nl(L.NL_SEEN), 8)
    a.store(Mem(RBP, L.OFF_JC + L.JC_KEY, RAX), R14, 8)
    a.store(Mem(RBP, L.OFF_JC + L.JC_PC, RAX), R11, 8)
    a.mfence()
    a.alu_rm(CMP, R12, Mem(RBX, M.B_SEQ))
    a.jcc(CC_NE, undo)
    a.alu_rm(CMP, RDI, Mem(RSI, 0))
    a.jcc(CC_NE, undo)
    a.bind(no_fill)
    a.load(RAX, _nl(L.NL_MODE), 8)
    a.test_ri(RAX, L.NL_MODE_MRU, False)
    a.jcc(CC_E, go)
    a.alu_rr(CMP, R13, RBX)
    a.jcc(CC_E, go)
    _promote(a, _nl(L.NL_MRU))
    a.bind(go)
    a.alu_mi(ADD, _nl(L.NL_HITS), 1)
    a.jmp_r(R10)  # the TB's checked entry
    a.bind(undo)
    a.store_imm32(Mem(RBP, L.OFF_JC + L.JC_PC, RAX), -1)  # INVALID_TAG
    a.alu_mi(ADD, _nl(L.NL_RETRIES), 1)
    a.jmp(restart)
    a.bind(miss)
    a.alu_mi(ADD, _nl(L.NL_MISSES), 1)
    _add_to(a, _nl(L.NL_PROBES), R14)
    a.bind(leave)
    a.mov_rr(RAX, R15, False)
    _epilogue(a)
    return start


def _c_prologue(a: Asm) -> None:
    for r in _CALLEE_SAVED:
        a.push(r)
    a.alu_ri(SUB, RSP, _TEMP)


def _c_epilogue(a: Asm) -> None:
    a.alu_ri(ADD, RSP, _TEMP)
    for r in reversed(_CALLEE_SAVED):
        a.pop(r)
    a.ret()


def _lookup(a: Asm, page_bits: int) -> None:
    """lookup(rdi = table header, rsi = key words [pc, cs_base, flags word], rdx = MRU
    on) -> rax = the code found, or 0."""
    hit, miss, done = Label(), Label(), Label()
    _c_prologue(a)
    a.mov_rr(R15, RDX)
    a.load(R11, Mem(RSI, 0), 8)
    a.load(R8, Mem(RSI, 8), 8)
    a.load(R9, Mem(RSI, 16), 8)
    a.mov_rr(RSI, RDI)
    _hash(a, page_bits)
    _walk(a, hit, miss, None, None)
    a.bind(hit)
    a.test_rr(R15, R15)
    a.jcc(CC_E, done)
    a.alu_rr(CMP, R13, RBX)
    a.jcc(CC_E, done)
    _promote(a, None)
    a.bind(done)
    a.mov_rr(RAX, R10)
    _c_epilogue(a)
    a.bind(miss)
    a.mov_ri(RAX, 0, False)
    _c_epilogue(a)


def _hash_entry(a: Asm, page_bits: int) -> None:
    """hash(rdi = pc, rsi = cs_base, rdx = flags word) -> eax."""
    _c_prologue(a)
    a.mov_rr(R11, RDI)
    a.mov_rr(R8, RSI)
    a.mov_rr(R9, RDX)
    _hash(a, page_bits)
    a.mov_rr(RAX, RDX, False)
    _c_epilogue(a)


def _nl_jump() -> bytes:
    a = Asm()
    skip = Label()
    a.alu_mi(CMP, _nl(L.NL_FN), 0)
    a.jcc(CC_E, skip)
    a.jmp_m(_nl(L.NL_FN))
    a.bind(skip)
    _epilogue(a)
    return a.seq()


#: see the module docstring (r11 the pc, eax the exit word)
NL_JUMP: Final = _nl_jump()
