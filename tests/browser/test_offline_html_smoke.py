"""Smoke test of the offline HTML check: what an executed notebook shows without a kernel.

A notebook with a widget and, as a separate output, a static copy (a table and an SVG chart
made by vl_convert) is executed with nbclient, exported with nbconvert, and opened from disk in
Chromium with every non-file request aborted. The widget cannot render there; the static copy
must.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .lab import isolated_env, new_notebook, screenshot
from .offline_html import execute_notebook, export_html, render_offline

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CELL = """\
import base64

import altair as alt
import ipywidgets as w
import pandas as pd
import vl_convert
from IPython.display import HTML, display

df = pd.DataFrame({"group": ["a", "b", "c"], "n": [3, 5, 2]})
chart = alt.Chart(df).mark_bar().encode(x="group:N", y="n:Q").properties(width=200, height=120)
svg = vl_convert.vegalite_to_svg(chart.to_dict())
uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
rows = "".join(f"<tr><td>{g}</td><td>{n}</td></tr>" for g, n in zip(df["group"], df["n"]))

display(w.IntSlider(value=3, description="live").add_class("offline-slider"))
display(HTML(
    '<div class="static-copy"><table><thead><tr><th>group</th><th>n</th></tr></thead>'
    f'<tbody>{rows}</tbody></table><img alt="chart" src="{uri}"></div>'
))
"""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_static_copy_shows_in_offline_html(page: Page, tmp_path: Path) -> None:
    nb = execute_notebook(new_notebook([CELL]), tmp_path, env=isolated_env(tmp_path / "kernel-env"))
    outputs = nb.cells[0].outputs
    assert [WIDGET_VIEW in o.get("data", {}) for o in outputs] == [True, False], outputs
    assert "text/html" in outputs[1].data
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})

    html = export_html(nb, tmp_path / "offline.html")
    blocked: list[str] = []
    render_offline(page, html, blocked=blocked)
    # the exported page wants require.js / the widget manager from a CDN: it must not get them
    assert blocked, "the exported page asked for nothing off the machine: is routing active?"

    static = page.locator(".static-copy")
    static.wait_for(state="visible")
    rows = static.locator("table tbody tr")
    assert rows.count() == 3
    assert rows.all_inner_texts() == ["a\t3", "b\t5", "c\t2"]
    for i in range(3):
        box = rows.nth(i).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, box

    img = static.locator("img")
    img.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 0
    box = img.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50, box

    # and the live widget really is absent offline: only the static copy carries the content
    assert page.locator(".offline-slider").count() == 0
    screenshot(page, "offline_html.png")
