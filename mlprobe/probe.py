"""The :class:`Probe`: an evaluation table plus one or more models' outputs.

One facade over any backend (:class:`mlprobe.core.backend.Backend`): rows in
memory (:class:`mlprobe.engines.memory.MemoryBackend`, built by ``Probe(data, ...)``),
or in DuckDB or Spark (``Probe.from_parquet``, ``from_duckdb``, ``from_spark``).
It checks the arguments, resolves models, slices and metrics once, and asks the
backend only for counts, sums, ranks and rows; tables, intervals and tests are
computed by the same core code for every backend. It never copies or changes
the user's table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlprobe.core.analyses.breakdown import (
    BreakdownRequest,
    breakdown_table,
    metric_summary,
    priorities_table,
)
from mlprobe.core.analyses.comparison import compare_table, flips_from_joint
from mlprobe.core.analyses.confusion import check_normalize, confusion_frame
from mlprobe.core.analyses.discovery import (
    DiscoveryRequest,
    choose_loss,
    default_min_support,
    run_discovery,
)
from mlprobe.core.analyses.disparity import (
    SUMMARIES,
    DisparityRequest,
    disparity_table,
    stack_disparities,
)
from mlprobe.core.analyses.profiles import ColumnProfile
from mlprobe.core.arguments import CONFIDENCE, MIN_SUPPORT, checked
from mlprobe.core.backend import Backend, ByGroups
from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.evaluator import SliceLike
from mlprobe.core.intake.labels import Task
from mlprobe.core.metrics import (
    Metric,
    available_metrics,
    default_positive,
    resolve_metric,
    resolve_metrics,
)
from mlprobe.core.metrics.scores import RocAuc
from mlprobe.core.slicing._discretize import check_bin_count
from mlprobe.core.slicing.groups import Bins
from mlprobe.core.slicing.predicates import (
    PREDICTION,
    prediction_column,
)
from mlprobe.core.slicing.slices import Slice, as_slice, check_unique_names
from mlprobe.engines.memory import MemoryBackend
from mlprobe.errors import ValidationError, did_you_mean
from mlprobe.extras import require_extra
from mlprobe.render.display import as_result

__all__ = ["Probe"]


if TYPE_CHECKING:
    from mlprobe.spec.suite import Suite


class Probe:
    """Wrap an evaluation table and a model (or its predictions) to find where it fails.

    Parameters
    ----------
    data : pandas.DataFrame
        The evaluation table, one row per example (polars and pyarrow tables
        are converted). Never modified.
    target : str or array-like
        The column holding the true labels (or values), or the labels themselves.
    model : estimator or dict of str to estimator, optional
        Anything with ``predict`` (and ``predict_proba``, which gives scores).
        A dict compares several versions, e.g. ``{"v1": m1, "v2": m2}``;
        a single model is named ``"model"``.
    predictions : str, array-like or dict, optional
        Instead of ``model``: a column name or array of predictions, or a dict
        of them by model name.
    scores : array-like, list of str or dict, optional
        Class probabilities: an ``n x K`` array (classes in sorted order), the
        names of K probability columns, a 1-d array of the positive class's
        probability (binary), or a dict of those by model name. Enables
        ``roc_auc``, ``log_loss`` and ``brier``.
    task : {"binary", "multiclass", "regression"}, optional
        Inferred when None (see :func:`mlprobe.core.intake.labels.encode_labels`).
    features : list of str, optional
        Columns handed to ``model.predict``. Default: the columns the model
        was fit on (``feature_names_in_``), else all but the target,
        prediction and score columns.
    positive : label, optional
        Binary tasks: the positive class, which the bare metric names
        (``recall``, ``precision``, ``f1``, ``fpr``, ``fnr``, ``tnr``, ``npv``,
        ``selection_rate``, ``prevalence``) mean. Default: ``1`` or ``True``
        when it is a class; otherwise those names ask for it.
    auc_bins : None
        Engines only (:meth:`from_parquet`); in memory ROC AUC is always exact.

    Slices may use the reserved columns ``@target`` (the true label) and
    ``@prediction`` (the prediction of the model being evaluated;
    ``@prediction[v2]`` names one model), for example
    ``Slice.parse("@target == 'cat' and @prediction == 'dog'")``.

    Examples
    --------
    >>> import pandas as pd
    >>> import mlprobe as mp
    >>> df = pd.DataFrame({"sex": ["F", "M", "F", "M"], "y": [1, 0, 1, 1], "p": [0, 0, 1, 1]})
    >>> probe = mp.Probe(df, target="y", predictions="p")
    >>> probe.task, probe.models, probe.classes
    ('binary', ['model'], [0, 1])
    >>> probe.breakdown(by="sex", metrics=["accuracy"])[["slice", "n", "accuracy"]]
               slice  n  accuracy
    0        overall  4      0.75
    1  sex == 'F'  2      0.50
    2  sex == 'M'  2      1.00
    """

    _backend: Backend

    def __init__(
        self,
        data: Any,
        *,
        target: Any,
        model: Any = None,
        predictions: Any = None,
        scores: Any = None,
        task: str | None = None,
        features: Sequence[str] | None = None,
        positive: Any = None,
        auc_bins: int | None = None,
    ) -> None:
        if auc_bins is not None:
            raise ValidationError(
                "auc_bins: binned ROC AUC is an option of the engines (Probe.from_parquet, "
                "from_duckdb, from_spark), where the exact AUC of many distinct scores costs "
                f"a sort of the whole table; in memory the exact AUC is cheap. Drop auc_bins="
                f"{auc_bins!r}."
            )
        self._backend = MemoryBackend(
            data,
            target=target,
            model=model,
            predictions=predictions,
            scores=scores,
            task=task,
            features=features,
        )
        self._positive = self._checked_positive(positive)

    @classmethod
    def _over(cls, backend: Backend, positive: Any = None) -> Probe:
        """A probe whose rows live in ``backend`` (an engine's, or another)."""
        probe = cls.__new__(cls)
        probe._backend = backend
        probe._positive = probe._checked_positive(positive)
        return probe

    def _checked_positive(self, positive: Any) -> Any:
        """``positive=`` as one of the classes (matched as text too), or the default."""
        if positive is None:
            return default_positive(self.classes) if self.task == "binary" else None
        if self.task != "binary":
            raise ValidationError(
                f"positive: applies to binary tasks; this probe's task is {self.task!r}"
                + (
                    f". Name the class in each metric instead, e.g. 'recall[{self.classes[-1]}]'."
                    if self.classes
                    else "."
                )
            )
        for label in self.classes:
            if label == positive or str(label) == str(positive):
                return label
        raise ValidationError(
            f"positive: {positive!r} is not a class of this probe; its classes are "
            f"{self.classes}. Pass one of them."
        )

    @classmethod
    def from_parquet(
        cls,
        path: str | os.PathLike[str],
        *,
        target: str,
        predictions: str | dict[str, str],
        scores: Any = None,
        task: str | None = None,
        positive: Any = None,
        auc_bins: int | None = None,
        memory_limit: str | None = None,
    ) -> Probe:
        """A probe over Parquet files (a path or a glob) that DuckDB scans where they are.

        Breakdowns, confusion matrices, metrics, comparisons and ``Suite.run`` give
        the same numbers as an in-memory probe on the same rows, from counts and
        sums computed in one scan per 50 slices (ROC AUC: one sort of narrow rows per
        class for all slices, merged in batches); the rows are never loaded into Python
        at once, so tables far beyond memory work. Needs ``pip install 'mlprobe[duckdb]'``.

        Parameters
        ----------
        path : str or path
            A Parquet file, or a glob such as ``"eval/*.parquet"``.
        target : str
            The column of true labels (classification) or values (regression).
        predictions : str or dict of str to str
            The prediction column, or ``{model name: column}``.
        scores : str, list of str, or dict, optional
            Class probability columns, for ``roc_auc``, ``log_loss`` and ``brier``:
            the positive class's column (binary), or one column per class in the
            order of ``probe.classes``; ``{model name: columns}`` with several models.
        task : {"binary", "multiclass", "regression"}, optional
            Inferred from the columns as for ``Probe(...)`` when None.
        positive : label, optional
            Binary tasks: the positive class, as for ``Probe(...)``.
        auc_bins : int, optional
            ROC AUC from the scores cut into this many equal-width bins of [0, 1] (e.g.
            ``100_000``), for speed: pairs in one bin count half, so each AUC is within
            ``(share of its positive-negative pairs in one bin) / 2`` of the exact value;
            a breakdown with ``roc_auc`` lists each group's bound in
            ``attrs["auc_error_bounds"]`` (records: model, class, slice, bound,
            rest_bound). Default: exact.
        memory_limit : str, optional
            DuckDB's memory limit (default ``"1GB"``); beyond it DuckDB spills to a
            temporary folder, removed with the probe.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import pandas as pd
        >>> import mlprobe as mp
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "eval.parquet"
        >>> pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1], "p": [1, 1, 1]}).to_parquet(path)
        >>> probe = mp.Probe.from_parquet(path, target="y", predictions="p")
        >>> probe.breakdown(by="g", metrics=["accuracy"])[["slice", "n", "accuracy"]]
                slice  n  accuracy
        0     overall  3  0.666667
        1  g == 'a'  1  1.000000
        2  g == 'b'  2  0.500000
        """
        require_extra("duckdb", what="Probe.from_parquet")
        from mlprobe.engines.duckdb_source import DuckDBSource
        from mlprobe.engines.sql_backend import SqlBackend

        return cls._over(
            SqlBackend(
                DuckDBSource(path, memory_limit=memory_limit),
                target=target,
                predictions=predictions,
                scores=scores,
                task=task,
                auc_bins=auc_bins,
            ),
            positive,
        )

    @classmethod
    def from_duckdb(
        cls,
        data: Any,
        *,
        target: str,
        predictions: str | dict[str, str],
        scores: Any = None,
        task: str | None = None,
        connection: Any = None,
        positive: Any = None,
        auc_bins: int | None = None,
        memory_limit: str | None = None,
    ) -> Probe:
        """A probe over a DuckDB relation, an Arrow table or a pandas DataFrame, counted by DuckDB.

        The same methods and numbers as :meth:`from_parquet`. ``connection`` is the
        DuckDB connection to register the table on (a new one by default); the
        probe registers it under a fresh name of its own and touches nothing else
        of the connection's (``memory_limit`` applies to a connection the probe opens
        itself). ``auc_bins`` as for :meth:`from_parquet`.

        Examples
        --------
        >>> import pandas as pd
        >>> import mlprobe as mp
        >>> frame = pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1], "p": [1, 1, 1]})
        >>> mp.Probe.from_duckdb(frame, target="y", predictions="p").metric("accuracy")["value"]
        0.6666666666666666
        """
        require_extra("duckdb", what="Probe.from_duckdb")
        from mlprobe.engines.duckdb_source import DuckDBSource
        from mlprobe.engines.sql_backend import SqlBackend

        source = DuckDBSource(data, connection=connection, memory_limit=memory_limit)
        return cls._over(
            SqlBackend(
                source,
                target=target,
                predictions=predictions,
                scores=scores,
                task=task,
                auc_bins=auc_bins,
            ),
            positive,
        )

    @classmethod
    def from_spark(
        cls,
        dataframe: Any,
        *,
        target: str,
        predictions: str | dict[str, str],
        scores: Any = None,
        task: str | None = None,
        positive: Any = None,
        auc_bins: int | None = None,
    ) -> Probe:
        """A probe over a Spark DataFrame (Spark Connect included), counted by Spark.

        The same methods and numbers as :meth:`from_parquet`; the counts are one
        Spark SQL query per 50 slices, values bound as parameters (Spark 3.5+);
        ``auc_bins`` as for :meth:`from_parquet`.
        Needs ``pip install 'mlprobe[spark]'`` and Java.
        """
        require_extra("spark", what="Probe.from_spark")
        from mlprobe.engines.spark_source import SparkSource
        from mlprobe.engines.sql_backend import SqlBackend

        return cls._over(
            SqlBackend(
                SparkSource(dataframe),
                target=target,
                predictions=predictions,
                scores=scores,
                task=task,
                auc_bins=auc_bins,
            ),
            positive,
        )

    # --- what the probe holds ---------------------------------------------------

    @property
    def data(self) -> pd.DataFrame:
        """The evaluation table (the user's own frame, not a copy; in memory only)."""
        return self._backend.data

    @property
    def task(self) -> Task:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        return self._backend.task

    @property
    def classes(self) -> list[Any]:
        """Class labels in the order of confusion matrices (empty for regression)."""
        return list(self._backend.classes)

    @property
    def models(self) -> list[str]:
        """Model names."""
        return list(self._backend.models)

    @property
    def positive(self) -> Any:
        """Binary tasks: the positive class the bare metric names mean (None: none chosen).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"y": ["no", "yes"], "p": ["yes", "yes"]})
        >>> Probe(df, target="y", predictions="p", positive="yes").positive
        'yes'
        >>> Probe(df.replace({"no": 0, "yes": 1}), target="y", predictions="p").positive
        1
        """
        return self._positive

    @property
    def target_name(self) -> str | None:
        """The target column's name (None when the labels were passed as an array)."""
        return self._backend.target_name

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self._backend.n_rows

    @property
    def columns(self) -> list[str]:
        """Columns a slice may use: the data's, then ``@target`` and the prediction columns.

        ``@prediction`` is listed when there is one model; ``@prediction[name]``
        names each model's predictions.
        """
        return self._backend.columns()

    def describe_column(self, name: str) -> ColumnProfile:
        """A column's levels with their row counts, or its range (see :class:`ColumnProfile`).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"g": ["a", "b", "b"], "y": [1, 0, 1]}), target="y", predictions="y")
        >>> probe.describe_column("g").levels
        [('b', 2), ('a', 1)]
        """
        if not isinstance(name, str):
            raise ValidationError(f"name: expected a column name; received {name!r}.")
        if name == PREDICTION and len(self.models) > 1:
            raise ValidationError(
                f"name: '{PREDICTION}' differs between the models {self.models}; "
                f"describe one model's, e.g. '{prediction_column(self.models[0])}'."
            )
        return self._backend.describe_column(name)

    def available_metrics(self) -> list[str]:
        """Metric names this probe can compute (scores-based ones only when it has scores).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> Probe(pd.DataFrame({"y": [1.5, 2.0]}), target="y", predictions="y").available_metrics()[:3]
        ['mae', 'mse', 'rmse']
        """
        names = []
        for name in available_metrics(self.task, self.classes, self.positive):
            try:
                self._metrics([name], self.models)
            except ValidationError:  # needs scores this probe lacks
                continue
            names.append(name)
        return names

    def __repr__(self) -> str:
        where = self._backend.description
        return (
            f"<mlprobe.Probe: {self.n_rows} rows"
            + ("" if where == "memory" else f" in {where}")
            + f", task={self.task!r}, models={self.models}"
            + (f", classes={self.classes}" if self.classes else "")
            + ">"
        )

    def nbytes(self) -> int:
        """Bytes of the arrays the probe holds of its own (not views of the user's data).

        This includes the masks of recently used slices (at most 64 MB, dropped
        least recently used first), which make asking about them again free.
        """
        return self._backend.nbytes()

    # --- models, slices and metrics of a call ---------------------------------------

    def _check_model(self, model: object, argument: str = "model") -> str:
        if model is None:
            if len(self.models) > 1:
                raise ValidationError(
                    f"{argument}: this probe has several models {self.models}; name one, "
                    f"e.g. {argument}={self.models[0]!r}."
                )
            return self.models[0]
        if model not in self.models:
            raise ValidationError(
                f"{argument}: unknown model {model!r}.{did_you_mean(str(model), self.models)}"
                f" Models: {self.models}."
            )
        return str(model)

    def _models(self, model: str | Sequence[str] | None) -> list[str]:
        if model is None:
            return self.models
        names = [model] if isinstance(model, str) else list(model)
        return [self._check_model(m) for m in names]

    def mask(self, slice: SliceLike, *, model: str | None = None) -> np.ndarray:
        """Bool mask of the rows in ``slice`` (``model`` resolves ``@prediction``).

        ``model`` is needed only for a slice on ``@prediction`` of a probe with several models.

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"y": ["a", "b"], "p": ["a", "a"]}), target="y", predictions="p")
        >>> probe.mask("@target == 'b' and @prediction == 'a'").tolist()
        [False, True]
        """
        chosen = as_slice(slice)
        if PREDICTION not in chosen.columns() and model is None:
            return self._backend.mask(chosen, None)  # the same for every model
        return self._backend.mask(chosen, self._check_model(model))

    def check_slice(self, slice: SliceLike, *, model: str | None = None) -> Slice:
        """Check that ``slice`` can be evaluated on this probe, cheaply, on every backend.

        Raises what counting it would raise -- :class:`~mlprobe.errors.ColumnNotFoundError`
        for a column the data lacks, :class:`~mlprobe.errors.ValidationError` for a value of
        the wrong type -- without counting anything on an engine (the slice is compiled to
        SQL, not run). ``model`` is needed only for ``@prediction`` with several models.

        Returns
        -------
        Slice
            The slice (parsed, when given as text).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"g": ["a", "b"], "y": [1, 0]}), target="y", predictions="y")
        >>> probe.check_slice("g == 'a'").name
        "g == 'a'"
        >>> probe.check_slice("g == 1")
        Traceback (most recent call last):
        ...
        mlprobe.errors.ValidationError: in g == 1: column 'g' holds text values ('a', 'b', ...), ...
        """
        chosen = as_slice(slice)
        if PREDICTION not in chosen.columns() and model is None:
            self._backend.check_slice(chosen, None)
        else:
            self._backend.check_slice(chosen, self._check_model(model))
        return chosen

    def _named_prediction_columns(self, by: str | Sequence[str], models: list[str]) -> list[str]:
        """``by`` with '@prediction' spelt as the one model's '@prediction[name]'."""
        columns = [by] if isinstance(by, str) else list(by)
        if PREDICTION not in columns:
            return columns
        if len(models) > 1:
            raise ValidationError(
                f"by: '{PREDICTION}' differs between the models {models}; group by one model's "
                f"predictions, e.g. by='{prediction_column(models[0])}', or pass model=."
            )
        return [prediction_column(models[0]) if c == PREDICTION else c for c in columns]

    def _by_columns(self, by: str | Sequence[str] | None, models: list[str]) -> list[str] | None:
        """``by`` as a checked list of column names, '@prediction' named for one model."""
        if by is None:
            return None
        columns = self._named_prediction_columns(by, models)
        for c in columns:
            if not isinstance(c, str):
                raise ValidationError(f"by: expected column names; received {c!r}.")
        if not columns:
            raise ValidationError("by: received an empty list; name at least one column.")
        return columns

    def _call_slices(
        self,
        by: str | Sequence[str] | None,
        slices: Sequence[SliceLike] | None,
        bins: Bins,
        models: list[str],
    ) -> tuple[list[Slice], ByGroups]:
        """A call's slices (its own, then ``by``'s groups), names checked before any counting,
        and the ``by`` columns and bins the backend may count as one partition."""
        if bins is not None and by is None:
            raise ValidationError("bins: applies to by= columns; pass by= as well, or drop bins.")
        chosen = [as_slice(s) for s in (slices or [])]
        columns = self._by_columns(by, models)
        if columns is not None:
            chosen += self._backend.groups(columns, bins)
        check_unique_names(chosen)
        return chosen, None if columns is None else (columns, bins)

    def _metrics(self, names: Sequence[str] | str | None, models: list[str]) -> list[Metric]:
        has_scores = all(self._backend.has_scores(m) for m in models)
        return resolve_metrics(
            names,
            task=self.task,
            classes=self.classes,
            has_scores=has_scores,
            positive=self.positive,
        )

    # --- the questions --------------------------------------------------------------

    @checked("confidence", "min_support")
    def breakdown(
        self,
        by: str | Sequence[str] | None = None,
        *,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metrics: Sequence[str] | str | None = None,
        model: str | Sequence[str] | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """Metrics with confidence intervals per slice and model, each slice tested against the rest.

        Parameters
        ----------
        by : str or list of str, optional
            Group by a column, or by crossed columns. Numeric columns are binned.
        slices : list of Slice, predicate or str, optional
            Slices to evaluate (str is parsed with :meth:`Slice.parse`); they may overlap.
        bins : int or list of float, optional
            For numeric ``by`` columns: a number of quantile bins, or cut points.
            Default: grouped by value with at most 10 distinct values, else 5 quantile bins.
        metrics : list of str, optional
            Metric names; the first one gets ``gap``, ``p_value`` and ``q_value``.
            Default: accuracy, balanced_accuracy, macro_f1 (classification),
            mae, rmse, mean_error, r2 (regression).
        model : str or list of str, optional
            Restrict to these models (default: all).
        confidence : float
            Level of the intervals.
        min_support : int
            Slices with fewer rows get ``low_support = True``: their values and
            intervals are shown, but they are not tested (NaN ``p_value`` and
            ``q_value``) and do not count in the Benjamini–Hochberg family.

        Returns
        -------
        pandas.DataFrame
            One row per (slice, model), the ``overall`` rows first. ``df.attrs["slices"]``
            maps each slice name to its :class:`Slice`.
        """
        models = self._models(model)
        metric_objects = self._metrics(metrics, models)
        chosen, by_groups = self._call_slices(by, slices, bins, models)
        groupings = self._backend.groupings(chosen, by_groups, models, metric_objects)
        request = BreakdownRequest(chosen, groupings, metric_objects, confidence, min_support)
        table = breakdown_table(request, {m: self._backend.arrays(m) for m in models})
        if any(isinstance(m, RocAuc) for m in metric_objects):
            bounds = self._backend.auc_error_bounds()
            if len(bounds):  # binned scores (auc_bins): how far each AUC may be from exact
                table.attrs["auc_error_bounds"] = bounds.to_dict("records")
        return as_result(table)

    @checked("confidence", "min_support")
    def disparity(
        self,
        by: str | Sequence[str],
        metric: str | Sequence[str],
        *,
        bins: Bins = None,
        model: str | Sequence[str] | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """The largest gap in ``metric`` between the groups of ``by``, per model, with intervals.

        Parameters
        ----------
        by : str or list of str
            The column(s) whose groups are compared (numeric columns binned, as in
            :meth:`breakdown`).
        metric : str or list of str
            A metric name (e.g. ``"fpr"``, ``"selection_rate"``, ``"recall[>50K]"``), or
            a named summary: ``"demographic_parity"`` (the selection-rate difference) or
            ``"equalized_odds"`` (the larger of the TPR and FPR differences), as in
            fairlearn. A list gives one table with a row per metric (and model), each
            as its own call would give it: an audit of several error types at once.
            Its p-values are not adjusted across the metrics.
        bins, model, confidence, min_support
            As in :meth:`breakdown`. Groups with fewer than ``min_support`` rows, or
            where the metric is undefined, are listed in ``excluded`` and not compared.

        Returns
        -------
        pandas.DataFrame
            One row per model: ``metric``, ``groups`` (how many were compared),
            ``min_group``, ``min_value``, ``max_group``, ``max_value``, ``difference``
            (max - min) and ``ratio`` (min / max) each with ``_ci_low`` / ``_ci_high``
            (simultaneous over the groups: valid at every group size, see
            :mod:`mlprobe.core.analyses.disparity`), ``p_value`` (any difference among
            the groups) and ``excluded`` (group and reason). ``attrs["groups"]`` holds
            each group's value, interval and exclusion reason as records
            (``pd.DataFrame(table.attrs["groups"])``).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 0, 1, 1] * 25,
        ...                    "p": [0, 1, 1, 1] * 25})
        >>> row = Probe(df, target="y", predictions="p").disparity("g", "demographic_parity").iloc[0]
        >>> row["min_group"], row["max_group"], float(row["difference"])
        ("g == 'a'", "g == 'b'", 0.5)
        """
        names = _metric_names(metric)
        if by is None:
            raise ValidationError("by: name the column(s) whose groups to compare, e.g. by='race'.")
        models = self._models(model)
        parts = [self._disparity_parts(name, models) for name in names]  # all checked first
        chosen, by_groups = self._call_slices(by, None, bins, models)  # the groups, once
        arrays = {m: self._backend.arrays(m) for m in models}
        tables = []
        for name, metrics in zip(names, parts, strict=True):
            groupings = self._backend.groupings(chosen, by_groups, models, metrics)
            request = DisparityRequest(name, chosen, groupings, metrics, confidence, min_support)
            tables.append(disparity_table(request, arrays))
        return as_result(stack_disparities(tables))

    def _disparity_parts(self, metric: str, models: list[str]) -> list[Metric]:
        """The metrics behind one disparity: the metric itself, or a summary's parts."""
        if metric not in SUMMARIES:
            return self._metrics([metric], models)
        if self.task != "binary":
            raise ValidationError(
                f"metric: {metric!r} is defined for binary tasks; this probe's task is "
                f"{self.task!r}. Compare one class's rates instead, e.g. "
                f"metric='fpr[{self.classes[-1] if self.classes else 'label'}]'."
            )
        return self._metrics(list(SUMMARIES[metric]), models)

    @checked("confidence", "min_support")
    def priorities(
        self,
        by: str | Sequence[str] | None = None,
        *,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metric: str | None = None,
        model: str | Sequence[str] | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """Which slice to fix first: slices ranked by how much fixing them buys overall.

        A slice's ``impact`` is how much ``metric`` on all rows would change if the
        slice's rows performed like the rest's (for means over rows exactly
        ``share * (rest - slice)``; for ratios of confusion counts recomputed with the
        slice's rows at the rest's rates; see :mod:`mlprobe.core.metrics._impact`);
        ``benefit`` is that change turned the metric's better way. The arguments are
        :meth:`breakdown`'s, with one metric.

        Returns
        -------
        pandas.DataFrame
            One row per (slice, model), the largest ``benefit`` first: ``slice``, ``model``,
            ``n``, ``share``, ``metric``, ``value``, ``gap``, ``impact`` and its interval,
            ``benefit`` and its interval, ``excess_errors``, ``q_value``, ``low_support``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"age": np.r_[np.full(200, 20), np.full(800, 50)]})
        >>> y = np.zeros(1000, dtype=int)
        >>> wrong = np.r_[np.arange(200) < 60, np.arange(800) < 90]
        >>> probe = Probe(df.assign(y=y), target="y", predictions=wrong.astype(int))
        >>> first = probe.priorities(by="age", metric="accuracy").iloc[0]
        >>> first["slice"], round(float(first["benefit"]), 4)
        ('age == 20', 0.0375)
        """
        table = self.breakdown(
            by,
            slices=slices,
            bins=bins,
            metrics=None if metric is None else [metric],
            model=model,
            confidence=confidence,
            min_support=min_support,
        )
        return as_result(priorities_table(table))

    def confusion(
        self,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        normalize: str | None = None,
    ) -> pd.DataFrame:
        """The K x K confusion matrix of a slice (all rows by default).

        Parameters
        ----------
        normalize : {None, "true", "pred", "all"}
            Counts, or shares of each true class (rows sum to 1), of each
            predicted class (columns sum to 1), or of all rows.

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"y": ["a", "b", "b"], "p": ["a", "a", "b"]}), target="y", predictions="p")
        >>> probe.confusion()
        predicted  a  b
        true
        a          1  0
        b          1  1
        """
        self._require_classification("confusion")
        name = self._check_model(model)
        check_normalize(normalize)
        chosen = as_slice(slice) if slice is not None else None
        table = self._backend.confusion_table(chosen, name)
        return confusion_frame(table, self.classes, normalize=normalize)

    @checked("confidence", "min_support")
    def compare(
        self,
        a: str,
        b: str,
        *,
        by: str | Sequence[str] | None = None,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metric: str | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
    ) -> pd.DataFrame:
        """Compare two models on the same rows, per slice: which improved, which regressed.

        Returns one row per slice (``overall`` first) with ``value_a``,
        ``value_b``, ``delta`` (b minus a) and its interval, ``p_value``
        (paired tests on the same rows: exact McNemar for accuracy, error rate
        and recall; a sign-flip test for other table metrics; a skewness-corrected
        paired t-test for mean losses; see ``docs/statistics.md``), ``q_value``
        (Benjamini–Hochberg over the overall row and the slices with at least
        ``min_support`` rows)
        and ``verdict``: "improved", "regressed", "no detectable change"
        (q-value above ``1 - confidence``) or "too few rows" (under
        ``min_support``: no p- or q-value).
        """
        name_a, name_b = self._check_model(a, "a"), self._check_model(b, "b")
        if name_a == name_b:
            raise ValidationError(
                f"compare: a and b are both {name_a!r}; name two different models."
            )
        metric_name = metric or ("accuracy" if self.task != "regression" else "mae")
        metric_object = self._metrics([metric_name], [name_a, name_b])[0]
        chosen, by_groups = self._call_slices(by, slices, bins, [name_a, name_b])
        if any(PREDICTION in s.columns() for s in chosen):
            raise ValidationError(
                "compare: slices on '@prediction' differ between the two models; "
                "name the model, e.g. '@prediction[v1]'."
            )
        grouping = self._backend.paired_grouping(chosen, by_groups, name_a, name_b, metric_object)
        return as_result(
            compare_table(
                self._backend.arrays(name_a),
                self._backend.arrays(name_b),
                chosen,
                grouping,
                metric_object,
                confidence=confidence,
                min_support=min_support,
            )
        )

    def flips(self, a: str, b: str, *, slice: SliceLike | None = None) -> pd.DataFrame:
        """2 x 2 counts of rows right or wrong under model ``a`` and under model ``b``.

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"y": [1, 1, 0, 0], "v1": [1, 0, 0, 1], "v2": [1, 1, 1, 1]})
        >>> Probe(df, target="y", predictions={"v1": "v1", "v2": "v2"}).flips("v1", "v2")
        v2          correct  wrong
        v1
        correct           1      1
        wrong             1      1
        """
        self._require_classification("flips")
        name_a, name_b = self._check_model(a, "a"), self._check_model(b, "b")
        chosen = as_slice(slice) if slice is not None else None
        return as_result(
            flips_from_joint(self._backend.joint_table(chosen, name_a, name_b), name_a, name_b)
        )

    @checked("confidence")
    def metric(
        self,
        metric: str,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        confidence: float = CONFIDENCE,
        counts: bool = False,
    ) -> dict[str, Any]:
        """One metric on one slice: ``{"value", "ci_low", "ci_high", "n"}``.

        With ``counts=True`` the dict also holds ``"counts"``: the sufficient counts behind
        the value, JSON-ready -- ``{"successes", "trials"}`` for a share of rows,
        ``{"table"}`` (K x K confusion counts) for a metric of the confusion table,
        ``{"power_sums": [n, s1, s2, s3, s4]}`` for a mean over rows -- or None (e.g. AUC).
        The run store records them (``suite.run(probe, record=...)``).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"y": [1, 0, 1, 1]}), target="y", predictions=[1, 0, 0, 1])
        >>> probe.metric("accuracy", counts=True)["counts"]
        {'successes': 3, 'trials': 4}
        """
        if not isinstance(counts, bool):
            raise ValidationError(f"counts: expected True or False; received {counts!r}.")
        name = self._check_model(model)
        metric_object = resolve_metric(
            metric,
            task=self.task,
            classes=self.classes,
            has_scores=self._backend.has_scores(name),
            positive=self.positive,
        )
        chosen = as_slice(slice) if slice is not None else None
        grouping = self._backend.one_group(chosen, name, [metric_object])
        stats = GroupStats(grouping, self._backend.arrays(name))
        return metric_summary(metric_object, stats, confidence, counts=counts)

    def groups(self, by: str | Sequence[str], *, bins: Bins = None) -> list[Slice]:
        """The slices ``breakdown(by=...)`` would show: one per group (numeric columns binned).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> probe = Probe(pd.DataFrame({"g": ["a", "b"], "y": [1, 0]}), target="y", predictions="y")
        >>> [s.name for s in probe.groups("g")]
        ["g == 'a'", "g == 'b'"]
        """
        columns = self._by_columns(by, self.models)
        assert columns is not None
        return self._backend.groups(columns, bins)

    def rows(
        self,
        slice: SliceLike | None = None,
        *,
        model: str | None = None,
        n: int = 20,
        errors_first: bool = True,
        seed: int = 0,
    ) -> pd.DataFrame:
        """Up to ``n`` rows of a slice with the model's outputs, its errors first.

        Classification puts wrong predictions first, the most confident ones
        (with scores) leading; regression orders rows by absolute error. The
        rest is a seeded random sample, so a call gives the same rows each time.

        Returns
        -------
        pandas.DataFrame
            The rows of the data (their original index) after the columns
            ``@target``, ``@prediction``, then ``@correct`` and ``@score`` (the
            probability given to the predicted class, with scores) or ``@error``
            (prediction minus target).

        Examples
        --------
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"g": ["a", "a", "b"], "y": [1, 0, 1], "p": [1, 1, 1]})
        >>> Probe(df, target="y", predictions="p").rows("g == 'a'")
           @target  @prediction  @correct  g  y  p
        1        0            1     False  a  0  1
        0        1            1      True  a  1  1
        """
        name = self._check_model(model)
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValidationError(f"n: expected a whole number >= 0; received {n!r}.")
        chosen = as_slice(slice) if slice is not None else None
        return self._backend.rows(chosen, name, int(n), bool(errors_first), seed)

    @checked(
        "max_conditions", "min_support", "top_k", "alpha", "confidence", "rank_by", "max_share"
    )
    def find_slices(
        self,
        *,
        features: Sequence[str] | None = None,
        metric: str | None = None,
        model: str | None = None,
        max_conditions: int = 3,
        min_support: int | None = None,
        top_k: int = 10,
        bins: int = 10,
        alpha: float = 0.95,
        prune: bool = True,
        rank_by: str = "impact",
        max_share: float | None = 0.5,
        confidence: float = CONFIDENCE,
        progress: bool | Callable[[int, int], object] | None = None,
    ) -> pd.DataFrame:
        """Search for the slices where the model fails most, ranked best first.

        Slices are conjunctions of up to ``max_conditions`` conditions on the
        ``features``: categories keep their levels (the 50 most frequent when
        there are more), numbers are cut into ``bins`` quantile ranges, missing
        values are a bin of their own. The search is SliceLine's lattice search
        (an exact top-k of the ranking ``rank_by``, with that ranking's bound to
        skip what cannot enter it), run as one count per set of columns; then
        every result gets an interval, the gap to the rest, its impact, a p-value
        and a q-value (Benjamini–Hochberg over every slice evaluated). Unless
        ``prune=False``, the list is diverse: a slice with more than half of its
        rows in a better-ranked slice is folded into it and named in its ``also``
        column (a refinement of a slice above is listed there), so ``top_k``
        distinct places are returned when the search found that many.

        On DuckDB and Spark the engine does the counting (exact quantiles for the
        bins, one ``GROUP BY GROUPING SETS`` query per level of the search), and
        the result is the in-memory one: the same slices and sizes, the same
        statistics up to the order floating-point sums are added in.

        Parameters
        ----------
        features : list of str, optional
            Columns to slice on (default: every data column but the target,
            prediction and score columns, and datetime columns).
        metric : str, optional
            The per-row loss: ``"error_rate"`` (default for classification),
            ``"log_loss"`` or ``"brier"`` (with scores); ``"absolute_error"``
            (default for regression) or ``"squared_error"``.
        model : str, optional
            Which model (needed when the probe has several).
        max_conditions : int
            Most conditions per slice (SliceLine's ``max_l``).
        min_support : int, optional
            Fewest rows of a slice (SliceLine's ``min_sup``); default
            ``max(30, n_rows // 200)``.
        top_k : int
            How many slices (more when scores tie at the k-th).
        bins : int
            Quantile bins of numeric features.
        alpha : float
            SliceLine's weight of the error against the size, in (0, 1].
        prune : bool
            Drop a slice whose extra condition does not make it significantly
            (one-sided, 5%) worse than its parent, in favour of the parent; drop
            slices holding the same rows as a better one; fold overlapping ones.
            ``prune=False`` with ``rank_by="sliceline"`` is SliceLine's raw top-k
            (as the ``sliceline`` package gives it).
        rank_by : {"impact", "gap", "sliceline"}
            ``"impact"`` (the default): how much the mean loss of all rows would
            fall if the slice's rows had the rest's loss, ``share * gap`` — the
            slice to fix first, weighing how bad it is by how many rows it holds.
            ``"gap"``: the slice's loss minus the rest's (small, extreme slices
            first). ``"sliceline"``: SliceLine's score (with ``alpha``), which
            with the usual ``alpha`` near 1 favours very large slices.
        max_share : float or None
            Return no slice holding more than this share of the rows (default 0.5):
            a slice of most rows is rather the model than a place to look, and its
            impact is large mainly because the few other rows are easy. Such slices
            are still searched through (their refinements may qualify). None: any size.
        progress : bool or callable, optional
            Show a progress bar (default: when the search takes over a second),
            or call ``progress(done, total)`` as sets of columns are searched.

        Returns
        -------
        pandas.DataFrame
            Columns ``slice`` (a :class:`Slice`), ``n``, ``metric``, ``value``
            (the slice's mean loss), ``overall``, ``gap`` (slice minus the rest),
            ``ci_low``, ``ci_high``, ``impact`` (the change of the overall loss if
            the slice's rows had the rest's loss, ``-share * gap``; negative: the
            loss would fall) with ``impact_ci_low`` and ``impact_ci_high``,
            ``excess_errors`` (error_rate: the slice's errors beyond the rest's
            rate), ``p_value``, ``q_value``, ``score`` (SliceLine's, whatever the
            ranking) and ``also`` (the folded slices' descriptions).
            ``p_value`` tests the slice against the rest (Fisher's exact test or the
            z-test for ``error_rate``, the pooled t-test (all rows' variance and kurtosis) for other
            losses) but is **post-selection**: the slice was chosen among every slice
            the search evaluated because it looked bad. ``q_value`` is
            Benjamini–Hochberg over all of those, the family it was selected from:
            act on the q-value. Interrupted with Ctrl-C, it returns the best slices found so far,
            with a warning.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from mlprobe import Probe
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"a": rng.choice(["x", "y"], 400), "b": rng.choice(["u", "v"], 400)})
        >>> y = rng.integers(0, 2, 400)
        >>> wrong = (df["a"] == "x") & (df["b"] == "u")
        >>> probe = Probe(df.assign(y=y), target="y", predictions=np.where(wrong, 1 - y, y))
        >>> found = probe.find_slices(top_k=1)
        >>> str(found["slice"][0]), int(found["n"][0]), float(found["value"][0])
        ("a == 'x' and b == 'u'", 86, 1.0)
        """
        name = self._check_model(model)
        loss = choose_loss(self.task, metric, self._backend.has_scores(name))
        check_bin_count(bins)
        columns, counts = self._backend.loss_cells(name, features, bins, loss)
        request = DiscoveryRequest(
            columns,
            counts,
            loss.name,
            loss.is_proportion,
            max_conditions=max_conditions,
            min_support=default_min_support(self.n_rows, min_support),
            top_k=top_k,
            alpha=alpha,
            confidence=confidence,
            prune=bool(prune),
            rank_by=rank_by,
            max_share=max_share,
        )
        found = run_discovery(request, progress)
        found.attrs["model"] = name  # whose slices these are (Suite.from_slices reads it)
        return as_result(found)

    @checked("confidence", "min_support")
    def explore(
        self,
        *,
        slices: Sequence[SliceLike] | None = None,
        by: str | Sequence[str] | None = None,
        bins: int | None = None,
        metric: str | None = None,
        model: str | None = None,
        name: str | None = None,
        path: str | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
        history: str | os.PathLike[str] | None = None,
    ) -> Any:
        """The interactive explorer (an ipywidgets widget) for Jupyter, VS Code and Notebook 7.

        Build slices with controls or expressions, see the chosen metric per
        slice with intervals, drill into confusion cells and rows, compare
        models, and save a slice as a test with its baseline. It works on every
        probe, also one over an engine (``from_parquet``, ``from_duckdb``,
        ``from_spark``): counts, column profiles and row samples are asked of the
        engine, a slice's counts once (kept for the next redraw).

        Parameters
        ----------
        slices : list of Slice or str, optional
            Slices in the list at the start.
        by : str or list of str, optional
            Also start with every group of this column (numeric ones binned into ``bins``).
        metric : str, optional
            The metric shown (default: the task's first default metric).
        model : str, optional
            The model of the confusion, rows and save views (default: the first).
        name : str, optional
            Suite name of saved tests (default: the target column's name).
        path : str, optional
            Suite file tests are saved to (default ``tests/<name>.mlprobe.yaml``).
        history : str or path, optional
            A run store (``suite.run(probe, record=..., version=...)``): the *Tests* tab
            then shows every recorded version's outcome per test, and a test's trend.
        """
        try:
            from mlprobe.widgets import Explorer
        except ImportError as error:  # pragma: no cover - ipywidgets ships with mlprobe
            raise ImportError(
                f"explore() needs ipywidgets and anywidget ({error}); "
                "install them with `pip install ipywidgets anywidget`."
            ) from error
        return Explorer(
            self,
            slices=[as_slice(s) for s in slices or []],
            by=by,
            bins=bins,
            metric=metric,
            model=model,
            name=name,
            path=path,
            confidence=confidence,
            min_support=min_support,
            history=None if history is None else str(history),
        )

    @checked("confidence", "min_support")
    def report(
        self,
        path: str | os.PathLike[str],
        *,
        by: str | Sequence[str | tuple[str, ...]] | None = None,
        slices: Sequence[SliceLike] | None = None,
        bins: Bins = None,
        metrics: Sequence[str] | str | None = None,
        suite: Suite | str | os.PathLike[str] | None = None,
        title: str | None = None,
        confidence: float = CONFIDENCE,
        min_support: int = MIN_SUPPORT,
        history: str | os.PathLike[str] | None = None,
    ) -> Path:
        """Write one self-contained HTML file: breakdowns, charts, confusion matrices, suite results.

        The file needs no kernel, no network and no other file: charts are
        inline SVG. It is written atomically; the path is returned.

        Parameters
        ----------
        path : str or path
            Where to write (``.html``).
        by : str or list of (str or tuple of str), optional
            Columns to break down by, one section each; a tuple crosses columns,
            e.g. ``by=["sex", ("sex", "race")]``. Without ``by`` and ``slices``
            the report shows the overall metrics and confusion matrices only.
        slices : list of Slice or str, optional
            Slices for a section of their own.
        bins : int or list of float, optional
            Binning of numeric ``by`` columns, as in :meth:`breakdown`.
        metrics : list of str, optional
            Metrics of the tables (default: the task's defaults); the first is
            charted, used for the worst slice and for the model comparison.
        suite : Suite or path, optional
            A suite (or suite file) to run on this probe (on its only model,
            or the last of several); its results are shown.
        title : str, optional
            Default ``"mlprobe report: <target>"``.
        confidence, min_support
            As in :meth:`breakdown`.
        history : str or path, optional
            A run store (``suite.run(probe, record=..., version=...)``): the report adds
            every recorded version's value and outcome per test (of ``suite`` when it was
            recorded, else of every suite) and each test's trend.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import pandas as pd
        >>> from mlprobe import Probe
        >>> df = pd.DataFrame({"g": ["a", "b"] * 20, "y": [0, 1] * 20, "p": [0, 1, 1, 1] * 10})
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
        >>> Probe(df, target="y", predictions="p").report(out, by="g").name
        'report.html'
        """
        from mlprobe.report import write_report

        return write_report(
            self,
            path,
            by=by,
            slices=slices,
            bins=bins,
            metrics=metrics,
            suite=suite,
            title=title,
            confidence=confidence,
            min_support=min_support,
            history=history,
        )

    def _require_classification(self, what: str) -> None:
        if self.task == "regression":
            raise ValidationError(
                f"{what}: needs a classification probe; this one's task is regression."
            )


def _metric_names(metric: object) -> list[str]:
    """``disparity``'s metric argument as a list of names: one name, or several, no repeats."""
    shown = f"({', '.join(repr(s) for s in SUMMARIES)})"
    if isinstance(metric, str):
        return [metric]
    names = list(metric) if isinstance(metric, list | tuple) else None
    if not names or not all(isinstance(name, str) for name in names):
        raise ValidationError(
            f"metric: name a metric (e.g. 'fpr'), a summary {shown}, or a list of them; "
            f"received {metric!r}."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationError(
            f"metric: {', '.join(map(repr, repeated))} listed more than once; name each "
            "metric once."
        )
    return names
