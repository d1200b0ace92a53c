"""The SHA-1 and SHA-512 IR ops (``sha1c_i64``, ``sha1p_i64``, ``sha1m_i64``,
``sha1su1_i64``, ``sha512h_i64``, ``sha512h2_i64``, ``sha512su0_i64``,
``sha512su1_i64``): their reference (``tcgkit.tcg.sha1``, ``tcgkit.tcg.sha512``)
against FIPS 180-4 (its examples and random messages, each block compressed by the
steps, against the digests and ``hashlib``'s; the round functions written out);
and for them and the SHA-256 ops (whose reference ``test_crypto_ops`` checks) the
op or the generic expansion ``tcgkit.tcg.crypto`` and ``tcgkit.tcg.crypto_sha``
emit for hosts without the ops, run by the reference interpreter and by tier 0,
against the reference: edge operands, whole digests, random programs through the
optimizer (random operands: ``test_crypto_ops``). SHA1H and SHA1SU0, plain IR,
against the reference too."""

from __future__ import annotations

import functools
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg import crypto, crypto_sha, sha1, sha256, sha512
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP, OPS, OPTIONAL_OPS
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.semantics import evaluate_op
from tcgkit.tcg.sha256 import halves, words
from tcgkit.tcg.types import I64
from tcgkit.testing.ir_programs import (
    SHA1_INPUTS,
    SHA512_INPUTS,
    SHA_INPUTS,
    Program,
    one_insn_tb,
    programs,
    run_in_tier0,
    sha_op_program,
)

M32, M64 = 0xFFFFFFFF, (1 << 64) - 1
U64 = st.integers(0, M64)
#: the SHA-1 and SHA-512 ops; with SHA-256's, ``ALL_KINDS``
KINDS = (*SHA1_INPUTS, *SHA512_INPUTS)
ALL_KINDS = tuple(SHA_INPUTS)
OPS_HERE = frozenset(f"{k}_i64" for k in KINDS)
ALL_OPS = frozenset(f"{k}_i64" for k in ALL_KINDS)

ABC = {
    "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "sha512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
}


def reference(kind: str, ins: list[int]) -> tuple[int, int]:
    """The op by the semantics table the interpreters use (a ``compress`` step too)."""
    lo, hi = evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ())
    return lo, hi


# -- the reference -------------------------------------------------------------------------


def test_constants_are_fips_180_4s() -> None:
    """SHA-1's K (4.2.1) from square roots, SHA-512's K (4.2.3) and H(0) (5.3.5) from
    roots of the primes: FIPS 180-4's words."""
    assert sha1.round_constants() == [0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6]
    k = sha512.round_constants()
    assert len(k) == 80 and (k[0], k[1], k[79]) == (
        0x428A2F98D728AE22, 0x7137449123EF65CD, 0x6C44198C4A475817)  # fmt: skip
    h0 = sha512.initial_state()
    assert (h0[0], h0[7]) == (0x6A09E667F3BCC908, 0x5BE0CD19137E2179)


@pytest.mark.parametrize("alg", ["sha1", "sha512"])
def test_digests_of_fips_examples_with_the_reference_ops(alg: str) -> None:
    """ "abc" (one block) and the two-block examples, every step through the semantics
    table the interpreters use."""
    module = sha1 if alg == "sha1" else sha512
    assert module.digest(b"abc", reference).hex() == ABC[alg]
    two = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    if alg == "sha512":
        two = b"".join(bytes(range(97 + i, 105 + i)) for i in range(14))
    assert module.digest(two, reference) == hashlib.new(alg, two).digest()


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=300))
def test_references_are_hashlibs(message: bytes) -> None:
    assert sha1.digest(message) == hashlib.sha1(message).digest()
    assert sha512.digest(message) == hashlib.sha512(message).digest()


def _rol(x: int, n: int) -> int:
    return (x << n | x >> (32 - n)) & M32


def test_sha1_rounds_as_fips_180_4_writes_them() -> None:
    """Four rounds of FIPS 180-4 6.1.2 step 3 (f of 4.1.1 written out) with a ... d in
    words 0-3 and W + K in the words: SHA1C, SHA1P, SHA1M."""
    vals = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0, 0xDEADBEEF,
            0x01234567, 0x89ABCDEF, 0xFFFFFFFF]  # fmt: skip
    fs = {
        "sha1c": lambda x, y, z: (x & y) ^ (~x & z),
        "sha1p": lambda x, y, z: x ^ y ^ z,
        "sha1m": lambda x, y, z: (x & y) ^ (x & z) ^ (y & z),
    }
    for shift in range(3):
        for kind, f in fs.items():
            a, b, c, d, e = (vals[(i + shift) % 9] for i in range(5))
            w = [vals[(i + 2 * shift) % 9] for i in range(5, 9)]
            ins = [*halves([a, b, c, d]), e | 0xABCD << 32, *halves(w)]  # bits 32+ ignored
            for t in range(4):
                tmp = (_rol(a, 5) + (f(b, c, d) & M32) + e + w[t]) & M32
                e, d, c, b, a = d, c, _rol(b, 30), a, tmp
            assert words(*reference(kind, ins)) == [a, b, c, d], kind


def test_sha1_plain_steps() -> None:
    """SHA1H is ROL(n, 30) of the low word; SHA1SU0 and SHA1SU1 give W[16..19] of
    FIPS 180-4 6.1.2 step 1 for "abc"'s block."""
    assert sha1.sha1h(0xFFFF_0000_8000_0001) == 0x60000000
    msg = [0x61626380] + [0] * 14 + [0x18]
    sched = list(msg)
    for t in range(16, 20):
        sched.append(_rol(sched[t - 3] ^ sched[t - 8] ^ sched[t - 14] ^ sched[t - 16], 1))
    v = [halves(msg[4 * j : 4 * j + 4]) for j in range(4)]
    su0 = sha1.sha1su0(*v[0], *v[1], *v[2])
    assert words(*reference("sha1su1", [*su0, *v[3]])) == sched[16:20]


# -- the op or the expansion ------------------------------------------------------------------


@functools.cache
def sha_program(kind: str, with_op: bool = False) -> TCGContext:
    return sha_op_program(kind, ALL_OPS if with_op else frozenset())


def sha_run(ctx: TCGContext, ins: list[int], tier0: bool = False) -> tuple[int, int]:
    state = [*ins, *[0] * (6 - len(ins)), 0xDEAD, 0xBEEF]
    if tier0:
        assert run_in_tier0(ctx, state) == EXIT_LOOKUP
    else:
        assert interpret(ctx.ops, state) == EXIT_LOOKUP
    assert state[: len(ins)] == ins  # the inputs are left alone
    return state[6], state[7]


def test_the_ops_are_declared_optional() -> None:
    assert crypto_sha.SHA_OPS == OPS_HERE
    kinds = {**crypto.SHA256_KINDS, **crypto_sha.SHA1_KINDS, **crypto_sha.SHA512_KINDS}
    for kind in ALL_KINDS:
        d = OPS[f"{kind}_i64"]
        assert d.name in OPTIONAL_OPS and d.n_out == 2 and d.flags == 0
        assert d.n_in == SHA_INPUTS[kind] == kinds[kind]
        assert d.in_types == (I64,) * d.n_in


#: what the A64 target's own expansions took before ``tcgkit.tcg.crypto`` and
#: ``crypto_sha`` had them (IR ops after optimization; SHA-1's wrote the destination
#: by its ``deposit``s, the others moved two temps into it)
BEFORE = {"sha1c": 47, "sha1p": 43, "sha1m": 51, "sha1su1": 22, "sha512h": 22,
          "sha512h2": 23, "sha512su0": 14, "sha512su1": 16, "sha256h": 109,
          "sha256h2": 68, "sha256su0": 37, "sha256su1": 46}  # fmt: skip


def test_expansion_sizes() -> None:
    """The generic expansions, optimized, moves of the result included, take no more
    ops than the target's did, SHA-1's two moves aside."""
    sizes = {}
    for kind in ALL_KINDS:
        ctx = sha_op_program(kind, frozenset())
        optimize(ctx)
        liveness(ctx)
        sizes[kind] = len(ctx.ops) - 2  # the ops of the instruction, moves included
    assert all(sizes[k] <= BEFORE[k] + 2 * k.startswith("sha1") for k in ALL_KINDS), sizes


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_edge_operands(kind: str) -> None:
    edges = [0, 1, M64, 1 << 63, 0xFFFFFFFF, 0xFFFFFFFF00000000, 0x8000000080000000]
    for a in edges:
        for b in edges:
            ins = [a, b, b ^ M64, a ^ 0x5A5A5A5A5A5A5A5A, b, a][: SHA_INPUTS[kind]]
            assert sha_run(sha_program(kind), ins) == reference(kind, ins), (a, b)


@pytest.mark.parametrize("alg", sorted(ABC))
def test_digests_with_the_expansions(alg: str) -> None:
    def step(kind: str, ins: list[int]) -> tuple[int, int]:
        return sha_run(sha_program(kind), ins, tier0=True)

    module = {"sha1": sha1, "sha256": sha256, "sha512": sha512}[alg]
    assert module.digest(b"abc", step).hex() == ABC[alg]
    message = bytes(range(150))
    assert module.digest(message, step) == hashlib.new(alg, message).digest()


@settings(max_examples=30, deadline=None)
@given(ins=st.lists(U64, min_size=6, max_size=6))
def test_sha1h_and_sha1su0_as_plain_ir(ins: list[int]) -> None:
    ctx, dc = one_insn_tb(8, frozenset())
    g = ctx.globals
    ctx.mov(g[6], crypto_sha.gen_sha1h(dc, g[0]))
    lo, hi = crypto_sha.gen_sha1su0(dc, *g[:6])
    ctx.mov(g[7], lo)
    ctx.mov(g[0], hi)
    ctx.exit_tb(EXIT_LOOKUP)
    state = [*ins, 0, 0]
    assert interpret(ctx.ops, state) == EXIT_LOOKUP
    assert state[6] == sha1.sha1h(ins[0])
    assert (state[7], state[0]) == sha1.sha1su0(*ins)


def test_errors() -> None:
    ctx, dc = one_insn_tb(8, frozenset())
    g = ctx.globals
    with pytest.raises(ValueError, match="no SHA-1 operation"):
        crypto_sha.gen_sha1(dc, "sha1x", *g[:5])
    with pytest.raises(ValueError, match="no SHA-512 operation"):
        crypto_sha.gen_sha512(dc, "sha512x", *g[:6])
    with pytest.raises(TypeError, match="takes 5 halves"):
        crypto_sha.gen_sha1(dc, "sha1c", *g[:4])
    with pytest.raises(TypeError, match="takes 4 halves"):
        crypto_sha.gen_sha512(dc, "sha512su0", *g[:6])


#: the other ops of those random programs (few: the SHA ops come often)
DENSE = ("mov", "add", "xor", "shr", "extrl_i64_i32", "extu_i32_i64", "deposit")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_ops=16, host_ops=ALL_OPS, op_filter=lambda d: d.name in ALL_OPS
                or d.base in DENSE))  # fmt: skip
def test_random_programs_with_the_ops(prog: Program) -> None:
    """The ops among random value ops (operands constants, globals or temps): tier 0
    and the optimizer (constants folded through the reference) keep their meaning."""
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    ctx = prog.ctx
    got = list(prog.state)
    assert (run_in_tier0(ctx, got), got) == (want_exit, expect), format_ops(ctx.ops)
    optimize(ctx)
    liveness(ctx)
    got = list(prog.state)
    assert (interpret(ctx.ops, got), got) == (want_exit, expect), format_ops(ctx.ops)
