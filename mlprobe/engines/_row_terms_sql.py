"""Per-row quantities of a model (errors, losses) as SQL expressions over the table's columns.

What :class:`~mlprobe.core.intake.model_arrays.ModelArrays` computes with numpy,
written for an engine: ``error`` is ``prediction - target``, ``log_loss`` is
``-LN(p(true class))`` with the probability clipped to ``[eps, 1 - eps]``, and so
on (see :data:`mlprobe.core.counting._row_terms.QUANTITIES`). Values are bound
parameters; sqlglot builds every expression, parenthesized explicitly.

Examples
--------
>>> from mlprobe.core.counting._row_terms import RowTerm
>>> from mlprobe.engines.sql import Parameters
>>> outputs = ModelOutputs(target="y", predictions={"m": "p"}, scores={}, classes=[])
>>> sql = RowTermSql(outputs, {"y": "number", "p": "number"})
>>> params = Parameters()
>>> sql.term(RowTerm("error"), "m", params).sql("duckdb")
'(CAST("p" AS DOUBLE) - CAST("y" AS DOUBLE))'
>>> sql.term(RowTerm("target", 2, centered=True), "m", params, center=1.5).sql("duckdb")
'(((CAST("y" AS DOUBLE) - ?) - ?) * ((CAST("y" AS DOUBLE) - ?) - ?))'
>>> params.values
[0.0, 1.5, 0.0, 1.5]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot import exp

from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.engines.sql import ColumnKind, Parameters, column_ref

__all__ = ["ModelOutputs", "RowTermSql"]

_DOUBLE = exp.DataType.build("double")
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class ModelOutputs:
    """Where each model's outputs are in the table.

    ``scores[model]`` lists one probability column per class in ``classes``
    order, or only the positive class's column for a binary task.
    ``target_mean`` centers the ``target`` quantity (regression).
    """

    target: str
    predictions: Mapping[str, str]
    scores: Mapping[str, Sequence[str]]
    classes: Sequence[Any]
    target_mean: float = 0.0


def _paren(expression: exp.Expression) -> exp.Expression:
    return exp.paren(expression, copy=False)


def _sub(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _paren(exp.Sub(this=a, expression=b))


def _mul(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _paren(exp.Mul(this=a, expression=b))


def _power(build: Callable[[], exp.Expression], power: int) -> exp.Expression:
    """``x ** power`` as a product of ``power`` fresh copies of ``x`` (each binds its own
    parameters, in order): engines multiply far faster than they call POWER."""
    value = build()
    for _ in range(power - 1):
        value = _mul(value, build())
    return value


def _number(value: float) -> exp.Expression:
    return exp.Literal.number(value)


class RowTermSql:
    """Compiles :class:`RowTerm` s of the models in ``outputs`` to SQL expressions."""

    def __init__(self, outputs: ModelOutputs, kinds: Mapping[str, ColumnKind]) -> None:
        self.outputs = outputs
        self.kinds = kinds

    def _double(self, column: str) -> exp.Expression:
        return exp.cast(column_ref(column, self.kinds), _DOUBLE)

    def is_class(self, class_index: int, params: Parameters) -> exp.Expression:
        """``target = <class>``: the row's true class is this one."""
        value = self.outputs.classes[class_index]
        return exp.EQ(
            this=column_ref(self.outputs.target, self.kinds), expression=params.bind(value)
        )

    def score(self, model: str, class_index: int) -> exp.Expression:
        """The model's probability of one class (``1 - p`` for a binary negative class)."""
        columns = self.outputs.scores[model]
        if len(columns) == 1:  # binary, the positive class's column
            positive = self._double(columns[0])
            return positive if class_index == 1 else _sub(_number(1), positive)
        return self._double(columns[class_index])

    def _clipped(self, model: str, class_index: int) -> exp.Expression:
        """The probability clipped to ``[eps, 1 - eps]`` (as numpy's clip; no GREATEST, whose
        NULL handling differs between engines)."""

        def score() -> exp.Expression:
            return self.score(model, class_index)

        low, high = _number(_EPS), _number(1 - _EPS)
        return exp.Case(
            ifs=[
                exp.If(this=exp.LT(this=score(), expression=low), true=low.copy()),
                exp.If(this=exp.GT(this=score(), expression=high), true=high.copy()),
            ],
            default=score(),
        )

    def _squared_miss(self, model: str, class_index: int, params: Parameters) -> exp.Expression:
        """``(p(class) - [true class is it]) ** 2``."""

        def miss() -> exp.Expression:
            return _sub(self.score(model, class_index), self._indicator(class_index, params))

        return _power(miss, 2)

    def _indicator(self, class_index: int, params: Parameters) -> exp.Expression:
        return exp.Case(
            ifs=[exp.If(this=self.is_class(class_index, params), true=_number(1))],
            default=_number(0),
        )

    def quantity(self, name: str, model: str, params: Parameters) -> exp.Expression:
        """One of :data:`~mlprobe.core.counting._row_terms.QUANTITIES` for ``model``, as SQL."""
        outputs = self.outputs
        if name == "target":
            return _sub(self._double(outputs.target), params.bind(outputs.target_mean))
        if name in ("error", "abs_error", "squared_error"):
            error = _sub(self._double(outputs.predictions[model]), self._double(outputs.target))
            if name == "abs_error":
                return exp.Abs(this=error)
            return _mul(error, error.copy()) if name == "squared_error" else error
        k = len(outputs.classes)
        if name == "log_loss":
            # the class's branch holds no parameter but its label: each ? appears once
            return exp.Case(
                ifs=[
                    exp.If(
                        this=self.is_class(c, params),
                        true=_paren(exp.Neg(this=exp.Ln(this=self._clipped(model, c)))),
                    )
                    for c in range(k)
                ]
            )
        if name == "brier":
            # binary: the positive class only (as scikit-learn); multiclass: every class
            classes = [k - 1] if k == 2 else range(k)
            parts = [self._squared_miss(model, c, params) for c in classes]
            total = parts[0]
            for part in parts[1:]:
                total = _paren(exp.Add(this=total, expression=part))
            return total
        raise ValueError(f"no SQL for the row quantity {name!r}")

    def term(
        self,
        term: RowTerm,
        model: str,
        params: Parameters,
        center: float | None = None,
        *,
        quantity_of: Callable[[str, str], exp.Expression] | None = None,
    ) -> exp.Expression:
        """``term`` for ``model``; ``center`` is the group's center of a centered term.

        ``quantity_of(name, model)`` gives the quantities already computed (e.g. a
        subquery's columns); by default they are built here.
        """

        def quantity(name: str, of: str) -> exp.Expression:
            if quantity_of is not None:
                return quantity_of(name, of)
            return self.quantity(name, of, params)

        def base() -> exp.Expression:
            value = quantity(term.quantity, model)
            if term.versus is not None:
                value = _sub(value, quantity(term.quantity, term.versus))
            if term.centered:
                if center is None:
                    raise ValueError(f"the centered term {term} needs a center")
                value = _sub(value, params.bind(float(center)))
            return value

        value = _power(base, term.power)
        if term.times is not None:
            value = _mul(value, quantity(term.times, model))
        return value

    @staticmethod
    def quantities(term: RowTerm, model: str) -> list[tuple[str, str]]:
        """The (quantity, model) pairs ``term`` reads."""
        pairs = [(term.quantity, model)]
        if term.versus is not None:
            pairs.append((term.quantity, term.versus))
        if term.times is not None:
            pairs.append((term.times, model))
        return pairs
