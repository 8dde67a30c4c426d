"""Settings records (frozen dataclasses, nested) rebuilt from the plain dicts that checkpoints
store (``dataclasses.asdict``): the one way posefield turns stored settings back into settings.

Settings written before a field existed lack it; ``missing`` says, per dataclass, the value
such old records meant (e.g. Pose-NDF checkpoints from before ``mirror`` trained without it:
``{TrainConfig: {"mirror": False}}``). Fields absent from the record and from ``missing``
take the dataclass's default; unknown fields are refused (``TypeError``), as the dataclass
itself refuses them.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping, TypeVar

Settings = TypeVar("Settings")
Missing = Mapping[type, Mapping[str, Any]]


def settings_from_dict(cls: type[Settings], data: Mapping[str, Any], missing: Missing | None = None) -> Settings:
    """The ``cls`` record stored as ``data`` (the inverse of ``dataclasses.asdict``): nested
    settings rebuilt as their dataclasses, lists as tuples where a field is a tuple, and the
    fields ``missing`` names for a dataclass filled in where an old record lacks them."""
    missing = missing or {}
    hints = typing.get_type_hints(cls)
    values = {**missing.get(cls, {}), **data}
    return cls(**{name: stored_value(hints[name], value, missing) if name in hints else value
                  for name, value in values.items()})


def stored_value(hint: Any, value: Any, missing: Missing) -> Any:
    """``value`` as a field annotated ``hint`` holds it: a dict for a dataclass field rebuilt as
    that dataclass, a list or tuple for a tuple field as a tuple of its items' types."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return value if value is None or len(options) != 1 else stored_value(options[0], value, missing)
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return settings_from_dict(hint, value, missing)
    if origin is tuple and isinstance(value, (list, tuple)):
        items = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(items) != len(value):
            return tuple(value)
        return tuple(stored_value(h, v, missing) for h, v in zip(items, value))
    return value
