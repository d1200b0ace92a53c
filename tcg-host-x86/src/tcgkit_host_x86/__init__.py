"""tcgkit-host-x86: the native x86-64 host backend, registered as ``x86_64``.

Module map (data flows down): ``features`` (what the CPU offers, frozen) ->
``constraints`` (registers and op constraints as data, for the core's
allocator) -> ``lower`` / ``lower_int`` / ``lower_mem`` / ``lower_float`` /
``lower_crypto`` (allocated IR to instructions) -> ``encoder`` (instructions to
bytes); ``abi`` (the layout generated code and Python share), ``runtime``
(native memory and the prologue), ``backend`` (the HostBackend the engine drives).
"""

from tcgkit import hookimpl

from .backend import X86Host

__all__ = ["X86Host"]


@hookimpl
def tcgkit_host_backends(register):
    register(X86Host)
