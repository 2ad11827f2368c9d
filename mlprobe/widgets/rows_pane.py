"""The rows pane: a sample of the selected slice's rows, the model's errors first."""

from __future__ import annotations

import ipywidgets as w

from mlprobe.render.tables import frame_html
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.state import ExplorerState, shown_errors

__all__ = ["RowsPane"]


def _state(pane: RowsPane) -> ExplorerState:
    return pane.state


class RowsPane(LazyPane):
    """Up to ``count`` rows with target, prediction and score (or error) in front."""

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.count = w.Dropdown(options=[10, 25, 50, 100], value=10, description="rows")
        self.errors_first = w.Checkbox(value=True, description="errors first", indent=False)
        self.caption = w.HTML()
        self.table = w.HTML()
        self.table.add_class("mlprobe-rows-table")
        self.widget = w.VBox(
            [
                w.HBox([self.count, self.errors_first]),
                self.caption,
                w.Box([self.table], layout=w.Layout(overflow="auto", max_height="420px")),
            ]
        )
        self.count.observe(self.invalidate, names="value")
        self.errors_first.observe(self.invalidate, names="value")
        state.observe(self.invalidate, names=["selected", "model", "slices"])

    @shown_errors(_state)
    def draw(self) -> None:
        chosen = self.state.selected_slice()
        rows = self.state.probe.rows(
            chosen, model=self.state.model, n=self.count.value, errors_first=self.errors_first.value
        )
        name = "all rows" if chosen is None else f"slice {chosen.name!r}"
        order = "errors first" if self.errors_first.value else "a random sample"
        self.caption.value = f"<i>{len(rows)} rows of {_escape(name)}, {order}</i>"
        self.table.value = frame_html(rows)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
