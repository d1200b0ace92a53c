"""A separately built and installed distribution is discovered and selectable.

The test-only distribution ``tests/distributions/tcgkit-toy-tbhash`` is built
into a wheel and installed into a scratch folder (never into the test
environment), and a fresh interpreter with that folder on its path finds it
through the entry point: nothing in the core names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from uv import find_uv_bin

HERE = Path(__file__).parent
TOY = HERE / "distributions" / "tcgkit-toy-tbhash"


@pytest.fixture(scope="module")
def toy_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("toy-site")
    subprocess.run(
        [
            find_uv_bin(),
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--python",
            sys.executable,
            "--target",
            str(target),
            str(TOY),
        ],
        check=True,
        timeout=600,
    )
    return target


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_installed_third_party_plugin_is_listed(toy_site: Path) -> None:
    res = _run(toy_site, "-m", "tcgkit", "plugins", "--json")
    assert res.returncode == 0, res.stderr
    [toy] = [p for p in json.loads(res.stdout)["tb_hash"] if p["name"] == "toy-dict"]
    assert toy["distribution"] == "tcgkit-toy-tbhash"
    assert toy["version"] == "0.0.1"
    assert toy["class"] == "tcgkit_toy_tbhash.ToyDictPolicy"


def test_installed_third_party_plugin_is_selectable_and_works(toy_site: Path) -> None:
    program = (
        "from tcgkit.plugins import get_plugin_manager\n"
        "cls = get_plugin_manager().get('tb_hash', 'toy-dict')\n"
        "t = cls(15)\n"
        "tb = object()\n"
        "assert t.insert((0x1000, 0, 0, 0), tb) is tb\n"
        "assert t.lookup((0x1000, 0, 0, 0)) is tb\n"
        "assert t.remove((0x1000, 0, 0, 0), tb)\n"
        "assert t.lookup((0x1000, 0, 0, 0)) is None\n"
        "print(cls.__module__, t.stats()['lookups'])\n"
    )
    res = _run(toy_site, "-c", program)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["tcgkit_toy_tbhash", "2"]


def test_without_the_install_the_name_is_unknown(tmp_path: Path) -> None:
    res = _run(tmp_path, "-m", "tcgkit", "plugins", "tb_hash", "toy-dict")
    assert res.returncode == 2
    assert "no TB hash-table policy named 'toy-dict' is installed" in res.stderr
