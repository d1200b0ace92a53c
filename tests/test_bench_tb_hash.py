"""``tcgkit bench tb-hash`` end to end on a toy program with many blocks:
every policy answers, the CSV has a row per run, the figure is drawn."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from tcgkit.bench.tb_hash import run_once
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import make_elf

BASE = 0x400000


def many_blocks(n: int) -> bytes:
    """A loop calling ``n`` tiny functions: many TBs, many lookups."""
    lines = ["li r5, 3", "outer:"]
    lines += [f"jal r6, f{i}" for i in range(n)]
    lines += ["addi r5, r5, -1", "bnz r5, outer", "li r0, 94", "li r1, 0", "sys"]
    for i in range(n):
        lines += [f"f{i}: addi r4, r4, {i % 50}", "jr r6"]
    return make_elf(assemble("\n".join(lines), BASE), BASE)


def test_bench_tb_hash_writes_csv_and_png(tmp_path: Path) -> None:
    prog = tmp_path / "blocks.elf"
    prog.write_bytes(many_blocks(300))
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "tcgkit", "bench", "tb-hash", str(prog), "--log2", "4-5",
         "--runs", "2", "--host", "python", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((out / "tb_hash.csv").open()))
    assert len(rows) == 6 * 2 * 2
    assert {r["policy"] for r in rows} == {"master", "xxhash", "xxhash-rcu", "qht-fixed-nomru",
                                           "qht-dyn-mru", "qht-dyn-nomru"}  # fmt: skip
    for r in rows:
        assert int(r["lookups"]) >= 3 * 300  # every call and return goes through the table
        assert float(r["probes_per_lookup"]) > 0
    assert (out / "tb_hash.png").read_bytes()[:4] == b"\x89PNG"
    assert "6/6" not in res.stderr and "24/24" in res.stderr  # the progress bar ran to the end


def test_dynamic_qht_grows_and_fixed_does_not(tmp_path: Path) -> None:
    prog = tmp_path / "blocks.elf"
    prog.write_bytes(many_blocks(600))
    dyn = run_once(prog, "qht-dyn-nomru", 4, 0, host="python")
    fixed = run_once(prog, "qht-fixed-nomru", 4, 0, host="python")
    assert dyn.resizes >= 1 and dyn.buckets > 16
    assert fixed.resizes == 0
    assert fixed.probes_per_lookup > dyn.probes_per_lookup
