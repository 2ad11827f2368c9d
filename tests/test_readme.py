"""Every Python snippet of README.md runs, in order, as a reader would paste them (issue 12).

The README's tour names a test table and two models it does not build (``test_df``,
``old_model``, ``new_model``); the prelude builds them from the bundled Adult data, and
Parquet files for the "Scaling out" snippets. Snippets that need a Spark session (``spark``)
run only where the Spark tests run. Each snippet runs in a fresh working directory shared by
all of them, so files one writes (a suite) are there for the next.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


def snippets() -> list[str]:
    """The README's Python code blocks, in order."""
    return SNIPPET.findall(README.read_text(encoding="utf-8"))


def _prelude(workdir: Path) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    import mlprobe as mp

    adult = mp.datasets.load_adult()
    is_train = np.arange(len(adult)) < 32_561
    train, test_df = adult[is_train], adult[~is_train].reset_index(drop=True).head(4000)
    columns = ["age", "education_num", "hours_per_week", "sex", "race"]

    def fit(features: list[str]) -> object:
        categorical = [c for c in features if str(adult[c].dtype) in ("category", "object", "str")]
        encoder = OneHotEncoder(handle_unknown="ignore")
        from sklearn.compose import make_column_transformer

        prepare = make_column_transformer((encoder, categorical), remainder="passthrough")
        model = make_pipeline(prepare, LogisticRegression(max_iter=2000))
        return model.fit(train[features], train["income"])

    old_model, new_model = fit(columns[:3]), fit(columns)
    (workdir / "tests").mkdir()
    (workdir / "eval").mkdir()
    (workdir / "prices").mkdir()
    scored = test_df.assign(
        pred_v1=old_model.predict(test_df[columns[:3]]),
        pred_v2=new_model.predict(test_df[columns]),
        proba_v1=old_model.predict_proba(test_df[columns[:3]])[:, 1],
        proba_v2=new_model.predict_proba(test_df[columns])[:, 1],
    )
    scored.to_parquet(workdir / "eval" / "part-0.parquet")
    rng = np.random.default_rng(0)
    price = rng.lognormal(3, 0.5, 500)
    pd.DataFrame(
        {"region": rng.choice(["n", "s"], 500), "price": price, "predicted": price * 1.1}
    ).to_parquet(workdir / "prices" / "part-0.parquet")
    return {"test_df": test_df, "old_model": old_model, "new_model": new_model}


def test_readme_snippets_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace = _prelude(tmp_path)
    ran = 0
    for number, code in enumerate(snippets(), start=1):
        if "spark" in code and "from_spark" in code:
            continue  # needs a running Spark session: covered by tests/engines/test_spark.py
        try:
            exec(compile(code, f"README.md snippet {number}", "exec"), namespace)
        except Exception as error:  # the snippet's number and text, for the reader
            raise AssertionError(f"README snippet {number} failed: {error!r}\n{code}") from error
        ran += 1
    assert ran >= 6
    assert (tmp_path / "tests" / "income.mlprobe.yaml").exists()
    assert (tmp_path / "income-report.html").exists()
