"""Unicorn's view of the AArch64 target (``tcgkit.unicorn``, UC_ARCH_ARM64).

Owns ``UNICORN``: how each of Unicorn's AArch64 register ids (``UC_ARM64_REG_*``)
reads and writes this target's CPU state (``state``), the coprocessor-register
tuple form ``(crn, crm, op0, op1, op2[, val])`` for the system registers this target
has, the modes and CPU models ``Uc(UC_ARCH_ARM64, mode, cpu)`` accepts, and where
Unicorn's rules differ from this target's own register names:

* W, S, H, B and D writes replace only their bits (W0 keeps X0's upper half, S0
  keeps the rest of Q0); NZCV keeps only bits 31-28; FPCR and FPSR keep the bits
  Unicorn's CPU models keep; XZR and WZR read 0 and ignore writes;
* a ``Uc`` starts with Z set (NZCV 0x40000000) and PSTATE's other bits at EL1h with
  DAIF masked (0x3c5), as Unicorn's AArch64 CPU does;
* registers this user-mode target does not have (CPACR_EL1, TPIDRRO_EL0,
  TPIDR_EL1, ELR/SP/ESR/FAR/VBAR_ELn, TTBRn_EL1, PAR_EL1, MAIR_EL1, PSTATE's bits
  other than NZCV) are *shadow* registers: kept by the ``Uc`` and its contexts,
  read back as written, never seen by guest code;
* an undefined instruction raises interrupt 1 (EXCP_UDEF) and an alignment fault
  interrupt 4 (EXCP_DATA_ABORT), with the pc at the instruction, as Unicorn does.

Imported only when a ``Uc`` of this arch is made, never by discovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from tcgkit.unicorn import arm64_const as A
from tcgkit.unicorn import unicorn_const as C
from tcgkit.unicorn.regs import (
    Bits,
    Custom,
    Reg,
    Shadow,
    ShadowReg,
    Slot,
    UnicornTarget,
    Words,
    Zero,
)

from . import state as S
from .cpu_models import MODELS

#: FPCR bits a write keeps: AHP DN FZ RMode Stride Len (and FZ16 on the max CPU)
_FPCR_MASK = 0x07F70000
_FPCR_MASK_MAX = 0x07FF0000
#: FPSR bits a write keeps: N Z C V QC IDC IXC UFC OFC DZC IOC
_FPSR_MASK = 0xF800009F
_NZCV_MASK = 0xF0000000
_PSTATE_RESET = 0x3C5  # EL1h, D A I F masked
_DAIF_MASK = 0x3C0
_SPSEL_MASK = 0x1


def _nzcv(words: Words, shadow: Shadow) -> int:
    n = words[S.SLOT_NF] >> 63 & 1
    z = int(words[S.SLOT_ZF] == 0)
    c = words[S.SLOT_CF] & 1
    v = words[S.SLOT_VF] >> 63 & 1
    return n << 31 | z << 30 | c << 29 | v << 28


def _set_nzcv(words: Words, shadow: Shadow, value: int) -> None:
    words[S.SLOT_NF] = 1 << 63 if value >> 31 & 1 else 0
    words[S.SLOT_ZF] = 0 if value >> 30 & 1 else 1
    words[S.SLOT_CF] = value >> 29 & 1
    words[S.SLOT_VF] = 1 << 63 if value >> 28 & 1 else 0


def _pstate(words: Words, shadow: Shadow) -> int:
    return _nzcv(words, shadow) | shadow.get("pstate", _PSTATE_RESET)


def _set_pstate(words: Words, shadow: Shadow, value: int) -> None:
    _set_nzcv(words, shadow, value)
    shadow["pstate"] = value & ~_NZCV_MASK


def _low32(slot: int, mask: int) -> Custom:
    """A 32-bit control register in the low half of ``slot``; writes keep ``mask``."""

    def read(words: Words, shadow: Shadow) -> int:
        return words[slot] & 0xFFFFFFFF

    def write(words: Words, shadow: Shadow, value: int) -> None:
        words[slot] = value & mask

    return Custom(32, read, write)


_SHADOWED = [
    "CPACR_EL1",
    "TPIDRRO_EL0",
    "TPIDR_EL1",
    "ELR_EL0",
    "ELR_EL1",
    "ELR_EL2",
    "ELR_EL3",
    "SP_EL0",
    "SP_EL1",
    "SP_EL2",
    "SP_EL3",
    "TTBR0_EL1",
    "TTBR1_EL1",
    "ESR_EL0",
    "ESR_EL1",
    "ESR_EL2",
    "ESR_EL3",
    "FAR_EL0",
    "FAR_EL1",
    "FAR_EL2",
    "FAR_EL3",
    "PAR_EL1",
    "MAIR_EL1",
    "VBAR_EL0",
    "VBAR_EL1",
    "VBAR_EL2",
    "VBAR_EL3",
]


def _reg(name: str) -> int:
    return int(getattr(A, "UC_ARM64_REG_" + name))


def registers(cpu_model: int) -> dict[int, Reg]:
    """Register id -> accessor, for a CPU model (only FPCR's writable bits depend on it)."""
    regs: dict[int, Reg] = {}
    for i in range(31):
        regs[_reg(f"X{i}")] = Slot(i)
        regs[_reg(f"W{i}")] = Bits(8 * i, 32)
    regs[_reg("SP")] = Slot(S.SLOT_SP)
    regs[_reg("WSP")] = Bits(8 * S.SLOT_SP, 32)
    regs[_reg("XZR")] = Zero(64)
    regs[_reg("WZR")] = Zero(32)
    regs[_reg("PC")] = Slot(S.SLOT_PC)
    regs[_reg("NZCV")] = Custom(32, _nzcv, lambda w, s, v: _set_nzcv(w, s, v & _NZCV_MASK))
    regs[_reg("PSTATE")] = Custom(32, _pstate, _set_pstate)
    fpcr_mask = _FPCR_MASK_MAX if cpu_model == A.UC_CPU_ARM64_MAX else _FPCR_MASK
    regs[_reg("FPCR")] = _low32(S.SLOT_FPCR, fpcr_mask)
    regs[_reg("FPSR")] = _low32(S.SLOT_FPSR, _FPSR_MASK)
    regs[_reg("TPIDR_EL0")] = Slot(S.SLOT_TPIDR)
    for name in _SHADOWED:
        regs[_reg(name)] = ShadowReg(name.lower(), 32 if name == "CPACR_EL1" else 64)
    for i in range(32):
        off = 8 * (S.SLOT_V0 + 2 * i)
        regs[_reg(f"Q{i}")] = regs[_reg(f"V{i}")] = Bits(off, 128)
        regs[_reg(f"D{i}")] = Slot(S.SLOT_V0 + 2 * i)
        regs[_reg(f"S{i}")] = Bits(off, 32)
        regs[_reg(f"H{i}")] = Bits(off, 16)
        regs[_reg(f"B{i}")] = Bits(off, 8)
    return regs


def _cp_regs(cpu_model: int) -> dict[tuple[int, ...], Reg]:
    """(crn, crm, op0, op1, op2) -> accessor, for the system registers served: those
    below, and the ID registers of the CPU model (MIDR_EL1..., the whole ID space: read
    as MRS reads them; a write is kept by the ``Uc`` and read back, as Unicorn does,
    unseen by MRS)."""
    r = registers(cpu_model)
    by_name = {
        # name: (op0, op1, crn, crm, op2), the order of the MRS/MSR encoding
        "NZCV": (3, 3, 4, 2, 0),
        "FPCR": (3, 3, 4, 4, 0),
        "FPSR": (3, 3, 4, 4, 1),
        "TPIDR_EL0": (3, 3, 13, 0, 2),
        "TPIDRRO_EL0": (3, 3, 13, 0, 3),
        "TPIDR_EL1": (3, 0, 13, 0, 4),
        "CPACR_EL1": (3, 0, 1, 0, 2),
        "ELR_EL1": (3, 0, 4, 0, 1),
        "SP_EL0": (3, 0, 4, 1, 0),
        "SP_EL1": (3, 4, 4, 1, 0),
        "TTBR0_EL1": (3, 0, 2, 0, 0),
        "TTBR1_EL1": (3, 0, 2, 0, 1),
        "ESR_EL1": (3, 0, 5, 2, 0),
        "FAR_EL1": (3, 0, 6, 0, 0),
        "PAR_EL1": (3, 0, 7, 4, 0),
        "MAIR_EL1": (3, 0, 10, 2, 0),
        "VBAR_EL1": (3, 0, 12, 0, 0),
    }
    ids = _MODEL_BY_UC[cpu_model].id_regs
    midr = ids.get((3, 0, 0, 0, 0), 0)
    # the whole ID space (op0 3, op1 0, CRn 0, CRm 0-7), zero where the model defines
    # nothing (as MRS reads it and Unicorn's CP_REG does), and the model's other ids
    space = {(3, 0, 0, crm, op2): 0 for crm in range(8) for op2 in range(8)}
    out: dict[tuple[int, ...], Reg] = {
        (crn, crm, op0, op1, op2): ShadowReg(f"id{op0}.{op1}.{crn}.{crm}.{op2}", 64, value)
        for (op0, op1, crn, crm, op2), value in {**space, **ids}.items()
    }
    out.update({(crn, crm, op0, op1, op2): r[_reg(name)]
                for name, (op0, op1, crn, crm, op2) in by_name.items()})  # fmt: skip
    # the system registers of EL1 and above guest code does not reach here (this
    # target runs EL0 code), kept by the ``Uc`` from Unicorn's reset values: its
    # CPUs start at EL1 with the MMU and caches off, SCTLR_ELx's RES1 bits set
    resets = {
        # (op0, op1, CRn, CRm, op2): reset value
        (3, 0, 1, 0, 0): _SCTLR_RESET,  # SCTLR_EL1
        (3, 6, 1, 0, 0): _SCTLR_RESET,  # SCTLR_EL3
        (3, 0, 2, 0, 2): 0,  # TCR_EL1
        (3, 0, 4, 0, 0): 0,  # SPSR_EL1
        (3, 0, 13, 0, 1): 0,  # CONTEXTIDR_EL1
        (3, 0, 14, 1, 0): 0,  # CNTKCTL_EL1
        (2, 0, 1, 1, 4): 0xA,  # OSLSR_EL1: OS lock implemented, locked
        (3, 3, 14, 0, 0): 62_500_000,  # CNTFRQ_EL0: the generic timer's 62.5 MHz
        (3, 4, 0, 0, 0): midr,  # VPIDR_EL2
        (3, 4, 0, 0, 5): 0x80000000,  # VMPIDR_EL2
        (3, 4, 14, 1, 0): 3,  # CNTHCTL_EL2: EL1 counter and timer access
    }
    out.update({(crn, crm, op0, op1, op2): ShadowReg(f"sys{op0}.{op1}.{crn}.{crm}.{op2}", 64, value)
                for (op0, op1, crn, crm, op2), value in resets.items()})  # fmt: skip
    # read-only ones: the cache geometry and the PMU, as the Cortex cores describe them
    a53 = cpu_model == A.UC_CPU_ARM64_A53
    constants = {
        (3, 1, 0, 0, 0): 0x700FE01A if a53 else 0x701FE00A,  # CCSIDR_EL1 (L1 data)
        (3, 1, 0, 0, 1): 0x0A200023,  # CLIDR_EL1
        (3, 3, 9, 12, 0): 0x2040 if cpu_model == A.UC_CPU_ARM64_MAX else 0x41002040,  # PMCR
        (3, 3, 9, 12, 6): 0x20001,  # PMCEID0_EL0
    }
    out.update({(crn, crm, op0, op1, op2): Custom(64, _constant(value), _ignore)
                for (op0, op1, crn, crm, op2), value in constants.items()})  # fmt: skip
    out[(4, 2, 3, 0, 0)] = _pstate_bits(_SPSEL_MASK)  # SPSel: PSTATE.SP
    out[(4, 2, 3, 3, 1)] = _pstate_bits(_DAIF_MASK)  # DAIF: PSTATE's D A I F
    return out


_SCTLR_RESET = 0x00C50838


def _constant(value: int) -> Callable[[Words, Shadow], int]:
    return lambda words, shadow: value


def _ignore(words: Words, shadow: Shadow, value: int) -> None:
    return None


def _pstate_bits(mask: int) -> Custom:
    """The bits ``mask`` of PSTATE (kept by the ``Uc``), as a system register."""

    def read(words: Words, shadow: Shadow) -> int:
        return shadow.get("pstate", _PSTATE_RESET) & mask

    def write(words: Words, shadow: Shadow, value: int) -> None:
        shadow["pstate"] = (shadow.get("pstate", _PSTATE_RESET) & ~mask) | (value & mask)

    return Custom(64, read, write)


#: UC_CPU_ARM64_* -> the target's model of the same name (``cpu_models``)
_MODEL_BY_UC = {m.unicorn_cpu: m for m in MODELS.values() if m.unicorn_cpu is not None}


class AArch64Methods:
    """What Unicorn's AArch64 ``Uc`` adds: the coprocessor registers by encoding."""

    def cpr_read(self: Any, op0: int, op1: int, crn: int, crm: int, op2: int) -> int:
        """The system register (op0, op1, crn, crm, op2), as ``reg_read(CP_REG, ...)``."""
        return int(self.reg_read(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2)))

    def cpr_write(self: Any, op0: int, op1: int, crn: int, crm: int, op2: int,
                  value: int) -> None:  # fmt: skip
        """Write the system register (op0, op1, crn, crm, op2)."""
        self.reg_write(A.UC_ARM64_REG_CP_REG, (crn, crm, op0, op1, op2, value))


class CpReg(NamedTuple):
    """What Unicorn's AArch64 bindings give a UC_HOOK_INSN callback for the system
    register (or SYS operation) and the value of Rt."""

    crn: int
    crm: int
    op0: int
    op1: int
    op2: int
    val: int


def _x_id(rt: int) -> int:
    """Unicorn's id of X``rt`` (X29 and X30 are FP and LR; 31 is XZR)."""
    if rt == 31:
        return A.UC_ARM64_REG_XZR
    return {29: A.UC_ARM64_REG_X29, 30: A.UC_ARM64_REG_X30}.get(rt, A.UC_ARM64_REG_X0 + rt)


def _insn_hook_args(rt: int, key: tuple[int, ...], value: int) -> tuple[int, CpReg]:
    """The target's HOOK_INSN call (Rt, (op0, op1, CRn, CRm, op2), Rt's value) as
    Unicorn's callback takes it: (reg, cp_reg)."""
    op0, op1, crn, crm, op2 = key
    return _x_id(rt), CpReg(crn, crm, op0, op1, op2, value)


UNICORN = UnicornTarget(
    arch=C.UC_ARCH_ARM64,
    # Unicorn's AArch64 modes, little-endian only (tcgkit's guest data is little-endian)
    modes=C.UC_MODE_THUMB
    | C.UC_MODE_MCLASS
    | C.UC_MODE_ARM926
    | C.UC_MODE_ARM946
    | C.UC_MODE_ARM1176,
    cpu_models={number: model.name for number, model in _MODEL_BY_UC.items()},
    default_cpu_model=A.UC_CPU_ARM64_A72,
    page_size=1024,  # Unicorn's AArch64 target pages (QEMU's ARM minimum)
    registers=registers,
    cp_reg=(A.UC_ARM64_REG_CP_REG, ("crn", "crm", "op0", "op1", "op2"), _cp_regs),
    reset={A.UC_ARM64_REG_NZCV: 0x40000000},
    undefined_intno=1,  # EXCP_UDEF
    unaligned_intno=4,  # EXCP_DATA_ABORT
    # numbered as the target's own HOOK_INSN ids (trans_sys_hooks: MRS 1 ... SYSL 4)
    insn_hooks=(A.UC_ARM64_INS_MRS, A.UC_ARM64_INS_MSR, A.UC_ARM64_INS_SYS, A.UC_ARM64_INS_SYSL),
    insn_hook_args=_insn_hook_args,
    methods=AArch64Methods,
)
