"""``tcgkit.bench.runner``: the same grid gives the same rows on every executor (timings
aside), ``resume`` runs only the missing points, a worker lacking a plugin says which,
and ``tcgkit bench tb-hash --executor ...`` / ``tcgkit bench plot`` from the command line."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit.bench import runner
from tcgkit.bench import tb_hash as study
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import make_elf

BASE = 0x400000
POLICIES = ("master", "qht-dyn-nomru")
LOG2S = (4, 6)


def many_blocks(n: int) -> bytes:
    """A loop calling ``n`` tiny functions: many TBs, many lookups."""
    lines = ["li r5, 3", "outer:"]
    lines += [f"jal r6, f{i}" for i in range(n)]
    lines += ["addi r5, r5, -1", "bnz r5, outer", "li r0, 94", "li r1, 0", "sys"]
    for i in range(n):
        lines += [f"f{i}: addi r4, r4, {i % 50}", "jr r6"]
    return make_elf(assemble("\n".join(lines), BASE), BASE)


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prog") / "blocks.elf"
    path.write_bytes(many_blocks(200))
    return path


def grid(program: Path, runs: int = 1) -> list[runner.Task]:
    return study.grid([program], POLICIES, LOG2S, runs, host="python")


def untimed(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in study.TIMING_FIELDS} for r in rows]


def run(tasks: list[runner.Task], csv_path: Path, **kw: object) -> list[dict[str, str]]:
    return runner.run(tasks, csv_path, study.FIELDS, progress=None, **kw)  # type: ignore[arg-type]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_serial_and_processes_give_the_same_rows(program: Path, tmp_path: Path) -> None:
    tasks = grid(program)
    serial = run(tasks, tmp_path / "serial.csv")
    procs = run(tasks, tmp_path / "procs.csv", executor="processes", workers=2)
    assert len(serial) == len(POLICIES) * len(LOG2S)
    assert untimed(serial) == untimed(procs)
    # the file too, in the grid's order whatever order the tasks finished in
    assert untimed(csv_rows(tmp_path / "procs.csv")) == untimed(serial)
    assert [tuple(r[k] for k in study.KEY_FIELDS) for r in serial] == [t.key for t in tasks]
    for r in serial:
        assert int(r["lookups"]) >= 3 * 200
    by_key = {(r["policy"], r["log2_buckets"]): r for r in serial}
    # more buckets, fewer probes: the rows are the points they claim to be
    for policy in POLICIES:
        assert float(by_key[policy, "6"]["probes_per_lookup"]) <= float(
            by_key[policy, "4"]["probes_per_lookup"]
        )


def test_resume_runs_only_the_missing_points(program: Path, tmp_path: Path) -> None:
    tasks = grid(program, runs=2)
    out = tmp_path / "tb_hash.csv"
    first = run(tasks, out)
    lines = out.read_text().splitlines(keepends=True)
    # keep the header and three rows, and half of a fourth (a run killed while writing)
    out.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2])
    progress = io.StringIO()
    again = runner.run(tasks, out, study.FIELDS, resume=True, progress=progress)
    assert untimed(again) == untimed(first)
    keys = [tuple(r[k] for k in study.KEY_FIELDS) for r in csv_rows(out)]
    assert keys == [t.key for t in tasks]  # every point once, none twice
    done = [line for line in progress.getvalue().splitlines() if line.startswith("[")]
    assert len(done) == len(tasks) - 3  # the three whole rows were not run again
    assert "resuming: 3 of 8 points" in progress.getvalue()
    # nothing missing: nothing runs, the file stays
    progress = io.StringIO()
    assert untimed(runner.run(tasks, out, study.FIELDS, resume=True, progress=progress)) == (
        untimed(first)
    )
    assert not [line for line in progress.getvalue().splitlines() if line.startswith("[")]


def test_resume_refuses_a_csv_of_other_columns(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "other.csv"
    out.write_text("a,b\n1,2\n")
    with pytest.raises(runner.InvalidArgumentError, match="columns a,b"):
        run(grid(program), out, resume=True)


def test_a_missing_policy_is_named_not_a_wrong_row(program: Path, tmp_path: Path) -> None:
    task = study.grid([program], ["no-such-policy"], [4], 1, host="python")[0]
    with pytest.raises(runner.WorkerPluginError, match="TB hash-table policy 'no-such-policy'"):
        runner.run_task(task)
    missing_host = study.grid([program], ["master"], [4], 1, host="no-such-host")[0]
    with pytest.raises(runner.WorkerPluginError, match="host backend 'no-such-host'"):
        runner.run_task(missing_host)
    # through a process pool too: the worker's error comes back whole, no row is written
    out = tmp_path / "bad.csv"
    with pytest.raises(runner.WorkerPluginError, match="no-such-policy") as info:
        run([task], out, executor="processes", workers=1)
    assert "pid" in str(info.value)  # which worker
    assert csv_rows(out) == []


def test_seeds_come_from_the_point() -> None:
    a = runner.Task("tcgkit.bench.runner:empty_task", {"x": 1, "y": "a"})
    b = runner.Task("tcgkit.bench.runner:empty_task", {"x": 1, "y": "a"})
    c = runner.Task("tcgkit.bench.runner:empty_task", {"x": 2, "y": "a"})
    assert a.seed == b.seed != c.seed
    assert runner.run_task(a) == {"x": 1, "y": "a", "seed": a.seed}


def test_dask_local_cluster_gives_the_serial_rows(program: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dask[distributed] is not installed (the extra tcgkit[dask]) under CI")
        pytest.skip("dask[distributed] is not installed (pip install 'tcgkit[dask]')")
    tasks = grid(program)
    serial = run(tasks, tmp_path / "serial.csv")
    dask = run(tasks, tmp_path / "dask.csv", executor="dask", dask_local=2)
    assert untimed(dask) == untimed(serial)


def tcgkit(*args: str, block_dask: bool = False) -> subprocess.CompletedProcess[str]:
    code = "import sys\n"
    if block_dask:  # as if dask were not installed
        code += "sys.modules['dask'] = sys.modules['distributed'] = None\n"
    code += "from tcgkit.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_cli_processes_executor_then_plot(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = tcgkit("bench", "tb-hash", str(program), "--policies", ",".join(POLICIES),
                 "--log2", "4,6", "--runs", "1", "--host", "python", "--out", str(out),
                 "--executor", "processes", "--workers", "2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert untimed(csv_rows(out / "tb_hash.csv")) == untimed(run(grid(program), tmp_path / "s"))
    assert "4/4" in res.stderr
    assert (out / "tb_hash.png").read_bytes()[:4] == b"\x89PNG"
    res = tcgkit("bench", "plot", str(out / "tb_hash.csv"), "--out", str(tmp_path / "f.png"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    res = tcgkit("bench", "plot", str(program))
    assert res.returncode == 2 and res.stderr.startswith("tcgkit: error: ")


def test_cli_dask_without_dask_names_the_extra(program: Path, tmp_path: Path) -> None:
    res = tcgkit("bench", "tb-hash", str(program), "--executor", "dask", "--out",
                 str(tmp_path / "out"), block_dask=True)  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "pip install 'tcgkit[dask]'" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_diff_rows_are_the_same_on_serial_and_processes(tmp_path: Path) -> None:
    pytest.importorskip("unicorn")
    pytest.importorskip("capstone")
    pytest.importorskip("tcgkit_target_aarch64")
    from tcgkit.bench import diff

    tasks = diff.grid(range(3), 10, host="python")
    serial = runner.run(tasks, tmp_path / "s.csv", diff.FIELDS, progress=None)
    procs = runner.run(tasks, tmp_path / "p.csv", diff.FIELDS, executor="processes",
                       workers=2, progress=None)  # fmt: skip
    assert serial == procs  # no timing column: the rows are equal whole
    tally, found = diff.summary(serial)
    assert tally["words"] == 30 and tally["same"] + tally["unimplemented"] + len(found) >= 30
    res = tcgkit("bench", "diff", "--seeds", "2", "--words", "5", "--host", "python",
                 "--out", str(tmp_path / "out"))  # fmt: skip
    assert res.returncode in (0, 1), res.stderr
    assert "words 10" in res.stdout
