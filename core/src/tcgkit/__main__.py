"""``python -m tcgkit``: the same as the ``tcgkit`` command."""

from .cli import console_main

console_main()
