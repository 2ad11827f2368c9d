"""Benchmark the run store (issue 17): recording cost, matrix speed, concurrent recorders.

Run from the repository root::

    python benchmarks/bench_history.py              # ~1 min
    python benchmarks/bench_history.py --postgres URL   # also against a PostgreSQL database

Targets (not timed tests):

1. Recording a 100-test suite run adds <= 50 ms: ``suite.run(probe)`` against
   ``suite.run(probe, record=db, version=...)`` on the bundled Adult data (48,842 rows; 80
   slice tests on 40 slices x 2 metrics, 20 group tests), warm (the probe's counts cached, as
   in a CI job that runs several suites), median of 7 runs each, into a SQLite file that
   already holds runs.
2. ``History.matrix()`` over 1e5 recorded outcomes (1,000 runs x 100 tests) <= 1 s.
3. Two processes recording at once x 100 runs each keep all 200 runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

import mlprobe as mp
from mlprobe.datasets import load_adult
from mlprobe.spec import TestOutcome
from mlprobe.spec.run_store import RunStore


def _suite() -> mp.Suite:
    tests: list[mp.SliceTest | mp.GroupTest] = []
    slices = [f"age >= {a}" for a in range(20, 60, 2)] + [
        f"hours_per_week >= {h}" for h in range(20, 60, 2)
    ]
    for i, text in enumerate(slices):
        tests.append(mp.SliceTest(id=f"acc-{i}", slice=text, metric="accuracy", at_least=0.7))
        tests.append(mp.SliceTest(id=f"rec-{i}", slice=text, metric="recall[>50K]", at_least=0.4))
    for i, column in enumerate(["race", "sex", "workclass", "relationship", "marital_status"] * 4):
        tests.append(
            mp.GroupTest(
                id=f"grp-{i}",
                by=column,
                metric="selection_rate[>50K]",
                max_difference=0.3 + i / 100,
            )
        )
    assert len(tests) == 100
    return mp.Suite("bench", tests)


def _median_time(run: object, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_recording(folder: Path, url: str | None) -> None:
    data = load_adult()
    predictions = np.where((data["education_num"] >= 13) | (data["capital_gain"] > 5000),
                           ">50K", "<=50K")  # fmt: skip
    probe = mp.Probe(data, target="income", predictions=predictions)
    suite = _suite()
    store = url or str(folder / "record.db")
    suite.run(probe, record=store, version="warm-up")  # imports, counts cached, store created
    plain = _median_time(lambda: suite.run(probe))
    counter = iter(range(10**6))
    recorded = _median_time(lambda: suite.run(probe, record=store, version=f"v{next(counter)}"))
    where = "PostgreSQL" if url else "SQLite"
    print(f"1. 100-test suite on Adult ({where}): run {plain * 1000:.1f} ms, run + record "
          f"{recorded * 1000:.1f} ms: recording adds {(recorded - plain) * 1000:.1f} ms "
          f"(target <= 50 ms; ratio {recorded / plain:.2f}x)")  # fmt: skip


def _fill(store_url: str, runs: int, tests: int) -> None:
    suite = mp.Suite("matrix", [mp.SliceTest(id=f"t{i}", slice="x > 0", metric="accuracy",
                                             at_least=0.5) for i in range(tests)])  # fmt: skip
    rng = np.random.default_rng(0)
    with RunStore.open(store_url) as store:
        for r in range(runs):
            values = rng.random(tests)
            items = [
                TestOutcome(
                    id=f"t{i}",
                    outcome="passed",
                    metric="accuracy",
                    observed=float(v),
                    ci_low=float(v) - 0.05,
                    ci_high=float(v) + 0.05,
                    n=1000,
                    higher_is_better=True,
                    counts={"successes": int(v * 1000), "trials": 1000},
                )
                for i, v in enumerate(values)
            ]
            store.record(mp.SuiteResult("matrix", items), suite=suite,
                         version=f"v{r % 250}", fingerprint=(1000, "0" * 16))  # fmt: skip


def bench_matrix(folder: Path, url: str | None) -> None:
    store = url or str(folder / "matrix.db")
    start = time.perf_counter()
    _fill(store, 1000, 100)
    filled = time.perf_counter() - start
    h = mp.History(store)
    h.matrix()  # warm: imports
    seconds = _median_time(h.matrix, repeats=5)
    table = h.matrix()
    outcomes = len(h.runs(version="v0"))
    print(f"2. matrix() over 1e5 outcomes (1,000 runs x 100 tests, {table.shape[0]} versions; "
          f"filled in {filled:.1f} s, v0 alone has {outcomes} outcomes): {seconds:.3f} s "
          f"(target <= 1 s)")  # fmt: skip


RECORDER = textwrap.dedent(
    """
    import sys
    import mlprobe as mp
    from mlprobe.spec import TestOutcome
    from mlprobe.spec.run_store import RunStore

    store_url, name = sys.argv[1], sys.argv[2]
    suite = mp.Suite("race", [mp.SliceTest(id=f"t{i}", slice="x > 0", metric="accuracy",
                                           at_least=0.5) for i in range(100)])
    items = [TestOutcome(id=f"t{i}", outcome="passed", metric="accuracy", observed=0.9,
                         ci_low=0.85, ci_high=0.95, n=1000) for i in range(100)]
    with RunStore.open(store_url) as store:
        for i in range(100):
            store.record(mp.SuiteResult("race", items), suite=suite, version=f"{name}{i}",
                         fingerprint=(1000, "0" * 16))
    """
)


def bench_concurrent(folder: Path, url: str | None) -> None:
    store = url or str(folder / "race.db")
    script = folder / "recorder.py"
    script.write_text(RECORDER)
    RunStore.open(store).close()
    start = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), store, name], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    errors = [w.communicate()[1] for w in workers]
    seconds = time.perf_counter() - start
    assert all(w.returncode == 0 for w in workers), errors
    engine = sa.create_engine(store if "://" in store else f"sqlite:///{store}")
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT COUNT(*) FROM mlprobe_runs").scalar()
        rows = connection.exec_driver_sql("SELECT COUNT(*) FROM mlprobe_outcomes").scalar()
    engine.dispose()
    print(f"3. two processes x 100 runs of 100 outcomes at once: {kept} runs kept "
          f"({rows} outcomes; target 200 runs, 20000 outcomes) in {seconds:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for url in [None, args.postgres] if args.postgres else [None]:
            if url is not None:
                print("-- PostgreSQL")
            bench_recording(folder, url)
            bench_matrix(folder, url)
            bench_concurrent(folder, url)


if __name__ == "__main__":
    main()
