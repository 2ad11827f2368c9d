"""The explorer: slice builder and slice list on the left, tabs of views on the right.

``Probe.explore()`` returns an :class:`Explorer`, a standard ipywidgets
``VBox``. Displayed in a notebook it also writes a static copy of its state
(HTML table and SVG charts) as a separate output, kept up to date, so that a
saved notebook shows the last state where widgets cannot run (GitHub,
nbviewer, an HTML export read offline). Where the widget runs, it hides that
copy.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from mlprobe.core.metrics import default_metrics
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError
from mlprobe.render.charts import breakdown_spec, confusion_spec
from mlprobe.render.static import chart_svg, static_copy_style, svg_img
from mlprobe.render.tables import breakdown_html
from mlprobe.widgets.breakdown_pane import BreakdownPane
from mlprobe.widgets.builder import SliceBuilder
from mlprobe.widgets.confusion_pane import ConfusionPane
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.models_pane import ModelsPane
from mlprobe.widgets.rows_pane import RowsPane
from mlprobe.widgets.save_pane import SavePane
from mlprobe.widgets.slice_list import SliceList
from mlprobe.widgets.state import (
    MESSAGE_HEIGHT,
    ExplorerState,
    message_html,
    shown_errors,
    user_action,
)
from mlprobe.widgets.suggest_pane import SuggestPane
from mlprobe.widgets.tests_pane import TestsPane

if TYPE_CHECKING:
    from mlprobe.core.evaluator import ExplorableProbe as Probe

__all__ = ["Explorer"]

#: seconds to wait after the last interaction before redrawing the static copy
STATIC_DELAY = 0.6
STATIC_CLASS = "mlprobe-static"
#: inside the explorer's view: hides the static copy beside a live explorer; an explorer restored
#: from saved widget state with no kernel (class jupyter-widgets-disconnected) hides itself instead
HIDE_STATIC = static_copy_style("mlprobe-explorer", STATIC_CLASS)
#: what Layout cannot say: tab labels never cut, compact tables, nothing 2 px too wide
EXPLORER_CSS = """<style>
.mlprobe-explorer { min-width: 0; }
.mlprobe-explorer .widget-box { min-width: 0; }
.mlprobe-explorer .mlprobe-right { container: mlprobe-views / inline-size; }
.mlprobe-explorer .mlprobe-tabs > .lm-TabBar > .lm-TabBar-content { flex-wrap: wrap; }
.mlprobe-explorer .mlprobe-tabs > .lm-TabBar .lm-TabBar-tab {
    flex: 0 0 auto; min-width: 0; padding: 0 10px;
}
.mlprobe-explorer .mlprobe-tabs > .lm-TabBar .lm-TabBar-tabLabel { overflow: visible; }
.mlprobe-explorer .mlprobe-tabs > .widget-tab-contents { padding: 8px 10px; }
.mlprobe-explorer .mlprobe-table-scroll,
.mlprobe-explorer .mlprobe-compare-table { overflow-x: auto; max-width: 100%; }
/* an HTML widget's content is a flex item: without this it grows to a wide table's width
   and the table's own scroll box never scrolls */
.mlprobe-explorer .widget-html-content { min-width: 0; max-width: 100%; }
.mlprobe-explorer .mlprobe-table { line-height: 1.3; }
.mlprobe-explorer .mlprobe-table th, .mlprobe-explorer .mlprobe-table td {
    padding: 3px 5px !important;
}
.mlprobe-explorer .mlprobe-table th {
    white-space: normal !important; vertical-align: bottom; line-height: 1.25;
}
.mlprobe-explorer .mlprobe-table td:first-child { max-width: 16em !important; }
/* a laptop with the file browser open: the pane of views is ~550 px */
@container mlprobe-views (max-width: 640px) {
    .mlprobe-explorer .mlprobe-table { font-size: 11px !important; }
    .mlprobe-explorer .mlprobe-tabs > .widget-tab-contents { padding: 6px; }
    .mlprobe-explorer .mlprobe-table th, .mlprobe-explorer .mlprobe-table td {
        padding: 2px 4px !important;
    }
    .mlprobe-explorer .mlprobe-table td:first-child { max-width: 7.5em !important; }
    /* several models side by side leave no room for impact: the "fix first" sort still works */
    .mlprobe-explorer .mlprobe-several-models .mlprobe-impact { display: none; }
}
</style>"""
#: what a reader without a kernel sees in place of the widget (its text/plain form)
TEXT_FORM = "mlprobe explorer — run the notebook to interact; the last state is shown below"
TABS = ("Breakdown", "Confusion", "Rows", "Models", "Save test", "Suggest", "Tests")


def _state(explorer: Explorer) -> ExplorerState:
    return explorer.state


class Explorer(w.VBox):
    """Slice, see, drill in, save as test. Build it with :meth:`mlprobe.Probe.explore`.

    Attributes
    ----------
    state : ExplorerState
        The slices, the selected slice, metric and model; set them from code
        as well as through the controls.
    builder, slice_list, breakdown, confusion, rows, models, save, suggest, tests : panes
        The parts, each with its controls as attributes (useful in tests).
    last_refresh_seconds : float
        Kernel time of the last breakdown refresh (table, chart and list).
    """

    def __init__(
        self,
        probe: Probe,
        *,
        slices: Sequence[Slice | str] | None = None,
        by: str | Sequence[str] | None = None,
        bins: int | None = None,
        metric: str | None = None,
        model: str | None = None,
        name: str | None = None,
        path: str | None = None,
        confidence: float = 0.95,
        min_support: int = 30,
        history: str | None = None,
    ) -> None:
        metrics = probe.available_metrics()
        metric = metric or default_metrics(probe.task)[0]
        if metric not in metrics:
            probe.metric(metric)  # raises the error that names the valid metrics
            metrics.append(metric)
        model = model or probe.models[0]
        if model not in probe.models:
            raise ValidationError(f"model: unknown model {model!r}; models: {probe.models}.")
        self.state = ExplorerState(
            probe, metric=metric, model=model, confidence=confidence, min_support=min_support
        )
        suite_name = name or _suite_name(probe)
        self.builder = SliceBuilder(self.state)
        self.slice_list = SliceList(self.state)
        self.breakdown = BreakdownPane(self.state)
        self.confusion = ConfusionPane(self.state)
        self.rows = RowsPane(self.state)
        self.models = ModelsPane(self.state)
        self.save = SavePane(
            self.state, suite_name=suite_name, path=path or f"tests/{suite_name}.mlprobe.yaml"
        )
        self.suggest = SuggestPane(
            self.state, on_save=lambda: self.show_tab("Save test"), save_pane=self.save
        )
        self.tests = TestsPane(self.state, save_pane=self.save, history=history)
        self.last_refresh_seconds = float("nan")
        self._static_handle: Any = None
        self._static_timer: asyncio.TimerHandle | None = None

        # a fixed height: a message appearing or going never moves the views below it
        self.message = w.HTML(
            layout=w.Layout(height=MESSAGE_HEIGHT, overflow="auto", margin="2px 0", width="auto")
        )
        self.message.add_class("mlprobe-message")
        compact = {"description_width": "initial"}
        self.model_picker = w.Dropdown(
            options=probe.models,
            value=model,
            description="model",
            style=compact,
            layout=w.Layout(width="auto", flex="0 1 170px", min_width="110px"),
        )
        self.model_picker.add_class("mlprobe-model")
        self.confidence_picker = w.Dropdown(
            options=sorted({0.8, 0.9, 0.95, 0.99, confidence}),
            value=confidence,
            description="confidence",
            style=compact,
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.min_support_box = w.BoundedIntText(
            value=min_support,
            min=0,
            max=10**9,
            description="min_support",
            style=compact,
            layout=w.Layout(width="auto", flex="0 1 170px", min_width="140px"),
        )
        self.tabs = w.Tab(
            children=[
                self.breakdown.widget,
                self.confusion.widget,
                self.rows.widget,
                self.models.widget,
                self.save.widget,
                self.suggest.widget,
                self.tests.widget,
            ],
            titles=TABS,
            layout=w.Layout(width="auto", min_width="0"),
        )
        self.tabs.add_class("mlprobe-tabs")
        self._lazy: dict[int, LazyPane] = {
            1: self.confusion,
            2: self.rows,
            3: self.models,
            TABS.index("Tests"): self.tests,
        }
        # every row wraps rather than clips: a laptop with the file browser open (an output
        # area of ~850 px) up to a wide screen
        header = w.HBox(
            [
                w.HTML(
                    f"<b>mlprobe explorer</b> · {html.escape(_summary(probe))}",
                    layout=w.Layout(flex="1 1 260px", min_width="0", margin="0 12px 0 0"),
                ),
                self.model_picker,
                self.confidence_picker,
                self.min_support_box,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center", width="auto"),
        )
        header.add_class("mlprobe-header")
        if len(probe.models) == 1:
            self.model_picker.layout.display = "none"
        left = w.VBox(
            [self.builder.widget, self.slice_list.widget],
            layout=w.Layout(
                flex="1 1 250px",  # grows 1 px for the views' 5
                min_width="240px",
                max_width="420px",
                margin="0 12px 0 0",
                overflow="visible",
            ),
        )
        left.add_class("mlprobe-left")
        # the views take what the builder leaves; below it on a narrow page
        right = w.VBox(
            [self.tabs], layout=w.Layout(flex="5 1 460px", min_width="340px", overflow="visible")
        )
        right.add_class("mlprobe-right")
        body = w.HBox(
            [left, right],
            layout=w.Layout(flex_flow="row wrap", width="auto", overflow="visible"),
        )
        super().__init__([w.HTML(HIDE_STATIC + EXPLORER_CSS), header, self.message, body])
        self.add_class("mlprobe-explorer")

        self.model_picker.observe(self._model_picked, names="value")
        self.confidence_picker.observe(self._confidence_picked, names="value")
        self.min_support_box.observe(self._min_support_picked, names="value")
        self.tabs.observe(self._tab_changed, names="selected_index")
        self.state.observe(self._show_message, names=["message", "message_kind"])
        self.state.observe(self._sync_header, names=["model", "confidence", "min_support"])
        self.state.observe(self.refresh, names=["slices", "metric", "confidence", "min_support"])
        self.state.observe(self._state_changed, names=["selected", "model", "breakdown"])

        initial: list[Slice] = [s if isinstance(s, Slice) else Slice.parse(s) for s in slices or []]
        if by is not None:
            initial += probe.groups(by, bins=bins)
            self.state.bins = bins
            self.state.by = [by] if isinstance(by, str) else list(by)
        self.state.add_slices(_distinct_names(initial), select=False)
        if not initial:
            self.refresh()

    def __repr__(self) -> str:
        """One clean line where the widget cannot run (GitHub, nbviewer, an HTML export);
        the static copy of the last state follows it there."""
        return TEXT_FORM

    # --- reacting to changes ---------------------------------------------------------------

    @shown_errors(_state)
    def refresh(self, _: Any = None) -> None:
        """Recompute the breakdown of the slice list (the list, table and chart follow)."""
        started = time.perf_counter()
        state = self.state
        table = state.probe.breakdown(
            slices=state.slices,
            metrics=[state.metric],
            confidence=state.confidence,
            min_support=state.min_support,
        )
        # a slice fixing a model's own predictions is no finding for that model: core leaves
        # it untested (column own_predictions)
        state.breakdown = table
        self.last_refresh_seconds = time.perf_counter() - started

    def _state_changed(self, _: Any = None) -> None:
        self._schedule_static()

    @user_action(_state)
    def _model_picked(self, change: dict[str, Any]) -> None:
        self.state.model = change["new"]

    @user_action(_state)
    def _confidence_picked(self, change: dict[str, Any]) -> None:
        self.state.confidence = change["new"]

    @user_action(_state)
    def _min_support_picked(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.state.min_support = int(change["new"])

    def _sync_header(self, _: Any = None) -> None:
        """The header's pickers show the state, also when code changed it."""
        state = self.state
        self.model_picker.value = state.model
        if state.confidence not in self.confidence_picker.options:
            options = sorted({*self.confidence_picker.options, state.confidence})
            self.confidence_picker.options = options
        self.confidence_picker.value = state.confidence
        self.min_support_box.value = state.min_support

    def _tab_changed(self, change: dict[str, Any]) -> None:
        for index, pane in self._lazy.items():
            pane.set_visible(index == change["new"])

    def _show_message(self, _: Any = None) -> None:
        self.message.value = message_html(self.state.message, self.state.message_kind)

    def show_tab(self, title: str) -> None:
        """Switch to the tab called ``title`` (e.g. ``"Confusion"``)."""
        self.tabs.selected_index = TABS.index(title)

    # --- the static copy for readers without a kernel ----------------------------------------

    def static_html(self) -> str:
        """The explorer's state as plain HTML: the breakdown table and SVG charts."""
        state = self.state
        table = state.breakdown
        parts = [
            f'<div class="{STATIC_CLASS}" style="font-family:sans-serif">',
            f"<p><b>mlprobe explorer</b> · {html.escape(_summary(state.probe))} · "
            f"model {html.escape(state.model)} · metric {html.escape(state.metric)} · "
            "<i>static copy of the last state</i></p>",
        ]
        if table is not None and len(table):
            order = self.breakdown.order()
            parts.append(
                breakdown_html(
                    table,
                    state.metric,
                    order=order,
                    model=state.model,
                    per_slice=True,
                    selected=state.selected,
                    max_height="480px",
                )
            )
            chart = breakdown_spec(table, state.metric, order=order)
            parts.append(
                f"<div>{svg_img(chart_svg(chart), alt_text=f'{state.metric} by slice')}</div>"
            )
        if state.probe.task != "regression":
            chosen = state.selected_slice()
            title = "overall" if chosen is None else chosen.name
            confusion = state.probe.confusion(chosen, model=state.model)
            chart = confusion_spec(confusion, title=f"confusion: {title} ({state.model})")
            parts.append(
                f"<div>{svg_img(chart_svg(chart), alt_text=f'confusion of {title}')}</div>"
            )
        parts.append("</div>")
        return "".join(parts)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        display(self._repr_mimebundle_(), raw=True)
        self._static_handle = display(HTML(self.static_html()), display_id=True)

    def snapshot(self) -> None:
        """Redraw the static copy now (it otherwise follows changes after a short pause)."""
        if self._static_timer is not None:
            self._static_timer.cancel()
            self._static_timer = None
        if self._static_handle is not None:
            from IPython.display import HTML

            self._static_handle.update(HTML(self.static_html()))

    def _schedule_static(self) -> None:
        if self._static_handle is None:
            return
        if not _in_widget_message():
            self.snapshot()  # running a cell: update before the cell's output is saved
            return
        if self._static_timer is not None:
            self._static_timer.cancel()
        loop = asyncio.get_running_loop()
        self._static_timer = loop.call_later(STATIC_DELAY, self.snapshot)


def _in_widget_message() -> bool:
    """Whether the kernel is handling a widget message (a click), with an event loop running."""
    try:
        asyncio.get_running_loop()
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        parent = kernel.get_parent() if kernel is not None else {}
        return bool(parent) and parent.get("header", {}).get("msg_type") == "comm_msg"
    except Exception:  # no loop, no kernel, another kernel API
        return False


def _summary(probe: Probe) -> str:
    models = ", ".join(probe.models)
    label = "model" if len(probe.models) == 1 else "models"
    return f"{probe.n_rows:,} rows · {probe.task} · {label}: {models}"


def _suite_name(probe: Probe) -> str:
    """The target column's name as a file name ("income"), else "model"."""
    words = re.findall(r"[A-Za-z0-9_.-]+", probe.target_name or "")
    return "-".join(words) or "model"


def _distinct_names(slices: list[Slice]) -> list[Slice]:
    """The starting slices, each name once: a slice named "overall" (the explorer's name for
    all rows) or one name for two different slices is refused rather than dropped; a slice
    given twice (the same name and rows) is kept once."""
    kept: dict[str, Slice] = {}
    for chosen in slices:
        if chosen.name == "overall":
            raise ValidationError(
                f"slices: 'overall' names all rows in the explorer; give the slice "
                f"{str(chosen.predicate)!r} another name, e.g. Slice.parse(text, name='...')."
            )
        seen = kept.setdefault(chosen.name, chosen)
        if str(seen.predicate) != str(chosen.predicate):
            raise ValidationError(
                f"slices: two slices are named {chosen.name!r} ({str(seen.predicate)!r} and "
                f"{str(chosen.predicate)!r}); give them different names."
            )
    return list(kept.values())
