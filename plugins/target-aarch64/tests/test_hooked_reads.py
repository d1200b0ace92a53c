"""Loads from a page whose reads are hooked take the slow path every time and are
served from the page's memo (``SoftTLB.hooked_read``): every size, sign and
alignment reads what an unhooked run reads, each read hooked once."""

from __future__ import annotations

import keystone
import pytest
import tcgkit
from tcgkit_target_aarch64 import oracle

SRC = """
    ldrb w2, [x1, #3]
    ldrsb x3, [x1, #3]
    ldrh w4, [x1, #6]
    ldrsh x5, [x1, #6]
    ldr w6, [x1, #4]
    ldrsw x7, [x1, #4]
    ldr x8, [x1, #8]
    ldr x9, [x1, #1]
    ldrsh w10, [x1, #6]
    ldur w11, [x1, #3]
    ldrsb w12, [x1, #15]
    nop
"""
DATA = bytes([0x11, 0x22, 0x33, 0xF4, 0x85, 0x96, 0xA7, 0xF8, 1, 2, 3, 4, 5, 6, 7, 0x88])


@pytest.mark.parametrize("tier", sorted(oracle.TIERS.values()))
def test_hooked_reads_read_what_unhooked_reads(tier: int) -> None:
    code = bytes(keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
                 .asm(SRC, 0x1000)[0])  # fmt: skip
    got = {}
    for hooked in (False, True):
        with tcgkit.Emulator("aarch64", host=oracle.test_host(), tier_up=tier) as emu:
            emu.mem_map(0x1000, 0x1000)
            emu.mem_map(0x8000, 0x1000)
            emu.mem_write(0x1000, code)
            emu.mem_write(0x8000, DATA)
            emu.reg_write("x1", 0x8000)
            reads: list[int] = []
            if hooked:
                emu.hook_add(tcgkit.HOOK_MEM_READ,
                             lambda e, access, addr, size, value, seen=reads: seen.append(addr),
                             0x8000, 0x8FFF)  # fmt: skip
            emu.emu_start(0x1000, 0x1000 + len(code) - 4)
            got[hooked] = [emu.reg_read(f"x{i}") for i in range(2, 13)]
        if hooked:
            assert len(reads) == 11
    assert got[True] == got[False]
    assert got[False][1] == 2**64 - 0x0C and got[False][10] == 0xFFFFFF88
