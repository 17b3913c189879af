"""The observable end state of a migration in a lab, for comparing runs."""

from __future__ import annotations


from kubernetes import client

from tests.utils.modrun import run_module


def _api(lab, context):
    return lab.api_client(context)


def _get(api, path):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest

    return Rest(None, configuration=api.configuration).get(path)


def snapshot(lab, namespaces=("shop", "web")):
    karmada = _api(lab, "karmada")
    out = {}
    for plural in ("propagationpolicies", "overridepolicies"):
        items = _get(karmada, "/apis/policy.karmada.io/v1alpha1/%s" % plural)["items"]
        out[plural] = sorted("%s/%s" % (i["metadata"]["namespace"], i["metadata"]["name"]) for i in items)
    out["members"] = sorted(i["metadata"]["name"] for i in _get(
        karmada, "/apis/cluster.karmada.io/v1alpha1/clusters")["items"])
    for context in ("source", "target"):
        apps = client.AppsV1Api(_api(lab, context))
        out[context] = dict(("%s/%s" % (ns, d.metadata.name), (d.spec.replicas, d.status.ready_replicas or 0))
                            for ns in namespaces for d in apps.list_namespaced_deployment(ns).items)
    clusters = run_module("cce_cluster_info", dict(
        access_key=lab.env["CTYUN_ACCESS_KEY"], secret_key=lab.env["CTYUN_SECRET_KEY"],
        region_id=lab.env["CTYUN_REGION_ID"], endpoint=lab.env["CTYUN_ENDPOINT"], ca_path=lab.env["CTYUN_CA_BUNDLE"]))
    out["cce_clusters"] = sorted(c.get("name") for c in clusters.get("clusters") or [])
    return out
