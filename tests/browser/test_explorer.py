"""The explorer of notebooks/03-explore.ipynb, driven in JupyterLab as a user would.

One end-to-end walk through the widget in headless Chromium: the notebook runs (it trains a
model on Adult), a slice is built with the builder's controls and shows up in the list, the
table and the chart; a bad expression is reported inline; a confusion cell becomes a slice; the
selected slice is saved as a test, and the suite file on disk is checked from this process.

Screenshots: ``tests/browser/artifacts/explorer.png`` (the whole explorer at the end) and
``explorer-readme.png`` (the Breakdown tab after building the slice, as the README shows it).
With ``MLPROBE_UPDATE_DOCS_SCREENSHOTS=1`` the latter is also written to ``docs/explorer.png``;
otherwise the test leaves the repository alone.

``test_explorer_fits_beside_the_file_browser`` checks the layout of a two-model explorer with
the file browser open at 1280 px (a laptop) and 1920 px (a wide screen), on every tab: no
element sticks out of the output area, no label or button is cut, slice names stay legible.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlprobe import Slice, Suite
from mlprobe.core.slicing.predicates import PREDICTION, TARGET, col
from mlprobe.datasets import load_adult
from mlprobe.widgets.explorer import TABS
from mlprobe.widgets.save_pane import suggested_id

from .lab import (
    JupyterLab,
    artifact_path,
    new_notebook,
    open_notebook,
    output_errors,
    overflow_problems,
    run_all_cells,
    screenshot,
    wait_for,
    wait_for_text,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, ViewportSize

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "03-explore.ipynb"
DOCS_SCREENSHOT = REPO / "docs" / "explorer.png"
UPDATE_DOCS_ENV = "MLPROBE_UPDATE_DOCS_SCREENSHOTS"
#: a laptop screen, the file browser open: the README's screenshot shows what most people see
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

METRIC = "recall[>50K]"  # what the notebook's explorer shows
N_TRAIN = 32_561  # the notebook evaluates on the rows after these
NEW_SLICE = "black over 40"
CELL = "true >50K, predicted <=50K"
CELL_SLICE = f"{NEW_SLICE}: {CELL}"
DESCRIPTION = "high earners the model misses among Black people over 40"

EXPLORER = ".mlprobe-explorer"
CHART_MARKS = ".mlprobe-breakdown-chart .vega-embed svg.marks"
#: one dot per slice (vega's symbol marks carry role and aria-label)
CHART_POINTS = f"{CHART_MARKS} path[role='graphics-symbol'][aria-roledescription='point']"
CHART_Y_LABELS = f"{CHART_MARKS} .role-axis-label text"

#: [label, selected, stats] of every row of the slice list
SLICE_ROWS_JS = """() => [...document.querySelectorAll('.mlprobe-explorer .mlprobe-slice-row')]
    .map(row => [
        row.querySelector('.mlprobe-slice-label input')?.value ?? '',
        row.classList.contains('mlprobe-selected'),
        row.querySelector('.mlprobe-slice-stats')?.textContent ?? '',
    ])"""


@pytest.fixture(scope="module")
def evaluation_rows() -> Any:
    """The rows the notebook's probe evaluates (Adult after the training rows)."""
    return load_adult().iloc[N_TRAIN:].reset_index(drop=True)


def slice_rows(page: Page) -> list[tuple[str, bool, str]]:
    """The slice list as (name, selected, stats text), "overall" first."""
    return [tuple(row) for row in page.evaluate(SLICE_ROWS_JS)]


def wait_slice_row(page: Page, name: str, stats: str = "", *, selected: bool = False) -> None:
    """Wait for a row of the list named NAME whose stats contain STATS (and is selected)."""
    try:
        page.wait_for_function(
            f"""([name, stats, selected]) => ({SLICE_ROWS_JS})().some(
                ([label, sel, text]) => label === name && text.includes(stats)
                    && (!selected || sel))""",
            arg=[name, stats, selected],
            polling=50,
        )
    except Exception as exc:
        raise AssertionError(
            f"no slice row {name!r} with {stats!r} (selected={selected}); rows: {slice_rows(page)}"
        ) from exc


def chart_point_labels(page: Page) -> list[str]:
    return [
        str(label)
        for label in page.locator(CHART_POINTS).evaluate_all(
            "marks => marks.map(m => m.getAttribute('aria-label'))"
        )
    ]


def show_tab(page: Page, title: str) -> None:
    page.locator(f"{EXPLORER} .mlprobe-tabs .lm-TabBar-tab", has_text=title).click()


def wait_value(page: Page, control: Locator, value: str, *, prefix: bool = False) -> None:
    """Wait until the input/textarea CONTROL's value is VALUE (or starts with it)."""
    try:
        page.wait_for_function(
            "([el, value, prefix]) => prefix ? el.value.startsWith(value) : el.value === value",
            arg=[control.element_handle(), value, prefix],
            polling=50,
        )
    except Exception as exc:
        raise AssertionError(
            f"expected {value!r}, the control reads {control.input_value()!r}"
        ) from exc


def shoot(page: Page, element: Locator, path: Path, margin: int = 8) -> Path:
    """Screenshot ELEMENT with a MARGIN of what surrounds it, no focus ring or hover on it."""
    box = element.bounding_box()
    assert box is not None
    # JupyterLab scrolls inside its notebook panel: the element must fit in the window
    height = max(VIEWPORT["height"], int(box["height"]) + 300)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    element.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.evaluate("() => document.activeElement?.blur()")
    page.mouse.move(1, height - 1)
    page.wait_for_timeout(300)  # let the layout settle after the resize
    box = element.bounding_box()
    assert box is not None
    clip = {
        "x": max(box["x"] - margin, 0),
        "y": max(box["y"] - margin // 2, 0),  # the cell's input border is just above
        "width": box["width"] + 2 * margin,
        "height": box["height"] + margin // 2 + margin,
    }
    page.screenshot(path=str(path), clip=clip, animations="disabled", caret="hide")
    page.set_viewport_size(VIEWPORT)
    return path


def build_black_over_40(page: Page, explorer: Locator, n_black: int) -> Locator:
    """With the builder's controls, as a user: ``race == 'Black' and age >= 40``, named
    :data:`NEW_SLICE` (not added yet); returns the expression box. ``n_black``: the Black
    rows, shown beside the level."""
    explorer.locator(".mlprobe-column select").select_option("race")
    choices = wait_for(page, f"{EXPLORER} .mlprobe-choices select[multiple]")
    choices.select_option(f"Black  ({n_black:,})")  # levels are labelled with their counts
    explorer.locator(".mlprobe-add-condition").click()
    expression = explorer.locator(".mlprobe-expression textarea")
    wait_value(page, expression, "race == 'Black'")
    explorer.locator(".mlprobe-column select").select_option("age")
    explorer.locator(".mlprobe-operator select").select_option(">=")
    number = wait_for(page, f"{EXPLORER} .mlprobe-number input")
    number.fill("40")
    number.press("Enter")  # FloatText commits on Enter/blur
    explorer.locator(".mlprobe-add-condition").click()  # combined with the default "and"
    wait_value(page, expression, "race == 'Black' and age >= 40", prefix=True)
    explorer.locator(".mlprobe-slice-name input").fill(NEW_SLICE)
    return expression


def test_explorer_end_to_end(
    jupyter_lab: JupyterLab,
    page: Page,
    evaluation_rows: Any,
) -> None:
    rows = evaluation_rows
    black = rows["race"] == "Black"
    n_black = int(black.sum())
    n_new = int((black & (rows["age"] >= 40)).sum())

    # 1. open the notebook, run it, wait for the explorer and its chart
    page.set_viewport_size(VIEWPORT)
    name = jupyter_lab.copy_notebook(NOTEBOOK)
    open_notebook(page, jupyter_lab, name)
    timings: dict[str, float] = {}
    started = time.monotonic()
    run_all_cells(page)
    timings["run all cells"] = time.monotonic() - started
    explorer = wait_for(page, EXPLORER)
    wait_for(page, CHART_MARKS)
    assert page.locator(EXPLORER).count() == 1
    assert [r[:2] for r in slice_rows(page)] == [
        ("overall", False),
        ("sex == 'Female'", False),
        ("sex == 'Male'", False),
        ("older women", True),
    ]

    # 2. the static copy for kernel-less viewers is in the page, hidden where the widget runs
    static = page.locator(".mlprobe-static")
    assert static.count() == 1
    assert static.is_hidden()
    assert "older women" in (static.text_content() or "")

    # 3. build "race == 'Black' and age >= 40" with the controls, name it, add it
    expression = build_black_over_40(page, explorer, n_black)

    n_points = page.locator(CHART_POINTS).count()
    assert n_points == 3  # one per slice; "overall" is the dashed rule
    clicked = time.monotonic()
    explorer.locator(".mlprobe-add-slice").click()
    wait_slice_row(page, NEW_SLICE, f"n={n_new:,} · {METRIC}", selected=True)
    listed = time.monotonic()
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=[CHART_POINTS, n_points + 1],
        polling=50,
    )
    charted = time.monotonic()
    timings["add slice -> list row"] = listed - clicked
    timings["add slice -> chart dot"] = charted - clicked

    wait_for_text(page, f"{EXPLORER} .mlprobe-message .mlprobe-message-success", NEW_SLICE)
    assert expression.input_value() == ""  # the builder is ready for the next slice
    table_rows = explorer.locator(".mlprobe-breakdown-table tbody tr")
    new_row = table_rows.filter(has_text=NEW_SLICE)
    assert new_row.count() == 1
    assert f"{n_new:,}" in new_row.inner_text()
    assert "mlprobe-selected" in (new_row.get_attribute("class") or "")
    assert table_rows.count() == 5  # overall + the notebook's three + ours
    assert NEW_SLICE in page.locator(CHART_Y_LABELS).all_text_contents()
    mine = [label for label in chart_point_labels(page) if f"slice: {NEW_SLICE};" in label]
    assert len(mine) == 1 and f"n: {n_new:,};" in mine[0], chart_point_labels(page)

    page.wait_for_timeout(500)  # vega-embed may still be fading in after the redraw
    readme = shoot(page, explorer, artifact_path("explorer-readme.png"))
    if os.environ.get(UPDATE_DOCS_ENV) == "1":
        shutil.copyfile(readme, DOCS_SCREENSHOT)

    # 4. a bad expression: an inline error, no traceback, nothing added
    expression.fill("age >> 3")
    explorer.locator(".mlprobe-add-slice").click()
    wait_for_text(page, f"{EXPLORER} .mlprobe-builder-error", "unknown operator")
    assert output_errors(page) == []
    assert explorer.locator(".mlprobe-message-error").count() == 0
    assert len(slice_rows(page)) == 5  # overall and four slices, as before

    # 5. the Confusion tab: a click on the cell true >50K / predicted <=50K adds its slice
    show_tab(page, "Confusion")
    heatmap = f"{EXPLORER} .mlprobe-confusion-selected .vega-embed svg.marks"
    wait_for_text(page, f"{heatmap} .role-title-text", NEW_SLICE)  # the selected slice's
    cell = page.locator(
        f"{heatmap} path[aria-roledescription='rect mark']"
        "[aria-label*='predicted: <=50K; true: >50K;']"
    )
    assert cell.count() == 1
    label = cell.get_attribute("aria-label") or ""
    n_cell = int(label.split("rows: ")[1].split(";")[0].replace(",", ""))
    assert 0 < n_cell < n_new
    clicked = time.monotonic()
    cell.click(position={"x": 6, "y": 6})  # a corner: the count's text sits in the middle
    wait_slice_row(page, CELL_SLICE, f"n={n_cell:,} · {METRIC} 0.000", selected=True)
    timings["confusion click -> selected row"] = time.monotonic() - clicked
    assert [r[0] for r in slice_rows(page) if r[1]] == [CELL_SLICE]
    wait_for_text(page, f"{heatmap} .role-title-text", CELL_SLICE)

    # 6. save the selected slice as a test; the suite file is read back from this process
    show_tab(page, "Save test")
    test_id = suggested_id(CELL_SLICE, METRIC)
    wait_value(page, explorer.locator(".mlprobe-test-id input"), test_id)
    assert explorer.locator(".mlprobe-suite-path input").input_value() == (
        "tests/income.mlprobe.yaml"
    )
    explorer.locator(".mlprobe-description textarea").fill(DESCRIPTION)
    clicked = time.monotonic()
    explorer.locator(".mlprobe-save-test").click()
    wait_for_text(page, f"{EXPLORER} .mlprobe-saved-yaml", "mlprobe: 1")
    timings["save test -> yaml shown"] = time.monotonic() - clicked
    assert test_id in explorer.locator(".mlprobe-saved-yaml").inner_text()

    suite = Suite.load(jupyter_lab.root_dir / "tests" / "income.mlprobe.yaml")
    assert [t.id for t in suite.tests] == [test_id]
    saved = suite.tests[0]
    cell_predicate = (col(TARGET) == ">50K") & (col(PREDICTION) == "<=50K")
    built = Slice.parse("race == 'Black' and age >= 40").predicate
    assert saved.slice.to_dict() == Slice(CELL_SLICE, built & cell_predicate).to_dict()
    assert saved.metric == METRIC
    assert saved.description == DESCRIPTION
    assert saved.baseline is not None
    assert saved.baseline.value == 0.0  # recall on rows whose >50K was missed
    assert saved.baseline.n == n_cell

    # 7. the static copy followed (it is redrawn shortly after the last change), still hidden
    page.wait_for_function(
        "([name]) => (document.querySelector('.mlprobe-static')?.textContent ?? '').includes(name)",
        arg=[CELL_SLICE],
        polling=200,
    )
    assert page.locator(".mlprobe-static").is_hidden()
    assert output_errors(page) == []
    shoot(page, explorer, artifact_path("explorer.png"))
    print("timings (s):", ", ".join(f"{k}: {v:.2f}" for k, v in timings.items()))


#: a small probe with two models and a long slice name, so the layout check costs a kernel
#: start and no training, and shows the widest breakdown table (two models side by side)
SMALL_EXPLORER = """\
import numpy as np
import pandas as pd
import mlprobe as mp

rng = np.random.default_rng(0)
n = 3000
frame = pd.DataFrame({
    "group": rng.choice(["north", "south", "east", "west"], n),
    "age": rng.integers(18, 90, n),
    "relationship": rng.choice(["Husband", "Not-in-family", "Own-child"], n),
    "y": rng.choice(["<=50K", ">50K"], n),
})
frame["v1"] = np.where(rng.random(n) < 0.8, frame["y"], "<=50K")
frame["v2"] = np.where(rng.random(n) < 0.85, frame["y"], "<=50K")
probe = mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})
probe.explore(
    by="group",
    slices=["relationship == 'Not-in-family' and age >= 40"],
    metric="recall[>50K]",
)
"""

LAYOUT_JS = """() => {
    const box = sel => document.querySelector('.mlprobe-explorer ' + sel)?.getBoundingClientRect();
    const tabs = box('.mlprobe-tabs'), chart = box('.mlprobe-breakdown-chart svg.marks');
    const combine = [...document.querySelectorAll(
        '.mlprobe-explorer .mlprobe-builder .widget-toggle-buttons button')]
        .map(b => Math.round(b.getBoundingClientRect().top));
    const add = document.querySelector('.mlprobe-explorer .mlprobe-add-condition');
    // an inline span has one client rect per line it is laid out on
    const wrapped = [...document.querySelectorAll(
        '.mlprobe-explorer .mlprobe-slice-stats span span')]
        .filter(s => s.getClientRects().length > 1).length;
    const labels = [...document.querySelectorAll('.mlprobe-explorer .mlprobe-slice-label input')]
        .map(i => Math.round(i.getBoundingClientRect().width));
    return {
        explorer_width: Math.round(box('').width ?? 0),
        chart_overflows_tab_by: Math.round(chart.right - tabs.right),
        and_or_button_tops: combine,
        add_condition_clipped_by: add.scrollWidth - add.clientWidth,
        slice_stats_wrapped: wrapped,
        narrowest_slice_name: Math.min(...labels),
    };
}"""

#: boxes meant to scroll sideways: the sample of data rows (as many columns as the data)
SCROLLERS = (".mlprobe-rows-scroll",)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 1920])
def test_explorer_fits_beside_the_file_browser(
    jupyter_lab: JupyterLab, page: Page, width: int
) -> None:
    """At a laptop's 1280 px and a wide screen's 1920 px, the file browser open, on every tab:
    nothing sticks out of the output area, no label or button is cut, slice names stay legible."""
    page.set_viewport_size({"width": width, "height": 800 if width == 1280 else 1080})
    name = jupyter_lab.write_notebook(new_notebook([SMALL_EXPLORER]), f"explorer-{width}.ipynb")
    open_notebook(page, jupyter_lab, name)  # the file browser is open in a fresh workspace
    assert page.locator(".jp-FileBrowser").first.is_visible()
    run_all_cells(page)
    wait_for(page, CHART_MARKS)
    page.wait_for_timeout(500)
    layout = page.evaluate(LAYOUT_JS)
    screenshot(page, f"explorer-layout-{width}.png")
    problems = []
    if layout["chart_overflows_tab_by"] > 0:
        problems.append("the breakdown chart sticks out of its tab pane")
    if len(set(layout["and_or_button_tops"])) > 1:
        problems.append("the and/or buttons are stacked")
    if layout["add_condition_clipped_by"] > 0:
        problems.append("'add condition' is clipped")
    if layout["slice_stats_wrapped"]:
        problems.append("a part of a slice's stats wraps onto two lines")
    if layout["narrowest_slice_name"] < 180:
        problems.append("slice names get too narrow a box")
    for tab in TABS:
        show_tab(page, tab)
        page.wait_for_timeout(1000 if tab in ("Confusion", "Models") else 300)
        found = overflow_problems(page, EXPLORER, scrollers=SCROLLERS)
        problems += [f"{tab}: {problem}" for problem in found["problems"]]
    assert not problems, f"{problems}; measured: {layout}"
