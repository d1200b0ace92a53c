"""Registers by id: views, widths, masks, reset values, system registers, batches."""

from uc_common import attempt
from unicorn import *
from unicorn.arm64_const import *


def R(name):
    return globals()["UC_ARM64_REG_" + name]


uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
for name in [
    "X0",
    "X30",
    "SP",
    "PC",
    "NZCV",
    "PSTATE",
    "FPCR",
    "FPSR",
    "TPIDR_EL0",
    "TPIDRRO_EL0",
    "TPIDR_EL1",
    "CPACR_EL1",
    "Q0",
    "V31",
    "XZR",
    "WZR",
    "WSP",
]:
    attempt("reset " + name, lambda: uc.reg_read(R(name)))

for i in range(31):
    uc.reg_write(R(f"X{i}"), 0x0101010101010101 * (i + 1))
print([hex(uc.reg_read(R(f"W{i}"))) for i in range(31)])
print(
    hex(uc.reg_read(UC_ARM64_REG_FP)),
    hex(uc.reg_read(UC_ARM64_REG_LR)),
    hex(uc.reg_read(UC_ARM64_REG_IP0)),
    hex(uc.reg_read(UC_ARM64_REG_IP1)),
)
uc.reg_write(R("W3"), 0xAABBCCDD)
attempt("X3 after W3", lambda: uc.reg_read(R("X3")))
uc.reg_write(R("X4"), -1)
attempt("X4 after -1", lambda: uc.reg_read(R("X4")))
uc.reg_write(R("X5"), 1 << 64 | 5)
attempt("X5 after 2**64+5", lambda: uc.reg_read(R("X5")))
uc.reg_write(R("W6"), -2)
attempt("X6 after W6=-2", lambda: uc.reg_read(R("X6")))
uc.reg_write(R("X7"), True)
attempt("X7 after True", lambda: uc.reg_read(R("X7")))
attempt("X8 str", lambda: uc.reg_write(R("X8"), "a"))
attempt("X8 float", lambda: uc.reg_write(R("X8"), 1.5))
attempt("read with aux", lambda: uc.reg_read(R("X2"), 5))

uc.reg_write(R("SP"), 0x1122334455667788)
attempt("WSP", lambda: uc.reg_read(R("WSP")))
uc.reg_write(R("WSP"), 0xABC)
attempt("SP after WSP", lambda: uc.reg_read(R("SP")))
uc.reg_write(R("XZR"), 5)
uc.reg_write(R("WZR"), 5)
attempt("XZR", lambda: uc.reg_read(R("XZR")))
attempt("WZR", lambda: uc.reg_read(R("WZR")))
uc.reg_write(R("PC"), 0x1003)
attempt("PC unaligned", lambda: uc.reg_read(R("PC")))

Q = 0x00112233445566778899AABBCCDDEEFF
for name, value in [
    ("S0", 0x12345678),
    ("D0", 0x1234),
    ("H0", 0x1234),
    ("B0", 0x12),
    ("V0", 5),
    ("S0", 1 << 40 | 7),
    ("D0", 1 << 70 | 3),
]:
    uc.reg_write(R("Q0"), Q)
    uc.reg_write(R(name), value)
    attempt(f"Q0 after {name}={value:#x}", lambda: uc.reg_read(R("Q0")))
uc.reg_write(R("Q0"), Q)
for name in ["Q0", "V0", "D0", "S0", "H0", "B0"]:
    attempt(name, lambda: uc.reg_read(R(name)))
uc.reg_write(R("Q1"), -1)
attempt("Q1 after -1", lambda: uc.reg_read(R("Q1")))
uc.reg_write(R("Q1"), 1 << 128 | 9)
attempt("Q1 after 2**128+9", lambda: uc.reg_read(R("Q1")))
attempt("Q1 tuple", lambda: uc.reg_write(R("Q1"), (1, 2)))
attempt("Q1 bool", lambda: uc.reg_write(R("Q1"), True))
for i in range(32):
    uc.reg_write(R(f"Q{i}"), (i + 1) * 0x0102030405060708090A0B0C0D0E0F10)
print([hex(uc.reg_read(R(f"V{i}"))) for i in range(0, 32, 5)])
print([hex(uc.reg_read(R(f"D{i}"))) for i in range(0, 32, 5)])
print([hex(uc.reg_read(R(f"S{i}"))) for i in range(0, 32, 5)])
print([hex(uc.reg_read(R(f"H{i}"))) for i in range(0, 32, 5)])
print([hex(uc.reg_read(R(f"B{i}"))) for i in range(0, 32, 5)])

for value in [0xFFFFFFFF, 0x12345678, 0xA0000000, 0]:
    uc.reg_write(R("NZCV"), value)
    attempt(f"NZCV after {value:#x}", lambda: uc.reg_read(R("NZCV")))
    attempt("PSTATE", lambda: uc.reg_read(R("PSTATE")))
uc.reg_write(R("PSTATE"), 0x600003C5)
attempt("NZCV after PSTATE", lambda: uc.reg_read(R("NZCV")))
attempt("PSTATE", lambda: uc.reg_read(R("PSTATE")))
for name in ["FPCR", "FPSR"]:
    for value in [0xFFFFFFFF, 0x00C00000, 0x1FFFFFFFF]:
        uc.reg_write(R(name), value)
        attempt(f"{name} after {value:#x}", lambda: uc.reg_read(R(name)))

for i, name in enumerate(
    [
        "TPIDR_EL0",
        "TPIDRRO_EL0",
        "TPIDR_EL1",
        "CPACR_EL1",
        "ELR_EL1",
        "SP_EL0",
        "SP_EL1",
        "TTBR0_EL1",
        "TTBR1_EL1",
        "ESR_EL1",
        "FAR_EL1",
        "PAR_EL1",
        "MAIR_EL1",
        "VBAR_EL1",
        "VBAR_EL0",
        "ELR_EL2",
        "SP_EL3",
        "ESR_EL3",
        "FAR_EL2",
    ]
):
    uc.reg_write(R(name), 0x123456789 + i)
    attempt(name, lambda: uc.reg_read(R(name)))
attempt("SP after SP_ELx", lambda: uc.reg_read(R("SP")))

CP = UC_ARM64_REG_CP_REG
attempt("cp TPIDR_EL0", lambda: uc.reg_read(CP, (13, 0, 3, 3, 2)))
attempt("cp TPIDR_EL0 6-tuple", lambda: uc.reg_read(CP, (13, 0, 3, 3, 2, 99)))
attempt("cp write TPIDR_EL0", lambda: uc.reg_write(CP, (13, 0, 3, 3, 2, 0xABCDEF)))
attempt("TPIDR_EL0", lambda: uc.reg_read(R("TPIDR_EL0")))
attempt("cpr_read TPIDR_EL0", lambda: uc.cpr_read(3, 3, 13, 0, 2))
attempt("cpr_write TPIDRRO_EL0", lambda: uc.cpr_write(3, 3, 13, 0, 3, 0x77))
attempt("TPIDRRO_EL0", lambda: uc.reg_read(R("TPIDRRO_EL0")))
attempt("cp FPCR", lambda: uc.reg_read(CP, (4, 4, 3, 3, 0)))
attempt("cp FPSR", lambda: uc.reg_read(CP, (4, 4, 3, 3, 1)))
attempt("cp VBAR_EL1", lambda: uc.reg_read(CP, (12, 0, 3, 0, 0)))
attempt("cp write VBAR_EL1", lambda: uc.reg_write(CP, (12, 0, 3, 0, 0, 0x8000)))
attempt("VBAR_EL1", lambda: uc.reg_read(R("VBAR_EL1")))
attempt("cp write 5-tuple", lambda: uc.reg_write(CP, (13, 0, 3, 3, 2)))
attempt("cp write int", lambda: uc.reg_write(CP, 5))

attempt(
    "batch read", lambda: uc.reg_read_batch([R("X0"), R("Q3"), R("W1"), (CP, (13, 0, 3, 3, 2))])
)
attempt(
    "batch write", lambda: uc.reg_write_batch([(R("X2"), 5), (R("Q3"), 1 << 100), (R("W2"), 7)])
)
attempt("batch read back", lambda: uc.reg_read_batch([R("X2"), R("Q3")]))
