"""Karmada's control-plane controllers, simulated on the lab's stores.

detector (template -> policy claim -> ResourceBinding), scheduler (placement, Duplicated /
Divided static weights), binding controller (one Work per scheduled cluster, overrides applied,
Works of unscheduled clusters deleted), execution controller (Work -> member object, conflict
resolution, preserveResourcesOnDeletion) and status controllers (Work status, binding
aggregatedStatus, template status). Source files followed are named where each rule is applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import traceback
import uuid

from ..kubesim.store import StoreError, clone, now_iso
from . import division, overrides
from .matching import choose_policy

POLICY = "policy.karmada.io"
WORK = "work.karmada.io"
PP, CPP = (POLICY, "PropagationPolicy"), (POLICY, "ClusterPropagationPolicy")
OP, COP = (POLICY, "OverridePolicy"), (POLICY, "ClusterOverridePolicy")
RB, CRB, WK = (WORK, "ResourceBinding"), (WORK, "ClusterResourceBinding"), (WORK, "Work")
CLUSTER = ("cluster.karmada.io", "Cluster")

# pkg/apis/policy/v1alpha1/well_known_constants.go, pkg/apis/work/v1alpha2/well_known_constants.go
PP_ID, PP_NS, PP_NAME = ("propagationpolicy.karmada.io/permanent-id", "propagationpolicy.karmada.io/namespace",
                         "propagationpolicy.karmada.io/name")
CPP_ID, CPP_NAME = "clusterpropagationpolicy.karmada.io/permanent-id", "clusterpropagationpolicy.karmada.io/name"
RB_ID = "resourcebinding.karmada.io/permanent-id"
RB_NS, RB_NAME = "resourcebinding.karmada.io/namespace", "resourcebinding.karmada.io/name"
WORK_NS, WORK_NAME, WORK_ID = "work.karmada.io/namespace", "work.karmada.io/name", "work.karmada.io/permanent-id"
MANAGED = "karmada.io/managed"
CONFLICT = "work.karmada.io/conflict-resolution"
KARMADA_KEYS_LABELS = (MANAGED, WORK_ID, RB_ID, PP_ID, CPP_ID)
KARMADA_KEYS_ANN = (WORK_NS, WORK_NAME, RB_NS, RB_NAME, PP_NS, PP_NAME, CPP_NAME, CONFLICT,
                    "resourcetemplate.karmada.io/generation", "resourcetemplate.karmada.io/managed-annotations",
                    "resourcetemplate.karmada.io/managed-labels")

# Kinds the detector treats as resource templates (everything propagatable the migration uses).
TEMPLATE_KINDS = {
    ("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("", "Service"), ("", "ConfigMap"),
    ("", "Secret"), ("", "ServiceAccount"), ("", "PersistentVolumeClaim"), ("batch", "Job"), ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"), ("policy", "PodDisruptionBudget"), ("autoscaling", "HorizontalPodAutoscaler"),
    ("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
}
REPLICA_KINDS = {("apps", "Deployment"), ("apps", "StatefulSet"), ("batch", "Job")}
# pkg/util/constants.go RetainReplicasLabel / RetainReplicasValue
RETAIN_REPLICAS = "resourcetemplate.karmada.io/retain-replicas"


def skipped_namespace(ns):
    """Namespaces whose templates Karmada never propagates: ``names.IsReservedNamespace``
    (karmada-system, karmada-cluster, karmada-es-*; pkg/util/names/names.go) and the controller
    manager's ``--skipped-propagating-namespaces`` default ``kube-.*``
    (cmd/controller-manager/app/options/options.go, pkg/detector/detector.go). ``default`` is an
    ordinary namespace."""
    return ns in ("karmada-system", "karmada-cluster") or ns.startswith("karmada-es-") or ns.startswith("kube-")


def admit_policy(obj, operation):
    """Karmada's mutating webhooks for policies, as the lab's admission step.

    pkg/webhook/propagationpolicy/mutating.go, clusterpropagationpolicy/mutating.go and
    overridepolicy/mutating.go: "Set default namespace for all resource selector if not set"
    (namespaced policies); ``helper.SetDefaultSpreadConstraints`` (spreadByField cluster when neither
    field is set, minGroups 1); ``helper.SetReplicaDivisionPreferenceWeighted`` (Divided without a
    preference becomes Weighted); on create the permanent-id label. CRD defaults
    (pkg/apis/policy/v1alpha1/propagation_types.go kubebuilder:default): conflictResolution Abort,
    priority 0, preemption Never, schedulerName default-scheduler, replicaSchedulingType Divided.
    (The finalizer the webhook adds on create is not simulated.)"""
    kind = obj.get("kind")
    meta = obj.setdefault("metadata", {})
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if kind in ("PropagationPolicy", "OverridePolicy") and meta.get("namespace"):
        for sel in spec.get("resourceSelectors") or []:
            if isinstance(sel, dict) and not sel.get("namespace"):
                sel["namespace"] = meta["namespace"]
    if kind not in ("PropagationPolicy", "ClusterPropagationPolicy"):
        return
    placement = spec.get("placement")
    if isinstance(placement, dict):
        for sc in placement.get("spreadConstraints") or []:
            if not sc.get("spreadByLabel") and not sc.get("spreadByField"):
                sc["spreadByField"] = "cluster"
            if not sc.get("minGroups"):
                sc["minGroups"] = 1
        rs = placement.get("replicaScheduling")
        if isinstance(rs, dict):
            rs.setdefault("replicaSchedulingType", "Divided")
            if rs["replicaSchedulingType"] == "Divided" and not rs.get("replicaDivisionPreference"):
                rs["replicaDivisionPreference"] = "Weighted"
    spec.setdefault("conflictResolution", "Abort")
    spec.setdefault("priority", 0)
    spec.setdefault("preemption", "Never")
    spec.setdefault("schedulerName", "default-scheduler")
    if operation == "CREATE":
        label = PP_ID if kind == "PropagationPolicy" else CPP_ID
        labels = meta.setdefault("labels", {})
        labels.setdefault(label, str(uuid.uuid4()))


RIC = ("config.karmada.io", "ResourceInterpreterCustomization")
# pkg/util/interpreter/rule.go AllResourceInterpreterCustomizationRules: (operation, field of
# spec.customizations), in that order
CUSTOMIZATION_RULES = (("Retain", "retention"), ("InterpretReplica", "replicaResource"),
                       ("InterpretComponent", "componentResource"), ("ReviseReplica", "replicaRevision"),
                       ("InterpretStatus", "statusReflection"), ("AggregateStatus", "statusAggregation"),
                       ("InterpretHealth", "healthInterpretation"), ("InterpretDependency", "dependencyInterpretation"))


def customization_validator(store, schema_validator=None):
    """Karmada's validating webhook for ResourceInterpreterCustomizations, after the CRD's schema
    (pkg/webhook/resourceinterpretercustomization/helper.go validateResourceInterpreterCustomizations):
    another customization (by name) of the same target apiVersion and kind with a script for the
    same operation is refused, InterpretDependency excepted (it takes several). The webhook then
    loads every script in a Lua VM (checkCustomizationsRule) and refuses a syntax error: not
    simulated, the scripts are stored as they come."""
    def script(obj, field):
        return (((obj.get("spec") or {}).get("customizations") or {}).get(field) or {}).get("luaScript") or ""

    def validate(obj):
        if schema_validator is not None:
            schema_validator(obj)
        target = (obj.get("spec") or {}).get("target") or {}
        for other in store.iter_raw(RIC):
            if other["metadata"]["name"] == obj["metadata"].get("name"):
                continue
            theirs = (other.get("spec") or {}).get("target") or {}
            if (theirs.get("apiVersion"), theirs.get("kind")) != (target.get("apiVersion"), target.get("kind")):
                continue
            for operation, field in CUSTOMIZATION_RULES:
                if operation != "InterpretDependency" and script(other, field) and script(obj, field):
                    raise StoreError(403, "Forbidden", 'admission webhook "resourceinterpretercustomization.karmada.'
                                     'io" denied the request: conflicting with InterpreterOperation(%s) of existing '
                                     "ResourceInterpreterCustomization(%s)" % (operation, other["metadata"]["name"]))
    return validate


# pkg/resourceinterpreter/default/native/prune/prune.go: fields a member keeps that the
# template does not carry (retained on update).
RETAIN = {
    ("", "Service"): (("spec", "clusterIP"), ("spec", "clusterIPs"), ("spec", "healthCheckNodePort")),
    ("", "PersistentVolumeClaim"): (("spec", "volumeName"),),
    ("", "ServiceAccount"): (("secrets",),),
}


def gk(obj):
    av = obj.get("apiVersion", "")
    return (av.rpartition("/")[0] if "/" in av else "", obj.get("kind"))


def binding_name(kind, name):
    # pkg/util/names/names.go GenerateBindingName: lower(name + "-" + kind)
    return (name + "-" + kind).lower()


def work_name(kind, name, namespace):
    # pkg/util/names/names.go GenerateWorkName: "<name>-<hash of kind, namespace and name>"
    # (Karmada hashes with its DeepHashObject; the lab uses a stable FNV-32a of the same key.)
    key = "%s.%s.%s" % (kind.lower(), namespace, name) if namespace else "%s.%s" % (kind.lower(), name)
    return "%s-%d" % (name, division.fnv32a(key))


def exec_ns(cluster):
    return "karmada-es-" + cluster   # names.GenerateExecutionSpaceName


def permanent_id(obj):
    return str(obj["metadata"].get("uid"))


def policy_id(policy):
    """A policy's permanent id: the label its webhook sets on create (claims carry this value)."""
    labels = policy["metadata"].get("labels") or {}
    return labels.get(PP_ID) or labels.get(CPP_ID) or permanent_id(policy)


def clean_manifest(template):
    """The template as Karmada puts it into a Work (status and server-set metadata dropped)."""
    m = clone(template)
    meta = m.get("metadata") or {}
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(key, None)
    for key in (PP_ID, CPP_ID):
        (meta.get("labels") or {}).pop(key, None)
    for key in (PP_NS, PP_NAME, CPP_NAME, "kubectl.kubernetes.io/last-applied-configuration"):
        (meta.get("annotations") or {}).pop(key, None)
    for field in ("labels", "annotations"):
        if field in meta and not meta[field]:
            meta.pop(field)
    m.pop("status", None)
    return m


def pod_template_deps(template):
    """ConfigMaps, Secrets, ServiceAccounts, PVCs a workload template references
    (``pkg/resourceinterpreter/default/native/dependencies.go``)."""
    specs = overrides.pod_specs(template)
    deps = set()
    for spec in specs:
        if spec.get("serviceAccountName") and spec["serviceAccountName"] != "default":
            deps.add(("v1", "ServiceAccount", spec["serviceAccountName"]))
        for vol in spec.get("volumes") or []:
            if vol.get("configMap"):
                deps.add(("v1", "ConfigMap", vol["configMap"]["name"]))
            if vol.get("secret"):
                deps.add(("v1", "Secret", vol["secret"]["secretName"]))
            if vol.get("persistentVolumeClaim"):
                deps.add(("v1", "PersistentVolumeClaim", vol["persistentVolumeClaim"]["claimName"]))
            # VisitPodSecretNames / VisitPodConfigmapNames (pkg/util/lifted/visitpod.go)
            for src in (vol.get("projected") or {}).get("sources") or []:
                if (src.get("configMap") or {}).get("name"):
                    deps.add(("v1", "ConfigMap", src["configMap"]["name"]))
                if (src.get("secret") or {}).get("name"):
                    deps.add(("v1", "Secret", src["secret"]["name"]))
            if (vol.get("azureFile") or {}).get("secretName"):
                deps.add(("v1", "Secret", vol["azureFile"]["secretName"]))
            for source_kind in ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"):
                if ((vol.get(source_kind) or {}).get("secretRef") or {}).get("name"):
                    deps.add(("v1", "Secret", vol[source_kind]["secretRef"]["name"]))
            if ((vol.get("csi") or {}).get("nodePublishSecretRef") or {}).get("name"):
                deps.add(("v1", "Secret", vol["csi"]["nodePublishSecretRef"]["name"]))
        for sec in spec.get("imagePullSecrets") or []:
            deps.add(("v1", "Secret", sec["name"]))
        for field in ("containers", "initContainers", "ephemeralContainers"):
            for c in spec.get(field) or []:
                for env in c.get("env") or []:
                    ref = (env.get("valueFrom") or {})
                    if ref.get("configMapKeyRef"):
                        deps.add(("v1", "ConfigMap", ref["configMapKeyRef"]["name"]))
                    if ref.get("secretKeyRef"):
                        deps.add(("v1", "Secret", ref["secretKeyRef"]["name"]))
                for src in c.get("envFrom") or []:
                    if src.get("configMapRef"):
                        deps.add(("v1", "ConfigMap", src["configMapRef"]["name"]))
                    if src.get("secretRef"):
                        deps.add(("v1", "Secret", src["secretRef"]["name"]))
    return sorted(deps)


def replica_requirements(template):
    """helper.GenerateReplicaRequirements (pkg/util/helper/binding.go): the pod template's resource
    requests and node claim (nodeSelector, affinity, tolerations); None when it has neither."""
    pod = ((template.get("spec") or {}).get("template") or {}).get("spec") or {}
    requests = {}
    for c in pod.get("containers") or []:
        for key, value in ((c.get("resources") or {}).get("requests") or {}).items():
            requests.setdefault(key, value)
    claim = dict((k, pod[k]) for k in ("nodeSelector", "tolerations") if pod.get(k))
    if (pod.get("affinity") or {}).get("nodeAffinity"):
        claim["hardNodeAffinity"] = pod["affinity"]["nodeAffinity"]
    out = {}
    if requests:
        out["resourceRequest"] = requests
    if claim:
        out["nodeClaim"] = claim
    return out or None


class Karmada:
    def __init__(self, lab):
        self.lab = lab
        self.store = lab.clusters["karmada"].store
        self.members = {}       # member name -> lab cluster key
        self.dirty = {}
        # policies per (kind, namespace), re-read only after a policy changed
        self._policy_gen = 0
        self._policy_cache = {}
        self.wake = asyncio.Event()
        self.store.add_listener(self.on_karmada_event)
        for key, cluster in lab.clusters.items():
            if key != "karmada":
                cluster.store.add_listener(self.on_member_event)

    # -- queue -------------------------------------------------------------
    def mark(self, *key):
        self.dirty[key] = True
        self.wake.set()

    def on_karmada_event(self, etype, obj):
        kind = gk(obj)
        meta = obj["metadata"]
        ns = meta.get("namespace") or ""
        if kind in TEMPLATE_KINDS:
            if not ns.startswith("karmada-es-"):
                self.mark("template", obj["apiVersion"], obj["kind"], ns, meta["name"])
        elif kind in (PP, CPP):
            self._policy_gen += 1
            self.mark_selected(obj)
        elif kind in (OP, COP):
            self.mark_selected(obj, bindings=True)
        elif kind == CLUSTER:
            self.mark("all")
        elif kind in (RB, CRB):
            if etype == "DELETED":
                self.mark("unbind", json.dumps(obj))
            else:
                self.mark("binding", kind[1], ns, meta["name"])
        elif kind == WK:
            if etype == "DELETED":
                self.mark("unwork", json.dumps(obj))
            else:
                self.mark("work", ns, meta["name"])

    def policies(self, kind, ns, template):
        """The policies of ``kind`` (in ``ns``) that can select ``template``: those naming it in a
        selector, and those with a selector without a name. Indexed once per policy change, so
        matching does not scan every per-resource policy of a namespace for each template."""
        key = (kind, ns)
        cached = self._policy_cache.get(key)
        if cached is None or cached[0] != self._policy_gen:
            by_name, general = {}, []
            for policy in self.store.iter_raw(kind, ns):
                named = True
                for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
                    if sel.get("name"):
                        by_name.setdefault((sel.get("apiVersion"), sel.get("kind"), sel["name"]), []).append(policy)
                    else:
                        named = False
                if not named:
                    general.append(policy)
            cached = (self._policy_gen, by_name, general)
            self._policy_cache[key] = cached
        found = cached[1].get((template.get("apiVersion"), template.get("kind"), template["metadata"]["name"]), [])
        return sorted({id(p): p for p in found + cached[2]}.values(), key=lambda p: p["metadata"]["name"])

    def mark_selected(self, policy, bindings=False):
        """Queue only the templates a policy's resourceSelectors can match (kind, and name when
        given), so creating one policy per resource stays linear in the number of resources."""
        ns = policy["metadata"].get("namespace")
        if bindings and not (policy.get("spec") or {}).get("resourceSelectors"):
            # an override policy without resourceSelectors applies to every resource in its scope:
            # every binding there is synced again (newOverridePolicyFunc, binding_controller.go)
            for bkind in (RB, CRB) if ns is None else (RB,):
                for b in self.store.iter_raw(bkind, ns):
                    self.mark("binding", bkind[1], b["metadata"].get("namespace") or "", b["metadata"]["name"])
            return
        for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
            av = sel.get("apiVersion", "")
            tgk = (av.rpartition("/")[0] if "/" in av else "", sel.get("kind"))
            if tgk not in TEMPLATE_KINDS:
                continue
            sel_ns = ns or sel.get("namespace")
            if sel.get("name"):
                candidates = [self.store.raw(tgk, sel_ns or "", sel["name"])] if sel_ns or ns is None else []
                if not sel_ns:
                    candidates = [o for o in self.store.iter_raw(tgk) if o["metadata"]["name"] == sel["name"]]
            else:
                candidates = list(self.store.iter_raw(tgk, sel_ns))
            for obj in candidates:
                if obj is None:
                    continue
                ons = obj["metadata"].get("namespace") or ""
                if bindings:
                    bkind = "ResourceBinding" if ons else "ClusterResourceBinding"
                    self.mark("binding", bkind, ons, binding_name(obj["kind"], obj["metadata"]["name"]))
                else:
                    self.mark("template", obj["apiVersion"], obj["kind"], ons, obj["metadata"]["name"])

    def on_member_event(self, etype, obj):
        ann = obj["metadata"].get("annotations") or {}
        if ann.get(WORK_NAME) and ann.get(WORK_NS):
            self.mark("workstatus", ann[WORK_NS], ann[WORK_NAME])

    async def run(self):
        order = {"all": 0, "template": 1, "unbind": 2, "binding": 3, "unwork": 4, "work": 5, "workstatus": 6,
                 "bindstatus": 7, "tplstatus": 8}
        while True:
            await self.wake.wait()
            self.wake.clear()
            rounds = 0
            while self.dirty:
                batch = sorted(self.dirty, key=lambda k: order[k[0]])
                self.dirty.clear()
                for key in batch:
                    try:
                        getattr(self, "sync_" + key[0])(*key[1:])
                    except StoreError as exc:
                        if exc.code == 409:
                            self.mark(*key)
                        else:
                            print("karmada controller %s: %s" % (key[0], exc.message), flush=True)
                    except Exception:  # keep the control loop alive; the lab log shows the bug
                        traceback.print_exc()
                    rounds += 1
                    if rounds % 50 == 0:
                        await asyncio.sleep(0)
                await asyncio.sleep(0)

    # -- members -------------------------------------------------------------------
    def join(self, member, cluster_key, labels=None):
        self.members[member] = cluster_key
        cluster = self.lab.clusters[cluster_key]
        self.store.ensure_namespace(exec_ns(member))
        obj = self.store.get("cluster.karmada.io/v1alpha1", "Cluster", None, member)
        body = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
                "metadata": {"name": member, "labels": dict(labels or {}, **{"lab/cluster": cluster_key})},
                "spec": {"apiEndpoint": "https://127.0.0.1:%s" % cluster.port, "syncMode": "Push",
                         "id": cluster_key}}
        if obj is None:
            obj = self.store.create(body)
        now = now_iso()
        obj["status"] = {"kubernetesVersion": cluster.version["gitVersion"],
                         "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady",
                                         "message": "cluster is healthy and ready to accept workloads",
                                         "lastTransitionTime": now}]}
        self.store.update_status(obj, result=False)
        self.mark("all")

    def unjoin(self, member):
        self.members.pop(member, None)
        try:
            self.store.delete("cluster.karmada.io/v1alpha1", "Cluster", None, member)
        except StoreError:
            pass
        self.mark("all")

    def ready_clusters(self):
        out = []
        for c in self.store.iter_raw(CLUSTER):
            conds = (c.get("status") or {}).get("conditions") or []
            if c["metadata"]["name"] in self.members and any(
                    x.get("type") == "Ready" and x.get("status") == "True" for x in conds):
                out.append(c)
        return out

    # -- detector (pkg/detector/detector.go) ------------------------------------------
    def sync_all(self):
        for kind in TEMPLATE_KINDS:
            for obj in list(self.store.iter_raw(kind)):
                ns = obj["metadata"].get("namespace") or ""
                if not ns.startswith("karmada-es-"):
                    self.mark("template", obj["apiVersion"], obj["kind"], ns, obj["metadata"]["name"])
        for kind in (RB, CRB):
            for b in self.store.iter_raw(kind):
                self.mark("binding", kind[1], b["metadata"].get("namespace") or "", b["metadata"]["name"])

    def sync_template(self, api_version, kind, ns, name):
        # the stored object itself (never edited in place: a change goes through a copy below);
        # copying every template on each of its syncs was a tenth of the lab's CPU time
        template = self.store.raw((api_version.rpartition("/")[0] if "/" in api_version else "", kind), ns, name)
        bkind = RB if ns else CRB
        bname = binding_name(kind, name)
        if template is None or template["metadata"].get("deletionTimestamp"):
            self._delete_binding(bkind, ns, bname)
            return
        if skipped_namespace(ns) or (kind == "Namespace" and skipped_namespace(name)):
            return
        meta = template["metadata"]
        claim = meta.get("labels") or {}
        policy, cluster_scoped = choose_policy(
            self.policies(PP, ns, template) if ns else [], self.policies(CPP, None, template), template,
            claimed_pp=claim.get(PP_ID), claimed_cpp=claim.get(CPP_ID), ident=policy_id)
        labels = dict(meta.get("labels") or {})
        ann = dict(meta.get("annotations") or {})
        for key in (PP_ID, CPP_ID):
            labels.pop(key, None)
        for key in (PP_NS, PP_NAME, CPP_NAME):
            ann.pop(key, None)
        if policy is not None:
            if cluster_scoped:
                labels[CPP_ID] = policy_id(policy)
                ann[CPP_NAME] = policy["metadata"]["name"]
            else:
                labels[PP_ID] = policy_id(policy)
                ann[PP_NS] = policy["metadata"]["namespace"]
                ann[PP_NAME] = policy["metadata"]["name"]
        if labels != (meta.get("labels") or {}) or ann != (meta.get("annotations") or {}):
            meta = dict(meta, labels=labels, annotations=ann)
            if not labels:
                meta.pop("labels")
            if not ann:
                meta.pop("annotations")
            self.store.update(dict(template, metadata=meta), result=False)
            return   # the update comes back as an event
        existing = self.store.raw(bkind, ns, bname)
        if policy is None:
            # A deleted (or no longer matching) policy only loses its claim: the detector's
            # HandlePropagationPolicyDeletion cleans the claim metadata of templates and bindings
            # (CleanupResourceTemplateClaimMetadata, CleanupResourceBindingClaimMetadata in
            # pkg/detector/detector.go); the binding and its Works stay, and the execution
            # controller keeps applying them to the members. Only deleting the template removes
            # the binding (its owner reference).
            if existing is not None:
                labels_now = existing["metadata"].get("labels") or {}
                if PP_ID in labels_now or CPP_ID in labels_now:
                    current = clone(existing)
                    for key in (PP_ID, CPP_ID):
                        current["metadata"]["labels"].pop(key, None)
                    self.store.update(current, result=False)
            return
        pspec = policy.get("spec") or {}
        spec = {
            "resource": {"apiVersion": template["apiVersion"], "kind": kind, "name": name,
                         "uid": meta["uid"], **({"namespace": ns} if ns else {})},
            "placement": clone(pspec.get("placement") or {}),
            "conflictResolution": pspec.get("conflictResolution", "Abort"),
            "preserveResourcesOnDeletion": bool(pspec.get("preserveResourcesOnDeletion", False)),
            "propagateDeps": bool(pspec.get("propagateDeps", False)),
            "schedulerName": pspec.get("schedulerName", "default-scheduler"),
        }
        if gk(template) in REPLICA_KINDS:
            spec["replicas"] = int((template.get("spec") or {}).get("replicas", 1))
            requirements = replica_requirements(template)
            if requirements:
                spec["replicaRequirements"] = requirements
        self._ensure_binding(bkind, ns, bname, template, spec, policy, cluster_scoped)

    def _ensure_binding(self, bkind, ns, bname, template, spec, policy, cluster_scoped):
        existing = self.store.raw(bkind, ns, bname)
        labels = {(CPP_ID if cluster_scoped else PP_ID): policy_id(policy)}
        owner = {"apiVersion": template["apiVersion"], "kind": template["kind"],
                 "name": template["metadata"]["name"], "uid": template["metadata"]["uid"],
                 "controller": True, "blockOwnerDeletion": True}
        if existing is None:
            self.store.create(result=False, obj={
                "apiVersion": "work.karmada.io/v1alpha2", "kind": bkind[1],
                "metadata": dict({"name": bname, "labels": labels, "ownerReferences": [owner]},
                                 **({"namespace": ns} if ns else {})),
                "spec": spec})
            return
        current = clone(existing)
        keep = {k: current["spec"][k] for k in ("clusters", "requiredBy") if k in current["spec"]}
        new_spec = dict(spec, **keep)
        if current["spec"] != new_spec or current["metadata"].get("labels", {}) != dict(
                current["metadata"].get("labels", {}), **labels):
            current["spec"] = new_spec
            current["metadata"].setdefault("labels", {}).update(labels)
            self.store.update(current, result=False)
        else:
            self.mark("binding", bkind[1], ns, bname)

    def _delete_binding(self, bkind, ns, bname):
        if self.store.raw(bkind, ns, bname) is not None:
            self.store.delete("work.karmada.io/v1alpha2", bkind[1], ns or None, bname)

    # -- scheduler (pkg/scheduler/core/) + binding controller (pkg/controllers/binding/) --
    def schedule(self, binding):
        spec = binding["spec"]
        placement = spec.get("placement") or {}
        affinity = placement.get("clusterAffinity") or {}
        candidates = [c for c in self.ready_clusters() if division.cluster_matches(c, affinity)]
        if spec.get("requiredBy"):
            names = set()
            for req in spec["requiredBy"]:
                names.update(c["name"] for c in req.get("clusters") or [])
            return [{"name": n, "replicas": 0} for n in sorted(names) if n in self.members], None
        if not candidates:
            return [], "no cluster fits the placement (clusterAffinity %s)" % json.dumps(affinity, sort_keys=True)
        rs = placement.get("replicaScheduling") or {}
        replicas = spec.get("replicas")
        ordered = sorted(candidates, key=lambda c: c["metadata"]["name"])
        # pkg/scheduler/core/common.go AssignReplicas: only "spec.Replicas > 0 ||
        # spec.ReplicaRequirements != nil" goes through the replica assignment, whose result loses
        # every cluster with 0 replicas (removeZeroReplicasCluster, pkg/scheduler/core/util.go);
        # anything else is placed on every selected cluster. The scheduler's
        # --enable-empty-workload-propagation adds the selected clusters back with 0 replicas
        # (attachZeroReplicasCluster, pkg/scheduler/core/generic_scheduler.go): lab knob
        # LAB_KARMADA_EMPTY_WORKLOAD_PROPAGATION.
        if not replicas and not spec.get("replicaRequirements"):
            return [{"name": c["metadata"]["name"], "replicas": int(replicas or 0)} for c in ordered], None
        empty = str(self.lab.knob("LAB_KARMADA_EMPTY_WORKLOAD_PROPAGATION", "false")).lower() in ("1", "true")
        if rs.get("replicaSchedulingType", "Duplicated") == "Duplicated":
            if not replicas and not empty:
                return [], None
            return [{"name": c["metadata"]["name"], "replicas": int(replicas or 0)} for c in ordered], None
        pref = rs.get("replicaDivisionPreference", "Weighted")
        weight = rs.get("weightPreference") or {}
        if pref != "Weighted" or weight.get("dynamicWeight"):
            return None, ("the lab simulates static weights only: replicaDivisionPreference %s / dynamicWeight %s "
                          "is not supported" % (pref, weight.get("dynamicWeight")))
        placed = division.divide(replicas, candidates, weight.get("staticWeightList") or [],
                                 spec["resource"].get("uid", ""))
        if empty:
            got = set(t["name"] for t in placed)
            placed = sorted(placed + [{"name": c["metadata"]["name"], "replicas": 0} for c in ordered
                                      if c["metadata"]["name"] not in got], key=lambda t: t["name"])
        return placed, None

    def sync_binding(self, bkind_name, ns, name):
        bkind = (WORK, bkind_name)
        binding = self.store.raw(bkind, ns, name)
        if binding is None:
            return
        binding = clone(binding)
        res = binding["spec"]["resource"]
        template = self.store.raw(
            (res["apiVersion"].rpartition("/")[0] if "/" in res["apiVersion"] else "", res["kind"]),
            res.get("namespace") or "", res["name"])
        if template is None:
            return
        clusters, problem = self.schedule(binding)
        now = now_iso()
        conds = [c for c in (binding.get("status") or {}).get("conditions") or [] if c["type"] != "Scheduled"]
        if problem:
            sched = {"type": "Scheduled", "status": "False", "reason": "NoClusterFit", "message": problem,
                     "lastTransitionTime": now}
            clusters = binding["spec"].get("clusters") or []
        else:
            sched = {"type": "Scheduled", "status": "True", "reason": "Success", "message": "Binding has been "
                     "scheduled successfully.", "lastTransitionTime": now}
        if binding["spec"].get("clusters") != clusters and not problem:
            binding["spec"]["clusters"] = clusters
            self.store.update(binding, result=False, given=True)   # a copy of its own (above)
            return   # comes back as an event
        old = [c for c in (binding.get("status") or {}).get("conditions") or [] if c["type"] == "Scheduled"]
        if not old or old[0]["status"] != sched["status"] or old[0]["message"] != sched["message"]:
            binding.setdefault("status", {})["conditions"] = conds + [sched]
            binding["status"]["schedulerObservedGeneration"] = binding["metadata"].get("generation", 1)
            self.store.update_status(binding, result=False, given=True)
            binding = clone(self.store.raw(bkind, ns, name))
        self.ensure_works(binding, template, clusters)
        if binding["spec"].get("propagateDeps"):
            self.ensure_deps(binding, template, clusters)
        self.sync_bindstatus(bkind_name, ns, name)

    def ensure_works(self, binding, template, clusters):
        spec = binding["spec"]
        res = spec["resource"]
        wname = work_name(res["kind"], res["name"], res.get("namespace"))
        wanted = {}
        for target in clusters:
            cluster = self.store.raw(CLUSTER, "", target["name"])
            if cluster is None:
                continue
            manifest = clean_manifest(template)
            if spec.get("replicas") is not None and gk(template) in REPLICA_KINDS:
                manifest.setdefault("spec", {})["replicas"] = target["replicas"]
            manifest, _ = overrides.apply_all(self.store, template, cluster, manifest)
            ann = manifest.setdefault("metadata", {}).setdefault("annotations", {})
            if spec.get("conflictResolution") == "Overwrite":
                ann[CONFLICT] = "overwrite"
            wanted[target["name"]] = manifest
        bkey = "%s.%s" % (binding["metadata"].get("namespace", ""), binding["metadata"]["name"])
        for member, manifest in wanted.items():
            ens = exec_ns(member)
            self.store.ensure_namespace(ens)
            body = {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work",
                    "metadata": {"name": wname, "namespace": ens,
                                 "labels": {RB_ID: permanent_id(binding), WORK_ID: hashlib.sha1(
                                     ("%s/%s" % (ens, wname)).encode()).hexdigest()[:12]},
                                 "annotations": {"lab/binding": bkey,
                                                 **({RB_NS: binding["metadata"]["namespace"],
                                                     RB_NAME: binding["metadata"]["name"]}
                                                    if binding["metadata"].get("namespace") else
                                                    {"clusterresourcebinding.karmada.io/name":
                                                     binding["metadata"]["name"]})}},
                    "spec": {"workload": {"manifests": [manifest]},
                             "preserveResourcesOnDeletion": bool(spec.get("preserveResourcesOnDeletion"))}}
            current = self.store.raw(WK, ens, wname)
            # body and its manifest were built here for this write: the store keeps them uncopied
            if current is None:
                self.store.create(body, result=False, given=True)
            elif current["spec"] != body["spec"] or current["metadata"].get("labels") != body["metadata"]["labels"]:
                new = dict(current, metadata=dict(current["metadata"]), spec=body["spec"])
                new["metadata"]["labels"] = body["metadata"]["labels"]
                new["metadata"]["annotations"] = body["metadata"]["annotations"]
                self.store.update(new, result=False, given=True)
        # Works of clusters that left the schedule are deleted (pkg/controllers/binding/common.go);
        # removeZeroReplicasCluster (pkg/scheduler/core/util.go) is what takes a 0-replica cluster out.
        for member in list(self.members) + [c["metadata"]["name"] for c in self.store.iter_raw(CLUSTER)]:
            if member in wanted:
                continue
            work = self.store.raw(WK, exec_ns(member), wname)
            if work is not None and (work["metadata"].get("annotations") or {}).get("lab/binding") == bkey:
                self.store.delete("work.karmada.io/v1alpha1", "Work", exec_ns(member), wname)

    def ensure_deps(self, binding, template, clusters):
        ns = template["metadata"].get("namespace")
        if not ns:
            return
        for api_version, kind, dep_name in pod_template_deps(template):
            dep = self.store.raw(("", kind), ns, dep_name)
            if dep is None:
                continue
            labels = dep["metadata"].get("labels") or {}
            if labels.get(PP_ID) or labels.get(CPP_ID):
                continue   # claimed by a policy of its own
            bname = binding_name(kind, dep_name)
            req = {"namespace": ns, "name": binding["metadata"]["name"],
                   "clusters": [{"name": c["name"]} for c in clusters]}
            existing = self.store.raw(RB, ns, bname)
            spec = {"resource": {"apiVersion": api_version, "kind": kind, "namespace": ns, "name": dep_name,
                                 "uid": dep["metadata"]["uid"]},
                    "conflictResolution": binding["spec"].get("conflictResolution", "Abort"),
                    "preserveResourcesOnDeletion": bool(binding["spec"].get("preserveResourcesOnDeletion"))}
            if existing is None:
                spec["requiredBy"] = [req]
                self.store.create({"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
                                   "metadata": {"name": bname, "namespace": ns},
                                   "spec": spec})
                continue
            current = clone(existing)
            others = [r for r in current["spec"].get("requiredBy") or [] if r["name"] != req["name"]]
            new_spec = dict(current["spec"], **spec)
            new_spec["requiredBy"] = others + [req]
            if new_spec != current["spec"]:
                current["spec"] = new_spec
                self.store.update(current, result=False)

    def sync_unbind(self, text):
        binding = json.loads(text)
        res = binding["spec"]["resource"]
        wname = work_name(res["kind"], res["name"], res.get("namespace"))
        bkey = "%s.%s" % (binding["metadata"].get("namespace", ""), binding["metadata"]["name"])
        for work in list(self.store.iter_raw(WK)):
            if work["metadata"]["name"] == wname and (work["metadata"].get("annotations") or {}).get(
                    "lab/binding") == bkey:
                self.store.delete("work.karmada.io/v1alpha1", "Work", work["metadata"]["namespace"], wname)

    # -- execution (pkg/controllers/execution/execution_controller.go) ---------------
    def member_store(self, work_ns):
        member = work_ns[len("karmada-es-"):]
        key = self.members.get(member)
        return (self.lab.clusters[key].store if key else None), member

    def sync_work(self, ns, name):
        work = self.store.raw(WK, ns, name)
        if work is None or work["metadata"].get("deletionTimestamp"):
            return
        mstore, member = self.member_store(ns)
        if mstore is None:
            return
        results = []
        for manifest in work["spec"]["workload"]["manifests"]:
            results.append(self.apply(mstore, work, manifest))
        ok = all(r[0] for r in results)
        now = now_iso()
        # pkg/controllers/execution/execution_controller.go: "Failed to apply all manifests (%d/%d): %s"
        cond = {"type": "Applied", "status": "True" if ok else "False",
                "reason": "AppliedSuccessful" if ok else "AppliedFailed",
                "message": "Manifest has been successfully applied" if ok else
                "Failed to apply all manifests (%d/%d): %s" % (sum(1 for r in results if r[0]), len(results),
                                                                "; ".join(r[1].replace("<member>", member)
                                                                          for r in results if not r[0])),
                "lastTransitionTime": now}
        old = [c for c in (work.get("status") or {}).get("conditions") or [] if c["type"] == "Applied"]
        if not old or old[0]["status"] != cond["status"] or old[0]["message"] != cond["message"]:
            # only the status changes: a new status dict, the rest shared with the stored Work (no
            # need to copy the manifests), handed to the store as it is
            self.store.update_status(dict(work, status=dict(work.get("status") or {}, conditions=[cond])),
                                     result=False, given=True)
        self.sync_workstatus(ns, name)

    def apply(self, mstore, work, manifest):
        meta = manifest["metadata"]
        kind = gk(manifest)
        ns = meta.get("namespace")
        desired = clone(manifest)
        dmeta = desired["metadata"]
        dmeta.setdefault("labels", {})[MANAGED] = "true"
        dmeta["labels"][WORK_ID] = work["metadata"]["labels"].get(WORK_ID, "")
        dmeta.setdefault("annotations", {}).update({WORK_NS: work["metadata"]["namespace"],
                                                    WORK_NAME: work["metadata"]["name"]})
        ann = work["metadata"].get("annotations") or {}
        for key in (RB_NS, RB_NAME):
            if key in ann:
                dmeta["annotations"][key] = ann[key]
        if ns:
            mstore.ensure_namespace(ns)
        current = mstore.raw(kind, ns or "", meta["name"])
        if current is None:
            mstore.create(desired, result=False, given=True)   # desired: this call's own copy
            return True, ""
        cann = current["metadata"].get("annotations") or {}
        managed = cann.get(WORK_NAME) == work["metadata"]["name"] or \
            (current["metadata"].get("labels") or {}).get(MANAGED) == "true"
        overwrite = (meta.get("annotations") or {}).get(CONFLICT) == "overwrite"
        if not managed and not overwrite:
            # as real Karmada words it (pkg/util/objectwatcher/objectwatcher.go, checked on v1.18.2)
            return False, ("resource(kind=%s, %s/%s) already exists in the cluster <member> and the "
                           "work.karmada.io/conflict-resolution strategy value is empty, Karmada will not "
                           "manage this resource" % (manifest["kind"], ns or "", meta["name"]))
        new = clone(current)
        for key, value in desired.items():
            if key in ("metadata", "status"):
                continue
            new[key] = value
        for path in RETAIN.get(kind, ()):
            src, dst = current, new
            for part in path[:-1]:
                src = (src or {}).get(part) or {}
                dst = dst.setdefault(part, {})
            if path[-1] in src:
                dst[path[-1]] = src[path[-1]]
        # retainWorkloadReplicas (pkg/resourceinterpreter/default/native/retain.go), registered for
        # apps/v1 Deployment only: with the label the member keeps its spec.replicas on every update
        if kind == ("apps", "Deployment") and (meta.get("labels") or {}).get(RETAIN_REPLICAS) == "true" \
                and "replicas" in (current.get("spec") or {}):
            new["spec"]["replicas"] = current["spec"]["replicas"]
        nmeta = new["metadata"]
        nmeta["labels"] = dict(nmeta.get("labels") or {}, **(dmeta.get("labels") or {}))
        nmeta["annotations"] = dict(nmeta.get("annotations") or {}, **(dmeta.get("annotations") or {}))
        if new != current:
            # only what really differs changes; an equal pod template keeps its pods. new: a copy
            # of its own, with parts of this call's own desired
            mstore.update(new, result=False, given=True)
        return True, ""

    def sync_unwork(self, text):
        work = json.loads(text)
        mstore, member = self.member_store(work["metadata"]["namespace"])
        if mstore is None:
            return
        preserve = (work.get("spec") or {}).get("preserveResourcesOnDeletion")
        for manifest in work["spec"]["workload"]["manifests"]:
            kind = gk(manifest)
            ns = manifest["metadata"].get("namespace") or ""
            current = mstore.raw(kind, ns, manifest["metadata"]["name"])
            if current is None:
                continue
            if (current["metadata"].get("annotations") or {}).get(WORK_NAME) != work["metadata"]["name"]:
                continue
            if preserve:
                # execution_controller.go: with preserveResourcesOnDeletion the member object stays;
                # only the labels/annotations Karmada put on it are removed (karmada PR 5747).
                new = clone(current)
                for key in KARMADA_KEYS_LABELS:
                    (new["metadata"].get("labels") or {}).pop(key, None)
                for key in KARMADA_KEYS_ANN:
                    (new["metadata"].get("annotations") or {}).pop(key, None)
                if new != current:
                    mstore.update(new, result=False)
            else:
                mstore.delete(manifest["apiVersion"], manifest["kind"], ns or None, manifest["metadata"]["name"])

    # -- status (pkg/controllers/status/) ----------------------------------------------
    def sync_workstatus(self, ns, name):
        work = self.store.raw(WK, ns, name)
        mstore, member = self.member_store(ns)
        if work is None or mstore is None:
            return
        statuses = []
        for manifest in work["spec"]["workload"]["manifests"]:
            kind = gk(manifest)
            obj = mstore.raw(kind, manifest["metadata"].get("namespace") or "", manifest["metadata"]["name"])
            if obj is None:
                continue
            if (obj["metadata"].get("annotations") or {}).get(WORK_NAME) != name:
                continue
            status = obj.get("status") or {}   # copied shallowly below; stored objects are never edited
            info = mstore.kind_info(kind)
            entry = {"identifier": {"ordinal": 0, "group": kind[0], "version": manifest["apiVersion"].split("/")[-1],
                                    "kind": kind[1], "resource": info.plural if info else kind[1].lower() + "s",
                                    "namespace": manifest["metadata"].get("namespace", ""),
                                    "name": manifest["metadata"]["name"]},
                     "status": dict(status, generation=obj["metadata"].get("generation", 0)),
                     "health": "Healthy" if self.healthy(obj) else "Unhealthy"}
            statuses.append(entry)
        if (work.get("status") or {}).get("manifestStatuses") != statuses:
            self.store.update_status(dict(work, status=dict(work.get("status") or {}, manifestStatuses=statuses)),
                                     result=False, given=True)
        bkey = (work["metadata"].get("annotations") or {}).get("lab/binding", "")
        bns, _, bname = bkey.partition(".")
        self.mark("bindstatus", "ResourceBinding" if bns else "ClusterResourceBinding", bns, bname)

    @staticmethod
    def healthy(obj):
        st = obj.get("status") or {}
        if obj["kind"] in ("Deployment", "StatefulSet"):
            return st.get("readyReplicas", 0) >= (obj.get("spec") or {}).get("replicas", 1)
        return True

    def sync_bindstatus(self, bkind_name, ns, name):
        binding = self.store.raw((WORK, bkind_name), ns, name)
        if binding is None:
            return
        res = binding["spec"]["resource"]
        wname = work_name(res["kind"], res["name"], res.get("namespace"))
        aggregated = []
        all_applied = True
        for target in binding["spec"].get("clusters") or []:
            work = self.store.raw(WK, exec_ns(target["name"]), wname)
            applied = False
            message = ""
            status = None
            health = "Unknown"
            if work is not None:
                cond = [c for c in (work.get("status") or {}).get("conditions") or [] if c["type"] == "Applied"]
                applied = bool(cond) and cond[0]["status"] == "True"
                message = cond[0]["message"] if cond and not applied else ""
                ms = (work.get("status") or {}).get("manifestStatuses") or []
                if ms:
                    status = ms[0].get("status")
                    health = ms[0].get("health", "Unknown")
            all_applied = all_applied and applied
            item = {"clusterName": target["name"], "applied": applied, "health": health}
            if status is not None:
                item["status"] = status
            if message:
                item["appliedMessage"] = message
            aggregated.append(item)
        # a new status dict with new lists; the rest is shared with the stored binding (never edited)
        st = dict(binding.get("status") or {})
        new = dict(binding, status=st)
        conds = [c for c in st.get("conditions") or [] if c["type"] != "FullyApplied"]
        fully = {"type": "FullyApplied", "status": "True" if all_applied and aggregated else "False",
                 "reason": "FullyAppliedSuccess" if all_applied and aggregated else "FullyAppliedFailed",
                 # pkg/util/helper/workstatus.go FullyAppliedFailedMessage: the details stay in status.aggregatedStatus
                 "message": "All works have been successfully applied" if all_applied and aggregated else
                 "Failed to apply all works, see status.aggregatedStatus for details"}
        old = [c for c in st.get("conditions") or [] if c["type"] == "FullyApplied"]
        if old and old[0]["status"] == fully["status"] and old[0]["message"] == fully["message"]:
            fully = old[0]
        else:
            fully["lastTransitionTime"] = now_iso()
        st["conditions"] = conds + [fully]
        st["aggregatedStatus"] = aggregated
        if new.get("status") != binding.get("status"):
            self.store.update_status(new, result=False, given=True)
        self.mark("tplstatus", res["apiVersion"], res["kind"], res.get("namespace") or "", res["name"],
                  bkind_name, ns, name)

    def sync_tplstatus(self, api_version, kind, ns, name, bkind_name, bns, bname):
        template = self.store.raw((api_version.rpartition("/")[0] if "/" in api_version else "", kind), ns, name)
        binding = self.store.raw((WORK, bkind_name), bns, bname)
        if template is None or binding is None or kind not in ("Deployment", "StatefulSet"):
            return
        fields = ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas") \
            if kind == "Deployment" else ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas",
                                          "currentReplicas")
        total = dict((f, 0) for f in fields)
        observed = True
        for item in (binding.get("status") or {}).get("aggregatedStatus") or []:
            st = item.get("status") or {}
            for f in fields:
                total[f] += int(st.get(f, 0) or 0)
            if st.get("observedGeneration", 0) != st.get("generation", -1):
                observed = False
        status = dict((k, v) for k, v in total.items() if v)
        prev = (template.get("status") or {}).get("observedGeneration", 0)
        status["observedGeneration"] = template["metadata"].get("generation", 1) if observed else prev
        if template.get("status") != status:
            new = clone(template)
            new["status"] = status
            self.store.update_status(new, result=False)
