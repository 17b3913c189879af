"""One HTTP entry per lab cluster: the data plane traffic tests send requests through.

An entry stands for what takes a cluster's traffic in (its ingress, or the node ports behind a
cloud load balancer). It serves plain HTTP on 127.0.0.1:

- ``GET /healthz`` answers 200: the load balancer's health check of the entry itself;
- ``POST /_lab/faults`` with ``{"hosts": {host: status}}`` makes the entry answer that status for
  those hosts (an application failing behind this cluster's entry), ``{"hosts": {}}`` clears it;
- a request for host ``<service>.<namespace>.<anything>`` (``Host`` header, port ignored) is
  answered 200 with a short JSON body and ``X-Served-By: <cluster>`` while the cluster has at
  least one ready endpoint for Service ``<namespace>/<service>`` in its EndpointSlices
  (``discovery.k8s.io/v1``, label ``kubernetes.io/service-name``; ``conditions.ready`` nil counts as
  ready, as the EndpointSlice API documents), else 503 with a body saying why;
- the ``source`` entry also stands for a Gateway every HTTPRoute (``gateway.networking.k8s.io/v1``)
  of its cluster is attached to: a route whose ``spec.hostnames`` match the host takes the request
  (see ``Routes``); a backendRef to a local Service is answered by the rule above, one to a Service
  of ``type: ExternalName`` naming the target entry (``cce_entry_name``) is proxied to the target
  entry, ``Host`` unchanged, so the answer says ``X-Served-By: target``.

The entry learns EndpointSlices, HTTPRoutes and Services through the cluster's Kubernetes API with
list and watch, on both backends the same way, through an address that is not the lab's recording
proxy, so that its requests stay out of ``requests.jsonl`` (the real API server directly; on the
simulation, a listener without the lab's middleware, see ``tests/lab/traffic/__init__.py``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import ssl
import time

import aiohttp
from aiohttp import web

SLICES = "/apis/discovery.k8s.io/v1/endpointslices"
HTTPROUTES = "/apis/gateway.networking.k8s.io/v1/httproutes"
SERVICES = "/api/v1/services"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
               "proxy-authenticate", "content-length"}


def key_of(obj):
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "", meta.get("name")


# -- list and watch -----------------------------------------------------------------------------
class Informer:
    """The objects of one collection, kept by list and watch (``items``: (namespace, name) -> object).
    ``on_event(type, obj, old)`` runs for each change; ``on_reset()`` after every full list. A
    collection the server does not serve (404: a CRD not installed yet) reads as empty and is listed
    again every few seconds."""

    def __init__(self, session, base, token, path, on_event=None, on_reset=None):
        self.session = session
        self.base = base.rstrip("/")
        self.headers = {"Authorization": "Bearer %s" % token, "Accept": "application/json"}
        self.path = path
        self.items = {}
        self.served = False
        self.synced = asyncio.Event()
        self.on_event = on_event or (lambda etype, obj, old: None)
        self.on_reset = on_reset or (lambda: None)
        self.errors = 0

    async def run(self):
        while True:
            try:
                rv = await self._list()
                if rv is None:
                    await asyncio.sleep(2.0)
                    continue
                while rv is not None:
                    rv = await self._watch(rv)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
                self.errors += 1
                print("entry informer %s: %s" % (self.path, exc), flush=True)
                await asyncio.sleep(0.2)

    async def _list(self):
        items, cont, rv = {}, None, None
        while True:
            params = {"limit": "500"}
            if cont:
                params["continue"] = cont
            async with self.session.get(self.base + self.path, params=params, headers=self.headers) as resp:
                if resp.status == 404:
                    self.served = False
                    self._replace({})
                    return None
                if resp.status != 200:
                    raise aiohttp.ClientError("list %s: HTTP %d %s" % (self.path, resp.status,
                                                                       (await resp.text())[:200]))
                body = await resp.json(content_type=None)
            for obj in body.get("items") or []:
                items[key_of(obj)] = obj
            meta = body.get("metadata") or {}
            rv = meta.get("resourceVersion") or rv
            cont = meta.get("continue")
            if not cont:
                break
        self.served = True
        self._replace(items)
        return rv

    def _replace(self, items):
        self.items = items
        self.on_reset()
        self.synced.set()

    async def _watch(self, rv):
        """One watch from ``rv``; the resourceVersion to watch from next, or None to list again."""
        params = {"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true", "timeoutSeconds": "240"}
        timeout = aiohttp.ClientTimeout(total=None, sock_read=300)
        async with self.session.get(self.base + self.path, params=params, headers=self.headers,
                                    timeout=timeout) as resp:
            if resp.status == 410:
                return None
            if resp.status != 200:
                raise aiohttp.ClientError("watch %s: HTTP %d" % (self.path, resp.status))
            buf = b""
            async for chunk in resp.content.iter_any():
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    etype, obj = event.get("type"), event.get("object") or {}
                    if etype == "ERROR":
                        return None   # 410 Gone and the like: list again
                    rv = (obj.get("metadata") or {}).get("resourceVersion") or rv
                    if etype == "BOOKMARK":
                        continue
                    key = key_of(obj)
                    old = self.items.get(key)
                    if etype == "DELETED":
                        self.items.pop(key, None)
                    else:
                        self.items[key] = obj
                    self.on_event(etype, obj, old)
        return rv


# -- endpoints -----------------------------------------------------------------------------------
def endpoint_ready(ep):
    """``conditions.ready``: "A nil value should be interpreted as "true"" (discovery/v1 types.go)."""
    return (ep.get("conditions") or {}).get("ready") is not False


class Endpoints:
    """Ready endpoints per Service, from the cluster's EndpointSlices."""

    def __init__(self):
        self.by_service = {}   # (ns, service) -> {slice name: ([ready endpoints], number of endpoints)}
        self.informer = None
        self.turn = {}

    def reset(self):
        self.by_service = {}
        for obj in self.informer.items.values():
            self.event("ADDED", obj, None)

    def event(self, etype, obj, old):
        for item in (old, obj):
            if item is None:
                continue
            ns, name = key_of(item)
            svc = ((item.get("metadata") or {}).get("labels") or {}).get(LABEL_SERVICE_NAME)
            slices = self.by_service.get((ns, svc)) if svc else None
            if slices is not None:
                slices.pop(name, None)
                if not slices:
                    del self.by_service[(ns, svc)]
        if etype == "DELETED":
            return
        ns, name = key_of(obj)
        svc = ((obj.get("metadata") or {}).get("labels") or {}).get(LABEL_SERVICE_NAME)
        if svc:
            eps = obj.get("endpoints") or []
            self.by_service.setdefault((ns, svc), {})[name] = ([ep for ep in eps if endpoint_ready(ep)], len(eps))

    def ready(self, ns, svc):
        return [ep for eps, _ in (self.by_service.get((ns, svc)) or {}).values() for ep in eps]

    def why_not(self, ns, svc):
        slices = self.by_service.get((ns, svc))
        if not slices:
            return "no EndpointSlice for Service %s/%s" % (ns, svc)
        total = sum(n for _, n in slices.values())
        return "no ready endpoint for Service %s/%s (%d endpoint%s in %d EndpointSlice%s, none ready)" % (
            ns, svc, total, "" if total == 1 else "s", len(slices), "" if len(slices) == 1 else "s")

    def pick(self, ns, svc):
        eps = self.ready(ns, svc)
        if not eps:
            return None
        eps = sorted(eps, key=lambda ep: (ep.get("addresses") or [""])[0])
        n = self.turn.get((ns, svc), 0)
        self.turn[(ns, svc)] = n + 1
        return eps[n % len(eps)]


# -- HTTPRoutes -------------------------------------------------------------------------------------
def host_matches(pattern, host):
    """An HTTPRoute hostname against the request host: exact, or ``*.`` as a suffix match of one or
    more labels (``*.example.com`` matches ``a.example.com`` and ``a.b.example.com``, not
    ``example.com``)."""
    pattern = (pattern or "").lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def route_rank(route, host):
    """Precedence of a route for ``host`` (spec.hostnames' description: most characters in a
    matching non-wildcard hostname, then in a matching hostname), or None when it does not match.
    A route without hostnames matches every host, last."""
    names = (route.get("spec") or {}).get("hostnames") or []
    if not names:
        return (0, 0)
    best = None
    for name in names:
        if host_matches(name, host):
            rank = (0 if name.startswith("*.") else len(name), len(name))
            best = rank if best is None or rank > best else best
    return best


def _path_matches(match, path):
    spec = match.get("path") or {"type": "PathPrefix", "value": "/"}
    kind, value = spec.get("type") or "PathPrefix", spec.get("value") or "/"
    if kind == "Exact":
        return path == value
    if kind == "RegularExpression":
        try:
            return re.fullmatch(value, path) is not None
        except re.error:
            return False
    prefix = value.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _value_matches(spec, actual):
    if actual is None:
        return False
    if (spec.get("type") or "Exact") == "RegularExpression":
        try:
            return re.fullmatch(spec.get("value") or "", actual) is not None
        except re.error:
            return False
    return actual == spec.get("value")


def rule_matches(rule, request):
    matches = rule.get("matches") or [{}]
    for match in matches:
        if not _path_matches(match, request.path):
            continue
        if match.get("method") and match["method"] != request.method:
            continue
        if not all(_value_matches(h, request.headers.get(h.get("name") or "")) for h in match.get("headers") or []):
            continue
        if not all(_value_matches(q, request.query.get(q.get("name") or "")) for q in match.get("queryParams") or []):
            continue
        return True
    return False


class SmoothWeighted:
    """Smooth weighted round robin: over any run of sum(weights) picks each backend is picked exactly
    its weight's number of times, evenly spread."""

    def __init__(self, weights):
        self.weights = list(weights)
        self.current = [0] * len(self.weights)

    def pick(self):
        total = sum(self.weights)
        best = None
        for i, weight in enumerate(self.weights):
            self.current[i] += weight
            if weight > 0 and (best is None or self.current[i] > self.current[best]):
                best = i
        self.current[best] -= total
        return best


class Routes:
    """HTTPRoutes of the source cluster, as a Gateway every route attaches to would apply them:
    the route of highest precedence whose hostnames match the host (then the oldest, then by
    namespace/name), its first rule whose matches match the request (path, method, headers, query),
    one of that rule's backendRefs by weight (default 1; 0 takes no traffic; a rule whose backendRefs
    all weigh 0, or has none, answers 500). A backendRef is invalid, and its share of the requests
    answered 500, when it names another group or kind than a core Service, a Service of another
    namespace (no ReferenceGrant is read), a Service that does not exist, or an ExternalName Service
    naming something other than the target entry. Filters, timeouts and retries are not applied,
    and parentRefs are not checked."""

    def __init__(self, cce_entry_name):
        self.cce_entry_name = cce_entry_name
        self.routes = None     # Informer
        self.services = None   # Informer
        self.pickers = {}

    def choose(self, host, request):
        """-> (route, rule index, rule) or (route, None, None) when the route takes the host but no
        rule matches, or None when no route takes the host."""
        ranked = []
        for route in self.routes.items.values() if self.routes else ():
            if (route.get("metadata") or {}).get("deletionTimestamp"):
                continue
            rank = route_rank(route, host)
            if rank is not None:
                meta = route["metadata"]
                ranked.append(((-rank[0], -rank[1], meta.get("creationTimestamp") or "",
                                meta.get("namespace") or "", meta["name"]), route))
        if not ranked:
            return None
        ranked.sort(key=lambda item: item[0])
        for _, route in ranked:
            for index, rule in enumerate((route.get("spec") or {}).get("rules") or [{}]):
                if rule_matches(rule, request):
                    return route, index, rule
        return ranked[0][1], None, None

    def pick_backend(self, route, index, rule):
        refs = rule.get("backendRefs") or []
        weights = [1 if ref.get("weight") is None else int(ref["weight"]) for ref in refs]
        if not refs or not any(w > 0 for w in weights):
            return None
        meta = route["metadata"]
        key = (meta.get("uid"), meta.get("generation") or meta.get("resourceVersion"), index)
        picker = self.pickers.get(key)
        if picker is None or picker.weights != weights:
            picker = self.pickers[key] = SmoothWeighted(weights)
            if len(self.pickers) > 1000:
                self.pickers = {key: picker}
        return refs[picker.pick()]

    def resolve(self, route, ref):
        """-> ("local", ns, name) | ("cce", ns, name) | ("invalid", reason)."""
        route_ns = route["metadata"].get("namespace") or ""
        ns = ref.get("namespace") or route_ns
        name = ref.get("name")
        if (ref.get("group") or "") != "" or (ref.get("kind") or "Service") != "Service":
            return ("invalid", "backendRef %s/%s: only core Services are served" % (ref.get("kind"), name))
        if ns != route_ns:
            return ("invalid", "backendRef to Service %s/%s in another namespace (ReferenceGrants are not read)"
                    % (ns, name))
        svc = self.services.items.get((ns, name)) if self.services else None
        if svc is None:
            return ("invalid", "backendRef to Service %s/%s, which does not exist" % (ns, name))
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            target = (spec.get("externalName") or "").rstrip(".").lower()
            if target == self.cce_entry_name:
                return ("cce", ns, name)
            return ("invalid", "ExternalName Service %s/%s names %r; the lab resolves only %s"
                    % (ns, name, target, self.cce_entry_name))
        return ("local", ns, name)


# -- the entry ------------------------------------------------------------------------------------
def request_host(request):
    host = (request.headers.get("Host") or "").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


def service_of_host(host):
    """(namespace, service) a host names, or None for an IP address or a single label."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    parts = host.split(".")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return parts[1], parts[0]


class Entry:
    def __init__(self, cluster, api_url, token, cafile, cce_entry_name=None, routes=False):
        self.cluster = cluster
        self.api_url = api_url
        self.token = token
        self.cafile = cafile
        self.port = None
        self.url = None
        self.peer_url = None          # the target entry, for ExternalName backends (source only)
        self.endpoints = Endpoints()
        self.routes = Routes(cce_entry_name) if routes else None
        self.tasks = []
        self.informers = []
        self.counts = {"requests": 0}
        self.faults = {}              # host -> HTTP status the entry answers instead (POST /_lab/faults)

    async def start(self, sync_timeout=60.0):
        ctx = ssl.create_default_context(cafile=self.cafile)
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=16),
                                             timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        self.proxy = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), auto_decompress=False)
        slices = Informer(self.session, self.api_url, self.token, SLICES, on_event=self.endpoints.event,
                          on_reset=self.endpoints.reset)
        self.endpoints.informer = slices
        self.informers.append(slices)
        if self.routes is not None:
            self.routes.routes = Informer(self.session, self.api_url, self.token, HTTPROUTES)
            self.routes.services = Informer(self.session, self.api_url, self.token, SERVICES)
            self.informers += [self.routes.routes, self.routes.services]
        self.tasks = [asyncio.ensure_future(i.run()) for i in self.informers]
        await asyncio.wait_for(asyncio.gather(*(i.synced.wait() for i in self.informers)), sync_timeout)
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_post("/_lab/faults", self.set_faults)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=512)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        return self

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping whatever state it was in
                pass
        if getattr(self, "runner", None) is not None:
            await self.runner.cleanup()
        for session in (getattr(self, "session", None), getattr(self, "proxy", None)):
            if session is not None:
                await session.close()

    # -- HTTP --------------------------------------------------------------------------------
    async def healthz(self, request):
        return web.Response(text="ok\n", headers={"X-Entry": self.cluster})

    def _answer(self, status, body, **headers):
        headers = dict(headers, **{"X-Entry": self.cluster})
        return web.Response(status=status, text=json.dumps(body) + "\n", content_type="application/json",
                            headers=headers)

    async def set_faults(self, request):
        """``{"hosts": {host: status}}``: answer that status for those hosts from now on (a failing
        application behind this cluster's entry); ``{"hosts": {}}`` clears them."""
        body = await request.json()
        self.faults = dict((str(h).lower(), int(code)) for h, code in (body.get("hosts") or {}).items())
        return self._answer(200, {"entry": self.cluster, "faults": self.faults})

    async def handle(self, request):
        self.counts["requests"] += 1
        host = request_host(request)
        if host in self.faults:
            return self._answer(self.faults[host], {"entry": self.cluster, "error": "fault set for %s" % host},
                                **{"X-Served-By": self.cluster})
        if self.routes is not None:
            chosen = self.routes.choose(host, request)
            if chosen is not None:
                return await self._routed(request, host, *chosen)
        named = service_of_host(host)
        if named is None:
            return self._answer(404, {"entry": self.cluster, "error": "host %r names no Service: use "
                                      "<service>.<namespace>.<anything>" % host})
        return self._local(request, *named)

    def _local(self, request, ns, svc, **extra):
        ep = self.endpoints.pick(ns, svc)
        if ep is None:
            return self._answer(503, {"entry": self.cluster, "error": "%s in cluster %s" % (
                self.endpoints.why_not(ns, svc), self.cluster)}, **extra)
        ref = ep.get("targetRef") or {}
        return self._answer(200, {"served_by": self.cluster, "service": "%s/%s" % (ns, svc),
                                  "endpoint": (ep.get("addresses") or [None])[0], "pod": ref.get("name"),
                                  "path": request.path}, **dict(extra, **{"X-Served-By": self.cluster}))

    async def _routed(self, request, host, route, index, rule):
        meta = route["metadata"]
        where = {"X-Route": "%s/%s" % (meta.get("namespace"), meta["name"])}
        if rule is None:
            return self._answer(404, {"entry": self.cluster, "error": "no rule of HTTPRoute %s/%s matches %s %s"
                                      % (meta.get("namespace"), meta["name"], request.method, request.path)}, **where)
        ref = self.routes.pick_backend(route, index, rule)
        if ref is None:
            return self._answer(500, {"entry": self.cluster, "error": "rule %d of HTTPRoute %s/%s has no backendRef "
                                      "with a weight above 0" % (index, meta.get("namespace"), meta["name"])},
                                **where)
        target = self.routes.resolve(route, ref)
        if target[0] == "invalid":
            return self._answer(500, {"entry": self.cluster, "error": target[1]}, **where)
        where["X-Backend"] = "%s/%s" % (target[1], target[2])
        if target[0] == "local":
            return self._local(request, target[1], target[2], **where)
        return await self._proxy(request, where)

    async def _proxy(self, request, where):
        if not self.peer_url:
            return self._answer(502, {"entry": self.cluster, "error": "no target entry to forward to"}, **where)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS]
        body = await request.read()
        started = time.monotonic()
        try:
            async with self.proxy.request(request.method, self.peer_url + request.path_qs, headers=headers,
                                          data=body or None, allow_redirects=False) as resp:
                data = await resp.read()
                out = web.Response(status=resp.status, body=data)
                for k, v in resp.headers.items():
                    if k.lower() not in HOP_HEADERS:
                        out.headers.add(k, v)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return self._answer(502, {"entry": self.cluster, "error": "forwarding to the target entry failed "
                                      "after %.2f s: %s" % (time.monotonic() - started, exc)}, **where)
        for k, v in where.items():
            out.headers[k] = v
        return out
