"""notebooks/03-explore.ipynb executed and exported to HTML, read offline: the explorer's static copy.

Without a kernel or network the widget cannot render; the static copy the explorer writes below
itself (table and SVG charts) must show the last state: "overall" and the "older women" slice the
notebook adds from code.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from .lab import isolated_env, screenshot
from .offline_html import execute_notebook, export_html, render_offline

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "03-explore.ipynb"
CELL_TIMEOUT_S = 300  # training on Adult takes 15-25 s on a loaded 2-core box


def test_explorer_static_copy_in_offline_html(page: Page, tmp_path: Path) -> None:
    workdir = tmp_path / "notebooks"  # the kernel's cwd: nothing is written into the repo
    workdir.mkdir()
    shutil.copyfile(NOTEBOOK, workdir / NOTEBOOK.name)
    nb = nbformat.read(workdir / NOTEBOOK.name, as_version=4)
    env = isolated_env(tmp_path / "kernel-env")  # OMP_NUM_THREADS=1 too
    execute_notebook(nb, workdir, timeout=CELL_TIMEOUT_S, env=env)
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})

    html = export_html(nb, tmp_path / "03-explore.html")
    render_offline(page, html)

    static = page.locator(".mlprobe-static")
    assert static.count() == 1
    static.wait_for(state="visible")
    names = [
        text.strip() for text in static.locator("table tbody tr td:first-child").all_inner_texts()
    ]
    assert names[0] == "overall", names
    assert "older women" in names, names
    selected = static.locator("table tbody tr.mlprobe-selected")
    assert selected.count() == 1 and "older women" in selected.inner_text()

    images = static.locator("img")
    assert images.count() == 2  # the breakdown chart and the selected slice's confusion
    for i in range(2):
        img = images.nth(i)
        img.wait_for(state="visible")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
        box = img.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 50, box
    # the live widget is absent offline: only the static copy shows the explorer
    assert page.locator(".mlprobe-explorer").count() == 0
    screenshot(page, "explorer_offline_html.png")
