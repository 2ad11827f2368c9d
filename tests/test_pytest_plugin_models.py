"""Issue 12, the pytest plugin: a suite file without its fixture, and several-model probes.

Same inner-pytest setup as tests/test_pytest_plugin.py: 400 rows, groups
a/b/c/d; model v1 (``p``) is wrong on 40 rows of group b (accuracy 0.6 there),
model v2 (``y``) is always right.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from test_pytest_plugin import CONFTEST, SUITE

TWO_MODELS = CONFTEST.replace(
    'return mp.Probe(_frame(), target="y", predictions="p")',
    'return mp.Probe(_frame(), target="y", predictions={"v1": "p", "v2": "y"})',
)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# --- item 3: a suite file collected without its fixture --------------------------------


def test_readme_tour_suite_under_tests_without_fixture_gives_one_explanation(
    pytester: pytest.Pytester,
) -> None:
    """The README tour saves tests/income.mlprobe.yaml; a later bare `pytest` collects it."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    _write(pytester.path, "tests/test_other.py", "def test_other():\n    pass\n")
    _write(pytester.path, "tests/income.mlprobe.yaml", SUITE)
    result = _run(pytester)
    result.assert_outcomes(passed=1, errors=2)  # the other tests still run
    out = result.stdout.str()
    assert "Traceback" not in out
    assert "fixture 'mlprobe_probe' not found (a suite file may name another" in out
    # the explanation is given once for the file, not once per test (in the error reports;
    # pytest's short summary repeats it, in full where CI is set)
    details = out.split("short test summary info")[0]
    assert details.count("Define it in a conftest.py in the folder of income.mlprobe.yaml") == 1
    assert details.count("    def mlprobe_probe():") == 1
    result.stdout.fnmatch_lines(
        [
            "*--ignore=tests/income.mlprobe.yaml*",
            "fixture 'mlprobe_probe' not found: see the first error of tests/income.mlprobe.yaml "
            "for how to define it.",
        ]
    )
    # and defining the fixture is all it takes
    (pytester.path / "tests" / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    _run(pytester).assert_outcomes(passed=2, failed=1)


def test_each_suite_file_gets_its_own_explanation(pytester: pytest.Pytester) -> None:
    _write(pytester.path, "one.mlprobe.yaml", SUITE)
    _write(pytester.path, "two.mlprobe.yaml", SUITE.replace("income-model", "second"))
    details = _run(pytester).stdout.str().split("short test summary info")[0]
    assert details.count("Define it in a conftest.py in the folder of one.mlprobe.yaml") == 1
    assert details.count("Define it in a conftest.py in the folder of two.mlprobe.yaml") == 1


# --- item 4: several models, the CLI's policy -----------------------------------------


@pytest.fixture
def two_models(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(TWO_MODELS)
    _write(pytester.path, "income.mlprobe.yaml", SUITE)
    return pytester


def test_without_a_model_option_each_test_runs_on_every_model(two_models: pytest.Pytester) -> None:
    result = _run(two_models)
    result.assert_outcomes(passed=1, failed=1)  # a passes on both; b fails on v1 only
    out = result.stdout.str()
    assert "b-accuracy[v1] FAILED: accuracy = 0.6" in out
    assert "b-accuracy[v2]" in out  # named as passing in the note
    assert "several models: ran once per model; 1 of 2 did not pass, b-accuracy[v2] did" in out
    assert "name one" not in out


def test_repeated_model_option_collects_one_item_per_model(two_models: pytest.Pytester) -> None:
    collected = _run(
        two_models, "--collect-only", "-q", "--mlprobe-model", "v1", "--mlprobe-model", "v2"
    )
    collected.stdout.fnmatch_lines(
        [
            "income.mlprobe.yaml::a-accuracy[[]v1]",
            "income.mlprobe.yaml::a-accuracy[[]v2]",
            "income.mlprobe.yaml::b-accuracy[[]v1]",
            "income.mlprobe.yaml::b-accuracy[[]v2]",
            "4 tests collected*",
        ]
    )
    result = _run(two_models, "-v", "--mlprobe-model", "v1", "--mlprobe-model", "v2")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*income.mlprobe.yaml::b-accuracy[[]v1] FAILED*"])
    _run(two_models, "--mlprobe-model", "v1", "--mlprobe-model", "v2", "-k", "v2").assert_outcomes(
        passed=2, deselected=2
    )


def test_ini_option_names_the_models(two_models: pytest.Pytester) -> None:
    two_models.makeini("[pytest]\nmlprobe_models = v1 v2\n")
    result = _run(two_models, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*a-accuracy[[]v1]*", "4 tests collected*"])
    # the command-line option takes precedence
    _run(two_models, "--mlprobe-model", "v2").assert_outcomes(passed=2)


def test_one_model_option_keeps_plain_ids(two_models: pytest.Pytester) -> None:
    _run(two_models, "--collect-only", "-q", "--mlprobe-model", "v1").stdout.fnmatch_lines(
        ["income.mlprobe.yaml::a-accuracy", "income.mlprobe.yaml::b-accuracy", "2 tests*"]
    )
    _run(two_models, "--mlprobe-model", "v2").assert_outcomes(passed=2)
    _run(two_models, "--mlprobe-model", "v1").assert_outcomes(passed=1, failed=1)
    unknown = _run(two_models, "--mlprobe-model", "v9")
    unknown.assert_outcomes(failed=2)
    unknown.stdout.fnmatch_lines(["*unknown model 'v9'*"])


def test_a_test_naming_its_model_runs_once(two_models: pytest.Pytester) -> None:
    _write(
        two_models.path,
        "income.mlprobe.yaml",
        SUITE.replace("tags: [fairness]", "tags: [fairness]\n    model: v2"),
    )
    result = _run(
        two_models, "-q", "--collect-only", "--mlprobe-model", "v1", "--mlprobe-model", "v2"
    )
    result.stdout.fnmatch_lines(["*b-accuracy", "3 tests collected*"])
    _run(two_models).assert_outcomes(passed=2)


def test_inconclusive_on_every_model_is_one_skip_naming_each(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(TWO_MODELS)
    _write(
        pytester.path,
        "small.mlprobe.yaml",
        SUITE.replace("expect: {at_least: 0.9}", "expect: {at_least: 0.9}\n    min_support: 1000"),
    )
    result = _run(pytester, "-rs", "-k", "a-accuracy")
    result.assert_outcomes(skipped=1, deselected=1)
    result.stdout.fnmatch_lines(
        ["*inconclusive: a-accuracy[[]v1]: only 100 rows*a-accuracy[[]v2]*"]
    )
    strict = _run(pytester, "-k", "a-accuracy", "--mlprobe-strict")
    strict.assert_outcomes(failed=1, deselected=1)
    strict.stdout.fnmatch_lines(
        ["*a-accuracy[[]v1] INCONCLUSIVE*", "*a-accuracy[[]v2] INCONCLUSIVE*"]
    )


def test_docstring_documents_the_policy() -> None:
    import mlprobe.pytest_plugin

    doc = mlprobe.pytest_plugin.__doc__ or ""
    assert "once per model" in doc and "test-id[model]" in doc


def test_help_says_mlprobe_model_can_be_repeated(pytester: pytest.Pytester) -> None:
    out = _run(pytester, "--help").stdout.str()
    block = out.split("--mlprobe-model=NAME", 1)[1].split("\n\n", 1)[0]
    text = " ".join(block.split())
    assert "Can be repeated to run each test on each of several models" in text, text
    assert "--mlprobe-model v1 --mlprobe-model v2" in text
