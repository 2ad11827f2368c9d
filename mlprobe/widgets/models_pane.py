"""The models pane: per-slice change between two models, and the flips of the selected slice."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from mlprobe.render.charts import compare_spec
from mlprobe.render.tables import compare_html, frame_html
from mlprobe.widgets.breakdown_pane import COMPACT, picker_layout
from mlprobe.widgets.charts import ChartView
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.state import ExplorerState, shown_errors, user_action

__all__ = ["ModelsPane"]


def _state(pane: ModelsPane) -> ExplorerState:
    return pane.state


class ModelsPane(LazyPane):
    """Model ``a`` against model ``b`` on every slice of the list."""

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        models = state.probe.models
        self.a = w.Dropdown(
            options=models,
            value=models[0],
            description="from",
            style=COMPACT,
            layout=picker_layout("150px"),
        )
        self.b = w.Dropdown(
            options=models,
            value=models[-1],
            description="to",
            style=COMPACT,
            layout=picker_layout("150px"),
        )
        self.a.add_class("mlprobe-model-a")
        self.b.add_class("mlprobe-model-b")
        self.context = w.HTML()
        self.table = w.HTML()
        self.table.add_class("mlprobe-compare-table")
        self.chart = ChartView(css_class="mlprobe-compare-chart")
        self.flips = w.HTML()
        self.flips.add_class("mlprobe-flips")
        if len(models) < 2:
            self.widget = w.VBox(
                [
                    w.HTML(
                        "<i>One model. To compare versions, build the probe with several: "
                        "<code>Probe(data, target=..., model={'v1': m1, 'v2': m2})</code>.</i>"
                    )
                ]
            )
        else:
            self.widget = w.VBox(
                [
                    w.HBox(
                        [self.a, self.b], layout=w.Layout(flex_flow="row wrap", overflow="visible")
                    ),
                    self.context,
                    self.table,
                    self.chart.widget,
                    self.flips,
                ]
            )
        self.widget.add_class("mlprobe-models")
        self.a.observe(self._model_picked, names="value")
        self.b.observe(self._model_picked, names="value")
        state.observe(self._show_context, names="metric")
        self._show_context()
        state.observe(
            self.invalidate, names=["slices", "selected", "metric", "confidence", "min_support"]
        )

    def _show_context(self, _: Any = None) -> None:
        self.context.value = (
            '<div class="mlprobe-context" style="font-size:12px;color:#555">'
            f"models <b>{html.escape(str(self.a.value))}</b> → "
            f"<b>{html.escape(str(self.b.value))}</b> · metric "
            f"<b>{html.escape(self.state.metric)}</b></div>"
        )

    @user_action(_state)
    def _model_picked(self, _: Any = None) -> None:
        self._show_context()
        self.invalidate()

    @shown_errors(_state)
    def draw(self) -> None:
        probe = self.state.probe
        if len(probe.models) < 2:
            return
        if self.a.value == self.b.value:
            self.table.value = "<i>Pick two different models.</i>"
            return
        comparison = probe.compare(
            self.a.value,
            self.b.value,
            slices=self.state.slices,
            metric=self.state.metric,
            confidence=self.state.confidence,
            min_support=self.state.min_support,
        )
        self.table.value = compare_html(comparison, selected=self.state.selected)
        self.chart.show(compare_spec(comparison, width=320))
        if probe.task == "regression":
            self.flips.value = ""
            return
        chosen = self.state.selected_slice()
        flips = probe.flips(self.a.value, self.b.value, slice=chosen)
        title = f"flips in {'all rows' if chosen is None else chosen.name}"
        self.flips.value = frame_html(flips, caption=title)
