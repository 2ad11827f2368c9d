"""A Spark DataFrame as the table to count: the distributed engine (Spark Connect included).

The DataFrame is registered as a temporary view; queries are sqlglot-built
Spark SQL with positional ``?`` parameters (``spark.sql(query, args=[...])``,
Spark 3.5+), so values never become SQL text.

Spark has no ordered categoricals: a string column compares as text (``<`` by code point), which
is what memory does for unordered text; a pandas ordered categorical converted to Spark becomes
plain strings, so slice it in memory or on DuckDB to compare by its declared order (a
categorical of numbers becomes plain numbers, compared and grouped as numbers).

Timestamps compare with text literals read as dates, as in memory, whatever the session's time
zone (``spark.sql.session.timeZone``) or the Python process's: literals are bound as text cast
to TIMESTAMP_NTZ, or as microseconds since 1970 UTC, never as Python datetimes that a zone
would read. A TIMESTAMP_NTZ column holds wall-clock times, as a naive pandas column: it
compares as one. A DATE column is its midnight, without a zone. A TIMESTAMP column holds
instants whose zone Spark does not keep (pandas data converted to it may have been naive,
read in the session's or the process's zone, or in any zone): a literal with a zone
(``'2024-01-01T00:00Z'``, ``'... +01:00'``) is the instant and compares as in memory; one
without a zone is refused, naming the fix. ``by=`` on any of them is refused, as in memory.

The view's name is one of its own per source (``mlprobe_source_<uuid4 hex>``), checked unused
(``catalog.tableExists``: no temporary view or table of that name in the current database) and
created with ``createTempView``, which never replaces: so probes on one session never read each
other's rows and no view or table of the user's is replaced or shadowed. The view is dropped
when the source is garbage-collected; best effort: if the session is stopped or unreachable,
the view goes with the session.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlglot import exp

from mlprobe.engines.sql import ColumnKind, ColumnKinds, source_name
from mlprobe.errors import DataError, MlprobeError

__all__ = ["SparkSource"]


def spark_column_kind(type_name: str) -> ColumnKind | None:
    """How mlprobe compares a column of this Spark type (None: not sliceable here)."""
    name = type_name.lower()
    if name in ("string", "varchar", "char") or name.startswith(("varchar", "char")):
        return "text"
    if name == "boolean":
        return "bool"
    if name in ("timestamp", "timestamp_ltz", "timestamp_ntz", "date"):
        return "timestamp"
    if name in ("double", "float"):
        return "float"
    if name in ("byte", "tinyint", "short", "smallint", "integer", "int", "long", "bigint") or (
        name.startswith("decimal")
    ):
        return "number"
    return None


def _drop_view(session: Any, name: str) -> None:
    """Drop a source's temporary view (run by its finalizer; never raises)."""
    try:
        if getattr(session, "is_stopped", False):  # Spark Connect: no call to a closed client
            return
        session.catalog.dropTempView(name)
    except Exception:  # stopped or unreachable: the view goes with the session
        pass


#: how many times a collect whose local socket failed is asked (see :meth:`SparkSource.rows`)
COLLECT_ATTEMPTS = 3


class SparkSource:
    """Run SQL on a Spark DataFrame.

    Parameters
    ----------
    dataframe : pyspark.sql.DataFrame
        Any Spark DataFrame (classic or Spark Connect). It is registered on its session as a
        temporary view of a fresh name (:attr:`view`) while the source lives.
    """

    dialect = "spark"
    quantile_function = "percentile"

    def __init__(self, dataframe: Any) -> None:
        session = getattr(dataframe, "sparkSession", None)
        schema = getattr(dataframe, "schema", None)
        if session is None or schema is None:
            raise DataError(
                f"data: expected a pyspark DataFrame; received {type(dataframe).__name__}. "
                "For pandas or Parquet use Probe(...) or Probe.from_parquet(...)."
            )
        self.session = session
        try:
            #: the temporary view the queries read
            self.view = source_name(session.catalog.tableExists)
            dataframe.createTempView(self.view)  # never replaces an existing view
        except Exception as error:  # py4j and Spark Connect raise their own types
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise MlprobeError(f"Spark failed: {type(error).__name__}: {first}") from None
        weakref.finalize(self, _drop_view, session, self.view).atexit = False
        self.description = f"a Spark DataFrame (view {self.view})"
        #: column name -> Spark type name, in the table's order
        self.types: dict[str, str] = {f.name: f.dataType.simpleString() for f in schema.fields}

    def kinds(self) -> ColumnKinds:
        """Sliceable columns and how they compare (TIMESTAMP columns hold instants)."""
        out: dict[str, ColumnKind] = {}
        for name, type_name in self.types.items():
            kind = spark_column_kind(type_name)
            if kind is not None:
                out[name] = kind
        instants = [n for n, t in self.types.items() if t.lower() in ("timestamp", "timestamp_ltz")]
        return ColumnKinds(out, instants=instants, spark_timestamps=True)

    @property
    def where(self) -> str:
        """Where the rows are, for a probe's repr."""
        return str(self.description)

    def source(self) -> exp.Expression:
        """The registered view."""
        return exp.Table(this=exp.to_identifier(self.view, quoted=True))

    def rows(self, query: exp.Expression, params: list[Any]) -> list[tuple[Any, ...]]:
        """Run a sqlglot query with its ``?`` parameters; the result rows as tuples.

        A classic session hands results to Python over a local socket served by a JVM
        thread; when that thread dies (seen as pyspark's ``UnboundLocalError`` on
        ``sockfile``, the JVM logging e.g. a ``NegativeArraySizeException``), the query is
        asked again, up to :data:`COLLECT_ATTEMPTS` times: it only reads.
        """
        sql = query.sql(self.dialect)
        for attempt in range(COLLECT_ATTEMPTS):
            try:
                result = (
                    self.session.sql(sql, args=list(params)) if params else self.session.sql(sql)
                )
                return [tuple(row) for row in result.collect()]
            except UnboundLocalError as error:  # the socket's serving thread died
                if "sockfile" in str(error) and attempt + 1 < COLLECT_ATTEMPTS:
                    continue
                raise MlprobeError(f"Spark failed: {type(error).__name__}: {error}") from None
            except Exception as error:  # py4j and Spark Connect raise their own types
                first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise MlprobeError(f"Spark failed: {type(error).__name__}: {first}") from None
        raise AssertionError("unreachable")  # pragma: no cover
