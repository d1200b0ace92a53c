"""HOOK_TCG_OPCODE and HOOK_EDGE_GENERATED on the aarch64 target, against Unicorn
2.1's UC_HOOK_TCG_OPCODE (flags 0) and UC_HOOK_EDGE_GENERATED: the subtractions
an instruction makes (operands and width, in order) and the blocks reported as
new, on random operands; then what Unicorn's AArch64 cannot show (the address,
ranges, the CMP/DIRECT classification, hooks added after translation)."""

from __future__ import annotations

import keystone
import pytest
import tcgkit
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit_target_aarch64 import oracle
from unicorn import (
    UC_ARCH_ARM64,
    UC_HOOK_EDGE_GENERATED,
    UC_HOOK_TCG_OPCODE,
    UC_MODE_ARM,
    UC_TCG_OP_SUB,
    Uc,
)
from unicorn import arm64_const as A

CODE = 0x10000
_KS = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)

SUBS = """
    cmp x0, x1
    sub x2, x0, x1
    subs x3, x0, #1
    sub w4, w0, w1
    cmp w0, #2
    sub x6, x0, #0
    neg x7, x1
    negs w7, w1
    ccmp x0, #3, #4, ne
    ccmn w0, w1, #4, eq
    msub x8, x0, x1, x2
    mneg w8, w0, w1
    smsubl x8, w0, w1, x2
    sub x9, x0, w1, uxtw #2
    subs w9, w0, w1, sxtb
    sub sp, sp, #16
    cmp xzr, x1
    nop
"""

LOOP = """
    mov x0, #4
loop:
    cmp x0, #2
    b.lt low
    bl twice
    b next
low:
    add x1, x1, #1
next:
    sub x0, x0, #1
    cbnz x0, loop
    b done
twice:
    add x1, x1, x1
    ret
done:
    nop
"""


def _asm(src: str) -> bytes:
    return bytes(_KS.asm(src, CODE)[0])


def _unicorn(code: bytes, regs: dict[str, int], kind: int) -> list[tuple[int, ...]]:
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x10000)
    uc.mem_write(CODE, code)
    for name, v in regs.items():
        uc.reg_write(getattr(A, f"UC_ARM64_REG_{name.upper()}"), v)
    seen: list[tuple[int, ...]] = []
    if kind == UC_HOOK_TCG_OPCODE:
        uc.hook_add(kind, lambda uc, pc, a, b, bits, ud: seen.append((a, b, bits)), None, 1, 0,
                    UC_TCG_OP_SUB, 0)  # fmt: skip
    else:
        uc.hook_add(kind, lambda uc, cur, prev, ud: seen.append((cur.pc, cur.icount, cur.size)))
    uc.emu_start(CODE, CODE + len(code) - 4)
    return seen


def _tcgkit(code: bytes, regs: dict[str, int], kind: int, host: str, tier: int,
            begin: int = 1, end: int = 0) -> list[tuple[int, ...]]:  # fmt: skip
    seen: list[tuple[int, ...]] = []
    with tcgkit.Emulator("aarch64", host=host, tier_up=tier) as emu:
        emu.mem_map(CODE, 0x10000)
        emu.mem_write(CODE, code)
        for name, v in regs.items():
            emu.reg_write(name, v)
        if kind == tcgkit.HOOK_TCG_OPCODE:
            emu.hook_add(kind, lambda e, *call: seen.append(call), begin, end)
        else:
            emu.hook_add(kind, lambda e, cur, prev: seen.append((cur.pc, cur.icount, cur.size)))
        emu.emu_start(CODE, CODE + len(code) - 4)
    return seen


U64 = st.integers(0, 2**64 - 1)


@pytest.mark.parametrize("tier", sorted(oracle.TIERS.values()))
@settings(max_examples=15, deadline=None)
@given(x0=U64, x1=U64, x2=U64, nzcv=st.integers(0, 15))
def test_subtractions_are_unicorns(tier: int, x0: int, x1: int, x2: int, nzcv: int) -> None:
    test_host = oracle.test_host()
    regs = {"x0": x0, "x1": x1, "x2": x2, "nzcv": nzcv << 28, "sp": 0x8000}
    code = _asm(SUBS)
    got = _tcgkit(code, regs, tcgkit.HOOK_TCG_OPCODE, test_host, tier)
    assert [g[3:] for g in got] == _unicorn(code, regs, UC_HOOK_TCG_OPCODE)
    # the instruction's address, the operation, the classification
    lines = SUBS.split("\n")[1:]
    kinds = {"cmp": 1, "ccmp": 1, "negs": 2, "subs": 2}
    for pc, op, flags, *_ in got:
        mnemonic = lines[(pc - CODE) // 4].split()[0]
        assert op == tcgkit.TCG_OP_SUB
        if mnemonic == "subs":  # subs x3 writes x3; subs w9 too
            assert flags == tcgkit.TCG_OP_FLAG_DIRECT
        elif mnemonic in ("ccmp", "ccmn"):
            assert flags in (0, tcgkit.TCG_OP_FLAG_CMP)
        else:
            assert flags == kinds.get(mnemonic, tcgkit.TCG_OP_FLAG_DIRECT)


def test_subtraction_hooks_have_ranges_and_follow_hook_changes() -> None:
    test_host = oracle.test_host()
    code = _asm(SUBS)
    regs = {"x0": 7, "x1": 2, "sp": 0x8000}
    ranged = _tcgkit(code, regs, tcgkit.HOOK_TCG_OPCODE, test_host, 0, CODE + 4, CODE + 12)
    assert [g[0] for g in ranged] == [CODE + 4, CODE + 8, CODE + 12]  # end included
    with tcgkit.Emulator("aarch64", host=test_host) as emu:
        emu.mem_map(CODE, 0x10000)
        emu.mem_write(CODE, code)
        seen: list[int] = []
        emu.emu_start(CODE, CODE + len(code) - 4)  # translated without the hook
        h = emu.hook_add(tcgkit.HOOK_TCG_OPCODE, lambda e, pc, *rest: seen.append(pc))
        emu.emu_start(CODE, CODE + len(code) - 4)
        assert seen and seen[0] == CODE  # the code is translated again with the calls
        emu.hook_del(h)
        seen.clear()
        emu.emu_start(CODE, CODE + len(code) - 4)
        assert seen == []


@pytest.mark.parametrize("tier", sorted(oracle.TIERS.values()))
def test_new_blocks_are_unicorns(tier: int) -> None:
    test_host = oracle.test_host()
    code = _asm(LOOP)
    got = _tcgkit(code, {}, tcgkit.HOOK_EDGE_GENERATED, test_host, tier)
    assert got == _unicorn(code, {}, UC_HOOK_EDGE_GENERATED)
    assert len(got) >= 5


def test_edges_name_the_block_run_before() -> None:
    test_host = oracle.test_host()
    code = _asm(LOOP)
    edges: list[tuple[int, int]] = []
    with tcgkit.Emulator("aarch64", host=test_host) as emu:
        emu.mem_map(CODE, 0x10000)
        emu.mem_write(CODE, code)
        emu.hook_add(tcgkit.HOOK_EDGE_GENERATED,
                     lambda e, cur, prev: edges.append((prev.pc, cur.pc)))  # fmt: skip
        emu.emu_start(CODE, CODE + len(code) - 4)
        first = list(edges)
        emu.emu_start(CODE, CODE + len(code) - 4)  # everything translated: no new block
        assert edges == first
    # each new block follows the one before it; the first block of a run has none
    assert first[0][0] == CODE and all(a != b for a, b in first[:-1])
    assert first[-1][1] == CODE + len(code) - 4  # the stop at `until`, as Unicorn reports
