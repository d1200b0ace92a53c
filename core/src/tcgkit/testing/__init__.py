"""Test support shared by the core's and the plugins' test suites.

Imported only by tests: modules here may import hypothesis, which the core
does not depend on at run time.
"""
