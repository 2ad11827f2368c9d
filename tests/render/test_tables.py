"""HTML tables: the numbers of the frame, escaped, in the asked order, flags visible."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.render import breakdown_html, compare_html, frame_html
from mlprobe.render.tables import format_q, slice_order, sort_breakdown


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    rng = np.random.default_rng(5)
    n = 900
    group = rng.choice(["a", "b", "<script>x</script>", "tiny"], n, p=[0.4, 0.35, 0.22, 0.03])
    y = rng.integers(0, 2, n)
    v1 = np.where(rng.random(n) < np.where(group == "b", 0.6, 0.9), y, 1 - y)
    v2 = np.where(rng.random(n) < 0.8, y, 1 - y)
    return mp.Probe(
        pd.DataFrame({"g": group, "y": y}), target="y", predictions={"v1": v1, "v2": v2}
    )


def _first_cells(table: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<tr[^>]*><td[^>]*>([^<]*)</td>", table)]


def test_breakdown_table_has_the_values_intervals_and_flags(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"], model="v1")
    text = breakdown_html(table)
    for row in table.itertuples():
        assert f"{row.accuracy:.3f}" in text
        assert f"[{row.accuracy_ci_low:.3f}, {row.accuracy_ci_high:.3f}]" in text
    assert text.count("few rows") == int(table["low_support"].sum()) == 1
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_sort_orders_keep_overall_first(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["error_rate", "accuracy"], model="v1")
    body = table.iloc[1:]
    worst = sort_breakdown(table, "error_rate", "worst")
    assert worst["slice"].iloc[0] == "overall"
    assert (
        worst["slice"].tolist()[1:]
        == body.sort_values("error_rate", ascending=False)["slice"].tolist()
    )
    best = sort_breakdown(table, "accuracy", "best")["slice"].tolist()[1:]
    assert best == body.sort_values("accuracy", ascending=False)["slice"].tolist()
    assert sort_breakdown(table, None, "largest")["n"].tolist()[1:] == sorted(
        body["n"], reverse=True
    )
    assert _first_cells(breakdown_html(table, sort="name"))[1:] == sorted(body["slice"])
    with pytest.raises(mp.ValidationError, match="sort: expected one of"):
        sort_breakdown(table, None, "random")


def test_several_models_get_a_model_column_and_the_selection_is_marked(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"])
    text = breakdown_html(table, selected="g == 'b'")
    assert "<th" in text and ">model</th>" in text
    assert text.count('class="mlprobe-selected"') == 2  # one row per model


def test_comparison_table_spells_out_verdicts(probe: mp.Probe) -> None:
    comparison = probe.compare("v1", "v2", by="g")
    text = compare_html(comparison)
    for verdict in comparison["verdict"]:
        assert verdict in text
    assert "accuracy v1" in text and "accuracy v2" in text
    regressed = comparison[comparison["verdict"] == "regressed"]
    for row in regressed.itertuples():
        assert f"{row.delta:+.3f}" in text


def test_any_small_frame_becomes_an_escaped_table(probe: mp.Probe) -> None:
    text = frame_html(probe.flips("v1", "v2"), caption="flips <all>")
    assert "flips &lt;all&gt;" in text
    flips = probe.flips("v1", "v2")
    assert f"{int(flips.loc['wrong', 'correct']):,}" in text
    assert "v1 \\ v2" in text  # the corner names both axes


def _cells(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table)
    return [
        [
            html.unescape(re.sub(r"<span.*?</span> ", "", c))
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)
        ]
        for r in rows
    ]


def test_per_slice_layout_puts_the_models_side_by_side(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"])
    text = breakdown_html(table, per_slice=True, model="v2", sort="worst", selected="g == 'b'")
    rows = _cells(text)
    assert rows[0] == [
        "slice",
        "n",
        "accuracy v1",
        "95% interval",
        "accuracy v2",
        "95% interval",
        "Δ v2 − v1",
        "gap v2",
        "impact v2",
        "q v2",
        "",
    ]
    indexed = table.set_index(["slice", "model"])
    names = [row[0] for row in rows[1:]]
    assert names == ["overall", *slice_order(table, "accuracy", "worst", model="v2")]
    v2 = table[table["model"] == "v2"].iloc[1:].sort_values("accuracy")["slice"].tolist()
    assert names == ["overall", *v2]  # worst first by the chosen model
    for row in rows[1:]:
        a, b = indexed.loc[(row[0], "v1")], indexed.loc[(row[0], "v2")]
        assert row[2] == f"{a['accuracy']:.3f}" and row[4] == f"{b['accuracy']:.3f}"
        assert row[6] == f"{b['accuracy'] - a['accuracy']:+.3f}"
        if row[0] != "overall":
            assert row[7] == f"{b['gap']:+.3f}"
    assert text.count('class="mlprobe-selected"') == 1  # one row per slice
    # without a model: gap and q of each
    header = _cells(breakdown_html(table, per_slice=True))[0]
    assert header[-7:] == ["gap v1", "impact v1", "q v1", "gap v2", "impact v2", "q v2", ""]


def test_names_are_cut_with_the_full_name_on_hover_and_the_table_can_scroll(
    probe: mp.Probe,
) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"], model="v1")
    text = breakdown_html(table, max_height="300px")
    assert text.startswith(
        '<div class="mlprobe-table-scroll" style="max-height:300px;overflow:auto'
    )
    cell = re.search(r'<td title="([^"]*)" style="([^"]*)">g == &#x27;&lt;script&gt;', text)
    assert cell is not None and html.unescape(cell.group(1)) == "g == '<script>x</script>'"
    assert "text-overflow:ellipsis" in cell.group(2) and "max-width" in cell.group(2)
    intervals = re.findall(r'<td[^>]*style="([^"]*)">\[', text)
    assert intervals and all("white-space:nowrap" in s for s in intervals)
    assert 'title="gap: ' in text and 'title="q: Benjamini' in text


def test_q_values_read_as_people_write_them() -> None:
    assert [format_q(v) for v in (0.0, 2.7e-297, 0.0009, 0.001, 0.01234, 0.5, 1.0)] == [
        "< 0.001",
        "< 0.001",
        "< 0.001",
        "0.001",
        "0.012",
        "0.5",
        "1",
    ]
    assert format_q(float("nan")) == format_q(None) == "–"


def test_rows_defined_by_a_models_predictions_show_no_q(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"]).copy()
    table["own_predictions"] = (table["slice"] == "g == 'b'") & (table["model"] == "v1")
    text = breakdown_html(table, per_slice=True, model="v1")
    row = next(r for r in _cells(text) if r[0] == "g == 'b'")
    assert row[-2] == "–" and row[-4] != "–"  # the gap stays, the q goes
    assert "v1's own predictions" in html.unescape(text) and 'class="mlprobe-badge"' in text
    row = next(
        r for r in _cells(breakdown_html(table, per_slice=True, model="v2")) if r[0] == "g == 'b'"
    )
    assert row[-2] != "–"  # for v2 it is an ordinary slice


def test_a_slice_named_overall_is_a_row_of_its_own(probe: mp.Probe) -> None:
    table = probe.breakdown(
        slices=[mp.Slice.parse("g == 'b'", name="overall")], metrics=["accuracy"]
    )
    assert slice_order(table, "accuracy") == ["overall"]  # the user's slice, not all rows
    for per_slice in (True, False):
        rows = _cells(breakdown_html(table, per_slice=per_slice, model="v1"))
        slice_rows = [row for row in rows[1:] if row[0] == "overall"]
        sizes = {row[1] for row in slice_rows}
        assert len(slice_rows) >= 2 and len(sizes) == 2  # all rows, and the slice's fewer rows


def test_sorting_by_impact_puts_the_slice_to_fix_first_on_top(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"])
    ordered = sort_breakdown(table, "accuracy", "impact")
    body = ordered[~ordered["is_overall"]]
    assert ordered["is_overall"].iloc[0]
    assert (np.diff(body["impact"].to_numpy()) <= 0).all()  # accuracy: higher is better
    errors = probe.breakdown(by="g", metrics=["error_rate"])
    body = sort_breakdown(errors, "error_rate", "impact")
    body = body[~body["is_overall"]]
    assert (np.diff(body["impact"].to_numpy()) >= 0).all()  # a loss: the largest fall first


def test_the_breakdown_table_shows_the_impact_with_its_interval_on_hover(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"], model="v1")
    text = breakdown_html(table)
    rows = _cells(text)
    assert rows[0][rows[0].index("gap") + 1] == "impact"
    assert (
        'title="impact: how much accuracy on all rows would change if this slice did as well'
        in (html.unescape(text))
    )
    column = rows[0].index("impact")
    by_name = {row[0]: row for row in rows[1:]}
    for record in table[~table["is_overall"]].to_dict("records"):
        assert by_name[record["slice"]][column] == f"{record['impact']:+.3f}"
        low, high = record["impact_ci_low"], record["impact_ci_high"]
        assert f'title="95% interval [{low:+.3f}, {high:+.3f}]"' in text
    assert by_name["overall"][column] == "–"  # the overall rows have no impact
    # another metric shown: the impact is named after the first metric; none without the column
    two = probe.breakdown(by="g", metrics=["accuracy", "error_rate"], model="v1")
    assert "impact (accuracy)" in _cells(breakdown_html(two, "error_rate"))[0]
    assert "impact" not in _cells(breakdown_html(table.drop(columns=["impact"])))[0]
    # the rows layout (several models) has it too
    assert "impact" in _cells(breakdown_html(probe.breakdown(by="g", metrics=["accuracy"])))[0]
