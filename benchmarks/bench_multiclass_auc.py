"""Benchmark the macro ROC AUC of a multiclass probe (in memory) against scikit-learn.

Run from the repository root::

    python benchmarks/bench_multiclass_auc.py                # 1e6 rows, 4 classes, 20 slices
    python benchmarks/bench_multiclass_auc.py --rows 200000 --classes 6

A seeded table of continuous class probabilities (no ties), a true class and 20 overlapping
slices. mlprobe's ``breakdown(slices=..., metrics=["roc_auc"])`` gives each slice's macro
(one-vs-rest) AUC with its interval (DeLong variances and the classes' covariances), gap,
impact and p-value; the peer is scikit-learn's ``roc_auc_score(multi_class="ovr",
average="macro")`` on each slice's rows (values only), measured in the same run. Both
answers are checked to agree before any time is printed.

mlprobe's first call on a fresh probe includes one sort per class, kept for later calls
("first call"); the warm time is a second question of the same probe.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd
from bench_discovery import best_time  # a script beside this one (python benchmarks/...)
from sklearn.metrics import roc_auc_score

import mlprobe as mp


def _table(rows: int, classes: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, rows)
    logits = rng.normal(size=(rows, classes))
    logits[np.arange(rows), y] += 1.0
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    frame = pd.DataFrame({f"s{c}": p[:, c] for c in range(classes)})
    frame["y"] = y
    frame["pred"] = p.argmax(axis=1)
    frame["a"] = rng.integers(0, 10, rows)
    frame["b"] = rng.random(rows)
    return frame


def _slices() -> list[mp.Slice]:
    out = [mp.Slice.parse(f"a == {i}") for i in range(10)]
    out += [mp.Slice.parse(f"b < {q}") for q in (0.1, 0.2, 0.3, 0.5, 0.7)]
    out += [mp.Slice.parse(f"a <= {i} and b >= 0.25") for i in (1, 3, 5, 7, 9)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame = _table(args.rows, args.classes)
    scores = [f"s{c}" for c in range(args.classes)]
    slices = _slices()
    probe = mp.Probe(frame, target="y", predictions="pred", scores=scores)
    masks = [probe.mask(s) for s in slices]
    probability = frame[scores].to_numpy()
    truth = frame["y"].to_numpy()

    def sklearn_loop() -> list[float]:
        return [
            roc_auc_score(truth[m], probability[m], multi_class="ovr", average="macro")
            for m in masks
        ]

    def mlprobe_call() -> pd.DataFrame:
        return probe.breakdown(slices=slices, metrics=["roc_auc"])

    start = time.perf_counter()
    table = mlprobe_call()
    first = time.perf_counter() - start
    ours = table.raw()["roc_auc"].to_numpy()[1:]
    np.testing.assert_allclose(ours, sklearn_loop(), rtol=0, atol=1e-9)
    warm = best_time(mlprobe_call, args.repeats)
    peer = best_time(sklearn_loop, args.repeats)
    print(f"python {platform.python_version()}, numpy {np.__version__}, mlprobe {mp.__version__}")
    print(f"{args.rows:,} rows, {args.classes} classes, {len(slices)} slices (values agree)")
    print("| call | time | vs sklearn loop |")
    print("|---|---|---|")
    print(f"| mlprobe, first call (sorts each class once) | {first:.2f} s | {first / peer:.2f}x |")
    print(
        f"| mlprobe, warm (intervals, gaps, impacts, p-values) | {warm:.2f} s | {warm / peer:.2f}x |"
    )
    print(f"| sklearn roc_auc_score per slice (values only) | {peer:.2f} s | 1.00x |")


if __name__ == "__main__":
    main()
