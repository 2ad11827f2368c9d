"""The explorer's shared state, in one place: the slices, which is selected, metric and model.

Panes observe this object and never talk to each other: a pane that changes
the selection sets ``state.selected``; every pane that shows the selection
redraws from it.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import traitlets

from mlprobe.core.slices import Slice
from mlprobe.errors import MlprobeError, ValidationError

if TYPE_CHECKING:
    from mlprobe.probe import Probe

__all__ = ["ExplorerState", "shown_errors"]

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
    #: a message for the user (an error or what just happened), HTML-escaped text
    message = traitlets.Unicode("")
    message_kind = traitlets.Unicode("info")

    def __init__(self, probe: Probe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe
        if not self.model:
            self.model = probe.models[0]

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


def message_html(text: str, kind: str) -> str:
    """The message area's HTML: escaped text, coloured by kind."""
    colours = {"error": "#b2182b", "success": "#1a7f37", "info": "#555"}
    if not text:
        return ""
    return (
        f'<div class="mlprobe-message-{kind}" style="color:{colours.get(kind, "#555")};'
        f'white-space:pre-wrap">{html.escape(text)}</div>'
    )
