"""valgrind over a short create / run / close loop on the x86_64 host: no block
is definitely lost (the release interface frees what tcgkit allocates)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LOOP = Path(__file__).with_name("valgrind_loop.py")


def test_no_definitely_lost_blocks() -> None:
    pytest.importorskip("tcgkit_target_toy")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed (scripts/bootstrap installs it)")
    env = dict(os.environ, PYTHONMALLOC="malloc")
    res = subprocess.run([valgrind, "--leak-check=full", "--show-leak-kinds=definite",
                          sys.executable, str(LOOP)],
                         capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    summary = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", res.stderr)
    assert summary is not None, res.stderr[-3000:]
    assert summary.group(1) == "0" and summary.group(2) == "0", res.stderr[-5000:]
