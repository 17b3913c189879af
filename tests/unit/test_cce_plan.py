"""cce_plan and transformations: the provider's rules and the request bodies, field by field.

Expected bodies are written from the reference of CTyun's Terraform provider
(ctyun-it/terraform-provider-ctyun @ 80651fdd, ccse_create_cluster_api.go, ccse_create_node_pool_api.go,
resource_ctyun_ccse_cluster.go), not from the code under test.
"""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cce_plan, endpoints
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import transformations as tf

ZONE = "cn-huadong1-jsnj1A-public-ctcloud"
FLAVORS = {"s7.xlarge.2": dict(flavorName="s7.xlarge.2", flavorType="CPU_S7", flavorCPU=4, flavorRAM=8),
           "s7.large.2": dict(flavorName="s7.large.2", flavorType="CPU_S7", flavorCPU=2, flavorRAM=4)}
GUIDE = dict(name="cce-prod-01", kubernetes_version="1.29.3", vpc_id="vpc-1", subnet_id="subnet-1", zones=[ZONE],
             network=dict(plugin="cubecni", pod_subnet_ids=["subnet-pods"]),
             control_plane=dict(flavor="s7.xlarge.2"), workers=dict(flavor="s7.xlarge.2", image_id="img-os2301"))


def test_guide_plan_create_body_field_by_field():
    spec = cce_plan.with_create_defaults(GUIDE)
    body = tf.cluster_to_api(spec, "cn-huadong1", FLAVORS)
    assert set(body) == {"resPoolId", "clusterBaseInfo", "masterHost", "slaveHost"}
    assert body["resPoolId"] == "cn-huadong1"
    assert body["clusterBaseInfo"] == {
        "clusterName": "cce-prod-01", "clusterSeries": "cce.standard", "clusterVersion": "1.29.3",
        "clusterDomain": "cluster.local", "vpcUuid": "vpc-1", "subnetUuid": "subnet-1", "networkPlugin": "cubecni",
        "podSubnetUuidList": ["subnet-pods"], "serviceCidr": "10.96.0.0/16", "autoGenerateSecurityGroup": True,
        "startPort": 30000, "endPort": 32767, "elbProdCode": "standardI", "enableApiServerEip": False,
        "containerRuntime": "containerd", "timezone": "Asia/Shanghai", "deployType": "single", "kubeProxy": "ipvs",
        "clusterDesc": "", "billMode": "2", "azInfos": [{"azName": ZONE, "size": 3}]}
    assert body["masterHost"] == {"itemDefName": "s7.xlarge.2", "itemDefType": "CPU_S7", "cpu": 4, "mem": 8,
                                  "size": 3, "sysDisk": {"itemDefName": "SSD", "size": 100}}
    assert body["slaveHost"] == {"itemDefName": "s7.xlarge.2", "itemDefType": "CPU_S7", "size": 3,
                                 "azInfos": [{"azName": ZONE, "size": 3}],
                                 "sysDisk": {"itemDefName": "SSD", "size": 100},
                                 "foreignMirrorId": "img-os2301", "mirrorType": 1}


def test_managed_calico_multi_zone_body():
    spec = cce_plan.with_create_defaults(dict(
        GUIDE, cluster_series="managed", managed=dict(series_type="managedpro"), control_plane=None,
        zones=["az1", "az2"], network=dict(plugin="calico", pod_cidr="172.16.0.0/16"),
        workers=dict(flavor="s7.xlarge.2", image_id="img", count=3)))
    body = tf.cluster_to_api(spec, "r1", FLAVORS)
    base = body["clusterBaseInfo"]
    assert "masterHost" not in body
    assert (base["clusterSeries"], base["seriesType"], base["nodeScale"]) == ("cce.managed", "managedpro", "50")
    assert base["azInfos"] == [{"azName": "az1"}, {"azName": "az2"}] and base["deployType"] == "multi"
    assert base["podCidr"] == "172.16.0.0/16" and base["podSubnetUuidList"] == []
    assert body["slaveHost"]["azInfos"] == [{"azName": "az1", "size": 2}, {"azName": "az2", "size": 1}]


@pytest.mark.parametrize("billing, cluster, pool", [
    (None, {"billMode": "2"}, {"billMode": "2"}),
    (dict(mode="month", period=3, auto_renew=True),
     {"billMode": "1", "cycleType": "3", "cycleCnt": 3, "autoRenewStatus": True},
     {"billMode": "1", "cycleType": "MONTH", "cycleCount": 3, "autoRenewStatus": 1}),
    (dict(mode="year", period=2, auto_renew=False),
     {"billMode": "1", "cycleType": "6", "cycleCnt": 1, "autoRenewStatus": False},
     {"billMode": "1", "cycleType": "YEAR", "cycleCount": 2, "autoRenewStatus": 0}),
])
def test_billing_encodings(billing, cluster, pool):
    assert tf.billing_to_api(billing) == cluster
    assert tf.billing_to_api(billing, pool=True) == pool


def test_nodepool_body_has_no_count_and_the_provider_fields():
    pool = cce_plan.pool_with_defaults(dict(name="batch", flavor="s7.xlarge.2", image_id="img", key_name="ops",
                                            key_pair_id="kp-1", count=4))
    body = tf.nodepool_to_api(pool, None, FLAVORS["s7.xlarge.2"], [ZONE])
    assert body == {"nodePoolName": "batch", "vmSpecName": "s7.xlarge.2", "vmType": "CPU_S7", "cpu": 4, "memory": 8,
                    "imageType": 1, "imageUuid": "img", "sysDiskType": "SSD", "sysDiskSize": 100,
                    "azInfo": [{"azName": ZONE}], "maxPodNum": 110, "loginType": "secretPair", "keyName": "ops",
                    "keyPairId": "kp-1", "billMode": "2"}


def test_read_record_uses_provider_names():
    obj = {"id": "c-1", "clusterName": "n", "clusterType": 0, "clusterVersion": "1.29.3", "clusterStatus": "normal",
           "bizState": 1, "vpcId": "v", "subnetUuid": "s", "networkPlugin": "cubecni", "serviceCidr": "10.96.0.0/16",
           "masterNodeNum": 3, "slaveNodeNum": 3, "kubeProxyPattern": "ipvs", "startPort": 30000, "endPort": 32767,
           "billMode": "2", "clusterDesc": "d", "resPoolId": "r"}
    pool = {"id": "np-1", "nodePoolName": "default-pool", "vmSpecName": "s7.xlarge.2", "imageUuid": "img",
            "nodeTotalNum": 3, "normalNodeNum": 2, "isDefault": True, "status": "normal"}
    out = tf.cluster_from_api(obj, [pool], {"a": "b"})
    assert (out["id"], out["status"], out["biz_state"], out["cluster_series"]) == ("c-1", "normal", 1, "standard")
    assert (out["kubernetes_version"], out["control_plane_count"], out["kube_proxy"]) == ("1.29.3", 3, "ipvs")
    assert out["node_pools"] == [dict(id="np-1", name="default-pool", flavor="s7.xlarge.2", image_id="img", count=3,
                                      ready=2, status="normal", default=True)]
    assert tf.kubeconfig_from_api({"kubeConfig": "x", "expireDate": "d"}) == "x"
    assert tf.tags_from_api({"tags": ["a=b", "c=d=e"]}) == {"a": "b", "c": "d=e"}
    assert tf.tags_to_api({"b": "1", "a": "2"}) == ["a=2", "b=1"]


@pytest.mark.parametrize("override, fragment", [
    (dict(network=dict(plugin="cubecni", pod_cidr="172.16.0.0/16")), "not used with cubecni"),
    (dict(network=dict(plugin="calico", pod_cidr="10.96.0.0/12", service_cidr="10.96.0.0/16")), "overlaps"),
    (dict(network=dict(plugin="calico", pod_subnet_ids=["s"], pod_cidr="172.16.0.0/16")), "only for cubecni"),
    (dict(cluster_series="managed", managed=dict(series_type="managedbase", node_scale=50)), "managedbase allows 10"),
    (dict(cluster_series="standard", managed=dict(series_type="managedpro")), "only for cluster_series managed"),
    (dict(control_plane=dict(count=4)), "control_plane.count 4"),
    (dict(control_plane=dict(sys_disk=dict(type="SSD", size=60))), "80-2040"),
    (dict(api_server=dict(elb_spec="standard I")), "standardI"),
    (dict(node_port_range=dict(start=30000, end=30020)), "node_port_range"),
    (dict(node_port_range=dict(start=20000, end=32767)), "node_port_range"),
    (dict(billing=dict(mode="year", period=4)), "1-3 years"),
    (dict(billing=dict(mode="on_demand", auto_renew=True)), "only for mode month or year"),
    (dict(workers=dict(count=1), zones=["a", "b"]), "at least 1 worker per zone"),
    (dict(workers=dict(data_disks=[dict(type="SSD", size=5)])), "10-20000"),
    (dict(node_pools=[dict(name="p", password="short")]), "8-30 characters"),
    (dict(node_pools=[dict(name="p", key_name="k")]), "go together"),
    (dict(node_pools=[dict(name="p", sys_disk=dict(type="NVME", size=50))]), "SATA, SAS, SSD"),
    (dict(name="Bad_Name"), "name 'Bad_Name'"),
])
def test_validate_rules(override, fragment):
    with pytest.raises(ValidationError) as err:
        cce_plan.validate(dict(GUIDE, **override))
    assert fragment in str(err.value)


def test_create_names_every_missing_required_option():
    with pytest.raises(ValidationError) as err:
        cce_plan.with_create_defaults(dict(name="cce-x", network=dict(plugin="calico")))
    assert err.value.details["missing"] == ["kubernetes_version", "vpc_id", "subnet_id", "zones", "workers.flavor",
                                            "workers.image_id", "control_plane.flavor", "network.pod_cidr"]


def test_flavor_problems():
    spec = dict(GUIDE, control_plane=dict(flavor="s7.large.2"))
    problems = cce_plan.flavor_problems(spec, {"s7.large.2": FLAVORS["s7.large.2"], "x.y": None})
    assert any("x.y" in p and "does not exist" in p for p in problems)
    assert any("at least 4C8G" in p for p in problems)


CURRENT = dict(id="c-1", name="cce-prod-01", status="normal", cluster_series="standard", kubernetes_version="1.29.3",
               vpc_id="vpc-1", subnet_id="subnet-1", network_plugin="cubecni", pod_cidr="192.168.0.0/16",
               service_cidr="10.96.0.0/16", control_plane_count=3, container_runtime="containerd", kube_proxy="ipvs",
               node_port_range=dict(start=30000, end=32767), description="", tags={},
               node_pools=[dict(id="np-1", name="default-pool", flavor="s7.xlarge.2", image_id="img", count=3,
                                default=True)])


def test_plan_unchanged_scale_and_immutable():
    assert cce_plan.plan_present(CURRENT, GUIDE)["action"] == "none"
    plan = cce_plan.plan_present(CURRENT, dict(GUIDE, workers=dict(count=5), description="x"))
    assert plan["action"] == "update" and plan["modify"] == {"description": "x"}
    assert plan["scale"] == [dict(name="default-pool", id="np-1", current=3, wanted=5)]
    plan = cce_plan.plan_present(CURRENT, dict(GUIDE, kubernetes_version="1.31.6", control_plane=dict(count=5)))
    assert plan["action"] == "fail"
    assert [d["field"] for d in plan["immutable"]] == ["kubernetes_version", "control_plane.count"]


@pytest.mark.parametrize("have, wanted, names, step", [
    (3, 3, ["a", "b", "c"], ("none", None)),
    (3, 5, ["a", "b", "c"], ("up", 2)),
    (5, 3, ["n-001", "n-002", "n-003", "n-004", "n-005"], ("down", ["n-004", "n-005"])),
    (0, 2, [], ("up", 2)),
])
def test_scale_step_is_relative_to_the_count_read(have, wanted, names, step):
    assert cce_plan.scale_step(have, wanted, names) == step


def test_plan_absent():
    assert cce_plan.plan_absent(None, False)[0] == "none"
    assert cce_plan.plan_absent(dict(CURRENT, biz_state=18), False)[0] == "wait"
    assert cce_plan.plan_absent(CURRENT, False)[0] == "refuse"
    assert cce_plan.plan_absent(CURRENT, True)[0] == "delete"
    assert cce_plan.plan_absent(dict(CURRENT, node_pools=[]), False)[0] == "delete"


def test_paths_are_the_providers():
    assert endpoints.CLUSTERS_CREATE == "/v2/cce/clusters/create"
    assert endpoints.CLUSTERS_DELETE == "/v2/cce/clusters/delete"
    assert endpoints.path(endpoints.CLUSTER_KUBECONFIG, cluster_id="c 1") == \
        "/v2/cce/clusters/c%201/certificate/kubeconfig"
    assert endpoints.path(endpoints.NODEPOOL_SCALE_UP, cluster_id="c", nodepool_id="n") == \
        "/v2/cce/clusters/c/nodepool/n/scaleup"
    assert not any("/cse-apig/" in v for k, v in vars(endpoints).items() if k.isupper() and isinstance(v, str))
    assert endpoints.ecs_endpoint("https://ccse-global.ctapi.ctyun.cn") == "https://ctecs-global.ctapi.ctyun.cn"
    assert endpoints.ecs_endpoint("https://127.0.0.1:8443") == "https://127.0.0.1:8443"
