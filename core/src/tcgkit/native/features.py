"""The feature set a native host backend detects once and freezes.

Owns ``FeatureFlags``, the base of each host's ``HostFeatures``: a record of
booleans named by the subclass's ``__slots__`` (all false unless given), equal
and hashed by value, with ``without(names)`` (the same set with ``names``, or
``"all"``, forced off: the hosts' ``TCGKIT_*_DISABLE`` variables and tests of
the fallbacks) and ``as_dict()`` (what ``tcgkit plugins`` shows); and
``machine()``, the name of the machine, which a host's ``native_here`` compares;
and ``lowering_problem``, why a host refuses an optional op its features
decide (the same words from every host). Instances are
never changed after construction. A plain class rather than a dataclass: every
``tcgkit`` process imports each installed host's features, and making a
dataclass costs ~0.5 ms of start-up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

_F = TypeVar("_F", bound="FeatureFlags")


def lowering_problem(host: str, features: FeatureFlags, needs: str | None,
                     ins: Sequence[object]) -> str | None:  # fmt: skip
    """Why the ``host`` host cannot lower an optional op that needs the feature ``needs``
    (None: the host has no lowering of it) from the operands ``ins`` (registers are
    ints, immediates are not); None when it can."""
    if needs is None:
        return f"the {host} host cannot emit it"
    if not getattr(features, needs):
        return f"it needs the host feature {needs!r}"
    if any(not isinstance(x, int) for x in ins):
        return "operands must be in registers"
    return None


def machine() -> str:
    """The machine this process runs on as the kernel names it, lower case (``x86_64``,
    ``aarch64``, ``ppc64le``); ``platform.machine()`` without importing ``platform``."""
    return os.uname().machine.lower()


class FeatureFlags:
    """Booleans named by the subclass's ``__slots__``; ``ISA`` names the host in errors."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    ISA: ClassVar[str] = "host"

    def __init__(self, **flags: bool) -> None:
        unknown = set(flags) - set(self.__slots__)
        if unknown:
            raise TypeError(f"unknown {self.ISA} host features {sorted(unknown)}")
        for name in self.__slots__:
            object.__setattr__(self, name, bool(flags.get(name, False)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def without(self: _F, names: str | list[str] | tuple[str, ...]) -> _F:
        """These features with ``names`` (a list, or comma-separated, or ``"all"``) off."""
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        known = self.__slots__
        if "all" in names:
            names = list(known)
        unknown = set(names) - set(known)
        if unknown:
            raise ValueError(f"unknown {self.ISA} host features {sorted(unknown)}; "
                             f"known: {sorted(known)}")  # fmt: skip
        flags = self.as_flags()
        flags.update(dict.fromkeys(names, False))
        return type(self)(**flags)

    def as_flags(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in self.__slots__}

    def as_dict(self) -> dict[str, Any]:
        """What ``tcgkit plugins`` shows of the host (a subclass may add to it)."""
        return self.as_flags()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.as_flags() == other.as_flags()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.as_flags().values())))

    def __repr__(self) -> str:
        on = [name for name in self.__slots__ if getattr(self, name)]
        return f"{type(self).__name__}({', '.join(f'{n}=True' for n in on)})"
