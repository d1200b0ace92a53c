"""The A64 cryptographic extension against Unicorn: every instruction of the
crypto encoding classes over random vector registers and register choices
(hypothesis; raw instruction words, keystone predates most of them), the
unallocated words of those classes, known answers (FIPS-197's AES-128, SHA-256 and
SHA-1 of "abc", GB/T 32907's SM4 example), and no Python helper in their IR. The
SHA-256 instructions are one optional IR op each where the host lowers it
(``tcgkit.tcg.crypto.gen_sha256``): they are also run with the host's SHA-256 ops
taken away, through the generic expansion."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.tcg import aes as aes_reference
from tcgkit.tcg.ops import OPTIONAL_OPS
from tcgkit_target_aarch64.oracle import CODE, Machine, assemble, compare, run_tcgkit
from tcgkit_target_aarch64.oracle import test_host as host_under_test

# -- encoders -----------------------------------------------------------------------------


def aes(opcode: int, rn: int, rd: int, size: int = 0) -> int:
    """AESE (opcode 4), AESD (5), AESMC (6), AESIMC (7)."""
    return 0x4E280800 | size << 22 | opcode << 12 | rn << 5 | rd


def sha3reg(opcode: int, rm: int, rn: int, rd: int, size: int = 0) -> int:
    """SHA1C (0), SHA1P (1), SHA1M (2), SHA1SU0 (3), SHA256H (4), SHA256H2 (5), SHA256SU1 (6)."""
    return 0x5E000000 | size << 22 | rm << 16 | opcode << 12 | rn << 5 | rd


def sha2reg(opcode: int, rn: int, rd: int, size: int = 0) -> int:
    """SHA1H (0), SHA1SU1 (1), SHA256SU0 (2)."""
    return 0x5E280800 | size << 22 | opcode << 12 | rn << 5 | rd


def sha512_3reg(o: int, opcode: int, rm: int, rn: int, rd: int) -> int:
    """O=0: SHA512H (0), SHA512H2 (1), SHA512SU1 (2), RAX1 (3); O=1: SM3PARTW1 (0),
    SM3PARTW2 (1), SM4EKEY (2)."""
    return 0xCE608000 | rm << 16 | o << 14 | opcode << 10 | rn << 5 | rd


def sha512_2reg(opcode: int, rn: int, rd: int) -> int:
    """SHA512SU0 (0), SM4E (1)."""
    return 0xCEC08000 | opcode << 10 | rn << 5 | rd


def sm3tt(opcode: int, rm: int, imm2: int, rn: int, rd: int) -> int:
    """SM3TT1A (0), SM3TT1B (1), SM3TT2A (2), SM3TT2B (3) with Vm.S[imm2]."""
    return 0xCE408000 | rm << 16 | imm2 << 12 | opcode << 10 | rn << 5 | rd


def four_reg(op0: int, rm: int, ra: int, rn: int, rd: int) -> int:
    """EOR3 (0), BCAX (1), SM3SS1 (2)."""
    return 0xCE000000 | op0 << 21 | rm << 16 | ra << 10 | rn << 5 | rd


def xar(rm: int, imm6: int, rn: int, rd: int) -> int:
    return 0xCE800000 | rm << 16 | imm6 << 10 | rn << 5 | rd


def pmull64(q: int, rm: int, rn: int, rd: int) -> int:
    """PMULL (q 0) / PMULL2 (q 1) of doublewords (size 3)."""
    return 0x0EE0E000 | q << 30 | rm << 16 | rn << 5 | rd


def code(*words: int) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


#: each instruction: its word from (d, n, m, a, imm), imm drawn below imm_limit
Encoder = Callable[[int, int, int, int, int], int]


def _three_sha(op: int) -> Encoder:
    return lambda d, n, m, a, i: sha3reg(op, m, n, d)


def _two_sha(op: int) -> Encoder:
    return lambda d, n, m, a, i: sha2reg(op, n, d)


def _three_sha512(o: int, op: int) -> Encoder:
    return lambda d, n, m, a, i: sha512_3reg(o, op, m, n, d)


def _sm3tt(op: int) -> Encoder:
    return lambda d, n, m, a, i: sm3tt(op, m, i, n, d)


def _four(op: int) -> Encoder:
    return lambda d, n, m, a, i: four_reg(op, m, a, n, d)


INSNS: dict[str, tuple[Encoder, int]] = {
    "AESE": (lambda d, n, m, a, i: aes(4, n, d), 1),
    "AESD": (lambda d, n, m, a, i: aes(5, n, d), 1),
    "AESMC": (lambda d, n, m, a, i: aes(6, n, d), 1),
    "AESIMC": (lambda d, n, m, a, i: aes(7, n, d), 1),
    **{name: (_three_sha(op), 1) for op, name in enumerate(
        ["SHA1C", "SHA1P", "SHA1M", "SHA1SU0", "SHA256H", "SHA256H2", "SHA256SU1"])},
    **{name: (_two_sha(op), 1) for op, name in enumerate(["SHA1H", "SHA1SU1", "SHA256SU0"])},
    **{name: (_three_sha512(o, op), 1) for (o, op), name in [
        ((0, 0), "SHA512H"), ((0, 1), "SHA512H2"), ((0, 2), "SHA512SU1"), ((0, 3), "RAX1"),
        ((1, 0), "SM3PARTW1"), ((1, 1), "SM3PARTW2"), ((1, 2), "SM4EKEY")]},
    "SHA512SU0": (lambda d, n, m, a, i: sha512_2reg(0, n, d), 1),
    "SM4E": (lambda d, n, m, a, i: sha512_2reg(1, n, d), 1),
    **{name: (_sm3tt(op), 4) for op, name in enumerate(
        ["SM3TT1A", "SM3TT1B", "SM3TT2A", "SM3TT2B"])},
    **{name: (_four(op), 1) for op, name in enumerate(["EOR3", "BCAX", "SM3SS1"])},
    "XAR": (lambda d, n, m, a, i: xar(m, i, n, d), 64),
    "PMULL": (lambda d, n, m, a, i: pmull64(0, m, n, d), 1),
    "PMULL2": (lambda d, n, m, a, i: pmull64(1, m, n, d), 1),
}  # fmt: skip

BITS128 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.sampled_from([0, 2**128 - 1, 1, 1 << 127, 0x80000000_00000001_FFFFFFFF_00000000]),
)
#: any of the 32 registers, often one of a few (so that operands coincide)
REG = st.one_of(st.integers(0, 3), st.integers(0, 31))
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("name", sorted(INSNS))
@SETTINGS
@given(data=st.data(), vregs=st.lists(BITS128, min_size=32, max_size=32))
def test_crypto_instruction_matches_unicorn(name: str, data: st.DataObject, vregs: list[int],
                                            machine: Machine) -> None:  # fmt: skip
    """Three of ``name`` with random registers (Vd == Vn and the like included) and
    immediates, over 32 random vector registers."""
    enc, imm_limit = INSNS[name]
    words = [enc(data.draw(REG), data.draw(REG), data.draw(REG), data.draw(REG),
                 data.draw(st.integers(0, imm_limit - 1))) for _ in range(3)]  # fmt: skip
    machine.vregs = vregs
    compare(code(*words), machine)


@pytest.mark.parametrize("name", sorted(INSNS))
def test_crypto_register_sweep_matches_unicorn(name: str, machine: Machine) -> None:
    """Every register in every operand position (the operands permutations of 0-31),
    then every register as all operands at once, in one TB (where a TB of generic AES
    expansions outgrows a host's spill frame, it is made again in halves)."""
    enc, imm_limit = INSNS[name]
    machine.vregs = [(0x0123456789ABCDEF_FEDCBA9876543210 * (i + 3)) ** 3 % 2**128
                     for i in range(32)]  # fmt: skip
    words = [enc(r, (7 * r + 1) % 32, (13 * r + 2) % 32, (5 * r + 3) % 32, r % imm_limit)
             for r in range(32)]  # fmt: skip
    words += [enc(r, r, r, r, (r * 5) % imm_limit) for r in range(32)]
    compare(code(*words), machine)


def test_a_long_tb_of_sm4e_is_split_where_it_does_not_fit(machine: Machine) -> None:
    """300 SM4E (about 650 IR ops each) in a row: more spill slots than the x86 host's
    frame and more tier-0 words than a code-buffer region hold, so the TB is made
    again with half the instructions until it fits; the result is Unicorn's (120 on
    the python host, where translation is slow: enough for the tier-0 limit)."""
    machine.vregs = [(0x9E3779B97F4A7C15_F39CC0605CEDC834 * (i + 1)) ** 2 % 2**128
                     for i in range(8)]  # fmt: skip
    n = 120 if host_under_test() == "python" else 300
    compare(code(*(sha512_2reg(1, (r + 1) % 8, r % 8) for r in range(n))), machine)


UNALLOCATED = [
    aes(4, 1, 2, size=1), aes(8, 1, 2), aes(3, 1, 2), aes(0x14, 1, 2),
    sha3reg(7, 1, 2, 3), sha3reg(0, 1, 2, 3, size=2), sha2reg(3, 1, 2), sha2reg(0x10, 1, 2),
    sha2reg(1, 1, 2, size=1), sha512_3reg(1, 3, 1, 2, 3), sha512_2reg(2, 1, 2),
    sha512_2reg(3, 1, 2), four_reg(3, 1, 2, 3, 4),
]  # fmt: skip


@pytest.mark.parametrize("word", UNALLOCATED, ids=hex)
def test_unallocated_crypto_words_are_invalid(word: int, machine: Machine) -> None:
    """Unallocated words of the crypto classes: an undefined instruction on Unicorn,
    InvalidInstructionError on tcgkit."""
    from tcgkit import InvalidInstructionError
    from tcgkit_target_aarch64.oracle import run_unicorn
    from unicorn import UcError

    with pytest.raises(UcError):
        run_unicorn(code(word), machine)
    with pytest.raises(InvalidInstructionError):
        run_tcgkit(code(word), machine)


# -- known answers -------------------------------------------------------------------------------


def _aes128_round_keys(key: bytes) -> list[int]:
    """FIPS-197 5.2 KeyExpansion, each round key as a 128-bit little-endian value."""
    sbox = aes_reference.SBOX  # the core's reference (the expected ciphertexts are FIPS-197's)
    w = [list(key[i : i + 4]) for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        t = list(w[i - 1])
        if i % 4 == 0:
            t = [sbox[b] for b in t[1:] + t[:1]]
            t[0] ^= rcon
            rcon = aes_reference.xtime(rcon)
        w.append([a ^ b for a, b in zip(w[i - 4], t, strict=True)])
    return [int.from_bytes(bytes(b for word in w[4 * r : 4 * r + 4] for b in word), "little")
            for r in range(11)]  # fmt: skip


@pytest.mark.parametrize("key, plain, cipher", [
    ("2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
     "3925841d02dc09fbdc118597196a0b32"),  # FIPS-197 appendix B
    ("000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"),  # appendix C.1
])  # fmt: skip
def test_aes128_known_answer(key: str, plain: str, cipher: str, machine: Machine) -> None:
    """Encrypt with AESE/AESMC (round keys in v1-v11), then decrypt with AESD/AESIMC
    and the round keys AESIMC makes for the equivalent inverse cipher."""
    rk = _aes128_round_keys(bytes.fromhex(key))
    words = [w for r in range(9) for w in (aes(4, 1 + r, 0), aes(6, 0, 0))]
    words += [aes(4, 10, 0)]
    enc = code(*words) + assemble("eor v0.16b, v0.16b, v11.16b; mov v12.16b, v0.16b")
    words = [aes(5, 11, 12), aes(7, 12, 12)]
    for r in range(9, 0, -1):
        words += [aes(7, 1 + r, 13), aes(5, 13, 12)] + ([aes(7, 12, 12)] if r > 1 else [])
    dec = code(*words) + assemble("eor v12.16b, v12.16b, v1.16b")
    machine.vregs = [int.from_bytes(bytes.fromhex(plain), "little"), *rk, 0, 0, 0]
    compare(enc + dec, machine)
    out = run_tcgkit(enc + dec, machine)
    assert out.vregs[0].to_bytes(16, "little").hex() == cipher
    assert out.vregs[12] == machine.vregs[0]


def _icbrt(n: int) -> int:
    x = 1 << ((n.bit_length() + 2) // 3)
    while True:
        y = (2 * x + n // (x * x)) // 3
        if y >= x:
            break
        x = y
    while x**3 > n:
        x -= 1
    while (x + 1) ** 3 <= n:
        x += 1
    return x


PRIMES = [p for p in range(2, 312) if all(p % q for q in range(2, p))][:64]


def _vec(words: list[int]) -> int:
    return sum(w << 32 * i for i, w in enumerate(words))


#: each SHA family's optional IR ops (``tcgkit.tcg.crypto.gen_sha256``,
#: ``tcgkit.tcg.crypto_sha.gen_sha1``, ``gen_sha512``)
FAMILY_OPS = {
    "sha256": frozenset({"sha256h_i64", "sha256h2_i64", "sha256su0_i64", "sha256su1_i64"}),
    "sha1": frozenset({"sha1c_i64", "sha1p_i64", "sha1m_i64", "sha1su1_i64"}),
    "sha512": frozenset({"sha512h_i64", "sha512h2_i64", "sha512su0_i64", "sha512su1_i64"}),
}
SHA256_OPS = FAMILY_OPS["sha256"]
SHA_OPS = frozenset().union(*FAMILY_OPS.values())
#: ``compare``'s ``host_ops`` for a host without them (its other optional ops kept)
WITHOUT_SHA_OPS = OPTIONAL_OPS - SHA_OPS
#: the instructions that are those ops where the host lowers them
SHA_OP_INSNS = ("SHA256H", "SHA256H2", "SHA256SU0", "SHA256SU1", "SHA1C", "SHA1P", "SHA1M",
                "SHA1SU1", "SHA512H", "SHA512H2", "SHA512SU0", "SHA512SU1")  # fmt: skip


@pytest.mark.parametrize("name", SHA_OP_INSNS)
@SETTINGS
@given(data=st.data(), vregs=st.lists(BITS128, min_size=32, max_size=32))
def test_sha_instruction_without_the_host_ops(name: str, data: st.DataObject,
                                              vregs: list[int],
                                              machine: Machine) -> None:  # fmt: skip
    """As ``test_crypto_instruction_matches_unicorn``, on a host that does not lower
    the SHA ops (the generic expansions)."""
    enc, _ = INSNS[name]
    words = [enc(data.draw(REG), data.draw(REG), data.draw(REG), 0, 0) for _ in range(3)]
    machine.vregs = vregs
    compare(code(*words), machine, host_ops=WITHOUT_SHA_OPS)


@pytest.mark.parametrize("name", SHA_OP_INSNS)
def test_sha_register_sweep_without_the_host_ops(name: str, machine: Machine) -> None:
    """``test_crypto_register_sweep_matches_unicorn`` without the SHA ops."""
    enc, _ = INSNS[name]
    machine.vregs = [(0x0123456789ABCDEF_FEDCBA9876543210 * (i + 3)) ** 3 % 2**128
                     for i in range(32)]  # fmt: skip
    words = [enc(r, (7 * r + 1) % 32, (13 * r + 2) % 32, 0, 0) for r in range(32)]
    words += [enc(r, r, r, r, 0) for r in range(32)]
    compare(code(*words), machine, host_ops=WITHOUT_SHA_OPS)


#: a TB of each family's instructions that are ops (registers overlapping)
FAMILY_WORDS = {
    "sha256": [sha3reg(4, 3, 2, 1), sha3reg(5, 3, 4, 2), sha2reg(2, 6, 5), sha3reg(6, 8, 7, 5)],
    "sha1": [sha3reg(0, 3, 2, 1), sha3reg(1, 3, 4, 2), sha3reg(2, 4, 2, 2), sha2reg(1, 6, 5),
             sha2reg(0, 1, 7), sha3reg(3, 8, 7, 5)],
    "sha512": [sha512_3reg(0, 0, 3, 2, 1), sha512_3reg(0, 1, 3, 4, 2), sha512_2reg(0, 6, 5),
               sha512_3reg(0, 2, 8, 7, 5)],
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(FAMILY_OPS))
@pytest.mark.parametrize("with_ops", [True, False], ids=["host-ops", "expansion"])
def test_sha_ir_is_the_op_where_the_host_lowers_it(family: str, with_ops: bool) -> None:
    """A TB of the family's instructions (the IR as ``-d op_opt`` logs it; SHA-1's
    with SHA1H and SHA1SU0, plain IR always): one op each where the host lists them,
    else plain integer ops, never a call; and the registers are Unicorn's either
    way."""
    from tcgkit import PROT_ALL, Emulator
    from tcgkit_target_aarch64.oracle import run_unicorn

    family_ops, words = FAMILY_OPS[family], FAMILY_WORDS[family]
    vregs = [(0x9E3779B97F4A7C15_F39CC0605CEDC834 * (i + 1)) ** 2 % 2**128 for i in range(9)]
    log = io.StringIO()
    with Emulator("aarch64", host=host_under_test(), tier_up=0, debug="op_opt",
                  log_file=log) as emu:  # fmt: skip
        host = emu.engine.host
        if not with_ops:
            host.optional_ops = host.optional_ops - family_ops
        listed = host.optional_ops & family_ops
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code(*words))
        for i, v in enumerate(vregs):
            emu.reg_write(f"q{i}", v)
        emu.emu_start(CODE, CODE + 4 * len(words))
        got = [emu.reg_read(f"q{i}") for i in range(len(vregs))]
    text = log.getvalue()
    ops = [line.split()[0] for line in text.splitlines() if line.startswith(" ") and
           not line.startswith(" ----")]  # fmt: skip
    named = {op for op in ops if op.startswith("sha")}
    assert named == listed, text
    if with_ops and host_under_test() == "python":
        assert listed == family_ops  # the portable host lists them all
    assert "call" not in ops
    want = run_unicorn(code(*words), Machine({}, 0, vregs, bytes(0x10000)))
    assert got == want.vregs


@pytest.mark.parametrize("host_ops", [None, WITHOUT_SHA_OPS], ids=["host-ops", "expansion"])
def test_sha256_of_abc(machine: Machine, host_ops: frozenset[str] | None) -> None:
    """One SHA-256 block ("abc" padded) through SHA256H/H2/SU0/SU1, the round constants
    in v16-v31, the message in v4-v7, the state in v0 (abcd) and v1 (efgh); with the
    host's SHA-256 ops and without them."""
    from math import isqrt

    k = [_icbrt(p << 96) & 0xFFFFFFFF for p in PRIMES]
    h = [isqrt(p << 64) & 0xFFFFFFFF for p in PRIMES[:8]]
    msg = [0x61626380] + [0] * 14 + [0x18]
    vregs = [0] * 32
    vregs[0], vregs[1] = _vec(h[:4]), _vec(h[4:])
    for j in range(4):
        vregs[4 + j] = _vec(msg[4 * j : 4 * j + 4])
    for i in range(16):
        vregs[16 + i] = _vec(k[4 * i : 4 * i + 4])
    prog = assemble("mov v8.16b, v0.16b; mov v9.16b, v1.16b")
    for i in range(16):
        w = 4 + i % 4
        prog += assemble(f"add v10.4s, v{w}.4s, v{16 + i}.4s; mov v2.16b, v0.16b")
        su0 = [sha2reg(2, 4 + (i + 1) % 4, w)] if i < 12 else []
        su1 = [sha3reg(6, 4 + (i + 3) % 4, 4 + (i + 2) % 4, w)] if i < 12 else []
        prog += code(*su0, sha3reg(4, 10, 1, 0), sha3reg(5, 10, 2, 1), *su1)
    prog += assemble("add v0.4s, v0.4s, v8.4s; add v1.4s, v1.4s, v9.4s")
    machine.vregs = vregs
    compare(prog, machine, host_ops=host_ops)
    out = run_tcgkit(prog, machine, host_ops=host_ops)
    digest = [out.vregs[r] >> 32 * i & 0xFFFFFFFF for r in (0, 1) for i in range(4)]
    want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert "".join(f"{w:08x}" for w in digest) == want


@pytest.mark.parametrize("host_ops", [None, WITHOUT_SHA_OPS], ids=["host-ops", "expansion"])
def test_sha1_of_abc(machine: Machine, host_ops: frozenset[str] | None) -> None:
    """One SHA-1 block ("abc" padded) through SHA1C/P/M/H/SU0/SU1: abcd in v0, e in s1,
    the message in v4-v7, the round constants (splat) in v16-v19; with the host's
    SHA-1 ops and without them."""
    msg = [0x61626380] + [0] * 14 + [0x18]
    consts = [0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6]
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    vregs = [0] * 32
    vregs[0], vregs[1] = _vec(h[:4]), h[4]
    for j in range(4):
        vregs[4 + j] = _vec(msg[4 * j : 4 * j + 4])
        vregs[16 + j] = _vec([consts[j]] * 4)
    prog = assemble("mov v8.16b, v0.16b; mov v9.16b, v1.16b")
    for i in range(20):  # four rounds each; e of the next group from SHA1H
        w = 4 + i % 4
        prog += assemble(f"add v10.4s, v{w}.4s, v{16 + i // 5}.4s")
        hash_op = (0, 1, 2, 1)[i // 5]  # Choose, Parity, Majority, Parity
        prog += code(sha2reg(0, 0, 3), sha3reg(hash_op, 10, 1, 0))
        if i < 16:
            prog += code(sha3reg(3, 4 + (i + 2) % 4, 4 + (i + 1) % 4, w),
                         sha2reg(1, 4 + (i + 3) % 4, w))  # fmt: skip
        prog += assemble("mov v1.16b, v3.16b")
    prog += assemble("add v0.4s, v0.4s, v8.4s; add v1.4s, v1.4s, v9.4s")
    machine.vregs = vregs
    compare(prog, machine, host_ops=host_ops)
    out = run_tcgkit(prog, machine, host_ops=host_ops)
    digest = [out.vregs[0] >> 32 * i & 0xFFFFFFFF for i in range(4)] + [out.vregs[1] & 0xFFFFFFFF]
    assert "".join(f"{w:08x}" for w in digest) == "a9993e364706816aba3e25717850c26c9cd0d89d"


def _sha512_block_code() -> bytes:
    """One SHA-512 compression as A64 code: the message's doublewords in v0-v7 (pair p
    of the schedule in v(p % 8)), the state as pairs (a, b) (c, d) (e, f) (g, h) in
    v8-v11 (kept in v20-v23 for the final sum), K at x1 (pairs, ``ld1`` post-index).
    Two rounds by SHA512H on (f, g), (d, e) and w = (g, h) + K + W with K + W swapped,
    then SHA512H2 on (c, d), (a, b); e's pair is (c, d) + SHA512H's result (the state's
    pairs rotate through registers v8-v19)."""
    ab, cd, ef, gh = 8, 9, 10, 11
    free = list(range(12, 20))
    text = ["mov v20.16b, v8.16b", "mov v21.16b, v9.16b", "mov v22.16b, v10.16b",
            "mov v23.16b, v11.16b"]  # fmt: skip
    words = []

    def flush() -> None:
        words.append(assemble("; ".join(text)))
        text.clear()

    for p in range(40):
        if p >= 8:  # M[p] = SU1(SU0(M[p-8], M[p-7]), M[p-1], ext(M[p-4], M[p-3]))
            text.append(f"ext v31.16b, v{(p - 4) % 8}.16b, v{(p - 3) % 8}.16b, #8")
            flush()
            words.append(code(sha512_2reg(0, (p - 7) % 8, p % 8),
                              sha512_3reg(0, 2, 31, (p - 1) % 8, p % 8)))  # fmt: skip
        w, t = free.pop(0), free.pop(0)
        text += ["ld1 {v30.2d}, [x1], #16", f"add v30.2d, v30.2d, v{p % 8}.2d",
                 "ext v30.16b, v30.16b, v30.16b, #8", f"add v{w}.2d, v{gh}.2d, v30.2d",
                 f"ext v28.16b, v{ef}.16b, v{gh}.16b, #8",
                 f"ext v29.16b, v{cd}.16b, v{ef}.16b, #8"]  # fmt: skip
        flush()
        words.append(code(sha512_3reg(0, 0, 29, 28, w)))
        text.append(f"add v{t}.2d, v{cd}.2d, v{w}.2d")
        flush()
        words.append(code(sha512_3reg(0, 1, ab, cd, w)))
        free += [gh, cd]
        ab, cd, ef, gh = w, ab, t, ef
    text += [f"add v8.2d, v{ab}.2d, v20.2d", f"add v9.2d, v{cd}.2d, v21.2d",
             f"add v10.2d, v{ef}.2d, v22.2d", f"add v11.2d, v{gh}.2d, v23.2d"]  # fmt: skip
    flush()
    return b"".join(words)


@pytest.mark.parametrize("host_ops", [None, WITHOUT_SHA_OPS], ids=["host-ops", "expansion"])
def test_sha512_of_abc(machine: Machine, host_ops: frozenset[str] | None) -> None:
    """One SHA-512 block ("abc" padded) through SHA512H/H2/SU0/SU1 (``_sha512_block_code``),
    FIPS 180-4's digest; with the host's SHA-512 ops and without them."""
    from tcgkit.tcg import sha512
    from tcgkit_target_aarch64.oracle import DATA

    block = b"abc" + b"\x80" + bytes(108) + (24).to_bytes(16, "big")
    msg = [int.from_bytes(block[8 * i : 8 * i + 8], "big") for i in range(16)]
    h = sha512.initial_state()
    vregs = [msg[2 * j] | msg[2 * j + 1] << 64 for j in range(8)]
    vregs += [h[2 * j] | h[2 * j + 1] << 64 for j in range(4)]
    machine.vregs = vregs + [0] * 20
    k = sha512.round_constants()
    machine.data = b"".join(x.to_bytes(8, "little") for x in k) + machine.data[8 * 80 :]
    machine.regs = {**machine.regs, "x1": DATA}
    prog = _sha512_block_code()
    compare(prog, machine, host_ops=host_ops)
    out = run_tcgkit(prog, machine, host_ops=host_ops)
    digest = [out.vregs[8 + j] >> 64 * i & (2**64 - 1) for j in range(4) for i in range(2)]
    assert "".join(f"{w:016x}" for w in digest) == (
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")  # fmt: skip


def test_sm4_known_answer(machine: Machine) -> None:
    """GB/T 32907's example: the key schedule by SM4EKEY (CK in v16-v23, round keys in
    v8-v15), 32 rounds by SM4E; the state's words hold X32..X35."""
    words = [0x01234567, 0x89ABCDEF, 0xFEDCBA98, 0x76543210]
    fk = [0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC]
    ck = [int.from_bytes(bytes((4 * i + j) * 7 & 0xFF for j in range(4)), "big")
          for i in range(32)]  # fmt: skip
    vregs = [0] * 32
    vregs[0] = vregs[1] = _vec(words)  # plaintext, key
    vregs[2] = _vec(fk)
    for i in range(8):
        vregs[16 + i] = _vec(ck[4 * i : 4 * i + 4])
    prog = assemble("eor v1.16b, v1.16b, v2.16b")
    prog += code(*(sha512_3reg(1, 2, 16 + i, 8 + i - 1 if i else 1, 8 + i) for i in range(8)))
    prog += code(*(sha512_2reg(1, 8 + i, 0) for i in range(8)))
    machine.vregs = vregs
    compare(prog, machine)
    out = run_tcgkit(prog, machine)
    x = [out.vregs[0] >> 32 * i & 0xFFFFFFFF for i in range(4)]
    assert "".join(f"{w:08x}" for w in reversed(x)) == "681edf34d206965e86b3e94f536e4246"


# -- generated code -------------------------------------------------------------------------------


def test_crypto_ir_calls_no_helper() -> None:
    """A TB of every instruction above has no ``call`` op (the IR as ``-d op`` logs it,
    before and after optimization), and the emulator counts no TB calling helpers."""
    from tcgkit import PROT_ALL, Emulator

    words = [enc(1, 2, 3, 4, 1) for enc, _ in INSNS.values()]
    log = io.StringIO()
    with Emulator("aarch64", host=host_under_test(), tier_up=0, debug="op,op_opt",
                  log_file=log) as emu:  # fmt: skip
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code(*words))
        emu.emu_start(CODE, CODE + 4 * len(words))
        stats = emu.stats()
    text = log.getvalue()
    assert text.count(" ---- ") == 2 * len(words)  # one TB, logged twice
    assert " call " not in text
    assert stats["tbs_calling_helpers"] == 0


def _poly_div(a: int, b: int) -> int:
    """The quotient of polynomials over GF(2) (bit i: the coefficient of x^i)."""
    q, db = 0, b.bit_length() - 1
    while a.bit_length() - 1 >= db:
        shift = a.bit_length() - 1 - db
        q |= 1 << shift
        a ^= b << shift
    return q


def test_crc32_barrett_constants_derive_from_the_polynomials() -> None:
    """``CRC32_BARRETT``: floor(x^96 / P) less its x^64 term, bit-reversed in 64 bits."""
    from tcgkit_target_aarch64.trans_dp import CRC32_BARRETT

    for reflected, constant in CRC32_BARRETT.items():
        p = 1 << 32 | int(f"{reflected:032b}"[::-1], 2)
        mu = _poly_div(1 << 96, p)
        assert mu >> 64 == 1
        assert int(f"{mu & (2**64 - 1):064b}"[::-1], 2) == constant
