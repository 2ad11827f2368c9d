"""The demo: train a model on UCI Adult and show where it fails, slice by slice.

Run it with ``python -m mlprobe demo`` (or the ``mlprobe demo`` command).
"""

from __future__ import annotations

from typing import TextIO

import numpy as np
import pandas as pd

from mlprobe.datasets import load_adult
from mlprobe.probe import Probe
from mlprobe.render.display import compact_text
from mlprobe.render.tables import (
    format_interval,
    format_number,
    format_points,
    format_q_phrase,
)

__all__ = ["fix_first", "format_breakdown", "run_demo"]

POSITIVE = ">50K"
METRICS = [f"recall[{POSITIVE}]", f"precision[{POSITIVE}]", "accuracy"]
GROUP_COLUMNS = ["sex", "race", "marital_status"]


def format_breakdown(frame: pd.DataFrame) -> str:
    """A breakdown as plain text: the same compact view a notebook or terminal shows
    (:func:`mlprobe.render.display.compact_text`)."""
    return compact_text(frame)


def run_demo(out: TextIO) -> int:
    """Train on Adult's training rows, probe the test rows, print breakdowns and weak spots."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    print("mlprobe demo: loading UCI Adult (bundled) ...", file=out, flush=True)
    adult = load_adult()
    is_train = np.arange(len(adult)) < 32_561  # the original train/test split
    features = adult.drop(columns=["income"])
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    print(
        f"training a {type(model).__name__} on {int(is_train.sum())} rows "
        "(a few seconds to a minute) ...",
        file=out,
        flush=True,
    )
    model.fit(features[is_train], adult["income"][is_train])
    test = adult[~is_train].reset_index(drop=True)
    probe = Probe(test, target="income", model=model)

    print(f"mlprobe demo: {type(model).__name__} on UCI Adult, {probe.n_rows} test rows", file=out)
    print(f"{probe!r}\n", file=out)
    groups = []
    for column in GROUP_COLUMNS:
        frame = probe.breakdown(by=column, metrics=METRICS)
        groups += frame.attrs["slices"].values()
        print(f"== by {column} (95% intervals; gap and q-value: recall vs the rest)", file=out)
        print(format_breakdown(frame) + "\n", file=out)
    age = probe.breakdown(by="age", bins=5, metrics=METRICS)
    groups += age.attrs["slices"].values()
    print("== by age (5 quantile bins)", file=out)
    print(format_breakdown(age) + "\n", file=out)

    # every group in one call, so that the q-values account for all of them at once
    everything = probe.breakdown(slices=groups, metrics=METRICS).iloc[1:]
    recall = f"recall[{POSITIVE}]"
    weakest = everything[(everything["q_value"] < 0.05) & (everything["gap"] < 0)]
    weakest = weakest.sort_values("gap").head(5)
    overall = probe.metric(recall)["value"]
    print(
        f"== weakest groups: {recall} clearly below the rest (overall {format_number(overall)})",
        file=out,
    )
    print(
        f"   (q-values over all {len(everything)} groups above at once, so they differ from "
        "each table's, which counts only that table's groups)",
        file=out,
    )
    if weakest.empty:
        print("none: no group trails the rest beyond chance.", file=out)
    for _, row in weakest.iterrows():
        print(
            f"- {row['slice']}: {format_number(row[recall])} "
            f"{format_interval(row[recall + '_ci_low'], row[recall + '_ci_high'])} "
            f"on {format_number(row['n'])} rows, {format_number(row['gap'], signed=True)} vs "
            f"the rest ({format_q_phrase(row['q_value'])})",
            file=out,
        )
    print(file=out)
    print(fix_first(probe.priorities(slices=groups, metric=recall)), file=out)
    return 0


def fix_first(table: pd.DataFrame, top: int = 3) -> str:
    """The first rows of a priorities table in words: what fixing each slice buys overall.

    >>> table = pd.DataFrame({"slice": ["age < 26"], "benefit": [0.0191],
    ...     "benefit_ci_low": [0.012], "benefit_ci_high": [0.026], "n": [900]})
    >>> table.attrs["metrics"] = ["recall[>50K]"]
    >>> print(fix_first(table))
    == fix first: what each slice would buy if its rows did as well as the rest's
    - fixing `age < 26` (900 rows) buys +1.9 points of recall[>50K] [+1.2, +2.6]
    """
    metric = table.attrs["metrics"][0]
    lines = ["== fix first: what each slice would buy if its rows did as well as the rest's"]
    for _, row in table.head(top).iterrows():
        if not row["benefit"] > 0:
            break
        low, high = row["benefit_ci_low"], row["benefit_ci_high"]
        interval = "" if np.isnan(low) else f" [{format_points(low)}, {format_points(high)}]"
        lines.append(
            f"- fixing `{row['slice']}` ({format_number(row['n'])} rows) buys "
            f"{format_points(row['benefit'])} "
            f"points of {metric}{interval}"
        )
    if len(lines) == 1:
        lines.append("nothing: no slice does worse than the rest.")
    return "\n".join(lines)
