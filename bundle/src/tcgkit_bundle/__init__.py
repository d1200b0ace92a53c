"""tcgkit-bundle: tcgkit's first-party translator compiled by mypyc as one group.

Holds no code: the wheel carries the group's library (``tcgkit_bundle__mypyc``), each
compiled module's extension under ``lib/`` and ``manifest.txt`` (the modules, their
extensions and the fingerprints of the sources they were built from). ``tcgkit._bundle``
reads the manifest and serves the extensions; nothing imports this package.
"""
