"""``python -m tcgkit.unicorn [OPTIONS] SCRIPT [ARGS]``: the same as ``tcgkit unicorn``."""

import sys

from ..cli import main

sys.exit(main(["unicorn", *sys.argv[1:]]))
