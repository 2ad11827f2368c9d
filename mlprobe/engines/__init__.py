"""Backends: where a probe's rows live.

``memory`` (pandas and numpy) and ``sql_backend`` (DuckDB and Spark, over ``duckdb_source`` and
``spark_source``, slices compiled by ``sql``) implement :class:`mlprobe.core.backend.Backend`.
The underscored modules are the SQL backend's machinery: count tables (``_counting``,
``_count_cache``), per-row sums and ranks (``_row_sums``, ``_row_terms_sql``), row samples and
column profiles (``_rows_sql``) and slice discovery (``_discovery_sql``).
"""
