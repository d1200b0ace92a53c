"""Unicorn 2.1's AArch64 constants: CPU models, register ids, hookable instructions.

Owns the ``UC_CPU_ARM64_*``, ``UC_ARM64_REG_*`` and ``UC_ARM64_INS_*`` names
scripts import with ``from unicorn.arm64_const import *``. Register ids come in
families numbered consecutively (B0-B31, D0-D31, ... V0-V31), declared below as
(family, first id, count) and defined in order; a test checks every name and
value against the installed ``unicorn`` package. Which of them tcgkit's AArch64
target serves, and how, is that target's ``unicorn_regs`` module.
"""


def _define(prefix: str, names: str, first: int = 0) -> None:
    for i, name in enumerate(names.split()):
        globals()[prefix + name] = first + i


_define("UC_CPU_ARM64_", "A57 A53 A72 MAX ENDING")

# -- registers ------------------------------------------------------------------------

_define("UC_ARM64_REG_", "INVALID X29 X30 NZCV SP WSP WZR XZR")

#: (family, id of register 0, how many): B0 is 8, ..., X28 is 227, V31 is 259
_FAMILIES = (
    ("B", 8, 32),
    ("D", 40, 32),
    ("H", 72, 32),
    ("Q", 104, 32),
    ("S", 136, 32),
    ("W", 168, 31),
    ("X", 199, 29),  # X29 and X30 are 1 and 2 (FP and LR), above
    ("V", 228, 32),
)
for _family, _first, _count in _FAMILIES:
    for _i in range(_count):
        globals()[f"UC_ARM64_REG_{_family}{_i}"] = _first + _i

# pseudo registers, then the system registers Unicorn names directly (deprecated in
# favour of UC_ARM64_REG_CP_REG), then FPCR/FPSR
_define(
    "UC_ARM64_REG_",
    "PC CPACR_EL1 TPIDR_EL0 TPIDRRO_EL0 TPIDR_EL1 PSTATE "
    "ELR_EL0 ELR_EL1 ELR_EL2 ELR_EL3 SP_EL0 SP_EL1 SP_EL2 SP_EL3 TTBR0_EL1 TTBR1_EL1 "
    "ESR_EL0 ESR_EL1 ESR_EL2 ESR_EL3 FAR_EL0 FAR_EL1 FAR_EL2 FAR_EL3 PAR_EL1 MAIR_EL1 "
    "VBAR_EL0 VBAR_EL1 VBAR_EL2 VBAR_EL3 CP_REG FPCR FPSR ENDING",
    260,
)

# aliases
UC_ARM64_REG_IP0 = UC_ARM64_REG_X16  # noqa: F821
UC_ARM64_REG_IP1 = UC_ARM64_REG_X17  # noqa: F821
UC_ARM64_REG_FP = UC_ARM64_REG_X29  # noqa: F821
UC_ARM64_REG_LR = UC_ARM64_REG_X30  # noqa: F821

# -- instructions UC_HOOK_INSN can name -----------------------------------------------

_define("UC_ARM64_INS_", "INVALID MRS MSR SYS SYSL ENDING")

del _define, _family, _first, _count, _i
