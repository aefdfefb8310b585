"""The Optuna sweeper's reading of Hydra's override grammar: each construct maps exactly as
hydra_optuna_sweeper's create_optuna_distribution_from_override does, is noted where the
sweep differs, or is refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.hydra_probe import sweeper

from sweeps.importers import Imported, UnsupportedConstruct


def space(tmp_path: Path, params: dict[str, Any], head: str | None = None) -> Imported:
    body = yaml.safe_dump({"params": params})
    return sweeper(tmp_path, body, **({"head": head} if head is not None else {}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # range: an int distribution with step, *including* stop (IntDistribution(start, stop))
        ("range(5)", {"type": "int", "low": 0, "high": 5, "step": 1}),
        ("range(1,5)", {"type": "int", "low": 1, "high": 5, "step": 1}),
        ("range(1, 9, step=2)", {"type": "int", "low": 1, "high": 9, "step": 2}),
        ("range(start=2, stop=6, step=2)", {"type": "int", "low": 2, "high": 6, "step": 2}),
        ("range(0.0, 1.0, 0.25)", {"type": "float", "low": 0.0, "high": 1.0, "step": 0.25}),
        ("range(0, 2, 0.5)", {"type": "float", "low": 0.0, "high": 2.0, "step": 0.5}),
        ("float(range(1, 3))", {"type": "float", "low": 1.0, "high": 3.0, "step": 1.0}),
        ("int(range(1.0, 5.0, 2.0))", {"type": "int", "low": 1, "high": 5, "step": 2}),
        # interval: Hydra makes its bounds floats; int(...) casts them back (truncating)
        ("interval(1, 8)", {"type": "float", "low": 1.0, "high": 8.0}),
        ("int(interval(1.5, 8.7))", {"type": "int", "low": 1, "high": 8}),
        ("tag(log, interval(1e-4, 1))", {"type": "float", "low": 1e-4, "high": 1.0, "log": True}),
        ("int(tag(log, interval(1, 32)))", {"type": "int", "low": 1, "high": 32, "log": True}),
        ("tag(log, int(interval(1, 32)))", {"type": "int", "low": 1, "high": 32, "log": True}),
        ("tag(log, sweep=interval(1, 2))", {"type": "float", "low": 1.0, "high": 2.0, "log": True}),
        # choices: as the sweeper records and passes them on
        ("1,2,3", {"type": "categorical", "choices": [1, 2, 3]}),
        ("adam, sgd", {"type": "categorical", "choices": ["adam", "sgd"]}),
        ("choice(-5 ,0 ,5)", {"type": "categorical", "choices": [-5, 0, 5]}),
        ("choice(true, 1e-3, x)", {"type": "categorical", "choices": [True, 0.001, "x"]}),
        ("null, 1", {"type": "categorical", "choices": ["null", 1]}),
        ("choice('a b', \"c\")", {"type": "categorical", "choices": ["a b", "c"]}),
        ("choice([1,2], [3])", {"type": "categorical", "choices": ["[1,2]", "[3]"]}),
        ("sort(choice(3, 1, 2))", {"type": "categorical", "choices": [1, 2, 3]}),
        ("sort(3, 1, 2, reverse=true)", {"type": "categorical", "choices": [3, 2, 1]}),
        ("sort(range(1, 3))", {"type": "int", "low": 1, "high": 3, "step": 1}),
        ("int(choice(1.5, 2.5))", {"type": "categorical", "choices": [1, 2]}),
        ("str(choice(1, true))", {"type": "categorical", "choices": ["1", "true"]}),
        ("bool(choice(true, 'false'))", {"type": "categorical", "choices": [True, False]}),
        # a plain value: the same override on every trial
        ("7", {"type": "categorical", "choices": [7]}),
        ("relu", {"type": "categorical", "choices": ["relu"]}),
        ("null", {"type": "categorical", "choices": ["null"]}),
        ("[1, 2]", {"type": "categorical", "choices": ["[1,2]"]}),
        ("'quoted'", {"type": "categorical", "choices": ["'quoted'"]}),
        # bare strings keep inner blanks; a fixed value's special characters are escaped
        ("choice(a b, c)", {"type": "categorical", "choices": ["a b", "c"]}),
        ("a b", {"type": "categorical", "choices": ["a\\ b"]}),
        ("/data/run:3", {"type": "categorical", "choices": ["/data/run\\:3"]}),
        ("inf", {"type": "categorical", "choices": ["inf"]}),
        ("1_000", {"type": "categorical", "choices": [1000]}),
    ],
)
def test_constructs_map_exactly(tmp_path: Path, text: str, expected: dict[str, Any]) -> None:
    assert space(tmp_path, {"p": text}).spec["space"]["p"] == expected


def test_yaml_values_are_read_as_the_sweeper_formats_them(tmp_path: Path) -> None:
    got = space(tmp_path, {"i": 3, "b": True, "f": 1e-5, "l": [1, "a"]}).spec["space"]
    assert got["i"]["choices"] == [3] and got["b"]["choices"] == [True]
    assert got["f"]["choices"] == [1e-5]
    assert got["l"]["choices"] == ["[1,'a']"]  # str(list) re-read by Hydra's grammar


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("shuffle(a, b, c)", ["a", "b", "c"]),
        ("shuffle(choice(1, 2))", [1, 2]),
        ("shuffle(range(1, 4))", [1, 2, 3]),  # the sweeper enumerates the range: stop excluded
        ("shuffle(range(0, 1, 0.25))", [0.0, 0.25, 0.5, 0.75]),
    ],
)
def test_shuffle_is_a_categorical_with_its_order_difference_recorded(
    tmp_path: Path, text: str, choices: list[Any]
) -> None:
    imported = space(tmp_path, {"p": text})
    assert imported.spec["space"]["p"] == {"type": "categorical", "choices": choices}
    assert "shuffle" in imported.spec["description"]
    assert any("shuffle" in note for note in imported.notes)


@pytest.mark.parametrize(
    ("text", "noted"),
    [
        ("tag(log, range(1, 8))", "ignores tags on a range"),
        ("tag(fast, interval(0, 1))", "ignored by the Optuna sweeper"),
        ("range(0, 1, 0.3)", "lowers the stop 1 to the last step, 0.9"),
        ("7", "user attribute"),
    ],
)
def test_exact_mappings_that_need_a_word_are_noted(tmp_path: Path, text: str, noted: str) -> None:
    notes = "\n".join(space(tmp_path, {"p": text}).notes)
    assert "hydra.sweeper.params.p: " in notes and noted in notes


def test_a_fixed_value_difference_is_in_the_description(tmp_path: Path) -> None:
    assert "user attribute" in space(tmp_path, {"p": "7"}).spec["description"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("glob(*)", "glob(...) is not supported"),
        ("glob(include=[a*], exclude=b)", "glob(...) is not supported"),
        ("extend_list(1, 2)", "extend_list(...) is not supported"),
        ("json_str(choice(1))", "json_str(...) is not supported"),
        ("uniform(0, 1)", "uniform(...) is not supported"),
        ("shuffle(interval(0, 1))", "shuffle(...)"),
        ("range(5, 1, -1)", "descending"),
        ("range(5, 1)", "descending"),
        ("range(a, 3)", "takes numbers"),
        ("interval(0, b)", "two numbers"),
        ("interval(0, 1", "cannot parse"),
        ("choice()", "at least one value"),
        ("choice(null, 1)", "refuses it"),
        ("choice(1, range(1, 3))", "nesting"),
        ("choice(choice(1, 2))", "nesting"),
        ("str(interval(0, 1))", "str(...) of a range or interval"),
        ("bool(range(0, 2))", "bool(...) of a range or interval"),
        ("sort(range(1, 4), reverse=true)", "sort(...)"),
        ("tag(log)", "tag(...)"),
        ("a=b", "cannot parse"),
        ("choice({a: 1})", "a mapping"),
        ("choice(nan, 1)", "finite numbers"),
    ],
)
def test_unsupported_constructs_are_refused_by_name(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        space(tmp_path, {"p": text})
    message = str(err.value)
    assert "hydra.sweeper.params.p" in message and named in message


def test_a_mapping_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match="a mapping is not a sweep"):
        space(tmp_path, {"p": {"a": 1}})


GRID = "defaults:\n  - override hydra/sweeper: optuna\n  - override hydra/sweeper/sampler: grid\n"


def test_grid_takes_the_sweepers_grid_which_excludes_range_ends(tmp_path: Path) -> None:
    imported = space(
        tmp_path,
        {
            "a": "range(1, 5)",
            "b": "choice(x, y)",
            "c": "range(0, 1, 0.25)",
            "d": "int(interval(0, 3))",
        },
        head=GRID,
    )
    got = imported.spec["space"]
    assert got["a"] == {"type": "categorical", "choices": [1, 2, 3, 4]}
    assert got["b"] == {"type": "categorical", "choices": ["x", "y"]}
    assert got["c"] == {"type": "categorical", "choices": [0.0, 0.25, 0.5, 0.75]}
    assert got["d"] == {"type": "categorical", "choices": [0, 1, 2]}
    assert imported.spec["sampler"]["name"] == "GridSampler"
    assert imported.spec["budget"]["n_trials"] == 20  # the sweeper's n_trials, under 4*2*4*3
    assert any("excludes the end point" in note for note in imported.notes)


def test_grid_budget_is_at_most_the_grid(tmp_path: Path) -> None:
    imported = space(tmp_path, {"a": "range(1, 3)", "b": "x, y"}, head=GRID)
    assert imported.spec["budget"]["n_trials"] == 4
    assert any("lowered to the grid's size, 4" in note for note in imported.notes)


def test_grid_refuses_a_continuous_parameter(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match=r"params\.a.*discrete"):
        space(tmp_path, {"a": "interval(0, 1)"}, head=GRID)
