"""What a guest target declares to be driven through ``tcgkit.unicorn``.

Owns the vocabulary a target plugin's Unicorn module (the module its
``GuestTarget.unicorn_regs`` names; by default ``unicorn_regs`` beside the
target's own module) describes itself with:

* ``UnicornTarget``: the arch's accepted modes, CPU models, register table (by
  CPU model), the coprocessor-register tuple form, the register values Unicorn
  resets differently from the target, the interrupt numbers Unicorn delivers for
  an undefined instruction and an alignment fault, the instructions
  ``UC_HOOK_INSN`` may name, and extra methods for ``Uc`` (e.g. ``cpr_read``);
* the register accessors, each saying how one Unicorn register id reads and writes
  the target's CPU state (8-byte little-endian slots, as ``tcgkit.exec.cpu``) and the
  ``Uc``'s *shadow* registers (those the target does not have: kept per ``Uc`` and in
  its contexts, with Unicorn's reset value, invisible to guest code).

Unicorn's write rules are the accessors' rules: a value is first taken modulo 2^64
(2^128 for 128-bit registers), as the ctypes of Unicorn's bindings do; a register
narrower than its slot replaces only its own bits (Unicorn's W, S, H, B and D
writes leave the rest of X or Q as it was).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, MutableMapping, MutableSequence
from typing import Any

Words = MutableSequence[int]
Shadow = MutableMapping[str, int]

M64 = (1 << 64) - 1


class Reg:
    """How one Unicorn register id reads and writes the CPU state."""

    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def read(self, words: Words, shadow: Shadow) -> int:
        raise NotImplementedError

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        raise NotImplementedError


class Slot(Reg):
    """A 64-bit register that is one whole state slot (X, SP, PC, D's low half...)."""

    __slots__ = ("slot",)

    def __init__(self, slot: int) -> None:
        super().__init__(64)
        self.slot = slot

    def read(self, words: Words, shadow: Shadow) -> int:
        return words[self.slot]

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        words[self.slot] = value & M64


class Bits(Reg):
    """``bits`` at byte ``offset`` of the state; a write replaces those bits only."""

    __slots__ = ("offset",)

    def __init__(self, offset: int, bits: int) -> None:
        super().__init__(bits)
        self.offset = offset

    def read(self, words: Words, shadow: Shadow) -> int:
        return read_bits(words, self.offset, self.bits)

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        write_bits(words, self.offset, self.bits, value)


class Zero(Reg):
    """Reads as zero, ignores writes (XZR, WZR)."""

    __slots__ = ()

    def read(self, words: Words, shadow: Shadow) -> int:
        return 0

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        return None


class ShadowReg(Reg):
    """A register the target does not have: kept by the ``Uc`` under ``key``."""

    __slots__ = ("key", "reset")

    def __init__(self, key: str, bits: int = 64, reset: int = 0) -> None:
        super().__init__(bits)
        self.key = key
        self.reset = reset

    def read(self, words: Words, shadow: Shadow) -> int:
        return shadow.get(self.key, self.reset)

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        shadow[self.key] = value & ((1 << self.bits) - 1)


class Custom(Reg):
    """A register with rules of its own: ``read(words, shadow)`` and
    ``write(words, shadow, value)`` (the value already taken modulo 2^bits)."""

    __slots__ = ("_read", "_write")

    def __init__(self, bits: int, read: Callable[[Words, Shadow], int],
                 write: Callable[[Words, Shadow, int], None]) -> None:  # fmt: skip
        super().__init__(bits)
        self._read = read
        self._write = write

    def read(self, words: Words, shadow: Shadow) -> int:
        return self._read(words, shadow)

    def write(self, words: Words, shadow: Shadow, value: int) -> None:
        self._write(words, shadow, value & ((1 << self.bits) - 1))


def read_bits(words: Words, offset: int, bits: int) -> int:
    """The little-endian value of ``bits`` (a multiple of 8) at byte ``offset``."""
    value = 0
    shift = 0
    nbytes = bits // 8
    while nbytes:
        slot, sub = divmod(offset, 8)
        n = min(nbytes, 8 - sub)
        value |= ((words[slot] >> (8 * sub)) & ((1 << (8 * n)) - 1)) << shift
        shift += 8 * n
        offset += n
        nbytes -= n
    return value


def write_bits(words: Words, offset: int, bits: int, value: int) -> None:
    """Store the low ``bits`` of ``value`` at byte ``offset``, leaving the other bytes."""
    nbytes = bits // 8
    while nbytes:
        slot, sub = divmod(offset, 8)
        n = min(nbytes, 8 - sub)
        mask = ((1 << (8 * n)) - 1) << (8 * sub)
        words[slot] = (words[slot] & ~mask & M64) | ((value << (8 * sub)) & mask)
        value >>= 8 * n
        offset += n
        nbytes -= n


#: a target's coprocessor registers by key: one mapping, or one per CPU model
CpRegs = Mapping[tuple[int, ...], Reg] | Callable[[int], Mapping[tuple[int, ...], Reg]]


class UnicornTarget:
    """A guest target's Unicorn identity (the ``UNICORN`` of its Unicorn module).

    * ``modes``: the mode bits ``Uc(arch, mode)`` accepts (others: UC_ERR_MODE);
    * ``cpu_models`` and ``default_cpu_model``: the UC_CPU_* numbers accepted by
      ``Uc(..., cpu)`` and ``ctl_set_cpu_model``, and the one a ``Uc`` gets without;
      a mapping gives each number the name of the target's CPU model
      (``GuestTarget.cpu_models``) the ``Uc``'s emulator then runs (a plain collection,
      or None for a number: the target's default model);
    * ``registers(model)``: register id -> ``Reg`` for that CPU model;
    * ``cp_reg``: (the id of the coprocessor-register pseudo register, the names of
      the key fields of its tuple form, key -> ``Reg`` or a function of the CPU model
      giving that mapping), or None; its reads take the key tuple (or the key and a
      value) as ``aux``, its writes the key and value;
    * ``reset``: register id -> value written when a ``Uc`` is made, where Unicorn's
      reset state differs from the target's;
    * ``undefined_intno``, ``unaligned_intno``: the interrupt Unicorn raises for an
      undefined instruction / an alignment fault (delivered to UC_HOOK_INTR hooks,
      UC_ERR_EXCEPTION without any), or None for UC_ERR_INSN_INVALID /
      UC_ERR_*_UNALIGNED;
    * ``insn_hooks``: the instruction ids UC_HOOK_INSN accepts (others: UC_ERR_ARG,
      as Unicorn's bindings), the target's HOOK_INSN ids too; ``insn_hook_args(rt,
      key, value)``: what a UC_HOOK_INSN callback gets between ``uc`` and
      ``user_data``, from what the target's HOOK_INSN call passes;
    * ``methods``: a class whose methods ``Uc`` objects of this arch also have;
    * ``page_size``: Unicorn's page size for the arch (the granule of ``mem_map``,
      ``mem_protect`` and ``mem_unmap``; at most the engine's 4 KiB page), or None
      for the target's page.
    """

    def __init__(
        self,
        *,
        arch: int,
        modes: int,
        cpu_models: Mapping[int, str | None] | Collection[int],
        default_cpu_model: int,
        registers: Callable[[int], Mapping[int, Reg]],
        cp_reg: tuple[int, tuple[str, ...], CpRegs] | None = None,
        reset: Mapping[int, int] | None = None,
        undefined_intno: int | None = None,
        unaligned_intno: int | None = None,
        insn_hooks: Collection[int] = (),
        insn_hook_args: Callable[[int, tuple[int, ...], int], tuple[Any, ...]] | None = None,
        methods: type | None = None,
        page_size: int | None = None,
    ) -> None:
        self.arch = arch
        self.modes = modes
        names = cpu_models if isinstance(cpu_models, Mapping) else dict.fromkeys(cpu_models)
        self.cpu_models = frozenset(names)
        self.cpu_model_names: Mapping[int, str | None] = dict(names)
        self.default_cpu_model = default_cpu_model
        self.registers = registers
        self.cp_reg = cp_reg
        self.reset = dict(reset or {})
        self.undefined_intno = undefined_intno
        self.unaligned_intno = unaligned_intno
        self.insn_hooks = frozenset(insn_hooks)
        self.insn_hook_args = insn_hook_args
        self.methods = methods
        self.page_size = page_size

    def __repr__(self) -> str:
        return f"UnicornTarget(arch={self.arch})"


__all__: list[Any] = [
    "Bits",
    "Custom",
    "Reg",
    "ShadowReg",
    "Slot",
    "UnicornTarget",
    "Zero",
    "read_bits",
    "write_bits",
]
