"""Claiming published trials is atomic on every storage: each trial goes to one worker."""

from __future__ import annotations

import multiprocessing
import uuid

import optuna
import pytest
import sqlalchemy
from optuna.trial import FrozenTrial, TrialState
from support.claims import claim_all

from sweeps.storage import open_storage
from sweeps.storage.optuna_internals import study_id_of
from sweeps.study.keys import Key

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


def reachable(url: str) -> bool:
    try:
        with sqlalchemy.create_engine(url).connect():
            return True
    except Exception:
        return False


def publish(url: str, study: str, key: str, n: int) -> None:
    storage = open_storage(url)
    created = optuna.create_study(study_name=study, storage=storage)
    for _ in range(n):
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            value=None,
            datetime_start=None,
            datetime_complete=None,
            params={},
            distributions={},
            user_attrs={},
            system_attrs={Key.WARM_TASK: {"key": key}},
            intermediate_values={},
            trial_id=-1,
        )
        storage.create_new_trial(study_id_of(created), template_trial=template)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_concurrent_claims_never_share_a_trial(backend: str, workdir) -> None:  # type: ignore[no-untyped-def]
    url = {"sqlite": "sqlite:///queue.db", "postgresql": POSTGRES, "mariadb": MARIADB}[backend]
    if backend != "sqlite" and not reachable(url):
        pytest.skip(f"{backend} is not reachable")
    study = f"queue-{uuid.uuid4().hex[:8]}"
    n = 24
    publish(url, study, "k", n)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        claimed = pool.starmap(claim_all, [(url, study, "k")] * 4)
    numbers = [number for per_worker in claimed for number in per_worker]
    assert sorted(numbers) == list(range(n))  # every trial claimed, none twice
    states = {t.state for t in optuna.load_study(study_name=study, storage=url).trials}
    assert states == {TrialState.RUNNING}
    optuna.delete_study(study_name=study, storage=url)
