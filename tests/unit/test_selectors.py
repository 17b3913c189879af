"""Label selectors as Kubernetes matches them (k8s/selectors.py), and the promotion's pod check using
the whole selector (karmada/promote.py pod_uids). Tables."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s import selectors
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.promote import Promoter


@pytest.mark.parametrize("labels, selector, want", [
    ({"app": "web"}, {}, True),                                                     # empty: everything
    ({"app": "web"}, {"matchLabels": {"app": "web"}}, True),
    ({"app": "api"}, {"matchLabels": {"app": "web"}}, False),
    ({"app": "web"}, {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, True),
    ({}, {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}, False),
    ({}, {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, True),   # absent key
    ({"app": "web"}, {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, False),
    ({"tier": "x"}, {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True),
    ({"tier": "x"}, {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    # ANDed: matchLabels and every expression
    ({"app": "web", "tier": "front"}, {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["back"]}]}, False),
])
def test_matches(labels, selector, want):
    assert selectors.matches(labels, selector) is want


class Member(object):
    def __init__(self, pods):
        self.pods = pods

    def iter_list(self, path, **kwargs):
        assert path == "/api/v1/namespaces/shop/pods"
        return iter(self.pods)


def pod(uid, **labels):
    return {"metadata": {"uid": uid, "labels": labels}}


def workload(name, selector, replicas=1):
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"replicas": replicas, "selector": selector}}


def test_pod_uids_use_the_whole_selector():
    """Before, only matchLabels counted: a selector of expressions found no pod, and the workload's
    restart could not be seen (the check skipped it)."""
    member = Member([pod("a", app="web", track="stable"), pod("b", app="web", track="canary"),
                     pod("c", app="api")])
    promoter = Promoter(karmada=None, member=member, cluster="source", concurrency=1)
    uids = promoter.pod_uids([
        workload("web-stable", {"matchLabels": {"app": "web"},
                                "matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}]}),
        workload("by-expression", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}),
        workload("no-selector", None),
    ])
    assert uids == {"Deployment/shop/web-stable": ["a"], "Deployment/shop/by-expression": ["c"],
                    "Deployment/shop/no-selector": None}
