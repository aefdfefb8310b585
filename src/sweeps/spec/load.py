"""Reading a sweep file: YAML in, a validated :class:`SweepSpec` out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sweeps.spec.command import (
    DATA_PLACEHOLDER,
    TRIAL_PLACEHOLDERS,
    command_words,
    path_problems,
    template_problems,
)
from sweeps.spec.data_check import check_data
from sweeps.spec.errors import MISSING, SpecError
from sweeps.spec.launch import LAUNCHER_PLACEHOLDERS, launch_problem, ranks_per_node
from sweeps.spec.metrics import check_metrics
from sweeps.spec.metrics_from_check import check_metrics_from
from sweeps.spec.model import PrunerSpec, SamplerSpec, SweepSpec
from sweeps.spec.paths import sweep_file
from sweeps.spec.samplers import (
    check_pruner,
    check_pruner_section,
    check_sampler,
    check_sampler_section,
)
from sweeps.spec.shortening import N_TRIALS, file_trials, shortened_trials
from sweeps.spec.tracking import redacted
from sweeps.spec.yamlfile import DuplicateKeys, parse_yaml
from sweeps.storage.urls import redact_url


def load_spec(
    path: str | Path,
    overrides: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    n_trials: object = None,
) -> SweepSpec:
    """Load and validate a sweep file (a path or ``published:NAME``); ``defaults`` are
    deep-merged under it and ``overrides`` over it first, then ``n_trials`` (a run shortened
    to that many trials: sweeps.spec.shortening). A spec given fewer trials than its file's
    ``budget.n_trials`` knows that number (:attr:`SweepSpec.shortened_from`)."""
    path = sweep_file(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SpecError(path, [("", MISSING, f"cannot read file: {err.strerror}")]) from err
    try:
        data = parse_yaml(text)
    except DuplicateKeys as err:
        raise SpecError(path, duplicate_key_problems(err)) from None
    except yaml.YAMLError as err:
        raise SpecError(path, [("", MISSING, f"not valid YAML: {err}")]) from err
    if not isinstance(data, dict):
        raise SpecError(path, [("", data, "a sweep file must be a YAML mapping")])
    budget = file_trials(data)
    if defaults:
        data = deep_merge(defaults, data)
    if overrides:
        data = deep_merge(data, overrides)
    if n_trials is not None:
        trials = shortened_trials(n_trials, budget)
        if isinstance(trials, str):
            raise SpecError(path, [(N_TRIALS, n_trials, trials)], what=f"refused {N_TRIALS}")
        data = deep_merge(data, {"budget": {"n_trials": trials}})
    spec = spec_from_dict(data, source=path)
    if budget is not None and spec.budget.n_trials < budget:
        return spec.shortened(budget)
    return spec


def spec_from_dict(data: dict[str, Any], source: str | Path = "<spec>") -> SweepSpec:
    """Validate an already-parsed sweep mapping; every problem of the file is reported."""
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        problems = [_describe(e, data) for e in err.errors()]
        raise SpecError(source, problems + _section_problems(data, problems)) from None
    problems = check_metrics(spec) + check_sampler(spec) + check_pruner(spec) + check_command(spec)
    problems += check_data(spec)
    if problems:
        raise SpecError(source, problems)
    return spec


def _section_problems(
    data: dict[str, Any], found: list[tuple[str, Any, str]]
) -> list[tuple[str, Any, str]]:
    """The sampler's and the pruner's own problems in a file that failed elsewhere (they are
    otherwise checked on the whole spec), for each section pydantic did not already fault."""
    checks: dict[str, Callable[[Any], list[tuple[str, Any, str]]]] = {
        "sampler": lambda raw: check_sampler_section(SamplerSpec.model_validate(raw)),
        "pruner": lambda raw: check_pruner_section(PrunerSpec.model_validate(raw)),
    }
    problems: list[tuple[str, Any, str]] = []
    for section, check in checks.items():
        if any(key == section or key.startswith(f"{section}.") for key, _, _ in found):
            continue  # pydantic faulted the section itself
        try:
            problems += check(data.get(section, {}))
        except ValidationError as err:  # not reached above: a file-wide check failed first
            problems += [_describe({**e, "loc": (section, *e["loc"])}, data) for e in err.errors()]
    return problems


def check_command(spec: SweepSpec) -> list[tuple[str, Any, str]]:
    """A command objective's unknown placeholders and macros, before anything runs."""
    objective = spec.objective
    if objective.is_function:
        return []
    key = "objective.command" if objective.command is not None else "objective.program"
    value = objective.command if objective.command is not None else objective.program
    try:
        words = command_words(objective.command, objective.program)
    except ValueError as err:  # shlex: an unclosed quote
        return [(key, value, f"cannot be split into words: {err}")]
    names = set(spec.space) | set(objective.args)
    if spec.data.stage is not None:  # {data}: the staged copy's path
        names.add(DATA_PLACEHOLDER)
    if objective.launch == "per_node":  # a launcher's {nnodes}, {nproc_per_node}, ...
        names.update(LAUNCHER_PLACEHOLDERS)
    names.update(TRIAL_PLACEHOLDERS)  # {trial_dir}, {trial_number}, {slot}, {project_dir}
    problems = [(key, value, p) for p in template_problems(words, names, objective.program)]
    for setting in ("cwd", "metrics_file"):
        path = getattr(objective, setting)
        if path is not None:
            problems += [(f"objective.{setting}", path, p) for p in path_problems(path)]
    problems += check_metrics_from(spec, names)
    hidden = (set(spec.space) | set(objective.args)) & {DATA_PLACEHOLDER}
    if spec.data.stage is not None and hidden:
        problems.append((key, value, "a parameter or arg named 'data' hides {data}; rename it"))
    resources = spec.resources
    ranks = ranks_per_node(resources.gpus, resources.tasks_per_node)
    problem = launch_problem(objective.launch, resources.nodes, ranks)
    if problem is not None:
        problems.append(("objective.launch", objective.launch, problem))
    return problems


def duplicate_key_problems(err: DuplicateKeys) -> list[tuple[str, Any, str]]:
    """One (key, value, message) per key written twice."""
    return [
        (key, MISSING, f"written twice, on lines {first} and {again}; keep one")
        for key, first, again in err.duplicates
    ]


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``extra`` merged in, mappings merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: Any, data: dict[str, Any]) -> tuple[str, Any, str]:
    loc = _as_written(tuple(error["loc"]), data)
    key = ".".join(str(part) for part in loc)
    value = _lookup(data, loc) if loc else MISSING  # a file-wide check: not the whole file
    if loc == ("storage",) and isinstance(value, str):
        value = redact_url(value)  # never echo a password back
    if loc[:2] == ("objective", "env") and isinstance(value, dict):
        value = dict.fromkeys(value, "***")  # nor a secret a command was to be given
    if loc[:1] == ("tracking",):
        value = redacted(value)  # nor a tracking server's password
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        value = MISSING
        message = "required key is missing"
    return key, value, message


def _as_written(loc: tuple[Any, ...], data: dict[str, Any]) -> tuple[Any, ...]:
    """Map pydantic's location back to the key as the user wrote it."""
    if len(loc) >= 3 and loc[0] == "space" and loc[2] in {"float", "int", "categorical"}:
        return loc[:2] + loc[3:]  # drop the union discriminator pydantic inserts
    if loc[:1] == ("directions",) and "direction" in data:
        return ("direction",)
    if loc[:1] == ("objective",) and isinstance(data.get("objective"), str):
        return ("objective",)
    return loc


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return MISSING
    return node
