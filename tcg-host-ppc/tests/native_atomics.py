"""Run on a ppc64le machine (an emulated one: see test_emulated_atomics.py): guest
atomics of an emulator with two vCPUs (TBs translated for parallel vCPUs), whose
compare-and-swaps the ppc64le host lowers inline (``atomic_cmpxchg_i64``: an l?arx /
st?cx. loop after the TLB probe):

* CAS of every size, on a match and a mismatch, on RAM (the fast path once the TLB
  holds the page, the slow path before) and on an MMIO page (always the slow path,
  in an exclusive section), each checked against the values computed here;
* two vCPUs in threads adding to shared counters with LDXR/STXR and with LDADD end
  with the exact sums.

Exit status 0 when everything matched.

    python native_atomics.py
"""

from __future__ import annotations

from tcgkit import PROT_ALL, Emulator

CODE, DATA, MMIO = 0x10000, 0x80000, 0x90000
M64 = (1 << 64) - 1


def words(*ws: int) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in ws)


def cas(size: int, rs: int, rn: int, rt: int) -> int:
    return (
        size << 30 | 0b0010001 << 23 | 1 << 22 | 1 << 21 | rs << 16 | 0b11111 << 10 | rn << 5 | rt
    )


def ldadd(size: int, rs: int, rn: int, rt: int) -> int:
    return size << 30 | 0b111000 << 24 | 3 << 22 | 1 << 21 | rs << 16 | rn << 5 | rt


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


def check_counters() -> tuple[int, int]:
    k = 3000
    results = []
    loops = {
        # retry: ldxr x0, [x20]; add x0, x0, #1; stxr w1, x0, [x20]; cbnz w1, retry
        "ldxr/stxr": words(0xC85F7E80, 0x91000400, 0xC8017E80, 0x35FFFFA1),
        # mov x2, #1 (movz); ldaddal x2, x0, [x20]
        "ldadd": words(0xD2800022, ldadd(3, 2, 20, 0)),
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
    assert results == [2 * k, 2 * k], results
    return results[0], results[1]


if __name__ == "__main__":
    n = check_cas()
    print(f"compare-and-swaps matched: {n}")
    a, b = check_counters()
    print(f"counters: ldxr/stxr {a}, ldadd {b}")
