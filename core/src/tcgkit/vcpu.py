"""``VCPU``: one virtual CPU of an ``Emulator``, as the public API shows it.

Owns the host threads vCPUs run in. An emulator starts with one vCPU
(``emu.cpus[0]``, the one ``emu_start`` runs in the calling thread, as in
Unicorn); ``emu.add_cpu()`` adds more, up to the emulator's ``max_cpus``.
Each has its own registers, translation context, code-buffer region, TLB
and jump cache; all share the guest memory, the TB cache and the hooks.

``cpu.start(begin, until, ...)`` runs a vCPU in a new host thread and
returns at once; ``cpu.join()`` waits for it and raises what stopped it
(a guest fault, an exception from a hook); ``emu.wait()`` does that for
every started vCPU. An error in one vCPU stops all of them (``emu_stop``).
Hooks run on the thread of the vCPU that fired them: ``emu.current_cpu``
tells which one, and ``emu.reg_read``/``reg_write`` called there act on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exec.loop import cpu_exec

if TYPE_CHECKING:
    from .api import CPUContext, Emulator
    from .exec.cpu import CPU


class VCPU:
    """A handle on one vCPU of an emulator."""

    def __init__(self, emu: Emulator, cpu: CPU) -> None:
        self._emu = emu  # a handle keeps its emulator alive, as the emulator's methods do
        self._cpu = cpu
        self.index = cpu.index
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"<VCPU {self.index}{' running' if self.running else ''}>"

    # -- registers --------------------------------------------------------------------

    def reg_read(self, name: str) -> int:
        engine = self._emu._live()
        return engine.target.reg_read(self._cpu, name)

    def reg_write(self, name: str, value: int) -> None:
        engine = self._emu._live()
        engine.target.reg_write(self._cpu, name, value)

    def context_save(self) -> CPUContext:
        return self._emu._context_save(self._cpu)

    def context_restore(self, context: CPUContext) -> None:
        self._emu._context_restore(self._cpu, context)

    # -- running ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether this vCPU executes (in a thread of its own or in ``emu_start``)."""
        return self._cpu.running or (self._thread is not None and self._thread.is_alive())

    def start(self, begin: int, until: int, timeout: int = 0, count: int = 0) -> None:
        """Run from ``begin`` in a new host thread (``emu_start``'s arguments); returns
        at once."""
        emu = self._emu
        engine = emu._live()
        if timeout < 0 or count < 0:
            raise ValueError("timeout and count must not be negative")
        if self.running:
            raise RuntimeError(f"vCPU {self.index} is already running")
        self._error = None
        self._cpu.stop_request = False
        self._thread = threading.Thread(
            target=self._run, args=(engine, begin, until, timeout, count),
            name=f"tcgkit-vcpu{self.index}", daemon=True,
        )  # fmt: skip
        self._cpu.running = True  # from now: emu_stop, close and wait see it
        self._thread.start()

    def _run(self, engine: Any, begin: int, until: int, timeout: int, count: int) -> None:
        self._cpu.running = False  # cpu_exec sets it again
        try:
            cpu_exec(engine, self._cpu, begin, until, timeout, count)
        except BaseException as e:
            self._error = e
            engine.stop_all()  # an error in one vCPU stops them all

    def join(self, timeout: float | None = None) -> bool:
        """Wait until this vCPU's thread ends; raise what stopped it, if anything.
        Returns False if ``timeout`` (seconds) passed first."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
            self._thread = None
        error, self._error = self._error, None
        if error is not None:
            raise error
        return True

    @property
    def unjoined(self) -> bool:
        """Started with ``start`` and not yet joined (running, or ended with its outcome
        waiting for ``join``)."""
        return self._thread is not None or self._error is not None

    @property
    def stop_requested(self) -> bool:
        """Whether this vCPU was asked to stop (by ``stop``, ``emu_stop`` or an error)."""
        return self._cpu.stop_request

    def queue_work(self, fn: Callable[[VCPU], object]) -> None:
        """Run ``fn(vcpu)`` on this vCPU's own thread at its next TB boundary, with its
        registers exact (QEMU's async_run_on_cpu): the way another thread changes a
        running vCPU's state, e.g. to deliver an interrupt or a signal. If the vCPU is
        not running, ``fn`` runs when it starts next. Any thread may call it; what
        ``fn`` raises ends the vCPU's run as a hook's exception does."""
        self._emu._live()
        self._cpu.queue_work(lambda: fn(self))

    def stop(self) -> None:
        """Stop this vCPU at its next instruction boundary that returns to the loop."""
        self._cpu.request_stop()
