"""Karmada behaviour of the lab: replica division on Karmada's own tables, promotion without
restarts, conflict resolution, preserveResourcesOnDeletion, overrides."""

from __future__ import annotations

import itertools
import time

import pytest
from kubernetes import client

from tests.lab.karmadasim import division
from tests.utils.polling import steady, until

EMPTY, EVEN, ODD = "", "4858ca61-3ff8-4095-8267-f3d059d8074c", "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"

# pkg/util/helper/binding_test.go Test_dispenser_AllocateByWeight (Karmada v1.19), transcribed:
# (new replicas, uid, initial assignment, weights, desired)
DISPENSER_CASES = [
    (6, EMPTY, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, {"A": 2, "B": 4, "C": 6}),
    (3, EMPTY, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, {"A": 2, "B": 3, "C": 4}),
    (2, EMPTY, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 3, "C": 4}),
    (1, EMPTY, None, {"A": 2, "B": 1}, {"A": 1, "B": 0}),
    (2, EMPTY, None, {"A": 2, "B": 1}, {"A": 1, "B": 1}),
    (3, EMPTY, None, {"A": 2, "B": 1}, {"A": 2, "B": 1}),
    (5, EMPTY, None, {"A": 170, "B": 110, "C": 60}, {"A": 2, "B": 2, "C": 1}),
    (6, EMPTY, None, {"A": 170, "B": 110, "C": 60}, {"A": 3, "B": 2, "C": 1}),
    (5, ODD, None, {"A": 1, "B": 1}, {"A": 2, "B": 3}),
    (5, EVEN, None, {"A": 1, "B": 1}, {"A": 3, "B": 2}),
]


@pytest.mark.parametrize("replicas, uid, initial, weights, desired", DISPENSER_CASES)
def test_division_matches_karmada_tables(replicas, uid, initial, weights, desired):
    assert division.webster(replicas, weights, uid, initial) == desired


def test_zero_weight_and_zero_replica_rules():
    clusters = [{"metadata": {"name": n, "labels": {}}} for n in ("source", "target")]
    # weights of unmatched clusters are 0 and they are left out; all-zero means equal weights
    assert division.static_weights(clusters, [{"targetCluster": {"clusterNames": ["target"]}, "weight": 1}]) == \
        {"target": 1}
    assert division.static_weights(clusters, []) == {"source": 1, "target": 1}
    # removeZeroReplicasCluster: a cluster given 0 replicas is not in the result
    assert division.divide(1, clusters, [{"targetCluster": {"clusterNames": ["source"]}, "weight": 2},
                                         {"targetCluster": {"clusterNames": ["target"]}, "weight": 1}], EMPTY) == \
        [{"name": "source", "replicas": 1}]


_ns = itertools.count()


def _api(lab, ctx):
    return lab.api_client(ctx)


def _wait(check, timeout=30, what="condition"):
    return until(check, timeout, what)


class World:
    def __init__(self, lab):
        self.lab = lab
        self.ns = "kconf-%d" % next(_ns)
        self.apps = dict((c, client.AppsV1Api(_api(lab, c))) for c in ("source", "target", "karmada"))
        self.core = dict((c, client.CoreV1Api(_api(lab, c))) for c in ("source", "target", "karmada"))
        self.custom = client.CustomObjectsApi(_api(lab, "karmada"))
        for c in ("source", "karmada"):
            self.core[c].create_namespace({"metadata": {"name": self.ns}})

    def karmada_deploy(self, name, pod=None):
        """A Deployment template of one replica in Karmada only (``pod``: its pod spec)."""
        self.apps["karmada"].create_namespaced_deployment(self.ns, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": pod or {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}})

    def override(self, name, overriders, selectors=None, clusters=("target",)):
        """An OverridePolicy whose one rule applies ``overriders`` on ``clusters``; ``selectors``
        None: none (every resource of the namespace)."""
        spec = {"overrideRules": [{"targetCluster": {"clusterNames": list(clusters)}, "overriders": overriders}]}
        if selectors is not None:
            spec["resourceSelectors"] = selectors
        self.custom.create_namespaced_custom_object("policy.karmada.io", "v1alpha1", self.ns, "overridepolicies", {
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy", "metadata": {"name": name},
            "spec": spec})

    def member_deploy(self, name, replicas=2, image="nginx:1.25"):
        body = {"metadata": {"name": name, "labels": {"app": name}},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "c", "image": image}]}}}}
        self.apps["source"].create_namespaced_deployment(self.ns, body)
        _wait(lambda: (self.apps["source"].read_namespaced_deployment(name, self.ns).status.ready_replicas or 0)
              == replicas, what="member deployment ready")
        return body

    def uids(self, name, ctx="source"):
        return sorted(p.metadata.uid for p in self.core[ctx].list_namespaced_pod(
            self.ns, label_selector="app=%s" % name).items if not p.metadata.deletion_timestamp)

    def template(self, body, overwrite=True, image=None):
        tmpl = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dict(body["metadata"]),
                "spec": body["spec"]}
        if overwrite:
            tmpl["metadata"]["annotations"] = {"work.karmada.io/conflict-resolution": "overwrite"}
        if image:
            tmpl["spec"] = dict(tmpl["spec"], template={"metadata": {"labels": body["metadata"]["labels"]},
                                                        "spec": {"containers": [{"name": "c", "image": image}]}})
        self.apps["karmada"].create_namespaced_deployment(self.ns, tmpl)

    def policy(self, name, target, clusters=("source",), weights=None, preserve=True, resolution=None, **extra):
        spec = {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": target}],
                "placement": {"clusterAffinity": {"clusterNames": list(clusters)}},
                "preserveResourcesOnDeletion": preserve}
        spec.update(extra)
        if resolution:
            spec["conflictResolution"] = resolution
        if weights:
            spec["placement"]["replicaScheduling"] = {
                "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                "weightPreference": {"staticWeightList": [
                    {"targetCluster": {"clusterNames": [c]}, "weight": w} for c, w in weights.items()]}}
        body = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                "metadata": {"name": name}, "spec": spec}
        try:
            self.custom.create_namespaced_custom_object("policy.karmada.io", "v1alpha1", self.ns,
                                                        "propagationpolicies", body)
        except client.ApiException as exc:
            if exc.status != 409:
                raise
            cur = self.custom.get_namespaced_custom_object("policy.karmada.io", "v1alpha1", self.ns,
                                                           "propagationpolicies", name)
            cur["spec"] = spec
            self.custom.replace_namespaced_custom_object("policy.karmada.io", "v1alpha1", self.ns,
                                                         "propagationpolicies", name, cur)

    def binding(self, name):
        try:
            return self.custom.get_namespaced_custom_object("work.karmada.io", "v1alpha2", self.ns,
                                                            "resourcebindings", "%s-deployment" % name)
        except client.ApiException:
            return None

    def condition(self, name, ctype):
        rb = self.binding(name) or {}
        for cond in (rb.get("status") or {}).get("conditions") or []:
            if cond["type"] == ctype:
                return cond
        return None


@pytest.fixture
def world(lab):
    return World(lab)


def test_identical_template_adopted_with_overwrite_keeps_pods(world):
    body = world.member_deploy("same")
    before = world.uids("same")
    world.template(body)
    world.policy("same-pp", "same")
    _wait(lambda: (world.condition("same", "FullyApplied") or {}).get("status") == "True", what="applied")
    member = world.apps["source"].read_namespaced_deployment("same", world.ns)
    assert member.metadata.annotations["work.karmada.io/name"]
    assert member.metadata.labels["karmada.io/managed"] == "true"
    steady(lambda: world.uids("same"), before, 1, what="member pod UIDs")
    tmpl = _wait(lambda: (lambda d: d if (d.status.ready_replicas or 0) == 2 else None)(
        world.apps["karmada"].read_namespaced_deployment("same", world.ns)), what="template status aggregated")
    assert tmpl.status.replicas == 2


def test_changed_pod_template_replaces_pods(world):
    body = world.member_deploy("changed")
    before = world.uids("changed")
    world.template(body, image="nginx:1.27")
    world.policy("changed-pp", "changed")
    _wait(lambda: (lambda u: len(u) == 2 and not set(u) & set(before))(world.uids("changed")), what="new pods")


def test_abort_leaves_member_untouched_and_reports_conflict(world):
    body = world.member_deploy("guarded")
    before = world.apps["source"].read_namespaced_deployment("guarded", world.ns)
    world.template(body, overwrite=False, image="nginx:9.9")
    world.policy("guarded-pp", "guarded", resolution="Abort")
    _wait(lambda: (lambda c: c if c and c["status"] == "False" and c["reason"] == "FullyAppliedFailed" else None)(
        world.condition("guarded", "FullyApplied")), what="conflict reported")
    messages = [a.get("appliedMessage", "") for a in (world.binding("guarded").get("status") or {}).get(
        "aggregatedStatus") or []]
    assert any("already exists in the cluster source" in m and "Karmada will not manage this resource" in m
               for m in messages), messages
    after = world.apps["source"].read_namespaced_deployment("guarded", world.ns)
    assert after.metadata.resource_version == before.metadata.resource_version
    assert after.spec.template.spec.containers[0].image == "nginx:1.25"


def test_zero_replica_cluster_with_preserve_keeps_object_and_replicas(world):
    body = world.member_deploy("shift", replicas=4)
    world.template(body)
    world.policy("shift-pp", "shift", clusters=("source", "target"), weights={"source": 1, "target": 1})
    _wait(lambda: (lambda b: b and sorted((c["name"], c["replicas"]) for c in b["spec"].get("clusters") or [])
                   == [("source", 2), ("target", 2)])(world.binding("shift")), what="1:1 split")
    world.policy("shift-pp", "shift", clusters=("source", "target"), weights={"target": 1})
    _wait(lambda: (lambda b: b and [c["name"] for c in b["spec"]["clusters"]] == ["target"])(world.binding("shift")),
          what="source left the schedule")
    _wait(lambda: "work.karmada.io/name" not in (world.apps["source"].read_namespaced_deployment(
        "shift", world.ns).metadata.annotations or {}), what="source Work deleted")
    kept = world.apps["source"].read_namespaced_deployment("shift", world.ns)
    assert kept.spec.replicas == 2   # exactly as it was: Karmada does not scale it down
    target = _wait(lambda: (lambda d: d if (d.status.ready_replicas or 0) == 4 else None)(
        world.apps["target"].read_namespaced_deployment("shift", world.ns)), what="target has all replicas")
    assert target.spec.replicas == 4


def test_override_image_reaches_only_named_member(world):
    body = world.member_deploy("imgs", replicas=1, image="registry.cn-hangzhou.aliyuncs.com/shop/imgs:1.0")
    world.template(body)
    world.custom.create_namespaced_custom_object("policy.karmada.io", "v1alpha1", world.ns, "overridepolicies", {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy", "metadata": {"name": "registry"},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "imgs"}],
                 "overrideRules": [{"targetCluster": {"clusterNames": ["target"]}, "overriders": {"imageOverrider": [
                     {"component": "Registry", "operator": "replace", "value": "registry-huadong1.crs.ctyun.cn"}]}}]}})
    world.policy("imgs-pp", "imgs", clusters=("source", "target"))
    target = _wait(lambda: _safe(lambda: world.apps["target"].read_namespaced_deployment("imgs", world.ns)),
                   what="target copy")
    assert target.spec.template.spec.containers[0].image == "registry-huadong1.crs.ctyun.cn/shop/imgs:1.0"
    source = world.apps["source"].read_namespaced_deployment("imgs", world.ns)
    assert source.spec.template.spec.containers[0].image == "registry.cn-hangzhou.aliyuncs.com/shop/imgs:1.0"


def test_override_plaintext_comes_last_and_a_later_policy_applies_after_it(world):
    # applyPolicyOverriders (pkg/util/overridemanager/overridemanager.go): within one policy the
    # labels overrider runs before the plaintext patches; policies apply one after the other
    # (getOverridersFromOverridePolicies sorts them), so a later policy edits what a plaintext
    # patch of an earlier one put there
    body = world.member_deploy("ordered", replicas=1)
    world.template(body)

    def override(name, overriders):
        world.override(name, overriders, [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "ordered"}])

    def target_labels():
        dep = _safe(lambda: world.apps["target"].read_namespaced_deployment("ordered", world.ns))
        return (dep.metadata.labels or {}) if dep is not None else None

    override("a-first", {"labelsOverrider": [{"operator": "add", "value": {"tier": "gold"}}],
                         "plaintext": [{"operator": "add", "path": "/metadata/labels",
                                        "value": {"app": "ordered", "set-by": "plaintext"}}]})
    world.policy("ordered-pp", "ordered", clusters=("source", "target"))
    labels = _wait(lambda: (lambda got: got if got and got.get("set-by") == "plaintext" else None)(target_labels()),
                   what="target copy with the plaintext labels")
    assert "tier" not in labels                 # the plaintext patch replaced what the labels overrider added
    # replace skips a key the object does not have (buildLabelAnnotationOverriderPatches)
    override("b-later", {"labelsOverrider": [{"operator": "add", "value": {"tier": "late"}},
                                             {"operator": "replace", "value": {"absent": "x", "set-by": "later"}}]})
    labels = _wait(lambda: (lambda got: got if got and got.get("tier") == "late" else None)(target_labels()),
                   what="the later policy's label on the target copy")
    assert labels.get("set-by") == "later"
    assert "absent" not in labels
    policy = world.custom.get_namespaced_custom_object("policy.karmada.io", "v1alpha1", world.ns, "overridepolicies",
                                                       "a-first")
    # the first policy is as it was written
    assert policy["spec"]["overrideRules"][0]["overriders"]["plaintext"][0]["value"] == {
        "app": "ordered", "set-by": "plaintext"}


def test_image_override_rewrites_containers_and_a_predicate_path_only(world):
    # buildPatchesWithEmptyPredicate / extractPatchesBy (pkg/util/overridemanager/imageoverride.go):
    # without a predicate only spec.template.spec.containers are rewritten, not initContainers;
    # a predicate's path names one image (buildPatchesWithPredicate)
    old, new = "registry.cn-hangzhou.aliyuncs.com", "registry-huadong1.crs.ctyun.cn"
    world.karmada_deploy("inits", {"initContainers": [{"name": "prep", "image": old + "/shop/prep:1.0"}],
                                   "containers": [{"name": "c", "image": old + "/shop/inits:1.0"}]})

    def override(name, rule):
        world.override(name, {"imageOverrider": [rule]}, [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                           "name": "inits"}])

    def images():
        dep = _safe(lambda: world.apps["target"].read_namespaced_deployment("inits", world.ns))
        if dep is None:
            return None
        pod = dep.spec.template.spec
        return pod.init_containers[0].image, pod.containers[0].image

    override("registry", {"component": "Registry", "operator": "replace", "value": new})
    world.policy("inits-pp", "inits", clusters=("target",))
    got = _wait(lambda: (lambda i: i if i and i[1].startswith(new) else None)(images()), what="target copy")
    assert got == (old + "/shop/prep:1.0", new + "/shop/inits:1.0")
    override("registry-init", {"component": "Registry", "operator": "replace", "value": new,
                               "predicate": {"path": "/spec/template/spec/initContainers/0/image"}})
    got = _wait(lambda: (lambda i: i if i and i[0].startswith(new) else None)(images()),
                what="the init container's image rewritten by the predicate")
    assert got == (new + "/shop/prep:1.0", new + "/shop/inits:1.0")


def test_override_by_name_applies_after_one_by_kind(world):
    # getOverridersFromOverridePolicies (overridemanager.go): within a scope the policies apply by
    # implicit priority (kind-only 1, label selector 2, name 3), then by name: the named one wins
    world.karmada_deploy("ranked")
    for name, selector in (("a-byname", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ranked"}),
                           ("b-bykind", {"apiVersion": "apps/v1", "kind": "Deployment"})):
        world.override(name, {"labelsOverrider": [{"operator": "add", "value": {"winner": name}}]}, [selector])
    world.policy("ranked-pp", "ranked", clusters=("target",))
    dep = _wait(lambda: _safe(lambda: world.apps["target"].read_namespaced_deployment("ranked", world.ns)),
                what="target copy")
    assert dep.metadata.labels["winner"] == "a-byname"


def test_override_without_selectors_reaches_what_is_already_propagated(world):
    # an OverridePolicy without resourceSelectors applies to every resource of its namespace, and
    # the bindings already there are synced again (newOverridePolicyFunc, binding_controller.go)
    world.karmada_deploy("late")
    world.policy("late-pp", "late", clusters=("target",))
    _wait(lambda: (lambda d: d is not None and (d.status.ready_replicas or 0) == 1)(_safe(
        lambda: world.apps["target"].read_namespaced_deployment("late", world.ns))), what="target copy ready")
    _wait(lambda: (world.condition("late", "FullyApplied") or {}).get("status") == "True", what="applied")
    time.sleep(1)                       # settled: nothing else syncs the binding again
    world.override("everything", {"labelsOverrider": [{"operator": "add", "value": {"scope": "namespace"}}]})
    _wait(lambda: (world.apps["target"].read_namespaced_deployment("late", world.ns).metadata.labels or {}).get(
        "scope") == "namespace", what="the label of the policy without selectors")


_D = "sha256:" + "a" * 64


# Karmada's results for these (overrideImage, imageoverride.go, over pkg/util/imageparser):
# a tag and a digest keep the tag only; the Tag component sets or removes the tag *or* digest
@pytest.mark.parametrize("image, rule, expected", [
    ("registry.cn-hangzhou.aliyuncs.com/shop/web:1.0", ("Registry", "replace", "new.reg"), "new.reg/shop/web:1.0"),
    ("docker.io/library/nginx:1.25@" + _D, ("Registry", "replace", "new.reg"), "new.reg/library/nginx:1.25"),
    ("reg.io/nginx@" + _D, ("Registry", "replace", "new.reg"), "new.reg/nginx@" + _D),
    ("localhost:5000/app:1", ("Registry", "replace", "new.reg"), "new.reg/app:1"),
    ("reg.io/nginx@" + _D, ("Tag", "replace", "v2"), "reg.io/nginx:v2"),
    ("reg.io/nginx@" + _D, ("Tag", "remove", ""), "reg.io/nginx"),
    ("reg.io/nginx:1.25", ("Tag", "replace", _D), "reg.io/nginx@" + _D),
    ("reg.io/nginx:1.25", ("Tag", "replace", ""), "reg.io/nginx:1.25"),
    ("reg.io/nginx:1.25", ("Tag", "add", "-ctyun"), "reg.io/nginx:1.25-ctyun"),
    ("reg.io/shop/nginx:1.25", ("Repository", "replace", "mirror/nginx"), "reg.io/mirror/nginx:1.25"),
])
def test_simulated_image_override_follows_karmadas_image_parser(image, rule, expected):
    from tests.lab.karmadasim.overrides import override_image

    assert override_image(image, dict(zip(("component", "operator", "value"), rule))) == expected


def _safe(func):
    try:
        return func()
    except client.ApiException:
        return None


def test_claim_is_kept_until_a_preempting_policy_takes_it(world):
    # pkg/detector/detector.go propagateResource: a claimed template keeps its policy;
    # pkg/detector/preemption.go: a higher-priority policy takes it only with preemption Always.
    body = world.member_deploy("claimed")
    world.template(body)
    world.policy("first", "claimed")

    def claimer():
        ann = world.apps["karmada"].read_namespaced_deployment("claimed", world.ns).metadata.annotations or {}
        return ann.get("propagationpolicy.karmada.io/name")

    def placed():
        return [c["name"] for c in ((world.binding("claimed") or {}).get("spec") or {}).get("clusters") or []]

    _wait(lambda: claimer() == "first", what="claimed by the first policy")
    # scheduled first: the binding has no clusters until the scheduler placed it
    _wait(lambda: placed() == ["source"], what="binding placed by the first policy")
    world.policy("higher", "claimed", clusters=("target",), priority=10)
    steady(lambda: (claimer(), placed()), ("first", ["source"]), 1, what="claimer and binding clusters")
    world.policy("higher", "claimed", clusters=("target",), priority=10, preemption="Always")
    _wait(lambda: claimer() == "higher", what="preempted by the higher-priority policy")
    _wait(lambda: placed() == ["target"], what="binding follows the new claimer")


# Static-weight cases run through the lab's Karmada: on the real backend the real
# karmada-scheduler divides (pkg/scheduler/core/assignment.go assignByStaticWeightStrategy, the
# dispenser seeded with the template's UID), and the simulation's division of the same input, with
# the same UID, must give the same ResourceBinding clusters. Odd counts, ties and a zero share.
# (replicas, source weight, target weight)
DIVISION_CASES = [(1, 1, 1), (2, 1, 1), (3, 1, 1), (5, 1, 1), (7, 1, 1), (3, 2, 1), (5, 2, 1), (7, 1, 3),
                  (9, 3, 2), (10, 1, 2), (11, 5, 5), (4, 1, 3), (1, 2, 1), (13, 2, 3)]


def test_static_weight_division_agrees_with_simulation(world):
    members = [{"metadata": {"name": n, "labels": {}}} for n in ("source", "target")]
    created = []
    for i, (replicas, ws, wt) in enumerate(DIVISION_CASES):
        name = "div-%d" % i
        world.apps["karmada"].create_namespaced_deployment(world.ns, {
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}})
        world.policy(name, name, clusters=("source", "target"), weights={"source": ws, "target": wt})
        created.append((name, replicas, ws, wt))
    results = []
    for name, replicas, ws, wt in created:
        rb = _wait(lambda name=name: (lambda b: b if b and (b.get("spec") or {}).get("clusters") else None)(
            world.binding(name)), timeout=60, what="binding of %s scheduled" % name)
        uid = world.apps["karmada"].read_namespaced_deployment(name, world.ns).metadata.uid
        got = sorted((c["name"], c["replicas"]) for c in rb["spec"]["clusters"])
        weight_list = [{"targetCluster": {"clusterNames": ["source"]}, "weight": ws},
                       {"targetCluster": {"clusterNames": ["target"]}, "weight": wt}]
        want = sorted((c["name"], c["replicas"]) for c in division.divide(replicas, members, weight_list, uid))
        results.append((name, replicas, ws, wt, got, want))
    wrong = [r for r in results if r[4] != r[5]]
    assert not wrong, "division differs (name, replicas, weights, binding, simulation): %s" % wrong
