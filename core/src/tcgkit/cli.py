"""The ``tcgkit`` command line.

Owns argument parsing and the printing of results for people (tables) and
programs (``--json``). Each subcommand is a small function that asks the
library for what it prints; nothing here knows how emulation works.

Errors: a mistake of the user's (a wrong option or option value, a program
file that is missing, unreadable or not an executable tcgkit can run, a
plugin name that is not installed or clashes, a host backend that cannot
execute on this machine) is one line ``tcgkit: error: ...`` saying what is
wrong and what to do, with exit status 2. An error of the guest program
(``EmulationError``: an invalid instruction, a memory fault, an unsupported
system call) is one line ``tcgkit: error: <class>: ...`` with exit status 1.
Anything else is a bug of tcgkit's and keeps its traceback.

Exit status: 0 on success (``run``: the guest's exit status; ``unicorn``: the
script's, 1 when it raised, with its traceback), 2 for a user's mistake as above,
1 for a guest error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import InvalidArgumentError, TcgkitError
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


def _json(obj: Any) -> str:
    """``obj`` as the commands print JSON (``json`` is imported here: only they use it)."""
    import json

    return json.dumps(obj, indent=2, sort_keys=True)


def _cmd_plugins(args: argparse.Namespace) -> int:
    manager = get_plugin_manager()
    if args.kind is not None:
        if args.name is None:
            raise PluginError("tcgkit plugins KIND NAME: a name is needed after the kind")
        info = manager.get_info(args.kind, args.name).describe()
        if args.json:
            print(_json(info))
        else:
            for key, value in info.items():
                print(f"{key:13} {value}")
        return 0
    table = plugin_table(manager)
    if args.json:
        print(_json(table))
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
    print(f"translator: {_translator_line()}")


def _translator_line() -> str:
    """How the translator runs: compiled (and which packages as one group, from
    tcgkit-bundle) or pure Python."""
    from ._bundle import status
    from .tcg import translator_build

    build = translator_build()
    bundled = status()
    if build == "pure":
        return "pure Python (an editable install or a pure build: no compiled modules)"
    if bundled:
        return f"mypyc, one group (tcgkit-bundle) for {', '.join(bundled)}"
    return "mypyc, one group per distribution"


def _cmd_run(args: argparse.Namespace) -> int:
    from .linux.run import run_program

    # `tcgkit run` is the whole application, so it may tune the collector (``main``
    # turned it off for the imports): translation allocates many objects that live for
    # one TB (a few thousand) and are freed by their reference counts; at the default
    # threshold (700) the cyclic collector runs every few dozen translated guest
    # instructions and traverses each of them. With 500,000 most die before a
    # collection (callgrind, coldcode.elf: the collector 102 -> 23 million host
    # instructions, peak RSS unchanged); the objects of start-up are frozen out of
    # its full collections
    gc.freeze()
    gc.set_threshold(500_000, 20, 20)
    gc.enable()
    # the command as a process of its own (``console_main``) ends the process when the
    # guest has exited, without freeing the emulator: the system reclaims it at once,
    # where closing it frees every TB and its IR one object at a time (callgrind,
    # coldcode.elf: 100 million host instructions, 5% of the run)
    # the guest's environment is this process's (as qemu-user's), with -E and -U applied;
    # after a guest's execve, the one it passed (``--env0-fd``)
    guest_env = dict(os.environ) if args.env0_fd is None else _read_env0(args.env0_fd)
    for item in args.env or []:
        key, _, value = item.partition("=")
        guest_env[key] = value
    for key in args.unset or []:
        guest_env.pop(key, None)
    env = [f"{k}={v}" for k, v in guest_env.items()]
    if args.gdb_port is not None:  # -g PORT: wait for gdb before the first instruction
        from .gdbstub.linux import run_program_gdb

        status = run_program_gdb(args.program, args.args, port=args.gdb_port,
                                 target=args.target, host=args.host, tb_hash=args.tb_hash,
                                 cpu=args.cpu, debug=args.debug, env=env, tier_up=args.tier_up,
                                 sysroot=args.sysroot, argv0=args.argv0,
                                 strace=sys.stderr if args.strace else None)  # fmt: skip
        if args.exit_process:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        return status
    result = run_program(args.program, args.args, target=args.target, host=args.host,
                         tb_hash=args.tb_hash, cpu=args.cpu, debug=args.debug,
                         tier_up=args.tier_up,
                         close=not args.exit_process, sysroot=args.sysroot,
                         strace=sys.stderr if args.strace else None, env=env,
                         host_stdio=True, argv0=args.argv0,
                         inherit_fds=args.inherit_fds, host_signals=True)  # fmt: skip
    if args.stats:
        stats = dict(result.stats, exit_code=result.exit_code, syscalls=result.syscalls,
                     seconds=round(result.seconds, 3))  # fmt: skip
        n = stats.get("guest_instructions", 0)
        stats["guest_mips"] = round(n / result.seconds / 1e6, 2) if result.seconds else 0
        print(_json(stats), file=sys.stderr)
    status = result.exit_code if result.exit_code is not None else 1
    if result.term_signal is not None and args.exit_process:
        # killed by a signal: end this process by it too, as qemu-user does, so that the
        # shell reports the guest's death as it would the program's own
        import resource
        import signal

        sys.stdout.flush()
        sys.stderr.flush()
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(result.term_signal, signal.SIG_DFL)
        with contextlib.suppress(OSError, ValueError):  # no core file of the emulator
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [result.term_signal])
        os.kill(os.getpid(), result.term_signal)
    if args.exit_process:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _read_env0(fd: int) -> dict[str, str]:
    """The NUL-separated VAR=VALUE records in descriptor ``fd`` (then closed)."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    out = {}
    for rec in b"".join(chunks).split(b"\0"):
        key, eq, value = rec.partition(b"=")
        if eq:
            out[os.fsdecode(key)] = os.fsdecode(value)
    return out


def _port(text: str) -> int:
    """A TCP port number (-g)."""
    try:
        port = int(text, 10)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port number: {text!r}")
    return port


def _fd_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of descriptors: {text!r}") from None


# -- option values (argparse ``type=``: a bad value is a usage error, exit 2) ----------------


def _debug_categories(text: str) -> str:
    """``-d``: comma-separated log categories, each one tcgkit knows."""
    from .log import DebugLog

    try:
        DebugLog(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _int_at_least(minimum: int, what: str) -> Any:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {what}, not {value}")
        return value

    return parse


_whole_int = _int_at_least(0, "0 or more")
_positive_int = _int_at_least(1, "at least 1")


def _log2_range(text: str) -> list[int]:
    """``14-24`` or ``14,16,20-22``: initial log2 bucket counts, each within 0..30."""
    from .exec.tb_hash import MAX_LOG2_BUCKETS

    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a number or a range like 14-24 (whole list: 14,16,20-22)"
            ) from None
        if last < first:
            raise argparse.ArgumentTypeError(f"the range {part!r} is empty (write it low-high)")
        if first < 0 or last > MAX_LOG2_BUCKETS:
            raise argparse.ArgumentTypeError(
                f"{part!r} is outside 0..{MAX_LOG2_BUCKETS} (log2 of the initial bucket count)"
            )
        out += range(first, last + 1)
    return out


def _cmd_unicorn(args: argparse.Namespace) -> int:
    from .unicorn.runner import run_script

    # the options are the script's Uc() defaults: tcgkit.unicorn reads them from the
    # environment (an extra keyword argument of Uc() still wins)
    for value, variable in ((args.host, "TCGKIT_UNICORN_HOST"),
                            (args.tb_hash, "TCGKIT_UNICORN_TB_HASH"),
                            (args.debug, "TCGKIT_UNICORN_DEBUG"),
                            (args.tier_up, "TCGKIT_UNICORN_TIER_UP")):  # fmt: skip
        if value is not None:
            os.environ[variable] = str(value)
    if args.fetch_hooks:
        os.environ["TCGKIT_UNICORN_FETCH_HOOKS"] = "1"
    gc.enable()  # the script runs as under python (``main`` paused it for the imports)
    return run_script(args.script, args.args)


def _cmd_bench_tb_hash(args: argparse.Namespace) -> int:
    import importlib.util
    from pathlib import Path

    from .bench import runner
    from .bench import tb_hash as study

    if args.executor == "dask":
        runner.import_dask()  # without the extra: one line, before anything runs
    policies = args.policies.split(",") if args.policies else list(study.STUDY_POLICIES)
    programs = [Path(p) for p in args.programs]
    study.check(programs, policies, args.host)
    if importlib.util.find_spec("matplotlib") is None:
        raise InvalidArgumentError(
            "tcgkit bench tb-hash draws its figure with matplotlib, which is not installed: "
            "pip install 'tcgkit[bench]'"
        )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it exists and is not a folder" if out.exists() else exc.strerror or exc
        raise InvalidArgumentError(
            f"cannot make the output folder {str(out)!r}: {why}; choose another with --out"
        ) from None
    tasks = study.grid(programs, policies, args.log2, args.runs, host=args.host,
                       hash_only=not args.jump_cache)  # fmt: skip
    rows = runner.run(tasks, out / "tb_hash.csv", study.FIELDS, executor=args.executor,
                      workers=args.workers, scheduler=args.scheduler,
                      dask_local=args.dask_local, resume=args.resume)  # fmt: skip
    print(f"wrote {out / 'tb_hash.csv'} ({len(rows)} runs)")
    study.plot(study.read_csv(out / "tb_hash.csv"), out / "tb_hash.png")
    print(f"wrote {out / 'tb_hash.png'}")
    return 0


def _cmd_bench_diff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bench import diff, runner

    if args.executor == "dask":
        runner.import_dask()
    diff.check_modules()
    get_plugin_manager().get_info("target", "aarch64")
    get_plugin_manager().resolve_host(args.host)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot make the output folder {str(out)!r}: {exc}") from None
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = diff.grid(seeds, args.words, host=args.host)
    rows = runner.run(tasks, out / "diff.csv", diff.FIELDS, executor=args.executor,
                      workers=args.workers, scheduler=args.scheduler,
                      dask_local=args.dask_local, resume=args.resume)  # fmt: skip
    keys = {t.key for t in tasks}  # not the rows of other points a resumed CSV holds
    rows = [r for r in rows if tuple(r[k] for k in diff.KEY_FIELDS) in keys]
    tally, found = diff.summary(rows)
    print(f"wrote {out / 'diff.csv'} ({len(rows)} seeds, host {args.host}): "
          + ", ".join(f"{k} {v}" for k, v in tally.items()))  # fmt: skip
    for line in found:
        print(f"MISMATCH {line}")
    return EXIT_ERROR if found else 0


def _cmd_bench_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bench import tb_hash as study

    csv_path = Path(args.csv)
    samples = study.read_csv(csv_path)
    if not samples:
        raise InvalidArgumentError(f"{csv_path} has no rows to plot")
    png = Path(args.out) if args.out else csv_path.with_suffix(".png")
    try:
        study.plot(samples, png)
    except RuntimeError as exc:  # matplotlib is missing
        raise InvalidArgumentError(str(exc)) from None
    print(f"wrote {png}")
    return 0


class _Version(argparse.Action):
    """``--version``; the version is looked up only when asked for (importlib.metadata)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from . import __version__

        print(f"tcgkit {__version__}")
        parser.exit()


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, the terminal's width read through ``os``: argparse makes a
    formatter for every ``add_argument`` and its own imports ``shutil`` for the width,
    which brings bz2, lzma and zlib into every ``tcgkit`` process (4 ms)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:  # fmt: skip
        if width is None:
            try:
                columns = int(os.environ["COLUMNS"])
            except (KeyError, ValueError):
                try:
                    columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
                except (AttributeError, ValueError, OSError):
                    columns = 80
            width = columns - 2  # as argparse leaves
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in the one-line form of every other user mistake."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tcgkit: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; later subcommands add themselves here."""
    parser = _Parser(prog="tcgkit", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plugins", help="list installed plugins, or show one")
    p.add_argument("kind", nargs="?", choices=sorted(KINDS_BY_KEY), help="plugin kind")
    p.add_argument("name", nargs="?", help="plugin name (with KIND)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_plugins)

    p = sub.add_parser("run", help="run a Linux ELF program (static, or dynamic with -L)")
    p.add_argument("program", help="path of the ELF file")
    rest = p.add_argument("args", nargs=argparse.REMAINDER,
                          help="the program's arguments: everything after the program")  # fmt: skip
    rest.required = False  # a missing program is the error; argparse would name both
    p.add_argument("--target", help="guest target (default: from the ELF machine)")
    p.add_argument("--host", default="auto", help="host backend (default: auto)")
    p.add_argument("--tb-hash", help="TB hash-table policy (default: qht-dyn-nomru)")
    p.add_argument("--cpu", "-cpu", default=None, metavar="MODEL",
                   help="CPU model of the guest target, as qemu's -cpu (aarch64: max, "
                   "cortex-a53, cortex-a57, cortex-a72; default: the target's, max)")  # fmt: skip
    p.add_argument("-d", "--debug", default="", type=_debug_categories,
                   help="log categories, e.g. in_asm,op,out_asm")  # fmt: skip
    p.add_argument("--stats", action="store_true", help="print the engine's statistics")
    p.add_argument("-L", dest="sysroot", metavar="DIR", default=None,
                   help="sysroot: the program interpreter and absolute paths are looked up "
                   "there first, as qemu's -L (default: $TCGKIT_LD_PREFIX)")  # fmt: skip
    p.add_argument(
        "--strace",
        "-strace",
        action="store_true",
        help="print every system call with its arguments and result (stderr)",
    )
    p.add_argument(
        "-E",
        dest="env",
        action="append",
        metavar="VAR=VALUE",
        help="set an environment variable of the guest (repeatable)",
    )
    p.add_argument(
        "-0",
        "--argv0",
        default=None,
        metavar="ARG0",
        help="the program's argv[0] (default: its path), as qemu's -0",
    )
    p.add_argument("-g", dest="gdb_port", type=_port, default=None, metavar="PORT",
                   help="wait for gdb on 127.0.0.1:PORT before the first instruction, "
                   "as qemu's -g (gdb: target remote :PORT)")  # fmt: skip
    # how a guest's execve starts the next program (linux.children): not for users
    p.add_argument("--inherit-fds", type=_fd_list, default=None, help=argparse.SUPPRESS)
    p.add_argument("--env0-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("-U", dest="unset", action="append", metavar="VAR",
                   help="leave a variable of this process's environment out of the guest's "
                   "(repeatable; the guest gets the rest, as under qemu-user)")  # fmt: skip
    p.add_argument("--tier-up", type=_whole_int, default=None, metavar="N",
                   help="runs of a TB in the interpreter (tier 0) before it is compiled; "
                        "0 compiles every TB at once (default: Emulator's tier_up)")  # fmt: skip
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("unicorn", help="run a Unicorn script (Python) on tcgkit, unchanged")
    p.add_argument("script", help="path of the script: its `import unicorn` gets tcgkit.unicorn")
    rest = p.add_argument("args", nargs=argparse.REMAINDER,
                          help="the script's arguments: everything after the script")  # fmt: skip
    rest.required = False
    p.add_argument("--host", help="host backend of every Uc (default: auto)")
    p.add_argument("--tb-hash", help="TB hash-table policy (default: qht-dyn-nomru)")
    p.add_argument("-d", "--debug", default=None, type=_debug_categories,
                   help="log categories, e.g. in_asm,op,out_asm")  # fmt: skip
    p.add_argument("--tier-up", type=_whole_int, default=None, metavar="N",
                   help="runs of a TB in the interpreter before it is compiled")  # fmt: skip
    p.add_argument("--fetch-hooks", action="store_true",
                   help="call UC_HOOK_MEM_FETCH hooks (Unicorn 2.1 never does)")  # fmt: skip
    p.set_defaults(func=_cmd_unicorn)

    bench = sub.add_parser("bench", help="experiments").add_subparsers(
        dest="experiment", required=True, metavar="EXPERIMENT"
    )
    p = bench.add_parser("tb-hash", help="the qht study: time against log2 buckets per policy")
    p.add_argument("programs", nargs="+", help="static ELF programs to run")
    p.add_argument("--policies", help="comma-separated (default: the study's six)")
    p.add_argument("--log2", default="14-24", type=_log2_range,
                   help="initial log2 bucket counts: 14-24 or 14,16,20-22")  # fmt: skip
    p.add_argument("--runs", type=_positive_int, default=3, help="runs per point")
    p.add_argument("--host", default="auto")
    p.add_argument(
        "--jump-cache",
        action="store_true",
        help="keep the jump cache and chaining (the study turns them off)",
    )
    p.add_argument("--out", default="bench-out", help="folder for tb_hash.csv and tb_hash.png")
    p.set_defaults(func=_cmd_bench_tb_hash)
    tb_hash = p

    p = bench.add_parser("diff", help="random A64 words on a host against Unicorn, per seed")
    p.add_argument("--seeds", type=_positive_int, default=20, metavar="N",
                   help="tasks: one per seed, from --first-seed (default: 20)")  # fmt: skip
    p.add_argument("--first-seed", type=_whole_int, default=0, metavar="S")
    p.add_argument("--words", type=_positive_int, default=100, metavar="N",
                   help="random words per seed (default: 100)")  # fmt: skip
    p.add_argument("--host", default="auto")
    p.add_argument("--out", default="bench-out", help="folder for diff.csv")
    p.set_defaults(func=_cmd_bench_diff)

    for q in (tb_hash, p):
        q.add_argument("--executor", choices=("serial", "processes", "dask"), default="serial",
                       help="where the runs run: this process, a local process pool, or dask "
                       "(pip install 'tcgkit[dask]'); default: serial")  # fmt: skip
        q.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="processes executor: processes (default: one per core)")  # fmt: skip
        q.add_argument("--scheduler", default=None, metavar="URL",
                       help="dask executor: the scheduler, tcp://HOST:PORT (default: a local "
                       "cluster, see --dask-local)")  # fmt: skip
        q.add_argument("--dask-local", type=_positive_int, default=None, metavar="N",
                       help="dask executor without --scheduler: a LocalCluster of N worker "
                       "processes (default: one per core)")  # fmt: skip
        q.add_argument("--resume", action="store_true",
                       help="keep the CSV's rows, run only the missing points")  # fmt: skip

    p = bench.add_parser("plot", help="draw the figure of a tb-hash CSV")
    p.add_argument("csv", help="a tb_hash.csv written by tcgkit bench tb-hash")
    p.add_argument("--out", default=None, help="the figure (default: the CSV's name, .png)")
    p.set_defaults(func=_cmd_bench_plot)
    return parser


def console_main() -> NoReturn:
    """Entry point of the ``tcgkit`` console script and of ``python -m tcgkit``: ``main``,
    in a process that ends with the command (``run`` ends it as soon as the guest has
    exited and its results are printed)."""
    sys.exit(main(exit_process=True))


def main(argv: Sequence[str] | None = None, *, exit_process: bool = False) -> int:
    """The ``tcgkit`` command with ``argv``; returns the exit status. With
    ``exit_process``, ``run`` ends the process itself (``console_main``)."""
    # no cyclic collection while the commands import the engine and its plugins (they
    # make few cycles, and the collector would traverse every new module's objects:
    # 45 million host instructions of a `tcgkit run`); a command may tune it (run)
    collecting = gc.isenabled()
    gc.disable()
    try:
        args = build_parser().parse_args(argv)
        args.exit_process = exit_process
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`tcgkit plugins | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (PluginError, InvalidArgumentError) as exc:  # the user's mistake: what to do
        print(f"tcgkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (TcgkitError, OSError) as exc:  # the guest's error, or the system's: not a bug
        print(f"tcgkit: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if collecting:
            gc.enable()


if __name__ == "__main__":  # pragma: no cover
    console_main()
