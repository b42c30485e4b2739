"""Tests that need something from outside the repository (a tool, ../shared/testdata).

Outside CI a missing need skips the test with its reason; under `CI=true` it fails instead,
because CI installs everything (`make system-deps`) and has ../shared beside the clone: a
skip there would hide a test that never ran.
"""

from __future__ import annotations

import os
import shutil

import pytest


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"needed under CI=true: {reason}")
    pytest.skip(reason)


def tool(name: str, reason: str) -> None:
    if shutil.which(name) is None:
        unavailable(reason)
