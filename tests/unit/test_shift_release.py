"""What a release deletes in Karmada (pure planner of shift/release.py)."""

from __future__ import annotations

from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import release

POLICY = {"metadata": {"name": "migration-pp", "namespace": "shop"}}


def tpl(kind, name, claimed_by=None, spec=None):
    meta = {"name": name, "namespace": "shop"}
    if claimed_by:
        meta["annotations"] = {"propagationpolicy.karmada.io/name": claimed_by,
                               "propagationpolicy.karmada.io/namespace": "shop"}
        meta["labels"] = {"propagationpolicy.karmada.io/permanent-id": "id-" + claimed_by}
    return {"kind": kind, "metadata": meta, "spec": spec or {}}


def test_release_takes_claimed_templates_and_unclaimed_dependencies_only():
    pod = {"containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}],
                           "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "other-owned",
                                                                                "key": "p"}}}]}]}
    templates = {
        ("Deployment", "app"): tpl("Deployment", "app", "migration-pp", {"template": {"spec": pod}}),
        ("Service", "app"): tpl("Service", "app", "migration-pp"),
        ("ConfigMap", "cfg"): tpl("ConfigMap", "cfg"),                      # attached dependency
        ("Secret", "other-owned"): tpl("Secret", "other-owned", "someone-else"),
        ("ConfigMap", "unrelated"): tpl("ConfigMap", "unrelated"),
        ("Deployment", "theirs"): tpl("Deployment", "theirs", "someone-else"),
    }
    assert release.plan_release(POLICY, templates) == [("ConfigMap", "cfg"), ("Deployment", "app"),
                                                       ("Service", "app")]


def test_managed_marks():
    assert release.managed({"metadata": {"labels": {"karmada.io/managed": "true"}}})
    assert release.managed({"metadata": {"annotations": {"work.karmada.io/name": "x"}}})
    assert not release.managed({"metadata": {"labels": {"app": "x"}}})
