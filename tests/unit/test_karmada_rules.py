"""Karmada rules the promotion follows, as tables: template pruning (prune.go + promote.go),
dependencies (native/dependencies.go), names (names.go)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import dependencies, names, prune

SERVER_META = {"uid": "u1", "resourceVersion": "7", "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
               "managedFields": [{"manager": "kubectl"}], "selfLink": "/x", "finalizers": ["f"],
               "ownerReferences": [{"kind": "X"}], "deletionGracePeriodSeconds": 30}


def obj(kind, api_version="v1", spec=None, annotations=None, labels=None, **extra):
    meta = dict(SERVER_META, name="app", namespace="shop")
    if annotations is not None:
        meta["annotations"] = dict(annotations)
    if labels is not None:
        meta["labels"] = dict(labels)
    out = {"apiVersion": api_version, "kind": kind, "metadata": meta, "status": {"x": 1}}
    if spec is not None:
        out["spec"] = spec
    out.update(extra)
    return out


@pytest.mark.parametrize("given, check", [
    # every kind: server metadata and status go, name/namespace/labels stay
    (obj("ConfigMap", labels={"app": "a"}, data={"k": "v"}),
     lambda t: t["metadata"] == {"name": "app", "namespace": "shop", "labels": {"app": "a"}} and "status" not in t),
    # Deployment: revision annotations go, the pod template is untouched
    (obj("Deployment", "apps/v1", spec={"replicas": 2, "template": {"metadata": {"labels": {"app": "a"}}}},
         annotations={"deployment.kubernetes.io/revision": "4", "team": "x"}),
     lambda t: t["metadata"]["annotations"] == {"team": "x"} and t["spec"]["template"] == {
         "metadata": {"labels": {"app": "a"}}}),
    # Job without manualSelector: generated selector and template labels go
    (obj("Job", "batch/v1", spec={"selector": {"matchLabels": {"controller-uid": "u", "app": "a"}},
                                  "template": {"metadata": {"labels": {"controller-uid": "u", "job-name": "app",
                                                                       "app": "a"}}}}),
     lambda t: t["spec"]["selector"]["matchLabels"] == {"app": "a"}
     and t["spec"]["template"]["metadata"]["labels"] == {"app": "a"}),
    # Job with manualSelector: kept as written
    (obj("Job", "batch/v1", spec={"manualSelector": True, "selector": {"matchLabels": {"controller-uid": "u"}}}),
     lambda t: t["spec"]["selector"]["matchLabels"] == {"controller-uid": "u"}),
    # ServiceAccount: its token secrets go, others stay
    (obj("ServiceAccount", secrets=[{"name": "app-token-abcde"}, {"name": "pull"}]),
     lambda t: t["secrets"] == [{"name": "pull"}]),
    # Service: cluster IPs go, headless stays headless
    (obj("Service", spec={"clusterIP": "10.0.0.9", "clusterIPs": ["10.0.0.9"], "ports": [{"port": 80}]}),
     lambda t: t["spec"] == {"ports": [{"port": 80}]}),
    (obj("Service", spec={"clusterIP": "None"}), lambda t: t["spec"] == {"clusterIP": "None"}),
    # PVC: the scheduler's selected-node annotation goes
    (obj("PersistentVolumeClaim", spec={"storageClassName": "essd"},
         annotations={"volume.kubernetes.io/selected-node": "n1"}),
     lambda t: "annotations" not in t["metadata"] and t["spec"] == {"storageClassName": "essd"}),
])
def test_prune(given, check):
    before = repr(given)
    assert check(prune.prune(given))
    assert repr(given) == before, "prune must not modify its input"


def test_template_adds_overwrite_and_drops_karmada_member_marks():
    member = obj("Deployment", "apps/v1", spec={"replicas": 1},
                 labels={"app": "a", "karmada.io/managed": "true"},
                 annotations={"work.karmada.io/name": "app-123", "team": "x",
                              "kubectl.kubernetes.io/last-applied-configuration": "{}"})
    tpl = prune.to_template(member)
    assert tpl["metadata"]["labels"] == {"app": "a"}
    assert tpl["metadata"]["annotations"] == {"team": "x", "work.karmada.io/conflict-resolution": "overwrite"}


POD = {"serviceAccountName": "runner", "imagePullSecrets": [{"name": "pull"}],
       "volumes": [{"configMap": {"name": "cfg"}}, {"secret": {"secretName": "tls"}},
                   {"persistentVolumeClaim": {"claimName": "data"}},
                   {"projected": {"sources": [{"configMap": {"name": "proj"}}]}}],
       "containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "db"}}}],
                       "envFrom": [{"configMapRef": {"name": "env"}}]}]}
ALL = [("ConfigMap", "cfg"), ("ConfigMap", "env"), ("ConfigMap", "proj"), ("PersistentVolumeClaim", "data"),
       ("Secret", "db"), ("Secret", "pull"), ("Secret", "tls"), ("ServiceAccount", "runner")]


@pytest.mark.parametrize("workload, expected", [
    ({"kind": "Deployment", "spec": {"template": {"spec": POD}}}, ALL),
    ({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": POD}}}}}, ALL),
    ({"kind": "Pod", "spec": POD}, ALL),
    ({"kind": "Deployment", "spec": {"template": {"spec": {"serviceAccountName": "default"}}}}, []),
    ({"kind": "ConfigMap", "data": {}}, []),
    # the volume secret references of VisitPodSecretNames (pkg/util/lifted/visitpod.go)
    ({"kind": "Deployment", "spec": {"template": {"spec": {"volumes": [
        {"csi": {"driver": "d", "nodePublishSecretRef": {"name": "csi"}}},
        {"azureFile": {"secretName": "az", "shareName": "s"}},
        {"cephfs": {"monitors": ["m"], "secretRef": {"name": "ceph"}}},
        {"projected": {"sources": [{"secret": {"name": "psec"}}]}}]}}}},
     [("Secret", "az"), ("Secret", "ceph"), ("Secret", "csi"), ("Secret", "psec")]),
])
def test_dependencies(workload, expected):
    assert dependencies.dependencies(workload) == expected


@pytest.mark.parametrize("kind, name, expected", [
    # pkg/util/names/names_test.go TestGenerateBindingName
    ("Pods", "pod", "pod-pods"), ("pods", "Pod", "pod-pods"), ("Deployment", "web", "web-deployment"),
])
def test_binding_name(kind, name, expected):
    assert names.binding_name(kind, name) == expected


def test_policy_names_are_stable_distinct_and_valid():
    a = names.policy_name("shop", "web", "apps/v1", "Deployment")
    assert a == names.policy_name("shop", "web", "apps/v1", "Deployment")
    assert a.startswith("web-") and a == a.lower()
    others = {names.policy_name("web", "web", "apps/v1", "Deployment"),
              names.policy_name("shop", "web", "v1", "Service"),
              names.policy_name("shop", "web", "apps/v1", "StatefulSet")}
    assert a not in others and len(others) == 3
    assert names.gvk_string("v1", "Service") == "/v1, Kind=Service"
    assert names.policy_name("", "system:admin", "rbac.authorization.k8s.io/v1", "ClusterRole").startswith(
        "system.admin-")


def _pp(selectors, **spec):
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "p", "namespace": "shop"}, "spec": dict(resourceSelectors=selectors, **spec)}


@pytest.mark.parametrize("stored_selector, action", [
    # pkg/webhook/propagationpolicy/mutating.go fills the policy's namespace into each selector
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "namespace": "shop"}, "none"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "a"}, "none"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "b", "namespace": "shop"}, "update"),
])
def test_policy_plan_compares_with_webhook_defaults(stored_selector, action):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import policy as pol

    wanted = _pp([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "a"}],
                 placement={"replicaScheduling": {"replicaSchedulingType": "Divided"}})
    stored = _pp([stored_selector], placement={"replicaScheduling": {
        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}},
        conflictResolution="Abort", priority=0, schedulerName="default-scheduler")
    stored["metadata"]["labels"] = {"propagationpolicy.karmada.io/permanent-id": "x"}
    assert pol.plan(stored, wanted)[0] == action


def test_claim_template_drops_the_source_binding_only():
    member = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
              "metadata": {"name": "data", "namespace": "db", "uid": "u", "annotations": {
                  "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                  "volume.beta.kubernetes.io/storage-provisioner": "disk", "team": "x"}},
              "spec": {"volumeName": "pv-1", "storageClassName": "essd", "accessModes": ["ReadWriteOnce"]},
              "status": {"phase": "Bound"}}
    tpl = prune.to_template(member)
    assert "volumeName" not in tpl["spec"] and tpl["spec"]["storageClassName"] == "essd"
    assert tpl["metadata"]["annotations"] == {"team": "x", "work.karmada.io/conflict-resolution": "overwrite"}
