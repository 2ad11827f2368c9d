"""The standalone HTML report: self-contained, escaped, and showing the probe's own numbers.

The main report is built once, on UCI Adult (48,842 rows) with a rule as the
model, and read back with an HTML parser: every table is compared with what
``Probe.breakdown``, ``Probe.confusion``, ``Probe.compare`` and ``Suite.run``
return, formatted as the tables format them. Smaller synthetic probes cover
regression, several models and the argument errors.
"""

from __future__ import annotations

import base64
import html
import re
import time
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlprobe as mp
from mlprobe import Slice, col
from mlprobe.render import report_html
from mlprobe.render.tables import breakdown_html
from mlprobe.report import write_report

pytest.importorskip("vl_convert")

EVIL = "<script>alert(1)</script>"
METRICS = ["recall[>50K]", "accuracy"]
BY: list[Any] = ["race", "sex", ("sex", "race")]
TINY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


# --- reading a report back ------------------------------------------------------------------


@dataclass
class Page:
    """What a report holds, as a reader sees it: text, tables, images, sections, links."""

    tables: list[list[list[str]]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    styles: int = 0
    text: str = ""

    def table_with(self, *header: str) -> list[list[list[str]]]:
        """The tables whose header row starts with ``header``."""
        return [t for t in self.tables if t and t[0][: len(header)] == list(header)]


#: tags that separate words in the text a reader sees
BLOCKS = frozenset(("p", "li", "ul", "ol", "td", "th", "tr", "table", "h1", "h2", "h3"))
BLOCKS |= {"dt", "dd", "dl", "div", "section", "header", "nav", "footer", "summary"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in BLOCKS:
            self._text.append(" ")
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.page.images.append(values.get("src") or "")
        elif tag == "section":
            self.page.sections.append(values.get("id") or "")
        elif tag == "style":
            self.page.styles += 1
        for name in ("href", "src"):
            if values.get(name) is not None and tag != "img":
                self.page.links.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._text.append(" ")
        if tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._stack:
            self.page.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join("".join(self._text).split())


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def fmt(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.3f}"


def with_interval(record: pd.Series | dict[str, Any], metric: str) -> str:
    low, high = record[f"{metric}_ci_low"], record[f"{metric}_ci_high"]
    if np.isnan(low) or np.isnan(high):
        return fmt(record[metric])
    return f"{fmt(record[metric])} [{fmt(low)}, {fmt(high)}]"


def assert_self_contained(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    for attribute in re.findall(r'\b(?:src|href|action|srcset)\s*=\s*"([^"]*)"', html):
        assert attribute.startswith(("data:image/svg+xml;base64,", "#")), attribute[:80]
    assert not re.search(r"""\b(?:src|href)\s*=\s*['"]?\s*https?:""", html)
    assert html.count("<style>") == 1


def decoded_svgs(page: Page) -> list[str]:
    prefix = "data:image/svg+xml;base64,"
    assert all(src.startswith(prefix) for src in page.images)
    return [base64.b64decode(src[len(prefix) :], validate=True).decode() for src in page.images]


@pytest.fixture
def fast_charts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Skip vl-convert (slow) where the charts' drawing is not the point; collect the specs."""
    specs: list[dict[str, Any]] = []

    def fake_svg(spec: dict[str, Any]) -> str:
        specs.append(spec)
        return TINY_SVG

    monkeypatch.setattr(report_html, "chart_svg", fake_svg)
    return specs


# --- UCI Adult, one model, every section ---------------------------------------------------


@pytest.fixture(scope="module")
def adult_probe() -> mp.Probe:
    data = mp.datasets.load_adult()
    married = data["marital_status"] == "Married-civ-spouse"
    rule = np.where(married & (data["education_num"] >= 13), ">50K", "<=50K")
    return mp.Probe(data.assign(rule=rule), target="income", predictions="rule")


@pytest.fixture(scope="module")
def adult_suite() -> mp.Suite:
    return mp.Suite(
        "income <rule>",
        [
            mp.SliceTest(
                id="women-accuracy", slice="sex == 'Female'", metric="accuracy", at_least=0.8
            ),
            mp.SliceTest(
                id="black-recall", slice="race == 'Black'", metric="recall[>50K]", at_least=0.5
            ),
            mp.SliceTest(
                id="very-old-other",
                slice="race == 'Other' and age >= 80",
                metric="accuracy",
                at_least=0.5,
            ),
            mp.SliceTest(id="gone", slice="no_such_column == 1", metric="accuracy", at_least=0.5),
        ],
    )


SLICES = [
    Slice("older women", (col("age") >= 60) & (col("sex") == "Female")),
    Slice(EVIL, col("age") < 25),
    # 14 rows, recall 0: further below the rest than any slice, but too small to trust
    Slice("tiny", (col("native_country") == "France") & (col("sex") == "Female")),
    Slice("empty", (col("age") >= 85) & (col("race") == "Other")),
]


@dataclass
class Built:
    path: Path
    html: str
    page: Page
    seconds: float


@pytest.fixture(scope="module")
def adult_report(
    adult_probe: mp.Probe, adult_suite: mp.Suite, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    folder = tmp_path_factory.mktemp("adult-report")
    start = time.perf_counter()
    path = adult_probe.report(
        folder / "nested" / "adult.html",
        by=BY,
        slices=SLICES,
        metrics=METRICS,
        suite=adult_suite,
    )
    seconds = time.perf_counter() - start
    html = path.read_text(encoding="utf-8")
    return Built(path, html, read_page(html), seconds)


def test_report_is_one_self_contained_file(adult_report: Built) -> None:
    assert adult_report.path.name == "adult.html" and adult_report.path.is_file()
    assert sorted(p.name for p in adult_report.path.parent.iterdir()) == ["adult.html"]
    assert_self_contained(adult_report.html)
    assert adult_report.page.styles == 1
    assert adult_report.html.startswith("<!DOCTYPE html>")
    # links stay on the page
    ids = set(adult_report.page.sections) | {"worst-slice"}
    assert {link[1:] for link in adult_report.page.links} <= ids


def test_header_names_the_data_models_and_settings(adult_report: Built) -> None:
    text = adult_report.page.text
    assert "<title>mlprobe report: income</title>" in adult_report.html
    for fact in ("rows 48,842", "task binary", "target income", "model model"):
        assert fact in text
    assert "classes <=50K, >50K" in text
    assert "&lt;=50K, &gt;50K" in adult_report.html
    assert "How to read this" in text and "Benjamini–Hochberg" in text
    assert "fewer than 30 rows" in text and "few rows" in text


def test_sections_in_order(adult_report: Built) -> None:
    assert adult_report.page.sections == [
        "glance",
        "fix-first",
        "how-to-read",
        "overall",
        "by-1",
        "by-2",
        "by-3",
        "slices",
        "confusion",
        "suite",
    ]
    headings = re.findall(r"<h2>(.*?)</h2>", adult_report.html)
    assert headings[4:8] == ["By race", "By sex", "By sex × race", "Slices"]


def test_overall_table_shows_every_metric_with_its_interval(
    adult_report: Built, adult_probe: mp.Probe
) -> None:
    expected = adult_probe.breakdown(by="sex", metrics=METRICS)
    overall = expected[expected["slice"] == "overall"].iloc[0]
    [table] = adult_report.page.table_with("model", "n", *METRICS)
    assert table[1:] == [
        ["model", "48,842", *[with_interval(overall, m) for m in METRICS]],
    ]


@pytest.mark.parametrize(
    ("position", "by"), [(0, "race"), (1, "sex"), (2, ["sex", "race"]), (3, None)]
)
def test_breakdown_tables_hold_the_probes_numbers_worst_first(
    adult_report: Built, adult_probe: mp.Probe, position: int, by: Any
) -> None:
    if by is None:
        expected = adult_probe.breakdown(slices=SLICES, metrics=METRICS)
    else:
        expected = adult_probe.breakdown(by=by, metrics=METRICS)
    # exactly the table mlprobe.render draws, sorted worst first
    assert breakdown_html(expected, sort="worst", max_rows=300) in adult_report.html
    tables = adult_report.page.table_with("slice", "n", "share", "recall[>50K]")
    table = tables[position]
    rows = {row[0]: row for row in table[1:]}
    assert set(rows) == set(expected["slice"].astype(str))
    for record in expected.to_dict("records"):
        row = rows[str(record["slice"])]
        assert row[1] == f"{record['n']:,}"
        assert row[2] == f"{record['share']:.1%}"
        assert row[3] == fmt(record["recall[>50K]"])
        low, high = record["recall[>50K]_ci_low"], record["recall[>50K]_ci_high"]
        assert row[4] == ("–" if np.isnan(low) else f"[{low:.3f}, {high:.3f}]")
        if record["slice"] != "overall":
            assert row[5] == ("–" if np.isnan(record["gap"]) else f"{record['gap']:+.3f}")
            assert row[6] == f"{record['impact']:+.3f}"  # gap, impact, q, flags
            assert row[8] == ("few rows" if record["low_support"] else "")
    # worst first: recall ascending after the overall row
    values = [float(row[3]) for row in table[2:] if row[3] != "–"]
    assert values == sorted(values)
    # and every metric in the collapsible table, in the same order
    full = adult_report.page.table_with("slice", "n", *METRICS)[position]
    assert [r[0] for r in full[1:]] == [r[0] for r in table[1:]]
    for row in full[1:]:
        record = expected[expected["slice"].astype(str) == row[0]].iloc[0]
        assert row[2:] == [with_interval(record, m) for m in METRICS]


def test_charts_are_svg_images_inlined_as_data_uris(adult_report: Built) -> None:
    svgs = decoded_svgs(adult_report.page)
    # one chart per section (4), the overall confusion, the worst slice's confusion
    assert len(svgs) == 6
    for svg in svgs:
        assert svg.lstrip().startswith("<svg")
        assert "<script" not in svg
    assert "recall[&gt;50K] by race" in svgs[0] or "recall[>50K] by race" in svgs[0]


def test_slice_names_are_escaped(adult_report: Built) -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert EVIL not in adult_report.html
    assert escaped in adult_report.html
    assert EVIL in adult_report.page.text  # and the reader sees the name as written
    assert "income &lt;rule&gt;" in adult_report.html  # the suite's name too


def test_overall_confusion_matrix_matches_the_probe(
    adult_report: Built, adult_probe: mp.Probe
) -> None:
    counts = adult_probe.confusion()
    tables = adult_report.page.table_with("true \\ predicted")
    shares = counts.to_numpy() / counts.to_numpy().sum(axis=1, keepdims=True)
    expected = [
        [
            str(label),
            *[f"{counts.iloc[i, j]:,} ({shares[i, j]:.1%})" for j in range(2)],
            f"{counts.iloc[i].sum():,}",
        ]
        for i, label in enumerate(counts.index)
    ]
    assert tables[0][1:] == expected
    assert tables[0][0] == ["true \\ predicted", "<=50K", ">50K", "rows"]


def test_worst_slice_is_the_furthest_below_the_rest_with_enough_rows(
    adult_report: Built, adult_probe: mp.Probe
) -> None:
    frames = [
        adult_probe.breakdown(by=b if isinstance(b, str) else list(b), metrics=METRICS) for b in BY
    ]
    frames.append(adult_probe.breakdown(slices=SLICES, metrics=METRICS))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[(rows["slice"] != "overall") & ~rows["low_support"]]
    worst = rows.loc[rows["gap"].idxmin()]
    assert worst["slice"] == EVIL  # age < 25: recall 0.1 against 0.4 elsewhere
    paragraph = re.search(r'<h3 id="worst-slice">Worst slice</h3><p>(.*?)</p>', adult_report.html)
    assert paragraph is not None
    assert "&lt;script&gt;" in paragraph.group(1) and f"{worst['n']:,} rows" in paragraph.group(1)
    assert f"by {-worst['gap']:.3f}" in paragraph.group(1)
    counts = adult_probe.confusion(SLICES[1])
    table = adult_report.page.table_with("true \\ predicted")[1]
    assert [row[3] for row in table[1:]] == [f"{n:,}" for n in counts.sum(axis=1)]
    assert table[1][1].startswith(f"{counts.iloc[0, 0]:,} (")


def test_low_support_slices_are_never_the_worst(adult_report: Built) -> None:
    # "tiny" has the largest gap of all but 14 rows: flagged, and passed over
    table = adult_report.page.table_with("slice", "n", "share", "recall[>50K]")[3]
    [tiny] = [row for row in table if row[0] == "tiny"]
    assert tiny[1] == "14" and tiny[3] == "0.000" and float(tiny[5]) < -0.4
    assert tiny[-1] == "few rows"
    [empty] = [row for row in table if row[0] == "empty"]
    assert empty[1:4] == ["0", "0.0%", "–"]
    assert "Worst slice" in adult_report.page.text and "tiny (" not in adult_report.page.text


def test_suite_outcomes_and_counts_match_a_run(
    adult_report: Built, adult_probe: mp.Probe, adult_suite: mp.Suite
) -> None:
    result = adult_suite.run(adult_probe)
    counts = result.counts()
    assert counts == {"passed": 1, "failed": 1, "inconclusive": 1, "error": 1}
    shown = dict(re.findall(r'<li class="outcome-(\w+)">\w+: <b>(\d+)</b></li>', adult_report.html))
    assert {k: int(v) for k, v in shown.items()} == counts
    assert result._repr_html_() in adult_report.html
    assert "did not pass" in adult_report.page.text
    assert "Run on the probe's model 'model'." in adult_report.page.text
    [table] = adult_report.page.table_with("test", "outcome", "metric", "observed")
    outcomes = result.outcomes.set_index("id")
    for row in table[1:]:
        assert row[1] == outcomes.loc[row[0], "outcome"]
        assert row[3] == fmt(outcomes.loc[row[0], "observed"])


def test_at_a_glance_lists_clearly_worse_slices(adult_report: Built) -> None:
    glance = re.search(r'<section id="glance".*?</section>', adult_report.html, re.S)
    assert glance is not None
    text = read_page(glance.group(0)).text
    assert "Overall recall[>50K]: 0.409 [0.400, 0.418] on 48,842 rows." in text
    assert "clearly worse than the rest on recall[>50K]" in text
    assert "race == 'Black'" in text
    assert "Suite income <rule> on model model: 1 passed, 1 failed, 1 inconclusive, 1 error" in text


def test_adult_report_takes_seconds(adult_report: Built) -> None:
    # 4 breakdowns, 6 SVG charts, a suite, on 48,842 rows (the first chart starts vl-convert)
    assert adult_report.seconds < 30, adult_report.seconds


# --- nothing is written when something is wrong ------------------------------------------------


def test_a_missing_suite_file_raises_before_anything_is_written(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    with pytest.raises(mp.SuiteFileError, match="no such suite file"):
        adult_probe.report(tmp_path / "out" / "r.html", by="sex", suite=tmp_path / "missing.yaml")
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_suite_file_raises_before_anything_is_written(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mlprobe.yaml"
    bad.write_text("mlprobe: 1\nname: x\ntests:\n  - id: t\n    metric: accuracy\n")
    with pytest.raises(mp.SuiteFileError, match=re.escape(str(bad))):
        adult_probe.report(tmp_path / "r.html", suite=str(bad))
    assert [p.name for p in tmp_path.iterdir()] == ["bad.mlprobe.yaml"]


def test_a_failing_report_leaves_the_previous_file_untouched(
    adult_probe: mp.Probe, tmp_path: Path
) -> None:
    path = tmp_path / "r.html"
    path.write_text("previous report")
    with pytest.raises(mp.ColumnNotFoundError, match="sexx"):
        adult_probe.report(path, by=["sex", "sexx"])
    assert path.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_overwrites_atomically_and_leaves_no_temporary_file(
    tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    probe = _small_probe()
    path = tmp_path / "r.html"
    path.write_text("old")
    assert probe.report(str(path), by="g") == path
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"by": 5}, mp.ValidationError, r"^by: expected a column name.*received 5 \(int\)"),
        ({"by": {"g": 1}}, mp.ValidationError, r"^by: .*\(dict\)"),
        ({"by": ["g", 3]}, mp.ValidationError, r"^by\[1\]: expected a column name.*received 3"),
        ({"by": ()}, mp.ValidationError, r"^by: .*received \(\)"),
        ({"slices": "x > 1"}, mp.ValidationError, r"^slices: expected a list .*Wrap it in a list"),
        ({"slices": 3}, mp.ValidationError, r"^slices: .*\(int\)"),
        ({"suite": 42}, mp.ValidationError, r"^suite: expected a Suite or the path"),
        ({"title": 3}, mp.ValidationError, r"^title: expected a str"),
        ({"bins": 3}, mp.ValidationError, r"^bins: applies to by= columns"),
        (
            {"by": "g", "confidence": 95},
            mp.ValidationError,
            r"confidence: expected a confidence level",
        ),
        (
            {"by": "g", "min_support": -1},
            mp.ValidationError,
            r"min_support: expected a whole number",
        ),
        ({"by": "g", "metrics": ["acuracy"]}, mp.ValidationError, r"acuracy"),
        ({"slices": ["x >"]}, mp.ParseError, r"x >"),
    ],
)
def test_argument_errors_name_the_argument_and_write_nothing(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        write_report(_small_probe(), tmp_path / "r.html", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_path_must_be_a_file_path(tmp_path: Path) -> None:
    with pytest.raises(mp.ValidationError, match=r"^path: expected a file path.*\(int\)"):
        write_report(_small_probe(), 3)  # type: ignore[arg-type]
    with pytest.raises(mp.ValidationError, match=r"^path: .* is a folder; name a file in it"):
        write_report(_small_probe(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_another_suffix_is_written_with_a_warning(
    tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    with pytest.warns(UserWarning, match=r"does not end in \.html") as caught:
        path = _small_probe().report(tmp_path / "report.txt")
    assert caught[0].filename == __file__  # the warning points at the caller
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _small_probe().report(tmp_path / "report.HTM")


# --- small synthetic probes: defaults, escaping, several models, regression -----------------


def _small_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "<img src=x onerror=alert(1)>"], n, p=[0.5, 0.4, 0.1])
    y = rng.integers(0, 2, n)
    v1 = np.where(rng.random(n) < np.where(group == "b", 0.6, 0.9), y, 1 - y)
    v2 = np.where(rng.random(n) < 0.85, y, 1 - y)
    return pd.DataFrame({"g": group, "x": rng.normal(size=n), "y": y, "v1": v1, "v2": v2})


def _small_probe() -> mp.Probe:
    return mp.Probe(_small_frame(), target="y", predictions="v1")


def test_without_by_or_slices_only_overall_and_confusion(
    tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    probe = _small_probe()
    html = probe.report(tmp_path / "r.html").read_text(encoding="utf-8")
    page = read_page(html)
    assert page.sections == ["glance", "how-to-read", "overall", "confusion"]
    assert "No breakdown was asked for" in page.text
    assert len(page.images) == 1 and "Worst slice" not in page.text
    assert [spec["title"] for spec in fast_charts] == ["all rows"]


def test_values_of_a_column_are_escaped_in_tables_and_titles(
    tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    probe = _small_probe()
    title = "Q3 <b>model</b> & friends"
    html = probe.report(tmp_path / "r.html", by="g", title=title).read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<b>model</b>" not in html
    assert "g == &#x27;&lt;img src=x onerror=alert(1)&gt;&#x27;" in html
    assert "<title>Q3 &lt;b&gt;model&lt;/b&gt; &amp; friends</title>" in html
    assert_self_contained(html)
    # the chart data holds the raw names: vl-convert escapes them inside the SVG image
    assert any("<img src=x" in str(spec) for spec in fast_charts)


def test_real_svg_escapes_names(tmp_path: Path) -> None:
    probe = _small_probe()
    page = read_page(probe.report(tmp_path / "r.html", by="g").read_text(encoding="utf-8"))
    svgs = decoded_svgs(page)
    assert len(svgs) >= 2 and all(s.lstrip().startswith("<svg") for s in svgs)
    assert "<img src=x" not in svgs[0] and "&lt;img src=x" in svgs[0]


@pytest.fixture(scope="module")
def two_models() -> mp.Probe:
    frame = _small_frame(600, seed=1)
    return mp.Probe(frame, target="y", predictions={"v1": "v1", "v2": "v2"})


def test_several_models_get_a_comparison_of_the_first_and_last(
    two_models: mp.Probe, tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    path = two_models.report(
        tmp_path / "r.html",
        by=["g", ("g", "x")],
        bins=2,
        slices=["x > 1", "@prediction[v1] == 1", "@prediction == 0"],
    )
    html = path.read_text(encoding="utf-8")
    page = read_page(html)
    assert page.sections[-2:] == ["confusion", "comparison"]
    assert "Comparison: v2 vs v1" in page.text
    tables = page.table_with("slice", "n", "accuracy v1", "accuracy v2", "delta")
    assert len(tables) == 3  # by g, by g x x, slices
    expected = two_models.compare("v1", "v2", by="g")
    rows = {row[0]: row for row in tables[0][1:]}
    assert set(rows) == set(expected["slice"])
    for record in expected.to_dict("records"):
        row = rows[record["slice"]]
        assert row[1:5] == [
            f"{record['n']:,}",
            fmt(record["value_a"]),
            fmt(record["value_b"]),
            f"{record['delta']:+.3f}",
        ]
        assert row[-1] == record["verdict"]
    assert tables[0][1][0] == "overall"
    # slices on '@prediction' differ per model: left out of the paired comparison, said so
    slice_rows = [row[0] for row in tables[2][1:]]
    assert slice_rows == ["overall", "x > 1", "@prediction[v1] == 1"]
    assert "Left out (they select different rows per model): @prediction == 0." in page.text
    # the flips table
    flips = two_models.flips("v1", "v2")
    [table] = page.table_with("v1 \\ v2", "correct", "wrong")
    assert table[1:] == [
        [str(label), *[f"{v:,}" for v in values]]
        for label, values in zip(flips.index, flips.to_numpy(), strict=True)
    ]
    # one confusion per model, and the comparison charts
    titles = [str(spec.get("title")) for spec in fast_charts]
    assert "all rows: v1" in titles and "all rows: v2" in titles
    assert titles.count("v2 vs v1: change in accuracy") == 3
    models_column = page.table_with("slice", "model", "n", "share", "accuracy")
    assert len(models_column) == 3


def test_suite_on_several_models_runs_on_the_last(
    two_models: mp.Probe, tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    suite = mp.Suite("s", [mp.SliceTest(id="b", slice="g == 'b'", metric="accuracy", at_least=0.7)])
    suite_path = suite.save(tmp_path / "s.mlprobe.yaml")
    html = two_models.report(tmp_path / "r.html", suite=suite_path).read_text(encoding="utf-8")
    page = read_page(html)
    assert "Run on model 'v2', the last of the probe's models (v1, v2)" in page.text
    counts = suite.run(two_models, model="v2").counts()
    shown = dict(re.findall(r'<li class="outcome-(\w+)">\w+: <b>(\d+)</b></li>', html))
    assert {k: int(v) for k, v in shown.items()} == counts
    # no by/slices: the comparison covers all rows
    [table] = page.table_with("slice", "n", "accuracy v1", "accuracy v2")
    assert [row[0] for row in table[1:]] == ["overall"]


@pytest.fixture(scope="module")
def regression() -> mp.Probe:
    rng = np.random.default_rng(2)
    n = 500
    size = rng.choice(["small", "large"], n, p=[0.7, 0.3])
    x = rng.normal(size=n)
    y = 2 * x + rng.normal(scale=np.where(size == "large", 2.0, 0.5))
    frame = pd.DataFrame({"size": size, "x": x, "y": y, "p1": 2 * x, "p2": 2 * x + 0.3})
    return mp.Probe(frame, target="y", predictions={"p1": "p1", "p2": "p2"})


def test_regression_report_has_no_confusion_and_compares_on_mae(
    regression: mp.Probe, tmp_path: Path
) -> None:
    html = regression.report(tmp_path / "r.html", by=["size", "x"]).read_text(encoding="utf-8")
    page = read_page(html)
    assert_self_contained(html)
    assert "confusion" not in page.sections and "task regression" in page.text
    assert "classes" not in page.text.split("How to read")[0]
    expected = regression.breakdown(by="size")
    assert breakdown_html(expected, sort="worst", max_rows=300) in html
    overall = expected[expected["slice"] == "overall"]
    [table] = page.table_with("model", "n", "mae", "rmse", "mean_error", "r2")
    assert table[1][2] == with_interval(overall.iloc[0], "mae")
    compare = regression.compare("p1", "p2", by="size")
    [first, _] = page.table_with("slice", "n", "mae p1", "mae p2", "delta")
    assert {row[0]: row[4] for row in first[1:]} == {
        r["slice"]: f"{r['delta']:+.3f}" for r in compare.to_dict("records")
    }
    svgs = decoded_svgs(page)
    assert len(svgs) == 4  # 2 breakdowns, 2 comparisons
    assert all(s.lstrip().startswith("<svg") for s in svgs)


def test_a_single_regression_model_metric_choice(
    regression: mp.Probe, tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    html = regression.report(tmp_path / "r.html", by="size", metrics="mean_error").read_text(
        encoding="utf-8"
    )
    page = read_page(html)
    assert page.table_with("slice", "model", "n", "share", "mean_error")
    assert "on mean_error: overall" in page.text  # the comparison uses the report's metric


def test_a_slice_named_overall_is_a_slice_in_the_report(tmp_path: Path) -> None:
    """Issue 14: the overall rows are known by their flag, so a user's slice called 'overall'
    is reported as a slice (it may be the worst one), not merged with all rows."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 400), "y": rng.integers(0, 2, 400)})
    wrong = (frame["g"] == "a").to_numpy() & (rng.random(400) < 0.6)
    probe = mp.Probe(frame, target="y", predictions=np.where(wrong, 1 - frame["y"], frame["y"]))
    named = mp.Slice("overall", mp.col("g") == "a")
    table = probe.breakdown(slices=[named])
    assert table["is_overall"].tolist() == [True, False]
    page = probe.report(tmp_path / "r.html", slices=[named]).read_text(encoding="utf-8")
    assert page.count(">overall<") >= 2  # the all-rows row and the user's slice


def test_fix_first_ranks_the_report_s_slices_by_what_fixing_them_buys(
    adult_report: Built, adult_probe: mp.Probe
) -> None:
    section = adult_report.html.split('id="fix-first"')[1].split("</section>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td>.*?<td>([+-][0-9.]+)</td>", section)
    assert rows, section
    buys = [float(value) for _, value in rows]
    assert buys == sorted(buys, reverse=True) and all(b > 0 for b in buys)
    first = html.unescape(rows[0][0])
    expected = adult_probe.priorities(slices=[first], metric=METRICS[0]).iloc[0]
    assert buys[0] == pytest.approx(float(expected["benefit"]), abs=0.0005)


# --- disparity between the groups of each by section (issue 16) ------------------------------


def test_each_by_section_gives_the_disparity_between_its_groups(
    adult_report: Built, adult_probe: mp.Probe
) -> None:
    from mlprobe.render.disparity import disparity_sentence

    assert adult_report.html.count("<h3>Disparity between groups</h3>") == len(BY)
    for by in BY:
        columns = by if isinstance(by, str) else list(by)
        row = adult_probe.disparity(columns, "recall[>50K]").iloc[0]
        assert html.escape(disparity_sentence(row, confidence=0.95)) in adult_report.html


def test_a_binary_probe_with_a_positive_class_adds_parity_and_equalized_odds(
    tmp_path: Path,
) -> None:
    data = mp.datasets.load_adult().head(6000)
    rule = np.where(data["education_num"] >= 13, ">50K", "<=50K")
    probe = mp.Probe(data.assign(rule=rule), target="income", predictions="rule", positive=">50K")
    page = probe.report(tmp_path / "r.html", by="sex", metrics="fpr").read_text(encoding="utf-8")
    for metric in ("fpr", "demographic_parity", "equalized_odds"):
        row = probe.disparity("sex", metric).iloc[0]
        assert f"{metric} " in page and f"{row['difference']:.3f}" in page


def test_suite_section_shows_group_tests(
    two_models: mp.Probe, tmp_path: Path, fast_charts: list[dict[str, Any]]
) -> None:
    suite = mp.Suite(
        "fair",
        [
            mp.GroupTest(id="g-gap", by="g", metric="accuracy", max_difference=0.01, model="v1"),
            mp.GroupTest(id="g-none", by="nope", metric="accuracy", max_difference=0.1),
            mp.SliceTest(id="b", slice="g == 'b'", metric="accuracy", at_least=0.0),
        ],
    )
    html_text = two_models.report(tmp_path / "r.html", suite=suite).read_text(encoding="utf-8")
    page = read_page(html_text)
    result = suite.run(two_models, model="v2")
    [table] = page.table_with("test", "outcome", "metric", "observed")
    assert table[0][-1] == "slice or groups"
    rows = {row[0]: row for row in table[1:]}
    outcomes = result.outcomes.set_index("id")
    assert rows["g-gap"][1] == outcomes.loc["g-gap", "outcome"]
    assert rows["g-gap"][2] == "accuracy difference"
    assert rows["g-gap"][3] == fmt(outcomes.loc["g-gap", "observed"])
    assert rows["g-gap"][-1] == "by g" and rows["b"][-1] == "g == 'b'"
    assert rows["g-none"][1] == "error"
    assert "by column &#x27;nope&#x27; is not in the data" in html_text


# --- history across versions (issue 17) -----------------------------------------------------


def test_a_run_store_adds_every_version_and_each_test_s_trend(tmp_path: Path) -> None:
    frame = pd.DataFrame({"g": ["a", "b"] * 100, "y": [0, 1, 1, 0] * 50, "p": [0, 1, 0, 0] * 50})
    probe = mp.Probe(frame, target="y", predictions={"v1": "p", "v2": "y"})
    suite = mp.Suite(
        "gates",
        [
            mp.SliceTest(id="a-accuracy", slice="g == 'a'", metric="accuracy", at_least=0.8),
            mp.GroupTest(id="g-fnr", by="g", metric="fnr", max_difference=0.2),
        ],
    )
    store = tmp_path / "runs.db"
    for version in ("v1", "v2"):
        suite.run(probe, model=version, record=store, version=version)
    page = probe.report(tmp_path / "r.html", by="g", suite=suite, history=store).read_text(
        encoding="utf-8"
    )
    parsed = read_page(page)
    assert '<section id="history">' in page and "History across versions" in page
    observed, outcomes = parsed.table_with("version \\ test_id", "a-accuracy", "g-fnr")
    assert observed[1:] == [["v1", "0.500", "1.000"], ["v2", "1.000", "0.000"]]
    assert outcomes[1:] == [["v1", "failed", "failed"], ["v2", "passed", "passed"]]
    assert "a-accuracy: observed value per recorded run" in page
    with pytest.raises(mp.ValidationError, match="history: expected the path"):
        probe.report(tmp_path / "r.html", history=3)  # type: ignore[arg-type]
