"""The confusion pane: the selected slice's confusion matrix beside the overall one.

Clicking a cell adds a slice of exactly those rows: the selected slice's rows
whose target and prediction are the cell's classes.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from mlprobe.core.slicing.predicates import PREDICTION, TARGET, Predicate, col, prediction_column
from mlprobe.core.slicing.slices import Slice
from mlprobe.render.charts import CELL_SELECTION, confusion_spec
from mlprobe.widgets.charts import ChartView
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.state import (
    ExplorerState,
    selected_slice_context,
    shown_errors,
    user_action,
)

__all__ = ["ConfusionPane"]

#: the toggle's options: label -> ``normalize`` of :meth:`Probe.confusion` ("counts" is None)
NORMALIZE = [("counts", "counts"), ("share of true class", "true"), ("share of predicted", "pred")]


def _state(pane: ConfusionPane) -> ExplorerState:
    return pane.state


class ConfusionPane(LazyPane):
    """Two heatmaps (selected slice, all rows) whose cells add slices when clicked."""

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.normalize = w.ToggleButtons(
            options=NORMALIZE,
            value="counts",
            style={"button_width": "auto"},
            layout=w.Layout(width="auto", min_width="0"),
        )
        self.context = w.HTML()
        self.normalize.add_class("mlprobe-normalize")
        self.selected_chart = ChartView(
            selection=CELL_SELECTION,
            on_click=lambda points: self.cell_clicked(points, within_selected=True),
            css_class="mlprobe-confusion-selected",
        )
        self.overall_chart = ChartView(
            selection=CELL_SELECTION,
            on_click=lambda points: self.cell_clicked(points, within_selected=False),
            css_class="mlprobe-confusion-overall",
        )
        self.note = w.HTML()
        classification = state.probe.task != "regression"
        if classification:
            self.note.value = "<i>Click a cell to add its rows as a slice.</i>"
            # side by side when they fit, one under the other in a narrow pane
            charts = w.HBox(
                [self.selected_chart.widget, self.overall_chart.widget],
                layout=w.Layout(flex_flow="row wrap", overflow="visible"),
            )
            self.widget = w.VBox([self.context, self.normalize, charts, self.note])
        else:
            self.note.value = "<i>Confusion matrices are for classification; see the rows tab.</i>"
            self.widget = w.VBox([self.note])
        self.widget.add_class("mlprobe-confusion")
        self.normalize.observe(self._normalize_picked, names="value")
        state.observe(self.invalidate, names=["selected", "model", "slices"])
        state.observe(self._show_context, names=["selected", "model", "slices"])
        self._show_context()

    def _show_context(self, _: Any = None) -> None:
        """Name the model (and slice) now, also while the tab is hidden: never a stale label."""
        self.context.value = selected_slice_context(self.state)

    @user_action(_state)
    def _normalize_picked(self, _: Any = None) -> None:
        self.invalidate()

    @shown_errors(_state)
    def draw(self) -> None:
        probe = self.state.probe
        if probe.task == "regression":
            return
        chosen = self.state.selected_slice()
        normalize = None if self.normalize.value == "counts" else self.normalize.value
        model = self.state.model
        title = "overall" if chosen is None else chosen.name
        selected = probe.confusion(chosen, model=model, normalize=normalize)
        self.selected_chart.show(confusion_spec(selected, title=title, selectable=True))
        overall = probe.confusion(None, model=model, normalize=normalize)
        self.overall_chart.show(confusion_spec(overall, title="overall", selectable=True))

    @user_action(_state)
    def cell_clicked(self, points: list[dict[str, Any]], *, within_selected: bool) -> None:
        """Add the slice of a clicked cell (``points`` as the chart reports them)."""
        if not points:
            return
        true, predicted = self._class(points[0]["true"]), self._class(points[0]["predicted"])
        predicate = self.cell_predicate(true, predicted)
        chosen = self.state.selected_slice() if within_selected else None
        if chosen is not None:
            name = f"{chosen.name}: true {true}, predicted {predicted}"
            cell = Slice(name, chosen.predicate & predicate)
        else:
            cell = Slice(f"true {true}, predicted {predicted}", predicate)
        if self.state.add_slices([cell]):
            self.state.tell(
                f"added slice {cell.name!r}: defined by {self.state.model}'s predictions, so its "
                "gap is not tested for that model",
                "success",
            )

    def cell_predicate(self, true: Any, predicted: Any) -> Predicate:
        """Rows whose target is ``true`` and whose prediction (of the state's model) is ``predicted``."""
        several = len(self.state.probe.models) > 1
        prediction = prediction_column(self.state.model) if several else PREDICTION
        return (col(TARGET) == true) & (col(prediction) == predicted)

    def _class(self, label: Any) -> Any:
        """The class whose label the chart shows as ``label``."""
        for value in self.state.probe.classes:
            if str(value) == str(label):
                return value
        return label
