"""Issue 16: under the breakdown, the explorer shows the disparity of the groups last added."""

from __future__ import annotations

import mlprobe as mp
from mlprobe.render.disparity import disparity_sentence


def _shown(explorer) -> str:  # type: ignore[no-untyped-def]
    return str(explorer.breakdown.disparity.value)


def test_explore_by_shows_the_disparity_of_its_groups(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex", metric="fpr[>50K]")
    expected = adult_probe.disparity("sex", "fpr[>50K]").iloc[0]
    text = _shown(explorer)
    assert "Between the groups of sex: fpr[&gt;50K] differs by" in text
    assert (
        disparity_sentence(expected, confidence=0.95).replace(">", "&gt;").replace("'", "&#x27;")
        in text
    )
    # the metric and the confidence follow the explorer's
    explorer.state.metric = "selection_rate[>50K]"
    assert "selection_rate[&gt;50K] differs by" in _shown(explorer)
    explorer.state.confidence = 0.8
    assert "(80% interval)" in _shown(explorer)


def test_add_groups_switches_the_grouping_and_small_groups_are_named(
    adult_probe: mp.Probe,
) -> None:
    explorer = adult_probe.explore(metric="accuracy")
    assert _shown(explorer) == ""  # no groups added: nothing to compare
    explorer.builder.group_column.value = "race"
    explorer.builder.add_groups.click()
    assert "Between the groups of race: accuracy differs by" in _shown(explorer)
    explorer.state.min_support = 1000
    text = _shown(explorer)
    assert "Not compared:" in text and "fewer than 1000 rows" in text


def test_a_metric_the_groups_cannot_compare_says_why(adult_probe: mp.Probe) -> None:
    explorer = adult_probe.explore(by="sex", metric="accuracy")
    explorer.state.by = ["no_such_column"]
    text = _shown(explorer)
    assert text.startswith("<div") and "No disparity between the groups of no_such_column" in text
