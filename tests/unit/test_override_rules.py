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
