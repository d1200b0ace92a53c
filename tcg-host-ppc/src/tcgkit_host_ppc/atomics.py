"""The POWER host's compare-and-swap routines, for guest atomics of several vCPUs.

Owns ``routines()``: ELFv2 functions that ``tcgkit.exec.atomic`` calls through
ctypes (``NativeHost.atomic_routines``), each a reservation loop (l?arx /
st?cx., the byte and halfword forms being ISA 2.06, which every host this
backend runs on has; lqarx / stqcx. for the pair, ISA 2.07) between two
``sync``s, so that a guest compare-and-swap is atomic and ordered against every
other vCPU's generated code:

    cas_N(r3 = ptr, r4 = expected, r5 = new) -> r3 = the value read
    cas_pair(r3 = ptr, r4 = exp_lo, r5 = exp_hi, r6 = new_lo, r7 = new_hi,
             r8 = out): out[0], out[1] = the pair read (ptr 16-byte aligned)

lqarx is a single-copy atomic quadword load, so a pair that differs is not stored
back. Little-endian, the even register of a pair holds the doubleword 8 bytes on
(hi) and the odd one the doubleword at the address (lo), for lqarx and stqcx. both.
"""

from __future__ import annotations

from tcgkit.native.backend import AtomicRoutines

from .encoder import BO_FALSE, EQ, Asm, Label


def _cas(log2: int) -> bytes:
    a = Asm()
    again, done = Label(), Label()
    a.sync()
    a.bind(again)
    a.larx(6, 0, 3, log2)  # r6 <- [r3], reserved
    a.cmp(6, 4)
    a.bc(BO_FALSE, EQ, done)
    a.stcx(5, 0, 3, log2)
    a.bc(BO_FALSE, EQ, again)  # the reservation was lost
    a.bind(done)
    a.sync()
    a.mr(3, 6)
    a.blr()
    return a.code()


def _cas_pair() -> bytes:
    a = Asm()
    again, done = Label(), Label()
    a.mr(11, 6)  # the new pair: r10 = hi, r11 = lo
    a.mr(10, 7)
    a.sync()
    a.bind(again)
    a.lqarx(6, 0, 3)  # r6 = hi, r7 = lo
    a.cmp(7, 4)
    a.bc(BO_FALSE, EQ, done)
    a.cmp(6, 5)
    a.bc(BO_FALSE, EQ, done)
    a.stqcx(10, 0, 3)
    a.bc(BO_FALSE, EQ, again)  # the reservation was lost
    a.bind(done)
    a.sync()
    a.std(7, 8, 0)  # the pair read, whether or not it was swapped
    a.std(6, 8, 8)
    a.blr()
    return a.code()


def routines() -> AtomicRoutines:
    return AtomicRoutines.layout([_cas(n) for n in range(4)], _cas_pair())
