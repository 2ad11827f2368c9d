"""Issue 13, kernel side: every view follows the state in one pass and says what it shows.

The explorer is driven from Python (widget values set, buttons clicked); each
expected number comes from the probe's own API.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.core.statistics.significance import benjamini_hochberg
from mlprobe.widgets import Explorer
from mlprobe.widgets.state import MESSAGE_HEIGHT, own_prediction_models


class _Table(HTMLParser):
    """The cells of an HTML table: text and attributes, header row first."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, dict[str, str]]]] = []
        self.row_attrs: list[dict[str, str]] = []
        self._cell: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._in_badge = False
        self.badges: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self.rows.append([])
            self.row_attrs.append(values)
        elif tag in ("td", "th"):
            self._cell, self._attrs = [], values
        elif tag == "span" and "mlprobe-badge" in values.get("class", ""):
            self.badges.append(values.get("title", ""))
            self._in_badge = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_badge = False
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(("".join(self._cell).strip(), self._attrs))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_badge:  # the badge is not the name
            self._cell.append(data)


def _parse(markup: str) -> _Table:
    table = _Table()
    table.feed(markup)
    return table


def _texts(markup: str) -> list[list[str]]:
    return [[text for text, _ in row] for row in _parse(markup).rows]


def _message(explorer: Explorer) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", explorer.message.value))


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _stats(explorer: Explorer, name: str) -> str:
    return _text(explorer.slice_list.rows[name].stats.value)


# --- 1. one state change, every view ------------------------------------------------------------


def test_model_metric_confidence_and_min_support_reach_every_view(
    two_model_probe: mp.Probe,
) -> None:
    probe = two_model_probe
    explorer = probe.explore(by="sex", metric="f1[>50K]")
    explorer.state.selected = "sex == 'Female'"
    before = explorer.state.breakdown

    def expected(metric: str, confidence: float = 0.95, min_support: int = 30) -> pd.DataFrame:
        table = probe.breakdown(
            by="sex", metrics=[metric], confidence=confidence, min_support=min_support
        )
        return table.set_index(["slice", "model"])

    # the model: the list, the table's gap/q and order, and every pane's label at once
    explorer.model_picker.value = "v2"
    assert explorer.state.model == "v2"
    assert explorer.state.breakdown is before  # nothing to recompute: all models are in it
    table = expected("f1[>50K]")
    for name in ("overall", "sex == 'Female'", "sex == 'Male'"):
        assert f"f1[>50K] {table.loc[(name, 'v2'), 'f1[>50K]']:.3f}" in _stats(explorer, name)
    header = _texts(explorer.breakdown.table.value)[0]
    assert "gap v2" in header and "q v2" in header
    v2_order = (
        table.xs("v2", level="model").iloc[1:].sort_values("f1[>50K]").index.tolist()
    )  # worst first, by v2
    assert explorer.breakdown.order() == v2_order  # slices only: the overall row leads
    assert explorer.breakdown.chart.spec["layer"][2]["encoding"]["y"]["sort"] == v2_order
    for pane in (explorer.breakdown, explorer.confusion, explorer.rows, explorer.save):
        assert "model v2" in _text(pane.context.value)
    assert "model v2" in _text(explorer.suggest.context.value)

    # the metric
    explorer.breakdown.metric.value = "recall[>50K]"
    table = expected("recall[>50K]")
    for name in ("overall", "sex == 'Male'"):
        assert f"recall[>50K] {table.loc[(name, 'v2'), 'recall[>50K]']:.3f}" in _stats(
            explorer, name
        )
    rows = _texts(explorer.breakdown.table.value)
    assert rows[0][2] == "recall[>50K] v1" and rows[0][4] == "recall[>50K] v2"
    female = next(r for r in rows if r[0] == "sex == 'Female'")
    assert female[4] == f"{table.loc[('sex == ' + repr('Female'), 'v2'), 'recall[>50K]']:.3f}"
    for pane in (explorer.breakdown, explorer.save, explorer.suggest):
        assert "metric recall[>50K]" in _text(pane.context.value)
    assert explorer.save.metric.value == "recall[>50K]"

    # the confidence: intervals in the table, and the save form's current value
    explorer.confidence_picker.value = 0.8
    table = expected("recall[>50K]", confidence=0.8)
    low, high = table.loc[("overall", "v2"), ["recall[>50K]_ci_low", "recall[>50K]_ci_high"]]
    rows = _texts(explorer.breakdown.table.value)
    assert rows[0][3] == "80% interval"
    assert rows[1][5] == f"[{low:.3f}, {high:.3f}]"
    now = probe.metric("recall[>50K]", "sex == 'Female'", model="v2", confidence=0.8)
    assert f"[{now['ci_low']:.3f}, {now['ci_high']:.3f}]" in explorer.save.current.value

    # min_support: flags in the table and the list, the save form's default
    explorer.min_support_box.value = 20_000  # more rows than the women's slice has
    rows = _texts(explorer.breakdown.table.value)
    female = next(r for r in rows if r[0] == "sex == 'Female'")
    male = next(r for r in rows if r[0] == "sex == 'Male'")
    assert female[-1] == "few rows" and female[-2] == "–"  # shown, not tested
    assert male[-1] == "" and male[-2] != "–"
    assert "few rows" in _stats(explorer, "sex == 'Female'")
    assert explorer.save.min_support.value == 20_000

    # the Models tab, drawn when shown, uses the same metric and settings
    explorer.show_tab("Models")
    assert "recall[&gt;50K] v1" in explorer.models.table.value
    assert _text(explorer.models.context.value) == "models v1 → v2 · metric recall[>50K]"


def test_the_header_follows_state_set_from_code(two_model_probe: mp.Probe) -> None:
    explorer = two_model_probe.explore(by="sex")
    explorer.state.model = "v2"
    explorer.state.confidence = 0.9
    explorer.state.min_support = 50
    assert explorer.model_picker.value == "v2"
    assert explorer.confidence_picker.value == 0.9
    assert explorer.min_support_box.value == 50
    assert "model v2" in _text(explorer.confusion.context.value)


# --- 2. the breakdown table ----------------------------------------------------------------------


def test_the_table_has_one_row_per_slice_with_the_models_side_by_side(
    two_model_probe: mp.Probe,
) -> None:
    long_name = "people of working age with a university degree and long hours " * 2
    slices = [mp.Slice.parse("age >= 30 and education_num >= 13 and hours_per_week >= 45")]
    slices = [mp.Slice(long_name.strip(), slices[0].predicate)]
    explorer = two_model_probe.explore(by="race", slices=slices)
    pane = explorer.breakdown
    table = _parse(pane.table.value)
    expected = two_model_probe.breakdown(
        slices=explorer.state.slices, metrics=["accuracy"]
    ).set_index(["slice", "model"])
    header = [text for text, _ in table.rows[0]]
    assert header[:7] == [
        "slice",
        "n",
        "accuracy v1",
        "95% interval",
        "accuracy v2",
        "95% interval",
        "Δ v2 − v1",
    ]
    body = table.rows[1:]
    names = [row[0][0] for row in body]
    assert len(names) == len(set(names)) == len(explorer.state.slices) + 1  # one row per slice
    assert names == ["overall", *pane.order()]  # the chart's order, all rows first
    assert pane.chart.spec["layer"][2]["encoding"]["y"]["sort"] == names[1:]
    for row in body:
        cells = [text for text, _ in row]
        name = cells[0]
        v1, v2 = expected.loc[(name, "v1")], expected.loc[(name, "v2")]
        assert cells[1] == f"{int(v1['n']):,}"
        assert cells[2] == f"{v1['accuracy']:.3f}" and cells[4] == f"{v2['accuracy']:.3f}"
        assert cells[3] == f"[{v1['accuracy_ci_low']:.3f}, {v1['accuracy_ci_high']:.3f}]"
        assert cells[5] == f"[{v2['accuracy_ci_low']:.3f}, {v2['accuracy_ci_high']:.3f}]"
        assert cells[6] == f"{v2['accuracy'] - v1['accuracy']:+.3f}"
        for text, attrs in row[1:]:
            if text.startswith("["):
                assert "white-space:nowrap" in attrs["style"]  # an interval stays on one line
    long_cell = next(attrs for row in body for text, attrs in row if text == long_name.strip())
    assert long_cell["title"] == long_name.strip()
    assert "text-overflow:ellipsis" in long_cell["style"] and "max-width" in long_cell["style"]
    # the table scrolls inside the pane
    scroll = re.match(r'<div class="mlprobe-table-scroll" style="([^"]*)"', pane.table.value)
    assert scroll is not None
    assert "max-height" in scroll.group(1) and "overflow:auto" in scroll.group(1)
    # the static copy has the same table
    static = explorer.static_html().split("<img")[0]
    assert _texts(static) == _texts(pane.table.value)
    assert "max-height" in static and "text-overflow:ellipsis" in static


def test_sorting_reorders_slices_by_the_chosen_model(two_model_probe: mp.Probe) -> None:
    explorer = two_model_probe.explore(by="race", model="v1")
    pane = explorer.breakdown
    pane.sort.value = "name"
    names = [row[0] for row in _texts(pane.table.value)[1:]]
    assert names[0] == "overall" and names[1:] == sorted(names[1:])
    pane.sort.value = "worst"
    table = two_model_probe.breakdown(by="race", metrics=["accuracy"], model="v1")
    worst = table.iloc[1:].sort_values("accuracy")["slice"].tolist()
    assert [row[0] for row in _texts(pane.table.value)[2:]] == worst


# --- 3. every pane names its model and metric; tooltips; q-values ------------------------------


def test_headers_explain_gap_q_and_support_and_q_values_read_well(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex", slices=["age < 20"], min_support=50_000)
    table = _parse(explorer.breakdown.table.value)
    titles = {text: attrs.get("title", "") for text, attrs in table.rows[0]}
    assert "rest of the rows" in titles["gap"]
    assert "Benjamini–Hochberg" in titles["q"] and "table's slices" in titles["q"]
    few = [attrs for row in table.rows[1:] for text, attrs in row if text == "few rows"]
    assert few and all("min_support" in attrs["title"] for attrs in few)

    explorer.min_support_box.value = 30
    q_values = [row[-2] for row in _texts(explorer.breakdown.table.value)[2:]]
    assert "< 0.001" in q_values  # the sexes differ beyond doubt
    for q in q_values:
        assert q == "–" or q == "< 0.001" or re.fullmatch(r"0\.\d+|1", q), q
        assert "e-" not in q and q != "0"


def test_confusion_rows_save_and_suggest_name_their_model_and_metric(
    two_model_probe: mp.Probe,
) -> None:
    explorer = two_model_probe.explore(by="sex", model="v2", metric="recall[>50K]")
    explorer.state.selected = "sex == 'Male'"
    assert _text(explorer.confusion.context.value) == "model v2 · slice sex == 'Male'"
    assert _text(explorer.rows.context.value) == "model v2 · slice sex == 'Male'"
    assert _text(explorer.save.context.value) == "model v2 · metric recall[>50K]"
    assert _text(explorer.suggest.context.value).startswith("model v2 · metric recall[>50K]")
    explorer.show_tab("Rows")
    assert "v2's predictions" in _text(explorer.rows.caption.value)


def test_the_rows_table_explains_the_probes_columns(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    explorer.show_tab("Rows")
    titles = {
        text: attrs.get("title", "") for text, attrs in _parse(explorer.rows.table.value).rows[0]
    }
    assert "probability" in titles["@score"]
    assert "true label" in titles["@target"]


def test_the_confusion_toggle_starts_on_counts(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    toggle = explorer.confusion.normalize
    assert toggle.index == 0 and toggle.value == "counts"
    explorer.show_tab("Confusion")
    cells = explorer.confusion.overall_chart.spec["data"]["values"]
    assert sum(c["value"] for c in cells) == adult_probe.n_rows  # counts, not shares
    toggle.value = "pred"
    cells = explorer.confusion.overall_chart.spec["data"]["values"]
    assert sum(c["value"] for c in cells) == pytest.approx(2.0)


# --- 4. messages ---------------------------------------------------------------------------------


def test_the_message_area_has_a_fixed_height(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    assert explorer.message.layout.height == MESSAGE_HEIGHT
    assert explorer.message.layout.overflow == "auto"
    explorer.builder.expression.value = "age > 40"
    explorer.builder.add_slice.click()
    assert explorer.message.layout.height == MESSAGE_HEIGHT


def test_messages_clear_after_unrelated_actions(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex")
    explorer.builder.expression.value = "age > 40"
    explorer.builder.add_slice.click()
    assert "added slice 'age > 40'" in _message(explorer)
    explorer.slice_list.rows["sex == 'Male'"].select.click()  # unrelated: the message goes
    assert _message(explorer) == ""
    explorer.builder.expression.value = "agee > 40"
    explorer.builder.add_slice.click()
    assert "age" in _message(explorer)  # an error ...
    explorer.breakdown.metric.value = "error_rate"
    assert _message(explorer) == ""  # ... goes too
    explorer.slice_list.rows["age > 40"].remove.click()
    assert _message(explorer) == "removed slice 'age > 40'"


def test_a_refused_save_does_not_keep_the_last_success(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    explorer = adult_probe.explore(by="sex")
    explorer.state.selected = "sex == 'Male'"
    save = explorer.save
    save.path.value = str(tmp_path / "s.mlprobe.yaml")
    save.save.click()
    assert "Saved test" in save.result.value and "(1 test)" in save.result.value
    assert _message(explorer).startswith("saved test")
    save.save.click()  # the same id again: refused
    assert "already has a test" in _message(explorer)
    assert save.result.value == ""
    assert "saved test" not in _message(explorer)
    save.test_id.value = "another"
    save.save.click()
    assert "(2 tests)" in save.result.value
    explorer.state.selected = "sex == 'Female'"  # another slice: the last save is not its
    assert save.result.value == ""


# --- 5. suggest ranks by the explorer's metric ---------------------------------------------------


def test_suggest_ranks_by_the_explorers_metric_where_search_can(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(metric="log_loss")
    pane = explorer.suggest
    pane.top_k.value = 5
    found = pane.suggest()
    assert set(found["metric"]) == {"log_loss"}
    expected = adult_probe.find_slices(metric="log_loss", max_conditions=2, top_k=5)
    assert [str(s) for s in found["slice"]] == [str(s) for s in expected["slice"]]
    assert "ranks by log_loss" in _text(pane.context.value)
    assert "ranked by log_loss" in _text(pane.summary.value)


def test_suggest_says_what_it_ranks_by_when_it_cannot_use_the_metric(
    adult_probe: mp.Probe,
) -> None:
    explorer = adult_probe.explore(metric="recall[>50K]")
    pane = explorer.suggest
    pane.top_k.value = 5
    found = pane.suggest()
    assert set(found["metric"]) == {"error_rate"}
    context = _text(pane.context.value)
    assert "ranks by error_rate" in context and "recall[>50K] is not one" in context
    recall = adult_probe.breakdown(slices=list(found["slice"]), metrics=["recall[>50K]"])
    for row, record in zip(pane.rows.children, recall.iloc[1:].to_dict("records"), strict=True):
        text = _text(row.children[0].value)
        value = record["recall[>50K]"]
        shown = "–" if np.isnan(value) else f"{value:.3f}"
        assert f"recall[>50K] {shown}" in text
        q = re.search(r"· q (\S+(?: \S+)?)", text)
        assert q is not None and "e-" not in q.group(1) and q.group(1) != "0"
    # another metric: the suggestions are not its, so they go
    explorer.breakdown.metric.value = "accuracy"
    assert pane.rows.children == () or list(pane.rows.children) == []
    assert "suggest again" in pane.summary.value
    assert "ranks by error_rate (1 − accuracy)" in _text(pane.context.value)


# --- 6. confusion-cell slices --------------------------------------------------------------------


def test_a_slice_on_a_models_own_predictions_is_marked_and_not_tested(
    two_model_probe: mp.Probe,
) -> None:
    explorer = two_model_probe.explore(by="sex", model="v2")
    explorer.show_tab("Confusion")
    explorer.confusion.cell_clicked([{"true": ">50K", "predicted": "<=50K"}], within_selected=False)
    cell = explorer.state.slices[-1]
    assert own_prediction_models(cell, two_model_probe.models) == ["v2"]
    table = explorer.state.breakdown
    marked = table[table["own_predictions"]]
    assert marked[["slice", "model"]].values.tolist() == [[cell.name, "v2"]]
    assert marked["q_value"].isna().all() and marked["gap"].notna().all()
    # the other slices' q-values: Benjamini–Hochberg without the untested slice
    raw = two_model_probe.breakdown(slices=explorer.state.slices, metrics=["accuracy"])
    v2 = raw[(raw["model"] == "v2") & (raw["slice"] != "overall")]
    p_values = np.where(v2["slice"] == cell.name, np.nan, v2["p_value"])
    shown = table[(table["model"] == "v2") & (table["slice"] != "overall")]["q_value"]
    np.testing.assert_allclose(shown, benjamini_hochberg(p_values))
    # for v1 the slice is an ordinary slice, tested
    v1 = table[(table["model"] == "v1") & (table["slice"] == cell.name)]
    assert not v1["own_predictions"].any() and v1["q_value"].notna().all()

    # the table: gap shown, q a dash with the reason; the name carries a mark
    parsed = _parse(explorer.breakdown.table.value)
    row = next(r for r in parsed.rows[1:] if r[0][0] == cell.name)
    gap_text, q = row[-4][0], row[-2]  # ... gap, impact, q, flags
    assert gap_text == f"{marked['gap'].iloc[0]:+.3f}"
    assert q[0] == "–" and "v2's own predictions" in q[1]["title"]
    assert any("v2's own predictions" in title for title in parsed.badges)
    # the list says so too, and the save form warns
    assert "by v2's predictions" in _stats(explorer, cell.name)
    assert "defined by v2's own predictions" in html.unescape(explorer.save.current.value)
    # under v1 the same slice is a finding like any other
    explorer.model_picker.value = "v1"
    assert "by v1's" not in _stats(explorer, cell.name)
    row = next(r for r in _texts(explorer.breakdown.table.value)[1:] if r[0] == cell.name)
    assert row[-2] != "–"


def test_a_single_models_confusion_cell_is_marked_too(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    explorer.show_tab("Confusion")
    explorer.confusion.cell_clicked([{"true": "<=50K", "predicted": ">50K"}], within_selected=False)
    name = explorer.state.slices[-1].name
    assert explorer.state.breakdown.set_index("slice").loc[name, "own_predictions"]
    row = next(r for r in _texts(explorer.breakdown.table.value)[1:] if r[0] == name)
    assert row[-2] == "–"


# --- 7. add groups says why there are fewer groups than bins ---------------------------------------


def test_add_groups_says_when_tied_quantiles_merged_bins(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore()
    builder = explorer.builder
    builder.group_column.value = "hours_per_week"
    builder.bins.value = 4
    builder.add_groups.click()
    assert len(explorer.state.slices) == 3
    assert _message(explorer) == (
        "added 3 groups of 'hours_per_week' (bins=4 gave 3 groups: tied quantiles merged bins)"
    )
    builder.group_column.value = "age"
    builder.add_groups.click()
    assert _message(explorer) == "added 4 groups of 'age'"
