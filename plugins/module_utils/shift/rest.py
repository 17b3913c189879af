# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Small JSON REST access to one Kubernetes API server (Karmada or a member).

Built on the configured ``kubernetes.client.ApiClient`` of ``k8s/client.py``
(kubeconfig, TLS, bearer token, the collection's retry policy), without the
discovery round-trips of the dynamic client: the replica shift only touches a
few well-known paths, and many workloads at once.
"""

from __future__ import annotations

import json
import time

from ..common.errors import ApiError, ConflictError, NotFoundError
from ..k8s.client import build_api_client

MERGE_PATCH = "application/merge-patch+json"

KIND_PATHS = {
    "Deployment": ("apis/apps/v1", "deployments"),
    "StatefulSet": ("apis/apps/v1", "statefulsets"),
    "PropagationPolicy": ("apis/policy.karmada.io/v1alpha1", "propagationpolicies"),
    "ResourceBinding": ("apis/work.karmada.io/v1alpha2", "resourcebindings"),
}


def object_path(kind, namespace, name=None):
    group, plural = KIND_PATHS[kind]
    path = "/%s/namespaces/%s/%s" % (group, namespace, plural)
    if name:
        path += "/" + name
    return path


class Rest(object):
    """``get``/``list``/``merge_patch``/``delete`` returning decoded JSON."""

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
            raise ConflictError("%s %s on %s: conflict: %s" % (method, path, self.what, _text(data)))
        if resp.status >= 300:
            raise ApiError("%s %s on %s answered %s: %s" % (method, path, self.what, resp.status, _text(data)),
                           status=resp.status)
        if not data:
            return {}
        return json.loads(data)

    def get(self, path, missing_ok=False):
        try:
            return self.request("GET", path)
        except NotFoundError:
            if missing_ok:
                return None
            raise

    def list(self, path, label_selector=None):
        query = {"labelSelector": label_selector} if label_selector else None
        return self.request("GET", path, query=query).get("items") or []

    def merge_patch(self, path, patch, attempts=5, sleeper=time.sleep):
        """Merge patch, retried on 429/5xx and lost connections.

        The shared retry policy replays only idempotent methods; a merge patch that sets
        fixed values (all the shift sends) gives the same object when applied twice, so
        replaying it after a lost answer is safe.
        """
        delay = 0.2
        for attempt in range(attempts):
            try:
                return self.request("PATCH", path, body=patch, content_type=MERGE_PATCH)
            except (NotFoundError, ConflictError):
                raise
            except ApiError as exc:
                retriable = exc.status is None or exc.status == 429 or exc.status >= 500
                if not retriable or attempt == attempts - 1:
                    raise
                sleeper(delay)
                delay = min(delay * 2, 3.0)

    def delete(self, path, missing_ok=True):
        try:
            return self.request("DELETE", path, body={"propagationPolicy": "Background"})
        except NotFoundError:
            if missing_ok:
                return None
            raise


def _text(data):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return (data or "")[:300]
