"""Per-slice sums and ROC AUCs computed by the engine: what metrics beyond counts need.

:class:`SqlRows` answers the :class:`~mlprobe.core.counting.grouping.RowSource`
questions of the metric code with SQL, for a list of slices (``view="slices"``),
all rows (``"overall"``) or the rows outside each slice (``"complement"``):

- sums of a :class:`~mlprobe.core.counting._row_terms.RowTerm` per group: one scan per
  batch of slices for every term the call's metrics declared, plus all rows;
- centered terms (the spread of a target about each slice's own mean) in a
  second scan, with the centers as bound parameters;
- ROC AUC by the Mann–Whitney statistic, exactly, with DeLong's placement sums
  (:class:`~mlprobe.core.statistics.ranks.AucCounts`): positives and negatives per slice
  are counted per distinct score, then running sums over the scores in score
  order give each positive's negatives below it and each negative's positives
  above it (ties count half)::

      2U = sum over scores s of  pos(s) * (2 neg(< s) + neg(s))

  That is how Spark computes it. An engine that can stream a sorted result back in
  batches (DuckDB: ``batches``) sorts the rows once per class instead, as narrow rows
  ``(score, positive, slice flags as bits)``, and merges them in numpy
  (:mod:`mlprobe.engines._auc_merge`): one sort for all slices, their complements and all
  rows, in memory the engine can spill, where the per-score table took ~136 bytes per
  distinct score and slice and one scan per slice at 5e7 distinct scores.
- with ``auc_bins=B``, the ROC AUC of scores cut into B equal-width bins of [0, 1]: pairs in
  different bins are ranked exactly, pairs in one bin count half, so each group's AUC is
  within ``tied pairs / (2 P N)`` of the exact one (:attr:`RowQuery.auc_bounds`).

Each slice's condition is evaluated once per row in a subquery, as a
two-valued flag (a row whose condition is unknown is outside the slice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlglot import exp

from mlprobe.core.counting._row_terms import RowTerm
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics.ranks import AucCounts, AucCrossSums
from mlprobe.engines._auc_merge import FLAG_BITS, merge_sorted
from mlprobe.engines._counting import SqlSource
from mlprobe.engines._row_terms_sql import RowTermSql
from mlprobe.engines.sql import ColumnKind, Parameters, compile_predicate

__all__ = ["AUC_BATCH", "SUM_BATCH", "RowQuery", "SqlRows"]

#: slices per scan for sums
SUM_BATCH = 50
#: slices per ROC AUC query at most (its per-score table has two counts and two running sums
#: per slice)
AUC_BATCH = 20
#: bytes the per-score table of one ROC AUC query may take: fewer slices per query when the
#: scores have many distinct values
AUC_TABLE_BYTES = 2**30
#: bytes per distinct score and slice in an AUC query (two 8-byte counts, two running sums and a
#: total, hash table and window overhead), as measured on DuckDB 2.0 by
#: benchmarks/bench_engines.py (105 with one running sum; the second, for DeLong's sums of the
#: negatives, took 1.3 times the memory at 4e6 distinct scores and 21 groups)
AUC_BYTES_PER_SCORE = 136
#: rows per batch of a sorted stream (numpy works on arrays of (2 slices + 1) x this)
STREAM_BATCH = 1 << 16
#: a sorted stream is grouped by (score, positive, flags) first when there are at least this
#: many rows per distinct score (few distinct scores: many rows share each)
GROUP_TIES = 8

View = Literal["slices", "overall", "complement"]
#: a column of sums: a term, its model, and the group's center (centered terms)
_Column = tuple[RowTerm, str, float | None]
_FLAG = "mlprobe_in_group_{}"


@dataclass
class RowQuery:
    """What one call asks of an engine's rows: its slices, models' outputs, and terms.

    Parameters
    ----------
    engine : SqlSource
        Where the rows are.
    slices : list of Slice
        The groups (of the ``"slices"`` and ``"complement"`` views).
    terms : RowTermSql
        Compiles the models' per-row quantities.
    kinds, aliases : mapping
        Column kinds; ``@target``/``@prediction`` names for the slices.
    wanted : list of (RowTerm, model)
        Terms to fetch in the same scan as the first one asked for (the
        metrics' :meth:`~mlprobe.core.metrics.Metric.row_terms`).
    labels : (ndarray, ndarray), optional
        Rows per true class of each slice (G, K) and of all rows (K,), counted already: the
        positives a sorted stream needs up front (else counted by a query of its own).
    auc_bins : int, optional
        ROC AUC from scores cut into this many equal-width bins of [0, 1] (None: exact).
    auc_bounds : dict, optional
        Where a binned AUC records its error bound per group:
        ``{(model, class index): {"slices": ..., "overall": ..., "complement": ...}}``.
    """

    engine: SqlSource
    slices: Sequence[Slice]
    terms: RowTermSql
    kinds: Mapping[str, ColumnKind]
    aliases: Mapping[str, str]
    wanted: list[tuple[RowTerm, str]] = field(default_factory=list)
    cache: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)
    labels: tuple[np.ndarray, np.ndarray] | None = None
    auc_bins: int | None = None
    auc_bounds: dict[tuple[str, int], dict[str, np.ndarray]] = field(default_factory=dict)


class SqlRows:
    """Sums and AUCs of rows in an engine, for the groups of one view of a :class:`RowQuery`."""

    def __init__(self, query: RowQuery, view: View = "slices") -> None:
        self.shared = query
        self.view = view
        #: tied pairs of the last binned AUC batch (slices, all rows, complements)
        self._tied = np.zeros(0)

    def overall(self) -> SqlRows:
        """All rows as one group."""
        return SqlRows(self.shared, "overall")

    def complement(self) -> SqlRows:
        """The rows outside each slice."""
        return SqlRows(self.shared, "complement")

    # --- sums ------------------------------------------------------------------------------

    def sums(self, term: RowTerm, model: str, centers: np.ndarray | None) -> np.ndarray:
        """Per-group sum of ``term`` for ``model`` (centered terms about ``centers``)."""
        cache = self.shared.cache
        if centers is None:
            key: tuple[Any, ...] = (self.view, term, model)
            if key not in cache:
                self._fetch_plain([(term, model)])
            return cache[key]
        centers = np.asarray(centers, dtype=np.float64)
        key = (self.view, term, model, centers.tobytes())
        if key not in cache:
            together = [
                t
                for t, m in self.shared.wanted
                if t.centered
                and m == model
                and (self.view, t, model, centers.tobytes()) not in cache
            ]
            self._fetch_centered([term, *(t for t in together if t != term)], model, centers)
        return cache[key]

    def _fetch_plain(self, asked: list[tuple[RowTerm, str]]) -> None:
        """The asked terms and every wanted plain term not yet known, for the slices and all
        rows together (or the complements): one scan per batch of slices."""
        cache = self.shared.cache
        views: list[View] = ["complement"] if self.view == "complement" else ["slices", "overall"]
        wanted = [w for w in self.shared.wanted if not w[0].centered]
        pairs = [
            (t, m)
            for t, m in dict.fromkeys(asked + wanted)
            if any((view, t, m) not in cache for view in views)
        ]
        groups = [(view, g) for view in views for g in self._groups(view)]
        columns: list[_Column] = [(t, m, None) for t, m in pairs]
        values = self._sums([g for _, g in groups], columns)
        for view in views:
            rows = values[[i for i, (v, _) in enumerate(groups) if v == view]]
            for (t, m), column in zip(pairs, rows.T, strict=True):
                cache.setdefault((view, t, m), column)

    def _fetch_centered(self, terms: list[RowTerm], model: str, centers: np.ndarray) -> None:
        groups = self._groups(self.view)
        values = np.zeros((len(groups), len(terms)))
        for start in range(0, max(len(groups), 1), SUM_BATCH):
            batch = groups[start : start + SUM_BATCH]
            columns: list[list[_Column]] = [
                [(t, model, float(centers[start + g])) for t in terms] for g in range(len(batch))
            ]
            values[start : start + len(batch)] = self._sum_batch(batch, columns)
        for t, column in zip(terms, values.T, strict=True):
            self.shared.cache[(self.view, t, model, centers.tobytes())] = column

    def _groups(self, view: View) -> list[Callable[[Parameters], exp.Expression]]:
        """A two-valued flag per group: is the row in it."""
        if view == "overall":
            return [lambda params: exp.true()]
        inside = view == "slices"

        def flag(s: Slice) -> Callable[[Parameters], exp.Expression]:
            def build(params: Parameters) -> exp.Expression:
                condition = compile_predicate(
                    s.predicate, self.shared.kinds, aliases=self.shared.aliases, params=params
                ).expression
                return exp.Case(
                    ifs=[exp.If(this=condition, true=exp.Boolean(this=inside))],
                    default=exp.Boolean(this=not inside),
                )

            return build

        return [flag(s) for s in self.shared.slices]

    def _sums(
        self, groups: list[Callable[[Parameters], exp.Expression]], columns: list[_Column]
    ) -> np.ndarray:
        out = np.zeros((len(groups), len(columns)))
        for start in range(0, len(groups), SUM_BATCH):
            batch = groups[start : start + SUM_BATCH]
            out[start : start + len(batch)] = self._sum_batch(batch, [columns] * len(batch))
        return out

    def _sum_batch(
        self, groups: list[Callable[[Parameters], exp.Expression]], columns: list[list[_Column]]
    ) -> np.ndarray:
        """``SELECT SUM(CASE WHEN g_i THEN <term of q_j> END) ... FROM (SELECT q_j, g_i FROM source)``:
        each per-row quantity and each slice's flag is computed once per row."""
        terms = self.shared.terms
        needed = dict.fromkeys(
            pair for group in columns for t, m, _ in group for pair in terms.quantities(t, m)
        )
        names = {pair: f"mlprobe_q{i}" for i, pair in enumerate(needed)}
        outer, inner = Parameters(), Parameters()
        aggregates: list[Any] = []
        for g, group_columns in enumerate(columns):
            flag = exp.column(_FLAG.format(g), quoted=True)
            for term, model, center in group_columns:
                value = terms.term(
                    term,
                    model,
                    outer,
                    center,
                    quantity_of=lambda q, m: exp.column(names[(q, m)], quoted=True),
                )
                case = exp.Case(ifs=[exp.If(this=flag.copy(), true=value)])
                aggregates.append(exp.Sum(this=case))
        quantities = [
            exp.alias_(terms.quantity(q, m, inner), name, quoted=True)
            for (q, m), name in names.items()
        ]
        query = exp.select(*aggregates, copy=False).from_(
            self._flagged(groups, inner, extra=quantities), copy=False
        )
        [row] = self.shared.engine.rows(query, outer.values + inner.values)
        values = np.array([np.nan if v is None else float(v) for v in row], dtype=np.float64)
        # a group without rows sums to NULL in SQL, to 0 in numpy
        return np.nan_to_num(values, nan=0.0).reshape(len(groups), -1)

    def _flagged(
        self,
        groups: list[Callable[[Parameters], exp.Expression]],
        params: Parameters,
        extra: Sequence[Any] = (),
    ) -> exp.Expression:
        flags = [
            exp.alias_(build(params), _FLAG.format(g), quoted=True)
            for g, build in enumerate(groups)
        ]
        inner = exp.select(*extra, *flags, copy=False).from_(
            self.shared.engine.source(), copy=False
        )
        return inner.subquery("flagged", copy=False)

    # --- ROC AUC ----------------------------------------------------------------------------

    def auc(self, model: str, class_index: int) -> AucCounts:
        """Per group: rank statistics of ``class_index`` vs the rest (2U, positives, negatives
        and DeLong's squared placement sums). One query per batch of slices answers the slices,
        their complements and all rows (a complement's per-score counts are all rows' minus
        the slice's)."""
        cache = self.shared.cache
        key = (self.view, "auc", model, class_index)
        if key not in cache:
            if getattr(self.shared.engine, "batches", None) is not None:
                inside, outside, overall = self._auc_merged(model, class_index)
            else:
                inside, outside, overall = self._auc_grouped(model, class_index)
            cache[("overall", "auc", model, class_index)] = overall
            cache[("slices", "auc", model, class_index)] = inside
            cache[("complement", "auc", model, class_index)] = outside
        return AucCounts(*(row.copy() for row in cache[key]))

    def _auc_grouped(
        self, model: str, class_index: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The :class:`AucCounts` fields of the slices, complements and all rows from
        per-score tables and running sums (:meth:`_auc_batch`), a query per batch of slices."""
        slices = self._groups("slices")
        inside = np.zeros((_AUC_FIELDS, len(slices)))
        outside = np.zeros((_AUC_FIELDS, len(slices)))
        overall = np.zeros((_AUC_FIELDS, 1))
        ties = np.zeros((3, len(slices)))  # slices, complements; all rows in [2, 0]
        step = self._auc_batch_size(model, class_index)
        for start in range(0, max(len(slices), 1), step):
            batch = slices[start : start + step]
            found = self._auc_batch(batch, model, class_index)
            inside[:, start : start + len(batch)] = found[0]
            outside[:, start : start + len(batch)] = found[1]
            overall = found[2]
            if self.shared.auc_bins is not None:
                count = len(batch)
                ties[0, start : start + count] = self._tied[:count]
                ties[2, :1] = self._tied[count : count + 1]
                ties[1, start : start + count] = self._tied[count + 1 :]
        if self.shared.auc_bins is not None:
            self._record_bounds(
                model,
                class_index,
                np.concatenate([ties[0], ties[2, :1], ties[1]]),
                np.concatenate([inside[1], overall[1], outside[1]]),
                np.concatenate([inside[2], overall[2], outside[2]]),
            )
        return inside, outside, overall

    def _record_bounds(
        self, model: str, class_index: int, ties: np.ndarray, p: np.ndarray, n: np.ndarray
    ) -> None:
        """Each group's binned-AUC error bound, ``ties / (2 P N)`` (slices, all rows,
        complements), where :meth:`SqlBackend.auc_error_bounds` finds it."""
        g = len(self.shared.slices)
        with np.errstate(invalid="ignore", divide="ignore"):
            bound = np.where(p * n > 0, ties / (2 * p * n), np.nan)
        self.shared.auc_bounds[(model, class_index)] = {
            "names": np.array([chosen.name for chosen in self.shared.slices], dtype=object),
            "slices": bound[:g],
            "overall": bound[g : g + 1],
            "complement": bound[g + 1 :],
        }

    def _score(self, model: str, class_index: int) -> exp.Expression:
        """The score ranked: the class's probability, or its bin (``auc_bins``)."""
        score = self.shared.terms.score(model, class_index)
        bins = self.shared.auc_bins
        if bins is None:
            return score
        scaled = exp.Mul(this=score, expression=exp.Literal.number(bins))
        top = exp.Literal.number(bins - 1)
        # the bin of [0, 1] (a score of 1, or just outside [0, 1], in the end bins)
        return exp.Case(
            ifs=[
                exp.If(this=exp.GTE(this=scaled, expression=top.copy()), true=top),
                exp.If(
                    this=exp.LT(this=scaled.copy(), expression=exp.Literal.number(0)),
                    true=exp.Literal.number(0),
                ),
            ],
            default=exp.Floor(this=scaled.copy()),
        )

    def _auc_merged(
        self, model: str, class_index: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The :class:`AucCounts` fields from one sorted stream of narrow rows
        (:mod:`mlprobe.engines._auc_merge`): ``SELECT score, positive, flags [, COUNT(*)] ...
        ORDER BY score``, grouped first when scores repeat (few distinct scores or bins)."""
        params = Parameters()
        slices = self.shared.slices
        g = len(slices)
        positive = self.shared.terms.is_class(class_index, params)
        positive_flag = exp.Case(ifs=[exp.If(this=positive, true=exp.true())], default=exp.false())
        flags: list[exp.Expression] = []
        for start in range(0, g, FLAG_BITS):
            terms: list[exp.Expression] = []
            for bit, chosen in enumerate(slices[start : start + FLAG_BITS]):
                condition = compile_predicate(
                    chosen.predicate, self.shared.kinds, aliases=self.shared.aliases, params=params
                ).expression
                terms.append(
                    exp.Case(
                        ifs=[exp.If(this=condition, true=_bigint(1 << bit))], default=_bigint(0)
                    )
                )
            total = terms[0]
            for term in terms[1:]:
                total = exp.Add(this=total, expression=term)
            flags.append(total)
        score = self._score(model, class_index)
        names = ["mlprobe_s", "mlprobe_y", *(f"mlprobe_f{i}" for i in range(len(flags)))]
        columns = [
            exp.alias_(e, name)
            for e, name in zip([score, positive_flag, *flags], names, strict=True)
        ]
        grouped = self._ties_repeat(model, class_index)
        if grouped:
            inner = exp.select(*columns, copy=False).from_(self.shared.engine.source(), copy=False)
            query = (
                exp.select(*(_col(n) for n in names), exp.Count(this=exp.Star()), copy=False)
                .from_(inner.subquery("mlprobe_rows", copy=False), copy=False)
                .group_by(*(_col(n) for n in names), copy=False)
            )
        else:
            query = exp.select(*columns, copy=False).from_(self.shared.engine.source(), copy=False)
        query = query.order_by(_col("mlprobe_s"), copy=False)
        positives = self._positives(class_index)

        def batches() -> Any:
            engine: Any = self.shared.engine
            for batch in engine.batches(query, params.values, STREAM_BATCH):
                arrays = [
                    batch.column(i).to_numpy(zero_copy_only=False) for i in range(batch.num_columns)
                ]
                weights = arrays[-1] if grouped else None
                yield arrays[0], arrays[1].astype(bool), arrays[2 : 2 + len(flags)], weights

        merged = merge_sorted(batches(), g, positives)
        n_rows = self._group_rows()
        p = np.concatenate([positives, positives[g] - positives[:g]])
        n = n_rows - p
        fields = np.stack([merged.twice_u, p, n, merged.positive_squares, merged.negative_squares])
        if self.shared.auc_bins is not None:
            self._record_bounds(model, class_index, merged.ties, p, n)
        return fields[:, :g], fields[:, g + 1 :], fields[:, g : g + 1]

    def _ties_repeat(self, model: str, class_index: int) -> bool:
        """Whether the scores (or bins) repeat enough that grouping the rows pays."""
        if self.shared.auc_bins is not None:
            return True
        key = ("distinct scores", model, class_index)
        cache = self.shared.cache
        if key not in cache:
            score = self.shared.terms.score(model, class_index)
            query = exp.select(
                exp.ApproxDistinct(this=score), exp.Count(this=exp.Star()), copy=False
            ).from_(self.shared.engine.source(), copy=False)
            [(distinct, rows)] = self.shared.engine.rows(query, [])
            cache[key] = np.array([float(distinct or 0), float(rows or 0)])
        distinct, rows = cache[key][0], cache[key][-1]
        return bool(distinct * GROUP_TIES <= rows)

    def _label_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows per true class of each slice (G, K) and of all rows (K,)."""
        if self.shared.labels is None:
            self.shared.labels = self._count_labels()
        return self.shared.labels

    def _count_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """``SUM(CASE WHEN slice AND target = c ...)``: one scan, for a query without counts."""
        params = Parameters()
        k = len(self.shared.terms.outputs.classes)
        groups = [*self._groups("slices"), *self._groups("overall")]
        aggregates: list[Any] = []
        flagged_extra = [
            exp.alias_(
                exp.Case(
                    ifs=[exp.If(this=self.shared.terms.is_class(c, params), true=exp.true())],
                    default=exp.false(),
                ),
                f"mlprobe_c{c}",
            )
            for c in range(k)
        ]
        for gi in range(len(groups)):
            for c in range(k):
                condition = exp.and_(
                    exp.column(_FLAG.format(gi), quoted=True), _col(f"mlprobe_c{c}")
                )
                aggregates.append(
                    exp.Count(
                        this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))])
                    )
                )
        query = exp.select(*aggregates, copy=False).from_(
            self._flagged(groups, params, extra=flagged_extra), copy=False
        )
        [row] = self.shared.engine.rows(query, params.values)
        counts = np.array([float(v or 0) for v in row]).reshape(len(groups), k)
        return counts[:-1], counts[-1]

    def _positives(self, class_index: int) -> np.ndarray:
        """Positives of ``class_index`` in each slice, then in all rows: shape (G + 1,)."""
        per_slice, overall = self._label_counts()
        return np.append(per_slice[:, class_index], overall[class_index]).astype(np.float64)

    def _group_rows(self) -> np.ndarray:
        """Rows of each slice, all rows, then each complement: shape (2 G + 1,)."""
        per_slice, overall = self._label_counts()
        sizes = per_slice.sum(axis=1)
        total = overall.sum()
        return np.concatenate([sizes, [total], total - sizes]).astype(np.float64)

    def _auc_batch_size(self, model: str, class_index: int) -> int:
        """Slices per ROC AUC query, so that its per-score table stays near AUC_TABLE_BYTES."""
        key = ("distinct scores", model, class_index)
        cache = self.shared.cache
        if key not in cache:
            score = self._score(model, class_index)
            query = exp.select(exp.ApproxDistinct(this=score)).from_(
                self.shared.engine.source(), copy=False
            )
            [(distinct,)] = self.shared.engine.rows(query, [])
            cache[key] = np.array([float(distinct or 0)])
        per_slice = max(cache[key][0], 1.0) * AUC_BYTES_PER_SCORE
        return int(min(AUC_BATCH, max(1, AUC_TABLE_BYTES // per_slice)))

    def _auc_batch(
        self, groups: list[Callable[[Parameters], exp.Expression]], model: str, class_index: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The :class:`AucCounts` fields (shape (5, groups)) of the slices, of their complements
        and of all rows (5, 1).

        Per distinct score, positives ``p`` and negatives ``n`` of each slice and of all rows
        (``P``, ``N``); running sums give the negatives below (``b``) and the positives above
        (``a``: the group's positives minus those up to this score); then
        ``2U = SUM(p * (2b + n))``, ``SUM(p * (2b + n)^2)`` and ``SUM(n * (2a + p)^2)`` (the
        squares in DOUBLE: they pass 2^63 at a few million rows), and for the complement the
        same of ``P - p``, ``N - n``, ``B - b`` and ``A - a``.
        """
        params = Parameters()
        score = exp.alias_(self._score(model, class_index), "mlprobe_score")
        positive = exp.alias_(self.shared.terms.is_class(class_index, params), "mlprobe_positive")
        everything = len(groups)  # all rows: one more group, flagged TRUE
        flagged = self._flagged(
            [*groups, *self._groups("overall")], params, extra=[score, positive]
        )
        is_positive = exp.column("mlprobe_positive")
        counts: list[Any] = [exp.column("mlprobe_score")]
        for g in range(everything + 1):
            flag = exp.column(_FLAG.format(g), quoted=True)
            for name, condition in (
                (f"p{g}", exp.and_(flag.copy(), is_positive.copy())),
                (f"n{g}", exp.and_(flag.copy(), exp.Not(this=is_positive.copy()))),
            ):
                # COUNT of a CASE without ELSE: 8-byte counts (SUM of integers is 16 in DuckDB)
                case = exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))])
                counts.append(exp.alias_(exp.Count(this=case), name))
        per_score = (
            exp.select(*counts, copy=False)
            .from_(flagged, copy=False)
            .group_by(exp.column("mlprobe_score"), copy=False)
            .subquery("h")
        )
        running: list[Any] = []
        for g in range(everything + 1):
            p, n = _col(f"p{g}"), _col(f"n{g}")
            # both running sums share one window (one sort); the total is a window of its own
            below = exp.Sub(this=_running_sum(n), expression=n.copy())
            above = exp.Sub(
                this=exp.Window(this=exp.Sum(this=p.copy())), expression=_running_sum(p)
            )
            running += [p, n, exp.alias_(below, f"b{g}"), exp.alias_(above, f"a{g}")]
        ranked = (
            exp.select(*running, copy=False).from_(per_score, copy=False).subquery("r", copy=False)
        )
        p_all, n_all, b_all, a_all = (_col(f"{c}{everything}") for c in "pnba")
        totals: list[Any] = []
        for g in range(everything + 1):
            p, n, b, a = (_col(f"{c}{g}") for c in "pnba")
            totals += [
                _twice_u(p, n, b),
                exp.Sum(this=p.copy()),
                exp.Sum(this=n.copy()),
                _squares(p, n, b),
                _squares(n, p, a),
            ]
        for g in range(everything):
            p, n, b, a = (_col(f"{c}{g}") for c in "pnba")
            rest_p, rest_n = _minus(p_all, p), _minus(n_all, n)
            rest_b, rest_a = _minus(b_all, b), _minus(a_all, a)
            totals += [
                _twice_u(rest_p, rest_n, rest_b),
                _squares(rest_p, rest_n, rest_b),
                _squares(rest_n, rest_p, rest_a),
            ]
        ties = 0
        if self.shared.auc_bins is not None:  # tied pairs: the binned AUC's error bound
            for g in range(everything + 1):
                p, n = _col(f"p{g}"), _col(f"n{g}")
                totals.append(_tied_pairs(p, n))
            for g in range(everything):
                p, n = _col(f"p{g}"), _col(f"n{g}")
                totals.append(_tied_pairs(_minus(p_all, p), _minus(n_all, n)))
            ties = 2 * everything + 1
        [row] = self.shared.engine.rows(
            exp.select(*totals, copy=False).from_(ranked, copy=False), params.values
        )
        # a table without rows sums to NULL
        values = np.array([0.0 if v is None else float(v) for v in row], dtype=np.float64)
        if ties:
            self._tied = values[len(values) - ties :]
            values = values[: len(values) - ties]
        width = _AUC_FIELDS * (everything + 1)
        per_group = values[:width].reshape(everything + 1, _AUC_FIELDS).T
        inside, overall = per_group[:, :everything], per_group[:, everything:]
        twice_u, positive_squares, negative_squares = values[width:].reshape(everything, 3).T
        outside = np.stack(
            [
                twice_u,
                overall[1] - inside[1],
                overall[2] - inside[2],
                positive_squares,
                negative_squares,
            ]
        )
        return inside, outside, overall

    def auc_cross_sums(self, model: str) -> AucCrossSums:
        """All rows' placement numerators of every class, summed by true class (with their
        pairwise products): what the covariance of the classes' one-vs-rest AUCs needs.

        One query: a common table of each row's true class index and scores; per class
        the per-score counts, and from their running sums each score's numerator for a
        positive (``2 negatives below + negatives tied``) and for a negative
        (``2 positives above + positives tied``); the rows joined to them on their
        scores; sums per true class.
        """
        key = ("auc cross sums", model)
        cache = self.shared.cache
        terms = self.shared.terms
        k = len(terms.outputs.classes)
        if key not in cache:
            cache[key] = self._auc_cross_sums(model, k)
        packed = cache[key]
        return AucCrossSums(
            packed[:, 0].copy(),
            packed[:, 1 : 1 + k].copy(),
            packed[:, 1 + k :].reshape(k, k, k).copy(),
        )

    def _auc_cross_sums(self, model: str, k: int) -> np.ndarray:
        params = Parameters()
        terms = self.shared.terms
        true_class = exp.Case(
            ifs=[
                exp.If(this=terms.is_class(c, params), true=exp.Literal.number(c)) for c in range(k)
            ]
        )
        base = exp.select(
            exp.alias_(true_class, "mlprobe_y"),
            *(exp.alias_(terms.score(model, c), f"mlprobe_s{c}") for c in range(k)),
            copy=False,
        ).from_(self.shared.engine.source(), copy=False)
        y = _col("mlprobe_y")
        joined = exp.select(
            y,
            *(
                exp.alias_(
                    exp.Case(
                        ifs=[
                            exp.If(
                                this=exp.EQ(this=y.copy(), expression=exp.Literal.number(c)),
                                true=_col(f"mlprobe_pos{c}"),
                            )
                        ],
                        default=_col(f"mlprobe_neg{c}"),
                    ),
                    f"mlprobe_v{c}",
                )
                for c in range(k)
            ),
            copy=False,
        ).from_("mlprobe_base", copy=False)
        for c in range(k):
            joined = joined.join(
                _placements_per_score(c),
                on=exp.EQ(this=_col(f"mlprobe_s{c}"), expression=_col(f"mlprobe_k{c}")),
                copy=False,
            )
        values = [_col(f"mlprobe_v{c}") for c in range(k)]
        sums: list[Any] = [exp.Count(this=exp.Star())]
        sums += [exp.Sum(this=exp.cast(v.copy(), exp.DataType.Type.DOUBLE)) for v in values]
        sums += [
            exp.Sum(
                this=exp.Mul(
                    this=exp.cast(a.copy(), exp.DataType.Type.DOUBLE),
                    expression=exp.cast(b.copy(), exp.DataType.Type.DOUBLE),
                )
            )
            for a in values
            for b in values
        ]
        query = (
            exp.select(y.copy(), *sums, copy=False)
            .from_(joined.subquery("mlprobe_rows", copy=False), copy=False)
            .group_by(y.copy(), copy=False)
            .with_("mlprobe_base", as_=base, copy=False)
        )
        packed = np.zeros((k, 1 + k + k * k))
        for row in self.shared.engine.rows(query, params.values):
            packed[int(row[0])] = [0.0 if v is None else float(v) for v in row[1:]]
        return packed


#: the fields of an AucCounts: 2U, positives, negatives, positive and negative squares
_AUC_FIELDS = 5


def _col(name: str) -> exp.Expression:
    return exp.column(name)


def _tied_pairs(p: exp.Expression, n: exp.Expression) -> exp.Expression:
    """``SUM(p * n)`` in DOUBLE: positive-negative pairs tied on a score."""
    return exp.Sum(
        this=exp.Mul(
            this=exp.cast(p.copy(), exp.DataType.Type.DOUBLE),
            expression=exp.cast(n.copy(), exp.DataType.Type.DOUBLE),
        )
    )


def _bigint(value: int) -> exp.Expression:
    return exp.cast(exp.Literal.number(value), exp.DataType.Type.BIGINT)


def _minus(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.paren(exp.Sub(this=a.copy(), expression=b), copy=False)


def _running_sum(x: exp.Expression) -> exp.Expression:
    """``SUM(x) OVER (ORDER BY score ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)``."""
    return exp.Window(
        this=exp.Sum(this=x.copy()),
        order=exp.Order(expressions=[exp.Ordered(this=exp.column("mlprobe_score"))]),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
        ),
    )


def _twice_u(p: exp.Expression, n: exp.Expression, b: exp.Expression) -> exp.Expression:
    """``SUM(p * (2b + n))``: twice the Mann–Whitney U, ties counted half."""
    twice_below = exp.Mul(this=exp.Literal.number(2), expression=b.copy())
    return exp.Sum(
        this=exp.Mul(
            this=p.copy(), expression=exp.paren(exp.Add(this=twice_below, expression=n.copy()))
        )
    )


def _squares(
    weight: exp.Expression, tied: exp.Expression, beyond: exp.Expression
) -> exp.Expression:
    """``SUM(weight * (2 beyond + tied)^2)`` in DOUBLE: per positive (``weight`` = p) its
    squared placement ``(2b + n)^2``, or per negative (``weight`` = n) ``(2a + p)^2``."""
    twice = exp.Add(
        this=exp.Mul(this=exp.Literal.number(2), expression=beyond.copy()),
        expression=tied.copy(),
    )
    placement = exp.cast(exp.paren(twice, copy=False), exp.DataType.Type.DOUBLE)
    product = exp.Mul(
        this=exp.Mul(this=exp.cast(weight.copy(), exp.DataType.Type.DOUBLE), expression=placement),
        expression=placement.copy(),
    )
    return exp.Sum(this=product)


def _placements_per_score(c: int) -> exp.Expression:
    """Per distinct score of class ``c`` (column ``mlprobe_k<c>``) in ``mlprobe_base``: the
    placement numerator of a positive (``mlprobe_pos<c>``) and of a negative (``mlprobe_neg<c>``)
    with that score."""
    is_c = exp.EQ(this=_col("mlprobe_y"), expression=exp.Literal.number(c))
    counts = [
        exp.alias_(_col(f"mlprobe_s{c}"), "mlprobe_score"),
        exp.alias_(
            exp.Count(this=exp.Case(ifs=[exp.If(this=is_c, true=exp.Literal.number(1))])), "p"
        ),
        exp.alias_(
            exp.Count(
                this=exp.Case(
                    ifs=[exp.If(this=exp.Not(this=is_c.copy()), true=exp.Literal.number(1))]
                )
            ),
            "n",
        ),
    ]
    per_score = (
        exp.select(*counts, copy=False)
        .from_("mlprobe_base", copy=False)
        .group_by(_col(f"mlprobe_s{c}"), copy=False)
        .subquery("h", copy=False)
    )
    p, n = _col("p"), _col("n")
    two = exp.Literal.number(2)
    positive = exp.Sub(this=exp.Mul(this=two, expression=_running_sum(n)), expression=n.copy())
    negative = exp.Add(
        this=exp.Mul(
            this=two.copy(),
            expression=exp.paren(
                exp.Sub(this=exp.Window(this=exp.Sum(this=p.copy())), expression=_running_sum(p)),
                copy=False,
            ),
        ),
        expression=p.copy(),
    )
    return (
        exp.select(
            exp.alias_(_col("mlprobe_score"), f"mlprobe_k{c}"),
            exp.alias_(positive, f"mlprobe_pos{c}"),
            exp.alias_(negative, f"mlprobe_neg{c}"),
            copy=False,
        )
        .from_(per_score, copy=False)
        .subquery(f"mlprobe_r{c}", copy=False)
    )
