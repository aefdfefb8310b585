"""Settings of warm-worker dispatch: a few long-lived jobs that run many trials each."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sweeps.spec.numbers import Float, Int


class WarmWorkers(BaseModel):
    """How many worker jobs, how many trials each runs at once, and when they give up.

    A worker job holds ``gpus_per_worker`` GPUs (default: the trial's ``resources.gpus``; a
    whole node's on a partition that hands out whole nodes, ``dispatch.slurm.limits``) and runs
    one trial on each ``resources.gpus`` of them at once, ``trials_per_gpu`` on each GPU for
    trials of one GPU (``trials_per_gpu`` lanes when it has none).
    Each lane gets its own copy of the directories named by the environment variables in
    ``per_lane_dirs`` (caches that concurrent processes must not share).
    Each lane job keeps ``hand_over_ahead`` more trials published than the one it waits for,
    so a lane that finishes a trial claims the next at once (none while a cost budget is set).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    workers: Int = Field(default=1, ge=1)
    trials_per_gpu: Int = Field(default=1, ge=1)
    gpus_per_worker: Int | None = Field(default=None, ge=0)
    idle_timeout_s: Float = Field(default=300.0, gt=0)
    time_min: Int = Field(default=240, gt=0)
    poll_s: Float = Field(default=0.2, gt=0)
    heartbeat_s: Float = Field(default=5.0, gt=0)
    heartbeat_timeout_s: Float = Field(default=60.0, gt=0)
    start_timeout_s: Float = Field(default=3600.0, gt=0)
    per_lane_dirs: list[str] = Field(default_factory=list)
    hand_over_ahead: Int = Field(default=1, ge=0)
