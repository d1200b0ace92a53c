"""The example ELFs are what ``examples/build.sh`` makes of the committed sources
(once per suite: in the ``full`` environment, which runs every test under ``tests/``;
the per-host environments run ``test_examples.py``'s runs of the programs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_examples_are_built_from_their_sources(tmp_path: Path) -> None:
    """The committed binaries are what build.sh makes of the committed sources."""
    cc = shutil.which("aarch64-linux-gnu-gcc")
    if cc is None:
        pytest.skip("aarch64-linux-gnu-gcc is not installed (scripts/bootstrap installs it)")
    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work)
    subprocess.run([str(work / "build.sh")], check=True, capture_output=True, timeout=600)
    for program in [*(EXAMPLES / "bin").glob("*.elf"), *(EXAMPLES / "bin" / "linux").glob("*.elf")]:
        built = work / program.relative_to(EXAMPLES)
        assert built.read_bytes() == program.read_bytes(), program.name
