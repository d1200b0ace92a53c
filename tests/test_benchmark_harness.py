"""The benchmarks' harnesses still drive both engines: a benchmark whose peer column
breaks silently measures nothing (benchmarks/ is not otherwise run by the suite)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import pytest  # noqa: E402
from aarch64_programs import run_tcgkit, run_unicorn  # noqa: E402
from tcgkit.plugins import get_plugin_manager  # noqa: E402
from translation import run_once  # noqa: E402


def test_unicorn_and_tcgkit_run_an_example_to_the_same_output() -> None:
    program = ROOT / "examples" / "bin" / "hello_glibc.elf"
    _, insns, out = run_tcgkit(program, "python")
    _, uc_out = run_unicorn(program)
    assert out == uc_out and b"hello" in out.lower()
    assert insns > 1000


@pytest.mark.parametrize("choice", ["python", "best"])
def test_the_translation_benchmark_accounts_for_every_phase(choice: str) -> None:
    host = "python" if choice == "python" else get_plugin_manager().resolve_host()
    spent, insns = run_once(ROOT / "examples" / "bin" / "bytecode.elf", host)
    assert insns > 100
    assert spent["decode/IR"] > 0 and spent["optimize"] > 0 and spent["lower+enc"] > 0
    if host != "python":
        assert spent["allocate"] > 0 and spent["liveness"] > 0


@pytest.mark.parametrize("shape", ["loop", "block-hook", "mem-read-hook", "fuzz", "snapshot-fuzz"])
def test_each_unicorn_harness_shape_computes_the_same_under_both_modules(shape: str) -> None:
    import tcgkit.unicorn as tk
    import unicorn as real
    import unicorn_compat

    fn = {"loop": unicorn_compat.shape_loop, "block-hook": unicorn_compat.shape_block_hook,
          "mem-read-hook": unicorn_compat.shape_mem_read_hook,
          "fuzz": unicorn_compat.shape_fuzz,
          "snapshot-fuzz": unicorn_compat.shape_snapshot_fuzz}[shape]  # fmt: skip
    n = 40 if shape.endswith("fuzz") else 2000
    expected = fn(real, n, {})
    assert fn(tk, n, {"host": get_plugin_manager().resolve_host()}) == expected
    assert expected != 0
