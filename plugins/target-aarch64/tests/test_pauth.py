"""Pointer authentication outside the hint space against Unicorn (keys disabled, as
its max CPU runs user code): the data-processing forms leave registers as they
are, LDRAA/LDRAB load from the base plus the scaled offset (with writeback), the
authenticating branches go to the register's address; unallocated forms refused."""

from __future__ import annotations

import pytest
from tcgkit import InvalidInstructionError
from tcgkit_target_aarch64 import oracle
from tcgkit_target_aarch64.oracle import CODE, DATA, Machine, compare, run_tcgkit
from unicorn import UcError


def words(*ws: int) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in ws)


MOVZ_X5_1, MOVZ_X6_2 = 0xD2800025, 0xD2800046
#: PAC*/AUT* Xd, Xn (opcodes 0-7), the zero forms (8-15, Rn = 31), XPACI/XPACD (16, 17)
PAC_DP1 = [0xDAC10000 | op << 10 | (31 if op >= 8 else 2) << 5 | 1 for op in range(18)]


def test_pac_data_processing_forms_match_unicorn(machine: Machine) -> None:
    machine.regs["x1"] = 0xFF00_0000_0001_2344
    compare(words(*PAC_DP1), machine)


@pytest.mark.parametrize("m", [0, 1])
@pytest.mark.parametrize("writeback", [0, 1])
@pytest.mark.parametrize("offset", [0, 8, -8, 4088, -4096])
def test_ldraa_ldrab_match_unicorn(machine: Machine, m: int, writeback: int, offset: int) -> None:
    imm = (offset >> 3) & 0x3FF
    word = 0xF8200400 | m << 23 | (imm >> 9) << 22 | (imm & 0x1FF) << 12 | writeback << 11
    machine.regs["x1"] = DATA + 0x2000
    compare(words(word | 1 << 5 | 3), machine)


@pytest.mark.parametrize("name, word, link", [
    ("braa x1, x2", 0xD71F0822, False), ("brab x1, sp", 0xD71F0C3F, False),
    ("blraa x1, x2", 0xD73F0822, True), ("blrab x1, x2", 0xD73F0C22, True),
    ("braaz x1", 0xD61F083F, False), ("brabz x1", 0xD61F0C3F, False),
    ("blraaz x1", 0xD63F083F, True), ("blrabz x1", 0xD63F0C3F, True),
])  # fmt: skip
def test_authenticated_branches_match_unicorn(machine: Machine, name: str, word: int,
                                              link: bool) -> None:  # fmt: skip
    """The branch skips the instruction after it; BL forms set x30."""
    machine.regs["x1"] = CODE + 8
    compare(words(word, MOVZ_X5_1, MOVZ_X6_2), machine)


@pytest.mark.parametrize("word", [0xD65F0BFF, 0xD65F0FFF], ids=["retaa", "retab"])
def test_retaa_retab_match_unicorn(machine: Machine, word: int) -> None:
    machine.regs["x30"] = CODE + 8
    compare(words(word, MOVZ_X5_1, MOVZ_X6_2), machine)


@pytest.mark.parametrize("word", [
    0xDAC12021 | 2 << 5,  # PACIZA with Rn != 31
    0xDAC14841,  # opcode 18
    0xD65F0BE1,  # RETAA with op4 != 31
    0xD69F0BFF,  # ERETAA (privileged)
], ids=hex)  # fmt: skip
def test_unallocated_forms_are_refused_as_on_unicorn(machine: Machine, word: int) -> None:
    with pytest.raises(UcError):
        oracle.run_unicorn(words(word), machine)
    with pytest.raises(InvalidInstructionError):
        run_tcgkit(words(word), machine)
