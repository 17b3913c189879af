"""A peer no one here wrote: ``karmadactl promote`` (Karmada's own, built by ``make real-build``)
and ``karmada_promote`` promote the same Deployment with its ConfigMap on the real control planes;
the templates and policies they leave in Karmada are compared after dropping what the server sets.
Differences that remain are the ones docs/promote.md explains."""

from __future__ import annotations

import copy
import json
import os
import subprocess

import pytest
from kubernetes import client

from tests.lab.fixtures import start_lab
from tests.lab.real.controlplane import built
from tests.utils.modrun import run_module

pytestmark = pytest.mark.skipif("real" not in os.environ.get("LAB_BACKENDS", "sim").split(","),
                                reason="needs LAB_BACKENDS to include real (make test runs it)")

SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
              "namespace", "finalizers")
# Labels Karmada's controllers and webhook add to every template and policy they see: both tools
# get them from Karmada itself, their values differ by object (ids), so only the keys are compared.
ID_LABELS = ("propagationpolicy.karmada.io/permanent-id", "clusterpropagationpolicy.karmada.io/permanent-id",
             "resourcetemplate.karmada.io/uid", "resourcetemplate.karmada.io/managed-annotations",
             "resourcetemplate.karmada.io/managed-labels", "propagationpolicy.karmada.io/name",
             "propagationpolicy.karmada.io/namespace")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if built() is None:
        pytest.fail("LAB_BACKENDS includes real but the control planes are not built: run 'make real-build'")
    with start_lab(tmp_path_factory.mktemp("peer-lab"), LAB_KUBE="real", LAB_KARMADA_MEMBERS="source,target",
                   LAB_WORKLOADS="4") as handle:
        yield handle


def seed_app(lab, ns):
    core = client.CoreV1Api(lab.api_client("source"))
    apps = client.AppsV1Api(lab.api_client("source"))
    core.create_namespace({"metadata": {"name": ns}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "web-config"}, "data": {"mode": "peer"}})
    apps.create_namespaced_deployment(ns, {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                     "containers": [{"name": "web", "image": "nginx:1.25",
                                     "envFrom": [{"configMapRef": {"name": "web-config"}}]}]}}}})


def normalize(obj):
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata") or {}
    for key in SERVER_SET:
        meta.pop(key, None)
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        for key in list(values):
            if key in ID_LABELS:
                values[key] = "<id>"
        if not values:
            meta.pop(field, None)
    obj.pop("status", None)
    return obj


def karmada_objects(lab, ns):
    api = lab.api_client("karmada")
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)
    out = {"Deployment": api.sanitize_for_serialization(apps.read_namespaced_deployment("web", ns)),
           "ConfigMap": api.sanitize_for_serialization(core.read_namespaced_config_map("web-config", ns))}
    out["policies"] = custom.list_namespaced_custom_object("policy.karmada.io", "v1alpha1", ns,
                                                           "propagationpolicies")["items"]
    return out


def test_karmadactl_promote_and_karmada_promote_leave_the_same_template(lab, tmp_path):
    seed_app(lab, "peer-ctl")
    seed_app(lab, "peer-mod")
    # karmadactl promote does not create the namespace in Karmada (karmada_promote does): as a
    # user of karmadactl would, create it first
    client.CoreV1Api(lab.api_client("karmada")).create_namespace({"metadata": {"name": "peer-ctl"}})
    karmadactl = str(built() / "bin" / "karmadactl")
    env = dict(os.environ, KUBECONFIG=lab.kubeconfig)
    for kind, name in (("deployment", "web"), ("configmap", "web-config")):
        proc = subprocess.run([karmadactl, "promote", kind, name, "-n", "peer-ctl", "-C", "source",
                               "--kubeconfig", lab.kubeconfig, "--karmada-context", "karmada",
                               "--cluster-kubeconfig", lab.kubeconfig, "--cluster-context", "source"],
                              capture_output=True, text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    result = run_module("karmada_promote", dict(
        kubeconfig=lab.kubeconfig, context="karmada", cluster="source",
        member=dict(kubeconfig=lab.kubeconfig, context="source"), wait_timeout=120,
        resources=[dict(kind="Deployment", namespace="peer-mod", name="web"),
                   dict(kind="ConfigMap", namespace="peer-mod", name="web-config")]))
    assert not result.failed, result.get("msg")
    ctl, mod = karmada_objects(lab, "peer-ctl"), karmada_objects(lab, "peer-mod")
    for kind in ("Deployment", "ConfigMap"):
        assert normalize(mod[kind]) == normalize(ctl[kind]), "%s templates differ:\nkarmadactl %s\nmodule %s" % (
            kind, json.dumps(normalize(ctl[kind]), sort_keys=True), json.dumps(normalize(mod[kind]), sort_keys=True))
    # one policy per promoted object, each selecting it by name, on the member it came from
    for tool, objs in (("karmadactl", ctl), ("karmada_promote", mod)):
        assert len(objs["policies"]) == 2, (tool, [p["metadata"]["name"] for p in objs["policies"]])
    def specs(policies):
        out = []
        for policy in policies:
            spec = copy.deepcopy(policy["spec"])
            for sel in spec["resourceSelectors"]:
                # Karmada's mutating webhook sets a namespaced policy's selectors to its namespace
                assert sel.pop("namespace") == policy["metadata"]["namespace"]
            out.append(json.dumps(spec, sort_keys=True))
        return sorted(out)

    assert specs(mod["policies"]) == specs(ctl["policies"])
    ctl_names = sorted(p["metadata"]["name"] for p in ctl["policies"])
    mod_names = sorted(p["metadata"]["name"] for p in mod["policies"])
    # names.GeneratePolicyName(namespace, name, gvk): the hash covers the namespace, so only the
    # "<name>-" prefix can agree between two namespaces
    assert [n.rsplit("-", 1)[0] for n in ctl_names] == [n.rsplit("-", 1)[0] for n in mod_names]
