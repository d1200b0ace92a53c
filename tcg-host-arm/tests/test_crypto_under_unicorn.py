"""The optional crypto ops on the AArch64 host: ``aese_i64``, ``aesd_i64``,
``aesmc_i64``, ``aesimc_i64`` as the Cryptographic Extension's AES instructions,
``clmul_i64`` as PMULL, ``sha256h_i64`` ... ``sha256su1_i64`` as SHA256H, SHA256H2,
SHA256SU0, SHA256SU1, ``sha1c_i64`` ... ``sha1su1_i64`` as SHA1C, SHA1P, SHA1M,
SHA1SU1 and ``sha512h_i64`` ... ``sha512su1_i64`` as SHA512H, SHA512H2, SHA512SU0,
SHA512SU1, listed in the host's ``optional_ops`` only with HWCAP ``aes`` /
``pmull`` / ``sha2`` / ``sha1`` / ``sha512``. Executed under Unicorn's AArch64 CPU
(its "max" model has them all) they compute what the reference
(``tcgkit.tcg.semantics``) computes (SHA-1, SHA-256 and SHA-512 of "abc" too, one
TB per step); with the features off the generic expansions (``tcgkit.tcg.crypto``,
``tcgkit.tcg.crypto_sha``) run there with the same results. The lowering is also
checked by its disassembly."""

from __future__ import annotations

import capstone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.semantics import evaluate_op
from tcgkit.testing.ir_programs import (
    CRYPTO_INPUTS,
    SHA1_INPUTS,
    SHA256_INPUTS,
    SHA_INPUTS,
    crypto_op_program,
    sha_op_program,
)
from tcgkit_host_arm.features import HostFeatures
from tcgkit_host_arm.lower_crypto import crypto_ops

M64 = (1 << 64) - 1
U64 = st.integers(0, M64)
KINDS = tuple(CRYPTO_INPUTS)
ALL = frozenset(f"{kind}_i64" for kind in KINDS)
CRYPTO = HostFeatures(aes=True, pmull=True)
PLAIN = HostFeatures()
SHA_KINDS = tuple(SHA_INPUTS)
SHA_OPS = frozenset(f"{kind}_i64" for kind in SHA_KINDS)
SHA256_OPS = frozenset(f"{kind}_i64" for kind in SHA256_INPUTS)
#: the HWCAP each SHA op needs
FAMILIES = ("sha1", "sha2", "sha512")
FEATURE = {k: "sha1" if k in SHA1_INPUTS else "sha2" if k in SHA256_INPUTS else "sha512"
           for k in SHA_KINDS}  # fmt: skip
SHA2 = HostFeatures(sha2=True)
SHA = HostFeatures(sha1=True, sha2=True, sha512=True)


def program(kind: str, host_ops: frozenset[str]) -> TCGContext:
    """g4, g5 = kind(g0, g1[, g2, g3]), for a host lowering ``host_ops``; optimized as
    the engine does."""
    ctx = crypto_op_program(kind, host_ops)
    optimize(ctx)
    liveness(ctx)
    return ctx


@pytest.fixture(scope="module")
def crypto(runner_for):
    return runner_for(CRYPTO)


@pytest.fixture(scope="module")
def plain(runner_for):
    return runner_for(PLAIN)


def check(runner, kind: str, ins: list[int]) -> None:
    ins = ins[: CRYPTO_INPUTS[kind]]
    want = list(evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ()))
    ctx = program(kind, crypto_ops(runner.features))
    state = [*ins, *[0] * (4 - len(ins)), 0xDEAD, 0xBEEF]
    before = list(state)
    assert runner.run(ctx.ops, state) == EXIT_LOOKUP
    assert state[4:] == want, format_ops(ctx.ops)
    assert state[:4] == before[:4]


def test_optional_ops_follow_the_features() -> None:
    assert crypto_ops(CRYPTO) == ALL
    assert crypto_ops(PLAIN) == frozenset()
    assert crypto_ops(HostFeatures(aes=True)) == ALL - {"clmul_i64"}
    assert crypto_ops(HostFeatures(pmull=True)) == {"clmul_i64"}
    assert CRYPTO.without("aes,pmull").as_flags() == PLAIN.as_flags()


@pytest.mark.parametrize("kind", KINDS)
def test_the_op_is_emitted_where_listed(kind: str) -> None:
    name = f"{kind}_i64"
    assert any(op.opc == name for op in program(kind, crypto_ops(CRYPTO)).ops)
    assert not any(op.opc == name for op in program(kind, frozenset()).ops)


#: the instruction that does the work, with its operands
CORE = {
    "aese": "aese v0.16b, v1.16b",
    "aesd": "aesd v0.16b, v1.16b",
    "aesmc": "aesmc v0.16b, v0.16b",
    "aesimc": "aesimc v0.16b, v0.16b",
    "clmul": "pmull v0.1q, v0.1d, v1.1d",
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_lowering_disassembled(crypto, kind: str) -> None:
    code = crypto.code(program(kind, crypto_ops(CRYPTO)).ops).code
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    text = [f"{i.mnemonic} {i.op_str}" for i in md.disasm(code, 0)]
    assert len(text) == len(code) // 4
    at = text.index(CORE[kind])
    if kind == "clmul":  # two 64-bit operands: one fmov each
        assert [t.split(",")[0] for t in text[at - 2 : at]] == ["fmov d0", "fmov d1"], text
    else:  # a 128-bit operand: fmov d, x then mov v.d[1], x
        n_pairs = 1 if kind in ("aesmc", "aesimc") else 2
        before = text[at - 2 * n_pairs : at]
        assert [t.split(",")[0] for t in before[::2]] == [
            f"fmov d{v}" for v in range(n_pairs)], text  # fmt: skip
        assert [t.split(",")[0] for t in before[1::2]] == [
            f"mov v{v}.d[1]" for v in range(n_pairs)], text  # fmt: skip
    after = text[at + 1 : at + 3]
    assert after[0].startswith("fmov x") and after[0].endswith(", d0"), text
    assert after[1].startswith("mov x") and after[1].endswith(", v0.d[1]"), text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(kind=st.sampled_from(KINDS), ins=st.lists(U64, min_size=4, max_size=4))
def test_crypto_ops_match_the_reference(crypto, kind: str, ins: list[int]) -> None:
    check(crypto, kind, ins)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(kind=st.sampled_from(KINDS), ins=st.lists(U64, min_size=4, max_size=4))
def test_generic_expansions_under_unicorn(plain, kind: str, ins: list[int]) -> None:
    check(plain, kind, ins)


@pytest.mark.parametrize("kind", KINDS)
def test_edge_operands(crypto, kind: str) -> None:
    edges = [0, 1, M64, 1 << 63, 0x8080808080808080, 0x0123456789ABCDEF]
    for a in edges:
        for b in edges:
            check(crypto, kind, [a, b, b ^ M64, a ^ 0x5A5A5A5A5A5A5A5A])


# -- SHA-1, SHA-256, SHA-512 ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sha(runner_for):
    return runner_for(SHA)


def sha_program(kind: str, host_ops: frozenset[str]) -> TCGContext:
    """g6, g7 = kind(g0 ... g5), for a host lowering ``host_ops``; optimized."""
    ctx = sha_op_program(kind, host_ops)
    optimize(ctx)
    liveness(ctx)
    return ctx


def sha_check(runner, kind: str, ins: list[int]) -> None:
    ins = ins[: SHA_INPUTS[kind]]
    want = list(evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ()))
    ctx = sha_program(kind, crypto_ops(runner.features))
    state = [*ins, *[0] * (6 - len(ins)), 0xDEAD, 0xBEEF]
    before = list(state)
    assert runner.run(ctx.ops, state) == EXIT_LOOKUP
    assert state[6:] == want, format_ops(ctx.ops)
    assert state[:6] == before[:6]


def test_sha_ops_follow_the_features() -> None:
    sha = {f: frozenset(f"{k}_i64" for k in SHA_KINDS if FEATURE[k] == f) for f in FAMILIES}
    assert crypto_ops(SHA2) == sha["sha2"] == SHA256_OPS
    assert crypto_ops(HostFeatures(sha1=True)) == sha["sha1"]
    assert crypto_ops(HostFeatures(sha512=True)) == sha["sha512"]
    assert crypto_ops(SHA) == SHA_OPS
    assert crypto_ops(HostFeatures(aes=True, pmull=True, sha2=True)) == ALL | SHA256_OPS
    assert crypto_ops(SHA.without("sha1,sha2,sha512")) == frozenset()


@pytest.mark.parametrize("kind", SHA_KINDS)
def test_the_sha_op_is_emitted_where_listed(kind: str) -> None:
    name = f"{kind}_i64"
    assert [op.opc for op in sha_program(kind, crypto_ops(SHA)).ops] == [
        "insn_start", name, "mov_i64", "mov_i64", "exit_tb"]  # fmt: skip
    assert not any(op.opc == name for op in sha_program(kind, crypto_ops(CRYPTO)).ops)


#: the instruction that does the work, and the vector registers put together before it
#: (as pairs: ``fmov dN`` then ``mov vN.d[1]``; SHA1C/P/M's e by ``fmov s1``)
SHA_CORE = {
    "sha256h": ("sha256h q0, q1, v2.4s", 3),
    "sha256h2": ("sha256h2 q0, q1, v2.4s", 3),
    "sha256su0": ("sha256su0 v0.4s, v1.4s", 2),
    "sha256su1": ("sha256su1 v0.4s, v1.4s, v2.4s", 3),
    "sha1c": ("sha1c q0, s1, v2.4s", 3),
    "sha1p": ("sha1p q0, s1, v2.4s", 3),
    "sha1m": ("sha1m q0, s1, v2.4s", 3),
    "sha1su1": ("sha1su1 v0.4s, v1.4s", 2),
    "sha512h": ("sha512h q0, q1, v2.2d", 3),
    "sha512h2": ("sha512h2 q0, q1, v2.2d", 3),
    "sha512su0": ("sha512su0 v0.2d, v1.2d", 2),
    "sha512su1": ("sha512su1 v0.2d, v1.2d, v2.2d", 3),
}


@pytest.mark.parametrize("kind", SHA_KINDS)
def test_the_sha_lowering_disassembled(sha, kind: str) -> None:
    code = sha.code(sha_program(kind, crypto_ops(SHA)).ops).code
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    text = [f"{i.mnemonic} {i.op_str}" for i in md.disasm(code, 0)]
    assert len(text) == len(code) // 4
    core, n_regs = SHA_CORE[kind]
    at = text.index(core)
    e_alone = kind in ("sha1c", "sha1p", "sha1m")
    before = text[at - 2 * n_regs + e_alone : at]
    heads = [t.split(",")[0] for t in before]
    pairs = [h for h in heads if h != "fmov s1"]
    assert heads.count("fmov s1") == e_alone, text
    assert sorted(pairs[::2]) == [f"fmov d{v}" for v in range(n_regs) if not e_alone or v != 1]
    assert pairs[1::2] == [f"mov v{h[-1]}.d[1]" for h in pairs[::2]], text
    after = text[at + 1 : at + 3]
    assert after[0].startswith("fmov x") and after[0].endswith(", d0"), text
    assert after[1].startswith("mov x") and after[1].endswith(", v0.d[1]"), text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(kind=st.sampled_from(SHA_KINDS), ins=st.lists(U64, min_size=6, max_size=6))
def test_sha_ops_match_the_reference(sha, kind: str, ins: list[int]) -> None:
    sha_check(sha, kind, ins)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(kind=st.sampled_from(SHA_KINDS), ins=st.lists(U64, min_size=6, max_size=6))
def test_sha_generic_expansions_under_unicorn(plain, kind: str, ins: list[int]) -> None:
    sha_check(plain, kind, ins)


@pytest.mark.parametrize("kind", SHA_KINDS)
def test_sha_edge_operands(sha, plain, kind: str) -> None:
    edges = [0, 1, M64, 1 << 63, 0xFFFFFFFF, 0x0123456789ABCDEF]
    for a in edges:
        for b in edges[a & 1 :: 2]:  # half the pairs: every edge in each place
            for runner in (sha, plain):
                sha_check(runner, kind, [a, b, b ^ M64, a ^ 0x5A5A5A5A5A5A5A5A, b, a])


ABC = {
    "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "sha512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
}


@pytest.mark.parametrize("alg", sorted(ABC))
def test_digest_of_abc_step_by_step(sha, alg: str) -> None:
    """FIPS 180-4's "abc" compressed by the lowered ops, each step one TB under
    Unicorn (``compress`` of ``tcgkit.tcg.sha1``, ``sha256``, ``sha512`` drives them)."""
    import importlib

    module = importlib.import_module(f"tcgkit.tcg.{alg}")
    programs = {k: sha_program(k, crypto_ops(SHA)) for k in SHA_KINDS}

    def step(kind: str, ins: list[int]) -> tuple[int, int]:
        state = [*ins, *[0] * (6 - len(ins)), 0, 0]
        sha.run(programs[kind].ops, state)
        return state[6], state[7]

    assert module.digest(b"abc", step).hex() == ABC[alg]
