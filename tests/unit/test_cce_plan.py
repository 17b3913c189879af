"""Planner of cce_cluster: validation, immutable/mutable differences, absent rules (tables)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce_plan, transformations

CURRENT = dict(
    id="cce-1", name="cce-prod-01", status="running", cluster_type="Host", kubernetes_version="1.29.3",
    vpc_id="vpc-1", subnet_id="sub-1", network_plugin="cubecni", pod_cidr="172.16.0.0/16",
    service_cidr="10.96.0.0/16", control_plane_count=3,
    api_server=dict(exposure="private_elb", elb_spec="standard I"), description="old", tags={"a": "1"},
    node_pools=[dict(id="np-1", name="workers", flavor="general 4C8G", os_image="ctyunos23.01", count=3,
                     disk_size=100, disk_type="SSD", status="active")],
)


def wanted(**overrides):
    base = dict((k, None) for k in CURRENT if k not in ("id", "status"))
    base["name"] = "cce-prod-01"
    base["api_server"] = dict(exposure=None, elb_spec=None)
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (dict(pod_cidr="10.96.0.0/12", service_cidr="10.96.0.0/16"), "overlaps service_cidr"),
        (dict(pod_cidr="10.0.0.1/16"), "pod_cidr '10.0.0.1/16' is not a network"),
        (dict(service_cidr="nope"), "service_cidr 'nope'"),
        (dict(control_plane_count=2), "control_plane_count 2: must be 1, 3 or 5"),
        (dict(node_pools=[dict(name="w", flavor="huge", os_image="ctyunos23.01")]), "flavor 'huge'"),
        (dict(node_pools=[dict(name="w", flavor="general 4C8G", os_image="windows")]), "os_image 'windows'"),
        (dict(node_pools=[dict(name="w"), dict(name="w")]), "names must be unique"),
        (dict(node_pools=[dict(name="w", count=-1)]), "count must be 0 or more"),
        (dict(name="-bad"), "name '-bad'"),
    ],
)
def test_validate_rejects_with_field_and_fix(overrides, fragment):
    with pytest.raises(ValidationError) as exc:
        cce_plan.validate(wanted(**overrides))
    assert fragment in exc.value.msg


@pytest.mark.parametrize(
    "overrides",
    [
        dict(pod_cidr="172.16.0.0/16", service_cidr="10.96.0.0/16", control_plane_count=3),
        dict(control_plane_count=1),
        dict(control_plane_count=5),
        dict(node_pools=[dict(name="w", flavor="general 4C8G", os_image="ctyunos23.01", count=0)]),
        dict(node_pools=[dict(name="w", flavor="s7.xlarge.2", os_image="ubuntu22.04")]),
    ],
)
def test_validate_accepts(overrides):
    cce_plan.validate(wanted(**overrides))


def test_unknown_version_checked_against_supported_list():
    with pytest.raises(ValidationError) as exc:
        cce_plan.validate(wanted(kubernetes_version="1.30.0"), supported_versions=["1.29.3", "1.31.1"])
    assert "kubernetes_version 1.30.0 is not offered" in exc.value.msg and "1.29.3" in exc.value.msg
    cce_plan.validate(wanted(kubernetes_version="1.29.3"), supported_versions=["1.29.3"])


@pytest.mark.parametrize(
    "overrides, fields",
    [
        (dict(kubernetes_version="1.31.1"), ["kubernetes_version"]),
        (dict(pod_cidr="10.0.0.0/16", service_cidr="10.1.0.0/16"), ["pod_cidr", "service_cidr"]),
        (dict(network_plugin="calico"), ["network_plugin"]),
        (dict(control_plane_count=5, cluster_type="Virtual"), ["cluster_type", "control_plane_count"]),
        (dict(api_server=dict(exposure="public_elb", elb_spec=None)), ["api_server.exposure"]),
        (dict(node_pools=[dict(name="workers", flavor="general 8C16G", count=3)]), ["node_pools[workers].flavor"]),
        (dict(vpc_id="vpc-2", subnet_id="sub-1"), ["vpc_id"]),
    ],
)
def test_immutable_differences_fail_listing_fields(overrides, fields):
    plan = cce_plan.plan_present(CURRENT, wanted(**overrides))
    assert plan["action"] == "fail"
    assert [d["field"] for d in plan["immutable"]] == fields
    message = cce_plan.immutable_message("cce-prod-01", plan["immutable"])
    for diff in plan["immutable"]:
        assert diff["field"] in message and repr(diff["current"]) in message and repr(diff["wanted"]) in message


@pytest.mark.parametrize(
    "overrides, purge, expect",
    [
        (dict(), True, dict(action="none")),
        (dict(pod_cidr="172.16.0.0/16", kubernetes_version="1.29.3"), True, dict(action="none")),
        (dict(description="old", tags={"a": "1"}), True, dict(action="none")),
        (dict(description="new"), True, dict(action="update", modify={"description": "new"})),
        (dict(tags={"b": "2"}), True, dict(action="update", modify={"tags": {"b": "2"}})),
        (dict(tags={"b": "2"}), False, dict(action="update", modify={"tags": {"a": "1", "b": "2"}})),
        (dict(tags={"a": "1"}), False, dict(action="none")),
        (dict(node_pools=[dict(name="workers", count=5)]), True,
         dict(action="update", scale=[dict(name="workers", id="np-1", current=3, wanted=5)])),
        (dict(node_pools=[dict(name="workers", count=3), dict(name="gpu", flavor="general 8C16G",
                                                              os_image="ctyunos23.01", count=1)]), True,
         dict(action="update", add_pools=[dict(name="gpu", flavor="general 8C16G", os_image="ctyunos23.01", count=1,
                                               disk_size=100, disk_type="SSD")])),
        (dict(node_pools=[]), True, dict(action="none", unmanaged_pools=["workers"])),
    ],
)
def test_mutable_plans(overrides, purge, expect):
    plan = cce_plan.plan_present(CURRENT, wanted(**overrides), purge_tags=purge)
    for key, value in expect.items():
        assert plan[key] == value, key
    assert plan["immutable"] == []


def test_missing_cluster_is_created_with_guide_defaults():
    assert cce_plan.plan_present(None, wanted())["action"] == "create"
    spec = cce_plan.with_create_defaults(wanted(kubernetes_version="1.29.3", vpc_id="v", subnet_id="s",
                                                node_pools=[dict(name="w", flavor="general 4C8G",
                                                                 os_image="ctyunos23.01", count=3)]))
    assert spec["network_plugin"] == "cubecni" and spec["control_plane_count"] == 3
    assert spec["api_server"] == dict(exposure="private_elb", elb_spec="standard I")
    assert spec["node_pools"][0]["disk_size"] == 100
    with pytest.raises(ValidationError) as exc:
        cce_plan.with_create_defaults(wanted())
    assert exc.value.details["missing"] == ["kubernetes_version", "vpc_id", "subnet_id"]


def test_apply_plan_gives_the_after_view():
    plan = cce_plan.plan_present(CURRENT, wanted(description="new", node_pools=[dict(name="workers", count=4)]))
    after = cce_plan.apply_plan(CURRENT, plan)
    assert after["description"] == "new" and after["node_pools"][0]["count"] == 4
    assert CURRENT["node_pools"][0]["count"] == 3


@pytest.mark.parametrize(
    "current, force, action",
    [
        (None, False, "none"),
        (CURRENT, False, "refuse"),
        (CURRENT, True, "delete"),
        (dict(CURRENT, node_pools=[]), False, "delete"),
        (dict(CURRENT, status="deleting"), False, "wait"),
    ],
)
def test_plan_absent(current, force, action):
    got, reason = cce_plan.plan_absent(copy.deepcopy(current) if current else None, force)
    assert got == action
    if action == "refuse":
        assert "force_delete" in reason and "workers" in reason


def test_api_round_trip():
    spec = cce_plan.with_create_defaults(wanted(kubernetes_version="1.29.3", vpc_id="v", subnet_id="s",
                                                tags={"k": "v"},
                                                node_pools=[dict(name="w", flavor="general 4C8G",
                                                                 os_image="ctyunos23.01", count=3)]))
    body = transformations.cluster_to_api(spec)
    assert body["containerNetworkType"] == "cubecni" and body["tags"] == [{"key": "k", "value": "v"}]
    assert body["nodePools"][0] == {"nodePoolName": "w", "flavorName": "general 4C8G", "osImage": "ctyunos23.01",
                                    "nodeCount": 3, "sysDiskSize": 100, "sysDiskType": "SSD"}
    back = transformations.cluster_from_api(dict(body, clusterId="c", clusterStatus="Running"), body["nodePools"])
    for key in ("kubernetes_version", "pod_cidr", "api_server", "tags", "control_plane_count"):
        assert back[key] == spec[key]
    assert back["status"] == "running"


@pytest.mark.parametrize(
    "answer, versions",
    [
        ([{"version": "1.29.3"}, {"version": "v1.31.1"}], ["1.29.3", "1.31.1"]),
        ({"records": ["1.29.3"]}, ["1.29.3"]),
        ({"versions": [{"kubernetesVersion": "1.27.8"}]}, ["1.27.8"]),
        (None, []),
    ],
)
def test_versions_shapes(answer, versions):
    assert transformations.versions_from_api(answer) == versions


def test_quotas_shape():
    got = transformations.quotas_from_api({"quotas": [{"name": "cluster", "limit": 5, "used": 5},
                                                      {"quotaName": "node", "total": -1, "used": 3}]})
    assert got == {"cluster": {"limit": 5, "used": 5, "available": 0},
                   "node": {"limit": -1, "used": 3, "available": None}}


def test_no_elb_spec_without_a_load_balancer():
    base = dict(name="c", kubernetes_version="1.29.3", vpc_id="vpc-1", subnet_id="subnet-1")
    spec = cce_plan.with_create_defaults(dict(base, api_server={"exposure": "none"}))
    assert spec["api_server"] == {"exposure": "none", "elb_spec": None}
    assert cce_plan.with_create_defaults(base)["api_server"] == {"exposure": "private_elb", "elb_spec": "standard I"}
    with pytest.raises(ValidationError, match="api_server.elb_spec"):
        cce_plan.with_create_defaults(dict(base, api_server={"exposure": "none", "elb_spec": "standard II"}))
