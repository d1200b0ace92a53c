"""Build hook of tcgkit's wheels: the translator's hot modules compiled by mypyc.

Owns the choice between a compiled and a pure wheel, and the compilation. The core
uses it, and so do distributions with translation code of their own (the x86-64
host, the python host, the aarch64 target), by pointing their hook's ``path``
here. Each says in its pyproject.toml::

    [tool.hatch.build.targets.wheel.hooks.custom]
    path = "hatch_build.py"              # or "../core/hatch_build.py"
    compile = ["pkg/mod.py", ...]        # under src/, compiled as one mypyc group
    group = "pkg_compiled"               # names the group's runtime library
    types-from = ["../core/src"]         # optional: packages read for types only
    mypy-args = ["--disable-error-code=attr-defined"]   # optional

A hook may instead say ``bundle = ["../core", "../plugins/...", ...]``: the
modules every listed distribution compiles (its own ``compile`` list, read from its
pyproject.toml) are compiled together as the one group ``group``, so that calls
between them are native (across groups, mypyc goes through Python's generic
attribute and call protocol). The wheel then carries the group's library at the top
level, each module's extension under ``<package>/lib/<its path>`` (not where Python
would import it from) and ``<package>/manifest.txt``: per module, the extension, its
source path within its package, and a fingerprint (CRC-32 and length) of the source
it was built from.
``tcgkit._bundle`` serves these extensions only for distributions whose installed
sources are exactly those (the ``tcgkit-bundle`` distribution, ``bundle/``).

Invariants:
* The compiled modules are built from the very ``.py`` files the wheel also
  ships; the ``.py`` files stay in the wheel and are the fallback (Python
  imports an extension module before a source module of the same name, so
  an interpreter of another platform, or one where the ``.so`` is removed,
  runs the pure modules unchanged).
* Editable builds are never compiled: a ``.so`` next to a source file in the
  work tree would shadow the source being edited. Compilation happens in a
  temporary directory; nothing is written into ``src/``.
* ``TCGKIT_BUILD`` chooses: ``pure`` (no compilation: also what cross
  installs for another platform must use), ``compiled`` (compile or fail),
  unset or ``auto`` (compile when a C compiler is found, else a pure wheel
  with a message). It is one of the uv cache keys in ``pyproject.toml``, so
  a cached wheel of one kind is never reused for the other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MYPY = "mypy==2.4.1"  # mypyc ships with mypy; pinned so that a build is reproducible
MODES = ("auto", "pure", "compiled")

_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
GROUP, *paths = sys.argv[1:]
options = [a for a in paths if a.startswith("-")]
paths = [a for a in paths if not a.startswith("-")]
sys.argv[1:] = ["build_ext", "--build-lib", "out", "--build-temp", "tmp"]
setup(name="tcgkit-compiled", ext_modules=mypycify(
    ["--ignore-missing-imports", "--follow-imports=silent", *options, *paths],
    opt_level="3", group_name=GROUP))
"""


def build_mode() -> str:
    mode = os.environ.get("TCGKIT_BUILD", "auto") or "auto"
    if mode not in MODES:
        raise ValueError(f"TCGKIT_BUILD={mode!r}: use one of {', '.join(MODES)}")
    return mode


def have_compiler() -> bool:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None


class CompiledTranslatorHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    _work: Path | None = None  # the build directory, removed in finalize()

    def dependencies(self) -> list[str]:
        return [] if build_mode() == "pure" else [MYPY, "setuptools>=69"]

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        mode = build_mode()
        if mode == "pure":
            return
        if not have_compiler():
            if mode == "compiled":
                raise RuntimeError("TCGKIT_BUILD=compiled, but no C compiler is installed")
            self.app.display_warning("tcgkit: no C compiler; building the pure-Python wheel")
            return
        group: str = self.config["group"]
        root = Path(self.root)
        work = self._work = Path(tempfile.mkdtemp(prefix="tcgkit-mypyc-"))
        bundled = [root / d for d in self.config.get("bundle", [])]
        if bundled:
            modules, mypy_args = _bundle_sources(bundled, work)
        else:
            modules, mypy_args = list(self.config["compile"]), self.config.get("mypy-args", [])
        # mypy reads the packages the modules import for their types (ignoring ones
        # that are missing, as the core is when a plugin is built alone); only the
        # listed modules are compiled, the rest stays Python at run time
        for src in [root / "src", *(root / p for p in self.config.get("types-from", []))]:
            for pkg in src.iterdir() if src.is_dir() else ():
                if (pkg / "__init__.py").is_file() and not (work / pkg.name).exists():
                    shutil.copytree(pkg, work / pkg.name)
        proc = subprocess.run(
            [sys.executable, "-c", _SETUP, group, *mypy_args, *modules],
            cwd=work, capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            message = f"tcgkit: mypyc failed:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
            shutil.rmtree(work, ignore_errors=True)  # finalize does not run after a raise
            self._work = None
            if mode == "compiled":
                raise RuntimeError(message)
            self.app.display_warning(message + "\ntcgkit: building the pure-Python wheel")
            return
        out = work / "out"
        if bundled:
            package = self.config["package"]
            manifest = work / "manifest.txt"
            manifest.write_text(_bundle_manifest(out, work, modules, group))
            build_data["force_include"][str(manifest)] = f"{package}/manifest.txt"
            for lib in sorted(out.rglob("*.so")):
                rel = lib.relative_to(out)
                dest = str(rel) if len(rel.parts) == 1 else f"{package}/lib/{rel}"
                build_data["force_include"][str(lib)] = dest
        else:
            for lib in sorted(out.rglob("*.so")):
                build_data["force_include"][str(lib)] = str(lib.relative_to(out))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


def _bundle_sources(projects: list[Path], work: Path) -> tuple[list[str], list[str]]:
    """Copy the packages of ``projects`` (distribution folders) into ``work``; the
    modules they compile and their mypy arguments, all together."""
    import tomllib

    modules: list[str] = []
    args: list[str] = []
    for project in projects:
        meta = tomllib.loads((project / "pyproject.toml").read_text())
        hook = meta["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]
        modules += [m for m in hook["compile"] if m not in modules]
        args += [a for a in hook.get("mypy-args", []) if a not in args]
        for pkg in (project / "src").iterdir():
            if (pkg / "__init__.py").is_file() and not (work / pkg.name).exists():
                shutil.copytree(pkg, work / pkg.name, ignore=shutil.ignore_patterns("__pycache__"))
    return modules, args


def _bundle_manifest(out: Path, work: Path, modules: list[str], group: str) -> str:
    """One line per compiled module: its name, its extension under ``lib/``, its source
    path within its top-level package, and that source's fingerprint (``_fingerprint``)."""

    lines = [f"# tcgkit bundle: mypyc group {group}, {MYPY}"]
    for module in modules:
        source = work / module
        stem = module[: -len(".py")]
        [lib] = sorted(out.glob(f"{stem}.*.so"))
        name = stem.replace("/", ".")
        digest = _fingerprint(source.read_bytes())
        package_path = "/".join(Path(module).parts[1:])
        lines.append(f"{name} {lib.relative_to(out)} {package_path} {digest}")
    return "\n".join(lines) + "\n"


def _fingerprint(data: bytes) -> str:
    """CRC-32 and length of a source, as ``tcgkit._bundle`` computes them at start-up
    (zlib: no OpenSSL to load, about a third of a millisecond for every source)."""
    import zlib

    return f"{zlib.crc32(data):08x}-{len(data)}"
