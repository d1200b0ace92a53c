"""``tcgkit.bench.runner``: the same grid gives the same rows on every executor (timings
aside), ``resume`` runs only the missing points and only with the same options, a worker
lacking a plugin says which, a worker lost mid-sweep costs only its tasks (run again
elsewhere), the progress bar on a terminal and plain lines elsewhere, and
``tcgkit bench tb-hash --executor ...`` / ``tcgkit bench plot`` from the command line.

The tests marked ``dask`` need dask.distributed (the extra ``tcgkit[dask]``): they are the
tox environment ``dask``'s, which sets ``TCGKIT_TEST_DASK=1`` (without dask they fail
there); ``full`` leaves them out (``-m "not dask"``), and elsewhere they skip without dask."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit.bench import faults, runner
from tcgkit.bench import tb_hash as study
from tcgkit.bench.progress import Progress, eta_seconds
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


@pytest.fixture
def needs_dask() -> None:
    """Skip without dask.distributed, unless running the dask tests is this run's job."""
    if importlib.util.find_spec("dask") and importlib.util.find_spec("distributed"):
        return
    if os.environ.get("TCGKIT_TEST_DASK") == "1":
        pytest.fail("TCGKIT_TEST_DASK=1 but dask.distributed is not installed (tcgkit[dask])")
    pytest.skip("dask.distributed is not installed (tcgkit[dask]); tox -e dask runs these")


@pytest.mark.dask
@pytest.mark.usefixtures("needs_dask")
def test_dask_local_cluster_gives_the_serial_rows(program: Path, tmp_path: Path) -> None:
    tasks = grid(program)
    serial = run(tasks, tmp_path / "serial.csv")
    dask = run(tasks, tmp_path / "dask.csv", executor="dask", dask_local=2)
    assert untimed(dask) == untimed(serial)
    assert len({r["seconds"] for r in dask}) > 1  # measured, not copied
    # from the command line too
    out = tmp_path / "out"
    res = tcgkit("bench", "tb-hash", str(program), "--policies", ",".join(POLICIES),
                 "--log2", "4,6", "--runs", "1", "--host", "python", "--out", str(out),
                 "--executor", "dask", "--dask-local", "2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert untimed(csv_rows(out / "tb_hash.csv")) == untimed(serial)
    assert "[4/4]" in res.stderr and (out / "tb_hash.png").exists()


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


# -- resume only with the same options -----------------------------------------------------


def test_resume_refuses_rows_made_with_other_options(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "tb_hash.csv"
    first = run(grid(program), out)
    assert {(r["host"], r["jump_cache"]) for r in first} == {("python", "False")}
    before = out.read_bytes()
    other = study.grid([program], POLICIES, LOG2S, 1, host="python", hash_only=False)
    with pytest.raises(runner.InvalidArgumentError, match="jump_cache=False, not this"):
        run(other, out, resume=True)
    assert out.read_bytes() == before  # refused before anything was written
    # the host too: a resume on another host would mix two hosts' timings
    assert runner.read_rows(out, study.FIELDS, {"host": "python", "jump_cache": False})
    with pytest.raises(runner.InvalidArgumentError, match="host=python, not this sweep's"):
        runner.read_rows(out, study.FIELDS, {"host": "x86_64", "jump_cache": False})
    # a CSV from before the options were recorded cannot say: refused, but still plotted
    legacy = tmp_path / "legacy.csv"
    with legacy.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=study.LEGACY_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(first)
    with pytest.raises(runner.InvalidArgumentError, match="does not record the options"):
        run(grid(program), legacy, resume=True)
    assert [s.policy for s in study.read_csv(legacy)] == [r["policy"] for r in first]


def test_auto_host_is_resolved_into_the_options(program: Path) -> None:
    task = study.grid([program], ["master"], [4], 1)[0]
    assert task.options["host"] not in ("", "auto")
    assert (runner.HOST.key, task.options["host"]) in task.needs


def test_cli_resume_with_other_options_is_one_line(program: Path, tmp_path: Path) -> None:
    base = ("bench", "tb-hash", str(program), "--policies", "master", "--log2", "4",
            "--runs", "1", "--host", "python", "--out", str(tmp_path / "out"))  # fmt: skip
    assert tcgkit(*base).returncode == 0
    res = tcgkit(*base, "--resume", "--jump-cache")
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "jump_cache=False, not this sweep's jump_cache=True" in res.stderr
    res = tcgkit(*base, "--resume")  # the same options: nothing runs again
    assert res.returncode == 0, res.stderr
    assert "resuming: 1 of 1 points" in res.stderr and "[1/" not in res.stderr


# -- a lost worker costs only its tasks -------------------------------------------------------

LOSE_FIELDS = ("i", "seed", "pid")


def losing_grid(marker: Path, times: int, n: int = 6, loser: int = 2) -> list[runner.Task]:
    """``n`` tasks of ~0.2 s; the one at ``loser`` kills its worker ``times`` times."""
    args = [{"marker": str(marker) if i == loser else "", "times": times, "pause": 0.2}
            for i in range(n)]  # fmt: skip
    return [runner.Task("tcgkit.bench.faults:lose_worker", {"i": i}, a) for i, a in enumerate(args)]


def check_every_row_once(rows: list[dict[str, str]], tasks: list[runner.Task]) -> None:
    assert [(r["i"], r["seed"]) for r in rows] == [(t.key[0], str(t.seed)) for t in tasks]


def test_processes_rerun_the_tasks_of_a_lost_worker(tmp_path: Path) -> None:
    marker = tmp_path / "deaths"
    tasks = losing_grid(marker, times=1)
    out = tmp_path / "out.csv"
    rows = runner.run(tasks, out, LOSE_FIELDS, executor="processes", workers=2, progress=None)
    (killed,) = faults.deaths(marker)  # it did die once, mid-sweep
    check_every_row_once(rows, tasks)
    check_every_row_once(csv_rows(out), tasks)
    assert rows[2]["pid"] != str(killed)  # run again, on another worker
    assert str(os.getpid()) not in {r["pid"] for r in rows}  # never in this process


def test_processes_stop_on_a_task_that_kills_every_worker(tmp_path: Path) -> None:
    marker = tmp_path / "deaths"
    tasks = losing_grid(marker, times=100)
    out = tmp_path / "out.csv"
    with pytest.raises(runner.WorkerLostError, match=r"^i=2: the worker process running it died 4"):
        runner.run(tasks, out, LOSE_FIELDS, executor="processes", workers=2, progress=None)
    assert len(faults.deaths(marker)) == runner.ALLOWED_LOSSES + 1
    kept = csv_rows(out)  # the rows of the tasks that finished stay, for --resume
    assert kept and "2" not in {r["i"] for r in kept}


@pytest.mark.dask
@pytest.mark.usefixtures("needs_dask")
def test_dask_reruns_the_tasks_of_a_lost_worker(tmp_path: Path) -> None:
    marker = tmp_path / "deaths"
    tasks = losing_grid(marker, times=1)
    out = tmp_path / "out.csv"
    rows = runner.run(tasks, out, LOSE_FIELDS, executor="dask", dask_local=2, progress=None)
    (killed,) = faults.deaths(marker)
    check_every_row_once(rows, tasks)
    assert rows[2]["pid"] != str(killed)
    assert len({r["pid"] for r in rows}) >= 2  # both workers (or a restarted one) ran tasks


@pytest.mark.dask
@pytest.mark.usefixtures("needs_dask")
def test_dask_stops_on_a_task_that_kills_every_worker(tmp_path: Path) -> None:
    import dask

    marker = tmp_path / "deaths"
    tasks = losing_grid(marker, times=100, n=3, loser=0)
    # the scheduler runs in this process: it gives up after 2 deaths instead of 4
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        pytest.raises(runner.WorkerLostError, match=r"^i=0: the workers running it died"),
    ):
        runner.run(tasks, tmp_path / "out.csv", LOSE_FIELDS, executor="dask", dask_local=2,
                   progress=None)  # fmt: skip
    assert len(faults.deaths(marker)) == 2


# -- progress --------------------------------------------------------------------------------


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def empty_grid(n: int) -> list[runner.Task]:
    return [runner.Task("tcgkit.bench.runner:empty_task", {"i": i}) for i in range(n)]


def test_progress_is_a_bar_with_the_eta_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("rich") is None:  # tox's full environment installs it
        pytest.skip("rich is not installed (pip install 'tcgkit[bench]')")
    term = Terminal()
    runner.run(empty_grid(5), tmp_path / "out.csv", ["i", "seed"], progress=term)
    text = term.getvalue()
    assert "\x1b[" in text and "━" in text  # drawn for a terminal: a bar, escapes
    assert "5/5" in text and "ETA" in text and "0:00:00" in text
    assert "i=4" in text  # the last point finished
    assert "[1/5]" not in text  # no plain lines
    # a label longer than the line is cut, the counts and the ETA stay whole
    monkeypatch.setenv("COLUMNS", "80")
    term = Terminal()
    bar = Progress(3, term)
    bar.advance("x" * 200)
    bar.close()
    lines = [line for line in term.getvalue().split("\r") if "1/3" in line]
    assert lines and "x" * 200 not in lines[-1] and "x\u2026" in lines[-1]
    assert "ETA" in lines[-1]


def test_progress_is_plain_lines_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = io.StringIO()
    runner.run(empty_grid(3), tmp_path / "a.csv", ["i", "seed"], progress=plain)
    lines = plain.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["[1/3] i=0", "[2/3] i=1", "[3/3] i=2"]
    assert lines[-1].endswith(", ETA 0:00:00)") and "\x1b[" not in plain.getvalue()
    # a terminal without rich: plain lines as well, not an error
    for name in ("rich", "rich.console", "rich.progress"):
        monkeypatch.setitem(sys.modules, name, None)
    term = Terminal()
    bar = Progress(2, term)
    assert not bar.bar
    bar.advance("i=0")
    bar.close()
    assert term.getvalue().startswith("[1/2] i=0 (") and "ETA" in term.getvalue()


def test_eta_is_the_mean_pace_so_far() -> None:
    assert eta_seconds(0, 10, 5.0) is None
    assert eta_seconds(2, 10, 4.0) == pytest.approx(16.0)
    assert eta_seconds(10, 10, 7.0) == 0.0
