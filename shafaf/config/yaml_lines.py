"""YAML with line numbers, for a registry whose every problem names its line.

A SafeLoader that keeps the line of each mapping and key, reports duplicate
keys, and reads yes/no/on/off, Y/N and dates as plain text (in the registry
they are data values, such as the keys of a value map).

The file is parsed by libyaml (``CParser``) with the same resolvers and
constructors: a national registry of thousands of sources parses in a
fraction of the pure-Python parser's time. When libyaml refuses the text,
or finds a duplicate key, the pure-Python loader reads it again, so every
message about a broken file is that loader's, with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from shafaf.core.errors import RegistryError
from shafaf.core.text_checks import cleaned, text_problem


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A list that remembers the line of each item (a scalar item has no line of its own otherwise)."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers, reports duplicate keys, and reads
    yes/no/on/off, Y/N and dates as plain strings (they are data values here)."""

    duplicates: list[tuple[int, str]]


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)):
            loader.duplicates.append((line, f"a key must be a plain value, not {type(key).__name__}"))
            continue
        if key in out:
            loader.duplicates.append((line, f"duplicate key {key!r} (first at line {out.key_lines[key]})"))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python loader reads every file
    _CParser = None


if _CParser is not None:

    class _FastLoader(_CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """``_Loader``'s resolvers and constructors over libyaml's parser."""

        duplicates: list[tuple[int, str]]

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.yaml_constructors = _Loader.yaml_constructors


def _fast(text: str) -> tuple[bool, Any]:
    """(True, the tree) when libyaml reads ``text`` without a problem; (False, None) for the careful loader."""
    if _CParser is None:
        return False, None
    loader = _FastLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except (yaml.YAMLError, ValueError):  # refused (UnicodeError is a ValueError): said by the loader below
        return False, None
    finally:
        loader.dispose()
    return (False, None) if loader.duplicates else (True, data)


def read_yaml(path: Path) -> Any:
    return parse_yaml(read_bytes(path), path)


def read_bytes(path: Path) -> bytes:
    """The registry file's bytes, or RegistryError saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RegistryError(
            str(path), [(None, "the registry file does not exist (set --registry or SHAFAF_REGISTRY)")]
        ) from None
    except OSError as e:
        raise RegistryError(str(path), [(None, f"cannot read the registry: {e}")]) from e


def parse_yaml(content: bytes, path: Path) -> Any:
    """The YAML tree of a registry's bytes, its mappings and lists knowing their lines."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RegistryError(str(path), [(None, f"cannot read the registry: {e}")]) from e
    read, data = _fast(text)
    if read:
        return data
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise RegistryError(str(path), [(line, f"not valid YAML: {e.problem or e}")]) from e
    except yaml.YAMLError as e:
        raise RegistryError(str(path), [(None, f"not valid YAML: {e}")]) from e
    finally:
        loader.dispose()
    if loader.duplicates:
        raise RegistryError(str(path), loader.duplicates)
    return data


ONE_LINE_KEYS = frozenset({"name_fa", "name_en", "title_fa", "title_en"})


def registry_problems(data: Any) -> tuple[Any, list[tuple[int | None, str]]]:
    """The YAML tree with refused text replaced, and each problem with its line."""
    problems: list[tuple[int | None, str]] = []

    def walk(item: Any, line: int | None, name: str, one_line: bool) -> Any:
        if isinstance(item, str):
            problem = text_problem(item, one_line=one_line)
            if problem is None:
                return item
            problems.append((line, f"{name} has {problem}"))
            return cleaned(item, one_line=one_line)
        # A mapping or list the loader made comes back itself when nothing in it was refused (nearly always):
        # copying a national registry's tree cost more than checking it.
        if isinstance(item, LineDict):
            out = LineDict()
            out.line, out.key_lines = item.line, {}
            changed = False
            for key, inner in item.items():
                key_line = item.key_lines.get(key, item.line)
                if isinstance(key, str) and text_problem(key, one_line=True):
                    problems.append(
                        (key_line, f"the key {cleaned(key, one_line=True)!r} has {text_problem(key, one_line=True)}")
                    )
                    key, changed = cleaned(key, one_line=True), True
                out[key] = walk(inner, key_line, repr(key), key in ONE_LINE_KEYS)
                out.key_lines[key] = key_line
                changed = changed or out[key] is not inner or key_line != item.key_lines.get(key)
            return out if changed else item
        if isinstance(item, list):
            lines = getattr(item, "item_lines", None) or [getattr(inner, "line", line) for inner in item]
            out_list = LineList(walk(inner, at, name, one_line) for inner, at in zip(item, lines))
            if isinstance(item, LineList) and all(new is old for new, old in zip(out_list, item)):
                return item
            out_list.line, out_list.item_lines = getattr(item, "line", line or 0), list(lines)
            return out_list
        return item

    return walk(data, None, "the registry", False), problems
