"""The toy ISA, declared as data.

Every instruction is 4 bytes, little-endian: ``op, a, b, c``. Registers
r0..r7 are 64-bit; ``imm16`` is bytes b,c as a signed 16-bit value; ``imm8``
is byte c, signed. Branch offsets count instructions from the branch itself.

    li   ra, imm16        ra = sext(imm16)
    lui  ra, imm16        ra = (ra << 16) | (imm16 & 0xffff)
    add/sub/mul/xor/and/shl/shr/divu  ra, rb, rc
    addi ra, rb, imm8     ra = rb + sext(imm8)
    ld   ra, [rb + imm8]  64-bit load;  ldb: byte, zero-extended
    st   ra, [rb + imm8]  64-bit store; stb: byte
    bnz  ra, imm16        if ra != 0: pc += 4 * imm16
    jal  ra, imm16        ra = pc + 4; pc += 4 * imm16
    jr   ra               pc = ra
    sys                   system call: interrupt 2, pc after the instruction
"""

from __future__ import annotations

from enum import IntEnum


class Op(IntEnum):
    LI = 0x01
    LUI = 0x02
    ADD = 0x10
    SUB = 0x11
    MUL = 0x12
    XOR = 0x13
    AND = 0x14
    SHL = 0x15
    SHR = 0x16
    DIVU = 0x17
    ADDI = 0x20
    LD = 0x30
    ST = 0x31
    LDB = 0x32
    STB = 0x33
    BNZ = 0x40
    JAL = 0x41
    JR = 0x42
    SYS = 0x50


#: operand shape per mnemonic: r = register, i16 / i8 = immediates, m = memory operand
SHAPES: dict[Op, tuple[str, ...]] = {
    Op.LI: ("r", "i16"), Op.LUI: ("r", "i16"),
    Op.ADD: ("r", "r", "r"), Op.SUB: ("r", "r", "r"), Op.MUL: ("r", "r", "r"),
    Op.XOR: ("r", "r", "r"), Op.AND: ("r", "r", "r"), Op.SHL: ("r", "r", "r"),
    Op.SHR: ("r", "r", "r"), Op.DIVU: ("r", "r", "r"),
    Op.ADDI: ("r", "r", "i8"),
    Op.LD: ("r", "m"), Op.ST: ("r", "m"), Op.LDB: ("r", "m"), Op.STB: ("r", "m"),
    Op.BNZ: ("r", "i16"), Op.JAL: ("r", "i16"), Op.JR: ("r",), Op.SYS: (),
}  # fmt: skip

NREGS = 8
PC_SLOT = NREGS
STATE_SIZE = 8 * (NREGS + 1)
SYSCALL_INTNO = 2
ELF_MACHINE = 0x7070  # not a real machine: for tests of the ELF loader
