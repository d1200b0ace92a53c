"""Event and readiness system calls of a Linux process: epoll, eventfd, pselect6.

Owns ``EventCalls`` (see its docstring).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import LinuxProcess


class EventCalls:
    """The event system calls of one process."""

    def __init__(self, proc: LinuxProcess) -> None:
        self.proc = proc
        self.files = proc.files
        self.emu = proc.emu
