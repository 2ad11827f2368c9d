"""``mlprobe.History``: every recorded suite run, read back -- per version, per test, over time.

Runs are recorded with ``suite.run(probe, record="runs.db", version="v7")``, ``mlprobe test
... --record runs.db --version v7`` or pytest ``--mlprobe-record runs.db --mlprobe-version
v7``. The queries live in :mod:`mlprobe.spec.history_store` (pure pandas + SQLAlchemy);
this facade adds what needs :mod:`mlprobe.render` (trend charts).

Examples
--------
>>> import os, tempfile
>>> import pandas as pd
>>> import mlprobe as mp
>>> probe = mp.Probe(pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50}), target="y",
...                  predictions=[0, 1] * 50)
>>> suite = mp.Suite("s", [mp.SliceTest(id="a-acc", slice="g == 'a'", metric="accuracy",
...                                      at_least=0.8)])
>>> store = os.path.join(tempfile.mkdtemp(), "runs.db")
>>> for version in ("v1", "v2"):
...     _ = suite.run(probe, record=store, version=version)
>>> h = mp.History(store)
>>> h.versions()
['v1', 'v2']
>>> h.matrix(value="outcome")
test_id   a-acc
version
v1       passed
v2       passed
>>> h.regressions("v2")[["test_id", "against", "difference", "verdict"]]
  test_id against  difference               verdict
0   a-acc      v1         0.0  no detectable change
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from mlprobe.render.display import as_result
from mlprobe.spec.history_store import RunHistory

__all__ = ["History"]


class History:
    """A run store, read-only: outcomes, versions, the version-by-test matrix, trends, regressions.

    Parameters
    ----------
    path_or_url : str or path
        A SQLite file (never created here: a missing file is an error) or a SQLAlchemy URL
        such as ``postgresql+psycopg://user@host/db``.
    """

    def __init__(self, path_or_url: str | os.PathLike[str]) -> None:
        self.reader = RunHistory(path_or_url)

    def __repr__(self) -> str:
        return f"<History {self.reader.location.shown}>"

    def close(self) -> None:
        """Release the store's connections."""
        self.reader.close()

    def runs(
        self,
        suite: str | None = None,
        test: str | None = None,
        version: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> pd.DataFrame:
        """One row per recorded outcome, in recording order (see :meth:`RunHistory.runs`)."""
        return as_result(
            self.reader.runs(suite=suite, test=test, version=version, since=since, until=until)
        )

    def versions(self, suite: str | None = None) -> list[str]:
        """Version labels, in the order of their first recorded run."""
        return self.reader.versions(suite)

    def suites(self) -> list[str]:
        """Suite names, in the order of their first recorded run."""
        return self.reader.suites()

    def matrix(self, suite: str | None = None, value: str = "observed") -> pd.DataFrame:
        """Versions x tests, each cell from the latest run of the version (see
        :meth:`RunHistory.matrix`)."""
        return as_result(self.reader.matrix(suite=suite, value=value))

    def trend(self, test_id: str, suite: str | None = None) -> pd.DataFrame:
        """One test over every recorded run (see :meth:`RunHistory.trend`)."""
        return as_result(self.reader.trend(test_id, suite=suite))

    def regressions(
        self, version: str, against: str = "previous", suite: str | None = None
    ) -> pd.DataFrame:
        """Per test: ``version`` against another version, the difference with its interval
        and a verdict (see :meth:`RunHistory.regressions`)."""
        return as_result(self.reader.regressions(version, against=against, suite=suite))

    def trend_chart(self, test_id: str, suite: str | None = None) -> Any:
        """An offline chart of :meth:`trend`: the observed value per recorded run with its
        interval, the threshold dashed, points coloured by outcome (an Altair chart; save it
        as SVG with :func:`mlprobe.render.chart_svg`)."""
        from mlprobe.render.history_charts import trend_chart

        return trend_chart(self.trend(test_id, suite=suite), title=test_id)
