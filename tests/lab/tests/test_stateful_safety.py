"""What the replica shift of StatefulSets leans on in the lab: a member whose API server drops
``spec.ordinals`` (the StatefulSetStartOrdinal feature gate off, knob ``LAB_FEATURE_GATES_<CLUSTER>``),
Karmada's ResourceInterpreterCustomizations, and OverridePolicies that keep applying while they
are terminating (held by a finalizer)."""

from __future__ import annotations

import itertools

import pytest
from kubernetes import client

from tests.utils.polling import steady, until

_ns = itertools.count()
GATE_OFF = "StatefulSetStartOrdinal=false"
FINALIZER = "cce-migration.ctyun.cn/identity"
POLICY = ("policy.karmada.io", "v1alpha1")


def _safe(func):
    try:
        return func()
    except client.ApiException:
        return None


def sts_body(name, replicas=1, start=None):
    spec = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}
    if start is not None:
        spec["ordinals"] = {"start": start}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "labels": {"app": name}},
            "spec": spec}


class Clusters:
    def __init__(self, lab, members=("source", "target")):
        self.lab = lab
        self.ns = "safety-%d" % next(_ns)
        self.apps = dict((c, client.AppsV1Api(lab.api_client(c))) for c in ("source", "target", "karmada"))
        self.core = dict((c, client.CoreV1Api(lab.api_client(c))) for c in ("source", "target", "karmada"))
        self.custom = client.CustomObjectsApi(lab.api_client("karmada"))
        for c in ("karmada",) + tuple(members):
            self.core[c].create_namespace({"metadata": {"name": self.ns}})

    def ordinals(self, cluster, name):
        ords = self.apps[cluster].read_namespaced_stateful_set(name, self.ns).spec.ordinals
        return None if ords is None else ords.start

    def member(self, cluster, name):
        return _safe(lambda: self.apps[cluster].read_namespaced_stateful_set(name, self.ns))

    def propagate(self, name, clusters=("target",)):
        self.custom.create_namespaced_custom_object(*POLICY, self.ns, "propagationpolicies", {
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": name},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name}],
                     "placement": {"clusterAffinity": {"clusterNames": list(clusters)}}}})

    def override_rules(self, plaintext, cluster="target"):
        return [{"targetCluster": {"clusterNames": [cluster]}, "overriders": {"plaintext": plaintext}}]

    def override(self, name, target, plaintext, finalizers=None):
        meta = {"name": name}
        if finalizers:
            meta["finalizers"] = list(finalizers)
        return self.custom.create_namespaced_custom_object(*POLICY, self.ns, "overridepolicies", {
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy", "metadata": meta,
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": target}],
                     "overrideRules": self.override_rules(plaintext)}})

    def patch_override(self, name, body):
        return self.custom.patch_namespaced_custom_object(*POLICY, self.ns, "overridepolicies", name, body)


# -- StatefulSetStartOrdinal off on one member's API server ------------------------------------

@pytest.mark.sim_only("the real servers run Kubernetes 1.35, where StatefulSetStartOrdinal is GA and locked on")
def test_start_ordinal_gate_off_drops_spec_ordinals_unless_already_stored(lab):
    # pkg/registry/apps/statefulset/strategy.go (Kubernetes 1.27-1.30), dropStatefulSetDisabledFields:
    # with the gate off spec.ordinals is reset to nil on create, and on update unless the stored
    # object already has it
    cl = Clusters(lab)
    target = cl.apps["target"]
    lab.set_knobs(FEATURE_GATES_TARGET=GATE_OFF)
    try:
        created = target.create_namespaced_stateful_set(cl.ns, sts_body("dropped", start=5))
        assert created.spec.ordinals is None
        assert cl.ordinals("target", "dropped") is None
        # no pod 5: the controller counts from 0, as for a StatefulSet that never had the field
        until(lambda: sorted(p.metadata.name for p in cl.core["target"].list_namespaced_pod(
            cl.ns, label_selector="app=dropped").items) == ["dropped-0"], 30, "pod dropped-0")
        # PATCH and PUT of an object without spec.ordinals drop it as well; the write succeeds
        target.patch_namespaced_stateful_set("dropped", cl.ns, {"spec": {"ordinals": {"start": 5}}})
        assert cl.ordinals("target", "dropped") is None
        current = target.read_namespaced_stateful_set("dropped", cl.ns)
        current.spec.ordinals = client.V1StatefulSetOrdinals(start=5)
        target.replace_namespaced_stateful_set("dropped", cl.ns, current)
        assert cl.ordinals("target", "dropped") is None
        # the knob is per cluster: the source keeps the field
        cl.apps["source"].create_namespaced_stateful_set(cl.ns, sts_body("elsewhere", start=2))
        assert cl.ordinals("source", "elsewhere") == 2

        # an object created while the gate was on keeps spec.ordinals, and its updates change it
        lab.set_knobs(FEATURE_GATES_TARGET="")
        target.create_namespaced_stateful_set(cl.ns, sts_body("kept", start=3))
        assert cl.ordinals("target", "kept") == 3
        lab.set_knobs(FEATURE_GATES_TARGET=GATE_OFF)
        target.patch_namespaced_stateful_set("kept", cl.ns, {"spec": {"replicas": 2}})
        assert cl.ordinals("target", "kept") == 3
        target.patch_namespaced_stateful_set("kept", cl.ns, {"spec": {"ordinals": {"start": 7}}})
        assert cl.ordinals("target", "kept") == 7
        # once removed, it cannot come back while the gate is off
        target.patch_namespaced_stateful_set("kept", cl.ns, {"spec": {"ordinals": None}})
        assert cl.ordinals("target", "kept") is None
        target.patch_namespaced_stateful_set("kept", cl.ns, {"spec": {"ordinals": {"start": 3}}})
        assert cl.ordinals("target", "kept") is None

        # Karmada's execution controller writes through the same API server: a Work whose
        # manifest pins spec.ordinals.start (an OverridePolicy) lands on the member without it
        cl.apps["karmada"].create_namespaced_stateful_set(cl.ns, sts_body("shifted"))
        cl.override("shifted-start", "shifted", [{"path": "/spec/ordinals", "operator": "add",
                                                  "value": {"start": 4}}])
        cl.propagate("shifted")
        until(lambda: cl.member("target", "shifted") is not None, 30, "member StatefulSet")
        works = cl.custom.list_namespaced_custom_object("work.karmada.io", "v1alpha1", "karmada-es-target",
                                                        "works")["items"]
        manifests = [m for w in works for m in w["spec"]["workload"]["manifests"]
                     if m["metadata"]["name"] == "shifted" and m["metadata"].get("namespace") == cl.ns]
        assert [m["spec"].get("ordinals") for m in manifests] == [{"start": 4}]
        assert cl.ordinals("target", "shifted") is None
        # gate on: the Work's next update sets it; gate off again: the member keeps it and follows
        lab.set_knobs(FEATURE_GATES_TARGET="")
        cl.patch_override("shifted-start", {"spec": {"overrideRules": cl.override_rules(
            [{"path": "/spec/ordinals", "operator": "add", "value": {"start": 6}}])}})
        until(lambda: cl.ordinals("target", "shifted") == 6, 30, "ordinals applied with the gate on")
        lab.set_knobs(FEATURE_GATES_TARGET=GATE_OFF)
        cl.patch_override("shifted-start", {"spec": {"overrideRules": cl.override_rules(
            [{"path": "/spec/ordinals", "operator": "add", "value": {"start": 8}}])}})
        until(lambda: cl.ordinals("target", "shifted") == 8, 30, "a stored spec.ordinals updated with the gate off")
    finally:
        lab.set_knobs(FEATURE_GATES_TARGET="")


# -- ResourceInterpreterCustomization -------------------------------------------------------------

RIC = ("config.karmada.io", "v1alpha1", "resourceinterpretercustomizations")
RETAIN = "function Retain(desiredObj, observedObj)\n  return desiredObj\nend"


def test_resource_interpreter_customizations_are_served(lab):
    custom = client.CustomObjectsApi(lab.api_client("karmada"))
    resources = client.ApisApi(lab.api_client("karmada")).get_api_versions()
    assert "config.karmada.io" in [g.name for g in resources.groups]
    found = [r for r in custom.get_api_resources("config.karmada.io", "v1alpha1").resources
             if r.name == "resourceinterpretercustomizations"]
    assert found and found[0].namespaced is False and found[0].kind == "ResourceInterpreterCustomization"
    number = next(_ns)
    name = "lab-ric-%d" % number
    # a kind of its own: Karmada's webhook refuses two customizations of one operation for one kind
    body = {"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterCustomization",
            "metadata": {"name": name},
            "spec": {"target": {"apiVersion": "lab.example.io/v1", "kind": "Widget%d" % number},
                     "customizations": {"retention": {"luaScript": RETAIN}}}}
    created = custom.create_cluster_custom_object(*RIC, body)
    assert created["metadata"]["uid"] and "namespace" not in created["metadata"]
    got = custom.get_cluster_custom_object(*RIC, name)
    assert got["spec"]["customizations"]["retention"]["luaScript"] == RETAIN
    assert got["spec"]["target"] == body["spec"]["target"]
    assert name in [i["metadata"]["name"] for i in custom.list_cluster_custom_object(*RIC)["items"]]
    # Karmada's webhook: a second customization of the same operation for the same kind is refused,
    # one of another operation is not
    twin = dict(body, metadata={"name": name + "-twin"})
    with pytest.raises(client.ApiException) as exc:
        custom.create_cluster_custom_object(*RIC, twin)
    assert exc.value.status == 403
    assert "conflicting with InterpreterOperation(Retain) of existing ResourceInterpreterCustomization(%s)" % name \
        in exc.value.body
    health = dict(twin, spec=dict(body["spec"], customizations={"healthInterpretation": {
        "luaScript": "function InterpretHealth(observedObj)\n  return true\nend"}}))
    custom.create_cluster_custom_object(*RIC, health)
    custom.delete_cluster_custom_object(*RIC, name + "-twin")
    # the CRD's schema: spec.target is required
    with pytest.raises(client.ApiException) as exc:
        custom.create_cluster_custom_object(*RIC, dict(body, metadata={"name": name + "-bad"},
                                                       spec={"customizations": {}}))
    assert exc.value.status == 422
    custom.delete_cluster_custom_object(*RIC, name)
    until(lambda: _safe(lambda: custom.get_cluster_custom_object(*RIC, name)) is None, 30, "customization deleted")
    assert name not in [i["metadata"]["name"] for i in custom.list_cluster_custom_object(*RIC)["items"]]


@pytest.mark.real_only("the simulation stores customizations without loading their Lua (docs/lab.md)")
def test_real_karmada_webhook_loads_the_lua_of_a_customization(lab):
    custom = client.CustomObjectsApi(lab.api_client("karmada"))
    body = {"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterCustomization",
            "metadata": {"name": "lab-ric-broken"},
            "spec": {"target": {"apiVersion": "lab.example.io/v1", "kind": "Broken"},
                     "customizations": {"retention": {"luaScript": "function Retain(desiredObj, observedObj"}}}}
    with pytest.raises(client.ApiException) as exc:
        custom.create_cluster_custom_object(*RIC, body)
    assert "Lua script error" in exc.value.body


# -- OverridePolicies held by a finalizer -----------------------------------------------------------

def test_terminating_override_policy_applies_until_its_finalizer_goes(lab):
    # pkg/util/overridemanager/overridemanager.go (applyNamespacedOverrides,
    # getOverridersFromOverridePolicies) lists the policies from the cache without looking at
    # deletionTimestamp, and the binding controller syncs the bindings again on every change of an
    # OverridePolicy (newOverridePolicyFunc): a deleted policy held by a finalizer keeps applying
    cl = Clusters(lab, members=())
    cl.apps["karmada"].create_namespaced_stateful_set(cl.ns, sts_body("held", replicas=1))
    cl.override("held-replicas", "held", [{"path": "/spec/replicas", "operator": "replace", "value": 3}],
                finalizers=[FINALIZER])
    cl.propagate("held")

    def replicas():
        member = cl.member("target", "held")
        return None if member is None else member.spec.replicas

    until(lambda: replicas() == 3, 60, "the overridden replicas on the member")
    cl.custom.delete_namespaced_custom_object(*POLICY, cl.ns, "overridepolicies", "held-replicas")
    policy = cl.custom.get_namespaced_custom_object(*POLICY, cl.ns, "overridepolicies", "held-replicas")
    assert policy["metadata"]["deletionTimestamp"] and policy["metadata"]["finalizers"] == [FINALIZER]
    # the deletion synced the binding again: nothing changes
    steady(replicas, 3, 2, 0.2, what="the member's replicas under the terminating policy")
    # no finalizer can be added to an object being deleted (ValidateNoNewFinalizers)
    with pytest.raises(client.ApiException) as exc:
        cl.patch_override("held-replicas", {"metadata": {"finalizers": [FINALIZER, "lab.test/another"]}})
    assert exc.value.status == 422 and "no new finalizers can be added" in exc.value.body
    # the spec of the terminating policy can still change, and the member follows
    cl.patch_override("held-replicas", {"spec": {"overrideRules": cl.override_rules(
        [{"path": "/spec/replicas", "operator": "replace", "value": 2}])}})
    until(lambda: replicas() == 2, 60, "the terminating policy's new value on the member")
    # the finalizer goes: so does the policy, and the member returns to the template's value
    cl.patch_override("held-replicas", {"metadata": {"finalizers": None}})
    until(lambda: _safe(lambda: cl.custom.get_namespaced_custom_object(
        *POLICY, cl.ns, "overridepolicies", "held-replicas")) is None, 30, "the policy gone")
    until(lambda: replicas() == 1, 60, "the template's replicas on the member")
