"""Unicorn scripts run unchanged under ``tcgkit unicorn`` print what they print under
the real ``unicorn`` package.

Each script of ``scripts/`` (one concern each: emulation limits, faults, code and
block hooks, memory hooks, invalid-memory hooks, memory, MMIO, registers) imports
``unicorn`` as a Unicorn user writes it. It runs twice: as ``python SCRIPT``, with the
real package, and as ``python -m tcgkit.unicorn SCRIPT``, where ``import unicorn``
resolves to ``tcgkit.unicorn``, on the portable Python host and on the native x86-64
host. The outputs (registers, memory, hook call sequences, error codes) must be
equal line for line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit.plugins import get_plugin_manager

SCRIPTS = Path(__file__).parent / "scripts"
CORPUS = sorted(p.name for p in SCRIPTS.glob("*.py") if p.name != "uc_common.py")


def _hosts() -> list[str]:
    installed = set(get_plugin_manager().names("host"))
    return [h for h in ("python", "x86_64") if h in installed]


def _run(argv: list[str], **env: str) -> str:
    proc = subprocess.run(
        argv,
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def unicorn_output() -> dict[str, str]:
    """Each script's output under the real unicorn package, run once."""
    return {}


@pytest.mark.parametrize("host", _hosts())
@pytest.mark.parametrize("script", CORPUS)
def test_script_prints_what_it_prints_under_unicorn(
    script: str, host: str, unicorn_output: dict[str, str]
) -> None:
    if script not in unicorn_output:
        unicorn_output[script] = _run([sys.executable, script])
    expected = unicorn_output[script]
    got = _run([sys.executable, "-m", "tcgkit.unicorn", script], TCGKIT_UNICORN_HOST=host)
    assert got.splitlines() == expected.splitlines()
    assert len(expected.splitlines()) >= 10  # the script ran under Unicorn
