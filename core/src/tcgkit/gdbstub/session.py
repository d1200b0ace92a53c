"""What each gdb command does: the stub's state between packets and the handlers.

Owns ``GdbSession``: one gdb connection's view of one guest (its registers through
``regs.GdbRegs``, memory through the Emulator, breakpoints and watchpoints as hooks
over exactly their addresses, the last stop, the features gdb and the stub agreed on,
the files gdb reads through ``hostio``)
and ``handle`` (a packet's payload -> the reply, or ``Resume`` when the guest must
run: the server runs it with ``resume``, watching for Ctrl-C meanwhile). Transport,
framing and threads are the server's (``server``) and the wire's (``packets``).

A handler never lets an exception out: a malformed or failing command is answered
``E01`` (``E14`` for memory that cannot be read or written), an unknown one with the
empty reply, as the protocol wants.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import StopRequest
from ..hooks import HOOK_CODE, HOOK_MEM_READ, HOOK_MEM_WRITE
from .hostio import HostIO
from .packets import decode_hex, parse_hex, unescape
from .regs import GdbRegs
from .runner import SIGABRT, SIGINT, SIGTRAP, Outcome, Runner
from .signums import from_gdb, to_gdb

if TYPE_CHECKING:
    from ..api import Emulator

PACKET_SIZE = 0x4000  # what qSupported announces (bytes of a packet's payload)
#: the longest memory read answered in one ``m`` (hex doubles it)
MAX_MEM = (PACKET_SIZE - 16) // 2

ATTACHED, DETACHED, KILLED, EXITED = "attached", "detached", "killed", "exited"


class Resume(NamedTuple):
    """The guest must run: one instruction (``step``) or until something stops it;
    ``signal`` (the guest's number, 0: none) is delivered first (C, S, vCont;C)."""

    step: bool
    tid: int | None = None  # the thread to step (None: the one Hc chose, else the first)
    signal: int = 0


class GdbSession:
    """One gdb's session with one guest; ``runner`` runs it (``runner.Runner``)."""

    def __init__(self, runner: Runner, regs: GdbRegs | None = None) -> None:
        self.runner = runner
        self.emu: Emulator = runner.emu
        self.regs = regs if regs is not None else GdbRegs.for_emulator(self.emu)
        self.state = ATTACHED
        self.no_ack = False  # QStartNoAckMode accepted: the server stops acking
        self.multiprocess = False
        self.swbreak = False
        self.exit_status: int | None = None  # the guest's status once it exited
        self._last_stop = ""  # the last stop reply ("?"); before any: SIGTRAP
        #: address -> [hook handle, set of Z types (0 software, 1 hardware)]
        self._breaks: dict[int, list[Any]] = {}
        #: (Z type, address, length) -> hook handle
        self._watches: dict[tuple[int, int, int], int] = {}
        self._after_hook: int | None = None  # the code hook of every insn, for watchpoints
        #: (vCPU index, pc) of the breakpoints a resume starts on: run, not stopped at
        self._skip: set[tuple[int, int]] = set()
        #: vCPU index -> pc of the instruction a watchpoint stopped before: its accesses
        #: do not stop it again when it runs (cleared once another instruction starts)
        self._skip_watch: dict[int, int] = {}
        self._g_tid: int | None = None  # the thread Hg chose (None: the first)
        self._c_tid: int | None = None  # the thread Hc chose (s, c)
        self._stop_tid: int | None = None  # the thread whose vCPU stopped the guest
        self._reported_tid: int | None = None  # the thread of the last stop reply
        self._stop_reason: tuple[str, int] | None = None
        self._interrupted = threading.Event()
        self._running = False
        #: vFile (gdb reads the program through the stub); a reply's data is escaped
        self.hostio = HostIO(runner, (PACKET_SIZE - 32) // 2)

    # -- the dispatcher -----------------------------------------------------------------

    def handle(self, payload: bytes) -> str | Resume:
        """The reply to one packet (``Resume``: run the guest, then reply ``resume``'s)."""
        try:
            return self._dispatch(payload)
        except (ValueError, IndexError, KeyError, UnicodeError, OverflowError):
            return "E01"
        except Exception:  # a failing command must not end the session
            return "E01"

    def _dispatch(self, payload: bytes) -> str | Resume:
        if not payload:
            return ""
        cmd = chr(payload[0])
        body = payload[1:]
        simple = {
            "?": lambda b: self._last_stop or self._stop_reply(SIGTRAP),
            "g": lambda b: self.regs.read_all(self._cpu()),
            "G": self._cmd_G,
            "p": self._cmd_p,
            "P": self._cmd_P,
            "m": self._cmd_m,
            "M": self._cmd_M,
            "X": self._cmd_X,
            "Z": self._cmd_Z,
            "z": self._cmd_z,
            "H": self._cmd_H,
            "T": self._cmd_T,
            "D": self._cmd_D,
            "k": self._cmd_k,
            "s": lambda b: self._cmd_resume(b, step=True),
            "c": lambda b: self._cmd_resume(b, step=False),
            "S": lambda b: self._cmd_resume_signal(b, step=True),
            "C": lambda b: self._cmd_resume_signal(b, step=False),
        }
        fn = simple.get(cmd)
        if fn is not None:
            return fn(body)
        if cmd == "q":
            return self._query(payload)
        if cmd == "Q":
            if payload == b"QStartNoAckMode":
                self.no_ack = True
                return "OK"
            return ""
        if cmd == "v":
            return self._cmd_v(payload)
        return ""

    # -- queries ------------------------------------------------------------------------

    def _query(self, payload: bytes) -> str:
        text = payload.decode("latin-1")
        name, _, args = text.partition(":")
        if name == "qSupported":
            features = args.split(";")
            self.multiprocess = "multiprocess+" in features
            self.swbreak = "swbreak+" in features
            out = [f"PacketSize={PACKET_SIZE:x}", "qXfer:features:read+", "swbreak+",
                   "hwbreak+", "vContSupported+", "QStartNoAckMode+"]  # fmt: skip
            if self.multiprocess:
                out.append("multiprocess+")
            if self.runner.auxv() is not None:
                out.append("qXfer:auxv:read+")
            if self.runner.exec_file() is not None:
                out.append("qXfer:exec-file:read+")
            return ";".join(out)
        if name == "qXfer":
            return self._qxfer(args)
        if name == "qAttached":
            return "1"
        if name == "qC":
            return "QC" + self._thread_id(self.runner.threads()[0])
        if name == "qfThreadInfo":
            return "m" + ",".join(self._thread_id(t) for t in self.runner.threads())
        if name == "qsThreadInfo":
            return "l"
        if name == "qSymbol":
            return "OK"
        if name == "qThreadExtraInfo":
            return b"vCPU 0".hex()
        return ""

    def _qxfer(self, args: str) -> str:
        obj, op, annex, span = [*args.split(":"), "", "", ""][:4]
        if op != "read":
            return ""
        off_s, _, len_s = span.partition(",")
        offset, length = parse_hex(off_s), parse_hex(len_s)
        if obj == "features":
            if annex != "target.xml":
                return "E00"
            data = self.regs.xml.encode()
        elif obj == "auxv" and annex == "":
            auxv = self.runner.auxv()
            if auxv is None:
                return ""
            data = auxv
        elif obj == "exec-file":
            path = self.runner.exec_file()
            if path is None:
                return ""
            data = path.encode()
        else:
            return ""
        chunk = data[offset : offset + min(length, PACKET_SIZE - 8)]
        more = offset + len(chunk) < len(data)
        return ("m" if more else "l") + chunk.decode("latin-1")

    # -- threads ------------------------------------------------------------------------

    def _thread_id(self, tid: int) -> str:
        if self.multiprocess:
            return f"p{self.runner.pid:x}.{tid:x}"
        return f"{tid:x}"

    def _parse_thread(self, text: str) -> int:
        """A thread id as gdb writes it (``p<pid>.<tid>``, ``-1``, ``0`` or hex); -1 all."""
        if text.startswith("p"):
            _, _, text = text[1:].partition(".")
            if not text:
                return -1
        if text == "-1":
            return -1
        return parse_hex(text)

    def _cmd_H(self, body: bytes) -> str:
        op, tid = chr(body[0]), self._parse_thread(body[1:].decode("latin-1"))
        if tid in (-1, 0):
            tid = None
        elif tid not in self.runner.threads():
            return "E01"
        if op == "g":
            self._g_tid = tid
        elif op == "c":
            self._c_tid = tid
        return "OK"

    def _cpu(self) -> Any:
        """Whose registers g/G/p/P read and write: the thread Hg chose, else the first."""
        tid = self._g_tid if self._g_tid is not None else self.runner.threads()[0]
        cpu = self.runner.cpu(tid)
        return cpu if cpu is not None else self.emu

    def _cmd_T(self, body: bytes) -> str:
        tid = self._parse_thread(body.decode("latin-1"))
        return "OK" if tid in self.runner.threads() else "E01"

    # -- registers ----------------------------------------------------------------------

    def _cmd_G(self, body: bytes) -> str:
        self.regs.write_all(self._cpu(), decode_hex(body))
        return "OK"

    def _cmd_p(self, body: bytes) -> str:
        n = parse_hex(body)
        if n >= len(self.regs.regs):
            return "E01"
        return self.regs.read(self._cpu(), n)

    def _cmd_P(self, body: bytes) -> str:
        num, _, value = body.partition(b"=")
        n = parse_hex(num)
        if n >= len(self.regs.regs):
            return "E01"
        self.regs.write(self._cpu(), n, decode_hex(value))
        return "OK"

    # -- memory -------------------------------------------------------------------------

    @staticmethod
    def _addr_len(text: bytes) -> tuple[int, int]:
        a, sep, n = text.partition(b",")
        if not sep:
            raise ValueError("addr,length expected")
        addr, length = parse_hex(a), parse_hex(n)
        if addr >= 1 << 64:
            raise ValueError("address out of range")
        return addr, length

    def _cmd_m(self, body: bytes) -> str:
        addr, length = self._addr_len(body)
        length = min(length, MAX_MEM)
        if length == 0:
            return ""
        try:
            data = bytes(self.emu.mem_read(addr, length))
        except Exception:  # unmapped, unreadable: gdb's error
            return "E14"
        return data.hex()

    def _write_mem(self, addr: int, data: bytes) -> str:
        if not data:
            return "OK"
        try:
            self.emu.mem_write(addr, data)
        except Exception:  # unmapped, read-only
            return "E14"
        return "OK"

    def _cmd_M(self, body: bytes) -> str:
        head, sep, hexdata = body.partition(b":")
        if not sep:
            return "E01"
        addr, length = self._addr_len(head)
        data = decode_hex(hexdata)
        if len(data) != length:
            return "E01"
        return self._write_mem(addr, data)

    def _cmd_X(self, body: bytes) -> str:
        head, sep, raw = body.partition(b":")
        if not sep:
            return "E01"
        addr, length = self._addr_len(head)
        data = unescape(raw)
        if len(data) != length:
            return "E01"
        return self._write_mem(addr, data)

    # -- breakpoints and watchpoints ----------------------------------------------------

    def _z_args(self, body: bytes) -> tuple[int, int, int]:
        fields = body.split(b";")[0].split(b",")
        if len(fields) != 3:
            raise ValueError("type,addr,kind expected")
        kind, addr, size = (parse_hex(f) for f in fields)
        if addr >= 1 << 64:
            raise ValueError("address out of range")
        return kind, addr, size

    def _cmd_Z(self, body: bytes) -> str:
        kind, addr, size = self._z_args(body)
        if kind in (0, 1):
            entry = self._breaks.get(addr)
            if entry is None:
                handle = self.emu.hook_add(HOOK_CODE, self._on_break, addr, addr)
                self._breaks[addr] = [handle, {kind}]
            else:
                entry[1].add(kind)
            return "OK"
        if kind in (2, 3, 4):
            if size == 0 or addr + size > 1 << 64:
                return "E01"
            key = (kind, addr, size)
            if key not in self._watches:
                hook = {2: HOOK_MEM_WRITE, 3: HOOK_MEM_READ,
                        4: HOOK_MEM_READ | HOOK_MEM_WRITE}[kind]  # fmt: skip
                name = {2: "watch", 3: "rwatch", 4: "awatch"}[kind]

                def on_watch(emu: Emulator, access: int, address: int, size: int,
                             value: int, name: str = name) -> None:  # fmt: skip
                    self._on_watch(emu, name, address)

                self._watches[key] = self.emu.hook_add(hook, on_watch, addr, addr + size - 1)
                if self._after_hook is None:
                    self._after_hook = self.emu.hook_add(HOOK_CODE, self._after_access)
            return "OK"
        return ""

    def _cmd_z(self, body: bytes) -> str:
        kind, addr, size = self._z_args(body)
        if kind in (0, 1):
            entry = self._breaks.get(addr)
            if entry is not None:
                entry[1].discard(kind)
                if not entry[1]:
                    del self._breaks[addr]
                    self.emu.hook_del(entry[0])
            return "OK"
        if kind in (2, 3, 4):
            handle = self._watches.pop((kind, addr, size), None)
            if handle is not None:
                self.emu.hook_del(handle)
            if not self._watches and self._after_hook is not None:
                self.emu.hook_del(self._after_hook)
                self._after_hook = None
            return "OK"
        return ""

    def close(self) -> None:
        """The connection is over: the files gdb opened (vFile) are closed."""
        self.hostio.close_all()

    def remove_all(self) -> None:
        """Take out every breakpoint and watchpoint (detach, end of the session)."""
        for handle, _kinds in self._breaks.values():
            self.emu.hook_del(handle)
        for handle in self._watches.values():
            self.emu.hook_del(handle)
        if self._after_hook is not None:
            self.emu.hook_del(self._after_hook)
            self._after_hook = None
        self._breaks.clear()
        self._watches.clear()

    def _vcpu_index(self, emu: Emulator) -> int:
        vcpu = emu.current_cpu
        return vcpu.index if vcpu is not None else 0

    def _on_break(self, emu: Emulator, address: int, size: int) -> None:
        index = self._vcpu_index(emu)
        if (index, address) in self._skip:
            self._skip.discard((index, address))  # the resume started on it: run it
            return
        if self._stop_reason is None:
            self._stop_reason = ("break", address)
            self._stop_tid = self.runner.tid_of(index)
        self.runner.interrupt()  # every vCPU (all-stop), this one before the instruction

    def _on_watch(self, emu: Emulator, name: str, address: int) -> None:
        """A watched access, reported with its data address. The guest stops before the
        accessing instruction (``regs.watch_before``: the instruction is undone, it runs
        when the guest resumes) or after it (``_after_access`` at the next one)."""
        index = self._vcpu_index(emu)
        if self.regs.watch_before:
            if self._skip_watch.get(index) == emu.reg_read("pc"):
                return  # the instruction the last stop was before: it runs now
            if self._stop_reason is None:
                self._stop_reason = (name, address)
                self._stop_tid = self.runner.tid_of(index)
            self.runner.interrupt()  # every vCPU (all-stop); this one before the insn:
            raise StopRequest()
        if self._stop_reason is None:
            self._stop_reason = (name, address)
            self._stop_tid = self.runner.tid_of(index)

    def _after_access(self, emu: Emulator, address: int, size: int) -> None:
        """Every instruction while a watchpoint is set: stop before the one after a hit
        (watchpoints that stop after the access); the instruction a stop was before has
        run once the next one starts."""
        if self._skip_watch:
            index = self._vcpu_index(emu)
            if index in self._skip_watch and self._skip_watch[index] != address:
                del self._skip_watch[index]
        reason = self._stop_reason
        if reason is not None and reason[0] != "break":
            self.runner.interrupt()

    # -- running ------------------------------------------------------------------------

    def _cmd_resume(self, body: bytes, step: bool, signal: int = 0) -> Resume:
        if body:
            self.emu.reg_write("pc", parse_hex(body))
        return Resume(step, self._c_tid if step else None, signal)

    def _cmd_resume_signal(self, body: bytes, step: bool) -> Resume:
        """``C sig[;addr]``, ``S sig[;addr]``: gdb's signal number, in hex."""
        sig, _, addr = body.partition(b";")
        return self._cmd_resume(addr, step, from_gdb(parse_hex(sig)))

    def _cmd_v(self, payload: bytes) -> str | Resume:
        text = payload.decode("latin-1")
        if text == "vCont?":
            return "vCont;c;C;s;S"
        if text.startswith("vCont;"):
            mine = self.runner.threads()
            for action in text[6:].split(";"):  # the first that applies to a thread
                act, _, thread = action.partition(":")
                if thread and self._parse_thread(thread) not in (-1, 0, *mine):
                    continue
                sig = from_gdb(parse_hex(act[1:])) if act[:1] in ("S", "C") else 0
                if act[:1] in ("s", "S"):
                    tid = self._parse_thread(thread) if thread else -1
                    return Resume(True, tid if tid in mine else None, sig)
                if act[:1] in ("c", "C"):
                    tid = self._parse_thread(thread) if thread else -1
                    return Resume(False, tid if tid in mine else None, sig)
                if act[:1] == "t":
                    return self._stop_reply(0)
                return "E01"
            return "E01"
        if text.startswith("vKill"):
            self.state = KILLED
            return "OK"
        if text.startswith("vFile:"):
            return self.hostio.handle(text)
        return ""

    def interrupt(self) -> None:
        """Ctrl-C from gdb (called from the server's watcher thread): stop the guest."""
        self._interrupted.set()
        if self._running:
            self.runner.interrupt()

    @property
    def running(self) -> bool:
        return self._running

    def resume(self, action: Resume) -> str:
        """Run the guest as ``action`` says; the stop reply (or W/X when it ended)."""
        if self.state != ATTACHED:
            return "E01"
        pc = self.emu.reg_read("pc")
        self._skip.clear()
        # the thread that reported the last stop runs the instruction it stopped at (gdb
        # steps over a breakpoint itself; a client that does not must not stop at once);
        # another thread waiting at a breakpoint stops there: that is its hit, not yet told
        threads = self.runner.threads()
        last = self._reported_tid if self._reported_tid in threads else threads[0]
        cpu = self.runner.cpu(last)
        self._skip_watch.clear()
        if cpu is not None:
            at = cpu.reg_read("pc")
            if at in self._breaks:
                self._skip.add((getattr(cpu, "index", 0), at))
            if self._watches and self.regs.watch_before and self._last_stop.startswith("T") \
                    and "watch:" in self._last_stop:  # fmt: skip
                self._skip_watch[getattr(cpu, "index", 0)] = at
        self._stop_reason = None
        self._stop_tid = None
        self._interrupted.clear()
        self._running = True
        try:
            try:
                outcome = self.runner.run(pc, 1 if action.step else 0, action.tid,
                                          action.signal)  # fmt: skip
            except Exception as exc:  # not the guest's fault: gdb sees a stop, not a crash
                outcome = Outcome("fault", signal=SIGABRT, message=str(exc))
            if outcome.tid is not None:
                self._stop_tid = outcome.tid
            elif action.step and self._stop_tid is None and action.tid in self.runner.threads():
                self._stop_tid = action.tid
        finally:
            self._running = False
            self._skip.clear()
        reply = self._outcome_reply(outcome)
        self._last_stop = reply
        return reply

    def _outcome_reply(self, outcome: Outcome) -> str:
        suffix = f";process:{self.runner.pid:x}" if self.multiprocess else ""
        if outcome.kind == "exited":
            self.state = EXITED
            self.exit_status = outcome.code
            return f"W{outcome.code & 0xFF:02x}{suffix}"
        if outcome.kind == "killed":
            self.state = EXITED
            self.exit_status = 128 + outcome.signal
            return f"X{to_gdb(outcome.signal) & 0xFF:02x}{suffix}"
        if outcome.kind in ("fault", "signal"):
            return self._stop_reply(to_gdb(outcome.signal))
        if self._interrupted.is_set() and self._stop_reason is None:
            return self._stop_reply(SIGINT)
        reason = self._stop_reason
        if reason is not None and reason[0] in ("watch", "rwatch", "awatch"):
            return self._stop_reply(SIGTRAP, f"{reason[0]}:{reason[1]:x};")
        if reason is not None and reason[0] == "break" and self.swbreak:
            return self._stop_reply(SIGTRAP, "swbreak:;")
        return self._stop_reply(SIGTRAP)

    def _stop_reply(self, sig: int, extra: str = "") -> str:
        tid = self._stop_tid
        if tid is None or tid not in self.runner.threads():
            tid = self.runner.threads()[0]
        self._g_tid = tid  # gdb looks at the thread that stopped
        self._reported_tid = tid
        return f"T{sig:02x}{extra}thread:{self._thread_id(tid)};"

    # -- leaving ------------------------------------------------------------------------

    def _cmd_D(self, body: bytes) -> str:
        self.remove_all()
        self.state = DETACHED
        return "OK"

    def _cmd_k(self, body: bytes) -> str:
        self.state = KILLED
        return ""
