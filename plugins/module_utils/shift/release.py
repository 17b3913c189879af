# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Karmada's hold on member objects: make sure it lets go without deleting them, and let go.

Two rules of real Karmada drive this module:

* ``preserveResourcesOnDeletion`` protects a member object only once it is on the Work: the
  execution controller reads it from the Work being deleted (``handleWorkDelete`` in
  ``pkg/controllers/execution/execution_controller.go``), and the Work gets it from the binding
  (``ensureWork``, ``pkg/controllers/binding/common.go``), which gets it from the policy through
  the detector. A policy edit reaches the Works asynchronously, so the shift must wait until every
  binding and Work of the policy carries it before any step takes a cluster out of the schedule
  (``wait_preserved``).
* Deleting a policy only removes claims (``HandlePropagationPolicyDeletion``,
  ``pkg/detector/detector.go``): bindings and Works stay and Karmada keeps applying them. Only
  deleting the resource template deletes its binding (owner reference) and so its Works; a
  dependency's attached binding goes when no binding requires it any more
  (``pkg/dependenciesdistributor``). So releasing means deleting every template the policy
  claims and the dependency templates only its workloads require, with preservation on, then the
  policy (``plan_release`` / ``Releaser``).
"""

from __future__ import annotations

from ..common.errors import CceMigrationError
from ..common.waiter import wait_until
from ..karmada import dependencies, names
from . import hpa
from ..k8s.rest import path_for as object_path
from . import identity

PP_NAME = "propagationpolicy.karmada.io/name"
PP_NAMESPACE = "propagationpolicy.karmada.io/namespace"
RB_NAME = "resourcebinding.karmada.io/name"
RB_NAMESPACE = "resourcebinding.karmada.io/namespace"
MANAGED_LABEL = "karmada.io/managed"
WORK_NAME = "work.karmada.io/name"
# kinds a promoted namespace holds (what karmada_promote promotes and its dependencies)
RELEASE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "ConfigMap", "Secret",
                 "ServiceAccount", "PersistentVolumeClaim", "Ingress", "HorizontalPodAutoscaler",
                 "PodDisruptionBudget")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def managed(obj):
    meta = (obj or {}).get("metadata") or {}
    return MANAGED_LABEL in (meta.get("labels") or {}) or WORK_NAME in (meta.get("annotations") or {})


def claimed_by(template, policy):
    ann = (template.get("metadata") or {}).get("annotations") or {}
    meta = policy["metadata"]
    return ann.get(PP_NAME) == meta["name"] and ann.get(PP_NAMESPACE) == meta["namespace"]


def unclaimed(template):
    ann = (template.get("metadata") or {}).get("annotations") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    return not ann.get(PP_NAME) and not any(k.endswith("propagationpolicy.karmada.io/permanent-id")
                                            for k in labels)


def selector_kinds(policy):
    kinds = set()
    for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
        if sel.get("kind") in RELEASE_KINDS:
            kinds.add(sel["kind"])
    return kinds


def plan_release(policy, templates):
    """Pure: the templates to delete for ``policy``.

    ``templates``: {(kind, name): template} of the policy's namespace. Returns sorted
    (kind, name) pairs: every template the policy claims, and the dependencies of its workloads
    that no policy claims (they follow the workloads through attached bindings, ``RequiredBy``)."""
    own = set(key for key, tpl in templates.items() if claimed_by(tpl, policy))
    out = set(own)
    for kind, name in own:
        if kind not in WORKLOADS:
            continue
        for dep in dependencies.dependencies(templates[(kind, name)]):
            tpl = templates.get(dep)
            if tpl is not None and unclaimed(tpl):
                out.add(dep)
    return sorted(out)


class Releaser(object):
    """Reads and writes for preservation and release, on the shift's REST clients."""

    def __init__(self, karmada, members, names_, wait_timeout=600, wait_sleep=2, check_mode=False):
        self.karmada = karmada
        self.members = members          # {"source": Rest, "target": Rest}
        self.names = names_             # {"source": member name, "target": member name}
        self.wait_timeout = wait_timeout
        self.wait_sleep = wait_sleep
        self.check_mode = check_mode

    # -- reading ------------------------------------------------------------------
    def templates(self, ns, kinds):
        out = {}
        for kind in sorted(kinds):
            for tpl in self.karmada.list(object_path(kind, ns)):
                tpl = dict(tpl, kind=tpl.get("kind") or kind)
                out[(kind, tpl["metadata"]["name"])] = tpl
        return out

    def release_plan(self, group):
        policy = group["policy"]
        ns = policy["metadata"]["namespace"]
        kinds = selector_kinds(policy) | set(("ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"))
        templates = self.templates(ns, kinds)
        return [(kind, ns, name) for kind, name in plan_release(policy, templates)], templates

    def not_preserved(self, ns, keys, lists=None):
        """Bindings and Works of ``keys`` ((kind, name) in ``ns``) without preservation (or missing).

        ``lists``: a dict shared by the calls of one poll, so the bindings of a namespace and the
        Works of the two execution namespaces are listed once per poll, not once per policy."""
        lists = {} if lists is None else lists
        if ("bindings", ns) not in lists:
            lists[("bindings", ns)] = dict((b["metadata"]["name"], b)
                                           for b in self.karmada.list(object_path("ResourceBinding", ns)))
        if "works" not in lists:
            by_binding = {}
            for side in ("source", "target"):
                for work in self.karmada.list(object_path("Work", names.execution_namespace(self.names[side]))):
                    ann = work["metadata"].get("annotations") or {}
                    if ann.get(RB_NAMESPACE) and ann.get(RB_NAME):
                        by_binding.setdefault((ann[RB_NAMESPACE], ann[RB_NAME]), []).append(work)
            lists["works"] = by_binding
        bindings = lists[("bindings", ns)]
        bad = []
        for kind, name in keys:
            bname = names.binding_name(kind, name)
            binding = bindings.get(bname)
            if binding is None:
                continue    # nothing propagated (yet): nothing Karmada could delete
            if (binding.get("spec") or {}).get("preserveResourcesOnDeletion") is not True:
                bad.append("binding %s/%s" % (ns, bname))
                continue
            for work in lists["works"].get((ns, bname), []):
                if (work.get("spec") or {}).get("preserveResourcesOnDeletion") is not True:
                    bad.append("work %s/%s" % (work["metadata"]["namespace"], work["metadata"]["name"]))
        return bad

    # -- preservation (issue: hand-made policies) -----------------------------------
    def ensure_preserved(self, groups, keys_of):
        """Set ``preserveResourcesOnDeletion`` on the policies without it and wait until every
        binding and Work of ``keys_of(group)`` carries it. Returns the policy keys patched."""
        patched = []
        for g in groups:
            spec = g["policy"].get("spec") or {}
            if spec.get("preserveResourcesOnDeletion") is True:
                continue
            patched.append(g["key"])
            if not self.check_mode:
                meta = g["policy"]["metadata"]
                g["policy"] = self.karmada.merge_patch(
                    object_path("PropagationPolicy", meta["namespace"], meta["name"]),
                    {"spec": {"preserveResourcesOnDeletion": True}})
        if self.check_mode:
            return patched

        def check():
            bad = []
            lists = {}  # one LIST of bindings per namespace and of Works per member per poll
            for g in groups:
                bad.extend(self.not_preserved(g["policy"]["metadata"]["namespace"], keys_of(g), lists))
            return not bad, "without preserveResourcesOnDeletion: %s" % ", ".join(bad[:5])
        wait_until(check, self.wait_timeout, "Karmada to apply preserveResourcesOnDeletion to every binding and Work",
                   sleep=self.wait_sleep)
        return patched

    # -- release ----------------------------------------------------------------------
    def member_objects(self, side, keys):
        out = {}
        groups = {}
        for kind, ns, name in keys:
            groups.setdefault((kind, ns), set()).add(name)
        for (kind, ns), wanted in sorted(groups.items()):
            for obj in hpa.member_list(self.members[side], kind, ns):
                if obj["metadata"]["name"] in wanted:
                    out[(kind, ns, obj["metadata"]["name"])] = obj
        return out

    def release(self, groups):
        """Delete what each policy holds (templates, then the policy); wait until no member object
        is managed by Karmada; fail if a source object was deleted or recreated."""
        plans = []
        for g in groups:
            keys, dummy = self.release_plan(g)
            plans.append((g, keys))
        released = []
        for g, keys in plans:
            released.extend("%s/%s/%s (template)" % k for k in keys)
            released.append("PropagationPolicy/%s" % g["key"])
        if self.check_mode:
            return (released + hpa.delete_overrides(self.karmada, [g for g, dummy in plans], check_mode=True)
                    + self.delete_identity_overrides(plans))
        self.ensure_preserved([g for g, dummy in plans],
                              lambda g: [(k[0], k[2]) for gg, keys in plans if gg is g for k in keys])
        all_keys = [k for dummy, keys in plans for k in keys]
        uids = dict((k, o["metadata"]["uid"]) for k, o in self.member_objects("source", all_keys).items())
        for _group, keys in plans:
            for kind, ns, name in keys:
                self.karmada.delete(object_path(kind, ns, name), missing_ok=True)

        def let_go():
            held = []
            for side in ("source", "target"):
                objs = self.member_objects(side, all_keys)
                for key, obj in objs.items():
                    if managed(obj):
                        held.append("%s %s/%s on %s" % (key + (side,)))
                if side == "source":
                    for key, uid in uids.items():
                        obj = objs.get(key)
                        if obj is None or obj["metadata"]["uid"] != uid:
                            raise CceMigrationError("source object %s %s/%s was deleted or recreated during the "
                                                    "release" % key, released=released)
            return not held, "still managed by Karmada: %s" % ", ".join(held[:5])
        wait_until(let_go, self.wait_timeout, "Karmada to let go of the released objects", sleep=self.wait_sleep)
        # the HPA templates went with their policy's templates; the bounds overrides made for them go too
        released.extend(hpa.delete_overrides(self.karmada, [g for g, dummy in plans]))
        # the StatefulSet identity overrides the shift made (identity.py) go with their templates,
        # before the policies: a release stopped in between finds its policies again on the re-run
        released.extend(self.delete_identity_overrides(plans))
        for g, _keys in plans:
            meta = g["policy"]["metadata"]
            self.karmada.delete(object_path("PropagationPolicy", meta["namespace"], meta["name"]), missing_ok=True)
        return released

    def delete_identity_overrides(self, plans, namespaces=()):
        """Delete (in check mode: only list) the identity overrides of ``identity_overrides``;
        returns them as ``OverridePolicy/<namespace>/<name>``."""
        found = self.identity_overrides(plans, namespaces)
        if not self.check_mode:
            for ns, name in found:
                path = object_path("OverridePolicy", ns, name)
                stored = self.karmada.get(path, missing_ok=True) or {}
                finalizers = (stored.get("metadata") or {}).get("finalizers") or []
                if identity.FINALIZER in finalizers:    # the shift's hold on it (pins.py)
                    self.karmada.merge_patch(path, {"metadata": {
                        "resourceVersion": stored["metadata"].get("resourceVersion"),
                        "finalizers": [f for f in finalizers if f != identity.FINALIZER] or None}})
                self.karmada.delete(path, missing_ok=True)
        return ["OverridePolicy/%s/%s" % k for k in found]

    def identity_overrides(self, plans, namespaces=()):
        """(namespace, name) of the identity overrides to delete with the policies of ``plans``: those
        of the StatefulSets released now, and those whose StatefulSet template is already gone from
        Karmada (a release re-run after its templates were deleted), in the policies' namespaces and
        ``namespaces``. Overrides of StatefulSets whose template is still there stay."""
        sets = dict((ns, set()) for ns in namespaces)
        for g, keys in plans:
            sets.setdefault(g["policy"]["metadata"]["namespace"], set())
            for kind, ns, name in keys:
                if kind == "StatefulSet":
                    sets.setdefault(ns, set()).add(name)
        out = []
        for ns in sorted(sets):
            templates = None
            for item in self.karmada.list(object_path("OverridePolicy", ns), identity.LABEL):
                owner = (item["metadata"].get("labels") or {}).get(identity.LABEL)
                if owner not in sets[ns]:
                    if templates is None:
                        templates = set(o["metadata"]["name"] for o in self.karmada.list(
                            object_path("StatefulSet", ns)))
                    if owner in templates:
                        continue
                out.append((ns, item["metadata"]["name"]))
        return out


def missing_dependencies(karmada, target, groups):
    """Dependencies of the shifted workloads that would not exist on the target member.

    A dependency is fine when the target already has it, or when its template is in Karmada and
    Karmada will carry it there: claimed by a policy (propagated with it), or attached to the
    workload through ``propagateDeps`` (the dependencies distributor's ``RequiredBy``). Anything
    else leaves the target pods in ``CreateContainerConfigError``. Returns sorted messages."""
    cache = {}

    def listing(client, kind, ns):
        key = (id(client), kind, ns)
        if key not in cache:
            cache[key] = dict((o["metadata"]["name"], o) for o in client.list(object_path(kind, ns)))
        return cache[key]

    out = []
    for g in groups:
        propagate = bool((g["policy"].get("spec") or {}).get("propagateDeps"))
        for w in g["workloads"]:
            tpl = listing(karmada, w["kind"], w["namespace"]).get(w["name"])
            if tpl is None:
                continue
            tpl = dict(tpl, kind=tpl.get("kind") or w["kind"])
            for kind, name in dependencies.dependencies(tpl):
                if name in listing(target, kind, w["namespace"]):
                    continue
                dep_tpl = listing(karmada, kind, w["namespace"]).get(name)
                if dep_tpl is not None and (propagate or not unclaimed(dep_tpl)):
                    continue
                out.append("%s %s/%s needs %s %s, which is neither on the target nor in Karmada to be propagated"
                           % (w["kind"], w["namespace"], w["name"], kind, name))
    return sorted(set(out))
