"""The flush-to-zero float ops (``fadd_fz_f32`` ... ``fma_fz_f64``, Arm's FPCR.FZ in
one op: ``softfloat.fz_op``) on x86-64 compute softfloat's result in every rounding
mode and feature set: subnormal operands of either sign, the smallest normals,
products, quotients and fused sums whose exact value lands just below or just above
the smallest normal number, zeros, infinities, NaNs and random encodings. The
inline path leaves exactly ``fpflags.fz_flags``' flags in MXCSR; the out-of-line
one (a flushed operand or result, a result that may be tiny) leaves none there
(its flags go to the CPU's word, which this runner has not: the A64 tests against
Unicorn check them, ``plugins/target-aarch64/tests/test_flush_to_zero.py``)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.fpflags import OP_FLAGS
from tcgkit.tcg.ops import EXIT_LOOKUP, opdef
from tcgkit.tcg.softfloat import FZ_BASES, FZ_OPS, OP_IMPL
from tcgkit.tcg.types import I32, I64, RoundingMode
from tcgkit_host_x86.features import detect
from tcgkit_host_x86.mxcsr import to_fpflags


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _edges(enc, tiny: float, sqrt_tiny: float) -> list[int]:
    """Subnormals, the smallest normals, the square roots of the smallest normal
    (whose products land at the threshold), ordinary values, specials."""
    xs = [tiny, tiny * 1.5, sqrt_tiny, sqrt_tiny * 0.999, sqrt_tiny * 1.001, 1.0, -1.0, 0.5,
          3.0, 1e-3, 0.0, -0.0, float("inf"), float("-inf"), 2.0**60, 2.0**-60]  # fmt: skip
    out = [enc(x) for x in xs] + [enc(-x) for x in xs[:5]]
    return out


SUB_64 = [0x0000000000000001, 0x000FFFFFFFFFFFFF, 0x8000000000000005, 0x0008000000000000]
SUB_32 = [0x00000001, 0x007FFFFF, 0x80000003, 0x00400000]
EDGES = {
    True: _edges(f64, 2.0**-1022, 2.0**-511) + SUB_64 + [0x7FF8000000000000,
                                                        0x7FF0000000000001],
    False: _edges(f32, 2.0**-126, 2.0**-63) + SUB_32 + [0x7FC00000, 0x7F800001],
}  # fmt: skip
NAMES = sorted(f"{b}_fz_{w}" for b in FZ_BASES for w in ("f32", "f64"))


def program(name: str) -> TCGContext:
    d = opdef(name)
    ctx = TCGContext(64)
    ins = [ctx.new_global(d.type, 8 * i, f"in{i}") for i in range(d.n_in)]
    out = ctx.new_global(d.type, 32, "out")
    ctx.freeze()
    return ctx, ins, out


def check(runner, name: str, ins: list[int], rm: int) -> None:
    ctx, regs, out = program(name)
    ctx.emit(name, out, *regs, rm)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    state = [*ins, *[0] * (4 - len(ins)), 0xDEAD]
    assert runner.run(ctx.ops, state) == EXIT_LOOKUP
    want = OP_IMPL[name](*ins, rm)
    assert state[4] == want, (name, [hex(x) for x in ins], rm, hex(state[4]), hex(want))
    got_flags = to_fpflags(runner.native.fp[0])
    want_flags = OP_FLAGS[name](*ins, rm)
    # inline: exactly the op's flags; out of line: none here (they go to the CPU)
    assert got_flags in (0, want_flags), (name, [hex(x) for x in ins], rm, got_flags, want_flags)


RMS = [RoundingMode.NEAREST_EVEN, RoundingMode.UP, RoundingMode.DOWN, RoundingMode.ZERO,
       RoundingMode.NEAREST_AWAY]  # fmt: skip


@pytest.mark.parametrize("features", ["all", "none"])
@pytest.mark.parametrize("name", NAMES)
def test_edges(make_runner, features: str, name: str) -> None:
    """A third of the pairs of edge values (and a third value as the addend of a fused
    op) in nearest-even mode, and a sample of them in the other modes; with every
    feature the host detects and with none (no FMA3: fused ops out of line)."""
    runner = make_runner(detect() if features == "all" else detect().without("all"))
    d = opdef(name)
    edges = EDGES[d.type is I64]
    for i, a in enumerate(edges):
        for j, b in enumerate(edges):
            if (i * len(edges) + j) % 3:
                continue
            ins = [a, b] if d.n_in == 2 else [a, b, edges[(i + j) % len(edges)]]
            check(runner, name, ins, RoundingMode.NEAREST_EVEN)
            if (i + j) % 7 == 0:
                check(runner, name, ins, RMS[(i * 3 + j) % len(RMS)])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(RMS), st.lists(st.integers(0, 4), min_size=3,
       max_size=3), st.lists(st.integers(0, (1 << 64) - 1), min_size=3, max_size=3))  # fmt: skip
def test_random(runner, name: str, rm: int, kinds: list[int], raw: list[int]) -> None:
    """Operands: an edge value, a random encoding, or a random number scaled near the
    threshold's square root (products and quotients near it) or the threshold."""
    d = opdef(name)
    double = d.type is I64
    enc = f64 if double else f32
    low = -1022 if double else -126
    ins = []
    for kind, r in zip(kinds[: d.n_in], raw, strict=False):
        mant = 1 + (r >> 8) % 1000 / 1000
        sign = -1 if r & 1 else 1
        if kind == 0:
            x = EDGES[double][r % len(EDGES[double])]
        elif kind == 1:
            x = r if double else r & 0xFFFFFFFF
        elif kind == 2:
            x = enc(sign * mant * 2.0 ** (low // 2 + (r >> 2) % 5 - 2))
        elif kind == 3:
            x = enc(sign * mant * 2.0 ** (low + (r >> 2) % 5 - 2))
        else:
            x = enc(sign * mant * 2.0 ** ((r >> 2) % 40 - 20))
        ins.append(x)
    check(runner, name, ins, rm)


def test_the_ops_are_typed_as_their_plain_twins() -> None:
    for name in NAMES:
        d, plain = opdef(name), opdef(name.replace("_fz", ""))
        assert (d.n_in, d.consts, d.type, d.in_types) == (
            plain.n_in, plain.consts, plain.type, plain.in_types)  # fmt: skip
        assert d.type in (I32, I64)


def test_ordinary_operands_never_go_out_of_line() -> None:
    """Under FPCR.FZ a loop of products, quotients and fused ops (scalar and vector) of
    ordinary numbers computes in generated code: a twin goes out of line (the host's
    call into softfloat) only for a quotient whose exact value is tiny, and flushes it
    there."""
    from tcgkit import Emulator
    from tcgkit_target_aarch64.oracle import run_fz_loop

    calls: list[str] = []
    with Emulator("aarch64", host="x86_64", tier_up=0) as emu:
        host = emu.engine.host
        for name in sorted(FZ_OPS):  # count the runtime's out-of-line calls of each twin
            i = host._py_op_index(name, (0,))
            fn = host._py_ops[i]
            host._py_ops[i] = lambda *a, _f=fn, _n=name: (calls.append(_n), _f(*a))[1]
        run_fz_loop(emu)
        assert emu.reg_read("d16") == 0x400E000000000000  # 3.75
        assert calls == []
        run_fz_loop(emu, tiny=True)
        assert calls == ["fdiv_fz_f64"]  # the product and the fused sum: proven normal
        assert emu.reg_read("d17") == 1 << 63  # -2^-1023: flushed to -0
        assert emu.reg_read("d16") == 0x0034000000000000  # 2.5 * 2^-1021
