"""TB hash-table microbenchmark in the manner of QEMU's tests/bench/qht-bench.

Owns the measurement of the installed TB hash-table policies (every name the
plugin manager lists, or those given with ``--policy``) under a synthetic mix
of lookups and updates, side by side with the peer: a plain ``dict`` guarded
by one ``threading.Lock``. It prints operations per second for each, and each
policy's ratio against the peer measured in the same run. It changes nothing
and asserts nothing; tests never depend on its figures.

The workload (qht-bench's options, renamed for long-option use):

* the table starts with ``--keys`` keys drawn from ``[0, --key-range)``;
* each of ``--threads`` threads runs a pre-drawn sequence of operations for
  ``--duration`` seconds: with probability ``--update-rate`` percent an
  update, alternately an insert of a key from ``[0, --update-range)`` and a
  removal of one (a lookup for its TB, then ``remove``); otherwise a lookup
  of a key from ``[0, --lookup-range)``;
* ``--resize`` adds a thread that resizes the table between its initial
  size and twice that every ``--resize-delay`` microseconds (policies that
  have ``resize()``, i.e. qht; the ``qht-dyn-*`` policies also grow by
  themselves whether or not this is given).

``--hash`` instead times the candidate hash functions of the TB key.

Run: ``python benchmarks/qht_bench.py [-d 1] [-n 1] [-u 20] [-k 4096] ...``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tcgkit.exec.tb_hash import TBKey
from tcgkit.plugins import TB_HASH, get_plugin_manager

OPS_PER_THREAD = 1 << 16  # length of each thread's pre-drawn, cycled operation sequence
CHECK_EVERY = 512  # operations between two looks at the clock
PEER = "dict+lock"


def make_key(i: int) -> TBKey:
    """Key number ``i``: an aarch64-like block, 4-byte aligned pcs over consecutive pages."""
    pc = 0x400000 + 4 * i
    return TBKey(pc=pc, cs_base=0, flags=0, cflags=0, phys_page=pc & ~0xFFF)


class DictWithLock:
    """The peer: one dict, every operation under one lock."""

    name = PEER

    def __init__(self, log2_buckets: int = 15) -> None:
        self._table: dict[TBKey, Any] = {}
        self._lock = threading.Lock()

    def lookup(self, key: TBKey) -> Any | None:
        with self._lock:
            return self._table.get(key)

    def insert(self, key: TBKey, tb: Any) -> Any:
        with self._lock:
            return self._table.setdefault(key, tb)

    def remove(self, key: TBKey, tb: Any) -> bool:
        with self._lock:
            if self._table.get(key) is tb:
                del self._table[key]
                return True
            return False

    def stats(self) -> dict[str, float]:
        return {"entries": len(self._table)}


@dataclass(frozen=True)
class Workload:
    duration: float
    threads: int
    update_rate: float  # percent
    keys: int
    key_range: int
    lookup_range: int
    update_range: int
    log2_buckets: int
    resize: bool
    resize_delay_us: float
    seed: int


@dataclass
class Result:
    name: str
    ops: int
    seconds: float
    stats: dict[str, float]

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds


def _draw_ops(w: Workload, seed: int, keys: Sequence[TBKey]) -> list[tuple[int, TBKey]]:
    """One thread's operations: 0 = lookup, 1 = insert, 2 = remove (updates alternate)."""
    rng = random.Random(seed)
    ops: list[tuple[int, TBKey]] = []
    write = 1
    for _ in range(OPS_PER_THREAD):
        if rng.random() * 100 < w.update_rate:
            ops.append((write, keys[rng.randrange(w.update_range)]))
            write = 3 - write
        else:
            ops.append((0, keys[rng.randrange(w.lookup_range)]))
    return ops


def run_one(factory: Callable[[int], Any], w: Workload, keys: Sequence[TBKey]) -> Result:
    """Fill a fresh table, then let the threads loose on it for ``w.duration`` seconds."""
    table = factory(w.log2_buckets)
    rng = random.Random(w.seed)
    for i in rng.sample(range(w.key_range), w.keys):
        table.insert(keys[i], object())
    sequences = [_draw_ops(w, w.seed + 1 + t, keys) for t in range(w.threads)]
    counts = [0] * w.threads
    start_barrier = threading.Barrier(w.threads + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        lookup, insert, remove = table.lookup, table.insert, table.remove
        ops = sequences[index]
        done = 0
        start_barrier.wait()
        while not stop.is_set():
            for n, (op, key) in enumerate(ops, 1):
                if op == 0:
                    lookup(key)
                elif op == 1:
                    insert(key, object())
                else:
                    tb = lookup(key)
                    if tb is not None:
                        remove(key, tb)
                if n % CHECK_EVERY == 0 and stop.is_set():
                    done += n
                    break
            else:
                done += len(ops)
        counts[index] = done

    def resizer() -> None:
        log2 = w.log2_buckets
        while not stop.wait(w.resize_delay_us / 1e6):
            log2 = w.log2_buckets + 1 if log2 == w.log2_buckets else w.log2_buckets
            table.resize(log2)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(w.threads)]
    if w.resize and hasattr(table, "resize"):
        threads.append(threading.Thread(target=resizer))
    for t in threads:
        t.start()
    start_barrier.wait()
    began = time.perf_counter()
    time.sleep(w.duration)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return Result(getattr(table, "name", "?"), sum(counts), elapsed, dict(table.stats()))


def bench_tables(w: Workload, names: Sequence[str]) -> list[Result]:
    keys = [make_key(i) for i in range(max(w.key_range, w.lookup_range, w.update_range))]
    manager = get_plugin_manager()
    results = [run_one(DictWithLock, w, keys)]
    for name in names:
        results.append(run_one(manager.get(TB_HASH, name), w, keys))
    return results


def print_tables(w: Workload, results: Sequence[Result]) -> None:
    print(
        f"qht-bench: {w.threads} thread(s), {w.duration:g} s, update rate {w.update_rate:g} %, "
        f"{w.keys} initial keys in [0, {w.key_range}), lookups in [0, {w.lookup_range}), "
        f"updates in [0, {w.update_range}), 2^{w.log2_buckets} initial buckets, "
        f"resize thread {'on' if w.resize else 'off'}"
    )
    peer = results[0].ops_per_s
    header = (
        f"{'table':<18}{'ops/s':>12}{'vs ' + PEER:>14}{'probes/lookup':>15}"
        f"{'resizes':>9}{'buckets':>10}{'entries':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        s = r.stats
        lookups = s.get("lookups", 0)
        ppl = f"{s['probes'] / lookups:.2f}" if lookups else "-"
        print(
            f"{r.name:<18}{r.ops_per_s:>12,.0f}{r.ops_per_s / peer:>13.2f}x{ppl:>15}"
            f"{int(s.get('resizes', 0)):>9}{int(s.get('buckets', 0)) or '-':>10}"
            f"{int(s['entries']):>9}"
        )


def bench_hashes(samples: int = 20000) -> None:
    """Time the candidate hashes of a TB key (ns per key, best of 5)."""
    candidates: list[tuple[str, Callable[[TBKey], int]]] = []
    try:
        from tcgkit_tbhash_qht.hashing import tb_hash_xx, tb_hash_xx_python
    except ImportError:
        print("tcgkit-tbhash-qht is not installed: nothing to compare", file=sys.stderr)
        return
    candidates += [
        ("xxh32, xxhash package", tb_hash_xx),
        ("xxh32, own Python", tb_hash_xx_python),
        ("CPython tuple hash", hash),
    ]
    rng = random.Random(0)
    keys = [
        TBKey(rng.getrandbits(48) & ~3, 0, rng.getrandbits(32), rng.getrandbits(16), 0)
        for _ in range(samples)
    ]
    keys = [k._replace(phys_page=k.pc & ~0xFFF) for k in keys]
    print(f"hash of a TBKey, ns per key (best of 5 x {samples} keys):")
    for label, fn in candidates:
        times = timeit.repeat(lambda fn=fn: [fn(k) for k in keys], number=1, repeat=5)
        print(f"  {label:<24}{min(times) / samples * 1e9:>8.0f}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("-d", "--duration", type=float, default=1.0, help="seconds per table")
    p.add_argument("-n", "--threads", type=int, default=1, help="worker threads")
    p.add_argument("-u", "--update-rate", type=float, default=20.0, help="percent of updates")
    p.add_argument("-k", "--keys", type=int, default=4096, help="initial number of keys")
    p.add_argument("-K", "--key-range", type=int, default=None, help="initial key range")
    p.add_argument("-l", "--lookup-range", type=int, default=None, help="lookup key range")
    p.add_argument("-r", "--update-range", type=int, default=None, help="update key range")
    p.add_argument("-s", "--log2-buckets", type=int, default=10, help="log2 initial buckets")
    p.add_argument(
        "-R", "--resize", action=argparse.BooleanOptionalAction, default=False,
        help="a thread resizing between the initial size and twice that",
    )  # fmt: skip
    p.add_argument("-D", "--resize-delay", type=float, default=10000.0, help="us between resizes")
    p.add_argument("-p", "--policy", action="append", help="policy to run (repeatable)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hash", action="store_true", help="time the hash functions instead")
    args = p.parse_args(argv)
    args.key_range = args.key_range or args.keys
    args.lookup_range = args.lookup_range or args.key_range
    args.update_range = args.update_range or args.key_range
    if args.keys > args.key_range:
        p.error("--keys cannot exceed --key-range")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.hash:
        bench_hashes()
        return 0
    names = args.policy or get_plugin_manager().names(TB_HASH)
    if not names:
        print("no TB hash-table policy is installed; only the peer runs", file=sys.stderr)
    w = Workload(
        duration=args.duration,
        threads=args.threads,
        update_rate=args.update_rate,
        keys=args.keys,
        key_range=args.key_range,
        lookup_range=args.lookup_range,
        update_range=args.update_range,
        log2_buckets=args.log2_buckets,
        resize=args.resize,
        resize_delay_us=args.resize_delay,
        seed=args.seed,
    )
    results = bench_tables(w, names)
    print_tables(w, results)
    ratios = [r.ops_per_s / results[0].ops_per_s for r in results[1:]]
    if ratios:
        print(f"geometric mean vs {PEER}: {statistics.geometric_mean(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
