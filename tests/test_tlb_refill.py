"""The TLB's native second level (refills without Python) stays exact.

Random sequences of memory-map changes (map, unmap, protect), memory-hook
changes and code writes, interleaved with guest runs whose loads and stores
sweep many pages (more than the first-level TLB holds, so the second level is
used), run on each native host and on the python host in lockstep: after every
step both have the same registers, the same outcome (the same exception, with
the same pc and address), the same memory and the same hook calls.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import HOOK_MEM_READ, HOOK_MEM_WRITE, PROT_ALL, PROT_READ, Emulator
from tcgkit.errors import TcgkitError
from tcgkit.plugins import HOST, get_plugin_manager

keystone = pytest.importorskip("keystone")

NATIVE = [
    i.name for i in get_plugin_manager().infos(HOST) if i.name != "python" and i.obj.native_here()
]
CODE = 0x10000
TABLE = 0x20000  # the access list: one 8-byte address per access, bit 63 set for a store
SLOTS = [0x1000000 + i * 0x100000 for i in range(4)]  # candidate data ranges, 1 MiB apart
SLOT_PAGES = 64  # pages per mapped slot (256 KiB)
PAGE = 4096

# x0: access list, x1: count; loads add into x5, stores write x5 (then x5 += 1)
PROGRAM = """
loop:
    cbz x1, done
    ldr x2, [x0], #8
    tbnz x2, #63, store
    ldr x3, [x2]
    add x5, x5, x3
    b next
store:
    and x2, x2, #0x7fffffffffffffff
    str x5, [x2]
    add x5, x5, #1
next:
    sub x1, x1, #1
    b loop
done:
    nop
"""


def assemble() -> bytes:
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
    code, _ = ks.asm(PROGRAM, CODE)
    return bytes(code)


class Side:
    """One emulator and what its hooks saw."""

    def __init__(self, host: str, code: bytes) -> None:
        self.emu = Emulator("aarch64", host=host)
        self.calls: list[tuple[Any, ...]] = []
        self.hooks: dict[int, int] = {}
        self.mapped: set[int] = set()
        self.emu.mem_map(CODE, 0x1000, PROT_ALL)
        self.emu.mem_write(CODE, code)
        self.emu.mem_map(TABLE, 0x10000, PROT_ALL)
        self.until = CODE + len(code) - 4

    def step(self, action: tuple[Any, ...]) -> Any:
        emu, kind = self.emu, action[0]
        try:
            if kind == "map":
                _, slot, pages = action
                emu.mem_map(SLOTS[slot], pages * PAGE, PROT_ALL)
                self.mapped.add(slot)
            elif kind == "unmap":
                emu.mem_unmap(SLOTS[action[1]], SLOT_PAGES * PAGE)
                self.mapped.discard(action[1])
            elif kind == "protect":
                _, slot, page, perms = action
                emu.mem_protect(SLOTS[slot] + page * PAGE, PAGE, perms)
            elif kind == "hook":
                _, key, hkind, slot, page = action
                begin = SLOTS[slot] + page * PAGE
                self.hooks[key] = emu.hook_add(
                    hkind, lambda e, acc, addr, size, val: self.calls.append((acc, addr, size)),
                    begin, begin + PAGE - 1,
                )  # fmt: skip
            elif kind == "unhook":
                handle = self.hooks.pop(action[1], None)
                if handle is not None:
                    emu.hook_del(handle)
            elif kind == "poke":
                _, slot, page, value = action
                emu.mem_write(SLOTS[slot] + page * PAGE + 8, value.to_bytes(8, "little"))
            elif kind == "run":
                accesses = action[1]
                table = b"".join(a.to_bytes(8, "little") for a in accesses)
                emu.mem_write(TABLE, table)
                emu.reg_write("x0", TABLE)
                emu.reg_write("x1", len(accesses))
                emu.emu_start(CODE, self.until)
        except (TcgkitError, ValueError) as e:
            return (type(e).__name__, getattr(e, "pc", None), getattr(e, "address", None))
        return None

    def snapshot(self) -> tuple[Any, ...]:
        regs = tuple(self.emu.reg_read(r) for r in ("x0", "x1", "x2", "x3", "x5", "pc"))
        mem = tuple(
            bytes(self.emu.mem_read(SLOTS[s], SLOT_PAGES * PAGE)) for s in sorted(self.mapped)
        )
        return regs, mem, tuple(self.calls)


def accesses(draw: Any) -> list[int]:
    out = []
    for _ in range(draw(st.integers(1, 300))):
        slot = draw(st.integers(0, len(SLOTS) - 1))
        page = draw(st.integers(0, SLOT_PAGES))  # one past a slot: unmapped
        offset = draw(st.sampled_from([0, 8, 2048, PAGE - 8, PAGE - 4]))  # -4: crosses
        store = draw(st.booleans())
        out.append((1 << 63 if store else 0) | SLOTS[slot] + page * PAGE + offset)
    return out


@st.composite
def scenarios(draw: Any) -> list[tuple[Any, ...]]:
    steps: list[tuple[Any, ...]] = [("map", s, SLOT_PAGES) for s in range(len(SLOTS))]
    for key in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unmap", "map", "protect", "hook", "unhook", "poke",
                                     "run", "run", "run"]))  # fmt: skip
        slot = draw(st.integers(0, len(SLOTS) - 1))
        page = draw(st.integers(0, SLOT_PAGES - 1))
        if kind == "map":
            steps.append(("map", slot, SLOT_PAGES))
        elif kind == "unmap":
            steps.append(("unmap", slot))
        elif kind == "protect":
            steps.append(("protect", slot, page, draw(st.sampled_from([PROT_READ, 0, PROT_ALL]))))
        elif kind == "hook":
            hkind = draw(st.sampled_from([HOOK_MEM_READ, HOOK_MEM_WRITE]))
            steps.append(("hook", key, hkind, slot, page))
        elif kind == "unhook":
            steps.append(("unhook", draw(st.integers(0, key))))
        elif kind == "poke":
            steps.append(("poke", slot, page, draw(st.integers(0, (1 << 64) - 1))))
        else:
            steps.append(("run", accesses(draw)))
    steps.append(("run", accesses(draw)))
    return steps


@pytest.mark.skipif(not NATIVE, reason="no native host backend can run here")
@pytest.mark.parametrize("host", NATIVE)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=scenarios())
def test_second_level_refills_agree_with_the_python_host(host: str, steps: list) -> None:
    code = assemble()
    native, reference = Side(host, code), Side("python", code)
    try:
        for step in steps:
            got, want = native.step(step), reference.step(step)
            assert got == want, step[0]
            assert native.snapshot() == reference.snapshot(), step[0]
    finally:
        native.emu.close()
        reference.emu.close()


@pytest.mark.skipif(not NATIVE, reason="no native host backend can run here")
@pytest.mark.parametrize("host", NATIVE)
def test_a_sweep_beyond_the_first_level_refills_natively(host: str) -> None:
    """2,048 pages swept 20 times: one Python fill for the whole range, the rest of
    the first-level misses refilled by generated code (on hosts that have it)."""
    code = assemble()
    with Emulator("aarch64", host=host) as emu:
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_write(CODE, code)
        base, pages = 0x4000000, 2048
        emu.mem_map(base, pages * PAGE, PROT_ALL)
        emu.mem_map(TABLE, pages * 8, PROT_ALL)
        table = b"".join(((1 << 63) * (p & 1) | base + p * PAGE).to_bytes(8, "little")
                         for p in range(pages))  # fmt: skip
        emu.mem_write(TABLE, table)
        for _ in range(20):
            emu.reg_write("x0", TABLE)
            emu.reg_write("x1", pages)
            emu.emu_start(CODE, CODE + len(code) - 4)
        s = emu.stats()
        if emu.engine.host.l2_refill:
            assert s["tlb_refills_native"] > 20 * pages // 2
            assert s["tlb_misses"] < 50
        else:
            assert s["tlb_refills_native"] == 0
        assert emu.mem_read(base + PAGE, 8) != bytes(8)  # the odd pages were stored to
