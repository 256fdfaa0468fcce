"""The fault suite runs small in CI; `PAIDUI_FAULTS=long` runs the documented sizes (docs/reliability.md).

Each scenario reports one line: printed, and appended as JSON to $PAIDUI_FAULTS_REPORT when that is set.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest

LONG = os.environ.get("PAIDUI_FAULTS", "ci") == "long"


def scale(ci: int, long: int) -> int:
    return long if LONG else ci


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[..., None]:
    def emit(line: str, **figures: object) -> None:
        print(f"\n[faults] {request.node.nodeid}: {line}")
        path = os.environ.get("PAIDUI_FAULTS_REPORT")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(
                    json.dumps(
                        {
                            "test": request.node.nodeid,
                            "size": "long" if LONG else "ci",
                            "line": line,
                            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
                            "load": os.getloadavg()[0],
                            **figures,
                        },
                        default=str,
                    )
                    + "\n"
                )

    return emit


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LONG:  # the documented sizes take longer than the suite's per-test timeout
        here = os.path.dirname(__file__)
        for item in items:
            if str(item.path).startswith(here):
                item.add_marker(pytest.mark.timeout(7200))
