"""Command objectives: the command line template, its placeholders and W&B's macros.

A word of ``objective.command`` may hold ``{name}`` (a parameter or a fixed ``args`` entry;
``{{``/``}}`` for literal braces) and W&B's sweep macros: ``${env}``, ``${interpreter}``,
``${program}``, ``${args}`` (``--key=value``), ``${args_no_hyphens}`` (``key=value``, Hydra's
override syntax), ``${args_no_boolean_flags}`` (``--key`` for true, nothing for false),
``${args_json}``, ``${args_json_file}`` and ``${envvar:NAME}``. Values are written as W&B
writes them: Python's ``str(value)``. With ``data.stage`` set, ``{data}`` is the path of the
data set's copy on the trial's node (sweeps.spec.data). ``{trial_dir}`` (the trial's own
directory), ``{trial_number}``, ``{slot}`` and ``{project_dir}`` (where the sweep runs) name the
trial; they may also be written in ``objective.cwd`` and ``objective.metrics_file``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from typing import Any

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]  # W&B's default
LIST_MACROS = ("args", "args_no_hyphens", "args_no_boolean_flags")
WORD_MACROS = ("env", "interpreter", "program", "args_json", "args_json_file")
DATA_PLACEHOLDER = "data"  # {data}: the staged data set, where the sweep stages one
TRIAL_PLACEHOLDERS = ("trial_dir", "trial_number", "slot", "project_dir")  # every trial's
_TOKEN = re.compile(r"\$\{([^}]*)\}|\{\{|\}\}|\{([^{}]*)\}")
_ENVVAR = re.compile(r"^envvar:([A-Za-z_][A-Za-z0-9_]*)$")


def command_words(command: str | list[Any] | None, program: str | None) -> list[str]:
    """The command as a list of words (a string is split as a POSIX shell would)."""
    if command is None:
        return list(DEFAULT_COMMAND) if program else []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(word) for word in command]


def template_problems(words: list[str], names: set[str], program: str | None) -> list[str]:
    """What is wrong with a command template whose ``{name}`` may name ``names``."""
    problems = []
    if not words:
        problems.append("the command is empty")
    for word in words:
        for match in _TOKEN.finditer(word):
            macro, name = match.group(1), match.group(2)
            if macro is not None:
                problems.extend(_macro_problems(macro, word, program))
            elif name is not None and name not in names:
                known = ", ".join(sorted(names)) or "none"
                problems.append(
                    f"unknown placeholder {{{name}}} in {word!r} (parameters and args: {known})"
                )
    return problems


def path_problems(word: str) -> list[str]:
    """What is wrong with a path setting (``objective.cwd``, ``metrics_file``): it may name
    the trial's placeholders only."""
    problems = []
    for match in _TOKEN.finditer(word):
        macro, name = match.group(1), match.group(2)
        if macro is not None:
            problems.append(f"no macro in a path: ${{{macro}}}")
        elif name is not None and name not in TRIAL_PLACEHOLDERS:
            known = ", ".join(f"{{{n}}}" for n in TRIAL_PLACEHOLDERS)
            problems.append(f"unknown placeholder {{{name}}} in {word!r} (known here: {known})")
    return problems


def expand_path(word: str, placeholders: Mapping[str, str]) -> str:
    """A path setting with the trial's placeholders filled in."""
    return _TOKEN.sub(lambda m: _value(m, placeholders, {}), word)


def _macro_problems(macro: str, word: str, program: str | None) -> list[str]:
    if macro in LIST_MACROS:
        return [] if word == f"${{{macro}}}" else [f"${{{macro}}} must be a word of its own"]
    if macro == "program" and not program:
        return ["${program} needs objective.program"]
    if macro in WORD_MACROS or _ENVVAR.match(macro):
        return []
    known = ", ".join(f"${{{m}}}" for m in (*WORD_MACROS, *LIST_MACROS))
    return [f"unknown macro ${{{macro}}} (known: {known}, ${{envvar:NAME}})"]


def expand(
    words: list[str],
    values: Mapping[str, Any],
    context: Mapping[str, str],
    placeholders: Mapping[str, str] | None = None,
    absent: frozenset[str] = frozenset(),
) -> list[str]:
    """The argv for ``values`` (parameters, then fixed args); ``context`` gives
    ``interpreter``, ``program`` and ``args_json_file``; ``placeholders`` fill the other
    ``{name}`` words (``{data}``) and never become arguments of ``${args}``. A word naming a
    parameter of ``absent`` (conditional, not drawn for this trial) is left out."""
    named = {**(placeholders or {}), **values}
    lists = {
        "args": [f"--{k}={v}" for k, v in values.items()],
        "args_no_hyphens": [f"{k}={v}" for k, v in values.items()],
        "args_no_boolean_flags": [
            f"--{k}" if v is True else f"--{k}={v}"
            for k, v in values.items()
            if not (isinstance(v, bool) and not v)
        ],
    }
    singles = {**context, "args_json": json.dumps(dict(values))}
    argv: list[str] = []
    for word in words:
        if absent and any(m.group(2) in absent for m in _TOKEN.finditer(word)):
            continue
        if word.startswith("${") and word.endswith("}") and word[2:-1] in lists:
            argv.extend(lists[word[2:-1]])
        elif word == "${env}":
            argv.extend(["/usr/bin/env"] if os.path.exists("/usr/bin/env") else [])
        else:
            argv.append(_TOKEN.sub(lambda m: _value(m, named, singles), word))
    return argv


def _value(match: re.Match[str], values: Mapping[str, Any], singles: Mapping[str, str]) -> str:
    macro, name = match.group(1), match.group(2)
    if macro is not None:
        envvar = _ENVVAR.match(macro)
        if envvar:  # W&B leaves the name when the variable is unset
            return os.environ.get(envvar.group(1), envvar.group(1))
        return "/usr/bin/env" if macro == "env" else str(singles[macro])
    if name is not None:
        return str(values[name])
    return match.group(0)[0]  # {{ or }}
