"""The A64 encoder against capstone: each instruction form the lowering uses,
over registers and immediates, disassembles to the instruction asked for."""

from __future__ import annotations

import pytest
from tcgkit_host_arm import encoder as E
from tcgkit_host_arm.encoder import Asm, Label, logical_imm

capstone = pytest.importorskip("capstone")
MD = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


def dis(emit) -> list[str]:
    a = Asm()
    emit(a)
    code = a.code()
    out = [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(code, 0)]
    assert len(out) == len(code) // 4, (code.hex(), out)
    return out


def x(r: int) -> str:
    return "sp" if r == 31 else f"x{r}"


def w(r: int) -> str:
    return "wsp" if r == 31 else f"w{r}"


def value_of(a: Asm) -> int:
    """Run a mov_imm sequence symbolically (movz/movn/movk/orr)."""
    v = 0
    for word in a.words:
        sf = word >> 31
        width = 64 if sf else 32
        if word & 0x7F800000 in (0x52800000, 0x12800000, 0x72800000):
            hw, imm = (word >> 21) & 3, (word >> 5) & 0xFFFF
            op = (word >> 29) & 3
            if op == 2:  # movz
                v = imm << (16 * hw)
            elif op == 0:  # movn
                v = ~(imm << (16 * hw)) & ((1 << width) - 1)
            else:
                v = (v & ~(0xFFFF << (16 * hw))) | imm << (16 * hw)
        else:
            insn = next(MD.disasm(word.to_bytes(4, "little"), 0))
            v = int(insn.op_str.split("#")[1], 0) & ((1 << width) - 1)
    return v


@pytest.mark.parametrize("value", [0, 1, 0xFFFF, 0x10000, 0x12345678, 0xFFFFFFFF, 1 << 63,
                                   (1 << 64) - 1, (1 << 64) - 2, 0x5555555555555555,
                                   0x00FF00FF00FF00FF, 0x123456789ABCDEF0, 0xFFFF0000FFFF0000,
                                   0x8000000000000001, 0xFFFFFFFF00000000])  # fmt: skip
def test_mov_imm_makes_the_value(value: int) -> None:
    for sf in (True, False):
        a = Asm()
        a.mov_imm(3, value, sf)
        dis(lambda b, a=a: b.words.extend(a.words))
        assert value_of(a) == value & ((1 << (64 if sf else 32)) - 1)
        assert len(a.words) <= 4


def test_logical_immediates_round_trip() -> None:
    values = [0x5555555555555555, 0xFF, 0xFFFF0000FFFF0000, 1 << 63, (1 << 63) - 1,
              0x0F0F0F0F0F0F0F0F, 0x8000000080000000, 0x7FFFFFFE, 0xFFFFFFFFFFFFFFFE]  # fmt: skip
    for value in values:
        enc = logical_imm(value, True)
        assert enc is not None, hex(value)
        a = Asm()
        a.logic_imm(0, 1, 2, enc)
        assert dis(lambda b, a=a: b.words.extend(a.words)) == [f"and x1, x2, #{value:#x}"]
    assert logical_imm(0x12345, True) is None and logical_imm(0, True) is None


@pytest.mark.parametrize("d,n,m", [(0, 1, 2), (28, 27, 30), (17, 16, 0)])
def test_data_processing(d: int, n: int, m: int) -> None:
    assert dis(lambda a: a.add_reg(d, n, m)) == [f"add {x(d)}, {x(n)}, {x(m)}"]
    assert dis(lambda a: a.add_reg(d, n, m, False, sub=True, flags=True)) == [
        f"subs {w(d)}, {w(n)}, {w(m)}"]  # fmt: skip
    assert dis(lambda a: a.add_imm(d, n, 4095)) == [f"add {x(d)}, {x(n)}, #0xfff"]
    assert dis(lambda a: a.add_imm(d, n, 0x5000, sub=True)) == [f"sub {x(d)}, {x(n)}, #5, lsl #12"]
    assert dis(lambda a: a.adc(d, n, m, sub=True)) == [f"sbc {x(d)}, {x(n)}, {x(m)}"]
    assert dis(lambda a: a.logic(1, d, n, m, invert=True)) == [f"orn {x(d)}, {x(n)}, {x(m)}"]
    assert dis(lambda a: a.logic(2, d, n, m, False)) == [f"eor {w(d)}, {w(n)}, {w(m)}"]
    assert dis(lambda a: a.dp2(3, d, n, m)) == [f"sdiv {x(d)}, {x(n)}, {x(m)}"]
    assert dis(lambda a: a.dp2(11, d, n, m, False)) == [f"ror {w(d)}, {w(n)}, {w(m)}"]
    assert dis(lambda a: a.dp1(4, d, n)) == [f"clz {x(d)}, {x(n)}"]
    assert dis(lambda a: a.dp1(3, d, n)) == [f"rev {x(d)}, {x(n)}"]
    assert dis(lambda a: a.madd(d, n, m, 5, sub=True)) == [f"msub {x(d)}, {x(n)}, {x(m)}, x5"]
    assert dis(lambda a: a.mulh(d, n, m, True)) == [f"smulh {x(d)}, {x(n)}, {x(m)}"]
    assert dis(lambda a: a.mull(d, n, m, False)) == [f"umull {x(d)}, {w(n)}, {w(m)}"]
    assert dis(lambda a: a.bfm(2, d, n, 4, 11)) == [f"ubfx {x(d)}, {x(n)}, #4, #8"]
    assert dis(lambda a: a.bfm(0, d, n, 0, 31)) == [f"sxtw {x(d)}, {w(n)}"]
    assert dis(lambda a: a.csel(d, n, m, E.LT)) == [f"csel {x(d)}, {x(n)}, {x(m)}, lt"]
    assert dis(lambda a: a.cset(d, E.HI)) == [f"cset {x(d)}, hi"]
    assert dis(lambda a: a.csetm(d, E.EQ, False)) == [f"csetm {w(d)}, eq"]
    assert dis(lambda a: a.mov(d, n)) == [f"mov {x(d)}, {x(n)}"]


def test_loads_stores_and_system() -> None:
    assert dis(lambda a: a.ldst(3, 1, 0, 19, 0x100)) == ["ldr x0, [x19, #0x100]"]
    assert dis(lambda a: a.ldst(3, 0, 2, 19, -8)) == ["stur x2, [x19, #-8]"]
    assert dis(lambda a: a.ldst(0, 2, 4, 5, 0)) == ["ldrsb x4, [x5]"]
    assert dis(lambda a: a.ldst(1, 0, 4, 5, 6)) == ["strh w4, [x5, #6]"]
    assert dis(lambda a: a.ldst_reg(2, 1, 1, 2, 17)) == ["ldr w1, [x2, x17]"]
    assert dis(lambda a: a.ldp_stp(False, 29, 30, 31, -96, "pre")) == [
        "stp x29, x30, [sp, #-0x60]!"]  # fmt: skip
    assert dis(lambda a: a.ldp_stp(True, 29, 30, 31, 96, "post")) == ["ldp x29, x30, [sp], #0x60"]
    assert dis(lambda a: (a.mrs_fpcr(3), a.msr_fpcr(4), a.dmb())) == [
        "mrs x3, fpcr", "msr fpcr, x4", "dmb ish"]  # fmt: skip
    assert dis(lambda a: (a.blr(16), a.br(1), a.ret())) == ["blr x16", "br x1", "ret"]
    assert dis(lambda a: (a.dmb(0b0101), a.dmb(0b1000), a.dmb(0b0010))) == [
        "dmb ishld", "dmb ishst", "dmb ish"]  # fmt: skip
    assert dis(lambda a: [a.ldaxr(n, 3, 16) for n in range(4)]) == [
        "ldaxrb w3, [x16]", "ldaxrh w3, [x16]", "ldaxr w3, [x16]", "ldaxr x3, [x16]"]  # fmt: skip
    assert dis(lambda a: [a.stlxr(n, 17, 5, 16) for n in range(4)]) == [
        "stlxrb w17, w5, [x16]", "stlxrh w17, w5, [x16]", "stlxr w17, w5, [x16]",
        "stlxr w17, x5, [x16]"]  # fmt: skip
    assert dis(lambda a: a.clrex()) == ["clrex"]


LSE_NAMES = {E.LD_ADD: "ldadd", E.LD_CLR: "ldclr", E.LD_EOR: "ldeor", E.LD_SET: "ldset",
             E.LD_SMAX: "ldsmax", E.LD_SMIN: "ldsmin", E.LD_UMAX: "ldumax",
             E.LD_UMIN: "ldumin", E.SWP: "swp"}  # fmt: skip


@pytest.mark.parametrize("s,t,n", [(3, 5, 16), (17, 0, 16), (28, 27, 30), (31, 1, 2)])
def test_lse_atomics(s: int, t: int, n: int) -> None:
    for op, name in LSE_NAMES.items():
        for size, suffix in enumerate(("b", "h", "", "")):
            p = "x" if size == 3 else "w"  # register 31 is the zero register here

            def r(i: int, p: str = p) -> str:
                return f"{p}zr" if i == 31 else f"{p}{i}"

            assert dis(lambda a, op=op, size=size: a.lse_al(size, op, s, t, n)) == [
                f"{name}al{suffix} {r(s)}, {r(t)}, [{x(n)}]"]  # fmt: skip


@pytest.mark.parametrize("n,m", [(30, 5), (0, 17), (28, 1)])
def test_extended_register_forms(n: int, m: int) -> None:
    names = ("uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx")
    for option, ext in enumerate(names):
        assert dis(lambda a, o=option: a.cmp_ext(n, m, o)) == [f"cmp {w(n)}, {w(m)}, {ext}"]
        rm = x(m) if option & 3 == 3 else w(m)
        assert dis(lambda a, o=option: a.cmp_ext(n, m, o, True)) == [
            f"cmp {x(n)}, {rm}, {ext}"]  # fmt: skip
    assert dis(lambda a: a.add_ext(1, n, m, E.SXTW, amount=2)) == [
        f"add x1, {x(n)}, {w(m)}, sxtw #2"]  # fmt: skip
    assert dis(lambda a: a.add_ext(2, n, m, E.UXTB, False, sub=True)) == [
        f"sub w2, {w(n)}, {w(m)}, uxtb"]  # fmt: skip
    assert dis(lambda a: a.logic(1, 17, E.ZR, m, invert=True)) == [f"mvn x17, {x(m)}"]


def test_floating_point() -> None:
    assert dis(lambda a: a.fmov_to_fp(0, 3, True)) == ["fmov d0, x3"]
    assert dis(lambda a: a.fmov_from_fp(3, 1, False)) == ["fmov w3, s1"]
    assert dis(lambda a: a.fp2(2, 0, 0, 1, True)) == ["fadd d0, d0, d1"]
    assert dis(lambda a: a.fp2(7, 0, 1, 2, False)) == ["fminnm s0, s1, s2"]
    assert dis(lambda a: a.fp1(3, 0, 0, True)) == ["fsqrt d0, d0"]
    assert dis(lambda a: a.fp1(4, 0, 1, True)) == ["fcvt s0, d1"]
    assert dis(lambda a: a.fp1(12, 0, 0, False)) == ["frinta s0, s0"]
    assert dis(lambda a: a.fmadd(2, 0, 1, 2, True)) == ["fmadd d2, d0, d1, d2"]
    assert dis(lambda a: a.fcmp(0, 1, False)) == ["fcmp s0, s1"]
    assert dis(lambda a: a.cvt_to_int(3, True, 5, 0, True)) == ["fcvtzs x5, d0"]
    assert dis(lambda a: a.cvt_to_int(4, False, 5, 0, False, False)) == ["fcvtau w5, s0"]
    assert dis(lambda a: a.cvt_to_int(1, True, 5, 0, True, False)) == ["fcvtps w5, d0"]
    assert dis(lambda a: a.cvt_from_int(False, 0, 7, False)) == ["ucvtf s0, x7"]
    assert dis(lambda a: (a.cnt8b(0, 0), a.addv8b(0, 0))) == ["cnt v0.8b, v0.8b", "addv b0, v0.8b"]


@pytest.mark.parametrize("d", [0, 1, 7, 30, 31])
def test_crypto_extension_forms(d: int) -> None:
    """The Cryptographic Extension's instructions the crypto lowering uses."""
    n, m = (d + 1) % 32, (d + 2) % 32
    assert dis(lambda a: a.sha_3(E.SHA256H, d, n, m)) == [f"sha256h q{d}, q{n}, v{m}.4s"]
    assert dis(lambda a: a.sha_3(E.SHA256H2, d, n, m)) == [f"sha256h2 q{d}, q{n}, v{m}.4s"]
    assert dis(lambda a: a.sha_3(E.SHA256SU1, d, n, m)) == [
        f"sha256su1 v{d}.4s, v{n}.4s, v{m}.4s"]  # fmt: skip
    assert dis(lambda a: a.sha_2(E.SHA256SU0, d, n)) == [f"sha256su0 v{d}.4s, v{n}.4s"]
    for name in ("sha1c", "sha1p", "sha1m"):
        op = getattr(E, name.upper())
        assert dis(lambda a, op=op: a.sha_3(op, d, n, m)) == [f"{name} q{d}, s{n}, v{m}.4s"]
    assert dis(lambda a: a.sha_2(E.SHA1SU1, d, n)) == [f"sha1su1 v{d}.4s, v{n}.4s"]
    assert dis(lambda a: a.sha512_3(E.SHA512H, d, n, m)) == [f"sha512h q{d}, q{n}, v{m}.2d"]
    assert dis(lambda a: a.sha512_3(E.SHA512H2, d, n, m)) == [f"sha512h2 q{d}, q{n}, v{m}.2d"]
    assert dis(lambda a: a.sha512_3(E.SHA512SU1, d, n, m)) == [
        f"sha512su1 v{d}.2d, v{n}.2d, v{m}.2d"]  # fmt: skip
    assert dis(lambda a: a.sha512su0(d, n)) == [f"sha512su0 v{d}.2d, v{n}.2d"]
    assert dis(lambda a: a.fmov_to_fp(d, d % 31, False)) == [f"fmov s{d}, w{d % 31}"]
    assert dis(lambda a: a.aes(E.AESE, d, n)) == [f"aese v{d}.16b, v{n}.16b"]
    assert dis(lambda a: a.pmull_1q(d, n, m)) == [f"pmull v{d}.1q, v{n}.1d, v{m}.1d"]
    r = d % 31  # a general register (31 is xzr here)
    assert dis(lambda a: a.ins_d1(d, r)) == [f"mov v{d}.d[1], x{r}"]
    assert dis(lambda a: a.umov_d1(r, n)) == [f"mov x{r}, v{n}.d[1]"]


def test_branches_and_labels() -> None:
    a = Asm()
    top, end = Label(), Label()
    a.bind(top)
    a.b_cond(E.NE, end)
    a.cbz(3, end, nonzero=True)
    a.b(top)
    a.bind(end)
    a.ret()
    texts = [f"{i.mnemonic} {i.op_str}" for i in MD.disasm(a.code(), 0)]
    assert texts == ["b.ne #0xc", "cbnz x3, #0xc", "b #0", "ret "]
