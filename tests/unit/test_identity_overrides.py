"""Which OverridePolicies would undo a StatefulSet's identity pins (shift/identity.py
shadowing_overrides), per Karmada's order of overrides: the namespace's OverridePolicies that match
the object, sorted by implicit priority (name > labelSelector > all) and then by name, the last one
applied winning (getOverridersFromOverridePolicies, pkg/util/overridemanager/overridemanager.go)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import identity

DB = {"kind": "StatefulSet", "namespace": "data", "name": "db", "replicas": 3}


def op(name, selectors, paths=(), top_level=False, cluster=None):
    overriders = {"plaintext": [{"path": p, "operator": "replace", "value": 1} for p in paths]}
    spec = {"resourceSelectors": selectors}
    if top_level:
        spec["overriders"] = overriders
    else:
        spec["overrideRules"] = [dict({"overriders": overriders},
                                      **({"targetCluster": {"clusterNames": [cluster]}} if cluster else {}))]
    return {"metadata": {"name": name, "namespace": "data"}, "spec": spec}


NAMED = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db"}]


@pytest.mark.parametrize("policy, shadows", [
    # named, sorting after db-cce-migration-identity, writing replicas: applied last, wins
    (op("db-scale", NAMED, ["/spec/replicas"]), True),
    (op("zz", NAMED, ["/spec/ordinals/start"], cluster="target"), True),
    (op("zz", NAMED, ["/spec"], top_level=True), True),
    # sorting before ours: Karmada applies it first, the pins win
    (op("db-a", NAMED, ["/spec/replicas"]), False),
    (op("db-cce-migration-identity", NAMED, ["/spec/replicas"]), False),
    # not by name: lower implicit priority, applied before ours whatever its name
    (op("zz", [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                "labelSelector": {"matchLabels": {"app": "db"}}}], ["/spec/replicas"]), False),
    (op("zz", [], ["/spec/replicas"]), False),
    # another object, another namespace, another kind
    (op("zz", [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "cache"}], ["/spec/replicas"]), False),
    (op("zz", [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "namespace": "web"}],
        ["/spec/replicas"]), False),
    (op("zz", [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "db"}], ["/spec/replicas"]), False),
    # after ours but leaving replicas and ordinals alone
    (op("zz", NAMED, ["/spec/template/spec/containers/0/image"]), False),
    (op("zz", NAMED, []), False),
])
def test_shadowing_overrides_follow_karmadas_order(policy, shadows):
    assert identity.shadowing_overrides(DB, [policy]) == ([policy["metadata"]["name"]] if shadows else [])
