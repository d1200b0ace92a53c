"""The half of the qht study one thread cannot show: TB lookups from several vCPUs.

Each vCPU of one emulator (aarch64 target, ``--host``, default x86_64) runs
the same dispatch loop: 64 small blocks, each ending in an indirect branch
(``br``) to the next one through a table, ``--iterations`` times. The
emulator runs in the study's mode (``jump_cache=False``: no jump cache and no
chaining), so every block the guest enters is looked up in the TB hash table.
For each policy (``--policy``, default: qht-dyn-nomru, whose lookups only
read, and the MRU policies qht-dyn-mru and xxhash, whose lookups write, and
master) the total lookups per second with 1 vCPU and with ``--vcpus`` vCPUs
in parallel threads, and the scaling (N-vCPU rate / 1-vCPU rate; ideal: N).

Lookups run in Python (the loop's ``_find_tb``), under the GIL: they cannot
scale across threads whatever the policy, which is what this measures today;
generated code between lookups is short here on purpose.

Usage: ``python benchmarks/qht_vcpus.py [--vcpus 2] [--iterations 20000]``.
"""

from __future__ import annotations

import argparse
import time

from keystone import KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN, Ks
from tcgkit import PROT_ALL, Emulator

CODE, TABLE = 0x10000, 0x40000
BLOCKS = 64
POLICIES = ["qht-dyn-nomru", "qht-dyn-mru", "xxhash", "master"]


def program() -> tuple[bytes, int]:
    """The dispatch loop; (code, the address where a run ends)."""
    lines = ["mov x0, #0"]
    for i in range(BLOCKS):
        lines += [f"b{i}: add x0, x0, #1", "and x1, x0, #63", "subs x19, x19, #1", "b.eq done",
                  "ldr x2, [x20, x1, lsl #3]", "br x2"]  # fmt: skip
    lines.append("done: nop")
    ks = Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN)
    encoding, _ = ks.asm("\n".join(lines), CODE)
    code = bytes(encoding)
    return code, CODE + len(code) - 4


def run(policy: str, host: str, vcpus: int, iterations: int) -> tuple[float, int]:
    """(seconds, lookups) of ``vcpus`` vCPUs each running the loop ``iterations`` times."""
    code, done = program()
    block = 6 * 4  # bytes per block
    table = b"".join((CODE + 4 + i * block).to_bytes(8, "little") for i in range(BLOCKS))
    with Emulator("aarch64", host=host, tb_hash=policy, jump_cache=False) as emu:
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_map(TABLE, 0x1000, PROT_ALL)
        emu.mem_write(CODE, code)
        emu.mem_write(TABLE, table)
        cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(vcpus - 1)]
        for cpu in cpus:  # translate every block first
            cpu.reg_write("x20", TABLE)
            cpu.reg_write("x19", 2 * BLOCKS)
            cpu.start(CODE, done)
        emu.wait()
        before = emu.stats()["lookups"]["hash_hits"]
        for cpu in cpus:
            cpu.reg_write("x19", iterations)
        t0 = time.perf_counter()
        for cpu in cpus:
            cpu.start(CODE, done)
        emu.wait()
        dt = time.perf_counter() - t0
        return dt, emu.stats()["lookups"]["hash_hits"] - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vcpus", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--host", default="x86_64")
    parser.add_argument("--policy", action="append")
    args = parser.parse_args()
    print(f"{args.iterations:,} blocks per vCPU, jump cache and chaining off, host {args.host}")
    for policy in args.policy or POLICIES:
        one_t, one_n = run(policy, args.host, 1, args.iterations)
        many_t, many_n = run(policy, args.host, args.vcpus, args.iterations)
        one, many = one_n / one_t, many_n / many_t
        print(f"{policy:16} 1 vCPU {one / 1e3:8.1f} k lookups/s   {args.vcpus} vCPUs "
              f"{many / 1e3:8.1f} k lookups/s   scaling {many / one:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
