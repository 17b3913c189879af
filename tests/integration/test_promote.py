"""karmada_promote against the lab, through the module's entry point: pods are never replaced."""

from __future__ import annotations

import json
import os

import pytest

from tests.lab.fixtures import start_lab
from tests.utils.modrun import run_module


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    backend = {"LAB_KUBE": os.environ["LAB_KUBE"]} if os.environ.get("LAB_KUBE") else {}
    with start_lab(tmp_path_factory.mktemp("promote-lab"), LAB_KARMADA_MEMBERS="source,target", LAB_READY_S="0.3",
                   LAB_WORKLOADS="12", **backend) as handle:
        yield handle


def params(lab, **extra):
    base = dict(kubeconfig=lab.kubeconfig, context="karmada", cluster="source",
                member=dict(kubeconfig=lab.kubeconfig, context="source"), wait_timeout=60)
    base.update(extra)
    return base


def pods(lab, ns):
    from kubernetes import client

    items = client.CoreV1Api(lab.api_client("source")).list_namespaced_pod(ns).items
    return sorted(p.metadata.uid for p in items)


def karmada_list(lab, path):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest

    return Rest(None, configuration=lab.api_client("karmada").configuration).list(path)


def test_single_promote_keeps_pods_and_rerun_is_unchanged(lab):
    before = pods(lab, "shop")
    first = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="shop",
                                                                      name="cart-0")]), diff=True)
    assert not first.failed, first.get("msg")
    assert first["changed"] is True and first["counts"]["promoted"] == 1
    assert first["policies"][0]["name"].startswith("cart-0-")
    assert first["restarted"] == []
    assert pods(lab, "shop") == before
    again = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="shop",
                                                                      name="cart-0")]))
    assert not again.failed and again["changed"] is False, again["results"]
    assert again["counts"]["unchanged"] == 1, (again["counts"], again["results"])
    # check mode in a namespace Karmada has: the writes go to the server as dry runs, nothing stored
    from kubernetes import client

    other = sorted(d.metadata.name for d in client.AppsV1Api(lab.api_client("source")).list_namespaced_deployment(
        "shop").items if d.metadata.name != "cart-0")[0]
    one = params(lab, resources=[dict(kind="Deployment", namespace="shop", name=other)], dependencies=False)
    mark = lab.mark()
    check = run_module("karmada_promote", one, check=True, diff=True)
    assert not check.failed and check["changed"] is True, check.get("msg")
    assert lab.writes(mark, server="karmada") == []
    dry = sorted((r["method"], r["path"]) for r in lab.dry_runs(mark, server="karmada"))
    assert dry == [("POST", "/apis/apps/v1/namespaces/shop/deployments"),
                   ("POST", "/apis/policy.karmada.io/v1alpha1/namespaces/shop/propagationpolicies")], dry
    diffs = check["diff"] if isinstance(check["diff"], list) else [check["diff"]]
    template = [d for d in diffs if d["after_header"].startswith("template Deployment")][0]
    assert template["before"] == {} and template["after"]["metadata"]["name"] == other
    assert run_module("karmada_promote", one, check=True)["counts"]["promoted"] == 1   # still not in Karmada


def test_bulk_namespace_with_dependencies_in_policy_mode(lab):
    before = pods(lab, "web")
    mark = lab.mark()
    check = run_module("karmada_promote", params(lab, namespaces=["web"], mode="policy", policy_name="deployments-pp",
                                                 dependencies=True), check=True)
    assert not check.failed, check.get("msg")
    assert check["changed"] is True and check["counts"]["promoted"] > 0
    assert lab.writes(mark, server="karmada") == []
    result = run_module("karmada_promote", params(lab, namespaces=["web"], mode="policy",
                                                  policy_name="deployments-pp", dependencies=True))
    assert not result.failed, result.get("msg")
    assert result["counts"]["failed"] == 0 and result["restarted"] == []
    assert pods(lab, "web") == before
    deployments = [r for r in result["results"] if r["kind"] == "Deployment"]
    assert deployments and all(r["outcome"] == "promoted" for r in deployments)
    policies = karmada_list(lab, "/apis/policy.karmada.io/v1alpha1/namespaces/web/propagationpolicies")
    assert [p["metadata"]["name"] for p in policies] == ["deployments-pp"]
    assert policies[0]["spec"]["conflictResolution"] == "Overwrite" and policies[0]["spec"]["propagateDeps"]
    again = run_module("karmada_promote", params(lab, namespaces=["web"], mode="policy",
                                                 policy_name="deployments-pp", dependencies=True))
    assert again["changed"] is False, [r for r in again["results"] if r["outcome"] != "unchanged"]


def test_conflict_is_reported_not_overwritten(lab):
    import copy

    from kubernetes import client

    karmada, source = lab.api_client("karmada"), lab.api_client("source")
    apps = client.AppsV1Api(karmada)
    member = source.sanitize_for_serialization(
        client.AppsV1Api(source).read_namespaced_deployment("checkout-1", "payments"))
    client.CoreV1Api(karmada).create_namespace({"metadata": {"name": "payments"}})
    tmpl = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "checkout-1", "namespace": "payments"}, "spec": copy.deepcopy(member["spec"])}
    tmpl["spec"]["replicas"] = 9
    apps.create_namespaced_deployment("payments", tmpl)
    result = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="payments",
                                                                       name="checkout-1")]))
    assert result["counts"]["conflict"] == 1 and "force=true" in result["results"][0]["reason"]
    assert apps.read_namespaced_deployment("checkout-1", "payments").spec.replicas == 9
    # force in check mode: the replacement goes to the server as a dry run; --diff shows before and after
    mark = lab.mark()
    forced = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="payments",
                                                                       name="checkout-1")], force=True),
                        check=True, diff=True)
    assert not forced.failed and forced["counts"]["updated"] == 1, forced.get("msg")
    assert lab.writes(mark, server="karmada") == []
    assert ("PUT", "/apis/apps/v1/namespaces/payments/deployments/checkout-1") in [
        (r["method"], r["path"]) for r in lab.dry_runs(mark, server="karmada")]
    diffs = forced["diff"] if isinstance(forced["diff"], list) else [forced["diff"]]
    template = [d for d in diffs if d["after_header"] == "template Deployment payments/checkout-1"][0]
    assert template["before"]["spec"]["replicas"] == 9
    assert template["after"]["spec"]["replicas"] == member["spec"]["replicas"]
    assert apps.read_namespaced_deployment("checkout-1", "payments").spec.replicas == 9


def test_bad_input_fails_before_any_write(lab):
    mark = lab.mark()
    missing = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="shop",
                                                                        name="nope")]))
    assert missing.failed and "nope" in missing["msg"] and "not found" in missing["msg"]
    unknown = run_module("karmada_promote", params(lab, cluster="member9", namespaces=["shop"]))
    assert unknown.failed and "member9" in unknown["msg"] and "source" in unknown["msg"]
    nothing = run_module("karmada_promote", params(lab))
    assert nothing.failed and "resources" in nothing["msg"]
    assert lab.writes(mark) == []


def test_propagation_policy_convenience_idempotent_and_validated(lab):
    missing_ns = run_module("propagation_policy", dict(
        kubeconfig=lab.kubeconfig, context="karmada", name="p", namespace="data",
        resource_selectors=[{"apiVersion": "apps/v1", "kind": "Deployment"}]))
    assert missing_ns.failed and "'data' does not exist" in missing_ns["msg"]
    base = dict(kubeconfig=lab.kubeconfig, context="karmada", name="split-pp", namespace="shop",
                resource_selectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart-0"}],
                cluster_names=["source", "target"], replica_scheduling="Divided", weights={"source": 1, "target": 1},
                conflict_resolution="Overwrite", preserve_resources_on_deletion=True)
    mark = lab.mark()
    bad = run_module("propagation_policy", dict(base, weights={"source": 1, "elsewhere": 1}))
    assert bad.failed and "elsewhere" in bad["msg"]
    bad_spec = run_module("propagation_policy", dict(kubeconfig=lab.kubeconfig, context="karmada", name="x",
                                                     namespace="data", spec={"resourceSelectors": [], "placement": {
                                                         "replicaScheduling": {"replicaSchedulingType": "Half"}}}))
    assert bad_spec.failed and "replicaSchedulingType" in bad_spec["msg"]
    assert lab.writes(mark) == []
    check = run_module("propagation_policy", base, check=True, diff=True)
    assert check["changed"] and check["diff"]["after"]["spec"]["placement"]["replicaScheduling"]
    assert check["diff"]["before"] == {}
    assert lab.writes(mark) == []
    # check mode asked the server (dryRun=All): the same create, validated and admitted, nothing stored
    assert [(r["method"], r["path"]) for r in lab.dry_runs(mark)] == [
        ("POST", "/apis/policy.karmada.io/v1alpha1/namespaces/shop/propagationpolicies")]
    first = run_module("propagation_policy", base)
    assert first["changed"] and first.get("action") == "created", (first.get("msg"), first.get("action"))
    again = run_module("propagation_policy", base)
    assert again["changed"] is False and again["action"] == "unchanged"
    mark = lab.mark()
    moved_check = run_module("propagation_policy", dict(base, weights={"source": 0, "target": 1}), check=True,
                             diff=True)
    assert moved_check["changed"] and lab.writes(mark) == [] and len(lab.dry_runs(mark)) == 1
    moved = run_module("propagation_policy", dict(base, weights={"source": 0, "target": 1}), diff=True)
    assert moved["changed"] and moved.get("action") == "updated", moved.get("msg")
    assert moved["patch"]["spec"]["placement"]["replicaScheduling"]["weightPreference"]
    # --diff of an update: field-level before and after, from the stored object and the server's answer
    for result in (moved_check, moved):
        weights = [w["weightPreference"]["staticWeightList"] for w in (
            result["diff"]["before"]["spec"]["placement"]["replicaScheduling"],
            result["diff"]["after"]["spec"]["placement"]["replicaScheduling"])]
        assert [[x["weight"] for x in ws] for ws in weights] == [[1, 1], [0, 1]] or \
            [[x["weight"] for x in ws] for ws in weights] == [[1, 1], [1]], weights
    gone = run_module("propagation_policy", dict(kubeconfig=lab.kubeconfig, context="karmada", name="split-pp",
                                                 namespace="shop", state="absent"))
    assert gone["changed"] and gone["action"] == "deleted"


def test_override_policy_registry_rewrite_target_only(lab):
    params_ = dict(kubeconfig=lab.kubeconfig, context="karmada", name="registry-to-ctyun", namespace="shop",
                   target_cluster="target", registry_map=[{"from": "registry.cn-hangzhou.aliyuncs.com",
                                                           "to": "registry-huadong1.crs.ctyun.cn"}])
    # a template whose init container comes from the source registry: Karmada's imageOverrider
    # rewrites containers only (imageoverride.go), so the module names the image it leaves
    from kubernetes import client as k8s_client

    karmada = lab.api_client("karmada")
    try:
        k8s_client.CoreV1Api(karmada).create_namespace({"metadata": {"name": "shop"}})
    except k8s_client.ApiException as exc:
        assert exc.status == 409
    k8s_client.AppsV1Api(karmada).create_namespaced_deployment("shop", {
        "metadata": {"name": "with-init", "labels": {"app": "with-init"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "with-init"}},
                 "template": {"metadata": {"labels": {"app": "with-init"}}, "spec": {
                     "initContainers": [{"name": "prep", "image": "registry.cn-hangzhou.aliyuncs.com/shop/prep:1"}],
                     "containers": [{"name": "c", "image": "registry.cn-hangzhou.aliyuncs.com/shop/web:1"}]}}}})
    first = run_module("override_policy", params_)
    assert first["changed"] and first.get("action") == "created", (first.get("msg"), first.get("action"))
    assert [(i["name"], i["container"]) for i in first["images_not_rewritten"]] == [("with-init", "prep")]
    assert any("with-init" in str(w) and "initContainers" in str(w) for w in first.get("warnings") or []), first.get(
        "warnings")
    rules = first["policy"]["spec"]["overrideRules"]
    assert rules[0]["targetCluster"]["clusterNames"] == ["target"]
    assert rules[0]["overriders"]["imageOverrider"][0]["value"] == "registry-huadong1.crs.ctyun.cn"
    assert run_module("override_policy", params_)["changed"] is False
    missing = run_module("override_policy", dict(params_, target_cluster=None))
    assert missing.failed and "target_cluster" in missing["msg"]


def test_promote_role_twice_second_run_unchanged(lab, tmp_path):
    import os
    import subprocess
    import sys

    from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path

    ensure_dev_path()
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "federation.json").write_text(json.dumps({"source_member_name": "source",
                                                         "target_member_name": "target"}))
    inventory = tmp_path / "inv.yml"
    inventory.write_text("source:\n  hosts:\n    source_cluster:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: %s\n" % sys.executable)
    extra = {"migration_workdir": str(workdir), "karmada_kubeconfig": lab.kubeconfig, "karmada_context": "karmada",
             "source_kubeconfig": lab.kubeconfig, "source_context": "source", "migrate_namespaces": ["data"],
             "registry_map": [{"from": "registry.cn-hangzhou.aliyuncs.com", "to": "registry-huadong1.crs.ctyun.cn"}]}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    before = pods(lab, "data")
    cmd = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks/promote.yml"),
           "-e", json.dumps(extra)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    record = json.loads((workdir / "promote.json").read_text())
    assert record["summary"]["objects"] > 0 and record["source_member_name"] == "source"
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
    assert pods(lab, "data") == before


def _apis(lab, context):
    from kubernetes import client

    api = lab.api_client(context)
    return client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)


def _deployment(name, volumes=None, env=None):
    container = {"name": "c", "image": "nginx:1.25"}
    if env:
        container["env"] = env
    pod = {"containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    return {"metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod}}}


def test_failed_dependency_reverts_the_dependencies_promoted_in_the_call(lab):
    # pkg/karmadactl/promote/promote.go revertPromotedDeps: a dependency that cannot be promoted
    # takes back the ones this call promoted before it; the member is never touched.
    core, apps, _ = _apis(lab, "source")
    core.create_namespace({"metadata": {"name": "deps"}})
    core.create_namespaced_config_map("deps", {"metadata": {"name": "present"}, "data": {"a": "1"}})
    apps.create_namespaced_deployment("deps", _deployment(
        "broken", volumes=[{"name": "cfg", "configMap": {"name": "present"}}],
        env=[{"name": "P", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "p"}}}]))
    result = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="deps",
                                                                       name="broken")], dependencies=True))
    assert result.failed
    (row,) = result["results"]
    assert row["outcome"] == "failed" and "absent" in row["reason"], row
    assert karmada_list(lab, "/api/v1/namespaces/deps/configmaps") == []
    assert karmada_list(lab, "/apis/apps/v1/namespaces/deps/deployments") == []
    assert core.read_namespaced_config_map("present", "deps").data == {"a": "1"}


def test_policy_made_by_karmadactl_is_reused_not_duplicated(lab):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada import names

    core, apps, _ = _apis(lab, "source")
    core.create_namespace({"metadata": {"name": "kctl"}})
    apps.create_namespaced_deployment("kctl", _deployment("legacy"))
    kcore, _, kcustom = _apis(lab, "karmada")
    kcore.create_namespace({"metadata": {"name": "kctl"}})
    name = names.policy_name("kctl", "legacy", "apps/v1", "Deployment")
    # what `karmadactl promote deployment legacy -n kctl -c source` leaves behind, made earlier by hand
    kcustom.create_namespaced_custom_object("policy.karmada.io", "v1alpha1", "kctl", "propagationpolicies", {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": "kctl"},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "legacy",
                                        "namespace": "kctl"}],
                 "placement": {"clusterAffinity": {"clusterNames": ["source"]}},
                 "conflictResolution": "Overwrite", "preserveResourcesOnDeletion": True, "priority": 5}})
    result = run_module("karmada_promote", params(lab, resources=[dict(kind="Deployment", namespace="kctl",
                                                                       name="legacy")]))
    assert not result.failed, result.get("msg")
    assert result["results"][0]["policy"]["outcome"] in ("reused", "unchanged"), result["results"][0]
    policies = karmada_list(lab, "/apis/policy.karmada.io/v1alpha1/namespaces/kctl/propagationpolicies")
    assert [p["metadata"]["name"] for p in policies] == [name]
    assert policies[0]["spec"]["priority"] == 5, "the existing policy was rewritten"


def test_requests_per_call_are_bounded_by_the_retry_policy(lab):
    """Karmada answering 503 to every write: a create and a merge patch, through the real module,
    send at most the policy's attempts (6), the create with one lookup by name after each."""
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import DEFAULT_POLICY

    base = dict(kubeconfig=lab.kubeconfig, context="karmada", name="bounded-pp", namespace="shop",
                resource_selectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart-0"}],
                cluster_names=["source"])
    policy_path = "/apis/policy.karmada.io/v1alpha1/namespaces/shop/propagationpolicies"
    try:
        lab.set_knobs(LAB_FAULT_RATE=1, LAB_FAULT_METHODS="POST,PATCH", LAB_FAULT_KIND="503")
        mark = lab.mark()
        create = run_module("propagation_policy", base)
        assert create.failed and "503" in create["msg"], create.get("msg")
        sent = [(r["method"], r["path"]) for r in lab.requests(mark) if r["server"] == "karmada"]
        assert sent.count(("POST", policy_path)) == DEFAULT_POLICY.attempts
        assert sent.count(("GET", policy_path + "/bounded-pp")) == 1 + DEFAULT_POLICY.attempts  # read + lookups
        lab.set_knobs(LAB_FAULT_RATE=0)
        assert not run_module("propagation_policy", base).failed
        lab.set_knobs(LAB_FAULT_RATE=1)
        mark = lab.mark()
        patch = run_module("propagation_policy", dict(base, cluster_names=["source", "target"]))
        assert patch.failed and "503" in patch["msg"], patch.get("msg")
        sent = [(r["method"], r["path"]) for r in lab.requests(mark) if r["server"] == "karmada"]
        assert sent.count(("PATCH", policy_path + "/bounded-pp")) == DEFAULT_POLICY.attempts
    finally:
        lab.set_knobs(LAB_FAULT_RATE=0, LAB_FAULT_METHODS="", LAB_FAULT_KIND="")
        run_module("propagation_policy", dict(base, state="absent"))
