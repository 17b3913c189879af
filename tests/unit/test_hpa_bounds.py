"""HPA bounds per shift step (issue 15 point 8): Karmada's static-weight division of minReplicas and
maxReplicas, min at least 1 and max at least min on a member in the schedule; the v2beta2 -> v2 read."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import hpa as khpa
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
