"""tcgkit-host-ppc: the ppc64le host backend (in progress; not registered as a plugin
until it is complete, see issue 10).

Module map (data flows down): ``constraints`` (registers and op constraints
as data) -> ``lower`` (allocated IR to instructions: integer ops, control
flow, calls, exits so far) -> ``encoder`` (instructions to words).
"""
