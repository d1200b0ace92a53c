"""The python host's lowering assembles the same bytecode compiled (mypyc, as wheels
install it) and as the pure ``.py`` files every install also ships: random IR
programs, before and after the optimizer, give code objects equal in every field
CPython runs (bytecode, constants, names, locals, stack size, line table).

The pure modules are the installed package's ``.py`` files copied into a package
of another name (their imports are relative), so both load in this process."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import tcgkit_host_python
from hypothesis import HealthCheck, given, settings
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.testing.ir_programs import Program, programs
from tcgkit_host_python.bytecode import SUPPORTED
from tcgkit_host_python.lower import lower

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="bytecode of CPython 3.11 only")

FIELDS = ("co_code", "co_consts", "co_names", "co_varnames", "co_stacksize", "co_linetable",
          "co_nlocals", "co_argcount")  # fmt: skip


@pytest.fixture(scope="module")
def pure(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("pure")
    dest = root / "tcgkit_host_python_pure"
    dest.mkdir()
    for src in Path(tcgkit_host_python.__file__).parent.glob("*.py"):
        shutil.copy(src, dest / src.name)
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("tcgkit_host_python_pure.lower")
    finally:
        sys.path.remove(str(root))
    assert module.__file__ is not None and module.__file__.endswith(".py")
    return module


def _same_object(c: object) -> object:
    """A constant as both builds can have it: an int itself; a function or a struct's
    method (each module has its own) by its name and, for a struct, its format."""
    if isinstance(c, int):
        return c
    owner = getattr(c, "__self__", None)
    return getattr(c, "__qualname__", None), getattr(owner, "format", None)


def _fields(code: object) -> tuple[object, ...]:
    got = [getattr(code, f) for f in FIELDS]
    got[1] = tuple(_same_object(c) for c in got[1])
    return tuple(got)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(prog=programs(max_ops=32))
def test_compiled_and_pure_lowering_assemble_the_same_code(pure: ModuleType, prog: Program) -> None:
    for _ in range(2):
        ops = prog.ctx.ops
        assert _fields(lower(ops, "<t>")) == _fields(pure.lower(ops, "<t>"))
        optimize(prog.ctx)
        liveness(prog.ctx)
