"""Running an unchanged Unicorn script on tcgkit (``tcgkit unicorn SCRIPT [ARGS]``,
``python -m tcgkit.unicorn SCRIPT [ARGS]``).

Owns ``run_script``: it makes ``import unicorn``, ``from unicorn import *``,
``import unicorn.unicorn``, ``from unicorn.unicorn_const import *`` and ``from
unicorn.arm64_const import *`` resolve to this package (aliases in ``sys.modules``,
set in this process before the script runs, so whatever the script imports is
tcgkit's), then runs the script as ``python SCRIPT ARGS`` would: as ``__main__``,
with ``sys.argv`` its own and its folder first on ``sys.path``. The script's own
exceptions print their traceback (from the script's first frame) and give exit
status 1, ``SystemExit`` gives its status; a script that does not exist is the
user's mistake (``InvalidArgumentError``, one line from the command line).
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback

from ..errors import InvalidArgumentError

#: the module names a Unicorn script may import, and this package's module for each
ALIASES = {
    "unicorn": "tcgkit.unicorn",
    "unicorn.unicorn": "tcgkit.unicorn.unicorn",
    "unicorn.unicorn_const": "tcgkit.unicorn.unicorn_const",
    "unicorn.arm64_const": "tcgkit.unicorn.arm64_const",
}


def install_aliases() -> None:
    """Make ``import unicorn`` (and its submodules above) import tcgkit's."""
    import importlib

    for alias, name in ALIASES.items():
        sys.modules[alias] = importlib.import_module(name)


def run_script(path: str, args: list[str]) -> int:
    """Run the Unicorn script ``path`` with ``args``; returns its exit status."""
    if not os.path.exists(path):
        raise InvalidArgumentError(f"no such script: {path!r}")
    if not os.path.isfile(path):
        raise InvalidArgumentError(f"{path!r} is not a file (give the Unicorn script to run)")
    if not os.access(path, os.R_OK):
        raise InvalidArgumentError(f"cannot read the script {path!r} (permission denied)")
    install_aliases()
    script = os.path.abspath(path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        return _exit_status(e.code)
    except BaseException as e:
        tb = e.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return 1
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


__all__ = ["ALIASES", "install_aliases", "run_script"]
