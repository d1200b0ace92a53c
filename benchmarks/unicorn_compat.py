"""Typical Unicorn harness shapes under the real unicorn and under tcgkit.unicorn.

The same harness code runs with either module (``uc_mod``): each shape builds a
``Uc`` for AArch64, maps code and data, and times its emulation (median of
``--runs``; each run makes a new ``Uc``, so translation is part of every figure):

- ``loop``: a tight loop of ``--iterations`` iterations, no hooks;
- ``block-hook``: the loop of 8 blocks with a UC_HOOK_BLOCK callback that reads
  two registers (a coverage tracer's shape);
- ``mem-read-hook``: a loop loading from a buffer with a UC_HOOK_MEM_READ callback
  (a taint or access tracer's shape);
- ``fuzz``: ``--execs`` short ``emu_start`` calls of a small parser function, each
  after ``context_restore`` and a ``mem_write`` of a new input (a fuzzer's shape,
  where per-call overhead counts);
- ``snapshot-fuzz``: the same with memory in the contexts (UC_CTL_CONTEXT_MODE with
  UC_CTL_CONTEXT_MEMORY: each restore puts back the bytes the parser and the
  harness wrote, as snapshot fuzzers use it).

Prints, per shape, both times and the ratio tcgkit / Unicorn (below 1: tcgkit is
faster). ``--host`` chooses tcgkit's host backend (default: the best installed).

Usage: ``python benchmarks/unicorn_compat.py [--runs 3] [--host x86_64]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from keystone import KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN, Ks

CODE, DATA = 0x10000, 0x100000

LOOP = """
loop:
add x1, x1, x0
eor x2, x2, x1
subs x0, x0, #1
b.ne loop
"""

BLOCKS = (
    """
loop:
"""
    + "".join(f"add x1, x1, #{i}\ncbz x0, next{i}\nnext{i}:\n" for i in range(8))
    + """
subs x0, x0, #1
b.ne loop
"""
)

LOADS = """
loop:
and x3, x0, #0xff8
ldr x4, [x5, x3]
add x1, x1, x4
subs x0, x0, #1
b.ne loop
"""

# a small input parser: counts bytes above 'a' in a 64-byte input, checks a magic word
PARSER = """
mov x1, #0
mov x2, #0
ldr w6, [x5]
movz w7, #0x4b45
movk w7, #0x4c46, lsl #16
cmp w6, w7
b.ne done
scan:
ldrb w3, [x5, x2]
cmp w3, #0x61
cinc x1, x1, hi
add x2, x2, #1
cmp x2, #64
b.ne scan
done:
nop
"""


def assemble(src: str) -> bytes:
    return bytes(Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN).asm(src, CODE)[0])


def new_uc(u: ModuleType, code: bytes, extra: dict[str, Any]) -> Any:
    a = u.arm64_const
    uc = u.Uc(u.UC_ARCH_ARM64, u.UC_MODE_ARM, **extra)
    uc.mem_map(CODE, 0x10000)
    uc.mem_map(DATA, 0x10000)
    uc.mem_write(CODE, code)
    uc.reg_write(a.UC_ARM64_REG_X5, DATA)
    return uc


def shape_loop(u: ModuleType, n: int, extra: dict[str, Any]) -> int:
    code = assemble(LOOP)
    uc = new_uc(u, code, extra)
    uc.reg_write(u.arm64_const.UC_ARM64_REG_X0, n)
    uc.emu_start(CODE, CODE + len(code))
    return uc.reg_read(u.arm64_const.UC_ARM64_REG_X2)


def shape_block_hook(u: ModuleType, n: int, extra: dict[str, Any]) -> int:
    code = assemble(BLOCKS)
    uc = new_uc(u, code, extra)
    a = u.arm64_const
    seen = [0]

    def block(uc: Any, address: int, size: int, data: Any) -> None:
        seen[0] += uc.reg_read(a.UC_ARM64_REG_X0) & 1 + uc.reg_read(a.UC_ARM64_REG_X1) & 1

    uc.hook_add(u.UC_HOOK_BLOCK, block)
    uc.reg_write(a.UC_ARM64_REG_X0, n // 20)
    uc.emu_start(CODE, CODE + len(code))
    return seen[0]


def shape_mem_read_hook(u: ModuleType, n: int, extra: dict[str, Any]) -> int:
    code = assemble(LOADS)
    uc = new_uc(u, code, extra)
    a = u.arm64_const
    reads = [0]

    def read(uc: Any, access: int, address: int, size: int, value: int, data: Any) -> None:
        reads[0] += 1

    uc.hook_add(u.UC_HOOK_MEM_READ, read, None, DATA, DATA + 0xFFFF)
    uc.reg_write(a.UC_ARM64_REG_X0, n // 20)
    uc.emu_start(CODE, CODE + len(code))
    return reads[0]


def _fuzz(u: ModuleType, execs: int, extra: dict[str, Any], memory: bool) -> int:
    """``execs`` runs of the parser, each from the saved context with a new input; its
    count read from x1, or (``memory``: contexts with memory) from where it stores it."""
    src = PARSER.replace("done:\nnop", "done:\nstr x1, [x5, #128]") if memory else PARSER
    code = assemble(src)
    uc = new_uc(u, code, extra)
    if memory:
        uc.ctl(u.UC_CTL_CONTEXT_MODE, u.UC_CTL_IO_WRITE,
               u.UC_CTL_CONTEXT_CPU | u.UC_CTL_CONTEXT_MEMORY)  # fmt: skip
    start = uc.context_save()
    total = 0
    for i in range(execs):
        uc.context_restore(start)
        data = (b"EKFL" if i % 2 else b"ELF\x7f") + bytes((i * 7 + j) & 0xFF for j in range(60))
        uc.mem_write(DATA, data)
        uc.emu_start(CODE, CODE + len(code))
        if memory:
            total += int.from_bytes(uc.mem_read(DATA + 128, 8), "little")
        else:
            total += uc.reg_read(u.arm64_const.UC_ARM64_REG_X1)
    return total


def shape_fuzz(u: ModuleType, execs: int, extra: dict[str, Any]) -> int:
    return _fuzz(u, execs, extra, memory=False)


def shape_snapshot_fuzz(u: ModuleType, execs: int, extra: dict[str, Any]) -> int:
    return _fuzz(u, execs, extra, memory=True)


def median_time(fn: Callable[[], int], runs: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=2_000_000)
    parser.add_argument("--execs", type=int, default=2_000)
    parser.add_argument("--host", default="auto", help="tcgkit's host backend")
    args = parser.parse_args()

    import tcgkit.unicorn as tk
    import unicorn as real

    shapes: list[tuple[str, Callable[..., int], int]] = [
        ("loop", shape_loop, args.iterations * 25),
        ("block-hook", shape_block_hook, args.iterations),
        ("mem-read-hook", shape_mem_read_hook, args.iterations),
        ("fuzz", shape_fuzz, args.execs),
        ("snapshot-fuzz", shape_snapshot_fuzz, args.execs),
    ]
    print(f"{'shape':14} {'unicorn s':>10} {'tcgkit s':>10} {'ratio':>7}")
    for name, fn, n in shapes:
        t_real, r_real = median_time(lambda fn=fn, n=n: fn(real, n, {}), args.runs)
        t_tk, r_tk = median_time(lambda fn=fn, n=n: fn(tk, n, {"host": args.host}), args.runs)
        same = "" if r_real == r_tk else f"  RESULTS DIFFER: {r_real} vs {r_tk}"
        print(f"{name:14} {t_real:10.3f} {t_tk:10.3f} {t_tk / t_real:6.2f}x{same}")


if __name__ == "__main__":
    main()
