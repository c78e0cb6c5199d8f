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


# --------------------------------------------------------------------------
# Operation x format matrix of the data-model tests (test_dm.py): each test
# records ("dm_cell", (operation, format)) in its user_properties; the summary
# goes to the terminal and to .leshan/dm-matrix.txt.

_dm_results: dict = {}


def _dm_outcome(report) -> str:
    if report.passed:
        return "XPASS" if hasattr(report, "wasxfail") else "pass"
    if report.skipped:
        return "xfail" if hasattr(report, "wasxfail") else "skip"
    return "FAIL"


def pytest_runtest_logreport(report):
    cell = dict(report.user_properties).get("dm_cell")
    if cell is None or (report.when != "call" and report.passed):
        return
    if report.when == "teardown":
        return
    op, fmt = cell
    # "TLV (create)" -> row "<op> (create)", column "TLV"
    if " (" in fmt:
        fmt, qualifier = fmt.split(" ", 1)
        op = f"{op} {qualifier}"
    elif fmt.startswith("("):
        op, fmt = f"{op} {fmt}", "-"
    _dm_results.setdefault((op, fmt), []).append((report.nodeid, _dm_outcome(report)))


def _dm_matrix_text() -> str:
    ops = list(dict.fromkeys(op for op, _ in _dm_results))
    fmts = list(dict.fromkeys(f for _, f in _dm_results))
    order = ["TLV", "SENML_CBOR", "SENML_JSON", "TEXT", "OPAQUE", "CBOR"]
    fmts.sort(key=lambda f: next((i for i, o in enumerate(order) if f.startswith(o)), len(order)))

    def summary(outcomes):
        kinds = [o for _, o in outcomes]
        if len(set(kinds)) == 1:
            return kinds[0] + (f" x{len(kinds)}" if len(kinds) > 1 else "")
        return " ".join(f"{k}:{kinds.count(k)}" for k in dict.fromkeys(kinds))

    width = max([len(o) for o in ops] + [9]) + 2
    col = max([len(f) for f in fmts] + [8]) + 2
    lines = ["anj-rs data model vs Leshan: operation x format (test_dm.py)", ""]
    lines.append("operation".ljust(width) + "".join(f.ljust(col) for f in fmts))
    for op in ops:
        row = op.ljust(width)
        for f in fmts:
            outcomes = _dm_results.get((op, f))
            row += (summary(outcomes) if outcomes else ".").ljust(col)
        lines.append(row.rstrip())
    lines += ["", "per test:"]
    for (op, f), outcomes in _dm_results.items():
        for nodeid, outcome in outcomes:
            lines.append(f"  {outcome:5} {nodeid}")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter):
    if not _dm_results:
        return
    text = _dm_matrix_text()
    out = leshan.CACHE_DIR / "dm-matrix.txt"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    except OSError as exc:
        terminalreporter.write_line(f"could not write {out}: {exc}")
    terminalreporter.write_sep("=", "data model matrix")
    terminalreporter.write(text)
    terminalreporter.write_line(f"(also in {out})")
