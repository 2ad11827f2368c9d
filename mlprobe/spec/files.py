"""Read and write suite files: YAML or JSON, data only, written atomically.

Loading never runs anything from the file: YAML goes through a safe loader
that refuses tags (``!!python/object`` and friends) and aliases, dates stay
text, and the size and nesting of a document are bounded. Saving writes a
temporary file beside the target and renames it over, so a crash never
leaves half a file.

Examples
--------
>>> read_document_text("mlprobe: 1\\nname: x\\ntests: []\\n", source="inline.yaml")
{'mlprobe': 1, 'name': 'x', 'tests': []}
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

from mlprobe.spec.errors import SuiteFileError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "dump_document",
    "read_document",
    "read_document_text",
    "write_atomic",
]

#: Largest suite file read, in bytes.
MAX_BYTES = 5_000_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64


class _DataLoader(yaml.SafeLoader):
    """Safe YAML without tags, aliases or implicit dates, nested at most MAX_DEPTH deep."""

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

    def construct_undefined(self, node: Any) -> Any:
        raise SuiteFileError(
            f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed in a suite "
            f"file (line {node.start_mark.line + 1}); suite files hold plain data only."
        )


_DataLoader.add_constructor(None, _DataLoader.construct_undefined)
for _tag in (
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
):
    _DataLoader.add_constructor(_tag, _DataLoader.construct_undefined)
# dates such as 2026-11-28 stay text: remove the implicit timestamp resolver
_DataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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


def read_document_text(text: str, *, source: str) -> Any:
    """Parse suite file text (JSON when ``source`` ends in .json, else YAML) as plain data."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise SuiteFileError(f"{source}: larger than {MAX_BYTES:,} bytes; split the suite.")
    try:
        if source.endswith(".json"):
            document = json.loads(text, parse_constant=_refuse_constant)
        else:
            loader = _DataLoader(text)
            try:
                document = loader.get_single_data()
            finally:
                loader.dispose()
    except SuiteFileError as error:
        raise SuiteFileError(f"{source}: {error}") from None
    except RecursionError:
        raise SuiteFileError(f"{source}: nested more than {MAX_DEPTH} levels deep.") from None
    except (yaml.YAMLError, json.JSONDecodeError, ValueError) as error:
        detail = str(error).replace("\n", " ")
        raise SuiteFileError(
            f"{source}: not valid {'JSON' if source.endswith('.json') else 'YAML'}: {detail}"
        ) from None
    _check_depth(document, source)
    return document


def _refuse_constant(name: str) -> Any:
    raise SuiteFileError(f"{name} is not a value a suite file may hold.")


def read_document(path: str | os.PathLike[str]) -> Any:
    """Read a suite file from disk as plain data."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SuiteFileError(f"{path}: no such suite file.") from None
    if size > MAX_BYTES:
        raise SuiteFileError(f"{path}: larger than {MAX_BYTES:,} bytes; split the suite.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SuiteFileError(f"{path}: not UTF-8 text ({error.reason}).") from None
    return read_document_text(text, source=str(path))


class _FlowDict(dict[str, Any]):
    """A mapping written on one line (``{column: age, ge: 60}``)."""


class _Dumper(yaml.SafeDumper):
    yaml_implicit_resolvers = _DataLoader.yaml_implicit_resolvers  # dates need no quotes

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)  # indent list items under their key


def _represent_str(dumper: yaml.SafeDumper, data: str) -> Any:
    # PyYAML writes NEL and the Unicode line/paragraph separators raw in plain and
    # single-quoted scalars, and reads them back as line breaks (folded to spaces):
    # double quotes escape them, so the text survives a round trip.
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    if style is None and "\n" in data:
        style = "|"  # multi-line text (descriptions) as a literal block; PyYAML falls back if unfit
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _FlowDict,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)


def _flow_leaves(value: Any, key: str | None = None) -> Any:
    """Write slices, expectations and baselines in flow style; the rest in block style."""
    if isinstance(value, dict):
        if key in ("slice", "expect", "baseline"):
            return _FlowDict(value)
        return {k: _flow_leaves(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_flow_leaves(v) for v in value]
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
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
