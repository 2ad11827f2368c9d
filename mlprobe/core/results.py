"""Result tables: pandas DataFrames that keep every raw column and display compactly.

Every table mlprobe returns (breakdowns, comparisons, slices found, disparities, suite
outcomes, run histories) is a :class:`ResultFrame`. How it displays is not core's business:
:mod:`mlprobe.render.display` registers the compact text and HTML views
(:func:`register_views`) when it is loaded, as it is by any probe; without a registered
view (or with ``mlprobe.set_display(compact=False)``) a result shows as the plain
DataFrame it is. This keeps the layers clean: core and spec make results, render shows them.

Examples
--------
>>> import pandas as pd
>>> result = as_result(pd.DataFrame({"n": [1234]}))
>>> isinstance(result, pd.DataFrame), type(result.head()).__name__
(True, 'DataFrame')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

__all__ = ["ResultFrame", "as_result", "register_views"]

#: the registered views: "text" and "html", each ``frame -> str`` (None: pandas' own)
_VIEWS: dict[str, Callable[[pd.DataFrame], str | None]] = {}


def register_views(
    *, text: Callable[[pd.DataFrame], str | None], html: Callable[[pd.DataFrame], str | None]
) -> None:
    """Set how results display in a terminal (``text``) and a notebook (``html``); a view
    returning None leaves that result to pandas' own display."""
    _VIEWS["text"] = text
    _VIEWS["html"] = html


class ResultFrame(pd.DataFrame):
    """A result of the probe: a :class:`pandas.DataFrame` that displays compactly.

    All columns and values are the raw ones; only ``repr``, ``print`` and the
    notebook view differ (see the module's description). Operations return plain
    DataFrames: ``result.head()``, ``result[result.n > 30]``, ``result.copy()``.
    """

    _metadata: ClassVar[list[str]] = []

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        # pandas builds every derived frame with this: derived frames are plain
        return pd.DataFrame

    def _constructor_from_mgr(self, mgr: Any, axes: Any) -> pd.DataFrame:
        # pandas >= 2.1 builds derived frames from a block manager through this
        return pd.DataFrame._from_mgr(mgr, axes=axes)  # type: ignore[attr-defined]

    def raw(self) -> pd.DataFrame:
        """The same data and ``attrs`` as a plain DataFrame (pandas' display)."""
        frame = pd.DataFrame(self)
        frame.attrs = dict(self.attrs)
        return frame

    def __repr__(self) -> str:
        view = _VIEWS.get("text")
        shown = view(self) if view is not None else None
        return pd.DataFrame.__repr__(self) if shown is None else shown

    def _repr_html_(self) -> str | None:
        view = _VIEWS.get("html")
        shown = view(self) if view is not None else None
        return pd.DataFrame._repr_html_(self) if shown is None else shown  # type: ignore[attr-defined]


def as_result(frame: pd.DataFrame) -> ResultFrame:
    """``frame`` (its data and ``attrs``, not copied) as a :class:`ResultFrame`.

    Examples
    --------
    >>> import pandas as pd
    >>> result = as_result(pd.DataFrame({"n": [1234]}))
    >>> isinstance(result, pd.DataFrame), int(result["n"].sum())
    (True, 1234)
    """
    if isinstance(frame, ResultFrame):
        return frame
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"as_result: expected a pandas DataFrame; received {type(frame).__name__}.")
    result = ResultFrame(frame)
    result.attrs = dict(frame.attrs)
    return result
