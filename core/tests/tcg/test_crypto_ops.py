"""The crypto IR ops (``aese_i64``, ``aesd_i64``, ``aesmc_i64``, ``aesimc_i64``,
``clmul_i64``, ``sha256h_i64``, ``sha256h2_i64``, ``sha256su0_i64``,
``sha256su1_i64``): their reference (``tcgkit.tcg.aes``, ``semantics.clmul``,
``tcgkit.tcg.sha256``) against FIPS-197 (the S-box's defining equations, the
AES-128 example of appendix C.1 run as a full cipher and inverse cipher built from
the four ops) and FIPS 180-4 (SHA-256 of "abc" and of random messages, each block
compressed by the four SHA-256 ops, against its digest and ``hashlib``'s), and the
generic expansions ``tcgkit.tcg.crypto`` emits for hosts without the ops, run by
the reference interpreter and by tier 0, against the reference: every byte value
in every lane through SubBytes and InvSubBytes, random states, keys and operands
(SHA-256's op or expansion: ``test_crypto_sha_ops``, with SHA-1's and SHA-512's)."""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.exec.tier0 import run_tb
from tcgkit.exec.tier0_program import prepare
from tcgkit.target import DisasContext
from tcgkit.tcg import aes, crypto, crypto_sha, sha256
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP, OPS, OPTIONAL_OPS
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.semantics import SEMANTICS, clmul, evaluate_op
from tcgkit.tcg.types import I64
from tcgkit.testing.ir_programs import (
    CRYPTO_INPUTS,
    SHA256_INPUTS,
    SHA_INPUTS,
    Program,
    crypto_op_program,
    programs,
    sha_op_program,
)

M64 = (1 << 64) - 1
U64 = st.integers(0, M64)
KINDS = ("aese", "aesd", "aesmc", "aesimc", "clmul")
SHA_KINDS = tuple(SHA256_INPUTS)
CRYPTO_OPS = frozenset(f"{k}_i64" for k in KINDS)
SHA_OPS = frozenset(f"{k}_i64" for k in SHA_KINDS)
N_IN = CRYPTO_INPUTS


def reference(kind: str, ins: list[int]) -> tuple[int, int]:
    lo, hi = evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ())
    return lo, hi


def h(text: str) -> tuple[int, int]:
    """The (lo, hi) halves of a 16-byte state written as FIPS-197 does (byte 0 first)."""
    return aes.halves(bytes.fromhex(text))


# -- the reference -------------------------------------------------------------------


def test_the_sbox_is_the_affine_map_of_the_inverse() -> None:
    for a in range(256):
        inv = aes.gf_inv(a)
        assert (a == 0 and inv == 0) or aes.gf_mul(a, inv) == 1
        # FIPS-197 (5.1.1): b'_i = b_i + b_(i+4) + b_(i+5) + b_(i+6) + b_(i+7) + c_i
        want = 0
        for i in range(8):
            bit = 0x63 >> i & 1
            for k in (0, 4, 5, 6, 7):
                bit ^= inv >> ((i + k) % 8) & 1
            want |= bit << i
        assert aes.SBOX[a] == want
        assert aes.INV_SBOX[aes.SBOX[a]] == a
    assert aes.SBOX[0x00] == 0x63 and aes.SBOX[0x53] == 0xED  # FIPS-197 figure 7's example
    assert sorted(aes.SBOX) == list(range(256))


def test_mix_columns_of_a_known_column_and_the_inverses() -> None:
    s = bytes.fromhex("db135345f20a225c01010101c6c6c6c6")
    assert aes.mix_columns(s).hex() == "8e4da1bc9fdc589d01010101c6c6c6c6"
    assert aes.inv_mix_columns(aes.mix_columns(s)) == s
    assert aes.inv_shift_rows(aes.shift_rows(bytes(range(16)))) == bytes(range(16))
    assert aes.shift_rows(bytes(range(16))).hex() == "00050a0f04090e03080d02070c01060b"


KEY = "000102030405060708090a0b0c0d0e0f"
PLAIN = "00112233445566778899aabbccddeeff"
CIPHER = "69c4e0d86a7b0430d8cdb78070b4c55a"


def round_keys(key: bytes) -> list[tuple[int, int]]:
    """AES-128's key expansion (FIPS-197 5.2) from the reference S-box."""
    words = [key[4 * i : 4 * i + 4] for i in range(4)]
    rcon = 1
    for i in range(4, 44):
        t = words[i - 1]
        if i % 4 == 0:
            t = aes.sub_bytes(t[1:] + t[:1])
            t = bytes((t[0] ^ rcon, *t[1:]))
            rcon = aes.xtime(rcon)
        words.append(bytes(a ^ b for a, b in zip(words[i - 4], t, strict=True)))
    return [aes.halves(b"".join(words[4 * r : 4 * r + 4])) for r in range(11)]


def encrypt(op: Any, block: tuple[int, int], keys: list[tuple[int, int]]) -> tuple[int, int]:
    """AES-128 as A64 code computes it: AESE, AESMC per round, AESE, EOR."""
    s = block
    for r in range(9):
        s = op("aesmc", [*op("aese", [*s, *keys[r]])])
    s = op("aese", [*s, *keys[9]])
    return s[0] ^ keys[10][0], s[1] ^ keys[10][1]


def decrypt(op: Any, block: tuple[int, int], keys: list[tuple[int, int]]) -> tuple[int, int]:
    """The equivalent inverse cipher (FIPS-197 5.3.5): AESD, AESIMC per round with
    the round keys through InvMixColumns."""
    s, k = block, keys[10]
    for r in range(9, 0, -1):
        s = op("aesimc", [*op("aesd", [*s, *k])])
        k = op("aesimc", [*keys[r]])
    s = op("aesd", [*s, *k])
    return s[0] ^ keys[0][0], s[1] ^ keys[0][1]


def test_fips197_appendix_c1_with_the_reference_ops() -> None:
    keys = round_keys(bytes.fromhex(KEY))
    assert keys[10] == h("13111d7fe3944a17f307a78b4d2b30c5")  # the last round key
    # round[1].start of appendix C.1: after the first AESE and AESMC, the next key added
    s = reference("aesmc", [*reference("aese", [*h(PLAIN), *keys[0]])])
    assert (s[0] ^ keys[1][0], s[1] ^ keys[1][1]) == h("89d810e8855ace682d1843d8cb128fe4")
    assert encrypt(reference, h(PLAIN), keys) == h(CIPHER)
    assert decrypt(reference, h(CIPHER), keys) == h(PLAIN)


def test_clmul_reference() -> None:
    assert clmul(M64, M64) == (0x5555555555555555, 0x5555555555555555)
    assert clmul(1 << 63, 1 << 63) == (0, 1 << 62)
    assert clmul(0x87, 0x3) == (0x189, 0)  # (x^7 + x^2 + x + 1)(x + 1)
    assert SEMANTICS["clmul"](64, 3, 5) == (15, 0)


@given(a=U64, b=U64)
def test_clmul_is_the_polynomial_product(a: int, b: int) -> None:
    want = 0
    for i in range(64):
        if b >> i & 1:
            want ^= a << i
    assert clmul(a, b) == (want & M64, want >> 64)


def test_the_ops_are_declared_optional() -> None:
    for name in CRYPTO_OPS:
        d = OPS[name]
        assert name in OPTIONAL_OPS and d.n_out == 2 and d.flags == 0
        assert d.n_in == N_IN[d.base] and d.in_types == (I64,) * d.n_in


# -- the expansions ------------------------------------------------------------------


def template(n: int = 6) -> tuple[TCGContext, list[Temp]]:
    tmpl = TCGContext(8 * n)
    for i in range(n):
        tmpl.new_global(I64, 8 * i, f"g{i}")
    tmpl.freeze()
    ctx = tmpl.clone("t")
    return ctx, list(ctx.globals)


def disas(ctx: TCGContext, host_ops: frozenset[str]) -> DisasContext:
    return DisasContext(ctx, 0x1000, 0x1000, 0, 0, 1, lambda addr, n: b"", host_ops=host_ops)


def one_op(kind: str, host_ops: frozenset[str] = frozenset()) -> TCGContext:
    """g4, g5 = kind(g0, g1[, g2, g3]), as a target emits it."""
    return crypto_op_program(kind, host_ops)


_PROGRAMS: dict[tuple[str, bool], TCGContext] = {}


def program(kind: str, with_op: bool = False) -> TCGContext:
    key = (kind, with_op)
    if key not in _PROGRAMS:
        _PROGRAMS[key] = one_op(kind, CRYPTO_OPS if with_op else frozenset())
    return _PROGRAMS[key]


class _TLB:
    entries: list[Any] = []


class _VCPU:
    """What tier 0's ``run_tb`` uses of a vCPU for a TB without memory accesses."""

    def __init__(self, state: list[int]) -> None:
        self.words: MutableSequence[int] = state
        self.tlb = _TLB()
        self.interp_insn = 0


def run(ctx: TCGContext, ins: list[int], tier0: bool = False, slots: int = 4) -> tuple[int, int]:
    """The op's outputs, the ``slots`` globals before them its inputs (then zeros)."""
    state = [*ins, *[0] * (slots - len(ins)), 0xDEAD, 0xBEEF]
    if tier0:
        run_tb(_VCPU(state), prepare(ctx.ops, len(ctx.globals), len(ctx.temps)))
    else:
        assert interpret(ctx.ops, state) == EXIT_LOOKUP
    assert state[: len(ins)] == ins  # the inputs are left alone
    return state[slots], state[slots + 1]


@pytest.mark.parametrize("kind", KINDS + tuple(SHA_INPUTS))
def test_the_op_where_the_host_lists_it_else_plain_ops(kind: str) -> None:
    """Every crypto op, the SHA ones too (``tcgkit.tcg.crypto``, ``crypto_sha``)."""
    build = sha_op_program if kind in SHA_INPUTS else crypto_op_program
    with_op = [op.opc for op in build(kind, OPTIONAL_OPS).ops]
    assert with_op == ["insn_start", f"{kind}_i64", "mov_i64", "mov_i64", "exit_tb"]
    plain = build(kind, frozenset()).ops
    assert not {op.opc for op in plain} & OPTIONAL_OPS
    assert not any(op.opc == "call" for op in plain)  # never Python


def test_expansion_sizes() -> None:
    """The generic expansions stay small (ops between the insn_start and the moves)."""
    sizes = {k: len(program(k).ops) - 4 for k in KINDS}
    assert sizes["aese"] < 300 and sizes["aesd"] < 300, sizes
    assert sizes["aesmc"] <= 40 and sizes["aesimc"] <= 80 and sizes["clmul"] <= 100, sizes


@pytest.mark.parametrize("kind", ["aese", "aesd"])
def test_every_byte_in_every_lane_through_sub_bytes(kind: str) -> None:
    """SubBytes / InvSubBytes of all 256 values, 16 lanes at a time, in every lane."""
    ctx = program(kind)
    values = bytes(range(256))
    for block in range(16):
        for turn in range(16):
            chunk = values[16 * block : 16 * block + 16]
            state = aes.halves(chunk[turn:] + chunk[:turn])
            ins = [*state, 0, 0]
            assert run(ctx, ins) == reference(kind, ins), (block, turn)


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS + tuple(SHA_INPUTS)), ins=st.lists(U64, min_size=6, max_size=6))
def test_expansions_match_the_reference(kind: str, ins: list[int]) -> None:
    """Every crypto op, the SHA ones too (``test_crypto_sha_ops``: their references)."""
    sha = kind in SHA_INPUTS
    ins = ins[: SHA_INPUTS[kind] if sha else N_IN[kind]]
    slots = 6 if sha else 4

    def build(with_op: bool) -> TCGContext:
        if sha:
            return sha_op_program(kind, OPTIONAL_OPS if with_op else frozenset())
        return program(kind, with_op)

    plain, with_op = build(False), build(True)
    want = reference(kind, ins)
    assert run(plain, ins, slots=slots) == want
    assert run(plain, ins, tier0=True, slots=slots) == want
    assert run(with_op, ins, tier0=True, slots=slots) == want  # the op itself in tier 0
    assert run(with_op, ins, slots=slots) == want


@pytest.mark.parametrize("kind", KINDS)
def test_edge_operands(kind: str) -> None:
    edges = [0, 1, M64, 1 << 63, 0x8080808080808080, 0x0101010101010101, 0x7F7F7F7F7F7F7F7F]
    for a in edges:
        for b in edges:
            ins = [a, b, b, a][: N_IN[kind]]
            assert run(program(kind), ins) == reference(kind, ins), (hex(a), hex(b))


def test_fips197_appendix_c1_with_the_expansions() -> None:
    keys = round_keys(bytes.fromhex(KEY))

    def op(kind: str, ins: list[int]) -> tuple[int, int]:
        return run(program(kind), ins, tier0=True)

    assert encrypt(op, h(PLAIN), keys) == h(CIPHER)
    assert decrypt(op, h(CIPHER), keys) == h(PLAIN)


def test_the_sbox_circuits_are_exact() -> None:
    lanes = [sum(1 << v for v in range(256) if v >> j & 1) for j in range(8)]
    for inverse, table in ((False, aes.SBOX), (True, aes.INV_SBOX)):
        outs = crypto.evaluate_circuit(crypto._sbox_circuit(inverse), lanes, (1 << 256) - 1)
        got = [sum((outs[j] >> v & 1) << j for j in range(8)) for v in range(256)]
        assert bytes(got) == table


def test_errors() -> None:
    ctx, g = template()
    dc = disas(ctx, frozenset())
    with pytest.raises(ValueError, match="no AES operation"):
        crypto.gen_aes(dc, "aesx", g[0], g[1])
    with pytest.raises(TypeError, match="takes a round key"):
        crypto.gen_aes(dc, "aese", g[0], g[1])
    with pytest.raises(TypeError, match="takes no round key"):
        crypto.gen_aes(dc, "aesmc", g[0], g[1], g[2], g[3])


# -- random programs with the ops: the optimizer and tier 0 -----------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_ops=24, host_ops=CRYPTO_OPS))
def test_random_programs_with_the_ops(prog: Program) -> None:
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    ctx = prog.ctx
    got = list(prog.state)
    exit_ = run_tb(_VCPU(got), prepare(ctx.ops, len(ctx.globals), len(ctx.temps)))
    assert (exit_, got) == (want_exit, expect), format_ops(ctx.ops)
    optimize(ctx)
    liveness(ctx)
    got = list(prog.state)
    assert (interpret(ctx.ops, got), got) == (want_exit, expect), format_ops(ctx.ops)


def test_random_programs_leave_optional_ops_out_unless_asked() -> None:
    from tcgkit.tcg.softfloat import FZ_OPS
    from tcgkit.testing.ir_programs import OPTIONAL_VALUE_OPS, VALUE_OPS

    assert not {d.name for d in VALUE_OPS} & OPTIONAL_OPS
    nan_ops = {f"fnan{n}_f{w}" for n in (2, 3) for w in (32, 64)}
    sha1_512 = crypto_sha.SHA_OPS  # (``test_crypto_sha_ops``)
    others = nan_ops | FZ_OPS  # (the flush-to-zero twins: ``softfloat.fz_op``)
    assert {d.name for d in OPTIONAL_VALUE_OPS} == CRYPTO_OPS | SHA_OPS | sha1_512 | others
    assert crypto.CRYPTO_OPS == CRYPTO_OPS | SHA_OPS


# -- SHA-256: the reference ------------------------------------------------------------


def sha_reference(kind: str, ins: list[int]) -> tuple[int, int]:
    lo, hi = evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ())
    return lo, hi


def test_sha256_constants_are_fips_180_4s() -> None:
    """K and H(0) as computed (cube and square roots of the primes): FIPS 180-4's
    first and last words (4.2.2, 5.3.3)."""
    k, h0 = sha256.round_constants(), sha256.initial_state()
    assert len(k) == 64 and (k[0], k[1], k[62], k[63]) == (
        0x428A2F98, 0x71374491, 0xBEF9A3F7, 0xC67178F2)  # fmt: skip
    assert h0 == [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                  0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]  # fmt: skip


ABC_DIGEST = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_sha256_of_abc_with_the_reference_ops() -> None:
    """FIPS 180-4's example (one block), compressed by the four ops through the
    semantics table the interpreters use."""
    assert sha256.digest(b"abc", sha_reference).hex() == ABC_DIGEST
    two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    assert sha256.digest(two_blocks, sha_reference).hex() == (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(message=st.binary(max_size=200))
def test_sha256_reference_is_hashlibs(message: bytes) -> None:
    import hashlib

    assert sha256.digest(message) == hashlib.sha256(message).digest()


def _ror(x: int, n: int) -> int:
    return (x >> n | x << (32 - n)) & 0xFFFFFFFF


def test_sha256_steps_as_fips_180_4_writes_them() -> None:
    """SHA256H and SHA256H2 are four rounds of FIPS 180-4 6.2.2 step 3 (written out
    here, its functions of 4.1.2 too) with (a, b, c, d) and (e, f, g, h) in words 0-3;
    SHA256SU0 then SHA256SU1 give W[16..19] of step 1."""
    m32 = 0xFFFFFFFF
    vals = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C,
            0x1F83D9AB, 0x5BE0CD19, 0xDEADBEEF, 0x01234567, 0x89ABCDEF, 0xFFFFFFFF]  # fmt: skip
    for shift in range(4):
        a, b, c, d, e, f, g, h = (vals[(i + shift) % 12] for i in range(8))
        w = [vals[(i + 3 * shift) % 12] for i in range(8, 12)]
        x, y = sha256.halves([a, b, c, d]), sha256.halves([e, f, g, h])
        for t in range(4):
            s1 = _ror(e, 6) ^ _ror(e, 11) ^ _ror(e, 25)
            t1 = (h + s1 + ((e & f) ^ (~e & g)) + w[t]) & m32
            s0 = _ror(a, 2) ^ _ror(a, 13) ^ _ror(a, 22)
            t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) & m32
            h, g, f, e, d, c, b, a = g, f, e, (d + t1) & m32, c, b, a, (t1 + t2) & m32
        ins = [*x, *y, *sha256.halves(w)]
        assert sha256.words(*sha_reference("sha256h", ins)) == [a, b, c, d]
        assert sha256.words(*sha_reference("sha256h2", ins)) == [e, f, g, h]
    msg = [0x61626380] + [0] * 14 + [0x18]
    sched = list(msg)
    for t in range(16, 20):
        x15, x2 = sched[t - 15], sched[t - 2]
        sig0 = _ror(x15, 7) ^ _ror(x15, 18) ^ x15 >> 3
        sig1 = _ror(x2, 17) ^ _ror(x2, 19) ^ x2 >> 10
        sched.append((sig1 + sched[t - 7] + sig0 + sched[t - 16]) & m32)
    v = [sha256.halves(msg[4 * j : 4 * j + 4]) for j in range(4)]
    su0 = sha_reference("sha256su0", [*v[0], *v[1]])
    assert sha256.words(*sha_reference("sha256su1", [*su0, *v[2], *v[3]])) == sched[16:20]
    assert sched[16:20] == [0x61626380, 0x000F0000, 0x7DA86405, 0x600003C6]


# -- SHA-256: gen_sha256 (its op or expansion: ``test_crypto_sha_ops``) -----------------------


def test_sha256_errors() -> None:
    ctx, g = template()
    dc = disas(ctx, frozenset())
    with pytest.raises(ValueError, match="no SHA-256 operation"):
        crypto.gen_sha256(dc, "sha256x", g[0], g[1])
    with pytest.raises(TypeError, match="takes 6 halves"):
        crypto.gen_sha256(dc, "sha256h", g[0], g[1], g[2], g[3])
    with pytest.raises(TypeError, match="takes 4 halves"):
        crypto.gen_sha256(dc, "sha256su0", *g[:6])
