"""Benchmark the DuckDB engine: a breakdown of 20 slices over Parquet larger than memory allows pandas.

Run from the repository root::

    python benchmarks/bench_engines.py                   # 5e7 rows (about 1 GB of Parquet, ~3 min)
    python benchmarks/bench_engines.py --rows 10000000

Steps:

1. DuckDB writes a seeded synthetic table to Parquet (row groups of 1e6; columns: region
   (8 levels), channel (4), age, income, tenure, a binary target and two models' predictions).
2. In a fresh child process (so its peak resident memory is its own), ``Probe.from_parquet``
   breaks down 20 slices for one model; the script reports time and peak RSS (target: under
   1 GB, where pandas needs about 9 GB to hold 5e7 rows of this table).
3. On the first ``--fit-rows`` rows (1e7 by default, which pandas holds here), the same breakdown
   runs on DuckDB, in memory (``pd.read_parquet`` + ``Probe`` + ``breakdown``) and on Spark in
   local mode (``--skip-spark`` to leave it out), and the tables are checked to be equal before
   the times are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SLICES = [
    "age >= 60",
    "age < 25",
    "age >= 30 and age < 45",
    "channel == 'phone'",
    "channel in ['web', 'partner']",
    "region == 'r0'",
    "region == 'r3' and channel == 'store'",
    "not (region in ['r1', 'r2'])",
    "income > 40000",
    "income between 20000 and 30000",
    "tenure < 1",
    "tenure >= 5 and age >= 50",
    "tenure is null",
    "region == 'r7' or age >= 80",
    "@target == 1 and channel == 'phone'",
    "@prediction == 1 and region == 'r5'",
    "age >= 40 and income < 15000",
    "channel != 'web' and tenure >= 2",
    "region in ['r4', 'r5', 'r6'] and age < 30",
    "not (age >= 30 and channel == 'store')",
]
METRICS = ["accuracy", "balanced_accuracy", "recall[1]"]


def write_table(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    query = f"""
        COPY (
          SELECT
            'r' || CAST(floor(random() * 8) AS INTEGER) AS region,
            ['web', 'store', 'phone', 'partner'][1 + CAST(floor(random() * 4) AS INTEGER)] AS channel,
            18 + CAST(floor(random() * 72) AS INTEGER) AS age,
            round(exp(10 + random()), 2) AS income,
            CASE WHEN random() < 0.05 THEN NULL ELSE round(-ln(1 - random()) * 3, 2) END AS tenure,
            CAST(random() < 0.3 AS INTEGER) AS y
          FROM range({rows})
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """
    con.execute(query)
    # predictions: right 85% of the time, worse on phone
    con.execute(f"""
        COPY (
          SELECT *,
            CASE WHEN random() < (CASE WHEN channel = 'phone' THEN 0.7 ELSE 0.88 END) THEN y ELSE 1 - y END AS v1
          FROM read_parquet('{path}')
        ) TO '{path}.tmp' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    os.replace(f"{path}.tmp", path)


def child(path: str, limit_rows: int) -> None:
    """Runs in a fresh process: the DuckDB breakdown; prints seconds and peak RSS."""
    import mlprobe as mp

    started = time.perf_counter()
    source = path
    if limit_rows:
        import duckdb

        small = Path(path).with_suffix(f".{limit_rows}.parquet")
        if not small.exists():
            duckdb.connect().execute(
                f"COPY (SELECT * FROM read_parquet('{path}') LIMIT {limit_rows}) TO '{small}' (FORMAT parquet)"
            )
        source = str(small)
        started = time.perf_counter()
    probe = mp.Probe.from_parquet(source, target="y", predictions="v1")
    table = probe.breakdown(slices=SLICES, metrics=METRICS)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    table.to_pickle(f"{source}.duckdb.pkl")  # for the equality check in the parent
    print(f"{elapsed} {peak} {probe.n_rows}")


def run_child(path: Path, limit_rows: int = 0) -> tuple[float, int, int]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--limit", str(limit_rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak, rows = done.stdout.split()
    return float(seconds), int(peak), int(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--fit-rows", type=int, default=10_000_000)
    parser.add_argument(
        "--dir", default=None, help="where to write the Parquet file (default: a temp dir)"
    )
    parser.add_argument(
        "--skip-spark", action="store_true", help="do not time Spark (needs pyspark and Java)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.limit)
        return 0
    import duckdb

    print(
        f"mlprobe engines benchmark: Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"{os.cpu_count()} cores"
    )
    folder = Path(args.dir or tempfile.mkdtemp(prefix="mlprobe-engines-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"eval-{args.rows}.parquet"
    if not path.exists():
        started = time.perf_counter()
        write_table(path, args.rows)
        print(
            f"wrote {args.rows:,} rows to {path} ({path.stat().st_size / 2**20:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    seconds, peak, rows = run_child(path)
    print(
        f"\nDuckDB, {rows:,} rows, {len(SLICES)} slices x {len(METRICS)} metrics: {seconds:.1f} s, "
        f"peak RSS {peak / 2**20:.0f} MB ({'ok' if peak < 2**30 else 'MISS'}: target < 1024 MB)"
    )

    fit = min(args.fit_rows, args.rows)
    engine_seconds, _, _ = run_child(path, fit)
    small = path.with_suffix(f".{fit}.parquet")
    started = time.perf_counter()
    import mlprobe as mp

    frame = pd.read_parquet(small)
    loaded = time.perf_counter() - started
    probe = mp.Probe(frame, target="y", predictions="v1")
    expected = probe.breakdown(slices=SLICES, metrics=METRICS)
    in_memory = time.perf_counter() - started
    again = time.perf_counter()
    probe.breakdown(slices=SLICES, metrics=METRICS)
    warm = time.perf_counter() - again
    got = pd.read_pickle(f"{small}.duckdb.pkl")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    print(f"\n{fit:,} rows (the same table on both, checked equal):")
    print(f"  DuckDB from Parquet:                 {engine_seconds:6.1f} s")
    print(
        f"  pandas read_parquet + Probe + breakdown: {in_memory:6.1f} s (read {loaded:.1f} s; "
        f"frame {frame.memory_usage(deep=True).sum() / 2**20:.0f} MB)"
    )
    print(f"  in memory, a second breakdown:       {warm:6.2f} s")
    print(
        f"  extrapolated pandas frame at {args.rows:,} rows: "
        f"{frame.memory_usage(deep=True).sum() / fit * args.rows / 2**30:.1f} GB"
    )
    if not args.skip_spark:
        spark_seconds = run_spark(small, expected)
        print(
            f"  Spark local mode (local[*]), from Parquet: {spark_seconds:6.1f} s "
            "(session start not included; tables checked equal)"
        )
    return 0 if peak < 2**30 else 1


def run_spark(path: Path, expected: pd.DataFrame) -> float:
    """The same breakdown on Spark in local mode; checked equal to ``expected``."""
    from pyspark.sql import SparkSession

    import mlprobe as mp

    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    try:
        started = time.perf_counter()
        probe = mp.Probe.from_spark(spark.read.parquet(str(path)), target="y", predictions="v1")
        got = probe.breakdown(slices=SLICES, metrics=METRICS)
        elapsed = time.perf_counter() - started
    finally:
        spark.stop()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
