"""Charts of breakdowns and confusion matrices: the right marks, data and flags, rendered offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.render import breakdown_chart, confusion_chart
from mlprobe.render.charts import breakdown_spec

vl_convert = pytest.importorskip("vl_convert")


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    rng = np.random.default_rng(3)
    n = 600
    group = rng.choice(["a", "b", "c", "tiny"], n, p=[0.45, 0.3, 0.22, 0.03])
    y = rng.integers(0, 2, n)
    right = rng.random(n) < np.where(group == "b", 0.6, 0.9)
    v1 = np.where(right, y, 1 - y)
    v2 = np.where(rng.random(n) < 0.8, y, 1 - y)
    frame = pd.DataFrame({"g": group, "y": y, "v1": v1, "v2": v2})
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


def _layers(chart: object) -> list[dict]:
    return chart.to_dict()["layer"]  # type: ignore[attr-defined]


def _data(chart: object, layer: dict) -> list[dict]:
    spec = chart.to_dict()  # type: ignore[attr-defined]
    data = layer.get("data", spec.get("data"))  # layers sharing data get it at the top
    return spec["datasets"][data["name"]]


def test_one_dot_and_interval_per_slice_and_model_and_a_line_per_overall(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy", "macro_f1"])
    chart = breakdown_chart(table)
    reference, intervals, points = _layers(chart)
    assert [reference["mark"]["type"], intervals["mark"]["type"], points["mark"]["type"]] == [
        "rule",
        "rule",
        "point",
    ]
    dots = _data(chart, points)
    assert len(dots) == 2 * 4  # 4 groups x 2 models, no overall rows
    body = table[table["slice"] != "overall"]
    for row in dots:
        match = body[(body["slice"] == row["slice"]) & (body["model"] == row["model"])].iloc[0]
        assert row["value"] == pytest.approx(match["accuracy"])
        assert (row["low"], row["high"]) == pytest.approx(
            (match["accuracy_ci_low"], match["accuracy_ci_high"])
        )
    overall = _data(chart, reference)
    assert {r["model"]: r["value"] for r in overall} == pytest.approx(
        dict(zip(table["model"][:2], table["accuracy"][:2], strict=True))
    )


def test_low_support_slices_are_marked_faint(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"], model="v1", min_support=30)
    chart = breakdown_chart(table)
    dots = _data(chart, _layers(chart)[2])
    support = {row["slice"]: row["support"] for row in dots}
    assert support["g == 'tiny'"] == "too few rows"
    assert support["g == 'a'"] == "enough rows"
    opacity = _layers(chart)[2]["encoding"]["opacity"]
    assert opacity["field"] == "support"
    assert opacity["scale"]["range"][1] < opacity["scale"]["range"][0]


def test_slices_are_sorted_worst_first_and_the_metric_can_be_chosen(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy", "error_rate"], model="v1")
    chart = breakdown_chart(table, "error_rate")
    order = _layers(chart)[2]["encoding"]["y"]["sort"]
    values = table.set_index("slice")["error_rate"]
    assert order == sorted(order, key=lambda s: -values[s])  # lower is better: highest first
    by_accuracy = _layers(breakdown_chart(table, "accuracy"))[2]["encoding"]["y"]["sort"]
    assert by_accuracy == order  # the same slices are worst either way
    assert chart.to_dict()["title"] == "error_rate by slice"


def test_an_unknown_metric_is_a_clear_error(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"])
    with pytest.raises(mp.ValidationError, match="Did you mean 'accuracy'"):
        breakdown_chart(table, "acuracy")


def test_charts_render_offline_to_svg(probe: mp.Probe) -> None:
    table = probe.breakdown(by="g", metrics=["accuracy"])
    svg = vl_convert.vegalite_to_svg(breakdown_chart(table).to_dict())
    assert "g == 'tiny'" in svg.replace("&#39;", "'")
    heat = vl_convert.vegalite_to_svg(confusion_chart(probe.confusion(model="v1")).to_dict())
    assert "predicted" in heat


def test_confusion_heatmap_holds_every_cell(probe: mp.Probe) -> None:
    counts = probe.confusion(model="v1")
    chart = confusion_chart(counts)
    cells = _data(chart, _layers(chart)[0])
    assert len(cells) == 4
    assert sum(c["value"] for c in cells) == probe.n_rows
    shares = confusion_chart(probe.confusion(model="v1", normalize="true"))
    text = _layers(shares)[1]["encoding"]["text"]
    assert text["format"] == ".1%"  # a share reads as tables write it (12.3%)


def test_the_tooltip_writes_tiny_q_values_as_tables_do() -> None:
    frame = pd.DataFrame(
        {
            "slice": ["overall", "g == 'a'", "g == 'b'"],
            "model": "m",
            "n": [100, 60, 40],
            "accuracy": [0.8, 0.9, 0.65],
            "accuracy_ci_low": [0.7, 0.8, 0.5],
            "accuracy_ci_high": [0.9, 0.95, 0.8],
            "gap": [np.nan, 0.25, -0.25],
            "q_value": [np.nan, 0.0, 0.0456],
            "low_support": False,
        }
    )
    spec = breakdown_spec(frame, "accuracy")
    rows = {r["slice"]: r for r in spec["datasets"]["slices"]}
    assert rows["g == 'a'"]["q"] == "< 0.001" and rows["g == 'b'"]["q"] == "0.046"
    fields = [t["field"] for layer in spec["layer"] for t in layer["encoding"].get("tooltip", [])]
    assert "q" in fields and "q_value" not in fields
