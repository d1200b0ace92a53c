"""``python -m tcgkit``: the same as the ``tcgkit`` command."""

import sys

from .cli import main

sys.exit(main())
