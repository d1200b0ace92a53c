"""``mypyc_attr``: class options for the compiled build, a no-op at run time;
``i64``/``u8``: mypyc's native integer types, ``int`` at run time.

mypyc reads ``@mypyc_attr(...)`` on a class at build time (the name resolves to
``mypy_extensions.mypyc_attr`` for the type checker) and does not call it on
the classes it compiles; interpreted, the decorator returns the class as it
is. This module is never compiled, so the run-time definition is never
treated as unreachable code, and no installed program imports
``mypy_extensions`` (about 3 ms at start-up). A value annotated ``i64`` is a C
integer in compiled code (its arithmetic needs no tag tests or overflow to long
integers): for values known to fit, as instruction fields do. ``u8(x)`` of an
``i64`` is a truncation to a byte compiled (what librt's ``BytesWriter.append``
takes natively: given an ``i64``, the append is a generic method call), ``int(x)``
at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_extensions import i64 as i64
    from mypy_extensions import mypyc_attr as mypyc_attr
    from mypy_extensions import u8 as u8
else:
    i64 = u8 = int

    def mypyc_attr(*_: object, **__: object) -> Callable[[type], type]:
        return lambda cls: cls
