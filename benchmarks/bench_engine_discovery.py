"""Benchmark ``find_slices`` on a Parquet file through DuckDB (issue 14).

Run from the repository root::

    python benchmarks/bench_engine_discovery.py                      # 5e7 rows
    python benchmarks/bench_engine_discovery.py --rows 2000000       # quicker

The table is :func:`bench_discovery.make_table`'s (10 features: 6 text with 3
to 20 levels, 4 numeric; three planted failing slices), written in seeded
chunks of 1e6 rows with pyarrow, so no process ever holds the whole table.

Each measured run is a fresh child process (``--child``) that opens the file
with ``mp.Probe.from_parquet`` and calls ``find_slices(max_conditions=2)``;
it reports its wall time and its peak resident memory (``ru_maxrss``: Python,
numpy and DuckDB together). Targets: 5e7 rows in <= 5 minutes and <= 2 GB on
a 2-core machine.

Peer, measured in the same run: the in-memory probe on a 1e6-row file of
the same generator (read into pandas), against the engine on that file. The two results
are checked to be equal (slices, sizes, scores) before any time is printed,
and the rows-per-second ratio of the engine at full size to memory at 1e6 is
printed.
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
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_discovery import make_table

CHUNK = 1_000_000


def write_parquet(path: Path, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for index, start in enumerate(range(0, rows, CHUNK)):
            frame, y, p = make_table(min(CHUNK, rows - start), seed=index)
            frame = frame.assign(y=y, p=p)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def child(path: str, in_memory: bool) -> None:
    import mlprobe as mp

    started = time.perf_counter()
    if in_memory:
        import pyarrow.parquet as pq

        frame = pq.read_table(path).to_pandas()
        probe = mp.Probe(frame.drop(columns=["p"]), target="y", predictions=frame["p"].to_numpy())
        started = time.perf_counter()  # reading the file is not the search
    else:
        probe = mp.Probe.from_parquet(path, target="y", predictions="p")
    found = probe.find_slices(max_conditions=2, progress=False)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_kb / 1024,
                "slices": [str(s) for s in found["slice"]],
                "n": found["n"].tolist(),
                "score": found["score"].tolist(),
                "evaluated": found.attrs["evaluated"],
            }
        )
    )


def measure(path: Path, in_memory: bool) -> dict:
    command = [sys.executable, __file__, "--child", str(path)]
    if in_memory:
        command.append("--in-memory")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--peer-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the Parquet file here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.in_memory)
        return 0

    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")
    with tempfile.TemporaryDirectory() as folder:
        path = options.keep or Path(folder) / "eval.parquet"
        if not path.exists():
            started = time.perf_counter()
            write_parquet(path, options.rows)
            print(f"wrote {options.rows:,} rows in {time.perf_counter() - started:.0f} s")
        peer_path = Path(folder) / "peer.parquet"
        write_parquet(peer_path, options.peer_rows)  # the same seeds: the first rows
        peer = measure(peer_path, in_memory=True)
        same_rows = measure(peer_path, in_memory=False)
        for key in ("slices", "n", "evaluated"):
            assert peer[key] == same_rows[key], (key, peer[key], same_rows[key])
        np.testing.assert_allclose(same_rows["score"], peer["score"], rtol=1e-9)
        full = measure(path, in_memory=False)
        print("\nfind_slices(max_conditions=2), 10 features, top_k 10")
        print(f"{'run':<34}{'rows':>12}{'seconds':>10}{'peak MB':>10}")
        for name, rows, result in [
            ("in memory (peer)", options.peer_rows, peer),
            ("DuckDB, same rows", options.peer_rows, same_rows),
            ("DuckDB, whole Parquet file", options.rows, full),
        ]:
            print(f"{name:<34}{rows:>12,}{result['seconds']:>10.1f}{result['peak_mb']:>10.0f}")
        print("\nresults equal on the peer's rows: yes")
        ratio = (options.rows / full["seconds"]) / (options.peer_rows / peer["seconds"])
        print(
            f"rows per second, DuckDB at full size / memory at {options.peer_rows:,}: {ratio:.2f}"
        )
        print(f"top slice at full size: {full['slices'][0] if full['slices'] else '(none)'}")
        within = full["seconds"] <= 300 and full["peak_mb"] <= 2048
        print(f"target (<= 300 s, <= 2048 MB): {'met' if within else 'NOT met'}")
        return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
