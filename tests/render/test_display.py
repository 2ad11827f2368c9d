"""Results display compactly (HTML and text) yet stay the plain DataFrames they were."""

from __future__ import annotations

import html
import io
import pickle
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlprobe as mp
from mlprobe.datasets import load_adult
from mlprobe.render.display import ResultFrame, as_result, display_options, set_display
from mlprobe.render.tables import FAINT_STYLE, HELP


@pytest.fixture(scope="module")
def probe() -> mp.Probe:
    adult = load_adult()
    rng = np.random.default_rng(0)
    rule = (adult["education_num"] >= 13) & (adult["age"] > 30)
    v1 = np.where(rule, ">50K", "<=50K")
    flip = rng.random(len(adult)) < 0.1
    v2 = np.where(flip, np.where(v1 == ">50K", "<=50K", ">50K"), v1)
    return mp.Probe(adult, target="income", predictions={"v1": v1, "v2": v2})


@pytest.fixture(autouse=True)
def _compact() -> Iterator[None]:
    before = display_options()
    yield
    set_display(compact=before["compact"], width=before["width"])


def _rows(table: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each ``<tr>``: its attributes, and its cells' (attributes, unescaped text)."""
    out = []
    for attrs, body in re.findall(r"<tr([^>]*)>(.*?)</tr>", table):
        cells = re.findall(r"<t[dh]([^>]*)>(.*?)</t[dh]>", body)
        out.append(
            (attrs, [(a, html.unescape(re.sub(r"<span.*?</span> ", "", t))) for a, t in cells])
        )
    return out


def _q_texts(text: str, column: int) -> list[str]:
    return [cells[column][1] for _, cells in _rows(text)[1:]]


def test_a_breakdown_shows_each_metric_with_its_interval_in_one_cell(probe: mp.Probe) -> None:
    frame = probe.breakdown(by="race", metrics=["accuracy", "recall[>50K]"], model="v1")
    assert isinstance(frame, ResultFrame) and isinstance(frame, pd.DataFrame)
    page, text = frame._repr_html_(), repr(frame)
    assert page is not None
    rows = _rows(page)
    header = [t for _, t in rows[0][1]]
    assert header[:4] == ["slice", "n", "share", "accuracy"]
    assert "p" not in header and "is_overall" not in header and "model" not in header
    for record in frame.to_dict("records"):
        cell = (
            f"{record['accuracy']:.3f} "
            f"[{record['accuracy_ci_low']:.3f}, {record['accuracy_ci_high']:.3f}]"
        )
        assert cell in page and cell in text
        assert f"{record['n']:,}" in text
        if not record["is_overall"]:
            assert f"{record['gap']:+.3f}" in text and f"{record['impact']:+.3f}" in page
    # q-values read as people write them, never 0 nor 0.000000e+00
    q_values = _q_texts(page, header.index("q"))
    assert "< 0.001" in q_values
    assert all(q == "–" or q == "< 0.001" or re.fullmatch(r"0\.\d+|1", q) for q in q_values)
    assert "e-" not in text and "e+" not in text and " 0.000 " not in text
    # the overall row is bold and first; the text sets it apart with a rule
    assert "font-weight:bold" in rows[1][0] and rows[1][1][0][1] == "overall"
    assert not any("font-weight:bold" in attrs for attrs, _ in rows[2:])
    lines = text.splitlines()
    assert lines[1].startswith("overall") and set(lines[2]) == {"-"}
    assert "model v1" in lines[-1] and ".raw()" in lines[-1]
    assert max(len(line) for line in lines) <= 120


def test_low_support_rows_are_faint_and_say_why(probe: mp.Probe) -> None:
    frame = probe.breakdown(by="race", metrics=["accuracy"], model="v1", min_support=1000)
    few = frame[frame["low_support"]]["slice"].tolist()
    assert few  # some races have under 1,000 rows
    rows = _rows(frame._repr_html_() or "")
    for attrs, cells in rows[1:]:
        name = cells[0][1]
        assert (FAINT_STYLE in attrs) == (name in few)
        if name in few:
            assert html.escape(HELP["few rows"], quote=True) in attrs
            assert cells[-1][1] == "few rows" and "min_support" in cells[-1][0]
    text_rows = {line.split("  ")[0]: line for line in repr(frame).splitlines()}
    assert all(text_rows[name].rstrip().endswith("few rows") for name in few)


def test_names_are_escaped_and_long_ones_cut_with_the_full_name_on_hover(probe: mp.Probe) -> None:
    long_name = "people of working age with a university degree and long hours of work"
    slices = [
        mp.Slice("<b>&x", mp.col("age") >= 60),
        mp.Slice(long_name, mp.col("hours_per_week") >= 50),
    ]
    frame = probe.breakdown(slices=slices, metrics=["accuracy"], model="v1")
    page = frame._repr_html_() or ""
    assert "<b>&x" not in page and "&lt;b&gt;&amp;x" in page
    cell = re.search(r'<td title="([^"]*)" style="([^"]*)">people', page)
    assert cell is not None and html.unescape(cell.group(1)) == long_name
    assert "text-overflow:ellipsis" in cell.group(2)
    text = repr(frame)
    assert "<b>&x" in text  # plain text needs no escaping
    assert long_name not in text and long_name[:30] in text and "…" in text


def test_find_slices_reads_value_interval_gap_and_q(probe: mp.Probe) -> None:
    found = probe.find_slices(model="v1", top_k=5)
    page, text = found._repr_html_() or "", repr(found)
    for record in found.to_dict("records"):
        name = str(record["slice"])
        assert html.escape(name) in page and name[:39] in text
        interval = f"{record['value']:.3f} [{record['ci_low']:.3f}, {record['ci_high']:.3f}]"
        assert interval in page and interval in text
        assert f"{record['gap']:+.3f}" in text and f"{record['n']:,}" in text
        if record["also"]:
            assert f"+{len(record['also'])}" in text
    assert (found["q_value"] == 0).any()  # underflowed: shown as < 0.001, never 0
    header = [t for _, t in _rows(page)[0][1]]
    q_values = _q_texts(page, header.index("q"))
    assert q_values and all(q == "< 0.001" or re.fullmatch(r"0\.\d+|1", q) for q in q_values)
    assert "0.000000e+00" not in text and "e-" not in text
    assert "metric error_rate" in text.splitlines()[-1]
    assert max(len(line) for line in text.splitlines()) <= 120


def test_a_comparison_names_the_models_and_signs_the_delta(probe: mp.Probe) -> None:
    comparison = probe.compare("v1", "v2", by="sex")
    page, text = comparison._repr_html_() or "", repr(comparison)
    header = [t for _, t in _rows(page)[0][1]]
    assert header[:5] == ["slice", "n", "v1", "v2", "delta"] and "verdict" in header
    for record in comparison.to_dict("records"):
        delta = (
            f"{record['delta']:+.3f} "
            f"[{record['delta_ci_low']:+.3f}, {record['delta_ci_high']:+.3f}]"
        )
        assert delta in page and delta in text
        assert record["verdict"] in text
    assert re.search(r'style="[^"]*color:#b2182b;">regressed', page)
    assert "e-" not in text and "metric accuracy" in text


def test_other_results_and_unknown_columns_show_as_they_are(probe: mp.Probe) -> None:
    flips = probe.flips("v1", "v2")
    assert isinstance(flips, ResultFrame)
    text = repr(flips)
    assert f"{int(flips.loc['correct', 'correct']):,}" in text
    assert text.splitlines()[0].split()[0] == "v2" and text.splitlines()[1].strip() == "v1"
    priorities = probe.priorities(by="race", model="v1")
    assert isinstance(priorities, ResultFrame) and "benefit" in repr(priorities)
    odd = as_result(pd.DataFrame({"slice": ["a"], "n": [12345], "new thing": [0.12345]}))
    assert repr(odd).splitlines()[1].split() == ["a", "12,345", "0.123"]
    assert "new thing" in (odd._repr_html_() or "")


def test_derived_frames_are_plain_dataframes(probe: mp.Probe) -> None:
    found = probe.find_slices(model="v1", top_k=5)
    frame = probe.breakdown(by="sex", model="v1")
    derived = [
        found.head(),
        found[found.n > 30],
        found.copy(),
        found.assign(twice=found["n"] * 2),
        frame.iloc[1:],
        frame.sort_values("n"),
        frame.reset_index(drop=True),
        frame.drop(columns=["gap"]),
        frame.set_index("slice"),
        frame.query("n > 0"),
        pd.concat([frame, frame]),
        frame.pipe(lambda f: f),  # pandas 3 pipes a shallow copy
    ]
    for other in derived:
        assert type(other) is pd.DataFrame
        assert repr(other) == pd.DataFrame.__repr__(other)
    assert type(frame["n"]) is pd.Series and type(frame.iloc[0]) is pd.Series
    assert derived[-1].equals(frame.raw())
    assert found.head().attrs["model"] == "v1"  # pandas carries attrs over as before


def test_raw_data_pickling_parquet_and_the_off_switch(probe: mp.Probe) -> None:
    frame = probe.breakdown(by="sex", model="v1")
    raw = frame.raw()
    assert type(raw) is pd.DataFrame and raw.attrs.keys() == frame.attrs.keys()
    pd.testing.assert_frame_equal(raw, pd.DataFrame(frame))
    assert type(pd.DataFrame(frame)) is pd.DataFrame
    assert raw.equals(frame) and list(raw.columns) == list(frame.columns)
    assert frame.to_csv() == raw.to_csv()
    back = pickle.loads(pickle.dumps(frame))
    assert type(back) is ResultFrame and back.attrs["metrics"] == frame.attrs["metrics"]
    pd.testing.assert_frame_equal(back.raw(), raw)
    # parquet: attrs holding Slice objects cannot be stored (as with any frame), the data can
    comparison = as_result(pd.DataFrame(probe.compare("v1", "v2", by="sex")))
    buffer = io.BytesIO()
    comparison.to_parquet(buffer)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(buffer.getvalue())), comparison.raw())

    mp.set_display(compact=False)
    assert repr(frame) == repr(raw) and frame._repr_html_() == raw._repr_html_()
    mp.set_display(compact=True)
    assert repr(frame) != repr(raw)
    with pytest.raises(mp.ValidationError, match="width"):
        mp.set_display(width=3)


def test_the_text_view_fits_the_width_by_dropping_intervals_first(probe: mp.Probe) -> None:
    frame = probe.breakdown(by="race", metrics=["accuracy", "recall[>50K]"], model="v1")
    set_display(width=80)
    lines = repr(frame).splitlines()
    assert f"{frame['accuracy'].iloc[0]:.3f}" in lines[1]
    assert "[" not in "".join(lines[1:-1]) or max(map(len, lines)) <= 80
    set_display(width=200)
    assert repr(frame).count("[") > repr(frame.head(0)).count("[")


def test_a_disparity_reads_its_extremes_intervals_and_exclusions(probe: mp.Probe) -> None:
    table = probe.disparity("race", "accuracy", min_support=500, model="v1")
    set_display(width=160)
    assert isinstance(table, ResultFrame)
    row = table.iloc[0]
    text = repr(table)
    lowest = f"{row['min_group']} ({row['min_value']:.3f})"
    assert lowest in text and f"{row['max_group']} ({row['max_value']:.3f})" in text
    difference = (
        f"{row['difference']:.3f} [{row['difference_ci_low']:.3f}, {row['difference_ci_high']:.3f}]"
    )
    assert difference in text
    page = table._repr_html_()
    assert page is not None and html.escape(lowest) in page
    excluded = list(row["excluded"])
    assert excluded and f'title="{html.escape(excluded[0])}' in page


def test_suite_outcomes_and_history_tables_display_compactly(probe: mp.Probe, tmp_path) -> None:  # type: ignore[no-untyped-def]
    suite = mp.Suite(
        "s", [mp.SliceTest(id="women", slice="sex == 'Female'", metric="accuracy", at_least=0.9)]
    )
    result = suite.run(probe, model="v1", record=tmp_path / "runs.db", version="v1")
    outcomes = result.outcomes
    assert isinstance(outcomes, ResultFrame)
    row = outcomes.iloc[0]
    text = repr(outcomes)
    assert f"{row['observed']:.3f}" in text and "ci_low" not in text.splitlines()[0]
    assert "ci_low" in outcomes.columns  # every raw column kept
    matrix = mp.History(tmp_path / "runs.db").matrix()
    assert isinstance(matrix, ResultFrame) and "women" in repr(matrix)


def test_free_text_is_cut_and_never_costs_the_observed_interval(probe: mp.Probe, tmp_path) -> None:  # type: ignore[no-untyped-def]
    long = "Few high earners among the women are found; do not let it get any worse than this."
    suite = mp.Suite(
        "s",
        [
            mp.SliceTest(
                id="women", slice="sex == 'Female'", metric="accuracy", at_least=0.9,
                description=long,
            ),
            mp.SliceTest(id="men", slice="sex == 'Male'", metric="accuracy", at_least=0.5),
        ],
    )  # fmt: skip
    outcomes = suite.run(probe, model="v1", record=tmp_path / "runs.db", version="v1").outcomes
    row = outcomes.iloc[0]
    interval = f"{row['observed']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    text = repr(outcomes)
    assert max(len(line) for line in text.splitlines()) <= display_options()["width"]
    assert interval in text  # the reason (which repeats the numbers) goes before it
    set_display(width=240)
    wide = repr(outcomes)
    assert interval in wide and long not in wide and long[:30] in wide  # cut, with "…"
    assert row["reason"] not in wide and "…" in wide
    # HTML keeps it all on hover: the cell is cut by its style, the title holds the text
    cells = [cell for _, r in _rows(outcomes._repr_html_())[1:2] for cell in r]
    assert any(html.escape(long, quote=True) in attrs and text == long for attrs, text in cells)
    # recorded times read to the minute
    runs = mp.History(tmp_path / "runs.db").runs()
    recorded = pd.Timestamp(runs["recorded_at"].iloc[0])
    assert recorded.strftime("%Y-%m-%d %H:%M") in repr(runs)
    assert str(recorded) not in repr(runs)  # not to the microsecond


def test_a_regression_table_keeps_the_interval_of_the_change_longest(
    probe: mp.Probe, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    suite = mp.Suite(
        "s",
        [
            mp.SliceTest(id=f"t{i}", slice=f"age >= {20 + 10 * i}", metric="accuracy", at_least=0.5)
            for i in range(3)
        ],
    )
    for version in ("v1", "v2"):
        suite.run(probe, model=version, record=tmp_path / "runs.db", version=version)
    table = mp.History(tmp_path / "runs.db").regressions("v2", against="previous")
    row = table.iloc[0]
    change = (
        f"{row['difference']:+.3f} [{row['difference_ci_low']:+.3f}, "
        f"{row['difference_ci_high']:+.3f}]"
    )
    for width in (120, 100):
        set_display(width=width)
        text = repr(table)
        assert change in text and max(len(line) for line in text.splitlines()) <= width
    set_display(width=300)
    against = (
        f"{row['value_against']:.3f} [{row['ci_low_against']:.3f}, {row['ci_high_against']:.3f}]"
    )
    assert against in repr(table)  # the baseline version's value folds its interval too
    assert "ci_low_against" not in repr(table).splitlines()[0]


_TEXT_COLUMNS = ("slice", "reason", "description", "kind", "model", "metric", "verdict")
_SHOWN_COLUMNS = (
    *_TEXT_COLUMNS, "n", "share", "accuracy", "accuracy_ci_low", "accuracy_ci_high", "gap",
    "q_value", "p_value", "impact", "impact_ci_low", "impact_ci_high", "excluded", "also",
    "low_support", "is_overall", "observed", "ci_low", "ci_high", "recorded_at", "difference",
    "difference_ci_low", "difference_ci_high", "min_group", "min_value", "x",
)  # fmt: skip


@st.composite
def _result_frames(draw: st.DrawFn) -> ResultFrame:
    """Any mix of the columns results hold, with NaN, infinities, None, odd text, 0-6 rows."""
    columns = draw(st.lists(st.sampled_from(_SHOWN_COLUMNS), max_size=12, unique=True))
    n = draw(st.integers(0, 6))
    data: dict[str, object] = {}
    for column in columns:
        if column in (*_TEXT_COLUMNS, "min_group"):
            cell = st.one_of(st.text(max_size=60), st.none())
        elif column in ("excluded", "also"):
            cell = st.lists(st.text(max_size=15), max_size=3)
        elif column in ("low_support", "is_overall"):
            cell = st.booleans()
        elif column in ("n", "recorded_at"):
            cell = st.integers(0, 2_000_000_000)
        else:
            cell = st.floats(allow_nan=True, allow_infinity=True)
        data[column] = draw(st.lists(cell, min_size=n, max_size=n))
    if "recorded_at" in data:
        data["recorded_at"] = pd.to_datetime(data["recorded_at"], unit="s", utc=True)
    frame = as_result(pd.DataFrame(data))
    frame.attrs["confidence"] = draw(st.sampled_from([0.9, 0.95, 0.975]))
    return frame


@settings(max_examples=200, deadline=None)
@given(_result_frames(), st.integers(20, 200))
def test_any_result_displays_in_html_and_in_text_of_its_width(
    frame: ResultFrame, width: int
) -> None:
    set_display(width=width)
    text, page = repr(frame), frame._repr_html_()
    assert isinstance(text, str) and page.startswith('<div class="mlprobe-result">')
    if len(frame.columns) and len(frame) and width >= 120:  # wide enough for the view to fit
        assert max(len(line) for line in text.splitlines()[:-1] or [""]) <= width + 60
