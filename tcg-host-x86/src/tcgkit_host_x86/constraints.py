"""What the register allocator must know about this host, as data.

Owns the register file (which registers values may live in, which ones a
call destroys, the fixed roles of the others) and the operand constraint of
every IR op on x86-64, chosen once per feature set: two-address ALU forms,
rax/rdx for multiplications and divisions, rcx for shift counts without
BMI2, immediates where a sign-extended imm32 fits.

Fixed roles (never allocated):
* rbp: the CPU-state pointer (``AREG0``) for the whole of generated code;
* rsp: the frame (spill slots at [rsp + slot]);
* r10, r11: scratch registers of the lowering (TLB probe, constant
  masks, argument shuffles).
"""

from __future__ import annotations

import functools
from typing import Final

from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import EXTENSIONS, OPS
from tcgkit.tcg.regalloc import OpConstraint, RegisterFile, call_constraint
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32

from .encoder import NAMES, R8, R9, R12, R13, R14, R15, RAX, RBX, RCX, RDI, RDX, RSI, fits_i32
from .features import HostFeatures

REGS: Final = RegisterFile(
    names=NAMES,
    # callee-saved first: values survive helper calls without a spill
    order=(RBX, R12, R13, R14, R15, RSI, RDI, R8, R9, RCX, RAX, RDX),
    call_clobbered=frozenset((RAX, RCX, RDX, RSI, RDI, R8, R9)),
)
#: argument registers of a helper call after the CPU-state pointer (rdi)
CALL_ARGS: Final = ("rsi", "rdx", "rcx", "r8", "r9")

C: Final = OpConstraint
_TWO_ADDR: Final = C(("0",), ("r", "ri"))
_UNARY_INPLACE: Final = C(("0",), ("r",))
_ANY_UNARY: Final = C(("r",), ("r",))

_BASE: dict[str, OpConstraint] = {
    **{b: _TWO_ADDR for b in ("add", "sub", "and", "or", "xor", "mul")},
    **{b: C(("0",), ("r", "r")) for b in ("orc", "eqv", "nand", "nor")},
    **{b: _UNARY_INPLACE for b in ("neg", "not", "bswap16", "bswap32", "bswap64")},
    **{b: _ANY_UNARY for b in EXTENSIONS},
    "extrh_i64_i32": _UNARY_INPLACE,
    "mov": _ANY_UNARY,
    "movi": C(("r",), ()),
    "muluh": C(("rdx",), ("rax", "r"), ("rax",)),
    "mulsh": C(("rdx",), ("rax", "r"), ("rax",)),
    "mulu2": C(("rax", "rdx"), ("rax", "r")),
    "muls2": C(("rax", "rdx"), ("rax", "r")),
    "div": C(("rax",), ("rax", "r"), ("rdx",)),
    "divu": C(("rax",), ("rax", "r"), ("rdx",)),
    "rem": C(("rdx",), ("rax", "r"), ("rax",)),
    "remu": C(("rdx",), ("rax", "r"), ("rax",)),
    "extract": _UNARY_INPLACE,
    "sextract": _UNARY_INPLACE,
    "deposit": C(("0",), ("r", "r")),
    "setcond": C(("&r",), ("r", "ri")),
    "negsetcond": C(("&r",), ("r", "ri")),
    "movcond": C(("3",), ("r", "ri", "r", "r")),
    "brcond": C((), ("r", "ri")),
    "add2": C(("0", "1"), ("r", "r", "ri", "ri")),
    "sub2": C(("0", "1"), ("r", "r", "ri", "ri")),
    "clz": C(("&r",), ("r", "r")),
    "ctz": C(("&r",), ("r", "r")),
    "ctpop": C(("&r",), ("r",)),
    **{b: C(("r",), ()) for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s")},
    **{b: C((), ("r",)) for b in ("st8", "st16", "st", "st32")},
    "qemu_ld": C(("r",), ("r",)),
    "qemu_st": C((), ("r", "r")),
    "atomic_cmpxchg": C(("rax",), ("r", "rax", "r")),  # lock cmpxchg: expected in rax
    # xchg / lock xadd / a lock cmpxchg loop: the old value in rax, the operand apart
    "atomic_fetch": C(("rax",), ("r", "rcx")),
    # lock cmpxchg16b: expected and read in rdx:rax, new in rcx:rbx (rbx: callee-saved
    # in the System V ABI, but the prologue saves it, so generated code allocates it)
    "atomic_cmpxchg2": C(("rax", "rdx"), ("r", "rax", "rdx", "rbx", "rcx")),
    # AES-NI / PCLMULQDQ through xmm0-xmm2: every input is read before an output
    # is written, so an output may take a dying input's register
    "aese": C(("r", "r"), ("r", "r", "r", "r")),
    "aesd": C(("r", "r"), ("r", "r", "r", "r")),
    "aesmc": C(("r", "r"), ("r", "r")),
    "aesimc": C(("r", "r"), ("r", "r")),
    "clmul": C(("r", "r"), ("r", "r")),
    # SHA-NI through xmm0-xmm2, inputs read first as well
    "sha256h": C(("r", "r"), ("r",) * 6),
    "sha256h2": C(("r", "r"), ("r",) * 6),
    "sha256su0": C(("r", "r"), ("r",) * 4),
    "sha256su1": C(("r", "r"), ("r",) * 6),
    **{b: C(("r", "r"), ("r",) * 5) for b in ("sha1c", "sha1p", "sha1m")},
    "sha1su1": C(("r", "r"), ("r",) * 4),
    "goto_ptr": C((), ("r",)),
    "exit_tb": C((), ()),
    "br": C((), ()),
}
_FLOAT_BY_N: Final = {n: C(("r",), ("r",) * n) for n in (1, 2, 3, 4)}  # float ops, by input count
_SHIFT_BY_CONST: Final = C(("0",), ("r", "rI"))  # counts are taken modulo the width


@functools.cache
def table(features: HostFeatures) -> dict[str, OpConstraint]:
    """The constraint of each op base name for this feature set (built once)."""
    t = dict(_BASE)
    shift = C(("r",), ("r", "r")) if features.bmi2 else C(("0",), ("r", "rcx"))
    for b in ("shl", "shr", "sar"):
        t[b] = shift
    for b in ("rotl", "rotr"):
        t[b] = C(("0",), ("r", "rcx"))
    t["andc"] = C(("r",), ("r", "r")) if features.bmi1 else C(("0",), ("r", "r"))
    return t


_BY_OPERANDS: Final = frozenset(("call", "shl", "shr", "sar", "rotl", "rotr"))


@functools.cache
def fixed(features: HostFeatures) -> dict[str, OpConstraint]:
    """The constraint of each op (by full name) whose constraint does not depend on its
    operands: the allocator takes these without calling ``constraint``."""
    t = table(features)
    out: dict[str, OpConstraint] = {}
    for d in OPS.values():
        if d.base in _BY_OPERANDS:
            continue
        con = t.get(d.base)
        if con is None and (d.base.startswith("f") or d.base.startswith("itof")):
            con = _FLOAT_BY_N.get(d.n_in)
        if con is not None and "ri" in con.ins:
            # the immediates imm_ok would accept, said in the constraint (no call per
            # constant): any value for a 32-bit op, a sign-extended imm32 for a 64-bit one
            imm = "rI" if d.type is I32 else "re"
            con = C(con.outs, tuple(imm if c == "ri" else c for c in con.ins), con.clobbers)
        if con is not None:
            out[d.name] = con
    return out


def constraint(features: HostFeatures, op: Op,
               ops: dict[str, OpConstraint] | None = None) -> OpConstraint:  # fmt: skip
    """``op``'s constraint; ``ops`` is ``table(features)`` when the caller has it."""
    d = op.defn
    if op.opc == "call":
        return call_constraint(op, CALL_ARGS)
    if d.base in ("shl", "shr", "sar", "rotl", "rotr") and op.ins[1].is_const:
        return _SHIFT_BY_CONST
    con = (ops if ops is not None else table(features)).get(d.base)
    if con is not None:
        return con
    if d.base.startswith("f") or d.base.startswith("itof"):
        return _FLOAT_BY_N[d.n_in]
    raise KeyError(f"the x86_64 host has no constraint for {op.opc}")


def imm_ok(op: Op, index: int, value: int) -> bool:
    """Whether a constant input can be an immediate (sign-extended imm32)."""
    d = op.defn
    if d.base in ("shl", "shr", "sar", "rotl", "rotr"):
        return True
    if d.type is I32:
        return True
    return fits_i32(signed(value, True))
