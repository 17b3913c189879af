# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Promote running member workloads into Karmada without restarting them.

Follows ``pkg/karmadactl/promote/promote.go``: read the object from the member, turn it into a
resource template (``prune.to_template``), create it in the control plane, then a
PropagationPolicy (namespaced object) or ClusterPropagationPolicy (cluster-scoped object) pinned
to the member with ``conflictResolution: Overwrite`` and ``preserveResourcesOnDeletion: true``;
with dependencies, the ConfigMaps/Secrets/ServiceAccounts/PVCs the pod template references are
promoted first and ``propagateDeps`` is set; when a dependency fails, the dependencies promoted in
that call are reverted (``revertPromotedDeps``).

Unlike karmadactl, one call handles many objects (bounded worker pool, results in input order),
an existing equal template is ``unchanged`` (karmadactl only warns), a different one is a
``conflict`` unless ``force``, and a policy of the same name (karmadactl's) is reused.

``plan_object`` is pure (what must change); ``Promoter`` reads and writes.
"""

from __future__ import annotations

import copy
import itertools
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait as wait_futures

from ..common.errors import ApiError, CceMigrationError, ConflictError, NotFoundError, ValidationError
from ..k8s import selectors as label_selectors
from ..k8s.rest import KINDS, api_version_of, path_for
from . import dependencies, hpa as hpa_mod, names, policy as pol, prune, schemas as schema

CLAIM_LABELS = ("propagationpolicy.karmada.io/permanent-id", "clusterpropagationpolicy.karmada.io/permanent-id")
CLAIM_ANNOTATIONS = ("propagationpolicy.karmada.io/name", "propagationpolicy.karmada.io/namespace",
                     "clusterpropagationpolicy.karmada.io/name")
CLUSTER_SCOPED = set(k for k, v in KINDS.items() if not v[2])
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
MANAGED_ANNOTATION = "work.karmada.io/name"


def comparable_template(obj):
    """A Karmada template without what Karmada itself adds (claims) and server-set fields."""
    tpl = prune.unbind_claim(prune.prune(obj))
    meta = tpl.get("metadata") or {}
    # the retain-replicas label is Karmada's switch (set for an HPA), not part of the workload
    for key in CLAIM_LABELS + (hpa_mod.RETAIN_LABEL,):
        (meta.get("labels") or {}).pop(key, None)
    for key in CLAIM_ANNOTATIONS:
        (meta.get("annotations") or {}).pop(key, None)
    for field in ("labels", "annotations"):
        if field in meta and not meta[field]:
            meta.pop(field)
    tpl.pop("apiVersion", None)
    # Replicas are Karmada's to divide once a workload is promoted: a member runs its share (or
    # none, after a cutover), so the count is not part of "is this the same workload".
    if tpl.get("kind") in WORKLOAD_KINDS and isinstance(tpl.get("spec"), dict):
        tpl["spec"].pop("replicas", None)
    return tpl


def plan_object(member_obj, existing_template, force=False):
    """-> (outcome, template): ``promoted`` (create), ``unchanged``, ``conflict`` or ``updated``
    (existing template differs and ``force``)."""
    template = prune.to_template(member_obj)
    if existing_template is None:
        return "promoted", template
    if comparable_template(existing_template) == comparable_template(template):
        return "unchanged", template
    return ("updated" if force else "conflict"), template


def binding_replicas(binding):
    """``spec.replicas`` of a binding (None for objects without replicas)."""
    return (binding.get("spec") or {}).get("replicas")


def binding_observed(binding):
    """The scheduler has seen the binding's current spec (schedulerObservedGeneration)."""
    status = binding.get("status") or {}
    observed = status.get("schedulerObservedGeneration")
    generation = (binding.get("metadata") or {}).get("generation")
    return observed is None or generation is None or int(observed) >= int(generation)


def works_fully_applied(binding):
    """Karmada's own test for the FullyApplied condition, on the binding as it is now:
    ``worksFullyApplied`` over ``ObtainBindingSpecExistingClusters`` (pkg/util/helper/workstatus.go,
    pkg/util/helper/binding.go): the clusters of ``spec.clusters``, of every ``spec.requiredBy`` and
    of the graceful eviction tasks not purged at once each have one ``aggregatedStatus`` item,
    applied. The condition itself is only recomputed when the binding status controller runs
    again, and under load a binding was seen with every Work applied and the condition False for
    minutes (real Karmada 1.18, 3,288 objects on 2 cores)."""
    spec = binding.get("spec") or {}
    clusters = set(c.get("name") for c in spec.get("clusters") or [])
    for required in spec.get("requiredBy") or []:
        clusters.update(c.get("name") for c in required.get("clusters") or [])
    for task in spec.get("gracefulEvictionTasks") or []:
        if task.get("purgeMode") not in ("Immediately", "Directly"):
            clusters.add(task.get("fromCluster"))
    items = (binding.get("status") or {}).get("aggregatedStatus") or []
    return (bool(clusters) and len(items) == len(clusters)
            and all(i.get("applied") and i.get("clusterName") in clusters for i in items))


def ref_key(ref):
    return "%s/%s/%s" % (ref["kind"], ref.get("namespace") or "", ref["name"])


class PriorityPool(object):
    """``workers`` threads that take the most urgent task first (the lowest ``priority``), in the
    order of submission within one priority. ``submit`` returns a ``concurrent.futures.Future``."""

    def __init__(self, workers):
        self._queue = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [threading.Thread(target=self._work, daemon=True) for dummy in range(max(1, workers))]
        for thread in self._threads:
            thread.start()

    def submit(self, priority, func, *args):
        future = Future()
        self._queue.put((priority, next(self._order), future, func, args))
        return future

    def _work(self):
        while True:
            dummy, dummy2, future, func, args = self._queue.get()
            if future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # pylint: disable=broad-except
                future.set_exception(exc)

    def close(self):
        """Cancel the tasks not started, let the running ones finish, stop the threads."""
        pending = []
        while True:
            try:
                pending.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in pending:
            if item[2] is not None:
                item[2].cancel()
        for _thread in self._threads:
            self._queue.put((float("inf"), next(self._order), None, None, None))
        for thread in self._threads:
            thread.join()


class Promoter(object):
    def __init__(self, karmada, member, cluster, check_mode=False, concurrency=16, force=False,
                 with_dependencies=False, mode="per_resource", policy_name=None, log=None):
        self.karmada = karmada
        self.member = member
        self.cluster = cluster
        self.check_mode = check_mode
        self.concurrency = max(1, int(concurrency))
        self.force = force
        self.with_deps = with_dependencies
        self.mode = mode
        self.policy_name = policy_name
        self.log = log or (lambda msg: None)
        self._lock = threading.Lock()
        self.batch_answers = []             # promote(batch=True): [(wanted policy, answer)]
        self._dep_claims = {}    # dependency key -> "pending" (promoted as a dependency) | "object"
        self.created_namespaces = []
        # namespaces absent from Karmada before this run: check mode cannot ask the server for a
        # dry run of objects in them (the namespace lifecycle admission refuses it)
        self.absent_namespaces = set()
        # read once before the writes, by existing_templates(): member objects the workloads
        # depend on, and (mode per_resource) the policies already in Karmada; None = not read
        self._member_deps = None
        self._policies = None
        # workload key -> HPAs (as autoscaling/v2) of the member scaling it, promoted with it
        self.hpas = {}
        self.warnings = []
        # check_batch_policies() validated the batch policies of every object before the writes
        self._batch_checked = False

    # -- reading (everything before any write) ---------------------------------
    def check_member(self):
        obj = self.karmada.get(path_for("Cluster", name=self.cluster), missing_ok=True)
        if obj is None:
            known = sorted(c["metadata"]["name"] for c in self.karmada.iter_list(path_for("Cluster")))
            raise ValidationError("cluster: %r is not a member cluster of this Karmada control plane; members: %s. "
                                  "Use the member name from the federation stage." % (self.cluster,
                                                                                      ", ".join(known) or "none"))
        return obj

    def _lists(self, rest, paths, **kwargs):
        """The items of each list path, read ``concurrency`` lists at a time, in the order of ``paths``.

        The reads of a promotion (objects, templates, dependencies, bindings, pods) are one list
        per namespace and kind; read one after the other they were a third of a 1,000-Deployment
        promotion at 20 ms per request (profiled with cProfile, docs/benchmarks.md)."""
        paths = list(paths)
        if len(paths) < 2 or self.concurrency < 2:
            return [list(rest.iter_list(path, **kwargs)) for path in paths]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(paths))) as pool:
            return list(pool.map(lambda path: list(rest.iter_list(path, **kwargs)), paths))

    def resolve(self, refs, namespaces, label_selector, kinds):
        """Member objects to promote, in a stable order; missing ones fail before any write."""
        out = []
        seen = set()
        missing = []
        for ref in refs or []:
            kind = ref["kind"]
            if kind not in KINDS:
                raise ValidationError("resources: kind %r is not supported; use one of %s"
                                      % (kind, ", ".join(sorted(KINDS))))
            if kind not in CLUSTER_SCOPED and not ref.get("namespace"):
                raise ValidationError("resources: %s %s needs a namespace" % (kind, ref["name"]))
            obj = self.member.get(path_for(kind, ref.get("namespace"), ref["name"], ref.get("api_version")),
                                  missing_ok=True)
            if obj is None:
                missing.append(ref_key(ref))
                continue
            obj.setdefault("apiVersion", ref.get("api_version") or api_version_of(kind))
            obj.setdefault("kind", kind)
            if ref_key(ref) not in seen:
                seen.add(ref_key(ref))
                out.append(obj)
        if missing:
            raise ValidationError("resources: not found in member cluster %s: %s"
                                  % (self.cluster, ", ".join(missing)))
        for ns in namespaces or []:
            if self.member.get(path_for("Namespace", name=ns), missing_ok=True) is None:
                raise ValidationError("namespaces: namespace %r does not exist in member cluster %s"
                                      % (ns, self.cluster))
        groups = [(ns, kind) for ns in namespaces or [] for kind in kinds]
        listed = self._lists(self.member, [path_for(kind, ns) for ns, kind in groups], label_selector=label_selector)
        for (ns, kind), items in zip(groups, listed):
            for obj in items:
                obj.setdefault("apiVersion", api_version_of(kind))
                obj.setdefault("kind", kind)
                key = "%s/%s/%s" % (kind, ns, obj["metadata"]["name"])
                if key in seen or self._skip(obj):
                    continue
                seen.add(key)
                out.append(obj)
        return out

    @staticmethod
    def _skip(obj):
        """Objects the cluster makes itself are not promoted (default ServiceAccount, its tokens,
        the root CA ConfigMap, kubernetes Service)."""
        name = obj["metadata"]["name"]
        kind = obj.get("kind")
        if kind == "ServiceAccount" and name == "default":
            return True
        if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
            return True
        if kind == "ConfigMap" and name in ("kube-root-ca.crt",):
            return True
        return bool(obj["metadata"].get("ownerReferences"))

    def existing_templates(self, objects):
        """{key: template} for what already exists in Karmada, the objects' dependencies included.

        Everything is read with one paged list per namespace and kind (never one GET per object),
        keeping only the names needed: the objects' templates, their dependencies in the member
        and in Karmada, and in mode per_resource the policies. Thousands of objects then cost a
        few dozen reads instead of several requests each."""
        needed = {}                               # (kind, ns) -> names wanted, or None for all
        dep_names = {}                            # (kind, ns) -> names the workloads depend on
        self.attach_hpas(objects)
        for key in self.hpas:
            needed[(hpa_mod.KIND, key.split("/")[1])] = None
        for o in objects:
            ns = o["metadata"].get("namespace") or ""
            needed[(o["kind"], ns)] = None
            if self.with_deps and o["kind"] in WORKLOAD_KINDS:
                for kind, name in dependencies.dependencies(o):
                    dep_names.setdefault((kind, ns), set()).add(name)
        for group, names_wanted in dep_names.items():
            needed.setdefault(group, names_wanted)   # a kind listed whole stays whole
        present_ns = {}

        def ns_exists(ns):
            if ns not in present_ns:
                present_ns[ns] = not ns or self.karmada.get(path_for("Namespace", name=ns), missing_ok=True) is not None
            return present_ns[ns]

        out = {}
        groups = [(group, names_wanted) for group, names_wanted in sorted(needed.items(), key=lambda kv: kv[0])
                  if ns_exists(group[1])]
        listed = self._lists(self.karmada, [path_for(kind, ns or None) for (kind, ns), dummy in groups])
        for ((kind, ns), names_wanted), items in zip(groups, listed):
            for obj in items:
                if names_wanted is None or obj["metadata"]["name"] in names_wanted:
                    out["%s/%s/%s" % (kind, ns, obj["metadata"]["name"])] = obj
        if dep_names:
            self._member_deps = {}
            dep_groups = sorted(dep_names.items())
            listed = self._lists(self.member, [path_for(kind, ns or None) for (kind, ns), dummy in dep_groups])
            for ((kind, ns), wanted_names), items in zip(dep_groups, listed):
                for obj in items:
                    if obj["metadata"]["name"] in wanted_names:
                        self._member_deps["%s/%s/%s" % (kind, ns, obj["metadata"]["name"])] = obj
        if self.mode == "per_resource":
            self._policies = {}
            scopes = set(("ClusterPropagationPolicy" if o["kind"] in CLUSTER_SCOPED else "PropagationPolicy",
                          o["metadata"].get("namespace") or "") for o in objects)
            for ptype, ns in sorted(scopes):
                if ptype == "PropagationPolicy" and not ns_exists(ns):
                    continue
                for obj in self.karmada.iter_list(path_for(ptype, ns or None)):
                    self._policies["%s/%s/%s" % (ptype, ns, obj["metadata"]["name"])] = obj
        return out

    def attach_hpas(self, objects):
        """Read the member's HPAs scaling the workloads (one list per namespace) and mark the
        Deployments they scale with Karmada's retain-replicas label (see karmada/hpa.py)."""
        self.hpas = hpa_mod.companions(self.member, objects, self._lists_hpas)
        for obj in objects:
            key = "%s/%s/%s" % (obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"])
            if key in self.hpas and not hpa_mod.mark_retained(obj):
                self.warnings.append(
                    "%s is scaled by HPA %s: Karmada retains replicas on members for Deployments only "
                    "(retain.go), so during a shift Karmada's division and the HPA both set its replicas"
                    % (key, ", ".join(h["metadata"]["name"] for h in self.hpas[key])))

    def _lists_hpas(self, spaces):
        if len(spaces) < 2 or self.concurrency < 2:
            return [hpa_mod.list_hpas(self.member, ns) for ns in spaces]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(spaces))) as pool:
            return list(pool.map(lambda ns: hpa_mod.list_hpas(self.member, ns), spaces))

    @staticmethod
    def hpa_skip(results):
        """(namespace, name) of the HPAs whose template conflicts or failed: they stay out of the
        policies, like a conflicting workload. Built once per policy build, not once per object (a
        scan of every result per object was quadratic: 3,288 objects took 2 s of CPU)."""
        return set((h["namespace"], h["name"]) for r in results or [] for h in r.get("hpas") or []
                   if h["outcome"] not in ("promoted", "updated", "unchanged"))

    def hpa_selectors(self, obj, skip=frozenset()):
        """Selectors for the HPAs promoted with ``obj`` (same policy, so the same placement), but
        those in ``skip`` (see hpa_skip)."""
        if not self.hpas:
            return []
        key = "%s/%s/%s" % (obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"])
        return [pol.selector(hpa_mod.V2, hpa_mod.KIND, h["metadata"]["name"]) for h in self.hpas.get(key, [])
                if (h["metadata"].get("namespace"), h["metadata"]["name"]) not in skip]

    # -- policies ------------------------------------------------------------------
    def per_resource_policy(self, obj, propagate_deps, results=None):
        kind = obj["kind"]
        ns = obj["metadata"].get("namespace")
        name = names.policy_name(ns or "", obj["metadata"]["name"], obj["apiVersion"], kind)
        spec = pol.propagation_spec(
            [pol.selector(obj["apiVersion"], kind, obj["metadata"]["name"])]
            + self.hpa_selectors(obj, self.hpa_skip(results)),
            cluster_names=[self.cluster],
            conflict_resolution="Overwrite", preserve_resources_on_deletion=True,
            propagate_deps=bool(propagate_deps))
        ptype = "ClusterPropagationPolicy" if kind in CLUSTER_SCOPED else "PropagationPolicy"
        return schema.validate(pol.build(ptype, name, ns, spec), what="the policy for %s" % obj["metadata"]["name"])

    def check_batch_policies(self, objects):
        """Validate the batch policies of ``objects`` against Karmada's schema before any write;
        raises ValidationError naming the field. Call it after existing_templates(), which finds
        the HPAs promoted with the workloads (their selectors are in the policies). The policies
        written later select a subset of these objects and HPAs with the same settings, so
        promote() does not validate them again (a policy of 820 selectors took 0.1 s of CPU under
        the GIL, stalling every writer thread)."""
        self.batch_policies(objects)
        self._batch_checked = True

    def batch_policies(self, objects, results=None, validate=True):
        """mode=policy: one PropagationPolicy per namespace named ``policy_name`` whose
        resourceSelectors name every promoted object of that namespace (the guide's batch mode).

        With ``results`` only the objects whose outcome is promoted, updated or unchanged are
        selected: a conflict (a different template already in Karmada) or a failed object never
        enters a policy with ``conflictResolution: Overwrite``, which would make Karmada replace the
        running member object with the other template (pods replaced)."""
        if results is not None:
            keep = set((r["kind"], r["namespace"] or "", r["name"]) for r in results
                       if r["outcome"] in ("promoted", "updated", "unchanged"))
            objects = [o for o in objects if (o["kind"], o["metadata"].get("namespace") or "",
                                              o["metadata"]["name"]) in keep]
        by_ns = {}
        skip = self.hpa_skip(results)
        for obj in objects:
            ns = obj["metadata"].get("namespace")
            if not ns:
                continue
            by_ns.setdefault(ns, []).append(pol.selector(obj["apiVersion"], obj["kind"], obj["metadata"]["name"]))
            by_ns[ns].extend(self.hpa_selectors(obj, skip))
        out = []
        for ns, selectors in sorted(by_ns.items()):
            spec = pol.propagation_spec(sorted(selectors, key=lambda s: (s["kind"], s["name"])),
                                        cluster_names=[self.cluster], conflict_resolution="Overwrite",
                                        preserve_resources_on_deletion=True, propagate_deps=self.with_deps,
                                        priority=0, scheduler_name="default-scheduler")
            policy = pol.build("PropagationPolicy", self.policy_name, ns, spec)
            out.append(schema.validate(policy) if validate else policy)
        return out

    @staticmethod
    def keep_placement(existing, wanted):
        """An existing batch policy keeps its placement: after promotion the cutover stage owns it
        (clusters and weights), so re-running the promotion never moves replicas back. Only the
        selectors (extended, never narrowed) and the adoption settings are ensured."""
        merged = copy.deepcopy(wanted)
        spec = copy.deepcopy(existing.get("spec") or {})
        selectors = list(spec.get("resourceSelectors") or [])
        ns = wanted["metadata"].get("namespace")
        for sel in wanted["spec"]["resourceSelectors"]:
            # Karmada's webhook fills the policy's namespace into every selector without one
            # (pkg/webhook/propagationpolicy/mutating.go), so compare with that default applied:
            # the selector list must not grow on every re-run
            if not any(pol.same_selector(sel, have, ns) for have in selectors):
                selectors.append(sel)
        spec["resourceSelectors"] = selectors
        for key in ("conflictResolution", "preserveResourcesOnDeletion", "propagateDeps"):
            # a field the module does not set keeps the stored value: the real API server omits
            # false and empty fields (omitempty), so an explicit None would differ on every re-run
            if wanted["spec"].get(key) is not None:
                spec[key] = wanted["spec"][key]
        merged["spec"] = spec
        return merged

    def ensure_policy(self, wanted):
        """Create the policy, or reuse one of the same name (made earlier, e.g. by karmadactl)."""
        kind = wanted["kind"]
        ns = wanted["metadata"].get("namespace")
        path = path_for(kind, ns, wanted["metadata"]["name"])
        if self._policies is not None:     # read up front in mode per_resource
            existing = self._policies.get("%s/%s/%s" % (kind, ns or "", wanted["metadata"]["name"]))
        else:
            existing = self.karmada.get(path, missing_ok=True)
        if existing is not None and self.mode == "policy":
            wanted = self.keep_placement(existing, wanted)
        action, patch = pol.plan(existing, wanted)
        if action == "none":
            return "unchanged", existing, existing
        if action == "update" and self.mode == "per_resource" and not self.force:
            return "reused", existing, existing
        outcome = "created" if action == "create" else "updated"
        if self.check_mode and not self.dry_run_possible(ns):
            return outcome, wanted, existing
        # check mode: the same write with dryRun=All (validation, defaults, webhooks; nothing stored)
        if action == "create":
            return outcome, self.karmada.create(path_for(kind, ns), wanted, dry_run=self.check_mode), existing
        return outcome, self.karmada.merge_patch(path, patch, dry_run=self.check_mode), existing

    # -- writing -----------------------------------------------------------------------
    def ensure_namespace(self, ns):
        if not ns:
            return
        with self._lock:
            if ns in self.created_namespaces:
                return
            if self.karmada.get(path_for("Namespace", name=ns), missing_ok=True) is None:
                self.absent_namespaces.add(ns)
                if not self.check_mode:
                    try:
                        self.karmada.create(path_for("Namespace"), {"apiVersion": "v1", "kind": "Namespace",
                                                                    "metadata": {"name": ns}})
                    except ConflictError:
                        pass
            self.created_namespaces.append(ns)

    def dry_run_possible(self, ns):
        """Check mode writes go to the server with dryRun=All, except in a namespace not yet there."""
        return not (ns and ns in self.absent_namespaces)

    def write_template(self, outcome, template, existing):
        kind = template["kind"]
        ns = template["metadata"].get("namespace")
        if outcome in ("unchanged", "conflict") or (self.check_mode and not self.dry_run_possible(ns)):
            return
        dry = self.check_mode
        if outcome == "promoted":
            try:
                self.karmada.create(path_for(kind, ns, api_version=template["apiVersion"]), template, dry_run=dry)
            except ConflictError:
                current = self.karmada.get(path_for(kind, ns, template["metadata"]["name"]))
                if comparable_template(current) != comparable_template(template):
                    raise
        elif outcome == "updated":
            body = dict(template)
            body["metadata"] = dict(template["metadata"], resourceVersion=existing["metadata"]["resourceVersion"])
            self.karmada.replace(path_for(kind, ns, template["metadata"]["name"]), body, dry_run=dry)

    def member_dependency(self, kind, ns, name):
        """A dependency's member object (a copy), from the lists read up front when there are any,
        else read on its own; None when it does not exist."""
        if self._member_deps is not None:
            return copy.deepcopy(self._member_deps.get("%s/%s/%s" % (kind, ns, name)))
        return self.member.get(path_for(kind, ns, name), missing_ok=True)

    def dependency_conflicts(self, obj, existing_templates):
        """Dependencies whose template in Karmada differs from the member object (read only)."""
        if not self.with_deps or self.force or obj["kind"] not in WORKLOAD_KINDS:
            return []
        ns = obj["metadata"].get("namespace")
        out = []
        for kind, name in dependencies.dependencies(obj):
            key = "%s/%s/%s" % (kind, ns, name)
            existing = existing_templates.get(key)
            if existing is None:
                continue
            dep = self.member_dependency(kind, ns, name)
            if dep is None:
                continue
            dep.setdefault("apiVersion", api_version_of(kind))
            dep.setdefault("kind", kind)
            if plan_object(dep, existing)[0] == "conflict":
                out.append(key)
        return out

    def promote_dependencies(self, obj, existing_templates):
        """Templates of the workload's dependencies; reverts the ones made here when one fails."""
        ns = obj["metadata"].get("namespace")
        made = []
        results = []
        try:
            for kind, name in dependencies.dependencies(obj):
                key = "%s/%s/%s" % (kind, ns, name)
                with self._lock:
                    claimed = self._dep_claims.get(key)
                    if claimed is None:
                        self._dep_claims[key] = "pending"
                if claimed is not None:
                    results.append({"kind": kind, "namespace": ns, "name": name, "outcome": "shared"})
                    continue
                dep = self.member_dependency(kind, ns, name)
                if dep is None:
                    raise NotFoundError("dependency %s %s/%s of %s %s is missing in member cluster %s"
                                        % (kind, ns, name, obj["kind"], obj["metadata"]["name"], self.cluster))
                dep.setdefault("apiVersion", api_version_of(kind))
                dep.setdefault("kind", kind)
                outcome, template = plan_object(dep, existing_templates.get(key), self.force)
                if outcome == "conflict":
                    outcome = "unchanged"   # a dependency already in Karmada is left as it is
                self.write_template(outcome, template, existing_templates.get(key))
                if outcome == "promoted":
                    made.append((kind, ns, name))
                results.append({"kind": kind, "namespace": ns, "name": name, "outcome": outcome})
        except Exception:
            # revertPromotedDeps: delete the dependency templates this call created
            if not self.check_mode:
                for kind, dns, name in made:
                    self.karmada.delete(path_for(kind, dns, name))
            raise
        return results

    def promote_one(self, obj, existing_templates):
        kind = obj["kind"]
        ns = obj["metadata"].get("namespace")
        name = obj["metadata"]["name"]
        key = "%s/%s/%s" % (kind, ns or "", name)
        result = {"kind": kind, "api_version": obj["apiVersion"], "namespace": ns, "name": name}
        try:
            existing = existing_templates.get(key)
            outcome, template = plan_object(obj, existing, self.force)
            result["outcome"] = outcome
            result["template"] = template
            result["template_before"] = existing
            if outcome == "conflict":
                result["reason"] = ("a different template %s %s/%s already exists in Karmada; review it, then use "
                                    "force=true to replace it" % (kind, ns or "", name))
                return result
            dep_conflicts = self.dependency_conflicts(obj, existing_templates)
            if dep_conflicts:
                # propagateDeps would give the dependency's binding this workload's Overwrite
                # (buildAttachedBinding copies ConflictResolution, pkg/dependenciesdistributor/
                # dependencies_distributor.go) and Karmada would replace the member's object
                result["outcome"] = "conflict"
                result["reason"] = ("dependencies differ from the templates already in Karmada: %s; review them, "
                                    "then use force=true to replace them" % ", ".join(dep_conflicts))
                return result
            self.ensure_namespace(ns)
            deps = []
            if self.with_deps and kind in WORKLOAD_KINDS:
                deps = self.promote_dependencies(obj, existing_templates)
                result["dependencies"] = deps
            hpas = self.promote_hpas(obj, existing_templates)
            if hpas:
                result["hpas"] = hpas
            if outcome == "unchanged" and hpa_mod.retained(template) and not hpa_mod.retained(existing):
                # promoted before its HPA was handled: add only the label (never the member's replicas)
                outcome = result["outcome"] = "updated"
                if not self.check_mode or self.dry_run_possible(ns):
                    self.karmada.merge_patch(path_for(kind, ns, name),
                                             {"metadata": {"labels": {hpa_mod.RETAIN_LABEL: hpa_mod.RETAIN_VALUE}}},
                                             dry_run=self.check_mode)
            else:
                self.write_template(outcome, template, existing)
            if self.mode == "per_resource":
                wanted = self.per_resource_policy(obj, self.with_deps and kind in WORKLOAD_KINDS, [result])
                policy_outcome, stored, before = self.ensure_policy(wanted)
                result["policy"] = {"kind": wanted["kind"], "name": wanted["metadata"]["name"],
                                    "namespace": ns, "outcome": policy_outcome}
                result["policy_object"] = stored
                result["policy_before"] = before
            return result
        except (ApiError, ConflictError, NotFoundError, ValidationError) as exc:
            result.update(outcome="failed", reason=exc.msg)
            return result

    def promote_hpas(self, obj, existing_templates):
        """Templates (autoscaling/v2) of the HPAs scaling ``obj``; a different template already in
        Karmada is a conflict unless ``force`` (and the HPA then stays out of the policy)."""
        ns = obj["metadata"].get("namespace")
        out = []
        for item in self.hpas.get("%s/%s/%s" % (obj["kind"], ns or "", obj["metadata"]["name"]), []):
            key = "%s/%s/%s" % (hpa_mod.KIND, ns, item["metadata"]["name"])
            outcome, template = plan_object(item, existing_templates.get(key), self.force)
            self.write_template(outcome, template, existing_templates.get(key))
            entry = {"kind": hpa_mod.KIND, "api_version": hpa_mod.V2, "namespace": ns,
                     "name": item["metadata"]["name"], "outcome": outcome,
                     "min_replicas": hpa_mod.bounds(template)[0], "max_replicas": hpa_mod.bounds(template)[1]}
            if outcome == "conflict":
                entry["reason"] = ("a different HorizontalPodAutoscaler template %s/%s already exists in Karmada; "
                                   "use force=true to replace it" % (ns, item["metadata"]["name"]))
            out.append(entry)
        return out

    def promote(self, objects, existing_templates, batch=False):
        """Write the templates of ``objects`` (``concurrency`` requests at a time); the results in
        the order of ``objects``.

        With ``batch`` (mode=policy) each namespace's batch policy is written as soon as every
        object of that namespace is written and none failed, while the next namespaces' objects
        are still being written, so Karmada adopts one namespace while the module writes the next;
        a policy goes ahead of the objects still waiting for one of the ``concurrency`` workers.
        The policies' answers are left in ``batch_answers``: ``[(wanted, (outcome, stored, before)
        or the CceMigrationError)]`` in the order the namespaces first appear in ``objects``; a
        namespace with a failed object has none."""
        for ns in sorted(set(o["metadata"].get("namespace") for o in objects if o["metadata"].get("namespace"))):
            self.ensure_namespace(ns)
        # A dependency that is also one of the objects (a namespace's ConfigMaps, Secrets,
        # ServiceAccounts, PVCs) is written once, as that object: its workloads list it as
        # "shared". Written twice, one create lost with 409 and was read back to compare (a third
        # of a namespace promotion's requests), and two updates with force raced on resourceVersion.
        with self._lock:
            for o in objects:
                self._dep_claims.setdefault("%s/%s/%s" % (o["kind"], o["metadata"].get("namespace") or "",
                                                          o["metadata"]["name"]), "object")
        groups = {}                            # namespace -> indexes of its objects, in first-seen order
        for index, obj in enumerate(objects):
            groups.setdefault(obj["metadata"].get("namespace") or "", []).append(index)
        results = [None] * len(objects)
        self.batch_answers = []

        def batch_policies_of(ns):
            if not batch or not ns or any(results[i]["outcome"] == "failed" for i in groups[ns]):
                return []
            return self.batch_policies([objects[i] for i in groups[ns]], [results[i] for i in groups[ns]],
                                       validate=not self._batch_checked)

        if self.concurrency < 2:
            # in order, each namespace's policy right after its objects
            for ns, indexes in groups.items():
                for i in indexes:
                    results[i] = self.promote_one(objects[i], existing_templates)
                self.batch_answers.extend((w, self._policy_answer(w)) for w in batch_policies_of(ns))
            return results
        # one pool of ``concurrency`` workers; a namespace's policy goes ahead of the objects still
        # queued, so it is written as soon as its namespace is done
        policy_futures = []
        unexpected = None
        pool = PriorityPool(self.concurrency)
        try:
            futures = dict((ns, [(i, pool.submit(1, self.promote_one, objects[i], existing_templates))
                                 for i in indexes]) for ns, indexes in groups.items())
            for ns in groups:
                for i, future in futures[ns]:
                    results[i] = future.result()
                policy_futures.extend((w, pool.submit(0, self._policy_answer, w)) for w in batch_policies_of(ns))
            wait_futures([f for dummy, f in policy_futures])
        finally:
            pool.close()        # lets the tasks already taken finish; the others are cancelled
            # every policy sent is in batch_answers, also when an object raised something
            # unexpected: the module reports them (they are written: Karmada adopts them).
            # _policy_answer returns the CceMigrationErrors; what a future holds is unexpected.
            for w, future in policy_futures:
                if future.cancelled():
                    continue
                if future.exception() is None:
                    self.batch_answers.append((w, future.result()))
                else:
                    unexpected = unexpected or future.exception()
        if unexpected is not None:
            raise unexpected
        return results

    def _policy_answer(self, wanted):
        try:
            return self.ensure_policy(wanted)
        except CceMigrationError as exc:
            return exc

    # -- verification ------------------------------------------------------------------
    def pod_uids(self, objects):
        """{workload key: sorted pod UIDs, or None when it has no selector} for the workloads, one pod
        list per namespace; the whole selector (``matchLabels`` and ``matchExpressions``) counts."""
        by_ns = {}
        for obj in objects:
            if obj["kind"] in WORKLOAD_KINDS and obj["kind"] not in ("Job", "CronJob"):
                by_ns.setdefault(obj["metadata"]["namespace"], []).append(obj)
        out = {}
        spaces = sorted(by_ns)
        for ns, pods in zip(spaces, self._lists(self.member, [path_for("Pod", ns) for ns in spaces])):
            # pods indexed by each label pair: a workload only scans the pods carrying the first
            # pair of its selector (1,000 workloads over 2,000 pods were 2 million label checks)
            by_label = {}
            for pod in pods:
                for pair in (pod["metadata"].get("labels") or {}).items():
                    by_label.setdefault(pair, []).append(pod)
            for obj in by_ns[ns]:
                selector = (obj.get("spec") or {}).get("selector")
                key = "%s/%s/%s" % (obj["kind"], ns, obj["metadata"]["name"])
                if not selector:
                    out[key] = None      # no selector (the API server requires one): not checked
                    continue
                first = next(iter(sorted((selector.get("matchLabels") or {}).items())), None)
                candidates = by_label.get(first, []) if first else pods
                out[key] = sorted(p["metadata"]["uid"] for p in candidates
                                  if label_selectors.matches(p["metadata"].get("labels"), selector))
        return out

    def adoption(self, results):
        """{index: (done, seen)} for promoted objects: binding FullyApplied and member object managed.

        Reads lists (one per namespace and kind) rather than one object at a time, so waiting on
        thousands of objects costs a handful of requests per poll. The bindings are read first;
        the member objects only for the namespaces and kinds of objects whose binding is applied
        (while Karmada is still working through a namespace, a poll reads its bindings only)."""
        by_ns = {}
        for index, r in enumerate(results):
            by_ns.setdefault(r["namespace"] or "", []).append((index, r))
        out = {}
        spaces = sorted(by_ns)
        listed_bindings = self._lists(self.karmada, [
            path_for("ResourceBinding" if ns else "ClusterResourceBinding", ns or None) for ns in spaces])
        applied = []                           # (index, result) whose member object must be managed
        for ns, binding_items in zip(spaces, listed_bindings):
            bindings = dict((b["metadata"]["name"], b) for b in binding_items)
            for index, r in by_ns[ns]:
                binding = bindings.get(names.binding_name(r["kind"], r["name"]))
                if binding is None:
                    out[index] = (False, "no binding yet")
                    continue
                conds = dict((c["type"], c) for c in (binding.get("status") or {}).get("conditions") or [])
                fully = conds.get("FullyApplied", {})
                placed = [c.get("name") for c in (binding.get("spec") or {}).get("clusters") or []]
                tpl_spec = (r.get("template") or {}).get("spec") or {}
                zero = r["kind"] in WORKLOAD_KINDS and tpl_spec.get("replicas") == 0
                # (a binding's spec.replicas is omitted when 0: omitempty in work/v1alpha2)
                if (zero and not placed and not binding_replicas(binding)
                        and conds.get("Scheduled", {}).get("status") == "True" and binding_observed(binding)):
                    # Zero replicas: the scheduler drops every cluster with 0 replicas
                    # (removeZeroReplicasCluster, pkg/scheduler/core/util.go) unless it runs with
                    # --enable-empty-workload-propagation, and a binding without clusters is never
                    # FullyApplied (worksFullyApplied, pkg/util/helper/workstatus.go: "not
                    # scheduled"). Karmada holds the template and nothing runs: adopted as it can be.
                    out[index] = (True, "0 replicas: scheduled to no cluster")
                    continue
                if fully.get("status") != "True" and not works_fully_applied(binding):
                    out[index] = (False, "binding not applied: %s" % (fully.get("message") or "pending"))
                    continue
                if placed and self.cluster not in placed:
                    # after a cutover the source member has left the schedule: Karmada manages the
                    # workload elsewhere, which is what adoption means here
                    out[index] = (True, "scheduled to %s" % ", ".join(placed))
                    continue
                applied.append((index, r))
        member_groups = sorted(set((r["namespace"] or "", r["kind"]) for dummy, r in applied))
        members = {}
        for (ns, kind), objs in zip(member_groups, self._lists(
                self.member, [path_for(kind, ns or None) for ns, kind in member_groups])):
            for obj in objs:
                members[(kind, ns, obj["metadata"]["name"])] = obj
        for index, r in applied:
            member_obj = members.get((r["kind"], r["namespace"] or "", r["name"]))
            if member_obj is None or MANAGED_ANNOTATION not in (member_obj["metadata"].get("annotations") or {}):
                out[index] = (False, "member object not yet managed by Karmada")
                continue
            out[index] = (True, "applied")
        return out
