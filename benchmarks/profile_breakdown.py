"""Where ``Probe.breakdown`` spends its time: cProfile of each case of bench_breakdown.py.

Run from the repository root::

    python benchmarks/profile_breakdown.py                  # 1e6 rows
    python benchmarks/profile_breakdown.py --rows 100000 --top 25

For each case (one ``by`` column, two crossed ``by`` columns, 50 predicate
slices) and each metric set (accuracy alone; the three default metrics) it
profiles one warm call (the probe built and the call made once before), and
prints the functions with the most own time. It then times the parts of one
resampled interval for a single group. mlprobe resamples the confusion table
(1000 multinomial draws, shared by balanced accuracy and macro F1) only for
groups under ``mlprobe.core.intervals.DELTA_FROM`` (1000) rows; larger groups
get delta-method intervals. Resampling the small groups is the cost that still
dominates breakdowns with those metrics when there are many small groups.
Then it times the steps of the accuracy-only path, including the fixes that
were prototyped here and have since landed in mlprobe (sizes and overall
counts from the group tables, one bincount pass per mask with no row
selection, OR-ing code equalities for an ``in`` of a few levels). Last, it
checks mlprobe's delta-method intervals against resampling on the crossed
groups.
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
from mlprobe.core.intervals import DELTA_FROM
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
    steps["whole resample_tables (1 group, 1 metric)"] = lambda: intervals.resample_tables(
        table.reshape(1, 5, 5), macro_f1, 0.95
    )
    steps["one draw, 2 metrics (as a breakdown)"] = lambda: intervals._resample_one(
        table.reshape(5, 5), [balanced_accuracy, macro_f1], 0.95, intervals.N_RESAMPLES
    )
    method = "resampled" if n < DELTA_FROM else f"delta method in mlprobe (>= {DELTA_FROM})"
    print(
        f"\nresample_tables, one group of {n:,} rows, K=5, 1000 resamples (best of {repeats}); "
        f"a breakdown uses: {method}"
    )
    for name, fn in steps.items():
        best = min(_time(fn) for _ in range(repeats))
        print(f"  {name:<42} {1e3 * best:8.3f} ms")


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best_ms(fn, repeats: int = 10) -> float:
    fn()
    return 1e3 * min(_time(fn) for _ in range(repeats))


def accuracy_path_steps(probe: mp.Probe, slices: list[Slice]) -> None:
    """The row passes of an accuracy-only breakdown.

    Sizes and overall counts derived from the group tables, and one bincount pass
    per mask (``bincount(cells + K*K*mask)``, no row selection), were prototyped
    here and have landed in mlprobe; the old ways are no longer timed. OR-ing
    code equalities for an ``in`` of up to ``mlprobe.core.masks._FEW_CODES`` (4) levels
    has landed too; both ways are still timed, since mlprobe keeps the lookup table
    for more levels.
    """
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
            f"    landed: sizes = tables.sum((1, 2))      {_best_ms(lambda t=tables: t.sum(axis=(1, 2))):8.3f}"
        )
        print(
            f"    landed: overall = tables.sum(0)         {_best_ms(lambda t=tables: t.sum(axis=0)):8.3f}"
        )
    masks = [evaluate(s.predicate, probe._table) for s in slices]
    cells = arrays.cells
    masks_set = MaskSet(masks)
    print("  50 predicate slices")
    print(
        f"    whole breakdown                         {_best_ms(lambda: probe.breakdown(slices=slices, metrics=['accuracy']), 5):8.1f}"
    )
    print(
        f"    evaluate the 50 predicates              {_best_ms(lambda: [evaluate(s.predicate, probe._table) for s in slices], 5):8.1f}"
    )
    print(
        f"    landed: MaskSet.count, cells + K*K*mask {_best_ms(lambda: masks_set.count(cells, k2), 5):8.1f}"
    )
    codes = probe._table.column("region").codes
    selected = np.zeros(len(bench.levels("region")) + 1, dtype=bool)
    selected[[3, 7, 11]] = True
    print(f"    'in' of 3 levels: lookup table[codes]   {_best_ms(lambda: selected[codes]):8.2f}")
    # mlprobe ORs code equalities for up to _FEW_CODES levels and uses the table above that
    print(
        f"    landed: OR of 3 code equalities         {_best_ms(lambda: (codes == 3) | (codes == 7) | (codes == 11)):8.2f}"
    )


def compare_delta(probe: mp.Probe) -> None:
    """mlprobe's delta-method intervals (landed; prototyped here first) against resampling.

    Both are run on every group, whatever its size; a breakdown uses the delta
    method only for groups of at least ``DELTA_FROM`` rows.
    """
    partition, _ = probe._group_by(bench.BY_TWO, None)
    tables = GroupStats(partition, probe._arrays["model"]).tables()
    small = int((tables.sum(axis=(1, 2)) < DELTA_FROM).sum())
    print(
        f"\nintervals for the {len(tables)} groups of by={bench.BY_TWO} ({small} under {DELTA_FROM} "
        f"rows, resampled in a breakdown): resampling vs mlprobe's delta method, on all groups"
    )
    for statistic in (balanced_accuracy, macro_f1):
        start = time.perf_counter()
        low, high, se = intervals.resample_tables(tables, statistic, 0.95)
        resample_ms = 1e3 * (time.perf_counter() - start)
        start = time.perf_counter()
        d_low, d_high, d_se = intervals.delta_interval(tables, statistic, 0.95)
        delta_ms = 1e3 * (time.perf_counter() - start)
        with np.errstate(invalid="ignore", divide="ignore"):  # se 0 for tiny groups
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
    for n in (250, 900, 20_000):  # mlprobe resamples only the first two
        resample_parts(n)
    accuracy_path_steps(probe, slices)
    compare_delta(probe)


if __name__ == "__main__":
    main()
