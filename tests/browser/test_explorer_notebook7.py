"""The explorer of notebooks/03-explore.ipynb in Jupyter Notebook 7, driven as a user would.

Users open notebooks in Notebook 7 (the ``notebook`` package, 7.x) as well as in JupyterLab.
Notebook 7 is built from JupyterLab 4's components but has its own shell: no status bar, a
notebook toolbar with the kernel's name and status, a menu bar, a centred notebook column. This
is a lighter version of ``test_explorer.py``'s end-to-end walk, in that shell:

* the notebook (Adult, the same cells as the JupyterLab test) runs through *Run > Run All
  Cells*; the explorer renders with its slice list, breakdown table and chart, no traceback,
  and its static copy for kernel-less viewers stays hidden;
* a slice built with the builder's controls (``race == 'Black' and age >= 40``) is added and
  selected in the list, the table and the chart, as in the JupyterLab test;
* at a laptop's 1366x768, on every tab, nothing in the explorer sticks out of the output area
  and no label or button is cut (``lab.overflow_problems``).

Screenshot: ``tests/browser/artifacts/explorer-notebook7.png`` (the page at the end).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mlprobe.datasets import load_adult
from mlprobe.widgets.explorer import TABS

from .conftest import REQUIRE_ENV
from .lab import output_errors, overflow_problems, screenshot, wait_for, wait_for_text
from .notebook7 import Notebook7, notebook_version, open_notebook7, run_all_cells7, start_notebook7
from .test_explorer import (
    CHART_MARKS,
    CHART_POINTS,
    CHART_Y_LABELS,
    EXPLORER,
    METRIC,
    N_TRAIN,
    NEW_SLICE,
    NOTEBOOK,
    SCROLLERS,
    build_black_over_40,
    chart_point_labels,
    show_tab,
    slice_rows,
    wait_slice_row,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

#: a laptop screen
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def notebook7(
    _browser_stack: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Notebook7]:
    """A Notebook 7 server for this module, with its own HOME and Jupyter dirs; always stopped.

    Skipped (failed with ``MLPROBE_REQUIRE_BROWSER=1``) when ``notebook`` 7.x is not installed,
    as ``conftest._browser_stack`` does for the rest of the stack.
    """
    version = notebook_version()
    if version is None:
        problem = "the `notebook` package is not installed"
    elif int(version.split(".")[0]) < 7:
        problem = f"notebook {version} is installed, these tests need 7.x"
    else:
        problem = None
    if problem is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"Notebook 7 test cannot run ({REQUIRE_ENV}=1): {problem}", pytrace=False)
        pytest.skip(f"Notebook 7 test needs notebook>=7: {problem}")
    server = start_notebook7(tmp_path_factory.mktemp("notebook7"))
    try:
        yield server
    finally:
        server.stop()


def fresh_copy_of_the_notebook(server: Notebook7, name: str) -> str:
    """Write 03-explore.ipynb into the server's root as NAME with no outputs; return NAME.

    Its saved outputs would show ``[N]:`` prompts before anything ran (and a stale explorer),
    so every code cell is cleared and the saved widget state dropped.
    """
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return server.write_notebook(nb, name)


@pytest.fixture(scope="module")
def evaluation_rows() -> Any:
    """The rows the notebook's probe evaluates (Adult after the training rows)."""
    return load_adult().iloc[N_TRAIN:].reset_index(drop=True)


def test_explorer_in_notebook7(notebook7: Notebook7, page: Page, evaluation_rows: Any) -> None:
    """Run 03-explore.ipynb in Notebook 7 at 1366x768: the explorer renders, adding a slice
    built with its controls selects it everywhere, and no tab sticks out or cuts a label."""
    rows = evaluation_rows
    black = rows["race"] == "Black"
    n_black = int(black.sum())
    n_new = int((black & (rows["age"] >= 40)).sum())

    # 1. open the notebook in Notebook 7, Run > Run All Cells, wait for the explorer and chart
    page.set_viewport_size(VIEWPORT)
    name = fresh_copy_of_the_notebook(notebook7, "03-explore.ipynb")
    open_notebook7(page, notebook7, name)
    assert page.locator(".jp-FileBrowser").count() == 0  # Notebook 7's notebook view, not Lab
    run_all_cells7(page)
    explorer = wait_for(page, EXPLORER)
    wait_for(page, CHART_MARKS)
    assert page.locator(EXPLORER).count() == 1
    assert [r[:2] for r in slice_rows(page)] == [
        ("overall", False),
        ("sex == 'Female'", False),
        ("sex == 'Male'", False),
        ("older women", True),
    ]
    table_rows = explorer.locator(".mlprobe-breakdown-table tbody tr")
    assert table_rows.count() == 4  # overall + the notebook's three slices
    assert output_errors(page) == []
    static = page.locator(".mlprobe-static")
    assert static.count() == 1
    assert static.is_hidden()  # a kernel is behind the widget: its static copy is not shown

    # 2. build "race == 'Black' and age >= 40" with the controls, name it, add it
    build_black_over_40(page, explorer, n_black)

    n_points = page.locator(CHART_POINTS).count()
    assert n_points == 3  # one per slice; "overall" is the dashed rule
    explorer.locator(".mlprobe-add-slice").click()

    # 3. the new slice is selected in the list, the table and the chart
    wait_slice_row(page, NEW_SLICE, f"n={n_new:,} · {METRIC}", selected=True)
    assert [r[0] for r in slice_rows(page) if r[1]] == [NEW_SLICE]
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=[CHART_POINTS, n_points + 1],
        polling=50,
    )
    wait_for_text(page, f"{EXPLORER} .mlprobe-message .mlprobe-message-success", NEW_SLICE)
    new_row = table_rows.filter(has_text=NEW_SLICE)
    assert new_row.count() == 1
    assert f"{n_new:,}" in new_row.inner_text()
    assert "mlprobe-selected" in (new_row.get_attribute("class") or "")
    assert table_rows.count() == 5
    assert NEW_SLICE in page.locator(CHART_Y_LABELS).all_text_contents()
    mine = [label for label in chart_point_labels(page) if f"slice: {NEW_SLICE};" in label]
    assert len(mine) == 1 and f"n: {n_new:,};" in mine[0], chart_point_labels(page)
    assert output_errors(page) == []

    # 4. at 1366x768, on every tab, nothing sticks out of the output area or is cut
    page.wait_for_timeout(500)  # vega-embed may still be fading in after the redraw
    problems: list[str] = []
    for tab in TABS:
        show_tab(page, tab)
        page.wait_for_timeout(1000 if tab in ("Confusion", "Models") else 300)
        found = overflow_problems(page, EXPLORER, scrollers=SCROLLERS)
        problems += [f"{tab}: {problem}" for problem in found["problems"]]
    show_tab(page, "Breakdown")
    # Notebook 7 scrolls inside its notebook panel, not the page: bring the explorer into view
    explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.move(1, 1)
    page.wait_for_timeout(500)
    screenshot(page, "explorer-notebook7.png")
    assert not problems, problems
