"""The HTML report opened from disk in Chromium with the network cut off: every chart shows.

The report must need nothing off the machine: no request leaves the page, and
every chart (an SVG ``data:`` image) decodes to a picture with a size.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp

from .lab import screenshot
from .offline_html import render_offline

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_report_renders_offline_with_every_chart(page: Page, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 800
    group = rng.choice(["a", "b", "<script>alert(1)</script>"], n, p=[0.5, 0.4, 0.1])
    y = rng.integers(0, 2, n)
    v1 = np.where(rng.random(n) < np.where(group == "b", 0.6, 0.9), y, 1 - y)
    v2 = np.where(rng.random(n) < 0.85, y, 1 - y)
    frame = pd.DataFrame({"g": group, "y": y, "v1": v1, "v2": v2})
    probe = mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})
    path = probe.report(tmp_path / "report.html", by="g")

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    blocked: list[str] = []
    render_offline(page, path, blocked=blocked)
    assert blocked == []  # nothing asked of the network

    images = page.locator("img")
    count = images.count()
    assert count >= 5  # the breakdown, two confusions, the worst slice's, the comparison
    page.wait_for_function(
        "() => Array.from(document.images).every(img => img.complete)", timeout=10_000
    )
    sizes = page.evaluate(
        "() => Array.from(document.images).map(img => [img.naturalWidth, img.naturalHeight])"
    )
    assert len(sizes) == count
    assert all(width > 0 and height > 0 for width, height in sizes), sizes
    # the slice named like a script is text on the page, never run
    assert dialogs == []
    assert page.get_by_text("<script>alert(1)</script>").count() > 0
    assert page.locator("h1").inner_text() == "mlprobe report: y"
    screenshot(page, "report_offline.png")
