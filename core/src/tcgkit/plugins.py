"""Plugin discovery, the registry of what plugins provide, and selection by name.

Owns: loading every entry point of the group ``tcgkit`` as one pluggy plugin,
asking each plugin's provider hooks for the classes it provides, recording
each class under its kind and name together with the distribution that
provided it, and handing classes out by name with errors that say what is
installed and what to install. It never instantiates what it hands out and
knows nothing of emulation.

Rules (the contract of ``tcgkit plugins`` and of every selection by name):

* An entry point that fails to import, a provider hook that raises, or a
  registration that is not a proper plugin class produces a
  ``PluginLoadWarning`` naming the entry point, its distribution and the
  cause; every other plugin still loads.
* Two distributions registering the same name for the same kind is a clash:
  selecting that name raises ``PluginClashError`` naming both distributions,
  and ``tcgkit plugins`` reports it. Other names stay usable.
* Selecting a name that is not installed raises ``UnknownPluginError``
  listing the installed names of that kind and, where a first-party
  distribution provides that name, which one to install.
* Selecting a host backend by name that is installed but cannot execute on
  this machine (``native_here()`` is false) raises ``HostUnavailableError``
  naming the machine and the installed hosts that can; no backend is
  constructed.

The only module-level state is the cache of what discovery found
(``get_plugin_manager``), as the design allows; ``reset_plugin_manager``
drops it.

Discovery reads the entry points with ``tcgkit._entrypoints`` (the same
folders and rules as ``importlib.metadata``, without its import cost) and
falls back to ``importlib.metadata`` where that one could see more. Loading
an entry point imports the plugin's entry module only: a plugin keeps that
module and the classes it registers cheap to import (a host backend imports
its code generator when it is instantiated), since every tcgkit process
loads every installed plugin.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from . import _entrypoints, hookspecs
from ._collector import paused
from .errors import TcgkitError

if TYPE_CHECKING:
    import importlib.metadata as metadata

ENTRY_POINT_GROUP = "tcgkit"


class PluginError(TcgkitError):
    """Base class of the plugin manager's errors."""


class UnknownPluginError(PluginError, LookupError):
    """A plugin name was requested that no installed distribution provides."""


class PluginClashError(PluginError):
    """Two distributions registered the same name for the same kind."""


class HostUnavailableError(PluginError):
    """A host backend is installed but cannot execute on this machine."""

    def __init__(self, message: str, *, host: str, machine: str, runnable: list[str]) -> None:
        super().__init__(message)
        self.host = host
        self.machine = machine
        self.runnable = runnable


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the others were."""


class PluginKind:
    """One kind of thing plugins provide, declared as data.

    The records of this module are plain slotted classes, not dataclasses: every
    ``tcgkit`` process makes its classes at start-up, a dataclass costs ~0.5 ms."""

    __slots__ = ("first_party", "hook", "key", "plural", "required", "title")

    def __init__(self, key: str, title: str, plural: str, hook: str, required: tuple[str, ...],
                 first_party: Mapping[str, str]) -> None:  # fmt: skip
        self.key = key  # "host", "target", "tb_hash": the key in listings and JSON
        self.title = title  # "host backend": used in messages
        self.plural = plural  # "host backends"
        self.hook = hook  # provider hook name in hookspecs
        self.required = required  # attributes every registered class must have
        # name -> distribution, for the names that first-party distributions provide
        self.first_party = first_party

    def __repr__(self) -> str:
        return f"PluginKind({self.key!r})"


HOST = PluginKind(
    key="host",
    title="host backend",
    plural="host backends",
    hook="tcgkit_host_backends",
    required=("name", "native_here", "features"),
    first_party={
        "python": "tcgkit-host-python",
        "x86_64": "tcgkit-host-x86",
        "aarch64": "tcgkit-host-arm",
        "ppc64le": "tcgkit-host-ppc",
    },
)
TARGET = PluginKind(
    key="target",
    title="guest target",
    plural="guest targets",
    hook="tcgkit_guest_targets",
    required=("name",),
    first_party={"aarch64": "tcgkit-target-aarch64"},
)
TB_HASH = PluginKind(
    key="tb_hash",
    title="TB hash-table policy",
    plural="TB hash-table policies",
    hook="tcgkit_tb_hash_policies",
    required=("name",),
    first_party={
        "qht-dyn-nomru": "tcgkit-tbhash-qht",
        "qht-dyn-mru": "tcgkit-tbhash-qht",
        "qht-fixed-nomru": "tcgkit-tbhash-qht",
        "master": "tcgkit-tbhash-legacy",
        "xxhash": "tcgkit-tbhash-legacy",
        "xxhash-rcu": "tcgkit-tbhash-legacy",
    },
)
KINDS: tuple[PluginKind, ...] = (HOST, TARGET, TB_HASH)
KINDS_BY_KEY: Mapping[str, PluginKind] = {k.key: k for k in KINDS}

#: The host name that means "the native backend for this machine, else python".
AUTO_HOST = "auto"
PORTABLE_HOST = "python"


class PluginInfo:
    """One registered class: what it is, and where it came from."""

    __slots__ = ("distribution", "entry_point", "kind", "name", "obj", "version")

    def __init__(self, kind: PluginKind, name: str, obj: Any, distribution: str, version: str,
                 entry_point: str) -> None:  # fmt: skip
        self.kind = kind
        self.name = name
        self.obj = obj
        self.distribution = distribution
        self.version = version
        self.entry_point = entry_point

    def __repr__(self) -> str:
        return f"PluginInfo({self.kind.key}, {self.name!r}, from {self.distribution})"

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description; hosts add whether they run natively here."""
        out: dict[str, Any] = {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "entry_point": self.entry_point,
            "class": f"{self.obj.__module__}.{self.obj.__qualname__}",
            "summary": _first_line(self.obj.__doc__),
        }
        if self.kind is HOST:
            try:
                out["native"] = bool(self.obj.native_here())
                out["features"] = dict(self.obj.features())
            except Exception as exc:  # a broken probe must not hide the other plugins
                out["native"] = False
                out["features"] = {}
                out["error"] = f"{type(exc).__name__}: {exc}"
        return out


class _Source:
    """An entry point (or a directly registered module) that became a plugin."""

    __slots__ = ("distribution", "entry_point", "version")

    def __init__(self, entry_point: str, distribution: str, version: str) -> None:
        self.entry_point = entry_point
        self.distribution = distribution
        self.version = version


class PluginManager:
    """Discovers plugins and keeps what they registered, by kind and name."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.load_warnings: list[str] = []
        self._sources: dict[str, _Source] = {}
        # kind key -> name -> every PluginInfo registered under that name (>1 is a clash)
        self._registry: dict[str, dict[str, list[PluginInfo]]] = {k.key: {} for k in KINDS}

    # -- loading -------------------------------------------------------------

    @property
    def hook(self) -> Any:
        """pluggy's hook relay: ``hook.tcgkit_memory_region_add(...)`` calls every plugin."""
        return self.pm.hook

    def load_entry_points(
        self,
        entry_points: Iterable[metadata.EntryPoint | _entrypoints.EntryPoint] | None = None,
    ) -> None:
        """Load each entry point of the ``tcgkit`` group as a plugin, then collect."""
        if entry_points is None:
            entry_points = _entrypoints.find(ENTRY_POINT_GROUP)
        if entry_points is None:
            import importlib.metadata

            entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in entry_points:
            dist_name, version = _dist_of(ep)
            label = f"{ep.name} (from {dist_name} {version}: {ep.value})"
            try:
                module = ep.load()
            except Exception as exc:  # any failure of third-party code is reported, not fatal
                self._warn(f"tcgkit plugin {label} failed to import: {type(exc).__name__}: {exc}")
                continue
            self.add_plugin(module, entry_point=ep.name, distribution=dist_name, version=version)
        self.collect()

    def add_plugin(
        self, module: object, *, entry_point: str, distribution: str, version: str = ""
    ) -> None:
        """Register a plugin object directly (as pytest registers its built-ins)."""
        plugin_name = f"{distribution}:{entry_point}"
        try:
            self.pm.register(module, name=plugin_name)
        except ValueError as exc:
            self._warn(f"tcgkit plugin {plugin_name} was not registered: {exc}")
            return
        self._sources[plugin_name] = _Source(entry_point, distribution, version)

    def collect(self) -> None:
        """Call every provider hook of every plugin, one plugin at a time (idempotent)."""
        for kind in KINDS:
            caller = getattr(self.pm.hook, kind.hook)
            for impl in caller.get_hookimpls():
                source = self._sources.get(impl.plugin_name)
                if source is None:
                    continue
                register = functools.partial(self._register, kind, source)
                try:
                    impl.function(register=register)
                except Exception as exc:
                    self._warn(
                        f"tcgkit plugin {source.entry_point} (from {source.distribution}) "
                        f"raised in {kind.hook}: {type(exc).__name__}: {exc}"
                    )

    def _register(self, kind: PluginKind, source: _Source, obj: Any) -> None:
        missing = [a for a in kind.required if not hasattr(obj, a)]
        name = getattr(obj, "name", None)
        if missing or not isinstance(name, str) or not name:
            self._warn(
                f"tcgkit plugin {source.entry_point} (from {source.distribution}) registered "
                f"{obj!r} as a {kind.title} without a proper "
                f"{', '.join(missing) if missing else 'name'}; ignored"
            )
            return
        info = PluginInfo(kind, name, obj, source.distribution, source.version, source.entry_point)
        entries = self._registry[kind.key].setdefault(name, [])
        if any(e.obj is obj for e in entries):
            return
        entries.append(info)

    def _warn(self, message: str) -> None:
        self.load_warnings.append(message)
        warnings.warn(message, PluginLoadWarning, stacklevel=3)

    # -- queries -------------------------------------------------------------

    def names(self, kind: PluginKind | str) -> list[str]:
        """Installed names of a kind, sorted (clashing names included)."""
        return sorted(self._registry[_kind(kind).key])

    def infos(self, kind: PluginKind | str) -> list[PluginInfo]:
        """Every registration of a kind, clashes included, sorted by name."""
        reg = self._registry[_kind(kind).key]
        return [info for name in sorted(reg) for info in reg[name]]

    def clashes(self) -> list[PluginClashError]:
        """One error per (kind, name) that more than one distribution registered."""
        out = []
        for kind in KINDS:
            for name, entries in sorted(self._registry[kind.key].items()):
                if len(entries) > 1:
                    out.append(_clash_error(kind, name, entries))
        return out

    def get_info(self, kind: PluginKind | str, name: str) -> PluginInfo:
        """The registration of ``name``, or a clear error saying what to do."""
        kind = _kind(kind)
        entries = self._registry[kind.key].get(name)
        if not entries:
            raise UnknownPluginError(self._unknown_message(kind, name))
        if len(entries) > 1:
            raise _clash_error(kind, name, entries)
        return entries[0]

    def get(self, kind: PluginKind | str, name: str) -> Any:
        """The class registered as ``name`` for ``kind``."""
        return self.get_info(kind, name).obj

    def resolve_host(self, name: str = AUTO_HOST) -> str:
        """Map ``auto`` to the native backend for this machine if installed, else python;
        check that a host named explicitly is installed and can execute here."""
        if name != AUTO_HOST:
            info = self.get_info(HOST, name)
            if not _runs_here(info):
                raise self._unavailable(name)
            return name
        auto = self._auto_host()
        if auto is not None:
            return auto
        raise UnknownPluginError(
            "host 'auto' found no host backend that can run here: "
            + self._installed_phrase(HOST)
            + f"; install {HOST.first_party[PORTABLE_HOST]} for the portable one"
        )

    def _auto_host(self) -> str | None:
        for info in self.infos(HOST):
            unique = len(self._registry[HOST.key][info.name]) == 1
            if info.name != PORTABLE_HOST and unique and _runs_here(info):
                return info.name
        if PORTABLE_HOST in self._registry[HOST.key]:
            return PORTABLE_HOST
        return None

    def _unavailable(self, name: str) -> HostUnavailableError:
        from .native.features import machine as host_machine

        machine = host_machine() or "unknown"
        runnable = [
            i.name
            for i in self.infos(HOST)
            if len(self._registry[HOST.key][i.name]) == 1 and _runs_here(i)
        ]
        msg = f"host backend {name!r} cannot execute on this {machine} machine; "
        if runnable:
            auto = self._auto_host()
            msg += f"hosts that can: {', '.join(runnable)} (host 'auto' picks {auto})"
        else:
            msg += (
                "no installed host backend can; install "
                f"{HOST.first_party[PORTABLE_HOST]} for the portable one"
            )
        return HostUnavailableError(msg, host=name, machine=machine, runnable=runnable)

    def _installed_phrase(self, kind: PluginKind) -> str:
        infos = self.infos(kind)
        if not infos:
            return f"no {kind.title} is installed"
        listed = ", ".join(f"{i.name} ({i.distribution} {i.version})".rstrip() for i in infos)
        return f"installed {kind.plural}: {listed}"

    def _unknown_message(self, kind: PluginKind, name: str) -> str:
        msg = f"no {kind.title} named {name!r} is installed; " + self._installed_phrase(kind)
        dist = kind.first_party.get(name)
        if dist is not None:
            msg += f". {name!r} is provided by the distribution {dist}: pip install {dist}"
        else:
            known = ", ".join(f"{n} ({d})" for n, d in sorted(kind.first_party.items()))
            msg += f". First-party {kind.plural} and their distributions: {known}"
        return msg


def _kind(kind: PluginKind | str) -> PluginKind:
    if isinstance(kind, PluginKind):
        return kind
    try:
        return KINDS_BY_KEY[kind]
    except KeyError:
        raise UnknownPluginError(
            f"no plugin kind {kind!r}; kinds are {', '.join(KINDS_BY_KEY)}"
        ) from None


def _clash_error(kind: PluginKind, name: str, entries: list[PluginInfo]) -> PluginClashError:
    who = " and ".join(
        f"{e.distribution} {e.version} (entry point {e.entry_point})".replace("  ", " ")
        for e in entries
    )
    return PluginClashError(
        f"{kind.title} name {name!r} is registered by more than one distribution: {who}; "
        "uninstall one of them"
    )


def _dist_of(ep: metadata.EntryPoint | _entrypoints.EntryPoint) -> tuple[str, str]:
    if isinstance(ep, _entrypoints.EntryPoint):
        return ep.distribution, ep.version
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown distribution>", ""
    return dist.metadata["Name"] or dist.name, dist.version or ""


def _runs_here(info: PluginInfo) -> bool:
    """Whether a host backend can execute on this machine (a probe that fails: no)."""
    try:
        return bool(info.obj.native_here())
    except Exception:  # a broken probe is reported by ``describe``; here it only disqualifies
        return False


def _first_line(doc: object) -> str:
    """The summary line of a docstring (a class's ``__doc__`` need not be a string)."""
    return doc.strip().split("\n", 1)[0] if isinstance(doc, str) else ""


@functools.cache
def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager: discovery runs once, on first use."""
    manager = PluginManager()
    with paused():  # every plugin's modules load here
        manager.load_entry_points()
    return manager


def reset_plugin_manager() -> None:
    """Forget what discovery found; the next ``get_plugin_manager`` discovers again."""
    get_plugin_manager.cache_clear()


def plugin_table(manager: PluginManager) -> dict[str, Any]:
    """Everything ``tcgkit plugins --json`` prints."""
    return {
        **{k.key: [i.describe() for i in manager.infos(k)] for k in KINDS},
        "clashes": [str(e) for e in manager.clashes()],
        "warnings": list(manager.load_warnings),
    }
