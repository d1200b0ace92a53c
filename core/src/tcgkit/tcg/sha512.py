"""SHA-512 steps on 128-bit values (FIPS 180-4, as the Arm ARM's SHA512H, SHA512H2,
SHA512SU0 and SHA512SU1 compute them): the reference the SHA-512 IR ops follow.

Owns the meaning of the optional IR ops ``sha512h_i64``, ``sha512h2_i64``,
``sha512su0_i64`` and ``sha512su1_i64`` (``tcgkit.tcg.semantics``; the python host
calls these functions for them), FIPS 180-4's constants (computed), one
compression of a block made of the four steps as A64 code makes it and the digest
of a message: what tests check the steps by.

A 128-bit value is two 64-bit words, ``lo`` (word 0, bits 0-63) and ``hi``: A64's
D lanes. Each rounds step is two rounds: ``sha512h`` computes their T1 (FIPS
180-4's h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]) from x = (f, g), y = (d, e) and w
= (g + K[t+1] + W[t+1], h + K[t] + W[t]) (word 0 first), giving (T1 of round t+1,
T1 of round t); ``sha512h2`` adds T2 (Sigma0(a) + Maj(a, b, c)) with x = (c, _) and
y = (a, b), giving the new (a of round t+2, a of round t+1).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isqrt
from typing import Final

from .sha256 import Step, hash_message, icbrt, primes

M64: Final = (1 << 64) - 1


# The functions below are the Arm ARM's pseudocode on locals (the python host calls
# them for the ops): ROR(x, n) as x >> n | x << (64 - n), its bits above 64 left to
# the final mask of the sum it goes into (the low 64 bits of a sum depend on the low
# 64 bits of its terms alone).


def sha512h(x_lo: int, x_hi: int, y_lo: int, y_hi: int, w_lo: int,
            w_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha512h_i64`` (A64 SHA512H Qd, Qn, Vm.2D: X = Vn, Y = Vm, W = Vd): Vtmp<127:64>
    = Ch(Y<127:64>, X<63:0>, X<127:64>) + Sigma1(Y<127:64>) + W<127:64>; tmp =
    Vtmp<127:64> + Y<63:0>; Vtmp<63:0> = Ch(tmp, Y<127:64>, X<63:0>) + Sigma1(tmp) +
    W<63:0>. Ch(x, y, z) is (x & y) ^ (~x & z), written z ^ (x & (y ^ z)); Sigma1(x)
    ROR(x, 14) ^ ROR(x, 18) ^ ROR(x, 41)."""
    y = y_hi
    s1 = (y >> 14 | y << 50) ^ (y >> 18 | y << 46) ^ (y >> 41 | y << 23)
    hi = (x_hi ^ (y & (x_lo ^ x_hi))) + s1 + w_hi & M64
    t = hi + y_lo & M64
    s1 = (t >> 14 | t << 50) ^ (t >> 18 | t << 46) ^ (t >> 41 | t << 23)
    lo = (x_lo ^ (t & (y ^ x_lo))) + s1 + w_lo & M64
    return lo, hi


def sha512h2(x_lo: int, x_hi: int, y_lo: int, y_hi: int, w_lo: int,
             w_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha512h2_i64`` (A64 SHA512H2 Qd, Qn, Vm.2D: X = Vn, Y = Vm, W = Vd):
    Vtmp<127:64> = Maj(X<63:0>, Y<127:64>, Y<63:0>) + Sigma0(Y<63:0>) + W<127:64>;
    Vtmp<63:0> = Maj(Vtmp<127:64>, Y<63:0>, Y<127:64>) + Sigma0(Vtmp<127:64>) +
    W<63:0>. Maj(x, y, z) is (x & y) ^ (x & z) ^ (y & z), Sigma0(x) ROR(x, 28) ^ ROR(x,
    34) ^ ROR(x, 39); X<127:64> is not read."""
    y = y_lo
    s0 = (y >> 28 | y << 36) ^ (y >> 34 | y << 30) ^ (y >> 39 | y << 25)
    hi = ((x_lo & y_hi) ^ (x_lo & y) ^ (y_hi & y)) + s0 + w_hi & M64
    s0 = (hi >> 28 | hi << 36) ^ (hi >> 34 | hi << 30) ^ (hi >> 39 | hi << 25)
    lo = ((hi & y) ^ (hi & y_hi) ^ (y_hi & y)) + s0 + w_lo & M64
    return lo, hi


def _small_sigma0(x: int) -> int:
    """ROR(x, 1) ^ ROR(x, 8) ^ LSR(x, 7), bits above 64 left in."""
    return (x >> 1 | x << 63) ^ (x >> 8 | x << 56) ^ x >> 7


def _small_sigma1(x: int) -> int:
    """ROR(x, 19) ^ ROR(x, 61) ^ LSR(x, 6), bits above 64 left in."""
    return (x >> 19 | x << 45) ^ (x >> 61 | x << 3) ^ x >> 6


def sha512su0(d_lo: int, d_hi: int, n_lo: int, n_hi: int) -> tuple[int, int]:
    """``sha512su0_i64`` (A64 SHA512SU0 Vd.2D, Vn.2D): W = Vd, X = Vn; word 0 is W<63:0>
    + sigma0(W<127:64>), word 1 W<127:64> + sigma0(X<63:0>), sigma0(x) = ROR(x, 1) ^
    ROR(x, 8) ^ LSR(x, 7): the schedule's W[t-16] + sigma0(W[t-15]) for two t."""
    return d_lo + _small_sigma0(d_hi) & M64, d_hi + _small_sigma0(n_lo) & M64


def sha512su1(d_lo: int, d_hi: int, n_lo: int, n_hi: int, m_lo: int,
              m_hi: int) -> tuple[int, int]:  # fmt: skip
    """``sha512su1_i64`` (A64 SHA512SU1 Vd.2D, Vn.2D, Vm.2D: W = Vd, X = Vn, Y = Vm):
    word i is W[i] + sigma1(X[i]) + Y[i], sigma1(x) = ROR(x, 19) ^ ROR(x, 61) ^ LSR(x,
    6): the schedule's W[t] for two t (W holding SHA512SU0's sums, X W[t-2], W[t-1], Y
    W[t-7], W[t-6])."""
    return (d_lo + _small_sigma1(n_lo) + m_lo & M64,
            d_hi + _small_sigma1(n_hi) + m_hi & M64)  # fmt: skip


def round_constants() -> list[int]:
    """FIPS 180-4's K (4.2.3): the first 64 bits of the fractional parts of the cube
    roots of the first 80 primes (computed, not typed in)."""
    return [icbrt(p << 192) & M64 for p in primes(80)]


def initial_state() -> list[int]:
    """FIPS 180-4's H(0) (5.3.5): the first 64 bits of the fractional parts of the
    square roots of the first 8 primes (a ... h)."""
    return [isqrt(p << 128) & M64 for p in primes(8)]


def reference_step(name: str, ins: list[int]) -> tuple[int, int]:
    """The ``Step`` of this module's functions."""
    fn: Callable[..., tuple[int, int]] = globals()[name]
    return fn(*ins)


def compress(state: list[int], block: bytes, step: Step = reference_step) -> list[int]:
    """One SHA-512 compression of the 128-byte ``block`` into the eight words ``state``
    (a ... h), two rounds at a time by SHA512H then SHA512H2 (operands as the module
    docstring says), the schedule two words at a time by SHA512SU0 and SHA512SU1;
    each step by ``step`` (for tests: the digest is FIPS 180-4's)."""
    k = round_constants()
    w = [int.from_bytes(block[8 * i : 8 * i + 8], "big") for i in range(16)]
    for t in range(16, 80, 2):
        su0 = step("sha512su0", [w[t - 16], w[t - 15], w[t - 14], w[t - 13]])
        w += step("sha512su1", [*su0, w[t - 2], w[t - 1], w[t - 7], w[t - 6]])
    a, b, c, d, e, f, g, h = state
    for t in range(0, 80, 2):
        wk = [(g + k[t + 1] + w[t + 1]) & M64, (h + k[t] + w[t]) & M64]
        t1_next, t1 = step("sha512h", [f, g, d, e, *wk])
        a2, a1 = step("sha512h2", [c, 0, a, b, t1_next, t1])
        e1 = (d + t1) & M64  # e of round t+1 ...
        e2 = (c + t1_next) & M64  # ... and of t+2: SHA512H's sums, A64 code adds them
        a, b, c, d, e, f, g, h = a2, a1, a, b, e2, e1, e, f
    out = [a, b, c, d, e, f, g, h]
    return [(x + y) & M64 for x, y in zip(state, out, strict=True)]


def digest(message: bytes, step: Step = reference_step) -> bytes:
    """SHA-512 of ``message`` (FIPS 180-4 padding) through ``compress``."""
    return hash_message(message, initial_state(), lambda s, b: compress(s, b, step), 128, 8)
