"""Hypothesis strategies for suite files: random tests and suites, and mutated documents."""

from __future__ import annotations

import copy
import os
from dataclasses import replace
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from strategies import predicates

from mlprobe import Baseline, GroupTest, Slice, SliceTest, Suite
from mlprobe.spec import EXPECTATIONS, GROUP_EXPECTATIONS

__all__ = [
    "GROUP_DOCUMENT",
    "VALID_DOCUMENT",
    "any_values",
    "examples",
    "group_tests",
    "mutated_documents",
    "plain_yaml",
    "slice_test_ids",
    "slice_tests",
    "suites",
]


def examples(n: int) -> settings:
    """Hypothesis settings for ``n`` examples, scaled by ``MLPROBE_FUZZ_SCALE`` (default 1).

    The defaults keep the suite-file tests fast; ``MLPROBE_FUZZ_SCALE=50`` fuzzes for real.
    """
    scale = float(os.environ.get("MLPROBE_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, round(n * scale)),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


_FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def plain_yaml(document: Any) -> str:
    """``document`` as YAML written by plain PyYAML (libyaml when present: faster)."""
    return yaml.dump(document, Dumper=_FAST_DUMPER, allow_unicode=True, sort_keys=False)


#: Text that stresses YAML: quotes, line breaks (NEL, U+2028), tabs, emoji, YAML keywords.
AWKWARD_TEXT = [
    "",
    "yes",
    "No",
    "null",
    "~",
    "2026-11-28",
    "1_000",
    "0x1F",
    "1:20",
    "- item",
    "key: value",
    "# not a comment",
    "&anchor",
    "*alias",
    "!!python/object",
    "'single' \"double\"",
    "line\nbreak",
    "trailing space ",
    " leading",
    "tab\there",
    "nel\x85here",
    "ls\u2028ps\u2029",
    "bom\ufeff",
    "ünïcödé ✓ 😀",
    "{flow: [x]}",
]

texts = st.one_of(st.text(max_size=20), st.sampled_from(AWKWARD_TEXT))
names = texts.filter(lambda s: bool(s.strip()))
nonempty = texts.filter(bool)
slice_test_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}", fullmatch=True)
finite = st.floats(allow_nan=False, allow_infinity=False)


def baselines() -> st.SearchStrategy[Baseline]:
    return st.builds(
        Baseline,
        value=st.one_of(st.none(), finite),
        n=st.one_of(st.none(), st.integers(0, 10**9)),
        model=st.one_of(st.none(), texts),
        recorded=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
    )


# built once: building strategies anew in every draw costs more than drawing from them
_PREDICATES = predicates(max_leaves=4)
_SLICE_NAMES = st.one_of(st.none(), names)
_METRICS = st.one_of(st.sampled_from(["accuracy", "recall[>50K]", "mae"]), nonempty)
_KINDS = st.sampled_from(EXPECTATIONS)
_AMOUNTS = {"max": st.floats(0, 1e9, allow_nan=False), "any": finite}
_SUPPORTS = st.integers(0, 10**6)
_CONFIDENCES = st.one_of(st.none(), st.floats(0, 1, exclude_min=True, exclude_max=True))
_BASELINES = st.one_of(st.none(), baselines())
_TAGS = st.lists(nonempty, max_size=3)
_MODELS = st.one_of(st.none(), nonempty)
_FIXTURES = st.one_of(st.none(), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True))


@st.composite
def _slice_tests(draw: st.DrawFn) -> SliceTest:
    kind = draw(_KINDS)
    return SliceTest(
        id=draw(slice_test_ids),
        slice=Slice(draw(_SLICE_NAMES), draw(_PREDICATES)),
        metric=draw(_METRICS),
        min_support=draw(_SUPPORTS),
        confidence=draw(_CONFIDENCES),
        description=draw(texts),
        baseline=draw(_BASELINES),
        tags=draw(_TAGS),
        model=draw(_MODELS),
        **{kind: draw(_AMOUNTS["max" if kind.startswith("max_") else "any"])},
    )


_SLICE_TESTS = _slice_tests()


def slice_tests(test_id: str | None = None) -> st.SearchStrategy[SliceTest]:
    """A test with a random slice, each expectation kind and every optional field."""
    if test_id is None:
        return _SLICE_TESTS
    return _SLICE_TESTS.map(lambda test: replace(test, id=test_id))


_COLUMNS = st.one_of(st.sampled_from(["race", "sex", "age"]), nonempty)
_BY = st.one_of(_COLUMNS, st.lists(_COLUMNS, min_size=1, max_size=3, unique=True).map(tuple))
_BINS = st.one_of(
    st.none(),
    st.integers(1, 50),
    st.lists(finite, min_size=1, max_size=4, unique=True).map(lambda cuts: tuple(sorted(cuts))),
)
_GROUP_AMOUNTS = {
    "max_difference": st.floats(0, 1e9, allow_nan=False),
    "min_ratio": st.floats(0, 1, allow_nan=False),
}


@st.composite
def _group_tests(draw: st.DrawFn) -> GroupTest:
    kind = draw(st.sampled_from(GROUP_EXPECTATIONS))
    return GroupTest(
        id=draw(slice_test_ids),
        by=draw(_BY),
        bins=draw(_BINS),
        metric=draw(st.one_of(st.sampled_from(["fpr", "demographic_parity"]), _METRICS)),
        min_support=draw(_SUPPORTS),
        confidence=draw(_CONFIDENCES),
        description=draw(texts),
        baseline=draw(_BASELINES),
        tags=draw(_TAGS),
        model=draw(_MODELS),
        **{kind: draw(_GROUP_AMOUNTS[kind])},
    )


_GROUP_TESTS = _group_tests()
_ANY_TESTS = st.one_of(_SLICE_TESTS, _GROUP_TESTS)


def group_tests() -> st.SearchStrategy[GroupTest]:
    """A group test with random columns, bins, each expectation kind and every optional field."""
    return _GROUP_TESTS


@st.composite
def suites(draw: st.DrawFn, max_tests: int = 3) -> Suite:
    """A suite of up to ``max_tests`` tests (slice and group tests) with unique ids."""
    ids = draw(st.lists(slice_test_ids, unique=True, max_size=max_tests))
    return Suite(
        draw(names),
        [replace(draw(_ANY_TESTS), id=i) for i in ids],
        description=draw(texts),
        fixture=draw(_FIXTURES),
    )


# --- mutated documents, for fuzzing the loader ----------------------------------------

#: A valid document using every field and every predicate node type.
VALID_DOCUMENT: dict[str, Any] = {
    "mlprobe": 1,
    "name": "income-model",
    "description": "fuzz seed",
    "fixture": "my_probe",
    "tests": [
        {
            "id": "older-women-recall",
            "description": "Recall for women over 60.",
            "slice": {
                "name": "older women",
                "and": [
                    {"column": "age", "ge": 60},
                    {"not": {"column": "sex", "in": ["Male", "Other"]}},
                    {
                        "or": [
                            {"column": "hours", "between": [10, 20]},
                            {"column": "race", "is_null": True},
                        ]
                    },
                ],
            },
            "metric": "recall[>50K]",
            "expect": {"at_least": 0.8},
            "min_support": 50,
            "confidence": 0.9,
            "model": "v2",
            "tags": ["fairness"],
            "baseline": {"value": 0.84, "n": 812, "model": "v2", "recorded": "2026-11-28"},
        },
        {
            "id": "everyone",
            "slice": {"column": "age", "not_null": True},
            "metric": "accuracy",
            "expect": {"max_drop_from_baseline": 0.02},
        },
        {
            "id": "gap",
            "slice": {"column": "sex", "ne": "Male"},
            "metric": "error_rate",
            "expect": {"max_gap_to_overall": 0.05},
        },
    ],
}

#: Keys of the format, so mutations often produce near-valid documents.
KEYS = sorted(
    {
        "mlprobe", "name", "description", "fixture", "tests", "id", "slice", "metric",
        "expect", "min_support", "confidence", "baseline", "tags", "model", "value", "n",
        "recorded", "and", "or", "not", "column", "eq", "ne", "lt", "le", "gt", "ge", "in",
        "between", "is_null", "not_null", *EXPECTATIONS, "by", "bins", *GROUP_EXPECTATIONS,
    }
)  # fmt: skip

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities too
    st.text(max_size=8),
    st.sampled_from(KEYS),
    st.dates(),
)
_keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers(), st.none())


def any_values() -> st.SearchStrategy[Any]:
    """Nested lists and dicts of scalars, with non-text keys too."""
    return st.recursive(
        _scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(_keys, children, max_size=3),
        ),
        max_leaves=10,
    )


def _locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _locations(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _locations(child, (*path, i))
    return found


#: A valid document with group tests using every field of theirs.
GROUP_DOCUMENT: dict[str, Any] = {
    "mlprobe": 1,
    "name": "fairness",
    "tests": [
        {
            "id": "race-fpr",
            "description": "False positives must not fall on one group.",
            "by": "race",
            "metric": "fpr",
            "expect": {"max_difference": 0.1},
            "min_support": 50,
            "confidence": 0.9,
            "model": "v2",
            "tags": ["fairness"],
            "baseline": {"value": 0.08, "n": 5, "model": "v2", "recorded": "2026-11-28"},
        },
        {
            "id": "age-sex-selection",
            "by": ["age", "sex"],
            "bins": [30, 50],
            "metric": "selection_rate",
            "expect": {"min_ratio": 0.8},
        },
        {
            "id": "age-parity",
            "by": "age",
            "bins": 4,
            "metric": "demographic_parity",
            "expect": {"max_difference": 0.05},
        },
    ],
}


@st.composite
def mutated_documents(draw: st.DrawFn, seed: dict[str, Any] = VALID_DOCUMENT) -> Any:
    """``seed`` (:data:`VALID_DOCUMENT`) after a few drops, renames, retypes and insertions."""
    document: Any = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_locations(document)))
        if not path:
            if draw(st.booleans()):
                document = draw(any_values())
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "rename", "retype", "insert"]))
        if action == "drop":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(_keys)] = parent.pop(key)
        elif action == "retype":
            parent[key] = draw(any_values())
        elif isinstance(parent, dict):
            parent[draw(_keys)] = draw(any_values())
        else:
            parent.insert(key, draw(any_values()))
    return document
