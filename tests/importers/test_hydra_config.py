"""Hydra configs are read with OmegaConf: interpolations resolve from the file and the sweeper's
defaults, or are refused naming the key (unless ``--set`` gives the value); never left as text."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent, indent

import pytest
import yaml
from support.hydra_probe import OPTUNA, probe, sweeper

from sweeps.cli import main
from sweeps.importers import UnsupportedConstruct

SPACE = "params:\n  x: interval(0, 1)\n"
CONFIG = OPTUNA + "hydra:\n  sweeper:\n    params:\n      x: interval(0, 1)\n"


def test_interpolations_resolve_from_the_file_and_the_sweepers_defaults(tmp_path: Path) -> None:
    spec = probe(
        tmp_path,
        OPTUNA
        + dedent(
            """\
        constants:
          seed: 7
          trials: 12
          lr: choice(0.1, 0.01)
        hydra:
          sweeper:
            study_name: run-${constants.seed}
            n_trials: ${constants.trials}
            n_jobs: ${.n_trials}
            sampler:
              seed: ${constants.seed}
              n_startup_trials: ${..n_trials}
            params:
              lr: ${constants.lr}
              x: interval(0, ${hydra.sweeper.n_jobs})
              total: ${oc.select:constants.missing,5}
        """
        ),
    ).spec
    assert spec["study"] == "run-7"
    assert spec["budget"]["n_trials"] == 12 and spec["parallelism"] == 12
    assert spec["sampler"]["seed"] == 7
    assert spec["sampler"]["args"]["n_startup_trials"] == 12  # relative ${..n_trials}
    assert spec["space"]["lr"] == {"type": "categorical", "choices": [0.1, 0.01]}
    assert spec["space"]["x"] == {"type": "float", "low": 0.0, "high": 12.0}
    assert spec["space"]["total"]["choices"] == [5]


def test_an_interpolation_may_read_a_default_the_file_does_not_set(tmp_path: Path) -> None:
    spec = sweeper(tmp_path, "study_name: s${.n_trials}\n" + SPACE).spec
    assert spec["study"] == "s20"  # the sweeper's n_trials default


@pytest.mark.parametrize(
    ("key", "line", "why"),
    [
        ("hydra.sweeper.study_name", "study_name: ${oc.env:HOME}", "oc.env"),
        ("hydra.sweeper.n_trials", "n_trials: ${myresolver:foo}", "custom resolver"),
        ("hydra.sweeper.sampler.seed", "sampler:\n  seed: ${now:%s}", "time of a Hydra run"),
        ("hydra.sweeper.study_name", "study_name: ${hydra:job.name}", "runtime"),
        ("hydra.sweeper.n_trials", "n_trials: ${constants.nothing}", "constants.nothing"),
        ("hydra.sweeper.n_jobs", "n_jobs: ${constants.n}", "constants.n"),
    ],
)
def test_unresolvable_interpolations_are_refused_naming_the_key(
    tmp_path: Path, key: str, line: str, why: str
) -> None:
    with pytest.raises(UnsupportedConstruct) as err:
        probe(
            tmp_path,
            "constants:\n  n: ???\n"
            + OPTUNA
            + "hydra:\n  sweeper:\n"
            + indent(line + "\n" + SPACE, "    "),
        )
    message = str(err.value)
    assert "config.yaml" in message and key in message and why in message
    assert f"--set {key}=VALUE" in message


def test_a_choice_from_a_custom_resolver_is_refused_not_kept_as_text(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match=r"params\.act.*myresolver"):
        sweeper(tmp_path, "params:\n  act: choice(relu, ${myresolver:foo})\n")


def test_an_unresolvable_value_reached_through_another_key_is_refused(tmp_path: Path) -> None:
    text = f"{OPTUNA}home: ${{oc.env:HOME}}\nhydra:\n  sweeper:\n    study_name: ${{home}}\n"
    with pytest.raises(UnsupportedConstruct) as err:
        probe(tmp_path, text + "    params:\n      x: interval(0, 1)\n")
    assert "hydra.sweeper.study_name" in str(err.value) and "oc.env" in str(err.value)


def test_set_gives_the_value_of_an_unresolvable_key(tmp_path: Path) -> None:
    body = "study_name: ${oc.env:USER}\nsampler:\n  seed: ${constants.seed}\n" + SPACE
    spec = sweeper(
        tmp_path,
        body,
        settings={"hydra.sweeper.study_name": "mine", "constants.seed": "3"},
    ).spec
    assert spec["study"] == "mine" and spec["sampler"]["seed"] == 3


def test_command_line_values_are_noted(tmp_path: Path) -> None:
    imported = sweeper(tmp_path, SPACE, settings={"constants.seed": "3"}, n_trials=4)
    notes = "\n".join(imported.notes)
    assert "--set constants.seed=3" in notes and "replaced by --n-trials 4" in notes
    assert imported.spec["budget"]["n_trials"] == 4


def test_no_dollar_brace_survives_in_the_sweep(tmp_path: Path) -> None:
    spec = probe(
        tmp_path,
        OPTUNA
        + dedent(
            """\
        names: {a: adam, b: sgd}
        hydra:
          sweeper:
            study_name: ${names.a}-study
            params:
              opt: choice(${names.a}, ${names.b})
              n: range(1, ${hydra.sweeper.n_jobs})
        """
        ),
    ).spec
    assert "${" not in yaml.safe_dump(spec)
    assert spec["space"]["opt"]["choices"] == ["adam", "sgd"]
    assert spec["study"] == "adam-study"


def test_cli_refusal_is_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(CONFIG + "    n_trials: ${oc.env:N}\n")
    out = tmp_path / "sweep.yaml"
    args = ["import", str(source), "--out", str(out), "--objective", "m:f"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "hydra.sweeper.n_trials" in err and "oc.env" in err
    assert not out.exists()
    assert main([*args, "--set", "hydra.sweeper.n_trials=4"]) == 0
    assert "n_trials: 4" in out.read_text()


def test_cli_set_needs_key_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(CONFIG)
    args = ["import", str(source), "--out", str(tmp_path / "o.yaml"), "--objective", "m:f"]
    assert main([*args, "--set", "novalue"]) == 2
    assert "--set 'novalue'" in capsys.readouterr().err


def test_set_is_refused_for_a_wandb_file(tmp_path: Path) -> None:
    source = tmp_path / "sweep.yaml"
    source.write_text("method: random\nparameters:\n  x:\n    values: [1]\n")
    from sweeps.importers import ImportOptions, import_file

    with pytest.raises(UnsupportedConstruct, match="--set"):
        import_file(source, ImportOptions(objective="m:f", n_trials=2, settings=(("a", "1"),)))


def test_broken_yaml_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConstruct, match=r"config\.yaml") as err:
        probe(tmp_path, "defaults: [\nhydra: {")
    assert "\n" not in str(err.value)


def test_dotted_parameter_names_resolve_and_refuse_by_their_key(tmp_path: Path) -> None:
    body = "params:\n  model.depth: range(1, ${constants.n})\n  opt.lr: ${oc.env:LR}\n"
    text = "constants:\n  n: 3\n" + OPTUNA + "hydra:\n  sweeper:\n" + indent(body, "    ")
    with pytest.raises(UnsupportedConstruct, match=r"hydra\.sweeper\.params\.opt\.lr = "):
        probe(tmp_path, text)
    space = probe(tmp_path, text.replace("${oc.env:LR}", "choice(0.1)")).spec["space"]
    assert space["model.depth"] == {"type": "int", "low": 1, "high": 3, "step": 1}
    assert space["opt.lr"] == {"type": "categorical", "choices": [0.1]}
