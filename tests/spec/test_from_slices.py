"""Suite.from_slices (issue 15, item 4): from a finding to saved, passing, guarding tests.

Ids (readable, stable, unique, schema-valid), every kind of input (find_slices and breakdown
tables, lists), the metric each loss becomes, baselines and the default allowance, the
several-model rule, round trips, a run that passes on the same probe and fails on a worse
model, no mutation of the input, and errors that name the argument and the fix.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import predicates

import mlprobe as mp
from mlprobe import Slice, SliceTest, Suite, col
from mlprobe.spec.from_slices import (
    FOUND_METRICS,
    MAX_ID_LENGTH,
    default_allowance,
    merge_tests,
    slice_hash,
    slice_id,
    unique_ids,
)
from mlprobe.spec.schema import schema, validate_document

ID_PATTERN = re.compile(schema()["$defs"]["test"]["properties"]["id"]["pattern"])
TODAY = dt.date.today().isoformat()


# --- probes on the bundled Adult data --------------------------------------------------------


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return mp.datasets.load_adult()


def _rule(frame: pd.DataFrame) -> np.ndarray:
    """A plausible rule of a classifier (no training: fast and the same everywhere)."""
    rich = (frame["education_num"] >= 13) & (frame["age"] >= 30) & (frame["hours_per_week"] >= 40)
    return rich.to_numpy()


@pytest.fixture(scope="module")
def adult_probe(adult: pd.DataFrame) -> mp.Probe:
    """Two models: ``good`` (the rule, 5% noise) and ``worse`` (the same, 25% noise)."""
    rich = _rule(adult)
    rng = np.random.default_rng(0)
    good = np.where(rich ^ (rng.random(len(adult)) < 0.05), ">50K", "<=50K")
    worse = np.where(rich ^ (rng.random(len(adult)) < 0.25), ">50K", "<=50K")
    p_rich = np.clip(
        np.where(good == ">50K", 0.75, 0.25) + rng.normal(0, 0.1, len(adult)), 0.01, 0.99
    )
    return mp.Probe(
        adult,
        target="income",
        predictions={"good": good, "worse": worse},
        scores={
            "good": np.column_stack([1 - p_rich, p_rich]),
            "worse": np.column_stack([1 - p_rich, p_rich]),
        },
    )


@pytest.fixture(scope="module")
def one_model(adult: pd.DataFrame) -> mp.Probe:
    rng = np.random.default_rng(0)
    good = np.where(_rule(adult) ^ (rng.random(len(adult)) < 0.05), ">50K", "<=50K")
    return mp.Probe(adult, target="income", predictions=good)


@pytest.fixture(scope="module")
def found(adult_probe: mp.Probe) -> pd.DataFrame:
    return adult_probe.find_slices(model="good", max_conditions=2, top_k=5)


@pytest.fixture(scope="module")
def regression_probe(adult: pd.DataFrame) -> mp.Probe:
    rng = np.random.default_rng(3)
    predicted = 40 + 0.1 * (adult["age"] - 40) + rng.normal(0, 5, len(adult))
    frame = adult.drop(columns=["income"]).assign(hours=adult["hours_per_week"].astype(float))
    return mp.Probe(frame, target="hours", predictions=predicted.to_numpy())


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("age < 26 and sex == 'Female'", "age-lt-26-and-sex-eq-female"),
        ("education_num >= 13 and capital_gain == 0", "education-num-ge-13-and-capital-gain-eq-0"),
        ("age >= 37.5 and age < 45", "age-ge-37.5-and-age-lt-45"),
        ("x > -3 or x != 1e+30", "x-gt-minus-3-or-x-ne-1e30"),
        ("race in ['Black', 'Other']", "race-in-black-other"),
        ("not (hours_per_week between 35 and 45)", "not-hours-per-week-between-35-and-45"),
        ("capital_gain is null", "capital-gain-is-null"),
        ("`native country` == 'Côte d\\'Ivoire'", "native-country-eq-cote-d-ivoire"),
        ("@target == '>50K' and @prediction == '<=50K'", "target-eq-50k-and-prediction-eq-50k"),
        ("flag == true", "flag-eq-true"),
    ],
)
def test_ids_read_like_the_slice(text: str, expected: str) -> None:
    assert slice_id(Slice.parse(text)) == expected


def test_a_custom_name_is_the_id_and_ids_are_stable_across_runs_and_machines() -> None:
    assert slice_id(Slice.parse("age >= 60 and sex == 'Female'", name="Older women")) == (
        "older-women"
    )
    # pinned: sha256 of the conditions' canonical JSON, the same on every machine and run
    assert slice_hash(Slice.parse("age < 26")) == slice_hash(Slice.parse("age < 26", name="x"))
    assert slice_hash(Slice.parse("g == 'A'")) == "ffb7be"
    assert unique_ids([Slice.parse("g == 'A'"), Slice.parse("g == 'a'")]) == [
        "g-eq-a-ffb7be",
        "g-eq-a-d0c17a",
    ]


def test_clashing_ids_get_hashes_whatever_the_order() -> None:
    a, b, c = Slice.parse("g == 'A'"), Slice.parse("g == 'a'"), Slice.parse("h > 1")
    forward = unique_ids([a, b, c])
    backward = unique_ids([c, b, a])
    assert forward == backward[::-1]  # an id does not depend on the order slices come in
    assert forward[2] == "h-gt-1"  # no clash, no hash
    assert len(set(forward)) == 3


def test_long_ids_are_cut_at_a_word_and_end_in_a_hash() -> None:
    text = " and ".join(f"a_rather_long_column_name_{i} == 'some level {i}'" for i in range(4))
    test_id = slice_id(Slice.parse(text))
    assert len(test_id) <= MAX_ID_LENGTH
    assert test_id.startswith("a-rather-long-column-name-0-eq-some-level-0-and-")
    assert test_id.endswith("-" + slice_hash(Slice.parse(text)))
    assert not re.search(r"-(and|or|not)-[0-9a-f]{6}\Z", test_id)
    assert slice_id(Slice.parse("`日本` == '東京'")).startswith("slice-")  # no ASCII word at all
    tokyo = Slice.parse("city == '東京'")  # a value lost: the hash tells it from other cities
    assert slice_id(tokyo) == f"city-eq-{slice_hash(tokyo)}"


@given(st.lists(predicates(max_leaves=6), min_size=1, max_size=6), st.booleans())
def test_ids_are_schema_valid_unique_and_deterministic(predicate_list: list, named: bool) -> None:
    distinct = list({str(p.to_dict()): p for p in predicate_list}.values())
    slices = [Slice("a name!" if named and i == 0 else None, p) for i, p in enumerate(distinct)]
    ids = unique_ids(slices)
    assert ids == unique_ids(slices)
    assert len(set(ids)) == len(ids)
    for test_id in ids:
        assert ID_PATTERN.match(test_id) and len(test_id) <= MAX_ID_LENGTH + 7
        SliceTest(id=test_id, slice="a > 1", metric="accuracy", at_least=0.5)  # valid id


# --- the default allowance ---------------------------------------------------------------------


def test_default_allowance_is_the_interval_margin_on_the_worse_side_at_least_one_point() -> None:
    assert default_allowance(0.80, 0.74, 0.85, higher_is_better=True) == 0.06
    assert default_allowance(0.80, 0.74, 0.85, higher_is_better=False) == 0.05
    assert default_allowance(0.30, 0.298, 0.302, higher_is_better=False) == 0.01
    assert default_allowance(250.0, 249.9, 250.1, higher_is_better=False) == 2.5  # 1% of it
    assert default_allowance(0.5, float("nan"), float("nan"), higher_is_better=True) == 0.01


# --- find_slices tables, end to end on Adult ---------------------------------------------------


def test_found_slices_become_a_suite_that_round_trips_passes_and_fails_on_a_worse_model(
    adult_probe: mp.Probe, found: pd.DataFrame, tmp_path: Path
) -> None:
    suite = found.pipe(Suite.from_slices, name="found", probe=adult_probe, model="good")
    assert [t.slice for t in suite] == list(found["slice"])
    assert [t.id for t in suite] == unique_ids(list(found["slice"]))
    for test, record in zip(suite, found.to_dict("records"), strict=True):
        assert test.metric == "error_rate"  # the loss it ranked by: the number it showed
        assert test.expectation == "max_drop_from_baseline"
        assert test.threshold_value >= 0.01
        assert test.threshold_value >= record["ci_high"] - record["value"] - 1e-9
        assert test.model is None  # any version can be run against it
        assert test.baseline is not None
        assert test.baseline.value == pytest.approx(record["value"], abs=1e-6)
        assert (test.baseline.n, test.baseline.model) == (record["n"], "good")
        assert test.baseline.recorded == TODAY
        assert f"Found by find_slices on {TODAY}: error_rate {record['value']:.3f}" in (
            test.description
        )
        assert " vs " in test.description and "on the rest" in test.description
        assert "q " in test.description and "/" not in test.description  # no machine path

    path = suite.save(tmp_path / "found.mlprobe.yaml")
    loaded = Suite.load(path)
    assert loaded == suite
    validate_document(loaded.to_dict())

    same = loaded.run(adult_probe, model="good")
    assert same.passed, same.outcomes
    worse = loaded.run(adult_probe, model="worse")
    assert not worse.passed
    assert set(worse.outcomes["outcome"]) == {"failed"}


def test_a_one_model_probe_needs_no_model_and_records_its_name(
    one_model: mp.Probe, tmp_path: Path
) -> None:
    found = one_model.find_slices(max_conditions=1, top_k=3)
    suite = Suite.from_slices(found, name="found", probe=one_model)
    assert {t.baseline.model for t in suite if t.baseline} == {"model"}
    assert Suite.load(suite.save(tmp_path / "s.mlprobe.yaml")).run(one_model).passed


@pytest.mark.parametrize(("loss", "metric"), [("log_loss", "log_loss"), ("brier", "brier")])
def test_score_losses_stay_themselves(adult_probe: mp.Probe, loss: str, metric: str) -> None:
    found = adult_probe.find_slices(model="good", metric=loss, max_conditions=1, top_k=2)
    suite = Suite.from_slices(found, name="s", probe=adult_probe, model="good")
    assert {t.metric for t in suite} == {metric}
    for test, value in zip(suite, found["value"], strict=True):
        assert test.baseline is not None and test.baseline.value == pytest.approx(value, abs=1e-6)
    assert suite.run(adult_probe, model="good").passed


@pytest.mark.parametrize(("loss", "metric"), [("absolute_error", "mae"), ("squared_error", "mse")])
def test_regression_losses_become_their_mean_metrics(
    regression_probe: mp.Probe, loss: str, metric: str
) -> None:
    found = regression_probe.find_slices(metric=loss, max_conditions=1, top_k=2)
    suite = Suite.from_slices(found, name="s", probe=regression_probe)
    assert {t.metric for t in suite} == {metric} and FOUND_METRICS[loss] == metric
    for test, value in zip(suite, found["value"], strict=True):
        assert test.baseline is not None
        assert test.baseline.value == pytest.approx(value, rel=1e-6)
        # the floor of a loss in the target's units is 1% of it, not 0.01 hours
        assert test.threshold_value >= 0.01 * value - 1e-9
    assert suite.run(regression_probe).passed


def test_a_metric_with_an_ideal_gets_a_one_sided_bound_on_its_side(
    regression_probe: mp.Probe,
) -> None:
    slices = ["hours_per_week < 24", "hours_per_week >= 55"]  # predicted too high, too low
    suite = Suite.from_slices(slices, name="s", probe=regression_probe, metric="mean_error")
    high, low = suite.tests
    assert high.expectation == "at_most" and high.baseline and high.baseline.value > 0
    assert high.threshold_value > high.baseline.value
    assert low.expectation == "at_least" and low.baseline and low.baseline.value < 0
    assert low.threshold_value < low.baseline.value
    assert "further from 0" in high.description
    assert suite.run(regression_probe).passed


def test_metric_overrides_the_loss_and_follows_its_direction(
    adult_probe: mp.Probe, found: pd.DataFrame
) -> None:
    suite = Suite.from_slices(
        found, name="s", probe=adult_probe, model="good", metric="recall[>50K]"
    )
    assert {t.metric for t in suite} == {"recall[>50K]"}
    result = suite.run(adult_probe, model="good")
    assert result.passed
    # higher is better: the threshold is below the baseline
    assert (result.outcomes["threshold"] < result.outcomes["observed"]).all()
    assert "error_rate" in suite.tests[0].description  # how it was found stays said


def test_expect_and_allowance_set_every_test(adult_probe: mp.Probe, found: pd.DataFrame) -> None:
    fixed = Suite.from_slices(found, name="s", probe=adult_probe, model="good", allowance=0.02)
    assert {(t.expectation, t.threshold_value) for t in fixed} == {("max_drop_from_baseline", 0.02)}
    assert "by more than 0.02 (as asked)" in fixed.tests[0].description
    gap = Suite.from_slices(
        found, name="s", probe=adult_probe, model="good", expect={"at_most": 0.5}
    )
    assert {(t.expectation, t.threshold_value) for t in gap} == {("at_most", 0.5)}
    assert all(t.baseline is not None for t in gap)  # baselines are recorded anyway
    zero = Suite.from_slices(found, name="s", probe=adult_probe, model="good", allowance=0)
    assert zero.run(adult_probe, model="good").passed  # baselines rounded away from failing


def test_settings_pass_through(adult_probe: mp.Probe, found: pd.DataFrame) -> None:
    suite = Suite.from_slices(
        found,
        name="s",
        probe=adult_probe,
        model="good",
        min_support=100,
        tags=["found", "v1"],
        description="What the search found in November.",
    )
    assert suite.description == "What the search found in November."
    assert {(t.min_support, t.tags, t.confidence) for t in suite} == {(100, ("found", "v1"), None)}


def test_an_empty_search_is_an_empty_suite(one_model: mp.Probe) -> None:
    empty = one_model.find_slices(max_conditions=1, top_k=3).iloc[:0]
    assert len(Suite.from_slices(empty, name="s", probe=one_model)) == 0
    assert len(Suite.from_slices([], name="s", probe=one_model)) == 0


def test_the_input_frame_is_not_modified(adult_probe: mp.Probe, found: pd.DataFrame) -> None:
    before = found.copy(deep=True)
    attrs = copy.deepcopy(found.attrs)
    Suite.from_slices(found, name="s", probe=adult_probe, model="good", metric="accuracy")
    pd.testing.assert_frame_equal(found, before)
    assert found.attrs == attrs


# --- breakdown tables and lists ----------------------------------------------------------------


def test_a_breakdown_gives_its_slices_and_first_metric_without_the_overall_rows(
    adult_probe: mp.Probe,
) -> None:
    table = adult_probe.breakdown(by="race", metrics=["recall[>50K]", "accuracy"], model="good")
    suite = Suite.from_slices(table, name="s", probe=adult_probe)  # one model in the table
    assert [str(t.slice) for t in suite] == list(table["slice"][~table["is_overall"]])
    assert {t.metric for t in suite} == {"recall[>50K]"}
    assert all(t.baseline and t.baseline.model == "good" for t in suite)
    assert "Found in a breakdown" in suite.tests[0].description
    assert suite.run(adult_probe, model="good").passed


def test_a_several_model_breakdown_needs_a_model_and_gives_each_slice_once(
    adult_probe: mp.Probe,
) -> None:
    table = adult_probe.breakdown(by="sex")
    with pytest.raises(mp.ValidationError, match=r"model: this probe has 2 models.*model="):
        Suite.from_slices(table, name="s", probe=adult_probe)
    suite = Suite.from_slices(table, name="s", probe=adult_probe, model="worse")
    assert [t.id for t in suite] == ["sex-eq-female", "sex-eq-male"]
    assert {t.baseline.model for t in suite if t.baseline} == {"worse"}


def test_custom_names_come_back_from_attrs_or_the_slice_text(adult_probe: mp.Probe) -> None:
    older = Slice("older women", (col("age") >= 60) & (col("sex") == "Female"))
    table = adult_probe.breakdown(slices=[older, "age < 26"], model="good")
    suite = Suite.from_slices(table, name="s", probe=adult_probe)
    assert suite.tests[0].slice == older and suite.tests[0].id == "older-women"
    plain = table.copy()
    plain.attrs = {}
    with pytest.raises(
        mp.ValidationError, match=r"slices row 1 .*pass the Slice objects.*\n.*older women"
    ):
        Suite.from_slices(plain, name="s", probe=adult_probe)  # 'older women' is no expression
    texts = plain[plain["slice"] != "older women"]
    assert [t.id for t in Suite.from_slices(texts, name="s", probe=adult_probe)] == ["age-lt-26"]


def test_lists_of_slices_texts_and_predicates(one_model: mp.Probe) -> None:
    older = Slice.parse("age >= 60", name="Older people")
    suite = Suite.from_slices(
        [older, "sex == 'Female'", col("age") < 26, Slice.parse("age >= 60")],
        name="s",
        probe=one_model,
    )
    # the same conditions twice are one test (the first, with its name)
    assert [t.id for t in suite] == ["older-people", "sex-eq-female", "age-lt-26"]
    assert {t.metric for t in suite} == {"error_rate"}  # find_slices' default loss
    assert suite.tests[0].description.startswith(f"Saved from a list of slices on {TODAY}.")
    single = Suite.from_slices("age < 26", name="s", probe=one_model)
    series = Suite.from_slices(pd.Series([Slice.parse("age < 26")]), name="s", probe=one_model)
    generated = Suite.from_slices((s for s in ["age < 26"]), name="s", probe=one_model)
    assert [t.id for t in single] == [t.id for t in series] == [t.id for t in generated]
    assert [t.id for t in single] == ["age-lt-26"]
    assert suite.run(one_model).passed


def test_an_undefined_baseline_is_refused_unless_the_expectation_needs_none(
    one_model: mp.Probe,
) -> None:
    nobody = "age > 1000"  # no row: every metric is undefined
    with pytest.raises(mp.ValidationError, match=r"undefined on the slice 'age > 1000' \(0 rows\)"):
        Suite.from_slices([nobody], name="s", probe=one_model)
    suite = Suite.from_slices([nobody], name="s", probe=one_model, expect={"at_most": 0.2})
    assert suite.tests[0].baseline and suite.tests[0].baseline.value is None


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slices": 3}, r"slices: expected the table probe\.find_slices\(\).*received int"),
        ({"slices": {"a": 1}}, r"slices: expected the table .*received dict"),
        ({"slices": pd.DataFrame({"a": [1]})}, r"slices: a DataFrame needs a 'slice' column"),
        ({"slices": ["age >>> 3"]}, r"slices\[0\]: 'age >>> 3' is not a slice expression"),
        ({"slices": [3.5]}, r"slices\[0\]: expected a Slice"),
        ({"name": ""}, r"name: expected the suite's name"),
        ({"probe": "probe"}, r"probe: expected the mp\.Probe"),
        ({"model": "v9"}, r"model: unknown model 'v9'; this probe's models: \['good', 'worse'\]"),
        ({"metric": "acuracy"}, r"metric: unknown metric 'acuracy'\. Did you mean 'accuracy'"),
        ({"metric": 3}, r"metric: expected a metric name"),
        ({"expect": {"at_leats": 0.8}}, r"expect: .*Did you mean 'at_least'"),
        ({"expect": {"at_least": "high"}}, r"expect: at_least must be a finite number"),
        ({"expect": 0.8}, r"expect: expected one expectation"),
        ({"expect": {"at_least": 0.8}, "allowance": 0.1}, r"give expect= or allowance=, not both"),
        ({"allowance": -0.1}, r"allowance: expected None .* or a number >= 0"),
        ({"min_support": -1}, r"min_support: expected a whole number >= 0"),
        ({"confidence": 95}, r"confidence: expected a number between 0 and 1"),
        ({"tags": "found"}, r"tags: expected a list of str"),
    ],
)
def test_bad_arguments_are_named_with_the_fix(
    adult_probe: mp.Probe, found: pd.DataFrame, change: dict, message: str
) -> None:
    arguments = {"name": "s", "probe": adult_probe, "model": "good", **change}
    slices = arguments.pop("slices", found)
    with pytest.raises(mp.ValidationError, match=r"Suite\.from_slices: " + message):
        Suite.from_slices(slices, **arguments)


def test_several_models_and_no_model_is_a_clear_error(
    adult_probe: mp.Probe, found: pd.DataFrame
) -> None:
    unnamed = found.copy()
    unnamed.attrs = {}  # a table that does not say whose slices these are
    with pytest.raises(mp.ValidationError) as error:
        unnamed.pipe(Suite.from_slices, name="s", probe=adult_probe)
    text = str(error.value)
    assert "this probe has 2 models ('good', 'worse')" in text
    assert "model='worse'" in text  # the fix, spelt out


def test_a_loss_without_a_suite_metric_asks_for_metric(
    adult_probe: mp.Probe, found: pd.DataFrame
) -> None:
    odd = found.assign(metric="hinge")
    with pytest.raises(mp.ValidationError, match=r"loss 'hinge' .* pass metric="):
        Suite.from_slices(odd, name="s", probe=adult_probe, model="good")


# --- adding to a suite file --------------------------------------------------------------------


def test_merge_keeps_old_tests_skips_repeats_and_renames_taken_ids() -> None:
    old = [SliceTest(id="a-gt-1", slice="a > 1", metric="accuracy", at_least=0.8)]
    new = [
        SliceTest(id="a-gt-1", slice="a > 1", metric="accuracy", at_least=0.7),  # a repeat
        SliceTest(id="a-gt-1", slice="a > 1", metric="error_rate", at_most=0.3),
        SliceTest(id="a-gt-1", slice="a > 2", metric="accuracy", at_least=0.7),
    ]
    merged = merge_tests(old, new)
    assert merged.tests[0] is old[0]
    assert [t.id for t in merged.tests] == ["a-gt-1", "a-gt-1-2", "a-gt-1-3"]
    assert merged.skipped == [new[0]] and [t.id for t in merged.added] == ["a-gt-1-2", "a-gt-1-3"]


def test_append_all_adds_to_a_file_without_clobbering_it(
    adult_probe: mp.Probe, found: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "suite.mlprobe.yaml"
    mine = SliceTest(
        id="older-women", slice="age >= 60 and sex == 'Female'", metric="accuracy", at_least=0.5
    )
    Suite("team", [mine], description="Ours.").save(path)
    suite = Suite.from_slices(found, name="found", probe=adult_probe, model="good")
    merged = Suite.append_all(path, suite)
    assert len(merged.added) == len(suite) and not merged.skipped
    loaded = Suite.load(path)
    assert (loaded.name, loaded.description, loaded.tests[0]) == ("team", "Ours.", mine)
    assert [t.id for t in loaded.tests[1:]] == [t.id for t in suite]
    again = Suite.append_all(path, suite)  # the same findings again: nothing added
    assert not again.added and len(again.skipped) == len(suite)
    assert Suite.load(path) == loaded
    created = Suite.append_all(tmp_path / "new.mlprobe.yaml", suite.tests[:1], name="fresh")
    assert Suite.load(tmp_path / "new.mlprobe.yaml").name == "fresh" and len(created.tests) == 1
    with pytest.raises(mp.ValidationError, match="list of SliceTest"):
        Suite.append_all(path, mine)  # type: ignore[arg-type]


def test_a_find_slices_table_names_its_model_on_a_several_model_probe() -> None:
    rng = np.random.default_rng(0)
    n = 2_000
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), n)})
    y = rng.integers(0, 2, n)
    v1 = np.where(rng.random(n) < np.where(frame["g"] == "a", 0.4, 0.1), 1 - y, y)
    v2 = np.where(rng.random(n) < 0.1, 1 - y, y)
    probe = mp.Probe(frame.assign(y=y), target="y", predictions={"v1": v1, "v2": v2})
    found = probe.find_slices(model="v1", progress=False)
    assert found.attrs["model"] == "v1"
    suite = found.pipe(mp.Suite.from_slices, name="found", probe=probe)  # no model= needed
    assert suite.tests and all(t.baseline.model == "v1" for t in suite.tests)
