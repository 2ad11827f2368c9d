"""How result tables display: every column kept, a compact view shown.

:meth:`mlprobe.Probe.breakdown`, :meth:`~mlprobe.Probe.find_slices`,
:meth:`~mlprobe.Probe.priorities`, :meth:`~mlprobe.Probe.compare` and
:meth:`~mlprobe.Probe.flips` return a :class:`ResultFrame`: a real
:class:`pandas.DataFrame` with all of its raw columns and values, which only
*displays* compactly. In Jupyter (``_repr_html_``) and in a terminal
(``repr``/``print``) a metric and its interval share one cell
(``0.592 [0.551, 0.630]``), differences are signed (``+0.012``), p- and q-values
read ``< 0.001`` rather than ``0.000000e+00``, counts get thousands separators,
slices under ``min_support`` are faint (HTML) and flagged "few rows", the
overall rows are set apart (bold; a rule in text), long slice names and free text
(an outcome's reason) are cut (the full text on hover) and recorded times read to the
minute. Columns that hold one value for every row (``model``,
``metric``) and the ones folded away (intervals, ``p_value`` next to
``q_value``, flags) are named under the table; a column the view does not know
is shown as it is.

Everything else is the DataFrame's: indexing, ``.attrs``, ``.pipe``,
``to_csv``, pickling. Frames derived from a result (``head()``, a filter,
``copy()``, ``assign``) are plain DataFrames, with pandas' own display. The
raw frame: :meth:`ResultFrame.raw` (or ``pd.DataFrame(result)``, without
``attrs``); the compact view off everywhere: ``mlprobe.set_display(compact=False)``.

Examples
--------
>>> import pandas as pd
>>> frame = as_result(
...     pd.DataFrame(
...         {
...             "slice": ["overall", "g == 'a'", "g == 'b'"],
...             "model": "m",
...             "n": [12500, 10000, 2500],
...             "accuracy": [0.8, 0.85, 0.6],
...             "accuracy_ci_low": [0.79, 0.84, 0.58],
...             "accuracy_ci_high": [0.81, 0.86, 0.62],
...             "gap": [float("nan"), 0.25, -0.25],
...             "q_value": [float("nan"), 0.0, 0.0],
...             "is_overall": [True, False, False],
...         }
...     )
... )
>>> print(frame)
slice          n              accuracy     gap        q
overall   12,500  0.800 [0.790, 0.810]       –        –
-------------------------------------------------------
g == 'a'  10,000  0.850 [0.840, 0.860]  +0.250  < 0.001
g == 'b'   2,500  0.600 [0.580, 0.620]  -0.250  < 0.001
model m · [...]: 95% intervals · all 9 columns: .raw()
>>> type(frame.head(2)).__name__, frame.raw()["q_value"].iloc[1]
('DataFrame', np.float64(0.0))
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from mlprobe.core.number_format import format_level
from mlprobe.core.results import ResultFrame, as_result, register_views
from mlprobe.render.tables import (
    BADGE,
    ELLIPSIS,
    FAINT_STYLE,
    HELP,
    Cell,
    _table,
    format_interval,
    format_number,
    format_q,
    format_share,
)

__all__ = ["ResultFrame", "as_result", "display_options", "set_display"]  # the first two: core's

#: the display settings (see :func:`set_display`)
#: columns the terminal view leaves out before it cuts slice names (a share is n over all)
SPARE_COLUMNS = ("share", "excess")
_OPTIONS: dict[str, Any] = {"compact": True, "width": 120, "name_width": 40}

#: columns holding a difference: written with their sign
SIGNED = frozenset({"gap", "delta", "impact", "benefit"})
#: folded columns whose interval moves to the tooltip in HTML and goes first in narrow text
SECONDARY = frozenset({"impact", "benefit"})
#: row flags: they style the rows rather than fill a column
FLAGS = ("low_support", "own_predictions", "is_overall")
#: columns kept for programs (a suite outcome's counts and direction): in .raw() only
INTERNAL = ("counts", "higher_is_better", "ideal")
#: columns that hold one value per table, named under it when they do
CONSTANTS = ("model", "metric", "component", "overall", "kind")
#: the interval a reader needs most where a table has one (a change between versions or
#: models): the text view keeps it longest
KEY_INTERVALS = ("difference", "delta")
#: a disparity's extreme groups: the group column and the value shown beside it
EXTREMES = {"min_group": ("min_value", "lowest"), "max_group": ("max_value", "highest")}
VERDICT_STYLES = {"regressed": "color:#b2182b;", "improved": "color:#2166ac;"}
OVERALL_STYLE = "font-weight:bold;"
NOTE_STYLE = "font-size:11px;color:#666;font-family:sans-serif;margin-top:2px;"
#: names listed in an ``also`` tooltip
ALSO_SHOWN = 10
#: free-text columns (an outcome's reason, a test's description): cut to the name width in
#: text, with the full text on hover in HTML; the text view drops them last to fit
PROSE = frozenset({"reason", "description"})


def set_display(*, compact: bool | None = None, width: int | None = None) -> None:
    """Set how results of the probe display; arguments left out keep their value.

    Parameters
    ----------
    compact : bool, optional
        False: results display as the plain DataFrames they are (pandas' own
        view, every column); True (the default): the compact view.
    width : int, optional
        Characters the text view tries to fit in (default 120): intervals and
        then long slice names are cut until it does.

    Examples
    --------
    >>> import mlprobe as mp
    >>> mp.set_display(compact=False)
    >>> display_options()["compact"]
    False
    >>> mp.set_display(compact=True)
    """
    if compact is not None:
        _OPTIONS["compact"] = bool(compact)
    if width is not None:
        if isinstance(width, bool) or not isinstance(width, int) or width < 20:
            from mlprobe.errors import ValidationError

            raise ValidationError(f"width: expected a whole number >= 20; received {width!r}.")
        _OPTIONS["width"] = width


def display_options() -> dict[str, Any]:
    """The current display settings (a copy): ``compact``, ``width``, ``name_width``."""
    return dict(_OPTIONS)


def _text_view(frame: pd.DataFrame) -> str | None:
    return compact_text(frame) if _OPTIONS["compact"] else None


def _html_view(frame: pd.DataFrame) -> str | None:
    return compact_html(frame) if _OPTIONS["compact"] else None


# --- the view: columns of cells ------------------------------------------------------------


@dataclass
class _Column:
    """One shown column: its header, its HTML cells and its text cells."""

    header: Cell
    cells: list[Cell]
    text: list[str]
    numeric: bool
    #: the text cells without their interval (None: nothing to drop)
    short: list[str] | None = None
    secondary: bool = False
    #: free text, cut to the name width in the text view (see :data:`PROSE`)
    prose: bool = False

    def __post_init__(self) -> None:
        self.full = self.text


@dataclass
class _View:
    columns: list[_Column]
    index: pd.Index | None  # shown when not the default 0..n-1
    overall: np.ndarray
    faint: np.ndarray
    notes: list[str]
    omitted: int  # rows left out in the middle (after ``head`` rows)
    head: int
    columns_name: Hashable = None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].fillna(False).to_numpy(dtype=bool)


def _bounds(columns: Sequence[Hashable]) -> dict[str, tuple[str, str]]:
    """Value column -> its (low, high) interval columns."""
    names = {c for c in columns if isinstance(c, str)}
    found = {
        c: (f"{c}_ci_low", f"{c}_ci_high")
        for c in names
        if f"{c}_ci_low" in names and f"{c}_ci_high" in names
    }
    if "value" in names and "ci_low" in names and "ci_high" in names:
        found["value"] = ("ci_low", "ci_high")  # find_slices: the loss of the slice
    elif "observed" in names and "ci_low" in names and "ci_high" in names:
        found["observed"] = ("ci_low", "ci_high")  # suite outcomes, history trends
    if {"value_against", "ci_low_against", "ci_high_against"} <= names:
        found["value_against"] = ("ci_low_against", "ci_high_against")  # history regressions
    return found


def _generic(values: Sequence[Any]) -> list[str]:
    return [
        v
        if isinstance(v, str)
        else _moment(v)
        if isinstance(v, pd.Timestamp | datetime)
        else format_number(v)
        for v in values
    ]


def _moment(value: pd.Timestamp | datetime) -> str:
    """A recorded time to the minute (``2026-12-04 20:45``), in its own time zone."""
    return "–" if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")


def _rows(n: int) -> tuple[np.ndarray, int]:
    """Positions of the rows shown (pandas' ``max_rows`` / ``min_rows``) and how many are left out."""
    max_rows = pd.get_option("display.max_rows")
    if max_rows is None or n <= max_rows:
        return np.arange(n), 0
    min_rows = pd.get_option("display.min_rows") or max_rows
    head = max(1, min(min_rows, max_rows) // 2)
    positions = np.r_[np.arange(head), np.arange(n - head, n)]
    return positions, n - 2 * head


def _view(frame: pd.DataFrame) -> _View:
    data = pd.DataFrame(frame)  # plain: column access without the subclass
    attrs = frame.attrs
    positions, omitted = _rows(len(data))
    part = data.iloc[positions]
    columns = list(data.columns)
    bounds = _bounds(columns)
    folded = {c for pair in bounds.values() for c in pair}
    hidden: set[Hashable] = set(folded) | {c for c in FLAGS + INTERNAL if c in columns}
    if "q_value" in columns and "p_value" in columns:
        hidden.add("p_value")
    hidden |= {value for group, (value, _) in EXTREMES.items() if group in columns}
    if "score" in columns and attrs.get("rank_by") not in (None, "sliceline"):
        hidden.add("score")  # SliceLine's score, shown when it is the ranking
    notes: list[str] = []
    if "component" in columns and "metric" in columns and data["component"].equals(data["metric"]):
        hidden.add("component")  # a disparity of one metric: its component is the metric
    for name in CONSTANTS:
        if name in hidden:
            continue
        if name in columns and len(data) and data[name].nunique(dropna=False) == 1:
            hidden.add(name)
            value = data[name].iloc[0]
            if name == "model" and value == "model":
                continue  # the one model of a probe built with model=/predictions=: no news
            notes.append(f"{name} {value if isinstance(value, str) else format_number(value)}")
    confidence = attrs.get("confidence", 0.95)
    if bounds:
        notes.append(f"[...]: {format_level(confidence)} intervals")

    overall = _flag(part, "is_overall")
    faint = _flag(part, "low_support")
    own = _flag(part, "own_predictions")
    if "verdict" in columns:
        faint = faint | (part["verdict"].astype(str) == "too few rows").to_numpy()
    models = attrs.get("models")
    shown: list[_Column] = []
    for name in columns:
        if name in hidden:
            continue
        values = part[name].tolist()
        label = str(name)
        if name == "slice":
            shown.append(_slice_column(values, own))
        elif name in bounds:
            low, high = (part[c].tolist() for c in bounds[name])
            shown.append(_folded_column(label, values, low, high, confidence, models))
        elif name in ("q_value", "p_value"):
            short = "q" if name == "q_value" else "p"
            text = [format_q(v) for v in values]
            title = HELP["by construction"].format(model=attrs.get("model", "the model"))
            cells = [
                Cell("–", title=title) if o else Cell(t) for t, o in zip(text, own, strict=True)
            ]
            text = ["–" if o else t for t, o in zip(text, own, strict=True)]
            shown.append(_Column(Cell(short, HELP["q"] if short == "q" else ""), cells, text, True))
        elif name == "share":
            text = [format_share(v) for v in values]
            shown.append(_Column(Cell("share", HELP["share"]), _cells(text), text, True))
        elif name in SIGNED:
            text = [format_number(v, signed=True) for v in values]
            shown.append(_Column(_header(label, models), _cells(text), text, True))
        elif name == "excess_errors":
            text = [format_number(v if _is_missing(v) else round(v)) for v in values]
            shown.append(_Column(Cell("excess", HELP["excess_errors"]), _cells(text), text, True))
        elif name == "also":
            shown.append(_also_column(values))
        elif name == "excluded":
            shown.append(_also_column(values, header=Cell("excluded", HELP["excluded"]), plus=""))
        elif name in EXTREMES and EXTREMES[name][0] in columns:
            value_column, header = EXTREMES[name]
            text = [
                "–" if _is_missing(g) else f"{g} ({format_number(v)})"
                for g, v in zip(values, part[value_column].tolist(), strict=True)
            ]
            cells = [Cell(t, title=t, style=ELLIPSIS) for t in text]
            shown.append(_Column(Cell(header), cells, text, False))
        elif name in PROSE:
            text = ["" if _is_missing(v) else str(v) for v in values]
            cells = [Cell(s, title=s, style=ELLIPSIS) for s in text]
            shown.append(_Column(_header(label, models), cells, text, False, prose=True))
        elif name == "verdict":
            text = [str(v) for v in values]
            cells = [Cell(t, style=VERDICT_STYLES.get(t, "")) for t in text]
            shown.append(_Column(Cell("verdict", HELP["verdict"]), cells, text, False))
        else:
            is_numeric = pd.api.types.is_numeric_dtype(part[name]) and not (
                pd.api.types.is_bool_dtype(part[name])
            )
            text = _generic(values)
            shown.append(_Column(_header(label, models), _cells(text), text, is_numeric))
    if faint.any():
        text = ["few rows" if f else "" for f in faint]
        cells = [Cell(t, HELP["few rows"]) if t else Cell("") for t in text]
        shown.append(_Column(Cell(""), cells, text, False))
    left_out = [c for c in columns if c in hidden and c not in CONSTANTS]
    if left_out:
        notes.append(f"all {len(columns)} columns: .raw()")
    index = None if _default_index(data.index) else part.index
    head = len(positions) // 2 if omitted else len(positions)
    return _View(shown, index, overall, faint, notes, omitted, head, data.columns.name)


def _default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _cells(text: Sequence[str]) -> list[Cell]:
    return [Cell(t) for t in text]


def _header(name: str, models: Any) -> Cell:
    """A column's header, explained on hover when :data:`HELP` knows it."""
    if models and name in ("value_a", "value_b"):
        model = models[0] if name == "value_a" else models[1]
        return Cell(str(model), f"the metric under {model}")
    if name == "delta" and models:
        return Cell(name, HELP["delta"].format(a=models[0], b=models[1]))
    if name == "impact":
        return Cell(name, HELP["impact"].format(metric="the metric"))
    return Cell(name, HELP.get(name, ""))


def _slice_column(values: Sequence[Any], own: np.ndarray) -> _Column:
    names = [str(v) for v in values]
    cells = [
        Cell(
            name,
            title=name,
            style=ELLIPSIS,
            badge=BADGE if o else "",
            badge_title=HELP["by construction"].format(model="the model") if o else "",
        )
        for name, o in zip(names, own, strict=True)
    ]
    return _Column(Cell("slice"), cells, names, False)


def _folded_column(
    name: str,
    values: Sequence[Any],
    low: Sequence[Any],
    high: Sequence[Any],
    confidence: float,
    models: Any,
) -> _Column:
    """A value with its interval in one cell: ``0.592 [0.551, 0.630]``."""
    signed = name in SIGNED
    short = [format_number(v, signed=signed) for v in values]
    intervals = [format_interval(lo, hi, signed=signed) for lo, hi in zip(low, high, strict=True)]
    text = [s if i == "–" else f"{s} {i}" for s, i in zip(short, intervals, strict=True)]
    header = _header(name, models)
    interval_help = HELP["interval"].format(level=format_level(confidence))
    header = Cell(
        header.text, f"{header.title} [{interval_help}]" if header.title else interval_help
    )
    secondary = name in SECONDARY
    if secondary:  # the interval on hover
        cells = [
            Cell(s, title="" if i == "–" else f"{format_level(confidence)} interval {i}")
            for s, i in zip(short, intervals, strict=True)
        ]
    else:
        cells = _cells(text)
    return _Column(header, cells, text, True, short=short, secondary=secondary)


def _also_column(values: Sequence[Any], header: Cell | None = None, plus: str = "+") -> _Column:
    """A column of name lists (``find_slices``' folded slices, a disparity's excluded groups):
    how many, the first names on hover."""
    lists = [list(v) if isinstance(v, list | tuple | np.ndarray) else [] for v in values]
    text = [f"{plus}{len(names)}" if names else "" for names in lists]
    cells = []
    for t, names in zip(text, lists, strict=True):
        listed = [str(n) for n in names[:ALSO_SHOWN]]
        if len(names) > ALSO_SHOWN:
            listed.append(f"… and {len(names) - ALSO_SHOWN} more")
        cells.append(Cell(t, title="\n".join(listed)))
    return _Column(header or Cell("also", HELP["also"]), cells, text, True)


# --- HTML ----------------------------------------------------------------------------------


def compact_html(frame: pd.DataFrame) -> str:
    """The notebook view of a result: an escaped HTML table and a line of notes.

    Examples
    --------
    >>> import pandas as pd
    >>> html = compact_html(pd.DataFrame({"slice": ["<b>&x"], "q_value": [0.0]}))
    >>> "&lt;b&gt;&amp;x" in html, "&lt; 0.001" in html, "<b>" in html
    (True, True, False)
    """
    view = _view(frame)
    header = [c.header for c in view.columns]
    numeric = [c.numeric for c in view.columns]
    rows = [[c.cells[r] for c in view.columns] for r in range(len(view.overall))]
    styles = [
        (FAINT_STYLE if f else "") + (OVERALL_STYLE if o else "")
        for f, o in zip(view.faint, view.overall, strict=True)
    ]
    titles = [HELP["few rows"] if f else "" for f in view.faint]
    if view.index is not None:
        corner = " / ".join(str(n) for n in view.index.names if n is not None)
        header.insert(0, Cell(corner))
        numeric.insert(0, False)
        for row, label in zip(rows, view.index, strict=True):
            row.insert(0, Cell(str(label), style=FAINT_STYLE))
    if view.omitted:
        gap = [Cell("…") for _ in header]
        rows.insert(view.head, gap)
        styles.insert(view.head, FAINT_STYLE)
        titles.insert(view.head, f"{view.omitted:,} rows not shown")
    table = _table(
        header,
        [list(r) for r in rows],
        numeric=numeric,
        row_styles=styles,
        row_titles=titles,
        css_class="mlprobe-table mlprobe-result",
    )
    notes = list(view.notes)
    if view.omitted:
        notes.insert(0, f"{len(frame):,} rows")
    note = f'<div style="{NOTE_STYLE}">{escape(" · ".join(notes))}</div>' if notes else ""
    return f'<div class="mlprobe-result">{table}{note}</div>'


# --- text ----------------------------------------------------------------------------------


def compact_text(frame: pd.DataFrame) -> str:
    """The terminal view of a result: one line per row, fitted to the display width.

    Free text (an outcome's ``reason``, a test's ``description``) is cut to the name
    width. Until the lines fit ``set_display(width=...)``, intervals are dropped
    (impact and benefit first, then from the right), then the share and excess
    columns, then long slice names are cut, then free text columns are left out, and
    last the interval of the first value (of the change, in a table of ``difference``
    or ``delta``) goes too.
    """
    view = _view(frame)
    width = int(_OPTIONS["width"])
    name_width = int(_OPTIONS["name_width"])
    text = _text(view, name_width)
    droppable = [c for c in view.columns if c.short is not None]
    key = [c for c in droppable if c.header.text in KEY_INTERVALS]
    first = key[0] if key else droppable[0] if droppable else None
    # impact and benefit first, then from the right; the first value's (or the change's)
    # interval last
    order = sorted(
        (c for c in droppable if c is not first),
        key=lambda c: (not c.secondary, -view.columns.index(c)),
    )
    for column in order:
        if _widest(text) <= width:
            break
        assert column.short is not None
        column.text = column.short
        text = _text(view, name_width)
    # then the columns a reader can spare (all still in .raw()), before names get cut
    spare = [c for c in view.columns if c.header.text in SPARE_COLUMNS]
    # then free text (an outcome's reason: still in .raw() and in print(result)), before
    # the first value's interval: the interval is the honest part of the number
    prose = [c for c in view.columns if c.prose]
    tries: list[tuple[int, bool, bool, bool]] = [(name_width, False, False, False)]
    tries += [(name_width, True, False, False)] if spare else []
    tries += [(32, True, False, False), (26, True, False, False)]
    if prose:
        tries += [(name_width, True, False, True), (26, True, False, True)]
    if first is not None and first.short is not None:
        tries += [(n, True, True, bool(prose)) for n in (name_width, 30, 24)]
    shown = list(view.columns)
    for cut, without_spare, drop_first, without_prose in tries:
        view.columns = [
            c
            for c in shown
            if not (without_spare and c in spare) and not (without_prose and c in prose)
        ]
        if first is not None and first.short is not None:
            first.text = first.short if drop_first else first.full
        text = _text(view, cut)
        if _widest(text) <= width:
            break
    return text


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _cut_names(names: Sequence[str], width: int) -> list[str]:
    """Names cut to ``width``: a prefix they all share (``marital_status == '``) goes first,
    so the part that tells them apart stays; then the end of what is still too long.

    Examples
    --------
    >>> _cut_names(["marital_status == 'Married-AF-spouse'", "marital_status == 'Divorced'"], 22)
    ["…'Married-AF-spouse'", "…'Divorced'"]
    >>> _cut_names(["age < 26", "a very long slice name indeed"], 12)
    ['age < 26', 'a very long…']
    >>> _cut_names(["overall", "marital_status == 'Married-civ-spouse'"], 22)
    ['overall', "marital_status == 'Ma…"]
    """
    long = [n for n in names if len(n) > width]
    if not long:
        return list(names)
    others = list(dict.fromkeys(n for n in names if n != "overall"))
    if len(others) < 2:  # one name shares everything with itself: nothing to elide
        others = []
    shared = min(others, key=len) if others else ""
    for name in others:
        while not name.startswith(shared):
            shared = shared[:-1]
    shared = shared[: shared.rfind(" ") + 1]  # whole words: "x == " before "'value'"
    out = []
    for name in names:
        if len(name) > width and len(shared) > 3 and name.startswith(shared):
            name = "…" + name[len(shared) :]
        out.append(name if len(name) <= width else name[: width - 1] + "…")
    return out


def _text(view: _View, name_width: int) -> str:
    n = len(view.overall)
    cells: list[list[str]] = []
    headers: list[str] = []
    for i, column in enumerate(view.columns):
        values = column.text
        if column.header.text == "slice":
            values = _cut_names(values, name_width)
        elif column.prose:
            values = [v if len(v) <= name_width else v[: name_width - 1] + "…" for v in values]
        header = column.header.text
        if not column.numeric:  # left-aligned: pad to one width (pandas right-aligns)
            size = max([len(header), *(len(v) for v in values)])
            header, values = header.ljust(size), [v.ljust(size) for v in values]
        if i or view.index is not None:  # two spaces between columns (pandas puts one)
            header, values = f" {header}", [f" {v}" for v in values]
        headers.append(header)
        cells.append(list(values))
    rows = [[cells[c][r] for c in range(len(cells))] for r in range(n)]
    index: list[Any] = list(view.index) if view.index is not None else list(range(n))
    if view.omitted:
        rows.insert(view.head, ["..."] * len(headers))
        index.insert(view.head, "...")
    shown = pd.DataFrame(rows, columns=headers, index=index, dtype=object)
    if view.index is not None:
        shown.index.names = view.index.names
    shown.columns.name = view.columns_name
    if len(headers) == 0:
        return pd.DataFrame(index=shown.index).to_string()
    text = shown.to_string(index=view.index is not None)
    lines = [line.rstrip() for line in text.splitlines()]
    leading = int(np.argmin(view.overall)) if not view.overall.all() else 0
    if leading and not view.overall[leading:].any():
        at = len(lines) - len(rows) + leading  # after the header lines and the overall rows
        lines.insert(at, "-" * _widest(text))
    notes = view.notes
    if not any(c.short is not None and c.text is not c.short for c in view.columns):
        notes = [note for note in notes if not note.startswith("[...]")]  # no interval shown
    lines += [" · ".join(notes)] if notes else []
    return "\n".join(lines)


# results made anywhere (core, spec, the facade) display through these views once this module
# is loaded, as it is by any probe: core cannot import render, so render plugs its view in
register_views(text=_text_view, html=_html_view)
