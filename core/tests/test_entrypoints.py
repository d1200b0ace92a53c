"""``tcgkit._entrypoints`` finds what ``importlib.metadata`` finds, or says it cannot."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest
from tcgkit import _entrypoints


def _dist(site: Path, folder: str, name: str, version: str, entry_points: str) -> None:
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
                                   "Name: not-a-header\n")  # fmt: skip
    (info / "entry_points.txt").write_text(entry_points)


def _as_metadata_sees_them(group: str) -> list[tuple[str, str, str, str]]:
    return [
        (ep.name, ep.value, ep.dist.metadata["Name"], ep.dist.version)
        for ep in importlib.metadata.entry_points(group=group)
    ]


def _found(group: str) -> list[tuple[str, str, str, str]]:
    found = _entrypoints.find(group)
    assert found is not None
    return [(ep.name, ep.value, ep.distribution, ep.version) for ep in found]


@pytest.fixture
def sites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    monkeypatch.setattr(sys, "path", [str(one), str(two), str(tmp_path / "missing")])
    return one, two


def test_same_entry_points_as_importlib_metadata(sites: tuple[Path, Path]) -> None:
    one, two = sites
    _dist(one, "Alpha_Dist-1.0.dist-info", "alpha-dist", "1.0",
          "# a comment\n[tcgkit]\nfirst = alpha_mod\n  second=alpha_mod:obj.attr [extra]\n\n"
          "[console_scripts]\nalpha = alpha_mod:main\n")  # fmt: skip
    _dist(one, "beta-2.0.dist-info", "beta", "2.0", "[console_scripts]\nbeta = b:main\n")
    # the same distribution further along sys.path: importlib.metadata takes the first
    _dist(two, "alpha_dist-0.9.dist-info", "alpha-dist", "0.9", "[tcgkit]\nold = old_mod\n")
    _dist(two, "gamma-3.egg-info", "gamma", "3", "[tcgkit]\ng = gamma_mod\n")
    want = _as_metadata_sees_them("tcgkit")
    assert _found("tcgkit") == want
    assert sorted(want) == [
        ("first", "alpha_mod", "alpha-dist", "1.0"),
        ("g", "gamma_mod", "gamma", "3"),
        ("second", "alpha_mod:obj.attr [extra]", "alpha-dist", "1.0"),
    ]
    assert _found("console_scripts") == _as_metadata_sees_them("console_scripts")


def test_load_imports_the_module_and_follows_the_attribute(sites) -> None:
    one, _ = sites
    (one / "ep_target_mod.py").write_text("class obj:\n    attr = 42\n")
    importlib.invalidate_caches()
    try:
        ep = _entrypoints.EntryPoint("x", "ep_target_mod:obj.attr [extra]", "d", "1")
        assert ep.load() == 42
        assert _entrypoints.EntryPoint("x", "ep_target_mod", "d", "1").load().obj.attr == 42
    finally:
        sys.modules.pop("ep_target_mod", None)
    with pytest.raises(ValueError, match="malformed"):
        _entrypoints.EntryPoint("x", "not a module", "d", "1").load()


def test_a_finder_with_distributions_of_its_own_means_ask_importlib_metadata(
    sites, monkeypatch
) -> None:
    class Finder:
        @staticmethod
        def find_distributions(context=None):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert _entrypoints.find("tcgkit") is None


def test_a_zip_or_an_egg_on_sys_path_means_ask_importlib_metadata(sites, tmp_path) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[tcgkit]\nz = zipped\n")
    sys.path.append(str(archive))
    assert _entrypoints.find("tcgkit") is None
    sys.path[-1] = str(tmp_path / "thing.egg")
    (tmp_path / "thing.egg").mkdir()
    assert _entrypoints.find("tcgkit") is None
