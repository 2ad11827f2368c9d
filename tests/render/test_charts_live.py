"""Chart specifications as the live widgets get them: warning-free opacity, stretchable widths,
and one vega bundle for all chart areas (the browser side is in tests/browser/test_explorer_charts.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.render.charts import (
    SUPPORT_LEVELS,
    breakdown_spec,
    compare_spec,
    confusion_spec,
    fit_container_width,
)
from mlprobe.render.static import static_copy_style

vl_convert = pytest.importorskip("vl_convert")


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    rng = np.random.default_rng(5)
    n = 400
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "tiny"], n, p=[0.6, 0.36, 0.04]),
            "y": y,
            "v1": np.where(rng.random(n) < 0.8, y, 1 - y),
            "v2": np.where(rng.random(n) < 0.9, y, 1 - y),
        }
    )
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


def test_both_breakdown_layers_share_one_sorted_opacity_scale(probe: mp.Probe) -> None:
    spec = breakdown_spec(probe.breakdown(by="g", metrics=["accuracy"]))
    opacities = [layer["encoding"].get("opacity") for layer in spec["layer"]]
    assert opacities[0] is None  # the overall line
    intervals, points = opacities[1:]
    assert intervals == points  # two ranges on one scale made vega-lite warn
    assert points["type"] == "ordinal" and points["sort"] == SUPPORT_LEVELS


def test_breakdown_and_comparison_stretch_to_their_container(probe: mp.Probe) -> None:
    specs = [
        breakdown_spec(probe.breakdown(by="g", metrics=["accuracy"]), width=320),
        compare_spec(probe.compare("v1", "v2", by="g", metric="accuracy"), width=320),
    ]
    for spec in specs:
        assert spec["width"] == 320  # static copies keep a fixed width
        live = fit_container_width(spec)
        assert live["width"] == "container"
        assert live["autosize"] == {"type": "fit-x", "contains": "padding"}
        signals = {s["name"]: s for s in vl_convert.vegalite_to_vega(live)["signals"]}
        assert "containerSize()" in signals["width"]["init"]
    heatmap = confusion_spec(probe.confusion(None, model="v1"))
    assert fit_container_width(heatmap) is heatmap  # a square heatmap keeps its size
    container = breakdown_spec(probe.breakdown(by="g", metrics=["accuracy"]), width="container")
    assert container == fit_container_width(container)
    assert "<svg" in vl_convert.vegalite_to_svg({**container, "width": 300})


def test_chart_areas_share_one_vega_bundle(probe: mp.Probe) -> None:
    from mlprobe.widgets.charts import ChartView, vega_library

    views = [ChartView(selection="pick"), ChartView(css_class="other")]
    views[0].show(breakdown_spec(probe.breakdown(by="g", metrics=["accuracy"]), selectable=True))
    views[1].show(confusion_spec(probe.confusion(None, model="v1")))
    library = vega_library()
    for view in views:
        assert view.widget.children[0] is library
        assert len(view.chart._esm) < 20_000  # type: ignore[union-attr]
    assert len(library._esm) > 500_000  # vega, vega-lite and vega-embed, once
    assert views[0].chart.spec["width"] == "container"  # type: ignore[union-attr]
    assert views[1].chart.spec["width"] == views[1].spec["width"]  # type: ignore[index,union-attr]


def test_static_copy_style_hides_the_copy_only_beside_a_live_widget() -> None:
    style = static_copy_style("mlprobe-explorer", "mlprobe-static")
    assert style.startswith("<style>") and style.endswith("</style>")
    live = ".mlprobe-explorer:not(.jupyter-widgets-disconnected)"
    assert f".jp-OutputArea:has({live}) .mlprobe-static" in style
    assert ".mlprobe-explorer.jupyter-widgets-disconnected {display: none !important;}" in style
