"""Suggest: run slice discovery on demand, then add a suggestion to the list or save it as a test.

All suggestions, or the ticked ones, can be saved as tests at once
(:meth:`mlprobe.Suite.from_slices`: ids from the slice text, today's values as baselines,
no worse than the baseline by more than its interval's margin), added to the explorer's
suite file (the path in the *Save test* tab) without touching the tests already there.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import MlprobeError, ValidationError
from mlprobe.render.tables import format_interval, format_number, format_q
from mlprobe.spec.slice_test import SliceTest
from mlprobe.spec.suite import Suite
from mlprobe.widgets.save_pane import SavePane
from mlprobe.widgets.state import ExplorerState, context_html, user_action

__all__ = ["SuggestPane", "search_loss"]

HELP_GAP = "gap: the slice's value minus the value on the rest of the rows"
HELP_Q = (
    "q: Benjamini–Hochberg q-value over every slice the search evaluated (the family the "
    "suggestions were picked from)"
)

#: explorer metric -> the per-row loss slice search ranks by (it ranks means of a per-row loss)
SEARCH_LOSSES = {
    "error_rate": "error_rate",
    "accuracy": "error_rate",
    "log_loss": "log_loss",
    "brier": "brier",
    "mae": "absolute_error",
    "mse": "squared_error",
    "rmse": "squared_error",
}


def search_loss(metric: str, task: str) -> tuple[str, str]:
    """The loss ``find_slices`` ranks by for the explorer's ``metric``, and a sentence saying so.

    Slice search ranks slices by the mean of a per-row loss; a metric that is
    such a mean (or a function of one) is searched as it is, any other by the
    task's default loss.

    Examples
    --------
    >>> search_loss("accuracy", "binary")[0]
    'error_rate'
    >>> print(search_loss("recall[>50K]", "binary")[1])
    ranks by error_rate: slice search ranks a per-row loss, and recall[>50K] is not one; ...
    """
    loss = SEARCH_LOSSES.get(metric)
    if loss is not None:
        same = {"accuracy": " (1 − accuracy)", "rmse": " (rmse squared)"}.get(metric, "")
        return loss, f"ranks by {loss}{same}, the explorer's metric"
    loss = "absolute_error" if task == "regression" else "error_rate"
    return loss, (
        f"ranks by {loss}: slice search ranks a per-row loss, and {metric} is not one; "
        f"each suggestion also shows its {metric}"
    )


def _state(pane: SuggestPane) -> ExplorerState:
    return pane.state


class SuggestPane:
    """``probe.find_slices`` behind a button, with a progress bar; one row per suggestion."""

    def __init__(
        self, state: ExplorerState, *, on_save: Any = None, save_pane: SavePane | None = None
    ) -> None:
        self.state = state
        self._on_save = on_save
        #: where "Save all" writes (default: the save pane of the same explorer)
        self._save_pane = save_pane
        compact = {"description_width": "initial"}
        small = {"width": "auto", "flex": "0 1 160px", "min_width": "0"}
        self.max_conditions = w.BoundedIntText(
            value=2,
            min=1,
            max=4,
            description="conditions",
            style=compact,
            layout=w.Layout(**small),
        )
        self.top_k = w.Dropdown(
            options=[5, 10, 20],
            value=10,
            description="suggestions",
            style=compact,
            layout=w.Layout(**small),
        )
        self.run = w.Button(
            description="Suggest slices",
            icon="search",
            button_style="info",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.run.add_class("mlprobe-suggest")
        self.bar = w.IntProgress(
            value=0, min=0, max=1, layout=w.Layout(visibility="hidden", width="auto", min_width="0")
        )
        self.summary = w.HTML()
        self.rows = w.VBox()
        self.rows.add_class("mlprobe-suggestions")
        self.found: pd.DataFrame | None = None
        #: one tick box per suggestion, in the order of ``found``
        self.picks: list[w.Checkbox] = []
        self.save_all = w.Button(
            description="Save all as tests",
            icon="save",
            button_style="success",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.save_all.add_class("mlprobe-suggest-save-all")
        self.save_picked = w.Button(
            description="Save ticked as tests",
            icon="check-square",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.save_picked.add_class("mlprobe-suggest-save-ticked")
        self.bulk = w.HBox(
            [self.save_all, self.save_picked],
            layout=w.Layout(flex_flow="row wrap", overflow="visible", display="none"),
        )
        self.saved = w.HTML()
        self.saved.add_class("mlprobe-suggest-saved")
        self.context = w.HTML()
        self.context.add_class("mlprobe-suggest-context")
        self.widget = w.VBox(
            [
                self.context,
                w.HTML(
                    "<i>Search every combination of columns for the slices whose fix would buy "
                    "the most overall (impact: share × gap; overlapping ones folded together; "
                    "q-values over every slice tried).</i>"
                ),
                w.HBox(
                    [self.max_conditions, self.top_k, self.run],
                    layout=w.Layout(flex_flow="row wrap", overflow="visible"),
                ),
                self.bar,
                self.summary,
                self.rows,
                self.bulk,
                self.saved,
            ]
        )
        self.run.on_click(self.suggest)
        self.save_all.on_click(lambda _: self.save_tests())
        self.save_picked.on_click(lambda _: self.save_tests(self.picked()))
        state.observe(self._settings_changed, names=["model", "metric"])
        self._show_context()

    def _show_context(self) -> None:
        _, how = search_loss(self.state.metric, self.state.probe.task)
        self.context.value = context_html(self.state.model, self.state.metric, note=how)

    def _settings_changed(self, _: Any = None) -> None:
        """Suggestions found for another model or metric are not this one's: drop them."""
        self._show_context()
        if self.found is not None:
            self.found = None
            self._clear_rows()
            self.summary.value = (
                f"<i>The model or metric changed: suggest again for {self.state.model}.</i>"
            )

    @user_action(_state)
    def suggest(self, _: Any = None) -> pd.DataFrame:
        """Run the search for the state's model (ranked by its metric where it can); show them."""
        loss, _how = search_loss(self.state.metric, self.state.probe.task)
        self.run.disabled = True
        self.bar.layout.visibility = "visible"
        self.summary.value = "<i>searching…</i>"
        try:
            found = self.state.probe.find_slices(
                model=self.state.model,
                metric=loss,
                max_conditions=int(self.max_conditions.value),
                top_k=int(self.top_k.value),
                progress=self._progress,
            )
        except Exception as error:  # shown in the pane too, not only in the message area
            self.found = None
            self._clear_rows()
            text = (
                str(error)
                if isinstance(error, MlprobeError)
                else f"{type(error).__name__}: {error}"
            )
            self.summary.value = (
                '<div class="mlprobe-suggest-error" style="color:#b2182b;white-space:pre-wrap">'
                f"The search failed: {html.escape(text)}</div>"
            )
            raise
        finally:
            self.run.disabled = False
            self.bar.layout.visibility = "hidden"
        self.found = found
        self._show(found, self._metric_values(found))
        return found

    def _metric_values(self, found: pd.DataFrame) -> dict[str, str]:
        """Each suggestion's value of the explorer's metric, when the search ranked by another."""
        state = self.state
        if found.empty or state.metric in SEARCH_LOSSES:  # the ranked loss is that metric
            return {}
        table = state.probe.breakdown(
            slices=list(found["slice"]),
            metrics=[state.metric],
            model=state.model,
            confidence=state.confidence,
            min_support=state.min_support,
        )
        values = {}
        for record in table.to_dict("records"):
            value = record[state.metric]
            values[str(record["slice"])] = f"{state.metric} " + (format_number(value))
        return values

    def _progress(self, done: int, total: int) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = done

    def _show(self, found: pd.DataFrame, extra: dict[str, str] | None = None) -> None:
        metric = html.escape(str(found.attrs.get("metric", "error")))
        self.saved.value = ""  # what was saved from earlier suggestions is not about these
        if found.empty:
            self.summary.value = "<i>No slice stands out: nothing scores above zero.</i>"
            self._clear_rows()
            return
        overall = float(found["overall"].iloc[0])
        self.summary.value = (
            f"{len(found)} suggestions for {html.escape(self.state.model)}, ranked by {metric}; "
            f"overall {metric} {format_number(overall)}; "
            f"{found.attrs.get('evaluated', 0):,} slices evaluated"
        )
        rows, picks = [], []
        for record in found.to_dict("records"):
            chosen: Slice = record["slice"]
            also = (extra or {}).get(chosen.name)
            text = w.HTML(
                f"<b>{html.escape(chosen.name)}</b><br>{metric} {format_number(record['value'])} "
                f"{format_interval(record['ci_low'], record['ci_high'])} on "
                f"{format_number(record['n'])} rows · "
                f'<span title="{html.escape(HELP_GAP)}">gap</span> '
                f"{format_number(record['gap'], signed=True)} · "
                f'<span title="{html.escape(HELP_Q)}">q</span> {format_q(record["q_value"])}'
                + (f" · {html.escape(also)}" if also else ""),
                layout=w.Layout(flex="1 1 60%", min_width="0"),
            )
            add = w.Button(
                description="Add", icon="plus", layout=w.Layout(width="auto", flex="0 0 auto")
            )
            add.add_class("mlprobe-suggestion-add")
            save = w.Button(
                description="Save as test",
                icon="save",
                layout=w.Layout(width="auto", flex="0 0 auto"),
            )
            save.add_class("mlprobe-suggestion-save")
            pick = w.Checkbox(
                value=False,
                description="tick",
                indent=False,
                layout=w.Layout(width="auto", flex="0 0 auto"),
            )
            pick.add_class("mlprobe-suggestion-pick")
            add.on_click(lambda _, s=chosen: self.add(s))
            save.on_click(lambda _, s=chosen: self.save(s))
            row = w.HBox(
                [text, add, save, pick],
                layout=w.Layout(flex_flow="row wrap", align_items="center", overflow="visible"),
            )
            row.add_class("mlprobe-suggestion")
            rows.append(row)
            picks.append(pick)
        self.rows.children = rows
        self.picks = picks
        self.bulk.layout.display = "flex"

    @user_action(_state)
    def add(self, chosen: Slice) -> None:
        """Put a suggestion in the slice list (and select it)."""
        if self.state.add_slices([chosen]):
            self.state.tell(f"added slice {chosen.name!r}", "success")
        else:
            self.state.selected = chosen.name

    @user_action(_state)
    def save(self, chosen: Slice) -> None:
        """Add and select a suggestion, then open the save form for it."""
        self.add(chosen)
        self.state.selected = chosen.name
        if self._on_save is not None:
            self._on_save()

    def _clear_rows(self) -> None:
        self.rows.children = []
        self.picks = []
        self.bulk.layout.display = "none"

    def picked(self) -> list[int]:
        """Positions (in ``found``) of the ticked suggestions."""
        return [i for i, pick in enumerate(self.picks) if pick.value]

    @user_action(_state)
    def save_tests(self, which: Sequence[int] | None = None) -> Path | None:
        """Save suggestions as tests in the explorer's suite file: all, or those at ``which``.

        One test per suggestion on the explorer's metric and model, built by
        :meth:`mlprobe.Suite.from_slices` (today's value as the baseline; fails when
        worse by more than its interval's margin, at least one point), added with
        :meth:`mlprobe.Suite.append_all`: the file's other tests stay as they are, a
        suggestion it already tests is skipped, a taken id gets a ``-2`` suffix.
        Returns the suite file's path.
        """
        self.saved.value = ""
        found = self.found
        if found is None or found.empty:
            raise ValidationError("save: run 'Suggest slices' first; there is nothing to save.")
        positions = list(range(len(found))) if which is None else list(which)
        if not positions:
            raise ValidationError(
                "save: tick the suggestions to save first, or use 'Save all as tests'."
            )
        if any(not isinstance(i, int) or not 0 <= i < len(found) for i in positions):
            raise ValidationError(
                f"save: 'which' takes positions of suggestions, 0 to {len(found) - 1}; "
                f"received {list(which or [])!r}."
            )
        target = self._save_pane
        if target is None:
            raise ValidationError(
                "save: this Suggest pane has no suite file; build it with save_pane=SavePane(...)."
            )
        state = self.state
        suite = Suite.from_slices(
            found.iloc[positions],
            name=target.suite_name,
            probe=state.probe,
            metric=state.metric,
            model=state.model,
            min_support=state.min_support,
            confidence=state.confidence,
        )
        path, merged = target.save_tests([t for t in suite.tests if isinstance(t, SliceTest)])
        written = path.read_text(encoding="utf-8")
        added = ", ".join(t.id for t in merged.added) or "none"
        skipped = (
            f"; {len(merged.skipped)} already in the file, left as they are"
            if merged.skipped
            else ""
        )
        self.saved.value = (
            f"<div>Saved {len(merged.added)} test{'' if len(merged.added) == 1 else 's'} "
            f"({html.escape(state.metric)}, model {html.escape(state.model)}) to "
            f"<code>{html.escape(str(path))}</code>{html.escape(skipped)}: "
            f"{html.escape(added)}.</div>"
            f'<pre class="mlprobe-yaml" style="font-size:11px">{html.escape(written)}</pre>'
        )
        state.tell(
            f"saved {len(merged.added)} of {len(positions)} suggestions as tests to {path}"
            + skipped,
            "success",
        )
        return path
