"""The rows pane: a sample of the selected slice's rows, the model's errors first."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from mlprobe.render.tables import frame_html
from mlprobe.widgets.breakdown_pane import COMPACT, picker_layout
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.state import (
    ExplorerState,
    selected_slice_context,
    shown_errors,
    user_action,
)

__all__ = ["RowsPane"]


def _state(pane: RowsPane) -> ExplorerState:
    return pane.state


class RowsPane(LazyPane):
    """Up to ``count`` rows with target, prediction and score (or error) in front."""

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.count = w.Dropdown(
            options=[10, 25, 50, 100],
            value=10,
            description="rows",
            style=COMPACT,
            layout=picker_layout("120px"),
        )
        self.errors_first = w.Checkbox(
            value=True,
            description="errors first",
            indent=False,
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.context = w.HTML()
        self.caption = w.HTML()
        self.table = w.HTML()
        self.table.add_class("mlprobe-rows-table")
        # the data's columns may be many: the sample scrolls inside the pane, both ways
        scroll = w.Box([self.table], layout=w.Layout(overflow="auto", max_height="420px"))
        scroll.add_class("mlprobe-rows-scroll")
        self.widget = w.VBox(
            [
                self.context,
                w.HBox(
                    [self.count, self.errors_first],
                    layout=w.Layout(flex_flow="row wrap", overflow="visible"),
                ),
                self.caption,
                scroll,
            ]
        )
        self.count.observe(self._option_picked, names="value")
        self.errors_first.observe(self._option_picked, names="value")
        state.observe(self.invalidate, names=["selected", "model", "slices"])
        state.observe(self._show_context, names=["selected", "model", "slices"])
        self._show_context()

    def _show_context(self, _: Any = None) -> None:
        """Name the model (and slice) now, also while the tab is hidden: never a stale label."""
        self.context.value = selected_slice_context(self.state)

    @user_action(_state)
    def _option_picked(self, _: Any = None) -> None:
        self.invalidate()

    @shown_errors(_state)
    def draw(self) -> None:
        chosen = self.state.selected_slice()
        rows = self.state.probe.rows(
            chosen, model=self.state.model, n=self.count.value, errors_first=self.errors_first.value
        )
        name = "all rows" if chosen is None else f"slice {chosen.name!r}"
        order = "errors first" if self.errors_first.value else "a random sample"
        self.caption.value = (
            f"<i>{len(rows)} rows of {_escape(name)} with {_escape(self.state.model)}'s "
            f"predictions, {order}</i>"
        )
        self.table.value = frame_html(rows)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
