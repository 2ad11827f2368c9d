"""The explorer's shared state, in one place: the slices, which is selected, metric and model.

Panes observe this object and never talk to each other: a pane that changes
the selection sets ``state.selected``; every pane that shows the selection
redraws from it.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import traitlets

from mlprobe.core.slicing.predicates import PREDICTION, prediction_column
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import MlprobeError, ValidationError

if TYPE_CHECKING:
    from mlprobe.core.evaluator import ExplorableProbe as Probe

__all__ = [
    "ExplorerState",
    "context_html",
    "fixed_outputs_note",
    "own_prediction_models",
    "selected_slice_context",
    "shown_errors",
    "user_action",
]

#: the message area's fixed height: a message never moves what is below it
MESSAGE_HEIGHT = "40px"

F = TypeVar("F", bound=Callable[..., Any])


class ExplorerState(traitlets.HasTraits):
    """What the explorer shows. Changing a trait redraws the panes that depend on it."""

    #: the slices in the list, in order (names are unique)
    slices = traitlets.List(trait=traitlets.Instance(Slice))
    #: name of the selected slice ("overall" for all rows)
    selected = traitlets.Unicode("overall")
    #: the metric shown in the list, table and chart
    metric = traitlets.Unicode()
    #: the model of single-model views (confusion, rows, save)
    model = traitlets.Unicode()
    confidence = traitlets.Float(0.95)
    min_support = traitlets.Int(30)
    #: the last breakdown of ``slices`` (for ``metric``); None before the first
    breakdown = traitlets.Instance(pd.DataFrame, allow_none=True)
    #: the column(s) whose groups were last added (``explore(by=...)``, "Add groups"), and
    #: their bins: the grouping whose disparity the breakdown shows; empty: none
    by = traitlets.List(trait=traitlets.Unicode())
    bins = traitlets.Any(None)
    #: a message for the user (an error or what just happened), HTML-escaped text
    message = traitlets.Unicode("")
    message_kind = traitlets.Unicode("info")

    def __init__(self, probe: Probe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe
        if not self.model:
            self.model = probe.models[0]
        #: how deep the current user action is (a message is cleared when one starts)
        self._action_depth = 0

    # --- slices -------------------------------------------------------------------------

    def slice_named(self, name: str) -> Slice | None:
        """The slice called ``name`` (None for "overall" or an unknown name)."""
        return next((s for s in self.slices if s.name == name), None)

    def add_slices(self, new: list[Slice], *, select: bool = True) -> list[Slice]:
        """Append slices whose names are new (a repeated name is skipped); returns those added."""
        names = {s.name for s in self.slices} | {"overall"}
        added = []
        for s in new:
            if s.name in names:
                continue
            names.add(s.name)
            added.append(s)
        if added:
            self.slices = [*self.slices, *added]
            if select:
                self.selected = added[-1].name
        return added

    def remove_slice(self, name: str) -> None:
        """Drop a slice; the selection falls back to "overall" when it was the one removed."""
        self.slices = [s for s in self.slices if s.name != name]
        if self.selected == name:
            self.selected = "overall"

    def rename_slice(self, old: str, new: str) -> None:
        """Give a slice a new name (unique, not "overall")."""
        new = new.strip()
        if new == old:
            return
        if not new:
            raise ValidationError("rename: a slice needs a name; type one.")
        if new == "overall":
            raise ValidationError("rename: 'overall' names all rows; choose another name.")
        if self.slice_named(new) is not None:
            raise ValidationError(
                f"rename: {new!r} is already the name of a slice; choose another."
            )
        self.slices = [Slice(new, s.predicate) if s.name == old else s for s in self.slices]
        if self.selected == old:
            self.selected = new

    def selected_slice(self) -> Slice | None:
        """The selected slice, or None for all rows."""
        return self.slice_named(self.selected)

    # --- messages ------------------------------------------------------------------------

    def tell(self, text: str, kind: str = "info") -> None:
        """Show ``text`` to the user ("info", "success" or "error")."""
        self.message_kind = kind
        self.message = text

    def clear_message(self) -> None:
        """Remove the message (a new action makes the last one's message stale)."""
        self.tell("")


def shown_errors(state_of: Callable[[Any], ExplorerState]) -> Callable[[F], F]:
    """Decorate a widget callback so that an error becomes a message, never a traceback.

    ``state_of(self)`` returns the state whose message shows the error. An
    mlprobe error shows its own text; anything else shows its type too.
    """

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except MlprobeError as error:
                state_of(self).tell(str(error), "error")
            except Exception as error:  # a widget must survive whatever goes wrong
                state_of(self).tell(f"{type(error).__name__}: {error}", "error")
            return None

        return wrapper  # type: ignore[return-value]

    return decorate


def user_action(state_of: Callable[[Any], ExplorerState]) -> Callable[[F], F]:
    """Decorate what a click or a pick runs: the last message goes, errors become messages.

    The message area only ever shows what the latest action did: it is
    cleared when an action starts (not when one action calls another), and
    whatever the action tells, or the error it raises, replaces it. Use
    :func:`shown_errors` for redraws that follow state changes.
    """

    def decorate(method: F) -> F:
        shown = shown_errors(state_of)(method)

        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            state = state_of(self)
            if state._action_depth == 0:
                state.clear_message()
            state._action_depth += 1
            try:
                return shown(self, *args, **kwargs)
            finally:
                state._action_depth -= 1

        return wrapper  # type: ignore[return-value]

    return decorate


def message_html(text: str, kind: str) -> str:
    """The message area's HTML: escaped text, coloured by kind."""
    colours = {"error": "#b2182b", "success": "#1a7f37", "info": "#555"}
    if not text:
        return ""
    return (
        f'<div class="mlprobe-message-{kind}" title="{html.escape(text)}" '
        f'style="color:{colours.get(kind, "#555")};white-space:pre-wrap;font-size:13px;'
        f'line-height:1.4">{html.escape(text)}</div>'
    )


def selected_slice_context(state: ExplorerState) -> str:
    """The context line of a pane that shows the selected slice under the header's model."""
    chosen = state.selected_slice()
    return context_html(state.model, slice_name="overall" if chosen is None else chosen.name)


def context_html(
    model: str, metric: str | None = None, *, slice_name: str | None = None, note: str = ""
) -> str:
    """What a pane shows, in one line: "model v2 · metric recall[>50K] · slice …"."""
    parts = [f"model <b>{html.escape(model)}</b>"]
    if metric is not None:
        parts.append(f"metric <b>{html.escape(metric)}</b>")
    if slice_name is not None:
        parts.append(f"slice <b>{html.escape(slice_name)}</b>")
    if note:
        parts.append(html.escape(note))
    text = " · ".join(parts)
    # wraps rather than clips on a narrow pane
    return (
        '<div class="mlprobe-context" style="font-size:12px;color:#555;line-height:1.4;'
        f'overflow-wrap:anywhere">{text}</div>'
    )


# --- slices defined by a model's own predictions ------------------------------------------------


def own_prediction_models(chosen: Slice | None, models: Sequence[str]) -> list[str]:
    """The models whose own predictions define ``chosen`` (its conditions fix ``@prediction``).

    ``@prediction`` means each model's own prediction, so such a slice is
    defined by every model's; ``@prediction[v1]`` only by v1's. For those
    models the slice's gap holds by construction (the rows a model got wrong
    have a high error rate), so it is no finding.

    Examples
    --------
    >>> own_prediction_models(Slice.parse("@prediction[v1] == 1 and x > 0"), ["v1", "v2"])
    ['v1']
    >>> own_prediction_models(Slice.parse("@prediction == 1"), ["v1", "v2"])
    ['v1', 'v2']
    >>> own_prediction_models(Slice.parse("@target == 1"), ["v1"])
    []
    """
    if chosen is None:
        return []
    columns = chosen.columns()
    if PREDICTION in columns:
        return list(models)
    return [m for m in models if prediction_column(m) in columns]


def fixed_outputs_note(chosen: Slice, model: str, models: Sequence[str]) -> str:
    """A warning when the slice fixes the true or predicted class (e.g. one confusion cell)."""
    fixed = sorted(c for c in chosen.columns() if c.startswith("@"))
    if not fixed:
        return ""
    own = model in own_prediction_models(chosen, models)
    defined = (
        f" It is defined by {html.escape(model)}'s own predictions, so its gap to the rest "
        "holds by construction."
        if own
        else ""
    )
    return (
        f"<br><i style='color:#b15c00'>This slice fixes {', '.join(map(html.escape, fixed))}: "
        "per-class metrics (recall, precision) may be 0 or 1 by definition there, a test that "
        f"can never fail.{defined} Prefer its size, or a slice without them.</i>"
    )
