"""Debug logging in QEMU's ``-d`` vocabulary.

Owns ``DebugLog``: which categories are on (``in_asm``, ``op``, ``op_opt``,
``out_asm``, ``exec``) and where the text goes. Producers test membership
(``"op" in log``) before formatting anything, so a log that is off costs a
set lookup.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from .errors import InvalidArgumentError

CATEGORIES = ("in_asm", "op", "op_opt", "out_asm", "exec")


class DebugLog:
    def __init__(self, categories: str | Iterable[str] = (), stream: TextIO | None = None):
        if isinstance(categories, str):
            categories = [c for c in categories.split(",") if c]
        cats = set(categories)
        unknown = cats - set(CATEGORIES)
        if unknown:
            raise InvalidArgumentError(
                f"unknown -d categories {', '.join(sorted(unknown))}; "
                f"known: {', '.join(CATEGORIES)}"
            )
        self.categories = frozenset(cats)
        self.stream = stream if stream is not None else sys.stderr

    def __contains__(self, category: str) -> bool:
        return category in self.categories

    def __bool__(self) -> bool:
        return bool(self.categories)

    def write(self, text: str) -> None:
        self.stream.write(text if text.endswith("\n") else text + "\n")
