"""The system registers through UC_ARM64_REG_CP_REG beyond the ID space: the ones of
EL1 and above a Uc starts with (SCTLR_EL1's reset value, the cache and PMU
descriptions, the timer frequency, DAIF as PSTATE holds it) on each CPU model,
writes read back, and what a register no one defines reads (the value the
request carries) and what an unknown register id does (0, writes ignored)."""

from uc_common import attempt
from unicorn import *
from unicorn.arm64_const import *

CP = UC_ARM64_REG_CP_REG
NAMED = {
    "SCTLR_EL1": (3, 0, 1, 0, 0),
    "SCTLR_EL3": (3, 6, 1, 0, 0),
    "TCR_EL1": (3, 0, 2, 0, 2),
    "SPSR_EL1": (3, 0, 4, 0, 0),
    "CONTEXTIDR_EL1": (3, 0, 13, 0, 1),
    "OSLSR_EL1": (2, 0, 1, 1, 4),
    "SPSel": (3, 0, 4, 2, 0),
    "DAIF": (3, 3, 4, 2, 1),
    "CCSIDR_EL1": (3, 1, 0, 0, 0),
    "CLIDR_EL1": (3, 1, 0, 0, 1),
    "PMCR_EL0": (3, 3, 9, 12, 0),
    "PMCEID0_EL0": (3, 3, 9, 12, 6),
    "CNTFRQ_EL0": (3, 3, 14, 0, 0),
    "VPIDR_EL2": (3, 4, 0, 0, 0),
    "VMPIDR_EL2": (3, 4, 0, 0, 5),
    "CNTHCTL_EL2": (3, 4, 14, 1, 0),
}


def key(name):
    op0, op1, crn, crm, op2 = NAMED[name]
    return (crn, crm, op0, op1, op2)


for model in (UC_CPU_ARM64_A53, UC_CPU_ARM64_A57, UC_CPU_ARM64_A72, UC_CPU_ARM64_MAX):
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM, model)
    print("model", model, " ".join(f"{n}={uc.reg_read(CP, key(n)):#x}" for n in NAMED))

uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
# writes: kept whole, kept in part (DAIF: its four bits), or ignored (read-only ones)
for name in ("SCTLR_EL1", "TCR_EL1", "CNTFRQ_EL0", "DAIF", "SPSel", "CLIDR_EL1", "PMCEID0_EL0"):
    attempt("write " + name, lambda: uc.reg_write(CP, (*key(name), 0x1234_5678_9ABC_DEF0)))
    attempt("  read " + name, lambda: uc.reg_read(CP, key(name)))
# DAIF is PSTATE's D, A, I and F
attempt("PSTATE after DAIF", lambda: uc.reg_read(UC_ARM64_REG_PSTATE))
uc.reg_write(UC_ARM64_REG_PSTATE, 0x3C5)
attempt("DAIF after PSTATE", lambda: uc.reg_read(CP, key("DAIF")))
attempt("cpr_read SCTLR_EL1", lambda: uc.cpr_read(3, 0, 1, 0, 0))
attempt("cpr_write SPSR_EL1", lambda: uc.cpr_write(3, 0, 4, 0, 0, 0x3C4))
attempt("cpr_read SPSR_EL1", lambda: uc.cpr_read(3, 0, 4, 0, 0))

# a key no CPU defines: the read gives back the request's value field, a write
# does nothing; a short tuple or a bare int is padded with zeros
attempt("undefined", lambda: uc.reg_read(CP, (15, 15, 3, 7, 7)))
attempt("undefined with value", lambda: uc.reg_read(CP, (15, 15, 3, 7, 7, 0x42)))
attempt("undefined write", lambda: uc.reg_write(CP, (15, 15, 3, 7, 7, 0x42)))
attempt("  read back", lambda: uc.reg_read(CP, (15, 15, 3, 7, 7)))
attempt("short tuple (SCTLR_EL1)", lambda: uc.reg_read(CP, (1, 0, 3)))
attempt("bare int", lambda: uc.reg_read(CP, 5))
attempt("no aux", lambda: uc.reg_read(CP))

# register ids Unicorn does not define: 0, writes ignored (and a warning on stderr)
for rid in (UC_ARM64_REG_INVALID, UC_ARM64_REG_ENDING, UC_ARM64_REG_ENDING + 7):
    attempt(f"id {rid}", lambda: uc.reg_read(rid))
    attempt(f"write id {rid}", lambda: uc.reg_write(rid, 5))
attempt("batch, an unknown id", lambda: uc.reg_read_batch([UC_ARM64_REG_X0, UC_ARM64_REG_ENDING]))
