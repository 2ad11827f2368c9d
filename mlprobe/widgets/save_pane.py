"""Save as test: the selected slice becomes a test, with its baseline, in a suite file."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w

from mlprobe.errors import ValidationError
from mlprobe.render.tables import format_interval, format_number
from mlprobe.spec.from_slices import MergedTests
from mlprobe.spec.slice_test import EXPECTATIONS, SliceTest
from mlprobe.spec.suite import Suite
from mlprobe.widgets.state import (
    ExplorerState,
    context_html,
    fixed_outputs_note,
    shown_errors,
    user_action,
)

__all__ = ["SavePane", "suggested_id"]

EXPECTATION_LABELS = {
    "at_least": "at least",
    "at_most": "at most",
    "max_gap_to_overall": "at most this far from overall",
    "max_drop_from_baseline": "at most this drop from the baseline",
}


def _state(pane: SavePane) -> ExplorerState:
    return pane.state


def suggested_id(slice_name: str, metric: str) -> str:
    """A test id from a slice and a metric: lowercase words joined by dashes.

    Examples
    --------
    >>> suggested_id("age >= 60 and sex == 'Female'", "recall[>50K]")
    'age-60-and-sex-female-recall-50k'
    """
    words = re.findall(r"[A-Za-z0-9]+", f"{slice_name} {metric}".lower())
    return "-".join(words)[:80].strip("-") or "slice-test"


class SavePane:
    """Metric, expectation, threshold, min_support, description and file of the new test."""

    def __init__(self, state: ExplorerState, *, suite_name: str, path: str) -> None:
        self.state = state
        self.suite_name = suite_name
        # fill the pane up to a readable width; never wider than it
        field = {"width": "auto", "min_width": "0", "max_width": "560px"}
        self.test_id = w.Text(description="test id", layout=w.Layout(**field))
        self.test_id.add_class("mlprobe-test-id")
        self.metric = w.Dropdown(
            options=state.probe.available_metrics(),
            value=state.metric,
            description="metric",
            layout=w.Layout(**field),
        )
        self.metric.add_class("mlprobe-save-metric")
        self.expectation = w.Dropdown(
            options=[(EXPECTATION_LABELS[k], k) for k in EXPECTATIONS],
            value="at_least",
            description="expect",
            layout=w.Layout(width="auto", flex="2 1 260px", min_width="0", max_width="420px"),
        )
        self.expectation.add_class("mlprobe-expectation")
        self.threshold = w.FloatText(
            value=0.0,
            description="threshold",
            step=0.01,
            layout=w.Layout(width="auto", flex="1 1 180px", min_width="0", max_width="260px"),
        )
        self.threshold.add_class("mlprobe-threshold")
        self.min_support = w.BoundedIntText(
            value=state.min_support,
            min=0,
            max=10**9,
            description="min_support",
            layout=w.Layout(**field),
        )
        self.description = w.Textarea(
            placeholder="why this slice matters (shown in test failures)",
            description="description",
            layout=w.Layout(**field),
        )
        self.description.add_class("mlprobe-description")
        self.path = w.Text(value=path, description="suite file", layout=w.Layout(**field))
        self.path.add_class("mlprobe-suite-path")
        self.save = w.Button(
            description="Save test",
            button_style="success",
            icon="save",
            layout=w.Layout(width="auto", align_self="flex-start"),
        )
        self.save.add_class("mlprobe-save-test")
        self.result = w.HTML()
        self.result.add_class("mlprobe-saved-yaml")
        self.context = w.HTML()
        self.current = w.HTML()
        for control in (
            self.test_id,
            self.metric,
            self.expectation,
            self.threshold,
            self.min_support,
            self.description,
            self.path,
        ):
            control.style.description_width = "90px"
        self.widget = w.VBox(
            [
                self.context,
                self.current,
                self.test_id,
                self.metric,
                w.HBox(
                    [self.expectation, self.threshold],
                    layout=w.Layout(flex_flow="row wrap", overflow="visible"),
                ),
                self.min_support,
                self.description,
                self.path,
                self.save,
                self.result,
            ]
        )
        self.widget.add_class("mlprobe-save")
        self.save.on_click(self.save_test)
        self.metric.observe(self._option_picked, names="value")
        self.expectation.observe(self._option_picked, names="value")
        state.observe(self._slice_changed, names=["selected", "model"])
        state.observe(self.suggest, names="confidence")
        state.observe(self._metric_changed, names="metric")
        state.observe(self._min_support_changed, names="min_support")
        self.suggest()

    def suite_path(self) -> Path:
        """The suite file tests are saved to, as typed in the pane (``~`` expanded)."""
        if not self.path.value.strip():
            raise ValidationError("suite file: enter a path, e.g. tests/model.mlprobe.yaml.")
        return Path(self.path.value.strip()).expanduser()

    def save_tests(self, tests: Sequence[SliceTest]) -> tuple[Path, MergedTests]:
        """Add ``tests`` to the suite file, keeping the tests already there (see
        :meth:`mlprobe.Suite.append_all`); returns the path and what was added or skipped."""
        path = self.suite_path()
        return path, Suite.append_all(path, tests, name=self.suite_name)

    def _metric_changed(self, change: dict[str, Any]) -> None:
        self.metric.value = change["new"]

    def _min_support_changed(self, change: dict[str, Any]) -> None:
        self.min_support.value = change["new"]

    def _slice_changed(self, _: Any = None) -> None:
        self.result.value = ""  # what was saved for another slice or model is not this one's
        self.suggest()

    @user_action(_state)
    def _option_picked(self, _: Any = None) -> None:
        self.suggest()

    @shown_errors(_state)
    def suggest(self, _: Any = None) -> None:
        """Fill id and threshold from the selected slice's current value."""
        chosen = self.state.selected_slice()
        metric = self.metric.value
        self.context.value = context_html(self.state.model, metric)
        if chosen is None:
            self.current.value = "<i>Select a slice in the list to save it as a test.</i>"
            return
        self.test_id.value = suggested_id(chosen.name, metric)
        now = self.state.probe.metric(
            metric, chosen, model=self.state.model, confidence=self.state.confidence
        )
        value = now["value"]
        self.current.value = (
            f"<b>{html.escape(chosen.name)}</b>: {html.escape(metric)} = "
            + ("undefined" if math.isnan(value) else format_number(value))
            + f" {format_interval(now['ci_low'], now['ci_high'])} on {format_number(now['n'])} rows"
            + fixed_outputs_note(chosen, self.state.model, self.state.probe.models)
        )
        expectation = self.expectation.value
        if math.isnan(value):
            return
        if expectation == "at_least":
            self.threshold.value = math.floor(now["ci_low"] * 100) / 100
        elif expectation == "at_most":
            self.threshold.value = math.ceil(now["ci_high"] * 100) / 100
        else:
            self.threshold.value = 0.05

    @user_action(_state)
    def save_test(self, _: Any = None) -> Path | None:
        """Append the test (with today's baseline) to the suite file; show what was written."""
        self.result.value = ""  # a refused save must not stand next to the last success
        chosen = self.state.selected_slice()
        if chosen is None:
            raise ValidationError("save: select a slice in the list first ('overall' is all rows).")
        path = self.suite_path()
        threshold: dict[str, float | None] = dict.fromkeys(EXPECTATIONS)
        threshold[self.expectation.value] = float(self.threshold.value)
        test = SliceTest(
            id=self.test_id.value.strip(),
            slice=chosen,
            metric=self.metric.value,
            at_least=threshold["at_least"],
            at_most=threshold["at_most"],
            max_gap_to_overall=threshold["max_gap_to_overall"],
            max_drop_from_baseline=threshold["max_drop_from_baseline"],
            min_support=int(self.min_support.value),
            description=self.description.value.strip(),
        )
        recorded = Suite(self.suite_name, [test]).with_baselines(
            self.state.probe, model=self.state.model
        )
        # read, add and write under a file lock: two explorers saving at once keep both tests
        suite = Suite.append(path, recorded.tests[0], name=self.suite_name)
        written = path.read_text(encoding="utf-8")
        self.result.value = (
            f"<div>Saved test <b>{html.escape(test.id)}</b> (model {html.escape(self.state.model)})"
            f" to <code>{html.escape(str(path))}</code>"
            f" ({len(suite)} test{'s' if len(suite) != 1 else ''}):</div>"
            f'<pre class="mlprobe-yaml" style="font-size:11px">{html.escape(written)}</pre>'
        )
        self.state.tell(f"saved test {test.id!r} to {path}", "success")
        return path
