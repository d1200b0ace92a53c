"""The python host's instruction encoder: CPython 3.11 bytecode, assembled directly.

Owns ``Assembler``: instructions appended one at a time (each with its inline
cache entries and, for arguments above 255, its EXTENDED_ARG prefixes), labels
with forward and backward jumps, the tables a code object indexes (constants,
local variables), the maximum stack depth, and the line table that maps each
instruction to a line number (the lowering makes it the guest instruction's
index). ``code()`` builds the ``types.CodeType``. The python host's machine is
CPython's virtual machine, as x86-64 is the x86 host's: this module is to it what
``tcgkit_host_x86.encoder`` is to the x86 host, and ``lower`` chooses the
instructions.

Why not Python source and ``compile()``: parsing and compiling a TB's source cost
~35 µs per guest instruction, several times the rest of translation together.

``SUPPORTED`` says whether this interpreter runs 3.11 bytecode (the opcode numbers
and cache sizes are read from its ``opcode`` module, but jump forms and the line
table format are those of 3.11); elsewhere the host generates source
(``codegen``).

Invariants (what CPython trusts bytecode for, and this module guarantees):

* every instruction is followed by exactly ``opcode._inline_cache_entries`` zeroed
  CACHE units, and an argument above 255 is carried by EXTENDED_ARG prefixes;
* a jump is always two units (EXTENDED_ARG, then the jump), so that offsets are
  known when a label is placed; a TB whose jumps do not fit 16 bits is refused
  (``TooLarge``) and translated again with fewer instructions;
* ``co_stacksize`` is at least the deepest the stack gets: the depth is tracked
  per instruction along the emission order, which the lowering keeps equal to
  the depth on every path (a statement starts with an empty stack, and each
  branch of a conditional ends its statement itself);
* the code ends with a return: execution cannot run past its last unit.
"""

from __future__ import annotations

import dis
import opcode
import sys
import types
from typing import Any, Final

from librt.strings import BytesWriter
from tcgkit.host import TBTooLarge

SUPPORTED: Final = sys.version_info[:2] == (3, 11)

_OP: Final[dict[str, int]] = opcode.opmap
_CACHES: Final[list[int]] = list(getattr(opcode, "_inline_cache_entries", [0] * 256))
EXTENDED_ARG: Final[int] = _OP["EXTENDED_ARG"]
#: an instruction's zeroed inline cache entries (``_CACHES``), by their count
_ZERO_UNITS: Final = tuple(bytes(2 * n) for n in range(max(_CACHES) + 1))

# BINARY_OP arguments, COMPARE_OP arguments (3.11's numbering, from ``dis``)
NB: Final[dict[str, int]] = {
    sym: i for i, (_, sym) in enumerate(getattr(dis, "_nb_ops", []))}  # fmt: skip
CMP: Final[dict[str, int]] = {sym: i for i, sym in enumerate(dis.cmp_op)}
NB_ADD: Final[int] = NB.get("+", 0)
NB_SUB: Final[int] = NB.get("-", 0)
NB_MUL: Final[int] = NB.get("*", 0)
NB_AND: Final[int] = NB.get("&", 0)
NB_OR: Final[int] = NB.get("|", 0)
NB_XOR: Final[int] = NB.get("^", 0)
NB_LSHIFT: Final[int] = NB.get("<<", 0)
NB_RSHIFT: Final[int] = NB.get(">>", 0)
NB_FLOORDIV: Final[int] = NB.get("//", 0)
NB_MOD: Final[int] = NB.get("%", 0)
CMP_LT: Final[int] = CMP["<"]
CMP_LE: Final[int] = CMP["<="]
CMP_EQ: Final[int] = CMP["=="]
CMP_NE: Final[int] = CMP["!="]
CMP_GT: Final[int] = CMP[">"]
CMP_GE: Final[int] = CMP[">="]

CO_OPTIMIZED: Final = 0x1
CO_NEWLOCALS: Final = 0x2

# a line table entry of kind 13 (a line delta, no column information); + its length - 1
_ENTRY: Final = 0x80 | 13 << 3
_FULL_ENTRY: Final = bytes((_ENTRY + 7, 0))  # 8 more units on the same line
_PARTIAL_ENTRY: Final = [b""] + [bytes((_ENTRY + n - 1, 0)) for n in range(1, 8)]  # n more


class TooLarge(TBTooLarge):
    """A jump of the TB does not fit the fixed two-unit form (the core translates
    the TB again with half as many instructions)."""


class Label:
    """A position in the code: bound once; jumps to it before then are patched."""

    __slots__ = ("at", "pending")

    def __init__(self) -> None:
        self.at = -1  # unit index once placed
        self.pending: list[tuple[int, int]] = []  # (unit index of the jump, its opcode pair)


class Assembler:
    """One code object's bytecode (see the module docstring). Local variables are
    numbered: the arguments, then the names ``fixed`` gives, then one per temp
    (``temp``)."""

    def __init__(self, argnames: tuple[str, ...], fixed: tuple[str, ...] = ()) -> None:
        # the code units as CPython reads them, opcode byte then argument byte, in a
        # librt BytesWriter (mypyc compiles its append and item assignment to inline C:
        # a list of 16-bit units boxed each unit above 255 and was packed once more)
        self.code = BytesWriter()
        self.consts: list[Any] = []
        self._small: list[int] = [-1] * 256  # the index of each int constant in 0..255
        self._int_at: dict[int, int] = {}  # an int constant -> its index
        self._obj_at: dict[int, int] = {}  # id of any other constant -> its index
        self.names: list[str] = []  # attribute names (LOAD_ATTR)
        self.varnames: list[str] = [*argnames, *fixed]
        self._temp_at: list[int] = []  # a temp's index -> its local variable (-1: none)
        self.argcount = len(argnames)
        self.depth = 0
        self.max_depth = 0
        self.line = 1
        self._lines: list[tuple[int, int]] = []  # (first unit, line) where the line changes
        self.op(_OP["RESUME"], 0, 0)

    # -- tables ------------------------------------------------------------------------

    def int_index(self, v: int) -> int:
        """The index of the int constant ``v`` (a plain int, even for an int enum)."""
        v = int(v)
        if 0 <= v < 256:
            i = self._small[v]
            if i < 0:
                i = self._small[v] = len(self.consts)
                self.consts.append(v)
            return i
        i = self._int_at.get(v, -1)
        if i < 0:
            i = self._int_at[v] = len(self.consts)
            self.consts.append(v)
        return i

    def const_index(self, value: Any) -> int:
        if isinstance(value, int):
            return self.int_index(value)
        i = self._obj_at.get(id(value), -1)
        if i < 0:
            i = self._obj_at[id(value)] = len(self.consts)
            self.consts.append(value)
        return i

    def temp(self, index: int) -> int:
        """The local variable of the temp numbered ``index``."""
        at = self._temp_at  # a list by index (temps are numbered densely): no hashing
        if index >= len(at):
            at.extend([-1] * (index + 1 - len(at)))
        i = at[index]
        if i < 0:
            i = at[index] = len(self.varnames)
            self.varnames.append(f"t{index}")
        return i

    def name_index(self, name: str) -> int:
        names = self.names
        for i in range(len(names)):
            if names[i] == name:
                return i
        names.append(name)
        return len(names) - 1

    # -- instructions ------------------------------------------------------------------

    def set_line(self, line: int) -> None:
        """The line the instructions from here on map to."""
        if line != self.line:
            self.line = line
            self._lines.append((len(self.code) >> 1, line))

    def op(self, opc: int, arg: int, effect: int) -> None:
        """Append one instruction (its stack effect ``effect``), its EXTENDED_ARG
        prefixes and its caches."""
        code = self.code
        if arg > 0xFF:
            if arg > 0xFFFF:
                if arg > 0xFFFFFF:
                    code.append(EXTENDED_ARG)
                    code.append(arg >> 24 & 0xFF)
                code.append(EXTENDED_ARG)
                code.append(arg >> 16 & 0xFF)
            code.append(EXTENDED_ARG)
            code.append(arg >> 8 & 0xFF)
        code.append(opc)
        code.append(arg & 0xFF)
        n = _CACHES[opc]
        if n:
            code.write(_ZERO_UNITS[n])
        depth = self.depth + effect
        self.depth = depth
        if depth > self.max_depth:
            self.max_depth = depth

    def load_const(self, value: Any) -> None:
        self.op(_LOAD_CONST, self.const_index(value), 1)

    def load_int(self, value: int) -> None:
        self.op(_LOAD_CONST, self.int_index(value), 1)

    def load_fast(self, var: int) -> None:
        self.op(_LOAD_FAST, var, 1)

    def store_fast(self, var: int) -> None:
        self.op(_STORE_FAST, var, -1)

    def binary(self, nb: int) -> None:
        """BINARY_OP ``nb`` (an ``NB`` value)."""
        self.op(_BINARY_OP, nb, -1)

    def compare(self, cmp: int) -> None:
        """COMPARE_OP ``cmp`` (a ``CMP`` value)."""
        self.op(_COMPARE_OP, cmp, -1)

    def subscr(self) -> None:
        self.op(_BINARY_SUBSCR, 0, -1)

    def store_subscr(self) -> None:
        self.op(_STORE_SUBSCR, 0, -3)

    def call(self, nargs: int) -> None:
        """Call what is under ``nargs`` arguments (pushed after a NULL): PRECALL, CALL."""
        self.op(_PRECALL, nargs, -nargs)
        self.op(_CALL, nargs, -1)

    def load_attr(self, name: str) -> None:
        self.op(_LOAD_ATTR, self.name_index(name), 0)

    def push_null(self) -> None:
        self.op(_PUSH_NULL, 0, 1)

    def pop(self) -> None:
        self.op(_POP_TOP, 0, -1)

    def unary(self, opc: int) -> None:
        self.op(opc, 0, 0)

    def ret(self) -> None:
        self.op(_RETURN_VALUE, 0, -1)

    # -- labels and jumps ------------------------------------------------------------

    def place(self, label: Label) -> None:
        """Bind ``label`` here, patching the jumps already made to it."""
        code = self.code
        at = len(code) >> 1
        label.at = at
        for unit, fwd in label.pending:
            delta = at - (unit + 2)  # relative to the unit after the jump
            if delta > 0xFFFF:
                raise TooLarge(f"a forward jump of {delta} units")
            b = unit << 1
            code[b] = EXTENDED_ARG
            code[b + 1] = delta >> 8
            code[b + 2] = fwd
            code[b + 3] = delta & 0xFF
        label.pending.clear()

    def jump(self, label: Label, cond: bool | None = None) -> None:
        """Jump to ``label``: always (``cond`` None), or popping the top of the stack
        when it is true / false (``cond``)."""
        if cond is None:
            fwd, back, effect = _JUMP_FORWARD, _JUMP_BACKWARD, 0
        elif cond:
            fwd, back, effect = _POP_JUMP_FORWARD_IF_TRUE, _POP_JUMP_BACKWARD_IF_TRUE, -1
        else:
            fwd, back, effect = _POP_JUMP_FORWARD_IF_FALSE, _POP_JUMP_BACKWARD_IF_FALSE, -1
        code = self.code
        unit = len(code) >> 1
        if label.at >= 0:
            delta = unit + 2 - label.at
            if delta > 0xFFFF:
                raise TooLarge(f"a backward jump of {delta} units")
            code.append(EXTENDED_ARG)
            code.append(delta >> 8)
            code.append(back)
            code.append(delta & 0xFF)
        else:
            label.pending.append((unit, fwd))
            code.append(EXTENDED_ARG)  # the offset's two bytes: ``place`` writes them
            code.append(0)
            code.append(fwd)
            code.append(0)
        self.depth += effect

    # -- the code object ---------------------------------------------------------------

    def _linetable(self) -> bytes:
        out: list[bytes] = []
        marks = self._lines
        prev_line = 1  # co_firstlineno
        start, line = 0, 1
        for k in range(len(marks) + 1):
            end, next_line = marks[k] if k < len(marks) else (len(self.code) >> 1, 0)
            n = end - start
            if n > 0:  # entries of at most 8 units; the first one moves the line
                first = 8 if n > 8 else n
                delta = line - prev_line
                prev_line = line
                v = delta << 1 if delta >= 0 else (-delta) << 1 | 1
                entry = [_ENTRY + first - 1]
                while v >= 0x40:
                    entry.append(0x40 | (v & 0x3F))
                    v >>= 6
                entry.append(v)
                out.append(bytes(entry))
                rest = n - first
                if rest >= 8:
                    out.append(_FULL_ENTRY * (rest >> 3))
                if rest & 7:
                    out.append(_PARTIAL_ENTRY[rest & 7])
            start, line = end, next_line
        return b"".join(out)

    def bytecode(self) -> bytes:
        """The code units as CPython reads them (opcode byte, then argument byte)."""
        return self.code.getvalue()

    def code_object(self, name: str, filename: str) -> types.CodeType:
        return types.CodeType(
            self.argcount, 0, 0, len(self.varnames), max(self.max_depth, 1),
            CO_OPTIMIZED | CO_NEWLOCALS, self.bytecode(), tuple(self.consts), tuple(self.names),
            tuple(self.varnames), filename, name, name, 1, self._linetable(), b"",
        )  # fmt: skip


_LOAD_CONST: Final[int] = _OP["LOAD_CONST"]
_LOAD_FAST: Final[int] = _OP["LOAD_FAST"]
_STORE_FAST: Final[int] = _OP["STORE_FAST"]
_BINARY_OP: Final[int] = _OP.get("BINARY_OP", 0)
_COMPARE_OP: Final[int] = _OP["COMPARE_OP"]
_BINARY_SUBSCR: Final[int] = _OP["BINARY_SUBSCR"]
_STORE_SUBSCR: Final[int] = _OP["STORE_SUBSCR"]
_PRECALL: Final[int] = _OP.get("PRECALL", 0)
_CALL: Final[int] = _OP.get("CALL", 0)
_RETURN_VALUE: Final[int] = _OP.get("RETURN_VALUE", 0)
_LOAD_ATTR: Final[int] = _OP["LOAD_ATTR"]
_PUSH_NULL: Final[int] = _OP.get("PUSH_NULL", 0)
_POP_TOP: Final[int] = _OP["POP_TOP"]
UNARY_NEGATIVE: Final[int] = _OP["UNARY_NEGATIVE"]
UNPACK_SEQUENCE: Final[int] = _OP["UNPACK_SEQUENCE"]
_JUMP_FORWARD: Final[int] = _OP["JUMP_FORWARD"]
_JUMP_BACKWARD: Final[int] = _OP.get("JUMP_BACKWARD", 0)
_POP_JUMP_FORWARD_IF_TRUE: Final[int] = _OP.get("POP_JUMP_FORWARD_IF_TRUE", 0)
_POP_JUMP_FORWARD_IF_FALSE: Final[int] = _OP.get("POP_JUMP_FORWARD_IF_FALSE", 0)
_POP_JUMP_BACKWARD_IF_TRUE: Final[int] = _OP.get("POP_JUMP_BACKWARD_IF_TRUE", 0)
_POP_JUMP_BACKWARD_IF_FALSE: Final[int] = _OP.get("POP_JUMP_BACKWARD_IF_FALSE", 0)
