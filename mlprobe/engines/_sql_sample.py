"""A few rows of a slice on an engine, the model's outputs in front, ordered and cut there.

The engine side of ``probe.rows`` (the explorer's rows tab): ``ORDER BY ... LIMIT n`` in
one scan; the table itself is never fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from mlprobe.core.slicing.predicates import PREDICTION, TARGET
from mlprobe.core.slicing.slices import Slice
from mlprobe.engines._row_terms_sql import ModelOutputs, RowTermSql
from mlprobe.engines._rows_sql import SampleQuery
from mlprobe.engines._sql_values import plain_value
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref, compile_predicate

__all__ = ["SampledTable", "sample_rows"]


@dataclass(frozen=True)
class SampledTable:
    """What sampling rows needs to know of the probe's table, for one model."""

    engine: Any
    kinds: dict[str, ColumnKind]
    task: str
    classes: Sequence[Any]
    target: str
    predictions: Mapping[str, str]
    scores: Mapping[str, list[str]]
    outputs: ModelOutputs
    #: the names a slice may use for the model's columns (``@target``, ``@prediction``, ...)
    aliases: Mapping[str, str]


def sample_rows(
    table: SampledTable, chosen: Slice | None, model: str, n: int, errors_first: bool, seed: int
) -> pd.DataFrame:
    """Up to ``n`` rows of a slice with the model's outputs in front, ordered and cut in
    the engine (``ORDER BY ... LIMIT n``: one scan, never the whole table fetched).

    What equals memory: the columns and their order (``@target``, ``@prediction``,
    ``@correct`` and ``@score`` (the probability of the predicted class, with scores)
    for classification, ``@target``, ``@prediction``, ``@error`` for regression; then
    every column of the table), the front columns' values and types (classes as the
    probe's class values, ``@correct`` bool, floats), which rows come first -- the
    model's errors (classification), ranked by ``@score`` descending (with scores) or by
    absolute error descending (regression) -- and so the same set of rows wherever that
    rank is strict; all rows of a slice of at most ``n`` rows; the empty frame of an
    empty slice.

    What differs: where memory draws a seeded random sample (classification without
    scores, or ``errors_first=False``) and where ranks tie, the engine has no row
    positions to draw from; it orders by a hash of ``seed`` and the row's position in a
    Parquet file (DuckDB), else its numeric, bool and date values (text is left out:
    hashing it would double the scan), so the same
    call gives the same rows, another ``seed`` others, but not memory's rows nor its
    order (memory lists a random sample in row order). The index is 0 .. len - 1 (a
    table in an engine has no pandas index), and the table's columns come as the engine
    returns them (text as ``str``, categoricals as their values).
    """
    params = Parameters()
    terms = RowTermSql(table.outputs, table.kinds)
    target = column_ref(table.target, table.kinds)
    predicted = column_ref(table.predictions[model], table.kinds)
    classification = table.task != "regression"
    double = exp.DataType.build("double")
    front: list[tuple[str, exp.Expression]]
    order: list[tuple[exp.Expression, bool]] = []
    if classification:
        right = exp.Case(
            ifs=[
                exp.If(
                    this=exp.EQ(this=target.copy(), expression=predicted.copy()),
                    true=exp.true(),
                )
            ],
            default=exp.false(),
        )
        front = [(TARGET, target), (PREDICTION, predicted), ("@correct", right)]
        if model in table.scores:
            front.append(("@score", _predicted_score(table, model, terms, params)))
    else:
        error = terms.quantity("error", model, params)
        front = [
            (TARGET, exp.cast(target, double)),
            (PREDICTION, exp.cast(predicted, double)),
            ("@error", error),
        ]
    if errors_first:
        if classification:
            wrong = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=target.copy(), expression=predicted.copy()),
                        true=exp.Literal.number(0),
                    )
                ],
                default=exp.Literal.number(1),
            )
            order.append((wrong, True))
            if model in table.scores:
                order.append((_predicted_score(table, model, terms, params), True))
        else:
            order.append((exp.Abs(this=terms.quantity("error", model, params)), True))
    order.append((_row_hash(table, seed), False))
    # after the keys: their placeholders come before the WHERE clause's in the SQL
    condition = None
    if chosen is not None:
        aliases = table.aliases
        condition = compile_predicate(
            chosen.predicate, table.kinds, aliases=aliases, params=params
        ).expression
    sample = SampleQuery(
        table.engine, list(table.engine.types), params, front, condition, order, int(n)
    )
    names, fetched = sample.run()
    frame = pd.DataFrame.from_records(fetched, columns=names, nrows=len(fetched))
    return _typed_front(table, frame, classification, model)


def _predicted_score(
    table: SampledTable, model: str, terms: RowTermSql, params: Parameters
) -> exp.Expression:
    """The model's probability of the class it predicted (``1 - p`` for a binary
    negative class), as memory's ``scores[row, prediction]``."""
    predicted = column_ref(table.predictions[model], table.kinds)
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=predicted.copy(), expression=params.bind(label)),
                true=terms.score(model, index),
            )
            for index, label in enumerate(table.classes)
        ]
    )


def _row_hash(table: SampledTable, seed: int) -> exp.Expression:
    """A seeded hash of the row's position where the engine numbers rows (Parquet files
    on DuckDB: one column to read, and every row its own value), else of its numeric,
    bool and date values: an order that looks random and is the same each time (text is
    not hashed: reading it would double the scan)."""
    position = getattr(table.engine, "row_position", ())
    hashed: list[exp.Expression] = [exp.column(c, quoted=True) for c in position] or [
        column_ref(c, table.kinds)
        for c, kind in table.kinds.items()
        if kind in ("number", "float", "bool", "timestamp")
    ]
    return exp.Anonymous(this="hash", expressions=[exp.Literal.number(int(seed)), *hashed])


def _typed_front(
    table: SampledTable, frame: pd.DataFrame, classification: bool, model: str
) -> pd.DataFrame:
    """The front columns typed as memory gives them: classes as the probe's class
    values (object), ``@correct`` bool, scores and regression values float."""
    if classification:
        position = {c: i for i, c in enumerate(table.classes)}
        classes = np.asarray([*table.classes, None], dtype=object)[:-1]
        for name in (TARGET, PREDICTION):
            codes = [position[plain_value(v, integral=True)] for v in frame[name].tolist()]
            frame[name] = classes[np.asarray(codes, dtype=np.intp)]
        frame["@correct"] = frame["@correct"].astype(bool)
        if model in table.scores:
            frame["@score"] = frame["@score"].astype(np.float64)
    else:
        for name in (TARGET, PREDICTION, "@error"):
            frame[name] = frame[name].astype(np.float64)
    return frame
