"""Serving the one-group build of the first-party translator (``tcgkit-bundle``).

Owns ``activate`` (run first by ``tcgkit/__init__``: find the bundle, check it
against the installed sources, put its finder first on ``sys.meta_path``) and
``status`` (what it serves, for ``stats()`` and ``tcgkit plugins``).

Why: each distribution compiles its own modules as its own mypyc group, and
mypyc calls from one group into another through Python's generic attribute and
call protocol (the aarch64 target building IR through the core's builders, the
engine calling the x86 host's lowering). The bundle compiles them all as one
group (``core/hatch_build.py``, ``bundle = [...]``), where those calls are native.

Invariants:

* a distribution's modules come from the bundle only if every one of them was
  built from the very source installed now (its CRC-32 and length in the bundle's
  manifest: a check against another version or an edit, not against tampering),
  and only if the core's do too (the bundle's modules of a plugin call the
  bundle's core natively: served with any other core, they would meet classes
  they cannot read);
* all of a distribution's compiled modules come from one place: the bundle
  skips a package of which a module was imported before ``activate`` ran (a
  plugin imported before ``tcgkit``);
* anything else falls back silently to what is installed (the distribution's
  own compiled modules, or its Python sources): another version, an editable
  install, a pure build of the bundle, or ``TCGKIT_BUNDLE=off``;
* nothing is imported from the bundle's package; reading the manifest and
  checking the sources (0.8 MB) costs about 1 ms of start-up (zlib's CRC-32:
  SHA-256 would load OpenSSL, 2 ms more).
"""

from __future__ import annotations

import os
import sys
import zlib
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec, PathFinder
from typing import Any

BUNDLE = "tcgkit_bundle"
_SUFFIX = EXTENSION_SUFFIXES[0]  # this interpreter's own tag: mypyc builds carry it


class _BundleFinder:
    """Finds the bundle's extension for the modules it serves, and nothing else (a
    meta path finder by its ``find_spec``: subclassing ``importlib.abc.MetaPathFinder``
    would import ``importlib.resources``, ~25 ms of every process's start-up)."""

    def __init__(self, paths: dict[str, str]) -> None:
        self.paths = paths

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        lib = self.paths.get(fullname)
        if lib is None:
            return None
        return ModuleSpec(fullname, ExtensionFileLoader(fullname, lib), origin=lib)


def _read_manifest(bundle_dir: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per top-level package: (module, extension path, source path in the package,
    fingerprint) of each module the bundle compiled."""
    try:
        with open(os.path.join(bundle_dir, "manifest.txt"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return {}  # a pure build: no extensions
    packages: dict[str, list[tuple[str, str, str, str]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        module, lib, source, digest = line.split()
        entry = (module, os.path.join(bundle_dir, "lib", lib), source, digest)
        packages.setdefault(module.partition(".")[0], []).append(entry)
    return packages


def _matches(package_dir: str, entries: list[tuple[str, str, str, str]]) -> bool:
    for _module, lib, source, digest in entries:
        try:
            with open(os.path.join(package_dir, source), "rb") as f:
                data = f.read()
        except OSError:
            return False
        if f"{zlib.crc32(data):08x}-{len(data)}" != digest:
            return False
        if not os.path.isfile(lib) or not lib.endswith(_SUFFIX):
            return False  # copied without its extensions, or built for another platform
    return True


def _package_dir(package: str) -> str | None:
    """Where ``package`` is installed, found without importing it."""
    spec = PathFinder.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(iter(spec.submodule_search_locations))


def plan(core_package: str, core_dir: str, bundle_dir: str) -> tuple[list[str], dict[str, str]]:
    """What the bundle in ``bundle_dir`` may serve: (the top-level packages, module name
    -> extension path); nothing unless the core's sources in ``core_dir`` match."""
    packages = _read_manifest(bundle_dir)
    core = packages.pop(core_package, None)
    if core is None or any(module in sys.modules for module, *_ in core):
        return [], {}  # none, or a compiled module of the core is loaded already
    if not _matches(core_dir, core):
        return [], {}
    served = [core_package]
    paths = {module: lib for module, lib, _source, _digest in core}
    for package, entries in packages.items():
        if package in sys.modules or any(m in sys.modules for m, *_ in entries):
            continue
        package_dir = _package_dir(package)
        if package_dir is not None and _matches(package_dir, entries):
            served.append(package)
            paths.update((module, lib) for module, lib, _source, _digest in entries)
    return served, paths


def activate(core_package: str, core_dir: str) -> list[str]:
    """Serve the bundle's modules for the installed distributions it matches; the
    top-level packages served (empty: none, the bundle is absent or does not match)."""
    if os.environ.get("TCGKIT_BUNDLE", "").lower() in ("off", "0", "no"):
        return []
    bundle_dir = _package_dir(BUNDLE)
    if bundle_dir is None:
        return []
    served, paths = plan(core_package, core_dir, bundle_dir)
    if paths:
        sys.meta_path.insert(0, _BundleFinder(paths))
        _SERVED[:] = served
    return served


#: the packages ``activate`` served (a cache of what the one discovery found)
_SERVED: list[str] = []


def status() -> list[str]:
    """The top-level packages whose compiled modules come from the bundle."""
    return list(_SERVED)
