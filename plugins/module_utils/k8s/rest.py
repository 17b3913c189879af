# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""JSON REST access to one Kubernetes API server for the kinds the migration touches.

Built only on what every supported ``kubernetes`` client has (28 and later): the
``Configuration`` the kubeconfig loader fills (``client.py``), the urllib3 pool manager of
``kubernetes.client.rest.RESTClientObject`` (TLS, client certificates, proxy) and
``Configuration.auth_settings()`` (bearer token, refreshed by the loader's hook). The
generated ``ApiClient`` serialisation, whose signatures changed in client 37, is not used,
nor the dynamic client's discovery round trips, so many objects can be handled concurrently
through one connection pool.

Retries: the collection's policy (``common/retry.py``), in this class only (the pool itself
never retries). Reads, PUT, DELETE and merge patches (the collection only sends merge patches
of absolute values) are replayed on 429/5xx and lost answers; a create is never replayed
blindly: :meth:`Rest.create` reads the object back by name (``create_with_lookup``).

``list`` returns every item of every page as a list; ``iter_list`` yields them page by page.
Writes take ``dry_run=True`` for check mode: the server runs admission and validation
(``dryRun=All``) and changes nothing.
"""

from __future__ import annotations

import json
import threading
import time

try:
    from urllib.parse import urlencode
except ImportError:  # pragma: no cover
    from urllib import urlencode

from ..common.errors import ApiError, ConflictError, NotFoundError, TransportError
from ..common.retry import DEFAULT_POLICY, create_with_lookup
from .client import build_configuration, rest_pool

try:
    import urllib3
    from urllib3 import exceptions as u3exc
    HAS_URLLIB3 = True
except ImportError:  # pragma: no cover - urllib3 comes with kubernetes
    HAS_URLLIB3 = False

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
    "HTTPRoute": ("apis/gateway.networking.k8s.io/v1", "httproutes", True),
    "HorizontalPodAutoscaler": ("apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("apis/policy/v1", "poddisruptionbudgets", True),
    "PropagationPolicy": ("apis/policy.karmada.io/v1alpha1", "propagationpolicies", True),
    "ClusterPropagationPolicy": ("apis/policy.karmada.io/v1alpha1", "clusterpropagationpolicies", False),
    "OverridePolicy": ("apis/policy.karmada.io/v1alpha1", "overridepolicies", True),
    "ClusterOverridePolicy": ("apis/policy.karmada.io/v1alpha1", "clusteroverridepolicies", False),
    "ResourceBinding": ("apis/work.karmada.io/v1alpha2", "resourcebindings", True),
    "ClusterResourceBinding": ("apis/work.karmada.io/v1alpha2", "clusterresourcebindings", False),
    "Work": ("apis/work.karmada.io/v1alpha1", "works", True),
    "Cluster": ("apis/cluster.karmada.io/v1alpha1", "clusters", False),
    "ResourceInterpreterCustomization": ("apis/config.karmada.io/v1alpha1", "resourceinterpretercustomizations",
                                         False),
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


def transport_error(exc, method, path, what):
    """A :class:`TransportError` for a urllib3 exception (no answer came back)."""
    # Failures before the request was written: connection refused, connect timeout, TLS handshake.
    not_sent = isinstance(exc, (u3exc.NewConnectionError, u3exc.ConnectTimeoutError, u3exc.SSLError))
    reason = exc
    for _depth in range(4):
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    hint = ""
    if isinstance(exc, u3exc.SSLError):
        hint = "; TLS verification failed: set ca_cert to the CA of the API server (or fix the kubeconfig)"
    return TransportError("%s %s on %s: no answer (%s: %s)%s" % (method, path, what, type(reason).__name__,
                                                                 reason, hint),
                          maybe_applied=not not_sent)


class Rest(object):
    """Decoded-JSON calls to one API server; ``requests`` counts the HTTP requests sent, ``writes``
    those that could have changed something (any method but GET and HEAD, without ``dryRun``; sent,
    whatever the answer), so a caller that fails half-way can say whether it changed anything."""

    def __init__(self, auth, pool_size=16, what="cluster", policy=None, timeout=30, sleeper=time.sleep, log=None,
                 configuration=None):
        """``auth``: the ``k8s_auth`` options (``client.auth_params``); or ``None`` with a ready
        ``kubernetes.client.Configuration`` as ``configuration``."""
        self.what = what
        self.configuration = configuration or build_configuration(auth, pool_size=pool_size)
        self.pool = rest_pool(self.configuration)
        self.host = self.configuration.host.rstrip("/")
        self.policy = policy or DEFAULT_POLICY
        self.timeout = timeout
        self.sleeper = sleeper
        self.log = log
        self.requests = 0
        self.writes = 0
        self._lock = threading.Lock()

    def close(self):
        self.pool.clear()

    # -- one HTTP request ------------------------------------------------
    def _headers(self, content_type, accept):
        headers = {"Accept": accept or "application/json", "User-Agent": "ctyun.cce_migration"}
        if content_type:
            headers["Content-Type"] = content_type
        for setting in (self.configuration.auth_settings() or {}).values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    def send_once(self, method, path, body=None, content_type=None, query=None, accept=None):
        """One HTTP request, no retry; returns ``(status, headers, data bytes)``."""
        url = self.host + path
        if query:
            url += "?" + urlencode([(k, v) for k, v in (query.items() if isinstance(query, dict) else query)
                                    if v is not None])
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            content_type = content_type or "application/json"
        write = method not in ("GET", "HEAD") and "dryRun=All" not in url
        with self._lock:
            self.requests += 1
            self.writes += int(write)
        try:
            resp = self.pool.request(method, url, body=data, headers=self._headers(content_type, accept),
                                     timeout=urllib3.Timeout(connect=min(10, self.timeout), read=self.timeout),
                                     retries=False, redirect=False, preload_content=True)
        except u3exc.HTTPError as exc:
            raise transport_error(exc, method, path, self.what)
        return resp.status, resp.headers, resp.data

    def _checked(self, method, path, status, headers, data):
        if status == 404:
            raise NotFoundError("%s %s on %s: not found" % (method, path, self.what), status=404)
        if status == 409:
            raise ConflictError("%s %s on %s: %s" % (method, path, self.what, _text(data)), status=409)
        if status >= 300 or status < 200:
            raise ApiError("%s %s on %s answered %s: %s" % (method, path, self.what, status, _text(data)),
                           status=status, retry_after=headers.get("Retry-After"))
        return json.loads(data) if data else {}

    def request(self, method, path, body=None, content_type=None, query=None, idempotent=None, retry=True,
                accept=None):
        """Send with the retry policy and return the decoded JSON answer.

        Raises :class:`NotFoundError` (404), :class:`ConflictError` (409), :class:`ApiError`
        (other statuses) or :class:`TransportError` (no answer), after the policy's attempts.
        """
        def once():
            status, headers, data = self.send_once(method, path, body, content_type, query, accept)
            return self._checked(method, path, status, headers, data)
        if not retry:
            return once()
        return self.policy.run(once, method, idempotent=idempotent, sleeper=self.sleeper, log=self.log,
                               what="%s %s on %s" % (method, path, self.what))

    # -- verbs -------------------------------------------------------------
    def get(self, path, missing_ok=False, query=None):
        try:
            return self.request("GET", path, query=query)
        except NotFoundError:
            if missing_ok:
                return None
            raise

    def iter_list(self, path, label_selector=None, limit=500):
        """Every item, page by page (``limit``/``continue``), as a generator."""
        token = None
        while True:
            query = {"limit": limit}
            if label_selector:
                query["labelSelector"] = label_selector
            if token:
                query["continue"] = token
            page = self.request("GET", path, query=query)
            # A list's items carry no kind or apiVersion of their own (the API server leaves them out,
            # as kubectl's decoder fills them in): set them from the list, as every caller expects.
            kind = (page.get("kind") or "")[:-len("List")] if (page.get("kind") or "").endswith("List") else None
            for item in page.get("items") or []:
                if kind:
                    item.setdefault("kind", kind)
                if page.get("apiVersion"):
                    item.setdefault("apiVersion", page["apiVersion"])
                yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def list(self, path, label_selector=None, limit=500):
        """Every item of every page, as a list."""
        return list(self.iter_list(path, label_selector, limit))

    @staticmethod
    def _write_query(dry_run):
        return {"dryRun": "All"} if dry_run else None

    def create(self, path, body, dry_run=False):
        """POST; after a failure that may have been applied the object is read back by name and
        the create is sent again only while it is absent (``common.retry.create_with_lookup``).

        Returns the created (or found) object.
        """
        name_path = path + "/" + body["metadata"]["name"]
        query = self._write_query(dry_run)
        answer, existing = create_with_lookup(
            lambda: self.request("POST", path, body=body, query=query, retry=False),
            lambda: self.get_once(name_path),
            policy=self.policy, sleeper=self.sleeper, log=self.log, what="POST %s on %s" % (path, self.what))
        return answer if existing is None else existing

    def get_once(self, path):
        """One GET without retries; ``None`` when the object does not exist."""
        try:
            return self.request("GET", path, retry=False)
        except NotFoundError:
            return None

    def replace(self, path, body, dry_run=False):
        return self.request("PUT", path, body=body, query=self._write_query(dry_run))

    def merge_patch(self, path, patch, dry_run=False):
        """JSON merge patch. Replayed by the policy: the collection only sends merge patches that
        set absolute values, so applying one twice gives the same object."""
        return self.request("PATCH", path, body=patch, content_type=MERGE_PATCH, idempotent=True,
                            query=self._write_query(dry_run))

    def delete(self, path, missing_ok=True, dry_run=False):
        try:
            return self.request("DELETE", path, body={"propagationPolicy": "Background"},
                                query=self._write_query(dry_run))
        except NotFoundError:
            if missing_ok:
                return None
            raise
