"""The result of running a suite: outcomes as a table, a verdict, JUnit XML, HTML."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from dataclasses import asdict
from functools import cached_property
from xml.etree import ElementTree

import pandas as pd

from mlprobe.core.results import as_result
from mlprobe.spec.files import write_atomic
from mlprobe.spec.runner import OUTCOMES, TestOutcome

__all__ = ["SuiteResult"]

_COLUMNS = [
    "id",
    "outcome",
    "metric",
    "observed",
    "ci_low",
    "ci_high",
    "threshold",
    "n",
    "reason",
    "slice",
    "model",
    "description",
    "kind",
]
# characters XML 1.0 cannot hold, even escaped (control characters, lone surrogates...)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with the characters XML cannot hold written as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "inconclusive": "#9a6700", "error": "#8250df"}


class SuiteResult:
    """Outcomes of one suite run.

    ``passed`` is True when no test failed and none errored; inconclusive
    tests do not fail a run (the pytest option ``--mlprobe-strict`` makes them).
    """

    def __init__(
        self, suite_name: str, outcomes: Sequence[TestOutcome], *, run_id: int | None = None
    ) -> None:
        self.suite_name = suite_name
        self.items = list(outcomes)
        #: the id of the run in the run store, when the run was recorded (else None)
        self.run_id = run_id

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per test: id, outcome, metric, observed, ci_low, ci_high, threshold, n, reason, ...

        ``kind`` is ``"slice"`` or ``"group"``; a group test's ``slice`` reads ``"by race"``
        and its ``metric`` ``"fpr difference"`` (or ``ratio``).
        """
        frame = pd.DataFrame([asdict(o) for o in self.items], columns=_COLUMNS)
        frame["n"] = frame["n"].astype("Int64")
        return as_result(frame)

    @property
    def passed(self) -> bool:
        """True when nothing failed and nothing errored."""
        return not any(o.outcome in ("failed", "error") for o in self.items)

    def counts(self) -> dict[str, int]:
        """How many tests ended in each outcome."""
        return {k: sum(o.outcome == k for o in self.items) for k in OUTCOMES}

    def __repr__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items() if v)
        return f"<SuiteResult {self.suite_name!r}: {counts or 'no tests'}>"

    def __str__(self) -> str:
        lines = [f"  {o.outcome.upper():<12} {o.id}: {o.reason}" for o in self.items]
        return "\n".join([repr(self), *lines])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><b style='color:{_COLOURS[o.outcome]}'>{o.outcome}</b></td>"
            f"<td><code>{html.escape(o.id)}</code></td><td><code>{html.escape(o.slice)}</code></td>"
            f"<td>{html.escape(o.reason)}</td></tr>"
            for o in self.items
        )
        summary = html.escape(repr(self))
        return (
            f"<div class='mlprobe-suite-result'><p>{summary}</p><table>"
            "<thead><tr><th>outcome</th><th>test</th><th>slice or groups</th><th>details</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    def to_junit(self, path: str | os.PathLike[str]) -> None:
        """Write the outcomes as JUnit XML (failed -> failure, error -> error, inconclusive -> skipped)."""
        counts = self.counts()
        suite = ElementTree.Element(
            "testsuite",
            name=_xml_text(self.suite_name),
            tests=str(len(self.items)),
            failures=str(counts["failed"]),
            errors=str(counts["error"]),
            skipped=str(counts["inconclusive"]),
        )
        for o in self.items:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=_xml_text(f"mlprobe.{self.suite_name}"),
                name=_xml_text(o.id),
            )
            tag = {"failed": "failure", "error": "error", "inconclusive": "skipped"}.get(o.outcome)
            if tag is not None:
                element = ElementTree.SubElement(case, tag, message=_xml_text(o.reason))
                label = "groups" if o.kind == "group" else "slice"
                text = f"{label}: {o.slice}\n{o.reason}\n{o.description}".strip()
                element.text = _xml_text(text)
        root = ElementTree.Element("testsuites")
        root.append(suite)
        ElementTree.indent(root)
        text = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
        write_atomic(path, text + "\n")
