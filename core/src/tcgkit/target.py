"""The guest target contract: what a target plugin implements.

Owns ``GuestTarget`` (the base class target plugins subclass and register
through ``tcgkit_guest_targets``), ``RegisterView`` (register names declared
as data), ``CPUModel`` (a CPU model a target offers: ``Emulator(target,
cpu=NAME)``) and ``DisasContext`` / ``DisasJump`` (the state of translating one
TB, shared by the core's translator loop and the target's decoder; defined in
``tcgkit.tcg.disas``, where the compiled translator builds it, and exported here).

A target instance belongs to one emulator. It:
* declares its CPU state size and register views (class attributes), and the CPU
  models it offers (``cpu_models``, ``default_cpu``); its instance is made for one
  model (``cpu_model``) and translates as that model does (an instruction the model
  lacks is refused as an unknown encoding is);
* defines its TCG globals once on the template context (``init_globals``);
* decodes one instruction at a time into IR (``translate_insn``), ending the
  TB itself on control flow (``dc.is_jmp = DisasJump.NORETURN``) and letting
  the core end it on size or page limits, in which case ``tb_stop`` emits the
  exit to the next pc;
* may raise ``InvalidInstructionError`` for anything it does not implement:
  never silent mis-execution;
* calls ``gen_op_hook`` where an instruction performs an operation that
  HOOK_TCG_OPCODE serves (a subtraction), with its operands.

The CPU state is an array of 8-byte little-endian slots (see
``tcgkit.exec.cpu``); register views address it by byte offset.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import InvalidArgumentError
from .tcg.context import TCGContext
from .tcg.disas import DisasContext, DisasJump
from .tcg.ir import Helper, Temp
from .tcg.types import I64, CallFlags

__all__ = ["CPUModel", "DisasContext", "DisasJump", "GuestTarget", "RegisterView", "gen_op_hook"]

if TYPE_CHECKING:
    from .exec.cpu import CPU


class RegisterView:
    """A register name: ``bits`` at byte ``offset`` of the CPU state.

    A write stores the value's low ``bits`` and zeroes the rest of the first
    ``clear_bytes`` bytes from ``offset`` (e.g. writing w0 zeroes x0's upper
    half: clear_bytes=8). Equal to another with the same three numbers.
    """

    __slots__ = ("bits", "clear_bytes", "offset")

    def __init__(self, offset: int, bits: int, clear_bytes: int = 0) -> None:
        self.offset = offset
        self.bits = bits
        self.clear_bytes = clear_bytes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegisterView):
            return NotImplemented
        return (self.offset, self.bits, self.clear_bytes) == (other.offset, other.bits,
                                                              other.clear_bytes)  # fmt: skip

    def __hash__(self) -> int:
        return hash((self.offset, self.bits, self.clear_bytes))

    def __repr__(self) -> str:
        return (f"RegisterView(offset={self.offset}, bits={self.bits}, "
                f"clear_bytes={self.clear_bytes})")  # fmt: skip


class CPUModel:
    """A CPU model a guest target offers (``GuestTarget.cpu_models``).

    ``name`` is how users spell it (``cortex-a72``; ``Emulator(target, cpu=name)``,
    ``tcgkit run --cpu name``); ``description`` one line for listings; ``features``
    the optional architecture features it implements, in the target's vocabulary
    (AArch64: the names of Linux's ``/proc/cpuinfo``); ``hwcap`` and ``hwcap2`` what
    Linux user mode puts in AT_HWCAP and AT_HWCAP2 for it (None: the target's
    ``linux_abi`` values). Targets subclass it to carry more (ID register values).
    Immutable; equal to another of the same class and name.
    """

    __slots__ = ("description", "features", "hwcap", "hwcap2", "name")
    name: str
    description: str
    features: frozenset[str]
    hwcap: int | None
    hwcap2: int | None

    def __init__(self, name: str, description: str, features: Iterable[str] = (), *,
                 hwcap: int | None = None, hwcap2: int | None = None) -> None:  # fmt: skip
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "features", frozenset(features))
        object.__setattr__(self, "hwcap", hwcap)
        object.__setattr__(self, "hwcap2", hwcap2)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CPUModel {self.name!r} is immutable")

    def has(self, feature: str) -> bool:
        """Whether the model implements ``feature``."""
        return feature in self.features

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CPUModel):
            return NotImplemented
        return type(self) is type(other) and self.name == other.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _op_hook(cpu: Any, pc: int, a: int, b: int, meta: int) -> None:
    cpu.pc = pc
    cpu.engine.fire_op_hooks(cpu, pc, meta & 0xFF, meta >> 8 & 0xFF, a, b, meta >> 16)


#: reads and writes every global (CallFlags.NONE): the hooks may read registers
HELPER_OP_HOOK = Helper("tcg_op_hook", _op_hook, CallFlags.NONE, None, (I64, I64, I64, I64))


def gen_op_hook(dc: DisasContext, op: int, flags: int, a: Temp | int, b: Temp | int,
                bits: int) -> None:  # fmt: skip
    """Call the HOOK_TCG_OPCODE hooks covering the instruction being translated
    before it performs ``op`` (``hooks.TCG_OP_SUB``) on the i64 values ``a`` and ``b``
    (``bits``: the operation's width, 32 or 64; ``flags``: ``TCG_OP_FLAG_CMP`` when
    only the condition flags keep the result, ``TCG_OP_FLAG_DIRECT`` when it is the
    instruction's result, 0 for a step on the way). Emits nothing where no such hook
    is installed."""
    covers = dc.op_hooked
    pc = dc.insn_start_pc
    if covers is not None and covers(pc):
        dc.ctx.call(HELPER_OP_HOOK, None, pc, a, b, op | flags << 8 | bits << 16)


class GuestTarget(ABC):
    """Base class of guest targets (one instance per emulator)."""

    name: ClassVar[str]
    state_size: ClassVar[int]  # bytes, a multiple of 8
    pc_offset: ClassVar[int]  # byte offset of the pc slot
    registers: ClassVar[Mapping[str, RegisterView]]  # lower-case names
    page_bits: ClassVar[int] = 12
    max_insns: ClassVar[int] = 512  # per TB
    insn_size_max: ClassVar[int] = 4
    #: Unicorn's identity (``tcgkit.unicorn``): the UC_ARCH_* number this target
    #: emulates (None: not offered to Unicorn scripts), and the module whose
    #: ``UNICORN`` (a ``tcgkit.unicorn.regs.UnicornTarget``) maps Unicorn's register ids,
    #: modes and CPU models, imported when a ``Uc`` is made (None: ``unicorn_regs``
    #: beside the module defining the target class)
    unicorn_arch: ClassVar[int | None] = None
    unicorn_regs: ClassVar[str | None] = None
    #: the CPU models this target offers, by name (empty: one CPU, no names), and the
    #: one an emulator gets when none is named
    cpu_models: ClassVar[Mapping[str, CPUModel]] = MappingProxyType({})
    default_cpu: ClassVar[str | None] = None

    def __init__(self, cpu: str | None = None) -> None:
        self.helpers: list[Helper] = []
        #: the CPU model this instance emulates (None: the target offers none)
        self.cpu_model: CPUModel | None = self.find_cpu_model(cpu)

    @classmethod
    def find_cpu_model(cls, name: str | None) -> CPUModel | None:
        """The model called ``name`` (None: the default one, or None when the target
        offers no models); an unknown name is an ``InvalidArgumentError`` listing
        the known ones."""
        models = cls.cpu_models
        if name is None:
            return models[cls.default_cpu] if cls.default_cpu is not None else None
        model = models.get(name)
        if model is None:
            if not models:
                raise InvalidArgumentError(
                    f"guest target {cls.name} offers no CPU models (cpu={name!r}); "
                    "leave the CPU model out"
                )
            raise InvalidArgumentError(
                f"guest target {cls.name} has no CPU model {name!r}; its models are "
                f"{', '.join(sorted(models))} (default {cls.default_cpu})"
            )
        return model

    @abstractmethod
    def init_globals(self, ctx: TCGContext) -> None:
        """Define this target's TCG globals on the template context (called once)."""

    @abstractmethod
    def translate_insn(self, dc: DisasContext) -> None:
        """Decode the instruction at ``dc.pc`` (advancing it) and emit its IR."""

    @abstractmethod
    def tb_stop(self, dc: DisasContext) -> None:
        """Emit the TB's exit to ``dc.pc`` when the core ended it (DisasJump.TOO_MANY)."""

    #: where ``tb_flags`` comes from, for the inline jump-cache probe of native hosts:
    #: (byte offset of an 8-byte state slot, mask) when the flags are a function of
    #: ``slot & mask`` alone and cs_base is constant. None: the flags are constant
    #: (``tb_flags`` not overridden) or not expressible (native hosts then leave
    #: generated code to look up after indirect jumps).
    tb_flags_probe: ClassVar[tuple[int, int] | None] = None

    #: the byte offset of the 8-byte CPU-state word the IR's float ops OR the IEEE
    #: exception flags they raise into (``tcgkit.tcg.fpflags``' bits: AArch64's FPSR
    #: layout), or None: no op records them. Native hosts that keep the flags in a
    #: host register while in generated code fold them into this word before any
    #: Python code runs (an exit, a helper call), so a helper or ``reg_read`` sees them.
    fp_flags_offset: ClassVar[int | None] = None

    def tb_flags(self, cpu: CPU) -> tuple[int, int]:
        """(cs_base, flags): the CPU-mode part of the TB key (e.g. instruction set)."""
        return 0, 0

    def reset_cpu(self, cpu: CPU) -> None:
        """Put the CPU in its initial state (all zero unless overridden)."""
        return None

    def disassemble(self, code: bytes, pc: int) -> list[tuple[int, str]]:
        """(address, text) per guest instruction, for ``-d in_asm``. The default
        shows the raw bytes in ``insn_size_max`` chunks; targets override it
        (e.g. with capstone when it is installed)."""
        n = self.insn_size_max
        return [(pc + i, code[i : i + n].hex()) for i in range(0, len(code), n)]

    @classmethod
    def describe(cls) -> dict[str, Any]:
        out: dict[str, Any] = {"registers": len(cls.registers), "state_size": cls.state_size}
        if cls.cpu_models:
            out["cpu_models"] = sorted(cls.cpu_models)
            out["default_cpu"] = cls.default_cpu
        return out

    # -- registers -------------------------------------------------------------

    def reg_read(self, cpu: CPU, name: str) -> int:
        view = self._view(name)
        return cpu.read_state(view.offset, view.bits // 8)

    def reg_write(self, cpu: CPU, name: str, value: int) -> None:
        view = self._view(name)
        nbytes = view.bits // 8
        if not 0 <= value < 1 << view.bits and not -(1 << (view.bits - 1)) <= value < 0:
            raise ValueError(f"value {value:#x} does not fit register {name} ({view.bits} bits)")
        value &= (1 << view.bits) - 1
        if view.clear_bytes > nbytes:
            cpu.write_state(view.offset, view.clear_bytes, value)
        else:
            cpu.write_state(view.offset, nbytes, value)

    def _view(self, name: str) -> RegisterView:
        view = self.registers.get(name.lower())
        if view is None:
            raise KeyError(
                f"target {self.name} has no register {name!r}; "
                f"registers are e.g. {', '.join(list(self.registers)[:12])}, ..."
            )
        return view

    def release(self) -> None:
        """Free what this target allocated for its emulator (default: its helpers)."""
        self.helpers.clear()
