"""Migration semantics real Karmada and Kubernetes demand (issue 15), one test per rule.

Each test talks to the lab only through the Kubernetes APIs of its contexts (source, target,
karmada), so it runs on the simulation and on real control planes (``LAB_KUBE=real``). The
test names per rule are listed in docs/development.md.
"""

from __future__ import annotations

import time

import pytest

from tests.lab.fixtures import start_lab
from tests.utils.modrun import run_module

PP = ("policy.karmada.io", "v1alpha1", "propagationpolicies")
OP = ("policy.karmada.io", "v1alpha1", "overridepolicies")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("semantics-lab"), LAB_KARMADA_MEMBERS="source,target", LAB_READY_S="0.2",
                   LAB_WORKLOADS="4") as handle:
        yield handle


def apis(lab, context):
    from kubernetes import client

    api = lab.api_client(context)
    return client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)


def promote_params(lab, **extra):
    base = dict(kubeconfig=lab.kubeconfig, context="karmada", cluster="source",
                member=dict(kubeconfig=lab.kubeconfig, context="source"), wait_timeout=90)
    base.update(extra)
    return base


def deployment(name, replicas=1, image="nginx:1.25", volumes=None, env=None, env_from=None, pull_secrets=None,
               service_account=None):
    container = {"name": "c", "image": image}
    if env:
        container["env"] = env
    if env_from:
        container["envFrom"] = env_from
    pod = {"containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    if pull_secrets:
        pod["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    if service_account:
        pod["serviceAccountName"] = service_account
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod}}}


def namespace(lab, name, contexts=("source",)):
    for ctx in contexts:
        core = apis(lab, ctx)[0]
        try:
            core.create_namespace({"metadata": {"name": name}})
        except Exception as exc:  # already there (default, or made by an earlier test)
            if getattr(exc, "status", None) != 409:
                raise


def pod_uids(lab, ns, app, context="source"):
    core = apis(lab, context)[0]
    return sorted(p.metadata.uid for p in core.list_namespaced_pod(ns, label_selector="app=%s" % app).items)


def wait_for(what, check, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = check()
        if ok:
            return last
        time.sleep(0.3)
    raise AssertionError("timed out waiting for %s; last seen: %s" % (what, last))


def ready(lab, ns, name, context="source"):
    obj = apis(lab, context)[1].read_namespaced_deployment(name, ns)
    return (obj.status.ready_replicas or 0) == obj.spec.replicas and obj.spec.replicas > 0, obj.status


# -- point 1 -------------------------------------------------------------------------------------------
def test_conflicting_template_stays_out_of_the_batch_policy(lab):
    """A different template already in Karmada is a conflict in mode policy too: the batch policy
    (conflictResolution Overwrite) never selects it, so the source keeps its image and pods."""
    ns = "conflict-batch"
    namespace(lab, ns, ("source", "karmada"))
    apps = apis(lab, "source")[1]
    apps.create_namespaced_deployment(ns, deployment("keep", image="nginx:1.25"))
    apps.create_namespaced_deployment(ns, deployment("other", image="nginx:1.25"))
    wait_for("keep ready", lambda: ready(lab, ns, "keep"))
    before = pod_uids(lab, ns, "keep")
    # someone else's template of the same name, with another image
    theirs = deployment("keep", image="nginx:1.27")
    apis(lab, "karmada")[1].create_namespaced_deployment(ns, theirs)
    result = run_module("karmada_promote", promote_params(lab, namespaces=[ns], kinds=["Deployment"], mode="policy",
                                                          policy_name="deployments-pp", dependencies=True))
    assert not result.failed, result.get("msg")
    rows = dict((r["name"], r) for r in result["results"])
    assert rows["keep"]["outcome"] == "conflict" and "force=true" in rows["keep"]["reason"], rows["keep"]
    assert rows["other"]["outcome"] == "promoted", rows["other"]
    policy = apis(lab, "karmada")[2].get_namespaced_custom_object(*PP[:2], ns, PP[2], "deployments-pp")
    assert [s["name"] for s in policy["spec"]["resourceSelectors"]] == ["other"]
    time.sleep(2)   # give a (wrong) overwrite the time to happen
    member = apps.read_namespaced_deployment("keep", ns)
    assert member.spec.template.spec.containers[0].image == "nginx:1.25"
    assert pod_uids(lab, ns, "keep") == before


# -- point 2 -------------------------------------------------------------------------------------------
def test_reruns_unchanged_under_the_mutating_webhook(lab):
    """The webhook fills the selectors' namespace (and other defaults): the second run of every
    module is changed=false and the batch policy's selector list does not grow."""
    ns = "rerun"
    namespace(lab, ns, ("source",))
    apps = apis(lab, "source")[1]
    for name in ("a", "b"):
        apps.create_namespaced_deployment(ns, deployment(name))
    promote = promote_params(lab, namespaces=[ns], kinds=["Deployment"], mode="policy", policy_name="deployments-pp")
    first = run_module("karmada_promote", promote)
    assert not first.failed and first["changed"], first.get("msg")
    custom = apis(lab, "karmada")[2]
    stored = custom.get_namespaced_custom_object(*PP[:2], ns, PP[2], "deployments-pp")
    # the server filled the namespace (webhook default), which the module did not send
    assert all(s.get("namespace") == ns for s in stored["spec"]["resourceSelectors"]), stored["spec"]
    for _run in range(2):
        again = run_module("karmada_promote", promote)
        assert not again.failed and again["changed"] is False, [r for r in again["results"]
                                                                if r["outcome"] != "unchanged"]
    stored = custom.get_namespaced_custom_object(*PP[:2], ns, PP[2], "deployments-pp")
    assert len(stored["spec"]["resourceSelectors"]) == 2, stored["spec"]["resourceSelectors"]

    per = promote_params(lab, resources=[dict(kind="Deployment", namespace=ns, name="a")])
    run_module("karmada_promote", per)
    assert run_module("karmada_promote", per)["changed"] is False

    pp = dict(kubeconfig=lab.kubeconfig, context="karmada", name="split-pp", namespace=ns,
              resource_selectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "b"}],
              cluster_names=["source", "target"], replica_scheduling="Divided", weights={"source": 1, "target": 0},
              conflict_resolution="Overwrite", preserve_resources_on_deletion=True, priority=1)
    assert run_module("propagation_policy", pp)["changed"] is True
    second = run_module("propagation_policy", pp)
    assert not second.failed and second["changed"] is False, second.get("patch")
    op = dict(kubeconfig=lab.kubeconfig, context="karmada", name="images", namespace=ns, target_cluster="target",
              registry_map=[{"from": "registry.cn-hangzhou.aliyuncs.com", "to": "registry-huadong1.crs.ctyun.cn"}])
    assert run_module("override_policy", op)["changed"] is True
    second = run_module("override_policy", op)
    assert not second.failed and second["changed"] is False, second.get("patch")


# -- point 5 -------------------------------------------------------------------------------------------
def test_namespace_default_is_promoted_like_any_other(lab):
    """Karmada skips only karmada-system, karmada-cluster, karmada-es-* and kube-.*; the guide's
    own example promotes from ``-n default``."""
    apps = apis(lab, "source")[1]
    apps.create_namespaced_deployment("default", deployment("nginx"))
    wait_for("nginx ready", lambda: ready(lab, "default", "nginx"))
    before = pod_uids(lab, "default", "nginx")
    result = run_module("karmada_promote", promote_params(lab, resources=[dict(kind="Deployment",
                                                                               namespace="default", name="nginx")]))
    assert not result.failed, result.get("msg")
    assert result["counts"]["promoted"] == 1 and result["restarted"] == []
    member = apps.read_namespaced_deployment("nginx", "default")
    assert "work.karmada.io/name" in (member.metadata.annotations or {})
    assert pod_uids(lab, "default", "nginx") == before
