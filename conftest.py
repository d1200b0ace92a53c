"""Suite-wide pytest policy, for every package's tests.

Under ``CI=true`` no test may be skipped: a skip (for a missing tool, a
missing plugin, anything) is turned into a failure that keeps the skip's
reason, so that a machine lacking something the project should have
installed cannot pass quietly. Expected failures (xfail) are unaffected.
"""

from __future__ import annotations

import os

import pytest

STRICT = os.environ.get("CI", "").lower() == "true"


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, which allows no skips: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        _fail_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped:
        _fail_skip(report)
