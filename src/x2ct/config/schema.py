"""Turning YAML-like dicts into frozen dataclasses and back, with type checking.

Supported field types: bool, int, float, str, Literal[...], X | None, tuple[X, ...],
tuple[X, Y, ...] and nested dataclasses. Errors name the dotted key, what was expected and what
was found, and list the valid keys when a key is unknown.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints

from x2ct.errors import InputError


class ConfigError(InputError):
    """A configuration value or key that does not fit the schema."""


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(hint))
    if origin is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}"
        return f"list of {len(args)} ({', '.join(_type_name(a) for a in args)})"
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))


def coerce(value: Any, hint: Any, key: str, source: str | None) -> Any:
    """Check ``value`` against the type ``hint`` and convert lists to tuples, ints to floats."""
    origin = get_origin(hint)
    if origin is Literal:
        if value in get_args(hint):
            return value
    elif origin in (typing.Union, types.UnionType):
        for option in get_args(hint):
            try:
                return coerce(value, option, key, source)
            except ConfigError:
                continue
    elif origin is tuple:
        args = get_args(hint)
        if isinstance(value, list | tuple):
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(coerce(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value))
            if len(value) == len(args):
                return tuple(
                    coerce(v, a, f"{key}[{i}]", source)
                    for i, (v, a) in enumerate(zip(value, args, strict=True))
                )
    elif dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if isinstance(value, dict):
            return from_dict(hint, value, source, prefix=f"{key}.")
    elif hint is type(None):
        if value is None:
            return None
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is Any:
        return value
    raise ConfigError(
        source, f"{key} to be {_type_name(hint)}", f"{value!r} ({type(value).__name__})"
    )


def from_dict(cls: type, data: dict[str, Any], source: str | None = None, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from ``data``; missing keys take the dataclass defaults."""
    if not isinstance(data, dict):
        raise ConfigError(source, f"a mapping for {prefix.rstrip('.') or 'the config'}", repr(data))
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(
            source,
            f"keys of {prefix.rstrip('.') or 'the config'} among {', '.join(names)}",
            f"unknown key '{prefix}{unknown[0]}'",
        )
    values = {
        name: coerce(data[name], hints[name], f"{prefix}{name}", source)
        for name in names
        if name in data
    }
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(source, f"a valid {prefix.rstrip('.') or 'config'}", str(exc)) from None


def to_dict(obj: Any) -> Any:
    """Plain dict/list/scalar form of a (nested) dataclass, suitable for YAML or JSON."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj


def replace_key(
    obj: Any, dotted: str, raw_value: Any, source: str | None = None, prefix: str = ""
) -> Any:
    """Return a copy of dataclass ``obj`` with the field at ``dotted`` (a.b.c) set, type-checked."""
    head, _, rest = dotted.partition(".")
    names = [f.name for f in dataclasses.fields(obj)]
    if head not in names:
        valid = ", ".join(prefix + n for n in names)
        raise ConfigError(source, f"a key among {valid}", f"unknown key '{prefix}{dotted}'")
    current = getattr(obj, head)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ConfigError(
                source, f"'{prefix}{head}' to have sub-keys", f"'{prefix}{dotted}' on a plain value"
            )
        updated = replace_key(current, rest, raw_value, source, f"{prefix}{head}.")
        return dataclasses.replace(obj, **{head: updated})
    if dataclasses.is_dataclass(current):
        valid = ", ".join(f"{prefix}{head}.{f.name}" for f in dataclasses.fields(current))
        raise ConfigError(source, f"a key among {valid}", f"the section '{prefix}{head}' itself")
    hint = get_type_hints(type(obj))[head]
    return dataclasses.replace(obj, **{head: coerce(raw_value, hint, prefix + dotted, source)})
