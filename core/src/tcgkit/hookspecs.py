"""The plugin contract: every hook a tcgkit plugin may implement.

Owns the pluggy hook specifications of the project name ``tcgkit`` and the
markers plugins use (``tcgkit.hookimpl``). Nothing here runs a hook; the
plugin manager (``tcgkit.plugins``) and the memory API call them.

Two families of hooks:

* Provider hooks, called once when plugins are discovered. Each receives a
  ``register`` callable and calls it once per class it provides, so the
  manager knows which distribution provided what (the pattern of the ``llm``
  CLI). Names are unique per kind across every installed distribution.
* Memory-API listener hooks, called on every topology change of an address
  space: ``begin``, then one ``region_add`` / ``region_del`` / ``region_nop``
  per flat range of the diff between the old and the new FlatView, then
  ``commit``; ``address_space_created`` / ``address_space_destroyed`` around
  an address space's life. Installed plugins see every emulator; an object
  registered on one emulator (same method names without the ``tcgkit_memory_``
  prefix) sees only that emulator's address spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "tcgkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[type], None]


# -- providers ---------------------------------------------------------------


@hookspec
def tcgkit_host_backends(register: Register) -> None:
    """Called once at discovery: register(cls) for each host backend class provided."""


@hookspec
def tcgkit_guest_targets(register: Register) -> None:
    """Called once at discovery: register(cls) for each guest target class provided."""


@hookspec
def tcgkit_tb_hash_policies(register: Register) -> None:
    """Called once at discovery: register(cls) for each TB hash-table policy class provided."""


# -- memory-API listeners ----------------------------------------------------


@hookspec
def tcgkit_memory_address_space_created(address_space: Any) -> None:
    """Called after an address space is created, before its first topology commit."""


@hookspec
def tcgkit_memory_address_space_destroyed(address_space: Any) -> None:
    """Called when an address space is destroyed; no hook names it afterwards."""


@hookspec
def tcgkit_memory_begin(address_space: Any) -> None:
    """Called before the region_* calls of one topology update of an address space."""


@hookspec
def tcgkit_memory_region_add(address_space: Any, section: Any) -> None:
    """Called for a flat range present in the new view and not in the old one."""


@hookspec
def tcgkit_memory_region_del(address_space: Any, section: Any) -> None:
    """Called for a flat range present in the old view and not in the new one."""


@hookspec
def tcgkit_memory_region_nop(address_space: Any, section: Any) -> None:
    """Called for a flat range present, unchanged, in both the old and the new view."""


@hookspec
def tcgkit_memory_commit(address_space: Any) -> None:
    """Called after the region_* calls of one topology update; the new view is current."""
