"""Safe YAML loading and turning pydantic errors into one clear :class:`InputError`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ipsecon.errors import InputError

M = TypeVar("M", bound=BaseModel)
# libyaml's loader where PyYAML was built with it: the same documents, ten times faster
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with the safe loader; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "file not found", "an existing YAML file")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _field_path(loc: tuple, prefix: str | None) -> str:
    parts = [prefix] if prefix else []
    for item in loc:
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
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        path = _field_path(loc, prefix)
        if kind == "extra_forbidden":
            raise InputError(file, path, "unknown key", _allowed_for(model, loc)) from None
        if kind == "missing":
            raise InputError(file, path, "required field is missing") from None
        given = err.get("input")
        given_text = repr(given) if not isinstance(given, (dict, list)) else type(given).__name__
        raise InputError(file, path, f"{err.get('msg', 'invalid value')}, got {given_text}") from None
