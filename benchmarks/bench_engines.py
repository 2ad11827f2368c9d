"""Benchmark the DuckDB engine: a breakdown of 20 slices over Parquet larger than memory allows pandas.

Run from the repository root::

    python benchmarks/bench_engines.py                   # 5e7 rows (1.2 GB of Parquet, ~30 min)
    python benchmarks/bench_engines.py --rows 10000000
    python benchmarks/bench_engines.py --only new        # probability and regression metrics only

Steps:

1. DuckDB writes a seeded synthetic table to Parquet (row groups of 1e6; columns: region
   (8 levels), channel (4), age, income, tenure, a binary target and a model's predictions;
   then, in a third pass that leaves those columns as they were, the model's positive-class
   probability ``score`` (a logistic of the target, age, channel and Gaussian noise: nearly
   every row has its own score), the same rounded to 4 decimals ``score4``, and a predicted
   income ``income_hat`` for the regression run).
2. In a fresh child process (so its peak resident memory is its own), ``Probe.from_parquet``
   breaks down 20 slices for one model; the script reports time and peak RSS (target: under
   1 GB, where pandas needs about 9 GB to hold 5e7 rows of this table).
3. On the first ``--fit-rows`` rows (1e7 by default, which pandas holds here), the same breakdown
   runs on DuckDB, in memory (``pd.read_parquet`` of the columns the run uses + ``Probe`` +
   ``breakdown``) and on Spark in local mode (``--skip-spark`` to leave it out), and the tables
   are checked to be equal before the times are printed. If DuckDB is stopped there (see
   below), the comparison is made on half as many rows, and so on down to 1e6.

Steps 2 and 3 run for each of these (``--only`` picks them; ``new`` is the last three):

- ``classification``: accuracy, balanced accuracy, recall[1] from the predictions;
- ``probability``: ROC AUC, log loss and Brier score from ``score`` (continuous: the worst
  case for the exact AUC query, whose per-score table has a row per distinct score; not timed
  on Spark, where that query took 67 s at 1e5 rows);
- ``probability4``: the same from ``score4`` (at most 10,001 distinct scores);
- ``regression``: MAE, RMSE, mean error and R2 of ``income_hat`` against ``income``.

A child that runs longer than ``--timeout`` seconds or whose resident memory passes
``--max-rss-gb`` is stopped and reported as such (as is a child that fails, e.g. when DuckDB
runs out of memory). Children run in the Parquet file's folder, so DuckDB's spill files
(``.tmp``) go there; the most they held is reported. ``--sizes 1e6,1e7`` also times DuckDB
alone on the first rows of the table, to see how a run grows; ``--memory-limit 4GB`` gives the
engine's DuckDB connection that memory limit (default: the engine's, 1GB since issue 18; before,
DuckDB's own, 80% of RAM). Exact ROC AUC alone, and its binned variant: ``bench_engine_auc.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
# the regression run: the two slices on the binary target and prediction become thresholds
REGRESSION_SLICES = [
    {
        "@target == 1 and channel == 'phone'": "@target > 50000 and channel == 'phone'",
        "@prediction == 1 and region == 'r5'": "@prediction > 50000 and region == 'r5'",
    }.get(s, s)
    for s in SLICES
]
BASE_COLUMNS = ["region", "channel", "age", "income", "tenure", "y", "v1"]


@dataclass(frozen=True)
class Run:
    """One breakdown: the probe's columns, the slices and metrics asked."""

    title: str
    target: str
    predictions: str
    metrics: list[str]
    slices: list[str]
    scores: str | None = None
    task: str | None = None
    spark: bool = True  # time Spark too (unless --skip-spark)

    @property
    def columns(self) -> list[str]:
        """What pandas reads for the in-memory probe: the table's first columns, and the run's."""
        extra = [c for c in (self.predictions, self.scores) if c and c not in BASE_COLUMNS]
        return BASE_COLUMNS + extra


RUNS = {
    "classification": Run("classification", "y", "v1", METRICS, SLICES),
    "probability": Run(
        "probability, continuous scores",
        "y",
        "v1",
        ["roc_auc", "log_loss", "brier"],
        SLICES,
        scores="score",
        spark=False,  # 67 s at 1e5 rows here: its AUC window runs in a single partition
    ),
    "probability4": Run(
        "probability, scores rounded to 4 decimals",
        "y",
        "v1",
        ["roc_auc", "log_loss", "brier"],
        SLICES,
        scores="score4",
    ),
    "regression": Run(
        "regression",
        "income",
        "income_hat",
        ["mae", "rmse", "mean_error", "r2"],
        REGRESSION_SLICES,
        task="regression",
    ),
}
CHOICES = {
    "all": list(RUNS),
    "new": ["probability", "probability4", "regression"],
    **{name: [name] for name in RUNS},
}
# a standard normal draw (Box-Muller) in DuckDB
NORMAL = "(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"


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
    # the new columns in a pass of their own, so the ones above stay as they were:
    # score, the probability of y = 1 (a logistic, less separating on phone), continuous;
    # income_hat, a prediction of income with a 2% bias (10% on phone) and noise
    con.execute(f"""
        COPY (
          SELECT *, round(score, 4) AS score4
          FROM (
            SELECT *,
              1 / (1 + exp(-(-1.3 + (CASE WHEN channel = 'phone' THEN 1.0 ELSE 2.2 END) * y
                             + 0.01 * (age - 50) + {NORMAL}))) AS score,
              round(income * (CASE WHEN channel = 'phone' THEN 1.10 ELSE 1.02 END)
                    + 3000 * {NORMAL}, 2) AS income_hat
            FROM read_parquet('{path}')
          )
        ) TO '{path}.tmp' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    os.replace(f"{path}.tmp", path)


def first_rows(path: Path, rows: int) -> Path:
    """The first ``rows`` rows of ``path`` in a Parquet file of their own (made once)."""
    small = path.with_suffix(f".{rows}.parquet")
    if not small.exists():
        import duckdb

        duckdb.connect().execute(
            f"COPY (SELECT * FROM read_parquet('{path}') LIMIT {rows}) TO '{small}.tmp' "
            "(FORMAT parquet)"
        )
        os.replace(f"{small}.tmp", small)
    return small


def child(
    path: str, limit_rows: int, run_name: str = "classification", memory_limit: str = ""
) -> None:
    """Runs in a fresh process: the DuckDB breakdown; prints seconds and peak RSS."""
    import mlprobe as mp

    run = RUNS[run_name]
    source = path
    if limit_rows:
        source = str(first_rows(Path(path), limit_rows))
    started = time.perf_counter()
    columns = {"target": run.target, "predictions": run.predictions}
    columns.update(scores=run.scores, task=run.task)
    if memory_limit:  # the engine's own settings, and a memory limit
        import duckdb

        connection = duckdb.connect()
        connection.execute("SET preserve_insertion_order = false")
        connection.execute(f"SET memory_limit = '{memory_limit}'")
        probe = mp.Probe.from_duckdb(source, connection=connection, **columns)
    else:
        probe = mp.Probe.from_parquet(source, **columns)
    table = probe.breakdown(slices=run.slices, metrics=run.metrics)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    table.to_pickle(f"{source}.{run_name}.duckdb.pkl")  # for the equality check in the parent
    print(f"{elapsed} {peak} {probe.n_rows}")


@dataclass
class ChildResult:
    """What a child reported, or why it was stopped."""

    seconds: float
    peak: int  # bytes: the child's ru_maxrss, or the most sampled when it was stopped
    rows: int
    spilled: int  # bytes: the most DuckDB's spill folder held while it ran
    stopped: str = ""  # why the parent stopped it ("" if it finished)


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # a spill file removed meanwhile
                total += os.stat(os.path.join(root, name)).st_blocks * 512
    return total


def run_child(
    path: Path,
    run_name: str = "classification",
    *,
    timeout: float = float("inf"),
    max_rss: float = float("inf"),
    memory_limit: str = "",
) -> ChildResult:
    """The breakdown in a fresh process, run in ``path``'s folder (where DuckDB spills)."""
    spill = path.parent / ".tmp"
    command = [sys.executable, os.path.abspath(__file__), "--child", str(path), "--run", run_name]
    command += ["--memory-limit", memory_limit] if memory_limit else []
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, cwd=path.parent, stdout=out, stderr=err, text=True)
        sampled = spilled = 0
        stopped = ""
        while process.poll() is None and not stopped:
            sampled = max(sampled, _rss(process.pid))
            spilled = max(spilled, _folder_bytes(spill))
            elapsed = time.perf_counter() - started
            if elapsed > timeout:
                stopped = f"stopped after {elapsed:.0f} s (--timeout)"
            elif sampled > max_rss:
                stopped = f"stopped at {_mb(sampled)} RSS after {elapsed:.0f} s (--max-rss-gb)"
            else:
                time.sleep(0.1)
        if stopped:
            process.kill()
            process.wait()
            shutil.rmtree(spill, ignore_errors=True)
            return ChildResult(time.perf_counter() - started, sampled, 0, spilled, stopped)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            lines = err.read().strip().splitlines() or ["(no message)"]
            elapsed = time.perf_counter() - started
            failed = f"failed after {elapsed:.0f} s at {_mb(sampled)} RSS: {lines[-1][:300]}"
            return ChildResult(elapsed, sampled, 0, spilled, failed)
        seconds, peak, rows = out.read().split()
    return ChildResult(float(seconds), int(peak), int(rows), spilled)


def in_memory(run: Run, small: Path) -> tuple[pd.DataFrame, float, float, float, pd.DataFrame]:
    """``pd.read_parquet`` + ``Probe`` + ``breakdown``: the table, total and read seconds, a
    second breakdown's seconds, and the frame."""
    import mlprobe as mp

    started = time.perf_counter()
    frame = pd.read_parquet(small, columns=run.columns)
    loaded = time.perf_counter() - started
    scores = frame[run.scores].to_numpy() if run.scores else None
    probe = mp.Probe(
        frame, target=run.target, predictions=run.predictions, scores=scores, task=run.task
    )
    expected = probe.breakdown(slices=run.slices, metrics=run.metrics)
    total = time.perf_counter() - started
    again = time.perf_counter()
    probe.breakdown(slices=run.slices, metrics=run.metrics)
    warm = time.perf_counter() - again
    return expected, total, loaded, warm, frame


def measure(run_name: str, path: Path, args: argparse.Namespace) -> bool:
    """Steps 2 and 3 for one run; whether the full-size child met the 1 GB target."""
    run = RUNS[run_name]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n== {run_name}: {run.title}; metrics {run.metrics} (load average {load})", flush=True)
    limits = {
        "timeout": args.timeout,
        "max_rss": args.max_rss_gb * 2**30,
        "memory_limit": args.memory_limit,
    }
    label = f"{len(run.slices)} slices x {len(run.metrics)} metrics"
    for rows in [n for n in args.sizes if n < args.rows]:  # DuckDB only, on the first rows
        result = run_child(first_rows(path, rows), run_name, **limits)
        print(f"DuckDB, first {rows:,} rows, {label}: {_result(result)}", flush=True)
    full = run_child(path, run_name, **limits)
    met = not full.stopped and full.peak < 2**30
    target = "" if full.stopped else f" ({'ok' if met else 'MISS'}: target < 1024 MB)"
    print(f"DuckDB, {args.rows:,} rows, {label}: {_result(full)}{target}", flush=True)

    fit = min(args.fit_rows, args.rows)
    while True:  # halved while DuckDB is stopped (too slow or too big), down to 1e6 rows
        small = first_rows(path, fit)
        engine = run_child(small, run_name, **limits)
        if not engine.stopped:
            break
        print(f"\n{fit:,} rows: DuckDB {_result(engine)}", flush=True)
        if fit <= 1_000_000:
            print("no comparison")
            return met
        fit //= 2
    expected, total, loaded, warm, frame = in_memory(run, small)
    got = pd.read_pickle(f"{small}.{run_name}.duckdb.pkl")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    frame_bytes = frame.memory_usage(deep=True).sum()
    print(f"\n{fit:,} rows (the same table on both, checked equal):")
    print(f"  DuckDB from Parquet:                 {engine.seconds:6.1f} s ({_result(engine)})")
    print(
        f"  pandas read_parquet + Probe + breakdown: {total:6.1f} s (read {loaded:.1f} s; "
        f"frame {frame_bytes / 2**20:.0f} MB, {len(run.columns)} columns)"
    )
    print(f"  in memory, a second breakdown:       {warm:6.2f} s")
    print(
        f"  extrapolated pandas frame at {args.rows:,} rows: "
        f"{frame_bytes / fit * args.rows / 2**30:.1f} GB",
        flush=True,
    )
    if not args.skip_spark and run.spark:
        spark_seconds = run_spark(small, expected, run)
        print(
            f"  Spark local mode (local[*]), from Parquet: {spark_seconds:6.1f} s "
            "(session start not included; tables checked equal)",
            flush=True,
        )
    return met


def _result(result: ChildResult) -> str:
    spilled = f"spilled {_mb(result.spilled)}"
    if result.stopped:
        return f"{result.stopped}; {spilled}"
    return f"{result.seconds:.1f} s, peak RSS {_mb(result.peak)}, {spilled}"


def _mb(size: float) -> str:
    return f"{size / 2**20:.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--fit-rows", type=int, default=10_000_000)
    parser.add_argument(
        "--dir",
        default=None,
        help="where to write the Parquet file, kept for the next run (default: a temp dir, "
        "deleted at the end)",
    )
    parser.add_argument(
        "--skip-spark", action="store_true", help="do not time Spark (needs pyspark and Java)"
    )
    parser.add_argument(
        "--only",
        choices=list(CHOICES),
        default="all",
        help="which runs: all (default), new (probability, probability4, regression) or one",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="stop a DuckDB child after this many seconds"
    )
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        default=12,
        help="stop a DuckDB child whose resident memory passes this (GB)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(float(n)) for n in text.split(",")],
        default=[],
        help="also time DuckDB alone on the first N rows, for each N of a comma-separated list",
    )
    parser.add_argument(
        "--memory-limit",
        default="",
        help="DuckDB's memory_limit for the engine's connection, e.g. 4GB "
        "(default: the engine's, 1GB)",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--run", default="classification", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.limit, args.run, args.memory_limit)
        return 0
    import duckdb

    print(
        f"mlprobe engines benchmark: Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"{os.cpu_count()} cores"
    )
    folder = Path(args.dir or tempfile.mkdtemp(prefix="mlprobe-engines-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"eval-{args.rows}.parquet"
    if (
        path.exists()
        and "score4" not in duckdb.sql(f"DESCRIBE FROM '{path}'").df()["column_name"].values
    ):
        for old in folder.glob(f"{path.stem}*"):  # written by an earlier version: no scores
            old.unlink()
    if not path.exists():
        started = time.perf_counter()
        write_table(path, args.rows)
        print(
            f"wrote {args.rows:,} rows to {path} ({path.stat().st_size / 2**20:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    try:
        met = [measure(name, path, args) for name in CHOICES[args.only]]
    finally:
        if not args.dir:  # a folder of its own: nothing can reuse it
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(met) else 1


def run_spark(path: Path, expected: pd.DataFrame, run: Run = RUNS["classification"]) -> float:
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
        probe = mp.Probe.from_spark(
            spark.read.parquet(str(path)),
            target=run.target,
            predictions=run.predictions,
            scores=run.scores,
            task=run.task,
        )
        got = probe.breakdown(slices=run.slices, metrics=run.metrics)
        elapsed = time.perf_counter() - started
    finally:
        spark.stop()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
