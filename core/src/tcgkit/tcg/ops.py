"""The IR's opcode table, declared as data.

Owns every opcode's name, operand shape (outputs, inputs, constant
arguments) and flags. Passes and backends dispatch on ``OpDef`` records; no
other module lists opcodes. Integer ops exist for each width, named with a
suffix (``add_i32``, ``add_i64``); ops that only make sense for one width
exist only there (``bswap64_i64``, ``ext32u_i64``). Conversions between widths
carry both (``extrl_i64_i32``).

Semantics that are not obvious (every host must produce exactly these; the
reference is ``tcgkit.tcg.semantics``):

* shifts and rotates use the count modulo the width;
* ``div``/``divu`` by zero give 0, ``rem``/``remu`` by zero give the dividend;
  signed ``MIN / -1`` gives MIN and ``MIN % -1`` gives 0;
* ``clz``/``ctz`` take a second input, the result when the first is zero;
* ``extract``/``sextract``/``deposit`` take (pos, len) constants with
  0 < len and pos + len <= width;
* ``mulu2``/``muls2`` produce (low, high); ``add2``/``sub2`` take
  (al, ah, bl, bh) and produce the double-width (low, high);
* ``qemu_ld``/``qemu_st`` take the guest address as an i64 and a ``MemOp``;
* ``atomic_cmpxchg_i64`` (out, addr, expected, new; memop) reads the naturally
  aligned value at the guest address and writes ``new`` if it equals
  ``expected``, as one atomic access for every vCPU; ``out`` is the value read.
  Optional: only hosts listing it in ``HostBackend.optional_ops`` get it
  (``tcgkit.exec.atomic.gen_cmpxchg`` emits a helper call for the others);
* ``atomic_fetch_i64`` (out, addr, value; memop, mmu_idx, aop) reads the naturally
  aligned value at the guest address and writes what the ``AtomicOp`` ``aop``
  makes of it and ``value`` (``semantics.atomic_update``), as one atomic access
  for every vCPU; ``out`` is the value read, zero-extended. Optional as
  ``atomic_cmpxchg_i64`` is (``tcgkit.exec.atomic.gen_fetch_op`` emits a
  compare-and-swap loop for the other hosts);
* ``atomic_cmpxchg2_i64`` (old_lo, old_hi; addr, cmp_lo, cmp_hi, new_lo, new_hi;
  memop, mmu_idx) is the 16-byte compare-and-swap of a pair of 8-byte elements
  (``memop`` gives the element: always ``MO_64``; lo at the address, hi 8 bytes on):
  it reads the pair at the guest address and writes ``new_hi:new_lo`` if the pair
  equals ``cmp_hi:cmp_lo``, as one atomic 16-byte access for every vCPU
  (``semantics.cmpxchg2``); the outputs are the pair read. A misaligned address is
  not a host fault: it takes the slow path (targets raise their alignment fault
  before the op). Optional as ``atomic_cmpxchg_i64`` is
  (``tcgkit.exec.atomic.gen_cmpxchg2``: other hosts keep a helper call);
* ``aese_i64`` (lo, hi, state_lo, state_hi, key_lo, key_hi) is AES's
  SubBytes(ShiftRows(state ^ key)) (A64 AESE) on the 128-bit values
  ``state_hi:state_lo`` and ``key_hi:key_lo`` (lo = bytes 0-7, little-endian: the
  AES state's byte ``r + 4c`` is byte ``r + 4c`` of the value, as in an A64
  vector or an x86 xmm register); ``aesd_i64`` likewise InvSubBytes(
  InvShiftRows(state ^ key)) (A64 AESD); ``aesmc_i64`` (lo, hi, state_lo,
  state_hi) is MixColumns (AESMC) and ``aesimc_i64`` InvMixColumns (AESIMC);
  ``clmul_i64`` (lo, hi, a, b) is the 128-bit carry-less product of two 64-bit
  values (PMULL, PCLMULQDQ). Their references are ``tcgkit.tcg.aes`` and
  ``semantics.clmul``. Optional (``HostBackend.optional_ops``):
  ``tcgkit.tcg.crypto`` emits a generic expansion in plain i64 ops for the
  other hosts;
* ``sha256h_i64`` (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi) is four SHA-256
  rounds (the Arm ARM's SHA256hash) on the state ``x`` = (a, b, c, d) and ``y`` =
  (e, f, g, h) (32-bit words, word i at bits 32i of the 128-bit value, a and e in
  word 0: A64's layout) with ``w`` the four message words plus round constants,
  giving the new (a, b, c, d) (A64 SHA256H Qd, Qn, Vm: x = Qd, y = Qn);
  ``sha256h2_i64`` has the same operands and gives the new (e, f, g, h) (SHA256H2
  Qd, Qn, Vm: x = Qn, y = Qd); ``sha256su0_i64`` (lo, hi, d_lo, d_hi, n_lo, n_hi)
  and ``sha256su1_i64`` (lo, hi, d_lo, d_hi, n_lo, n_hi, m_lo, m_hi) are the
  message schedule's steps SHA256SU0 Vd, Vn and SHA256SU1 Vd, Vn, Vm. Their
  reference is ``tcgkit.tcg.sha256``; optional as the AES ops are
  (``tcgkit.tcg.crypto.gen_sha256``: i32 ops on the words for the other hosts);
* ``sha1c_i64`` (lo, hi, x_lo, x_hi, e, w_lo, w_hi) is four SHA-1 rounds with
  Choose on the state ``x`` = (a, b, c, d) (words as SHA-256's, a in word 0) and
  ``e`` (its low 32 bits) with ``w`` the four message words plus K, giving the new
  (a, b, c, d) (A64 SHA1C Qd, Sn, Vm); ``sha1p_i64`` and ``sha1m_i64`` likewise with
  Parity and Majority (SHA1P, SHA1M); ``sha1su1_i64`` (lo, hi, d_lo, d_hi, n_lo,
  n_hi) is the schedule step SHA1SU1 Vd, Vn. Reference ``tcgkit.tcg.sha1``. SHA1H and
  SHA1SU0 (a rotation, four XORs of halves) are no ops: plain IR is what any host
  would run for them;
* ``sha512h_i64`` (lo, hi, x_lo, x_hi, y_lo, y_hi, w_lo, w_hi) and ``sha512h2_i64``
  are A64 SHA512H and SHA512H2 Qd, Qn, Vm (x = Vn, y = Vm, w = Vd: two rounds' T1,
  then the new a of both), ``sha512su0_i64`` (lo, hi, d_lo, d_hi, n_lo, n_hi) and
  ``sha512su1_i64`` (lo, hi, d_lo, d_hi, n_lo, n_hi, m_lo, m_hi) the schedule steps
  SHA512SU0 Vd, Vn and SHA512SU1 Vd, Vn, Vm, on 64-bit words (lo word 0).
  Reference ``tcgkit.tcg.sha512``. Both families optional as SHA-256's
  (``tcgkit.tcg.crypto_sha``: ``gen_sha1``, ``gen_sha512``);
* float ops (``fadd_f32`` ... ``ftoi_f64``) work on IEEE encodings held in
  i32 (f32) / i64 (f64) temps and follow ``tcgkit.tcg.softfloat``: one
  rounding in the ``rm`` constant's mode, default NaN for every NaN result,
  ``fcmp`` gives 1/2/4/8 for less/equal/greater/unordered, float -> integer
  saturates and maps NaN to 0. Every float op but ``fneg``/``fabs``/``fclass``
  also ORs the IEEE flags it raises (``tcgkit.tcg.fpflags``) into the CPU-state
  word the target names (``GuestTarget.fp_flags_offset``): those ops have
  ``SIDE_EFFECTS`` (liveness keeps one whose result is unused, for its flags; the
  flags are sticky, so nothing else about their order matters). Conversions name
  their direction:
  ``fcvt_f64_f32`` is f64 -> f32, ``itof_f32`` integer -> f32, ``ftoi_f32``
  f32 -> integer.
* ``fnan2_f64`` (d, r, a, b) and ``fnan3_f64`` (d, r, a, b, c; const ``fma``)
  propagate NaNs as IEEE 754 recommends (``softfloat.nan_pick``): ``r``, the
  result of an op on those operands, unless one of them is a NaN: then the
  first signalling NaN among them quieted, else the first quiet NaN; with
  ``fma``, a quiet-NaN ``a`` with ``b * c`` an infinity times a zero keeps ``r``
  (``fma`` 3: a subnormal ``b`` or ``c`` counts as a zero, as under Arm's FZ).
  Optional: a target emits ``fclass`` and ``movcond`` for the other hosts.
* ``fadd_fz_f32`` ... ``fma_fz_f64`` (the operands and ``rm`` of ``fadd`` ...
  ``fma``) are those ops under Arm's flush to zero (``softfloat.fz_op``): a
  subnormal operand reads as the zero of its sign (IDC), a result whose exact
  value is nonzero and below the smallest normal number is the zero of its sign
  (UFC and no other flag; ``fpflags.fz_flags``). Optional: a target emits the plain
  op with the flush around it in IR for the other hosts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from .softfloat import FZ_OPS
from .types import I32, I64, TCGType


class OpFlag:
    """Op flag bits (plain ints: the passes test them for every op of every TB,
    and IntFlag arithmetic costs a Python call per test)."""

    NONE: Final = 0
    BB_END: Final = 1  # ends a basic block (globals synced before it)
    COND_BRANCH: Final = 2  # may or may not branch
    SIDE_EFFECTS: Final = 4  # never removed even if outputs are unused
    CALL: Final = 8  # helper call: variable operand counts, may clobber globals
    EXIT: Final = 16  # leaves the TB
    MEM: Final = 32  # guest memory access (may fault)
    LABEL: Final = 64  # defines a label


class OpDef:
    """One opcode: its shape and what passes may assume about it. One instance per
    opcode (``OPS``), never changed; a plain class, not a dataclass (a dataclass
    costs ~0.5 ms of every process's start-up)."""

    __slots__ = ("base", "consts", "flags", "in_types", "index", "n_const", "n_in", "n_out",
                 "name", "type", "width")  # fmt: skip

    def __init__(
        self,
        name: str,
        n_out: int,
        n_in: int,
        consts: tuple[str, ...],
        flags: int,
        type: TCGType | None,
        base: str,
        in_types: tuple[TCGType, ...] = (),
    ) -> None:
        self.name = name
        self.n_out = n_out
        self.n_in = n_in
        self.consts = consts  # names of the constant arguments, in order
        self.flags = flags  # OpFlag bits
        self.type = type  # operand width, None for width-less ops
        self.base = base  # the name without its width suffix: "add" for add_i64
        self.in_types = in_types  # width of each input
        self.n_const = len(consts)  # read for every emitted op
        self.width = 64 if type is None else int(type)  # bits of ``type`` (64 if width-less)
        #: its position in ``OPS`` (a pass's per-opcode table can be a list)
        self.index = -1

    def __repr__(self) -> str:
        return f"OpDef({self.name!r}, n_out={self.n_out}, n_in={self.n_in}, consts={self.consts})"


#: the integer extensions by op family: sign or zero extension from 8, 16 or 32 bits,
#: and the moves between i32 and i64 that keep the low half (hosts lower them alike)
EXTENSIONS: Final = ("ext8s", "ext8u", "ext16s", "ext16u", "ext32s", "ext32u",
                     "extrl_i64_i32", "extu_i32_i64", "ext_i32_i64")  # fmt: skip
#: float ops that raise no IEEE flag of their own (the others have SIDE_EFFECTS)
_FLAGLESS: Final = frozenset({"fneg", "fabs", "fclass", "fnan2", "fnan3"})

_IN_TYPES = {
    "qemu_ld": (I64,),  # the guest address is always an i64
    "atomic_cmpxchg": (I64, I64, I64),  # address, expected, new
    "atomic_fetch": (I64, I64),  # address, value
    "atomic_cmpxchg2": (I64,) * 5,  # address, cmp_lo, cmp_hi, new_lo, new_hi
    "extrl_i64_i32": (I64,),
    "extrh_i64_i32": (I64,),
    "extu_i32_i64": (I32,),
    "ext_i32_i64": (I32,),
}


def _build() -> dict[str, OpDef]:
    table: dict[str, OpDef] = {}

    def op(base: str, n_out: int, n_in: int, consts: tuple[str, ...] = (),
           flags: int = OpFlag.NONE, types: tuple[TCGType, ...] = (I32, I64),
           name: str | None = None) -> None:  # fmt: skip
        for t in types:
            full = name or f"{base}_{t.suffix}"
            ins = _IN_TYPES.get(base, (t,) * n_in)
            if base == "qemu_st":
                ins = (t, I64)
            table[full] = OpDef(full, n_out, n_in, consts, flags, t, base, ins)

    for base in ("mov", "neg", "not", "ctpop", "bswap16", "bswap32",
                 "ext8s", "ext8u", "ext16s", "ext16u"):  # fmt: skip
        op(base, 1, 1)
    for base in ("bswap64", "ext32s", "ext32u"):
        op(base, 1, 1, types=(I64,))
    for base in ("add", "sub", "mul", "and", "or", "xor", "andc", "orc", "eqv", "nand", "nor",
                 "shl", "shr", "sar", "rotl", "rotr", "muluh", "mulsh",
                 "div", "divu", "rem", "remu", "clz", "ctz"):  # fmt: skip
        op(base, 1, 2)
    op("movi", 1, 0, ("value",))
    op("extract", 1, 1, ("pos", "len"))
    op("sextract", 1, 1, ("pos", "len"))
    op("deposit", 1, 2, ("pos", "len"))
    op("setcond", 1, 2, ("cond",))
    op("negsetcond", 1, 2, ("cond",))
    op("movcond", 1, 4, ("cond",))
    op("brcond", 0, 2, ("cond", "label"), OpFlag.BB_END | OpFlag.COND_BRANCH)
    op("mulu2", 2, 2)
    op("muls2", 2, 2)
    op("add2", 2, 4)
    op("sub2", 2, 4)
    # loads and stores relative to the CPU state (byte offset constant)
    for base in ("ld8u", "ld8s", "ld16u", "ld16s", "ld"):
        op(base, 1, 0, ("offset",))
    for base in ("ld32u", "ld32s"):
        op(base, 1, 0, ("offset",), types=(I64,))
    for base in ("st8", "st16", "st"):
        op(base, 0, 1, ("offset",), OpFlag.SIDE_EFFECTS)
    op("st32", 0, 1, ("offset",), OpFlag.SIDE_EFFECTS, types=(I64,))
    # guest memory
    op("qemu_ld", 1, 1, ("memop", "mmu_idx"), OpFlag.MEM | OpFlag.SIDE_EFFECTS)
    op("qemu_st", 0, 2, ("memop", "mmu_idx"), OpFlag.MEM | OpFlag.SIDE_EFFECTS)
    op("atomic_cmpxchg", 1, 3, ("memop", "mmu_idx"), OpFlag.MEM | OpFlag.SIDE_EFFECTS,
       types=(I64,))  # fmt: skip
    op("atomic_fetch", 1, 2, ("memop", "mmu_idx", "aop"), OpFlag.MEM | OpFlag.SIDE_EFFECTS,
       types=(I64,))  # fmt: skip
    op("atomic_cmpxchg2", 2, 5, ("memop", "mmu_idx"), OpFlag.MEM | OpFlag.SIDE_EFFECTS,
       types=(I64,))  # fmt: skip
    # crypto on 128-bit values as (lo, hi) pairs (optional)
    for base in ("aese", "aesd"):
        op(base, 2, 4, types=(I64,))
    for base in ("aesmc", "aesimc", "clmul"):
        op(base, 2, 2, types=(I64,))
    for base in ("sha256h", "sha256h2", "sha256su1"):
        op(base, 2, 6, types=(I64,))
    op("sha256su0", 2, 4, types=(I64,))
    for base in ("sha1c", "sha1p", "sha1m"):
        op(base, 2, 5, types=(I64,))
    for base in ("sha512h", "sha512h2", "sha512su1"):
        op(base, 2, 6, types=(I64,))
    for base in ("sha1su1", "sha512su0"):
        op(base, 2, 4, types=(I64,))
    # width conversions
    op("extrl_i64_i32", 1, 1, types=(I32,), name="extrl_i64_i32")
    op("extrh_i64_i32", 1, 1, types=(I32,), name="extrh_i64_i32")
    op("extu_i32_i64", 1, 1, types=(I64,), name="extu_i32_i64")
    op("ext_i32_i64", 1, 1, types=(I64,), name="ext_i32_i64")

    # floating point on IEEE bit patterns: f32 in i32 temps, f64 in i64 temps
    # (exact meaning: tcgkit.tcg.softfloat); the suffix names the float format
    def fop(base: str, n_in: int, consts: tuple[str, ...] = ()) -> None:
        # the IEEE flags an op raises are an effect (``tcgkit.tcg.fpflags``); the NaN
        # picks raise only what the op whose operands they take raised already
        flags = OpFlag.NONE if base in _FLAGLESS else OpFlag.SIDE_EFFECTS
        for t, fsuf in ((I32, "f32"), (I64, "f64")):
            full = f"{base}_{fsuf}"
            table[full] = OpDef(full, 1, n_in, consts, flags, t, base, (t,) * n_in)

    for base in ("fadd", "fsub", "fmul", "fdiv"):
        fop(base, 2, ("rm",))
    for base in ("fadd_fz", "fsub_fz", "fmul_fz", "fdiv_fz"):  # optional: Arm's FZ
        fop(base, 2, ("rm",))
    fop("fma_fz", 3, ("rm",))
    fop("fsqrt", 1, ("rm",))
    fop("frint", 1, ("rm",))  # round to an integral value
    fop("fma", 3, ("rm",))
    for base in ("fmin", "fmax", "fminnm", "fmaxnm", "fcmp"):
        fop(base, 2)
    for base in ("fneg", "fabs", "fclass"):
        fop(base, 1)
    fop("fnan2", 3)  # optional: NaN propagation (result, operand, operand)
    fop("fnan3", 4, ("fma",))  # (result, addend or operand, operand, operand)

    def conv(name: str, out: TCGType, src: TCGType, consts: tuple[str, ...]) -> None:
        table[name] = OpDef(name, 1, 1, consts, OpFlag.SIDE_EFFECTS, out, name, (src,))

    conv("fcvt_f64_f32", I32, I64, ("rm",))  # f64 -> f32
    conv("fcvt_f32_f64", I64, I32, ("rm",))  # f32 -> f64 (exact)
    conv("itof_f32", I32, I64, ("signed", "rm"))  # 64-bit integer -> f32
    conv("itof_f64", I64, I64, ("signed", "rm"))
    conv("ftoi_f32", I64, I32, ("signed", "bits", "rm"))  # f32 -> integer of `bits` bits
    conv("ftoi_f64", I64, I64, ("signed", "bits", "rm"))

    def plain(name: str, n_out: int, n_in: int, consts: tuple[str, ...], flags: int) -> None:
        table[name] = OpDef(name, n_out, n_in, consts, flags, None, name)

    plain("br", 0, 0, ("label",), OpFlag.BB_END)
    plain("set_label", 0, 0, ("label",), OpFlag.BB_END | OpFlag.LABEL)
    plain("goto_tb", 0, 0, ("slot",), OpFlag.SIDE_EFFECTS)
    plain("exit_tb", 0, 0, ("value",), OpFlag.BB_END | OpFlag.EXIT | OpFlag.SIDE_EFFECTS)
    exit_flags = OpFlag.BB_END | OpFlag.EXIT | OpFlag.SIDE_EFFECTS
    table["goto_ptr"] = OpDef("goto_ptr", 0, 1, (), exit_flags, None, "goto_ptr", (I64,))
    plain("insn_start", 0, 0, ("pc", "data"), OpFlag.SIDE_EFFECTS)
    plain("mb", 0, 0, ("kind",), OpFlag.SIDE_EFFECTS)
    # call: operand counts live on the Op; the constant is the Helper
    plain("call", 0, 0, ("helper",), OpFlag.CALL | OpFlag.SIDE_EFFECTS)
    for i, d in enumerate(table.values()):
        d.index = i
    return table


OPS: dict[str, OpDef] = _build()

#: the optional ops: a host gets them only if it lists them in
#: ``HostBackend.optional_ops`` (translators emit something else for the others)
OPTIONAL_OPS: Final = frozenset({"atomic_cmpxchg_i64", "atomic_fetch_i64",
                                 "atomic_cmpxchg2_i64", "aese_i64", "aesd_i64", "aesmc_i64",
                                 "aesimc_i64", "clmul_i64", "sha256h_i64", "sha256h2_i64",
                                 "sha256su0_i64", "sha256su1_i64", "sha1c_i64", "sha1p_i64",
                                 "sha1m_i64", "sha1su1_i64", "sha512h_i64", "sha512h2_i64",
                                 "sha512su0_i64", "sha512su1_i64", "fnan2_f32", "fnan2_f64",
                                 "fnan3_f32", "fnan3_f64", *FZ_OPS})  # fmt: skip


_T = TypeVar("_T")


def by_index(value: Callable[[OpDef], _T]) -> list[_T]:
    """``value(d)`` of every opcode, in a list indexed by ``OpDef.index``: how a pass
    looks a per-opcode decision up for each op (a list item, where a dict lookup by
    name or a set membership test costs a hash)."""
    return [value(d) for d in OPS.values()]


def opdef(name: str) -> OpDef:
    """The definition of ``name``; KeyError names the opcode."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown TCG opcode {name!r}") from None


#: exit_tb values the execution loop understands (goto_tb slots are 0 and 1)
EXIT_CHAIN_0: Final = 0
EXIT_CHAIN_1: Final = 1
EXIT_LOOKUP: Final = 2  # look the next TB up by the pc in the CPU state
EXIT_REQUESTED: Final = 3  # the loop must look at the CPU's exit request (hooks, stop, count)
