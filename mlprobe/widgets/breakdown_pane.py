"""The breakdown pane: the chosen metric per slice as a sortable table and a chart."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from mlprobe.render.charts import SLICE_SELECTION, breakdown_spec
from mlprobe.render.tables import SORT_ORDERS, bare, breakdown_html, sort_breakdown
from mlprobe.widgets.charts import ChartView
from mlprobe.widgets.state import ExplorerState, shown_errors

__all__ = ["BreakdownPane"]

SORT_LABELS = {
    "worst": "worst first",
    "best": "best first",
    "largest": "most rows",
    "smallest": "fewest rows",
    "gap": "largest gap below the rest",
    "name": "name",
    "as given": "list order",
}


def _state(pane: BreakdownPane) -> ExplorerState:
    return pane.state


class BreakdownPane:
    """Metric picker, sort order, table and chart of ``state.breakdown``."""

    def __init__(self, state: ExplorerState) -> None:
        self.state = state
        self.metric = w.Dropdown(
            options=state.probe.available_metrics(), value=state.metric, description="metric"
        )
        self.metric.add_class("mlprobe-metric")
        self.sort = w.Dropdown(
            options=[(SORT_LABELS[key], key) for key in SORT_ORDERS],
            value="worst",
            description="sort",
        )
        self.sort.add_class("mlprobe-sort")
        self.table = w.HTML()
        self.table.add_class("mlprobe-breakdown-table")
        self.chart = ChartView(
            selection=SLICE_SELECTION, on_click=self._clicked, css_class="mlprobe-breakdown-chart"
        )
        self.widget = w.VBox(
            [w.HBox([self.metric, self.sort]), self.table, self.chart.widget],
        )
        self.metric.observe(self._metric_picked, names="value")
        self.sort.observe(self._redraw, names="value")
        state.observe(self._metric_changed, names="metric")
        state.observe(self._redraw, names="breakdown")
        state.observe(self._redraw_table, names="selected")

    def _metric_picked(self, change: dict[str, Any]) -> None:
        self.state.metric = change["new"]

    def _metric_changed(self, change: dict[str, Any]) -> None:
        self.metric.value = change["new"]

    def order(self) -> list[str]:
        """Slice names in the table's order."""
        table = self.state.breakdown
        if table is None:
            return []
        ordered = bare(sort_breakdown(table, self.state.metric, self.sort.value))
        return list(dict.fromkeys(ordered["slice"].astype(str)))

    @shown_errors(_state)
    def _redraw(self, _: Any = None) -> None:
        self._redraw_table()
        table = self.state.breakdown
        if table is None or len(table) == 0:
            return
        self.chart.show(
            breakdown_spec(
                table,
                self.state.metric,
                order=self.order(),
                selectable=True,
                width=320,
                label_limit=200,
            )
        )

    @shown_errors(_state)
    def _redraw_table(self, _: Any = None) -> None:
        table = self.state.breakdown
        if table is None:
            self.table.value = ""
            return
        self.table.value = breakdown_html(
            table, self.state.metric, sort=self.sort.value, selected=self.state.selected
        )

    def _clicked(self, points: list[dict[str, Any]]) -> None:
        if points and "slice" in points[0]:
            self.state.selected = str(points[0]["slice"])
