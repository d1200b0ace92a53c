"""The AArch64 host's compare-and-swap routines (``atomics``) executed under Unicorn's
AArch64 CPU: each size on a match and a mismatch, and the 16-byte pair."""

from __future__ import annotations

import pytest
from tcgkit_host_arm.atomics import routines

unicorn = pytest.importorskip("unicorn")
from unicorn import arm64_const as A  # noqa: E402

CODE, DATA, RETURN = 0x100000, 0x200000, 0x300000
INITIAL = bytes(range(0x11, 0x21))  # 16 bytes at DATA


def call(offset: int, *args: int) -> tuple[int, bytes]:
    """Run the routine at ``offset`` with x0 = DATA and ``args`` in x1...; (x0, memory)."""
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)
    for base in (CODE, DATA, RETURN):
        uc.mem_map(base, 0x1000)
    uc.mem_write(CODE, routines().code)
    uc.mem_write(DATA, INITIAL)
    uc.reg_write(A.UC_ARM64_REG_X0, DATA)
    for i, v in enumerate(args, start=1):
        uc.reg_write(getattr(A, f"UC_ARM64_REG_X{i}"), v)
    uc.reg_write(A.UC_ARM64_REG_LR, RETURN)
    uc.emu_start(CODE + offset, RETURN)
    return uc.reg_read(A.UC_ARM64_REG_X0), bytes(uc.mem_read(DATA, 16))


@pytest.mark.parametrize("log2", range(4))
def test_cas_each_size(log2: int) -> None:
    n = 1 << log2
    off = routines().cas[log2]
    old = int.from_bytes(INITIAL[:n], "little")
    new = (1 << 8 * n) - 2
    assert call(off, old ^ 1, new) == (old, INITIAL)  # no match: unchanged
    got, mem = call(off, old, new)
    assert got == old
    assert mem == new.to_bytes(n, "little") + INITIAL[n:]


def test_cas_pair() -> None:
    off = routines().cas_pair
    assert off is not None
    lo, hi = int.from_bytes(INITIAL[:8], "little"), int.from_bytes(INITIAL[8:], "little")
    out = DATA + 0x100
    _, mem = call(off, lo, hi, 5, 6, out)
    assert mem == (5).to_bytes(8, "little") + (6).to_bytes(8, "little")
    _, mem = call(off, lo, hi ^ 1, 5, 6, out)  # half a match is no match
    assert mem == INITIAL
