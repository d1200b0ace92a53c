"""Which installed guest target a ``Uc(arch, mode)`` runs on, and with what options.

Owns the lookup of a Unicorn architecture number among the installed guest targets
(through the plugin manager: the target class whose ``unicorn_arch`` is that
number; its Unicorn module, ``unicorn_regs`` unless it names another, describes it
as a ``regs.UnicornTarget``), and the tcgkit options a ``Uc`` takes as extra
keyword arguments or from the environment (the argument wins):

=============  ==============================  ===========================================
extra          environment variable            meaning
=============  ==============================  ===========================================
``host``       ``TCGKIT_UNICORN_HOST``         host backend (default ``auto``: the native
                                               one for this machine, else ``python``)
``tb_hash``    ``TCGKIT_UNICORN_TB_HASH``      TB hash-table policy (default qht-dyn-nomru)
``debug``      ``TCGKIT_UNICORN_DEBUG``        QEMU-style log categories (``in_asm,op``)
``tier_up``    ``TCGKIT_UNICORN_TIER_UP``      runs of a TB in the interpreter before it is
                                               compiled (0: compile at once)
``fetch_hooks`` ``TCGKIT_UNICORN_FETCH_HOOKS`` 1: fire UC_HOOK_MEM_FETCH hooks once per
                                               instruction (Unicorn 2.1 never fires them;
                                               default 0, as Unicorn)
=============  ==============================  ===========================================
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ..errors import InvalidArgumentError
from ..plugins import TARGET, PluginError, PluginManager, get_plugin_manager
from .errors import UcError
from .regs import UnicornTarget
from .unicorn_const import UC_ERR_ARCH

#: extra keyword -> (environment variable, parser of the variable's text)
OPTIONS: dict[str, tuple[str, Any]] = {
    "host": ("TCGKIT_UNICORN_HOST", str),
    "tb_hash": ("TCGKIT_UNICORN_TB_HASH", str),
    "debug": ("TCGKIT_UNICORN_DEBUG", str),
    "tier_up": ("TCGKIT_UNICORN_TIER_UP", int),
    "fetch_hooks": ("TCGKIT_UNICORN_FETCH_HOOKS", lambda text: text.strip() not in ("", "0")),
}

_specs: dict[type, UnicornTarget] = {}


def _candidates(pm: PluginManager) -> list[tuple[str, type]]:
    out = []
    for name in pm.names(TARGET):
        try:
            cls = pm.get(TARGET, name)
        except PluginError:  # a clash: that name cannot be selected
            continue
        if getattr(cls, "unicorn_arch", None) is not None:
            out.append((name, cls))
    return out


def find_target(arch: int, pm: PluginManager | None = None) -> tuple[str, type, UnicornTarget]:
    """(name, class, Unicorn description) of the installed target emulating ``arch``;
    ``UcError(UC_ERR_ARCH)`` when none does."""
    pm = pm or get_plugin_manager()
    for name, cls in _candidates(pm):
        if cls.unicorn_arch == arch:
            return name, cls, spec_of(cls)
    raise UcError(UC_ERR_ARCH)


def arch_supported(arch: int) -> bool:
    return any(cls.unicorn_arch == arch for _, cls in _candidates(get_plugin_manager()))


def spec_of(cls: type) -> UnicornTarget:
    """The ``UNICORN`` of a target class's Unicorn module (imported once)."""
    spec = _specs.get(cls)
    if spec is None:
        module = getattr(cls, "unicorn_regs", None)
        if module is None:
            module = cls.__module__.rpartition(".")[0] + ".unicorn_regs"
        spec = importlib.import_module(module).UNICORN
        if not isinstance(spec, UnicornTarget):
            raise TypeError(f"{module}.UNICORN is not a tcgkit.unicorn.regs.UnicornTarget")
        _specs[cls] = spec
    return spec


def resolve_options(extras: dict[str, Any]) -> dict[str, Any]:
    """The options of a ``Uc``: its extra keyword arguments, then the environment."""
    for name in extras:
        if name not in OPTIONS:
            known = ", ".join(OPTIONS)
            raise TypeError(f"Uc() got an unexpected keyword argument {name!r} (tcgkit's "
                            f"extras are {known})")  # fmt: skip
    out: dict[str, Any] = {}
    for name, (variable, parse) in OPTIONS.items():
        if extras.get(name) is not None:
            out[name] = extras[name]
            continue
        text = os.environ.get(variable)
        if text:
            try:
                out[name] = parse(text)
            except ValueError:
                raise InvalidArgumentError(
                    f"{variable}={text!r} is not a valid value for Uc's {name}"
                ) from None
    return out


__all__ = ["OPTIONS", "arch_supported", "find_target", "resolve_options", "spec_of"]
