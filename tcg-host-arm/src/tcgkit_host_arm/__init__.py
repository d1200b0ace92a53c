"""tcgkit-host-arm: the native AArch64 host backend, registered as ``aarch64``.

Module map (data flows down): ``features`` (HWCAP, frozen) -> ``constraints``
(registers and op constraints as data, for the core's allocator) ->
``lower`` / ``lower_mem`` / ``lower_float`` (allocated IR to instructions)
-> ``encoder`` (instructions to words); ``backend`` (the NativeHost
subclass: prologue, patch words, cache maintenance).
"""

from tcgkit import hookimpl

from .backend import AArch64Host

__all__ = ["AArch64Host"]


@hookimpl
def tcgkit_host_backends(register):
    register(AArch64Host)
