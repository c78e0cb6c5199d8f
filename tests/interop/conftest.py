"""Shared fixtures for the Leshan interop tests (see leshan.py)."""

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import leshan  # noqa: E402

_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "selfcheck: validates the harness against Leshan's own client library "
        "(skipped when ANJ_SKIP_SELFCHECK=1)",
    )


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ANJ_SKIP_SELFCHECK") == "1":
        skip = pytest.mark.skip(reason="ANJ_SKIP_SELFCHECK=1")
        for item in items:
            if "selfcheck" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="module")
def leshan_server():
    """One Leshan demo server on free loopback ports per test module."""
    with leshan.LeshanServer() as server:
        yield server
        log = server.log_path
    print(f"Leshan log: {log}")


@pytest.fixture
def endpoint_name(request):
    """A unique endpoint name per test (and per run, so reruns never collide)."""
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
    return f"anj-{os.getpid()}-{next(_counter)}-{base}"[:60]
