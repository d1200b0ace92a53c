"""The toy guest target: a tiny ISA for testing the target contract.

Registered as ``toy`` through the ``tcgkit`` entry point, like any
third-party target. ``isa`` declares the instruction set, ``translate`` turns
it into IR, ``asm`` assembles text for tests.
"""

from tcgkit import hookimpl

from .translate import ToyTarget

__all__ = ["ToyTarget"]


@hookimpl
def tcgkit_guest_targets(register):
    register(ToyTarget)
