"""The TCG intermediate representation and the passes over it.

Data flows one way through this package: a target builds ops into a
``TCGContext`` (``context``), the optimizer (``optimize``) and liveness
(``liveness``) rewrite them, the register allocator (``regalloc``) assigns
host registers for native backends, and a host backend turns the result into
code placed in a code-buffer region (``region``).
"""
