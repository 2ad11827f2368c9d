"""Smoke test of the browser-test setup: widgets and an offline altair chart in JupyterLab.

Proves the fixtures work end to end: a notebook runs in a real kernel, ipywidgets and
``alt.JupyterChart`` (offline, no CDN) render, and a change made in the browser reaches Python.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from .lab import (
    KERNEL_STATUS_IDLE,
    JupyterLab,
    kernel_status,
    new_notebook,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_for,
    wait_for_text,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SETUP = """\
import ipywidgets as w
import altair as alt
alt.JupyterChart.enable_offline()
import pandas as pd
"""

WIDGETS = """\
df = pd.DataFrame({"group": ["a", "b", "c"], "n": [3, 5, 2]})
pick = alt.selection_point(name="pick", fields=["group"])
chart = alt.JupyterChart(
    alt.Chart(df)
    .mark_bar()
    .encode(
        x="group:N",
        y="n:Q",
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.4)),
    )
    .add_params(pick)
    .properties(width=240, height=160)
)
slider = w.IntSlider(value=5, min=0, max=10, description="smoke").add_class("smoke-slider")
seen = w.HTML("kernel saw 5").add_class("smoke-seen")
picked = w.HTML("picked: none").add_class("smoke-picked")


def on_value(change):
    seen.value = f"kernel saw {change['new']}"


def on_pick(change):
    picked.value = "picked: " + ",".join(str(row["group"]) for row in chart.selections.pick.value)


slider.observe(on_value, names="value")
chart.selections.observe(on_pick, names=["pick"])
display(w.VBox([slider, seen, picked]))
display(chart)
"""


def test_widgets_and_offline_chart_in_jupyterlab(jupyter_lab: JupyterLab, page: Page) -> None:
    name = jupyter_lab.write_notebook(new_notebook([SETUP, WIDGETS]), "smoke.ipynb")
    open_notebook(page, jupyter_lab, name)
    run_all_cells(page, via_palette=True)
    assert KERNEL_STATUS_IDLE in kernel_status(page)

    # both rendered: the widget, and the chart drawn by vega-embed with no network
    handle = wait_for(page, ".smoke-slider .noUi-handle")
    marks = wait_for(page, ".vega-embed svg.marks")
    box = marks.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    wait_for_text(page, ".smoke-seen", "kernel saw 5")

    # change the slider in the browser; the kernel's observer answers through another widget
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_for_text(page, ".smoke-slider .widget-readout", "8")
    wait_for_text(page, ".smoke-seen", "kernel saw 8")

    # click a bar: the selection travels back to Python (what click-to-slice builds on)
    bars = page.locator(".vega-embed svg.marks path[role='graphics-symbol']")
    assert bars.count() == 3, bars.count()
    bars.nth(1).click()
    wait_for_text(page, ".smoke-picked", "picked: b")

    assert not page.locator(".vega-embed", has_text=re.compile("javascript error", re.I)).count()
    screenshot(page, "smoke.png")
