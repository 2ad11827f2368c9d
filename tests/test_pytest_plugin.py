"""The pytest plugin (suite files as pytest items) and ``mlprobe.testing.assert_suite``.

Plugin tests run an inner pytest with ``pytester`` in a temporary folder that
holds a conftest.py (the probe fixture over a small synthetic table with
stored predictions) and suite files. The plugin is active there through its
``pytest11`` entry point, as it is for users.

The table: 400 rows, groups a/b/c/d of 100 rows each; the stored predictions
are right everywhere except on 40 rows of group b. So accuracy is 1.0 on a,
0.6 on b and 0.9 overall.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe.testing import assert_suite, format_outcome


def _frame() -> pd.DataFrame:
    i = np.arange(400)
    g = np.array(list("abcd"))[i % 4]
    y = (i // 4) % 2
    p = y.copy()
    wrong = (g == "b") & ((i // 4) % 5 < 2)
    p[wrong] = 1 - p[wrong]
    return pd.DataFrame({"g": g, "y": y, "p": p})


# the inner pytest runs get the same table: _frame is pasted into their conftest.py
CONFTEST = """
import numpy as np
import pandas as pd
import pytest

import mlprobe as mp


{frame_source}

@pytest.fixture(scope="session")
def mlprobe_probe():
    return mp.Probe(_frame(), target="y", predictions="p")
""".replace("{frame_source}", inspect.getsource(_frame))

SUITE = """
mlprobe: 1
name: income-model
tests:
  - id: a-accuracy
    slice: {column: g, eq: a}
    metric: accuracy
    expect: {at_least: 0.9}
  - id: b-accuracy
    description: Group b matters to the loan officers.
    slice: {name: group b, column: g, eq: b}
    metric: accuracy
    expect: {at_least: 0.8}
    tags: [fairness]
"""

INCONCLUSIVE = """
mlprobe: 1
name: small
tests:
  - id: few-rows
    slice: {and: [{column: g, eq: c}, {column: y, eq: 1}]}
    metric: accuracy
    expect: {at_least: 0.9}
    min_support: 1000
"""

MISSING_COLUMN = """
mlprobe: 1
name: drifted
tests:
  - id: by-region
    slice: {column: region, eq: north}
    metric: accuracy
    expect: {at_least: 0.9}
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process inner pytest without plugins these tests do not need (hypothesis's
    would re-import hypothesis on every run)."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    return pytester


# --- collection -----------------------------------------------------------------------


def test_each_saved_test_is_an_item_named_file_and_id(project: pytest.Pytester) -> None:
    result = _run(project, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["income.mlprobe.yaml::a-accuracy", "income.mlprobe.yaml::b-accuracy", "2 tests collected*"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_json_suites_and_yml_suffix_are_collected(project: pytest.Pytester) -> None:
    _write(
        project.path,
        "other.mlprobe.json",
        '{"mlprobe": 1, "name": "j", "tests": [{"id": "json-a", "slice": {"column": "g", '
        '"eq": "a"}, "metric": "accuracy", "expect": {"at_least": 0.5}}]}',
    )
    _write(project.path, "short.mlprobe.yml", SUITE.replace("income-model", "short"))
    _write(project.path, "plain.yaml", SUITE)  # not a suite file by name: ignored
    result = _run(project, "-v")
    result.stdout.fnmatch_lines(
        ["*other.mlprobe.json::json-a PASSED*", "*short.mlprobe.yml::a-accuracy PASSED*"]
    )
    result.assert_outcomes(passed=3, failed=2)
    assert "plain.yaml" not in result.stdout.str()


def test_k_selects_by_test_id_and_by_tag(project: pytest.Pytester) -> None:
    by_id = _run(project, "-k", "a-accuracy")
    by_id.assert_outcomes(passed=1, deselected=1)
    by_tag = _run(project, "-k", "fairness")
    by_tag.assert_outcomes(failed=1, deselected=1)


def test_a_bad_suite_file_is_a_collection_error_naming_path_and_field(
    project: pytest.Pytester,
) -> None:
    _write(
        project.path,
        "bad.mlprobe.yaml",
        SUITE.replace("expect: {at_least: 0.9}", "expect: {at_leats: 0.9}"),
    )
    result = _run(
        project,
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting bad.mlprobe.yaml*",
            "bad.mlprobe.yaml: tests[[]0[]].expect.at_leats: unknown key; did you mean 'at_least'?*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_unsafe_yaml_is_refused_at_collection(project: pytest.Pytester) -> None:
    _write(project.path, "evil.mlprobe.yaml", "x: !!python/object/apply:os.system ['echo hi']\n")
    result = _run(project, "evil.mlprobe.yaml")
    result.stdout.fnmatch_lines(["evil.mlprobe.yaml: the tag '!!python/object/apply*not allowed*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


# --- outcomes -------------------------------------------------------------------------


def test_a_failure_shows_slice_metric_observed_threshold_interval_n_description(
    project: pytest.Pytester,
) -> None:
    result = _run(
        project,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*income-model::b-accuracy*",
            "b-accuracy FAILED: accuracy = 0.6 [[]0.50*, 0.69*[]] on 100 rows; "
            "expected at least 0.8",
            "  suite: * income-model",
            "  model: * model",
            "  slice: * g == 'b'  (named 'group b')",
            "  metric: * accuracy",
            "  observed: * 0.6, 95% interval [[]0.50*, 0.69*[]]",
            "  threshold: * at least 0.8",
            "  n: * 100 rows (min_support 30)",
            "  description: Group b matters to the loan officers.",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str()  # no plugin traceback
    assert "pytest_suite.py" not in result.stdout.str()


def test_inconclusive_is_a_skip_with_its_reason(project: pytest.Pytester) -> None:
    _write(project.path, "small.mlprobe.yaml", INCONCLUSIVE)
    result = _run(project, "-rs", "small.mlprobe.yaml")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] small.mlprobe.yaml:4: inconclusive: only 50 rows in the slice, "
            "fewer than min_support = 1000"
        ]
    )


def test_inconclusive_fails_under_strict(project: pytest.Pytester) -> None:
    _write(project.path, "small.mlprobe.yaml", INCONCLUSIVE)
    result = _run(project, "--mlprobe-strict", "small.mlprobe.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "few-rows INCONCLUSIVE: only 50 rows in the slice, fewer than min_support = 1000",
            "*inconclusive counts as a failure under --mlprobe-strict*",
        ]
    )


def test_an_error_outcome_fails_with_the_reason(project: pytest.Pytester) -> None:
    _write(project.path, "drifted.mlprobe.yaml", MISSING_COLUMN)
    result = _run(project, "drifted.mlprobe.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "by-region ERROR: slice column 'region' is not in the data.*",
            "  slice: * region == 'north'",
        ]
    )


GROUPS = """
mlprobe: 1
name: fairness
tests:
  - id: g-gap
    description: No group may trail the others.
    by: g
    metric: accuracy
    expect: {max_difference: 0.1}
    tags: [parity]
  - id: g-ratio
    by: g
    metric: accuracy
    expect: {min_ratio: 0.5}
  - id: g-tiny
    by: g
    metric: accuracy
    expect: {max_difference: 0.1}
    min_support: 1000
  - id: g-region
    by: region
    metric: accuracy
    expect: {max_difference: 0.1}
"""


def test_group_tests_are_items_with_readable_failures(project: pytest.Pytester) -> None:
    _write(project.path, "fairness.mlprobe.yaml", GROUPS)
    collected = _run(project, "--collect-only", "-q", "fairness.mlprobe.yaml")
    collected.stdout.fnmatch_lines(
        [
            "fairness.mlprobe.yaml::g-gap",
            "fairness.mlprobe.yaml::g-ratio",
            "fairness.mlprobe.yaml::g-tiny",
            "fairness.mlprobe.yaml::g-region",
        ]
    )
    result = _run(project, "-rs", "fairness.mlprobe.yaml")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*fairness::g-gap*",
            "g-gap FAILED: accuracy difference = 0.4 [[]0.22*, 0.52*[]] between g == 'a' (1) and "
            "g == 'b' (0.6) over 4 groups; expected at most 0.1",
            "  suite: * fairness",
            "  model: * model",
            "  groups: * by g",
            "  metric: * accuracy difference",
            "  observed: * 0.4, 95% interval [[]0.22*, 0.52*[]]",
            "  threshold: * difference at most 0.1",
            "  n: * 400 rows in the groups compared (min_support 30 per group)",
            "  description: No group may trail the others.",
        ]
    )
    result.stdout.fnmatch_lines(["g-region ERROR: by column 'region' is not in the data.*"])
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] fairness.mlprobe.yaml:*: inconclusive: fewer than 2 groups by g*"]
    )
    _run(project, "-k", "parity", "fairness.mlprobe.yaml").assert_outcomes(failed=1)  # by tag
    _run(project, "-k", "g-ratio", "fairness.mlprobe.yaml").assert_outcomes(passed=1)
    strict = _run(project, "--mlprobe-strict", "-k", "g-tiny", "fairness.mlprobe.yaml")
    strict.assert_outcomes(failed=1)


def test_assert_suite_runs_group_tests(probe: mp.Probe) -> None:
    suite = mp.Suite.loads(textwrap.dedent(GROUPS).lstrip())
    with pytest.raises(AssertionError) as caught:
        assert_suite(suite, probe)
    message = str(caught.value)
    assert message.startswith("suite 'fairness': 2 of 4 tests did not pass (1 failed, 1 error)")
    assert "g-gap FAILED: accuracy difference = 0.4" in message
    assert "  groups:      by g" in message
    passing = mp.Suite("ok", [mp.GroupTest(id="r", by="g", metric="accuracy", min_ratio=0.5)])
    assert assert_suite(passing, probe).passed


def test_strict_option_is_documented_in_help(project: pytest.Pytester) -> None:
    result = _run(project, "--help")
    result.stdout.fnmatch_lines(["mlprobe slice tests:", "  --mlprobe-strict*"])


# --- the probe fixture ----------------------------------------------------------------


def test_mlprobe_model_chooses_the_model_for_tests_that_name_none(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        CONFTEST.replace(
            'return mp.Probe(_frame(), target="y", predictions="p")',
            'return mp.Probe(_frame(), target="y", predictions={"v1": "p", "v2": "y"})',
        )
    )
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    # without a model named: each test runs on every model, as the CLI does (v1 fails one)
    without = _run(pytester)
    without.assert_outcomes(passed=1, failed=1)
    without.stdout.fnmatch_lines(["*several models*"])
    _run(pytester, "--mlprobe-model", "v2").assert_outcomes(passed=2)  # v2 is always right
    _run(pytester, "--mlprobe-model", "v1").assert_outcomes(passed=1, failed=1)
    unknown = _run(pytester, "--mlprobe-model", "v9")
    unknown.assert_outcomes(failed=2)
    unknown.stdout.fnmatch_lines(["*unknown model 'v9'*"])


def test_a_suite_may_name_its_own_module_scoped_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        CONFTEST
        + textwrap.dedent(
            """
            @pytest.fixture(scope="module")
            def two_models():
                data = _frame().assign(p2=_frame()["y"])
                return mp.Probe(data, target="y", predictions={"v1": "p", "v2": "p2"})
            """
        )
    )
    suite = textwrap.dedent(
        """
        mlprobe: 1
        name: versions
        fixture: two_models
        tests:
          - id: a-v1
            slice: {column: g, eq: a}
            metric: accuracy
            expect: {at_least: 0.9}
            model: v1
          - id: b-v2
            slice: {column: g, eq: b}
            metric: accuracy
            expect: {at_least: 0.8}
            model: v2
        """
    )
    _write(pytester.path, "one.mlprobe.yaml", suite)
    _write(pytester.path, "two.mlprobe.yaml", suite.replace("versions", "versions-2"))
    result = _run(pytester, "--setup-show")
    result.assert_outcomes(passed=4)
    # module scope means once per suite file, as for a test module
    assert result.stdout.str().count("SETUP    M two_models") == 2


def test_a_missing_fixture_says_to_define_it_in_conftest(pytester: pytest.Pytester) -> None:
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    result = _run(pytester, "-k", "a-accuracy")
    result.assert_outcomes(errors=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of income-model::a-accuracy*",
            "fixture 'mlprobe_probe' not found (a suite file may name another with a top-level "
            "'fixture:').",
            "Define it in a conftest.py in the folder of income.mlprobe.yaml or above*",
            "    def mlprobe_probe():",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_missing_custom_fixture_names_the_suite_setting(pytester: pytest.Pytester) -> None:
    _write(pytester.path, "x.mlprobe.yaml", SUITE.replace("tests:", "fixture: my_probe\ntests:"))
    result = _run(pytester, "-k", "a-accuracy")
    result.stdout.fnmatch_lines(
        ["fixture 'my_probe' not found (the suite names it with 'fixture: my_probe')."]
    )


def test_a_fixture_that_is_not_a_probe_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef mlprobe_probe():\n    return None\n"
    )
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    result = _run(pytester, "-k", "a-accuracy")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        ["fixture 'mlprobe_probe' returned NoneType; it must return an mlprobe.Probe (or an*"]
    )


def test_a_session_fixture_is_built_once_for_all_suite_files(project: pytest.Pytester) -> None:
    _write(project.path, "second.mlprobe.yaml", SUITE.replace("income-model", "second"))
    result = _run(project, "--setup-show")
    assert result.stdout.str().count("SETUP    S mlprobe_probe") == 1
    result.assert_outcomes(passed=2, failed=2)


def test_entry_point_loads_the_plugin_in_a_fresh_process(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["plugins:*mlprobe*"])
    result.assert_outcomes(passed=1, failed=1)
    assert "already registered" not in result.stdout.str() + result.stderr.str()


def test_the_plugin_can_be_turned_off(project: pytest.Pytester) -> None:
    result = _run(project, "-p", "no:mlprobe")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


# --- assert_suite ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    return mp.Probe(_frame(), target="y", predictions="p")


def _suite(*tests: mp.SliceTest) -> mp.Suite:
    return mp.Suite("plain", list(tests))


A_PASSES = mp.SliceTest(id="a-ok", slice="g == 'a'", metric="accuracy", at_least=0.9)
B_FAILS = mp.SliceTest(
    id="b-low", slice="g == 'b'", metric="accuracy", at_least=0.8, description="b matters."
)
FEW_ROWS = mp.SliceTest(
    id="few", slice="g == 'c'", metric="accuracy", at_least=0.5, min_support=1000
)
NO_COLUMN = mp.SliceTest(id="gone", slice="region == 'x'", metric="accuracy", at_least=0.5)


def test_assert_suite_returns_the_result_when_all_pass(probe: mp.Probe) -> None:
    result = assert_suite(_suite(A_PASSES, FEW_ROWS), probe)
    assert isinstance(result, mp.SuiteResult)
    assert result.counts() == {"passed": 1, "failed": 0, "inconclusive": 1, "error": 0}


def test_assert_suite_lists_every_failed_and_errored_test(probe: mp.Probe) -> None:
    with pytest.raises(AssertionError) as info:
        assert_suite(_suite(A_PASSES, B_FAILS, NO_COLUMN, FEW_ROWS), probe)
    text = str(info.value)
    assert text.startswith("suite 'plain': 2 of 4 tests did not pass (1 failed, 1 error)")
    assert "b-low FAILED: accuracy = 0.6" in text
    assert "threshold:   at least 0.8" in text
    assert "description: b matters." in text
    assert "gone ERROR: slice column 'region' is not in the data." in text
    assert "a-ok" not in text and "few" not in text


def test_assert_suite_strict_fails_inconclusive_tests(probe: mp.Probe) -> None:
    with pytest.raises(AssertionError, match=r"few INCONCLUSIVE: only 100 rows"):
        assert_suite(_suite(A_PASSES, FEW_ROWS), probe, strict=True)


def test_assert_suite_accepts_a_path_and_a_model(tmp_path: Path) -> None:
    data = _frame().assign(p2=lambda d: d["y"])
    two = mp.Probe(data, target="y", predictions={"v1": "p", "v2": "p2"})
    path = _suite(A_PASSES, B_FAILS).save(tmp_path / "plain.mlprobe.yaml")
    assert assert_suite(path, two, model="v2").passed
    with pytest.raises(AssertionError, match=r"b-low FAILED"):
        assert_suite(str(path), two, model="v1")


def test_assert_suite_reports_a_bad_file(tmp_path: Path, probe: mp.Probe) -> None:
    path = _write(tmp_path, "bad.mlprobe.yaml", "mlprobe: 2\nname: x\ntests: []\n")
    with pytest.raises(mp.SuiteFileError, match="newer than this mlprobe reads"):
        assert_suite(path, probe)


def test_format_outcome_words_gap_and_baseline_thresholds(probe: mp.Probe) -> None:
    gap = mp.SliceTest(id="gap", slice="g == 'b'", metric="accuracy", max_gap_to_overall=0.05)
    outcome = mp.spec.run_test(gap, probe)
    assert outcome.outcome == "failed"
    assert "threshold:   at least 0.85 (overall 0.9 - 0.05)" in format_outcome(
        outcome, gap, probe=probe
    )
    drop = gap.__class__(
        id="drop",
        slice="g == 'b'",
        metric="error_rate",
        max_drop_from_baseline=0.05,
        baseline=mp.Baseline(0.2, 100, "model", "2026-11-28"),
    )
    outcome = mp.spec.run_test(drop, probe)
    assert outcome.outcome == "failed"
    text = format_outcome(outcome, drop, probe=probe)
    assert (
        "threshold:   at most 0.25 (baseline 0.2 [model model, recorded 2026-11-28] + 0.05)" in text
    )


def test_loading_the_plugin_does_not_import_pandas() -> None:
    """Every pytest session in the environment loads the plugin: it must stay light."""
    code = "import sys, mlprobe.pytest_plugin; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- recording runs (issue 17) ------------------------------------------------------------


def test_mlprobe_record_records_each_suite_file_once(project: pytest.Pytester) -> None:
    _write(project.path, "small.mlprobe.yaml", INCONCLUSIVE)
    store = project.path / "runs.db"
    result = _run(project, "--mlprobe-record", str(store), "--mlprobe-version", "v7")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*mlprobe: recorded run * of income-model (2 outcomes) as version v7 in *runs.db",
         "*mlprobe: recorded run * of small (1 outcome) as version v7 in *runs.db"]
    )  # fmt: skip
    h = mp.History(store)
    frame = h.runs()
    assert sorted(frame["suite"].unique()) == ["income-model", "small"]
    assert frame["run_id"].nunique() == 2 and set(frame["version"]) == {"v7"}
    by_id = frame.set_index("test_id")
    assert by_id.loc["b-accuracy", "outcome"] == "failed"
    assert by_id.loc["few-rows", "outcome"] == "inconclusive"
    assert by_id.loc["a-accuracy", "counts"] == {"successes": 100, "trials": 100}
    # -k: only the selected items are recorded
    result = _run(project, "-k", "a-accuracy", "--mlprobe-record", str(store),
                  "--mlprobe-version", "v8")  # fmt: skip
    assert list(h.runs(version="v8")["test_id"]) == ["a-accuracy"]


def test_mlprobe_record_from_ini_and_usage_errors(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nmlprobe_record = ini.db\nmlprobe_version = v1\n")
    result = _run(project)
    result.assert_outcomes(passed=1, failed=1)
    assert mp.History(project.path / "ini.db").versions() == ["v1"]
    project.makeini("[pytest]\n")
    result = _run(project, "--mlprobe-record", "runs.db")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mlprobe-record needs --mlprobe-version LABEL*"])
    result = _run(project, "--mlprobe-record", "nowhere/runs.db", "--mlprobe-version", "v1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the folder 'nowhere' does not exist*"])


def test_mlprobe_record_with_one_item_per_model(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.replace('predictions="p"', 'predictions={"v1": "p", "v2": "y"}'))
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    store = pytester.path / "runs.db"
    result = _run(pytester, "--mlprobe-model", "v1", "--mlprobe-model", "v2",
                  "--mlprobe-record", str(store), "--mlprobe-version", "r1")  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    frame = mp.History(store).runs()
    assert sorted(frame["test_id"]) == sorted(
        ["a-accuracy[v1]", "a-accuracy[v2]", "b-accuracy[v1]", "b-accuracy[v2]"]
    )
    assert frame["run_id"].nunique() == 1
