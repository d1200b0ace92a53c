"""The encoder against capstone: every instruction form the lowering uses, with
every register (REX.R/X/B, the rsp/r12 SIB and rbp/r13 displacement special
cases), disassembles to the instruction it was asked for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tcgkit_host_x86 import encoder as E
from tcgkit_host_x86.encoder import Asm, Label, Mem

capstone = pytest.importorskip("capstone")
MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)

R64 = E.NAMES
R32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
       *(f"r{i}d" for i in range(8, 16)))  # fmt: skip
R16 = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di", *(f"r{i}w" for i in range(8, 16)))
R8 = ("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", *(f"r{i}b" for i in range(8, 16)))
GPRS = [r for r in range(16) if r != E.RSP]


def dis(emit) -> list[str]:
    a = Asm()
    emit(a)
    out = [f"{i.mnemonic} {i.op_str}".strip() for i in MD.disasm(a.code(), 0)]
    assert sum(i.size for i in MD.disasm(a.code(), 0)) == len(a.buf), "trailing bytes"
    return out


def mem_text(m: Mem, size: str = "qword") -> str:
    parts = [R64[m.base]]
    if m.index >= 0:
        parts.append(f"{R64[m.index]}" + (f"*{m.scale}" if m.scale > 1 else ""))
    text = " + ".join(parts)
    if m.disp:
        n = abs(m.disp)
        text += f" {'-' if m.disp < 0 else '+'} {n if n < 10 else hex(n)}"
    return f"{size} ptr [{text}]"


MEMS = [Mem(b, d) for b in range(16) for d in (0, 8, -0x40, 0x1234)] + [
    Mem(b, d, i) for b in (E.RBP, E.R13, E.RSP, E.R12, E.RAX) for i in (E.R10, E.RAX, E.R15)
    for d in (0, -0x2000)]  # fmt: skip


@pytest.mark.parametrize("d", range(16))
@pytest.mark.parametrize("s", range(16))
def test_register_moves_and_alu(d: int, s: int) -> None:
    assert dis(lambda a: a.mov_rr(d, s)) == ([] if d == s else [f"mov {R64[d]}, {R64[s]}"])
    assert dis(lambda a: a.mov_rr(d, s, False)) == [f"mov {R32[d]}, {R32[s]}"]
    for code, name in ((E.ADD, "add"), (E.SUB, "sub"), (E.AND, "and"), (E.OR, "or"),
                       (E.XOR, "xor"), (E.CMP, "cmp"), (E.ADC, "adc"), (E.SBB, "sbb")):  # fmt: skip
        assert dis(lambda a, code=code: a.alu_rr(code, d, s)) == [f"{name} {R64[d]}, {R64[s]}"]
    assert dis(lambda a: a.imul_rr(d, s)) == [f"imul {R64[d]}, {R64[s]}"]
    assert dis(lambda a: a.test_rr(d, s, False)) == [f"test {R32[d]}, {R32[s]}"]
    assert dis(lambda a: a.cmov(E.CC_L, d, s)) == [f"cmovl {R64[d]}, {R64[s]}"]
    assert dis(lambda a: a.movzx_rr(d, s, 1)) == [f"movzx {R32[d]}, {R8[s]}"]
    assert dis(lambda a: a.movsx_rr(d, s, 2)) == [f"movsx {R64[d]}, {R16[s]}"]
    assert dis(lambda a: a.movsx_rr(d, s, 4)) == [f"movsxd {R64[d]}, {R32[s]}"]
    assert dis(lambda a: a.bit_scan(b"\x0f\xbd", d, s, True, f3=True)) == [
        f"lzcnt {R64[d]}, {R64[s]}"]  # fmt: skip
    assert dis(lambda a: a.bit_scan(b"\x0f\xb8", d, s, False, f3=True)) == [
        f"popcnt {R32[d]}, {R32[s]}"]  # fmt: skip
    assert dis(lambda a: a.shiftx(E.SHR, d, s, E.RCX)) == [f"shrx {R64[d]}, {R64[s]}, rcx"]
    assert dis(lambda a: a.andn(d, s, E.R9)) == [f"andn {R64[d]}, {R64[s]}, r9"]


def _loaded(code: bytes) -> tuple[int, int]:
    """(register number, the 64-bit value it holds) after capstone's decoding of
    one mov of an immediate (or xor r32, r32) into a register."""
    (insn,) = list(MD.disasm(code, 0))
    assert insn.size == len(code)
    dst_name, _, src = insn.op_str.partition(", ")
    if insn.mnemonic == "xor":
        assert src == dst_name
        return R32.index(dst_name), 0
    assert insn.mnemonic in ("mov", "movabs"), insn.mnemonic
    imm = int(src, 16) if src.startswith("0x") else int(src)
    if dst_name in R32:  # a 32-bit destination: zero-extended
        return R32.index(dst_name), imm & 0xFFFFFFFF
    return R64.index(dst_name), imm & 0xFFFFFFFFFFFFFFFF


WIDE = st.one_of(st.integers(-(1 << 70), 1 << 70), st.integers(-(1 << 33), 1 << 33),
                 st.sampled_from([0, -1, 1 << 31, 1 << 32, (1 << 64) - (1 << 31),
                                  (1 << 64) - (1 << 31) - 1, -(1 << 31), -(1 << 31) - 1,
                                  1 << 62, 1 << 63, (1 << 64) - 1, -(1 << 63)]))  # fmt: skip


@given(st.integers(0, 15), WIDE, st.booleans())
def test_mov_ri_loads_the_value_modulo_the_width_in_the_shortest_form(
    r: int, value: int, w: bool
) -> None:
    """Wide values (2^62 and more, negative, beyond 64 bits) included: the encoder
    takes their bytes instead of wide-integer arithmetic."""
    a = Asm()
    a.mov_ri(r, value, w)
    code = a.code()
    want = value & (0xFFFFFFFFFFFFFFFF if w else 0xFFFFFFFF)
    assert _loaded(code) == (r, want)
    if want < 1 << 32:  # xor r32 / mov r32, imm32
        assert len(code) == (2 if want == 0 else 5) + (r >= 8)
    elif want >= (1 << 64) - (1 << 31):  # mov r64, simm32
        assert len(code) == 7
    else:  # movabs
        assert len(code) == 10


@pytest.mark.parametrize("r", range(16))
def test_single_register_forms(r: int) -> None:
    for v, text in ((0, f"xor {R32[r]}, {R32[r]}"), (0x1234, f"mov {R32[r]}, 0x1234"),
                    (-5, f"mov {R64[r]}, 0xfffffffffffffffb"),
                    (0x123456789A, f"movabs {R64[r]}, 0x123456789a")):  # fmt: skip
        assert dis(lambda a, v=v: a.mov_ri(r, v)) == [text]
    assert dis(lambda a: a.alu_ri(E.ADD, r, 5)) == [f"add {R64[r]}, 5"]
    assert dis(lambda a: a.alu_ri(E.CMP, r, -0x1000, False)) == [f"cmp {R32[r]}, 0xfffff000"]
    assert dis(lambda a: a.shift_ri(E.SAR, r, 7)) == [f"sar {R64[r]}, 7"]
    assert dis(lambda a: a.shift_cl(E.ROL, r, False)) == [f"rol {R32[r]}, cl"]
    assert dis(lambda a: a.unary(3, r)) == [f"neg {R64[r]}"]
    assert dis(lambda a: a.unary(7, r, False)) == [f"idiv {R32[r]}"]
    assert dis(lambda a: a.bswap(r, False)) == [f"bswap {R32[r]}"]
    assert dis(lambda a: a.setcc(E.CC_B, r)) == [f"setb {R8[r]}"]
    assert dis(lambda a: a.rol16_8(r)) == [f"rol {R16[r]}, 8"]
    assert dis(lambda a: a.bt_ri(r, 51)) == [f"bt {R64[r]}, 0x33"]
    assert dis(lambda a: (a.push(r), a.pop(r))) == [f"push {R64[r]}", f"pop {R64[r]}"]
    assert dis(lambda a: a.call_r(r)) == [f"call {R64[r]}"]
    assert dis(lambda a: a.movq_xr(3, r)) == [f"movq xmm3, {R64[r]}"]
    assert dis(lambda a: a.movq_rx(r, 1, False)) == [f"movd {R32[r]}, xmm1"]


@pytest.mark.parametrize("m", MEMS, ids=repr)
def test_memory_operands(m: Mem) -> None:
    assert dis(lambda a: a.load(E.R11, m, 8)) == [f"mov r11, {mem_text(m)}"]
    assert dis(lambda a: a.load(E.RSI, m, 4, signed=True)) == [
        f"movsxd rsi, {mem_text(m, 'dword')}"]  # fmt: skip
    assert dis(lambda a: a.load(E.RDI, m, 2, signed=True, w=False)) == [
        f"movsx edi, {mem_text(m, 'word')}"]  # fmt: skip
    assert dis(lambda a: a.store(m, E.RSI, 1)) == [f"mov {mem_text(m, 'byte')}, sil"]
    assert dis(lambda a: a.store(m, E.R9, 2)) == [f"mov {mem_text(m, 'word')}, r9w"]
    assert dis(lambda a: a.alu_rm(E.CMP, E.RAX, m)) == [f"cmp rax, {mem_text(m)}"]
    assert dis(lambda a: a.alu_mi(E.ADD, m, 3)) == [f"add {mem_text(m)}, 3"]
    assert dis(lambda a: a.movbe_load(E.RDX, m, False)) == [f"movbe edx, {mem_text(m, 'dword')}"]
    assert dis(lambda a: a.jmp_m(m)) == [f"jmp {mem_text(m)}"]
    for size, regs, width in ((8, R64, "qword"), (4, R32, "dword"), (2, R16, "word"),
                              (1, R8, "byte")):  # fmt: skip
        for r in (E.RSI, E.R9, E.RBX):
            assert dis(lambda a, r=r, size=size: a.lock_cmpxchg(m, r, size)) == [
                f"lock cmpxchg {mem_text(m, width)}, {regs[r]}"]  # fmt: skip
        for r in (E.RAX, E.RSI, E.R9, E.RBX):
            assert dis(lambda a, r=r, size=size: a.xchg_m(m, r, size)) == [
                f"xchg {mem_text(m, width)}, {regs[r]}"]  # fmt: skip
            assert dis(lambda a, r=r, size=size: a.lock_xadd(m, r, size)) == [
                f"lock xadd {mem_text(m, width)}, {regs[r]}"]  # fmt: skip
            for b in (E.RCX, E.RDI, E.R11):
                assert dis(lambda a, r=r, b=b, size=size: a.cmp_sized(r, b, size)) == [
                    f"cmp {regs[r]}, {regs[b]}"]  # fmt: skip
    assert dis(lambda a: a.lea(E.R10, m)) == [f"lea r10, {mem_text(m, '').strip()}".replace(
        " ptr", "").replace("lea r10,  [", "lea r10, [")]  # fmt: skip


def test_sse_and_fma() -> None:
    assert dis(lambda a: a.sse(b"\xf2", 0x58, 0, 1)) == ["addsd xmm0, xmm1"]
    assert dis(lambda a: a.sse(b"\xf3", 0x51, 2, 2)) == ["sqrtss xmm2, xmm2"]
    assert dis(lambda a: a.sse(b"\x66", 0x2E, 0, 1)) == ["ucomisd xmm0, xmm1"]
    assert dis(lambda a: a.sse(b"\xf2", 0x2C, E.R10, 0, True)) == ["cvttsd2si r10, xmm0"]
    assert dis(lambda a: a.sse(b"\xf3", 0x2A, 0, E.R13, True)) == ["cvtsi2ss xmm0, r13"]
    assert dis(lambda a: a.vfmadd231(True, 2, 0, 1)) == ["vfmadd231sd xmm2, xmm0, xmm1"]
    assert dis(lambda a: a.ldmxcsr(Mem(E.RBP, -0x3C))) == ["ldmxcsr dword ptr [rbp - 0x3c]"]


@pytest.mark.parametrize("x", range(16))
def test_sse2_shuffles_and_sha_ni(x: int) -> None:
    """The SSE2 forms and SHA-NI instructions of the SHA-256 and SHA-1 lowerings, every xmm
    register in each operand (REX.R / REX.B from xmm8 on)."""
    y = (x * 7 + 3) % 16
    assert dis(lambda a: a.pshufd(x, y, 0xB1)) == [f"pshufd xmm{x}, xmm{y}, 0xb1"]
    assert dis(lambda a: a.pshufd(y, x, 0x0B)) == [f"pshufd xmm{y}, xmm{x}, 0xb"]
    assert dis(lambda a: a.paddd(x, y)) == [f"paddd xmm{x}, xmm{y}"]
    assert dis(lambda a: a.psrldq(x, 4)) == [f"psrldq xmm{x}, 4"]
    assert dis(lambda a: a.pslldq(x, 12)) == [f"pslldq xmm{x}, 0xc"]
    assert dis(lambda a: a.sha(E.SHA256RNDS2, x, y)) == [f"sha256rnds2 xmm{x}, xmm{y}, xmm0"]
    assert dis(lambda a: a.sha(E.SHA256MSG1, x, y)) == [f"sha256msg1 xmm{x}, xmm{y}"]
    assert dis(lambda a: a.sha(E.SHA256MSG2, y, x)) == [f"sha256msg2 xmm{y}, xmm{x}"]
    # SHA-1's
    assert dis(lambda a: a.psubd(x, y)) == [f"psubd xmm{x}, xmm{y}"]
    for imm in range(4):
        assert dis(lambda a, i=imm: a.sha1rnds4(x, y, i)) == [f"sha1rnds4 xmm{x}, xmm{y}, {imm}"]
    assert dis(lambda a: a.sha(E.SHA1MSG2, y, x)) == [f"sha1msg2 xmm{y}, xmm{x}"]
    assert dis(lambda a: a.sha(E.SHA1MSG1, x, y)) == [f"sha1msg1 xmm{x}, xmm{y}"]
    assert dis(lambda a: a.sha(E.SHA1NEXTE, x, y)) == [f"sha1nexte xmm{x}, xmm{y}"]
    # and the moves and AES-NI forms they sit between
    assert dis(lambda a: a.punpcklqdq(x, y)) == [f"punpcklqdq xmm{x}, xmm{y}"]
    assert dis(lambda a: a.movq_xr(x, GPRS[x % len(GPRS)])) == [
        f"movq xmm{x}, {R64[GPRS[x % len(GPRS)]]}"]  # fmt: skip
    assert dis(lambda a: a.movq_rx(GPRS[y % len(GPRS)], x)) == [
        f"movq {R64[GPRS[y % len(GPRS)]]}, xmm{x}"]  # fmt: skip


def test_labels_and_padding() -> None:
    a = Asm()
    back, fwd = Label(), Label()
    a.bind(back)
    a.jcc(E.CC_NE, fwd)
    a.jmp(back)
    a.align(4, skew=1)
    a.buf.append(0xE9)
    assert a.pos % 4 == 0  # a goto_tb displacement is 4-byte aligned
    a.buf.write(b"\0\0\0\0")
    a.bind(fwd)
    a.ret()
    texts = [f"{i.mnemonic} {i.op_str}" for i in MD.disasm(a.code(), 0)]
    assert texts[0] == f"jne {fwd.pos:#x}" and texts[1] == "jmp 0"
    assert texts[-1].strip() == "ret"
