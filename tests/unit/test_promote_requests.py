"""Requests of a promotion (karmada/promote.py Promoter) against in-memory API servers: an object
that is also a workload's dependency is written once, and the adoption poll reads member objects
only where a binding is applied."""

from __future__ import annotations

import copy
import threading

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError, ConflictError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.promote import Promoter


class Server(object):
    """Objects by path; records every request as (method, path)."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.calls = []

    def get(self, path, missing_ok=False):
        self.calls.append(("GET", path))
        return copy.deepcopy(self.objects.get(path))

    def create(self, path, body, dry_run=False):
        self.calls.append(("POST", path))
        key = "%s/%s" % (path, body["metadata"]["name"])
        if key in self.objects:
            raise ConflictError("already exists")
        self.objects[key] = copy.deepcopy(body)
        return body

    def iter_list(self, path, **kwargs):
        self.calls.append(("LIST", path))
        prefix = path + "/"
        return [copy.deepcopy(o) for k, o in sorted(self.objects.items())
                if k.startswith(prefix) and "/" not in k[len(prefix):]]


def member_objects():
    pod = {"containers": [{"name": "c", "image": "nginx", "envFrom": [{"configMapRef": {"name": "cfg"}}]}]}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod}}}
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"},
           "data": {"a": "1"}}
    return {"/apis/apps/v1/namespaces/shop/deployments/web": dep, "/api/v1/namespaces/shop/configmaps/cfg": cfg}


def test_an_object_that_is_also_a_dependency_is_written_once():
    member = Server(member_objects())
    karmada = Server({"/api/v1/namespaces/shop": {"metadata": {"name": "shop"}}})
    promoter = Promoter(karmada, member, "source", concurrency=4, with_dependencies=True, mode="policy",
                        policy_name="migration-pp")
    objects = [copy.deepcopy(o) for o in member_objects().values()]
    results = promoter.promote(objects, {})
    by_kind = dict((r["kind"], r) for r in results)
    assert by_kind["ConfigMap"]["outcome"] == "promoted"
    assert by_kind["Deployment"]["dependencies"] == [
        {"kind": "ConfigMap", "namespace": "shop", "name": "cfg", "outcome": "shared"}]
    writes = [c for c in karmada.calls if c[0] == "POST"]
    assert sorted(writes) == [("POST", "/api/v1/namespaces/shop/configmaps"),
                              ("POST", "/apis/apps/v1/namespaces/shop/deployments")]


def binding(name, applied):
    return {"metadata": {"name": name, "namespace": "shop"},
            "spec": {"clusters": [{"name": "source"}]},
            "status": {"conditions": [{"type": "FullyApplied", "status": "True" if applied else "False"}]}}


def test_adoption_reads_member_objects_only_where_a_binding_is_applied():
    rb = "/apis/work.karmada.io/v1alpha2/namespaces/shop/resourcebindings/"
    karmada = Server({rb + "web-deployment": binding("web-deployment", False),
                      rb + "cfg-configmap": binding("cfg-configmap", False)})
    member = Server(member_objects())
    promoter = Promoter(karmada, member, "source", concurrency=4)
    results = [dict(kind="Deployment", namespace="shop", name="web"),
               dict(kind="ConfigMap", namespace="shop", name="cfg")]
    states = promoter.adoption(results)
    assert [states[i][0] for i in (0, 1)] == [False, False]
    assert member.calls == []               # no binding applied: no member object to look at

    karmada.objects[rb + "cfg-configmap"] = binding("cfg-configmap", True)
    states = promoter.adoption(results)
    assert member.calls == [("LIST", "/api/v1/namespaces/shop/configmaps")]
    assert states[1] == (False, "member object not yet managed by Karmada")
    member.objects["/api/v1/namespaces/shop/configmaps/cfg"]["metadata"]["annotations"] = {
        "work.karmada.io/name": "cfg-x"}
    assert promoter.adoption(results)[1] == (True, "applied")


PP_PATH = "/apis/policy.karmada.io/v1alpha1/namespaces/%s/propagationpolicies"


def two_namespaces():
    objects = {}
    for ns in ("a", "b"):
        for name in ("one", "two", "bad"):
            objects["/api/v1/namespaces/%s/configmaps/%s" % (ns, name)] = {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                "data": {"k": name}}
    return objects


class GatedServer(Server):
    """Karmada whose template writes in namespace b wait (up to 5 s) for namespace a's batch policy,
    and whose create of ``fail`` answers 500."""

    def __init__(self, objects=None, fail=()):
        super(GatedServer, self).__init__(objects)
        self.a_policy = threading.Event()
        self.fail = set(fail)
        self.lock = threading.Lock()

    def create(self, path, body, dry_run=False):
        if path == "/api/v1/namespaces/b/configmaps":
            self.a_policy.wait(5)
        if "%s/%s" % (path, body["metadata"]["name"]) in self.fail:
            with self.lock:
                self.calls.append(("POST", path))
            raise ApiError("500 from the server")
        with self.lock:
            out = super(GatedServer, self).create(path, body, dry_run)
        if path == PP_PATH % "a":
            self.a_policy.set()
        return out


def namespaces_present():
    return {"/api/v1/namespaces/a": {"metadata": {"name": "a"}}, "/api/v1/namespaces/b": {"metadata": {"name": "b"}}}


def test_a_namespace_batch_policy_is_written_while_the_next_namespace_is():
    karmada = GatedServer(namespaces_present())
    promoter = Promoter(karmada, Server(two_namespaces()), "source", concurrency=4, mode="policy",
                        policy_name="migration-pp")
    objects = [copy.deepcopy(o) for o in two_namespaces().values()]
    results = promoter.promote(objects, {}, batch=True)
    assert [r["outcome"] for r in results] == ["promoted"] * 6
    posts = [c[1] for c in karmada.calls if c[0] == "POST"]
    # namespace a's policy went out before any template of namespace b was stored
    assert posts.index(PP_PATH % "a") < posts.index("/api/v1/namespaces/b/configmaps"), posts
    assert [(w["metadata"]["namespace"], a[0]) for w, a in promoter.batch_answers] == [("a", "created"),
                                                                                       ("b", "created")]
    selected = karmada.objects[PP_PATH % "a" + "/migration-pp"]["spec"]["resourceSelectors"]
    assert sorted(s["name"] for s in selected) == ["bad", "one", "two"]


@pytest.mark.parametrize("checked_first, by_check, by_promote", [(True, ["a", "b"], []), (False, [], ["a", "b"])])
def test_batch_policies_are_validated_once(monkeypatch, checked_first, by_check, by_promote):
    """check_batch_policies validates before any write; the policies promote() writes then select a
    subset of those objects and are not validated again. Without the check, promote() validates."""
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import promote as promote_mod

    seen = []
    real = promote_mod.schema.validate
    monkeypatch.setattr(promote_mod.schema, "validate", lambda obj, what=None: seen.append(
        obj["metadata"]["namespace"]) or real(obj, what))
    karmada = Server(namespaces_present())
    promoter = Promoter(karmada, Server(two_namespaces()), "source", concurrency=4, mode="policy",
                        policy_name="migration-pp")
    objects = [copy.deepcopy(o) for o in two_namespaces().values()]
    if checked_first:
        promoter.check_batch_policies(objects)
        assert karmada.calls == []                 # before the first request
    assert sorted(seen) == by_check
    del seen[:]
    promoter.promote(objects, {}, batch=True)
    assert sorted(seen) == by_promote
    assert sorted(w["metadata"]["namespace"] for w, dummy in promoter.batch_answers) == ["a", "b"]


def test_the_check_before_the_writes_validates_the_hpa_selectors_too(monkeypatch):
    """karmada_promote checks the batch policies after existing_templates(), which finds the HPAs
    promoted with their workloads: the selectors promote() writes unvalidated were all checked."""
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import promote as promote_mod

    checked = []
    real = promote_mod.schema.validate
    monkeypatch.setattr(promote_mod.schema, "validate", lambda obj, what=None: checked.extend(
        (s["kind"], s["name"]) for s in obj["spec"]["resourceSelectors"]) or real(obj, what))
    objects = member_objects()
    objects["/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web-hpa"] = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web-hpa", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 4}}
    karmada = Server({"/api/v1/namespaces/shop": {"metadata": {"name": "shop"}}})
    promoter = Promoter(karmada, Server(objects), "source", concurrency=4, mode="policy",
                        policy_name="migration-pp")
    workloads = [copy.deepcopy(o) for k, o in member_objects().items()]
    existing = promoter.existing_templates(workloads)
    promoter.check_batch_policies(workloads)
    assert not [c for c in karmada.calls if c[0] == "POST"]
    promoter.promote(workloads, existing, batch=True)
    written = karmada.objects[PP_PATH % "shop" + "/migration-pp"]["spec"]["resourceSelectors"]
    assert ("HorizontalPodAutoscaler", "web-hpa") in [(s["kind"], s["name"]) for s in written]
    assert set((s["kind"], s["name"]) for s in written) <= set(checked)


def test_a_namespace_with_a_failed_object_gets_no_batch_policy():
    karmada = GatedServer(namespaces_present(), fail={"/api/v1/namespaces/b/configmaps/bad"})
    promoter = Promoter(karmada, Server(two_namespaces()), "source", concurrency=1, mode="policy",
                        policy_name="migration-pp")
    objects = [copy.deepcopy(o) for o in two_namespaces().values()]
    results = promoter.promote(objects, {}, batch=True)
    assert [(r["namespace"], r["outcome"]) for r in results if r["outcome"] != "promoted"] == [("b", "failed")]
    assert [w["metadata"]["namespace"] for w, dummy in promoter.batch_answers] == ["a"]
    assert PP_PATH % "b" + "/migration-pp" not in karmada.objects
    assert len([c for c in karmada.calls if c == ("POST", PP_PATH % "a")]) == 1


class Boom(Exception):
    pass


class ExplodingServer(GatedServer):
    """Karmada whose create of ``explode`` raises something no caller expects (after namespace a's
    policy is written: namespace b waits for it)."""

    def __init__(self, objects=None, explode=()):
        super(ExplodingServer, self).__init__(objects)
        self.explode = set(explode)

    def create(self, path, body, dry_run=False):
        if "%s/%s" % (path, body["metadata"]["name"]) in self.explode:
            self.a_policy.wait(5)
            raise Boom("connection reset in a way nobody handles")
        return super(ExplodingServer, self).create(path, body, dry_run)


def test_policies_written_before_an_unexpected_error_are_reported():
    karmada = ExplodingServer(namespaces_present(), explode={"/api/v1/namespaces/b/configmaps/bad"})
    promoter = Promoter(karmada, Server(two_namespaces()), "source", concurrency=4, mode="policy",
                        policy_name="migration-pp")
    objects = [copy.deepcopy(o) for o in two_namespaces().values()]
    with pytest.raises(Boom):
        promoter.promote(objects, {}, batch=True)
    # namespace a's policy is stored (Karmada adopts it): the caller is told, to report changed=true
    assert PP_PATH % "a" + "/migration-pp" in karmada.objects
    assert [(w["metadata"]["namespace"], a[0]) for w, a in promoter.batch_answers] == [("a", "created")]
    assert PP_PATH % "b" + "/migration-pp" not in karmada.objects


def rb(clusters, statuses, required=(), evictions=()):
    return {"spec": {"clusters": [{"name": c} for c in clusters],
                     "requiredBy": [{"name": "w", "clusters": [{"name": c} for c in required]}] if required else [],
                     "gracefulEvictionTasks": [{"fromCluster": c, "purgeMode": m} for c, m in evictions]},
            "status": {"aggregatedStatus": [{"clusterName": c, "applied": a} for c, a in statuses]}}


# The cases of Karmada's TestWorksFullyApplied (pkg/util/helper/workstatus_test.go), the target
# clusters given through the binding spec as ObtainBindingSpecExistingClusters reads them.
@pytest.mark.parametrize("binding, applied", [
    (rb([], [("member1", True)]), False),                                         # no cluster
    (rb(["member1"], []), False),                                                 # no aggregatedStatuses
    (rb(["member1", "member2"], [("member1", True)]), False),                     # sizes differ
    (rb(["member1", "member2"], [("member1", True), ("member2", True)]), True),   # equal, all applied
    (rb(["member1", "member2"], [("member1", True), ("member2", False)]), False),  # not all applied
    (rb(["member2"], [("member1", True)]), False),                                # clusters do not match
    # ObtainBindingSpecExistingClusters: requiredBy clusters count, and eviction tasks not purged at once
    (rb([], [("source", True)], required=["source"]), True),
    (rb(["target"], [("target", True)], evictions=[("source", "Graciously")]), False),
    (rb(["target"], [("target", True)], evictions=[("source", "Immediately")]), True),
])
def test_works_fully_applied_is_karmadas_rule(binding, applied):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.promote import works_fully_applied
    assert works_fully_applied(binding) is applied


def test_adoption_does_not_wait_for_a_stale_fully_applied_condition():
    # seen on real Karmada under load: every Work applied, the condition still False for minutes
    rb_path = "/apis/work.karmada.io/v1alpha2/namespaces/shop/resourcebindings/"
    stale = binding("cfg-configmap", False)
    stale["status"]["aggregatedStatus"] = [{"clusterName": "source", "applied": True}]
    member = Server(member_objects())
    member.objects["/api/v1/namespaces/shop/configmaps/cfg"]["metadata"]["annotations"] = {
        "work.karmada.io/name": "cfg-x"}
    promoter = Promoter(Server({rb_path + "cfg-configmap": stale}), member, "source", concurrency=4)
    assert promoter.adoption([dict(kind="ConfigMap", namespace="shop", name="cfg")])[0] == (True, "applied")
