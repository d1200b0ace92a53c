"""The Power encoder against capstone (ppc64, little-endian): each form the
lowering will use, over registers, immediates and branch displacements; lqarx /
stqcx., which capstone 5 does not decode, field by field."""

from __future__ import annotations

import pytest
from tcgkit_host_ppc.encoder import BO_FALSE_UNLIKELY, BO_TRUE, EQ, GT, LT, Asm, Label

capstone = pytest.importorskip("capstone")
MD = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_LITTLE_ENDIAN)


def dis(emit) -> list[str]:
    a = Asm()
    emit(a)
    code = a.code()
    out = [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(code, 0)]
    assert len(out) == len(code) // 4, (code.hex(), out)
    return out


@pytest.mark.parametrize("t,a,b", [(3, 4, 5), (31, 30, 29), (14, 0, 27)])
def test_integer_forms(t: int, a: int, b: int) -> None:
    r = lambda n: f"r{n}"  # noqa: E731
    ra = r(a) if a else "0"  # ra = 0 reads as the value 0 in isel and indexed forms
    assert dis(lambda s: s.add(t, a, b)) == [f"add {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.subf(t, a, b)) == [f"subf {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.mulld(t, a, b)) == [f"mulld {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.mulhd(t, a, b, True)) == [f"mulhdu {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.divw(t, a, b, True)) == [f"divwu {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.mod(t, a, b, True, False)) == [f"modsd {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.logic(28, t, a, b)) == [f"and {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.logic(412, t, a, b)) == [f"orc {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.shift(794, t, a, b)) == [f"srad {r(t)}, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.cmp(a, b, True, True, 7)) == [f"cmpld cr7, {r(a)}, {r(b)}"]
    assert dis(lambda s: s.isel(t, a, b, 2)) == [f"isel {r(t)}, {ra}, {r(b)}, cr0eq"]
    assert dis(lambda s: s.neg(t, a)) == [f"neg {r(t)}, {r(a)}"]
    assert dis(lambda s: s.unary_x(58, t, a)) == [f"cntlzd {r(t)}, {r(a)}"]
    assert dis(lambda s: s.unary_x(986, t, a)) == [f"extsw {r(t)}, {r(a)}"]
    assert dis(lambda s: s.indexed("ldbrx", t, a, b)) == [f"ldbrx {r(t)}, {ra}, {r(b)}"]
    assert dis(lambda s: s.indexed("stwx", t, a, b)) == [f"stwx {r(t)}, {ra}, {r(b)}"]


def test_immediate_forms() -> None:
    assert dis(lambda s: s.addi(3, 4, -5)) == ["addi r3, r4, -5"]
    assert dis(lambda s: s.addis(3, 4, 0x1234)) == ["addis r3, r4, 0x1234"]
    assert dis(lambda s: s.ori(3, 4, 0xFFFF)) == ["ori r3, r4, 0xffff"]
    assert dis(lambda s: s.andi_(3, 4, 0xF0)) == ["andi. r3, r4, 0xf0"]
    assert dis(lambda s: s.cmpi(5, -1)) == ["cmpdi r5, -1"]
    assert dis(lambda s: s.cmpli(5, 100, False)) == ["cmplwi r5, 0x64"]
    assert dis(lambda s: s.ld(3, 1, 16)) == ["ld r3, 0x10(r1)"]
    assert dis(lambda s: s.stdu(1, 1, -256)) == ["stdu r1, -0x100(r1)"]
    assert dis(lambda s: s.load("lha", 3, 27, -8)) == ["lha r3, -8(r27)"]
    assert dis(lambda s: s.sradi(3, 4, 40)) == ["sradi r3, r4, 0x28"]
    assert dis(lambda s: s.rldicl(3, 4, 0, 32)) == ["clrldi r3, r4, 0x20"]
    assert dis(lambda s: s.rldicr(3, 4, 32, 31)) == ["sldi r3, r4, 0x20"]
    assert dis(lambda s: s.rlwinm(3, 4, 8, 16, 23)) == ["rlwinm r3, r4, 8, 0x10, 0x17"]


@pytest.mark.parametrize("value", [0, 5, -1, 0x7FFF, 0x8000, 0x12345678, 0xFFFFFFFF,
                                   0x80000000, 1 << 63, 0x123456789ABCDEF0, (1 << 64) - 2,
                                   0x00000001FFFFFFFF])  # fmt: skip
def test_mov_imm_sequences(value: int) -> None:
    a = Asm()
    a.mov_imm(9, value)
    v = 0
    for insn in MD.disasm(a.code(), 0):  # evaluate the sequence symbolically
        ops = [o.strip() for o in insn.op_str.split(",")]
        imm = int(ops[-1], 0)
        m = insn.mnemonic
        if m == "li":
            v = imm & (2**64 - 1)
        elif m == "lis":
            v = (imm << 16) & (2**64 - 1)
            v = v - (1 << 64) * 0 if not v >> 31 & 1 else v | ((2**32 - 1) << 32)
        elif m == "ori":
            v |= imm
        elif m == "oris":
            v |= imm << 16
        elif m == "sldi":
            v = (v << imm) & (2**64 - 1)
        else:
            raise AssertionError(insn.mnemonic)
    assert v == value & (2**64 - 1)
    assert len(a.words) <= 5


def test_branches_spr_and_fp() -> None:
    a = Asm()
    top, end = Label(), Label()
    a.bind(top)
    a.bc(BO_TRUE, EQ, end)
    a.b(top)
    a.bind(end)
    a.blr()
    texts = [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(a.code(), 0)]
    assert texts == ["beq 8", "b 0", "blr"]
    assert dis(lambda s: (s.mflr(0), s.mtctr(12), s.bctr(True))) == ["mflr r0", "mtctr r12",
                                                                      "bctrl"]  # fmt: skip
    assert dis(lambda s: s.mtvsrd(1, 4)) == ["mtvsrd f1, r4"]
    assert dis(lambda s: s.mfvsrd(4, 1)) == ["mffprd r4, f1"]  # capstone's name for mfvsrd
    assert dis(lambda s: s.fp_a(63, 21, 1, 2, 3)) == ["fadd f1, f2, f3"]
    assert dis(lambda s: s.fp_a(59, 29, 1, 2, 3, 4)) == ["fmadds f1, f2, f4, f3"]
    assert dis(lambda s: s.fp_x(815, 1, 2)) == ["fctidz f1, f2"]
    assert dis(lambda s: (s.sync(), s.isync(), s.nop())) == ["sync", "isync", "nop"]


@pytest.mark.parametrize("t,a,b", [(3, 0, 11), (31, 30, 29), (16, 4, 12)])
def test_reservations_and_the_atomic_loop_forms(t: int, a: int, b: int) -> None:
    """l?arx / st?cx. of every size, word compares, byte and halfword sign
    extension, isel on LT and GT, and the retry loop's bne-."""
    r = lambda n: f"r{n}"  # noqa: E731
    ra = r(a) if a else "0"
    for log2, c in enumerate("bhwd"):
        assert dis(lambda s, n=log2: s.larx(t, a, b, n)) == [f"l{c}arx {r(t)}, {ra}, {r(b)}"]
        assert dis(lambda s, n=log2: s.stcx(t, a, b, n)) == [f"st{c}cx. {r(t)}, {ra}, {r(b)}"]
    assert dis(lambda s: s.cmp(t, b, False)) == [f"cmpw {r(t)}, {r(b)}"]
    assert dis(lambda s: s.cmp(t, b, False, True)) == [f"cmplw {r(t)}, {r(b)}"]
    assert dis(lambda s: s.cmp(t, b, True, False)) == [f"cmpd {r(t)}, {r(b)}"]
    assert dis(lambda s: s.unary_x(954, t, b)) == [f"extsb {r(t)}, {r(b)}"]
    assert dis(lambda s: s.unary_x(922, t, b)) == [f"extsh {r(t)}, {r(b)}"]
    assert dis(lambda s: s.isel(t, a, b, LT)) == [f"isel {r(t)}, {ra}, {r(b)}, cr0lt"]
    assert dis(lambda s: s.isel(t, a, b, GT)) == [f"isel {r(t)}, {ra}, {r(b)}, cr0gt"]
    asm = Asm()
    top = Label()
    asm.bind(top)
    asm.larx(t, a, b, 3)
    asm.stcx(t, a, b, 3)
    asm.bc(BO_FALSE_UNLIKELY, EQ, top)
    texts = [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(asm.code(), 0)]
    assert texts[-1] == "bne- 0"


@pytest.mark.parametrize("t,a,b", [(6, 0, 3), (8, 0, 11), (30, 4, 12), (0, 3, 29)])
def test_quadword_reservations(t: int, a: int, b: int) -> None:
    """lqarx / stqcx. (X-form, XO 276 and 182 with Rc = 1) of an even pair, the words
    field by field (what they do: the emulated machine's atomics tests); an odd pair,
    or an lqarx pair that holds the address, is refused."""
    asm = Asm()
    asm.lqarx(t, a, b)
    asm.stqcx(t, a, b)
    assert asm.words == [31 << 26 | t << 21 | a << 16 | b << 11 | 276 << 1,
                         31 << 26 | t << 21 | a << 16 | b << 11 | 182 << 1 | 1]  # fmt: skip
    with pytest.raises(ValueError):
        Asm().lqarx(t + 1, a, b)
    with pytest.raises(ValueError):
        Asm().stqcx(t + 1, a, b)
    with pytest.raises(ValueError):
        Asm().lqarx(t, t + 1, b)  # the address in the pair being loaded
    with pytest.raises(ValueError):
        Asm().lqarx(t, a, t)


def test_lqarx_word_the_pair_routine_uses() -> None:
    """The word the emulated machine's experiment ran: lqarx r6, 0, r3."""
    asm = Asm()
    asm.lqarx(6, 0, 3)
    assert asm.words == [0x7CC01A28]
