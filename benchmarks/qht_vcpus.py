"""The half of the qht study one thread cannot show: TB lookups from several vCPUs.

Each vCPU of one emulator (aarch64 target, ``--host``, default x86_64) runs
the same dispatch loop: ``--blocks`` (64) small blocks, each one TB ending in an indirect
branch (``br``) to the next one through a table, ``--iterations`` blocks in
all. The emulator runs in the study's mode (``jump_cache=False``: no jump
cache and no chaining), so every block the guest enters is looked up in the
TB hash table. For each policy (``--policy``, default: qht-dyn-nomru, whose
lookups only read, and qht-dyn-mru, whose lookups write: they promote what
they find past the head bucket, under the bucket's lock) the total lookups
per second with 1 vCPU and with ``--vcpus`` vCPUs in parallel threads, and
the scaling (N-vCPU rate / 1-vCPU rate; ideal: N). With 64 blocks in the
default 2^15 buckets no chain passes its head bucket, so MRU never promotes;
``--blocks 1024 --log2 8`` makes chains (qht-dyn grows to 2^9 head buckets
with overflow buckets), and qht-dyn-mru's lookups then write.

On the x86_64 host the qht policies are looked up natively: generated code
probes the policy's native mirror (``tcgkit.native.tb_mirror``) without the
GIL and jumps to the TB it finds, so lookups from several vCPUs run in
parallel and the policies' concurrent behaviour shows. Other policies
(``--policy master``, ``xxhash``) and other hosts look up in Python under the
GIL and cannot scale; the ``native`` column says which share of the lookups
generated code did. Generated code between lookups is short here on purpose.

Usage: ``python benchmarks/qht_vcpus.py [--vcpus 2] [--iterations 2000000] [--repeat 3]
[--blocks 64] [--log2 15] [--policy NAME ...]``.
"""

from __future__ import annotations

import argparse
import time

from keystone import KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN, Ks
from tcgkit import PROT_ALL, Emulator

CODE, TABLE = 0x10000, 0x40000
BLOCKS = 64
BLOCK = 32  # bytes per block
POLICIES = ["qht-dyn-nomru", "qht-dyn-mru"]


def program(blocks: int) -> tuple[bytes, int]:
    """The dispatch loop; (code, the address where a run ends: x21). Each block is one TB
    of 32 bytes (two nops pad it after its ``br``), so that none crosses a page: a TB
    that did would end in a direct jump to the rest, which with chaining off is looked
    up by the loop in Python."""
    lines = []
    for i in range(blocks):
        lines += [f"b{i}: add x0, x0, #1", f"and x1, x0, #{blocks - 1}", "subs x19, x19, #1",
                  "ldr x2, [x20, x1, lsl #3]", "csel x2, x2, x21, ne", "br x2",
                  "nop", "nop"]  # fmt: skip
    lines.append("done: nop")
    ks = Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN)
    encoding, _ = ks.asm("\n".join(lines), CODE)
    code = bytes(encoding)
    return code, CODE + len(code) - 4


def lookups(stats: dict) -> tuple[int, int]:
    """(lookups in all, those done natively) so far (``hash_hits`` counts both kinds)."""
    return stats["lookups"]["hash_hits"] + stats["lookups"]["misses"], stats["lookups_native"]


def run(policy: str, host: str, vcpus: int, iterations: int, blocks: int = BLOCKS,
        log2: int = 15) -> tuple[float, int, int, float]:  # fmt: skip
    """(seconds, lookups, native lookups, CPU seconds of the process) of ``vcpus`` vCPUs
    each running ``iterations`` blocks of the loop (of ``blocks`` blocks; the table
    starts with 2**log2 buckets)."""
    code, done = program(blocks)
    table = b"".join((CODE + i * BLOCK).to_bytes(8, "little") for i in range(blocks))
    with Emulator("aarch64", host=host, tb_hash=policy, jump_cache=False, tier_up=0,
                  tb_hash_log2_buckets=log2) as emu:  # fmt: skip
        emu.mem_map(CODE, TABLE - CODE, PROT_ALL)
        emu.mem_map(TABLE, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code)
        emu.mem_write(TABLE, table)
        cpus = [emu.cpus[0]] + [emu.add_cpu() for _ in range(vcpus - 1)]
        for cpu in cpus:  # translate every block first
            cpu.reg_write("x20", TABLE)
            cpu.reg_write("x21", done)
            cpu.reg_write("x19", 2 * blocks)
            cpu.start(CODE, done)
        emu.wait()
        before, native_before = lookups(emu.stats())
        for cpu in cpus:
            cpu.reg_write("x19", iterations)
        t0, c0 = time.perf_counter(), time.process_time()
        for cpu in cpus:
            cpu.start(CODE, done)
        emu.wait()
        dt, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        after, native_after = lookups(emu.stats())
        return dt, after - before, native_after - native_before, cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vcpus", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=BLOCKS, help="a power of two, <= 4096")
    parser.add_argument("--log2", type=int, default=15, help="initial log2 of the buckets")
    parser.add_argument("--host", default="x86_64")
    parser.add_argument("--policy", action="append")
    args = parser.parse_args()
    print(f"{args.iterations:,} blocks per vCPU (a loop of {args.blocks}), jump cache and "
          f"chaining off, 2^{args.log2} buckets at first, host {args.host}")  # fmt: skip
    for policy in args.policy or POLICIES:
        best: list[tuple[float, float, float]] = []
        # 1 and N vCPUs alternate, so that a drift of the machine's load hits both
        runs = [[run(policy, args.host, vcpus, args.iterations, args.blocks, args.log2)
                 for vcpus in (1, args.vcpus)] for _ in range(args.repeat)]  # fmt: skip
        for k in range(2):
            t, n, native, cpu_s = min(r[k] for r in runs)  # the fastest of the repeats
            best.append((n / t, native / n if n else 0.0, cpu_s / t))
        (one, share1, _), (many, share_n, busy) = best
        # busy: CPU seconds per second of the N-vCPU run, at most N; about 1 when the
        # lookups hold the GIL (or the machine is shared), about N when they run apart
        print(f"{policy:16} 1 vCPU {one / 1e6:7.2f} M lookups/s   {args.vcpus} vCPUs "
              f"{many / 1e6:7.2f} M lookups/s   scaling {many / one:.2f}x   "
              f"busy {busy:.2f}   native {min(share1, share_n):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
