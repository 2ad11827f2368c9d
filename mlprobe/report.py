"""The standalone HTML report: what a probe shows, in one file anyone can open offline.

:func:`write_report` (``Probe.report``) computes the tables (overall metrics,
breakdowns, confusion matrices, a comparison of the first and last models, a
suite's outcomes) and hands them to :mod:`mlprobe.render.report_html`, which
lays them out; the file is written atomically. Everything that can go wrong
(arguments, a suite file, a column) goes wrong before anything is written.
"""

from __future__ import annotations

import datetime as dt
import os
import reprlib
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlprobe._version import __version__
from mlprobe.core.analyses.breakdown import overall_rows
from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT, checked
from mlprobe.core.slicing.groups import Bins
from mlprobe.core.slicing.predicates import PREDICTION, Predicate
from mlprobe.core.slicing.slices import Slice
from mlprobe.errors import ValidationError, find_stack_level
from mlprobe.render.report_html import (
    BreakdownSection,
    ComparisonSection,
    ComparisonView,
    ConfusionView,
    HistoryView,
    ReportContent,
    ReportFacts,
    SuiteView,
    WorstSlice,
    bad_gap,
    render_report,
)
from mlprobe.spec.files import write_atomic
from mlprobe.spec.history_store import RunHistory
from mlprobe.spec.suite import Suite

if TYPE_CHECKING:
    from mlprobe.core.evaluator import ExplorableProbe as Probe
    from mlprobe.core.evaluator import SliceLike

__all__ = ["write_report"]

#: Suffixes a browser opens as a web page; another suffix gets a warning.
HTML_SUFFIXES = (".html", ".htm")
_OVERALL = "overall"
# a slice of every row: its breakdown's "overall" rows are the report's overall metrics
# (a breakdown over no slice at all cannot give resampled intervals yet)
_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80


@checked("confidence", "min_support")
def write_report(
    probe: Probe,
    path: str | os.PathLike[str],
    *,
    by: str | Sequence[str | Sequence[str]] | None = None,
    slices: Sequence[SliceLike] | None = None,
    bins: Bins = None,
    metrics: Sequence[str] | str | None = None,
    suite: Suite | str | os.PathLike[str] | None = None,
    title: str | None = None,
    confidence: float = CONFIDENCE,
    min_support: int = MIN_SUPPORT,
    history: str | os.PathLike[str] | None = None,
) -> Path:
    """Write one self-contained HTML report of ``probe`` to ``path``; return the path.

    The file needs no kernel, no network and no other file: no script, the CSS
    in the page, charts as SVG images inlined as ``data:`` URIs, every name and
    value HTML-escaped. It shows, in order:

    - a header (title, date, rows, task, target, models, classes, settings),
      an *at a glance* summary and a paragraph on how to read intervals,
      gaps, q-values and the low-support flag;
    - every metric on all rows, per model;
    - one section per ``by`` entry and one for ``slices``: a chart of the first
      metric per slice (the 40 worst) and the breakdown table, worst first,
      with every metric in a collapsible table; a ``by`` section also gives the
      disparity between its groups (``Probe.disparity``) in the first metric and,
      on a binary task with a positive class, in selection rate (demographic
      parity) and error rates (equalized odds);
    - classification: each model's confusion matrix (heatmap and counts), and
      that of the report's worst slice: the slice with at least
      ``min_support`` rows furthest below the rest on the first metric;
    - several models: the last model against the first on the same slices
      (paired deltas, verdicts, a chart) and the rows that flipped;
    - ``suite``: its outcomes and counts.

    Without ``by`` and ``slices`` the report holds the overall metrics and
    confusion matrices only.

    Parameters
    ----------
    probe : Probe
    path : str or path
        The file to write, normally ending in ``.html`` (another suffix is
        written too, with a warning). Missing folders are created.
    by : str, tuple of str or list, optional
        Columns to break down by. A str is one section; a list gives one section
        per entry; a tuple crosses its columns in one section, e.g.
        ``by=["sex", ("sex", "race")]``.
    slices : list of Slice, predicate or str, optional
        Slices for a section of their own (str is parsed with ``Slice.parse``).
    bins : int or list of float, optional
        How numeric ``by`` columns are binned (see ``Probe.breakdown``).
    metrics : str or list of str, optional
        The metrics of the tables; the first gets the gap, q-value, chart and
        comparison. Default: the task's defaults (accuracy first, or mae).
    suite : Suite, str or path, optional
        A suite, or a suite file, to run on the probe: on its model, or with
        several models on the last one (tests naming a model use theirs).
    title : str, optional
        Default ``"mlprobe report: <target name>"`` (or the model names).
    confidence : float
        Level of the intervals; ``1 - confidence`` is the q-value threshold.
    min_support : int
        Slices with fewer rows are flagged and never chosen as the worst slice.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValidationError
        An argument of the wrong type (named in the message).
    mlprobe.SuiteFileError
        ``suite`` is a path and the file is missing or invalid.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> import mlprobe as mp
    >>> df = pd.DataFrame({"group": list("aabbbbcc") * 20,
    ...                    "y": [1, 0, 1, 1, 0, 0, 1, 0] * 20,
    ...                    "p": [1, 1, 1, 0, 0, 0, 1, 0] * 20})
    >>> probe = mp.Probe(df, target="y", predictions="p")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = probe.report(Path(folder) / "report.html", by="group", title="Demo")
    ...     page = path.read_text(encoding="utf-8")
    >>> path.name, "<script" in page, page.count('src="data:image/svg+xml;base64,')
    ('report.html', False, 3)
    """
    target = _check_path(path)
    sections = _by_sections(by)
    slice_list = _slice_list(slices)
    if bins is not None and not sections:
        raise ValidationError("bins: applies to by= columns; pass by= as well, or drop bins.")
    if title is not None and not isinstance(title, str):
        raise ValidationError(
            f"title: expected a str or None; received {_short.repr(title)} "
            f"({type(title).__name__})."
        )
    loaded_suite = _load_suite(suite)
    recorded = None if history is None else _history(history, loaded_suite)
    content = _content(
        probe,
        sections,
        slice_list,
        bins=bins,
        settings={"metrics": metrics, "confidence": confidence, "min_support": min_support},
        suite=loaded_suite,
        title=title,
    )
    if recorded is not None:
        content = replace(content, history=recorded)
    write_atomic(target, render_report(content))
    return target


#: trend charts drawn in a report's history section (the tables hold every test)
MAX_TRENDS = 12


def _history(history: object, suite: Suite | None) -> HistoryView:
    """The recorded runs of ``suite`` (of every suite without one) in the run store ``history``."""
    if not isinstance(history, str | os.PathLike):
        raise ValidationError(
            "history: expected the path (or SQLAlchemy URL) of a run store written by "
            f"suite.run(probe, record=..., version=...); received {_short.repr(history)} "
            f"({type(history).__name__})."
        )
    reader = RunHistory(history)
    try:
        recorded = set(reader.suites())
        name = suite.name if suite is not None and suite.name in recorded else None
        observed = reader.matrix(suite=name, value="observed")
        outcomes = reader.matrix(suite=name, value="outcome")
        columns = [str(c) for c in observed.columns]
        trends = {}
        for column in columns[:MAX_TRENDS]:
            owner, _, test_id = column.rpartition("/") if name is None else ("", "", column)
            trends[column] = reader.trend(test_id or column, suite=name or owner or None)
    finally:
        reader.close()
    return HistoryView(
        source=str(history),
        suite=name,
        observed=observed,
        outcomes=outcomes,
        trends=trends,
        more=max(0, len(columns) - MAX_TRENDS),
    )


def _content(
    probe: Probe,
    sections: list[tuple[str, ...]],
    slice_list: list[Any],
    *,
    bins: Bins,
    settings: dict[str, Any],
    suite: Suite | None,
    title: str | None,
) -> ReportContent:
    """Compute everything the report shows (this is where a bad column or metric raises)."""
    models = list(probe.models)
    overall = probe.breakdown(**settings)  # no slices: the overall rows only
    metric_names = [str(m) for m in overall.attrs["metrics"]]
    breakdowns: list[BreakdownSection] = []
    for i, columns in enumerate(sections):
        frame = probe.breakdown(by=list(columns), bins=bins, **settings)
        disparity = _disparity(probe, list(columns), bins, metric_names[0], settings)
        breakdowns.append(BreakdownSection(f"by-{i + 1}", _by_title(columns), frame, disparity))
    if slice_list:
        frame = probe.breakdown(slices=slice_list, **settings)
        breakdowns.append(BreakdownSection("slices", "slices", frame))

    classification = probe.task != "regression"
    confusions: list[ConfusionView] = []
    worst = None
    if classification:
        several = len(models) > 1
        confusions = [
            ConfusionView(f"all rows: {m}" if several else "all rows", m, probe.confusion(model=m))
            for m in models
        ]
        worst = _worst_slice(probe, breakdowns, metric_names[0], models)
    comparison = None
    if len(models) > 1:
        own = list(breakdowns[-1].frame.attrs["slices"].values()) if slice_list else []
        comparison = _comparison(
            probe, models[0], models[-1], sections, own, bins, metric_names[0], settings
        )
    facts = ReportFacts(
        title=title if title is not None else _default_title(probe, models),
        generated=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        n_rows=probe.n_rows,
        task=str(probe.task),
        target=probe.target_name,
        models=models,
        classes=list(probe.classes) if classification else [],
        metrics=metric_names,
        confidence=float(overall.attrs["confidence"]),
        min_support=int(settings["min_support"]),
        version=__version__,
    )
    notes = []
    if not breakdowns:
        notes.append(
            "No breakdown was asked for: pass by= (columns) or slices= to report() for "
            "per-slice sections."
        )
    return ReportContent(
        facts=facts,
        overall=overall,
        sections=breakdowns,
        confusions=confusions,
        worst=worst,
        comparison=comparison,
        suite=None if suite is None else _run_suite(probe, suite, models),
        notes=notes,
        priorities=_priorities(probe, breakdowns, metric_names[0], settings),
    )


def _disparity(
    probe: Probe, by: list[str], bins: Bins, metric: str, settings: dict[str, Any]
) -> pd.DataFrame:
    """The largest gap between the groups of ``by`` in the first metric and, on a binary task
    with a positive class, in selection rate and in error rates (equalized odds)."""
    options = {k: v for k, v in settings.items() if k != "metrics"}
    metrics = [metric]
    if probe.task == "binary" and probe.positive is not None:
        metrics += ["demographic_parity", "equalized_odds"]
    return probe.disparity(by, metrics, bins=bins, **options)


def _priorities(
    probe: Probe, breakdowns: list[BreakdownSection], metric: str, settings: dict[str, Any]
) -> pd.DataFrame | None:
    """Every section's slices ranked by what fixing each buys of the first metric (one call,
    so their q-values count them all), or None without slices."""
    chosen = {name: s for b in breakdowns for name, s in b.frame.attrs["slices"].items()}
    directions = breakdowns[0].frame.attrs.get("directions", {}) if breakdowns else {}
    direction = directions.get(metric, {})
    if not chosen or (
        direction.get("higher_is_better", True) is None and direction.get("ideal") is None
    ):
        return None  # nothing to fix first on a metric with no better direction

    options = {k: v for k, v in settings.items() if k != "metrics"}
    return probe.priorities(slices=list(chosen.values()), metric=metric, **options)


# --- arguments ------------------------------------------------------------------------------


def _check_path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(
            f"path: expected a file path such as 'report.html'; received {_short.repr(path)} "
            f"({type(path).__name__})."
        )
    target = Path(path)
    if target.is_dir():
        raise ValidationError(
            f"path: {str(target)!r} is a folder; name a file in it, e.g. "
            f"{str(target / 'report.html')!r}."
        )
    if target.suffix.lower() not in HTML_SUFFIXES:
        warnings.warn(
            f"path: {str(target)!r} does not end in .html; the report is HTML, which a browser "
            "opens by that suffix. Writing it anyway.",
            UserWarning,
            stacklevel=find_stack_level(),
        )
    return target


def _columns(value: object, where: str) -> tuple[str, ...]:
    """A str or a tuple/list of str (crossed columns), as a tuple of column names."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and value and all(isinstance(c, str) for c in value):
        return tuple(value)
    raise ValidationError(
        f"{where}: expected a column name, or a tuple of column names to cross; received "
        f"{_short.repr(value)} ({type(value).__name__}). For example by=['sex', ('sex', 'race')]."
    )


def _by_sections(by: object) -> list[tuple[str, ...]]:
    """``by`` as the sections' columns: one tuple per section, duplicates dropped."""
    if by is None:
        return []
    if isinstance(by, str | tuple):
        return [_columns(by, "by")]
    if not isinstance(by, list):
        raise ValidationError(
            "by: expected a column name, a list of them (one section each) or a tuple "
            f"(crossed columns); received {_short.repr(by)} ({type(by).__name__})."
        )
    sections: list[tuple[str, ...]] = []
    for i, item in enumerate(by):
        columns = _columns(item, f"by[{i}]")
        if columns not in sections:
            sections.append(columns)
    return sections


def _slice_list(slices: object) -> list[Any]:
    if slices is None:
        return []
    if isinstance(slices, str | Slice | Predicate):
        raise ValidationError(
            f"slices: expected a list of slices; received one {type(slices).__name__} "
            f"({_short.repr(slices)}). Wrap it in a list: slices=[...]."
        )
    if not isinstance(slices, Sequence):
        raise ValidationError(
            "slices: expected a list of Slice objects, predicates or expression strings; "
            f"received {_short.repr(slices)} ({type(slices).__name__})."
        )
    return list(slices)


def _load_suite(suite: object) -> Suite | None:
    if suite is None or isinstance(suite, Suite):
        return suite
    if isinstance(suite, str | os.PathLike):
        return Suite.load(suite)
    raise ValidationError(
        "suite: expected a Suite or the path of a suite file (.mlprobe.yaml); received "
        f"{_short.repr(suite)} ({type(suite).__name__})."
    )


# --- content ------------------------------------------------------------------------------


def _default_title(probe: Probe, models: list[str]) -> str:
    name = probe.target_name if probe.target_name is not None else ", ".join(models)
    return f"mlprobe report: {name}"


def _by_title(columns: tuple[str, ...]) -> str:
    return "by " + " × ".join(columns)


def _worst_slice(
    probe: Probe, sections: list[BreakdownSection], metric: str, models: list[str]
) -> WorstSlice | None:
    """The slice row furthest below the rest on ``metric``, among slices with enough rows."""
    best: tuple[float, BreakdownSection, dict[str, Any]] | None = None
    for section in sections:
        frame = section.frame
        worse = bad_gap(frame, metric).to_numpy(dtype=float)
        eligible = (
            ~overall_rows(frame)
            & ~frame["low_support"].to_numpy(dtype=bool)
            & (frame["n"].to_numpy() > 0)
            & np.isfinite(worse)
            & (worse > 0)
        )
        for i in np.flatnonzero(eligible):
            if best is None or worse[i] > best[0]:
                best = (float(worse[i]), section, {str(k): v for k, v in frame.iloc[i].items()})
    if best is None:
        return None
    amount, section, record = best
    name = str(record["slice"])
    chosen = section.frame.attrs["slices"][name]
    return WorstSlice(
        section=section.title,
        slice=name,
        model=str(record["model"]),
        metric=metric,
        value=float(record[metric]),
        gap=amount,
        q_value=float(record["q_value"]),
        n=int(record["n"]),
        confusions=[
            ConfusionView(
                f"{name}: {m}" if len(models) > 1 else name, m, probe.confusion(chosen, model=m)
            )
            for m in models
        ],
    )


def _comparison(
    probe: Probe,
    a: str,
    b: str,
    sections: list[tuple[str, ...]],
    slice_list: list[Slice],
    bins: Bins,
    metric: str,
    settings: dict[str, Any],
) -> ComparisonView:
    """Model ``b`` against ``a`` on the report's slices (or on all rows only)."""
    options = {
        "metric": metric,
        "confidence": settings["confidence"],
        "min_support": settings["min_support"],
    }
    parts = [
        ComparisonSection(
            _by_title(columns), probe.compare(a, b, by=list(columns), bins=bins, **options)
        )
        for columns in sections
    ]
    if slice_list:
        paired = [s for s in slice_list if PREDICTION not in s.columns()]
        left_out = [s.name for s in slice_list if PREDICTION in s.columns()]
        note = (
            f"Left out (they select different rows per model): {', '.join(left_out)}."
            if left_out
            else ""
        )
        if paired:
            parts.append(
                ComparisonSection("slices", probe.compare(a, b, slices=paired, **options), note)
            )
    if not parts:
        parts.append(ComparisonSection("all rows", probe.compare(a, b, **options)))
    flips = probe.flips(a, b) if probe.task != "regression" else None
    return ComparisonView(a, b, parts[0].frame["metric"].iloc[0], parts, flips)


def _run_suite(probe: Probe, suite: Suite, models: list[str]) -> SuiteView:
    model = models[-1]
    if len(models) == 1:
        note = f"Run on the probe's model {model!r}."
    else:
        note = (
            f"Run on model {model!r}, the last of the probe's models ({', '.join(models)}); "
            "tests that name a model use theirs."
        )
    result = suite.run(probe, model=model)
    return SuiteView(
        name=suite.name,
        model=model,
        model_note=note,
        counts=result.counts(),
        passed=result.passed,
        result_html=result._repr_html_(),
        outcomes=result.outcomes,
    )
