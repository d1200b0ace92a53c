"""The GDB Remote Serial Protocol's framing: what goes on the wire, nothing of its meaning.

Owns ``checksum``, ``frame`` (a reply as ``$data#cs``, with the characters the protocol
reserves escaped), ``unescape`` (binary data of ``X`` packets), the incremental
``PacketReader`` (bytes from gdb -> packets, acks and the interrupt byte 0x03) and
the hex helpers the commands use. Run-length encoding is never sent; gdb never sends it.
"""

from __future__ import annotations

from typing import Final

#: what ``PacketReader.feed`` yields: (kind, payload); kinds below
PACKET: Final = "packet"  # a packet with a good checksum: its payload (still escaped)
BAD: Final = "bad"  # a packet with a bad checksum: the receiver answers "-"
ACK: Final = "ack"
NACK: Final = "nack"
INTERRUPT: Final = "interrupt"  # the byte 0x03 between packets (Ctrl-C)

#: the longest packet accepted; a longer one is dropped as bad
MAX_PACKET: Final = 1 << 20

_RESERVED: Final = frozenset(b"$#}*")


def checksum(data: bytes) -> int:
    """The sum of the bytes modulo 256."""
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    """``data`` with ``$``, ``#``, ``}`` and ``*`` escaped as ``}`` + (byte ^ 0x20)."""
    if not any(b in _RESERVED for b in data):
        return data
    out = bytearray()
    for b in data:
        if b in _RESERVED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Binary data as sent: ``}`` + c stands for c ^ 0x20 (a trailing ``}`` is dropped)."""
    if 0x7D not in data:
        return data
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == 0x7D:
            if i + 1 < n:
                out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def frame(data: bytes | str) -> bytes:
    """One packet on the wire: ``$`` + escaped data + ``#`` + two hex digits of checksum."""
    raw = escape(data.encode("latin-1") if isinstance(data, str) else bytes(data))
    return b"$" + raw + b"#" + f"{checksum(raw):02x}".encode()


def notification(data: bytes | str) -> bytes:
    """A notification (``%data#cs``): not used by the stub, kept for symmetry."""
    return b"%" + frame(data)[1:]


class PacketReader:
    """Bytes received from gdb, in pieces of any size -> a list of events.

    Between packets, ``+`` and ``-`` are acks, 0x03 is an interrupt and anything else
    is noise (skipped). A packet runs from ``$`` to ``#`` plus two checksum digits; the
    byte after a ``}`` is data (escaped), never the end."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """The events completed by ``data`` (an incomplete packet waits for more)."""
        self._buf += data
        events: list[tuple[str, bytes]] = []
        buf = self._buf
        pos = 0
        n = len(buf)
        while pos < n:
            b = buf[pos]
            if b != 0x24:  # not '$'
                if b == 0x2B:
                    events.append((ACK, b""))
                elif b == 0x2D:
                    events.append((NACK, b""))
                elif b == 0x03:
                    events.append((INTERRUPT, b""))
                pos += 1
                continue
            end = self._find_end(buf, pos + 1)
            if end is None:  # incomplete
                if n - pos > MAX_PACKET + 3:
                    events.append((BAD, b""))
                    pos = n
                break
            if end + 3 > n:
                break
            body = bytes(buf[pos + 1 : end])
            digits = bytes(buf[end + 1 : end + 3])
            pos = end + 3
            try:
                good = int(digits, 16) == checksum(body)
            except ValueError:
                good = False
            events.append((PACKET, body) if good else (BAD, b""))
        del buf[:pos]
        return events

    @staticmethod
    def _find_end(buf: bytearray, i: int) -> int | None:
        n = len(buf)
        while i < n:
            b = buf[i]
            if b == 0x23:  # '#'
                return i
            i += 2 if b == 0x7D else 1
        return None


def hex_bytes(data: bytes) -> str:
    return data.hex()


def parse_hex(text: bytes | str) -> int:
    """A hex number; ``ValueError`` when it is not one (empty, a sign, a space...)."""
    s = text.decode("latin-1") if isinstance(text, bytes) else text
    if not s or not all(c in "0123456789abcdefABCDEF" for c in s):
        raise ValueError(f"not a hex number: {s!r}")
    return int(s, 16)


def decode_hex(text: bytes | str) -> bytes:
    """Bytes written as hex pairs; ``ValueError`` when they are not."""
    s = text.decode("latin-1") if isinstance(text, bytes) else text
    if len(s) % 2 or not all(c in "0123456789abcdefABCDEF" for c in s):
        raise ValueError("not hex bytes")
    return bytes.fromhex(s)
