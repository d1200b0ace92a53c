"""``tcgkit._bundle``: which distributions the one-group build may serve.

A fake bundle (a manifest and empty extension files) and fake installed packages
in a temporary directory: a distribution is served only when every source it was
built from is installed unchanged, and plugins only with the core.
"""

from __future__ import annotations

import sys
import zlib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest
from tcgkit import _bundle

SUFFIX = EXTENSION_SUFFIXES[0]
SOURCES = {
    "fakecore": {"tcg/ir.py": b"x = 1\n", "exec/loop.py": b"y = 2\n"},
    "fakeplugin": {"target.py": b"z = 3\n"},
}


def _bundle_at(root: Path, suffix: str = SUFFIX) -> Path:
    """A bundle built from SOURCES; the installed packages under root/site."""
    bundle = root / "bundle"
    lines = ["# fake bundle"]
    for package, files in SOURCES.items():
        for source, text in files.items():
            module = f"{package}.{source[:-3].replace('/', '.')}"
            lib = f"{package}/{source[:-3]}{suffix}"
            (bundle / "lib" / lib).parent.mkdir(parents=True, exist_ok=True)
            (bundle / "lib" / lib).write_bytes(b"")
            lines.append(f"{module} {lib} {source} {zlib.crc32(text):08x}-{len(text)}")
            installed = root / "site" / package / source
            installed.parent.mkdir(parents=True, exist_ok=True)
            installed.write_bytes(text)
        (root / "site" / package / "__init__.py").write_bytes(b"")
    (bundle / "manifest.txt").write_text("\n".join(lines) + "\n")
    return bundle


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return tmp_path


def test_matching_sources_are_served_core_and_plugin(site: Path) -> None:
    bundle = _bundle_at(site)
    served, paths = _bundle.plan("fakecore", str(site / "site" / "fakecore"), str(bundle))
    assert served == ["fakecore", "fakeplugin"]
    assert set(paths) == {"fakecore.tcg.ir", "fakecore.exec.loop", "fakeplugin.target"}
    assert paths["fakeplugin.target"] == str(bundle / "lib" / "fakeplugin" / f"target{SUFFIX}")


def test_a_changed_plugin_source_falls_back_for_that_plugin_only(site: Path) -> None:
    bundle = _bundle_at(site)
    (site / "site" / "fakeplugin" / "target.py").write_bytes(b"z = 4\n")
    served, paths = _bundle.plan("fakecore", str(site / "site" / "fakecore"), str(bundle))
    assert served == ["fakecore"]
    assert "fakeplugin.target" not in paths


def test_a_changed_core_source_serves_nothing(site: Path) -> None:
    bundle = _bundle_at(site)
    (site / "site" / "fakecore" / "exec" / "loop.py").write_bytes(b"y = 3\n")
    assert _bundle.plan("fakecore", str(site / "site" / "fakecore"), str(bundle)) == ([], {})


def test_missing_extensions_or_another_platform_serve_nothing(site: Path) -> None:
    bundle = _bundle_at(site, suffix=".cpython-311-riscv64-linux-gnu.so")
    assert _bundle.plan("fakecore", str(site / "site" / "fakecore"), str(bundle)) == ([], {})
    other = _bundle_at(site / "copy")
    (other / "lib" / "fakecore" / "tcg" / f"ir{SUFFIX}").unlink()
    core_dir = str(site / "copy" / "site" / "fakecore")
    assert _bundle.plan("fakecore", core_dir, str(other)) == ([], {})


def test_a_plugin_imported_before_the_core_keeps_its_own_modules(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _bundle_at(site)
    monkeypatch.setitem(sys.modules, "fakeplugin", sys)  # any module object
    served, paths = _bundle.plan("fakecore", str(site / "site" / "fakecore"), str(bundle))
    assert served == ["fakecore"]
    assert not any(m.startswith("fakeplugin") for m in paths)


def test_a_pure_bundle_serves_nothing(site: Path) -> None:
    bundle = site / "pure"
    bundle.mkdir()
    assert _bundle.plan("fakecore", str(site / "site"), str(bundle)) == ([], {})


def test_this_process_serves_the_installed_bundle_or_nothing() -> None:
    """In an environment with tcgkit-bundle installed from these sources (tox's full),
    the core's compiled code is the bundle's group and never the wheel's own (a module
    imported by compiled code of its group carries the path its wheel would give it,
    so the group libraries loaded are what tells)."""
    import tcgkit.exec.loop  # noqa: F401  (compiled: the engine's loop)

    served = _bundle.status()
    if not served:
        assert "tcgkit_bundle__mypyc" not in sys.modules
        return
    assert served[0] == "tcgkit"
    assert "tcgkit_bundle__mypyc" in sys.modules
    for package in served:
        assert f"{package}_compiled__mypyc" not in sys.modules, package
