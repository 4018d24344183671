"""Safe YAML loading and turning pydantic errors into one clear :class:`InputError`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ipsecon.errors import InputError

M = TypeVar("M", bound=BaseModel)
# libyaml's loader where PyYAML was built with it: the same documents, ten times faster
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_FILE_BYTES = 20_000_000  # far above any model, scenario or parameter file
# nodes of a document with every alias expanded: an alias bomb ("billion laughs") is a few
# lines that expand to billions of nodes, and whatever walks the data afterwards runs out of memory
MAX_NODES = 1_000_000
MAX_NESTING = 200  # levels of mappings and lists; deeper would strain Python's recursion limit


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with the safe loader; errors name the file and line.

    Refused with InputError: files over :data:`MAX_FILE_BYTES`, text that is not UTF-8, and
    documents whose aliases expand to more than :data:`MAX_NODES` nodes or that nest deeper
    than :data:`MAX_NESTING` levels."""
    path = Path(path)
    try:
        if "\0" in str(path):
            raise ValueError("a NUL byte in the path")
        if not path.is_file():
            raise InputError(_printable(path), None, "file not found", "an existing YAML file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(path, None, f"file is {size:,} bytes", f"YAML files up to {MAX_FILE_BYTES:,} bytes")
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise InputError(_printable(path), None, f"cannot read file ({_short(exc)})", "a readable YAML file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(path, f"line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         "YAML files saved as UTF-8") from None
    return parse_yaml(text, path)


def parse_yaml(text: str, file: str | Path | None) -> Any:
    """One YAML document from text, with the alias and nesting guards of :func:`load_yaml`."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # the full check where nodes may be shared (anchors), nested deeply or hold a NUL; else
        # (most files) a scan of the characters shows none can be, at a fraction of the cost
        if ("&" in text and ANCHOR.search(text)) or _nesting_bound(text) > MAX_NESTING or any(n in text for n in NUL_FORMS):
            _check_size(node, file, loader)
        try:
            return loader.construct_document(node)
        except (ValueError, OverflowError):  # e.g. a date such as 2024-02-30: find its line
            _check_dates(node, file, loader)
            raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(file, where, f"not valid YAML ({_short(getattr(exc, 'problem', None) or exc)})") from None
    except (ValueError, OverflowError) as exc:
        raise InputError(file, None, f"a value cannot be read ({_short(exc)})", "valid dates YYYY-MM-DD") from None
    except RecursionError:
        raise InputError(file, None, "nested too deeply", f"at most {MAX_NESTING} levels") from None
    finally:
        loader.dispose()


ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]")  # what could be an anchor (&name), also inside quotes
NUL_FORMS = ("\x00", "\\0", "\\x00", "\\u0000", "\\U00000000")  # a NUL character, raw or escaped


def _check_size(root: yaml.Node, file: str | Path | None, loader: Any) -> None:
    """Count the nodes of the document with aliases expanded (each shared node counted once per
    use, from a memo, so a bomb is measured without being expanded) and its nesting depth;
    refuse text with a NUL character."""
    expanded: dict[int, int] = {}
    depth_of: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if not done:
            if key in expanded:
                continue
            if key in on_path:  # a recursive alias (&a [*a]): the constructor would loop
                raise InputError(file, _line(node), "a recursive alias (an anchor used inside itself)", "acyclic YAML")
            on_path.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in expanded)
            continue
        on_path.discard(key)
        if isinstance(node, yaml.ScalarNode) and "\x00" in node.value:  # breaks paths, C libraries, netCDF text
            raise InputError(file, _where(root, node), "text with a NUL byte (\\0)", "text without NUL bytes")
        expanded[key] = 1 + sum(expanded[id(c)] for c in children)
        depth_of[key] = 1 + max((depth_of[id(c)] for c in children), default=0)
        if expanded[key] > MAX_NODES:
            raise InputError(file, _line(node), f"expands to more than {MAX_NODES:,} values (aliases counted each time "
                             "they are used)", f"documents of up to {MAX_NODES:,} values") from None
        if depth_of[key] > MAX_NESTING:
            raise InputError(file, _line(node), f"nested more than {MAX_NESTING} levels deep",
                             f"at most {MAX_NESTING} levels") from None


def _nesting_bound(text: str) -> int:
    """An upper bound on how deeply ``text`` nests, from its characters alone (no anchors assumed):
    a block collection nests by indenting (a sequence may sit at its key's indentation, and
    "- - x" nests on one line), a flow collection by brackets (counted as if none were quoted)."""
    indent = dashes = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = max(indent, len(line) - len(stripped))
        if stripped.startswith(("- ", "? ")):
            dashes = max(dashes, len(re.match(r"^(?:[-?] +)*", stripped).group(0).split()))
    depth = flow = 0
    for ch in re.findall(r"[\[\]{}]", text):
        depth = depth + 1 if ch in "[{" else depth - 1
        flow = max(flow, depth)
    return 2 * (indent + dashes + 1) + flow


def _check_dates(root: yaml.Node, file: str | Path | None, loader: Any) -> None:
    """Raise for the first date that is not one (the loader raises a bare ValueError for 2024-02-30)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:timestamp":
                _check_date(node, file, loader)
        else:
            stack.extend(_children(node))


def _check_date(node: yaml.ScalarNode, file: str | Path | None, loader: Any) -> None:
    try:
        loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        raise InputError(file, _line(node), f"{_short(node.value, 30)!r} is not a valid date ({_short(exc)})",
                         "dates as YYYY-MM-DD") from None


def _where(root: yaml.Node, target: yaml.Node) -> str | None:
    """The field path of ``target`` (a.b[1], as in validation messages) and its line."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            line = _line(node)
            return f"{path} ({line})" if path and line else path or line
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack += [(key, path), (value, f"{path}.{name}" if path else str(name))]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    return _line(target)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line(node: yaml.Node) -> str | None:
    mark = getattr(node, "start_mark", None)
    return f"line {mark.line + 1}" if mark else None


def _short(exc: Any, width: int = 80) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _printable(path: Path) -> str:
    return _short(repr(str(path))[1:-1])


_UNION_TAG = re.compile(r"^(float|int|str|bool|none|[a-z_]+\[.*\]|function-\w+\[.*)$")


def _field_path(loc: tuple, prefix: str | None) -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        if isinstance(item, str) and _UNION_TAG.match(item):  # which member of a union pydantic tried
            continue
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def _models_in(annotation: Any) -> list[Any]:
    """Pydantic models reachable in an annotation (through Optional, Union, list and dict values)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in getattr(annotation, "__args__", ()) or ():
        out += _models_in(arg)
    return out


def _is_container_of_models(annotation: Any) -> bool:
    """True for dict[..., Model] / list[Model] (possibly inside Optional): the next loc item is a key or index."""
    if get_origin(annotation) in (dict, list):
        return bool(_models_in(annotation))
    return any(_is_container_of_models(a) for a in get_args(annotation))


def _allowed_for(model: type[BaseModel], loc: tuple) -> str | None:
    """For an unknown key, list the keys the model at that location accepts."""
    current: Any = model
    pending_container = False
    for item in loc[:-1]:
        if pending_container:  # a dict key or list index inside a container field
            pending_container = False
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or item not in fields:
            return None
        annotation = fields[item].annotation
        pending_container = _is_container_of_models(annotation)
        models = _models_in(annotation)
        if not models:
            return None
        current = models[0]
    fields = getattr(current, "model_fields", None)
    return ", ".join(fields) if fields else None


def validate(model: type[M], data: Any, file: str | Path | None, prefix: str | None = None) -> M:
    """Validate ``data`` against a pydantic model, raising the first problem as InputError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # of the errors pydantic reports for each member of a union, the one that got furthest
        # names the real problem (a nan inside {a: nan} rather than "not a number, got dict")
        err = max(exc.errors(), key=lambda e: len(_field_path(tuple(e.get("loc", ())), None).split(".")))
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        path = _field_path(loc, prefix) or "(top level)"
        if kind == "extra_forbidden":
            raise InputError(file, path, "unknown key", _allowed_for(model, loc)) from None
        if kind == "missing":
            raise InputError(file, path, "required field is missing") from None
        given = err.get("input")
        given_text = _short(repr(given)) if not isinstance(given, (dict, list)) else type(given).__name__
        raise InputError(file, path, f"{_short(err.get('msg', 'invalid value'), 200)}, got {given_text}") from None
