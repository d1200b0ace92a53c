"""What the register allocator must know about this host, as data.

Owns the A64 register file and every IR op's operand constraint: A64 is
three-address, so most ops take any registers; an operand that fits an
instruction's immediate form is an immediate (add/sub imm12, optionally
shifted; logical bitmask immediates; compare imm12 or its negation for cmn;
shift counts).

Fixed roles (never allocated): x19 the CPU-state pointer, x16/x17 scratch
(IP0/IP1), x18 the platform register, x29/x30 frame and link, sp.
"""

from __future__ import annotations

from tcgkit.tcg.ir import Op
from tcgkit.tcg.ops import EXTENSIONS
from tcgkit.tcg.regalloc import OpConstraint, RegisterFile, call_constraint
from tcgkit.tcg.semantics import signed
from tcgkit.tcg.types import I32

from .encoder import logical_imm

NAMES = (*(f"x{i}" for i in range(31)), "sp")
REGS = RegisterFile(
    names=NAMES,
    order=(*range(20, 29), *range(0, 16)),  # callee-saved first
    call_clobbered=frozenset(range(0, 16)),
)
CALL_ARGS = ("x1", "x2", "x3", "x4", "x5")  # after the CPU-state pointer in x0

C = OpConstraint
_RR = C(("r",), ("r", "r"))
_RRI = C(("r",), ("r", "ri"))
_R = C(("r",), ("r",))

TABLE: dict[str, OpConstraint] = {
    **{
        b: _RRI
        for b in (
            "add",
            "sub",
            "and",
            "or",
            "xor",
            "shl",
            "shr",
            "sar",
            "rotr",
            "rotl",
            "setcond",
            "negsetcond",
        )
    },
    **{
        b: _RR
        for b in (
            "mul",
            "muluh",
            "mulsh",
            "div",
            "divu",
            "rem",
            "remu",
            "andc",
            "orc",
            "eqv",
            "nand",
            "nor",
        )
    },
    **{
        b: _R
        for b in (
            "mov",
            "neg",
            "not",
            "bswap16",
            "bswap32",
            "bswap64",
            *EXTENSIONS,
            "extrh_i64_i32",
            "extract",
            "sextract",
            "ctpop",
        )
    },
    "movi": C(("r",), ()),
    "clz": C(("&r",), ("r", "r")),
    "ctz": C(("&r",), ("r", "r")),
    "deposit": C(("0",), ("r", "r")),
    "movcond": C(("r",), ("r", "ri", "r", "r")),
    "brcond": C((), ("r", "ri")),
    "mulu2": C(("&r", "&r"), ("r", "r")),
    "muls2": C(("&r", "&r"), ("r", "r")),
    "add2": C(("&r", "r"), ("r", "r", "r", "r")),
    "sub2": C(("&r", "r"), ("r", "r", "r", "r")),
    **{b: C(("r",), ()) for b in ("ld8u", "ld8s", "ld16u", "ld16s", "ld", "ld32u", "ld32s")},
    **{b: C((), ("r",)) for b in ("st8", "st16", "st", "st32")},
    "qemu_ld": _R,
    "qemu_st": C((), ("r", "r")),
    "atomic_cmpxchg": C(("&r",), ("r", "r", "r")),
    # an LL/SC loop writes the old value before it reads the operand: early clobber
    "atomic_fetch": C(("&r",), ("r", "r")),
    # CASPAL's even-odd pairs: compared and read in x0:x1, new in x2:x3; the LL/SC
    # loop (no LSE) takes x4 for the store-exclusive's status
    "atomic_cmpxchg2": C(("x0", "x1"), ("r", "x0", "x1", "x2", "x3"), ("x4",)),
    # the Cryptographic Extension (lower_crypto): inputs read into v0/v1 first
    "aese": C(("r", "r"), ("r", "r", "r", "r")),
    "aesd": C(("r", "r"), ("r", "r", "r", "r")),
    "aesmc": C(("r", "r"), ("r", "r")),
    "aesimc": C(("r", "r"), ("r", "r")),
    "clmul": C(("r", "r"), ("r", "r")),
    "sha256h": C(("r", "r"), ("r",) * 6),  # inputs into v0-v2 first
    "sha256h2": C(("r", "r"), ("r",) * 6),
    "sha256su0": C(("r", "r"), ("r",) * 4),
    "sha256su1": C(("r", "r"), ("r",) * 6),
    **{b: C(("r", "r"), ("r",) * 5) for b in ("sha1c", "sha1p", "sha1m")},
    "sha1su1": C(("r", "r"), ("r",) * 4),
    **{b: C(("r", "r"), ("r",) * 6) for b in ("sha512h", "sha512h2", "sha512su1")},
    "sha512su0": C(("r", "r"), ("r",) * 4),
    "goto_ptr": C((), ("r",)),
    "exit_tb": C((), ()),
    "br": C((), ()),
}

_FLOAT = {n: C(("r",), ("r",) * n) for n in (1, 2, 3)}  # float ops, by input count


def constraint(op: Op) -> OpConstraint:
    d = op.defn
    if op.opc == "call":
        return call_constraint(op, CALL_ARGS)
    con = TABLE.get(d.base)
    if con is not None:
        return con
    if d.base.startswith(("f", "itof")):
        return _FLOAT[d.n_in]
    raise KeyError(f"the aarch64 host has no constraint for {op.opc}")


def arith_imm_ok(value: int) -> bool:
    """add/sub/cmp immediates: imm12, or imm12 << 12 (either sign: sub/cmn)."""
    v = abs(value)
    return v < 1 << 12 or (v & 0xFFF == 0 and v < 1 << 24)


def imm_ok(op: Op, index: int, value: int) -> bool:
    d = op.defn
    sf = d.type is not I32
    if d.base in ("shl", "shr", "sar", "rotr", "rotl"):
        return True
    if d.base in ("and", "or", "xor"):
        return logical_imm(value, sf) is not None
    return arith_imm_ok(signed(value, sf))
