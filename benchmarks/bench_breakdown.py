"""Benchmark ``Probe.breakdown`` against pandas+sklearn, fairlearn and a bare numpy bincount.

Run from the repository root::

    python benchmarks/bench_breakdown.py                 # 1e5 and 1e6 rows
    python benchmarks/bench_breakdown.py --rows 100000   # one size
    python benchmarks/bench_breakdown.py --scores-only --large  # issue 18: AUC, regression; 1e7 too

Three questions are timed on a seeded synthetic table (8 categorical columns of
2..50 levels, 6 numeric columns, a 5-class target, predictions ~70% right with
an accuracy that varies by group):

1. ``by="<one column>"`` (50 groups),
2. ``by=[two columns]`` (8 x 50 = 400 groups),
3. 50 predicate slices (``==``, ``in``, ``between``, numeric ranges, ``and``/``or``).

Each is answered by mlprobe (the three default metrics with intervals, and
accuracy alone with Wilson intervals), by a pandas groupby (or boolean mask)
loop calling sklearn.metrics, by fairlearn's ``MetricFrame`` (smallest size
only) and by a bare numpy ``np.bincount`` on pre-encoded codes. All answers
are checked to agree before any time is printed.

mlprobe's intervals with the three metrics: Wilson for accuracy; for balanced
accuracy and macro F1, Beta posteriors of the per-class recalls and F1 scores
(see docs/statistics.md), convolved on a grid for groups whose posteriors are
wide and matched by a Beta elsewhere -- all groups at once, no resampling.
The slice-vs-rest p-value of the first metric (accuracy) is the pooled z-test,
or Fisher's exact test where an expected count is under 10.

Timings are the best of several repeats after a warm-up (``time.perf_counter``,
garbage collector off while timing). The probe is built once per size before
the breakdowns (its construction is timed separately); its encoded columns and
``by=`` groupings are then cached, as they are for a user who asks several
questions of one probe. The cost of a first question on a fresh probe is
printed separately ("first call").

A second part (issue 18) times ROC AUC and the regression metrics on 20 overlapping
predicate slices (the slices of ``bench_engines.py``, on a numpy copy of its table):
mlprobe with intervals, gaps, impacts and p-values, against the floors the issue names,
measured in the same run: for ROC AUC a numpy loop that sorts the scores once and counts,
per slice, the negatives below each positive (no ties, no intervals); for MAE, RMSE, mean
error and R2 a loop that selects each slice's rows with its mask. At 1e6 rows it prints the
ratios; ``--large`` adds absolute times at 1e7 rows.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import platform
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

import mlprobe as mp
from mlprobe.core.slicing.slices import Slice

K = 5
METRICS = ["accuracy", "balanced_accuracy", "macro_f1"]
ACCURACY_ONLY = ["accuracy"]
#: MetricFrame runs on this many of the 50 slices, its time scaled to 50 (see fairlearn_slices)
FAIRLEARN_SLICES = 5

# name -> (number of levels, level prefix, stored as pandas "category"?)
CATEGORICAL = {
    "flag": (2, "f", False),
    "tier": (3, "t", True),
    "channel": (5, "ch", False),
    "device": (8, "d", True),
    "segment": (12, "sg", False),
    "lang": (20, "l", True),
    "region": (30, "r", False),
    "store": (50, "s", True),
}
NUMERIC = ["age", "income", "score", "tenure", "visits", "ratio"]
BY_ONE = "store"  # 50 groups
BY_TWO = ["device", "store"]  # 8 x 50 = 400 groups

TARGETS = {
    "mlprobe / bincount": ("<=", 2.0),
    # issue 11: default metrics with their intervals on 400 crossed groups within 3x the bincount
    "mlprobe / bincount, 400 groups": ("<=", 3.0),
    "pandas+sklearn / mlprobe": (">=", 200.0),
    "MetricFrame / mlprobe": (">=", 1000.0),
    "bytes per row": ("<=", 45.0),
}


# --- data ------------------------------------------------------------------------------


def levels(name: str) -> list[str]:
    count, prefix, _ = CATEGORICAL[name]
    return [f"{prefix}{i:02d}" for i in range(count)]


def make_table(n: int, seed: int = 20260601) -> pd.DataFrame:
    """A seeded evaluation table with target ``y`` and predictions ``p`` (ints 0..4)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    codes: dict[str, np.ndarray] = {}
    for name, (count, _, as_category) in CATEGORICAL.items():
        weights = rng.dirichlet(np.full(count, 2.0))  # uneven level sizes
        c = rng.choice(count, size=n, p=weights)
        codes[name] = c
        values = np.array(levels(name), dtype=object)
        columns[name] = (
            pd.Categorical.from_codes(c, levels(name))
            if as_category
            else pd.array(values[c], dtype="str")
        )
    columns["age"] = rng.integers(18, 91, n)
    columns["income"] = np.round(rng.lognormal(10.5, 0.6, n), 2)
    columns["score"] = rng.normal(0.0, 1.0, n)
    columns["tenure"] = rng.exponential(3.0, n)
    columns["visits"] = rng.poisson(4.0, n)
    columns["ratio"] = rng.random(n)
    y = rng.choice(K, size=n, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    # accuracy varies with the store, the device, the channel, the score and the age
    logit = (
        rng.normal(0, 0.6, 50)[codes["store"]]
        + rng.normal(0, 0.4, 8)[codes["device"]]
        + rng.normal(0, 0.3, 5)[codes["channel"]]
        + 0.35 * columns["score"]
        - 0.01 * (columns["age"] - 50)
        - 0.25 * (y == 4)
    )
    intercept = _calibrate(logit, 0.70)
    correct = rng.random(n) < 1 / (1 + np.exp(-(intercept + logit)))
    wrong = (y + rng.choice([1, 1, 2, 3, 4], size=n)) % K  # near-miss errors more common
    columns["y"] = y
    columns["p"] = np.where(correct, y, wrong)
    return pd.DataFrame(columns)


def _calibrate(logit: np.ndarray, mean: float) -> float:
    low, high = -10.0, 10.0
    for _ in range(50):
        mid = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(mid + logit)))) < mean:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# --- the 50 slices, as small trees compiled three ways -----------------------------------
# ("eq", col, value) | ("in", col, [values]) | ("between", col, low, high)
# | ("ge"/"gt"/"lt"/"le", col, value) | ("and", a, b) | ("or", a, b)


def make_slice_specs(data: pd.DataFrame, seed: int = 7) -> list[tuple]:
    rng = np.random.default_rng(seed)
    cats = list(CATEGORICAL)

    def level(c: str) -> str:
        return str(rng.choice(levels(c)))

    def some(c: str) -> list[str]:
        pool = levels(c)
        return sorted(
            rng.choice(
                pool, size=min(len(pool) - 1, int(rng.integers(2, 5))), replace=False
            ).tolist()
        )

    def quantiles(c: str) -> tuple[Any, Any]:
        lo_q, hi_q = sorted(rng.uniform(0.05, 0.95, 2))
        lo, hi = np.quantile(data[c].to_numpy(), [lo_q, hi_q])
        if data[c].dtype.kind in "iu":
            return int(lo), int(hi) + (int(hi) == int(lo))
        return round(float(lo), 3), round(float(hi), 3)

    def num(c: str, q: float) -> Any:
        v = np.quantile(data[c].to_numpy(), q)
        return int(v) if data[c].dtype.kind in "iu" else round(float(v), 3)

    specs: list[tuple] = [("eq", cats[i % 8], level(cats[i % 8])) for i in range(10)]  # ==
    for i in range(8):  # in
        c = cats[2 + i % 6]
        specs.append(("in", c, some(c)))
    for i in range(8):  # between
        c = NUMERIC[i % 6]
        specs.append(("between", c, *quantiles(c)))
    for i in range(8):  # numeric ranges: one-sided or two-sided
        c = NUMERIC[(i + 2) % 6]
        lo, hi = quantiles(c)
        specs.append(
            ("ge", c, lo)
            if i % 3 == 0
            else ("lt", c, hi)
            if i % 3 == 1
            else ("and", ("gt", c, lo), ("le", c, hi))
        )
    for i in range(8):  # categorical and numeric
        c, x = cats[(i + 3) % 8], NUMERIC[i % 6]
        specs.append(
            (
                "and",
                ("in", c, some(c)) if i % 2 else ("eq", c, level(c)),
                ("ge" if i % 2 else "lt", x, num(x, 0.5)),
            )
        )
    for i in range(8):  # or
        a, b = cats[i % 8], cats[(i + 5) % 8]
        specs.append(
            (
                "or",
                ("eq", a, level(a)),
                ("in", b, some(b)) if i % 2 else ("gt", NUMERIC[i % 6], num(NUMERIC[i % 6], 0.8)),
            )
        )
    assert len(specs) == 50
    return specs


_SYMBOL = {"eq": "==", "ge": ">=", "gt": ">", "lt": "<", "le": "<="}


def _literal(v: Any) -> str:
    return f"'{v}'" if isinstance(v, str) else repr(v)


def to_text(spec: tuple) -> str:
    op = spec[0]
    if op in ("and", "or"):
        return f"({to_text(spec[1])}) {op} ({to_text(spec[2])})"
    if op == "in":
        return f"{spec[1]} in [{', '.join(_literal(v) for v in spec[2])}]"
    if op == "between":
        return f"{spec[1]} between {_literal(spec[2])} and {_literal(spec[3])}"
    return f"{spec[1]} {_SYMBOL[op]} {_literal(spec[2])}"


_NP_OPS = {
    "eq": np.equal,
    "ge": np.greater_equal,
    "gt": np.greater,
    "lt": np.less,
    "le": np.less_equal,
}


def numpy_mask(
    spec: tuple, encoded: dict[str, np.ndarray], lookup: dict[str, dict[str, int]]
) -> np.ndarray:
    """The slice on pre-encoded arrays: codes for categorical columns, numbers otherwise."""
    op, column = spec[0], spec[1]
    if op == "and":
        return numpy_mask(spec[1], encoded, lookup) & numpy_mask(spec[2], encoded, lookup)
    if op == "or":
        return numpy_mask(spec[1], encoded, lookup) | numpy_mask(spec[2], encoded, lookup)
    values = encoded[column]
    if column in lookup:  # categorical: compare codes
        if op == "eq":
            return values == lookup[column][spec[2]]
        table = np.zeros(len(lookup[column]), dtype=bool)
        table[[lookup[column][v] for v in spec[2]]] = True
        return table[values]
    if op == "between":
        return (values >= spec[2]) & (values <= spec[3])
    return _NP_OPS[op](values, spec[2])


def pandas_mask(spec: tuple, data: pd.DataFrame) -> pd.Series:
    op = spec[0]
    if op == "and":
        return pandas_mask(spec[1], data) & pandas_mask(spec[2], data)
    if op == "or":
        return pandas_mask(spec[1], data) | pandas_mask(spec[2], data)
    column = data[spec[1]]
    if op == "in":
        return column.isin(spec[2])
    if op == "between":
        return column.between(spec[2], spec[3])
    return {"eq": column.eq, "ge": column.ge, "gt": column.gt, "lt": column.lt, "le": column.le}[
        op
    ](spec[2])


# --- the peers ------------------------------------------------------------------------------


def derive(tables: np.ndarray) -> dict[str, np.ndarray]:
    """n, accuracy, balanced accuracy and macro F1 from (G, K, K) counts (as sklearn defines them)."""
    tables = tables.astype(np.float64)
    n = tables.sum(axis=(1, 2))
    tp = np.diagonal(tables, axis1=1, axis2=2)
    actual = tables.sum(axis=2)
    predicted = tables.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = tp.sum(axis=1) / n
        in_truth = actual > 0
        balanced = np.where(in_truth, tp / actual, 0.0).sum(axis=1) / in_truth.sum(axis=1)
        seen = (actual + predicted) > 0
        f1 = np.where(seen, 2 * tp / (actual + predicted), 0.0).sum(axis=1) / seen.sum(axis=1)
    return {"n": n, "accuracy": accuracy, "balanced_accuracy": balanced, "macro_f1": f1}


def numpy_by(
    codes: list[np.ndarray], widths: list[int], y: np.ndarray, p: np.ndarray
) -> dict[str, np.ndarray]:
    """One bincount over ``group * K*K + true * K + pred``; the crossed groups that occur."""
    group = codes[0].astype(np.intp)
    space = widths[0]
    for c, w in zip(codes[1:], widths[1:], strict=True):
        group = group * w + c
        space *= w
    counts = np.bincount(group * (K * K) + y * K + p, minlength=space * K * K).reshape(space, K, K)
    out = derive(counts)
    used = out["n"] > 0
    out = {key: value[used] for key, value in out.items()}
    out["group"] = np.flatnonzero(used)
    return out


def numpy_slices(
    specs: list[tuple],
    encoded: dict[str, np.ndarray],
    lookup: dict[str, dict[str, int]],
    y: np.ndarray,
    p: np.ndarray,
) -> dict[str, np.ndarray]:
    cells = y * K + p
    tables = np.empty((len(specs), K * K), dtype=np.int64)
    for i, spec in enumerate(specs):
        tables[i] = np.bincount(cells[numpy_mask(spec, encoded, lookup)], minlength=K * K)
    return derive(tables.reshape(-1, K, K))


def _sklearn_row(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, float, float, float]:
    return (
        len(y_true),
        accuracy_score(y_true, y_pred),
        balanced_accuracy_score(y_true, y_pred),
        f1_score(y_true, y_pred, average="macro"),
    )


def pandas_by(data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = {}
    for key, group in data.groupby(by, observed=True, sort=True)[["y", "p"]]:
        rows[key] = _sklearn_row(group["y"].to_numpy(), group["p"].to_numpy())
    return _by_names(pd.DataFrame.from_dict(rows, orient="index", columns=["n", *METRICS]), by)


def _by_names(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Index a per-group frame by mlprobe's slice names; drop groups with no rows."""
    keys = [k if isinstance(k, tuple) else (k,) for k in frame.index]
    frame = frame.set_axis(group_names(by, keys))
    return frame[frame["n"].fillna(0) > 0]


def pandas_slices(data: pd.DataFrame, specs: list[tuple]) -> pd.DataFrame:
    y, p = data["y"].to_numpy(), data["p"].to_numpy()
    rows = []
    for spec in specs:
        mask = pandas_mask(spec, data).to_numpy()
        rows.append(_sklearn_row(y[mask], p[mask]))
    return pd.DataFrame(rows, columns=["n", *METRICS])


def _fairlearn_metrics() -> dict[str, Callable]:
    from fairlearn.metrics import count

    return {
        "n": count,
        "accuracy": accuracy_score,
        "balanced_accuracy": balanced_accuracy_score,
        "macro_f1": functools.partial(f1_score, average="macro"),
    }


def fairlearn_by(data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    from fairlearn.metrics import MetricFrame

    frame = MetricFrame(
        metrics=_fairlearn_metrics(),
        y_true=data["y"],
        y_pred=data["p"],
        sensitive_features=data[by],
    )
    return _by_names(frame.by_group, by)


def fairlearn_slices(data: pd.DataFrame, specs: list[tuple]) -> pd.DataFrame:
    """MetricFrame has no overlapping slices: one frame per slice, split on its mask.

    Each MetricFrame costs seconds at 1e5 rows whatever its groups (fairlearn
    0.15 ``np.stack``s every row's label, per metric and group), so the
    benchmark times the first ``FAIRLEARN_SLICES`` slices and scales the time
    to 50 (printed as an estimate) unless ``--fairlearn-all-slices`` is given.
    """
    from fairlearn.metrics import MetricFrame

    metrics = _fairlearn_metrics()
    rows = []
    for spec in specs:
        mask = pandas_mask(spec, data).rename("in_slice")
        frame = MetricFrame(
            metrics=metrics, y_true=data["y"], y_pred=data["p"], sensitive_features=mask
        )
        rows.append(frame.by_group.loc[True])
    return pd.DataFrame(rows).reset_index(drop=True)


# --- timing, checks ------------------------------------------------------------------------


def best_ms(
    fn: Callable[[], Any], *, repeats: int, warmup: int = 1, budget: float = 3.0
) -> tuple[float, Any, int]:
    """Best wall time in ms of up to ``repeats`` calls (stop early past ``budget`` s), and the last result."""
    out = None
    for _ in range(warmup):
        out = fn()
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
        if sum(times) > budget:
            break
    return 1e3 * min(times), out, len(times)


def assert_agree(
    what: str,
    mlprobe_rows: pd.DataFrame,
    peer: dict[str, np.ndarray] | pd.DataFrame,
    names: list[str],
) -> None:
    """mlprobe's slice rows (in ``names`` order) equal the peer's n and three metrics."""
    mine = mlprobe_rows.set_index("slice").loc[names]
    if isinstance(peer, pd.DataFrame) and not isinstance(peer.index, pd.RangeIndex):
        assert len(peer) == len(names), f"{what}: {len(peer)} groups vs {len(names)}"
        peer = peer.loc[names]
    for column in ["n", *METRICS]:
        theirs = np.asarray(peer[column], dtype=np.float64)
        ours = mine[column].to_numpy(dtype=np.float64)
        if not np.allclose(ours, theirs, rtol=1e-9, atol=1e-12, equal_nan=True):
            worst = int(np.nanargmax(np.abs(ours - theirs)))
            raise AssertionError(
                f"{what}: {column} differs at {names[worst]!r}: mlprobe {ours[worst]} vs {theirs[worst]}"
            )


def group_names(by: list[str], keys: list[tuple]) -> list[str]:
    return [" and ".join(f"{c} == '{v}'" for c, v in zip(by, key, strict=True)) for key in keys]


def bincount_target(case: str) -> str:
    """The bincount-ratio target of a case: 3x for the 400 crossed groups, 2x otherwise."""
    return "mlprobe / bincount, 400 groups" if "(400)" in case else "mlprobe / bincount"


def verdict(name: str, value: float) -> str:
    op, limit = TARGETS[name]
    ok = value <= limit if op == "<=" else value >= limit
    return f"{'PASS' if ok else 'MISS'} ({op} {limit:g})"


# --- one size ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    call: dict[str, Any]  # breakdown keyword arguments but metrics
    numpy: Callable[[], Any]
    pandas: Callable[[], Any]
    fairlearn: Callable[[], Any]
    names: list[str]  # mlprobe slice names, in the peers' order
    fairlearn_share: float = 1.0  # fraction of the case MetricFrame answers (time is scaled up)


def run_size(
    n: int, *, with_fairlearn: bool, quick: bool, fairlearn_all_slices: bool = False
) -> dict[str, Any]:
    print(f"\n=== {n:,} rows ===", flush=True)
    start = time.perf_counter()
    data = make_table(n)
    specs = make_slice_specs(data)
    texts = [to_text(s) for s in specs]
    t0 = time.perf_counter()
    slices = [Slice.parse(t) for t in texts]
    parse_ms = 1e3 * (time.perf_counter() - t0)
    # pre-encoded arrays for the bare numpy baseline (not timed, as a user of numpy would have them)
    lookup = {c: {v: i for i, v in enumerate(levels(c))} for c in CATEGORICAL}
    encoded: dict[str, np.ndarray] = {}
    for c in CATEGORICAL:
        codes, uniques = pd.factorize(data[c], sort=True)
        assert list(uniques) == levels(c)
        encoded[c] = codes.astype(np.int8)
    for c in NUMERIC:
        encoded[c] = data[c].to_numpy()
    y, p = data["y"].to_numpy().astype(np.int8), data["p"].to_numpy().astype(np.int8)
    accuracy = float(np.mean(y == p))
    print(
        f"table made in {time.perf_counter() - start:.1f} s; overall accuracy {accuracy:.3f}; "
        f"parse 50 slices once: {parse_ms:.1f} ms",
        flush=True,
    )

    build_ms, probe, _ = best_ms(
        lambda: mp.Probe(data, target="y", predictions="p"), repeats=3 if quick else 5, warmup=1
    )
    print(f"Probe(data, target='y', predictions='p'): {build_ms:.1f} ms", flush=True)

    one_keys = [(v,) for v in levels(BY_ONE)]
    cases = [
        Case(
            f"by={BY_ONE!r} ({len(levels(BY_ONE))})",
            {"by": BY_ONE},
            lambda: numpy_by([encoded[BY_ONE]], [len(lookup[BY_ONE])], y, p),
            lambda: pandas_by(data, [BY_ONE]),
            lambda: fairlearn_by(data, [BY_ONE]),
            group_names([BY_ONE], one_keys),
        ),
        Case(
            f"by={BY_TWO} ({len(levels(BY_TWO[0])) * len(levels(BY_TWO[1]))})",
            {"by": BY_TWO},
            lambda: numpy_by([encoded[c] for c in BY_TWO], [len(lookup[c]) for c in BY_TWO], y, p),
            lambda: pandas_by(data, BY_TWO),
            lambda: fairlearn_by(data, BY_TWO),
            [],
        ),  # filled from the groups that occur
        Case(
            "50 predicate slices (masks)",
            {"slices": slices},
            lambda: numpy_slices(specs, encoded, lookup, y, p),
            lambda: pandas_slices(data, specs),
            lambda: fairlearn_slices(
                data, specs if fairlearn_all_slices else specs[:FAIRLEARN_SLICES]
            ),
            [s.name for s in slices],  # the parser normalizes the text
            1.0 if fairlearn_all_slices else FAIRLEARN_SLICES / len(specs),
        ),
    ]
    big = n >= 500_000
    results: list[dict[str, Any]] = []
    for case in cases:
        row: dict[str, Any] = {"rows": n, "case": case.name}
        # bare numpy
        row["numpy_ms"], ref, _ = best_ms(case.numpy, repeats=7 if not quick else 3)
        if not case.names:
            widths = [len(lookup[c]) for c in BY_TWO]
            case.names = group_names(
                BY_TWO,
                [
                    (levels(BY_TWO[0])[g // widths[1]], levels(BY_TWO[1])[g % widths[1]])
                    for g in ref["group"]
                ],
            )
        # mlprobe: first call on a fresh probe (encodes the columns, groups rows), then warm
        fresh = mp.Probe(data, target="y", predictions="p")
        t0 = time.perf_counter()
        fresh.breakdown(**case.call, metrics=ACCURACY_ONLY)
        row["first_call_acc_ms"] = 1e3 * (time.perf_counter() - t0)
        del fresh
        row["mlprobe_acc_ms"], table_acc, _ = best_ms(
            lambda call=case.call: probe.breakdown(**call, metrics=ACCURACY_ONLY),
            repeats=7 if not quick else 3,
        )
        row["mlprobe_ms"], table, row["mlprobe_repeats"] = best_ms(
            lambda call=case.call: probe.breakdown(**call, metrics=METRICS),
            repeats=5 if not quick else 2,
            budget=8.0,
        )
        slice_rows = table[table["slice"] != "overall"]
        assert_agree(f"{case.name} vs numpy", slice_rows, ref, case.names)
        acc_rows = table_acc[table_acc["slice"] != "overall"].set_index("slice").loc[case.names]
        assert np.allclose(acc_rows["accuracy"].to_numpy(), ref["accuracy"])
        # pandas + sklearn loop
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
            row["pandas_ms"], theirs, _ = best_ms(
                case.pandas, repeats=1 if big else 3, warmup=0 if big else 1, budget=20.0
            )
            assert_agree(f"{case.name} vs pandas+sklearn", slice_rows, theirs, case.names)
            if with_fairlearn:
                row["fairlearn_ms"], theirs, _ = best_ms(case.fairlearn, repeats=1, warmup=0)
                answered = case.names[: len(theirs)]
                assert_agree(f"{case.name} vs fairlearn", slice_rows, theirs, answered)
                row["fairlearn_ms"] /= case.fairlearn_share
                row["fairlearn_estimated"] = case.fairlearn_share < 1
        row["ratio_mlprobe_numpy"] = row["mlprobe_ms"] / row["numpy_ms"]
        row["ratio_acc_numpy"] = row["mlprobe_acc_ms"] / row["numpy_ms"]
        row["ratio_pandas_mlprobe"] = row["pandas_ms"] / row["mlprobe_ms"]
        row["ratio_pandas_acc"] = row["pandas_ms"] / row["mlprobe_acc_ms"]
        if with_fairlearn:
            row["ratio_fairlearn_mlprobe"] = row["fairlearn_ms"] / row["mlprobe_ms"]
            row["ratio_fairlearn_acc"] = row["fairlearn_ms"] / row["mlprobe_acc_ms"]
        results.append(row)
        print_case(row, with_fairlearn)

    memory = measure_memory(data, slices, n)
    memory["nbytes_per_row"] = probe.nbytes() / n  # the probe that answered every case above
    print_memory(memory)
    return {
        "rows": n,
        "build_ms": build_ms,
        "parse_ms": parse_ms,
        "cases": results,
        "memory": memory,
        "accuracy": accuracy,
    }


def measure_memory(data: pd.DataFrame, slices: list[Slice], n: int) -> dict[str, float]:
    """tracemalloc of building a fresh probe and asking the three questions.

    Accuracy only: what grows with the rows is the same for every metric (the
    interval scratch of the other two, delta method or resampled tables, is per
    group, not per row).
    """
    gc.collect()
    tracemalloc.start()
    probe = mp.Probe(data, target="y", predictions="p")
    after_build = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for call in ({"by": BY_ONE}, {"by": BY_TWO}, {"slices": slices}):
        probe.breakdown(**call, metrics=ACCURACY_ONLY)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "fresh_nbytes_per_row": probe.nbytes() / n,
        "traced_kept_per_row": current / n,
        "traced_build_peak_per_row": after_build[1] / n,
        "traced_breakdown_peak_per_row": peak / n,
    }


# --- printing ------------------------------------------------------------------------------


#: the method of the three-metric call, for its label
THREE_METRICS_LABEL = "mlprobe, 3 metrics (table intervals: Beta posteriors, all groups at once)"


def print_case(row: dict[str, Any], with_fairlearn: bool) -> None:
    width = len(THREE_METRICS_LABEL)

    def line(label: str, ms: float, note: str = "") -> None:
        print(f"    {label:<{width}} {ms:10.1f} ms{note}")

    print(f"\n  {row['case']}")
    line("bare numpy bincount (3 metrics, no intervals)", row["numpy_ms"])
    line(THREE_METRICS_LABEL, row["mlprobe_ms"], f"  (best of {row['mlprobe_repeats']})")
    line("mlprobe, accuracy only (Wilson intervals)", row["mlprobe_acc_ms"])
    line("mlprobe first call, fresh probe, accuracy", row["first_call_acc_ms"])
    line("pandas + sklearn loop", row["pandas_ms"])
    if with_fairlearn:
        estimate = (
            f"  (estimate: {FAIRLEARN_SLICES} slices timed, x{50 // FAIRLEARN_SLICES})"
            if row.get("fairlearn_estimated")
            else ""
        )
        line("fairlearn MetricFrame", row["fairlearn_ms"], estimate)
    print(
        f"    mlprobe / bincount          3 metrics {row['ratio_mlprobe_numpy']:8.1f}x  {verdict(bincount_target(row['case']), row['ratio_mlprobe_numpy'])}"
        f" | accuracy only {row['ratio_acc_numpy']:6.1f}x  {verdict('mlprobe / bincount', row['ratio_acc_numpy'])}"
    )
    print(
        f"    pandas+sklearn / mlprobe    3 metrics {row['ratio_pandas_mlprobe']:8.1f}x  {verdict('pandas+sklearn / mlprobe', row['ratio_pandas_mlprobe'])}"
        f" | accuracy only {row['ratio_pandas_acc']:6.0f}x  {verdict('pandas+sklearn / mlprobe', row['ratio_pandas_acc'])}"
    )
    if with_fairlearn:
        print(
            f"    MetricFrame / mlprobe       3 metrics {row['ratio_fairlearn_mlprobe']:8.1f}x  {verdict('MetricFrame / mlprobe', row['ratio_fairlearn_mlprobe'])}"
            f" | accuracy only {row['ratio_fairlearn_acc']:6.0f}x  {verdict('MetricFrame / mlprobe', row['ratio_fairlearn_acc'])}"
        )
    print(
        "    agreement with every peer: n, accuracy, balanced_accuracy, macro_f1 equal (rtol 1e-9)",
        flush=True,
    )


def print_memory(m: dict[str, float]) -> None:
    print("\n  memory (bytes per row)")
    print(
        f"    probe.nbytes() after all breakdowns    {m['nbytes_per_row']:6.1f}  {verdict('bytes per row', m['nbytes_per_row'])}"
    )
    print(
        f"    tracemalloc: kept by a fresh probe     {m['traced_kept_per_row']:6.1f}  (its nbytes: {m['fresh_nbytes_per_row']:.1f})"
    )
    print(f"    tracemalloc: peak while building       {m['traced_build_peak_per_row']:6.1f}")
    print(
        f"    tracemalloc: peak during breakdowns    {m['traced_breakdown_peak_per_row']:6.1f}  (transient)"
    )


def _mark(name: str, value: float) -> str:
    return f"{value:.1f} {verdict(name, value).split()[0]}"


def print_summary(sizes: list[dict[str, Any]]) -> None:
    """Times (ms) and ratios, then the targets: "3m" = mlprobe with the three metrics, "acc" = accuracy only."""
    print("\n=== summary: best-of times in ms ===")
    header = (
        f"{'rows':>9} | {'case':<30} | {'numpy':>7} | {'mlprobe 3m':>10} | {'mlprobe acc':>11} | "
        f"{'pandas+skl':>10} | {'fairlearn':>10}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        for r in size["cases"]:
            fl = (
                f"{'~' if r.get('fairlearn_estimated') else ''}{r['fairlearn_ms']:.0f}"
                if "fairlearn_ms" in r
                else "-"
            )
            print(
                f"{r['rows']:>9,} | {r['case']:<30} | {r['numpy_ms']:7.1f} | {r['mlprobe_ms']:10.1f} | "
                f"{r['mlprobe_acc_ms']:11.1f} | {r['pandas_ms']:10.0f} | {fl:>10}"
            )
    print("\n=== summary: ratios (same run) and targets ===")
    header = (
        f"{'rows':>9} | {'case':<30} | {'3m / numpy <=2|3':>16} | {'acc / numpy <=2':>15} | "
        f"{'pandas / 3m >=200':>17} | {'pandas / acc >=200':>18} | {'MF / 3m >=1000':>14} | {'MF / acc >=1000':>15}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        for r in size["cases"]:
            fl = ("-", "-")
            if "fairlearn_ms" in r:
                fl = (
                    _mark("MetricFrame / mlprobe", r["ratio_fairlearn_mlprobe"]),
                    _mark("MetricFrame / mlprobe", r["ratio_fairlearn_acc"]),
                )
            print(
                f"{r['rows']:>9,} | {r['case']:<30} | {_mark(bincount_target(r['case']), r['ratio_mlprobe_numpy']):>16} | "
                f"{_mark('mlprobe / bincount', r['ratio_acc_numpy']):>15} | "
                f"{_mark('pandas+sklearn / mlprobe', r['ratio_pandas_mlprobe']):>17} | "
                f"{_mark('pandas+sklearn / mlprobe', r['ratio_pandas_acc']):>18} | {fl[0]:>14} | {fl[1]:>15}"
            )
    print(
        "\n=== ceilings: the same peers over the bare numpy baseline (no library can beat these by 2x) ==="
    )
    for size in sizes:
        for r in size["cases"]:
            fl = f"{r['fairlearn_ms'] / r['numpy_ms']:.0f}x" if "fairlearn_ms" in r else "-"
            print(
                f"{r['rows']:>9,} | {r['case']:<30} | pandas+sklearn / numpy {r['pandas_ms'] / r['numpy_ms']:7.0f}x"
                f" | MetricFrame / numpy {fl:>7}"
            )
    print()
    for size in sizes:
        m = size["memory"]
        print(
            f"{size['rows']:>9,} rows: Probe() {size['build_ms']:.1f} ms; probe.nbytes()/row {m['nbytes_per_row']:.1f} "
            f"{verdict('bytes per row', m['nbytes_per_row'])}; tracemalloc: kept {m['traced_kept_per_row']:.1f}, "
            f"build peak {m['traced_build_peak_per_row']:.1f}, breakdown peak {m['traced_breakdown_peak_per_row']:.1f} B/row"
        )
    if any(r.get("fairlearn_estimated") for size in sizes for r in size["cases"]):
        print(
            f"~ MetricFrame on {FAIRLEARN_SLICES} of the 50 slices, time scaled to 50 (--fairlearn-all-slices runs all)"
        )


# --- issue 18: ROC AUC and regression metrics on 20 overlapping slices ---------------------

# the slices of bench_engines.py (this script runs beside it: python benchmarks/...)
from bench_engines import REGRESSION_SLICES  # noqa: E402
from bench_engines import SLICES as SCORE_SLICES  # noqa: E402

SCORE_TARGETS = {"auc / one-sort loop": 1.5, "regression / masked loop": 1.5}
LARGE_TARGETS_S = {"roc_auc": 3.0, "regression": 2.0}


def make_score_table(n: int, seed: int = 42) -> pd.DataFrame:
    """bench_engines.py's table in numpy: region, channel, age, income, tenure (5% missing),
    a binary target y, predictions v1, a continuous score and a predicted income."""
    rng = np.random.default_rng(seed)
    region = pd.Categorical.from_codes(rng.integers(0, 8, n), [f"r{i}" for i in range(8)])
    channel_codes = rng.integers(0, 4, n)
    channel = pd.Categorical.from_codes(channel_codes, ["web", "store", "phone", "partner"])
    age = rng.integers(18, 90, n)
    income = np.round(np.exp(10 + rng.random(n)), 2)
    tenure = np.where(rng.random(n) < 0.05, np.nan, np.round(rng.exponential(3, n), 2))
    y = (rng.random(n) < 0.3).astype(np.int64)
    phone = channel_codes == 2
    v1 = np.where(rng.random(n) < np.where(phone, 0.7, 0.88), y, 1 - y)
    logit = -1.3 + np.where(phone, 1.0, 2.2) * y + 0.01 * (age - 50) + rng.normal(size=n)
    score = 1 / (1 + np.exp(-logit))
    income_hat = np.round(income * np.where(phone, 1.10, 1.02) + 3000 * rng.normal(size=n), 2)
    return pd.DataFrame(
        {
            "region": region,
            "channel": channel,
            "age": age,
            "income": income,
            "tenure": tenure,
            "y": y,
            "v1": v1,
            "score": score,
            "income_hat": income_hat,
        }
    )


def auc_loop(scores: np.ndarray, y: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """The floor: one sort, then per slice the negatives below each positive (no ties)."""
    order = np.argsort(scores, kind="stable")
    positive = y[order] == 1
    out = np.empty(len(masks))
    for i, mask in enumerate(masks):
        mine = positive[mask[order]]
        negatives_below = np.cumsum(~mine)
        n_pos = np.count_nonzero(mine)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = negatives_below[mine].sum() / (n_pos * (len(mine) - n_pos))
    return out


def regression_loop(
    target: np.ndarray, prediction: np.ndarray, masks: list[np.ndarray]
) -> np.ndarray:
    """The floor: per slice, its rows by mask, then MAE, RMSE, mean error and R2."""
    error = prediction - target
    out = np.full((len(masks), 4), np.nan)
    for i, mask in enumerate(masks):
        e, t = error[mask], target[mask]
        if len(e):
            squares = (e * e).mean()
            out[i] = np.abs(e).mean(), np.sqrt(squares), e.mean(), 1 - squares / t.var()
    return out


def run_score_metrics(n: int, *, quick: bool) -> dict[str, Any]:
    """ROC AUC and regression metrics of 20 slices: mlprobe and the floors, same run."""
    print(f"\n=== issue 18: {n:,} rows, 20 overlapping slices ===", flush=True)
    data = make_score_table(n)
    repeats = 2 if quick or n > 2_000_000 else 5
    row: dict[str, Any] = {"rows": n}
    probe = mp.Probe(data, target="y", predictions="v1", scores=data["score"].to_numpy())
    slices = [Slice.parse(s) for s in SCORE_SLICES]
    masks = [probe.mask(s) for s in slices]
    y = data["y"].to_numpy()
    row["auc_loop_ms"], floor, _ = best_ms(
        lambda: auc_loop(data["score"].to_numpy(), y, masks), repeats=repeats
    )
    row["auc_first_ms"], _, _ = best_ms(
        lambda: mp.Probe(
            data, target="y", predictions="v1", scores=data["score"].to_numpy()
        ).breakdown(slices=slices, metrics=["roc_auc"]),
        repeats=1,
        warmup=0,
    )
    row["auc_ms"], table, _ = best_ms(
        lambda: probe.breakdown(slices=slices, metrics=["roc_auc"]), repeats=repeats
    )
    ours = table["roc_auc"].to_numpy()[1:]
    assert np.allclose(ours, floor, rtol=1e-9, equal_nan=True), "roc_auc differs from the loop"
    regression = mp.Probe(data, target="income", predictions="income_hat", task="regression")
    reg_slices = [Slice.parse(s) for s in REGRESSION_SLICES]
    reg_masks = [regression.mask(s) for s in reg_slices]
    target, prediction = data["income"].to_numpy(), data["income_hat"].to_numpy()
    row["reg_loop_ms"], floor, _ = best_ms(
        lambda: regression_loop(target, prediction, reg_masks), repeats=repeats
    )
    metrics = ["mae", "rmse", "mean_error", "r2"]
    row["reg_ms"], table, _ = best_ms(
        lambda: regression.breakdown(slices=reg_slices, metrics=metrics), repeats=repeats
    )
    ours = table[metrics].to_numpy()[1:]
    assert np.allclose(ours, floor, rtol=1e-9, equal_nan=True), "regression differs from the loop"
    row["auc_ratio"] = row["auc_ms"] / row["auc_loop_ms"]
    row["reg_ratio"] = row["reg_ms"] / row["reg_loop_ms"]
    width = 62
    for label, key in (
        ("ROC AUC, one-sort numpy loop (no intervals, no ties)", "auc_loop_ms"),
        ("ROC AUC, mlprobe warm (intervals, gap, impact, p-values)", "auc_ms"),
        ("ROC AUC, mlprobe on a fresh probe (sorts the scores)", "auc_first_ms"),
        ("MAE, RMSE, mean error, R2: masked numpy loop", "reg_loop_ms"),
        ("MAE, RMSE, mean error, R2: mlprobe (intervals, p-values)", "reg_ms"),
    ):
        print(f"    {label:<{width}} {row[key]:10.1f} ms", flush=True)
    for label, key in (
        ("auc / one-sort loop", "auc_ratio"),
        ("regression / masked loop", "reg_ratio"),
    ):
        limit = SCORE_TARGETS[label]
        mark = "PASS" if row[key] <= limit else "MISS"
        print(f"    {label:<{width}} {row[key]:9.2f}x  {mark} (<= {limit:g})")
    if n >= 10_000_000:
        for name, key in (("roc_auc", "auc_ms"), ("regression", "reg_ms")):
            limit = LARGE_TARGETS_S[name]
            mark = "PASS" if row[key] / 1e3 <= limit else "MISS"
            print(f"    {name} at {n:,} rows: {row[key] / 1e3:.2f} s  {mark} (<= {limit:g} s)")
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="table sizes (default: 1e5 1e6)",
    )
    parser.add_argument(
        "--fairlearn-max-rows",
        type=int,
        default=100_000,
        help="run MetricFrame up to this size (slow)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--fairlearn-all-slices",
        action="store_true",
        help=f"run MetricFrame on all 50 slices (~3 min at 1e5) instead of {FAIRLEARN_SLICES}, scaled",
    )
    parser.add_argument(
        "--scores-only",
        action="store_true",
        help="only the ROC AUC and regression part (issue 18)",
    )
    parser.add_argument(
        "--large", action="store_true", help="also time ROC AUC and regression at 1e7 rows"
    )
    args = parser.parse_args(argv)
    import sklearn

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"scikit-learn {sklearn.__version__}, mlprobe {mp.__version__ if hasattr(mp, '__version__') else '?'}; "
        f"{os.cpu_count()} cpus; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )
    started = time.perf_counter()
    if not args.scores_only:
        sizes = [
            run_size(
                n,
                with_fairlearn=n <= args.fairlearn_max_rows,
                quick=args.quick,
                fairlearn_all_slices=args.fairlearn_all_slices,
            )
            for n in args.rows
        ]
        print_summary(sizes)
    for n in [1_000_000] + ([10_000_000] if args.large else []):
        run_score_metrics(n, quick=args.quick)
    print(f"\ntotal {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
