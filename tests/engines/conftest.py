"""Shared engine-test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    """A local Spark session per test module, stopped at its end (the Spark Connect tests
    need no classic session running, so none outlives its module)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("mlprobe-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()
