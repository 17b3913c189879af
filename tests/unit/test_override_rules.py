"""registry_map -> Karmada imageOverrider: only maps Karmada can express are accepted."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy

ALI = "registry.cn-hangzhou.aliyuncs.com"
CT = "registry-huadong1.crs.ctyun.cn"


@pytest.mark.parametrize("registry_map, expected", [
    ([], []),
    ([{"from": ALI, "to": CT}], [{"component": "Registry", "operator": "replace", "value": CT}]),
    ([{"from": ALI + "/shop/web", "to": CT + "/shop/web"}, {"from": ALI + "/shop/api", "to": CT + "/shop/api"}],
     [{"component": "Registry", "operator": "replace", "value": CT}]),
    ([{"from": "docker.io", "to": CT}, {"from": ALI, "to": CT}],
     [{"component": "Registry", "operator": "replace", "value": CT}]),
    ([{"from": CT + "/shop", "to": CT + "/shop"}], []),
])
def test_expressible_maps(registry_map, expected):
    assert policy.registry_overriders(registry_map) == expected


@pytest.mark.parametrize("registry_map, words", [
    ([{"from": ALI + "/aliyun/shop", "to": CT + "/ctyun/shop"}], ["registry_map[0]", "repository path"]),
    ([{"from": ALI, "to": CT}, {"from": "docker.io", "to": "swr.example.com"}], ["registry_map", "one host"]),
])
def test_inexpressible_maps_fail_naming_the_entry(registry_map, words):
    with pytest.raises(ValidationError) as err:
        policy.registry_overriders(registry_map)
    for word in words:
        assert word in str(err.value)


def test_rules_only_for_the_target_member():
    rules = policy.override_rules("cce-target", [{"from": ALI, "to": CT}], annotation_removals=["a/b"])
    assert rules == [{"targetCluster": {"clusterNames": ["cce-target"]}, "overriders": {
        "imageOverrider": [{"component": "Registry", "operator": "replace", "value": CT}],
        "annotationsOverrider": [{"operator": "remove", "value": {"a/b": ""}}]}}]


def _workload(kind, init=(), containers=(), ns="shop", name="web"):
    pod = {"containers": [{"name": "c%d" % i, "image": img} for i, img in enumerate(containers)]}
    if init:
        pod["initContainers"] = [{"name": "i%d" % i, "image": img} for i, img in enumerate(init)]
    if kind == "Pod":
        return {"kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": pod}
    template = {"template": {"spec": pod}}
    spec = {"jobTemplate": {"spec": template}} if kind == "CronJob" else template
    return {"kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


DIGEST = "sha256:" + "a" * 64


# Karmada's rule (buildPatchesWithEmptyPredicate / extractPatchesBy, imageoverride.go; Parse,
# imageparser/parser.go): containers of Pod, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job
# are rewritten; init containers and other kinds are not; a tag and a digest keep the tag only
@pytest.mark.parametrize("obj, expected", [
    (_workload("Deployment", containers=[ALI + "/shop/web:1"]), []),
    (_workload("Pod", containers=[ALI + "/shop/web:1"]), []),
    (_workload("Deployment", init=[ALI + "/shop/prep:1"], containers=[ALI + "/shop/web:1"]),
     [("i0", "initContainers")]),
    (_workload("StatefulSet", init=["docker.io/library/busybox:1"], containers=[ALI + "/shop/web:1"]), []),
    (_workload("CronJob", containers=[ALI + "/shop/job:1"]), [("c0", "CronJob")]),
    (_workload("Job", containers=[ALI + "/shop/job:1"]), []),
    (_workload("Deployment", containers=[ALI + "/shop/web:1@" + DIGEST]), [("c0", "tag and digest")]),
    (_workload("Deployment", containers=[ALI + "/shop/web@" + DIGEST]), []),
    (_workload("Deployment", containers=["nginx:1.25"]), []),
])
def test_images_not_rewritten_follow_karmadas_image_overrider(obj, expected):
    got = policy.images_not_rewritten([obj], [{"from": ALI, "to": CT}])
    assert [(g["container"], next(w for w in ("initContainers", "CronJob", "tag and digest") if w in g["reason"]))
            for g in got] == expected


def test_images_not_rewritten_ignore_a_map_that_keeps_the_host():
    obj = _workload("Deployment", init=[CT + "/shop/prep:1"], containers=[CT + "/shop/web:1"])
    assert policy.images_not_rewritten([obj], [{"from": CT + "/shop", "to": CT + "/shop"}]) == []
