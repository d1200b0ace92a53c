"""What native host backends share (x86-64 today; AArch64 and ppc64le next).

Owns the parts of a machine-code backend that do not depend on the host ISA:
the layout of the per-vCPU native block generated code reads (``layout``),
that block and the executable prologue page in memory (``memory``), and the
``NativeHost`` base class (``backend``): TB ids and exit words, the
status-returning callbacks for helpers, the memory slow path and Python float
fallbacks, execution through the prologue, the jump-cache fill, chaining by
patching, locating exceptions, release. A host package adds its encoder, its
register file and constraints, its lowering and its prologue.
"""
