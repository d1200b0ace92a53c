"""The TCG intermediate representation and the passes over it.

Data flows one way through this package: a target builds ops into a
``TCGContext`` (``context``), the optimizer (``optimize``) and liveness
(``liveness``) rewrite them, the register allocator (``regalloc``) assigns
host registers for native backends, and a host backend turns the result into
code placed in a code-buffer region (``region``).
"""


def translator_build() -> str:
    """``"mypyc"`` when the translator's passes run compiled (a wheel built with a C
    compiler, see core/hatch_build.py), ``"pure"`` when they run as Python source."""
    from . import regalloc

    return "pure" if (regalloc.__file__ or "").endswith(".py") else "mypyc"
