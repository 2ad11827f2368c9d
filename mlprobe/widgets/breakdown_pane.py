"""The breakdown pane: the chosen metric per slice as a sortable table and a chart."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from mlprobe.errors import MlprobeError
from mlprobe.render.charts import SLICE_SELECTION, breakdown_spec
from mlprobe.render.disparity import disparity_sentence
from mlprobe.render.tables import SORT_ORDERS, breakdown_html, slice_order
from mlprobe.widgets.charts import ChartView
from mlprobe.widgets.state import ExplorerState, context_html, shown_errors, user_action

__all__ = ["BreakdownPane", "picker_layout"]

#: the table scrolls inside the pane past this height (the chart stays in view)
TABLE_HEIGHT = "300px"
DISPARITY_STYLE = (
    "font-size:12px;font-family:sans-serif;margin:4px 0;color:#333;white-space:normal;"
    "overflow-wrap:anywhere;line-height:1.35;"
)

SORT_LABELS = {
    "worst": "worst first",
    "best": "best first",
    "largest": "most rows",
    "smallest": "fewest rows",
    "gap": "largest gap below the rest",
    "impact": "fix first (impact on all rows)",
    "name": "name",
    "as given": "list order",
}


def picker_layout(basis: str = "200px") -> w.Layout:
    """A dropdown that shares a wrapping row: grows, shrinks, never wider than its pane."""
    return w.Layout(width="auto", flex=f"1 1 {basis}", min_width="0", max_width="320px")


#: a description as wide as its text ("min_support" is not cut to "min_supp…")
COMPACT = {"description_width": "initial"}


def _state(pane: BreakdownPane) -> ExplorerState:
    return pane.state


class BreakdownPane:
    """Metric picker, sort order, table and chart of ``state.breakdown``."""

    def __init__(self, state: ExplorerState) -> None:
        self.state = state
        self.metric = w.Dropdown(
            options=state.probe.available_metrics(),
            value=state.metric,
            description="metric",
            style=COMPACT,
            layout=picker_layout(),
        )
        self.metric.add_class("mlprobe-metric")
        self.sort = w.Dropdown(
            options=[(SORT_LABELS[key], key) for key in SORT_ORDERS],
            value="worst",
            description="sort",
            style=COMPACT,
            layout=picker_layout(),
        )
        self.sort.add_class("mlprobe-sort")
        self.context = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="auto", min_width="0"))
        self.table.add_class("mlprobe-breakdown-table")
        self.disparity = w.HTML()
        self.disparity.add_class("mlprobe-disparity")
        self.chart = ChartView(
            selection=SLICE_SELECTION, on_click=self._clicked, css_class="mlprobe-breakdown-chart"
        )
        self.widget = w.VBox(
            [
                w.HBox(
                    [self.metric, self.sort],
                    layout=w.Layout(flex_flow="row wrap", overflow="visible"),
                ),
                self.context,
                self.table,
                self.disparity,
                self.chart.widget,
            ],
        )
        self.metric.observe(self._metric_picked, names="value")
        self.sort.observe(self._sort_picked, names="value")
        state.observe(self._metric_changed, names="metric")
        # the table's gap and q and the order are those of the state's model
        state.observe(self._redraw, names=["breakdown", "model"])
        state.observe(self._redraw_disparity, names=["by", "bins"])
        state.observe(self._redraw_table, names="selected")
        self._show_context()

    def _show_context(self) -> None:
        state = self.state
        several = len(state.probe.models) > 1
        note = "gap, q and order are this model's" if several else ""
        self.context.value = context_html(state.model, state.metric, note=note)

    @user_action(_state)
    def _metric_picked(self, change: dict[str, Any]) -> None:
        self.state.metric = change["new"]

    def _metric_changed(self, change: dict[str, Any]) -> None:
        self.metric.value = change["new"]

    def order(self) -> list[str]:
        """Slice names in the table's (and the chart's) order, by the state's model."""
        table = self.state.breakdown
        if table is None:
            return []
        return slice_order(table, self.state.metric, self.sort.value, model=self.state.model)

    @user_action(_state)
    def _sort_picked(self, _: Any = None) -> None:
        self._redraw()

    @shown_errors(_state)
    def _redraw(self, _: Any = None) -> None:
        self._show_context()
        self._redraw_table()
        self._redraw_disparity()
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
            table,
            self.state.metric,
            order=self.order(),
            model=self.state.model,
            per_slice=True,
            selected=self.state.selected,
            max_height=TABLE_HEIGHT,
        )

    @shown_errors(_state)
    def _redraw_disparity(self, _: Any = None) -> None:
        """Under the table: the largest gap in the metric between the groups last added."""
        state = self.state
        if not state.by:
            self.disparity.value = ""
            return
        columns = " × ".join(state.by)
        try:
            table = state.probe.disparity(
                list(state.by),
                state.metric,
                bins=state.bins,
                model=state.model,
                confidence=state.confidence,
                min_support=state.min_support,
            )
        except MlprobeError as error:  # e.g. a column the probe lost, a metric without groups
            text = f"No disparity between the groups of {columns}: {error}"
        else:
            record = table.iloc[0].to_dict()
            text = disparity_sentence(record, confidence=state.confidence)
            text = f"Between the groups of {columns}: {text}"
        self.disparity.value = f'<div style="{DISPARITY_STYLE}">{escape(text)}</div>'

    @user_action(_state)
    def _clicked(self, points: list[dict[str, Any]]) -> None:
        if points and "slice" in points[0]:
            self.state.selected = str(points[0]["slice"])
