"""The lab on real control planes (``LAB_KUBE=real``): test infrastructure only.

``serve_real(lab_dir)`` keeps the lab's contract (the same files in the lab directory, the same
contexts, knobs and request log) with real servers behind it:

- ``source``, ``target`` and ``karmada`` are real kube-apiservers (controlplane.py); the
  kubeconfig points at a **recording proxy** on the lab's port for each, which forwards every
  request unchanged (the real server authenticates the bearer token) and adds what only the lab
  offers: the request log (``requests.jsonl``), ``LAB_LATENCY_MS`` and injected faults
  (``LAB_FAULT_RATE``). Karmada's controllers reach the members directly, not through the proxies,
  as the simulation's controllers do not show in the log either.
- CTyun, CCE and CCE One stay simulated (tests/lab/ctyunsim): a CCE cluster hands out the real
  ``target``'s kubeconfig, binding a fleet joins the real members to the real Karmada in push mode.
- The seeded estate (same ``LAB_SEED``, same objects) is applied to the real ``source`` through
  its API, each object in the API version a current server serves; kwok nodes shaped like the
  seeded nodes let the pods schedule and become Ready.
- A stand-in provisioner binds PersistentVolumeClaims of any storage class on both members
  (no CSI driver runs here): a claim without ``spec.volumeName`` gets a PersistentVolume pre-bound
  to it, and Kubernetes' own PV controller binds them.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import ssl
import time

from tests.lab.kubesim import lab as simlab
from tests.lab.kubesim import seed as simseed

from . import controlplane
from .controlplane import MEMBERS, ControlPlanes, RealLabError

# kind -> (API path prefix, plural, namespaced); the versions a 1.35 server serves
PATHS = {
    "Namespace": ("/api/v1", "namespaces", False), "Node": ("/api/v1", "nodes", False),
    "ConfigMap": ("/api/v1", "configmaps", True), "Secret": ("/api/v1", "secrets", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True), "Service": ("/api/v1", "services", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "PersistentVolume": ("/api/v1", "persistentvolumes", False), "Pod": ("/api/v1", "pods", True),
    "StorageClass": ("/apis/storage.k8s.io/v1", "storageclasses", False),
    "IngressClass": ("/apis/networking.k8s.io/v1", "ingressclasses", False),
    "Ingress": ("/apis/networking.k8s.io/v1", "ingresses", True),
    "Deployment": ("/apis/apps/v1", "deployments", True), "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", True), "ReplicaSet": ("/apis/apps/v1", "replicasets", True),
    "CronJob": ("/apis/batch/v1", "cronjobs", True), "Job": ("/apis/batch/v1", "jobs", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
}
# The seeded source speaks APIs a 1.22 cluster served; a current server serves their successors
# with the same fields. The assessment's deprecated-API findings stay covered by the simulation.
CURRENT_VERSIONS = {"batch/v1beta1": "batch/v1", "policy/v1beta1": "policy/v1",
                    "autoscaling/v2beta2": "autoscaling/v2"}
APPLY_ORDER = ("Namespace", "Node", "StorageClass", "IngressClass", "ServiceAccount", "ConfigMap", "Secret",
               "PersistentVolumeClaim", "Service")
KWOK_ANNOTATION = {"kwok.x-k8s.io/node": "fake"}
COUNTED_KINDS = ("Namespace", "Node", "StorageClass", "IngressClass", "ConfigMap", "Secret", "ServiceAccount",
                 "PersistentVolumeClaim", "Service", "Deployment", "ReplicaSet", "Pod", "StatefulSet", "DaemonSet",
                 "CronJob", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress")


def collection_path(kind, namespace=None):
    prefix, plural, namespaced = PATHS[kind]
    if namespaced and namespace:
        return "%s/namespaces/%s/%s" % (prefix, namespace, plural)
    return "%s/%s" % (prefix, plural)


def for_real_server(obj):
    """The seeded object as a current API server takes it."""
    obj = json.loads(json.dumps(obj))
    obj["apiVersion"] = CURRENT_VERSIONS.get(obj["apiVersion"], obj["apiVersion"])
    kind = obj["kind"]
    if kind == "Node":
        obj["metadata"].setdefault("annotations", {}).update(KWOK_ANNOTATION)
        obj["metadata"]["labels"].pop("lab/os", None)
        obj["status"].pop("conditions", None)  # kwok reports them
    else:
        obj.pop("status", None)
    if kind == "Service" and obj["spec"].get("clusterIP") not in (None, "None"):
        # the other cloud's cluster IPs collide with the service range's reserved first address;
        # the server allocates its own (promotion drops clusterIP anyway)
        obj["spec"].pop("clusterIP")
    return obj


def _quantity(value, unit):
    value = str(value)
    for suffix, factor in (("Ki", 2 ** 10), ("Mi", 2 ** 20), ("Gi", 2 ** 30), ("m", 0.001)):
        if value.endswith(suffix):
            return float(value[:-len(suffix)]) * factor / unit
    return float(value) / unit


def requested(objs):
    """CPU (cores) and memory (GiB) the seeded workloads request, all replicas counted."""
    cpu = mem = 0.0
    for obj in objs:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for container in obj["spec"]["template"]["spec"]["containers"]:
            req = (container.get("resources") or {}).get("requests") or {}
            cpu += obj["spec"].get("replicas", 1) * _quantity(req.get("cpu", "0"), 1)
            mem += obj["spec"].get("replicas", 1) * _quantity(req.get("memory", "0"), 2 ** 30)
    return cpu, mem


def with_capacity(nodes, workloads, headroom=1.5):
    """The seeded nodes, and more of the same shape (zones taken in turn) until the seeded workloads
    fit with ``headroom``: the real scheduler counts requests, the simulation does not, and the
    target must hold the whole estate at the end of a cutover (docs/lab.md)."""
    cpu, mem = requested(workloads)
    shape = nodes[0]["status"]["allocatable"]
    per_cpu, per_mem = _quantity(shape["cpu"], 1), _quantity(shape["memory"], 2 ** 30)
    wanted = max(len(nodes), int(-(-max(cpu / per_cpu, mem / per_mem) * headroom // 1)))
    out = list(nodes)
    for i in range(len(nodes), wanted):
        node = json.loads(json.dumps(nodes[i % len(nodes)]))
        name = "%s-x%d" % (node["metadata"]["name"], i)
        node["metadata"]["name"] = name
        node["metadata"]["labels"]["kubernetes.io/hostname"] = name
        for key in ("bootID", "machineID", "systemUUID"):
            node["status"]["nodeInfo"][key] = name
        out.append(node)
    return out


def estate(workloads, seed):
    """Source and target objects of the real backend, and the seeded secret values."""
    objs, secret_values = simseed.source_objects(workloads, seed)
    work = [o for o in objs if o["kind"] in ("Deployment", "StatefulSet")]
    source = [o for o in objs if o["kind"] != "Node"] + with_capacity([o for o in objs if o["kind"] == "Node"], work)
    target_objs = simseed.target_objects()
    target = [o for o in target_objs if o["kind"] != "Node"] + with_capacity(
        [o for o in target_objs if o["kind"] == "Node"], work)
    return source, target, secret_values


def apply_objects(rest, objs):
    ordered = sorted(objs, key=lambda o: APPLY_ORDER.index(o["kind"]) if o["kind"] in APPLY_ORDER
                     else len(APPLY_ORDER))
    for obj in ordered:
        obj = for_real_server(obj)
        ns = obj["metadata"].get("namespace")
        deadline = time.monotonic() + 60
        while True:
            try:
                rest.create(collection_path(obj["kind"], ns), obj)
                break
            except RealLabError as exc:
                # a pod template naming a ServiceAccount, or a namespace still initialising
                if time.monotonic() > deadline:
                    raise
                if "forbidden" not in str(exc).lower() and "not found" not in str(exc).lower():
                    raise
                time.sleep(0.5)


class RealCluster:
    """What the rest of the lab needs of a cluster: its token and the port clients use."""

    def __init__(self, name):
        self.name = name
        self.token = secrets.token_hex(16)
        self.port = None


class RealLab(simlab.Lab):
    kube = "real"

    def make_clusters(self):
        return {name: RealCluster(name) for name in ("source", "target", "karmada")}

    def start_planes(self):
        self.planes = ControlPlanes(self.dir, {n: c.token for n, c in self.clusters.items()}).start()
        return self.planes


# -- the recording proxy -------------------------------------------------------------------
HOP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate", "content-length"}


SKIP_AUTO = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


def proxy_app(lab, name, upstream, session):
    from aiohttp import web

    async def forward(request):
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS]
        body = await request.read()
        url = upstream + request.path_qs
        watch = request.query.get("watch") in ("true", "1")
        # forwarded verbatim: aiohttp adds none of its own headers (a body without Content-Type, as
        # the official Python client sends, must reach the server without one)
        upstream_resp = await session.request(request.method, url, headers=headers, data=body or None,
                                              allow_redirects=False, skip_auto_headers=SKIP_AUTO)
        try:
            out_headers = [(k, v) for k, v in upstream_resp.headers.items() if k.lower() not in HOP_HEADERS]
            if not watch:
                # whole answers, so that an injected "lost response" loses all of it
                data = await upstream_resp.read()
                resp = web.Response(status=upstream_resp.status, body=data)
                for k, v in out_headers:
                    resp.headers.add(k, v)
                return resp
            resp = web.StreamResponse(status=upstream_resp.status)
            for k, v in out_headers:
                resp.headers.add(k, v)
            await resp.prepare(request)
            async for chunk in upstream_resp.content.iter_any():
                await resp.write(chunk)
            await resp.write_eof()
            return resp
        finally:
            upstream_resp.release()

    app = web.Application(middlewares=lab.middlewares(name, token=None), client_max_size=64 * 2 ** 20)
    app.router.add_route("*", "/{tail:(?!_lab/).*}", forward)
    return app


# -- the stand-in volume provisioner ---------------------------------------------------------
async def provisioner(planes, interval=1.0):
    loop = asyncio.get_running_loop()

    def once(member):
        rest = planes.rest(member)
        _, pvcs = rest.get("/api/v1/persistentvolumeclaims")
        for pvc in pvcs.get("items") or []:
            meta, spec = pvc["metadata"], pvc["spec"]
            if meta.get("deletionTimestamp") or spec.get("volumeName") or (pvc.get("status") or {}).get(
                    "phase") == "Bound":
                continue
            rest.create("/api/v1/persistentvolumes", {
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": "lab-pv-%s" % meta["uid"],
                             "annotations": {"pv.kubernetes.io/provisioned-by": "lab.stand-in/provisioner"}},
                "spec": {"accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                         "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get(
                             "storage", "1Gi")},
                         "storageClassName": spec.get("storageClassName") or "",
                         "volumeMode": spec.get("volumeMode") or "Filesystem",
                         "persistentVolumeReclaimPolicy": "Delete",
                         "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                      "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]},
                         "hostPath": {"path": "/tmp/lab-pv/%s" % meta["uid"]}}})

    while True:
        for member in MEMBERS:
            try:
                await loop.run_in_executor(None, once, member)
            except (RealLabError, OSError) as exc:  # keep provisioning whatever one round met
                print("provisioner: %s: %s" % (member, exc), flush=True)
        await asyncio.sleep(interval)


# -- Gateway API --------------------------------------------------------------------------------
def gateway_crd_dir():
    """The Gateway API CRDs ``make real-build`` downloaded (``gateway-api/<version>/crds`` in the
    cache); the repository's copy of the same release (tools/sync_gateway_crds.sh) when the cache
    predates them."""
    version = controlplane.versions().get("GATEWAY_API_VERSION", "")
    cached = controlplane.cache_root() / "gateway-api" / version
    if version and (cached / ".complete").exists():
        return cached / "crds"
    print("gateway-api %s not in the build cache (make real-build fetches it): applying %s" % (
        version, simlab.GATEWAY_CRDS), flush=True)
    return simlab.GATEWAY_CRDS


def install_gateway_api(rest, timeout=60):
    """The HTTPRoute CRD (standard channel) on the source, established before anything uses it."""
    import yaml

    for path in sorted(gateway_crd_dir().glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if crd and crd.get("kind") == "CustomResourceDefinition":
                rest.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    rest.wait("/apis/gateway.networking.k8s.io/v1/httproutes?limit=1", timeout=timeout)


# -- serve ------------------------------------------------------------------------------------
def wait_seeded(rest, timeout=240):
    deadline = time.monotonic() + timeout
    pending = None
    while time.monotonic() < deadline:
        _, deps = rest.get("/apis/apps/v1/deployments")
        _, sts = rest.get("/apis/apps/v1/statefulsets")
        pending = [d["metadata"]["name"] for d in (deps["items"] + sts["items"])
                   if (d.get("status") or {}).get("readyReplicas", 0) != d["spec"].get("replicas", 1)]
        if not pending:
            return
        time.sleep(0.5)
    raise RealLabError("seeded workloads not ready in %ds: %s" % (timeout, ", ".join(pending[:10])))


def wait_members(rest, names, timeout=180):
    def ready(payload):
        have = {c["metadata"]["name"]: c for c in payload.get("items") or []}
        return all(any(cond.get("type") == "Ready" and cond.get("status") == "True"
                       for cond in ((have.get(n) or {}).get("status") or {}).get("conditions") or [])
                   for n in names)
    rest.wait("/apis/cluster.karmada.io/v1alpha1/clusters", timeout=timeout, check=ready)


def counts(rest):
    out = {}
    for kind in COUNTED_KINDS:
        _, payload = rest.get(collection_path(kind))
        if payload.get("items"):
            out[kind] = len(payload["items"])
    return out


async def serve_real(lab_dir, write_outputs):
    """``labctl.py serve`` with ``LAB_KUBE=real``."""
    t0 = time.monotonic()
    lab = RealLab(lab_dir)
    planes = lab.start_planes()
    try:
        await _serve(lab, planes, t0, write_outputs)
    finally:
        for task in lab.tasks:
            task.cancel()
        planes.stop()


async def _serve(lab, planes, t0, write_outputs):
    import aiohttp

    loop = asyncio.get_running_loop()
    cctx = ssl.create_default_context(cafile=str(lab.ca["ca"]))
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=cctx, limit=128),
                                    auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None))
    for name, cluster in lab.clusters.items():
        cluster.port = await lab.start_app(name, proxy_app(lab, name, planes.url(name), session))
    from tests.lab import ctyunsim
    from tests.lab.ctyunsim import table as ctyun_table

    # A CCE cluster of the simulation hands out the real ``target``: CCE offers that cluster's
    # Kubernetes version too (a migration never targets a version older than its source).
    real_version = planes.versions["kubernetes"].lstrip("v")
    if real_version not in ctyun_table.SUPPORTED_VERSIONS:
        ctyun_table.SUPPORTED_VERSIONS = (real_version,) + tuple(ctyun_table.SUPPORTED_VERSIONS)
    # and the lab's inventory plans the target at that version (the source runs it too)
    lab.inventory_vars = {"target_cluster_kubernetes_version": real_version}
    await lab.start_app("ctyun", ctyunsim.make_app(lab))
    await loop.run_in_executor(None, install_gateway_api, planes.rest("source"))

    # the seeded estate, through the real API
    workloads = int(lab.knobs["LAB_WORKLOADS"])
    source_objs, target_objs, secret_values = estate(workloads, lab.knobs["LAB_SEED"])
    await loop.run_in_executor(None, apply_objects, planes.rest("source"), source_objs)
    await loop.run_in_executor(None, apply_objects, planes.rest("target"), target_objs)
    lab.tasks.append(asyncio.ensure_future(provisioner(planes)))
    members = [m.strip() for m in (lab.knobs.get("LAB_KARMADA_MEMBERS") or "").split(",") if m.strip()]
    for member in members:
        name, _, key = member.partition("=")
        planes.join(name, key or name)
    from tests.lab import traffic
    await traffic.start(lab)
    write_outputs(lab)
    await loop.run_in_executor(None, wait_seeded, planes.rest("source"))
    if members:
        await loop.run_in_executor(None, wait_members, planes.rest("karmada"),
                                   [m.partition("=")[0] for m in members])
    seed_counts = await loop.run_in_executor(None, counts, planes.rest("source"))
    (lab.dir / "seed.json").write_text(json.dumps({"source": {"counts": seed_counts, "secret_values": secret_values,
                                                              "workloads": workloads}}, indent=1))
    timings = dict(planes.timings, ready_s=round(time.monotonic() - t0, 1))
    (lab.dir / "real.json").write_text(json.dumps({
        "versions": planes.versions, "direct": {n: planes.url(n) for n in ("source", "target", "karmada")},
        "pids": {n: p.pid for n, p in planes.procs.items()}, "timings": timings}, indent=1))
    (lab.dir / "ready").write_text("ok\n")
    print("real lab ready in %.1f s (control planes %.1f s)" % (timings["ready_s"], timings["start_s"]), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await traffic.stop(lab)
        await lab.stop_apps()
        await session.close()


__all__ = ["RealLab", "serve_real", "controlplane"]
