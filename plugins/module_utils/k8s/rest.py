# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""JSON REST access to one Kubernetes API server for the kinds the migration touches.

Built on the configured ``kubernetes.client.ApiClient`` of ``client.py`` (kubeconfig, TLS,
token, the collection's retry policy), without the dynamic client's discovery round trips,
so many objects can be handled concurrently through one connection pool.

A create is never replayed blindly: when the answer is lost (connection reset after the
server applied it), :meth:`Rest.create` reads the object back by name.
"""

from __future__ import annotations

import json

from ..common.errors import ApiError, ConflictError, NotFoundError
from .client import build_api_client

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

# kind -> (group/version path, plural, namespaced)
KINDS = {
    "Namespace": ("api/v1", "namespaces", False),
    "Pod": ("api/v1", "pods", True),
    "Service": ("api/v1", "services", True),
    "ConfigMap": ("api/v1", "configmaps", True),
    "Secret": ("api/v1", "secrets", True),
    "ServiceAccount": ("api/v1", "serviceaccounts", True),
    "PersistentVolumeClaim": ("api/v1", "persistentvolumeclaims", True),
    "Deployment": ("apis/apps/v1", "deployments", True),
    "StatefulSet": ("apis/apps/v1", "statefulsets", True),
    "DaemonSet": ("apis/apps/v1", "daemonsets", True),
    "ReplicaSet": ("apis/apps/v1", "replicasets", True),
    "Job": ("apis/batch/v1", "jobs", True),
    "CronJob": ("apis/batch/v1", "cronjobs", True),
    "Ingress": ("apis/networking.k8s.io/v1", "ingresses", True),
    "PropagationPolicy": ("apis/policy.karmada.io/v1alpha1", "propagationpolicies", True),
    "ClusterPropagationPolicy": ("apis/policy.karmada.io/v1alpha1", "clusterpropagationpolicies", False),
    "OverridePolicy": ("apis/policy.karmada.io/v1alpha1", "overridepolicies", True),
    "ClusterOverridePolicy": ("apis/policy.karmada.io/v1alpha1", "clusteroverridepolicies", False),
    "ResourceBinding": ("apis/work.karmada.io/v1alpha2", "resourcebindings", True),
    "ClusterResourceBinding": ("apis/work.karmada.io/v1alpha2", "clusterresourcebindings", False),
    "Work": ("apis/work.karmada.io/v1alpha1", "works", True),
    "Cluster": ("apis/cluster.karmada.io/v1alpha1", "clusters", False),
}


def api_version_of(kind):
    gv = KINDS[kind][0]
    return gv[len("api/"):] if gv.startswith("api/") else gv[len("apis/"):]


def path_for(kind, namespace=None, name=None, api_version=None):
    if kind not in KINDS:
        raise ApiError("kind %s is not handled by the collection; supported kinds: %s"
                       % (kind, ", ".join(sorted(KINDS))))
    gv, plural, namespaced = KINDS[kind]
    if api_version:
        gv = ("api/" if "/" not in api_version else "apis/") + api_version
    path = "/" + gv
    if namespaced and namespace:
        path += "/namespaces/%s" % namespace
    path += "/" + plural
    if name:
        path += "/" + name
    return path


def _text(data):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        return json.loads(data).get("message") or data[:300]
    except (ValueError, AttributeError):
        return (data or "")[:300]


class Rest(object):
    """Decoded-JSON calls; counts the requests it makes (``requests``)."""

    def __init__(self, auth, pool_size=16, what="cluster"):
        self.what = what
        self.api = build_api_client(auth, pool_size=pool_size)
        self.requests = 0

    def request(self, method, path, body=None, content_type=None, query=None):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        method_, url, headers, body_, dummy = self.api.param_serialize(
            method, path, query_params=list((query or {}).items()), header_params=headers,
            body=body, auth_settings=["BearerToken"])
        self.requests += 1
        try:
            resp = self.api.call_api(method_, url, header_params=headers, body=body_, _request_timeout=30)
        except Exception as exc:  # connection refused, TLS errors, retries exhausted
            raise ApiError("%s %s on %s failed: %s" % (method, path, self.what, exc))
        data = resp.read()
        if resp.status == 404:
            raise NotFoundError("%s %s on %s: not found" % (method, path, self.what), status=404)
        if resp.status == 409:
            raise ConflictError("%s %s on %s: %s" % (method, path, self.what, _text(data)), status=409)
        if resp.status >= 300:
            raise ApiError("%s %s on %s answered %s: %s" % (method, path, self.what, resp.status, _text(data)),
                           status=resp.status)
        return json.loads(data) if data else {}

    def get(self, path, missing_ok=False):
        try:
            return self.request("GET", path)
        except NotFoundError:
            if missing_ok:
                return None
            raise

    def list(self, path, label_selector=None, limit=500):
        """Every item, page by page (``limit``/``continue``)."""
        return self.iter_list(path, label_selector, limit)

    def iter_list(self, path, label_selector=None, limit=500):
        token = None
        while True:
            query = {"limit": limit}
            if label_selector:
                query["labelSelector"] = label_selector
            if token:
                query["continue"] = token
            page = self.request("GET", path, query=query)
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def create(self, path, body):
        """POST; after a lost answer, the object is read back by name instead of posted again."""
        name_path = path + "/" + body["metadata"]["name"]
        attempts = 4
        for attempt in range(attempts):
            try:
                return self.request("POST", path, body=body)
            except ApiError as exc:
                if (exc.status is not None and exc.status < 500 and exc.status != 429) or attempt == attempts - 1:
                    raise
            existing = self.get(name_path, missing_ok=True)
            if existing is not None:
                return existing
        raise ApiError("POST %s on %s did not succeed" % (path, self.what))  # pragma: no cover

    def replace(self, path, body):
        return self.request("PUT", path, body=body)

    def merge_patch(self, path, patch):
        return self.request("PATCH", path, body=patch, content_type=MERGE_PATCH)

    def delete(self, path, missing_ok=True):
        try:
            return self.request("DELETE", path, body={"propagationPolicy": "Background"})
        except NotFoundError:
            if missing_ok:
                return None
            raise
