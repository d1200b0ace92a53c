"""tcgkit-host-ppc: the native ppc64le host backend, registered as ``ppc64le``.

Module map (data flows down): ``features`` (ISA levels, frozen) ->
``constraints`` (registers and op constraints as data, for the core's
allocator) -> ``lower`` / ``lower_mem`` / ``lower_float`` (allocated IR to
instructions; ``fpscr``: the float flags kept in FPSCR) -> ``encoder``
(instructions to words); ``backend`` (the NativeHost subclass: prologue, patch
words, cache maintenance).
"""

from tcgkit import hookimpl

from .backend import PPC64Host

__all__ = ["PPC64Host"]


@hookimpl
def tcgkit_host_backends(register):
    register(PPC64Host)
