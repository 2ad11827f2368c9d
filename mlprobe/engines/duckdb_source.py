"""A table DuckDB scans where it lives: Parquet files (a path or a glob) or an Arrow/pandas table.

Nothing is loaded into Python but query results: DuckDB streams the files and
returns a few counts.

Parquet is read in place (``read_parquet`` in the FROM clause): nothing is created on the
connection. An Arrow/pandas table is registered on the connection under a name of its own per
source (``mlprobe_source_<uuid4 hex>``, checked unused), so probes sharing a connection never
read each other's rows and no table or view of the user's is replaced or shadowed. It is
unregistered when the source is garbage-collected (which also lets DuckDB drop its reference
to the table); best effort: if the connection is closed or busy in a query right then, it stays
until the connection closes.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from mlprobe.engines.sql import ColumnKind, ColumnKinds, source_name
from mlprobe.errors import DataError, MlprobeError, ValidationError

__all__ = ["DEFAULT_MEMORY_LIMIT", "DuckDBSource"]

#: the memory limit of the connection the engine opens itself (DuckDB's own default is 80% of
#: RAM): beyond it DuckDB spills sorts, joins and groupings to a temporary folder of the
#: engine's own (exact ROC AUC of 5e7 distinct scores: about 1.3 GB of RSS in all, and no
#: slower than without the limit; benchmarks/README.md)
DEFAULT_MEMORY_LIMIT = "1GB"
#: what ``memory_limit=`` accepts: a number and a unit, as DuckDB reads them
_MEMORY_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)

#: a name is taken if any table or view of any attached database or schema has it
_TAKEN = (
    "SELECT 1 FROM duckdb_tables() WHERE lower(table_name) = ? "
    "UNION ALL SELECT 1 FROM duckdb_views() WHERE lower(view_name) = ?"
)


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise MlprobeError(
            "the DuckDB engine needs the duckdb package; install it with "
            "`pip install 'mlprobe[duckdb]'`."
        ) from None
    return duckdb


def column_kind(sql_type: str) -> ColumnKind | None:
    """How mlprobe compares a column of this DuckDB type (None: not sliceable here)."""
    base = sql_type.upper().split("(")[0].strip()
    if base in ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "ENUM") or base.startswith("ENUM"):
        return "text"
    if base == "BOOLEAN":
        return "bool"
    if base.startswith(("TIMESTAMP", "DATETIME")) or base == "DATE":
        return "timestamp"  # _S, _MS, _NS, WITH TIME ZONE, TIMESTAMPTZ; a DATE is its midnight
    if base in ("DOUBLE", "FLOAT", "REAL"):
        return "float"
    if base in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "DECIMAL", "INT", "INT8", "INT4", "INT2", "INT1",
    ):  # fmt: skip
        return "number"
    return None


def _zoned(sql_type: str) -> bool:
    upper = sql_type.upper()
    return "TIME ZONE" in upper or upper.startswith("TIMESTAMPTZ")


@dataclass
class _Details:
    """What DuckDB's types do not say about a table's columns.

    ``levels``: the declared order of ordered categoricals of text or numbers;
    ``categorical``: all categorical (dictionary) columns; ``zones``: timestamp zones.
    """

    levels: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    categorical: set[str] = field(default_factory=set)
    zones: dict[str, str | None] = field(default_factory=dict)

    def add_categories(self, name: str, values: list[Any], ordered: bool) -> None:
        """A categorical column: its levels count when they are all text or all numbers."""
        self.categorical.add(name)
        if ordered and (
            all(isinstance(v, str) for v in values)
            or all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        ):
            self.levels[name] = tuple(values)


def _frame_details(data: Any) -> _Details:
    """Categorical levels and time zones of a pandas DataFrame's or Arrow table's columns."""
    details = _Details()
    dtypes = getattr(data, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # pandas
        for name, dtype in dtypes.items():
            categories = getattr(dtype, "categories", None)
            if categories is not None:
                ordered = bool(getattr(dtype, "ordered", False))
                details.add_categories(str(name), categories.tolist(), ordered)
            zone = getattr(dtype, "tz", None)
            if zone is not None:
                details.zones[str(name)] = str(zone)
        return details
    schema = getattr(data, "schema", None)
    if schema is not None and hasattr(data, "column"):  # pyarrow.Table
        details = _arrow_details(schema, lambda name: data.column(name).chunks)
    return details


def _arrow_details(schema: Any, chunks: Any) -> _Details:
    """Dictionary columns (levels from the first chunk's dictionary) and timestamp zones."""
    details = _Details()
    for field_ in schema:
        kind = field_.type
        if hasattr(kind, "value_type") and hasattr(kind, "ordered"):  # a dictionary type
            found = chunks(field_.name)
            values = found[0].dictionary.to_pylist() if found else []
            if found or not kind.ordered:
                details.add_categories(field_.name, values, bool(kind.ordered))
        zone = getattr(kind, "tz", None)
        if zone is not None:
            details.zones[field_.name] = str(zone)
    return details


def _parquet_details(path: str) -> _Details:
    """Ordered categoricals and time zones pandas wrote into Parquet (read as plain text and
    UTC by DuckDB), from the first file of the glob; nothing if pyarrow cannot tell.

    Parquet keeps the levels of text categoricals only: a categorical of numbers is read back
    as plain numbers (by pandas.read_parquet too), so it compares and groups as numbers."""
    files = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    if not files:
        return _Details()
    try:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(files[0])
        schema = parquet.schema_arrow

        def chunks(name: str) -> list[Any]:
            if parquet.metadata.num_row_groups == 0:
                return []
            return list(parquet.read_row_group(0, columns=[name]).column(name).chunks)

        return _arrow_details(schema, chunks)
    except Exception:  # no pyarrow, a directory, an unreadable file: DuckDB reports it
        return _Details()


def _unregister(connection: Any, name: str) -> None:
    """Drop a source's registered table (run by its finalizer; never raises)."""
    # closed, or inside a query on this connection: then it goes with the connection
    with contextlib.suppress(Exception):
        connection.unregister(name)


#: DuckDB's virtual columns of a Parquet scan that number its rows
ROW_POSITION = ("file_index", "file_row_number")


class DuckDBSource:
    """Run SQL on Parquet files or an in-memory table with DuckDB.

    Parameters
    ----------
    data : str, path, pandas.DataFrame or pyarrow.Table
        A Parquet file, directory glob (``"eval/*.parquet"``), or a table.
    connection : duckdb.DuckDBPyConnection, optional
        Reuse a connection (default: a private in-memory one). A table is registered on it
        under a fresh name (:attr:`view`) while the source lives; nothing of the user's on the
        connection is replaced or hidden, and none of its settings changed.
    memory_limit : str, optional
        DuckDB's ``memory_limit`` for the private connection (default
        :data:`DEFAULT_MEMORY_LIMIT`), e.g. ``"4GB"``; beyond it DuckDB spills to a temporary
        folder of the source's own, removed with it. Not for a connection passed in: set
        yours with ``SET memory_limit = '4GB'``.
    """

    dialect = "duckdb"
    quantile_function = "quantile_cont"

    def __init__(
        self, data: Any, *, connection: Any = None, memory_limit: str | None = None
    ) -> None:
        duckdb = _duckdb()
        if connection is None:
            limit = _checked_memory_limit(
                DEFAULT_MEMORY_LIMIT if memory_limit is None else memory_limit
            )
            connection = duckdb.connect()
            # counts do not depend on row order; keeping it makes DuckDB buffer scanned data
            # (1.8 GB instead of 0.3 GB peak for 5e7 rows here)
            connection.execute("SET preserve_insertion_order = false")
            connection.execute(f"SET memory_limit = '{limit}'")
            # spill files in a folder of this source's (DuckDB's default: ./.tmp)
            spill = tempfile.mkdtemp(prefix="mlprobe-duckdb-")
            connection.execute("SET temp_directory = ?", [spill])
            weakref.finalize(self, shutil.rmtree, spill, True).atexit = True
        elif memory_limit is not None:
            raise ValidationError(
                "memory_limit: applies to the connection the probe opens itself; this probe "
                "uses yours, whose settings it leaves alone. Set yours instead: "
                f"connection.execute(\"SET memory_limit = '{memory_limit}'\")."
            )
        self.connection = connection
        #: the name the table is registered under (None for Parquet, read in place)
        self.view: str | None = None
        if isinstance(data, str | os.PathLike):
            path = str(Path(data).expanduser())
            if not any(ch in path for ch in "*?[") and not Path(path).exists():
                raise DataError(f"data: no Parquet file at {path!r}; check the path or glob.")
            # the path as a string literal that sqlglot quotes and escapes (placeholders must
            # follow the text order of the query, and the FROM item comes last)
            self._from: exp.Expression = exp.Table(
                this=exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(path)])
            )
            self.description = path
            self._details = _parquet_details(path)
        else:
            self._details = _frame_details(data)
            self.view = source_name(self._taken)
            try:
                connection.register(self.view, data)
            except Exception as error:  # duckdb raises its own error types
                _keep_interrupt(error)
                raise DataError(
                    f"data: DuckDB cannot read a {type(data).__name__}: "
                    f"{type(error).__name__}: {error}"
                ) from None
            weakref.finalize(self, _unregister, connection, self.view).atexit = False
            self._from = exp.Table(this=exp.to_identifier(self.view, quoted=True))
            self.description = f"a {type(data).__name__}"
        describe = exp.Describe(this=exp.select("*").from_(self._from.copy()))
        try:
            described = self.rows(describe, [])
        except MlprobeError as error:
            raise DataError(f"data: DuckDB cannot read {self.description}: {error}") from None
        #: column name -> DuckDB type, in the table's order
        self.types: dict[str, str] = {str(row[0]): str(row[1]) for row in described}
        #: columns that number the rows (DuckDB's virtual file_index and file_row_number of
        #: Parquet files; none for a registered table, or where the data has such columns)
        self.row_position: tuple[str, ...] = ()
        if self.view is None and not set(ROW_POSITION) & set(self.types):
            self.row_position = ROW_POSITION

    def _taken(self, name: str) -> bool:
        try:
            return bool(self.connection.execute(_TAKEN, [name, name]).fetchall())
        except Exception as error:  # duckdb raises its own error types
            raise _failure(error) from None

    def kinds(self) -> ColumnKinds:
        """Sliceable columns and how they compare (ordered levels and time zones included)."""
        out: dict[str, ColumnKind] = {}
        for name, sql_type in self.types.items():
            kind = column_kind(sql_type)
            if kind is not None:
                out[name] = kind
        details = self._details
        # levels of the type DuckDB holds (text levels of a text column, numbers of a number)
        levels = {
            n: v
            for n, v in details.levels.items()
            if out.get(n) in ("text", "number", "float")
            and (out[n] == "text") == all(isinstance(x, str) for x in v)
        }
        categorical = {n for n in details.categorical if out.get(n) in ("text", "number", "float")}
        zones = {
            n: details.zones.get(n)
            for n, t in self.types.items()
            if out.get(n) == "timestamp" and _zoned(t)
        }
        return ColumnKinds(out, levels=levels, categorical=categorical, zones=zones)

    @property
    def where(self) -> str:
        """Where the rows are, for a probe's repr."""
        return f"DuckDB ({self.description})"

    def source(self) -> exp.Expression:
        """The FROM item: ``read_parquet('path')`` or the registered table."""
        return self._from.copy()

    def query(self, query: exp.Expression, params: list[Any]) -> Any:
        """Run a sqlglot query with its parameters; the connection, ready to fetch."""
        sql = query.sql(self.dialect, copy=False)  # built for this call only
        try:
            return self.connection.execute(sql, params)
        except Exception as error:  # duckdb raises its own error types
            raise _failure(error) from None

    def rows(self, query: exp.Expression, params: list[Any]) -> list[tuple[Any, ...]]:
        """Run a query and fetch all result rows."""
        result: list[tuple[Any, ...]] = self.query(query, params).fetchall()
        return result

    def batches(self, query: exp.Expression, params: list[Any], size: int) -> Iterator[Any]:
        """Run a query and stream its result as Arrow record batches of ``size`` rows at most,
        in the query's order (a sorted result is sorted, spilling if need be, then streamed)."""
        sql = query.sql(self.dialect, copy=False)
        try:
            relation = self.connection.sql(sql, params=params)
            stream = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
            reader = stream(size)
            yield from reader
        except Exception as error:  # duckdb raises its own error types
            raise _failure(error) from None


def _keep_interrupt(error: Exception) -> None:
    """Ctrl-C during a DuckDB query stays an interrupt (DuckDB raises InterruptException,
    which is no failure of the data or of mlprobe: Jupyter should show "interrupted")."""
    if type(error).__name__ == "InterruptException":
        raise KeyboardInterrupt from error


def _failure(error: Exception) -> Exception:
    """A DuckDB error as mlprobe's (after :func:`_keep_interrupt`)."""
    _keep_interrupt(error)
    return MlprobeError(f"DuckDB failed: {type(error).__name__}: {error}")


def _checked_memory_limit(limit: Any) -> str:
    """``memory_limit=`` as DuckDB reads it, or a clear refusal."""
    if not isinstance(limit, str) or not _MEMORY_SIZE.match(limit):
        raise ValidationError(
            f"memory_limit: expected a size such as '2GB' or '512MB'; received {limit!r}."
        )
    return limit.strip()
