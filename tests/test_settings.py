"""Settings rebuilt from stored dicts: the one mechanism every checkpoint's settings go through."""
from __future__ import annotations

import dataclasses

import pytest

from posefield.settings import settings_from_dict


@dataclasses.dataclass(frozen=True)
class Inner:
    sizes: tuple[int, ...] = (1, 2)
    pairs: tuple[tuple[str, float], ...] = ()
    added_later: float = 0.5


@dataclasses.dataclass(frozen=True)
class Outer:
    steps: int = 3
    inner: Inner = Inner()
    maybe: Inner | None = None
    limit: float | None = None


def test_a_record_comes_back_as_it_was_stored():
    config = Outer(7, Inner((4, 5), (("a", 1.0),), 0.25), Inner(), 2.0)
    assert settings_from_dict(Outer, dataclasses.asdict(config)) == config


def test_lists_of_a_json_like_record_become_the_tuples_of_the_fields():
    stored = {"steps": 1, "inner": {"sizes": [3], "pairs": [["b", 2.0]]}, "maybe": None}
    config = settings_from_dict(Outer, stored)
    assert config == Outer(1, Inner((3,), (("b", 2.0),)))
    assert isinstance(config.inner.sizes, tuple) and isinstance(config.inner.pairs[0], tuple)


def test_old_records_get_the_value_they_meant_and_otherwise_the_default():
    stored = {"steps": 1, "inner": {"sizes": [3]}}
    assert settings_from_dict(Outer, stored).inner.added_later == 0.5
    assert settings_from_dict(Outer, stored, {Inner: {"added_later": 0.0}}).inner.added_later == 0.0
    assert settings_from_dict(Outer, {**stored, "inner": {"added_later": 0.75}},
                              {Inner: {"added_later": 0.0}}).inner.added_later == 0.75


def test_unknown_fields_are_refused():
    with pytest.raises(TypeError):
        settings_from_dict(Outer, {"steps": 1, "nonsense": 2})
