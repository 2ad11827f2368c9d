"""Read and write suite files: YAML or JSON, data only, written atomically.

Loading never runs anything from the file: YAML goes through a safe loader
that refuses tags (``!!python/object`` and friends) and aliases, dates stay
text, and the size and nesting of a document are bounded. Saving writes a
temporary file beside the target and renames it over, so a crash never
leaves half a file.

A key given twice in one mapping (or JSON object) is refused, at any depth:
YAML and JSON readers would silently keep the last value.

Plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules:

- booleans are ``true`` / ``false`` (also ``True``, ``TRUE``, ``False``,
  ``FALSE``) and nothing else: ``yes``, ``no``, ``on``, ``off``, ``y``, ``n``
  are text;
- null is ``null``, ``Null``, ``NULL``, ``~`` or nothing;
- integers are decimal (``017`` is 17, never octal 15), ``0o17`` (octal) or
  ``0x1F`` (hexadecimal); no ``_`` separators, no binary, no base 60
  (``1:20`` is the text ``"1:20"``, never 80);
- floats are YAML 1.2 floats that have a decimal point (``0.8``, ``.5``,
  ``1.5e-3``, ``1.e3``) and ``.inf``, ``-.inf``, ``.nan``. One deliberate
  difference from YAML 1.2: an exponent without a decimal point (``1e3``)
  stays text, as mlprobe and PyYAML have always read it; write ``1.0e3`` or
  ``1000`` for the number.

Explicit standard tags (``!!int 017``, ``!!bool yes``) follow the same rules.
Saving quotes every string that any of these readers -- mlprobe, a YAML 1.2
reader, or a YAML 1.1 reader such as PyYAML's ``yaml.safe_load`` -- would read
as something other than that string (``'no'``, ``'1:20'``, ``'017'``,
``'1e3'``, ``'null'``, ``''``), so a saved suite loads back exactly and other
tools read the same values. The one exception is a baseline's ``recorded``
date, written bare (``recorded: 2026-11-28``): it is a date either way.

Examples
--------
>>> read_document_text("mlprobe: 1\\nname: x\\ntests: []\\n", source="inline.yaml")
{'mlprobe': 1, 'name': 'x', 'tests': []}
>>> read_document_text("eq: no\\nat: 1:20\\nn: 017\\nok: true", source="inline.yaml")
{'eq': 'no', 'at': '1:20', 'n': 17, 'ok': True}
>>> print(dump_document({"eq": "no", "at": "1:20", "n": "017", "ok": True}), end="")
eq: 'no'
at: '1:20'
n: '017'
ok: true
>>> read_document_text("expect: {at_least: 0.5, at_least: 0.9}", source="s.yaml")
Traceback (most recent call last):
...
mlprobe.spec.errors.SuiteFileError: s.yaml: expect: the key 'at_least' is given twice (at_least: 0.5 on line 1, column 10; at_least: 0.9 on line 1, column 25); a YAML reader would silently keep only the last. Keep the one you mean and delete the other.
>>> read_document_text("x: !!python/object/apply:os.system ['ls']", source="evil.yaml")
Traceback (most recent call last):
...
mlprobe.spec.errors.SuiteFileError: evil.yaml: the tag '!!python/object/apply:os.system' is not allowed in a suite file (line 1); suite files hold plain data only.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from mlprobe.spec import yaml_scalars
from mlprobe.spec.errors import SuiteFileError
from mlprobe.spec.schema import field_path

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "check_depth",
    "decode_text",
    "dump_document",
    "holds_suite",
    "read_document",
    "read_document_text",
    "write_atomic",
]

#: Largest suite file read, in bytes.
MAX_BYTES = 5_000_000
#: Deepest nesting of mappings and lists accepted when loading, and so when saving:
#: ``Suite.dumps`` refuses a suite nested deeper, so whatever saves also loads.
#: The file's top level, ``tests``, a test and its ``slice`` take 4 levels; each
#: ``and`` / ``or`` inside a slice takes 2 more (a list and a mapping), each ``not`` 1.
MAX_DEPTH = 64


_Mixin: Any = object  # typed Any: the rules reach PyYAML's composer and constructor via super()


class _DataRules(_Mixin):
    """Safe YAML 1.2 core data: no tags, aliases, dates or duplicate keys; at most MAX_DEPTH deep.

    Mixed into a loader before PyYAML's composer and constructor (``super()`` reaches them).
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise SuiteFileError(
                f"aliases (*{event.anchor}) are not allowed in a suite file "
                f"(line {event.start_mark.line + 1}); write the value out."
            )
        # stop deep nesting here, before PyYAML's scanner (quadratic in the depth of
        # [[[...]]]) and composer (recursive) spend seconds reaching the recursion limit
        if self._depth >= MAX_DEPTH:
            raise SuiteFileError(f"nested more than {MAX_DEPTH} levels deep.")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Any) -> Any:
        _refuse_duplicate_keys(node)  # on the nodes, before a dict keeps only the last
        return super().construct_document(node)

    def flatten_mapping(self, node: Any) -> None:
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge":  # '!!merge <<: {...}', without an alias
                raise SuiteFileError(
                    f"merge keys (<<) are not allowed in a suite file (line "
                    f"{key.start_mark.line + 1}); write the keys out."
                )
        super().flatten_mapping(node)

    def construct_undefined(self, node: Any) -> Any:
        raise SuiteFileError(
            f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed in a suite "
            f"file (line {node.start_mark.line + 1}); suite files hold plain data only."
        )

    def construct_yaml12_scalar(self, node: Any) -> Any:
        """A bool, int, float or null by YAML 1.2 rules (implicit, or an explicit ``!!int``...)."""
        text = self.construct_scalar(node)
        try:
            return yaml_scalars.construct(node.tag, text)
        except yaml_scalars.ScalarError as error:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise SuiteFileError(
                f"{text!r} tagged {tag} is not a valid {tag[2:]} (line "
                f"{node.start_mark.line + 1}): {error}. Remove the tag to write text."
            ) from None


class _DataLoader(_DataRules, yaml.SafeLoader):
    """The pure-Python loader: the reference, and the source of parse error messages."""


_LibyamlParser: Any
try:  # libyaml, when PyYAML was built with it
    from yaml._yaml import CParser as _LibyamlParser
except ImportError:  # pragma: no cover - depends on the PyYAML build
    _LibyamlParser = None


class _PythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python scanner and parser alone: the events, when libyaml is absent."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)

    def dispose(self) -> None:
        self.states = []
        self.state = None


_DataLoader.add_constructor(None, _DataLoader.construct_undefined)
for _tag in (
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
):
    _DataLoader.add_constructor(_tag, _DataLoader.construct_undefined)
for _tag in (yaml_scalars.BOOL, yaml_scalars.INT, yaml_scalars.FLOAT, yaml_scalars.NULL):
    _DataLoader.add_constructor(_tag, _DataLoader.construct_yaml12_scalar)
# YAML 1.2 core plain scalars, in place of PyYAML's YAML 1.1 ones: no yes/no/on/off
# booleans, no base-60 or leading-zero octal numbers, no implicit dates, merge keys or '='
_DataLoader.yaml_implicit_resolvers = yaml_scalars.MLPROBE_TABLE


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    text = str(node.value).replace("\n", " ")
    return text if len(text) <= 40 else text[:37] + "..."


def _duplicate_key_message(path: list[Any], key: str, first: str, second: str, reader: str) -> str:
    where = f"{field_path(path)}: the key" if path else "the top-level key"
    return (
        f"{where} {key!r} is given twice ({first}; {second}); a {reader} reader would silently "
        "keep only the last. Keep the one you mean and delete the other."
    )


def _refuse_duplicate_keys(root: yaml.Node) -> None:
    """Raise on the first mapping, in document order, that gives a key twice."""
    stack: list[tuple[yaml.Node, list[Any]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        children: list[tuple[yaml.Node, list[Any]]] = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], tuple[yaml.Node, yaml.Node]] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):  # refused when constructed
                    continue
                earlier = seen.setdefault((key.tag, key.value), (key, value))
                if earlier[0] is not key:
                    marks = [earlier[0].start_mark, key.start_mark]
                    same_line = marks[0].line == marks[1].line
                    places = [
                        f"line {m.line + 1}" + (f", column {m.column + 1}" if same_line else "")
                        for m in marks
                    ]
                    raise SuiteFileError(
                        _duplicate_key_message(
                            path,
                            key.value,
                            f"{key.value}: {_shown(earlier[1])} on {places[0]}",
                            f"{key.value}: {_shown(value)} on {places[1]}",
                            "YAML",
                        )
                    )
                children.append((value, [*path, key.value]))
        elif isinstance(node, yaml.SequenceNode):
            children = [(child, [*path, i]) for i, child in enumerate(node.value)]
        stack.extend(reversed(children))


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that gave a key twice: found, with its path, after parsing."""

    duplicate: tuple[str, Any, Any] = ("", None, None)


def _json_loads(text: str) -> Any:
    """``json.loads`` that refuses NaN / Infinity and a key given twice in one object."""
    found = False

    def make_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        result: dict[str, Any] = {}
        duplicate = None
        for key, value in pairs:
            if duplicate is None and key in result:
                duplicate = (key, result[key], value)
            result[key] = value
        if duplicate is None:
            return result
        found = True
        marked = _DuplicateKeys(result)
        marked.duplicate = duplicate
        return marked

    document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=make_object)
    if found:  # the hook sees one object at a time; the walk finds where it is
        _refuse_duplicate_json_keys(document)
    return document


def _refuse_duplicate_json_keys(document: Any) -> None:
    stack: list[tuple[Any, list[Any]]] = [(document, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _DuplicateKeys):
            key, first, second = node.duplicate
            shown = [_shown_json(first), _shown_json(second)]
            raise SuiteFileError(
                _duplicate_key_message(
                    path, key, f'"{key}": {shown[0]}', f'"{key}": {shown[1]}', "JSON"
                )
            )
        if isinstance(node, dict):
            stack.extend(reversed([(v, [*path, k]) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(v, [*path, i]) for i, v in enumerate(node)]))


def _shown_json(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def check_depth(value: Any, source: str) -> None:
    """Raise unless ``value`` nests at most MAX_DEPTH levels and its keys are text.

    Saving runs the same check, so a suite that saves also loads.
    """
    _check_depth(value, source)


def _check_depth(value: Any, source: str) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SuiteFileError(f"{source}: nested more than {MAX_DEPTH} levels deep.")
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    raise SuiteFileError(
                        f"{source}: keys must be text; received the key {key!r} "
                        f"({type(key).__name__})."
                    )
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _yaml_error(error: yaml.YAMLError, text: str) -> str:
    """A YAML syntax error in one line: where (line, column, the line's text), what, and the fix.

    PyYAML's own message spans several lines, names ``<unicode string>`` rather than the
    file, and draws a caret under a copy of the line; this says the same in one line.
    """
    lines = text.splitlines()

    def where(line: int, column: int) -> str:
        shown = lines[line].strip() if 0 <= line < len(lines) else ""
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"line {line + 1}, column {column + 1}" + (f" ({shown!r})" if shown else "")

    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line, column = before.count("\n"), len(before) - (before.rfind("\n") + 1)
        code = error.character if isinstance(error.character, int) else ord(error.character[0])
        return (
            f"{where(line, column)}: the control character U+{code:04X} is not allowed in YAML. "
            f'Delete it, or write it as an escape inside double quotes ("\\u{code:04x}").'
        )
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if not isinstance(error, yaml.MarkedYAMLError) or mark is None or not problem:
        return str(error).replace("\n", " ")  # pragma: no cover - PyYAML marks its errors
    context = error.context or ""
    started = error.context_mark
    if "single document" in context and started is not None:  # the composer's words, reordered
        problem = "a second document starts here"
        context = f"the first starts at line {started.line + 1}"
        started = None
    if (
        context
        and started is not None
        and (started.line, started.column) != (mark.line, mark.column)
    ):
        context += f" that starts at line {started.line + 1}, column {started.column + 1}"
    detail = f"{problem} ({context})" if context else problem
    return f"{where(mark.line, mark.column)}: {detail}. {_yaml_fix(context, problem)}"


def _yaml_fix(context: str, problem: str) -> str:
    """What to change for the usual YAML syntax errors."""
    both = f"{context} {problem}"
    if "quoted scalar" in both:
        return (
            "Close the quote that starts there; inside quotes write '' for ' (in '...') "
            'or \\" for " (in "...").'
        )
    if "'\\t'" in problem:
        return "Indent with spaces: YAML does not allow tabs there."
    if "flow" in both:
        return (
            "Close each [ with ] and each { with }, and separate their items with commas "
            "(inside [ ] items are 'a, b', not '- a' lines); quote text that starts with [ or {."
        )
    if "mapping values are not allowed" in problem:
        return (
            "Quote a value that holds ': ' ('a: b' in quotes), and start the keys of one "
            "mapping in the same column."
        )
    if "second document" in both:
        return (
            "A suite file holds one YAML document: remove the '---' line and what follows it, "
            "or merge the documents."
        )
    if "unhashable key" in problem:
        return "Keys must be text: write the key as a word, not a list or mapping."
    if "expected ':'" in problem:
        return "Write each key as 'key: value', with a space after the colon."
    return (
        "Check the indentation (the keys of one mapping, and the '- ' items of one list, start "
        "in the same column), the quotes and the brackets on that line and the one before."
    )


def read_document_text(text: str, *, source: str) -> Any:
    """Parse suite file text (JSON when ``source`` ends in .json, else YAML) as plain data."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise SuiteFileError(f"{source}: larger than {MAX_BYTES:,} bytes; split the suite.")
    try:
        document = _json_loads(text) if source.endswith(".json") else _load_yaml(text)
    except SuiteFileError as error:
        raise SuiteFileError(f"{source}: {error}") from None
    except RecursionError:
        raise SuiteFileError(f"{source}: nested more than {MAX_DEPTH} levels deep.") from None
    except yaml.YAMLError as error:
        raise SuiteFileError(f"{source}: not valid YAML: {_yaml_error(error, text)}") from None
    except (json.JSONDecodeError, ValueError) as error:
        detail = str(error).replace("\n", " ")
        raise SuiteFileError(
            f"{source}: not valid {'JSON' if source.endswith('.json') else 'YAML'}: {detail}"
        ) from None
    _check_depth(document, source)
    return document


def _load_yaml(text: str) -> Any:
    """One YAML document as data.

    The fast path builds the data straight from the parser's events (libyaml's when
    present) in one loop, without PyYAML's nodes and constructor, and accepts only
    plain data it fully understands. Anything else -- a syntax error, a tag, an
    anchor or alias, a key given twice, a key that is not a scalar, deep nesting,
    several documents -- is read again by :class:`_DataLoader`, the reference, which
    decides and words the error exactly as it always has.
    """
    parser = _LibyamlParser(text) if _LibyamlParser is not None else _PythonParser(text)
    try:
        document = _build_from_events(parser.get_event)
    except yaml.YAMLError:
        document = _UNSURE  # read again below: the pure-Python parser's messages are documented
    finally:
        parser.dispose()
    if document is not _UNSURE:
        return document
    return _compose_and_construct(_DataLoader(text))


#: What :func:`_build_from_events` returns when the reference loader must decide.
_UNSURE: Any = object()
_NO_KEY: Any = object()
_CONTAINER_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
#: First characters of plain scalars that may be something other than text (YAML 1.2 core).
_MAYBE_NOT_TEXT = frozenset(yaml_scalars.MLPROBE_TABLE) - {None}


def _plain_scalar(text: str) -> Any:
    if None in yaml_scalars.MLPROBE_TABLE or text[:1] in _MAYBE_NOT_TEXT:
        return yaml_scalars.scalar_value(text)
    return text


def _build_from_events(next_event: Any) -> Any:
    """The document's data, built from parser events; :data:`_UNSURE` for anything unusual.

    Gives exactly what :class:`_DataLoader` gives whenever it returns data: plain
    scalars by the same YAML 1.2 table, quoted ones as text, mappings in order. It
    never raises a :class:`SuiteFileError` itself: every refusal is the reference's.
    """
    if not isinstance(next_event(), yaml.StreamStartEvent):
        return _UNSURE
    if not isinstance(next_event(), yaml.DocumentStartEvent):
        return _UNSURE  # an empty stream, among others
    plain: dict[str, Any] = {}  # plain scalar text -> value; ids repeat less than 'accuracy'
    open_containers: list[Any] = []  # open lists and dicts, innermost last
    keys: list[Any] = []  # for each open dict, the key waiting for its value (else _NO_KEY)
    root: Any = _UNSURE
    scalar_event = yaml.ScalarEvent
    while root is _UNSURE:
        event = next_event()
        kind = type(event)
        if kind is scalar_event:
            if event.tag is not None or event.anchor is not None:
                return _UNSURE
            text = event.value
            if event.implicit[0]:
                value = plain.get(text, _NO_KEY)
                if value is _NO_KEY:
                    try:
                        value = plain[text] = _plain_scalar(text)
                    except yaml_scalars.ScalarError:  # pragma: no cover - the table's values fit
                        return _UNSURE
            else:
                value = text
        elif kind in _CONTAINER_EVENTS:
            if event.tag is not None or event.anchor is not None:
                return _UNSURE
            # the reference refuses any node deeper than MAX_DEPTH: containers here stay
            # at most MAX_DEPTH - 1 deep, so whatever they hold is at most MAX_DEPTH deep
            if len(open_containers) >= MAX_DEPTH - 1:
                return _UNSURE
            value = {} if kind is yaml.MappingStartEvent else []
        elif kind in _END_EVENTS:
            if not open_containers:  # pragma: no cover - the parser pairs them
                return _UNSURE
            closed = open_containers.pop()
            if keys.pop() is not _NO_KEY:  # pragma: no cover - the parser pairs keys and values
                return _UNSURE
            if not open_containers:
                root = closed
            continue
        else:  # an alias, or anything else
            return _UNSURE
        if not open_containers:
            if kind is scalar_event:
                root = value
                break
        else:
            parent = open_containers[-1]
            if type(parent) is list:
                parent.append(value)
            else:
                key = keys[-1]
                if key is _NO_KEY:
                    # a list or mapping as a key, or a key given twice (or two keys equal
                    # as values, 1 and 1.0): the reference refuses or decides
                    if kind is not scalar_event or value in parent:
                        return _UNSURE
                    keys[-1] = value
                else:
                    parent[key] = value
                    keys[-1] = _NO_KEY
        if kind is not scalar_event:
            open_containers.append(value)
            keys.append(_NO_KEY)
    if not isinstance(next_event(), yaml.DocumentEndEvent):
        return _UNSURE  # pragma: no cover - the parser ends every document
    if not isinstance(next_event(), yaml.StreamEndEvent):
        return _UNSURE  # another document: the reference says so
    return root


def _compose_and_construct(loader: Any) -> Any:
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _refuse_constant(name: str) -> Any:
    raise SuiteFileError(f"{name} is not a value a suite file may hold.")


def read_document(path: str | os.PathLike[str]) -> Any:
    """Read a suite file from disk as plain data.

    At most ``MAX_BYTES + 1`` bytes are read, whatever the file is (a pipe or a
    device has no size to check first): one byte more than the limit is refused.
    """
    shown = os.fspath(path)  # as given: 'suites/' stays 'suites/'
    path = Path(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SuiteFileError(f"{shown}: no such suite file.") from None
    except IsADirectoryError:
        raise SuiteFileError(
            f"{shown}: is a directory, not a suite file; give the path of a file "
            "such as tests/model.mlprobe.yaml."
        ) from None
    except PermissionError:
        raise SuiteFileError(
            f"{shown}: permission denied; make the suite file readable to this user."
        ) from None
    except OSError as error:
        raise SuiteFileError(f"{shown}: cannot be read: {error.strerror or error}.") from None
    if len(data) > MAX_BYTES:
        raise SuiteFileError(f"{shown}: larger than {MAX_BYTES:,} bytes; split the suite.")
    return read_document_text(decode_text(data, source=shown), source=shown)


def decode_text(data: bytes, *, source: str) -> str:
    """Suite file bytes as text: UTF-8, else an error naming the source."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SuiteFileError(
            f"{source}: not UTF-8 text ({error.reason} at byte {error.start}); "
            "save the file as UTF-8."
        ) from None


class _FlowDict(dict[str, Any]):
    """A mapping written on one line (``{column: age, ge: 60}``)."""


class _FlowList(list[Any]):
    """A short list written on one line (``by: [race, sex]``, ``bins: [30, 50]``)."""


class _Date(str):
    """A baseline's ``recorded`` date, written bare: every reader takes it for a date or its text."""

    __slots__ = ()


class _Quoted(str):
    """A value other YAML 1.1 readers take for a boolean (``y``, ``n``): written quoted."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    yaml_implicit_resolvers = yaml_scalars.MLPROBE_TABLE

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # a string is written bare only when every reader -- mlprobe, YAML 1.2, YAML 1.1
        # (PyYAML) -- reads it back as that string; otherwise the emitter quotes it
        if kind is yaml.ScalarNode and implicit[0]:
            return yaml_scalars.misread_tag(value) or yaml_scalars.STR
        return super().resolve(kind, value, implicit)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)  # indent list items under their key


def _represent_str(dumper: yaml.SafeDumper, data: str) -> Any:
    # PyYAML writes NEL and the Unicode line/paragraph separators raw in plain and
    # single-quoted scalars, and reads them back as line breaks (folded to spaces):
    # double quotes escape them, so the text survives a round trip.
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    if style is None and "\n" in data:
        style = "|"  # multi-line text (descriptions) as a literal block; PyYAML falls back if unfit
    return dumper.represent_scalar(yaml_scalars.STR, data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Date, lambda dumper, data: dumper.represent_scalar(yaml_scalars.TIMESTAMP, str(data))
)
_Dumper.add_representer(
    _Quoted, lambda dumper, data: dumper.represent_scalar(yaml_scalars.STR, str(data), style="'")
)
_Dumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)
_Dumper.add_representer(
    _FlowDict,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)


def _bare_date(value: Any) -> Any:
    """``2026-11-28`` as a :class:`_Date`, written bare; anything else unchanged."""
    if isinstance(value, str) and yaml_scalars.misread_tag(value) == yaml_scalars.TIMESTAMP:
        return _Date(value)  # mlprobe and YAML 1.2 read text, YAML 1.1 a date: both fine here
    return value


def _flow_leaves(value: Any, key: str | None = None) -> Any:
    """Write slices, expectations, baselines and group tests' ``by`` and ``bins`` lists in flow
    style; the rest in block style."""
    if isinstance(value, dict):
        items = {k: _flow_leaves(v, k) for k, v in value.items()}
        if key == "baseline" and "recorded" in items:
            items["recorded"] = _bare_date(items["recorded"])
        return _FlowDict(items) if key in ("slice", "expect", "baseline") else items
    if isinstance(value, list):
        elements = [_flow_leaves(v) for v in value]
        return _FlowList(elements) if key in ("by", "bins") else elements
    if isinstance(value, str) and value in yaml_scalars.YAML_11_SPEC_BOOLEANS:
        return _Quoted(value)  # a value, not a key: 'n' is a key of the format (baselines)
    return value


def dump_document(document: dict[str, Any], *, json_format: bool = False) -> str:
    """Format a suite document stably: fixed key order, one test after another."""
    if json_format:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(
        _flow_leaves(document),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A symbolic link stays a link: the file it points to is replaced (atomically,
    through a temporary file beside that file). Errors name ``path``, never the
    temporary file.
    """
    shown = os.fspath(path)
    if not str(shown).strip():
        raise SuiteFileError(
            "save: the path is empty; give a suite file path such as tests/model.mlprobe.yaml."
        )
    target = Path(os.path.realpath(path))  # through symlinks, so the link itself survives
    if target.is_dir():
        raise SuiteFileError(
            f"{shown}: is a directory; give the path of a file such as "
            f"{Path(shown) / 'model.mlprobe.yaml'}."
        )
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        where = (
            f" (the link's target {target})" if str(target) != str(Path(shown).absolute()) else ""
        )
        raise SuiteFileError(
            f"{shown}{where}: cannot write the suite: {error.strerror or error}. Check that the "
            "directory exists, is writable and its file system is not read-only or full."
        ) from error
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise


def holds_suite(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is missing, empty, or holds a mlprobe suite (a mapping with 'mlprobe')."""
    path = Path(path)
    if not path.exists():
        return True
    if not path.is_file():
        return False
    try:
        if path.stat().st_size == 0:
            return True
        with path.open("rb") as stream:
            head = stream.read(MAX_BYTES + 1)
        document = read_document_text(decode_text(head, source=str(path)), source=str(path))
    except (OSError, SuiteFileError):
        return False
    return isinstance(document, dict) and "mlprobe" in document
