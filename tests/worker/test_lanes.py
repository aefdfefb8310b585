"""What a warm lane is given: its own GPUs and cores, and its own copy of the caches a profile
names; worker GPUs that do not split into lanes are refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support.specs import REPO

from sweeps.job.allocation import parse_ranges
from sweeps.spec.sites import read_site
from sweeps.worker.lanes import lane_bindings, lane_count, lane_dirs, worker_gpus

# LUMI-G's cores nearest each GCD: 0 -> 49-55, ..., 4 -> 1-7, ...
GPU_CPUS = read_site(REPO / "profiles" / "lumi" / "site.yaml")["dispatch"]["slurm"]["gpu_cpus"]
NO_VISIBILITY = {"PATH": os.environ.get("PATH", "")}  # no GPU variable, not in a Slurm job


def test_each_lane_gets_its_own_copy_of_the_named_cache_dirs(make_spec, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    warm = {"per_lane_dirs": ["MIOPEN_USER_DB_PATH", "MIOPEN_CUSTOM_CACHE_DIR"]}
    _, spec = make_spec(dispatch={"mode": "warm", "warm": warm})
    monkeypatch.setenv("MIOPEN_USER_DB_PATH", "/tmp/u-miopen-42")  # the job's, from its setup
    monkeypatch.delenv("MIOPEN_CUSTOM_CACHE_DIR", raising=False)
    first, second = lane_dirs(spec, "w1", 0), lane_dirs(spec, "w1", 1)
    assert first["MIOPEN_USER_DB_PATH"] == "/tmp/u-miopen-42-lane0"
    assert second["MIOPEN_USER_DB_PATH"] == "/tmp/u-miopen-42-lane1"
    assert Path(first["MIOPEN_CUSTOM_CACHE_DIR"]).name == "miopen_custom_cache_dir-w1-lane0"


def test_no_cache_dirs_are_touched_unless_named(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(dispatch={"mode": "warm"})
    assert lane_dirs(spec, "w1", 0) == {}


def test_lanes_share_the_gpus_they_are_given(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        resources={"gpus": 1, "time_min": 2},
        dispatch={"mode": "warm", "warm": {"trials_per_gpu": 2, "gpus_per_worker": 2}},
    )
    lanes = lane_bindings(spec, {"ROCR_VISIBLE_DEVICES": "4,5"})
    assert [lane.gpus for lane in lanes] == [("4",), ("4",), ("5",), ("5",)]
    # With the site's table, the two lanes on one GCD split its cores (1-7) between them.
    table = warm(make_spec, 1, {"gpu_cpus": GPU_CPUS}, trials_per_gpu=2, gpus_per_worker=2)
    packed = lane_bindings(table, {"ROCR_VISIBLE_DEVICES": "4,5"})
    assert [lane.cpus for lane in packed[:2]] == [(1, 2, 3), (4, 5, 6)]


def warm(make_spec, gpus: int, slurm: dict[str, Any] | None = None, **settings: Any):  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        resources={"gpus": gpus, "time_min": 2},
        dispatch={"mode": "warm", "warm": settings, "slurm": slurm or {}},
    )
    return spec


def test_a_worker_of_8_gpus_runs_8_one_gpu_trials_each_on_its_own_gpu(make_spec) -> None:  # type: ignore[no-untyped-def]
    spec = warm(make_spec, 1, {"gpu_cpus": GPU_CPUS}, gpus_per_worker=8)
    lanes = lane_bindings(spec, NO_VISIBILITY)  # the allocation's GPUs 0..7
    assert lane_count(spec) == len(lanes) == 8
    assert [lane.gpus for lane in lanes] == [(str(i),) for i in range(8)]
    # Each lane gets the cores nearest its GCD.
    assert [lane.cpus for lane in lanes] == [parse_ranges(GPU_CPUS[i]) for i in range(8)]


def test_a_worker_of_8_gpus_runs_4_gpu_trials_as_2_lanes_of_disjoint_gpus(make_spec) -> None:  # type: ignore[no-untyped-def]
    spec = warm(make_spec, 4, {"gpu_cpus": GPU_CPUS}, gpus_per_worker=8)
    visible = {"ROCR_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}
    first, second = lane_bindings(spec, visible)
    assert (first.gpus, second.gpus) == (("0", "1", "2", "3"), ("4", "5", "6", "7"))
    assert first.cpus == tuple(sorted(c for g in range(4) for c in parse_ranges(GPU_CPUS[g])))
    assert not set(first.cpus) & set(second.cpus)
    # Without the site's table, each lane gets its half of the cores the worker has.
    plain = warm(make_spec, 4, gpus_per_worker=8)
    halves = [set(lane.cpus) for lane in lane_bindings(plain, visible)]
    assert halves[0] | halves[1] <= os.sched_getaffinity(0)
    assert len(os.sched_getaffinity(0)) < 2 or not halves[0] & halves[1]


def test_a_whole_node_partition_gives_the_worker_all_the_nodes_gpus(make_spec) -> None:  # type: ignore[no-untyped-def]
    whole = {
        "partition": "standard-g",
        "limits": {"standard-g": {"whole_nodes": True, "gpus_per_node": 8}},
    }
    _, spec = make_spec(
        resources={"gpus": 2, "time_min": 2},
        dispatch={"executor": "slurm", "mode": "warm", "slurm": whole},
    )
    assert (worker_gpus(spec), lane_count(spec)) == (8, 4)
    # Run locally, the same site settings do not apply: the worker holds one trial's GPUs.
    _, local = make_spec(
        resources={"gpus": 2, "time_min": 2}, dispatch={"mode": "warm", "slurm": whole}
    )
    assert (worker_gpus(local), lane_count(local)) == (2, 1)
    # A node that does not split into lanes of the trial's GPUs is refused, naming the limit.
    _, odd = make_spec(
        resources={"gpus": 3, "time_min": 2},
        dispatch={"executor": "slurm", "mode": "warm", "slurm": whole},
    )
    with pytest.raises(ValueError, match=r"dispatch\.slurm\.limits\.standard-g\.gpus_per_node"):
        lane_count(odd)


@pytest.mark.parametrize(
    ("gpus", "settings", "nodes", "refusal"),
    [
        (
            4,
            {"gpus_per_worker": 6},
            1,
            r"dispatch\.warm\.gpus_per_worker: 6: a warm worker of 6 GPUs cannot be split into "
            r"lanes of resources\.gpus: 4: set dispatch\.warm\.gpus_per_worker to a multiple "
            r"of 4 \(such as 4\)",
        ),
        (4, {"gpus_per_worker": 2}, 1, r"dispatch\.warm\.gpus_per_worker: 2: .* multiple of 4"),
        (
            2,
            {"gpus_per_worker": 8, "trials_per_gpu": 2},
            1,
            r"dispatch\.warm\.trials_per_gpu: 2 .* set dispatch\.warm\.trials_per_gpu: 1",
        ),
        (1, {}, 2, r"resources\.nodes: 2: .* multi-node trials need dispatch\.mode: job"),
    ],
)
def test_worker_gpus_that_do_not_split_into_lanes_are_refused(  # type: ignore[no-untyped-def]
    make_spec, gpus: int, settings: dict[str, int], nodes: int, refusal: str
) -> None:
    _, spec = make_spec(
        resources={"gpus": gpus, "nodes": nodes, "time_min": 2},
        dispatch={"mode": "warm", "warm": settings},
    )
    with pytest.raises(ValueError, match=refusal):
        lane_count(spec)


def test_a_multi_gpu_trial_asking_for_several_processes_is_refused(make_spec) -> None:  # type: ignore[no-untyped-def]
    _, spec = make_spec(
        resources={"gpus": 2, "tasks_per_node": 2, "time_min": 2},
        dispatch={"mode": "warm", "warm": {"gpus_per_worker": 4}},
    )
    with pytest.raises(ValueError, match=r"resources\.tasks_per_node: 2: a warm lane runs"):
        lane_count(spec)
