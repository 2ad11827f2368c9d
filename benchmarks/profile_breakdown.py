"""Where ``Probe.breakdown`` spends its time: cProfile of each case of bench_breakdown.py.

Run from the repository root::

    python benchmarks/profile_breakdown.py                  # 1e6 rows
    python benchmarks/profile_breakdown.py --rows 100000 --top 25

For each case (one ``by`` column, two crossed ``by`` columns, 50 predicate
slices) and each metric set (accuracy alone; the three default metrics) it
profiles one warm call (the probe built and the call made once before), and
prints the functions with the most own time. It then times the parts of one
resampled interval (``mlprobe.core.intervals.resample_tables``) for a single
group, the cost that dominates breakdowns with balanced accuracy or macro F1.
Last, it times the steps of the accuracy-only path and a few candidate fixes
(prototypes here, not in mlprobe): counts that skip redundant passes, mask
counting without boolean compaction, and delta-method intervals in place of
resampling (checked against the resampled standard errors).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_breakdown as bench

import mlprobe as mp
from mlprobe.core import intervals
from mlprobe.core.group_stats import GroupStats
from mlprobe.core.grouping import MaskSet
from mlprobe.core.masks import evaluate
from mlprobe.core.metrics.classification import balanced_accuracy, macro_f1
from mlprobe.core.slices import Slice


def profile_call(probe: mp.Probe, call: dict, metrics: list[str], top: int) -> float:
    probe.breakdown(**call, metrics=metrics)  # warm: encoded columns and groupings cached
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    probe.breakdown(**call, metrics=metrics)
    profiler.disable()
    elapsed = time.perf_counter() - start
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    body = out.getvalue()
    print(body[body.index("   ncalls") :] if "   ncalls" in body else body)
    return elapsed


def resample_parts(n: int, repeats: int = 200) -> None:
    """Time the steps of resample_tables for one group of ``n`` rows (K = 5)."""
    rng = np.random.default_rng(0)
    table = rng.multinomial(n, rng.dirichlet(np.ones(25)))
    total = int(table.sum())
    shares = table / total
    steps = {
        "default_rng([seed, *25 counts])": lambda: np.random.default_rng(
            [intervals._SEED, *table.tolist()]
        ),
        "multinomial(total, shares, size=1000)": lambda: rng.multinomial(total, shares, size=1000),
    }
    draws = rng.multinomial(total, shares, size=1000).reshape(1000, 5, 5)
    values = macro_f1(draws)
    steps["macro_f1(draws) (1000 tables)"] = lambda: macro_f1(draws)
    steps["np.quantile(values, [a, 1-a])"] = lambda: np.quantile(values, [0.025, 0.975])
    steps["values.std(ddof=1)"] = lambda: values.std(ddof=1)
    steps["whole resample_tables (1 group)"] = lambda: intervals.resample_tables(
        table.reshape(1, 5, 5), macro_f1, 0.95
    )
    print(f"\nresample_tables, one group of {n:,} rows, K=5, 1000 resamples (best of {repeats}):")
    for name, fn in steps.items():
        best = min(_time(fn) for _ in range(repeats))
        print(f"  {name:<40} {1e3 * best:8.3f} ms")


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best_ms(fn, repeats: int = 10) -> float:
    fn()
    return 1e3 * min(_time(fn) for _ in range(repeats))


def accuracy_path_steps(probe: mp.Probe, slices: list[Slice]) -> None:
    """The row passes of an accuracy-only breakdown, and cheaper ways to get the same counts."""
    arrays = probe._arrays["model"]
    k2 = arrays.n_classes**2
    print("\nsteps of an accuracy-only breakdown (ms, best of 10):")
    for by in (bench.BY_ONE, bench.BY_TWO):
        partition, _ = probe._group_by(by, None)
        tables = GroupStats(partition, arrays).tables()
        print(f"  by={by}")
        print(
            f"    whole breakdown                         {_best_ms(lambda by=by: probe.breakdown(by=by, metrics=['accuracy'])):8.2f}"
        )
        print(
            f"    group tables: Partition.count           {_best_ms(lambda p=partition: GroupStats(p, arrays).tables()):8.2f}"
        )
        print(
            f"    group sizes: bincount(codes)            {_best_ms(lambda p=partition: GroupStats(p, arrays).sizes()):8.2f}"
        )
        print(
            f"    overall tables: all-zero partition      {_best_ms(lambda p=partition: GroupStats(p, arrays).overall().tables()):8.2f}"
        )
        print(
            f"    overall sizes: bincount(zeros)          {_best_ms(lambda p=partition: GroupStats(p, arrays).overall().sizes()):8.2f}"
        )
        print(
            f"    candidate: sizes = tables.sum((1, 2))   {_best_ms(lambda t=tables: t.sum(axis=(1, 2))):8.3f}"
        )
        print(
            f"    candidate: overall = tables.sum(0)      {_best_ms(lambda t=tables: t.sum(axis=0)):8.3f}"
        )
    masks = [evaluate(s.predicate, probe._table) for s in slices]
    cells = arrays.cells
    masks_set = MaskSet(masks)
    reference = masks_set.count(cells, k2)

    def folded() -> np.ndarray:
        out = np.empty((len(masks), k2), dtype=np.int64)
        for i, m in enumerate(masks):  # slice and rest in one pass, no compaction
            out[i] = np.bincount(cells + np.int8(k2) * m.view(np.int8), minlength=2 * k2)[k2:]
        return out

    assert np.array_equal(folded(), reference)
    print("  50 predicate slices")
    print(
        f"    whole breakdown                         {_best_ms(lambda: probe.breakdown(slices=slices, metrics=['accuracy']), 5):8.1f}"
    )
    print(
        f"    evaluate the 50 predicates              {_best_ms(lambda: [evaluate(s.predicate, probe._table) for s in slices], 5):8.1f}"
    )
    print(
        f"    MaskSet.count: bincount(cells[mask])    {_best_ms(lambda: masks_set.count(cells, k2), 5):8.1f}"
    )
    print(f"    candidate: bincount(cells + K*K*mask)   {_best_ms(folded, 5):8.1f}")
    codes = probe._table.column("region").codes
    selected = np.zeros(len(bench.levels("region")) + 1, dtype=bool)
    selected[[3, 7, 11]] = True
    print(f"    'in' of 3 levels: lookup table[codes]   {_best_ms(lambda: selected[codes]):8.2f}")
    print(
        f"    candidate: OR of 3 code equalities      {_best_ms(lambda: (codes == 3) | (codes == 7) | (codes == 11)):8.2f}"
    )


def delta_interval(tables: np.ndarray, statistic, confidence: float, h: float = 1e-6):
    """Prototype: delta-method normal interval for a scale-free table statistic, all groups at once.

    Var ~ (sum_c p_c g_c^2 - (sum_c p_c g_c)^2) / n with g the gradient of the
    statistic in the cell shares p (central differences; 2 K^2 vectorized calls).
    """
    groups = tables.shape[0]
    flat = tables.reshape(groups, -1).astype(np.float64)
    n = flat.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = flat / n[:, None]
    grad = np.empty_like(p)
    for c in range(p.shape[1]):
        up, down = p.copy(), p.copy()
        up[:, c] += h
        down[:, c] = np.maximum(down[:, c] - h, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = statistic(up.reshape(tables.shape)) - statistic(down.reshape(tables.shape))
        grad[:, c] = change / (up[:, c] - down[:, c])
    g = np.where(p > 0, grad, 0.0)
    se = np.sqrt(np.maximum(((p * g**2).sum(axis=1) - (p * g).sum(axis=1) ** 2) / n, 0.0))
    z = intervals.z_value(confidence)
    value = statistic(tables)
    return np.clip(value - z * se, 0, 1), np.clip(value + z * se, 0, 1), se


def compare_delta(probe: mp.Probe) -> None:
    partition, _ = probe._group_by(bench.BY_TWO, None)
    tables = GroupStats(partition, probe._arrays["model"]).tables()
    print(
        f"\nintervals for the {len(tables)} groups of by={bench.BY_TWO}: resampling vs delta method"
    )
    for statistic in (balanced_accuracy, macro_f1):
        start = time.perf_counter()
        low, high, se = intervals.resample_tables(tables, statistic, 0.95)
        resample_ms = 1e3 * (time.perf_counter() - start)
        start = time.perf_counter()
        d_low, d_high, d_se = delta_interval(tables, statistic, 0.95)
        delta_ms = 1e3 * (time.perf_counter() - start)
        ratio = d_se / se
        print(
            f"  {statistic.__name__:<18} resample {resample_ms:7.0f} ms, delta {delta_ms:5.1f} ms; "
            f"se delta/resample median {np.nanmedian(ratio):.3f} [{np.nanmin(ratio):.3f}, {np.nanmax(ratio):.3f}]; "
            f"max |low diff| {np.nanmax(np.abs(d_low - low)):.4f}, max |high diff| {np.nanmax(np.abs(d_high - high)):.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    data = bench.make_table(args.rows)
    slices = [Slice.parse(bench.to_text(s)) for s in bench.make_slice_specs(data)]
    probe = mp.Probe(data, target="y", predictions="p")
    cases = {
        f"by={bench.BY_ONE!r}": {"by": bench.BY_ONE},
        f"by={bench.BY_TWO}": {"by": bench.BY_TWO},
        "50 predicate slices": {"slices": slices},
    }
    for metrics in (bench.ACCURACY_ONLY, bench.METRICS):
        for name, call in cases.items():
            print(f"\n##### {args.rows:,} rows, {name}, metrics={metrics}")
            elapsed = profile_call(probe, call, metrics, args.top)
            print(f"(profiled call: {1e3 * elapsed:.1f} ms with profiler overhead)")
    for n in (2_000, 20_000, args.rows):
        resample_parts(n)
    accuracy_path_steps(probe, slices)
    compare_delta(probe)


if __name__ == "__main__":
    main()
