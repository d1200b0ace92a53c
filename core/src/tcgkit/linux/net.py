"""Socket system calls of a Linux process, served by host sockets.

Owns ``SocketCalls``: the socket family of system calls (see its docstring).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import LinuxProcess

EAFNOSUPPORT = 97


class SocketCalls:
    """The socket system calls of one process."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.files = proc.files
        self.emu = proc.emu

    def sys_socket(self, *_: int) -> int:
        return -EAFNOSUPPORT  # no sockets yet: programs fall back (glibc's nscd client does)
