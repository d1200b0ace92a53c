"""CPU models: the default (Cortex-A72), ``ctl_set_cpu_model`` before the engine is
initialized and refused after (by a read, a query, ``ctl_get_cpu_model``), MIDR_EL1
and the ID registers through CP_REG and through MRS, and Armv8.1+ words (LSE
atomics, FP16, SHA512, SQRDMLAH, LDAPR, CFINV, RNDR's flags) that Cortex-A53/A57/A72
refuse and MAX runs; Armv8.0 crypto and CRC32 run everywhere."""

import struct

from uc_common import CODE, DATA, attempt, run
from unicorn import *
from unicorn.arm64_const import *

MODELS = (
    ("default", None),
    ("A53", UC_CPU_ARM64_A53),
    ("A57", UC_CPU_ARM64_A57),
    ("A72", UC_CPU_ARM64_A72),
    ("MAX", UC_CPU_ARM64_MAX),
)
#: (crn, crm, op0, op1, op2): MIDR_EL1, MPIDR_EL1, REVIDR_EL1, ID_AA64PFR0_EL1 (A53/A57/A72
#: only: tcgkit's max describes its own features), ID_AA64ISAR0_EL1, ID_AA64MMFR0_EL1
#: (the same), ID_ISAR5_EL1, CTR_EL0
ID_REGS = (
    ("MIDR_EL1", (0, 0, 3, 0, 0), True),
    ("MPIDR_EL1", (0, 0, 3, 0, 5), True),
    ("REVIDR_EL1", (0, 0, 3, 0, 6), True),
    ("ID_AA64PFR0_EL1", (0, 4, 3, 0, 0), False),
    ("ID_AA64ISAR0_EL1", (0, 6, 3, 0, 0), False),
    ("ID_AA64MMFR0_EL1", (0, 7, 3, 0, 0), False),
    ("ID_ISAR5_EL1", (0, 2, 3, 0, 5), False),
    ("CTR_EL0", (0, 0, 3, 3, 1), True),
)
WORDS = (
    ("ldadd x0, x2, [x1]", 0xF8200022),
    ("swpal w0, w2, [x1]", 0xB8E08022),
    ("cas x0, x2, [x1]", 0xC8A07C22),
    ("fadd h0, h1, h2", 0x1EE22820),
    ("fmov h0, w3", 0x1EE70060),
    ("fcvt s0, h1 (v8.0)", 0x1EE24020),
    ("sha512h q0, q1, v2.2d", 0xCE628020),
    ("eor3 v0.16b, v1.16b, v2.16b, v3.16b", 0xCE020C20),
    ("sqrdmlah v0.4s, v1.4s, v2.4s", 0x6E828420),
    ("sdot v0.4s, v1.16b, v2.16b", 0x4E829420),
    ("ldapr x2, [x1]", 0xF8BFC022),
    ("cfinv", 0xD500401F),
    ("fjcvtzs w2, d1", 0x1E7E0022),
    ("aese v0.16b, v1.16b", 0x4E284820),
    ("pmull v0.1q, v1.1d, v2.1d", 0x0EE2E020),
    ("sha256h q0, q1, v2.4s", 0x5E024020),
    ("crc32x w2, w0, x1", 0x9AC14C02),
    ("paciasp (a hint on v8.0)", 0xD503233F),
)


def mk_model(model, words):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    if model is not None:
        uc.ctl_set_cpu_model(model)
    uc.mem_map(CODE, 0x1000)
    uc.mem_map(DATA, 0x1000)
    uc.mem_write(CODE, b"".join(struct.pack("<I", w) for w in words))
    return uc


def mrs(op0, op1, crn, crm, op2, rt=2):
    return 0xD5300000 | (op0 - 2) << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt


for name, model in MODELS:
    uc = mk_model(model, ())
    attempt(name + " ctl_get_cpu_model", uc.ctl_get_cpu_model)
    for reg, key, everywhere in ID_REGS:
        if everywhere or name != "MAX":
            attempt(f"{name} CP_REG {reg}", lambda: uc.reg_read(UC_ARM64_REG_CP_REG, key))
    for reg, (crn, crm, op0, op1, op2), everywhere in ID_REGS:
        if not everywhere and name == "MAX":
            continue
        uc = mk_model(model, (mrs(op0, op1, crn, crm, op2),))
        uc.reg_write(UC_ARM64_REG_X2, 0xDEAD)
        run(f"{name} mrs {reg}", uc, CODE, CODE + 4)
        print("   x2 =", hex(uc.reg_read(UC_ARM64_REG_X2)))

# the whole ID space (op0 3, op1 0, CRn 0, CRm 0-7, op2 0-7) through CP_REG: what the
# Cortex models define, and zero for the rest, as Unicorn's (MAX: tcgkit's own features)
for name, model in MODELS:
    if name == "MAX":
        continue
    uc = mk_model(model, ())
    space = [
        uc.reg_read(UC_ARM64_REG_CP_REG, (0, crm, 3, 0, op2))
        for crm in range(8)
        for op2 in range(8)
    ]
    print(name, "ID space", " ".join(f"{v:x}" for v in space))

for name, model in MODELS:
    for text, word in WORDS:
        uc = mk_model(model, (word,))
        uc.reg_write(UC_ARM64_REG_X0, 0x1234)
        uc.reg_write(UC_ARM64_REG_X1, DATA + 0x100)
        uc.reg_write(UC_ARM64_REG_X3, 0x3C00)
        uc.reg_write(UC_ARM64_REG_D1, 0x3FF8000000000000)
        uc.reg_write(UC_ARM64_REG_Q2, 0x0123456789ABCDEF_FEDCBA9876543210)
        run(f"{name} {text}", uc, CODE, CODE + 4)
        print(
            "   x2 =",
            hex(uc.reg_read(UC_ARM64_REG_X2)),
            "q0 =",
            hex(uc.reg_read(UC_ARM64_REG_Q0)),
            "nzcv =",
            hex(uc.reg_read(UC_ARM64_REG_NZCV)),
        )

# an undefined instruction under A72 reaches UC_HOOK_INTR as EXCP_UDEF, as an unknown word does
for text, word in (("ldadd", 0xF8200022), ("unallocated", 0x00000000)):
    uc = mk_model(UC_CPU_ARM64_A72, (word,))
    uc.hook_add(UC_HOOK_INTR, lambda uc, intno, data: (print("   intr", intno), uc.emu_stop()))
    run("A72 hooked " + text, uc, CODE, CODE + 4)

# when the model may change: before the engine is initialized only
for what, first in (
    ("fresh", lambda uc: None),
    ("after ctl_get_mode", lambda uc: uc.ctl_get_mode()),
    ("after ctl_set_cpu_model", lambda uc: uc.ctl_set_cpu_model(UC_CPU_ARM64_MAX)),
    ("after ctl_exits_enabled", lambda uc: uc.ctl_exits_enabled(True)),
    ("after ctl_get_cpu_model", lambda uc: uc.ctl_get_cpu_model()),
    ("after ctl_get_page_size", lambda uc: uc.ctl_get_page_size()),
    ("after query", lambda uc: uc.query(UC_QUERY_MODE)),
    ("after reg_read", lambda uc: uc.reg_read(UC_ARM64_REG_X0)),
    ("after mem_map", lambda uc: uc.mem_map(0, 0x1000)),
    ("after hook_add", lambda uc: uc.hook_add(UC_HOOK_CODE, lambda *a: None)),
):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    first(uc)
    attempt("set A53 " + what, lambda: uc.ctl_set_cpu_model(UC_CPU_ARM64_A53))
    attempt("   then the model", uc.ctl_get_cpu_model)
for bad in (4, 17, -1):
    attempt(f"set model {bad}", lambda: Uc(UC_ARCH_ARM64, UC_MODE_ARM).ctl_set_cpu_model(bad))
uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM, UC_CPU_ARM64_A53)
attempt("Uc(..., cpu=A53)", uc.ctl_get_cpu_model)
