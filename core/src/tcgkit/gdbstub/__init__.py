"""A GDB Remote Serial Protocol stub: gdb debugs a guest tcgkit emulates, as with ``qemu -g``.

The package's modules, one concern each: ``packets`` (framing on the wire), ``regs``
(the target's registers for gdb, from the target plugin's ``gdb_regs`` module),
``runner`` (running a bare Emulator or a Linux process), ``session`` (the commands),
``hostio`` (gdb reading the program file: vFile),
``server`` (socket, connection, Ctrl-C), ``signums`` (gdb's signal numbers) and
``linux`` (``tcgkit run -g PORT``).

For any Emulator::

    from tcgkit.gdbstub import EmulatorRunner, listen, serve
    serve(EmulatorRunner(emu), listen(1234))   # gdb: target remote :1234
"""

from __future__ import annotations

from .packets import PacketReader, checksum, frame
from .regs import GdbRegs, NoGdbRegs
from .runner import EmulatorRunner, LinuxRunner, Outcome, Runner
from .server import GdbServer, listen, serve
from .session import GdbSession, Resume

__all__ = ["EmulatorRunner", "GdbRegs", "GdbServer", "GdbSession", "LinuxRunner", "NoGdbRegs",
           "Outcome", "PacketReader", "Resume", "Runner", "checksum", "frame", "listen",
           "serve"]  # fmt: skip
