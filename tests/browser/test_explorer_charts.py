"""The explorer's live charts in JupyterLab: no Vega warnings, as wide as their pane, vega once.

``test_chart_specs_draw_without_warnings_and_fit_their_box`` needs no Jupyter: it draws the
specifications with the vega-embed bundle of vl-convert in a blank page, as the live widget does,
and collects the console. ``test_explorer_charts_in_jupyterlab`` runs an explorer in JupyterLab at
1280 px with the file browser open, checks the chart fits its pane and grows with it, that no
Vega warning is logged, and that the page loads the vega bundle once however many charts there are.
``test_reopened_notebook_shows_the_last_state_cleanly`` reopens an executed notebook (widget
state saved, no kernel behind it) as its author would: the static copy shows, not a dead explorer
covered in red "disconnected" icons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.render.charts import breakdown_spec, compare_spec, confusion_spec, fit_container_width
from mlprobe.widgets.charts import CHART_CSS, FIT_CLASS

from .lab import (
    JupyterLab,
    new_notebook,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_for,
    wait_kernel_idle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

EXPLORER = ".mlprobe-explorer"
CHART_MARKS = ".mlprobe-breakdown-chart .vega-embed svg.marks"


def _probe(models: int) -> mp.Probe:
    rng = np.random.default_rng(3)
    n = 600
    group = rng.choice(["a", "b", "c", "tiny"], n, p=[0.45, 0.3, 0.22, 0.03])
    y = rng.integers(0, 2, n)
    predictions = {f"v{i + 1}": np.where(rng.random(n) < 0.8, y, 1 - y) for i in range(models)}
    frame = pd.DataFrame({"g": group, "y": y, **predictions})
    named = {name: name for name in predictions}
    return mp.Probe(frame, target="y", predictions=named if models > 1 else "v1")


def _specs() -> dict[str, dict[str, Any]]:
    one, two = _probe(1), _probe(2)
    low = one.breakdown(by="g", metrics=["accuracy"], min_support=30)  # "tiny" is faint
    return {
        "breakdown, one model": breakdown_spec(low, selectable=True, width=320),
        "breakdown, two models": breakdown_spec(
            two.breakdown(by="g", metrics=["accuracy"]), selectable=True
        ),
        "confusion": confusion_spec(one.confusion(None), selectable=True),
        "comparison": compare_spec(two.compare("v1", "v2", by="g", metric="accuracy")),
    }


def test_chart_specs_draw_without_warnings_and_fit_their_box(browser: Browser) -> None:
    vl_convert = pytest.importorskip("vl_convert")
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"[{msg.type}] {msg.text}"))
    try:
        page.set_content(
            f"<style>{CHART_CSS}</style><div id='box' style='width: 454px'>"
            f"<div id='chart' class='{FIT_CLASS}'></div></div>"
        )
        page.add_script_tag(content=vl_convert.javascript_bundle())  # window.vegaEmbed
        draw = """async ([spec, width]) => {
            document.getElementById('box').style.width = width + 'px';
            const result = await vegaEmbed('#chart', spec, {actions: false});
            const svg = document.querySelector('#chart svg');
            const size = [svg.getBoundingClientRect().width,
                          document.getElementById('box').getBoundingClientRect().width];
            result.finalize();
            return size;
        }"""
        for name, spec in _specs().items():
            for live in (spec, fit_container_width(spec)):
                messages.clear()
                page.evaluate(draw, [live, 454])
                assert messages == [], f"{name}: vega logged {messages}"
        # a chart that may stretch fills its box, at laptop and at wide-screen widths
        spec = fit_container_width(_specs()["breakdown, two models"])
        for box in (300, 454, 900):
            chart, width = page.evaluate(draw, [spec, box])
            assert width - 2 <= chart <= width, (box, chart)
    finally:
        page.close()


NOTEBOOK_CELLS = [
    "\n".join(
        [
            "import numpy as np, pandas as pd",
            "import mlprobe as mp",
            "rng = np.random.default_rng(3)",
            "n = 3000",
            "g = rng.choice(['a', 'b', 'c', 'tiny'], n, p=[0.45, 0.3, 0.22, 0.03])",
            "y = rng.integers(0, 2, n)",
            "frame = pd.DataFrame({'g': g, 'age': rng.integers(18, 80, n), 'y': y,",
            "    'v1': np.where(rng.random(n) < 0.8, y, 1 - y),",
            "    'v2': np.where(rng.random(n) < 0.85, y, 1 - y)})",
            "probe = mp.Probe(frame, target='y', predictions={'v1': 'v1', 'v2': 'v2'})",
        ]
    ),
    "explorer = probe.explore(by='g')\nexplorer",
]


def _chart_fit(page: Page) -> dict[str, float]:
    return dict(
        page.evaluate(
            """() => {
            const area = document.querySelector('.mlprobe-breakdown-chart');
            const svg = area.querySelector('.vega-embed svg.marks');
            return {area: area.getBoundingClientRect().width,
                    chart: svg.getBoundingClientRect().width,
                    right: svg.getBoundingClientRect().right,
                    areaRight: area.getBoundingClientRect().right};
        }"""
        )
    )


def test_explorer_charts_in_jupyterlab(jupyter_lab: JupyterLab, page: Page) -> None:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"[{msg.type}] {msg.text}"))
    page.set_viewport_size({"width": 1280, "height": 800})
    name = jupyter_lab.write_notebook(new_notebook(NOTEBOOK_CELLS), "charts.ipynb")
    open_notebook(page, jupyter_lab, name)
    run_all_cells(page)
    wait_for(page, EXPLORER)
    wait_for(page, CHART_MARKS)
    # every tab with a chart drawn once
    for tab in ("Confusion", "Models", "Breakdown"):
        page.locator(f"{EXPLORER} .mlprobe-tabs .lm-TabBar-tab", has_text=tab).click()
        page.wait_for_timeout(800)
    screenshot(page, "explorer-charts-1280.png")
    fit = _chart_fit(page)
    assert fit["right"] <= fit["areaRight"] + 1, fit  # nothing hidden in a narrow pane
    assert fit["chart"] >= fit["area"] - 40, fit  # and no room left unused

    # a wide screen: the chart grows with its pane
    page.set_viewport_size({"width": 1920, "height": 1000})
    page.wait_for_timeout(1000)
    wide = _chart_fit(page)
    assert wide["chart"] > fit["chart"] + 100, (fit, wide)
    assert wide["right"] <= wide["areaRight"] + 1, wide

    vega = [m for m in messages if m.startswith("[warning]") and "WARN" in m]
    assert vega == [], vega
    # vega comes in one widget, shown (hidden) in each of the four chart areas drawn
    assert page.locator(".mlprobe-vega-library").count() == 4


def _executed(cells: list[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The notebook of CELLS run by nbclient (widget state saved, as `jupyter execute` does)."""
    import nbclient

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = new_notebook(cells)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    assert nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return nb


def _trust(lab: JupyterLab, nb: Any) -> None:
    """Sign NB with the server's notary (its JUPYTER_DATA_DIR), as if its user had saved it."""
    from nbformat.sign import NotebookNotary

    NotebookNotary(data_dir=str(lab.root_dir.parent / "jupyter-data")).sign(nb)


def test_reopened_notebook_shows_the_last_state_cleanly(
    jupyter_lab: JupyterLab, page: Page, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [*NOTEBOOK_CELLS, "explorer.show_tab('Confusion')\nexplorer.show_tab('Breakdown')"]
    nb = _executed(cells, tmp_path, monkeypatch)
    _trust(jupyter_lab, nb)  # as a notebook its author saved: JupyterLab renders its widgets
    name = jupyter_lab.write_notebook(nb, "reopened.ipynb")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, jupyter_lab, name)
    wait_kernel_idle(page)
    page.wait_for_timeout(3000)  # the widget manager restores the saved views
    screenshot(page, "explorer-reopened.png")
    report = _visibility(page)
    # the dead widget is hidden (no red icons), the static copy shows the last state
    assert report["explorers"] == 1 and report["explorersVisible"] == 0, report
    assert report["disconnectedVisible"] == 0, report
    assert report["staticVisible"] == 1, report

    # once the cells run again, the live explorer shows and its static copy hides
    run_all_cells(page)
    wait_for(page, CHART_MARKS)
    report = _visibility(page)
    assert report["explorersVisible"] == 1 and report["disconnectedVisible"] == 0, report
    assert report["statics"] == 1 and report["staticVisible"] == 0, report


def _visibility(page: Page) -> dict[str, int]:
    return dict(
        page.evaluate(
            """() => {
        const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
        const all = (sel) => [...document.querySelectorAll(sel)];
        return {
            explorers: all('.mlprobe-explorer').length,
            explorersVisible: all('.mlprobe-explorer').filter(visible).length,
            disconnectedVisible: all('.jupyter-widgets-disconnected').filter(visible).length,
            statics: all('.mlprobe-static').length,
            staticVisible: all('.mlprobe-static').filter(visible).length,
        };
    }"""
        )
    )
