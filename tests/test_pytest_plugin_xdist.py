"""Recording runs under pytest-xdist: each suite file is still one run, with every outcome.

Each xdist worker runs some of a suite file's items; a run recorded per worker would
split one version's outcomes over several partial runs (and the history would show
the last one). Workers hand their outcomes to the controller, which records once.
"""

from __future__ import annotations

import pytest

import mlprobe as mp
from tests.test_pytest_plugin import CONFTEST, SUITE, _write

pytest.importorskip("xdist")

#: a second suite file, so that the two workers both have work
MORE = """
mlprobe: 1
name: more
tests:
  - id: c-accuracy
    slice: {column: g, eq: c}
    metric: accuracy
    expect: {at_least: 0.9}
  - id: d-accuracy
    slice: {column: g, eq: d}
    metric: accuracy
    expect: {at_least: 0.9}
  - id: b-error
    slice: {column: g, eq: b}
    metric: error_rate
    expect: {at_most: 0.2}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    _write(pytester.path, "more.mlprobe.yaml", MORE)
    return pytester


def _recorded(store: object, version: str) -> dict[str, list[tuple[str, str, float]]]:
    runs = mp.History(store).runs(version=version)  # type: ignore[arg-type]
    out: dict[str, list[tuple[str, str, float]]] = {}
    for run_id, frame in runs.groupby("run_id"):
        suite = str(frame["suite"].iloc[0])
        assert suite not in out, f"{suite} recorded twice (run {run_id})"
        out[suite] = sorted(
            zip(frame["test_id"], frame["outcome"], frame["observed"].round(12), strict=True)
        )
    return out


def test_workers_hand_their_outcomes_to_one_run_per_suite_file(project: pytest.Pytester) -> None:
    store = project.path / "runs.db"
    serial = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--mlprobe-record", str(store), "--mlprobe-version", "serial"
    )
    serial.assert_outcomes(passed=3, failed=2)
    spread = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--dist", "load",
        "--mlprobe-record", str(store), "--mlprobe-version", "spread",
    )  # fmt: skip
    spread.assert_outcomes(passed=3, failed=2)
    spread.stdout.fnmatch_lines(
        ["*mlprobe: recorded run * of income-model (2 outcomes) as version spread in *runs.db"]
    )
    spread.stdout.fnmatch_lines(
        ["*mlprobe: recorded run * of more (3 outcomes) as version spread in *runs.db"]
    )
    assert _recorded(store, "spread") == _recorded(store, "serial")
    assert mp.History(store).runs(version="spread")["run_id"].nunique() == 2
    # in the file's order, as a serial run records them
    more = mp.History(store).runs(version="spread", suite="more")
    assert list(more["test_id"]) == ["c-accuracy", "d-accuracy", "b-error"]


def test_a_worker_s_failure_to_fingerprint_is_reported_once(project: pytest.Pytester) -> None:
    """Without a fingerprint the run is not recorded, said in the controller's summary."""
    project.makeconftest(
        CONFTEST.replace(
            'return mp.Probe(_frame(), target="y", predictions="p")',
            'probe = mp.Probe(_frame(), target="y", predictions="p")\n'
            "    import mlprobe.spec.run_store as rs\n"
            "    def broken(_probe):\n"
            "        raise RuntimeError('no fingerprint')\n"
            "    rs.data_fingerprint = broken\n"
            "    return probe",
        )
    )
    store = project.path / "runs.db"
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--mlprobe-record", str(store),
        "--mlprobe-version", "v1",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*mlprobe: not recorded: *the data's fingerprint*"])
    assert mp.History(store).runs().empty
