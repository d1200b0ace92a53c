"""The compiled translator (mypyc, see core/hatch_build.py), its one-group build
(tcgkit-bundle) and its pure-Python fallback translate identically.

The installed ``tcgkit`` package is run in fresh processes on the same programs: as
installed (compiled where the wheel was built with a C compiler, from the bundle where
tcgkit-bundle is installed), with the bundle turned off (``TCGKIT_BUNDLE=off``: each
distribution's own compiled modules) and from a copy of the package without its
extension modules (the pure ``.py`` files the wheel also ships). The program output,
the IR after optimization and liveness of every TB, the host-code size of every TB
and the engine's counters must be the same.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tcgkit
from tcgkit._bundle import status as bundle_status
from tcgkit.tcg import translator_build

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "bin"

CHILD = r"""
import io, json, sys
from pathlib import Path
from tcgkit import Emulator
from tcgkit.linux import LinuxProcess
from tcgkit.tcg import translator_build
from tcgkit_target_aarch64.state import LINUX_ABI

path, host = Path(sys.argv[1]), sys.argv[2]
log, out = io.StringIO(), io.BytesIO()
with Emulator("aarch64", host=host, debug="op_opt", log_file=log) as emu:
    proc = LinuxProcess(emu, LINUX_ABI, stdout=out)
    proc.load(path.read_bytes(), [str(path)])
    proc.run()
    st = emu.stats()
    tbs = {tb for on_page in emu.engine.tb_cache.code_pages.values() for tb in on_page}
    sizes = sorted((tb.pc, tb.host_size) for tb in tbs)
print(json.dumps({
    "translator": translator_build(), "out": out.getvalue().decode(), "exit": proc.exit_code,
    "ir": log.getvalue(), "sizes": sizes,
    "counts": [st[k] for k in ("tbs_translated", "insns_translated", "guest_instructions",
                               "code_bytes", "chained_jumps")],
}))
"""


def _run(program: Path, host: str, pythonpath: str | None, bundle: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TCGKIT_BUNDLE")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if not bundle:
        env["TCGKIT_BUNDLE"] = "off"
    res = subprocess.run([sys.executable, "-c", CHILD, str(program), host],
                         capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def test_a_build_asked_to_compile_is_compiled() -> None:
    # tox sets TCGKIT_BUILD=compiled where the suite must run the compiled translator,
    # and pure where it must run the fallback
    wanted = {"compiled": "mypyc", "pure": "pure"}.get(os.environ.get("TCGKIT_BUILD", ""))
    assert translator_build() == (wanted or translator_build()), tcgkit.__file__


FIRST_PARTY = ["tcgkit", "tcgkit_host_x86", "tcgkit_host_python", "tcgkit_target_aarch64",
               "tcgkit_tbhash_qht"]  # fmt: skip


def test_the_bundle_serves_every_first_party_distribution_where_installed() -> None:
    # tox's full environment installs tcgkit-bundle, built from these sources: every
    # first-party distribution's compiled modules must come from it; elsewhere none
    bundled = (os.environ.get("TCGKIT_BUILD") == "compiled"
               and importlib.util.find_spec("tcgkit_bundle") is not None)  # fmt: skip
    assert sorted(bundle_status()) == (sorted(FIRST_PARTY) if bundled else [])
    # and no distribution's own group library was loaded beside it (only one of the
    # two builds of a module may ever run in a process)
    for package in bundle_status():
        assert f"{package}_compiled__mypyc" not in sys.modules, package


@pytest.mark.parametrize("program", ["manyfuncs.elf", "fp.elf"])
def test_pure_fallback_translates_as_the_installed_build(program: str, tmp_path: Path) -> None:
    host = "x86_64" if platform.machine() == "x86_64" else "python"
    pure = tmp_path / "pure"
    pkg = Path(tcgkit.__file__).parent
    shutil.copytree(pkg, pure / "tcgkit", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    installed = _run(EXAMPLES / program, host, None)
    groups = _run(EXAMPLES / program, host, None, bundle=False)
    fallback = _run(EXAMPLES / program, host, str(pure), bundle=False)
    assert fallback["translator"] == "pure"
    assert installed["translator"] == translator_build()
    for key in ("out", "exit", "counts", "sizes", "ir"):
        assert installed[key] == fallback[key], key
        assert installed[key] == groups[key], key
    assert installed["counts"][0] > 50  # TBs translated
