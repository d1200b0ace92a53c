"""docs/a64-coverage.md is current, and the coverage script measures what it claims.

The table is regenerated in-process (a fraction of a second: every word is one
throw-away translation) and compared with the committed file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("capstone")
pytest.importorskip("tcgkit_target_aarch64")

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "a64_coverage.py"
DOC = REPO / "docs" / "a64-coverage.md"


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("a64_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("a64_coverage", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(coverage):
    return coverage.evaluate()


def _status(results, cls: str, mnemonic: str) -> str:
    for r in results:
        if r.name == cls:
            return r.insns[mnemonic].status
    raise KeyError(cls)


def test_doc_is_current(coverage, results):
    assert coverage.render(results) == DOC.read_text(), (
        "docs/a64-coverage.md is stale: rerun "
        "`.venv/bin/python scripts/a64_coverage.py > docs/a64-coverage.md`"
    )


@pytest.mark.parametrize(
    ("cls", "mnemonic"),
    [
        ("Add/subtract (immediate)", "ADD"),
        ("Load/store register (unsigned immediate)", "LDR"),
        ("Unconditional branch (immediate)", "B"),
        ("Advanced SIMD three same", "FADD"),
        ("Advanced SIMD across lanes", "ADDV"),
        ("Cryptographic AES", "AESE"),
        ("Data-processing (1 source)", "PACIA"),
        ("Data-processing (2 source)", "PACGA"),  # as a Linux process has it (keys enabled)
    ],
)
def test_known_implemented(results, cls, mnemonic):
    assert _status(results, cls, mnemonic) == "implemented"


def test_known_missing(results):
    assert _status(results, "Data-processing (2 source)", "SUBP") == "missing"  # MTE


def test_every_class_counts_real_instructions(results):
    """The table's patterns are sane: capstone decodes words of (nearly) every class."""
    empty = [r.name for r in results if not r.counted()]
    assert empty == ["Min/max (immediate)"]  # FEAT_CSSC, which capstone 5 does not know
