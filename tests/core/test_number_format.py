"""The one number format: its forms agree with each other, and no module keeps its own copy."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mlprobe.core.number_format import (
    MISSING,
    format_interval,
    format_level,
    format_measure,
    format_number,
    format_plain,
    format_points,
    format_q,
    format_q_phrase,
    format_share,
)

PACKAGE = Path(__file__).resolve().parents[2] / "mlprobe"
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)


@given(finite)
def test_plain_is_the_table_number_without_its_trailing_zeros(value: float) -> None:
    plain = format_plain(value)
    if abs(value) >= 0.001 and value != int(value):
        table = format_number(value).replace(",", "").rstrip("0").rstrip(".")
        assert plain.replace(",", "") == ("0" if table == "-0" else table)
    # the same number to three decimals, whatever the form
    assert math.isclose(float(plain.replace(",", "")), value, abs_tol=5e-4, rel_tol=5e-3)


@given(finite)
def test_a_table_number_has_three_decimals_and_never_a_negative_zero(value: float) -> None:
    text = format_number(value)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{3}", text), text  # thousands separated
    assert text != "-0.000"
    assert abs(float(text.replace(",", "")) - value) <= 0.0005 + 1e-9 * abs(value)
    signed = format_number(value, signed=True)
    assert signed[0] in "+-" and signed.lstrip("+") == text.lstrip("+")


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_q_values_never_read_zero(value: float) -> None:
    shown = format_q(value)
    assert shown not in ("0", "0.0", "0.000") and "e" not in shown
    assert shown == "< 0.001" if value < 0.001 else math.isclose(float(shown), value, rel_tol=0.05)
    assert format_q_phrase(value).startswith("q ")


def test_undefined_values_read_the_same_everywhere() -> None:
    for undefined in (None, float("nan"), np.float32("nan")):
        assert format_number(undefined) == MISSING
        assert format_plain(undefined) == MISSING
        assert format_q(undefined) == MISSING
        assert format_share(undefined) == MISSING
        assert format_points(undefined) == MISSING
        assert format_interval(undefined, 0.5) == MISSING
    assert (
        format_measure(None) == "nan" and format_measure(float("nan"), "undefined") == "undefined"
    )


def test_confidence_levels_keep_their_digits() -> None:
    # 97.5% must not read "98%", as "{:.0%}" would write it
    assert [format_level(c) for c in (0.95, 0.9, 0.975, 0.999, 0.5)] == [
        "95%",
        "90%",
        "97.5%",
        "99.9%",
        "50%",
    ]


def test_a_verdict_shows_which_side_of_the_threshold_a_value_fell() -> None:
    assert format_number(0.5496) == format_number(0.55)  # a table can't tell them apart
    assert format_measure(0.5496) != format_measure(0.55)  # a verdict must


# Display code writes numbers with the functions above, not with format specifications of
# its own: a "{value:.3f}" in a widget or a report would be a second number format (the
# widgets' own copies printed "[nan, nan]" for an undefined interval).
OWN_FORMAT = re.compile(r"\{[^{}]*:[+ ]?,?\.\d+[fgeE%]\}")


def test_no_module_keeps_its_own_number_format() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "number_format.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # float(f"{x:.12g}") rounds a value for computing, not for people
            if OWN_FORMAT.search(line) and 'float(f"' not in line:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not offenders, "number formats outside core.number_format:\n" + "\n".join(offenders)
