"""Helpers for the replica shift tests and benchmark: workloads promoted by hand into the lab's
Karmada, and a sampler that reads both members' ready replicas while a shift runs.

Set-up goes through the public APIs only (the same calls the promote stage makes): a Deployment
in the source cluster, its resource template in Karmada (cleaned like ``karmadactl promote``),
and a PropagationPolicy placing it on the source member with ``conflictResolution: Overwrite``
and ``preserveResourcesOnDeletion: true``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.utils.devpath import ensure_dev_path

ensure_dev_path()

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (  # noqa: E402
    ApiError, ConflictError, NotFoundError)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest, path_for as object_path  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def labctl(cmd, lab_dir, env):
    return subprocess.run([sys.executable, str(REPO / "tests/lab/labctl.py"), cmd, "--dir", str(lab_dir)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)


def clients(kubeconfig, pool=32):
    return dict((ctx, Rest(dict(kubeconfig=str(kubeconfig), context=ctx), pool_size=pool, what=ctx))
                for ctx in ("source", "target", "karmada"))


def create(rest, path, body, attempts=8):
    """POST that tolerates the lab's injected faults: retried on 5xx/lost answers, 409 = already there."""
    for attempt in range(attempts):
        try:
            return rest.request("POST", path, body=body)
        except ConflictError:
            return None
        except ApiError as exc:
            if attempt == attempts - 1 or (exc.status is not None and exc.status < 500 and exc.status != 429):
                raise
            time.sleep(0.1 * (attempt + 1))


def ensure_namespace(rest, ns):
    create(rest, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})


def deployment(ns, name, replicas, max_unavailable, image="nginx:1.25"):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": 1}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


def template_from(member_obj):
    """Resource template as ``karmadactl promote`` builds it (prune.go ``RemoveIrrelevantFields``)."""
    tpl = json.loads(json.dumps(member_obj))
    meta = tpl["metadata"]
    for key in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                "managedFields", "resourceVersion", "selfLink", "uid", "ownerReferences", "finalizers"):
        meta.pop(key, None)
    ann = meta.setdefault("annotations", {})
    ann.pop("deployment.kubernetes.io/revision", None)
    ann.setdefault("work.karmada.io/conflict-resolution", "overwrite")
    tpl.pop("status", None)
    tpl.setdefault("apiVersion", "apps/v1")
    tpl.setdefault("kind", "Deployment")
    return tpl


def policy(ns, name, source_member):
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": name + "-pp", "namespace": ns},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                 "placement": {"clusterAffinity": {"clusterNames": [source_member]}},
                 "conflictResolution": "Overwrite", "preserveResourcesOnDeletion": True},
    }


def ready(obj):
    return int(((obj or {}).get("status") or {}).get("readyReplicas") or 0)


def wait_for(check, timeout=120, what="condition", sleep=0.1):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        try:
            ok, seen = check()
        except ApiError as exc:  # an injected fault; ask again
            ok, seen = False, str(exc)
        if ok:
            return seen
        time.sleep(sleep)
    raise AssertionError("timed out waiting for %s; last seen %s" % (what, seen))


def setup_workloads(cl, ns, specs, source_member="source", concurrency=16, timeout=180):
    """``specs``: list of (name, replicas, maxUnavailable). Returns policy refs ``ns/name``."""
    for ctx in ("source", "target", "karmada"):
        ensure_namespace(cl[ctx], ns)

    def create_member(spec):
        name, replicas, mu = spec
        create(cl["source"], object_path("Deployment", ns), deployment(ns, name, replicas, mu))

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create_member, specs))

    def member_ready():
        items = dict((o["metadata"]["name"], o) for o in cl["source"].list(object_path("Deployment", ns)))
        missing = [n for n, r, _ in specs if ready(items.get(n)) < r]
        return not missing, missing[:5]
    wait_for(member_ready, timeout, "source deployments ready")

    def promote(spec):
        name = spec[0]
        obj = cl["source"].get(object_path("Deployment", ns, name))
        create(cl["karmada"], object_path("Deployment", ns), template_from(obj))
        create(cl["karmada"], object_path("PropagationPolicy", ns), policy(ns, name, source_member))

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(promote, specs))

    def adopted():
        items = dict((o["metadata"]["name"], o) for o in cl["source"].list(object_path("Deployment", ns)))
        waiting = [n for n, r, _ in specs
                   if "karmada.io/managed" not in ((items.get(n) or {}).get("metadata", {}).get("labels") or {})
                   or ready(items.get(n)) < r]
        return not waiting, waiting[:5]
    wait_for(adopted, timeout, "Karmada to adopt the source deployments")
    return ["%s/%s-pp" % (ns, name) for name, _, _ in specs]


def member_state(cl, ns):
    out = {}
    for side in ("source", "target"):
        for obj in cl[side].list(object_path("Deployment", ns)):
            out.setdefault(obj["metadata"]["name"], {})[side] = obj
    return out


class Sampler(threading.Thread):
    """Reads both members' ready replicas in a loop; keeps the lowest sum per workload."""

    def __init__(self, cl, ns, names, interval=0.02):
        super().__init__(daemon=True)
        self.cl, self.ns, self.names, self.interval = cl, ns, names, interval
        self.low = {}
        self.high = {}
        self.samples = 0
        self.errors = 0
        self.torn = 0
        self._halt = threading.Event()

    def run(self):
        # The two members are read one after the other, so a sample is only kept for a workload
        # whose source object did not change around the target read (source read, target read,
        # source read again): that sum existed at the moment of the target read. Without this, a
        # read slowed down by retries could pair an old source with a new target.
        path = object_path("Deployment", self.ns)
        while not self._halt.is_set():
            try:
                src = dict((o["metadata"]["name"], o) for o in self.cl["source"].list(path))
                tgt = dict((o["metadata"]["name"], o) for o in self.cl["target"].list(path))
                again = dict((o["metadata"]["name"], o) for o in self.cl["source"].list(path))
            except Exception:  # a fault injected by the lab; the next sample counts
                self.errors += 1
                continue
            for name in self.names:
                if ready(src.get(name)) != ready(again.get(name)):
                    self.torn += 1
                    continue
                total = ready(src.get(name)) + ready(tgt.get(name))
                self.low[name] = min(self.low.get(name, total), total)
                self.high[name] = max(self.high.get(name, total), total)
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(10)
        return self.low


def count_writes(lab_dir, since=0):
    """Write requests in the lab's request log after line ``since``; returns (count, lines)."""
    path = Path(lab_dir) / "requests.jsonl"
    if not path.exists():
        return 0, 0
    lines = path.read_text().splitlines()
    writes = 0
    for line in lines[since:]:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("method") in WRITE_METHODS:
            writes += 1
    return writes, len(lines)


def module_params(kubeconfig, policies, source_member="source", target_member="target", **extra):
    params = dict(kubeconfig=str(kubeconfig), context="karmada", source_member=source_member,
                  target_member=target_member,
                  source_cluster=dict(kubeconfig=str(kubeconfig), context="source"),
                  target_cluster=dict(kubeconfig=str(kubeconfig), context="target"),
                  policies=policies, wait_timeout=120, wait_sleep=1)
    params.update(extra)
    return params


def lab_env(extra=None):
    env = dict(os.environ)
    env.setdefault("LAB_KARMADA_MEMBERS", "source,target")
    env.setdefault("LAB_WORKLOADS", "0")
    if extra:
        env.update(extra)
    return env


__all__ = ["NotFoundError"]
