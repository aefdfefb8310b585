"""Where a sweep's files live: one table, :class:`SweepPaths`, read by every process.

Paths are relative to the directory the sweep runs in (Snakemake's working directory), so the
controller, trial jobs and warm workers on a shared file system agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sweeps.shipped import PUBLISHED_PREFIX, published_sweeps
from sweeps.spec.errors import MISSING, SpecError
from sweeps.spec.model import SweepSpec

RESULTS = Path("results")


def sweep_file(path: str | Path) -> Path:
    """The sweep file a name stands for: a path, or ``published:NAME`` for a sweep published
    with the package (``published:bayesmark-SVM_wine_acc``)."""
    text = str(path)
    if not text.startswith(PUBLISHED_PREFIX):
        return Path(path)
    name = text.removeprefix(PUBLISHED_PREFIX)
    shipped = published_sweeps()
    if name not in shipped:
        raise SpecError(
            text,
            [("", MISSING, f"no published sweep {name!r}; published: {', '.join(shipped)}")],
        )
    return shipped[name]


@dataclass(frozen=True)
class SweepPaths:
    """The files of one sweep, under ``results/<study>`` (``dispatch.folder`` moves the jobs)."""

    root: Path
    jobs_root: Path

    @classmethod
    def of(cls, spec: SweepSpec) -> SweepPaths:
        root = RESULTS / spec.study
        jobs_base = Path(spec.dispatch.folder) if spec.dispatch.folder else root
        return cls(root=root, jobs_root=jobs_base / "jobs")

    @property
    def jobs(self) -> Path:
        """submitit's folder pattern: pickles and logs of each job (``%j`` is the job id)."""
        return self.jobs_root / "%j"

    @property
    def status_board(self) -> Path:
        """The Slurm status file the sweep's controllers share."""
        return self.jobs_root / "slurm-status.json"

    @property
    def workers(self) -> Path:
        """Warm workers' records, heartbeats, lane logs and wake-up files."""
        return self.root / "workers"

    @property
    def artifacts(self) -> Path:
        """The artifact store optuna-dashboard shows (job logs)."""
        return self.root / "artifacts"

    @property
    def study_receipt(self) -> Path:
        return self.root / "study.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def checkpoints(self, slot: int) -> Path:
        """The slot's checkpoint directory: shared by every attempt (retry, requeue)."""
        return self.root / "checkpoints" / f"slot-{slot}"

    def trial_log(self, number: int) -> Path:
        """The trial's own log file, the artifact the objective's logger writes."""
        return self.root / "trial-logs" / f"{number}.log"

    def trial_run(self, number: int) -> Path:
        """The trial's own directory (``{trial_dir}``), for what its command writes: a new
        trial number (a retry) gets a new one, a requeued job keeps its trial's."""
        return self.root / "trial-runs" / str(number)

    def trial_receipt(self, slot: int | str) -> Path:
        return self.root / "trials" / f"{slot}.json"

    def batch_receipt(self, batch: int | str) -> Path:
        return self.root / "batches" / f"{batch}.json"
