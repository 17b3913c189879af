"""Unit tests for the assessment: tables, collectors over object streams, rules, proposal, reports."""

from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess import findings as F
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess import propose as P
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess import report as R
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess import tables as T
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess.assessment import build_document
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess.collect import Collector, Inventory
from ansible_collections.ctyun.cce_migration.plugins.module_utils.assess.quantity import (
    cpu_millicores, memory_bytes, parse_image, pod_requests)

SECRET_VALUE = "c3VwZXItc2VjcmV0LXZhbHVlLTQy"  # what a seeded Secret holds; must never come out


# --------------------------------------------------------------------------- tables
@pytest.mark.parametrize("text,expected", [
    ("v1.22.17-eks-abc", (1, 22, 17)), ("1.29.3", (1, 29, 3)), ("v1.25", (1, 25, 0)), ("x", None), (None, None)])
def test_parse_version(text, expected):
    assert T.parse_version(text) == expected


@pytest.mark.parametrize("gv,kind,removed_in,replacement", [
    ("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "1.26", "flowcontrol.apiserver.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", "1.29", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32", "flowcontrol.apiserver.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "Role", "1.22", "rbac.authorization.k8s.io/v1"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1"),
])
def test_removed_api_table(gv, kind, removed_in, replacement):
    rows = [r for r in T.REMOVED_APIS if r["group_version"] == gv and r["kind"] == kind]
    assert len(rows) == 1
    assert rows[0]["removed_in"] == removed_in
    assert rows[0]["replacement"] == replacement


class _Mover(object):
    """Stands in for AnsibleModule.atomic_move in the pure report tests."""

    @staticmethod
    def atomic_move(src, dest):
        os.replace(src, dest)


MOVER = _Mover()


def test_removed_between_versions():
    kinds = set((r["group_version"], r["kind"]) for r in T.removed_between("1.22.17", "1.29.3"))
    assert ("batch/v1beta1", "CronJob") in kinds
    assert ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema") in kinds
    assert ("networking.k8s.io/v1beta1", "Ingress") not in kinds   # already gone in 1.22
    assert ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema") not in kinds  # still served by 1.29
    assert all(T.parse_version(r["removed_in"]) <= (1, 29, 0) for r in T.removed_by("1.29.3"))


@pytest.mark.parametrize("provisioner,params,cloud,category", [
    ("ebs.csi.aws.com", {"type": "gp3"}, "aws", "block-ssd"),
    ("ebs.csi.aws.com", {"type": "io2"}, "aws", "block-fast"),
    ("ebs.csi.aws.com", {"type": "st1"}, "aws", "block-hdd"),
    ("kubernetes.io/aws-ebs", {}, "aws", "block-ssd"),
    ("efs.csi.aws.com", {}, "aws", "file"),
    ("diskplugin.csi.alibabacloud.com", {"type": "cloud_essd"}, "alibaba", "block-fast"),
    ("disk.csi.azure.com", {"skuName": "Standard_LRS"}, "azure", "block-hdd"),
    ("pd.csi.storage.gke.io", {"type": "pd-standard"}, "gcp", "block-hdd"),
    ("com.tencent.cloud.csi.cbs", {"diskType": "CLOUD_SSD"}, "tencent", "block-ssd"),
    ("everest-csi-provisioner", {"everest.io/disk-volume-type": "SAS"}, "huawei", "block-hdd"),
    ("kubernetes.io/no-provisioner", {}, None, "local"),
    ("example.com/unknown", {}, None, None),
])
def test_classify_storage_class(provisioner, params, cloud, category):
    assert T.classify_storage_class(provisioner, params) == (cloud, category)


@pytest.mark.parametrize("key,cloud", [
    ("service.beta.kubernetes.io/aws-load-balancer-type", "aws"),
    ("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec", "alibaba"),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", "azure"),
    ("cloud.google.com/load-balancer-type", "gcp"),
    ("service.kubernetes.io/qcloud-loadbalancer-internal-subnetid", "tencent"),
    ("kubernetes.io/elb.class", "huawei"),
    ("prometheus.io/scrape", None),
])
def test_lb_annotation_cloud(key, cloud):
    assert T.lb_annotation_cloud(key) == cloud


def test_lb_annotation_advice_rewrites_and_removes():
    key, value, advice = T.lb_annotation_advice("service.beta.kubernetes.io/aws-load-balancer-internal", "true")
    assert key.startswith(T.CTYUN_LB_ANNOTATION_PREFIX) and value == "intranet" and "rewrite" in advice
    key, value, advice = T.lb_annotation_advice("service.beta.kubernetes.io/aws-load-balancer-type", "nlb")
    assert key is None and value is None and "remove" in advice


@pytest.mark.parametrize("itype,cloud", [("m5.large", "aws"), ("ecs.g6.large", "alibaba"),
                                         ("Standard_D4s_v3", "azure"), ("n2-standard-4", "gcp"),
                                         ("e2-medium", "gcp"), ("S5.LARGE8", "tencent"), ("custom", None)])
def test_instance_type_cloud(itype, cloud):
    assert T.instance_type_cloud(itype) == cloud


# --------------------------------------------------------------------------- quantities
@pytest.mark.parametrize("value,millis", [("100m", 100), ("0.5", 500), ("2", 2000), (1, 1000), (None, 0), ("x", 0)])
def test_cpu(value, millis):
    assert cpu_millicores(value) == millis


@pytest.mark.parametrize("value,size", [("128Mi", 128 * 2 ** 20), ("1Gi", 2 ** 30), ("1G", 10 ** 9), ("1e3", 1000),
                                        ("500k", 500000)])
def test_memory(value, size):
    assert memory_bytes(value) == size


def test_pod_requests_init_and_limits():
    spec = {"containers": [{"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                           {"resources": {"limits": {"cpu": "200m", "memory": "64Mi"}}}],
            "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "16Mi"}}}]}
    assert pod_requests(spec) == (1000, 128 * 2 ** 20)


@pytest.mark.parametrize("image,registry,repository,tag,digest", [
    ("nginx", "docker.io", "library/nginx", "latest", None),
    ("nginx:1.25", "docker.io", "library/nginx", "1.25", None),
    ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com",
     "shop/web", "v1", None),
    ("localhost:5000/app@sha256:abc", "localhost:5000", "app", None, "sha256:abc"),
    ("registry.cn-hangzhou.aliyuncs.com/ns/app:1@sha256:def", "registry.cn-hangzhou.aliyuncs.com", "ns/app", "1",
     "sha256:def"),
])
def test_parse_image(image, registry, repository, tag, digest):
    assert parse_image(image) == dict(registry=registry, repository=repository, tag=tag, digest=digest)


# --------------------------------------------------------------------------- a small estate
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def meta(name, ns=None, **extra):
    m = {"name": name, "uid": "uid-" + name}
    if ns:
        m["namespace"] = ns
    m.update(extra)
    return m


def pod_template(image, cpu="100m", mem="128Mi", **spec):
    s = {"containers": [{"name": "app", "image": image, "resources": {"requests": {"cpu": cpu, "memory": mem}}}]}
    s.update(spec)
    return {"metadata": {"labels": {"app": "x"}}, "spec": s}


def estate():
    """(kind, object, api_version) tuples like a lab source cluster."""
    objs = []
    for ns in ("shop", "blog", "kube-system"):
        objs.append(("Namespace", {"metadata": meta(ns)}, "v1"))
    for i in range(3):
        objs.append(("Node", {"metadata": meta("node-%d" % i, labels={
            "node.kubernetes.io/instance-type": "m5.xlarge", "topology.kubernetes.io/zone": "us-east-1a",
            "eks.amazonaws.com/nodegroup": "ng-1"}),
            "spec": {"providerID": "aws:///us-east-1a/i-%d" % i},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi"}, "allocatable": {"cpu": "3920m", "memory": "15Gi"},
                       "nodeInfo": {"osImage": "Amazon Linux 2", "kernelVersion": "5.10", "architecture": "amd64",
                                    "containerRuntimeVersion": "containerd://1.6", "kubeletVersion": "v1.22.17"}}},
            "v1"))
    for i in range(4):
        objs.append(("Deployment", {"metadata": meta("web-%d" % i, "shop"),
                                    "spec": {"replicas": 2, "template": pod_template("%s/shop/web:v%d" % (ECR, i))}},
                     "apps/v1"))
    objs.append(("Deployment", {"metadata": meta("pinned", "blog"), "spec": {"replicas": 1, "template": pod_template(
        "nginx:1.25", nodeSelector={"eks.amazonaws.com/nodegroup": "ng-1"},
        volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}])}}, "apps/v1"))
    objs.append(("StatefulSet", {"metadata": meta("db", "shop"), "spec": {
        "replicas": 3, "template": pod_template("postgres:15", cpu="500m", mem="1Gi"),
        "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "10Gi"}}}}]}}, "apps/v1"))
    objs.append(("DaemonSet", {"metadata": meta("agent", "kube-system"), "spec": {"template": pod_template(
        "%s/ops/agent:1" % ECR, cpu="50m", mem="64Mi", hostNetwork=True)}, "status": {"desiredNumberScheduled": 3}},
        "apps/v1"))
    objs.append(("CronJob", {"metadata": meta("report", "blog", managedFields=[
        {"manager": "kubectl", "apiVersion": "batch/v1beta1"}]),
        "spec": {"jobTemplate": {"spec": {"template": pod_template("busybox")}}}}, "batch/v1"))
    objs.append(("PodDisruptionBudget", {"metadata": meta("db", "shop", annotations={
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"apiVersion": "policy/v1beta1"})})},
        "policy/v1"))
    objs.append(("Service", {"metadata": meta("web", "shop", annotations={
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}), "spec": {"type": "LoadBalancer"}}, "v1"))
    objs.append(("Service", {"metadata": meta("db", "shop"), "spec": {"type": "ClusterIP"}}, "v1"))
    objs.append(("Secret", {"metadata": meta("db-pass", "shop"), "type": "Opaque",
                            "data": {"password": SECRET_VALUE}}, "v1"))
    objs.append(("ConfigMap", {"metadata": meta("cfg", "shop"), "data": {"k": "v"}}, "v1"))
    objs.append(("StorageClass", {"metadata": meta("gp3", annotations={
        "storageclass.kubernetes.io/is-default-class": "true"}), "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3"}}, "storage.k8s.io/v1"))
    objs.append(("StorageClass", {"metadata": meta("efs"), "provisioner": "efs.csi.aws.com"}, "storage.k8s.io/v1"))
    objs.append(("StorageClass", {"metadata": meta("weird"), "provisioner": "example.com/x"}, "storage.k8s.io/v1"))
    for i in range(3):
        objs.append(("PersistentVolumeClaim", {"metadata": meta("data-db-%d" % i, "shop"), "spec": {
            "storageClassName": "gp3", "resources": {"requests": {"storage": "10Gi"}}}, "status": {"phase": "Bound"}},
            "v1"))
    objs.append(("Pod", {"metadata": meta("debug", "blog"), "spec": {"containers": [
        {"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]}, "status": {"phase": "Running"}},
        "v1"))
    objs.append(("Pod", {"metadata": meta("web-0-abc", "shop", ownerReferences=[{"kind": "ReplicaSet"}]),
                         "spec": {"containers": [{"name": "c", "image": "ignored"}]}}, "v1"))
    objs.append(("CustomResourceDefinition", {"metadata": meta("widgets.example.com"), "spec": {
        "group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True}]}}, "apiextensions.k8s.io/v1"))
    return objs


SERVED = {
    "v1": {"pods", "services", "secrets", "configmaps", "nodes", "namespaces", "persistentvolumeclaims"},
    "apps/v1": {"deployments", "statefulsets", "daemonsets"},
    "batch/v1": {"jobs", "cronjobs"}, "batch/v1beta1": {"cronjobs"},
    "policy/v1": {"poddisruptionbudgets"}, "policy/v1beta1": {"poddisruptionbudgets", "podsecuritypolicies"},
    "autoscaling/v2beta2": {"horizontalpodautoscalers"},
    "flowcontrol.apiserver.k8s.io/v1beta1": {"flowschemas", "prioritylevelconfigurations"},
}


@pytest.fixture()
def inventory():
    inv = Inventory()
    inv.version = {"git_version": "v1.22.17"}
    inv.served = dict((k, set(v)) for k, v in SERVED.items())
    inv.group_versions = sorted(SERVED)
    for kind, obj, gv in estate():
        inv.add(kind, obj, api_version=gv)
    inv.add_custom("widgets.example.com", 7)
    return inv


@pytest.fixture()
def doc(inventory):
    return build_document(inventory, storage_overrides={"efs": "my-sfs"}, ctyun_registry="registry.example/ct")


def test_counts_and_aggregates(doc):
    facts = doc["facts"]
    assert facts["counts"]["Deployment"] == 5
    assert facts["counts"]["Secret"] == 1 and facts["config"]["secrets"] == 1
    assert facts["nodes"]["count"] == 3 and facts["nodes"]["cpu_capacity_m"] == 12000
    assert facts["nodes"]["providers"] == {"aws": 3}
    w = facts["workloads"]["by_kind"]
    assert w["Deployment"]["replicas"] == 9 and w["Deployment"]["cpu_request_m"] == 900
    assert w["StatefulSet"]["cpu_request_m"] == 1500
    assert w["DaemonSet"]["replicas"] == 3
    assert w["Pod"]["count"] == 1   # the owned pod is not a bare pod
    assert facts["namespaces"]["by_namespace"]["shop"]["workloads"] == 5
    pvcs = facts["storage"]["persistent_volume_claims"]
    assert pvcs["count"] == 3 and [p["name"] for p in pvcs["items"]] == ["data-db-0", "data-db-1", "data-db-2"]
    assert pvcs["items"][0]["storage_class"] == "gp3" and pvcs["items"][0]["requested_bytes"] == 10 * 2 ** 30
    assert facts["crds"]["items"][0]["count"] == 7 and facts["crds"]["custom_resources"] == 7
    images = facts["images"]
    assert images["unique"] == 8
    assert images["registries"][ECR] == 5
    assert all(set(i) >= {"registry", "repository", "tag", "digest"} for i in images["items"])


def test_findings(doc):
    by_id = dict((f["id"], f) for f in doc["findings"])
    cron = by_id["removed-api:batch/v1beta1:CronJob"]
    assert cron["severity"] == "warning" and cron["affected"] == ["CronJob blog/report"]
    pdb = by_id["removed-api:policy/v1beta1:PodDisruptionBudget"]
    assert pdb["affected"] == ["PodDisruptionBudget shop/db"]
    assert by_id["removed-api:autoscaling/v2beta2:HorizontalPodAutoscaler"]["severity"] == "info"
    assert "removed-api:flowcontrol.apiserver.k8s.io/v1beta1:FlowSchema" in by_id
    gp3 = by_id["storage-class:gp3"]
    assert gp3["severity"] == "warning" and gp3["details"]["proposed"] == "ctyun-ebs-ssd"
    assert gp3["affected_total"] == 3
    assert by_id["storage-class:efs"]["details"]["proposed"] == "my-sfs"
    assert by_id["storage-class:weird"]["severity"] == "info"   # unknown but unused
    lb = by_id["lb-annotation:service.beta.kubernetes.io/aws-load-balancer-internal"]
    assert lb["affected"] == ["Service shop/web"] and lb["details"]["value_map"] == {"true": "intranet"}
    sel = by_id["node-selector:required:eks.amazonaws.com/nodegroup"]
    assert sel["severity"] == "blocking" and sel["affected_total"] == 1
    assert by_id["host-path"]["affected_total"] == 1
    assert by_id["privileged"]["affected_total"] == 1
    assert by_id["host-namespaces"]["affected_total"] == 1
    assert by_id["bare-pods"]["affected"] == ["Pod blog/debug"]
    assert by_id["stateful-data"]["affected_total"] == 1
    assert by_id["images:%s" % ECR]["severity"] == "warning"
    assert by_id["images:docker.io"]["severity"] == "info"
    assert by_id["crds"]["severity"] == "warning"
    assert doc["summary"]["blocking"] == 1
    sev = [f["severity"] for f in doc["findings"]]
    assert sev == sorted(sev, key=F.SEVERITIES.index)


def test_unknown_used_storage_class_blocks(inventory):
    inventory.add("PersistentVolumeClaim", {"metadata": meta("x", "blog"), "spec": {
        "storageClassName": "weird", "resources": {"requests": {"storage": "1Gi"}}}}, "v1")
    doc = build_document(inventory)
    f = [f for f in doc["findings"] if f["id"] == "storage-class:weird"][0]
    assert f["severity"] == "blocking" and "storage_class_map_overrides" in f["fix"]


def test_psp_without_replacement_blocks():
    out = F.removed_api_findings({"policy/v1beta1": {"podsecuritypolicies"}}, {"PodSecurityPolicy": 2}, "1.29.3",
                                 kind_objects={"PodSecurityPolicy": ["PodSecurityPolicy a", "PodSecurityPolicy b"]})
    assert out[0]["severity"] == "blocking" and out[0]["affected_total"] == 2
    assert out[0]["affected"] == ["PodSecurityPolicy a", "PodSecurityPolicy b"]


def test_replacement_not_served_needs_conversion():
    out = F.removed_api_findings({"autoscaling/v2beta2": {"horizontalpodautoscalers"},
                                  "autoscaling/v1": {"horizontalpodautoscalers"}}, {"HorizontalPodAutoscaler": 1},
                                 "1.29.3")
    assert out[0]["severity"] == "warning" and "convert" in out[0]["title"]
    assert out[0]["details"]["replacement_served_by_source"] is False


def test_target_older_than_source():
    version, compatible, reason = P.choose_version("v1.30.2", "1.29.3")
    assert version == "1.31.6" and not compatible and "older" in reason
    assert P.choose_version("v1.22.17", "1.29.3")[:2] == ("1.29.3", True)


def test_proposal(doc):
    p = doc["proposal"]
    assert p["kubernetes_version"] == "1.29.3" and p["version_compatible"]
    assert p["storage_class_map"] == {"efs": "my-sfs", "gp3": "ctyun-ebs-ssd"}
    assert {"from": ECR, "to": "registry.example/ct"} in p["registry_map"]
    assert all(set(r) == {"from", "to"} for r in p["registry_map"])
    assert p["lb_annotation_rewrites"]["service.beta.kubernetes.io/aws-load-balancer-type"] is None
    op = p["override_policy"]
    assert op["remove_annotations"] == ["service.beta.kubernetes.io/aws-load-balancer-internal",
                                        "service.beta.kubernetes.io/aws-load-balancer-type"]
    assert op["add_annotations"] == {"service.beta.kubernetes.io/ctyun-loadbalancer-address-type": "intranet"}
    assert op["registry_map"] == p["registry_map"] and op["storage_class_map"] == p["storage_class_map"]
    assert p["nodes"]["flavor"] == "general 4C8G" and p["nodes"]["count"] == 3
    assert p["target_cluster"]["target_cluster_kubernetes_version"] == "1.29.3"


@pytest.mark.parametrize("cpu_m,mem_gib,largest_cpu,flavor,count", [
    (0, 0, 0, "general 4C8G", 3),
    (30000, 40, 500, "general 4C8G", 11),       # 39 vCPU / 3.6 per node
    (4000, 2, 6000, "general 8C16G", 3),        # largest pod needs 6 vCPU
    (4000, 100, 500, "memory 4C32G", 5),        # 25 GiB per core: memory family
    (400000, 400, 500, "general 16C32G", 37),   # 4C8G would need > 50 nodes
])
def test_size_nodes(cpu_m, mem_gib, largest_cpu, flavor, count):
    workloads = {"by_kind": {"Deployment": {"cpu_request_m": cpu_m, "memory_request_bytes": mem_gib * 2 ** 30}},
                 "largest_pod": {"cpu_request_m": largest_cpu, "memory_request_bytes": 0},
                 "daemonset_per_node": {"cpu_request_m": 0, "memory_request_bytes": 0}}
    got = P.size_nodes(workloads)
    assert (got["flavor"], got["count"]) == (flavor, count)


def test_registry_map_skips_target():
    rows = P.registry_map({"a.example": 1, "registry.example": 2}, "registry.example/ns")
    assert rows == [{"from": "a.example", "to": "registry.example/ns"}]


# --------------------------------------------------------------------------- reports
def test_reports_have_no_secret_and_are_stable(doc, tmp_path):
    rendered = R.render_all(doc)
    for name, text in rendered.items():
        assert SECRET_VALUE not in text, name
    assert json.loads(rendered["assessment.json"])["summary"] == doc["summary"]
    html = rendered["assessment.html"]
    assert "<svg" in html and 'class="bar-cpu"' in html
    assert not re.search(r'(src|href)=["\']?(https?:)?//', html)   # self-contained
    assert "<script" not in html
    changed, paths, files = R.write_reports(MOVER, doc, str(tmp_path / "out"))
    assert changed and sorted(files) == sorted(R.FILES)
    mtimes = dict((n, (tmp_path / "out" / n).stat().st_mtime_ns) for n in R.FILES)
    assert R.write_reports(MOVER, doc, str(tmp_path / "out")) == (False, paths, [])
    assert mtimes == dict((n, (tmp_path / "out" / n).stat().st_mtime_ns) for n in R.FILES)
    doc["facts"]["counts"]["Deployment"] += 1
    assert R.write_reports(MOVER, doc, str(tmp_path / "out"), check_mode=True)[2] == [
        "assessment.json", "assessment.md", "assessment.html"]


def test_html_escapes_cluster_strings(inventory):
    inventory.add("Namespace", {"metadata": meta("<script>alert(1)</script>")}, "v1")
    inventory.add("Deployment", {"metadata": meta("x", "<script>alert(1)</script>"),
                                 "spec": {"replicas": 1, "template": pod_template("nginx")}}, "apps/v1")
    html = R.render_html(build_document(inventory))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_chart_rows_group_the_tail():
    facts = {"namespaces": {"by_namespace": dict(("ns%02d" % i, {"workloads": 1, "cpu_request_m": i})
                                                 for i in range(30))}}
    rows = R.namespace_rows(facts, limit=5)
    assert len(rows) == 5 and rows[0][0] == "ns29" and rows[-1][0] == "(26 others)" and rows[-1][1] == 26


# --------------------------------------------------------------------------- collector over a fake API
class FakeResponse(object):
    def __init__(self, status, body):
        self.status = status
        self._body = json.dumps(body).encode()

    def read(self):
        return self._body


class FakeApi(object):
    """Enough of k8s.rest.Rest for the collector: serves pages of generated objects."""

    def __init__(self, deployments=7):
        self.calls = []
        self.deployments = deployments

    def request(self, method, path, query=None, accept=None):
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import _text
        resp = self.call_api(method, (path, dict(query or [])), {"Accept": accept})
        if resp.status >= 300:
            raise ApiError("GET %s answered %s: %s" % (path, resp.status, _text(resp.read())), status=resp.status)
        return json.loads(resp.read())

    def call_api(self, method, url, header_params=None):
        path, query = url
        assert method == "GET"
        self.calls.append((path, query, header_params.get("Accept")))
        if path == "/version":
            return FakeResponse(200, {"gitVersion": "v1.22.17", "major": "1", "minor": "22"})
        if path == "/api":
            return FakeResponse(200, {"versions": ["v1"]})
        if path == "/apis":
            return FakeResponse(200, {"groups": [{"versions": [{"groupVersion": "apps/v1"}]}]})
        if path == "/api/v1":
            return FakeResponse(200, {"resources": [{"name": "secrets"}, {"name": "pods"}, {"name": "pods/log"}]})
        if path == "/apis/apps/v1":
            return FakeResponse(200, {"resources": [{"name": "deployments"}]})
        if path == "/apis/apps/v1/deployments":
            start = int(query.get("continue") or 0)
            limit = int(query["limit"])
            items = [{"metadata": meta("d%d" % i, "ns"), "spec": {"replicas": 1, "template": pod_template("nginx")}}
                     for i in range(start, min(start + limit, self.deployments))]
            token = str(start + limit) if start + limit < self.deployments else None
            return FakeResponse(200, {"items": items, "metadata": {"continue": token} if token else {}})
        if path == "/api/v1/secrets":
            return FakeResponse(200, {"items": [{"metadata": meta("s", "ns"), "data": {"x": SECRET_VALUE}}],
                                      "metadata": {}})
        if path == "/api/v1/pods":
            return FakeResponse(200, {"items": [], "metadata": {}})
        return FakeResponse(404, {"message": "not found"})


def test_collector_paginates_and_only_reads():
    api = FakeApi(deployments=7)
    inv = Collector(api, page_size=3, concurrency=2).collect(Inventory())
    assert inv.counts["Deployment"] == 7 and inv.counts["Secret"] == 1
    pages = [q for p, q, _a in api.calls if p == "/apis/apps/v1/deployments"]
    assert [q.get("continue") for q in pages] == [None, "3", "6"]
    assert all(q["limit"] == 3 for q in pages)
    secret_accept = [a for p, _q, a in api.calls if p == "/api/v1/secrets"][0]
    assert "PartialObjectMetadataList" in secret_accept
    doc = build_document(inv)
    assert SECRET_VALUE not in json.dumps(doc)


def test_collector_raises_api_error():
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError

    class Broken(FakeApi):
        def call_api(self, method, url, header_params=None):
            return FakeResponse(403, {"message": "forbidden: user cannot list"})

    with pytest.raises(ApiError) as exc:
        Collector(Broken()).collect(Inventory())
    assert "403" in str(exc.value) and "forbidden" in str(exc.value)


def test_annotation_overrides_add_only_uniform_values():
    obs = {
        "a/internal": {"ctyun_key": "c/address-type", "values": {"true": "intranet"}},
        "b/type": {"ctyun_key": "c/address-type-2", "values": {"internal": "intranet", "internet-facing": "internet"}},
        "c/spec": {"ctyun_key": None, "values": {"x": None}},
        "d/partial": {"ctyun_key": "c/d", "values": {"known": "v", "odd": None}},
    }
    remove, add = P.annotation_overrides(obs)
    assert remove == ["a/internal", "b/type", "c/spec", "d/partial"]
    assert add == {"c/address-type": "intranet"}
