from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.errors import UsageError


def test_defaults_are_valid_and_point_at_the_seeds():
    config = Config()
    assert config.out == Path("data/out")
    assert Path(config.input_paths[0]).name == "seeds"


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("n_topics", 0, "The 'n_topics' parameter of Config must be an int in the range [1, 1000], "
                        "the str 'auto' or None. Got 0 instead."),
        ("n_topics", 10_000, "Got 10000 instead."),
        ("formats", "xlsx", "must be a str among 'both', 'csv', 'parquet'. Got 'xlsx' instead."),
        ("min_score", 1.5, "The 'min_score' parameter of Config must be a float in the range "
                           "[0, 1]. Got 1.5 instead."),
        ("seed", -1, "The 'seed' parameter of Config must be an int"),
        ("n_topics", True, "Got True instead."),
    ],
)
def test_bad_values_get_the_same_kind_of_message(field, value, expected):
    with pytest.raises(UsageError) as info:
        Config(**{field: value})
    assert expected in str(info.value)


def test_strings_and_lists_are_accepted_from_notebooks():
    config = Config(inputs=["a", "b"], out="x", themes="t.toml")
    assert config.inputs == ("a", "b")
    assert config.out == Path("x")
    assert config.themes == Path("t.toml")
    assert config.to_dict()["inputs"] == ["a", "b"]
