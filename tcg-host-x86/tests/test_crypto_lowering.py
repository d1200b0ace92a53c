"""The optional crypto ops on x86-64: ``aese_i64``, ``aesd_i64``, ``aesmc_i64``,
``aesimc_i64`` as AES-NI, ``clmul_i64`` as PCLMULQDQ and ``sha256h_i64``,
``sha256h2_i64``, ``sha256su0_i64``, ``sha256su1_i64``, ``sha1c_i64``,
``sha1p_i64``, ``sha1m_i64``, ``sha1su1_i64`` as SHA-NI, listed in the host's
``optional_ops`` only with those features (SHA-512's ops never: their generic
expansion runs natively). Executed natively they compute what the reference
(``tcgkit.tcg.semantics``) computes (SHA-256 of "abc" and of random messages too,
each block one TB of the four ops; SHA-1 and SHA-512 of "abc" and of another
message one step a TB); with the features off (``TCGKIT_X86_DISABLE`` or the
features given to the backend) the host does not list them and the generic
expansions (``tcgkit.tcg.crypto``, ``tcgkit.tcg.crypto_sha``) run natively with
the same results; the python host agrees where it is installed. On a CPU without
the features, what would execute AES-NI or SHA-NI runs the expansions instead and
the lowering is checked by its disassembly alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import capstone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.target import DisasContext
from tcgkit.tcg import crypto
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.dump import format_ops
from tcgkit.tcg.interp import interpret
from tcgkit.tcg.ir import Temp
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP, OpDef
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.semantics import evaluate_op
from tcgkit.tcg.sha1 import round_constants as sha1_round_constants
from tcgkit.tcg.softfloat import FZ_OPS
from tcgkit.tcg.types import I32, I64
from tcgkit.testing.ir_programs import (
    CRYPTO_INPUTS,
    SHA1_INPUTS,
    SHA256_INPUTS,
    SHA512_INPUTS,
    SHA_INPUTS,
    Program,
    crypto_op_program,
    one_insn_tb,
    programs,
    sha_op_program,
)
from tcgkit_host_x86.backend import X86Host, crypto_ops
from tcgkit_host_x86.features import HostFeatures, detect
from tcgkit_host_x86.lower import LoweringError

if TYPE_CHECKING:  # the x86 tests' conftest.py
    from conftest import Runner


try:
    from tcgkit_host_python.backend import PythonHost
    from tcgkit_host_python.codegen import generate
except ImportError:  # the host-x86 environment installs this host alone
    PythonHost = generate = None

M64 = (1 << 64) - 1
U64 = st.integers(0, M64)
KINDS = ("aese", "aesd", "aesmc", "aesimc", "clmul")
N_IN = CRYPTO_INPUTS
AES_OPS = frozenset({"aese_i64", "aesd_i64", "aesmc_i64", "aesimc_i64"})
ALL = frozenset({*AES_OPS, "clmul_i64"})
#: the SHA ops SHA-NI lowers (SHA-256's and SHA-1's; SHA-512's never are)
SHA_KINDS = (*SHA256_INPUTS, *SHA1_INPUTS)
SHA_OPS = frozenset(f"{k}_i64" for k in SHA_KINDS)
SHA256_OPS = frozenset(f"{k}_i64" for k in SHA256_INPUTS)
SHA1_K = sha1_round_constants()
#: the host's features: the crypto ops run natively where the CPU has them
NATIVE = detect()
GENERIC = NATIVE.without("aes,pclmulqdq,sha_ni")
#: every feature on: for code that is disassembled, never run
FORCED = HostFeatures(**{**NATIVE.as_flags(), "aes": True, "pclmulqdq": True, "sha_ni": True})


@pytest.fixture(scope="module")
def native(make_runner: Callable[..., Runner]) -> Runner:
    return make_runner(NATIVE, 8 << 20)


@pytest.fixture(scope="module")
def generic(make_runner: Callable[..., Runner]) -> Runner:
    return make_runner(GENERIC, 8 << 20)


def program(kind: str, host_ops: frozenset[str]) -> TCGContext:
    """g4, g5 = kind(g0, g1[, g2, g3]) (SHA-256: g6, g7 = kind(g0 ... g5)), emitted by
    ``tcgkit.tcg.crypto`` for a host that lowers ``host_ops``; optimized as the engine
    does."""
    build = sha_op_program if kind in SHA_INPUTS else crypto_op_program
    ctx = build(kind, host_ops)
    optimize(ctx)
    liveness(ctx)
    return ctx


_CACHE: dict[tuple[str, frozenset[str]], TCGContext] = {}


def cached(kind: str, host_ops: frozenset[str]) -> TCGContext:
    key = (kind, host_ops)
    if key not in _CACHE:
        _CACHE[key] = program(kind, host_ops)
    return _CACHE[key]


def run_python_host(ops: list, state: list[int]) -> int:
    gen = generate(ops)
    namespace = dict(gen.bindings)
    exec(compile(gen.source, "<test>", "exec"), namespace)
    return namespace["tb"](state, None)


def check(runner: Runner, kind: str, ins: list[int]) -> None:
    """The op on the first of ``ins`` (as many as it takes) on ``runner`` (and on the
    python host, with the op and with its generic expansion) gives the reference's."""
    slots = 6 if kind in SHA_INPUTS else 4  # the globals before the two outputs
    ins = ins[: SHA_INPUTS.get(kind) or N_IN[kind]]
    want = list(evaluate_op(f"{kind}_i64", kind, 64, tuple(ins), ()))
    host_ops = runner.host.optional_ops
    ctx = cached(kind, host_ops)
    state = [*ins, *[0] * (slots - len(ins)), 0xDEAD, 0xBEEF]
    before = list(state)
    assert runner.run(ctx.ops, state) == EXIT_LOOKUP
    assert state[slots:] == want, format_ops(ctx.ops)
    assert state[:slots] == before[:slots]
    if generate is not None:
        for ops in (PythonHost.optional_ops, frozenset()):
            py = list(before)
            run_python_host(cached(kind, ops).ops, py)
            assert py == state


def test_optional_ops_follow_the_features(monkeypatch: pytest.MonkeyPatch) -> None:
    nan_ops = {f"fnan{n}_f{w}" for n in (2, 3) for w in (32, 64)}  # SSE2: every x86-64
    assert X86Host.optional_ops == {
        "atomic_cmpxchg_i64",
        "atomic_fetch_i64",
        *nan_ops,
        *FZ_OPS,
    }  # (the flush-to-zero twins: SSE2 too)
    pair = {"atomic_cmpxchg2_i64"} if NATIVE.cx16 else set()  # CMPXCHG16B
    on = X86Host(FORCED)
    off = X86Host(GENERIC)
    try:
        assert on.optional_ops == X86Host.optional_ops | ALL | SHA_OPS | pair
        assert off.optional_ops == X86Host.optional_ops | pair
        assert crypto_ops(NATIVE.without("pclmulqdq,sha_ni")) == (
            AES_OPS if NATIVE.aes else set())  # fmt: skip
        assert crypto_ops(NATIVE.without("aes,sha_ni")) == (
            {"clmul_i64"} if NATIVE.pclmulqdq else set())  # fmt: skip
        assert crypto_ops(NATIVE.without("aes,pclmulqdq")) == (
            SHA_OPS if NATIVE.sha_ni else set())  # fmt: skip
    finally:
        on.release()
        off.release()
    monkeypatch.setenv("TCGKIT_X86_DISABLE", "aes,pclmulqdq,sha_ni")
    assert not detect().aes and not detect().pclmulqdq and not detect().sha_ni
    host = X86Host()
    try:
        assert host.optional_ops == X86Host.optional_ops | pair
    finally:
        host.release()


#: each op's lowering, as capstone names the instructions
SEQUENCES = {
    "aese": ["movq", "movq", "punpcklqdq", "movq", "movq", "punpcklqdq", "pxor", "pxor",
             "aesenclast", "movq", "punpckhqdq", "movq"],
    "aesd": ["movq", "movq", "punpcklqdq", "movq", "movq", "punpcklqdq", "pxor", "pxor",
             "aesdeclast", "movq", "punpckhqdq", "movq"],
    "aesmc": ["movq", "movq", "punpcklqdq", "pxor", "aesdeclast", "aesenc", "movq",
              "punpckhqdq", "movq"],
    "aesimc": ["movq", "movq", "punpcklqdq", "aesimc", "movq", "punpckhqdq", "movq"],
    "clmul": ["movq", "movq", "pclmulqdq", "movq", "punpckhqdq", "movq"],
}  # fmt: skip


def check_program(native: Runner, prog: Program) -> None:
    """``prog`` optimized and run natively (and on the python host) ends as the
    interpreter leaves it."""
    expect = list(prog.state)
    want_exit = interpret(prog.ctx.ops, expect)
    optimize(prog.ctx)
    liveness(prog.ctx)
    got = list(prog.state)
    assert (native.run(prog.ctx.ops, got), got) == (want_exit, expect), format_ops(prog.ctx.ops)
    if generate is not None:
        py = list(prog.state)
        assert (run_python_host(prog.ctx.ops, py), py) == (want_exit, expect)


@pytest.mark.parametrize(("kind", "feature"), [("aese", "aes"), ("clmul", "pclmulqdq"),
                                               ("sha256h", "sha_ni"), ("sha1c", "sha_ni"),
                                               ("sha1su1", "sha_ni")])  # fmt: skip
def test_an_op_the_features_lack_is_refused(generic: Runner, kind: str, feature: str) -> None:
    """An optional op emitted for a host with other features is refused, naming the
    feature it needs (``tcgkit.native.features.lowering_problem``): never miscompiled."""
    with pytest.raises(LoweringError, match=f"needs the host feature '{feature}'"):
        generic.run(cached(kind, ALL | SHA_OPS).ops, [0] * 8)


@pytest.mark.parametrize("kind", KINDS + SHA_KINDS)
def test_the_lowering_disassembled(make_runner: Callable[..., Runner], kind: str) -> None:
    """The op's instructions, as capstone reads them, and the ones that do the work, in
    their order."""
    r = make_runner(FORCED)
    code = r.code(program(kind, r.host.optional_ops).ops)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    insns = list(md.disasm(code, 0))
    assert sum(i.size for i in insns) == len(code)
    names = [i.mnemonic for i in insns]
    want = {**SEQUENCES, **SHA_SEQUENCES}[kind]
    at = names.index(want[0])
    assert names[at : at + len(want)] == want, names
    text = [f"{i.mnemonic} {i.op_str}" for i in insns[at : at + len(want)]]
    assert all("xmm" in t or t.startswith("movabs r11, ") for t in text)  # r11: K
    core = {**CORE, **SHA_CORE}[kind]
    assert all(insn in text for insn in core), text
    at_core = [text.index(t) for t in core]
    assert at_core == sorted(at_core), text


#: the instructions that do the work, with their operands
CORE = {
    "aese": ["pxor xmm0, xmm1", "pxor xmm1, xmm1", "aesenclast xmm0, xmm1"],
    "aesd": ["pxor xmm0, xmm1", "pxor xmm1, xmm1", "aesdeclast xmm0, xmm1"],
    "aesmc": ["pxor xmm1, xmm1", "aesdeclast xmm0, xmm1", "aesenc xmm0, xmm1"],
    "aesimc": ["aesimc xmm0, xmm0"],
    "clmul": ["pclmulqdq xmm0, xmm1, 0"],
}


@pytest.mark.parametrize("kind", KINDS + SHA_KINDS)
def test_the_op_is_emitted_where_listed(native: Runner, generic: Runner, kind: str) -> None:
    name = f"{kind}_i64"
    assert name not in generic.host.optional_ops
    assert not any(op.opc == name for op in cached(kind, generic.host.optional_ops).ops)
    listed = name in native.host.optional_ops
    feature = "sha_ni" if kind in SHA_INPUTS else "pclmulqdq" if kind == "clmul" else "aes"
    assert listed == bool(getattr(NATIVE, feature))
    assert any(op.opc == name for op in cached(kind, native.host.optional_ops).ops) == listed


@settings(max_examples=240, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(kind=st.sampled_from(KINDS + SHA_KINDS), ins=st.lists(U64, min_size=6, max_size=6))
def test_native_ops_match_the_reference(native: Runner, kind: str, ins: list[int]) -> None:
    check(native, kind, ins)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    kind=st.sampled_from(KINDS + SHA_KINDS + tuple(SHA512_INPUTS)),
    ins=st.lists(U64, min_size=6, max_size=6),
)
def test_generic_expansions_natively(generic: Runner, kind: str, ins: list[int]) -> None:
    check(generic, kind, ins)


#: operands at the edges: the bytes' (AES, clmul) and the 32-bit words' (SHA)
EDGES = [0, 1, M64, 1 << 63, 0x0123456789ABCDEF]
BYTE_EDGES = [*EDGES, 0x8080808080808080, 0x0101010101010101]
WORD_EDGES = [*EDGES, 0xFFFFFFFF, 0xFFFFFFFF00000000]


@pytest.mark.parametrize("kind", KINDS + SHA_KINDS + tuple(SHA512_INPUTS))
def test_edge_operands(native: Runner, generic: Runner, kind: str) -> None:
    edges = WORD_EDGES if kind in SHA_INPUTS else BYTE_EDGES
    step = 1 if kind in KINDS or kind in SHA256_INPUTS else 2  # (the later ops: fewer pairs)
    for i, a in enumerate(edges):
        for b in edges[i % step :: step]:
            for runner in (native, generic):
                check(runner, kind, [a, b, b ^ M64, a, b, a ^ 0x5A5A5A5A5A5A5A5A])


def test_a_whole_aes_block_in_one_tb(native: Runner, generic: Runner) -> None:
    """FIPS-197 C.1 as one TB of ten AESE and nine AESMC (the generic expansion
    fits the frame: its spills grow with every op)."""
    from tcgkit.tcg import aes

    key = bytes(range(16))
    words = [key[4 * i : 4 * i + 4] for i in range(4)]
    rcon = 1
    for i in range(4, 44):
        t = words[i - 1]
        if i % 4 == 0:
            t = aes.sub_bytes(t[1:] + t[:1])
            t = bytes((t[0] ^ rcon, *t[1:]))
            rcon = aes.xtime(rcon)
        words.append(bytes(a ^ b for a, b in zip(words[i - 4], t, strict=True)))
    keys = [aes.halves(b"".join(words[4 * r : 4 * r + 4])) for r in range(11)]
    for runner in (native, generic):
        tmpl = TCGContext(8 * 24)
        for i in range(24):
            tmpl.new_global(I64, 8 * i, f"g{i}")
        tmpl.freeze()
        ctx = tmpl.clone("t")
        g = ctx.globals
        dc = DisasContext(ctx, 0, 0, 0, 0, 1, lambda addr, n: b"",
                          host_ops=runner.host.optional_ops)  # fmt: skip
        ctx.insn_start(0)
        lo, hi = g[0], g[1]
        for r in range(10):
            lo, hi = crypto.gen_aes(dc, "aese", lo, hi, g[2 + 2 * r], g[3 + 2 * r])
            if r < 9:
                lo, hi = crypto.gen_aes(dc, "aesmc", lo, hi)
        ctx.xor(g[0], lo, g[22])
        ctx.xor(g[1], hi, g[23])
        ctx.exit_tb(EXIT_LOOKUP)
        optimize(ctx)
        liveness(ctx)
        state = [*aes.halves(bytes.fromhex("00112233445566778899aabbccddeeff"))]
        for k in keys:
            state += k
        runner.run(ctx.ops, state)
        assert aes.state(state[0], state[1]).hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"


#: the other ops of those random programs (few: the crypto ops come often)
DENSE = ("mov", "add", "xor", "and", "shl", "extrl_i64_i32", "extu_i32_i64")


def dense(d: OpDef) -> bool:
    return d.name in ALL or d.base in DENSE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=24, host_ops=crypto_ops(NATIVE), op_filter=dense))
def test_random_programs_with_the_ops(native: Runner, prog: Program) -> None:
    """The ops among random value ops, operands constants, globals or temps, outputs
    over inputs: the register allocator's constraints hold."""
    check_program(native, prog)


# -- SHA-256 and SHA-1 (SHA-NI), SHA-512 ---------------------------------------------------

_SHA1_ROUNDS = ["movq", "movq", "punpcklqdq", "pshufd", "movq", "movq", "punpcklqdq", "pshufd",
                "movabs", "movq", "punpcklqdq", "psubd", "movq", "pslldq", "paddd", "sha1rnds4",
                "pshufd", "movq", "punpckhqdq", "movq"]  # fmt: skip
#: each SHA op's lowering, as capstone names the instructions
SHA_SEQUENCES = {
    **{k: ["movq", "movq", "punpcklqdq", "pshufd", "movq", "movq", "punpcklqdq", "pshufd",
           "movq", "sha256rnds2", "movq", "sha256rnds2", "pshufd", "movq", "pshufd", "movq"]
       for k in ("sha256h", "sha256h2")},
    "sha256su0": ["movq", "movq", "punpcklqdq", "movq", "sha256msg1", "movq", "punpckhqdq",
                  "movq"],
    "sha256su1": ["movq", "movq", "punpcklqdq", "movq", "movq", "punpcklqdq", "psrldq", "paddd",
                  "movq", "pslldq", "paddd", "movq", "pslldq", "sha256msg2", "movq",
                  "punpckhqdq", "movq"],
    **{k: _SHA1_ROUNDS for k in ("sha1c", "sha1p", "sha1m")},
    "sha1su1": ["movq", "movq", "punpcklqdq", "pshufd", "movq", "movq", "punpcklqdq", "pshufd",
                "sha1msg2", "pshufd", "movq", "punpckhqdq", "movq"],
}  # fmt: skip
#: the instructions that do the work, with their operands
SHA_CORE = {
    "sha256h": ["pshufd xmm1, xmm1, 0xb1", "pshufd xmm2, xmm2, 0xb1",
                "sha256rnds2 xmm2, xmm1, xmm0", "sha256rnds2 xmm1, xmm2, xmm0",
                "pshufd xmm0, xmm1, 0xb", "pshufd xmm0, xmm2, 0xb"],
    "sha256h2": ["pshufd xmm1, xmm1, 0xb1", "pshufd xmm2, xmm2, 0xb1",
                 "sha256rnds2 xmm2, xmm1, xmm0", "sha256rnds2 xmm1, xmm2, xmm0",
                 "pshufd xmm0, xmm1, 1", "pshufd xmm0, xmm2, 1"],
    "sha256su0": ["sha256msg1 xmm0, xmm1"],
    "sha256su1": ["psrldq xmm1, 4", "paddd xmm0, xmm1", "pslldq xmm1, 0xc", "pslldq xmm1, 8",
                  "sha256msg2 xmm0, xmm1"],
    **{k: ["pshufd xmm1, xmm1, 0x1b", "pshufd xmm2, xmm2, 0x1b",
           f"movabs r11, {hex(K * 0x100000001)}", "psubd xmm2, xmm0", "pslldq xmm0, 0xc",
           "paddd xmm2, xmm0", f"sha1rnds4 xmm1, xmm2, {imm}", "pshufd xmm0, xmm1, 0x1b"]
       for imm, (k, K) in enumerate(zip(("sha1c", "sha1p", "sha1m"), SHA1_K, strict=False))},
    "sha1su1": ["pshufd xmm1, xmm1, 0x1b", "pshufd xmm2, xmm2, 0x1b", "sha1msg2 xmm1, xmm2",
                "pshufd xmm0, xmm1, 0x1b"],
}  # fmt: skip


def _compress_tb(host_ops: frozenset[str]) -> TCGContext:
    """One SHA-256 compression as one TB, as A64 code does it (16 x SHA256H, SHA256H2,
    12 x SHA256SU0, SHA256SU1, ``add`` of the constants in i32 words): the state's
    halves in g0-g3, the message's in g4-g11 (big-endian words already), K's in
    g12-g43; the new state (the sum with the old one) back in g0-g3."""
    ctx, dc = one_insn_tb(44, host_ops)
    g = ctx.globals

    def add_words(a: Temp, b: Temp) -> Temp:
        """The i64 whose two 32-bit words are a's plus b's."""
        parts = []
        for ext in (ctx.extrl_i64_i32, ctx.extrh_i64_i32):
            x, y, z = ctx.temp(I32), ctx.temp(I32), ctx.temp(I32)
            ext(x, a)
            ext(y, b)
            ctx.add(z, x, y)
            w = ctx.temp()
            ctx.extu_i32_i64(w, z)
            parts.append(w)
        out = ctx.temp()
        ctx.deposit(out, parts[0], parts[1], 32, 32)
        return out

    abcd, efgh = (g[0], g[1]), (g[2], g[3])
    sched = [(g[4 + 2 * j], g[5 + 2 * j]) for j in range(4)]
    for i in range(16):
        j = i % 4
        wk = (add_words(sched[j][0], g[12 + 2 * i]), add_words(sched[j][1], g[13 + 2 * i]))
        new_abcd = crypto.gen_sha256(dc, "sha256h", *abcd, *efgh, *wk)
        efgh = crypto.gen_sha256(dc, "sha256h2", *abcd, *efgh, *wk)
        abcd = new_abcd
        if i < 12:
            su0 = crypto.gen_sha256(dc, "sha256su0", *sched[j], *sched[(j + 1) % 4])
            sched[j] = crypto.gen_sha256(dc, "sha256su1", *su0, *sched[(j + 2) % 4],
                                         *sched[(j + 3) % 4])  # fmt: skip
    for k, v in enumerate((*abcd, *efgh)):
        ctx.mov(g[k], add_words(g[k], v))
    ctx.exit_tb(EXIT_LOOKUP)
    optimize(ctx)
    liveness(ctx)
    return ctx


@pytest.mark.parametrize("message", [b"abc", bytes(range(64)) * 3])
def test_sha256_digests_of_whole_tbs(native: Runner, generic: Runner, message: bytes) -> None:
    """Each block a TB of 56 SHA-256 ops (or their expansions, which fit the frame):
    FIPS 180-4's digest of "abc", ``hashlib``'s of a longer message."""
    import hashlib

    from tcgkit.tcg import sha256

    padded = message + b"\x80" + bytes(-(len(message) + 9) % 64)
    padded += (8 * len(message)).to_bytes(8, "big")
    k = sha256.round_constants()
    for runner in (native, generic):
        ctx = _compress_tb(runner.host.optional_ops)
        state = sha256.initial_state()
        halves = [*sha256.halves(state[:4]), *sha256.halves(state[4:])]
        for at in range(0, len(padded), 64):
            block = padded[at : at + 64]
            msg = [int.from_bytes(block[4 * i : 4 * i + 4], "big") for i in range(16)]
            regs = list(halves)
            for j in range(4):
                regs += sha256.halves(msg[4 * j : 4 * j + 4])
            for i in range(16):
                regs += sha256.halves(k[4 * i : 4 * i + 4])
            runner.run(ctx.ops, regs)
            halves = regs[:4]
        words = sha256.words(*halves[:2]) + sha256.words(*halves[2:])
        digest = b"".join(w.to_bytes(4, "big") for w in words)
        assert digest == hashlib.sha256(message).digest()
        if message == b"abc":
            assert digest.hex() == (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(prog=programs(max_ops=16, host_ops=crypto_ops(NATIVE),
                     op_filter=lambda d: d.name in SHA_OPS or d.base in DENSE))  # fmt: skip
def test_random_programs_with_the_sha_ops(native: Runner, prog: Program) -> None:
    """The SHA-256 and SHA-1 ops among random value ops (operands constants, globals
    or temps, outputs over inputs): the register allocator's constraints hold."""
    check_program(native, prog)


@pytest.mark.parametrize("alg", ["sha1", "sha512"])
def test_sha1_and_sha512_digests_step_by_step(native: Runner, generic: Runner, alg: str) -> None:
    """FIPS 180-4's "abc" and ``hashlib``'s digest of a longer message, compressed by
    the ops (SHA-1's SHA-NI lowering; SHA-512's generic expansion, the one x86 runs),
    each step one TB run natively (``compress`` of ``tcgkit.tcg.sha1``, ``sha512``)."""
    import hashlib
    import importlib

    module = importlib.import_module(f"tcgkit.tcg.{alg}")
    want_abc = {
        "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
        "sha512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    }[alg]
    # (SHA-512: the generic expansion either way, as ``test_sha512_ops_are_never_listed``)
    for runner in (native, generic) if alg == "sha1" else (native,):

        def step(kind: str, ins: list[int], runner: Runner = runner) -> tuple[int, int]:
            state = [*ins, *[0] * (6 - len(ins)), 0, 0]
            runner.run(cached(kind, runner.host.optional_ops).ops, state)
            return state[6], state[7]

        assert module.digest(b"abc", step).hex() == want_abc
    message = bytes(range(60))  # two SHA-1 blocks, natively
    assert module.digest(message, step) == hashlib.new(alg, message).digest()


def test_sha512_ops_are_never_listed(native: Runner) -> None:
    """No x86-64 this host knows has SHA-512 instructions: the generic expansion."""
    assert not {f"{k}_i64" for k in SHA512_INPUTS} & native.host.optional_ops
    assert not {f"{k}_i64" for k in SHA512_INPUTS} & crypto_ops(FORCED)
