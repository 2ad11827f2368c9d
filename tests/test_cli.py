"""The command line: `python -m mlprobe demo` trains on Adult and prints real breakdowns."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from mlprobe.cli import main
from mlprobe.demo import run_demo


@pytest.fixture(scope="module")
def demo_output() -> str:
    out = io.StringIO()
    assert run_demo(out) == 0
    return out.getvalue()


def test_demo_prints_a_breakdown_per_column_with_intervals(demo_output: str) -> None:
    for column in ("sex", "race", "marital_status", "age"):
        assert f"== by {column}" in demo_output
    assert "sex == 'Female'" in demo_output
    # every metric cell reads "value [low, high]"
    assert re.search(r"0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]", demo_output)
    assert "16281 test rows" in demo_output


def test_demo_lists_weakest_groups_that_trail_the_rest(demo_output: str) -> None:
    section = demo_output.split("== weakest groups")[1].split("== fix first")[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert 1 <= len(lines) <= 5
    gaps = [float(re.search(r"([+-]\d\.\d{3}) vs the rest", line).group(1)) for line in lines]
    assert all(g < 0 for g in gaps)
    assert gaps == sorted(gaps)
    # the q-values' family is said, since they differ from the tables'
    assert "q-values over all 19 groups above at once" in section


def test_demo_says_which_slice_to_fix_first(demo_output: str) -> None:
    section = demo_output.split("== fix first")[1]
    lines = [line for line in section.splitlines() if line.startswith("- fixing `")]
    assert 1 <= len(lines) <= 3
    pattern = r"buys \+(\d+\.\d) points of recall\[>50K\] \[([+-]\d+\.\d), \+(\d+\.\d)\]"
    found = [re.search(pattern, line) for line in lines]
    assert all(found), lines
    benefits = [float(m.group(1)) for m in found if m]
    assert benefits == sorted(benefits, reverse=True)
    for m in found:
        assert m and float(m.group(2)) <= float(m.group(1)) <= float(m.group(3))


def test_demo_says_what_it_does_while_it_trains(demo_output: str) -> None:
    assert demo_output.startswith("mlprobe demo: loading UCI Adult")
    assert "training a HistGradientBoostingClassifier on 32561 rows" in demo_output


def test_small_groups_are_untested(demo_output: str) -> None:
    line = next(x for x in demo_output.splitlines() if "Married-AF-spouse" in x)
    assert re.search(r"–\s+few rows$", line.rstrip())  # no q-value: "–" before the flag


def test_small_groups_are_flagged(demo_output: str) -> None:
    # Married-AF-spouse has 14 test rows: below min_support
    line = next(x for x in demo_output.splitlines() if "Married-AF-spouse" in x)
    assert "few rows" in line


def test_unknown_command_exits_with_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point_shows_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlprobe", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in result.stdout
