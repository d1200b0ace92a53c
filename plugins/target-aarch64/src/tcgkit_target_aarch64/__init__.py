"""tcgkit-target-aarch64: the A64 user-level instruction set, registered as ``aarch64``."""

from tcgkit import hookimpl

from .target import AArch64Target

__all__ = ["AArch64Target"]


@hookimpl
def tcgkit_guest_targets(register):
    register(AArch64Target)
