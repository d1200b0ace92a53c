"""Linux user mode on real programs (examples/bin/linux, built by examples/build.sh)
against qemu-aarch64: the file system calls, a dynamically linked PIE with its
loader and libraries from a sysroot (-L), signals delivered to handlers, a program
killed by a signal, -strace, and the errors a user gets for a missing interpreter
or sysroot."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit.linux.run import run_program
from tcgkit.plugins import HOST, get_plugin_manager

LINUX = Path(__file__).resolve().parents[1] / "examples" / "bin" / "linux"
HOSTS = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]
#: Debian's cross libc (libc6-arm64-cross, installed by scripts/bootstrap with the
#: cross compiler): the sysroot of the dynamic example, for tcgkit and qemu alike
SYSROOT = Path("/usr/aarch64-linux-gnu")


def qemu(*args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if exe is None:
        pytest.skip("qemu-aarch64 is not installed (scripts/bootstrap installs it)")
    return subprocess.run([exe, *args], capture_output=True, timeout=600, env=env, cwd=cwd)


def tcgkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tcgkit", "run", *args], capture_output=True,
                          timeout=600, env=env)  # fmt: skip


def need_sysroot() -> None:
    if not (SYSROOT / "lib" / "ld-linux-aarch64.so.1").exists():
        why = f"{SYSROOT} has no arm64 libc (scripts/bootstrap installs it)"
        if os.environ.get("CI"):
            pytest.fail(why)  # under CI nothing is skipped for a missing tool
        pytest.skip(why)


@pytest.mark.parametrize("host", HOSTS)
def test_file_system_calls_match_qemu(host: str, tmp_path: Path) -> None:
    program = LINUX / "files.elf"
    (tmp_path / "q").mkdir()
    (tmp_path / "t").mkdir()
    want = qemu(str(program), str(tmp_path / "q"))
    out = io.BytesIO()
    result = run_program(program, [str(tmp_path / "t")], host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b"read into a bad pointer: -1 EFAULT" in want.stdout  # the checks ran
    assert sorted(os.listdir(tmp_path / "t")) == []  # it cleaned up after itself


@pytest.mark.parametrize("host", HOSTS)
def test_dynamic_pie_with_its_loader_from_the_sysroot_matches_qemu(host: str) -> None:
    need_sysroot()
    program = LINUX / "hello_dynamic.elf"
    env = {"TCGKIT_EXAMPLE": "from the host"}
    want = qemu("-L", str(SYSROOT), str(program), "zeta", "alpha", env=env)
    out = io.BytesIO()
    result = run_program(program, ["zeta", "alpha"], host=host, stdout=out,
                         sysroot=str(SYSROOT), env=["TCGKIT_EXAMPLE=from the host"])  # fmt: skip
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b"cos(0.5) = 0.877582561890 through dlopen" in want.stdout
    assert result.syscalls["openat"] >= 3  # libc, libm and the loader cache at least


def test_command_takes_the_sysroot_from_the_environment_and_passes_its_environment() -> None:
    need_sysroot()
    program = LINUX / "hello_dynamic.elf"
    env = dict(os.environ, TCGKIT_LD_PREFIX=str(SYSROOT), TCGKIT_EXAMPLE="inherited")
    res = tcgkit(str(program), env=env)
    want = qemu("-L", str(SYSROOT), str(program), env=env)
    assert (res.stdout, res.returncode) == (want.stdout, want.returncode) and res.returncode == 7
    assert b"TCGKIT_EXAMPLE=inherited" in res.stdout
    res = tcgkit("-U", "TCGKIT_EXAMPLE", "-E", "OTHER=1", str(program), env=env)
    assert b"TCGKIT_EXAMPLE=(unset)" in res.stdout


def test_missing_interpreter_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    res = tcgkit("-L", str(tmp_path), str(LINUX / "hello_dynamic.elf"))
    err = res.stderr.decode()
    assert res.returncode == 2 and err.count("\n") == 1, err
    assert "program interpreter /lib/ld-linux-aarch64.so.1 cannot be read" in err
    assert "-L DIR" in err and "Traceback" not in err
    res = tcgkit("-L", str(tmp_path / "nowhere"), str(LINUX / "hello_dynamic.elf"))
    assert res.returncode == 2 and "is not a directory" in res.stderr.decode()


def test_a_program_killed_by_a_signal_kills_the_command_by_it() -> None:
    want = qemu(str(LINUX / "abort.elf"))
    res = tcgkit(str(LINUX / "abort.elf"))
    assert (res.stdout, res.returncode) == (want.stdout, want.returncode)
    assert res.returncode == -6  # SIGABRT, as the shell sees it


def test_strace_prints_each_call_with_its_arguments(tmp_path: Path) -> None:
    res = tcgkit("--strace", str(LINUX / "files.elf"), str(tmp_path))
    lines = [line.split(" ", 1) for line in res.stderr.decode().splitlines()]
    assert res.returncode == 0
    pids = {pid for pid, _call in lines}
    assert len(pids) == 1 and int(pids.pop()) > 1  # the host's process id
    calls = [call for _pid, call in lines]
    assert 'openat(AT_FDCWD, "a.txt", 0x800c2, 0o666) = 3' in calls
    assert any(c.startswith('mkdirat(AT_FDCWD, "sub", 0o755) = -1 errno=17') for c in calls)
    assert calls[-1] == "exit_group(0) = 0"


@pytest.mark.parametrize("host", HOSTS)
def test_signals_reach_their_handlers_as_under_qemu(host: str) -> None:
    program = LINUX / "signals.elf"
    want = qemu(str(program))
    out = io.BytesIO()
    result = run_program(program, host=host, stdout=out)
    assert want.returncode == -15  # the program ends by SIGTERM's default action
    assert out.getvalue() == want.stdout
    assert (result.term_signal, result.exit_code) == (15, 128 + 15)
    assert b"signal 10 on the alternate stack: 1" in want.stdout
    res = tcgkit(str(program))
    assert (res.stdout, res.returncode) == (want.stdout, want.returncode)


@pytest.mark.parametrize("host", HOSTS)
def test_faults_timers_and_interrupted_calls_as_under_qemu(host: str) -> None:
    """Guest faults to handlers (si_addr, the sigcontext's fault address), timers'
    signals reaching a loop that makes no system call, EINTR and SA_RESTART, waitid,
    sigwaitinfo on a POSIX timer, and the death by an unhandled SIGSEGV: through the
    embedding API (the host's signals passed on) and the command."""
    program = LINUX / "sigasync.elf"
    want = qemu(str(program))
    assert want.returncode == -11
    assert b"periodic timer ticked at least 3 times: 1" in want.stdout
    out = io.BytesIO()
    err = io.BytesIO()
    result = run_program(program, host=host, stdout=out, host_signals=True, stderr=err)
    assert out.getvalue() == want.stdout
    assert (result.term_signal, result.exit_code) == (11, 128 + 11)
    assert b"address=0x10): the guest dies of SIGSEGV" in err.getvalue()
    res = tcgkit("--host", host, str(program))
    assert (res.stdout, res.returncode) == (want.stdout, want.returncode)


@pytest.mark.parametrize("host", HOSTS)
def test_memory_system_calls_match_qemu(host: str, tmp_path: Path) -> None:
    program = LINUX / "memory.elf"
    want = qemu(str(program), str(tmp_path))
    out = io.BytesIO()
    result = run_program(program, [str(tmp_path)], host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b"madvise DONTNEED: ok, zero again 1 1" in want.stdout  # the checks ran


@pytest.mark.parametrize("host", HOSTS)
def test_protection_changes_from_threads_match_qemu(host: str) -> None:
    """Two threads change the protection of runs of pages of one mapping 3,000 times
    while others read and write it (minutes before mprotect changed the whole range
    at once and merged the pieces that end up alike)."""
    program = LINUX / "mprotect_threads.elf"
    want = qemu(str(program))
    out = io.BytesIO()
    result = run_program(program, [], host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b"pages intact and writable: 512 of 512" in want.stdout


def test_process_system_calls_match_qemu(tmp_path: Path) -> None:
    """fork, wait4, waitid, execve (of the program again, of a file that is no program:
    the process goes on with its descriptors), sessions, limits, clocks. qemu-aarch64
    has no binfmt_misc here, so its execve goes through a script that runs qemu."""
    program = LINUX / "process.elf"
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    wrapper = tmp_path / "under-qemu"
    wrapper.write_text(f'#!/bin/sh\nexec {exe} {program} "$@"\n')
    wrapper.chmod(0o755)
    want = qemu(str(program), str(wrapper))
    got = tcgkit(str(program), str(program))
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    assert b"the exec'd program exited with 23" in want.stdout
    assert b"after it: descriptors 5 and 6 still open 1 1" in want.stdout


@pytest.mark.parametrize("host", HOSTS)
def test_signal_masks_are_per_thread_as_under_qemu(host: str) -> None:
    program = LINUX / "sigthreads.elf"
    want = qemu(str(program))
    out = io.BytesIO()
    result = run_program(program, host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b"taken by the main thread: 1, main does not block it: 1" in want.stdout


@pytest.mark.parametrize("host", HOSTS)
def test_fork_and_posix_spawn_from_a_threaded_process_as_under_qemu(
    host: str, tmp_path: Path
) -> None:
    """fork from the main thread while workers run, fork and posix_spawn (vfork +
    execve) from a worker: the child has only the calling thread."""
    program = LINUX / "forkthreads.elf"
    exe = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    wrapper = tmp_path / "under-qemu"
    wrapper.write_text(f'#!/bin/sh\nexec {exe} {program} "$@"\n')
    wrapper.chmod(0o755)
    want = qemu(str(program), str(wrapper))
    got = tcgkit("--host", host, str(program), str(program))
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode), got.stderr
    assert b"posix_spawn from a worker: 0, exited with 7" in want.stdout


@pytest.mark.parametrize("host", HOSTS)
def test_system_v_shared_memory_and_fault_signals_match_qemu(host: str, tmp_path: Path) -> None:
    """shmget/shmat/shmdt/shmctl, MADV_DONTNEED on a private file mapping, a branch to
    a misaligned address (SIGBUS, BUS_ADRALN) and MRS of an AArch32 ID register
    (SIGILL), as QEMU's own tests (linux-test, linux-shmat-*, linux-madvise,
    pcalign-a64, sysregs) need them."""
    program = LINUX / "sysvshm.elf"
    want = qemu(str(program), str(tmp_path))
    out = io.BytesIO()
    result = run_program(program, [str(tmp_path)], host=host, stdout=out)
    assert (out.getvalue(), result.exit_code) == (want.stdout, want.returncode)
    assert b'second attachment reads: "written by the first attachment" 7' in want.stdout
    assert b"misaligned branch: signal 7 code 1 at the target 1" in want.stdout
