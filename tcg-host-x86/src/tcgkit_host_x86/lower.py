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
ops (AES-NI, PCLMULQDQ, SHA-NI) in ``lower_crypto``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from tcgkit.host import TBTooLarge
from tcgkit.native.backend import Lowered, Runtime
from tcgkit.tcg.ir import Op, Temp
from tcgkit.tcg.ops import EXIT_LOOKUP, OPS
from tcgkit.tcg.regalloc import Allocation, Const, Insn
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32, I64, Cond, MemOrder

from . import abi, mxcsr
from .encoder import (
    ADC,
    ADD,
    AND,
    CC_A,
    CC_AE,
    CC_B,
    CC_BE,
    CC_E,
    CC_G,
    CC_GE,
    CC_L,
    CC_LE,
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
    ROL,
    ROR,
    RSI,
    RSP,
    SAR,
    SBB,
    SHL,
    SHR,
    SUB,
    XOR,
    Asm,
    Label,
    Mem,
    fits_i32,
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


def call_and_restore(a: Asm, fn: int, saved: list[int], pad: bool) -> None:
    """call ``fn`` (a status-returning callback): status -> r11d, the native block's
    return word -> r10; then pop what ``save_for_call`` pushed."""
    mxcsr.save(a)  # the float flags so far, for Python to fold (``mxcsr``)
    a.mov_ri(RAX, fn)
    a.call_r(RAX)
    mxcsr.reload(a)
    a.movzx_rr(R11, RAX, 4)
    a.load(R10, Mem(RBP, abi.OFF_RET), 8)
    if pad:
        a.alu_ri(0, RSP, 8)  # add rsp, 8
    for r in reversed(saved):
        a.pop(r)


#: the conditions by number (``Cond(n)`` is a call into the enum machinery)
_CONDS: Final = tuple(Cond)
_CC: Final = {
    Cond.EQ: CC_E, Cond.NE: CC_NE, Cond.LT: CC_L, Cond.GE: CC_GE, Cond.LE: CC_LE,
    Cond.GT: CC_G, Cond.LTU: CC_B, Cond.GEU: CC_AE, Cond.LEU: CC_BE, Cond.GTU: CC_A,
    Cond.TSTEQ: CC_E, Cond.TSTNE: CC_NE,
}  # fmt: skip
_I64: Final = I64
_TSTEQ: Final = Cond.TSTEQ
_TSTNE: Final = Cond.TSTNE
_ST_LD: Final = MemOrder.ST_LD
_ALU: Final = {"add": ADD, "sub": SUB, "and": AND, "or": OR, "xor": XOR}


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
        a.buf += _head(self.icount)
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
        a.patch32(_AT_ENTRY_REL32, len(buf) - (_AT_ENTRY_REL32 + 4))  # the head's jne: here
        # mov eax, AT_ENTRY word; jmp over the next mov, to the epilogue
        a.mov_ri_fixed(RAX, self.exit_word(abi.EXIT_AT_ENTRY), False)  # 5 bytes
        buf += _JMP_OVER_MOV
        a.bind(self.raised)
        a.mov_ri_fixed(RAX, self.exit_word(abi.EXIT_HELPER_RAISED), False)  # falls through
        a.bind(self.epilogue)
        buf += _EPILOGUE
        self.out.code = bytearray(a.buf)  # copied into a region: no bytes object needed
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
            if kind == "store":
                a.store(Mem(RBP, t.offset) if slot < 0 else Mem(RSP, slot), i[1], 8)
            elif slot < 0:
                a.load(i[1], Mem(RBP, t.offset), 8 if t.type is _I64 else 4)
            else:
                a.load(i[1], Mem(RSP, slot), 8)

    # -- ops ------------------------------------------------------------------------------

    def op(self, op: Op, outs: list[int], ins: list[int | Const]) -> None:
        opc = op.opc
        lower_as = _BY_OPC.get(opc)
        if lower_as is not None:
            lower_as[0](self, op, outs, ins, lower_as[1])
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
            a.buf += (0, 0, 0, 0)  # falls through until linked
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
        a.buf += _NL_JUMP

    def goto_ptr(self, pc: int) -> None:
        """The inline jump-cache probe: ``until`` (exit), then the pc and TB-flags key of
        the entry; a hit jumps to its code, a miss jumps to the native TB lookup
        (``tb_lookup``: r11 the pc, eax the exit word) when the vCPU's block names
        one, else exits to look the TB up in Python."""
        a = self.a
        miss, leave = Label(), Label()
        a.buf += _until_check(pc)
        a.jcc(CC_E, leave)
        a.buf += _jc_probe(pc)
        a.jcc(CC_NE, miss)
        if self.rt.flags_probe is not None:
            off, mask = self.rt.flags_probe
            if not fits_i32(mask):
                raise LoweringError("TB flags mask must fit in 31 bits")
            a.buf += _jc_flags_probe(off, mask)
            a.jcc(CC_NE, miss)
        a.buf += _JC_JUMP
        a.bind(miss)
        a.mov_rr(TMP1, pc)
        a.mov_ri(RAX, self.exit_word(EXIT_LOOKUP), w=False)
        a.buf += _NL_JUMP
        a.bind(leave)
        self.exit_with(EXIT_LOOKUP)


# -- memoized sequences (pure functions of their operands) ---------------------------


@functools.lru_cache(maxsize=64)
def _until_check(pc: int) -> tuple[int, ...]:
    a = Asm()
    a.alu_rm(CMP, pc, Mem(RBP, abi.OFF_UNTIL))
    return a.seq()


@functools.lru_cache(maxsize=64)
def _jc_probe(pc: int) -> tuple[int, ...]:
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
def _jc_flags_probe(off: int, mask: int) -> tuple[int, ...]:
    a = Asm()
    a.load(TMP1, Mem(RBP, off), 8)
    a.alu_ri(AND, TMP1, mask)
    a.alu_rm(CMP, TMP1, Mem(RBP, abi.OFF_JC + abi.JC_KEY, TMP0))
    return a.seq()


def _jc_jump() -> tuple[int, ...]:
    a = Asm()
    a.jmp_m(Mem(RBP, abi.OFF_JC + abi.JC_CODE, TMP0))
    return a.seq()


_JC_JUMP: Final = _jc_jump()


_REG: Final = {"rbp": RBP, "rbx": 3, "r12": 12, "r13": 13, "r14": 14, "r15": 15}


def _epilogue() -> tuple[int, ...]:
    """Every TB's epilogue: free the frame, restore what the prologue saved, return."""
    a = Asm()
    mxcsr.save(a)  # the float flags, for Python to fold (``mxcsr``)
    a.alu_ri(ADD, RSP, abi.FRAME)
    for r in reversed(abi.SAVED):
        a.pop(_REG[r])
    a.ret()
    return a.seq()


_EPILOGUE: Final = _epilogue()
_JMP_OVER_MOV: Final = (0xEB, 0x05)  # jmp +5: over a ``mov eax, imm32``


def _head_code(icount: int) -> tuple[int, ...]:
    a = Asm()
    a.alu_mi(CMP, Mem(RBP, abi.OFF_EXIT), 0)
    a.jcc(CC_NE, Label())  # rel32 0: patched to the TB's AT_ENTRY exit
    if icount:
        a.alu_mi(ADD, Mem(RBP, abi.OFF_ICOUNT), icount)
    return a.seq()


@functools.lru_cache(maxsize=512)
def _head(icount: int) -> tuple[int, ...]:
    """Every TB's start (memoized by its instruction count): ``cmp qword [rbp+EXIT], 0;
    jne <AT_ENTRY exit>`` (chained jumps enter here; the jne's rel32 at
    ``_AT_ENTRY_REL32``), then, at ``_NOCHECK`` (Python enters there), ``add qword
    [rbp+ICOUNT], icount``."""
    return _head_code(icount)


_NOCHECK: Final = len(_head_code(0))
_AT_ENTRY_REL32: Final = _NOCHECK - 4


# -- integer ops ------------------------------------------------------------------------

Lower = Callable[[Lowering, Op, list[int], list, bool], None]


def _alu(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    code = _ALU[op.defn.base]
    b = ins[1]
    if isinstance(b, Const):
        L.a.alu_ri(code, outs[0], signed(b.value, w), w)
    else:
        L.a.alu_rr(code, outs[0], b, w)


def _mul(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    b = ins[1]
    if isinstance(b, Const):
        L.a.imul_rri(outs[0], outs[0], signed(b.value, w), w)
    else:
        L.a.imul_rr(outs[0], b, w)


def _logic_not(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """andc orc eqv nand nor."""
    a = L.a
    base = op.defn.base
    d, x, y = outs[0], ins[0], ins[1]
    if base == "andc" and L.f.bmi1:
        a.andn(d, y, x, w)
        return
    if base in ("andc", "orc"):
        a.mov_rr(TMP0, y)
        a.unary(2, TMP0, w)  # not
        a.alu_rr(AND if base == "andc" else OR, d, TMP0, w)
        return
    a.alu_rr({"eqv": XOR, "nand": AND, "nor": OR}[base], d, y, w)
    a.unary(2, d, w)


def _unary(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    d = outs[0]
    if base == "neg":
        a.unary(3, d, w)
    elif base == "not":
        a.unary(2, d, w)
    elif base == "bswap16":
        a.movzx_rr(d, d, 2)
        a.rol16_8(d)
    elif base == "bswap32":
        a.bswap(d, False)
    elif base == "bswap64":
        a.bswap(d, True)
    elif base == "extrh_i64_i32":
        a.shift_ri(SHR, d, 32)


def _ext(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    d, s = outs[0], ins[0]
    if base in ("ext8u", "ext16u", "ext32u", "extrl_i64_i32", "extu_i32_i64"):
        a.movzx_rr(d, s, {"ext8u": 1, "ext16u": 2}.get(base, 4))
    elif base in ("ext8s", "ext16s"):
        a.movsx_rr(d, s, 1 if base == "ext8s" else 2, w)
    else:  # ext32s, ext_i32_i64
        a.movsx_rr(d, s, 4)


def _mov(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    if w:
        L.a.mov_rr(outs[0], ins[0])
    else:
        L.a.movzx_rr(outs[0], ins[0], 4)


def _movi(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    L.a.mov_ri(outs[0], op.consts[0], w)


def _shift(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    base = op.defn.base
    digit = {"shl": SHL, "shr": SHR, "sar": SAR, "rotl": ROL, "rotr": ROR}[base]
    d, x, c = outs[0], ins[0], ins[1]
    if isinstance(c, Const):
        n = c.value & (63 if w else 31)
        if n:
            a.shift_ri(digit, d, n, w)
        elif not w:
            a.movzx_rr(d, d, 4)
        return
    if base in ("shl", "shr", "sar") and L.f.bmi2:
        a.shiftx(digit, d, x, c, w)
        return
    assert c == RCX, "shift count must be in cl"
    a.shift_cl(digit, d, w)


def _muldiv(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """muluh mulsh mulu2 muls2: rdx:rax = rax * src."""
    base = op.defn.base
    L.a.unary(5 if base in ("mulsh", "muls2") else 4, ins[1], w)


def _div(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """div divu rem remu with the IR's answers for /0 and MIN / -1 (x86 would trap)."""
    a = L.a
    base = op.defn.base
    y = ins[1]
    if y == RDX:  # cqo / the zero-extension write rdx before the divide reads y
        a.mov_rr(TMP0, y)
        y = TMP0
    done, by_zero = Label(), Label()
    is_rem = base in ("rem", "remu")
    sgn = base in ("div", "rem")
    a.test_rr(y, y, w)
    a.jcc(CC_E, by_zero)
    if sgn:
        normal = Label()
        a.alu_ri(CMP, y, -1, w)
        a.jcc(CC_NE, normal)
        # x / -1 = -x (MIN stays MIN), x % -1 = 0
        if is_rem:
            a.mov_ri(RDX, 0)
        else:
            a.unary(3, RAX, w)
        a.jmp(done)
        a.bind(normal)
        a.buf += (0x48, 0x99) if w else (0x99,)  # cqo / cdq
        a.unary(7, y, w)
    else:
        a.mov_ri(RDX, 0)
        a.unary(6, y, w)
    a.jmp(done)
    a.bind(by_zero)
    if is_rem:
        a.mov_rr(RDX, RAX)  # x % 0 = x
    else:
        a.mov_ri(RAX, 0)  # x / 0 = 0
    a.bind(done)


def _count(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """clz ctz (with the zero-input result) and ctpop."""
    a = L.a
    base = op.defn.base
    d, x = outs[0], ins[0]
    bits = 64 if w else 32
    if base == "ctpop":
        if L.f.popcnt:
            a.bit_scan(b"\x0f\xb8", d, x, w, f3=True)
            return
        _popcount_fallback(L, d, x, w)
        return
    zero_val = ins[1]
    if base == "clz" and L.f.lzcnt:
        a.bit_scan(b"\x0f\xbd", d, x, w, f3=True)
        zero_cc = CC_B  # CF: the source was zero
    elif base == "ctz" and L.f.bmi1:
        a.bit_scan(b"\x0f\xbc", d, x, w, f3=True)
        zero_cc = CC_B
    elif base == "clz":
        a.bit_scan(b"\x0f\xbd", d, x, w)  # bsr: index of the top bit
        a.alu_ri(XOR, d, bits - 1, w)
        a.test_rr(x, x, w)
        zero_cc = CC_E
    else:
        a.bit_scan(b"\x0f\xbc", d, x, w)  # bsf (ZF when the source is zero)
        zero_cc = CC_E
    if L.f.cmov:
        a.cmov(zero_cc, d, zero_val, w)
    else:
        skip = Label()
        a.jcc(zero_cc ^ 1, skip)
        a.mov_rr(d, zero_val)
        a.bind(skip)


def _popcount_fallback(L: Lowering, d: int, x: int, w: bool) -> None:
    """SWAR population count in d, using TMP0/TMP1."""
    a = L.a
    m1, m2, m4, h01 = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                       0x0101010101010101)  # fmt: skip
    a.mov_rr(d, x) if w else a.movzx_rr(d, x, 4)
    a.mov_rr(TMP0, d)
    a.shift_ri(SHR, TMP0, 1)
    a.mov_ri(TMP1, m1)
    a.alu_rr(AND, TMP0, TMP1)
    a.alu_rr(SUB, d, TMP0)
    a.mov_ri(TMP1, m2)
    a.mov_rr(TMP0, d)
    a.alu_rr(AND, TMP0, TMP1)
    a.shift_ri(SHR, d, 2)
    a.alu_rr(AND, d, TMP1)
    a.alu_rr(ADD, d, TMP0)
    a.mov_rr(TMP0, d)
    a.shift_ri(SHR, TMP0, 4)
    a.alu_rr(ADD, d, TMP0)
    a.mov_ri(TMP1, m4)
    a.alu_rr(AND, d, TMP1)
    a.mov_ri(TMP1, h01)
    a.imul_rr(d, TMP1)
    a.shift_ri(SHR, d, 56)


def _field(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    """extract / sextract (pos, len)."""
    a = L.a
    pos, n = op.consts
    bits = 64 if w else 32
    d = outs[0]
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    sar = op.defn.base == "sextract"
    if not sar and pos == 0 and n in (8, 16, 32) and n < bits:
        a.movzx_rr(d, d, n // 8)
        return
    if sar and pos == 0 and n in (8, 16, 32) and n < bits:
        a.movsx_rr(d, d, n // 8, w)
        return
    left = bits - pos - n
    if left:
        a.shift_ri(SHL, d, left, w)
    if bits - n:
        a.shift_ri(SAR if sar else SHR, d, bits - n, w)


def _deposit(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    pos, n = op.consts
    bits = 64 if w else 32
    if not (pos >= 0 and n > 0 and pos + n <= bits):
        raise LoweringError(f"{op!r}: field ({pos}, {n}) does not fit {bits} bits")
    d, y = outs[0], ins[1]
    field_mask = ((1 << n) - 1) << pos
    keep = ((1 << bits) - 1) & ~field_mask
    a.mov_rr(TMP0, y)
    if bits - n:
        a.shift_ri(SHL, TMP0, bits - n, w)
    if bits - n - pos:
        a.shift_ri(SHR, TMP0, bits - n - pos, w)
    if fits_i32(signed(keep, w)):
        a.alu_ri(AND, d, signed(keep, w), w)
    else:
        a.mov_ri(TMP1, keep)
        a.alu_rr(AND, d, TMP1, w)
    a.alu_rr(OR, d, TMP0, w)


def _setcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    d = outs[0]
    neg = op.defn.base == "negsetcond"
    if cond in (Cond.ALWAYS, Cond.NEVER):
        a.mov_ri(d, (-1 if neg else 1) if cond is Cond.ALWAYS else 0, w)
        return
    a.mov_ri(d, 0)  # before the compare: xor clobbers flags
    L.cmp(ins[0], ins[1], w, cond)
    a.setcc(_CC[cond], d)
    if neg:
        a.unary(3, d, w)


def _movcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    d, v1 = outs[0], ins[2]
    if cond is Cond.ALWAYS:
        a.mov_rr(d, v1)
        return
    if cond is Cond.NEVER:
        return
    L.cmp(ins[0], ins[1], w, cond)
    if L.f.cmov:
        a.cmov(_CC[cond], d, v1, w)
    else:
        skip = Label()
        a.jcc(_CC[cond] ^ 1, skip)
        a.mov_rr(d, v1)
        a.bind(skip)


def _brcond(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    cond = _CONDS[op.consts[0]]
    target = L.label(op.consts[1])
    if cond is Cond.ALWAYS:
        a.jmp(target)
        return
    if cond is Cond.NEVER:
        return
    L.cmp(ins[0], ins[1], w, cond)
    a.jcc(_CC[cond], target)


def _addsub2(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    a = L.a
    lo, hi = outs
    bl, bh = ins[2], ins[3]
    if bh == lo:  # the low half is written before the high half reads bh
        a.mov_rr(TMP0, bh)
        bh = TMP0
    first, second = (ADD, ADC) if op.defn.base == "add2" else (SUB, SBB)
    for code, d, b in ((first, lo, bl), (second, hi, bh)):
        if isinstance(b, Const):
            a.alu_ri(code, d, signed(b.value, w), w)
        else:
            a.alu_rr(code, d, b, w)


_ENV_SIZES: Final = {"ld8u": 1, "ld8s": 1, "ld16u": 2, "ld16s": 2, "ld32u": 4, "ld32s": 4,
              "st8": 1, "st16": 2, "st32": 4}  # fmt: skip


def _env(L: Lowering, op: Op, outs: list[int], ins: list, w: bool) -> None:
    base = op.defn.base
    n = _ENV_SIZES.get(base, 8 if w else 4)
    offset = op.consts[0]
    if offset % n:
        raise LoweringError(f"{op!r}: CPU-state access must be naturally aligned")
    m = Mem(RBP, offset)
    if base.startswith("ld"):
        L.a.load(outs[0], m, n, base.endswith("s"), w)
    else:
        L.a.store(m, ins[0], n)


_INT_OPS: dict[str, Lower] = {
    **{b: _alu for b in _ALU},
    "mul": _mul,
    **{b: _logic_not for b in ("andc", "orc", "eqv", "nand", "nor")},
    **{b: _unary for b in ("neg", "not", "bswap16", "bswap32", "bswap64", "extrh_i64_i32")},
    **{
        b: _ext
        for b in (
            "ext8s",
            "ext8u",
            "ext16s",
            "ext16u",
            "ext32s",
            "ext32u",
            "extrl_i64_i32",
            "extu_i32_i64",
            "ext_i32_i64",
        )
    },
    "mov": _mov,
    "movi": _movi,
    **{b: _shift for b in ("shl", "shr", "sar", "rotl", "rotr")},
    **{b: _muldiv for b in ("muluh", "mulsh", "mulu2", "muls2")},
    **{b: _div for b in ("div", "divu", "rem", "remu")},
    **{b: _count for b in ("clz", "ctz", "ctpop")},
    "extract": _field,
    "sextract": _field,
    "deposit": _deposit,
    "setcond": _setcond,
    "negsetcond": _setcond,
    "movcond": _movcond,
    "brcond": _brcond,
    "add2": _addsub2,
    "sub2": _addsub2,
    **{
        b: _env
        for b in (
            "ld8u",
            "ld8s",
            "ld16u",
            "ld16s",
            "ld",
            "ld32u",
            "ld32s",
            "st8",
            "st16",
            "st",
            "st32",
        )
    },
}


# guest memory, float and crypto ops live in their own modules (they import this one)
from .lower_crypto import CRYPTO_OPS, crypto_op  # noqa: E402
from .lower_float import FLOAT_OPS, float_op  # noqa: E402
from .lower_mem import (  # noqa: E402
    atomic_cmpxchg,
    atomic_cmpxchg2,
    atomic_fetch,
    place_slow_paths,
    qemu_ld,
    qemu_st,
)

_OTHER_OPS: dict[str, Lower] = {
    "qemu_ld": qemu_ld,
    "qemu_st": qemu_st,
    "atomic_cmpxchg": atomic_cmpxchg,
    "atomic_fetch": atomic_fetch,
    "atomic_cmpxchg2": atomic_cmpxchg2,
    **{b: (lambda L, op, outs, ins, w: float_op(L, op, outs, ins)) for b in FLOAT_OPS},
    **{b: (lambda L, op, outs, ins, w: crypto_op(L, op, outs, ins)) for b in CRYPTO_OPS},
}
#: op name -> its lowering function and whether the op is 64-bit: one lookup per op
_BY_OPC: Final = {
    d.name: (fn, d.type is not I32)
    for d in OPS.values()
    if (fn := _INT_OPS.get(d.base) or _OTHER_OPS.get(d.base)) is not None
}


def lower(features: HostFeatures, alloc: Allocation, tb_id: int, icount: int, rt: Runtime,
          helper_addr: Callable[[Op], int]) -> Lowered:  # fmt: skip
    """Machine code for one allocated TB (see the module docstring); the features come
    first, so that the backend binds them once (``functools.partial``)."""
    L = Lowering(features, tb_id, icount, rt)
    L.rt_helper = helper_addr
    return L.run(alloc)
