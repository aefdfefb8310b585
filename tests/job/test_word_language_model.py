"""A real training script that prints plain text, swept unchanged: pytorch/examples'
word_language_model (tests/support/programs/word_language_model), on a small generated corpus.
Its per-epoch lines feed the pruner, its last line is the result, and each trial writes its
``--save model.pt`` in a directory of its own while two trials run at once."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from support.specs import REPO, base_spec
from support.workflow import run_snakemake, workflow_project

pytestmark = [pytest.mark.e2e, pytest.mark.torch]

SCRIPT = REPO / "tests" / "support" / "programs" / "word_language_model"
COMMAND = (
    "${interpreter} main.py --data {project_dir}/data --epochs 3 --emsize 16 --nhid 16 "
    "--nlayers 1 --bptt 12 --batch_size 8 --lr {lr} --save model.pt"
)
# The script's own lines: "| end of epoch   1 | time:  0.82s | valid loss  1.41 | ..." and
# "| End of training | test loss  0.59 | test ppl     1.80".
READ = {
    "intermediate": r"\| end of epoch\s+(?P<step>\d+) .*\| valid loss\s+(?P<value>[\d.]+)",
    "final": r"\| End of training \| test loss\s+(?P<value>[\d.]+)",
}


def corpus(folder: Path) -> None:
    """train/valid/test.txt of 40 words, each line a run of consecutive words (learnable)."""
    rng = random.Random(0)
    folder.mkdir()
    for name, lines in (("train", 300), ("valid", 40), ("test", 40)):
        starts = [rng.randrange(0, 40, 2) for _ in range(lines)]
        text = "\n".join(" ".join(f"w{(k + j) % 40}" for j in range(12)) for k in starts)
        (folder / f"{name}.txt").write_text(text + "\n")


def test_word_language_model_is_swept_unchanged_and_pruned_on_its_epoch_lines(
    tmp_path: Path,
) -> None:
    sweep = base_spec(
        study="wlm",
        objective={"command": COMMAND, "cwd": "{trial_dir}", "metrics_from": READ},
        space={"lr": {"type": "categorical", "choices": [0.001, 20.0]}},
        sampler={"name": "GridSampler"},
        pruner={"name": "ThresholdPruner", "args": {"upper": 3.0}},
        budget={"n_trials": 2},
        parallelism=2,
    )
    cwd = workflow_project(tmp_path, sweep)
    for name in ("main.py", "data.py", "model.py"):
        shutil.copy(SCRIPT / name, cwd / name)
    corpus(cwd / "data")
    ran = run_snakemake(cwd, "--cores", "2")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    study = optuna.load_study(study_name="wlm", storage=f"sqlite:///{cwd}/results/wlm/study.db")
    by_lr = {t.params["lr"]: t for t in study.trials}
    slow, fast = by_lr[0.001], by_lr[20.0]
    # lr 0.001 barely learns: its first epoch's validation loss is over the threshold
    assert slow.state == TrialState.PRUNED, slow.user_attrs.get("fail_reason")
    assert list(slow.intermediate_values) == [1] and slow.intermediate_values[1] > 3.0
    # lr 20 learns: three epochs reported, the test loss of its last line is the value
    assert fast.state == TrialState.COMPLETE, fast.user_attrs.get("fail_reason")
    assert sorted(fast.intermediate_values) == [1, 2, 3]
    assert fast.value is not None and fast.value < 3.0
    log = (cwd / fast.user_attrs["log_file"]).read_text()
    assert f"test loss {fast.value:5.2f}" in log
    # each trial wrote model.pt in its own directory, none in the project
    runs = cwd / "results" / "wlm" / "trial-runs"
    assert (runs / str(fast.number) / "model.pt").is_file()
    assert not (cwd / "model.pt").exists()
