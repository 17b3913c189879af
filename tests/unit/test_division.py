"""Replica division tables transcribed from Karmada v1.19's own tests.

* ``pkg/util/helper/binding_test.go`` ``Test_dispenser_AllocateByWeight``
* ``pkg/scheduler/core/assignment_test.go`` ``Test_assignByStaticWeightStrategy``
  (the static-weight cases; ``division_algorithm_test.go`` has no static-weight
  case in v1.19, only dynamic/aggregated ones, which the collection does not use).
"""

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import division

EMPTY_UID = ""
EVEN_UID = "4858ca61-3ff8-4095-8267-f3d059d8074c"
ODD_UID = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"

# name, new replicas, uid, initial assignment, weights, desired
ALLOCATE_BY_WEIGHT = [
    ("Scale up 6 replicas", 6, EMPTY_UID, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3},
     {"A": 2, "B": 4, "C": 6}),
    ("Scale up 3 replicas", 3, EMPTY_UID, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3},
     {"A": 2, "B": 3, "C": 4}),
    ("Scale up 2 replicas", 2, EMPTY_UID, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3},
     {"A": 1, "B": 3, "C": 4}),
    ("HA scenario with weight 2:1: assign 1 replica", 1, EMPTY_UID, None, {"A": 2, "B": 1}, {"A": 1, "B": 0}),
    ("HA scenario with weight 2:1: assign 2 replicas", 2, EMPTY_UID, None, {"A": 2, "B": 1}, {"A": 1, "B": 1}),
    ("HA scenario with weight 2:1: assign 3 replicas", 3, EMPTY_UID, None, {"A": 2, "B": 1}, {"A": 2, "B": 1}),
    ("brand new assign 5 replicas", 5, EMPTY_UID, None, {"A": 170, "B": 110, "C": 60},
     {"A": 2, "B": 2, "C": 1}),
    ("brand new assign 6 replicas", 6, EMPTY_UID, None, {"A": 170, "B": 110, "C": 60},
     {"A": 3, "B": 2, "C": 1}),
    ("brand new assign 5 replicas with odd uuid", 5, ODD_UID, None, {"A": 1, "B": 1}, {"A": 2, "B": 3}),
    ("brand new assign 5 replicas with even uuid", 5, EVEN_UID, None, {"A": 1, "B": 1}, {"A": 3, "B": 2}),
]


@pytest.mark.parametrize("name,replicas,uid,initial,weights,desired", ALLOCATE_BY_WEIGHT,
                         ids=[row[0] for row in ALLOCATE_BY_WEIGHT])
def test_dispenser_allocate_by_weight(name, replicas, uid, initial, weights, desired):
    assert division.allocate_by_weight(replicas, weights, initial, uid) == desired


M1, M2, M3 = "member1", "member2", "member3"


def _rule(cluster, weight):
    return {"targetCluster": {"clusterNames": [cluster]}, "weight": weight}


# name, candidates, static weight rules (None = default weight preference), replicas, want
STATIC_WEIGHT = [
    ("replica 12, weight 3:2:1", [M1, M2, M3], [_rule(M1, 3), _rule(M2, 2), _rule(M3, 1)], 12,
     {M1: 6, M2: 4, M3: 2}),
    ("replica 12, default weight", [M1, M2, M3], None, 12, {M1: 4, M2: 4, M3: 4}),
    ("replica 13, weight 3:2:1", [M1, M2, M3], [_rule(M1, 3), _rule(M2, 2), _rule(M3, 1)], 13,
     {M1: 7, M2: 4, M3: 2}),
    ("replica 14, weight 3:2:1", [M1, M2, M3], [_rule(M1, 3), _rule(M2, 2), _rule(M3, 1)], 14,
     {M1: 7, M2: 5, M3: 2}),
    ("insufficient replica assignment should get 0 replica", [M1, M2], [_rule(M1, 1), _rule(M2, 1)], 0,
     {M1: 0, M2: 0}),
    ("selected cluster without weight should be ignored", [M1, M2], [_rule(M1, 1)], 2, {M1: 2}),
    ("cluster with multiple weights", [M1, M2], [_rule(M1, 1), _rule(M2, 1), _rule(M1, 2)], 3,
     {M1: 2, M2: 1}),
]


@pytest.mark.parametrize("name,candidates,rules,replicas,want", STATIC_WEIGHT, ids=[r[0] for r in STATIC_WEIGHT])
def test_assign_by_static_weight_strategy(name, candidates, rules, replicas, want):
    weights = dict(division.static_weight_list(candidates, rules))
    # The Karmada test calls assignByStaticWeightStrategy with an empty template UID.
    got = division.allocate_by_weight(replicas, weights, None, "")
    assert got == want
    # divide_static reports every candidate, with 0 for the ones left out
    full = division.divide_static(replicas, candidates, rules, "")
    assert division.scheduled_clusters(full) == dict((c, r) for c, r in want.items() if r > 0)


def test_fnv32a_matches_known_vectors():
    # Published FNV-1a 32-bit test vectors.
    assert division.fnv32a("") == 0x811C9DC5
    assert division.fnv32a("a") == 0xE40C292C
    assert division.fnv32a("foobar") == 0xBF9CF968
    assert division.name_descending_for_uid(ODD_UID) is True
    assert division.name_descending_for_uid(EVEN_UID) is False
    assert division.name_descending_for_uid("") is False


def test_no_tie_breaker_queue_uses_fewer_seats_then_name():
    # webstermethod.go without tie-breaker: equal priority, equal seats -> smaller name first.
    assert division.allocate_webster_seats(1, {"b": 1, "a": 1}, tie_breaker=False) == [("a", 1), ("b", 0)]


def test_exact_weights_reproduce_the_allocation():
    # Votes equal to an allocation give exactly that allocation (used by the planner).
    for uid in (EMPTY_UID, EVEN_UID, ODD_UID):
        for s in range(0, 12):
            for t in range(0, 12):
                if s + t == 0:
                    continue
                weights = dict((k, v) for k, v in (("src", s), ("tgt", t)) if v)
                got = division.divide_static(s + t, ["src", "tgt"],
                                             [{"clusterNames": [k], "weight": v} for k, v in weights.items()], uid)
                assert got == {"src": s, "tgt": t}
