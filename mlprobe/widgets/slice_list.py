"""The slice list: each slice with its name (editable), n and main metric; select or remove it."""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from mlprobe.render.tables import HELP, bare, format_number
from mlprobe.widgets.state import ExplorerState, user_action

__all__ = ["SliceList"]

OVERALL = "overall"


def _state(view: SliceList) -> ExplorerState:
    return view.state


class _Row:
    """One line of the list: select button, name box, numbers, remove button."""

    def __init__(self, owner: SliceList, name: str, removable: bool) -> None:
        self.name = name
        narrow = {"width": "34px", "min_width": "34px", "padding": "0px", "flex": "0 0 34px"}
        self.select = w.Button(
            icon="circle-o", tooltip="select this slice", layout=w.Layout(**narrow)
        )
        self.select.add_class("mlprobe-select-slice")
        self.label = w.Text(
            value=name,
            continuous_update=False,
            tooltip=name,
            layout=w.Layout(flex="1 1 150px", width="auto", min_width="0"),
        )
        self.label.add_class("mlprobe-slice-label")
        self.label.disabled = not removable
        self.stats = w.HTML(layout=w.Layout(flex="0 1 auto", width="auto", min_width="0"))
        self.stats.add_class("mlprobe-slice-stats")
        self.remove = w.Button(icon="trash", tooltip="remove this slice", layout=w.Layout(**narrow))
        self.remove.add_class("mlprobe-remove-slice")
        self.remove.disabled = not removable
        # name and numbers share a line when there is room; on a narrow column the numbers
        # go under the name, which keeps the column's width (never ~8 characters of it)
        middle = w.HBox(
            [self.label, self.stats],
            layout=w.Layout(
                flex="1 1 0", min_width="0", flex_flow="row wrap", align_items="center"
            ),
        )
        self.box = w.HBox(
            [self.select, middle, self.remove],
            layout=w.Layout(width="auto", align_items="center", overflow="visible"),
        )
        self.box.add_class("mlprobe-slice-row")
        self.select.on_click(lambda _: owner.select(self.name))
        self.remove.on_click(lambda _: owner.remove(self.name))
        self.label.observe(lambda change: owner.rename(self.name, change["new"]), names="value")

    def mark(self, selected: bool) -> None:
        self.select.icon = "dot-circle-o" if selected else "circle-o"
        if selected:
            self.box.add_class("mlprobe-selected")
        else:
            self.box.remove_class("mlprobe-selected")


class SliceList:
    """The slices of the state, "overall" first, with n and the chosen metric of each."""

    def __init__(self, state: ExplorerState) -> None:
        self.state = state
        self.rows: dict[str, _Row] = {}
        self.header = w.HTML()
        self.body = w.VBox()
        self.body.add_class("mlprobe-slice-list")
        self.body.layout.overflow = "visible"
        self.widget = w.VBox([self.header, self.body], layout=w.Layout(overflow="visible"))
        state.observe(self._rebuild, names="slices")
        state.observe(self._mark_selected, names="selected")
        # the numbers are the state's model's: a model switch redraws them at once
        state.observe(self._show_numbers, names=["breakdown", "model"])
        self._rebuild()

    def _rebuild(self, _: Any = None) -> None:
        names = [OVERALL, *(s.name for s in self.state.slices)]
        self.rows = {
            name: self.rows.get(name) or _Row(self, name, name != OVERALL) for name in names
        }
        self.body.children = [row.box for row in self.rows.values()]
        self.header.value = f"<b>Slices</b> ({len(names) - 1})"
        self._mark_selected()
        self._show_numbers()

    def _mark_selected(self, _: Any = None) -> None:
        for name, row in self.rows.items():
            row.mark(name == self.state.selected)

    def _show_numbers(self, _: Any = None) -> None:
        table = self.state.breakdown
        if table is None:
            return
        model = self.state.model
        metric = self.state.metric
        table = bare(table)
        mine = table[table["model"] == model] if model in set(table["model"]) else table
        by_name = {str(r["slice"]): r for r in mine.to_dict("records")}
        for name, row in self.rows.items():
            record = by_name.get(name)
            row.stats.value = "" if record is None else _stats_html(record, metric, model)

    @user_action(_state)
    def select(self, name: str) -> None:
        """Make ``name`` the selected slice."""
        self.state.selected = name

    @user_action(_state)
    def remove(self, name: str) -> None:
        """Drop slice ``name`` from the list."""
        self.state.remove_slice(name)
        self.state.tell(f"removed slice {name!r}")

    @user_action(_state)
    def rename(self, old: str, new: str) -> None:
        """Rename slice ``old``; a bad name puts the old one back and says why."""
        new = new.strip()
        row = self.rows.get(old)
        if new == old or row is None:
            return
        self._rekey(row, old, new)  # so that the rebuild keeps this row
        try:
            self.state.rename_slice(old, new)
        except Exception:
            self._rekey(row, new, old)
            row.label.value = old
            raise

    def _rekey(self, row: _Row, old: str, new: str) -> None:
        row.name = new
        self.rows = {(new if v is row else k): v for k, v in self.rows.items()}


def _stats_html(record: Mapping[Hashable, Any], metric: str, model: str) -> str:
    value = record.get(metric, float("nan"))
    shown = format_number(value)
    # each part stays on one line; the parts wrap only when the column is too narrow for them
    style = "font-size:12px;line-height:1.3;" + ("color:#999;" if record.get("low_support") else "")
    flag = " · few rows" if record.get("low_support") else ""
    n = int(record["n"]) if not pd.isna(record["n"]) else 0
    own = ""
    if record.get("own_predictions"):
        why = html.escape(HELP["by construction"].format(model=model))
        own = (
            f' · <span class="mlprobe-by-construction" title="{why}" '
            'style="color:#b15c00;white-space:nowrap">'
            f"⚑ by {html.escape(model)}'s predictions</span>"
        )
    parts = [f"n={n:,}", f"{html.escape(metric)} {shown}", *([flag[3:]] if flag else [])]
    text = " · ".join(f'<span style="white-space:nowrap">{part}</span>' for part in parts)
    return f'<span style="{style}">{text}{own}</span>'
