"""The explorer driven from Python: set widget values, click buttons, check slices, tables, files.

Every expected number comes from the probe's own API (itself tested against
scikit-learn), so these tests check the wiring: the right slice, metric, model
and rows reach each view.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.widgets import Explorer
from mlprobe.widgets.charts import clicked_points


def _message(explorer: Explorer) -> str:
    """The message area's text, unescaped."""
    return html.unescape(explorer.message.value)


def _names(explorer: Explorer) -> list[str]:
    return [s.name for s in explorer.state.slices]


def _click(view: object, selection: str, point: dict) -> None:
    """What the browser sends when a chart mark is clicked."""
    view.chart._vl_selections = {  # type: ignore[attr-defined]
        selection: {"value": {"vlPoint": {"or": [point]}}, "store": []}
    }


# --- builder ---------------------------------------------------------------------------------


def test_a_category_offers_every_value_with_its_count(
    adult_probe: mp.Probe, adult: pd.DataFrame
) -> None:
    explorer = adult_probe.explore()
    builder = explorer.builder
    builder.column.value = "race"
    assert builder.operator.value == "is one of"
    (choices,) = builder.value_box.children
    counts = adult["race"].value_counts()
    assert len(choices.options) == adult["race"].nunique()
    for label, value in choices.options:
        assert label == f"{value}  ({counts[value]:,})"
    assert choices.options[0][1] == counts.idxmax()  # most frequent first


def test_conditions_combine_with_and_or_not_into_the_expression(
    adult_probe: mp.Probe, adult: pd.DataFrame
) -> None:
    explorer = adult_probe.explore()
    builder = explorer.builder
    builder.column.value = "age"
    (age_range,) = builder.value_box.children
    assert (age_range.min, age_range.max) == (adult["age"].min(), adult["age"].max())
    age_range.value = (60, 90)
    builder.add_condition.click()
    builder.column.value = "sex"
    builder.value_box.children[0].value = ("Female",)
    builder.add_condition.click()
    builder.column.value = "race"
    builder.value_box.children[0].value = ("White",)
    builder.negate.value = True
    builder.combine.value = "or"
    builder.add_condition.click()
    assert builder.expression.value == (
        "age between 60 and 90 and sex == 'Female' or not race == 'White'"
    )
    builder.name.value = "older women or not white"
    builder.add_slice.click()
    assert _names(explorer) == ["older women or not white"]
    assert explorer.state.selected == "older women or not white"
    expected = ((adult["age"] >= 60) & (adult["sex"] == "Female")) | (adult["race"] != "White")
    assert np.array_equal(adult_probe.mask(explorer.state.slices[0]), expected.to_numpy())
    assert builder.expression.value == ""


def test_a_typed_expression_is_parsed_and_its_error_shown_inline(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    builder = explorer.builder
    builder.expression.value = "age >> 3"
    builder.add_slice.click()
    assert explorer.state.slices == []
    assert "unknown operator" in builder.error.value and "&gt;&gt;" in builder.error.value
    builder.expression.value = "hours_per_weak > 40"
    builder.add_slice.click()
    assert explorer.state.slices == []
    assert "hours_per_week" in _message(explorer)  # did-you-mean in the message area
    builder.expression.value = "hours_per_week > 40 and workclass is null"
    builder.add_slice.click()
    assert _names(explorer) == ["hours_per_week > 40 and workclass is null"]
    assert builder.error.value == ""


def test_numbers_missing_values_and_many_levels_get_fitting_controls(adult_probe: mp.Probe) -> None:
    builder = adult_probe.explore().builder
    builder.column.value = "capital_gain"
    builder.operator.value = ">="
    (number,) = builder.value_box.children
    number.value = 5000
    assert str(builder.condition()) == "capital_gain >= 5000"  # an integer column stays integer
    builder.column.value = "occupation"
    builder.operator.value = "is missing"
    assert "2,809 of 48,842 rows are missing" in builder.value_box.children[0].value
    assert str(builder.condition()) == "occupation is null"
    builder.column.value = "fnlwgt"  # numeric with thousands of values: still a range
    assert builder.operator.value == "between"


def test_text_columns_with_many_levels_get_a_text_box() -> None:
    frame = pd.DataFrame({"city": [f"c{i}" for i in range(500)] * 2, "y": [0, 1] * 500})
    probe = mp.Probe(frame, target="y", predictions=np.ones(1000, dtype=int))
    builder = probe.explore().builder
    builder.column.value = "city"
    assert builder.operator.options[:2] == ("==", "!=")
    (text,) = builder.value_box.children
    text.value = "c7"
    assert str(builder.condition()) == "city == 'c7'"


def test_group_by_adds_one_slice_per_group_numeric_ones_binned(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    builder = explorer.builder
    builder.group_column.value = "sex"
    builder.add_groups.click()
    builder.group_column.value = "age"
    builder.bins.value = 4
    builder.add_groups.click()
    assert _names(explorer)[:2] == ["sex == 'Female'", "sex == 'Male'"]
    assert [s.name for s in adult_probe.groups("age", bins=4)] == _names(explorer)[2:]
    builder.add_groups.click()  # the same groups again: nothing new
    assert len(explorer.state.slices) == 6
    assert "added 0 groups" in _message(explorer)


# --- slice list ------------------------------------------------------------------------------


def test_the_list_shows_n_and_the_metric_of_each_slice(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="race", metric="recall[>50K]")
    expected = adult_probe.breakdown(by="race", metrics=["recall[>50K]"]).set_index("slice")
    for name, row in explorer.slice_list.rows.items():
        n = int(expected.loc[name, "n"])
        value = expected.loc[name, "recall[>50K]"]
        assert f"n={n:,}" in row.stats.value
        assert f"{value:.3f}" in row.stats.value
    small = expected[expected["low_support"]].index
    assert all("few rows" in explorer.slice_list.rows[s].stats.value for s in small)
    assert "recall[&gt;50K]" in explorer.slice_list.rows["overall"].stats.value


def test_slices_can_be_selected_renamed_and_removed(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    rows = explorer.slice_list.rows
    rows["sex == 'Male'"].select.click()
    assert explorer.state.selected == "sex == 'Male'"
    assert "mlprobe-selected" in rows["sex == 'Male'"].box._dom_classes
    rows["sex == 'Male'"].label.value = "men"
    assert _names(explorer) == ["sex == 'Female'", "men"]
    assert explorer.state.selected == "men"
    assert "men" in explorer.breakdown.table.value
    explorer.slice_list.rows["men"].label.value = "sex == 'Female'"  # taken: refused, put back
    assert _names(explorer) == ["sex == 'Female'", "men"]
    assert explorer.slice_list.rows["men"].label.value == "men"
    assert "already the name" in _message(explorer)
    explorer.slice_list.rows["men"].remove.click()
    assert _names(explorer) == ["sex == 'Female'"]
    assert explorer.state.selected == "overall"


# --- breakdown -------------------------------------------------------------------------------


def test_metric_picker_and_sort_redraw_table_and_chart(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="race")
    pane = explorer.breakdown
    pane.metric.value = "precision[>50K]"
    assert explorer.state.metric == "precision[>50K]"
    expected = adult_probe.breakdown(by="race", metrics=["precision[>50K]"])
    spec = pane.chart.spec
    dots = {d["slice"]: d["value"] for d in spec["datasets"]["slices"]}
    assert dots == pytest.approx(
        dict(zip(expected["slice"][1:], expected["precision[>50K]"][1:], strict=True))
    )
    worst_first = expected.iloc[1:].sort_values("precision[>50K]")["slice"].tolist()
    assert spec["layer"][2]["encoding"]["y"]["sort"] == worst_first
    pane.sort.value = "largest"
    by_size = expected.iloc[1:].sort_values("n", ascending=False)["slice"].tolist()
    table_order = re.findall(r"<td[^>]*>(race == [^<]*)</td>", pane.table.value)
    assert [t.replace("&#x27;", "'") for t in table_order] == by_size
    assert pane.chart.spec["layer"][2]["encoding"]["y"]["sort"] == by_size


def test_clicking_a_dot_selects_its_slice(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    _click(explorer.breakdown.chart, "pick", {"slice": "sex == 'Male'"})
    assert explorer.state.selected == "sex == 'Male'"
    assert 'class="mlprobe-selected"' in explorer.breakdown.table.value


# --- confusion -------------------------------------------------------------------------------


def test_confusion_shows_the_selected_slice_beside_all_rows(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    explorer.state.selected = "sex == 'Female'"
    explorer.show_tab("Confusion")
    selected = explorer.confusion.selected_chart.spec
    cells = {(c["true"], c["predicted"]): c["value"] for c in selected["data"]["values"]}
    expected = adult_probe.confusion("sex == 'Female'")
    assert cells[(">50K", "<=50K")] == expected.loc[">50K", "<=50K"]
    assert selected["title"] == "sex == 'Female'"
    overall = explorer.confusion.overall_chart.spec
    assert sum(c["value"] for c in overall["data"]["values"]) == adult_probe.n_rows
    explorer.confusion.normalize.value = "true"
    shares = explorer.confusion.selected_chart.spec["data"]["values"]
    assert sum(c["value"] for c in shares if c["true"] == ">50K") == pytest.approx(1.0)


def test_clicking_a_confusion_cell_adds_exactly_those_rows(
    adult_probe: mp.Probe, adult: pd.DataFrame
) -> None:
    explorer = adult_probe.explore(by="sex")
    explorer.state.selected = "sex == 'Female'"
    explorer.show_tab("Confusion")
    _click(explorer.confusion.selected_chart, "cell", {"true": ">50K", "predicted": "<=50K"})
    added = explorer.state.slices[-1]
    assert added.name == "sex == 'Female': true >50K, predicted <=50K"
    assert explorer.state.selected == added.name
    predicted = adult_probe.rows(None, n=adult_probe.n_rows, errors_first=False)["@prediction"]
    predicted = predicted.sort_index().to_numpy()
    expected = (adult["sex"] == "Female") & (adult["income"] == ">50K") & (predicted == "<=50K")
    assert np.array_equal(adult_probe.mask(added), expected.to_numpy())
    _click(explorer.confusion.overall_chart, "cell", {"true": "<=50K", "predicted": ">50K"})
    assert explorer.state.slices[-1].name == "true <=50K, predicted >50K"


def test_clicks_in_the_other_models_heatmap_name_that_model(two_model_probe: mp.Probe) -> None:
    explorer = two_model_probe.explore(model="v2")
    explorer.show_tab("Confusion")
    _click(explorer.confusion.overall_chart, "cell", {"true": ">50K", "predicted": "<=50K"})
    added = explorer.state.slices[-1]
    assert "@prediction[v2]" in str(added.predicate)
    n = two_model_probe.confusion(model="v2").loc[">50K", "<=50K"]
    assert two_model_probe.mask(added).sum() == n


def test_clicked_points_reads_the_vega_signal() -> None:
    raw = {"cell": {"value": {"vlPoint": {"or": [{"true": "a", "predicted": "b"}]}}, "store": []}}
    assert clicked_points(raw, "cell") == [{"true": "a", "predicted": "b"}]
    assert clicked_points({"cell": {"value": None, "store": []}}, "cell") == []
    assert clicked_points({}, "cell") == []


# --- rows, models ----------------------------------------------------------------------------


def test_rows_of_the_selected_slice_errors_first(
    adult_probe: mp.Probe, adult: pd.DataFrame
) -> None:
    explorer = adult_probe.explore(slices=["age >= 60"])
    explorer.state.selected = "age >= 60"
    explorer.show_tab("Rows")
    explorer.rows.count.value = 25
    table = explorer.rows.table.value
    assert table.count("<tr") == 26  # header + 25 rows
    rows = adult_probe.rows("age >= 60", n=25)
    assert not rows["@correct"].iloc[0]
    assert (adult.loc[rows.index, "age"] >= 60).all()
    first_cells = re.findall(r"<tr style=\"\"><td[^>]*>([^<]*)</td>", table)
    assert [int(i) for i in first_cells] == rows.index.tolist()


def test_models_pane_compares_two_models_per_slice(two_model_probe: mp.Probe) -> None:
    explorer = two_model_probe.explore(by="sex")
    explorer.state.selected = "sex == 'Male'"
    explorer.show_tab("Models")
    expected = two_model_probe.compare("v1", "v2", by="sex", metric="accuracy")
    table = explorer.models.table.value
    for verdict in expected["verdict"]:
        assert verdict in table
    spec = explorer.models.chart.spec
    assert [r["delta"] for r in spec["data"]["values"]] == pytest.approx(expected["delta"].tolist())
    flips = two_model_probe.flips("v1", "v2", slice="sex == 'Male'")
    assert f"{int(flips.loc['correct', 'wrong']):,}" in explorer.models.flips.value


def test_models_pane_with_one_model_says_how_to_compare(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    explorer.show_tab("Models")
    assert "several" in explorer.models.widget.children[0].value


def test_a_hidden_tab_is_drawn_only_when_shown(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    assert explorer.confusion.selected_chart.spec is None  # never shown, never computed
    explorer.state.selected = "sex == 'Male'"
    assert explorer.rows.table.value == ""
    explorer.show_tab("Rows")
    assert explorer.rows.table.value != ""


# --- save as test ----------------------------------------------------------------------------


def test_save_appends_the_test_with_its_baseline_and_shows_the_yaml(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    explorer = adult_probe.explore(
        slices=[mp.Slice.parse("age >= 60 and sex == 'Female'", name="older women")]
    )
    explorer.state.selected = "older women"
    save = explorer.save
    save.metric.value = "recall[>50K]"
    assert save.test_id.value == "older-women-recall-50k"
    now = adult_probe.metric("recall[>50K]", explorer.state.slices[0])
    assert save.threshold.value == pytest.approx(np.floor(now["ci_low"] * 100) / 100)
    save.threshold.value = 0.2
    save.min_support.value = 50
    save.description.value = "Loan officers rely on recall for older women."
    path = tmp_path / "tests" / "income.mlprobe.yaml"
    save.path.value = str(path)
    save.save.click()
    suite = mp.Suite.load(path)
    (test,) = suite.tests
    assert (test.id, test.metric, test.at_least, test.min_support) == (
        "older-women-recall-50k",
        "recall[>50K]",
        0.2,
        50,
    )
    assert test.slice == explorer.state.slices[0]
    assert test.baseline is not None and test.baseline.value == pytest.approx(
        now["value"], abs=1e-6
    )
    assert test.baseline.n == now["n"]
    assert "older-women-recall-50k" in save.result.value and "baseline" in save.result.value
    assert suite.run(adult_probe).passed
    # a second test goes into the same file; the same id again is refused and nothing changes
    explorer.state.selected = "overall"
    explorer.state.add_slices([mp.Slice.parse("race == 'Black'")])
    save.expectation.value = "max_gap_to_overall"
    save.save.click()
    assert [t.id for t in mp.Suite.load(path).tests] == [
        "older-women-recall-50k",
        "race-black-recall-50k",
    ]
    before = path.read_text()
    save.save.click()
    assert "already has a test with id 'race-black-recall-50k'" in _message(explorer)
    assert path.read_text() == before


def test_save_problems_are_shown_in_the_widget(adult_probe: mp.Probe, tmp_path: Path) -> None:
    explorer = adult_probe.explore(by="sex")
    save = explorer.save
    save.path.value = str(tmp_path / "s.mlprobe.yaml")
    save.save.click()  # 'overall' selected: nothing to save
    assert "select a slice" in _message(explorer)
    explorer.state.selected = "sex == 'Male'"
    broken = tmp_path / "broken.mlprobe.yaml"
    broken.write_text("mlprobe: 1\nname: x\ntests: [{id: 1}]\n")
    save.path.value = str(broken)
    save.save.click()
    assert "broken.mlprobe.yaml" in _message(explorer)
    assert broken.read_text() == "mlprobe: 1\nname: x\ntests: [{id: 1}]\n"
    save.path.value = str(tmp_path)  # a directory
    save.save.click()
    assert "Error" in _message(explorer) or "directory" in _message(explorer).lower()
    save.path.value = ""
    save.save.click()
    assert "enter a path" in _message(explorer)


# --- sharing, errors, other tasks --------------------------------------------------------------


def test_the_static_copy_holds_the_table_and_svg_charts(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    explorer.state.selected = "sex == 'Female'"
    static = explorer.static_html()
    assert 'class="mlprobe-static"' in static
    assert static.count("<tr") == 4  # header, overall, two groups
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', static)
    assert len(images) == 2  # breakdown chart and the selected slice's confusion matrix
    svg = base64.b64decode(images[0]).decode()
    assert svg.startswith("<svg") and "sex == " in svg.replace("&#39;", "'")
    assert "confusion: sex == " in base64.b64decode(images[1]).decode().replace("&#39;", "'")


def test_the_live_widget_hides_the_static_copy(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    style = explorer.children[0].value
    assert ".mlprobe-static" in style and "display: none" in style


def test_static_copy_follows_changes_once_displayed(adult_probe: mp.Probe) -> None:
    updates: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            updates.append(obj.data)  # type: ignore[attr-defined]

    explorer = adult_probe.explore()
    explorer._static_handle = Handle()
    explorer.state.add_slices([mp.Slice.parse("age < 25", name="young")])
    assert "young" in updates[-1]


def test_unexpected_errors_become_messages(
    adult_probe: mp.Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    explorer = adult_probe.explore()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(adult_probe, "breakdown", broken)
    explorer.state.add_slices([mp.Slice.parse("age < 25")])  # no exception escapes
    assert "RuntimeError: disk on fire" in _message(explorer)


def test_regression_probe_explores_errors_and_bins(regression_probe: mp.Probe) -> None:
    explorer = regression_probe.explore(by="sex")
    assert explorer.state.metric == "mae"
    explorer.state.selected = "sex == 'Female'"
    explorer.show_tab("Confusion")
    assert "classification" in explorer.confusion.note.value
    explorer.show_tab("Rows")
    rows = regression_probe.rows("sex == 'Female'", n=10)
    assert rows["@error"].abs().is_monotonic_decreasing
    assert "@error" in explorer.rows.table.value
    explorer.breakdown.metric.value = "rmse"
    assert "rmse" in explorer.breakdown.table.value


def test_bad_arguments_fail_before_a_widget_is_built(adult_probe: mp.Probe) -> None:
    with pytest.raises(mp.ValidationError, match="acuracy"):
        adult_probe.explore(metric="acuracy")
    with pytest.raises(mp.ValidationError, match="unknown model 'v9'"):
        adult_probe.explore(model="v9")
    with pytest.raises(mp.ParseError):
        adult_probe.explore(slices=["age >>> 3"])


# --- suggest ---------------------------------------------------------------------------------


def test_suggest_runs_discovery_and_adds_or_saves_a_suggestion(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    explorer = adult_probe.explore()
    pane = explorer.suggest
    pane.max_conditions.value = 2
    pane.top_k.value = 5
    found = pane.suggest()
    expected = adult_probe.find_slices(max_conditions=2, top_k=5)
    assert [str(s) for s in found["slice"]] == [str(s) for s in expected["slice"]]
    assert len(pane.rows.children) == len(found) > 0
    assert pane.bar.value == pane.bar.max  # the progress bar went to the end
    first = found["slice"].iloc[0]
    pane.rows.children[0].children[1].click()  # Add
    assert _names(explorer) == [first.name] and explorer.state.selected == first.name
    second = found["slice"].iloc[1]
    pane.rows.children[1].children[2].click()  # Save as test: added, selected, save tab open
    assert explorer.state.selected == second.name
    assert explorer.tabs.selected_index == 4
    explorer.save.path.value = str(tmp_path / "s.mlprobe.yaml")
    explorer.save.save.click()
    assert mp.Suite.load(tmp_path / "s.mlprobe.yaml").tests[0].slice == second


def test_starting_slices_named_overall_or_twice_are_refused_not_dropped(
    adult_probe: mp.Probe,
) -> None:
    women = mp.Slice.parse("sex == 'Female'", name="women")
    with pytest.raises(mp.errors.ValidationError, match=r"^slices: 'overall' names all rows"):
        adult_probe.explore(slices=[mp.Slice.parse("age > 30", name="overall")])
    with pytest.raises(mp.errors.ValidationError, match=r"two slices are named 'women'"):
        adult_probe.explore(slices=[women, mp.Slice.parse("age < 30", name="women")])
    # the same slice twice (e.g. in slices= and among by='s groups) is shown once
    explorer = adult_probe.explore(slices=[women, women, "age < 30"])
    assert _names(explorer) == ["women", "age < 30"]
    # typed in the builder, 'overall' is explained where the name was typed
    explorer.builder.expression.value = "age > 60"
    explorer.builder.name.value = "overall"
    explorer.builder.add_slice.click()
    assert "&#x27;overall&#x27; names all rows" in explorer.builder.error.value
    assert _names(explorer) == ["women", "age < 30"]
