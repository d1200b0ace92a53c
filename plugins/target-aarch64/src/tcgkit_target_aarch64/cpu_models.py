"""The AArch64 target's CPU models: ``max`` and Cortex-A53, -A57 and -A72.

Owns ``MODELS`` (name -> ``A64CPUModel``), the feature vocabulary (``FEATURES``:
the names Linux's ``/proc/cpuinfo`` uses, with their AT_HWCAP / AT_HWCAP2 bits) and
each model's ID register values. What a model does with them lives elsewhere:
``decode.GATES`` refuses the instructions of a feature the model lacks (as an
unknown encoding), ``trans_dp.mrs`` reads the model's ``id_regs``, the Linux loader
puts its ``hwcap``/``hwcap2`` in the auxiliary vector, ``unicorn_regs`` maps
Unicorn's UC_CPU_ARM64_* numbers (``unicorn_cpu``) to the models.

* ``max`` is everything the target implements (as Unicorn's ``max`` CPU, QEMU 5's):
  the ID registers describe tcgkit's features as Linux's CPUID emulation shows them,
  MIDR_EL1 is QEMU's max (0x000f0510); AT_HWCAP / AT_HWCAP2 (``state.HWCAP``,
  ``state.HWCAP2``) advertise every feature but pointer authentication, which the
  target runs with the keys disabled, as Unicorn's max, not as Linux gives a process.
* ``cortex-a53``, ``cortex-a57``, ``cortex-a72``: Armv8.0 with the cryptographic
  extension (AES with PMULL, SHA1, SHA256) and CRC32, as QEMU's models (and so
  Unicorn 2.1.4's) have them; MIDR_EL1, REVIDR_EL1, MPIDR_EL1, the AArch32 and
  AArch64 ID registers, CTR_EL0 and DCZID_EL0 read what Unicorn 2.1.4 returns for
  the model (checked by experiment; the values are the cores' documented reset
  values that QEMU's target/arm/cpu64.c also gives).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from tcgkit.target import CPUModel

from . import state as S
from .trans_dp import READ_ONLY_IDS

#: feature -> (auxv word: 1 for AT_HWCAP, 2 for AT_HWCAP2, bit), as the kernel's
#: asm/hwcap.h numbers them; a feature with no bit is never advertised
FEATURES: Final = MappingProxyType({
    "fp": (1, 0), "asimd": (1, 1), "aes": (1, 3), "pmull": (1, 4), "sha1": (1, 5),
    "sha2": (1, 6), "crc32": (1, 7), "atomics": (1, 8), "fphp": (1, 9), "asimdhp": (1, 10),
    "cpuid": (1, 11), "asimdrdm": (1, 12), "jscvt": (1, 13), "fcma": (1, 14), "lrcpc": (1, 15),
    "dcpop": (1, 16), "sha3": (1, 17), "sm3": (1, 18), "sm4": (1, 19), "asimddp": (1, 20),
    "sha512": (1, 21), "asimdfhm": (1, 23), "ilrcpc": (1, 26), "flagm": (1, 27), "sb": (1, 29),
    "paca": (1, 30), "pacg": (1, 31),
    "dcpodp": (2, 0), "flagm2": (2, 7), "frint": (2, 8), "rng": (2, 16), "bti": (2, 17),
})  # fmt: skip

#: Armv8.0 with the cryptographic extension and CRC32 (CPUID: MRS of the ID registers
#: from EL0, as Linux emulates it and qemu-user advertises it for every model)
ARMV8_CRYPTO: Final = frozenset(("fp", "asimd", "aes", "pmull", "sha1", "sha2", "crc32", "cpuid"))
#: everything the target implements
MAX_FEATURES: Final = ARMV8_CRYPTO | frozenset((
    "atomics", "fphp", "asimdhp", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3",
    "sm3", "sm4", "asimddp", "sha512", "asimdfhm", "ilrcpc", "flagm", "sb", "paca", "pacg",
    "dcpodp", "flagm2", "frint", "rng", "bti",
))  # fmt: skip


def hwcaps(features: Iterable[str]) -> tuple[int, int]:
    """(AT_HWCAP, AT_HWCAP2) advertising ``features``."""
    words = [0, 0, 0]
    for name in features:
        word, bit = FEATURES[name]
        words[word] |= 1 << bit
    return words[1], words[2]


class A64CPUModel(CPUModel):
    """An AArch64 CPU model: its features, ID registers and Unicorn number.

    ``id_regs``: (op0, op1, CRn, CRm, op2) -> the value MRS reads (the registers of
    the ID space op0=3, op1=0, CRn=0, CRm=0 or 4..7 not listed read as zero, those of
    CRm 1..3 not listed are undefined);
    ``unicorn_cpu``: the UC_CPU_ARM64_* number of the same model, or None."""

    __slots__ = ("id_regs", "unicorn_cpu")
    id_regs: Mapping[tuple[int, int, int, int, int], int]
    unicorn_cpu: int | None

    def __init__(self, name: str, description: str, features: Iterable[str], *,
                 id_regs: Mapping[tuple[int, int, int, int, int], int],
                 unicorn_cpu: int | None, hwcap: int | None = None,
                 hwcap2: int | None = None) -> None:  # fmt: skip
        features = frozenset(features)
        unknown = features - FEATURES.keys()
        if unknown:
            raise ValueError(f"CPU model {name}: unknown features {sorted(unknown)}")
        if hwcap is None or hwcap2 is None:
            hwcap, hwcap2 = hwcaps(features)
        super().__init__(name, description, features, hwcap=hwcap, hwcap2=hwcap2)
        object.__setattr__(self, "id_regs", MappingProxyType(dict(id_regs)))
        object.__setattr__(self, "unicorn_cpu", unicorn_cpu)


MIDR: Final = (3, 0, 0, 0, 0)
REVIDR: Final = (3, 0, 0, 0, 6)
MPIDR: Final = (3, 0, 0, 0, 5)
CTR: Final = (3, 3, 0, 0, 1)
DCZID: Final = (3, 3, 0, 0, 7)
TPIDRRO: Final = (3, 3, 13, 0, 3)
ID_MMFR0: Final = (3, 0, 0, 1, 4)
ID_AA64MMFR0: Final = (3, 0, 0, 7, 0)

#: the ID registers Unicorn 2.1.4 reads alike on its Cortex-A53, -A57 and -A72
_CORTEX_IDS: Final = {
    MPIDR: 0x80000000,
    REVIDR: 0,
    (3, 0, 0, 1, 0): 0x00000131,  # ID_PFR0_EL1
    (3, 0, 0, 1, 1): 0x00011011,  # ID_PFR1_EL1
    (3, 0, 0, 1, 2): 0x03010066,  # ID_DFR0_EL1
    (3, 0, 0, 1, 5): 0x40000000,  # ID_MMFR1_EL1
    (3, 0, 0, 1, 6): 0x01260000,  # ID_MMFR2_EL1
    (3, 0, 0, 1, 7): 0x02102211,  # ID_MMFR3_EL1
    (3, 0, 0, 2, 0): 0x02101110,  # ID_ISAR0_EL1
    (3, 0, 0, 2, 1): 0x13112111,  # ID_ISAR1_EL1
    (3, 0, 0, 2, 2): 0x21232042,  # ID_ISAR2_EL1
    (3, 0, 0, 2, 3): 0x01112131,  # ID_ISAR3_EL1
    (3, 0, 0, 2, 4): 0x00011142,  # ID_ISAR4_EL1
    (3, 0, 0, 2, 5): 0x00011121,  # ID_ISAR5_EL1: AES+PMULL, SHA1, SHA2, CRC32
    (3, 0, 0, 3, 0): 0x10110222,  # MVFR0_EL1
    (3, 0, 0, 3, 1): 0x12111111,  # MVFR1_EL1
    (3, 0, 0, 3, 2): 0x00000043,  # MVFR2_EL1
    (3, 0, 0, 4, 0): 0x00002222,  # ID_AA64PFR0_EL1: EL0-EL3 AArch64 and AArch32, FP, AdvSIMD
    (3, 0, 0, 5, 0): 0x10305106,  # ID_AA64DFR0_EL1
    (3, 0, 0, 6, 0): 0x00011120,  # ID_AA64ISAR0_EL1: AES+PMULL, SHA1, SHA2, CRC32
    DCZID: 0x4,
    TPIDRRO: 0,
}


def _cortex(name: str, midr: int, unicorn_cpu: int, *, id_mmfr0: int, mmfr0: int,
            ctr: int) -> A64CPUModel:  # fmt: skip
    ids = dict(_CORTEX_IDS)
    ids.update({MIDR: midr, ID_MMFR0: id_mmfr0, ID_AA64MMFR0: mmfr0, CTR: ctr})
    description = f"Arm Cortex-A{name[-2:]}: Armv8.0 with AES, PMULL, SHA1, SHA256 and CRC32"
    return A64CPUModel(name, description, ARMV8_CRYPTO, id_regs=ids, unicorn_cpu=unicorn_cpu)


#: the models, by name; Unicorn's numbers: A57 0, A53 1, A72 2, MAX 3
MODELS: Final = MappingProxyType({
    "max": A64CPUModel("max", "every feature tcgkit implements (QEMU's and Unicorn's max)",
                       MAX_FEATURES, id_regs={**READ_ONLY_IDS, REVIDR: 0}, unicorn_cpu=3,
                       hwcap=S.HWCAP, hwcap2=S.HWCAP2),
    "cortex-a53": _cortex("cortex-a53", 0x410FD034, 1, id_mmfr0=0x10101105, mmfr0=0x1122,
                          ctr=0x84448004),
    "cortex-a57": _cortex("cortex-a57", 0x411FD070, 0, id_mmfr0=0x10101105, mmfr0=0x1124,
                          ctr=0x8444C004),
    "cortex-a72": _cortex("cortex-a72", 0x410FD083, 2, id_mmfr0=0x10201105, mmfr0=0x1124,
                          ctr=0x8444C004),
})  # fmt: skip
DEFAULT: Final = "max"

__all__ = ["DEFAULT", "FEATURES", "MODELS", "A64CPUModel", "hwcaps"]
