"""SHA-256 steps on 128-bit values (FIPS 180-4, as the Arm ARM's SHA256hash,
SHA256SU0 and SHA256SU1 compute them): the reference the SHA-256 IR ops follow.

Owns the meaning of the optional IR ops ``sha256h_i64``, ``sha256h2_i64``,
``sha256su0_i64`` and ``sha256su1_i64`` (``tcgkit.tcg.semantics``; the python host
calls these functions for them), and FIPS 180-4's constants (computed), one
compression of a block made of the four steps and the digest of a message: what
tests check the steps by. The helpers ``tcgkit.tcg.sha1`` and ``tcgkit.tcg.sha512``
share are here too: the words of a value (``words``, ``halves``), FIPS 180-4's
padding (``hash_message``), ``primes`` and ``icbrt`` for the constants.

A 128-bit value is four 32-bit words, word i at bits 32i to 32i + 31: ``lo`` holds
words 0 and 1, ``hi`` words 2 and 3, as the S lanes of an A64 vector register. The
hash state is two values in A64's layout: ``x`` = (a, b, c, d) and ``y`` = (e, f, g,
h), a and e in word 0; ``w`` holds four message words with their round constants
added (W[t] + K[t], word 0 for the first round).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

M32: Final = 0xFFFFFFFF


def words(lo: int, hi: int) -> list[int]:
    """The four 32-bit words of the 128-bit value ``hi:lo``, word 0 first."""
    return [lo & M32, lo >> 32 & M32, hi & M32, hi >> 32 & M32]


def halves(w: list[int]) -> tuple[int, int]:
    """(lo, hi) of four 32-bit words, word 0 first."""
    return (w[0] & M32 | (w[1] & M32) << 32), (w[2] & M32 | (w[3] & M32) << 32)


# The functions below are the Arm ARM's pseudocode line by line, on the words as
# locals (the python host calls them for the ops: no list or call per round). FIPS
# 180-4's functions are written out where the pseudocode calls them: SHAchoose(x, y,
# z) as z ^ (x & (y ^ z)), SHAmajority as (x & y) | ((x | y) & z), SHAhashSIGMA0(x)
# as ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22), SHAhashSIGMA1 with 6, 11, 25; a rotation
# ROR(x, n) as x >> n | x << (32 - n) with the bits above 32 left to the final mask
# of the sum they go into (the low 32 bits of a sum depend on the low 32 bits of its
# terms alone).


def sha256_hash(x_lo: int, x_hi: int, y_lo: int, y_hi: int, w_lo: int,
                w_hi: int) -> tuple[int, int, int, int]:  # fmt: skip
    """SHA256hash(X, Y, W): the four rounds on X (a, b, c, d) and Y (e, f, g, h) with
    the words W; (lo, hi) of the new X, then of the new Y."""
    x0, x1, x2, x3 = x_lo & M32, x_lo >> 32 & M32, x_hi & M32, x_hi >> 32 & M32
    y0, y1, y2, y3 = y_lo & M32, y_lo >> 32 & M32, y_hi & M32, y_hi >> 32 & M32
    for w in (w_lo & M32, w_lo >> 32 & M32, w_hi & M32, w_hi >> 32 & M32):
        chs = y2 ^ (y0 & (y1 ^ y2))  # SHAchoose(Y<31:0>, Y<63:32>, Y<95:64>)
        maj = (x0 & x1) | ((x0 | x1) & x2)  # SHAmajority(X<31:0>, X<63:32>, X<95:64>)
        sigma1 = (y0 >> 6 | y0 << 26) ^ (y0 >> 11 | y0 << 21) ^ (y0 >> 25 | y0 << 7)
        t = y3 + sigma1 + chs + w  # Y<127:96> + SHAhashSIGMA1(Y<31:0>) + chs + W[e]
        x3 = (t + x3) & M32  # X<127:96> = t + X<127:96>
        sigma0 = (x0 >> 2 | x0 << 30) ^ (x0 >> 13 | x0 << 19) ^ (x0 >> 22 | x0 << 10)
        y3 = (t + sigma0 + maj) & M32  # Y<127:96> = t + SHAhashSIGMA0(X<31:0>) + maj
        # <Y, X> = ROL(Y : X, 32)
        x0, x1, x2, x3, y0, y1, y2, y3 = y3, x0, x1, x2, x3, y0, y1, y2
    return x0 | x1 << 32, x2 | x3 << 32, y0 | y1 << 32, y2 | y3 << 32


def sha256h(x_lo: int, x_hi: int, y_lo: int, y_hi: int, w_lo: int,
            w_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha256h_i64``: (a, b, c, d) after four rounds (A64 SHA256H Qd, Qn, Vm: Qd =
    SHA256hash(Qd, Qn, Vm, TRUE), so x = Qd, y = Qn, w = Vm)."""
    lo, hi, _, _ = sha256_hash(x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
    return lo, hi


def sha256h2(x_lo: int, x_hi: int, y_lo: int, y_hi: int, w_lo: int,
             w_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha256h2_i64``: (e, f, g, h) after four rounds (A64 SHA256H2 Qd, Qn, Vm: Qd
    = SHA256hash(Qn, Qd, Vm, FALSE), so x = Qn, y = Qd, w = Vm)."""
    _, _, lo, hi = sha256_hash(x_lo, x_hi, y_lo, y_hi, w_lo, w_hi)
    return lo, hi


def sha256su0(d_lo: int, d_hi: int, n_lo: int, n_hi: int) -> tuple[int, int]:
    """``sha256su0_i64`` (A64 SHA256SU0 Vd, Vn): T = Vn<31:0> : Vd<127:32>; word e is
    Vd[e] + (ROR(T[e], 7) ^ ROR(T[e], 18) ^ LSR(T[e], 3)): the schedule's W[t-16] +
    sigma0(W[t-15]) for four t."""
    d0, d1, d2, d3 = d_lo & M32, d_lo >> 32 & M32, d_hi & M32, d_hi >> 32 & M32
    out = []
    for d, t in ((d0, d1), (d1, d2), (d2, d3), (d3, n_lo & M32)):
        out.append((d + ((t >> 7 | t << 25) ^ (t >> 18 | t << 14) ^ t >> 3)) & M32)
    return out[0] | out[1] << 32, out[2] | out[3] << 32


def sha256su1(d_lo: int, d_hi: int, n_lo: int, n_hi: int, m_lo: int,
              m_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha256su1_i64`` (A64 SHA256SU1 Vd, Vn, Vm): T0 = Vm<31:0> : Vn<127:32>, T1 =
    Vm<127:64>; words 0 and 1 are Vd[e] + T0[e] + (ROR(T1[e], 17) ^ ROR(T1[e], 19) ^
    LSR(T1[e], 10)), words 2 and 3 the same with T1 = those two words: the schedule's
    W[t] for four t, Vd holding W[t-16] + sigma0(W[t-15])."""
    t0 = (n_lo >> 32 & M32, n_hi & M32, n_hi >> 32 & M32, m_lo & M32)
    d = (d_lo & M32, d_lo >> 32 & M32, d_hi & M32, d_hi >> 32 & M32)
    t1 = [m_hi & M32, m_hi >> 32 & M32]
    out = []
    for e in range(4):
        x = t1[e & 1]
        out.append((d[e] + t0[e] + ((x >> 17 | x << 15) ^ (x >> 19 | x << 13) ^ x >> 10)) & M32)
        if e == 1:
            t1 = out[:2]
    return out[0] | out[1] << 32, out[2] | out[3] << 32


def icbrt(n: int) -> int:
    """The integer cube root of ``n`` (the largest r with r**3 <= n)."""
    r = 1 << -(-n.bit_length() // 3)
    while True:
        s = (2 * r + n // (r * r)) // 3
        if s >= r:
            break
        r = s
    while r**3 > n:
        r -= 1
    return r


def primes(n: int) -> list[int]:
    """The first ``n`` primes."""
    out: list[int] = []
    p = 2
    while len(out) < n:
        if all(p % q for q in out if q * q <= p):
            out.append(p)
        p += 1
    return out


def round_constants() -> list[int]:
    """FIPS 180-4's K: the first 32 bits of the fractional parts of the cube roots of
    the first 64 primes (computed, not typed in)."""
    return [icbrt(p << 96) & M32 for p in primes(64)]


def initial_state() -> list[int]:
    """FIPS 180-4's H(0): the first 32 bits of the fractional parts of the square roots
    of the first 8 primes (a ... h)."""
    from math import isqrt

    return [isqrt(p << 64) & M32 for p in primes(8)]


#: ``compress_block(state, block)``: the state after one block
Compress = Callable[[list[int], bytes], list[int]]
#: ``op(name, ins)``: one of the four steps ("sha256h" ...) on the halves ``ins``
Step = Callable[[str, list[int]], tuple[int, int]]


def reference_step(name: str, ins: list[int]) -> tuple[int, int]:
    """The ``Step`` of this module's functions."""
    fn: Callable[..., tuple[int, int]] = globals()[name]
    return fn(*ins)


def compress(state: list[int], block: bytes, step: Step = reference_step) -> list[int]:
    """One SHA-256 compression of the 64-byte ``block`` into the eight words ``state``
    (a ... h), made of the four steps as A64 code makes it: 16 times SHA256H and
    SHA256H2 on four message words plus constants, the schedule by SHA256SU0 and
    SHA256SU1; each step by ``step`` (for tests: the digest is FIPS 180-4's)."""
    k = round_constants()
    msg = [int.from_bytes(block[4 * i : 4 * i + 4], "big") for i in range(16)]
    sched = [halves(msg[4 * j : 4 * j + 4]) for j in range(4)]
    abcd, efgh = halves(state[:4]), halves(state[4:])
    for i in range(16):
        j = i % 4
        wk = halves([(a + b) & M32 for a, b in zip(words(*sched[j]), k[4 * i : 4 * i + 4],
                                                   strict=True)])  # fmt: skip
        new_abcd = step("sha256h", [*abcd, *efgh, *wk])
        efgh = step("sha256h2", [*abcd, *efgh, *wk])
        abcd = new_abcd
        if i < 12:
            su0 = step("sha256su0", [*sched[j], *sched[(j + 1) % 4]])
            sched[j] = step("sha256su1", [*su0, *sched[(j + 2) % 4], *sched[(j + 3) % 4]])
    out = words(*abcd) + words(*efgh)
    return [(a + b) & M32 for a, b in zip(state, out, strict=True)]


def hash_message(message: bytes, state: list[int], compress_block: Compress, size: int,
                 word_bytes: int) -> bytes:  # fmt: skip
    """The digest of ``message`` padded as FIPS 180-4 says (5.1: a 1 bit, zeros, the
    length in bits in the last ``size // 8`` bytes), each block of ``size`` bytes (64
    for SHA-1 and SHA-256, 128 for SHA-512) compressed into ``state`` by
    ``compress_block``, the state's words then written big-endian, ``word_bytes``
    each."""
    n_len = size // 8
    length = (8 * len(message)).to_bytes(n_len, "big")
    padded = message + b"\x80" + bytes(-(len(message) + 1 + n_len) % size) + length
    for at in range(0, len(padded), size):
        state = compress_block(state, padded[at : at + size])
    return b"".join(w.to_bytes(word_bytes, "big") for w in state)


def digest(message: bytes, step: Step = reference_step) -> bytes:
    """SHA-256 of ``message`` (FIPS 180-4 padding) through ``compress``."""
    return hash_message(message, initial_state(), lambda s, b: compress(s, b, step), 64, 4)
