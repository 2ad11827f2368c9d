"""Benchmark exact and binned ROC AUC on DuckDB: 20 slices over 1e7 and 5e7 continuous scores (issue 18).

Run from the repository root::

    python benchmarks/bench_engine_auc.py --dir /tmp/mlprobe-auc-bench       # 1e7 and 5e7
    python benchmarks/bench_engine_auc.py --rows 10000000 --sizes 1e6          # quicker
    python benchmarks/bench_engine_auc.py --before                             # + the old query

The table is ``bench_engines.py``'s (``score``: a logistic of the target, age, channel and
noise, a distinct value per row), written once with DuckDB (``--dir`` keeps it). Each run is a
fresh child process: ``Probe.from_parquet(..., scores="score")`` and
``breakdown(slices=<bench_engines.SLICES>, metrics=["roc_auc"])`` (values, DeLong intervals,
p-values against the rest); it reports its time, its peak resident memory (``ru_maxrss``:
Python, numpy and DuckDB together) and the most its DuckDB spill folder held.

Runs, on each size:

- ``exact``: the default, one sort of narrow rows per class merged in numpy batches, with
  the engine's default memory limit;
- ``bins=1e5``, ``bins=1e6``: ``auc_bins=``, with the largest reported error bound and the
  largest actual difference from ``exact`` over the 21 groups;
- ``per-score`` (``--before``): the per-score query with running sums that every AUC ran
  before (Spark's path), without a memory limit, as the benchmarks before issue 18 measured
  it (18 minutes and 5.5 GB at 5e7: skipped there unless ``--before-full``).

On the smallest size the exact table is checked equal to the in-memory probe's
(``pd.read_parquet`` + ``Probe`` + ``breakdown`` in a child of its own, ``rtol=1e-9``) before
any time is printed. (Children are started by a parent that never holds the table: a child's
``ru_maxrss`` starts at its parent's resident size when it is forked.)
Targets: exact at 5e7 <= 180 s and <= 2 GB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_engines import SLICES, _folder_bytes, first_rows, write_table

COLUMNS = {"target": "y", "predictions": "v1", "scores": "score"}


def child(path: str, variant: str, out: str) -> None:
    """Runs in a fresh process: one breakdown; prints a JSON line, pickles the table."""
    import mlprobe as mp
    from mlprobe.engines.duckdb_source import DuckDBSource

    if variant == "memory":  # pd.read_parquet, Probe, breakdown (reading not timed)
        frame = pd.read_parquet(path)
        started = time.perf_counter()
        probe = mp.Probe(
            frame, target="y", predictions="v1", scores=frame["score"].to_numpy(), task="binary"
        )
        table = probe.breakdown(slices=SLICES, metrics=["roc_auc"])
        seconds = time.perf_counter() - started
        table.to_pickle(out)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"seconds": seconds, "peak": peak, "spilled": 0, "bound": np.nan}))
        return
    options: dict[str, object] = {}
    if variant.startswith("bins="):
        options["auc_bins"] = int(float(variant.split("=")[1]))
    if variant == "per-score":  # the query every AUC ran before: no stream, no memory limit
        DuckDBSource.batches = None  # type: ignore[assignment,method-assign]
        options["memory_limit"] = "100GB"
    spilled = [0]
    started = time.perf_counter()
    probe = mp.Probe.from_parquet(path, **COLUMNS, **options)  # type: ignore[arg-type]
    connection = probe._backend._engine.connection  # type: ignore[attr-defined]
    folder = Path(connection.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            spilled[0] = max(spilled[0], _folder_bytes(folder))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    table = probe.breakdown(slices=SLICES, metrics=["roc_auc"])
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    bound = np.nan
    if "auc_bins" in options:
        bounds = probe._backend.auc_error_bounds()  # type: ignore[attr-defined]
        bound = float(bounds["bound"].max())
    table.to_pickle(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "spilled": spilled[0], "bound": bound}))


def measure(path: Path, variant: str, folder: Path) -> dict:
    out = folder / f"{path.stem}.{variant}.pkl"
    command = [sys.executable, os.path.abspath(__file__), "--child", str(path)]
    command += ["--variant", variant, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{variant} on {path.name} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["table"] = pd.read_pickle(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(float(n)) for n in text.split(",")],
        default=[10_000_000],
        help="also run on the first N rows, for each N of a comma-separated list",
    )
    parser.add_argument("--dir", default=None, help="where to write (or reuse) the Parquet file")
    parser.add_argument("--before", action="store_true", help="also time the per-score query")
    parser.add_argument("--before-full", action="store_true", help="... at --rows too")
    parser.add_argument("--bins", default="1e5,1e6", help="auc_bins values to time")
    parser.add_argument("--skip-memory", action="store_true", help="no in-memory comparison")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="exact", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.variant, args.out)
        return 0
    import duckdb

    print(
        f"mlprobe exact ROC AUC on DuckDB: Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}, {os.cpu_count()} cores"
    )
    folder = Path(args.dir or tempfile.mkdtemp(prefix="mlprobe-auc-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"eval-{args.rows}.parquet"
    if not path.exists():
        started = time.perf_counter()
        write_table(path, args.rows)
        print(f"wrote {args.rows:,} rows in {time.perf_counter() - started:.0f} s")
    sizes = [*sorted({n for n in args.sizes if n < args.rows}), args.rows]
    bins = [f"bins={b}" for b in args.bins.split(",") if b]
    print(f"\n{'rows':>12}  {'run':<12}{'seconds':>9}{'peak MB':>9}{'spill MB':>9}  notes")
    ok = True
    for rows in sizes:
        file = path if rows == args.rows else first_rows(path, rows)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        exact = measure(file, "exact", folder)
        notes = f"load {load}"
        memory = None
        if rows == sizes[0] and not args.skip_memory:
            memory = measure(file, "memory", folder)
            pd.testing.assert_frame_equal(
                exact["table"], memory["table"], check_exact=False, rtol=1e-9
            )
            notes += "; equal to in memory"
        _line(rows, "exact", exact, notes)
        if memory is not None:
            _line(rows, "in memory", memory, "Probe + breakdown (pd.read_parquet not timed)")
        if rows == args.rows:
            ok = exact["seconds"] <= 180 and exact["peak"] <= 2 * 2**30
        for variant in bins:
            found = measure(file, variant, folder)
            error = np.nanmax(np.abs(found["table"]["roc_auc"] - exact["table"]["roc_auc"]))
            _line(rows, variant, found, f"max bound {found['bound']:.2g}, max error {error:.2g}")
        if args.before and (rows < args.rows or args.before_full):
            before = measure(file, "per-score", folder)
            pd.testing.assert_frame_equal(
                before["table"], exact["table"], check_exact=False, rtol=1e-9
            )
            _line(rows, "per-score", before, "the query before issue 18; tables equal")
    print(
        f"\ntarget at {args.rows:,} rows (exact <= 180 s, <= 2048 MB): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


def _line(rows: int, name: str, result: dict, notes: str) -> None:
    print(
        f"{rows:>12,}  {name:<12}{result['seconds']:>9.1f}{result['peak'] / 2**20:>9.0f}"
        f"{result['spilled'] / 2**20:>9.0f}  {notes}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
