"""``tcgkit bench tb-hash``: QEMU's qht study, reproduced on real guest programs.

Owns the sweep (programs x policies x initial log2 bucket counts x runs),
its CSV, and the figure: time against log2 buckets, one line per policy with
error bars (standard deviation over runs), and a second panel with probes per
lookup. With ``hash_only`` (the default, as in the study) the jump cache and
TB chaining are off, so every TB the guest enters is looked up in the table.
Each CSV row ends with the sweep's options (``host``, ``jump_cache``), so that
``--resume`` refuses a CSV made with other ones.

The figure needs matplotlib (``pip install tcgkit[bench]``); the CSV does not.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..api import Emulator
from ..errors import EmulationError, InvalidArgumentError
from ..linux.elf import read_elf
from ..linux.process import LinuxProcess
from ..linux.run import read_program, target_for_machine
from ..plugins import AUTO_HOST, HOST, TB_HASH, get_plugin_manager
from . import runner

#: the study's policies, in its order and with its names
STUDY_POLICIES = ("master", "xxhash", "xxhash-rcu", "qht-fixed-nomru", "qht-dyn-mru",
                  "qht-dyn-nomru")  # fmt: skip
#: the columns of a grid point (the rest are results; ``seconds`` varies run to run)
KEY_FIELDS = ("program", "policy", "log2_buckets", "run")
#: the sweep's options, the same in every row: a resume must use the same ones
OPTION_FIELDS = ("host", "jump_cache")
#: the CSV's columns before it recorded the options (still read, for the figure)
LEGACY_FIELDS = (*KEY_FIELDS, "seconds", "guest_instructions", "lookups", "probes",
                 "probes_per_lookup", "buckets", "resizes", "tbs")  # fmt: skip
FIELDS = (*LEGACY_FIELDS, *OPTION_FIELDS)
TIMING_FIELDS = ("seconds",)


@dataclass(frozen=True)
class Sample:
    program: str
    policy: str
    log2_buckets: int
    run: int
    seconds: float
    guest_instructions: int
    lookups: int
    probes: int
    buckets: int
    resizes: int
    tbs: int

    @property
    def probes_per_lookup(self) -> float:
        return self.probes / self.lookups if self.lookups else 0.0

    def row(self) -> dict[str, object]:
        """The CSV row's point and results (not the options)."""
        return {f: getattr(self, f) for f in LEGACY_FIELDS}


def run_once(path: Path, policy: str, log2: int, run: int, *, host: str = "auto",
             hash_only: bool = True) -> Sample:  # fmt: skip
    data = read_program(path)
    pm = get_plugin_manager()
    target = target_for_machine(pm, read_elf(data, str(path)).machine, str(path))
    # tier_up=0: every TB compiled and entered as in QEMU, whose lookups the study measures
    with Emulator(target, host=host, tb_hash=policy, tb_hash_log2_buckets=log2,
                  jump_cache=not hash_only, tier_up=0) as emu:  # fmt: skip
        proc = LinuxProcess(emu, emu.engine.target.linux_abi, stdout=io.BytesIO(),
                            stderr=io.BytesIO())  # fmt: skip
        proc.load(data, [str(path)], name=str(path))
        t0 = time.perf_counter()
        code = proc.run()
        seconds = time.perf_counter() - t0
        if code != 0:
            raise EmulationError(
                f"{path} exited with {code} under policy {policy}; the study needs programs "
                "that exit with 0"
            )
        st = emu.stats()
        h = st["tb_hash"]
        # (the lookups and probes include those generated code did in the policy's
        # native mirror: ``Engine.stats``)
        return Sample(path.name, policy, log2, run, seconds, st["guest_instructions"],
                      int(h["lookups"]), int(h["probes"]), int(h["buckets"]),
                      int(h["resizes"]), st["tbs_translated"])  # fmt: skip


def check(programs: Sequence[Path], policies: Sequence[str], host: str = "auto") -> None:
    """That every program, policy and the host can be used, before a sweep that takes long:
    ``InvalidArgumentError`` (a program file) or ``PluginError`` (a name) otherwise."""
    pm = get_plugin_manager()
    for policy in policies:
        pm.get_info(TB_HASH, policy)
    pm.resolve_host(host)
    for path in programs:
        data = read_program(path)
        target_for_machine(pm, read_elf(data, str(path)).machine, str(path))


def task(program: str, policy: str, log2_buckets: int, run: int, *, path: str, host: str,
         jump_cache: bool, seed: int) -> dict[str, object]:  # fmt: skip
    """One point of the sweep as a runner task (``tcgkit.bench.runner``): the result
    columns of its CSV row (``seed`` unused: the study has no randomness)."""
    sample = run_once(Path(path), policy, log2_buckets, run, host=host,
                      hash_only=not jump_cache)  # fmt: skip
    return {k: v for k, v in sample.row().items() if k not in KEY_FIELDS}


def grid(programs: Sequence[Path], policies: Sequence[str], log2s: Sequence[int], runs: int,
         *, host: str = "auto", hash_only: bool = True) -> list[runner.Task]:  # fmt: skip
    """The sweep's tasks (runs outermost: drifts of the machine
    spread over all points). Each needs its policy and the host on its worker; the
    host (``auto`` resolved here, so that every worker runs the same one) and the
    jump cache are the sweep's options, recorded in each row."""
    if host == AUTO_HOST:
        host = get_plugin_manager().resolve_host(host)
    options = {"host": host, "jump_cache": not hash_only}
    out = []
    for run in range(runs):
        for log2 in log2s:
            for policy in policies:
                for path in programs:
                    out.append(runner.Task(
                        "tcgkit.bench.tb_hash:task",
                        {"program": path.name, "policy": policy, "log2_buckets": log2,
                         "run": run},
                        {"path": str(path)},
                        needs=((TB_HASH.key, policy), (HOST.key, host)), options=options,
                    ))  # fmt: skip
    return out


def samples_from_rows(rows: Sequence[dict[str, str]]) -> list[Sample]:
    """The samples of CSV rows (as ``csv.DictReader`` reads them)."""
    out = []
    for r in rows:
        try:
            out.append(Sample(r["program"], r["policy"], int(r["log2_buckets"]), int(r["run"]),
                              float(r["seconds"]), int(r["guest_instructions"]),
                              int(r["lookups"]), int(r["probes"]), int(r["buckets"]),
                              int(r["resizes"]), int(r["tbs"])))  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(
                f"not a row of tcgkit bench tb-hash's CSV: {r!r} ({type(exc).__name__}: {exc})"
            ) from None
    return out


def read_csv(path: Path) -> list[Sample]:
    """The samples of a CSV that ``tcgkit bench tb-hash`` wrote."""
    try:
        f = path.open(newline="")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    with f:
        try:
            reader = csv.DictReader(f)
            fieldnames = reader.fieldnames
            rows = list(reader) if fieldnames is not None else []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidArgumentError(f"{path} is not a CSV file: {exc}") from None
    if fieldnames is None or list(fieldnames) not in (list(FIELDS), list(LEGACY_FIELDS)):
        raise InvalidArgumentError(
            f"{path} is not a CSV of tcgkit bench tb-hash (its columns: "
            f"{','.join(fieldnames or [])}; expected {','.join(FIELDS)})"
        )
    return samples_from_rows(rows)


def summarize(samples: Sequence[Sample]) -> dict[tuple[str, int], tuple[float, float, float]]:
    """(policy, log2) -> (mean total time over programs, its stdev over runs, probes/lookup)."""
    per_run: dict[tuple[str, int, int], float] = {}
    probes: dict[tuple[str, int], list[float]] = {}
    for s in samples:
        key = (s.policy, s.log2_buckets, s.run)
        per_run[key] = per_run.get(key, 0.0) + s.seconds
        probes.setdefault((s.policy, s.log2_buckets), []).append(s.probes_per_lookup)
    out = {}
    for (policy, log2), ppl in probes.items():
        times = [t for (p, lg, _r), t in per_run.items() if p == policy and lg == log2]
        sd = statistics.stdev(times) if len(times) > 1 else 0.0
        out[(policy, log2)] = (statistics.fmean(times), sd, statistics.fmean(ppl))
    return out


def plot(samples: Sequence[Sample], path: Path, title: str = "") -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("the figure needs matplotlib: pip install 'tcgkit[bench]'") from None
    summary = summarize(samples)
    policies = list(dict.fromkeys(s.policy for s in samples))
    fig, (ax_t, ax_p) = plt.subplots(2, 1, figsize=(8, 8), sharex=True)
    for policy in policies:
        pts = sorted((lg, v) for (p, lg), v in summary.items() if p == policy)
        xs = [lg for lg, _ in pts]
        ax_t.errorbar(xs, [v[0] for _, v in pts], yerr=[v[1] for _, v in pts], marker="o",
                      capsize=3, label=policy)  # fmt: skip
        ax_p.plot(xs, [v[2] for _, v in pts], marker="o", label=policy)
    ax_t.set_ylabel("time (s), all programs")
    ax_t.set_title(title or "TB hash-table policies: time against initial buckets")
    ax_t.legend()
    ax_p.set_ylabel("probes per lookup")
    ax_p.set_xlabel("log2 of the initial number of buckets")
    ax_p.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
