"""What the register allocator must know about this host, as data.

Owns the ppc64le register file and every IR op's operand constraint. Fixed
roles (never allocated): r1 the stack, r2 the TOC, r13 the thread pointer,
r27 the CPU-state pointer, r0 / r11 / r12 scratch (r0 only as data: as a
base or an isel source it reads as zero).
"""

from __future__ import annotations

from tcgkit.tcg.ir import Op
from tcgkit.tcg.regalloc import OpConstraint, RegisterFile, call_constraint
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32

from .encoder import fits_s16, fits_u16

NAMES = tuple(f"r{i}" for i in range(32))
REGS = RegisterFile(
    names=NAMES,
    order=(*range(14, 27), 28, 29, 30, 31, *range(3, 11)),  # callee-saved first
    call_clobbered=frozenset(range(3, 11)),
)
CALL_ARGS = ("r4", "r5", "r6", "r7", "r8")  # after the CPU-state pointer in r3

C = OpConstraint
_RR = C(("r",), ("r", "r"))
_RRI = C(("r",), ("r", "ri"))
_R = C(("r",), ("r",))

TABLE: dict[str, OpConstraint] = {
    **{b: _RRI for b in ("add", "sub", "and", "or", "xor", "shl", "shr", "sar", "rotl",
                         "rotr", "setcond", "negsetcond")},
    **{b: _RR for b in ("mul", "muluh", "mulsh", "andc", "orc", "eqv", "nand", "nor")},
    **{b: C(("&r",), ("r", "r")) for b in ("div", "divu", "rem", "remu", "clz", "ctz")},
    **{b: _R for b in ("mov", "neg", "not", "bswap16", "bswap32", "bswap64", "ext8s",
                       "ext8u", "ext16s", "ext16u", "ext32s", "ext32u", "extrl_i64_i32",
                       "extrh_i64_i32", "extu_i32_i64", "ext_i32_i64", "extract",
                       "sextract", "ctpop")},
    "movi": C(("r",), ()),
    "deposit": C(("0",), ("r", "r")),
    "movcond": C(("r",), ("r", "ri", "r", "r")),
    "brcond": C((), ("r", "ri")),
    "mulu2": C(("&r", "&r"), ("r", "r")),
    "muls2": C(("&r", "&r"), ("r", "r")),
    "add2": C(("&r", "&r"), ("r", "r", "r", "r")),
    "sub2": C(("&r", "&r"), ("r", "r", "r", "r")),
    **{b: C(("r",), ()) for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s")},
    **{b: C((), ("r",)) for b in ("st8", "st16", "st", "st32")},
    "qemu_ld": _R,
    "qemu_st": C((), ("r", "r")),
    "atomic_cmpxchg": C(("&r",), ("r", "r", "r")),
    # the reservation loop writes the old value, then reads the operand again
    "atomic_fetch": C(("&r",), ("r", "r")),
    # lqarx's even/odd pair is the output (odd = lo: little-endian), stqcx.'s the new
    # pair; the compared pair apart from both (the loop reads it after each lqarx)
    "atomic_cmpxchg2": C(("r7", "r6"), ("r", "r4", "r5", "r9", "r8")),
    # the vector crypto facility (lower_crypto): inputs read into v0/v1 first
    "aese": C(("r", "r"), ("r", "r", "r", "r")),
    "aesd": C(("r", "r"), ("r", "r", "r", "r")),
    "aesmc": C(("r", "r"), ("r", "r")),
    "aesimc": C(("r", "r"), ("r", "r")),
    "clmul": C(("r", "r"), ("r", "r")),
    "goto_ptr": C((), ("r",)),
    "exit_tb": C((), ()),
    "br": C((), ()),
}  # fmt: skip

_FLOAT = {n: C(("&r",), ("r",) * n) for n in (1, 2, 3)}  # float ops, by input count


def constraint(op: Op) -> OpConstraint:
    d = op.defn
    if op.opc == "call":
        return call_constraint(op, CALL_ARGS)
    con = TABLE.get(d.base)
    if con is not None:
        return con
    if d.base.startswith(("f", "itof")):
        return _FLOAT[d.n_in]
    raise KeyError(f"the ppc64le host has no constraint for {op.opc}")


def imm_ok(op: Op, index: int, value: int) -> bool:
    d = op.defn
    sf = d.type is not I32
    base = d.base
    if base in ("shl", "shr", "sar", "rotl", "rotr"):
        return True
    if base in ("and", "or", "xor"):
        return fits_u16(value)
    if base in ("add", "sub"):
        v = signed(value, sf)
        return fits_s16(v) and fits_s16(-v)
    # compares: signed ones take s16, unsigned ones u16; both fit when 0 <= v < 2^15
    return 0 <= signed(value, sf) < (1 << 15)
