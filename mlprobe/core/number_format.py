"""How mlprobe writes numbers for people: the one number format of every output.

Tables, charts' labels, the explorer, the report, the demo, the command line, the
criteria documents and the outcome messages all write numbers with these functions.
They live in core (they need nothing but the standard library and numpy) so that
both :mod:`mlprobe.spec` and :mod:`mlprobe.render` use them; render re-exports the
table ones (:mod:`mlprobe.render.tables`).

Three forms, one rounding:

- in a table cell, :func:`format_number`: three decimals, always (``0.550``), so that
  a column lines up; counts with thousands separators; :func:`format_interval`,
  :func:`format_q`, :func:`format_share` and :func:`format_points` beside it;
- in a sentence, :func:`format_plain`: the same three decimals without the zeros a
  hand-written threshold never had (``recall of >50K is at least 0.55``), and tiny
  values kept to three significant digits rather than reading 0;
- in a verdict, :func:`format_measure`: four significant digits, enough to show on
  which side of a threshold a value fell (``0.5496`` against ``0.55``: three decimals
  would print both as ``0.550``).

Undefined values read "–" everywhere but in verdicts, which say what they got.

Examples
--------
>>> format_number(0.55), format_plain(0.55), format_measure(0.5496)
('0.550', '0.55', '0.5496')
>>> format_interval(0.5512, 0.63), format_q(2e-12), format_share(0.1234)
('[0.551, 0.630]', '< 0.001', '12.3%')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "D3_COUNT",
    "D3_NUMBER",
    "D3_SHARE",
    "D3_SIGNED",
    "HUGE",
    "MISSING",
    "format_interval",
    "format_level",
    "format_measure",
    "format_number",
    "format_plain",
    "format_points",
    "format_q",
    "format_q_phrase",
    "format_share",
]

#: how an undefined value reads in a table or a sentence
MISSING = "–"
#: from this size on a number is written in scientific notation (``1.23e+15``)
HUGE = 1e15

#: the same forms for a chart drawn in the browser (d3-format specifications, which
#: Vega-Lite tooltips and text marks take): a value, a signed difference, a count, a share
D3_NUMBER = ".3f"
D3_SIGNED = "+.3f"
D3_COUNT = ","
D3_SHARE = ".1%"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def format_number(value: Any, digits: int = 3, *, signed: bool = False) -> str:
    """A value for a table cell: thousands separated, counts whole, other numbers to ``digits``.

    ``signed`` writes the sign of a difference (``+0.012``); undefined values are "–".

    Examples
    --------
    >>> [format_number(v) for v in (12345, 0.59213, float("nan"), None, True, "a")]
    ['12,345', '0.592', '–', '–', 'yes', 'a']
    >>> format_number(0.0123, signed=True), format_number(-0.5, 1, signed=True)
    ('+0.012', '-0.5')
    >>> format_number(-0.00004, signed=True), format_number(-0.00004)  # no "-0.000"
    ('+0.000', '0.000')
    >>> format_number(np.float32(0.25)), format_number(np.int64(-3)), format_number(float("inf"))
    ('0.250', '-3', 'inf')
    >>> format_number(1.234e17), format_number(-2e300, signed=True), format_number(12345.6789)
    ('1.23e+17', '-2e+300', '12,345.679')
    """
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if math.isfinite(value) and abs(float(value)) >= HUGE:  # not 160 digits of a 1e158
            return f"{value:+.{digits}g}" if signed else f"{value:.{digits}g}"
        text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
        if math.isfinite(value) and float(text.replace(",", "")) == 0:  # "-0.000" is no sign
            text = ("+" if signed else "") + f"{0.0:.{digits}f}"
        return text
    return str(value)


def format_interval(low: Any, high: Any, *, signed: bool = False) -> str:
    """An interval for a table cell, ``[low, high]`` as :func:`format_number` writes them.

    Examples
    --------
    >>> format_interval(0.5512, 0.63), format_interval(-0.02, 0.01, signed=True)
    ('[0.551, 0.630]', '[-0.020, +0.010]')
    >>> format_interval(float("nan"), float("nan")), format_interval(None, 0.5)
    ('–', '–')
    """
    if _is_missing(low) or _is_missing(high):
        return MISSING
    return (
        f"[{format_number(float(low), signed=signed)}, {format_number(float(high), signed=signed)}]"
    )


def format_q(value: Any) -> str:
    """A q-value (or p-value) for people: "< 0.001" when tiny, else 2 significant digits.

    Never "0" nor "0.000000e+00": a p-value that underflowed to 0.0 (a big slice far
    from the rest) is not zero, only smaller than a double holds. The floor 0.001 is
    honest (every value shown so is below it) and is where a decision stops changing:
    q-values are read against a level like 0.05, and far in the tails the tests'
    approximations (normal, skew-corrected t) have no accurate digits to show. The
    stored numbers stay the computed ones; only their display is floored.

    Examples
    --------
    >>> [format_q(v) for v in (0.0, 2.7e-297, 0.00123, 0.0456, 0.5, 1.0, float("nan"))]
    ['< 0.001', '< 0.001', '0.0012', '0.046', '0.5', '1', '–']
    >>> format_q(np.float64(0.0)), format_q(np.float32(1e-40)), format_q(None)
    ('< 0.001', '< 0.001', '–')
    """
    if _is_missing(value):
        return MISSING
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.2g}"


def format_q_phrase(value: Any, name: str = "q") -> str:
    """A q-value in a sentence: ``q = 0.012`` or ``q < 0.001`` (never ``q = < 0.001``).

    Examples
    --------
    >>> format_q_phrase(0.0123), format_q_phrase(0.0), format_q_phrase(0.2, "p")
    ('q = 0.012', 'q < 0.001', 'p = 0.2')
    >>> format_q_phrase(float("nan"))
    'q –'
    """
    shown = format_q(value)
    return f"{name} {shown}" if shown.startswith("<") or shown == MISSING else f"{name} = {shown}"


def format_level(confidence: float) -> str:
    """A confidence level as a percentage with the digits it has: ``95%``, ``97.5%``.

    Examples
    --------
    >>> format_level(0.95), format_level(0.975), format_level(0.999)
    ('95%', '97.5%', '99.9%')
    """
    return f"{round(100 * float(confidence), 6):g}%"


def format_share(value: Any) -> str:
    """A share of rows as a percentage to one decimal (``0.1234`` -> ``12.3%``), or "–".

    Examples
    --------
    >>> format_share(0.1234), format_share(1.0), format_share(float("nan"))
    ('12.3%', '100.0%', '–')
    """
    if _is_missing(value):
        return MISSING
    return f"{float(value):.1%}"


def format_points(value: Any) -> str:
    """A change of a rate in percentage points, signed, one decimal (``0.0191`` -> ``+1.9``).

    Examples
    --------
    >>> format_points(0.0191), format_points(-0.05), format_points(float("nan"))
    ('+1.9', '-5.0', '–')
    """
    if _is_missing(value):
        return MISSING
    return format_number(100 * float(value), 1, signed=True)


def format_plain(value: Any) -> str:
    """A number for a sentence: three decimals at most, no trailing zeros; "–" when undefined.

    Rounds as :func:`format_number` does (three decimals) and drops the zeros a
    hand-written threshold never had; values below 0.001 keep three significant
    digits rather than reading 0.

    Examples
    --------
    >>> [format_plain(v) for v in (0.55, 0.1, 0.61234, 2, 12345, -0.0001234, float("nan"))]
    ['0.55', '0.1', '0.612', '2', '12,345', '-0.000123', '–']
    >>> format_plain(1e-12), format_plain(float("inf")), format_plain(None)
    ('1e-12', '∞', '–')
    >>> format_plain(np.float64(3.0)), format_plain(np.int64(7)), format_plain(True)
    ('3', '7', 'yes')
    """
    if _is_missing(value) or isinstance(value, bool | np.bool_ | int | np.integer):
        return format_number(value)  # "–", "yes" / "no", a count: as a table writes them
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) < 0.001:
        return f"{number:.3g}"
    text = format_number(number).rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_measure(value: Any, missing: str = "nan") -> str:
    """A measured value in a verdict: 4 significant digits, ``missing`` when undefined.

    The number format of outcome messages (the runner's reasons, the pytest plugin's
    failures, a history's regressions): a verdict must show on which side of its
    threshold the value fell, which three decimals cannot (``0.5496 < 0.55``).

    Examples
    --------
    >>> format_measure(0.403812), format_measure(float("nan")), format_measure(None, "")
    ('0.4038', 'nan', '')
    >>> format_measure(float("inf")), format_measure(12345.6)
    ('inf', '1.235e+04')
    """
    if _is_missing(value):
        return missing
    return f"{float(value):.4g}"
