"""Benchmark the explorer's responsiveness: a change in the builder to a redrawn table and chart.

Run from the repository root::

    python benchmarks/bench_explorer.py                  # 1e6 rows
    python benchmarks/bench_explorer.py --rows 100000

The target (issue 4): on a 1,000,000-row probe, a change in the builder updates
the table and the chart within 200 ms in the kernel. The script builds a seeded
synthetic table (binary target, scores, two models), opens ``probe.explore()``
with a group-by and a few slices (12 in the list), and drives the widgets from
Python exactly as the browser's messages would: it sets control values and
clicks buttons. Each interaction is timed from the change to the moment the
slice list, table and chart specification are updated (all observers run
synchronously in the kernel). Sending the updated state to the browser is not
included; the chart specification of 12 slices is about 10 kB of JSON.

As a peer, the same update is done the way a notebook without mlprobe does it:
a boolean mask per slice with pandas, ``sklearn.metrics`` per slice for the
value, and an Altair chart built through its object API. Ratios are printed
against that peer, measured in the same run.

Timings: median and worst of several repeats after a warm-up, garbage
collector off while timing.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score

import mlprobe as mp

BUDGET_MS = 200.0


def make_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "region": pd.Categorical(rng.choice([f"r{i}" for i in range(8)], n)),
            "channel": pd.Categorical(rng.choice(["web", "store", "phone", "partner"], n)),
            "segment": rng.choice([f"s{i:02d}" for i in range(40)], n),
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.6, n),
            "tenure": rng.exponential(4, n),
        }
    )
    y = rng.integers(0, 2, n)
    hard = (frame["age"].to_numpy() > 70) | (frame["channel"].to_numpy() == "phone")
    right_v1 = rng.random(n) < np.where(hard, 0.7, 0.9)
    right_v2 = rng.random(n) < np.where(hard, 0.75, 0.88)
    predictions = {"v1": np.where(right_v1, y, 1 - y), "v2": np.where(right_v2, y, 1 - y)}
    p1 = np.clip(np.where(predictions["v1"] == 1, 0.7, 0.3) + rng.normal(0, 0.1, n), 0.01, 0.99)
    scores = np.column_stack([1 - p1, p1])
    frame["y"] = y
    return frame, predictions, scores


def timed(
    action: Callable[[], object], repeats: int, cleanup: Callable[[], object] | None = None
) -> list[float]:
    """Milliseconds per call of ``action``; ``cleanup`` runs after each call, untimed."""
    times = []
    for repeat in range(repeats + 1):
        gc.disable()
        started = time.perf_counter()
        action()
        elapsed = (time.perf_counter() - started) * 1000
        gc.enable()
        if repeat:  # the first call is a warm-up
            times.append(elapsed)
        if cleanup is not None:
            cleanup()
    return times


def peer_update(frame: pd.DataFrame, y_pred: np.ndarray, slices: list[str]) -> alt.Chart:
    """A hand-rolled notebook: pandas masks, sklearn per slice, an Altair chart."""
    rows = []
    y = frame["y"].to_numpy()
    for expression in slices:
        mask = frame.eval(expression).to_numpy()
        rows.append(
            {
                "slice": expression,
                "n": int(mask.sum()),
                "accuracy": accuracy_score(y[mask], y_pred[mask]),
            }
        )
    table = pd.DataFrame(rows)
    chart = alt.Chart(table).mark_point().encode(x="accuracy:Q", y=alt.Y("slice:N", sort="x"))
    chart.to_dict()
    return chart


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.rows
    print(
        f"mlprobe explorer benchmark: {n:,} rows, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}"
    )
    frame, predictions, scores = make_table(n)
    started = time.perf_counter()
    probe = mp.Probe(
        frame, target="y", predictions=predictions, scores={"v1": scores, "v2": scores}
    )
    print(f"probe built in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    explorer = probe.explore(
        by="region",
        slices=["age >= 70", "channel == 'phone'", "income > 40000 and tenure < 2"],
        metric="accuracy",
    )
    print(
        f"explorer built in {time.perf_counter() - started:.2f} s "
        f"({len(explorer.state.slices)} slices; includes first encodings and the vega bundle)"
    )
    builder = explorer.builder
    counter = iter(range(10**6))

    def add_typed_slice() -> None:
        builder.expression.value = f"age >= {20 + next(counter) % 60} and channel != 'web'"
        builder.add_slice.click()

    def add_range_slice() -> None:
        builder.column.value = "tenure"
        low = 0.1 * (next(counter) % 20)
        builder.value_box.children[0].value = (low, low + 3)
        builder.add_condition.click()
        builder.add_slice.click()

    def drop_added_slice() -> None:  # untimed: keep the list at 12 slices
        explorer.state.remove_slice(explorer.state.slices[-1].name)

    metrics = iter(["balanced_accuracy", "macro_f1", "recall[1]", "accuracy"] * 1000)

    def pick_metric() -> None:
        explorer.breakdown.metric.value = next(metrics)

    names = [s.name for s in explorer.state.slices]

    def select_slice() -> None:
        explorer.slice_list.select(names[next(counter) % len(names)])

    def select_with_confusion() -> None:
        explorer.show_tab("Confusion")
        select_slice()

    def select_with_models() -> None:
        explorer.show_tab("Models")
        select_slice()

    def select_with_rows() -> None:
        explorer.show_tab("Rows")
        select_slice()

    cases: list[tuple[str, Callable[[], None], Callable[[], None] | None, bool]] = [
        (
            "builder: typed expression -> add slice (list, table, chart)",
            add_typed_slice,
            drop_added_slice,
            True,
        ),
        (
            "builder: range control + add condition + add slice",
            add_range_slice,
            drop_added_slice,
            True,
        ),
        ("builder: remove a slice", lambda: drop_added_slice(), add_typed_slice, True),
        ("metric picker (accuracy, balanced acc., macro F1, recall)", pick_metric, None, True),
        ("select a slice (list + table highlight)", select_slice, None, False),
        ("select a slice, confusion tab open (2 heatmaps)", select_with_confusion, None, False),
        ("select a slice, rows tab open (25 rows, errors first)", select_with_rows, None, False),
        ("select a slice, models tab open (compare + flips)", select_with_models, None, False),
    ]
    print(f"\n{'interaction':62s} {'median':>9s} {'worst':>9s}  vs {BUDGET_MS:.0f} ms budget")
    failures = 0
    for label, action, cleanup, is_builder_change in cases:
        explorer.show_tab("Breakdown")
        if label.endswith("remove a slice"):
            add_typed_slice()
        times = timed(action, args.repeats, cleanup)
        median, worst = statistics.median(times), max(times)
        verdict = "ok" if median <= BUDGET_MS else "MISS"
        failures += is_builder_change and median > BUDGET_MS
        print(f"{label:62s} {median:7.1f}ms {worst:7.1f}ms  {median / BUDGET_MS:5.2f}x  {verdict}")
    if explorer.state.message_kind == "error":
        print(f"explorer reported an error: {explorer.state.message}")
        return 2

    expressions = [
        "age >= 70",
        "channel == 'phone'",
        "income > 40000 and tenure < 2",
        *[f"region == 'r{i}'" for i in range(8)],
        "age >= 30 and channel != 'web'",
    ]
    peer = timed(
        lambda: peer_update(frame, predictions["v1"], expressions), max(3, args.repeats // 2)
    )
    explorer.show_tab("Breakdown")
    ours = timed(add_typed_slice, args.repeats, drop_added_slice)
    print(
        f"\npeer (pandas eval masks + sklearn per slice + Altair object API), 12 slices: "
        f"median {statistics.median(peer):.1f} ms"
    )
    print(
        f"mlprobe, the same update with intervals and q-values: median {statistics.median(ours):.1f} ms"
        f" -> {statistics.median(peer) / statistics.median(ours):.1f}x faster"
    )
    print("\nverdict:", "builder changes within budget" if not failures else f"{failures} MISS(ES)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
