"""Fixtures of the aarch64 tests: a reproducible initial machine state."""

from __future__ import annotations

import pytest
from tcgkit_target_aarch64.oracle import DATA, DATA_SIZE, GPRS, Machine


@pytest.fixture
def machine() -> Machine:
    regs = {n: (0x0123456789ABCDEF * (i + 1)) & (2**64 - 1) for i, n in enumerate(GPRS)}
    regs["sp"] = DATA + 0x8000
    regs["x20"] = DATA + 0x100
    regs["x21"] = DATA + 0x2000
    regs["x22"], regs["x23"], regs["x24"] = 8, 3, 0xFFFFFFFE  # small offsets, -2 as w24
    data = bytes((i * 37 + 11) & 0xFF for i in range(DATA_SIZE))
    vregs = [(0x1111111111111111 * (i + 1)) ** 2 % (2**128) for i in range(8)]
    return Machine(regs, 0x60000000, vregs, data)
