"""Planner of the replica shift: step tables and the capacity invariant, proven by sampling.

The sampling model follows Karmada: a phase rewrites both members at once; a member
whose share drops loses pods at once; new pods become ready one by one in any
order; a member scheduled 0 replicas keeps its object and pods
(preserveResourcesOnDeletion) until the collection scales it to 0.
"""

import random
import uuid

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import planner

SRC, TGT = "aws-prod", "cce-prod"


def wl(key, replicas, mu, uid=""):
    return dict(key=key, replicas=replicas, max_unavailable=mu, uid=uid)


@pytest.mark.parametrize("percent,rules", [
    (0, [{"targetCluster": {"clusterNames": [SRC]}, "weight": 100}]),
    (30, [{"targetCluster": {"clusterNames": [SRC]}, "weight": 70},
          {"targetCluster": {"clusterNames": [TGT]}, "weight": 30}]),
    (100, [{"targetCluster": {"clusterNames": [TGT]}, "weight": 100}]),
])
def test_weight_rules(percent, rules):
    assert planner.weight_rules(percent, SRC, TGT) == rules


@pytest.mark.parametrize("replicas,percent,uid,expected", [
    (4, 50, "", (2, 2)),
    (5, 50, "", (3, 2)),   # even/empty UID: smaller name wins the tie ("aws-prod" < "cce-prod")
    (5, 50, "d43fdeeb-d750-4e2b-bee3-64eb94534f4c", (2, 3)),  # odd UID: larger name wins
    (5, 50, "4858ca61-3ff8-4095-8267-f3d059d8074c", (3, 2)),
    # Webster by hand: seats go src, tgt (75/3 == 25/1: fewer seats wins), src, src, src,
    # tgt (75/9 == 25/3), src, src, src, tgt (75/15 == 25/5): 7 and 3
    (10, 25, "", (7, 3)),
    (3, 0, "", (3, 0)),
    (3, 100, "", (0, 3)),
    (1, 50, "", (1, 0)),
])
def test_split_matches_karmada(replicas, percent, uid, expected):
    assert planner.split(wl("w", replicas, 0, uid), percent, SRC, TGT) == expected


@pytest.mark.parametrize("obj,expected", [
    ({"kind": "Deployment", "spec": {"replicas": 10}}, 2),
    ({"kind": "Deployment", "spec": {"replicas": 10, "strategy": {"rollingUpdate": {"maxUnavailable": 0}}}}, 0),
    ({"kind": "Deployment", "spec": {"replicas": 10, "strategy": {"rollingUpdate": {"maxUnavailable": "50%"}}}}, 5),
    ({"kind": "Deployment", "spec": {"replicas": 3, "strategy": {"rollingUpdate": {"maxUnavailable": "3"}}}}, 3),
    ({"kind": "Deployment", "spec": {"replicas": 4, "strategy": {"type": "Recreate"}}}, 4),
    ({"kind": "StatefulSet", "spec": {"replicas": 5}}, 1),
    ({"kind": "StatefulSet", "spec": {"replicas": 5, "updateStrategy": {"rollingUpdate": {"maxUnavailable": 2}}}}, 2),
])
def test_max_unavailable(obj, expected):
    assert planner.workload_max_unavailable(obj) == expected


def test_direct_change_when_it_fits_max_unavailable():
    phases = planner.plan_transition([wl("a", 10, 5)], 0, 50, SRC, TGT)
    assert [p["purpose"] for p in phases] == ["step"]
    assert phases[0]["expect"]["a"]["source"] == 5 and phases[0]["expect"]["a"]["target"] == 5


def test_surge_when_direct_change_would_break_capacity():
    phases = planner.plan_transition([wl("a", 10, 0)], 0, 50, SRC, TGT)
    assert [(p["purpose"], p["percent"]) for p in phases] == [("surge", 100), ("step", 50)]
    surge = phases[0]["expect"]["a"]
    # source left out of the schedule keeps its 10 pods; target gets all 10
    assert (surge["source"], surge["target"], surge["source_detached"]) == (10, 10, True)
    assert phases[1]["expect"]["a"]["source"] == 5 and phases[1]["expect"]["a"]["target"] == 5


def test_final_step_scales_the_preserved_source_to_zero():
    phases = planner.plan_transition([wl("a", 6, 1)], 50, 100, SRC, TGT)
    assert [p["kind"] for p in phases] == ["weights", "scale_detached"]
    assert phases[0]["expect"]["a"]["source"] == 3 and phases[0]["expect"]["a"]["source_detached"]
    assert phases[1]["member"] == "source" and phases[1]["expect"]["a"]["source"] == 0


def test_rollback_to_zero_scales_the_preserved_target_to_zero():
    phases = planner.plan_transition([wl("a", 6, 0)], 100, 0, SRC, TGT)
    assert [p["kind"] for p in phases] == ["weights", "scale_detached"]
    assert phases[0]["expect"]["a"]["target"] == 6 and phases[0]["expect"]["a"]["source"] == 6
    assert phases[1]["member"] == "target" and phases[1]["expect"]["a"]["target"] == 0


def test_remaining_steps_resume():
    assert planner.remaining_steps([0, 50, 100], None) == [0, 50, 100]
    assert planner.remaining_steps([0, 50, 100], 0) == [50, 100]
    assert planner.remaining_steps([0, 50, 100], 50) == [100]
    assert planner.remaining_steps([0, 50, 100], 100) == []
    assert planner.remaining_steps([0, 50, 100], 30) == [0, 50, 100]


def test_validate_steps():
    assert planner.validate_steps([0, "50", 100]) == [0, 50, 100]
    for bad in ([], [120], [-1], ["half"], [12.5]):
        with pytest.raises(ValueError):
            planner.validate_steps(bad)


def _simulate(rng, workload, phases, running):
    """Play the phases on a model of the two members; return the lowest ready sum sampled."""
    ready = dict(running)            # all running pods ready at the start of the transition
    low = ready["source"] + ready["target"]
    for phase in phases:
        exp = phase["expect"][workload["key"]]
        want = {"source": exp["source"], "target": exp["target"]}
        # removals first or additions first: members apply their Work in any order
        order = ["source", "target"]
        rng.shuffle(order)
        pending = 0
        spec = dict(ready)
        for side in order:
            if want[side] < spec[side]:
                ready[side] = min(ready[side], want[side])
            else:
                pending += want[side] - spec[side]
            spec[side] = want[side]
            low = min(low, ready["source"] + ready["target"])
        while pending:
            growing = [s for s in ("source", "target") if ready[s] < spec[s]]
            side = rng.choice(growing)
            ready[side] += 1
            pending -= 1
            low = min(low, ready["source"] + ready["target"])
        assert ready == spec
        # the runner waits for this before the next phase
    return low, ready


def test_capacity_invariant_sampled_over_random_shifts():
    rng = random.Random(20261125)
    for _ in range(1500):
        replicas = rng.randint(0, 25)
        mu = rng.randint(0, max(0, replicas))
        w = wl("w", replicas, mu, str(uuid.UUID(int=rng.getrandbits(128))) if rng.random() < 0.8 else "")
        path = [None] + sorted(rng.sample(range(0, 101), rng.randint(1, 4)))
        if rng.random() < 0.5:
            path.append(rng.choice([0, rng.randint(0, 100)]))  # a rollback
        running = planner.state_at(w, None, SRC, TGT)
        prev = None
        for step in path[1:]:
            phases = planner.plan_transition([w], prev, step, SRC, TGT)
            low, running = _simulate(rng, w, phases, running)
            assert low >= replicas - mu, (w, prev, step, phases)
            # settled state is exactly Karmada's division, with the left-out member at 0
            assert running == planner.state_at(w, step, SRC, TGT)
            for phase in phases:
                assert phase["expect"]["w"]["ready_floor"] >= replicas - mu
            prev = step


def test_plan_for_several_workloads_surges_when_one_needs_it():
    ws = [wl("a", 10, 5), wl("b", 3, 0)]
    phases = planner.plan_transition(ws, 0, 50, SRC, TGT)
    assert [p["purpose"] for p in phases] == ["surge", "step"]


def test_plan_shift_lists_each_remaining_step():
    plan = planner.plan_shift([wl("a", 4, 1)], 0, [0, 50, 100], SRC, TGT)
    assert [(s["from"], s["percent"]) for s in plan] == [(0, 50), (50, 100)]
    assert plan[-1]["replicas"]["a"] == {"source": 0, "target": 4}
    assert planner.plan_shift([wl("a", 4, 1)], 100, [0, 50, 100], SRC, TGT) == []


def test_remaining_steps_stop_after():
    assert planner.remaining_steps([0, 50, 100], None, 0) == [0]
    assert planner.remaining_steps([0, 50, 100], 0, 50) == [50]
    assert planner.remaining_steps([0, 50, 100], 100, 0) == []
    assert planner.remaining_steps([0, 50, 100], 100, 50) == []
    assert planner.remaining_steps([0, 50, 100], 50, 100) == [100]


def test_copy_strategy_split_and_phases():
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import planner as pl

    w = {"key": "Deployment/a/web", "replicas": 3, "uid": "u", "max_unavailable": 0, "strategy": "duplicated"}
    assert [pl.split(w, p, "s", "t") for p in (0, 1, 50, 99, 100)] == [(3, 0), (3, 3), (3, 3), (3, 3), (0, 3)]
    phases = pl.plan_transition([w], 50, 100, "s", "t")
    # no surge: the source is dropped from the schedule (preserved), then scaled to 0 by the shift
    assert [p["kind"] for p in phases] == ["weights", "scale_detached"]
    assert phases[0]["expect"]["Deployment/a/web"]["source_detached"] is True
    assert phases[-1]["expect"]["Deployment/a/web"]["source"] == 0
