"""In-memory object store of one simulated API server.

API (used by the HTTP handlers, the controllers and the other simulations; one code path):

- ``get(api_version, kind, namespace, name) -> dict | None``: a copy.
- ``list(api_version, kind, namespace=None, label_selector=None) -> list[dict]``: copies, sorted by
  namespace/name; ``label_selector`` is a selector string or a ``{key: value}`` dict.
- ``create(obj) -> dict``: assigns uid, resourceVersion, creationTimestamp, generation; handles
  ``generateName``; raises ``StoreError(409, "AlreadyExists")``.
- ``update(obj, check_rv=False) -> dict``: replaces the object (status kept unless ``keep_status=False``);
  bumps resourceVersion, and generation when ``spec`` changed; 409 on a stale resourceVersion
  when ``check_rv``.
- ``update_status(obj) -> dict``: replaces ``status`` only.
- ``mutators``, ``strategies``, ``validators`` (per (group, kind)): admission, the registry's
  PrepareForCreate/PrepareForUpdate and validation of what a client (or a controller) writes.
- ``delete(api_version, kind, namespace, name)``: with finalizers sets ``deletionTimestamp``, else
  removes the object and garbage-collects its dependents (ownerReferences), like the real GC. A
  Pod annotated ``lab.test/graceful: "true"`` is deleted gracefully, as a kubelet would: it stays,
  Terminating (``deletionTimestamp`` = now + ``terminationGracePeriodSeconds``, default 30), for its
  grace period, then goes (when the store has a ``later`` scheduler: the controllers set it).
- ``add_listener(callback)``: ``callback(event_type, obj)`` after every change (ADDED, MODIFIED,
  DELETED); runs synchronously in the event loop, so it must only enqueue work.
- ``ensure_namespace(name)``.

Objects kept here are never edited in place: every write stores a new dict (parts may be shared
with the previous version). Reads return copies, but for ``raw``/``iter_raw`` and a write's
``result="stored"``, which hand out the stored object itself, read-only; a write with
``given=True`` keeps the caller's object uncopied, and the caller must not touch it afterwards.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import random
import re
import string
import uuid


_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_RE = re.compile(r"^%s(\.%s)*$" % (_LABEL, _LABEL))
_LABEL_RE = re.compile(r"^%s$" % _LABEL)
_DNS1035_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
              "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def name_errors(gk, name):
    """The messages of the API server's name rule for ``gk`` (k8s.io/apimachinery/pkg/util/validation,
    as in 1.35): a Namespace's name is an RFC 1123 label (ValidateNamespaceName, IsDNS1123Label, with
    "must not contain dots" for a valid subdomain), a Service's an RFC 1035 label
    (ValidateServiceName, IsDNS1035Label), RBAC objects' a path segment (ValidatePathSegmentName), any
    other kind's, custom resources included, an RFC 1123 subdomain (NameIsDNSSubdomain). Length is
    checked first and apart from the pattern."""
    if gk[0] == "rbac.authorization.k8s.io":
        if name in (".", ".."):
            return ["may not be '%s'" % name]
        return ["may not contain '%s'" % c for c in ("/", "%") if c in name]
    errs = []
    if gk == ("", "Namespace"):
        if len(name) > 63:
            errs.append("must be no more than 63 characters")
        if not _LABEL_RE.match(name):
            errs.append("must not contain dots" if _SUBDOMAIN_RE.match(name) else _LABEL_MSG)
    elif gk == ("", "Service"):
        if len(name) > 63:
            errs.append("must be no more than 63 characters")
        if not _DNS1035_RE.match(name):
            errs.append(_DNS1035_MSG)
    else:
        if len(name) > 253:
            errs.append("must be no more than 253 characters")
        if not _SUBDOMAIN_RE.match(name):
            errs.append(_SUBDOMAIN_MSG)
    return errs


def invalid_name(gk, kind, name):
    """Raise the API server's 422 for a name its rule refuses (ValidateObjectMeta: one field error
    per message, several joined in brackets)."""
    errs = name_errors(gk, name)
    if not errs:
        return
    fields = ['metadata.name: Invalid value: "%s": %s' % (name, msg) for msg in errs]
    group = ".%s" % gk[0] if gk[0] else ""
    raise StoreError(422, "Invalid", '%s%s "%s" is invalid: %s' % (
        kind, group, name, fields[0] if len(fields) == 1 else "[%s]" % ", ".join(fields)),
        {"name": name, "group": gk[0], "kind": kind,
         "causes": [{"field": "metadata.name", "reason": "FieldValueInvalid",
                     "message": 'Invalid value: "%s": %s' % (name, msg)} for msg in errs]})


class StoreError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}


def now_iso(offset=0):
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


# A pod with this annotation is deleted gracefully, on both backends (the real lab's kwok has a
# stage for it): it stays Terminating for its terminationGracePeriodSeconds.
GRACEFUL = "lab.test/graceful"


def gk_of(api_version, kind):
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return (group, kind)


def secret_string_data(obj):
    """Secret ``stringData`` "is merged into the data field on write, overwriting any existing
    values. The stringData field is never output when reading from the API" (core/v1 types.go)."""
    import base64

    string_data = obj.pop("stringData", None)
    if string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


def clone(obj):
    """Deep copy of plain JSON data (dicts, lists, scalars): 2.5x faster than a json round trip,
    several times faster than copy.deepcopy."""
    kind = type(obj)
    if kind is dict:
        return {k: clone(v) for k, v in obj.items()}
    if kind is list:
        return [clone(v) for v in obj]
    return obj


def _result(stored, result):
    """What a write returns: a copy of the stored object (True), the stored object itself,
    read-only ("stored"), or None (False)."""
    if result == "stored":
        return stored
    return clone(stored) if result else None


_SEL_RE = re.compile(r"^\s*(!)?([A-Za-z0-9_./-]+)\s*(?:(==|!=|=|\s+in\s+|\s+notin\s+)\s*(.*?))?\s*$")


def parse_selector(text):
    """Label selector string -> list of (key, op, values)."""
    if not text:
        return []
    if isinstance(text, dict):
        return [(k, "=", [v]) for k, v in text.items()]
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    out = []
    for part in parts:
        m = _SEL_RE.match(part)
        if not m:
            raise StoreError(400, "BadRequest", "unable to parse requirement: %r" % part)
        neg, key, op, value = m.groups()
        if neg:
            out.append((key, "!", []))
        elif op is None:
            out.append((key, "exists", []))
        else:
            op = op.strip()
            if op in ("in", "notin"):
                values = [v.strip() for v in value.strip().strip("()").split(",") if v.strip()]
            else:
                values = [value.strip()]
                op = "!=" if op == "!=" else "="
            out.append((key, op, values))
    return out


def labels_match(labels, requirements):
    labels = labels or {}
    for key, op, values in requirements:
        present = key in labels
        if op == "=" and labels.get(key) != values[0]:
            return False
        if op == "!=" and present and labels.get(key) == values[0]:
            return False
        if op == "in" and labels.get(key) not in values:
            return False
        if op == "notin" and present and labels.get(key) in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
    return True


def match_label_selector(labels, selector):
    """Kubernetes LabelSelector object (matchLabels/matchExpressions) against labels."""
    if selector is None:
        return True
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def field_value(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def fields_match(obj, field_selector):
    if not field_selector:
        return True
    for part in field_selector.split(","):
        if "!=" in part:
            key, value = part.split("!=", 1)
            if ("%s" % (field_value(obj, key.strip()) or "")) == value.strip():
                return False
        else:
            key, value = re.split("==?", part, maxsplit=1)
            if ("%s" % (field_value(obj, key.strip()) or "")) != value.strip():
                return False
    return True


def no_new_finalizers(gk, new, old):
    """ValidateObjectMetaAccessorUpdate (k8s.io/apimachinery pkg/api/validation/objectmeta.go): "Finalizers
    cannot be added if the object is already being deleted" (ValidateNoNewFinalizers). The spec, and
    removing finalizers, stay open."""
    extra = sorted(set(new["metadata"].get("finalizers") or ()) - set(old["metadata"].get("finalizers") or ()))
    if not extra:
        return
    name = new["metadata"].get("name", "")
    message = "no new finalizers can be added if the object is being deleted, found new finalizers []string{%s}" \
        % ", ".join('"%s"' % f for f in extra)
    raise StoreError(422, "Invalid", '%s "%s" is invalid: metadata.finalizers: Forbidden: %s' % (
        "%s.%s" % (gk[1], gk[0]) if gk[0] else gk[1], name, message),
        {"name": name, "group": gk[0], "kind": gk[1],
         "causes": [{"reason": "FieldValueForbidden", "message": "Forbidden: " + message,
                     "field": "metadata.finalizers"}]})


class Store:
    HISTORY = 20000

    def __init__(self, name, registry, seed=42):
        self.name = name
        self.registry = registry
        self.objects = collections.defaultdict(dict)   # (group, kind) -> {(ns, name): obj}
        # indexes kept with every write, so that a namespace's objects and an owner's dependents
        # are found without scanning (and sorting) every object of the kind
        self._by_ns = collections.defaultdict(lambda: collections.defaultdict(set))   # gk -> ns -> names
        self._by_owner = collections.defaultdict(lambda: collections.defaultdict(set))  # gk -> uid -> keys
        self._rv = itertools.count(1000)
        self.rv = 1000
        self.history = collections.deque(maxlen=self.HISTORY)   # (rv, type, gk, obj)
        self.listeners = []
        self.watchers = []   # (gk, namespace, callback)
        self.rng = random.Random("%s-%s" % (seed, name))
        self.validators = {}  # (group, kind) -> callable(obj) raising StoreError
        # (group, kind) -> callable(obj, operation) editing obj in place: mutating admission
        # (Karmada's webhooks), run before validation like the apiserver's admission chain
        self.mutators = {}
        # (group, kind) -> callable(new, old): the registry strategy's PrepareForCreate (old None)
        # and PrepareForUpdate, editing new in place (fields dropped by a disabled feature gate);
        # run after mutating admission and before validation, as in the apiserver
        self.strategies = {}
        # later(seconds, callback): runs callback in the event loop after a delay; set by the
        # controllers of a member cluster (graceful pod deletion needs it), None elsewhere
        self.later = None

    # -- helpers -------------------------------------------------------
    def _next_rv(self):
        self.rv = next(self._rv)
        return str(self.rv)

    def _emit(self, etype, gk, obj):
        self.history.append((int(obj["metadata"]["resourceVersion"]), etype, gk, obj))
        for cb in list(self.listeners):
            cb(etype, obj)
        ns = obj["metadata"].get("namespace")
        for wgk, wns, cb in list(self.watchers):
            if wgk == gk and (wns is None or wns == ns):
                cb(etype, obj)

    def add_listener(self, cb):
        self.listeners.append(cb)

    def kind_info(self, gk):
        return self.registry.preferred.get(gk)

    def random_suffix(self, n=5):
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def new_uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- reads -----------------------------------------------------------
    def raw(self, gk, namespace, name):
        return self.objects[gk].get((namespace or "", name))

    def get(self, api_version, kind, namespace, name):
        obj = self.raw(gk_of(api_version, kind), namespace, name)
        return clone(obj) if obj is not None else None

    def _index(self, gk, key, obj, add):
        names = self._by_ns[gk][key[0]]
        owners = [r.get("uid") for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid")]
        if add:
            names.add(key[1])
            for uid in owners:
                self._by_owner[gk][uid].add(key)
        else:
            names.discard(key[1])
            for uid in owners:
                self._by_owner[gk][uid].discard(key)

    def _put(self, gk, key, obj):
        old = self.objects[gk].get(key)
        if old is not None:
            self._index(gk, key, old, add=False)
        self.objects[gk][key] = obj
        self._index(gk, key, obj, add=True)

    def owned(self, gk, namespace, owner_uid, controller_only=True):
        """Objects of kind ``gk`` in ``namespace`` whose ownerReferences name ``owner_uid``."""
        items = self.objects.get(gk, {})
        for key in sorted(self._by_owner[gk].get(owner_uid, ())):
            obj = items.get(key)
            if obj is None or (namespace is not None and key[0] != namespace):
                continue
            if not controller_only or any(r.get("uid") == owner_uid and r.get("controller")
                                          for r in obj["metadata"].get("ownerReferences") or []):
                yield obj

    def iter_raw(self, gk, namespace=None, label_selector=None):
        reqs = parse_selector(label_selector) if label_selector else None
        items = self.objects.get(gk, {})
        if namespace is not None:
            keys = [(namespace, name) for name in sorted(self._by_ns[gk].get(namespace, ()))]
        else:
            keys = sorted(items)
        for key in keys:
            obj = items.get(key)
            if obj is None:
                continue
            if reqs and not labels_match(obj["metadata"].get("labels"), reqs):
                continue
            yield obj

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return [clone(o) for o in self.iter_raw(gk_of(api_version, kind), namespace, label_selector)]

    # -- writes ----------------------------------------------------------
    def _check_namespace(self, gk, obj):
        info = self.kind_info(gk)
        ns = obj["metadata"].get("namespace")
        if info is not None and not info.namespaced:
            obj["metadata"].pop("namespace", None)
            return
        if not ns:
            raise StoreError(400, "BadRequest", "the namespace of the object must be set")
        nso = self.raw(("", "Namespace"), "", ns)
        if nso is None:
            raise StoreError(404, "NotFound", 'namespaces "%s" not found' % ns,
                             {"name": ns, "kind": "namespaces"})
        if nso["metadata"].get("deletionTimestamp"):
            raise StoreError(403, "Forbidden", "unable to create new content in namespace %s because it is being "
                             "terminated" % ns)

    def create(self, obj, dry_run=False, result=True, given=False):
        # given=True: the caller hands ``obj`` over (a request body just parsed, a dict a
        # controller built for this write) and never touches it again, so it is stored uncopied.
        # result="stored" returns the stored object itself, read-only (the API server serializes
        # it at once); True a copy; False nothing.
        if not given:
            obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        gk = gk_of(obj.get("apiVersion", ""), obj.get("kind", ""))
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + self.random_suffix()
            else:
                raise StoreError(422, "Invalid", "%s.%s is invalid: metadata.name: Required value: name or "
                                 "generateName is required" % (obj.get("kind"), gk[0]),
                                 {"causes": [{"field": "metadata.name", "reason": "FieldValueRequired"}]})
        invalid_name(gk, obj.get("kind") or gk[1], meta["name"])
        self._check_namespace(gk, obj)
        key = (meta.get("namespace") or "", meta["name"])
        if key in self.objects[gk]:
            info = self.kind_info(gk)
            raise StoreError(409, "AlreadyExists", '%s "%s" already exists' % (
                info.plural if info else obj["kind"].lower(), meta["name"]),
                {"name": meta["name"], "kind": info.plural if info else obj["kind"]})
        mutator = self.mutators.get(gk)
        if mutator:
            mutator(obj, "CREATE")
        strategy = self.strategies.get(gk)
        if strategy:
            strategy(obj, None)
        if gk == ("", "Secret"):
            secret_string_data(obj)
        validator = self.validators.get(gk)
        if validator:
            validator(obj)
        for drop in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "selfLink"):
            meta.pop(drop, None)
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = now_iso()
        if "spec" in obj or gk[1] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = str(self.rv)
            return obj
        meta["resourceVersion"] = self._next_rv()
        self._put(gk, key, obj)
        self._emit("ADDED", gk, obj)
        return _result(obj, result)   # result=False: see update

    def update(self, obj, check_rv=False, keep_status=True, dry_run=False, subresource=None, result=True,
               given=False):
        # Stored objects are never edited in place (every write stores a new dict), so parts of
        # the old object may be shared with the new one; what comes from the caller is copied
        # unless the caller hands it over (given=True, see create).
        # result=False (the in-process controllers, which never read it back) returns None instead
        # of a copy of the stored object: those copies were a third of the lab's CPU time.
        if subresource == "status":
            obj = dict(obj, metadata=dict(obj.get("metadata") or {}),
                       status=obj.get("status") if given else clone(obj.get("status")))
        elif not given:
            obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        gk = gk_of(obj.get("apiVersion", ""), obj.get("kind", ""))
        key = (meta.get("namespace") or "", meta.get("name"))
        info = self.kind_info(gk)
        if info is not None and not info.namespaced:
            key = ("", meta.get("name"))
            meta.pop("namespace", None)
        old = self.objects[gk].get(key)
        if old is None:
            raise StoreError(404, "NotFound", '%s "%s" not found' % (info.plural if info else gk[1], meta.get("name")),
                             {"name": meta.get("name"), "kind": info.plural if info else gk[1]})
        if check_rv and meta.get("resourceVersion") and meta["resourceVersion"] != old["metadata"]["resourceVersion"]:
            raise StoreError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                             'modified; please apply your changes to the latest version and try again'
                             % (info.plural if info else gk[1], meta.get("name")),
                             {"name": meta.get("name"), "kind": info.plural if info else gk[1]})
        if subresource == "status":
            new = dict(old, metadata=dict(old["metadata"]))
            new["status"] = obj.get("status")
            if new["status"] is None:
                new.pop("status")
        else:
            new = obj
            has_status_sub = info is not None and "status" in info.subresources
            if keep_status and has_status_sub:
                if "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
            for keep in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
                if keep in old["metadata"]:
                    new["metadata"][keep] = old["metadata"][keep]
                else:
                    new["metadata"].pop(keep, None)
            if subresource is None:
                mutator = self.mutators.get(gk)
                if mutator:
                    mutator(new, "UPDATE")
                strategy = self.strategies.get(gk)
                if strategy:
                    strategy(new, old)
                if gk == ("", "Secret"):
                    secret_string_data(new)
                validator = self.validators.get(gk)
                if validator:
                    validator(new)
                if old["metadata"].get("deletionTimestamp"):
                    no_new_finalizers(gk, new, old)
            if old.get("spec") != new.get("spec") and "generation" in old["metadata"]:
                new["metadata"]["generation"] = old["metadata"]["generation"] + 1
            elif "generation" not in old["metadata"] and old.get("spec") != new.get("spec"):
                new["metadata"]["generation"] = 1
        if {**new, "metadata": {**new["metadata"], "resourceVersion": old["metadata"]["resourceVersion"]}} == old:
            # no-op update: nothing changes, resourceVersion kept (like the apiserver)
            return _result(old, result)
        if dry_run:
            return new
        new["metadata"]["resourceVersion"] = self._next_rv()
        self._put(gk, key, new)
        self._emit("MODIFIED", gk, new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self._remove(gk, key)
        return _result(new, result)

    def update_status(self, obj, result=True, given=False):
        return self.update(obj, subresource="status", result=result, given=given)

    def delete(self, api_version, kind, namespace, name, dry_run=False, propagation="Background"):
        gk = gk_of(api_version, kind)
        info = self.kind_info(gk)
        key = ("" if info is not None and not info.namespaced else (namespace or ""), name)
        old = self.objects[gk].get(key)
        if old is None:
            raise StoreError(404, "NotFound", '%s "%s" not found' % (info.plural if info else kind.lower(), name),
                             {"name": name, "kind": info.plural if info else kind})
        if dry_run:
            return clone(old)
        if gk == ("", "Pod") and (old["metadata"].get("annotations") or {}).get(GRACEFUL) == "true" \
                and self.later is not None:
            return self._delete_gracefully(gk, key, old)
        if old["metadata"].get("finalizers"):
            if not old["metadata"].get("deletionTimestamp"):
                new = clone(old)
                new["metadata"]["deletionTimestamp"] = now_iso()
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._put(gk, key, new)
                self._emit("MODIFIED", gk, new)
                return clone(new)
            return clone(old)
        if propagation == "Orphan":
            return self._remove(gk, key, collect=False)
        return self._remove(gk, key)

    def _delete_gracefully(self, gk, key, old):
        """The API server's graceful deletion of a pod bound to a node: ``deletionTimestamp`` set to
        now + the grace period and ``deletionGracePeriodSeconds``; the kubelet deletes it once its
        containers stopped (here: when the grace period is over). A second delete changes nothing."""
        if old["metadata"].get("deletionTimestamp"):
            return clone(old)
        grace = (old.get("spec") or {}).get("terminationGracePeriodSeconds")
        grace = 30 if grace is None else int(grace)
        new = clone(old)
        new["metadata"]["deletionTimestamp"] = now_iso(grace)
        new["metadata"]["deletionGracePeriodSeconds"] = grace
        new["metadata"]["resourceVersion"] = self._next_rv()
        self._put(gk, key, new)
        self._emit("MODIFIED", gk, new)
        uid = new["metadata"]["uid"]

        def expire():
            current = self.objects[gk].get(key)
            if current is not None and current["metadata"]["uid"] == uid and not current["metadata"].get("finalizers"):
                self._remove(gk, key)
        self.later(grace, expire)
        return clone(new)

    def _remove(self, gk, key, collect=True):
        old = self.objects[gk].pop(key, None)
        if old is None:
            return None
        self._index(gk, key, old, add=False)
        gone = clone(old)
        gone["metadata"]["resourceVersion"] = self._next_rv()
        self._emit("DELETED", gk, gone)
        if collect:
            self._collect(old)
        return gone

    def _collect(self, owner):
        """Garbage collector: delete dependents of ``owner`` (and a namespace's content)."""
        uid = owner["metadata"]["uid"]
        if owner.get("kind") == "Namespace":
            ns = owner["metadata"]["name"]
            for gk, items in list(self.objects.items()):
                for key in [k for k in items if k[0] == ns]:
                    self._remove(gk, key)
            return
        ns = owner["metadata"].get("namespace") or ""
        for gk in list(self._by_owner):
            for key in sorted(self._by_owner[gk].get(uid, ())):
                if ns and key[0] != ns:
                    continue
                self._remove(gk, key)

    def ensure_namespace(self, name):
        if self.raw(("", "Namespace"), "", name) is None:
            self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})

    def events_since(self, rv, gk, namespace):
        for erv, etype, egk, obj in list(self.history):
            if erv > rv and egk == gk and (namespace is None or obj["metadata"].get("namespace") == namespace):
                yield etype, obj

    def oldest_rv(self):
        return self.history[0][0] if self.history else self.rv

    def count(self):
        return sum(len(v) for v in self.objects.values())


def simple_name(text):
    return re.sub(r"[^a-z0-9-]", "-", text.lower())


LETTERS = string.ascii_lowercase
