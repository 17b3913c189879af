"""migrate.yml with faults injected on every server (429, 500, 503, connection resets, lost
answers): the end state equals a fault-free run's, nothing is lost or duplicated.

Seeds: RELIABILITY_SEEDS (default "1,2,3"; CI runs "1")."""

from __future__ import annotations

import os

import pytest

from tests.lab.fixtures import start_lab
from tests.reliability.state import snapshot
from tests.utils.migrate_run import run_playbook

SEEDS = [s for s in os.environ.get("RELIABILITY_SEEDS", "1,2,3").split(",") if s]
KNOBS = dict(LAB_WORKLOADS="8", LAB_READY_S="0.3", LAB_CLUSTER_READY_S="1")


def migrate(tmp, **knobs):
    with start_lab(tmp / "lab", **dict(KNOBS, **knobs)) as lab:
        attempts = []
        for _ in range(3):   # a run that gives up is simply re-run, as an operator would
            proc, recap = run_playbook(lab, tmp / "work")
            attempts.append(proc.returncode)
            if proc.returncode == 0:
                break
        if knobs.get("LAB_FAULT_RATE"):
            lab.set_knobs(fault_rate=0)
        faults = sum(1 for r in lab.requests() if r.get("fault"))
        return snapshot(lab), attempts, faults, proc


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    state, attempts, _, proc = migrate(tmp_path_factory.mktemp("reference"))
    assert attempts == [0], proc.stdout[-4000:]
    return state


@pytest.mark.parametrize("seed", SEEDS)
def test_faulty_migration_ends_like_a_clean_one(reference, tmp_path, seed):
    state, attempts, faults, proc = migrate(tmp_path, LAB_FAULT_RATE="0.1", LAB_FAULT_SEED=seed)
    assert attempts[-1] == 0, proc.stdout[-4000:]
    assert faults > 20, "too few faults were injected to prove anything (%d)" % faults
    assert state == reference
    assert len(state["cce_clusters"]) == 1 and state["members"] == reference["members"]
