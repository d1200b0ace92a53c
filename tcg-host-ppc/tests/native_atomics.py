"""Run on a ppc64le machine (an emulated one: see test_emulated_atomics.py): guest
atomics of an emulator with two vCPUs (TBs translated for parallel vCPUs), whose
compare-and-swaps and read-modify-writes the ppc64le host lowers inline
(``atomic_cmpxchg_i64``, ``atomic_fetch_i64`` and ``atomic_cmpxchg2_i64``: l?arx /
st?cx. and lqarx / stqcx. loops after the TLB probe):

* CAS of every size, on a match and a mismatch, on RAM (the fast path once the TLB
  holds the page, the slow path before) and on an MMIO page (always the slow path,
  in an exclusive section), each checked against the values computed here;
* the LSE operations (SWP, LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX,
  LDUMIN: every ``AtomicOp``) of every size on old / operand pairs around the
  size's sign boundary, the operand register with garbage above the size, on RAM
  (the slow path, then the fast path) and on an MMIO page (the slow path:
  ``slow_cmpxchg`` with the operation in its memop, then ``fetch_op``), each
  checked against ``atomic_update``;
* CASP and CASPAL of X registers (the inline ``atomic_cmpxchg2_i64``, whose lqarx
  the TB's host code holds) on a match and on a mismatch of either doubleword, on
  RAM (the fast path once the TLB holds the page; before, the slow path, which
  calls the host's pair routine ``cas_pair``), on an MMIO page (the slow path's
  exclusive section) and on an unmapped page (the fault, nothing changed), each
  checked against ``semantics.cmpxchg2``;
* two vCPUs in threads adding to shared counters with LDXR/STXR, LDADD and
  LDADDH, and around spin locks taken with SWPAL and with LDSETAL, end with the
  exact sums; so do two vCPUs adding 1 and 3 to a 16-byte pair of counters with
  CASP, CASPAL, LDXP/STXP and LDAXP/STLXP.

Exit status 0 when everything matched.

    python native_atomics.py
"""

from __future__ import annotations

import ctypes
from typing import Any

from tcgkit import PROT_ALL, Emulator
from tcgkit.errors import UnmappedMemoryError
from tcgkit.tcg.semantics import atomic_update, cmpxchg2
from tcgkit.tcg.types import AtomicOp

CODE, DATA, MMIO, UNMAPPED = 0x10000, 0x80000, 0x90000, 0xA0000
M64 = (1 << 64) - 1


def words(*ws: int) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in ws)


def cas(size: int, rs: int, rn: int, rt: int) -> int:
    return (
        size << 30 | 0b0010001 << 23 | 1 << 22 | 1 << 21 | rs << 16 | 0b11111 << 10 | rn << 5 | rt
    )


def ldadd(size: int, rs: int, rn: int, rt: int) -> int:
    return lse(size, 0, 0, rs, rn, rt)


def lse(size: int, o3: int, opc: int, rs: int, rn: int, rt: int) -> int:
    """An LSE atomic with acquire and release (SWPAL: o3 = 1; LDADDAL ... by opc)."""
    return (size << 30 | 0b111000 << 24 | 3 << 22 | 1 << 21 | rs << 16 | o3 << 15 | opc << 12
            | rn << 5 | rt)  # fmt: skip


#: (name, o3, opc, the AtomicOp, whether the operand is inverted first)
LSE_OPS = [("swp", 1, 0, AtomicOp.XCHG, False), ("ldadd", 0, 0, AtomicOp.ADD, False),
           ("ldclr", 0, 1, AtomicOp.AND, True), ("ldeor", 0, 2, AtomicOp.XOR, False),
           ("ldset", 0, 3, AtomicOp.OR, False), ("ldsmax", 0, 4, AtomicOp.SMAX, False),
           ("ldsmin", 0, 5, AtomicOp.SMIN, False), ("ldumax", 0, 6, AtomicOp.UMAX, False),
           ("ldumin", 0, 7, AtomicOp.UMIN, False)]  # fmt: skip


def emulator() -> Emulator:
    emu = Emulator("aarch64", host="ppc64le")
    emu.mem_map(CODE, 0x10000, PROT_ALL)
    emu.mem_map(DATA, 0x10000, PROT_ALL)
    emu.add_cpu()  # from now on TBs are translated for parallel vCPUs
    return emu


def _mmio(mmio_bytes: bytearray) -> tuple[Any, Any]:
    """MMIO read and write callbacks over ``mmio_bytes`` (little-endian)."""

    def mmio_read(emu: Emulator, off: int, size: int) -> int:
        return int.from_bytes(mmio_bytes[off : off + size], "little")

    def mmio_write(emu: Emulator, off: int, size: int, value: int) -> None:
        mmio_bytes[off : off + size] = value.to_bytes(size, "little")

    return mmio_read, mmio_write


def check_cas() -> int:
    mmio_bytes = bytearray(range(0x10, 0x20))

    mmio_read, mmio_write = _mmio(mmio_bytes)
    checked = 0
    with emulator() as emu:
        emu.mmio_map(MMIO, 0x1000, mmio_read, mmio_write)
        code = words(cas(0, 1, 20, 2), cas(1, 3, 20, 4), cas(2, 5, 20, 6), cas(3, 7, 20, 8))
        emu.mem_write(CODE, code)
        for base in (DATA, DATA + 0x100, MMIO):
            for match in (True, False):
                for round_ in range(2):  # the second time, RAM is in the TLB
                    initial = bytes((base + 7 * i + round_) & 0xFF for i in range(16))
                    if base == MMIO:
                        mmio_bytes[:] = initial
                    else:
                        emu.mem_write(base, initial)
                    emu.reg_write("x20", base)
                    for i, rt in enumerate((2, 4, 6, 8)):
                        emu.reg_write(f"x{rt}", 0xA5A5A5A5A5A5A5A5 >> i)
                    # one CAS at a time: each reads what the previous one left
                    for i, rs in enumerate((1, 3, 5, 7)):
                        n = 1 << i
                        memory = bytes(mmio_bytes[:8]) if base == MMIO else bytes(
                            emu.mem_read(base, 8))  # fmt: skip
                        current = int.from_bytes(memory[:n], "little")
                        emu.reg_write(f"x{rs}", current if match else current ^ 1)
                        emu.emu_start(CODE + 4 * i, CODE + 4 * i + 4)
                        got = emu.reg_read(f"x{rs}")
                        assert got == current, (hex(base), match, i, hex(got), hex(current))
                        after = bytes(mmio_bytes[:8]) if base == MMIO else bytes(
                            emu.mem_read(base, 8))  # fmt: skip
                        new = ((0xA5A5A5A5A5A5A5A5 >> i) & ((1 << 8 * n) - 1)).to_bytes(
                            n, "little")  # fmt: skip
                        want = (new if match else memory[:n]) + memory[n:]
                        assert after == want, (hex(base), match, i, after.hex(), want.hex())
                        checked += 1
    return checked


TOUCH = CODE + 0x800  # ldr x9, [x20, #8]; str x9, [x20, #8]: the page into the TLB


def check_lse() -> int:
    """Every LSE operation at every size, one instruction at a time (x1 the operand,
    x20 the address, x2 the old value), on RAM and on MMIO. On RAM each access runs
    once with the TLB flushed (the slow path) and once after a guest load and store
    of the page (the fast path)."""
    mmio_bytes = bytearray(16)

    mmio_read, mmio_write = _mmio(mmio_bytes)
    insns = [(size, op) for size in range(4) for op in LSE_OPS]
    checked = 0
    with emulator() as emu:
        host = emu._engine.host  # type: ignore[union-attr]
        assert host.name == "ppc64le" and "atomic_fetch_i64" in host.optional_ops
        emu.mmio_map(MMIO, 0x1000, mmio_read, mmio_write)
        emu.mem_write(CODE, words(*(lse(size, o3, opc, 1, 20, 2)
                                    for size, (_, o3, opc, _, _) in insns)))  # fmt: skip
        emu.mem_write(TOUCH, words(0xF9400689, 0xF9000689))
        for base, fast in ((DATA + 0x200, False), (DATA + 0x200, True), (MMIO, False)):
            emu.reg_write("x20", base)
            for i, (size, (name, _, _, aop, invert)) in enumerate(insns):
                n = 1 << size
                m = (1 << 8 * n) - 1
                half = 1 << (8 * n - 1)
                for old, value in ((half - 1, half), (half, half - 1), (m, 1), (1, m),
                                   (0, half), (half + 1, m), (half, half)):  # fmt: skip
                    memory = (old.to_bytes(n, "little") + bytes(range(0xA0, 0xB0)))[:16]
                    if base == MMIO:
                        mmio_bytes[:] = memory
                    else:
                        emu.mem_write(base, memory)
                    if fast:
                        emu.emu_start(TOUCH, TOUCH + 8)
                    else:  # (mem_write keeps a data page's TLB entry)
                        for cpu in emu._engine.cpus:  # type: ignore[union-attr]
                            cpu.tlb.flush()
                    operand = value | 0x5A5A5A5A5A5A5A5A & ~m  # garbage above the size
                    emu.reg_write("x1", operand)
                    emu.reg_write("x2", 0xDEADBEEFDEADBEEF)
                    misses = emu.stats()["tlb_misses"]
                    emu.emu_start(CODE + 4 * i, CODE + 4 * i + 4)
                    missed = emu.stats()["tlb_misses"] - misses
                    after = bytes(mmio_bytes) if base == MMIO else bytes(emu.mem_read(base, 16))
                    arg = ~operand & M64 if invert else operand
                    want = atomic_update(aop, old, arg, 8 * n).to_bytes(n, "little")
                    what = (hex(base), fast, name, n, hex(old), hex(value))
                    assert emu.reg_read("x2") == old, (what, hex(emu.reg_read("x2")))
                    assert after == want + memory[n:], (what, after.hex())
                    assert (missed == 0) == fast, (what, missed)
                    checked += 1
    return checked


def _lock(acquire: int) -> bytes:
    """A spin lock at x20 + 32 taken with ``acquire`` (w3 = 1 to write, the old value
    to w4), around a plain increment of the counter at x20: exact only if
    ``acquire`` is one atomic read-modify-write."""
    # add x21, x20, #32; mov w3, #1; acquire; cbnz w4, acquire
    # ldr x0, [x20]; add x0, x0, #1; str x0, [x20]; stlr wzr, [x21]
    return words(0x91008295, 0x52800023, acquire, 0x35FFFFE4, 0xF9400280, 0x91000400,
                 0xF9000280, 0x889FFEBF)  # fmt: skip


def casp(rs: int, rn: int, rt: int, acquire: int = 0, release: int = 0) -> int:
    """CASP{A}{L} of X registers: rs, rs+1, rt, rt+1, [rn]."""
    return (1 << 30 | 0b0010000 << 23 | acquire << 22 | 1 << 21 | rs << 16 | release << 15
            | 0b11111 << 10 | rn << 5 | rt)  # fmt: skip


def _host_words(emu: Emulator) -> set[int]:
    """Every instruction word of the host code of the emulator's TBs."""
    engine = emu._engine  # type: ignore[union-attr]
    got: set[int] = set()
    for tbs in engine.tb_cache.page_tbs.values():
        for tb in tbs:
            code = ctypes.string_at(tb.host.entry, tb.host_size)
            got.update(int.from_bytes(code[i : i + 4], "little") for i in range(0, len(code), 4))
    return got


LQARX_MASK, LQARX = 0xFC0007FF, 31 << 26 | 276 << 1  # lqarx, any registers


def check_pairs() -> int:
    """CASP x4, x5, x6, x7, [x20] (and CASPAL), one at a time, on 16 bytes whose
    neighbours must not change: on RAM without the page in the TLB (the slow path:
    slow_cmpxchg, then the host's ``cas_pair``), on RAM after a guest load and store of
    the page (the inline lqarx / stqcx. loop, no TLB miss) and on MMIO (the slow path,
    an exclusive section); a match, a mismatch in the low doubleword and one in the
    high doubleword. Then CASP on an unmapped page raises the fault and changes no
    register."""
    mmio_bytes = bytearray(48)

    mmio_read, mmio_write = _mmio(mmio_bytes)
    checked = 0
    with emulator() as emu:
        host = emu._engine.host  # type: ignore[union-attr]
        assert host.name == "ppc64le" and "atomic_cmpxchg2_i64" in host.optional_ops
        assert host.atomic_routines().cas_pair is not None
        emu.mmio_map(MMIO, 0x1000, mmio_read, mmio_write)
        emu.mem_write(CODE, words(casp(4, 20, 6), casp(4, 20, 6, 1, 1)))
        emu.mem_write(TOUCH, words(0xF9400689, 0xF9000689))
        for base, fast in ((DATA + 0x300, False), (DATA + 0x300, True), (MMIO + 0x10, False)):
            for i, how in enumerate(("match", "low differs", "high differs") * 2):
                n = 0x0123456789ABCDEF * (checked + 1) & M64
                old = (n, n ^ 0xF0F0F0F0F0F0F0F0)
                cmp = (old[0] ^ (how == "low differs") << 63, old[1] ^ (how == "high differs"))
                new = ((n * 7 + 1) & M64, (n * 13 + 5) & M64)
                around = bytes(range(0xC0, 0xD0))
                memory = around + old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little")
                memory += around
                if base == MMIO + 0x10:
                    mmio_bytes[:] = memory
                else:
                    emu.mem_write(base - 16, memory)
                emu.reg_write("x20", base)
                if fast:
                    emu.emu_start(TOUCH, TOUCH + 8)
                else:
                    for cpu in emu._engine.cpus:  # type: ignore[union-attr]
                        cpu.tlb.flush()
                for r, v in zip(("x4", "x5", "x6", "x7"), (*cmp, *new), strict=True):
                    emu.reg_write(r, v)
                misses = emu.stats()["tlb_misses"]
                at = CODE + 4 * (i // 3)  # CASP, then CASPAL
                emu.emu_start(at, at + 4)
                missed = emu.stats()["tlb_misses"] - misses
                after = bytes(mmio_bytes) if base == MMIO + 0x10 else bytes(
                    emu.mem_read(base - 16, 48))  # fmt: skip
                lo, hi = cmpxchg2(old, cmp, new)
                want = around + lo.to_bytes(8, "little") + hi.to_bytes(8, "little") + around
                what = (hex(base), fast, how, i // 3)
                assert (emu.reg_read("x4"), emu.reg_read("x5")) == old, what
                assert (emu.reg_read("x6"), emu.reg_read("x7")) == new, what
                assert after == want, (what, after.hex(), want.hex())
                assert (lo, hi) == (new if how == "match" else old), what
                if fast:
                    assert missed == 0, (what, missed)
                checked += 1
        emu.reg_write("x20", UNMAPPED + 0x40)
        regs = (1, 2, 3, 4)
        for r, v in zip(("x4", "x5", "x6", "x7"), regs, strict=True):
            emu.reg_write(r, v)
        try:
            emu.emu_start(CODE, CODE + 4)
        except UnmappedMemoryError as e:
            assert (e.address, e.pc) == (UNMAPPED + 0x40, CODE), (e.address, e.pc)
        else:
            raise AssertionError("CASP on an unmapped page did not fault")
        assert tuple(emu.reg_read(r) for r in ("x4", "x5", "x6", "x7")) == regs
        checked += 1
        words_ = _host_words(emu)
        assert any(w & LQARX_MASK == LQARX for w in words_), "no lqarx in the TBs"
    return checked


# each adds 1 to the doubleword at x20 and 3 to the one after it, as one 16-byte update:
# ldp x4, x5, [x20]; mov x6, x4; mov x7, x5; add x8, x4, #1; add x9, x5, #3; the CAS;
# cmp x6, x4; ccmp x7, x5, #0, eq; mov x4, x6; mov x5, x7; b.ne the ldp
_CASP_BODY = "841640a9e60304aae70305aa88040091a90c0091{}df0004ebe00045fae40306aae50307aac1feff54"
PAIR_LOOPS = {
    "casp": bytes.fromhex(_CASP_BODY.format(words(casp(6, 20, 8)).hex())),
    "caspal": bytes.fromhex(_CASP_BODY.format(words(casp(6, 20, 8, 1, 1)).hex())),
    # retry: ldxp x0, x1, [x20]; add x0, x0, #1; add x1, x1, #3; stxp w2, x0, x1, [x20];
    # cbnz w2, retry (ldaxp / stlxp likewise)
    "ldxp/stxp": bytes.fromhex("80067fc800040091210c0091800622c882ffff35"),
    "ldaxp/stlxp": bytes.fromhex("80867fc800040091210c0091808622c882ffff35"),
}


def _on_two_vcpus(body: bytes, k: int) -> tuple[bytes, set[int]]:
    """Two vCPUs each running ``body`` ``k`` times (x20 = DATA; the loop: subs x19,
    x19, #1; b.ne back to the start of the body): the 16 bytes at DATA after, and
    the words of the host code made."""
    back = -(len(body) // 4 + 1)
    code = body + words(0xF1000673, 0x54000001 | (back & 0x7FFFF) << 5)
    with emulator() as emu:
        emu.mem_write(CODE, code)
        for cpu in emu.cpus:
            cpu.reg_write("x20", DATA)
            cpu.reg_write("x19", k)
        for cpu in emu.cpus:
            cpu.start(CODE, CODE + len(code))
        emu.wait()
        return emu.mem_read(DATA, 16), _host_words(emu)


def check_pair_counters() -> dict[str, tuple[int, int]]:
    """Two vCPUs, each adding (1, 3) to the 16-byte pair at DATA k times per form."""
    k = 2000
    got: dict[str, tuple[int, int]] = {}
    for name, body in PAIR_LOOPS.items():
        raw, host = _on_two_vcpus(body, k)
        got[name] = (int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little"))
        assert any(w & LQARX_MASK == LQARX for w in host), name
    assert all(v == (2 * k, 6 * k) for v in got.values()), got
    return got


def check_counters() -> dict[str, int]:
    k = 3000
    results = []
    loops = {
        # retry: ldxr x0, [x20]; add x0, x0, #1; stxr w1, x0, [x20]; cbnz w1, retry
        "ldxr/stxr": words(0xC85F7E80, 0x91000400, 0xC8017E80, 0x35FFFFA1),
        # mov x2, #1 (movz); ldaddal x2, x0, [x20]
        "ldadd": words(0xD2800022, ldadd(3, 2, 20, 0)),
        # mov x2, #1 (movz); ldaddalh w2, w0, [x20]
        "ldaddh": words(0xD2800022, ldadd(1, 2, 20, 0)),
        "swpal lock": _lock(lse(2, 1, 0, 3, 21, 4)),  # swpal w3, w4, [x21]
        "ldsetal lock": _lock(lse(2, 0, 3, 3, 21, 4)),  # ldsetal w3, w4, [x21]
    }
    for body in loops.values():
        results.append(int.from_bytes(_on_two_vcpus(body, k)[0][:8], "little"))
    assert results == [2 * k] * len(loops), results
    return dict(zip(loops, results, strict=True))


if __name__ == "__main__":
    n = check_cas()
    print(f"compare-and-swaps matched: {n}")
    print(f"LSE operations matched: {check_lse()}")
    counters = check_counters()
    print("counters: " + ", ".join(f"{name} {v}" for name, v in counters.items()))
    print(f"pair compare-and-swaps matched: {check_pairs()}")
    pairs = check_pair_counters()
    print("pair counters: " + ", ".join(f"{name} {lo}/{hi}" for name, (lo, hi) in pairs.items()))
