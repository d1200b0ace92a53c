"""Run on a ppc64le machine (an emulated one: see test_emulated_atomics.py): guest
atomics of an emulator with two vCPUs (TBs translated for parallel vCPUs), whose
compare-and-swaps and read-modify-writes the ppc64le host lowers inline
(``atomic_cmpxchg_i64`` and ``atomic_fetch_i64``: l?arx / st?cx. loops after the
TLB probe):

* CAS of every size, on a match and a mismatch, on RAM (the fast path once the TLB
  holds the page, the slow path before) and on an MMIO page (always the slow path,
  in an exclusive section), each checked against the values computed here;
* the LSE operations (SWP, LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX,
  LDUMIN: every ``AtomicOp``) of every size on old / operand pairs around the
  size's sign boundary, the operand register with garbage above the size, on RAM
  (the slow path, then the fast path) and on an MMIO page (the slow path:
  ``slow_cmpxchg`` with the operation in its memop, then ``fetch_op``), each
  checked against ``atomic_update``;
* two vCPUs in threads adding to shared counters with LDXR/STXR, LDADD and
  LDADDH, and around spin locks taken with SWPAL and with LDSETAL, end with the
  exact sums.

Exit status 0 when everything matched.

    python native_atomics.py
"""

from __future__ import annotations

from tcgkit import PROT_ALL, Emulator
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.types import AtomicOp

CODE, DATA, MMIO = 0x10000, 0x80000, 0x90000
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


def check_cas() -> int:
    mmio_bytes = bytearray(range(0x10, 0x20))

    def mmio_read(emu: Emulator, off: int, size: int) -> int:
        return int.from_bytes(mmio_bytes[off : off + size], "little")

    def mmio_write(emu: Emulator, off: int, size: int, value: int) -> None:
        mmio_bytes[off : off + size] = value.to_bytes(size, "little")

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

    def mmio_read(emu: Emulator, off: int, size: int) -> int:
        return int.from_bytes(mmio_bytes[off : off + size], "little")

    def mmio_write(emu: Emulator, off: int, size: int, value: int) -> None:
        mmio_bytes[off : off + size] = value.to_bytes(size, "little")

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
        # subs x19, x19, #1; b.ne back to the start of the body
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
            results.append(int.from_bytes(emu.mem_read(DATA, 8), "little"))
    assert results == [2 * k] * len(loops), results
    return dict(zip(loops, results, strict=True))


if __name__ == "__main__":
    n = check_cas()
    print(f"compare-and-swaps matched: {n}")
    print(f"LSE operations matched: {check_lse()}")
    counters = check_counters()
    print("counters: " + ", ".join(f"{name} {v}" for name, v in counters.items()))
