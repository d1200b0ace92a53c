"""x86-64 instruction encoding: bytes for the instruction forms the lowering uses.

Owns ``Asm`` (a growing code buffer with labels and rel32 fix-ups) and the
register numbers. Nothing here knows about IR, registers' roles or the ABI:
each method appends one machine instruction, encoded from the operands it is
given (REX, ModRM, SIB, displacement and immediate rules of the Intel SDM,
vol. 2, chapter 2). Operand size: ``w=True`` is 64-bit, ``w=False`` 32-bit
(which zero-extends into the upper half, as the lowering relies on).

Memory operands are ``Mem(base, disp, index, scale)``; ``base`` may be any
register (rsp/r12 get a SIB byte, rbp/r13 always a displacement).

The code grows in a ``librt.strings.BytesWriter`` (``Asm.buf``; ``code()`` makes
the bytes): compiled by mypyc, its ``append``, ``len`` and item assignment are
inline C on the writer's own buffer (no boxed int per byte, no list to convert),
so encoding byte by byte is cheaper than memoizing whole instructions by their
operands. Sequences that are memoized (the lowering's fixed instruction runs) are
``bytes`` (``seq()``), added with ``write`` (one copy).
"""

from __future__ import annotations

import struct
from typing import Final

from librt.strings import BytesWriter

RAX: Final = 0
RCX: Final = 1
RDX: Final = 2
RBX: Final = 3
RSP: Final = 4
RBP: Final = 5
RSI: Final = 6
RDI: Final = 7
R8: Final = 8
R9: Final = 9
R10: Final = 10
R11: Final = 11
R12: Final = 12
R13: Final = 13
R14: Final = 14
R15: Final = 15
NAMES: Final = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")  # fmt: skip

# condition codes (the low nibble of Jcc / SETcc / CMOVcc)
CC_O: Final = 0
CC_NO: Final = 1
CC_B: Final = 2
CC_AE: Final = 3
CC_E: Final = 4
CC_NE: Final = 5
CC_BE: Final = 6
CC_A: Final = 7
CC_S: Final = 8
CC_NS: Final = 9
CC_P: Final = 10
CC_NP: Final = 11
CC_L: Final = 12
CC_GE: Final = 13
CC_LE: Final = 14
CC_G: Final = 15

# ALU group 1: /digit of 0x81/0x83 and the base of the r/m, reg form (op*8 + 1)
ADD: Final = 0
OR: Final = 1
ADC: Final = 2
SBB: Final = 3
AND: Final = 4
SUB: Final = 5
XOR: Final = 6
CMP: Final = 7
# AES-NI: the byte after 66 0F 38 (``Asm.aes``)
AESIMC: Final = 0xDB
AESENC: Final = 0xDC
AESENCLAST: Final = 0xDD
AESDEC: Final = 0xDE
AESDECLAST: Final = 0xDF
# SHA-NI: the byte after 0F 38, no prefix (``Asm.sha``)
SHA256RNDS2: Final = 0xCB
SHA256MSG1: Final = 0xCC
SHA256MSG2: Final = 0xCD
SHA1NEXTE: Final = 0xC8
SHA1MSG1: Final = 0xC9
SHA1MSG2: Final = 0xCA
# shift group 2: /digit of 0xC1 / 0xD3
ROL: Final = 0
ROR: Final = 1
SHL: Final = 4
SHR: Final = 5
SAR: Final = 7


def fits_i8(v: int) -> bool:
    return -128 <= v < 128


def fits_i32(v: int) -> bool:
    return -(1 << 31) <= v < (1 << 31)


class Mem:
    """A memory operand: [base + index * scale + disp] (no index when ``index`` < 0).
    A plain slotted class (compiled, a NamedTuple's constructor is interpreted)."""

    __slots__ = ("base", "disp", "index", "scale")

    def __init__(self, base: int, disp: int = 0, index: int = -1, scale: int = 1) -> None:
        self.base = base
        self.disp = disp
        self.index = index
        self.scale = scale

    def __repr__(self) -> str:
        return f"Mem({self.base}, {self.disp:#x}, {self.index}, {self.scale})"


_SCALE_BITS: Final = {1: 0, 2: 1, 4: 2, 8: 3}
_I64_MIN: Final = -0x8000000000000000
_I64_MAX: Final = 0x7FFFFFFFFFFFFFFF
_U64_MAX: Final = 0xFFFFFFFFFFFFFFFF


def _check_fits(value: int, n: int, signed: bool) -> None:
    """``struct.error`` when ``value`` does not fit ``n`` bytes (signed: two's
    complement), as ``struct.pack`` would say."""
    if n == 8:  # bounds as constants: ``1 << 64`` would be a new long per call
        ok = _I64_MIN <= value <= _I64_MAX if signed else 0 <= value <= _U64_MAX
    elif signed:
        ok = -(1 << (8 * n - 1)) <= value < 1 << (8 * n - 1)
    else:
        ok = 0 <= value < 1 << (8 * n)
    if not ok:
        kind = "signed" if signed else "unsigned"
        raise struct.error(f"{value:#x} does not fit a {kind} {8 * n}-bit field")


def _le(buf: BytesWriter, value: int, n: int, signed: bool) -> None:
    """Append ``value`` as ``n`` little-endian bytes (see ``_check_fits``)."""
    if n == 4 and (-0x80000000 <= value < 0x80000000 if signed else 0 <= value < 0x100000000):
        _append32(buf, value & 0xFFFFFFFF)  # the common field: no loop, no generic check
        return
    if n == 8 and (_I64_MIN <= value <= _I64_MAX if signed else 0 <= value <= _U64_MAX):
        # two halves: compiled, a value of 2^62 and more is a wide integer, and each
        # byte's shift and mask on it would be a wide-integer operation
        _append32(buf, value & 0xFFFFFFFF)
        _append32(buf, value >> 32 & 0xFFFFFFFF)
        return
    _check_fits(value, n, signed)
    for _ in range(n):
        buf.append(value & 0xFF)
        value >>= 8


def _modrm_base(buf: BytesWriter, reg: int, b7: int, disp: int) -> None:
    """ModRM (and rsp's SIB) and displacement of [base + disp] without an index:
    ``reg`` the reg field already shifted (bits 5-3), ``b7`` the base's low 3 bits.
    rbp and r13 always take a displacement; rsp and r12 a SIB byte."""
    if disp == 0 and b7 != RBP:
        buf.append(reg | b7)
        if b7 == RSP:
            buf.append(0x24)
    elif -128 <= disp < 128:
        buf.append(0x40 | reg | b7)
        if b7 == RSP:
            buf.append(0x24)
        buf.append(disp & 0xFF)
    else:
        buf.append(0x80 | reg | b7)
        if b7 == RSP:
            buf.append(0x24)
        _le(buf, disp, 4, True)


def _append32(buf: BytesWriter, v: int) -> None:
    """Append the 32-bit ``v`` (0 <= v < 2^32) as four little-endian bytes."""
    buf.append(v & 0xFF)
    buf.append(v >> 8 & 0xFF)
    buf.append(v >> 16 & 0xFF)
    buf.append(v >> 24)


# multi-byte NOPs by length (Intel SDM vol. 2, NOP)
_NOPS: Final = {1: b"\x90", 2: b"\x66\x90", 3: b"\x0f\x1f\x00", 4: b"\x0f\x1f\x40\x00",
                5: b"\x0f\x1f\x44\x00\x00", 6: b"\x66\x0f\x1f\x44\x00\x00",
                7: b"\x0f\x1f\x80\x00\x00\x00\x00"}  # fmt: skip


def put_rel32(buf: BytesWriter, at: int, target: int) -> None:
    """The rel32 field at ``at`` of ``buf`` jumps to ``target`` (within one block of
    code: it always fits)."""
    put_u32(buf, at, (target - (at + 4)) & 0xFFFFFFFF)


def put_u32(buf: BytesWriter, at: int, v: int) -> None:
    """Overwrite the four bytes at ``at`` with ``v`` (0 <= v < 2^32), little-endian."""
    buf[at] = v & 0xFF
    buf[at + 1] = v >> 8 & 0xFF
    buf[at + 2] = v >> 16 & 0xFF
    buf[at + 3] = v >> 24


def put_u64(buf: BytesWriter, at: int, v: int) -> None:
    """Overwrite the eight bytes at ``at`` with ``v`` (0 <= v < 2^64), little-endian
    (two halves: see ``_le``)."""
    put_u32(buf, at, v & 0xFFFFFFFF)
    put_u32(buf, at + 4, v >> 32 & 0xFFFFFFFF)


class Label:
    __slots__ = ("pos", "refs")

    def __init__(self) -> None:
        self.pos = -1
        self.refs: list[int] = []  # offsets of rel32 fields that point here


class Asm:
    """One growing block of machine code."""

    def __init__(self) -> None:
        self.buf = BytesWriter()  # see the module's docstring

    @property
    def pos(self) -> int:
        return len(self.buf)

    # -- labels ------------------------------------------------------------------

    def bind(self, label: Label) -> None:
        buf = self.buf
        pos = len(buf)
        label.pos = pos
        for ref in label.refs:
            put_rel32(buf, ref, pos)

    def code(self) -> bytes:
        """The machine code so far."""
        return self.buf.getvalue()

    def seq(self) -> bytes:
        """The machine code so far, to add to another ``buf`` later (``write``)."""
        return self.buf.getvalue()

    def patch(self, at: int, value: int, n: int, signed: bool = False) -> None:
        """Overwrite the ``n`` bytes at ``at`` with ``value``, little-endian."""
        _check_fits(value, n, signed)
        buf = self.buf
        if n == 4:
            put_u32(buf, at, value & 0xFFFFFFFF)
        elif n == 8:
            put_u64(buf, at, value & _U64_MAX)
        else:
            for k in range(at, at + n):
                buf[k] = value & 0xFF
                value >>= 8

    def _rel32(self, label: Label) -> None:
        buf = self.buf
        at = len(buf)
        if label.pos >= 0:  # backward: the displacement is known
            _append32(buf, (label.pos - (at + 4)) & 0xFFFFFFFF)
        else:
            buf.append(0)
            buf.append(0)
            buf.append(0)
            buf.append(0)
            label.refs.append(at)

    # -- prefix / ModRM building -----------------------------------------------------

    def _rex(self, w: bool, r: int, x: int, b: int, force: bool = False) -> None:
        rex = (
            0x40 | (8 if w else 0) | (4 if r & 8 else 0) | (2 if x & 8 else 0) | (1 if b & 8 else 0)
        )
        if rex != 0x40 or force:
            self.buf.append(rex)

    def _modrm_mem(self, reg: int, m: Mem) -> None:
        buf = self.buf
        base, disp = m.base, m.disp
        reg = (reg & 7) << 3
        b7 = base & 7
        if m.index >= 0:
            ss = _SCALE_BITS[m.scale]
            sib = ss << 6 | (m.index & 7) << 3 | b7
            if disp == 0 and b7 != RBP:
                buf.append(reg | 4)
                buf.append(sib)
            elif fits_i8(disp):
                buf.append(0x40 | reg | 4)
                buf.append(sib)
                buf.append(disp & 0xFF)
            else:
                buf.append(0x80 | reg | 4)
                buf.append(sib)
                _le(buf, disp, 4, True)
            return
        _modrm_base(buf, reg, b7, disp)

    def rr(self, opcode: bytes, reg: int, rm: int, w: bool, byte_regs: bool = False,
           prefix: bytes = b"") -> None:  # fmt: skip
        """``opcode`` with ModRM mod=11: ``reg`` in the reg field, ``rm`` in r/m."""
        buf = self.buf
        if prefix:
            buf.write(prefix)
        self._rex(w, reg, 0, rm, force=byte_regs and (reg >= 4 or rm >= 4))
        if len(opcode) == 1:  # most: an indexed byte, no call
            buf.append(opcode[0])
        else:
            buf.write(opcode)
        buf.append(0xC0 | (reg & 7) << 3 | (rm & 7))

    def rr1(self, opcode: int, reg: int, rm: int, w: bool) -> None:
        """``rr`` of a one-byte ``opcode`` given as an int, without prefix (most
        instructions: no bytes object to make and read)."""
        self._rex(w, reg, 0, rm)
        buf = self.buf
        buf.append(opcode)
        buf.append(0xC0 | (reg & 7) << 3 | (rm & 7))

    def rm1(self, opcode: int, reg: int, m: Mem, w: bool) -> None:
        """``rm`` of a one-byte ``opcode`` given as an int, without prefix."""
        self._rex(w, reg, max(m.index, 0), m.base)
        self.buf.append(opcode)
        self._modrm_mem(reg, m)

    def rm(self, opcode: bytes, reg: int, m: Mem, w: bool, byte_regs: bool = False,
           prefix: bytes = b"") -> None:  # fmt: skip
        """``opcode`` with a memory operand."""
        self._rm(opcode, reg, m, w, byte_regs, prefix)

    def _rm(self, opcode: bytes, reg: int, m: Mem, w: bool, byte_regs: bool,
            prefix: bytes) -> None:  # fmt: skip
        buf = self.buf
        if prefix:
            buf.write(prefix)
        self._rex(w, reg, max(m.index, 0), m.base, force=byte_regs and reg >= 4)
        if len(opcode) == 1:
            buf.append(opcode[0])
        else:
            buf.write(opcode)
        self._modrm_mem(reg, m)

    # -- moves ------------------------------------------------------------------------

    def mov_rr(self, dst: int, src: int, w: bool = True) -> None:
        if dst != src or not w:
            self.rr1(0x89, src, dst, w)

    def mov_ri(self, dst: int, value: int, w: bool = True) -> None:
        """dst <- value (64-bit value; the shortest form)."""
        buf = self.buf
        if not 0 <= value < 0x100000000 and not w:
            value &= 0xFFFFFFFF
        if 0 <= value < 0x100000000:
            if value == 0:
                self.rr1(0x31, dst, dst, False)  # xor r32, r32
                return
            self._rex(False, 0, 0, dst)  # mov r32, imm32 (zero-extended)
            buf.append(0xB8 | (dst & 7))
            _append32(buf, value)
            return
        # 64 bits, outside [0, 2^32): the form follows from the value's bytes (compiled,
        # a value of 2^62 and more is a wide integer: one conversion, where masks,
        # comparisons and shifts would be a call each)
        try:
            imm = value.to_bytes(8, "little", signed=value < 0)
        except OverflowError:  # beyond 64 bits: its low 64 bits
            self.mov_ri(dst, value & _U64_MAX, w)
            return
        self._rex(True, 0, 0, dst)
        if imm[3] & 0x80 and imm[4] & imm[5] & imm[6] & imm[7] == 0xFF:
            buf.append(0xC7)  # mov r64, simm32 (sign-extended)
            buf.append(0xC0 | (dst & 7))
            buf.write(imm[:4])
        else:
            buf.append(0xB8 | (dst & 7))  # mov r64, imm64
            buf.write(imm)

    def home(self, store: bool, reg: int, base: int, disp: int, w: bool) -> None:
        """mov [base + disp], reg (``store``) or mov reg, [base + disp], 8 bytes (``w``)
        or 4: ``store`` / ``load`` of a ``Mem`` without index, without making one (the
        register allocator's moves to and from temps' homes, a third of a TB's
        instructions)."""
        self._rex(w, reg, 0, base)
        self.buf.append(0x89 if store else 0x8B)
        _modrm_base(self.buf, (reg & 7) << 3, base & 7, disp)

    def mov_ri_fixed(self, dst: int, value: int, wide: bool) -> None:
        """dst <- value in a fixed-length form (for immediates patched later): mov r32,
        imm32 (zero-extending), or with ``wide`` mov r64, imm64."""
        self._rex(wide, 0, 0, dst)
        self.buf.append(0xB8 | (dst & 7))
        _le(self.buf, value, 8 if wide else 4, False)

    def load(self, dst: int, m: Mem, size: int, signed: bool = False, w: bool = True) -> None:
        """dst <- [m] of ``size`` bytes, zero- or sign-extended to the operand size."""
        if size == 8:
            self.rm1(0x8B, dst, m, True)
        elif size == 4:
            if signed:
                self.rm1(0x63, dst, m, True)  # movsxd
            else:
                self.rm1(0x8B, dst, m, False)
        else:
            op = {(1, False): b"\x0f\xb6", (2, False): b"\x0f\xb7",
                  (1, True): b"\x0f\xbe", (2, True): b"\x0f\xbf"}[(size, signed)]  # fmt: skip
            self.rm(op, dst, m, w and signed)

    def store(self, m: Mem, src: int, size: int) -> None:
        if size == 8:
            self.rm1(0x89, src, m, True)
        elif size == 4:
            self.rm1(0x89, src, m, False)
        elif size == 2:
            self.rm(b"\x89", src, m, False, prefix=b"\x66")
        else:
            self.rm(b"\x88", src, m, False, byte_regs=True)

    def lock_cmpxchg(self, m: Mem, src: int, size: int) -> None:
        """lock cmpxchg [m], src (``size`` bytes): compares with rax/eax/ax/al."""
        prefix = b"\x66\xf0" if size == 2 else b"\xf0"
        self.rm(b"\x0f\xb0" if size == 1 else b"\x0f\xb1", src, m, size == 8,
                byte_regs=size == 1, prefix=prefix)  # fmt: skip

    def lock_cmpxchg16b(self, m: Mem) -> None:
        """lock cmpxchg16b [m]: compares rdx:rax with the 16 bytes at [m] (16-byte
        aligned, else #GP), stores rcx:rbx if equal, else loads them into rdx:rax."""
        self.rm(b"\x0f\xc7", 1, m, True, prefix=b"\xf0")

    def xchg_m(self, m: Mem, src: int, size: int) -> None:
        """xchg [m], src (``size`` bytes; locked by the processor)."""
        self.rm(b"\x86" if size == 1 else b"\x87", src, m, size == 8, byte_regs=size == 1,
                prefix=b"\x66" if size == 2 else b"")  # fmt: skip

    def lock_xadd(self, m: Mem, src: int, size: int) -> None:
        """lock xadd [m], src (``size`` bytes): src gets the old value, [m] the sum."""
        prefix = b"\x66\xf0" if size == 2 else b"\xf0"
        self.rm(b"\x0f\xc0" if size == 1 else b"\x0f\xc1", src, m, size == 8,
                byte_regs=size == 1, prefix=prefix)  # fmt: skip

    def cmp_sized(self, a: int, b: int, size: int) -> None:
        """cmp a, b on their low ``size`` bytes (flags of a - b)."""
        self.rr(b"\x38" if size == 1 else b"\x39", b, a, size == 8, byte_regs=size == 1,
                prefix=b"\x66" if size == 2 else b"")  # fmt: skip

    def store_imm32(self, m: Mem, value: int, w: bool = True) -> None:
        """[m] <- value (a sign-extended imm32 for w)."""
        self.rm1(0xC7, 0, m, w)
        _le(self.buf, value, 4, value < 0)

    def lea(self, dst: int, m: Mem, w: bool = True) -> None:
        self.rm1(0x8D, dst, m, w)

    def movzx_rr(self, dst: int, src: int, size: int) -> None:
        if size == 4:
            self.rr1(0x89, src, dst, False)
        else:
            self.rr(b"\x0f\xb6" if size == 1 else b"\x0f\xb7", dst, src, False, byte_regs=True)

    def movsx_rr(self, dst: int, src: int, size: int, w: bool = True) -> None:
        if size == 4:
            self.rr1(0x63, dst, src, True)
        else:
            self.rr(b"\x0f\xbe" if size == 1 else b"\x0f\xbf", dst, src, w, byte_regs=True)

    # -- arithmetic ---------------------------------------------------------------------

    def alu_rr(self, op: int, dst: int, src: int, w: bool = True) -> None:
        self.rr1(op * 8 + 1, src, dst, w)

    def alu_ri(self, op: int, dst: int, imm: int, w: bool = True) -> None:
        if fits_i8(imm):
            self.rr1(0x83, op, dst, w)
            self.buf.append(imm & 0xFF)
        else:
            self.rr1(0x81, op, dst, w)
            _le(self.buf, imm, 4, imm < 0)

    def alu_rm(self, op: int, reg: int, m: Mem, w: bool = True) -> None:
        """reg <op>= [m] (e.g. CMP reg, [m])."""
        self.rm1(op * 8 + 3, reg, m, w)

    def alu_mi(self, op: int, m: Mem, imm: int, w: bool = True) -> None:
        """[m] <op>= imm."""
        if fits_i8(imm):
            self.rm1(0x83, op, m, w)
            self.buf.append(imm & 0xFF)
        else:
            self.rm1(0x81, op, m, w)
            _le(self.buf, imm, 4, imm < 0)

    def test_rr(self, a: int, b: int, w: bool = True) -> None:
        self.rr1(0x85, b, a, w)

    def test_ri(self, a: int, imm: int, w: bool = True) -> None:
        self.rr1(0xF7, 0, a, w)
        _le(self.buf, imm, 4, imm < 0)

    def unary(self, digit: int, r: int, w: bool = True) -> None:
        """Group 3 (0xF7 /digit): 2 not, 3 neg, 4 mul, 5 imul, 6 div, 7 idiv."""
        self.rr1(0xF7, digit, r, w)

    def imul_rr(self, dst: int, src: int, w: bool = True) -> None:
        self.rr(b"\x0f\xaf", dst, src, w)

    def imul_rri(self, dst: int, src: int, imm: int, w: bool = True) -> None:
        if fits_i8(imm):
            self.rr1(0x6B, dst, src, w)
            self.buf.append(imm & 0xFF)
        else:
            self.rr1(0x69, dst, src, w)
            _le(self.buf, imm, 4, imm < 0)

    def shift_ri(self, digit: int, r: int, count: int, w: bool = True) -> None:
        if count == 1:
            self.rr1(0xD1, digit, r, w)
        else:
            self.rr1(0xC1, digit, r, w)
            self.buf.append(count & 0xFF)

    def shift_cl(self, digit: int, r: int, w: bool = True) -> None:
        self.rr1(0xD3, digit, r, w)

    def rol16_8(self, r: int) -> None:
        self.rr(b"\xc1", ROL, r, False, prefix=b"\x66")
        self.buf.append(8)

    def bswap(self, r: int, w: bool = True) -> None:
        self._rex(w, 0, 0, r)
        buf = self.buf
        buf.append(0x0F)
        buf.append(0xC8 | (r & 7))

    def bit_scan(self, opcode: bytes, dst: int, src: int, w: bool = True, f3: bool = False) -> None:
        """bsf/bsr (0f bc / 0f bd), with F3: tzcnt/lzcnt; popcnt is F3 0f b8."""
        self.rr(opcode, dst, src, w, prefix=b"\xf3" if f3 else b"")

    def bt_ri(self, r: int, bit: int, w: bool = True, digit: int = 4) -> None:
        """CF <- bit ``bit`` of r; with ``digit`` 5 (bts), 6 (btr) or 7 (btc) the bit is
        then set, cleared or flipped."""
        self.rr(b"\x0f\xba", digit, r, w)
        self.buf.append(bit & 0xFF)

    def setcc(self, cc: int, r: int) -> None:
        self.rr(bytes((0x0F, 0x90 | cc)), 0, r, False, byte_regs=True)

    def cmov(self, cc: int, dst: int, src: int, w: bool = True) -> None:
        self.rr(bytes((0x0F, 0x40 | cc)), dst, src, w)

    def movbe_load(self, dst: int, m: Mem, w: bool = True, prefix: bytes = b"") -> None:
        self.rm(b"\x0f\x38\xf0", dst, m, w, prefix=prefix)

    def movbe_store(self, m: Mem, src: int, w: bool = True, prefix: bytes = b"") -> None:
        self.rm(b"\x0f\x38\xf1", src, m, w, prefix=prefix)

    # -- VEX (BMI1/BMI2) ---------------------------------------------------------------------

    def vex(self, mmmmm: int, pp: int, w: bool, reg: int, vvvv: int, rm: int, opcode: int) -> None:
        """Three-byte VEX, L=0, register r/m: ``reg`` ModRM.reg, ``vvvv`` the extra source."""
        b1 = (0 if reg & 8 else 0x80) | 0x40 | (0 if rm & 8 else 0x20) | mmmmm
        b2 = (0x80 if w else 0) | ((~vvvv & 15) << 3) | pp
        buf = self.buf
        buf.append(0xC4)
        buf.append(b1)
        buf.append(b2)
        buf.append(opcode)
        buf.append(0xC0 | (reg & 7) << 3 | (rm & 7))

    def shiftx(self, kind: int, dst: int, src: int, count: int, w: bool = True) -> None:
        """BMI2 shlx/shrx/sarx: dst <- src shifted by count (any registers)."""
        pp = {SHL: 1, SHR: 3, SAR: 2}[kind]
        self.vex(2, pp, w, dst, count, src, 0xF7)

    def andn(self, dst: int, src1: int, src2: int, w: bool = True) -> None:
        """BMI1: dst <- ~src1 & src2."""
        self.vex(2, 0, w, dst, src1, src2, 0xF2)

    # -- SSE ---------------------------------------------------------------------------------

    def movq_xr(self, x: int, r: int, w: bool = True) -> None:
        """xmm <- gpr (movq / movd)."""
        self.rr(b"\x0f\x6e", x, r, w, prefix=b"\x66")

    def movq_rx(self, r: int, x: int, w: bool = True) -> None:
        """gpr <- xmm (movq / movd)."""
        self.rr(b"\x0f\x7e", x, r, w, prefix=b"\x66")

    def sse(self, prefix: bytes, op: int, x: int, y: int, w: bool = False) -> None:
        """An SSE op ``x <- x op y`` on registers (prefix F2: sd, F3: ss, 66: pd)."""
        buf = self.buf
        buf.write(prefix)
        self._rex(w, x, 0, y)
        buf.append(0x0F)  # (the two opcode bytes appended: no bytes object per op)
        buf.append(op)
        buf.append(0xC0 | (x & 7) << 3 | (y & 7))

    def sse_m(self, prefix: bytes, op: int, x: int, m: Mem, w: bool = False) -> None:
        self.rm(bytes((0x0F, op)), x, m, w, prefix=prefix)

    def sse66(self, opcode: bytes, x: int, y: int) -> None:
        """A 66-prefixed SSE op on xmm registers ``x`` (ModRM.reg) and ``y`` (r/m):
        ``opcode`` after the 0F escape (``b"\\x6c"``, ``b"\\x38\\xdc"``)."""
        self.rr(b"\x0f" + opcode, x, y, False, prefix=b"\x66")

    def pxor(self, x: int, y: int) -> None:
        self.sse66(b"\xef", x, y)

    def punpcklqdq(self, x: int, y: int) -> None:
        """x <- (low qword of x, low qword of y)."""
        self.sse66(b"\x6c", x, y)

    def punpckhqdq(self, x: int, y: int) -> None:
        """x <- (high qword of x, high qword of y)."""
        self.sse66(b"\x6d", x, y)

    def paddd(self, x: int, y: int) -> None:
        """x <- x + y in each 32-bit lane."""
        self.sse66(b"\xfe", x, y)

    def psubd(self, x: int, y: int) -> None:
        """x <- x - y in each 32-bit lane."""
        self.sse66(b"\xfa", x, y)

    def pshufd(self, x: int, y: int, imm: int) -> None:
        """x <- the 32-bit lanes of y that imm picks: lane i of x is lane (imm >> 2i) & 3
        of y."""
        self.sse66(b"\x70", x, y)
        self.buf.append(imm & 0xFF)

    def pslldq(self, x: int, n: int) -> None:
        """x <- x shifted left (towards the high end) by ``n`` bytes, zeros in."""
        self.rr(b"\x0f\x73", 7, x, False, prefix=b"\x66")
        self.buf.append(n & 0xFF)

    def psrldq(self, x: int, n: int) -> None:
        """x <- x shifted right (towards the low end) by ``n`` bytes, zeros in."""
        self.rr(b"\x0f\x73", 3, x, False, prefix=b"\x66")
        self.buf.append(n & 0xFF)

    def sha(self, op: int, x: int, y: int) -> None:
        """SHA-NI ``x <- op(x, y)`` (no prefix): SHA256RNDS2 0xCB (two rounds, the
        state's CDGH in x and ABEF in y, the words plus constants in xmm0's low
        qword: x <- the new ABEF), SHA256MSG1 0xCC, SHA256MSG2 0xCD, SHA1NEXTE 0xC8,
        SHA1MSG1 0xC9, SHA1MSG2 0xCA."""
        self.rr(bytes((0x0F, 0x38, op)), x, y, False)

    def sha1rnds4(self, x: int, y: int, imm: int) -> None:
        """SHA1RNDS4 x, y, imm (0F 3A CC, no prefix): four SHA-1 rounds on the state
        ABCD in x (A in lane 3) with the words W0 + E, W1, W2, W3 in y's lanes 3 to 0;
        ``imm`` (0-3) picks f and K of rounds 0-19, 20-39, 40-59, 60-79."""
        self.rr(b"\x0f\x3a\xcc", x, y, False)
        self.buf.append(imm & 3)

    def aes(self, op: int, x: int, y: int) -> None:
        """AES-NI ``x <- op(x, y)``: AESENC 0xDC, AESENCLAST 0xDD, AESDEC 0xDE,
        AESDECLAST 0xDF (y the round key); AESIMC 0xDB (x <- InvMixColumns(y))."""
        self.sse66(bytes((0x38, op)), x, y)

    def pclmulqdq(self, x: int, y: int, imm: int) -> None:
        """x <- the carry-less product of the qwords of x and y that imm bits 0 and 4
        select."""
        self.sse66(b"\x3a\x44", x, y)
        self.buf.append(imm & 0xFF)

    def round_s(self, double: bool, x: int, y: int, imm: int) -> None:
        """SSE4.1 roundsd / roundss x, y, imm (imm: rounding control, bit 3 = no PE)."""
        self.rr(b"\x0f\x3a" + (b"\x0b" if double else b"\x0a"), x, y, False, prefix=b"\x66")
        self.buf.append(imm & 0xFF)

    def ldmxcsr(self, m: Mem) -> None:
        self.rm(b"\x0f\xae", 2, m, False)

    def vfmadd231(self, double: bool, x: int, y: int, z: int) -> None:
        """FMA3: x <- y * z + x (scalar, one rounding)."""
        b1 = 0x80 | 0x40 | 0x20 | 2
        b2 = (0x80 if double else 0) | ((~y & 15) << 3) | 1
        buf = self.buf
        buf.append(0xC4)
        buf.append(b1)
        buf.append(b2)
        buf.append(0xB9)
        buf.append(0xC0 | (x & 7) << 3 | (z & 7))

    # -- control flow ------------------------------------------------------------------------

    def jmp(self, label: Label) -> None:
        self.buf.append(0xE9)
        self._rel32(label)

    def jcc(self, cc: int, label: Label) -> None:
        buf = self.buf
        buf.append(0x0F)
        buf.append(0x80 | cc)
        self._rel32(label)

    def jmp_r(self, r: int) -> None:
        self.rr1(0xFF, 4, r, False)

    def jmp_m(self, m: Mem) -> None:
        self.rm1(0xFF, 4, m, False)

    def call_r(self, r: int) -> None:
        self.rr1(0xFF, 2, r, False)

    def push(self, r: int) -> None:
        self._rex(False, 0, 0, r)
        self.buf.append(0x50 | (r & 7))

    def pop(self, r: int) -> None:
        self._rex(False, 0, 0, r)
        self.buf.append(0x58 | (r & 7))

    def ret(self) -> None:
        self.buf.append(0xC3)

    def ret_pop(self, n: int) -> None:
        """ret imm16: return, then pop ``n`` bytes of the caller's arguments."""
        self.buf.append(0xC2)
        _le(self.buf, n, 2, False)

    def mfence(self) -> None:
        self.buf.write(b"\x0f\xae\xf0")

    def ud2(self) -> None:
        self.buf.write(b"\x0f\x0b")

    def nops(self, n: int) -> None:
        """``n`` bytes of padding (multi-byte NOPs)."""
        while n > 0:
            k = min(n, 7)
            self.buf.write(_NOPS[k])
            n -= k

    def align(self, boundary: int, skew: int = 0) -> None:
        """Pad so that ``pos + skew`` is a multiple of ``boundary``."""
        self.nops(-(self.pos + skew) % boundary)
