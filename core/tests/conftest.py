"""Fixtures for the core's tests: fake installed distributions and the CLI in a subprocess.

A "fake distribution" is what an installer leaves behind: a ``.dist-info``
folder (METADATA, entry_points.txt) next to the plugin's module, in a folder
that the subprocess gets on its ``PYTHONPATH``. importlib.metadata finds it
exactly as it finds a wheel installed by pip, so discovery is exercised for
real without touching the test environment itself.

The subprocess runs with ``-S`` (no site-packages) on top of a private
install of the core distribution alone, so plugins installed in the test
environment (the ``full`` tox environment installs all of them) stay out of
sight and "zero plugins" means zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from uv import find_uv_bin

CORE = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


class FakeSite:
    """A folder of fake installed distributions."""

    def __init__(self, root: Path, base: Path) -> None:
        self.root = root
        self.base = base

    def add(
        self,
        dist: str,
        modules: dict[str, str],
        entry_points: dict[str, str],
        version: str = "1.2.3",
    ) -> None:
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        eps = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[tcgkit]\n{eps}\n")

    def run(self, *args: str) -> CliResult:
        path = os.pathsep.join([str(self.root), str(self.base)])
        env = dict(os.environ, PYTHONPATH=path, PYTHONWARNINGS="default")
        proc = subprocess.run(
            [sys.executable, "-S", "-m", "tcgkit", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def core_only_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the core distribution and its dependencies, nothing else."""
    target = tmp_path_factory.mktemp("core-only")
    # Named in a requirements file, not on the command line: uv then reuses the wheel it
    # built for this environment (its cache keys: the sources, TCGKIT_BUILD) instead of
    # compiling the translator again.
    requirements = tmp_path_factory.mktemp("core-only-req") / "requirements.txt"
    requirements.write_text(f"{CORE}\n")
    subprocess.run(
        [find_uv_bin(), "pip", "install", "--quiet", "--python", sys.executable,
         "--target", str(target), "-r", str(requirements)],
        check=True,
        timeout=600,
    )  # fmt: skip
    return target


@pytest.fixture
def site(tmp_path: Path, core_only_site: Path) -> FakeSite:
    return FakeSite(tmp_path, core_only_site)


#: A well-formed plugin providing one of each kind.
GOOD_PLUGIN = """
    from tcgkit import hookimpl

    class FakeHost:
        '''A host backend used only by tests.'''
        name = "fakehost"
        @classmethod
        def native_here(cls):
            return False
        @classmethod
        def features(cls):
            return {"widgets": True, "gadgets": False}

    class FakeTarget:
        '''A guest target used only by tests.'''
        name = "faketarget"

    class FakePolicy:
        '''A TB hash policy used only by tests.'''
        name = "fakepolicy"

    @hookimpl
    def tcgkit_host_backends(register):
        register(FakeHost)

    @hookimpl
    def tcgkit_guest_targets(register):
        register(FakeTarget)

    @hookimpl
    def tcgkit_tb_hash_policies(register):
        register(FakePolicy)
"""


@pytest.fixture
def good_plugin() -> str:
    """Source of a well-formed plugin module: fakehost, faketarget, fakepolicy."""
    return GOOD_PLUGIN
