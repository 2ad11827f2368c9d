"""The explorer on a DuckDB probe, driven from Python: every pane works and shows what the
in-memory explorer shows for the same rows (numbers from the probes' own APIs)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.errors import MlprobeError
from mlprobe.widgets import Explorer

pytest.importorskip("duckdb")


def _message(explorer: Explorer) -> str:
    """The message the explorer shows (its text, not the HTML around it)."""
    return explorer.state.message


@pytest.fixture(scope="module")
def frame(adult: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rich = (adult["education_num"] >= 13) & (adult["age"] >= 30)
    v1 = np.where(rich ^ (rng.random(len(adult)) < 0.05), ">50K", "<=50K")
    v2 = np.where(rich ^ (rng.random(len(adult)) < 0.15), ">50K", "<=50K")
    score = np.clip(np.where(v1 == ">50K", 0.75, 0.25) + rng.normal(0, 0.1, len(adult)), 0.01, 0.99)
    return adult.assign(v1=v1, v2=v2, score=score)


@pytest.fixture(scope="module")
def engine(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe.from_duckdb(
        frame, target="income", predictions={"v1": "v1", "v2": "v2"}, scores={"v1": "score"}
    )


@pytest.fixture(scope="module")
def memory(frame: pd.DataFrame) -> mp.Probe:
    return mp.Probe(
        frame, target="income", predictions={"v1": "v1", "v2": "v2"}, scores={"v1": "score"}
    )


def test_the_explorer_opens_on_an_engine_and_matches_memory(
    engine: mp.Probe, memory: mp.Probe
) -> None:
    ours = engine.explore(by="sex", slices=["age >= 60"])
    theirs = memory.explore(by="sex", slices=["age >= 60"])
    assert ours.state.message_kind != "error", _message(ours)
    assert ours.state.breakdown is not None
    pd.testing.assert_frame_equal(ours.state.breakdown, theirs.state.breakdown)
    assert ours.breakdown.table.value == theirs.breakdown.table.value


def test_the_builder_offers_levels_and_ranges_from_the_engine(
    engine: mp.Probe, memory: mp.Probe
) -> None:
    ours, theirs = engine.explore(), memory.explore()
    for column in ("race", "age", "@target", "@prediction[v2]"):
        ours.builder.column.value = column
        theirs.builder.column.value = column
        assert ours.builder.operator.options == theirs.builder.operator.options
        (mine,) = ours.builder.value_box.children
        (other,) = theirs.builder.value_box.children
        assert getattr(mine, "options", None) == getattr(other, "options", None), column
        assert mine.value == other.value
    ours.builder.column.value = "age"
    ours.builder.value_box.children[0].value = (60, 90)
    ours.builder.add_condition.click()
    ours.builder.add_slice.click()
    assert [s.name for s in ours.state.slices] == ["age between 60 and 90"]
    assert _message(ours) == "added slice 'age between 60 and 90'"


def test_a_slice_on_an_unknown_column_is_refused_without_a_scan(engine: mp.Probe) -> None:
    explorer = engine.explore()
    explorer.builder.expression.value = "agee >= 3"
    explorer.builder.add_slice.click()
    assert explorer.state.slices == []
    assert "agee" in _message(explorer) and explorer.state.message_kind == "error"
    explorer.builder.expression.value = "age == 'old'"
    explorer.builder.add_slice.click()
    assert explorer.state.slices == [] and "age" in _message(explorer)


def test_add_groups_on_an_engine(engine: mp.Probe, memory: mp.Probe) -> None:
    ours, theirs = engine.explore(), memory.explore()
    for explorer in (ours, theirs):
        explorer.builder.group_column.value = "hours_per_week"
        explorer.builder.bins.value = 4
        explorer.builder.add_groups.click()
    assert [s.name for s in ours.state.slices] == [s.name for s in theirs.state.slices]
    assert _message(ours) == _message(theirs)
    pd.testing.assert_frame_equal(ours.state.breakdown, theirs.state.breakdown)


def test_confusion_rows_models_and_save_panes_work(
    engine: mp.Probe, memory: mp.Probe, tmp_path: Path
) -> None:
    ours = engine.explore(slices=["age >= 60"])
    theirs = memory.explore(slices=["age >= 60"])
    for explorer in (ours, theirs):
        explorer.state.selected = "age >= 60"
        explorer.show_tab("Confusion")
    assert ours.confusion.selected_chart.spec == theirs.confusion.selected_chart.spec
    assert ours.confusion.overall_chart.spec == theirs.confusion.overall_chart.spec

    for explorer in (ours, theirs):
        explorer.show_tab("Rows")
        explorer.rows.count.value = 25
    assert ours.state.message_kind != "error", _message(ours)
    assert ours.rows.table.value.count("<tr") == 26  # a header and 25 rows
    assert ours.rows.caption.value == theirs.rows.caption.value
    rows = engine.rows("age >= 60", model="v1", n=25)
    assert (rows["age"] >= 60).all() and not rows["@correct"].iloc[0]

    for explorer in (ours, theirs):
        explorer.show_tab("Models")
    assert ours.models.table.value == theirs.models.table.value
    assert ours.models.flips.value == theirs.models.flips.value

    for explorer in (ours, theirs):
        explorer.show_tab("Save test")
    assert ours.save.current.value == theirs.save.current.value
    assert ours.save.threshold.value == theirs.save.threshold.value
    ours.save.path.value = str(tmp_path / "engine.mlprobe.yaml")
    ours.save.save.click()
    (test,) = mp.Suite.load(tmp_path / "engine.mlprobe.yaml").tests
    expected = memory.metric("accuracy", "age >= 60", model="v1")["value"]
    assert test.baseline is not None and test.baseline.value == pytest.approx(expected)


def test_a_confusion_cell_click_adds_the_cell_on_an_engine(engine: mp.Probe) -> None:
    explorer = engine.explore()
    explorer.show_tab("Confusion")
    explorer.confusion.cell_clicked([{"true": ">50K", "predicted": "<=50K"}], within_selected=False)
    (cell,) = explorer.state.slices
    assert explorer.state.breakdown is not None
    n = int(explorer.state.breakdown.set_index("slice").loc[cell.name, "n"].iloc[0])
    assert n == int(engine.confusion(model="v1").loc[">50K", "<=50K"])


def test_the_suggest_pane_shows_the_backends_error_in_the_pane(
    engine: mp.Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    explorer = engine.explore()

    def refused(*args: object, **kwargs: object) -> pd.DataFrame:
        raise MlprobeError("find_slices() cannot run here: a clear reason.")

    monkeypatch.setattr(engine._backend, "loss_cells", refused)  # what discovery asks of it
    explorer.show_tab("Suggest")
    explorer.suggest.run.click()
    assert "a clear reason" in html.unescape(explorer.suggest.summary.value)
    assert "a clear reason" in _message(explorer)
    assert not explorer.suggest.run.disabled
    assert explorer.suggest.bar.layout.visibility == "hidden"
    explorer.show_tab("Breakdown")  # the explorer goes on working
    explorer.builder.expression.value = "age >= 50"
    explorer.builder.add_slice.click()
    assert [s.name for s in explorer.state.slices] == ["age >= 50"]


def test_a_regression_engine_probe_explores(regression_probe: mp.Probe) -> None:
    data = regression_probe.data.assign(predicted=regression_probe._backend.arrays("model").y_pred)
    engine = mp.Probe.from_duckdb(data, target="hours", predictions="predicted")
    explorer = engine.explore(by="sex")
    assert explorer.state.message_kind != "error", _message(explorer)
    explorer.state.selected = explorer.state.slices[0].name
    explorer.show_tab("Rows")
    assert "@error" in explorer.rows.table.value
    expected = regression_probe.explore(by="sex").state.breakdown
    pd.testing.assert_frame_equal(explorer.state.breakdown, expected)
