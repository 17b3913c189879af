"""HPA bounds per shift step (issue 15 point 8): Karmada's static-weight division of minReplicas and
maxReplicas, min at least 1 and max at least min on a member in the schedule; the v2beta2 -> v2 read."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import hpa as khpa
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.division import fnv32a
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import hpa

S, T = "aws-prod", "cce-prod"


@pytest.mark.parametrize("low,high,percent,expected", [
    # promoted / step 0: the source keeps the HPA's own bounds, the target is out of the schedule
    (2, 8, 0, {"source": (2, 8), "target": None}),
    (2, 8, 50, {"source": (1, 4), "target": (1, 4)}),
    (2, 8, 100, {"source": None, "target": (2, 8)}),
    # min divided to 0 on a member in the schedule becomes 1
    (1, 10, 50, {"source": (1, 5), "target": (1, 5)}),
    (1, 10, 10, {"source": (1, 9), "target": (1, 1)}),
    # max divided below min is raised to min
    (3, 3, 90, {"source": (1, 1), "target": (3, 3)}),
    (1, 1, 50, {"source": (1, 1), "target": (1, 1)}),
    # an HPA allowed to scale to zero keeps min 0
    (0, 6, 50, {"source": (0, 3), "target": (0, 3)}),
    (4, 20, 25, {"source": (3, 15), "target": (1, 5)}),
])
def test_bounds_follow_the_division(low, high, percent, expected):
    assert hpa.member_bounds(low, high, percent, S, T, uid="") == expected


def test_bounds_of_the_copy_strategy_are_the_hpa_s_own():
    assert hpa.member_bounds(2, 8, 50, S, T, strategy="duplicated") == {"source": (2, 8), "target": (2, 8)}
    assert hpa.member_bounds(2, 8, 0, S, T, strategy="duplicated") == {"source": (2, 8), "target": None}


def test_max_bounds_sum_to_the_hpa_max_like_replicas():
    for high in range(1, 30):
        for percent in (10, 25, 33, 50, 75, 90):
            got = hpa.member_bounds(1, high, percent, S, T, uid="7d3c6c0e")
            total = got["source"][1] + got["target"][1]
            # the division sums to the HPA's max; a member whose share rounds to 0 still gets 1
            assert total == high or (total == high + 1 and 1 in (got["source"][1], got["target"][1])), got


def test_override_rules_round_trip():
    names = {"source": S, "target": T}
    policy = hpa.override_policy("shop", "web", {"source": (1, 4), "target": (2, 5)}, names, "shop/migration-pp")
    assert policy["metadata"]["name"] == "web-hpa-bounds"
    assert policy["metadata"]["labels"] == {hpa.LABEL: "true"}
    assert hpa.read_rules(policy, names) == {"source": (1, 4), "target": (2, 5)}
    only = hpa.override_policy("shop", "web", {"source": None, "target": (2, 8)}, names, "shop/migration-pp")
    assert [r["targetCluster"]["clusterNames"] for r in only["spec"]["overrideRules"]] == [[T]]


def test_clamp():
    assert hpa.clamp(7, (1, 4)) == 4
    assert hpa.clamp(0, (2, 8)) == 2
    assert hpa.clamp(3, None) == 3


def test_settled_wants_bounds_and_ready():
    w = {"key": "Deployment/shop/web", "hpa": {"retained": True, "bounds": {"source": (1, 4), "target": None}}}
    obj = {"spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3}, "metadata": {}}
    assert hpa.settled(w, "source", obj, {"scheduled_source": 2})[0] is True
    obj["spec"]["replicas"] = 5
    assert hpa.settled(w, "source", obj, {"scheduled_source": 2})[0] is False
    # out of the schedule, or no HPA: the exact wait applies
    assert hpa.settled(w, "target", obj, {"scheduled_target": 0}) is None
    assert hpa.settled({"key": "x"}, "source", obj, {"scheduled_source": 2}) is None


def test_v2beta2_read_becomes_v2_with_the_tolerance_back_in_the_spec():
    beta = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "annotations": {
                "autoscaling.alpha.kubernetes.io/scale-down-tolerance": "50m"}},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 8}}
    got = khpa.to_v2(beta)
    assert got["apiVersion"] == "autoscaling/v2"
    assert got["spec"]["behavior"] == {"scaleDown": {"tolerance": "50m"}}
    assert "annotations" not in got["metadata"]
    assert khpa.scale_target(got) == ("Deployment", "web") and khpa.bounds(got) == (2, 8)
    assert beta["metadata"]["annotations"]    # the input is not changed
    v2 = dict(beta, apiVersion="autoscaling/v2")
    assert khpa.to_v2(v2)["metadata"]["annotations"] == beta["metadata"]["annotations"]


def test_scale_target_only_apps_workloads():
    ref = {"spec": {"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "r"}}}
    assert khpa.scale_target(ref) is None
    assert khpa.bounds({"spec": {"maxReplicas": 3}}) == (1, 3)


def test_retain_label_on_deployments_only():
    dep = {"kind": "Deployment", "metadata": {"name": "web"}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "db"}}
    assert khpa.mark_retained(dep) and khpa.retained(dep)
    assert not khpa.mark_retained(sts) and not khpa.retained(sts)


def test_planned_is_what_the_hpa_keeps_within_the_bounds():
    names = {"source": S, "target": T}
    w = {"key": "Deployment/shop/web", "uid": "", "replicas": 8,
         "hpa": {"retained": True, "min": 2, "max": 8, "bounds": {}}}
    # the template's replicas may be the members' sum (deploymentReplicasSyncer): the member's own
    # count within its bounds is the plan, not the division
    assert hpa.planned(w, 100, names, "weighted", 0, 8, None, {"spec": {"replicas": 4}}) == (0, 4)
    assert hpa.planned(w, 50, names, "weighted", 4, 4, {"spec": {"replicas": 7}}, None) == (4, 4)
    assert hpa.planned(dict(w, hpa=None), 50, names, "weighted", 4, 4) == (4, 4)


# issue 25 point 3 -------------------------------------------------------------------------------------
# UIDs whose FNV-32a hash is even / odd: Karmada's tieBreakerByUID gives a tied seat to the smaller /
# larger member name (aws-prod < cce-prod)
EVEN = next(u for u in ("u%d" % i for i in range(100)) if not fnv32a(u) & 1)
ODD = next(u for u in ("u%d" % i for i in range(100)) if fnv32a(u) & 1)


@pytest.mark.parametrize("replicas,low,high,percent,uid,expected", [
    # web/catalog-2 of the seeded lab: 1 replica, HPA 1..5. Karmada's division of the 1 replica leaves
    # the target out (no Work, no Deployment): no bounds for it, the HPA's own on the source
    (1, 1, 5, 50, EVEN, {"source": (1, 5), "target": None}),
    (1, 1, 5, 50, ODD, {"source": None, "target": (1, 5)}),
    (1, 1, 5, 25, ODD, {"source": (1, 5), "target": None}),
    (1, 1, 5, 75, EVEN, {"source": None, "target": (1, 5)}),
    (1, 1, 5, 100, EVEN, {"source": None, "target": (1, 5)}),
    # 2 replicas at 10 %: the target's seat rounds to 0
    (2, 1, 6, 10, EVEN, {"source": (1, 6), "target": None}),
    # enough replicas for both: divided as before
    (2, 1, 6, 50, EVEN, {"source": (1, 3), "target": (1, 3)}),
    (4, 2, 8, 50, "", {"source": (1, 4), "target": (1, 4)}),
    # a template at 0 replicas (its HPA disabled): no member gets bounds
    (0, 1, 5, 0, "", {"source": None, "target": None}),
])
def test_a_member_the_division_gives_no_replica_gets_no_bounds(replicas, low, high, percent, uid, expected):
    assert hpa.member_bounds(low, high, percent, S, T, uid=uid, replicas=replicas) == expected


@pytest.mark.parametrize("replicas,low,high,percent,hold,expected", [
    # a loaded HPA at its max 8 (template 4): each member's minimum is its share of the 8 running
    (4, 2, 8, 50, 8, {"source": (4, 4), "target": (4, 4)}),
    (4, 2, 8, 100, 8, {"source": None, "target": (8, 8)}),
    (4, 2, 8, 0, 8, {"source": (8, 8), "target": None}),
    # the share never goes above the member's maximum
    (4, 2, 8, 25, 8, {"source": (6, 6), "target": (2, 2)}),
    # an idle HPA: the minimum stays the division's
    (4, 2, 8, 50, 2, {"source": (1, 4), "target": (1, 4)}),
    # 1 replica: the member alone holds all of it
    (1, 1, 5, 25, 3, {"source": (3, 5), "target": None}),
])
def test_minimums_hold_the_replicas_that_ran_before_the_step(replicas, low, high, percent, hold, expected):
    assert hpa.member_bounds(low, high, percent, S, T, uid="", replicas=replicas, hold=hold) == expected


def test_hold_is_what_ran_before_at_most_the_hpa_max():
    w = {"hpa": {"retained": True, "max": 8}}
    assert hpa.hold_of(w, {"source": 8, "target": 0}) == 8
    assert hpa.hold_of(w, {"source": 8, "target": 8}) == 8     # after a surge both run it in full
    assert hpa.hold_of(w, {"source": 3, "target": 2}) == 5
    assert hpa.hold_of(w, None) is None                          # check mode: not observed
    assert hpa.hold_of({"hpa": {"retained": False, "max": 8}}, {"source": 8}) is None
