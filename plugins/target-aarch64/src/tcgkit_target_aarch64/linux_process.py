"""The AArch64 part of a Linux process: pointer authentication keys and BTI.

Owns ``AArch64ProcessHooks`` (``LinuxABI.process``), what the arm64 kernel sets up
for a user process beyond the registers (and what qemu-aarch64 does alike):

* at start (and execve, which starts a new ``tcgkit run``), when the CPU model has
  pointer authentication: five random keys (os.urandom: APIAKey, APIBKey, APDAKey,
  APDBKey, APGAKey), SCTLR_EL1.EnIA/EnIB/EnDA/EnDB set, TCR_EL1 as Linux's (48-bit
  addresses, the top byte ignored in the lower half); AT_HWCAP then advertises PACA
  and PACG. With BTI: SCTLR_EL1.BT0 set and HWCAP2_BTI advertised. fork keeps the
  keys (the host process is copied), a thread starts with its creator's (its
  registers are a copy);
* prctl PR_PAC_RESET_KEYS (new random keys for the calling thread, all or those
  named); PR_PAC_SET_ENABLED_KEYS and PR_PAC_GET_ENABLED_KEYS are EINVAL, as
  qemu-aarch64 7.2 answers them (SCTLR_EL1's enables stay as set at start);
* guarded pages: mmap and mprotect with PROT_BTI, and the executable segments of an
  ELF file whose GNU property note has GNU_PROPERTY_AARCH64_FEATURE_1_BTI, are
  guarded (``trans_bti.GuardedPages`` of the target); a change drops the
  translations of the pages it touches, the first guarded page all of them
  (``trans_bti.branch_type``).

Nothing here runs for an emulator that is not a Linux process: Unicorn-like use
keeps SCTLR_EL1 and TCR_EL1 zero (keys disabled, no BTI), as Unicorn's max does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from tcgkit.linux.abi import ProcessHooks

from . import state as S
from .pac_qarma import TCR_LINUX

PROT_BTI: Final = 0x10
GNU_PROPERTY_AARCH64_FEATURE_1_AND: Final = 0xC0000000
FEATURE_1_BTI: Final = 1
HWCAP_PACA, HWCAP_PACG = 1 << 30, 1 << 31
HWCAP2_BTI: Final = 1 << 17
PR_PAC_RESET_KEYS: Final = 54
#: the prctl key bits (PR_PAC_APIAKEY ...), by key number (``state.KEY_NAMES``)
PR_PAC_KEYS: Final = (1, 2, 4, 8, 16)

EINVAL: Final = 22


def _target(emu: Any) -> Any:
    """The emulator's AArch64 target, or None for an object that only acts as an
    ``Emulator`` (as benchmarks' Unicorn adapter): nothing of this module then applies."""
    return getattr(getattr(emu, "engine", None), "target", None)


def _features(emu: Any) -> frozenset[str]:
    model = getattr(_target(emu), "cpu_model", None)
    return frozenset() if model is None else model.features


def _new_keys(emu: Any, mask: int) -> None:
    for i, name in enumerate(S.KEY_NAMES):
        if mask & PR_PAC_KEYS[i]:
            emu.reg_write(f"{name}keylo_el1", int.from_bytes(os.urandom(8), "little"))
            emu.reg_write(f"{name}keyhi_el1", int.from_bytes(os.urandom(8), "little"))


class AArch64ProcessHooks(ProcessHooks):
    """Pointer authentication and BTI as Linux gives a process (module docstring)."""

    def start(self, emu: Any) -> None:
        features = _features(emu)
        if not features & {"paca", "bti"}:
            return  # SCTLR_EL1 and TCR_EL1 stay zero: no keys, no BTI
        sctlr = 0
        if "paca" in features:
            _new_keys(emu, 0x1F if "pacg" in features else 0xF)
            sctlr |= S.SCTLR_EN_ALL
            emu.reg_write("tcr_el1", TCR_LINUX)
        if "bti" in features:
            sctlr |= S.SCTLR_BT0
        emu.reg_write("sctlr_el1", sctlr)

    def hwcaps(self, emu: Any, hwcap: int, hwcap2: int) -> tuple[int, int]:
        features = _features(emu)
        if "paca" in features and emu.reg_read("tcr_el1"):
            hwcap |= HWCAP_PACA | (HWCAP_PACG if "pacg" in features else 0)
        if "bti" in features and emu.reg_read("sctlr_el1") & S.SCTLR_BT0:
            hwcap2 |= HWCAP2_BTI
        return hwcap, hwcap2

    def prctl(self, emu: Any, option: int, args: tuple[int, ...]) -> int | None:
        if option != PR_PAC_RESET_KEYS or "paca" not in _features(emu):
            return None
        args = (*args, 0, 0, 0, 0)
        mask = args[0] & 0xFFFFFFFFFFFFFFFF
        if any(args[1:4]) or mask & ~0x1F:
            return -EINVAL
        _new_keys(emu, mask or 0x1F)
        return 0

    def set_prot(self, emu: Any, start: int, size: int, prot: int) -> None:
        if _target(emu) is None:
            return
        engine = emu.engine
        pages = engine.target.guarded
        guarded = bool(prot & PROT_BTI) and bool(emu.reg_read("sctlr_el1") & S.SCTLR_BT0)
        first = guarded and not pages
        if pages.set(start, start + size, guarded):
            if first:  # branches translated while none was guarded set no BTYPE
                engine.tb_flush()
            else:
                engine.invalidate_code(start, start + size, None)

    def elf_prot(self, properties: Mapping[int, int]) -> int:
        bti = properties.get(GNU_PROPERTY_AARCH64_FEATURE_1_AND, 0) & FEATURE_1_BTI
        return PROT_BTI if bti else 0
