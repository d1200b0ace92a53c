"""tcgkit: a CPU emulator framework in the manner of QEMU's TCG.

The core package. It owns the plugin contract (``hookspecs``), discovery and
selection (``plugins``) and the command line (``cli``); host backends, guest
targets and TB hash-table policies are separate distributions found through
the ``tcgkit`` entry-point group.
"""

from importlib.metadata import PackageNotFoundError, version

from .hookspecs import hookimpl
from .plugins import PluginClashError, PluginError, UnknownPluginError

try:
    __version__ = version("tcgkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "PluginClashError",
    "PluginError",
    "UnknownPluginError",
    "__version__",
    "hookimpl",
]
