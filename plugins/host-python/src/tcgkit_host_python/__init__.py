"""tcgkit-host-python: the portable host backend, registered as ``python``."""

from tcgkit import hookimpl

from .backend import PythonHost

__all__ = ["PythonHost"]


@hookimpl
def tcgkit_host_backends(register):
    register(PythonHost)
