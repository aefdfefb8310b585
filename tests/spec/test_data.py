"""The sweep file's ``data:`` key: what it resolves to and what is refused before anything is
submitted, naming the key and the value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.specs import REPO, base_spec

from sweeps.cli import main
from sweeps.spec import SpecError, spec_from_dict
from sweeps.spec.data import expand_path, filesystem_type
from sweeps.spec.data_check import trial_memory_gb

SHM = Path("/dev/shm")


def data_set(root: Path, files: int = 4, size: int = 4096) -> Path:
    """A directory of ``files`` files of ``size`` bytes each."""
    root.mkdir(parents=True)
    for i in range(files):
        (root / f"part{i}.bin").write_bytes(b"x" * size)
    return root


def sweep(data: dict[str, object], **overrides: object) -> dict[str, object]:
    return base_spec(data=data, **overrides)


def refusal(data: dict[str, object], **overrides: object) -> tuple[str, object, str]:
    with pytest.raises(SpecError) as err:
        spec_from_dict(sweep(data, **overrides))
    (problem,) = err.value.problems
    return problem


def test_a_relative_path_is_the_current_directorys(workdir: Path) -> None:
    data_set(workdir / "sets" / "train")
    spec = spec_from_dict(sweep({"stage": "sets/train"}))
    assert spec.data.stage == workdir / "sets" / "train"
    assert spec.data.to == "${TMPDIR:-/tmp}"
    assert spec_from_dict(base_spec()).data.stage is None  # no data: nothing staged


def test_a_missing_data_set_is_refused_naming_key_and_path(workdir: Path) -> None:
    key, value, message = refusal({"stage": "nowhere"})
    assert (key, value) == ("data.stage", str(workdir / "nowhere"))
    assert "does not exist" in message


def test_validate_names_the_file_the_key_and_the_path(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep({"stage": "missing-set"})))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert f"data.stage = '{workdir / 'missing-set'}': does not exist" in err


def test_a_destination_that_is_not_absolute_is_refused(workdir: Path) -> None:
    data_set(workdir / "set")
    key, value, message = refusal({"stage": "set", "to": "${SWEEPS_NO_SUCH_VAR:-scratch}"})
    assert (key, value) == ("data.to", "${SWEEPS_NO_SUCH_VAR:-scratch}")
    assert "expands to 'scratch'" in message


def test_a_data_set_larger_than_the_trials_memory_is_refused_in_ram(workdir: Path) -> None:
    data_set(workdir / "set", files=4, size=4096)  # 16 KiB
    tiny = {"time_min": 2, "mem_gb": 8 / 1024**2}  # 8 KiB
    key, value, message = refusal({"stage": "set", "ram": True}, resources=tiny)
    assert (key, value) == ("data.stage", str(workdir / "set"))
    assert "(16384 bytes) does not fit in the trial's memory" in message
    assert "(resources.mem_gb 7.62939e-06)" in message and "data.ram is true" in message
    # The same data set on a disk-backed destination, or in enough memory, is fine.
    assert spec_from_dict(sweep({"stage": "set", "ram": False}, resources=tiny))
    enough = {"time_min": 2, "mem_gb": 32 / 1024**2}
    assert spec_from_dict(sweep({"stage": "set", "ram": True}, resources=enough))


def test_memory_per_gpu_times_the_gpus_is_the_limit(workdir: Path) -> None:
    data_set(workdir / "set", files=3, size=1024)  # 3 KiB
    slurm = {"poll_interval_s": 0.05, "slurm": {"mem_per_gpu": "1K"}}
    _, _, message = refusal(
        {"stage": "set", "ram": True}, dispatch=slurm, resources={"gpus": 2, "time_min": 2}
    )
    assert "dispatch.slurm.mem_per_gpu 1K x 2" in message
    spec = spec_from_dict(
        sweep({"stage": "set", "ram": True}, dispatch=slurm, resources={"gpus": 4, "time_min": 2})
    )
    assert trial_memory_gb(spec) == (4 / 1024**2, "dispatch.slurm.mem_per_gpu 1K x 4")


@pytest.mark.skipif(filesystem_type(SHM) != "tmpfs", reason="no tmpfs /dev/shm here")
def test_a_ram_backed_destination_is_found_in_proc_mounts(workdir: Path) -> None:
    data_set(workdir / "set", files=2, size=4096)
    tiny = {"time_min": 2, "mem_gb": 4 / 1024**2}
    _, _, message = refusal({"stage": "set", "to": str(SHM)}, resources=tiny)
    assert "the copy goes to RAM (/dev/shm is tmpfs)" in message
    if filesystem_type(REPO) not in {"tmpfs", "ramfs"}:  # a disk-backed destination is fine
        assert spec_from_dict(sweep({"stage": "set", "to": str(REPO)}, resources=tiny))


def test_data_placeholder_is_known_only_with_a_data_set(workdir: Path) -> None:
    data_set(workdir / "set")
    command = {"command": "${interpreter} train.py --data {data}/part0.bin --x {x}"}
    with pytest.raises(SpecError) as err:
        spec_from_dict(base_spec(objective=command))
    (key, value, message), *_ = err.value.problems
    assert (key, value) == ("objective.command", command["command"])
    assert message.startswith("unknown placeholder {data} in '{data}/part0.bin'")
    spec = spec_from_dict(base_spec(objective=command, data={"stage": "set"}))
    assert spec.data.stage == workdir / "set"


def test_a_parameter_named_data_would_hide_the_placeholder(workdir: Path) -> None:
    data_set(workdir / "set")
    space = {"data": {"type": "categorical", "choices": ["a", "b"]}}
    objective = {"command": "${interpreter} train.py {data}"}
    with pytest.raises(SpecError, match=r"objective.command.*named 'data' hides \{data\}"):
        spec_from_dict(base_spec(objective=objective, space=space, data={"stage": "set"}))


def test_destination_expands_as_a_shell_would() -> None:
    assert expand_path("${TMPDIR:-/tmp}", {}) == "/tmp"
    assert expand_path("${TMPDIR:-/tmp}", {"TMPDIR": "/local/job1"}) == "/local/job1"
    assert expand_path("${TMPDIR:-/tmp}", {"TMPDIR": ""}) == "/tmp"
    assert expand_path("$SCRATCH/sets", {"SCRATCH": "/s"}) == "/s/sets"
    assert expand_path("${UNSET}/x", {}) == "${UNSET}/x"
