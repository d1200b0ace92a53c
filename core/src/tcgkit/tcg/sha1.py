"""SHA-1 steps on 128-bit values (FIPS 180-4, as the Arm ARM's SHA1C, SHA1P, SHA1M,
SHA1H, SHA1SU0 and SHA1SU1 compute them): the reference the SHA-1 IR ops follow.

Owns the meaning of the optional IR ops ``sha1c_i64``, ``sha1p_i64``,
``sha1m_i64`` and ``sha1su1_i64`` (``tcgkit.tcg.semantics``; the python host calls
these functions for them), of the two steps that stay plain IR (``sha1h``,
``sha1su0``: a rotation, four XORs), FIPS 180-4's constants (computed), one
compression of a block made of the steps as A64 code makes it and the digest of a
message: what tests check the steps by.

A 128-bit value is four 32-bit words, word i at bits 32i to 32i + 31 (``lo`` holds
words 0 and 1, ``hi`` words 2 and 3: A64's S lanes; ``tcgkit.tcg.sha256.words`` and
``halves`` convert). The hash state is ``x`` = (a, b, c, d), a in word 0, and
``e``, a 32-bit value in the low bits of an i64 (the bits above are ignored: A64's
Sn is the low word of a vector); ``w`` holds four message words with their round
constant added (W[t] + K, word 0 for the first round).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isqrt
from typing import Final

from .sha256 import M32, Step, halves, hash_message, words

#: the round function of each rounds op, by the A64 instruction's opcode: SHA1C's
#: Choose, SHA1P's Parity, SHA1M's Majority
ROUND_KINDS: Final = ("sha1c", "sha1p", "sha1m")


def _rol(x: int, n: int) -> int:
    return (x << n | x >> (32 - n)) & M32


def sha1_rounds(kind: str, x_lo: int, x_hi: int, e: int, w_lo: int, w_hi: int) -> tuple[int, int]:
    """The Arm ARM's SHA1C / SHA1P / SHA1M Qd, Sn, Vm (X = Qd, Y = Sn, W = Vm): for
    each word of W, t = f(X<63:32>, X<95:64>, X<127:96>); Y = Y + ROL(X<31:0>, 5) + t +
    W[e]; X<63:32> = ROL(X<63:32>, 30); <Y, X> = ROL(Y : X, 32). (lo, hi) of the new
    X. f is SHAchoose (x & y) | (~x & z), written z ^ (x & (y ^ z)), SHAparity x ^ y
    ^ z or SHAmajority (x & y) | ((x | y) & z) as ``kind`` says. On the words as locals
    (the python host calls this for the ops); ROL(a, 5)'s bits above 32 are left to the
    final mask of the sum (as in ``tcgkit.tcg.sha256``)."""
    fn = ROUND_KINDS.index(kind)
    a, b, c, d = x_lo & M32, x_lo >> 32 & M32, x_hi & M32, x_hi >> 32 & M32
    y = e & M32
    for w in (w_lo & M32, w_lo >> 32 & M32, w_hi & M32, w_hi >> 32 & M32):
        if fn == 0:
            t = d ^ (b & (c ^ d))
        elif fn == 1:
            t = b ^ c ^ d
        else:
            t = (b & c) | ((b | c) & d)
        y = (y + (a << 5 | a >> 27) + t + w) & M32
        # X<63:32> = ROL(X<63:32>, 30), then <Y, X> = ROL(Y : X, 32): Y's word enters X
        # at the bottom, X's top word leaves for Y
        a, b, c, d, y = y, a, (b << 30 | b >> 2) & M32, c, d
    return a | b << 32, c | d << 32


def sha1c(x_lo: int, x_hi: int, e: int, w_lo: int, w_hi: int) -> tuple[int, int]:
    """``sha1c_i64``: four rounds with Choose (A64 SHA1C Qd, Sn, Vm)."""
    return sha1_rounds("sha1c", x_lo, x_hi, e, w_lo, w_hi)


def sha1p(x_lo: int, x_hi: int, e: int, w_lo: int, w_hi: int) -> tuple[int, int]:
    """``sha1p_i64``: four rounds with Parity (A64 SHA1P Qd, Sn, Vm)."""
    return sha1_rounds("sha1p", x_lo, x_hi, e, w_lo, w_hi)


def sha1m(x_lo: int, x_hi: int, e: int, w_lo: int, w_hi: int) -> tuple[int, int]:
    """``sha1m_i64``: four rounds with Majority (A64 SHA1M Qd, Sn, Vm)."""
    return sha1_rounds("sha1m", x_lo, x_hi, e, w_lo, w_hi)


def sha1h(n_lo: int) -> int:
    """A64 SHA1H Sd, Sn: ROL(Sn, 30) (the next four rounds' e: a after the rounds
    before them)."""
    return _rol(n_lo & M32, 30)


def sha1su0(d_lo: int, d_hi: int, n_lo: int, n_hi: int, m_lo: int,
            m_hi: int) -> tuple[int, int]:  # fmt: skip
    """A64 SHA1SU0 Vd, Vn, Vm: (Vn<63:0> : Vd<127:64>) EOR Vd EOR Vm."""
    return d_hi ^ d_lo ^ m_lo, n_lo ^ d_hi ^ m_hi


def sha1su1(d_lo: int, d_hi: int, n_lo: int, n_hi: int) -> tuple[int, int]:
    """``sha1su1_i64`` (A64 SHA1SU1 Vd, Vn): T = Vd EOR LSR(Vn, 32); words 0-2 are
    ROL(T[e], 1), word 3 ROL(T[3], 1) EOR ROL(T[0], 2): the schedule's W[t] for four t,
    Vd holding SHA1SU0's W[t-16] ^ W[t-14] ^ W[t-8] and Vn W[t-4 ... t-1]."""
    d, n = words(d_lo, d_hi), words(n_lo, n_hi)
    t = [d[0] ^ n[1], d[1] ^ n[2], d[2] ^ n[3], d[3]]
    out = [_rol(v, 1) for v in t]
    out[3] ^= _rol(t[0], 2)
    return halves(out)


def round_constants() -> list[int]:
    """FIPS 180-4's four K (4.2.1): the integer parts of 2**30 times the square roots
    of 2, 3, 5 and 10 (computed, not typed in)."""
    return [isqrt(n << 60) for n in (2, 3, 5, 10)]


def initial_state() -> list[int]:
    """FIPS 180-4's H(0) (5.3.1), a ... e (given there as they are: no rule makes them)."""
    return [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]


def reference_step(name: str, ins: list[int]) -> tuple[int, int]:
    """The ``Step`` of this module's functions (``sha1c`` ... ``sha1su1``)."""
    fn: Callable[..., tuple[int, int]] = globals()[name]
    return fn(*ins)


def compress(state: list[int], block: bytes, step: Step = reference_step) -> list[int]:
    """One SHA-1 compression of the 64-byte ``block`` into the five words ``state``
    (a ... e), made of the steps as A64 code makes it: 20 times SHA1C, SHA1P, SHA1M or
    SHA1P on four message words plus K, e from SHA1H, the schedule by SHA1SU0 and
    SHA1SU1; the rounds ops and SHA1SU1 by ``step`` (for tests: the digest is FIPS
    180-4's)."""
    k = round_constants()
    msg = [int.from_bytes(block[4 * i : 4 * i + 4], "big") for i in range(16)]
    sched = [halves(msg[4 * j : 4 * j + 4]) for j in range(4)]
    abcd, e = halves(state[:4]), state[4]
    for i in range(20):
        j = i % 4
        wk = halves([(w + k[i // 5]) & M32 for w in words(*sched[j])])
        kind = ROUND_KINDS[i // 5] if i < 15 else "sha1p"
        next_e = sha1h(abcd[0])
        abcd = step(kind, [*abcd, e, *wk])
        e = next_e
        if i < 16:
            su0 = sha1su0(*sched[j], *sched[(j + 1) % 4], *sched[(j + 2) % 4])
            sched[j] = step("sha1su1", [*su0, *sched[(j + 3) % 4]])
    out = [*words(*abcd), e]
    return [(a + b) & M32 for a, b in zip(state, out, strict=True)]


def digest(message: bytes, step: Step = reference_step) -> bytes:
    """SHA-1 of ``message`` (FIPS 180-4 padding) through ``compress``."""
    return hash_message(message, initial_state(), lambda s, b: compress(s, b, step), 64, 4)
