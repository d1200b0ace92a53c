"""Which policies this package's tests cover: the three this distribution provides.

``test_policy_contract.py`` runs the core's contract suite in tcgkit-tbhash-qht and
tcgkit-tbhash-legacy; it receives the policy names from here, through the
``policy_name`` parameter, so that each package's own tox environment checks
its own policies and the ``full`` environment checks all six.
"""

from __future__ import annotations

import pytest

DISTRIBUTION = "tcgkit-tbhash-qht"
POLICY_NAMES = ("qht-dyn-nomru", "qht-dyn-mru", "qht-fixed-nomru")
# policies that grow by themselves past their load threshold
AUTO_RESIZE = frozenset({"qht-dyn-nomru", "qht-dyn-mru"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "policy_name" in metafunc.fixturenames:
        metafunc.parametrize("policy_name", POLICY_NAMES)


@pytest.fixture
def distribution() -> str:
    return DISTRIBUTION


@pytest.fixture
def auto_resize(policy_name: str) -> bool:
    return policy_name in AUTO_RESIZE
