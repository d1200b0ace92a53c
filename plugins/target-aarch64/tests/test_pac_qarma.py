"""The PAC arithmetic (``pac_qarma``): ComputePAC against the QARMA paper's published
QARMA-64 vector (sigma-2 S-box, five rounds: the architected algorithm), the
table-driven cipher against the cell-level one, the layers against their inverses,
and AddPAC/Auth/Strip's pointer layout under Linux's TCR_EL1 (48-bit addresses,
TBI0): round trips, the error codes of a failed check, a badly extended pointer.
Also that an emulator with the keys disabled (SCTLR_EL1 and TCR_EL1 zero, as
Unicorn's max) still treats the PAC forms as moves and refuses PACGA."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tcgkit import PROT_ALL, Emulator, InvalidInstructionError
from tcgkit_target_aarch64 import pac_qarma as Q
from tcgkit_target_aarch64 import state as S

u64 = st.integers(0, (1 << 64) - 1)
#: Avanzi, "The QARMA Block Cipher Family", ToSC 2017(1): QARMA-64, sigma-2, r = 5
VECTOR = dict(data=0xFB623599DA6E8127, modifier=0x477D469DEC0B8762, key0=0x84BE85CE9804E94B,
              key1=0xEC2802D4E0A488E9)  # fmt: skip
CIPHERTEXT = 0xC003B93999B33765


def test_compute_pac_matches_the_published_vector() -> None:
    assert Q.compute_pac(**VECTOR) == CIPHERTEXT
    assert Q._reference_pac(**VECTOR) == CIPHERTEXT
    # PACGA gives its top half (as QEMU's system-mode pauth-3 test checks it)
    assert Q.pacga(VECTOR["data"], VECTOR["modifier"], VECTOR["key0"], VECTOR["key1"]) == \
        CIPHERTEXT & 0xFFFFFFFF_00000000  # fmt: skip


@given(u64, u64, u64, u64)
def test_tables_agree_with_the_cell_level_cipher(d: int, m: int, k0: int, k1: int) -> None:
    assert Q.compute_pac(d, m, k0, k1) == Q._reference_pac(d, m, k0, k1)


@given(u64)
def test_layers_invert(x: int) -> None:
    assert Q.cell_inv_shuffle(Q.cell_shuffle(x)) == x
    assert Q.tweak_inv_shuffle(Q.tweak_shuffle(x)) == x
    assert Q.pac_inv_sub(Q.pac_sub(x)) == x
    assert Q.pac_mult(Q.pac_mult(x)) == x  # QARMA's MixColumns matrix is an involution


LOWER = st.integers(0, (1 << 48) - 1).map(lambda v: v | 0x5A << 56)  # a tag in the top byte
UPPER = st.integers(0, (1 << 48) - 1).map(lambda v: v | 0xFFFF << 48)


@given(st.one_of(LOWER, UPPER), u64, u64, u64, st.booleans(), st.integers(0, 1))
def test_add_then_auth_round_trips(ptr: int, mod: int, hi: int, lo: int, data: bool,
                                   keynumber: int) -> None:  # fmt: skip
    tcr = Q.TCR_LINUX
    signed = Q.add_pac(ptr, mod, hi, lo, tcr, data)
    assert signed & ((1 << 48) - 1) == ptr & ((1 << 48) - 1)
    assert signed >> 55 & 1 == ptr >> 55 & 1
    if not ptr >> 55 & 1:
        assert signed >> 56 == ptr >> 56  # TBI0: the top byte kept
    assert Q.auth(signed, mod, hi, lo, tcr, data, keynumber) == ptr
    assert Q.strip(signed, tcr, data) == ptr


def test_failed_auth_leaves_the_error_code() -> None:
    tcr, hi, lo = Q.TCR_LINUX, 0x0123456789ABCDEF, 0xFEDCBA9876543210
    for ptr, at in ((0x0000_7FFF_1234_5670, 53), (0xFFFF_FFFF_1234_5670, 61)):
        signed = Q.add_pac(ptr, 1, hi, lo, tcr, True)
        mod = next(m for m in range(2, 1000) if Q.auth(signed, m, hi, lo, tcr, True, 0) != ptr)
        for keynumber, code in ((0, 0b01), (1, 0b10)):
            bad = Q.auth(signed, mod, hi, lo, tcr, True, keynumber)
            assert bad == ptr & ~(3 << at) | code << at


def test_a_badly_extended_pointer_never_authenticates() -> None:
    tcr, hi, lo = Q.TCR_LINUX, 11, 22
    ptr = 0x0001_0000_0000_1000  # bit 48 set, bit 55 clear: not a 48-bit address
    signed = Q.add_pac(ptr, 7, hi, lo, tcr, True)
    assert Q.auth(signed, 7, hi, lo, tcr, True, 0) != ptr


def test_va_params() -> None:
    assert Q.va_params(Q.TCR_LINUX, 0x1234, True) == (48, True, 0)
    assert Q.va_params(Q.TCR_LINUX, 1 << 63 | 1 << 55, False) == (48, False, 1)
    # TBID0: the top byte ignored for data addresses only
    assert Q.va_params(Q.TCR_LINUX | Q.TCR_TBID0, 0x1234, False) == (48, False, 0)


def _run(words: list[int], sctlr: int = 0, tcr: int = 0, **regs: int) -> Emulator:
    emu = Emulator("aarch64")
    emu.mem_map(0x10000, 0x1000, PROT_ALL)
    emu.mem_write(0x10000, b"".join(w.to_bytes(4, "little") for w in words))
    emu.reg_write("sctlr_el1", sctlr)
    emu.reg_write("tcr_el1", tcr)
    emu.reg_write("apiakeylo_el1", 0x1111)
    emu.reg_write("apiakeyhi_el1", 0x2222)
    for name, value in regs.items():
        emu.reg_write(name, value)
    emu.emu_start(0x10000, 0x10000 + 4 * len(words))
    return emu


PACIASP, PACIA_X1_X2, XPACI_X1 = 0xD503233F, 0xDAC10041, 0xDAC143E1


def test_keys_disabled_pac_forms_are_moves_and_pacga_is_refused() -> None:
    emu = _run([PACIASP, PACIA_X1_X2, XPACI_X1], x30=0x4000, x1=0xFF00_0000_0001_0000)
    assert emu.reg_read("x30") == 0x4000 and emu.reg_read("x1") == 0xFF00_0000_0001_0000
    with pytest.raises(InvalidInstructionError):
        _run([0x9AC23020])  # pacga x0, x1, x2


def test_keys_enabled_by_sctlr_pac_forms_compute() -> None:
    sp = 0x7F00_0000
    emu = _run([PACIASP], S.SCTLR_EN_IA, Q.TCR_LINUX, x30=0x40_1234, sp=sp)
    assert emu.reg_read("x30") == Q.add_pac(0x40_1234, sp, 0x2222, 0x1111, Q.TCR_LINUX, False)
    # with the key's enable bit clear, the same translation mode leaves the pointer
    emu = _run([PACIASP], S.SCTLR_EN_IB, Q.TCR_LINUX, x30=0x40_1234, sp=sp)
    assert emu.reg_read("x30") == 0x40_1234
    emu = _run([0x9AC23020], S.SCTLR_EN_ALL, Q.TCR_LINUX, x1=5, x2=6)  # pacga
    assert emu.reg_read("x0") == Q.pacga(5, 6, 0, 0)


#: hint forms: PACIA1716, AUTIA1716, PACIB1716, AUTIB1716, PACIBZ, AUTIBZ, XPACLRI
PACIA1716, AUTIA1716, PACIB1716, AUTIB1716 = 0xD503211F, 0xD503219F, 0xD503215F, 0xD50321DF
PACIBZ, AUTIBZ, XPACLRI = 0xD503235F, 0xD50323DF, 0xD50320FF


@pytest.mark.parametrize(("sign", "check", "key"), [
    (PACIA1716, AUTIA1716, "apia"), (PACIB1716, AUTIB1716, "apib"),
])  # fmt: skip
def test_hint_forms_with_x16_x17(sign: int, check: int, key: str) -> None:
    emu = _run([sign], S.SCTLR_EN_ALL, Q.TCR_LINUX, x17=0x40_1000, x16=9,
               apibkeylo_el1=0x33, apibkeyhi_el1=0x44)  # fmt: skip
    hi, lo = (0x2222, 0x1111) if key == "apia" else (0x44, 0x33)
    assert emu.reg_read("x17") == Q.add_pac(0x40_1000, 9, hi, lo, Q.TCR_LINUX, False)
    emu = _run([sign, check], S.SCTLR_EN_ALL, Q.TCR_LINUX, x17=0x40_1000, x16=9,
               apibkeylo_el1=0x33, apibkeyhi_el1=0x44)  # fmt: skip
    assert emu.reg_read("x17") == 0x40_1000


def test_zero_modifier_hints_and_xpaclri() -> None:
    emu = _run([PACIBZ], S.SCTLR_EN_ALL, Q.TCR_LINUX, x30=0x40_2000)
    signed = emu.reg_read("x30")
    assert signed == Q.add_pac(0x40_2000, 0, 0, 0, Q.TCR_LINUX, False)
    assert _run([PACIBZ, AUTIBZ], S.SCTLR_EN_ALL, Q.TCR_LINUX, x30=0x40_2000).reg_read("x30") \
        == 0x40_2000  # fmt: skip
    assert _run([PACIBZ, XPACLRI], S.SCTLR_EN_ALL, Q.TCR_LINUX, x30=0x40_2000).reg_read("x30") \
        == 0x40_2000  # fmt: skip


def test_retab_branches_to_the_authenticated_address() -> None:
    # 0x10000: pacibsp; retab; 0x10008: (skipped) movz x5, #1; 0x1000c: movz x6, #2
    emu = _run([0xD503237F, 0xD65F0FFF, 0xD2800025, 0xD2800046], S.SCTLR_EN_ALL, Q.TCR_LINUX,
               x30=0x1000C, sp=0x7000)  # fmt: skip
    assert emu.reg_read("x5") == 0 and emu.reg_read("x6") == 2
