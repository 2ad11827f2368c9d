"""Where ``Probe.breakdown`` spends its time: cProfile of each case of bench_breakdown.py.

Run from the repository root::

    python benchmarks/profile_breakdown.py                  # 1e6 rows
    python benchmarks/profile_breakdown.py --rows 100000 --top 25

For each case (one ``by`` column, two crossed ``by`` columns, 50 predicate
slices) and each metric set (accuracy alone; the three default metrics) it
profiles one warm call (the probe built and the call made once before), and
prints the functions with the most own time. It then times the interval
methods of balanced accuracy and macro F1 on the crossed groups
(:mod:`mlprobe.core.statistics._table_posteriors`: a grid convolution of Beta posteriors
for groups with a class on few observations, a moment-matched Beta for the
others), and the steps of the accuracy-only path, including the fixes that
were prototyped here and have since landed in mlprobe (sizes and overall
counts from the group tables, one bincount pass per mask with no row
selection, OR-ing code equalities for an ``in`` of a few levels).
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
from mlprobe.core.counting._group_stats import GroupStats
from mlprobe.core.counting.grouping import MaskSet
from mlprobe.core.slicing._masks import evaluate
from mlprobe.core.slicing.slices import Slice
from mlprobe.core.statistics import _table_posteriors as table_posteriors


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
    code equalities for an ``in`` of up to ``mlprobe.core.slicing._masks._FEW_CODES`` (4) levels
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


def posterior_paths(probe: mp.Probe) -> None:
    """Time the posterior intervals on the crossed groups: all at once, and each path alone."""
    partition, _ = probe._group_by(bench.BY_TWO, None)
    tables = GroupStats(partition, probe._arrays["model"]).tables()
    rows_per_class = tables.sum(axis=-1)
    on_grid = int((rows_per_class.min(axis=1) + 1 < table_posteriors.GRID_BELOW).sum())
    print(
        f"\nposterior intervals for the {len(tables)} groups of by={bench.BY_TWO} "
        f"({on_grid} with a class on fewer than {table_posteriors.GRID_BELOW} observations: grid)"
    )
    for name, interval in (
        ("balanced_accuracy", table_posteriors.balanced_accuracy_interval),
        ("macro_f1", table_posteriors.macro_f1_interval),
    ):
        whole = _best_ms(lambda f=interval: f(tables, 0.95))
        print(f"  {name:<18} all groups {whole:7.2f} ms")


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
    posterior_paths(probe)
    accuracy_path_steps(probe, slices)


if __name__ == "__main__":
    main()
