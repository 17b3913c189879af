"""An in-memory model of Karmada and two members, following Karmada's rules.

Static-weight division (the lab's own re-implementation, ``tests/lab/karmadasim/division.py``,
not the collection's, so the tests do not check the collection against itself), a cluster with 0 replicas leaves the
schedule, ``preserveResourcesOnDeletion`` keeps the member object as it was and drops
Karmada's labels; new pods become ready one per member LIST, removed pods go at once.
Every state change samples the ready replicas, so the capacity invariant is checked at
every instant of the model. Used by the runner unit tests and, behind a local HTTP
server, by the module tests that do not need the full lab.
"""

import copy
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import NotFoundError
from tests.lab.karmadasim.division import divide

SRC, TGT = "src", "tgt"
PATH = re.compile(r"^/apis?/(?P<group>.+)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?$")
WORKLOAD_PLURALS = ("deployments", "statefulsets")


class World(object):
    def __init__(self):
        self.policies = {}
        self.templates = {}
        self.members = {SRC: {}, TGT: {}}
        self.others = {}    # (cluster or None, plural) -> objects of kinds the model does not act on
        self.writes = 0
        self.low = {}  # workload -> lowest ready sum seen
        self.ready_per_tick = 1
        self.lock = threading.RLock()

    def add(self, name, replicas, mu, uid):
        # claimed by its policy, as Karmada's detector marks a template (pkg/detector/claim.go)
        tpl = {"kind": "Deployment", "metadata": {"namespace": "app", "name": name, "uid": uid, "annotations": {
               "propagationpolicy.karmada.io/name": name, "propagationpolicy.karmada.io/namespace": "app"}},
               "spec": {"replicas": replicas, "strategy": {"rollingUpdate": {"maxUnavailable": mu}}}}
        self.templates["app/" + name] = tpl
        self.policies["app/" + name] = {
            "metadata": {"namespace": "app", "name": name, "annotations": {}},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                     "placement": {"clusterAffinity": {"clusterNames": [SRC]}},
                     "preserveResourcesOnDeletion": True, "conflictResolution": "Overwrite"}}
        self.members[SRC]["app/" + name] = self._member(tpl, replicas, ready=replicas)
        self.sample()

    @staticmethod
    def _member(tpl, replicas, ready=0):
        return {"metadata": {"namespace": "app", "name": tpl["metadata"]["name"], "uid": str(uuid.uuid4()),
                             "labels": {"karmada.io/managed": "true"}},
                "spec": {"replicas": replicas}, "status": {"replicas": replicas, "readyReplicas": ready}}

    def reconcile(self):
        for key, pol in self.policies.items():
            tpl = self.templates.get(key)
            if tpl is None:
                for obj in (self.members[SRC].get(key), self.members[TGT].get(key)):
                    if obj:
                        obj["metadata"]["labels"].pop("karmada.io/managed", None)
                continue
            placement = pol["spec"]["placement"]
            names = placement["clusterAffinity"]["clusterNames"]
            rs = placement.get("replicaScheduling")
            replicas = tpl["spec"]["replicas"]
            if rs:
                div = dict((d["name"], d["replicas"]) for d in divide(
                    replicas, [{"metadata": {"name": n}} for n in names],
                    rs["weightPreference"]["staticWeightList"], tpl["metadata"]["uid"]))
            else:
                div = dict((n, replicas) for n in names)
            for cluster in (SRC, TGT):
                obj = self.members[cluster].get(key)
                want = div.get(cluster, 0)
                if want > 0:
                    if obj is None:
                        obj = self.members[cluster][key] = self._member(tpl, want)
                    obj["metadata"]["labels"]["karmada.io/managed"] = "true"
                    self._scale(obj, want)
                elif obj is not None:
                    obj["metadata"]["labels"].pop("karmada.io/managed", None)  # preserved as it was
        self.sample()

    @staticmethod
    def _scale(obj, replicas):
        obj["spec"]["replicas"] = replicas
        obj["status"]["replicas"] = replicas
        obj["status"]["readyReplicas"] = min(obj["status"]["readyReplicas"], replicas)

    def tick(self):
        for cluster in (SRC, TGT):
            for obj in self.members[cluster].values():
                if obj["status"]["readyReplicas"] < obj["spec"]["replicas"]:
                    obj["status"]["readyReplicas"] = min(obj["spec"]["replicas"],
                                                         obj["status"]["readyReplicas"] + self.ready_per_tick)
        self.sample()

    def sample(self):
        for key in self.templates:
            total = sum(self.members[c][key]["status"]["readyReplicas"] for c in (SRC, TGT)
                        if key in self.members[c])
            self.low[key] = min(self.low.get(key, total), total)


class FakeRest(object):
    """The ``k8s.rest.Rest`` interface over the model (thread-safe)."""

    def __init__(self, world, cluster=None):
        self.world = world
        self.cluster = cluster
        self.requests = 0

    def _store(self, plural):
        if plural not in WORKLOAD_PLURALS + ("propagationpolicies",):
            return self.world.others.setdefault((self.cluster, plural), {})
        if self.cluster:
            return self.world.members[self.cluster]
        return self.world.policies if plural == "propagationpolicies" else self.world.templates

    def get(self, path, missing_ok=False):
        with self.world.lock:
            return self._get(path, missing_ok)

    def _get(self, path, missing_ok=False):
        m = PATH.match(path)
        obj = self._store(m["plural"]).get("%s/%s" % (m["ns"], m["name"]))
        if obj is None:
            if missing_ok:
                return None
            raise NotFoundError("not found", status=404)
        return copy.deepcopy(obj)

    def list(self, path, label_selector=None):
        with self.world.lock:
            return self._list(path)

    def _list(self, path):
        if self.cluster:
            self.world.tick()
        m = PATH.match(path)
        return [copy.deepcopy(v) for k, v in sorted(self._store(m["plural"]).items()) if k.startswith(m["ns"] + "/")]

    def merge_patch(self, path, patch, dry_run=False):
        with self.world.lock:
            if dry_run:
                # dryRun=All: the answer the server would give, nothing stored
                m = PATH.match(path)
                obj = copy.deepcopy(self._store(m["plural"])["%s/%s" % (m["ns"], m["name"])])
                _merge(obj, patch)
                self.world.dry_runs = getattr(self.world, "dry_runs", 0) + 1
                return obj
            return self._merge_patch(path, patch)

    def _merge_patch(self, path, patch):
        m = PATH.match(path)
        key = "%s/%s" % (m["ns"], m["name"])
        obj = self._store(m["plural"])[key]
        _merge(obj, patch)
        self.world.writes += 1
        if self.cluster:
            self.world._scale(obj, obj["spec"]["replicas"])
            self.world.sample()
        else:
            self.world.reconcile()
        return copy.deepcopy(obj)

    def delete(self, path, missing_ok=True):
        with self.world.lock:
            return self._delete(path)

    def _delete(self, path):
        m = PATH.match(path)
        self._store(m["plural"]).pop("%s/%s" % (m["ns"], m["name"]), None)
        self.world.writes += 1
        self.world.reconcile()


def _merge(obj, patch):
    for k, v in patch.items():
        if v is None:
            obj.pop(k, None)
        elif isinstance(v, dict) and isinstance(obj.get(k), dict):
            _merge(obj[k], v)
        else:
            obj[k] = copy.deepcopy(v)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _route(self):
        prefix, _, rest = self.path.lstrip("/").partition("/")
        cluster = {"karmada": None, "source": SRC, "target": TGT}[prefix]
        return FakeRest(self.server.world, cluster), "/" + rest.split("?")[0]

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):  # noqa: N802
        rest, path = self._route()
        m = PATH.match(path)
        try:
            if m and m["name"]:
                self._send(200, rest.get(path))
            else:
                self._send(200, {"items": rest.list(path)})
        except NotFoundError:
            self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

    def do_PATCH(self):  # noqa: N802
        rest, path = self._route()
        body = self._body()
        try:
            self._send(200, rest.merge_patch(path, body, dry_run="dryRun=All" in self.path))
        except KeyError:
            self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

    def do_DELETE(self):  # noqa: N802
        rest, path = self._route()
        self._body()
        rest.delete(path)
        self._send(200, {"kind": "Status", "status": "Success"})

    def log_message(self, *args):
        pass


def serve(world):
    """Serve ``world`` on 127.0.0.1 (plain HTTP); returns ``(server, kubeconfig dict)``.

    Contexts ``karmada``, ``source`` and ``target``; members are named ``src`` and ``tgt``.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.world = world
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    names = ("karmada", "source", "target")
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "karmada",
        "clusters": [{"name": n, "cluster": {"server": "%s/%s" % (base, n)}} for n in names],
        "users": [{"name": "u", "user": {"token": "model"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in names],
    }
    return server, kubeconfig
