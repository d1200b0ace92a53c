"""A user's mistake on the command line is one line ``tcgkit: error: ...`` and
exit status 2, never a traceback; these need no plugin (the cross-package
ones, with a target and hosts installed, are in tests/test_cli_errors.py)."""

from __future__ import annotations

import errno
import struct
import types
from pathlib import Path

import pytest
import tcgkit.linux.run
from tcgkit import hookimpl
from tcgkit.errors import InvalidArgumentError, ProgramFileError, TcgkitError
from tcgkit.linux.elf import ElfError, read_elf
from tcgkit.linux.run import read_program
from tcgkit.plugins import (
    HostUnavailableError,
    PluginError,
    PluginManager,
    UnknownPluginError,
)


def elf(machine: int = 183, e_type: int = 2, code: bytes = b"\0" * 4, vaddr: int = 0x400000,
        ) -> bytes:  # fmt: skip
    """A minimal ELF64 little-endian file: the header and one PT_LOAD of ``code``."""
    base = vaddr
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, base + 0x78, 64, 0, 0, 64, 56,
                          1, 64, 0, 0)  # fmt: skip
    size = 0x78 + len(code)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000)
    return header + phdr + code


def one_line_usage_error(res) -> str:
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.stderr.startswith("tcgkit: error: "), res.stderr
    assert res.stderr.count("\n") == 1, res.stderr
    return res.stderr


# -- the program file -----------------------------------------------------------------


def test_missing_program_file_names_the_path(site, tmp_path: Path) -> None:
    path = tmp_path / "nope.elf"
    err = one_line_usage_error(site.run("run", str(path)))
    assert f"program file {str(path)!r} does not exist" in err
    assert "Errno" not in err and "FileNotFoundError" not in err


def test_directory_as_program_file(site, tmp_path: Path) -> None:
    err = one_line_usage_error(site.run("run", str(tmp_path)))
    assert "is a directory, not a program file" in err


def test_unreadable_program_file_says_permission_denied(monkeypatch, tmp_path: Path) -> None:
    # in process: root (as in containers) reads any file, so chmod cannot make one unreadable
    path = tmp_path / "secret.elf"

    def denied(file: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(tcgkit.linux.run, "open", denied, raising=False)  # its open() only
    with pytest.raises(ProgramFileError, match="cannot be read: permission denied") as info:
        read_program(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, OSError) and isinstance(info.value, InvalidArgumentError)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"#!/bin/sh\necho hi\n", "not an ELF file (bad magic at offset 0)"),
        (b"\x7fELF\x02\x01", "truncated ELF file (6 bytes"),
        (elf()[:64], "program headers out of the file"),
        (elf(e_type=1), "an object file (ET_REL at offset 16)"),
        (elf()[:4] + b"\x01" + elf()[5:], "only 64-bit little-endian ELF"),
        (elf(vaddr=0xFFFF_FFFF_FFFF_FF00, code=bytes(0x100)), "runs past the 64-bit address space"),
    ],
    ids=["script", "truncated", "header-only", "object", "32-bit", "past-2^64"],
)
def test_not_a_runnable_elf(site, tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "prog"
    path.write_bytes(data)
    err = one_line_usage_error(site.run("run", str(path)))
    assert expected in err, err
    assert str(path) in err
    assert "ElfError" not in err  # a sentence, not an exception's class name


def test_elf_for_another_machine_without_a_target(site, tmp_path: Path) -> None:
    path = tmp_path / "x86.elf"
    path.write_bytes(elf(machine=62))
    err = one_line_usage_error(site.run("run", str(path)))
    assert "is an ELF program for x86-64 (machine 62)" in err
    assert "no installed guest target runs Linux programs" in err


def test_elf_errors_are_value_errors_and_tcgkit_errors() -> None:
    with pytest.raises(ElfError) as info:
        read_elf(b"nope" * 20, "f")
    assert isinstance(info.value, ValueError) and isinstance(info.value, TcgkitError)


# -- option values ---------------------------------------------------------------------


def test_unknown_debug_category(site, tmp_path: Path) -> None:
    err = one_line_usage_error(site.run("run", "-d", "in_asm,bogus", str(tmp_path / "p")))
    assert "argument -d/--debug: unknown -d categories bogus" in err
    assert "known: in_asm, op, op_opt, out_asm, exec" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run"], "the following arguments are required: program (see tcgkit run --help)"),
        (["run", "--frob", "p"], "unrecognized arguments: --frob"),
        (["plugins", "gpu"], "argument kind: invalid choice: 'gpu'"),
        (["plugins", "host"], "a name is needed after the kind"),
    ],
)
def test_argument_errors_are_one_line(site, args: list[str], expected: str) -> None:
    assert expected in one_line_usage_error(site.run(*args))


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--runs", "0"], "argument --runs: must be at least 1, not 0"),
        (["--runs", "-2"], "argument --runs: must be at least 1, not -2"),
        (["--runs", "many"], "argument --runs: 'many' is not a whole number"),
        (["--log2", "abc"], "argument --log2: 'abc' is not a number or a range"),
        (["--log2", "20-14"], "the range '20-14' is empty"),
        (["--log2", "14-31"], "'14-31' is outside 0..30"),
        (["--log2", "-1"], "is not a number or a range"),
    ],
)
def test_bench_bad_numbers(site, tmp_path: Path, option: list[str], expected: str) -> None:
    res = site.run("bench", "tb-hash", str(tmp_path / "p.elf"), *option, "--out",
                   str(tmp_path / "out"))  # fmt: skip
    assert expected in one_line_usage_error(res)
    assert not (tmp_path / "out").exists()


def test_bench_checks_policies_before_running(site, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = site.run("bench", "tb-hash", str(tmp_path / "p.elf"), "--policies", "master", "--out",
                   str(out))  # fmt: skip
    err = one_line_usage_error(res)
    assert "no TB hash-table policy named 'master' is installed" in err
    assert "pip install tcgkit-tbhash-legacy" in err
    assert not out.exists()


# -- a host backend that cannot execute here -----------------------------------------------


class _NeverBuilt:
    def __init__(self) -> None:
        raise AssertionError("the backend was constructed")


def _host(name: str, native: bool) -> type:
    return type(name, (_NeverBuilt,), {"name": name,
                                       "native_here": classmethod(lambda cls: native),
                                       "features": classmethod(lambda cls: {})})  # fmt: skip


def _manager(*hosts: type) -> PluginManager:
    class Target:
        name = "guest"

    @hookimpl
    def tcgkit_host_backends(register):
        for h in hosts:
            register(h)

    @hookimpl
    def tcgkit_guest_targets(register):
        register(Target)

    m = PluginManager()
    plugin = types.SimpleNamespace(tcgkit_host_backends=tcgkit_host_backends,
                                   tcgkit_guest_targets=tcgkit_guest_targets)  # fmt: skip
    m.add_plugin(plugin, entry_point="test", distribution="test-dist", version="1")
    m.collect()
    return m


def test_host_that_cannot_execute_here_is_a_plugin_error_naming_those_that_can() -> None:
    m = _manager(_host("python", True), _host("x86_64", True), _host("ppc64le", False))
    with pytest.raises(HostUnavailableError) as info:
        m.resolve_host("ppc64le")
    err = info.value
    assert isinstance(err, PluginError) and isinstance(err, TcgkitError)
    assert err.host == "ppc64le" and err.runnable == ["python", "x86_64"]
    assert f"host backend 'ppc64le' cannot execute on this {err.machine} machine" in str(err)
    assert "hosts that can: python, x86_64 (host 'auto' picks x86_64)" in str(err)
    assert m.resolve_host("x86_64") == "x86_64"


def test_host_probe_that_raises_counts_as_cannot_execute() -> None:
    broken = _host("aarch64", True)
    broken.native_here = classmethod(lambda cls: 1 / 0)
    m = _manager(broken, _host("python", True))
    with pytest.raises(HostUnavailableError, match="hosts that can: python"):
        m.resolve_host("aarch64")
    assert m.resolve_host("auto") == "python"


def test_no_host_can_execute_here() -> None:
    m = _manager(_host("aarch64", False))
    with pytest.raises(HostUnavailableError, match="install tcgkit-host-python"):
        m.resolve_host("aarch64")
    with pytest.raises(UnknownPluginError):
        m.resolve_host("auto")


def test_emulator_refuses_the_host_before_constructing_anything() -> None:
    from tcgkit import Emulator

    m = _manager(_host("python", True), _host("ppc64le", False))
    with pytest.raises(HostUnavailableError, match="'ppc64le' cannot execute"):
        Emulator("guest", host="ppc64le", plugin_manager=m)
