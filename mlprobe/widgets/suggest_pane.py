"""Suggest: run slice discovery on demand, then add a suggestion to the list or save it as a test."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from mlprobe.core.slices import Slice
from mlprobe.widgets.state import ExplorerState, shown_errors

__all__ = ["SuggestPane"]


def _state(pane: SuggestPane) -> ExplorerState:
    return pane.state


class SuggestPane:
    """``probe.find_slices`` behind a button, with a progress bar; one row per suggestion."""

    def __init__(self, state: ExplorerState, *, on_save: Any = None) -> None:
        self.state = state
        self._on_save = on_save
        self.max_conditions = w.BoundedIntText(value=2, min=1, max=4, description="conditions")
        self.top_k = w.Dropdown(options=[5, 10, 20], value=10, description="suggestions")
        self.run = w.Button(description="Suggest slices", icon="search", button_style="info")
        self.run.add_class("mlprobe-suggest")
        self.bar = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(visibility="hidden"))
        self.summary = w.HTML()
        self.rows = w.VBox()
        self.rows.add_class("mlprobe-suggestions")
        self.found: pd.DataFrame | None = None
        self.widget = w.VBox(
            [
                w.HTML(
                    "<i>Search every combination of columns for the slices where the model errs "
                    "most (SliceLine's score; q-values over every slice tried).</i>"
                ),
                w.HBox([self.max_conditions, self.top_k, self.run]),
                self.bar,
                self.summary,
                self.rows,
            ]
        )
        self.run.on_click(self.suggest)

    @shown_errors(_state)
    def suggest(self, _: Any = None) -> pd.DataFrame:
        """Run the search for the state's model; show the suggestions."""
        self.run.disabled = True
        self.bar.layout.visibility = "visible"
        self.summary.value = "<i>searching…</i>"
        try:
            found = self.state.probe.find_slices(
                model=self.state.model,
                max_conditions=int(self.max_conditions.value),
                top_k=int(self.top_k.value),
                progress=self._progress,
            )
        finally:
            self.run.disabled = False
            self.bar.layout.visibility = "hidden"
        self.found = found
        self._show(found)
        return found

    def _progress(self, done: int, total: int) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = done

    def _show(self, found: pd.DataFrame) -> None:
        metric = html.escape(str(found.attrs.get("metric", "error")))
        if found.empty:
            self.summary.value = "<i>No slice stands out: nothing scores above zero.</i>"
            self.rows.children = []
            return
        overall = float(found["overall"].iloc[0])
        self.summary.value = (
            f"{len(found)} suggestions; overall {metric} {overall:.3f}; "
            f"{found.attrs.get('evaluated', 0):,} slices evaluated"
        )
        rows = []
        for record in found.to_dict("records"):
            chosen: Slice = record["slice"]
            text = w.HTML(
                f"<b>{html.escape(chosen.name)}</b><br>{metric} {record['value']:.3f} "
                f"[{record['ci_low']:.3f}, {record['ci_high']:.3f}] on {record['n']:,} rows · "
                f"gap {record['gap']:+.3f} · q {record['q_value']:.2g}",
                layout=w.Layout(width="70%"),
            )
            add = w.Button(description="Add", icon="plus", layout=w.Layout(width="70px"))
            add.add_class("mlprobe-suggestion-add")
            save = w.Button(description="Save as test", icon="save", layout=w.Layout(width="120px"))
            save.add_class("mlprobe-suggestion-save")
            add.on_click(lambda _, s=chosen: self.add(s))
            save.on_click(lambda _, s=chosen: self.save(s))
            row = w.HBox([text, add, save])
            row.add_class("mlprobe-suggestion")
            rows.append(row)
        self.rows.children = rows

    @shown_errors(_state)
    def add(self, chosen: Slice) -> None:
        """Put a suggestion in the slice list (and select it)."""
        if self.state.add_slices([chosen]):
            self.state.tell(f"added slice {chosen.name!r}", "success")
        else:
            self.state.selected = chosen.name

    @shown_errors(_state)
    def save(self, chosen: Slice) -> None:
        """Add and select a suggestion, then open the save form for it."""
        self.add(chosen)
        self.state.selected = chosen.name
        if self._on_save is not None:
            self._on_save()
