"""Karmada policies are validated against the CRD schemas before any call (jsonschema, draft 7)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import schemas


def pp(spec, name="web"):
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


GOOD = {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
        "placement": {"clusterAffinity": {"clusterNames": ["source", "target"]},
                      "replicaScheduling": {"replicaSchedulingType": "Divided",
                                            "replicaDivisionPreference": "Weighted"}}}


def test_a_valid_policy_passes():
    assert schemas.validate(pp(GOOD))["spec"] is GOOD


@pytest.mark.parametrize("spec,needle", [
    (dict(GOOD, resourceSelectors=[]), "PropagationPolicy.spec.resourceSelectors: [] should be non-empty"),
    (dict(GOOD, resourceSelectors=[{"kind": "Deployment"}]),
     "PropagationPolicy.spec.resourceSelectors[0].apiVersion: required value"),
    (dict(GOOD, placment={}), "PropagationPolicy.spec.placment: unknown field"),
    (dict(GOOD, preemption="Sometimes"), "PropagationPolicy.spec.preemption: unsupported value 'Sometimes'"),
    (dict(GOOD, priority="high"), "PropagationPolicy.spec.priority: must be of type integer, got str"),
    (dict(GOOD, propagateDeps=1), "PropagationPolicy.spec.propagateDeps: must be of type boolean, got int"),
    ({"placement": {}}, "PropagationPolicy.spec.resourceSelectors: required value"),
])
def test_each_problem_names_its_field(spec, needle):
    with pytest.raises(ValidationError) as err:
        schemas.validate(pp(spec))
    assert needle in err.value.msg, err.value.msg


def test_int_or_string_and_preserved_fields():
    op = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
          "metadata": {"name": "o", "namespace": "shop"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                   "overrideRules": [{"overriders": {"plaintext": [
                       {"operator": "replace", "path": "/spec/x", "value": {"any": ["thing", 1]}}]}}]}}
    assert schemas.errors_for(op) == []
    op["spec"]["overrideRules"][0]["overriders"]["plaintext"][0]["operator"] = "merge"
    assert schemas.errors_for(op) == [
        "OverridePolicy.spec.overrideRules[0].overriders.plaintext[0].operator: unsupported value 'merge'; "
        "supported values: 'add', 'remove', 'replace'"]


def test_missing_name_and_unknown_kind():
    assert schemas.errors_for(pp(GOOD, name="")) == ["PropagationPolicy.metadata.name: required value"]
    assert "not a Karmada policy kind" in schemas.errors_for({"apiVersion": "v1", "kind": "Pod"})[0]
