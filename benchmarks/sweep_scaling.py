"""How the executors of ``tcgkit.bench.runner`` scale: one small ``tb-hash`` grid.

Prints the wall time of one grid (programs x policies x log2 bucket counts x runs)
on the ``serial`` executor, on the ``processes`` executor with 1 and 2 workers and,
if dask is installed, on a dask ``LocalCluster`` of 1 and 2 workers, with each
one's speed-up over its own 1-worker time; then the overhead of each executor:
its start-up (the wall time of one empty task per worker) and its cost per task (the
wall time of ``--empty`` more empty tasks, less that, per task), each the best of 3. The load
average of the machine is printed before and after: figures taken while other work
runs on the cores are not the executors'. It changes nothing and asserts nothing;
tests never depend on its figures.

Run: ``python benchmarks/sweep_scaling.py [--program examples/bin/bytecode.elf]
[--policies master,qht-dyn-nomru] [--log2 8] [--runs 2] [--host auto] [--empty 200]
[--executors serial,processes,dask]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tcgkit.bench import runner
from tcgkit.bench import tb_hash as study

ROOT = Path(__file__).resolve().parent.parent


def wall(tasks: Sequence[runner.Task], fields: Sequence[str], **kw: object) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        runner.run(tasks, Path(tmp) / "out.csv", fields, progress=None, **kw)  # type: ignore[arg-type]
        return time.perf_counter() - t0


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not available on this system
        return "unknown"


def empty_tasks(n: int) -> list[runner.Task]:
    return [runner.Task("tcgkit.bench.runner:empty_task", {"i": i}) for i in range(n)]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--program", action="append", default=None,
                    help="a static guest program (repeatable; default: bytecode.elf)")  # fmt: skip
    ap.add_argument("--policies", default="master,qht-dyn-nomru")
    ap.add_argument("--log2", default="8", help="comma-separated log2 bucket counts")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--host", default="auto")
    ap.add_argument("--empty", type=int, default=200, help="empty tasks for the overhead")
    ap.add_argument("--executors", default=",".join(runner.EXECUTORS),
                    help="which to measure (default: all)")  # fmt: skip
    args = ap.parse_args(argv)

    programs = [Path(p) for p in args.program or [ROOT / "examples/bin/bytecode.elf"]]
    policies = args.policies.split(",")
    log2s = [int(x) for x in args.log2.split(",")]
    tasks = study.grid(programs, policies, log2s, args.runs, host=args.host)
    has_dask = (
        importlib.util.find_spec("dask") is not None
        and importlib.util.find_spec("distributed") is not None
    )
    print(f"grid: {len(tasks)} tasks ({', '.join(p.name for p in programs)} x {policies} x "
          f"log2 {log2s} x {args.runs} runs), host {args.host}, "
          f"{runner.default_workers()} cores")  # fmt: skip
    print(f"load average before: {load()}")

    configs: list[tuple[str, dict[str, object]]] = [("serial", {"executor": "serial"})]
    for n in (1, 2):
        configs.append((f"processes x{n}", {"executor": "processes", "workers": n}))
    if has_dask:
        for n in (1, 2):
            configs.append((f"dask local x{n}", {"executor": "dask", "dask_local": n}))
    else:
        print("(dask is not installed: pip install 'tcgkit[dask]' to measure it)")

    chosen = args.executors.split(",")
    configs = [(name, kw) for name, kw in configs if kw["executor"] in chosen]
    print(f"\n{'executor':16} {'grid wall s':>11} {'vs 1 worker':>11}")
    one: dict[str, float] = {}
    for name, kw in configs:
        t = wall(tasks, study.FIELDS, **kw)
        family = name.split(" x")[0]
        one.setdefault(family, t)
        print(f"{name:16} {t:11.2f} {one[family] / t:10.2f}x")

    fields = ["i", "seed"]
    print(f"\n{'executor':16} {'start-up s':>10} {'per task ms':>11}   ({args.empty} empty tasks)")
    for name, kw in configs:
        # one task per worker: every worker started (and its imports done) in both runs;
        # the best of 3: the first pool of a process also starts the forkserver
        n = int(kw.get("workers") or kw.get("dask_local") or 1)  # type: ignore[call-overload]
        first = min(wall(empty_tasks(n), fields, **kw) for _ in range(3))
        many = min(wall(empty_tasks(n + args.empty), fields, **kw) for _ in range(3))
        per_task = (many - first) / args.empty
        print(f"{name:16} {first:10.3f} {per_task * 1e3:11.3f}")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
