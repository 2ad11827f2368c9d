"""The tests pane: the suite file's tests run on this probe, and their history across versions."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w

from mlprobe.errors import MlprobeError
from mlprobe.render.history_charts import trend_spec
from mlprobe.render.tables import frame_html
from mlprobe.spec.history_store import RunHistory
from mlprobe.spec.suite import Suite
from mlprobe.widgets.breakdown_pane import COMPACT, picker_layout
from mlprobe.widgets.charts import ChartView
from mlprobe.widgets.lazy import LazyPane
from mlprobe.widgets.save_pane import SavePane
from mlprobe.widgets.state import ExplorerState, shown_errors, user_action

__all__ = ["TestsPane"]

FIELD = {"width": "auto", "min_width": "0", "max_width": "560px"}


def _state(pane: TestsPane) -> ExplorerState:
    return pane.state


def _note(text: str) -> str:
    return f"<i>{html.escape(text)}</i>"


class TestsPane(LazyPane):
    """The suite file of the *Save test* tab, run on the explorer's model; with a run store
    (``explore(history="runs.db")``), every recorded version's outcome per test and the
    trend of one test."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, state: ExplorerState, *, save_pane: SavePane, history: str | None = None
    ) -> None:
        super().__init__()
        self.state = state
        self.save_pane = save_pane
        self.history_path = w.Text(
            value="" if history is None else str(history),
            description="run store",
            placeholder="runs.db (optional): recorded versions",
            style=COMPACT,
            layout=w.Layout(**FIELD),
        )
        self.history_path.add_class("mlprobe-history-path")
        self.run_button = w.Button(description="Run tests", icon="play")
        self.run_button.add_class("mlprobe-run-tests")
        self.context = w.HTML()
        self.outcomes = w.HTML()
        self.outcomes.add_class("mlprobe-test-outcomes")
        self.matrix = w.HTML()
        self.matrix.add_class("mlprobe-test-matrix")
        self.test_picker = w.Dropdown(
            options=[], description="trend of", style=COMPACT, layout=picker_layout()
        )
        self.test_picker.add_class("mlprobe-trend-test")
        self.chart = ChartView(css_class="mlprobe-trend-chart")
        self.widget = w.VBox(
            [
                self.context,
                w.HBox(
                    [self.history_path, self.run_button],
                    layout=w.Layout(flex_flow="row wrap", overflow="visible"),
                ),
                self.outcomes,
                self.matrix,
                self.test_picker,
                self.chart.widget,
            ]
        )
        #: the suite file's name as last loaded, and whether the store holds runs of it
        self._suite: str | None = None
        self._recorded_suite: str | None = None
        self.run_button.on_click(self._run_clicked)
        self.history_path.observe(self.invalidate, names="value")
        self.test_picker.observe(self._trend_picked, names="value")
        state.observe(self.invalidate, names="model")

    def draw(self) -> None:
        self._run()

    @user_action(_state)
    def _run_clicked(self, _: Any = None) -> None:
        self.refresh()

    @user_action(_state)
    def _trend_picked(self, _: Any = None) -> None:
        self._draw_trend()

    @shown_errors(_state)
    def _run(self) -> None:
        path = self.save_pane.suite_path()
        model = self.state.model
        self.context.value = (
            f"Suite file <code>{html.escape(str(path))}</code> (the <i>Save test</i> tab's), "
            f"run on model <b>{html.escape(model)}</b>."
        )
        self._suite = None
        if not Path(path).is_file():
            self.outcomes.value = _note(
                "No suite file there yet: save a test from the Save test tab, or type its path "
                "there."
            )
        else:
            try:
                suite = Suite.load(path)
                self._suite = suite.name
                result = suite.run(self.state.probe, model=model)
            except MlprobeError as error:
                self.outcomes.value = _note(f"The suite could not run: {error}")
            else:
                self.outcomes.value = result._repr_html_()
        self._draw_history()

    def _reader(self) -> RunHistory | None:
        where = self.history_path.value.strip()
        if not where:
            self.matrix.value = _note(
                "Give a run store (e.g. runs.db, written by suite.run(probe, record=..., "
                "version=...)) to see every recorded version."
            )
            return None
        try:
            return RunHistory(where)
        except MlprobeError as error:
            self.matrix.value = _note(str(error))
            return None

    def _draw_history(self) -> None:
        reader = self._reader()
        if reader is None:
            self.test_picker.options = []
            self._hide_chart()
            return
        try:
            recorded = set(reader.suites())
            self._recorded_suite = self._suite if self._suite in recorded else None
            suite = self._recorded_suite
            table = reader.matrix(suite=suite, value="outcome")
        except MlprobeError as error:
            self.matrix.value = _note(str(error))
            self.test_picker.options = []
            self._hide_chart()
            return
        finally:
            reader.close()
        caption = f"Recorded outcomes per version ({suite})" if suite else "Recorded outcomes"
        self.matrix.value = frame_html(table, caption=caption)
        tests = [str(c) for c in table.columns]
        keep = self.test_picker.value if self.test_picker.value in tests else None
        self.test_picker.options = tests
        self.test_picker.value = keep or (tests[0] if tests else None)
        self._draw_trend()

    @shown_errors(_state)
    def _draw_trend(self) -> None:
        test = self.test_picker.value
        reader = self._reader() if test else None
        if reader is None or test is None:
            self._hide_chart()
            return
        try:
            suite = self._recorded_suite
            name = test.split("/", 1)[-1] if suite is None and "/" in test else test
            trend = reader.trend(name, suite=suite if suite else None)
        finally:
            reader.close()
        self.chart.widget.layout.display = None
        self.chart.show(trend_spec(trend, title=f"{test}: observed value per run"))

    def _hide_chart(self) -> None:
        self.chart.widget.layout.display = "none"
