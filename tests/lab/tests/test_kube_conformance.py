"""The lab's API servers against real kubectl and the official Python client."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException


def kubectl(lab, *args, ok=True, stdin=None):
    env = dict(os.environ, KUBECONFIG=lab.kubeconfig)
    proc = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120,
                          check=False)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def api(lab, context):
    return lab.api_client(context)


def pod_uids(lab, ns, app, context="source"):
    pods = client.CoreV1Api(api(lab, context)).list_namespaced_pod(ns, label_selector="app=%s" % app).items
    return sorted(p.metadata.uid for p in pods if not p.metadata.deletion_timestamp)


def wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in %ss" % timeout)


DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: conformance, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}]
"""


@pytest.fixture(scope="module")
def deployed(lab):
    # kubectl's typed generators ("create namespace") send protobuf, which the lab does not decode;
    # manifests go as JSON
    kubectl(lab, "--context", "source", "apply", "-f", "-",
            stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: conformance}\n")
    kubectl(lab, "--context", "source", "apply", "-f", "-", stdin=DEPLOY)
    kubectl(lab, "--context", "source", "-n", "conformance", "rollout", "status", "deployment/web", "--timeout=60s")
    return lab


@pytest.mark.sim_only("the simulated source is another cloud's 1.22 and the target CCE's 1.29; real servers are "
                     "all one Kubernetes release")
def test_versions_differ_per_cluster(lab):
    versions = dict((ctx, json.loads(kubectl(lab, "--context", ctx, "version", "-o", "json", ok=False).stdout)
                     ["serverVersion"]["gitVersion"]) for ctx in ("source", "target", "karmada"))
    assert versions["source"].startswith("v1.22") and versions["target"] == "v1.29.3"
    assert versions["karmada"].startswith("v1.19")


@pytest.mark.sim_only("APIs a 1.22 source still served (batch/v1beta1, policy/v1beta1, autoscaling/v2beta2) are "
                     "gone from every current server; the assessment's deprecated-API findings rest on the simulation")
def test_served_apis_follow_the_version(lab):
    source = kubectl(lab, "--context", "source", "api-resources", "-o", "name").stdout.split()
    target = kubectl(lab, "--context", "target", "api-resources", "-o", "name").stdout.split()
    versions_src = kubectl(lab, "--context", "source", "api-versions").stdout.split()
    versions_tgt = kubectl(lab, "--context", "target", "api-versions").stdout.split()
    assert "deployments.apps" in source and "deployments.apps" in target
    for removed in ("batch/v1beta1", "policy/v1beta1", "autoscaling/v2beta2"):
        assert removed in versions_src and removed not in versions_tgt
    karmada = kubectl(lab, "--context", "karmada", "api-resources", "-o", "name").stdout.split()
    assert "propagationpolicies.policy.karmada.io" in karmada and "works.work.karmada.io" in karmada


def test_seeded_estate_listed_by_kubectl_and_chunked(lab):
    out = kubectl(lab, "--context", "source", "get", "deploy", "-A", "-o", "json", "--chunk-size=7").stdout
    seeded = ("shop", "payments", "web", "data")   # other tests of the session add their own namespaces
    items = [i for i in json.loads(out)["items"] if i["metadata"]["namespace"] in seeded]
    assert len(items) == lab.seed["source"]["counts"]["Deployment"]
    logged = [r for r in lab.requests() if r["path"] == "/apis/apps/v1/deployments" and "limit=7" in r["query"]]
    assert len(logged) >= 2 and any("continue=" in r["query"] for r in logged)


def test_scale_and_label_keep_pods_image_change_replaces_them(deployed):
    lab = deployed
    before = pod_uids(lab, "conformance", "web")
    assert len(before) == 2
    kubectl(lab, "--context", "source", "-n", "conformance", "label", "deployment/web", "team=blue")
    kubectl(lab, "--context", "source", "-n", "conformance", "patch", "deployment/web", "--type=merge", "-p",
            '{"metadata": {"annotations": {"owner": "sre"}}}')
    assert pod_uids(lab, "conformance", "web") == before
    kubectl(lab, "--context", "source", "-n", "conformance", "scale", "deployment/web", "--replicas=3")
    after_scale = wait_for(lambda: (lambda u: u if len(u) == 3 else None)(pod_uids(lab, "conformance", "web")))
    assert set(before) <= set(after_scale)
    kubectl(lab, "--context", "source", "-n", "conformance", "patch", "deployment/web", "--type=json", "-p",
            '[{"op": "replace", "path": "/spec/replicas", "value": 2}]')
    kubectl(lab, "--context", "source", "-n", "conformance", "patch", "deployment/web", "-p",
            '{"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}}')
    kubectl(lab, "--context", "source", "-n", "conformance", "rollout", "status", "deployment/web", "--timeout=60s")
    final = wait_for(lambda: (lambda u: u if len(u) == 2 else None)(pod_uids(lab, "conformance", "web")))
    assert not set(final) & set(after_scale)
    dep = client.AppsV1Api(api(lab, "source")).read_namespaced_deployment("web", "conformance")
    assert dep.spec.template.spec.containers[0].image == "nginx:1.26"
    assert dep.status.updated_replicas == 2 and dep.status.ready_replicas == 2


def test_wait_and_delete(deployed):
    lab = deployed
    kubectl(lab, "--context", "source", "-n", "conformance", "wait", "--for=condition=Available", "deployment/web",
            "--timeout=30s")
    kubectl(lab, "--context", "source", "-n", "conformance", "apply", "-f", "-",
            stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\ndata: {a: b}\n")
    kubectl(lab, "--context", "source", "-n", "conformance", "delete", "configmap", "gone")
    assert kubectl(lab, "--context", "source", "-n", "conformance", "get", "configmap", "gone",
                   ok=False).returncode != 0


def test_stale_update_gets_409_and_dry_run_stores_nothing(lab):
    core = client.CoreV1Api(api(lab, "target"))
    core.create_namespace({"metadata": {"name": "conflicts"}})
    cm = core.create_namespaced_config_map("conflicts", {"metadata": {"name": "c"}, "data": {"k": "1"}})
    fresh = core.read_namespaced_config_map("c", "conflicts")
    fresh.data = {"k": "2"}
    core.replace_namespaced_config_map("c", "conflicts", fresh)
    cm.data = {"k": "3"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("c", "conflicts", cm)
    assert exc.value.status == 409
    core.create_namespaced_config_map("conflicts", {"metadata": {"name": "dry"}}, dry_run="All")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("dry", "conflicts")
    assert missing.value.status == 404


def test_each_version_answers_in_its_own_apiversion(lab):
    """An object created through one version and read through another, back and forth, is
    presented in the version asked, alone and in a list (the simulation answers from its stored
    objects without copying them, so a read must not relabel the stored object)."""
    kubectl(lab, "--context", "target", "create", "namespace", "versions")
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "h", "namespace": "versions"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 1, "maxReplicas": 3}}
    kubectl(lab, "--context", "target", "create", "-f", "-", stdin=json.dumps(hpa))
    path = "/apis/autoscaling/%s/namespaces/versions/horizontalpodautoscalers"
    for version in ("v1", "v2", "v1", "v2"):
        got = json.loads(kubectl(lab, "--context", "target", "get", "--raw", path % version + "/h").stdout)
        assert got["apiVersion"] == "autoscaling/" + version
        listed = json.loads(kubectl(lab, "--context", "target", "get", "--raw", path % version).stdout)
        assert listed["apiVersion"] == "autoscaling/" + version
        assert [i["metadata"]["name"] for i in listed["items"]] == ["h"]


def test_dynamic_client_discovery_and_invalid_policy_422(lab):
    dyn = dynamic.DynamicClient(api(lab, "karmada"))
    pp = dyn.resources.get(api_version="policy.karmada.io/v1alpha1", kind="PropagationPolicy")
    with pytest.raises(ApiException) as exc:
        pp.create(namespace="default", body={
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": {"name": "bad"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                     "placement": {"replicaScheduling": {"replicaSchedulingType": "Sideways"}}}})
    assert exc.value.status == 422
    assert "replicaSchedulingType" in json.loads(exc.value.body)["message"]
    deploys = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert deploys.get(namespace="default").items == []


CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: %(ns)s, labels: {app: conf}}
data: {mode: blue}
"""


@pytest.mark.parametrize("context", ["source", "target", "karmada"])
def test_every_server_takes_kubectl_and_both_clients(lab, context):
    ns = "conf-%s" % context
    kubectl(lab, "--context", context, "apply", "-f", "-",
            stdin='{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "%s"}}' % ns)
    kubectl(lab, "--context", context, "apply", "-f", "-", stdin=CONFIGMAP % {"ns": ns})
    # the three patch types kubectl sends
    kubectl(lab, "--context", context, "-n", ns, "patch", "configmap", "conf", "--type", "merge",
            "-p", '{"data": {"mode": "green"}}')
    kubectl(lab, "--context", context, "-n", ns, "patch", "configmap", "conf", "--type", "json",
            "-p", '[{"op": "add", "path": "/data/size", "value": "2"}]')
    kubectl(lab, "--context", context, "-n", ns, "patch", "configmap", "conf", "--type", "strategic",
            "-p", '{"metadata": {"labels": {"tier": "x"}}}')
    got = json.loads(kubectl(lab, "--context", context, "-n", ns, "get", "configmap", "conf", "-o", "json").stdout)
    assert got["data"] == {"mode": "green", "size": "2"}
    assert got["metadata"]["labels"] == {"app": "conf", "tier": "x"}
    # the typed client and the dynamic client see the same object
    typed = client.CoreV1Api(api(lab, context)).list_namespaced_config_map(ns, label_selector="app=conf").items
    assert [c.data for c in typed] == [{"mode": "green", "size": "2"}]
    dyn = dynamic.DynamicClient(api(lab, context)).resources.get(api_version="v1", kind="ConfigMap")
    assert dyn.get(namespace=ns, name="conf").metadata.resourceVersion == got["metadata"]["resourceVersion"]
    kubectl(lab, "--context", context, "-n", ns, "delete", "configmap", "conf")
    missing = kubectl(lab, "--context", context, "-n", ns, "get", "configmap", "conf", ok=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


@pytest.mark.parametrize("context, kind, body, rule", [
    ("karmada", "PropagationPolicy", {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                                      "metadata": {"name": "Bad_Name", "namespace": "default"},
                                      "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}]}},
     "RFC 1123 subdomain"),
    ("source", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "has.dot"}},
     "must not contain dots"),
    ("source", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Upper"}},
     "RFC 1123 label"),
    ("source", "Service", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1st", "namespace": "default"},
                           "spec": {"ports": [{"port": 80}]}}, "DNS-1035 label"),
    ("source", "ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "x" * 254, "namespace": "default"}},
     "must be no more than 253 characters"),
])
def test_names_the_api_server_refuses(lab, context, kind, body, rule):
    """An object name the API server's validation refuses (ValidateObjectMeta with the kind's name
    rule) is refused with 422 on both backends. Before the simulation checked names, it stored
    PropagationPolicy Bad_Name and the others."""
    dyn = dynamic.DynamicClient(api(lab, context))
    resource = dyn.resources.get(api_version=body["apiVersion"], kind=kind)
    with pytest.raises(ApiException) as err:
        resource.create(body=body, namespace=body["metadata"].get("namespace"))
    assert err.value.status == 422, err.value.body
    assert "metadata.name: Invalid value" in err.value.body and rule in err.value.body, err.value.body
