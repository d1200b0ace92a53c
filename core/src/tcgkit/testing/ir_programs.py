"""Random straight-line and branching IR programs (hypothesis strategies).

Owns the generator every differential test of the IR uses: the optimizer
against the reference interpreter, and each host backend against the
reference. A program works on a CPU state of ``NSLOTS`` slots whose first
globals are i64 ``g0..g5`` and i32 ``h0..h1``; it computes with random value
ops, random constants (edges included), optional forward branches around
blocks of ops, and ends with ``exit_tb``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from ..tcg.context import TCGContext
from ..tcg.ir import Temp
from ..tcg.ops import EXIT_LOOKUP, OPS, OPTIONAL_OPS, OpDef
from ..tcg.types import I32, I64, Cond, RoundingMode, TCGType

if TYPE_CHECKING:
    from ..target import DisasContext

NSLOTS = 8
G64 = 6
G32 = 2

EDGES = {
    I32: [0, 1, 2, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE,
          # f32 encodings: 1.0, -2.5, max finite, inf, -inf, qNaN, sNaN, min subnormal
          0x3F800000, 0xC0200000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
          0x7F800001, 0x00000001, 0x4F000000],
    I64: [0, 1, 2, 31, 32, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
          0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE,
          # f64 encodings: 1.0, -2.5, max finite, inf, -inf, qNaN, sNaN, min subnormal, 2^63
          0x3FF0000000000000, 0xC004000000000000, 0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000,
          0xFFF0000000000000, 0x7FF8000000000000, 0x7FF0000000000001, 0x0000000000000001,
          0x43E0000000000000],
}  # fmt: skip

_VALUE: list[OpDef] = [
    d
    for d in OPS.values()
    if d.type is not None
    and d.base not in ("brcond", "qemu_ld", "qemu_st", "movi")
    and not d.base.startswith(("ld", "st", "atomic_"))
]
#: value ops a random program may use (no memory, no control flow, no calls, no
#: optional op: only hosts that list one get it, ``programs(host_ops=...)``)
VALUE_OPS: list[OpDef] = [d for d in _VALUE if d.name not in OPTIONAL_OPS]
#: the optional value ops (the crypto ops), drawn for a host that lists them
OPTIONAL_VALUE_OPS: list[OpDef] = [d for d in _VALUE if d.name in OPTIONAL_OPS]


def template() -> tuple[TCGContext, list[Temp]]:
    ctx = TCGContext(8 * NSLOTS)
    gl = [ctx.new_global(I64, 8 * i, f"g{i}") for i in range(G64)]
    gl += [ctx.new_global(I32, 8 * (G64 + i), f"h{i}") for i in range(G32)]
    ctx.freeze()
    return ctx, gl


@dataclass
class Program:
    ctx: TCGContext
    state: list[int]

    def __repr__(self) -> str:
        from ..tcg.dump import format_ops

        return f"Program(state={[hex(v) for v in self.state]},\n{format_ops(self.ctx.ops)})"


def _value(draw: Callable, ty: TCGType) -> int:
    return draw(st.one_of(st.sampled_from(EDGES[ty]), st.integers(0, ty.mask)))


@st.composite
def programs(draw: Callable, max_ops: int = 24, branches: bool = True,
             op_filter: Callable[[OpDef], bool] | None = None,
             host_ops: frozenset[str] = frozenset()) -> Program:  # fmt: skip
    """A random TB: value ops over globals and temps, maybe forward branches;
    ``op_filter`` narrows the value ops (e.g. integer ops only, for a host in
    progress); ``host_ops`` (a host's ``optional_ops``) adds the optional value ops
    it names."""
    choices = VALUE_OPS + [d for d in OPTIONAL_VALUE_OPS if d.name in host_ops]
    if op_filter is not None:
        choices = [d for d in choices if op_filter(d)]
    tmpl, _ = template()
    ctx = tmpl.clone("test")
    pool: dict[TCGType, list[Temp]] = {I64: [], I32: []}
    for g in ctx.globals:
        pool[g.type].append(g)
    state = [_value(draw, I64) for _ in range(G64)] + [_value(draw, I32) for _ in range(G32)]
    open_labels = []
    ctx.insn_start(0x1000)
    for _ in range(draw(st.integers(1, max_ops))):
        if branches and draw(st.integers(0, 9)) == 0:
            lab = ctx.label()
            ty = draw(st.sampled_from([I32, I64]))
            a = draw(st.sampled_from(pool[ty]))
            b = draw(st.one_of(st.sampled_from(pool[ty]), st.just(_value(draw, ty))))
            ctx.brcond(draw(st.sampled_from(list(Cond))), a, b, lab)
            open_labels.append(lab)
            continue
        if open_labels and draw(st.integers(0, 3)) == 0:
            ctx.set_label(open_labels.pop())
            continue
        d = draw(st.sampled_from(choices))
        ins: list[Temp | int] = []
        for ty in d.in_types:
            if draw(st.integers(0, 3)) == 0:
                ins.append(_value(draw, ty))
            else:
                ins.append(draw(st.sampled_from(pool[ty])))
        consts = _consts(draw, d)
        outs = []
        for _ in range(d.n_out):
            if draw(st.booleans()):
                t = draw(st.sampled_from([g for g in ctx.globals if g.type is d.type]))
            else:
                t = ctx.temp(d.type, local=True)
            outs.append(t)
        if d.n_out == 2 and outs[0] is outs[1]:
            outs[1] = ctx.temp(d.type, local=True)
        ctx.emit(d.name, *outs, *ins, *consts)
        for t in outs:
            # a temp first written under a branch may be unset after its label
            if t not in pool[t.type] and (t.is_global or not open_labels):
                pool[t.type].append(t)
    for lab in reversed(open_labels):
        ctx.set_label(lab)
    ctx.exit_tb(EXIT_LOOKUP)
    return Program(ctx, state)


def _consts(draw: Callable, d: OpDef) -> list[int]:
    w = d.type.value if d.type is not None else 64
    if d.consts == ("pos", "len"):
        pos = draw(st.integers(0, w - 1))
        return [pos, draw(st.integers(1, w - pos))]
    if d.consts == ("cond",):
        return [draw(st.sampled_from(list(Cond)))]
    out = []
    for name in d.consts:
        if name == "rm":
            out.append(draw(st.sampled_from(list(RoundingMode))))
        elif name == "signed":
            out.append(draw(st.integers(0, 1)))
        elif name == "fma":  # 3: subnormal factors count as zeros (flush to zero)
            out.append(draw(st.sampled_from([0, 1, 3])))
        elif name == "bits":
            out.append(draw(st.sampled_from([32, 64])))
        else:
            raise AssertionError(f"no strategy for constant {name!r} of {d.name}")
    return out


#: the crypto ops' operand counts (``tcgkit.tcg.crypto``): 128-bit state and key, or one
#: 128-bit value, or two 64-bit factors
CRYPTO_INPUTS = {"aese": 4, "aesd": 4, "aesmc": 2, "aesimc": 2, "clmul": 2}


def one_insn_tb(n_globals: int, host_ops: frozenset[str]) -> tuple[TCGContext, DisasContext]:
    """A TB being translated at 0x1000 on ``n_globals`` i64 globals ``g0``... (the
    state's words, in order), its instruction started, and the ``DisasContext`` a
    target would emit into for a host that lowers ``host_ops``."""
    from ..target import DisasContext

    tmpl = TCGContext(8 * n_globals)
    for i in range(n_globals):
        tmpl.new_global(I64, 8 * i, f"g{i}")
    tmpl.freeze()
    ctx = tmpl.clone("t")
    dc = DisasContext(ctx, 0x1000, 0x1000, 0, 0, 1, lambda addr, n: b"", host_ops=host_ops)
    ctx.insn_start(0x1000)
    return ctx, dc


def crypto_op_program(kind: str, host_ops: frozenset[str]) -> TCGContext:
    """A one-instruction TB on six i64 globals: ``g4, g5 = kind(g0, g1[, g2, g3])``,
    emitted through ``tcgkit.tcg.crypto`` as a target would for a host that lowers
    ``host_ops`` (the optional op, or the generic expansion); not yet optimized."""
    from ..tcg import crypto

    ctx, dc = one_insn_tb(6, host_ops)
    g = ctx.globals
    if kind == "clmul":
        lo, hi = crypto.gen_clmul(dc, g[0], g[1])
    elif CRYPTO_INPUTS[kind] == 4:
        lo, hi = crypto.gen_aes(dc, kind, g[0], g[1], g[2], g[3])
    else:
        lo, hi = crypto.gen_aes(dc, kind, g[0], g[1])
    ctx.mov(g[4], lo)
    ctx.mov(g[5], hi)
    ctx.exit_tb(EXIT_LOOKUP)
    return ctx


#: the SHA ops' operand counts (``tcgkit.tcg.crypto.SHA256_KINDS``,
#: ``tcgkit.tcg.crypto_sha.SHA1_KINDS``, ``SHA512_KINDS``): (lo, hi) of three 128-bit
#: values, or of two; SHA-1's rounds: (lo, hi) of abcd, e, (lo, hi) of the words
SHA256_INPUTS = {"sha256h": 6, "sha256h2": 6, "sha256su0": 4, "sha256su1": 6}
SHA1_INPUTS = {"sha1c": 5, "sha1p": 5, "sha1m": 5, "sha1su1": 4}
SHA512_INPUTS = {"sha512h": 6, "sha512h2": 6, "sha512su0": 4, "sha512su1": 6}
SHA_INPUTS = {**SHA256_INPUTS, **SHA1_INPUTS, **SHA512_INPUTS}


def sha_op_program(kind: str, host_ops: frozenset[str]) -> TCGContext:
    """A one-instruction TB on eight i64 globals: ``g6, g7 = kind(g0 ...)`` (as many
    inputs as ``SHA_INPUTS`` says), emitted through ``tcgkit.tcg.crypto.gen_sha256``,
    ``tcgkit.tcg.crypto_sha.gen_sha1`` or ``gen_sha512`` as a target would for a host
    that lowers ``host_ops``; not yet optimized."""
    from ..tcg import crypto, crypto_sha

    ctx, dc = one_insn_tb(8, host_ops)
    g = ctx.globals
    if kind in SHA1_INPUTS:
        gen = crypto_sha.gen_sha1
    else:
        gen = crypto_sha.gen_sha512 if kind in SHA512_INPUTS else crypto.gen_sha256
    lo, hi = gen(dc, kind, *g[: SHA_INPUTS[kind]])
    ctx.mov(g[6], lo)
    ctx.mov(g[7], hi)
    ctx.exit_tb(EXIT_LOOKUP)
    return ctx


class _NoTLB:
    """A TLB without entries (``run_in_tier0``'s TBs touch no guest memory); a list,
    as the compiled tier 0 reads it."""

    def __init__(self) -> None:
        self.entries: list[object] = []


class _StateOnly:
    """What tier 0's ``run_tb`` uses of a vCPU for a TB without memory accesses: the
    program's slots as its state."""

    def __init__(self, state: list[int]) -> None:
        self.words = state
        self.tlb = _NoTLB()
        self.interp_insn = 0


def run_in_tier0(ctx: TCGContext, state: list[int]) -> int:
    """Run the TB ``ctx`` (no guest memory accesses) by tier 0 on the slots ``state``
    (changed in place); its exit code."""
    from ..exec.tier0 import run_tb
    from ..exec.tier0_program import prepare

    return run_tb(_StateOnly(state), prepare(ctx.ops, ctx.n_globals, len(ctx.temps)))
