"""aiohttp application serving one simulated Kubernetes API server.

Discovery, CRUD for namespaced and cluster-scoped kinds, list with selectors and
limit/continue, watch, JSON/merge/strategic-merge patch, server-side dry-run,
resourceVersion conflicts, status and scale subresources, Kubernetes ``Status`` errors.
"""

from __future__ import annotations

import asyncio
import base64
import json

import jsonpatch
from aiohttp import web

from .patch import apply_patch
from .store import StoreError, clone, fields_match, labels_match, parse_selector

JSON = "application/json"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def status_error(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    if details:
        body["details"] = details
    return web.Response(status=code, text=dumps(body), content_type=JSON)


def ok(obj, status=200):
    return web.Response(status=status, text=dumps(obj), content_type=JSON)


class KubeApp:
    def __init__(self, cluster):
        self.cluster = cluster
        self.store = cluster.store
        self.registry = cluster.registry

    # -- discovery ----------------------------------------------------------
    def _resource_list(self, group, version):
        resources = []
        for k in self.registry.kinds:
            if k.group != group or k.version != version:
                continue
            entry = {"name": k.plural, "singularName": k.kind.lower(), "namespaced": k.namespaced, "kind": k.kind,
                     "verbs": list(k.verbs)}
            if k.short_names:
                entry["shortNames"] = list(k.short_names)
            resources.append(entry)
            for sub in k.subresources:
                kind = "Scale" if sub == "scale" else k.kind
                resources.append({"name": "%s/%s" % (k.plural, sub), "singularName": "", "namespaced": k.namespaced,
                                  "kind": kind, "verbs": ["get", "patch", "update"],
                                  **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {})})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "%s/%s" % (group, version)
                if group else version, "resources": resources}

    async def version(self, request):
        return ok(self.cluster.version)

    async def api(self, request):
        return ok({"kind": "APIVersions", "versions": ["v1"],
                   "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]})

    async def apis(self, request):
        groups = []
        for group, versions in self.registry.groups().items():
            if not group:
                continue
            vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
            groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
        return ok({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})

    async def api_group(self, request):
        group = request.match_info["group"]
        versions = self.registry.groups().get(group)
        if not versions:
            return status_error(404, "NotFound", "the server could not find the requested resource")
        vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
        return ok({"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": vs, "preferredVersion": vs[0]})

    async def core_v1(self, request):
        return ok(self._resource_list("", "v1"))

    async def group_version(self, request):
        group, version = request.match_info["group"], request.match_info["version"]
        if version not in self.registry.groups().get(group, []):
            return status_error(404, "NotFound", "the server could not find the requested resource")
        return ok(self._resource_list(group, version))

    async def openapi(self, request):
        """OpenAPI v2 is not served (kubectl then uses v3)."""
        return status_error(404, "NotFound", "the server could not find the requested resource")

    async def openapi_v3(self, request):
        """Index of per group-version documents, as the apiserver serves it."""
        paths = {}
        for group, versions in self.registry.groups().items():
            for version in versions:
                key = "apis/%s/%s" % (group, version) if group else "api/%s" % version
                paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=lab" % key}
        return ok({"paths": paths})

    async def openapi_v3_gv(self, request):
        """A reduced group-version document: one PATCH operation per kind with its
        x-kubernetes-group-version-kind and the fieldValidation parameter, which is what
        kubectl reads to use server-side field validation (schemas are not published)."""
        parts = request.match_info["gv"].split("/")
        group, version = (parts[1], parts[2]) if parts[0] == "apis" and len(parts) == 3 else ("", parts[-1])
        paths = {}
        for k in self.registry.kinds:
            if k.group != group or k.version != version:
                continue
            prefix = "/apis/%s/%s" % (group, version) if group else "/api/%s" % version
            path = "%s/%s%s/{name}" % (prefix, "namespaces/{namespace}/" if k.namespaced else "", k.plural)
            paths[path] = {"patch": {
                "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": k.kind},
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                               {"name": "dryRun", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}}}}
        return ok({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.cluster.version["gitVersion"]},
                   "paths": paths, "components": {"schemas": {}}})

    # -- resources ------------------------------------------------------------
    def _parse(self, request):
        """-> (kind, namespace, name, subresource) from the path, or raise 404."""
        parts = [p for p in request.path.split("/") if p]
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        else:
            group, version, rest = parts[1], parts[2], parts[3:]
        namespace = None
        if rest and rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        plural = rest[0] if rest else None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        kind = self.registry.by_path.get((group, version, plural))
        if kind is None or (sub and sub not in kind.subresources):
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not kind.namespaced:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        return kind, namespace, name, sub

    def _out(self, kind, obj):
        """Present an object in the API version it was asked through (a shallow copy when that
        differs: ``obj`` may be the stored object itself)."""
        if obj.get("apiVersion") == kind.group_version:
            return obj
        return dict(obj, apiVersion=kind.group_version)

    async def handle(self, request):
        try:
            kind, namespace, name, sub = self._parse(request)
            method = request.method
            q = request.query
            ctype = request.headers.get("Content-Type", "")
            if request.can_read_body and ("protobuf" in ctype or "cbor" in ctype):
                # the lab speaks JSON only; clients fall back to JSON on 415, as with an apiserver
                # that does not serve a media type
                return status_error(415, "UnsupportedMediaType", "the body of the request was in an unknown format "
                                    "- accepted media types include: application/json, application/yaml")
            dry_run = q.get("dryRun") == "All"
            if method == "GET" and name is None:
                if q.get("watch") in ("true", "1"):
                    return await self._watch(request, kind, namespace)
                return self._list(kind, namespace, q)
            if method == "GET":
                obj = self._get(kind, namespace, name, copy=False)
                if sub == "scale":
                    return ok(self._scale(kind, obj))
                return ok(self._out(kind, obj))
            if method == "POST" and name is None:
                body = await request.json()
                self._check_body(kind, body, namespace)
                if namespace is not None:
                    body.setdefault("metadata", {})["namespace"] = namespace
                # the body was just parsed: the store keeps it uncopied, and the answer is
                # serialized from the stored object before anything else runs
                created = self.store.create(self._stored(kind, body), dry_run=dry_run, given=True, result="stored")
                return ok(self._out(kind, created), 201)
            if method == "PUT":
                body = await request.json()
                if sub == "scale":
                    obj = self._get(kind, namespace, name)
                    obj["spec"]["replicas"] = int((body.get("spec") or {}).get("replicas", 0))
                    updated = self.store.update(obj, dry_run=dry_run)
                    return ok(self._scale(kind, updated))
                self._check_body(kind, body, namespace, name)
                body.setdefault("metadata", {})
                if namespace is not None:
                    body["metadata"]["namespace"] = namespace
                updated = self.store.update(self._stored(kind, body), check_rv=True, dry_run=dry_run,
                                            subresource=sub, given=True, result="stored")
                return ok(self._out(kind, updated))
            if method == "PATCH":
                return await self._patch(request, kind, namespace, name, sub, dry_run)
            if method == "DELETE" and name is not None:
                body = {}
                if request.can_read_body:
                    try:
                        body = await request.json()
                    except ValueError:
                        body = {}
                propagation = q.get("propagationPolicy") or (body or {}).get("propagationPolicy") or "Background"
                pre = (body or {}).get("preconditions") or {}
                if pre.get("uid") or pre.get("resourceVersion"):
                    cur = self._get(kind, namespace, name)
                    if pre.get("uid") and pre["uid"] != cur["metadata"]["uid"]:
                        raise StoreError(409, "Conflict", "Precondition failed: UID in precondition: %s, UID in "
                                         "object meta: %s" % (pre["uid"], cur["metadata"]["uid"]))
                gone = self.store.delete(self._av(kind), kind.kind, namespace, name, dry_run=dry_run,
                                         propagation=propagation)
                if gone is not None and gone["metadata"].get("deletionTimestamp") and gone["metadata"].get(
                        "finalizers"):
                    return ok(self._out(kind, gone), 202)
                return ok({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                           "details": {"name": name, "kind": kind.plural, "uid": (gone or {}).get(
                               "metadata", {}).get("uid")}})
            if method == "DELETE":
                sel = q.get("labelSelector")
                for obj in list(self.store.iter_raw(kind.gk, namespace, sel)):
                    self.store.delete(self._av(kind), kind.kind, obj["metadata"].get("namespace"),
                                      obj["metadata"]["name"], dry_run=dry_run)
                return ok({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
            return status_error(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                "resource")
        except StoreError as exc:
            return status_error(exc.code, exc.reason, exc.message, exc.details)
        except (ValueError, json.JSONDecodeError) as exc:
            return status_error(400, "BadRequest", "the request body is invalid: %s" % exc)

    def _av(self, kind):
        return kind.group_version

    def _stored(self, kind, body):
        body["apiVersion"] = kind.group_version
        body["kind"] = kind.kind
        return body

    def _check_body(self, kind, body, namespace, name=None):
        if not isinstance(body, dict):
            raise StoreError(400, "BadRequest", "the request body must be a JSON object")
        if body.get("kind") and body["kind"] != kind.kind:
            raise StoreError(400, "BadRequest", "the kind %s does not match the resource %s" % (body["kind"],
                                                                                                 kind.plural))
        meta = body.get("metadata") or {}
        if namespace and meta.get("namespace") and meta["namespace"] != namespace:
            raise StoreError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                             "sent on the request")
        if name and meta.get("name") and meta["name"] != name:
            raise StoreError(400, "BadRequest", "the name of the object (%s) does not match the name on the URL "
                             "(%s)" % (meta["name"], name))

    def _get(self, kind, namespace, name, copy=True):
        """The stored object: a copy to edit, or (copy=False) the stored object itself, read-only."""
        obj = self.store.raw(kind.gk, namespace if kind.namespaced else "", name)
        if obj is None:
            raise StoreError(404, "NotFound", '%s "%s" not found' % (kind.plural if not kind.group else "%s.%s" % (
                kind.plural, kind.group), name), {"name": name, "group": kind.group, "kind": kind.plural})
        return clone(obj) if copy else obj

    def _scale(self, kind, obj):
        status = obj.get("status") or {}
        sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": obj["metadata"]["name"], "namespace": obj["metadata"].get("namespace"),
                             "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"],
                             "creationTimestamp": obj["metadata"]["creationTimestamp"]},
                "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
                "status": {"replicas": status.get("replicas", 0),
                           "selector": ",".join("%s=%s" % kv for kv in sorted(sel.items()))}}

    def _list(self, kind, namespace, q):
        label_sel = q.get("labelSelector")
        field_sel = q.get("fieldSelector")
        limit = int(q.get("limit") or 0)
        start = 0
        cont = q.get("continue")
        if cont:
            try:
                token = json.loads(base64.urlsafe_b64decode(cont.encode()).decode())
                start = int(token["start"])
            except (ValueError, KeyError):
                raise StoreError(400, "BadRequest", "invalid continue token")
        reqs = parse_selector(label_sel) if label_sel else None
        items = []
        rv = str(self.store.rv)
        index = 0
        next_token = None
        remaining = None
        for obj in self.store.iter_raw(kind.gk, namespace):
            if reqs and not labels_match(obj["metadata"].get("labels"), reqs):
                continue
            if field_sel and not fields_match(obj, field_sel):
                continue
            if index < start:
                index += 1
                continue
            if limit and len(items) >= limit:
                next_token = base64.urlsafe_b64encode(dumps({"start": index, "rv": rv}).encode()).decode()
                remaining = 1
                break
            items.append(obj)
            index += 1
        meta = {"resourceVersion": rv}
        if next_token:
            meta["continue"] = next_token
            meta["remainingItemCount"] = remaining
        # As kube-apiserver: the items of a list carry no kind or apiVersion (the list does).
        av = kind.group_version
        body = '{"kind":"%sList","apiVersion":"%s","metadata":%s,"items":[%s]}' % (
            kind.kind, av, dumps(meta), ",".join(dumps({k: v for k, v in o.items() if k not in ("kind", "apiVersion")})
                                                 for o in items))
        return web.Response(text=body, content_type=JSON)

    async def _patch(self, request, kind, namespace, name, sub, dry_run):
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("application/apply-patch"):
            return status_error(415, "UnsupportedMediaType", "server-side apply is not supported by the lab")
        if ctype.startswith("application/strategic-merge-patch") and kind.schema is not None:
            return status_error(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                "accepted media types include: application/json-patch+json, "
                                "application/merge-patch+json, application/apply-patch+yaml")
        patch = await request.json()
        current = self._get(kind, namespace, name)
        current["apiVersion"] = kind.group_version
        if sub == "scale":
            scale = self._scale(kind, current)
            try:
                patched = apply_patch(ctype, scale, patch)
            except ValueError:
                return status_error(415, "UnsupportedMediaType", "unsupported patch type %s" % ctype)
            current["spec"]["replicas"] = int(patched["spec"]["replicas"])
            return ok(self._scale(kind, self.store.update(current, dry_run=dry_run)))
        try:
            patched = apply_patch(ctype, current, patch)
        except ValueError:
            return status_error(415, "UnsupportedMediaType", "unsupported patch type %s" % ctype)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            return status_error(422, "Invalid", "the JSON patch could not be applied: %s" % exc)
        patched["metadata"]["name"] = name
        if kind.namespaced:
            patched["metadata"]["namespace"] = namespace
        patched = self._stored(kind, patched)
        check = "resourceVersion" in json.dumps(patch) and isinstance(patch, dict) and \
            (patch.get("metadata") or {}).get("resourceVersion") is not None
        updated = self.store.update(patched, check_rv=check, dry_run=dry_run, subresource=sub,
                                    keep_status=sub != "status", given=True, result="stored")
        return ok(self._out(kind, updated))

    async def _watch(self, request, kind, namespace):
        q = request.query
        reqs = parse_selector(q.get("labelSelector")) if q.get("labelSelector") else None
        field_sel = q.get("fieldSelector")
        timeout = float(q.get("timeoutSeconds") or 1800)
        queue = asyncio.Queue()

        def wanted(obj):
            if reqs and not labels_match(obj["metadata"].get("labels"), reqs):
                return False
            return not field_sel or fields_match(obj, field_sel)

        def push(etype, obj):
            if wanted(obj):
                queue.put_nowait((etype, obj))

        rv_text = q.get("resourceVersion")
        initial = []
        if rv_text and rv_text != "0":
            rv = int(rv_text)
            if rv < self.store.oldest_rv() - 1 and rv < self.store.rv:
                return status_error(410, "Expired", "too old resource version: %s (%s)" % (rv, self.store.oldest_rv()))
            initial = [(t, o) for t, o in self.store.events_since(rv, kind.gk, namespace) if wanted(o)]
        else:
            initial = [("ADDED", o) for o in self.store.iter_raw(kind.gk, namespace) if wanted(o)]
        entry = (kind.gk, namespace, push)
        self.store.watchers.append(entry)
        resp = web.StreamResponse(headers={"Content-Type": JSON, "Transfer-Encoding": "chunked"})
        request["watch"] = True
        await resp.prepare(request)
        av = kind.group_version
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            for etype, obj in initial:
                await resp.write((dumps({"type": etype, "object": {**obj, "apiVersion": av}}) + "\n").encode())
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    etype, obj = await asyncio.wait_for(queue.get(), timeout=min(left, 30))
                except asyncio.TimeoutError:
                    continue
                await resp.write((dumps({"type": etype, "object": {**obj, "apiVersion": av}}) + "\n").encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            if entry in self.store.watchers:
                self.store.watchers.remove(entry)
        return resp

    def routes(self):
        return [
            web.get("/version", self.version), web.get("/version/", self.version),
            web.get("/api", self.api), web.get("/api/", self.api),
            web.get("/apis", self.apis), web.get("/apis/", self.apis),
            web.get("/api/v1", self.core_v1), web.get("/api/v1/", self.core_v1),
            web.get("/openapi/v2", self.openapi), web.get("/openapi/v3", self.openapi_v3),
            web.get("/openapi/v3/{gv:.+}", self.openapi_v3_gv),
            web.get("/apis/{group}", self.api_group), web.get("/apis/{group}/", self.api_group),
            web.get("/apis/{group}/{version}", self.group_version), web.get("/apis/{group}/{version}/",
                                                                               self.group_version),
            web.route("*", "/api/v1/{tail:.+}", self.handle),
            web.route("*", "/apis/{group}/{version}/{tail:.+}", self.handle),
        ]
