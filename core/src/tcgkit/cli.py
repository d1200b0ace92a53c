"""The ``tcgkit`` command line.

Owns argument parsing and the printing of results for people (tables) and
programs (``--json``). Each subcommand is a small function that asks the
library for what it prints; nothing here knows how emulation works.

Exit status: 0 on success, 2 when a plugin name or kind is unknown, clashes,
or the arguments are wrong (as argparse does), 1 for anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import TcgkitError
from .linux.elf import ElfError
from .plugins import (
    HOST,
    KINDS,
    KINDS_BY_KEY,
    PluginError,
    get_plugin_manager,
    plugin_table,
)

EXIT_USAGE = 2
EXIT_ERROR = 1


def _cmd_plugins(args: argparse.Namespace) -> int:
    manager = get_plugin_manager()
    if args.kind is not None:
        if args.name is None:
            raise PluginError("tcgkit plugins KIND NAME: a name is needed after the kind")
        info = manager.get_info(args.kind, args.name).describe()
        if args.json:
            print(json.dumps(info, indent=2, sort_keys=True))
        else:
            for key, value in info.items():
                print(f"{key:13} {value}")
        return 0
    table = plugin_table(manager)
    if args.json:
        print(json.dumps(table, indent=2, sort_keys=True))
    else:
        _print_table(table)
    for clash in table["clashes"]:
        print(f"tcgkit: error: {clash}", file=sys.stderr)
    return EXIT_USAGE if table["clashes"] else 0


def _print_table(table: dict[str, Any]) -> None:
    for kind in KINDS:
        rows = table[kind.key]
        print(f"{kind.plural} ({len(rows)}):")
        if not rows:
            dists = sorted(set(kind.first_party.values()))
            print(f"  (none installed; first-party: {', '.join(dists)})")
        for row in rows:
            line = f"  {row['name']:16} {row['distribution']} {row['version']}"
            if kind is HOST:
                line += "  native" if row["native"] else "  not native here"
                feats = [f if on is True else f"{f}={on}"
                         for f, on in sorted(row["features"].items()) if on]  # fmt: skip
                if feats:
                    line += f"  [{' '.join(feats)}]"
                if "error" in row:
                    line += f"  probe failed: {row['error']}"
            print(line)
    for message in table["warnings"]:
        print(f"warning: {message}")


def _cmd_run(args: argparse.Namespace) -> int:
    from .linux.run import run_program

    result = run_program(args.program, args.args, target=args.target, host=args.host,
                         tb_hash=args.tb_hash, debug=args.debug)  # fmt: skip
    if args.stats:
        stats = dict(result.stats, exit_code=result.exit_code, syscalls=result.syscalls,
                     seconds=round(result.seconds, 3))  # fmt: skip
        n = stats.get("guest_instructions", 0)
        stats["guest_mips"] = round(n / result.seconds / 1e6, 2) if result.seconds else 0
        print(json.dumps(stats, indent=2, sort_keys=True), file=sys.stderr)
    return result.exit_code if result.exit_code is not None else 1


def _log2_range(text: str) -> list[int]:
    """``14-24`` or ``14,16,20-22``."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def _cmd_bench_tb_hash(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bench import tb_hash as study

    policies = args.policies.split(",") if args.policies else list(study.STUDY_POLICIES)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    samples = study.sweep([Path(p) for p in args.programs], policies, _log2_range(args.log2),
                          args.runs, host=args.host, hash_only=not args.jump_cache)  # fmt: skip
    study.write_csv(samples, out / "tb_hash.csv")
    print(f"wrote {out / 'tb_hash.csv'} ({len(samples)} runs)")
    study.plot(samples, out / "tb_hash.png")
    print(f"wrote {out / 'tb_hash.png'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; later subcommands add themselves here."""
    parser = argparse.ArgumentParser(prog="tcgkit", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"tcgkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plugins", help="list installed plugins, or show one")
    p.add_argument("kind", nargs="?", choices=sorted(KINDS_BY_KEY), help="plugin kind")
    p.add_argument("name", nargs="?", help="plugin name (with KIND)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_plugins)

    p = sub.add_parser("run", help="run a static Linux ELF program")
    p.add_argument("program", help="path of the ELF file")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the program's arguments")
    p.add_argument("--target", help="guest target (default: from the ELF machine)")
    p.add_argument("--host", default="auto", help="host backend (default: auto)")
    p.add_argument("--tb-hash", help="TB hash-table policy (default: qht-dyn-nomru)")
    p.add_argument("-d", "--debug", default="", help="log categories, e.g. in_asm,op,out_asm")
    p.add_argument("--stats", action="store_true", help="print the engine's statistics")
    p.set_defaults(func=_cmd_run)

    bench = sub.add_parser("bench", help="experiments").add_subparsers(
        dest="experiment", required=True, metavar="EXPERIMENT"
    )
    p = bench.add_parser("tb-hash", help="the qht study: time against log2 buckets per policy")
    p.add_argument("programs", nargs="+", help="static ELF programs to run")
    p.add_argument("--policies", help="comma-separated (default: the study's six)")
    p.add_argument("--log2", default="14-24",
                   help="initial log2 bucket counts: 14-24 or 14,16,20-22")  # fmt: skip
    p.add_argument("--runs", type=int, default=3, help="runs per point")
    p.add_argument("--host", default="auto")
    p.add_argument(
        "--jump-cache",
        action="store_true",
        help="keep the jump cache and chaining (the study turns them off)",
    )
    p.add_argument("--out", default="bench-out", help="folder for tb_hash.csv and tb_hash.png")
    p.set_defaults(func=_cmd_bench_tb_hash)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tcgkit`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`tcgkit plugins | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except PluginError as exc:
        print(f"tcgkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (TcgkitError, ElfError, OSError) as exc:  # a guest or input problem, not a bug
        print(f"tcgkit: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
