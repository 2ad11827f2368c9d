"""Issue 17: the explorer's Tests tab runs the suite file and shows the recorded versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import mlprobe as mp


def _probe() -> mp.Probe:
    frame = pd.DataFrame({"g": ["a", "b"] * 100, "y": [0, 1, 1, 0] * 50, "p": [0, 1, 0, 0] * 50})
    return mp.Probe(frame, target="y", predictions={"v1": "p", "v2": "y"})


def _suite() -> mp.Suite:
    return mp.Suite(
        "gates",
        [
            mp.SliceTest(id="a-accuracy", slice="g == 'a'", metric="accuracy", at_least=0.8),
            mp.GroupTest(id="g-fnr", by="g", metric="fnr", max_difference=0.2),
        ],
    )


def test_the_tests_tab_runs_the_suite_file_on_the_explorer_s_model(tmp_path: Path) -> None:
    probe = _probe()
    path = _suite().save(tmp_path / "gates.mlprobe.yaml")
    explorer = probe.explore(path=str(path), model="v1")
    explorer.show_tab("Tests")
    text = explorer.tests.outcomes.value
    assert "2 failed" in text and "a-accuracy" in text and "by g" in text
    explorer.state.model = "v2"
    assert "2 passed" in explorer.tests.outcomes.value
    assert "Give a run store" in explorer.tests.matrix.value


def test_with_a_run_store_every_version_and_a_trend_show(tmp_path: Path) -> None:
    probe, suite = _probe(), _suite()
    path = suite.save(tmp_path / "gates.mlprobe.yaml")
    store = tmp_path / "runs.db"
    for version in ("v1", "v2"):
        suite.run(probe, model=version, record=store, version=version)
    explorer = probe.explore(path=str(path), history=str(store))
    explorer.show_tab("Tests")
    matrix = explorer.tests.matrix.value
    assert "Recorded outcomes per version (gates)" in matrix
    assert matrix.count("failed") == 2 and matrix.count("passed") == 2
    assert list(explorer.tests.test_picker.options) == ["a-accuracy", "g-fnr"]
    spec = explorer.tests.chart.spec
    assert spec is not None and "a-accuracy" in str(spec.get("title"))
    explorer.tests.test_picker.value = "g-fnr"
    assert "g-fnr" in str(explorer.tests.chart.spec.get("title"))


def test_a_missing_suite_file_or_store_says_what_to_do(tmp_path: Path) -> None:
    explorer = _probe().explore(path=str(tmp_path / "none.mlprobe.yaml"))
    explorer.tests.history_path.value = str(tmp_path / "missing.db")
    explorer.show_tab("Tests")
    assert "No suite file there yet" in explorer.tests.outcomes.value
    assert "does not exist" in explorer.tests.matrix.value
