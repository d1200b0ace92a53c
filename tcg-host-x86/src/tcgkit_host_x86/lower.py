"""Allocated IR -> x86-64 machine code for one TB.

Owns ``lower``: it walks the register allocator's stream (``tcgkit.tcg.
regalloc``) and encodes each element with ``encoder.Asm``. The TB's shape:

    entry:    cmp qword [rbp+EXIT], 0 ; jne .exit_at_entry     (chained jumps land here)
    nocheck:  add qword [rbp+ICOUNT], icount                   (Python enters here)
              body ...
              goto_tb sites: an aligned ``jmp rel32`` (patched by link/unlink)
    stubs:    TLB slow paths, helper-raised and exit-request exits, the epilogue

Integer ops are inline; guest memory accesses inline the TLB probe (the slow
path saves the caller-saved registers itself, so values stay in registers
across loads and stores); float ops are in ``lower_float``, the optional crypto
ops (AES-NI, PCLMULQDQ, SHA-NI) in ``lower_crypto``, the integer ops' encodings in
``lower_int``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from tcgkit.host import TBTooLarge
from tcgkit.native.backend import Lowered, Runtime
from tcgkit.tcg.ir import Op, Temp
from tcgkit.tcg.ops import EXIT_LOOKUP, by_index
from tcgkit.tcg.regalloc import Allocation, Const, Insn
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32, I64, Cond, MemOrder

from . import abi, mxcsr
from .encoder import (
    ADD,
    AND,
    CC_E,
    CC_NE,
    CMP,
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
    XOR,
    Asm,
    Label,
    Mem,
    fits_i32,
    put_rel32,
)
from .features import HostFeatures
from .tb_lookup import NL_JUMP as _NL_JUMP

TMP0: Final = R10
TMP1: Final = R11
PAGE_MASK_IMM: Final = -4096
STORE_FLAG: Final = abi.STORE_FLAG
SAVE_ON_SLOW_PATH: Final = (RAX, RCX, RDX, RSI, RDI, R8, 9)  # the call-clobbered allocatable ones


def save_for_call(a: Asm, keep: int | None) -> tuple[list[int], bool]:
    """Push the call-clobbered registers but ``keep``, keeping rsp 16-byte aligned at
    the call: (what was pushed, whether a pad was added) for ``call_and_restore``."""
    saved = [r for r in SAVE_ON_SLOW_PATH if r != keep]
    for r in saved:
        a.push(r)
    pad = bool(len(saved) % 2)
    if pad:
        a.alu_ri(5, RSP, 8)  # sub rsp, 8
    return saved, pad


def call_and_restore(a: Asm, fn: int, saved: list[int], pad: bool) -> int:
    """call ``fn`` (a status-returning callback): status -> r11d, the native block's
    return word -> r10; then pop what ``save_for_call`` pushed. ``fn`` -1: zeros in a
    fixed-length immediate, written later. Returns the immediate's offset."""
    mxcsr.save(a)  # the float flags so far, for Python to fold (``mxcsr``)
    if fn < 0:
        a.mov_ri_fixed(RAX, 0, True)
    else:
        a.mov_ri(RAX, fn)
    at = a.pos - 8
    a.call_r(RAX)
    mxcsr.reload(a)
    a.movzx_rr(R11, RAX, 4)
    a.load(R10, Mem(RBP, abi.OFF_RET), 8)
    if pad:
        a.alu_ri(0, RSP, 8)  # add rsp, 8
    for r in reversed(saved):
        a.pop(r)
    return at


_I64: Final = I64
_TSTEQ: Final = Cond.TSTEQ
_TSTNE: Final = Cond.TSTNE
_ST_LD: Final = MemOrder.ST_LD


class LoweringError(Exception):
    """An op this host cannot encode (a malformed op: a bug in the target)."""


class Lowering:
    def __init__(self, features: HostFeatures, tb_id: int, icount: int, rt: Runtime) -> None:
        self.f = features
        self.tb_id = tb_id
        self.icount = icount
        self.rt = rt
        self.a = Asm()
        self.labels: dict[int, Label] = {}
        self.stubs: list[Callable[[], None]] = []  # out-of-line code of the rare ops
        #: the slow paths of guest loads and stores (``lower_mem.place_slow_paths``)
        self.mem_stubs: list[tuple[int, int, int, int, int, int, int, int, int]] = []
        self.epilogue = Label()
        self.raised = Label()
        self.insn = -1
        self.insn_pc = -1  # the guest pc of instruction ``insn`` (-1: none yet)
        self.out = Lowered(b"", 0)

    # -- helpers -----------------------------------------------------------------------

    def exit_word(self, code: int) -> int:
        return self.tb_id << abi.EXIT_SHIFT | code

    def label(self, lab: object) -> Label:
        key = id(lab)
        if key not in self.labels:
            self.labels[key] = Label()
        return self.labels[key]

    def where(self) -> int:
        return self.tb_id << 16 | max(self.insn, 0)

    def set_where(self) -> None:
        self.a.mov_ri(TMP1, self.where())
        self.a.store(Mem(RBP, abi.OFF_WHERE), TMP1, 8)

    def exit_with(self, code: int) -> None:
        self.a.mov_ri(RAX, self.exit_word(code), w=False)
        self.a.jmp(self.epilogue)

    def operand_imm(self, x: int | Const, w: bool) -> int | None:
        return signed(x.value, w) if isinstance(x, Const) else None

    def cmp(self, a: int, b: int | Const, w: bool, cond: Cond) -> None:
        """Set flags for ``a cond b``."""
        asm = self.a
        imm = self.operand_imm(b, w)
        if cond in (_TSTEQ, _TSTNE):
            if imm is None:
                asm.test_rr(a, b, w)  # type: ignore[arg-type]
            else:
                asm.test_ri(a, imm, w)
        elif imm is None:
            asm.alu_rr(CMP, a, b, w)  # type: ignore[arg-type]
        else:
            asm.alu_ri(CMP, a, imm, w)

    # -- the TB --------------------------------------------------------------------------

    def run(self, alloc: Allocation) -> Lowered:
        if alloc.frame_size > abi.SLOTS_SIZE:
            raise TBTooLarge(f"the TB needs {alloc.frame_size} bytes of frame "
                                f"(at most {abi.SLOTS_SIZE})")  # fmt: skip
        a = self.a
        a.buf.write(_head(self.icount))
        self.out.nocheck = _NOCHECK
        for insn in alloc.insns:
            self.element(insn)
        # the body always ends with an exit; stubs follow
        if self.mem_stubs:
            place_slow_paths(self)
        for stub in self.stubs:
            stub()
        self.stubs.clear()  # each closes over this Lowering: no cycle left for the collector
        buf = a.buf
        put_rel32(buf, _AT_ENTRY_REL32, len(buf))  # the head's jne: here
        # mov eax, AT_ENTRY word; jmp over the next mov, to the epilogue
        a.mov_ri_fixed(RAX, self.exit_word(abi.EXIT_AT_ENTRY), False)  # 5 bytes
        buf.write(_JMP_OVER_MOV)
        a.bind(self.raised)
        a.mov_ri_fixed(RAX, self.exit_word(abi.EXIT_HELPER_RAISED), False)  # falls through
        a.bind(self.epilogue)
        buf.write(_EPILOGUE)
        self.out.code = buf.getvalue()
        return self.out

    def element(self, i: Insn) -> None:
        kind: str = i[0]  # the stream's shapes: ``tcgkit.tcg.regalloc.Insn``
        if kind == "op":
            self.op(i[1], i[2], i[3])
            return
        a = self.a
        if kind == "mov":
            a.mov_rr(i[1], i[2])
        elif kind == "movi":
            a.mov_ri(i[1], i[2])
        else:  # load or store: a register <-> temp's home
            t: Temp = i[2]
            slot: int = i[3]
            if slot >= 0:  # a stack slot, 8 bytes
                a.home(kind == "store", i[1], RSP, slot, True)
            else:  # a global: stored whole (a 32-bit one's upper half is zero)
                a.home(kind == "store", i[1], RBP, t.offset, kind == "store" or t.type is _I64)

    # -- ops ------------------------------------------------------------------------------

    def op(self, op: Op, outs: list[int], ins: list[int | Const]) -> None:
        opc = op.opc
        index = op.defn.index
        kind = _KIND_AT[index]
        if kind:
            if kind < INT_KINDS_END:
                lower_int_op(self, kind, op, outs, ins, _WIDE_AT[index])
            elif kind == _K_QEMU_LD:
                qemu_ld(self, op, outs, ins, _WIDE_AT[index])
            elif kind == _K_QEMU_ST:
                qemu_st(self, op, outs, ins, _WIDE_AT[index])
            elif kind == _K_FLOAT:
                float_op(self, op, outs, ins)
            elif kind == _K_CMPXCHG:
                atomic_cmpxchg(self, op, outs, ins, _WIDE_AT[index])
            elif kind == _K_FETCH:
                atomic_fetch(self, op, outs, ins, _WIDE_AT[index])
            elif kind == _K_CMPXCHG2:
                atomic_cmpxchg2(self, op, outs, ins, _WIDE_AT[index])
            else:
                crypto_op(self, op, outs, ins)
            return
        a = self.a
        if opc == "insn_start":
            self.insn += 1
            self.insn_pc = int(op.consts[0])
            self.out.insn_offsets.append(a.pos)
            return
        if opc == "set_label":
            a.bind(self.label(op.consts[0]))
            return
        if opc == "br":
            a.jmp(self.label(op.consts[0]))
            return
        if opc == "mb":
            if op.consts[0] & _ST_LD:  # TSO orders everything else
                a.mfence()
            return
        if opc == "goto_tb":
            slot = op.consts[0]
            a.align(4, skew=1)
            a.buf.append(0xE9)
            self.out.goto_tb[slot] = a.pos
            a.buf.write(b"\0\0\0\0")  # falls through until linked
            return
        if opc == "exit_tb":
            if op.consts[0] <= 1 and self.rt.direct_lookup >= 0:
                self.exit_direct(op.consts[0], self.rt.direct_lookup)
            else:
                self.exit_with(op.consts[0])
            return
        if opc == "goto_ptr":
            self.goto_ptr(ins[0])  # type: ignore[arg-type]
            return
        if opc == "call":
            self.call(op, outs)
            return
        raise LoweringError(f"the x86_64 host cannot emit {op!r}")

    def call(self, op: Op, outs: list[int]) -> None:
        a = self.a
        self.set_where()
        a.mov_rr(RDI, RBP)
        mxcsr.save(a)  # the float flags so far, for Python to fold (``mxcsr``)
        a.mov_ri(RAX, self.rt_helper(op))
        a.call_r(RAX)
        mxcsr.reload(a)
        a.test_rr(RAX, RAX, False)
        a.jcc(CC_NE, self.raised)
        if outs:
            w = op.consts[0].out_type is None or op.consts[0].out_type.value == 64
            a.load(outs[0], Mem(RBP, abi.OFF_RET), 8 if w else 4)

    rt_helper: Callable[[Op], int]  # set by the backend: the callback address of a helper

    def exit_direct(self, slot: int, pc_offset: int) -> None:
        """A direct jump's exit with chaining off (the qht study's mode): the next TB is
        looked up natively, as after goto_ptr (the pc is in the state), unless it is the
        run's ``until``; the exit word is the slot's, as without the lookup."""
        a = self.a
        a.load(TMP1, Mem(RBP, pc_offset), 8)
        a.mov_ri(RAX, self.exit_word(slot), w=False)
        a.alu_rm(CMP, TMP1, Mem(RBP, abi.OFF_UNTIL))
        a.jcc(CC_E, self.epilogue)
        a.buf.write(_NL_JUMP)

    def goto_ptr(self, pc: int) -> None:
        """The inline jump-cache probe: ``until`` (exit), then the pc and TB-flags key of
        the entry; a hit jumps to its code, a miss jumps to the native TB lookup
        (``tb_lookup``: r11 the pc, eax the exit word) when the vCPU's block names
        one, else exits to look the TB up in Python."""
        a = self.a
        miss, leave = Label(), Label()
        a.buf.write(_until_check(pc))
        a.jcc(CC_E, leave)
        a.buf.write(_jc_probe(pc))
        a.jcc(CC_NE, miss)
        if self.rt.flags_probe is not None:
            off, mask = self.rt.flags_probe
            if not fits_i32(mask):
                raise LoweringError("TB flags mask must fit in 31 bits")
            a.buf.write(_jc_flags_probe(off, mask))
            a.jcc(CC_NE, miss)
        a.buf.write(_JC_JUMP)
        a.bind(miss)
        a.mov_rr(TMP1, pc)
        a.mov_ri(RAX, self.exit_word(EXIT_LOOKUP), w=False)
        a.buf.write(_NL_JUMP)
        a.bind(leave)
        self.exit_with(EXIT_LOOKUP)


# -- memoized sequences (pure functions of their operands) ---------------------------


@functools.lru_cache(maxsize=64)
def _until_check(pc: int) -> bytes:
    a = Asm()
    a.alu_rm(CMP, pc, Mem(RBP, abi.OFF_UNTIL))
    return a.seq()


@functools.lru_cache(maxsize=64)
def _jc_probe(pc: int) -> bytes:
    """r10 <- the jump-cache entry offset of ``pc``; compare the entry's pc."""
    a = Asm()
    a.mov_rr(TMP0, pc)
    a.shift_ri(SHR, TMP0, 2)
    a.mov_rr(TMP1, pc)
    a.shift_ri(SHR, TMP1, 2 + abi.JC_BITS)
    a.alu_rr(XOR, TMP0, TMP1, False)
    a.alu_ri(AND, TMP0, abi.JC_SIZE - 1, False)
    a.shift_ri(SHL, TMP0, 5, False)
    a.alu_rm(CMP, pc, Mem(RBP, abi.OFF_JC + abi.JC_PC, TMP0))
    return a.seq()


@functools.lru_cache(maxsize=16)
def _jc_flags_probe(off: int, mask: int) -> bytes:
    a = Asm()
    a.load(TMP1, Mem(RBP, off), 8)
    a.alu_ri(AND, TMP1, mask)
    a.alu_rm(CMP, TMP1, Mem(RBP, abi.OFF_JC + abi.JC_KEY, TMP0))
    return a.seq()


def _jc_jump() -> bytes:
    a = Asm()
    a.jmp_m(Mem(RBP, abi.OFF_JC + abi.JC_CODE, TMP0))
    return a.seq()


_JC_JUMP: Final = _jc_jump()


_REG: Final = {"rbp": RBP, "rbx": 3, "r12": 12, "r13": 13, "r14": 14, "r15": 15}


def _epilogue() -> bytes:
    """Every TB's epilogue: free the frame, restore what the prologue saved, return."""
    a = Asm()
    mxcsr.save(a)  # the float flags, for Python to fold (``mxcsr``)
    a.alu_ri(ADD, RSP, abi.FRAME)
    for r in reversed(abi.SAVED):
        a.pop(_REG[r])
    a.ret()
    return a.seq()


_EPILOGUE: Final = _epilogue()
_JMP_OVER_MOV: Final = b"\xeb\x05"  # jmp +5: over a ``mov eax, imm32``


def _head_code(icount: int) -> bytes:
    a = Asm()
    a.alu_mi(CMP, Mem(RBP, abi.OFF_EXIT), 0)
    a.jcc(CC_NE, Label())  # rel32 0: patched to the TB's AT_ENTRY exit
    if icount:
        a.alu_mi(ADD, Mem(RBP, abi.OFF_ICOUNT), icount)
    return a.seq()


@functools.lru_cache(maxsize=512)
def _head(icount: int) -> bytes:
    """Every TB's start (memoized by its instruction count): ``cmp qword [rbp+EXIT], 0;
    jne <AT_ENTRY exit>`` (chained jumps enter here; the jne's rel32 at
    ``_AT_ENTRY_REL32``), then, at ``_NOCHECK`` (Python enters there), ``add qword
    [rbp+ICOUNT], icount``."""
    return _head_code(icount)


_NOCHECK: Final = len(_head_code(0))
_AT_ENTRY_REL32: Final = _NOCHECK - 4


# integer, guest memory, float and crypto ops live in their own modules (they import this one)
from .lower_crypto import CRYPTO_OPS, crypto_op  # noqa: E402
from .lower_float import FLOAT_OPS, float_op  # noqa: E402
from .lower_int import INT_KIND, INT_KINDS_END, lower_int_op  # noqa: E402
from .lower_mem import (  # noqa: E402
    atomic_cmpxchg,
    atomic_cmpxchg2,
    atomic_fetch,
    place_slow_paths,
    qemu_ld,
    qemu_st,
)

# the other families' numbers, after the integer ones (``Lowering.op`` tests them in turn)
_K_QEMU_LD: Final = INT_KINDS_END
_K_QEMU_ST: Final = INT_KINDS_END + 1
_K_FLOAT: Final = INT_KINDS_END + 2
_K_CMPXCHG: Final = INT_KINDS_END + 3
_K_FETCH: Final = INT_KINDS_END + 4
_K_CMPXCHG2: Final = INT_KINDS_END + 5
_K_CRYPTO: Final = INT_KINDS_END + 6
_OTHER_KIND: Final[dict[str, int]] = {
    "qemu_ld": _K_QEMU_LD,
    "qemu_st": _K_QEMU_ST,
    "atomic_cmpxchg": _K_CMPXCHG,
    "atomic_fetch": _K_FETCH,
    "atomic_cmpxchg2": _K_CMPXCHG2,
    **{b: _K_FLOAT for b in FLOAT_OPS},
    **{b: _K_CRYPTO for b in CRYPTO_OPS},
}

#: each op's family number (0: ``Lowering.op`` lowers it itself) and whether it is 64 bits
#: wide, by ``OpDef.index`` (list reads per op, where a dict by name was a string lookup)
_KIND_AT: Final = by_index(lambda d: INT_KIND.get(d.base) or _OTHER_KIND.get(d.base, 0))
_WIDE_AT: Final = by_index(lambda d: d.type is not I32)


def lower(features: HostFeatures, alloc: Allocation, tb_id: int, icount: int, rt: Runtime,
          helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
    """Machine code for one allocated TB (see the module docstring); the features come
    first, so that the backend binds them once (``functools.partial``)."""
    L = Lowering(features, tb_id, icount, rt)
    L.rt_helper = helper_addr
    return L.run(alloc)
