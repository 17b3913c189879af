# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read a cluster through the Kubernetes API and keep only aggregates.

Two parts:

* :class:`Inventory` is pure: it takes objects one at a time (``add(kind, obj)``) and
  keeps counts, sums and short lists of what the findings rules need. Unit tests feed it
  objects directly.
* :class:`Collector` does the reading: discovery (``/version``, ``/api``, ``/apis`` and
  the group/version resource lists) to find what the cluster serves, then every kind is
  listed page by page with ``limit``/``continue``; each page is handed to the inventory
  and dropped before the next is read, so memory stays flat whatever the cluster size.
  Only ``GET`` is ever sent. ConfigMaps and Secrets are asked for as metadata only
  (``PartialObjectMetadataList``); if a server sends full objects anyway their data is
  never looked at.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from ..common.errors import ApiError
from . import tables
from .quantity import cpu_millicores, memory_bytes, parse_image, pod_requests

# Kinds read, with the group versions to try in order of preference.
# (kind, group, versions, plural, namespaced, metadata_only)
KINDS = (
    ("Namespace", "", ("v1",), "namespaces", False, False),
    ("Node", "", ("v1",), "nodes", False, False),
    ("Deployment", "apps", ("v1",), "deployments", True, False),
    ("StatefulSet", "apps", ("v1",), "statefulsets", True, False),
    ("DaemonSet", "apps", ("v1",), "daemonsets", True, False),
    ("ReplicaSet", "apps", ("v1",), "replicasets", True, True),
    ("Job", "batch", ("v1",), "jobs", True, False),
    ("CronJob", "batch", ("v1", "v1beta1"), "cronjobs", True, False),
    ("Pod", "", ("v1",), "pods", True, False),
    ("Service", "", ("v1",), "services", True, False),
    ("Ingress", "networking.k8s.io", ("v1", "v1beta1"), "ingresses", True, False),
    ("IngressClass", "networking.k8s.io", ("v1", "v1beta1"), "ingressclasses", False, False),
    ("NetworkPolicy", "networking.k8s.io", ("v1",), "networkpolicies", True, True),
    ("ConfigMap", "", ("v1",), "configmaps", True, True),
    ("Secret", "", ("v1",), "secrets", True, True),
    ("ServiceAccount", "", ("v1",), "serviceaccounts", True, True),
    ("PersistentVolumeClaim", "", ("v1",), "persistentvolumeclaims", True, False),
    ("PersistentVolume", "", ("v1",), "persistentvolumes", False, False),
    ("StorageClass", "storage.k8s.io", ("v1", "v1beta1"), "storageclasses", False, False),
    ("HorizontalPodAutoscaler", "autoscaling", ("v2", "v2beta2", "v2beta1", "v1"), "horizontalpodautoscalers",
     True, False),
    ("PodDisruptionBudget", "policy", ("v1", "v1beta1"), "poddisruptionbudgets", True, False),
    ("CustomResourceDefinition", "apiextensions.k8s.io", ("v1", "v1beta1"), "customresourcedefinitions", False,
     False),
    ("PodSecurityPolicy", "policy", ("v1beta1",), "podsecuritypolicies", False, True),
    ("Role", "rbac.authorization.k8s.io", ("v1",), "roles", True, True),
    ("RoleBinding", "rbac.authorization.k8s.io", ("v1",), "rolebindings", True, True),
    ("ResourceQuota", "", ("v1",), "resourcequotas", True, True),
    ("LimitRange", "", ("v1",), "limitranges", True, True),
    ("PriorityClass", "scheduling.k8s.io", ("v1",), "priorityclasses", False, True),
)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")
# Lists keep at most this many affected objects per rule; totals are always exact.
SAMPLE_LIMIT = 200
METADATA_ACCEPT = ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                   "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io,application/json")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_REMOVED_BY_KIND = {}
for _row in tables.REMOVED_APIS:
    _REMOVED_BY_KIND.setdefault(_row["kind"], {})[_row["group_version"]] = _row


def ref(kind, obj):
    meta = obj.get("metadata") or {}
    if meta.get("namespace"):
        return "%s %s/%s" % (kind, meta["namespace"], meta.get("name"))
    return "%s %s" % (kind, meta.get("name"))


class Sample(object):
    """An exact count plus a bounded, sorted sample of items."""

    def __init__(self, limit=SAMPLE_LIMIT):
        self.limit = limit
        self.total = 0
        self.items = []

    def add(self, item):
        self.total += 1
        self.items.append(item)
        if len(self.items) > self.limit * 2:
            self.items = sorted(self.items, key=_sort_key)[:self.limit]

    def as_list(self):
        return sorted(self.items, key=_sort_key)[:self.limit]


def _sort_key(item):
    return json.dumps(item, sort_keys=True) if not isinstance(item, str) else item


class Inventory(object):
    """Aggregates over a stream of Kubernetes objects. Holds no object after ``add`` returns."""

    def __init__(self):
        self.counts = {}
        self.listed_versions = {}
        self.version = {}
        self.group_versions = []
        self.served = {}   # group_version -> set(resource plurals)
        self.namespaces = {}
        self.nodes = dict(count=0, cpu_capacity_m=0, memory_capacity_bytes=0, cpu_allocatable_m=0,
                          memory_allocatable_bytes=0, instance_types={}, zones={}, regions={}, os_images={},
                          kernels={}, container_runtimes={}, kubelet_versions={}, architectures={},
                          providers={}, cloud_label_keys={})
        self.workloads = dict((k, dict(count=0, replicas=0, cpu_request_m=0, memory_request_bytes=0))
                              for k in WORKLOAD_KINDS)
        self.services = dict(by_type={}, load_balancers=0, with_cloud_annotations=0)
        self.ingresses = dict(classes={}, ingress_classes=[], with_cloud_annotations=0)
        self.secrets_by_type = {}
        self.storage_classes = []
        self.pv = dict(count=0, capacity_bytes=0, by_class={}, local=0)
        self.pvc = dict(count=0, requested_bytes=0, by_class={}, bound=0)
        self.pvc_items = []
        self.crds = []
        self.hpa = dict(count=0, targets={})
        self.pdb = dict(count=0)
        self.images = {}
        self.daemonset_pods_per_node = dict(cpu_request_m=0, memory_request_bytes=0, count=0)
        self.largest_pod = dict(cpu_request_m=0, memory_request_bytes=0, ref=None)
        # observations for the findings rules
        self.obs = dict(
            host_path=Sample(), privileged=Sample(), host_network=Sample(), local_volumes=Sample(),
            node_selectors={}, lb_annotations={}, ingress_annotations={},
            stateful=Sample(), pvc_by_class={}, deprecated_usage={}, listed_through_removed={},
            sa_token_secrets=0, bare_pods=Sample(), kind_objects={},
        )
        self._lock = threading.Lock()

    # -- dispatch -------------------------------------------------------
    def add(self, kind, obj, api_version=None):
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            handler = getattr(self, "_add_" + kind, None)
            if handler is not None:
                handler(obj)
            if api_version:
                self._api_usage(kind, obj, api_version)

    def add_custom(self, crd_name, count):
        with self._lock:
            for crd in self.crds:
                if crd["name"] == crd_name:
                    crd["count"] = count

    def _ns(self, name):
        entry = self.namespaces.get(name)
        if entry is None:
            entry = dict(workloads=0, pods=0, replicas=0, cpu_request_m=0, memory_request_bytes=0, services=0,
                         configmaps=0, secrets=0, pvcs=0, pvc_bytes=0)
            self.namespaces[name] = entry
        return entry

    def _ns_of(self, obj):
        return (obj.get("metadata") or {}).get("namespace")

    # -- API usage --------------------------------------------------------
    def _api_usage(self, kind, obj, api_version):
        """Remember objects last written through an API version in the removal table."""
        removed = _REMOVED_BY_KIND.get(kind)
        if not removed:
            return
        self.obs["kind_objects"].setdefault(kind, Sample()).add(ref(kind, obj))
        meta = obj.get("metadata") or {}
        used = set()
        if api_version in removed:
            used.add(api_version)
        for entry in meta.get("managedFields") or []:
            if entry.get("apiVersion") in removed:
                used.add(entry["apiVersion"])
        last = (meta.get("annotations") or {}).get(LAST_APPLIED)
        if last:
            try:
                last_version = json.loads(last).get("apiVersion")
            except (ValueError, AttributeError):
                last_version = None
            if last_version in removed:
                used.add(last_version)
        for gv in used:
            self.obs["deprecated_usage"].setdefault((gv, kind), Sample()).add(ref(kind, obj))
        if api_version in removed:
            self.obs["listed_through_removed"][(api_version, kind)] = \
                self.obs["listed_through_removed"].get((api_version, kind), 0) + 1

    # -- kinds -------------------------------------------------------------
    def _add_Namespace(self, obj):
        self._ns((obj.get("metadata") or {}).get("name"))

    def _add_Node(self, obj):
        n = self.nodes
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        status = obj.get("status") or {}
        capacity = status.get("capacity") or {}
        allocatable = status.get("allocatable") or {}
        info = status.get("nodeInfo") or {}
        n["count"] += 1
        n["cpu_capacity_m"] += cpu_millicores(capacity.get("cpu"))
        n["memory_capacity_bytes"] += memory_bytes(capacity.get("memory"))
        n["cpu_allocatable_m"] += cpu_millicores(allocatable.get("cpu"))
        n["memory_allocatable_bytes"] += memory_bytes(allocatable.get("memory"))
        itype = labels.get("node.kubernetes.io/instance-type") or labels.get("beta.kubernetes.io/instance-type")
        zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone")
        region = labels.get("topology.kubernetes.io/region") or labels.get("failure-domain.beta.kubernetes.io/region")
        for bucket, value in (("instance_types", itype), ("zones", zone), ("regions", region),
                              ("os_images", info.get("osImage")), ("kernels", info.get("kernelVersion")),
                              ("container_runtimes", info.get("containerRuntimeVersion")),
                              ("kubelet_versions", info.get("kubeletVersion")),
                              ("architectures", info.get("architecture") or labels.get("kubernetes.io/arch"))):
            if value:
                n[bucket][value] = n[bucket].get(value, 0) + 1
        cloud = tables.provider_id_cloud((obj.get("spec") or {}).get("providerID")) or tables.instance_type_cloud(itype)
        for key in labels:
            label_cloud = tables.node_label_cloud(key)
            if label_cloud:
                n["cloud_label_keys"][key] = label_cloud
                cloud = cloud or label_cloud
        if cloud:
            n["providers"][cloud] = n["providers"].get(cloud, 0) + 1

    def _workload(self, kind, obj, pod_spec, replicas):
        ns = self._ns_of(obj)
        cpu, mem = pod_requests(pod_spec)
        w = self.workloads[kind]
        w["count"] += 1
        w["replicas"] += replicas
        w["cpu_request_m"] += cpu * replicas
        w["memory_request_bytes"] += mem * replicas
        entry = self._ns(ns)
        entry["workloads"] += 1
        entry["replicas"] += replicas
        entry["cpu_request_m"] += cpu * replicas
        entry["memory_request_bytes"] += mem * replicas
        name = ref(kind, obj)
        if kind != "DaemonSet" and cpu > self.largest_pod["cpu_request_m"]:
            self.largest_pod.update(cpu_request_m=cpu, ref=name)
        if kind != "DaemonSet" and mem > self.largest_pod["memory_request_bytes"]:
            self.largest_pod["memory_request_bytes"] = mem
        self._pod_spec(kind, obj, name, pod_spec)
        return cpu, mem

    def _pod_spec(self, kind, obj, name, spec):
        spec = spec or {}
        for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            image = container.get("image")
            if image:
                entry = self.images.get(image)
                if entry is None:
                    entry = parse_image(image)
                    entry["image"] = image
                    entry["workloads"] = 0
                    self.images[image] = entry
                entry["workloads"] += 1
            sc = container.get("securityContext") or {}
            if sc.get("privileged"):
                self.obs["privileged"].add("%s (container %s)" % (name, container.get("name")))
        if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
            what = [k for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
            self.obs["host_network"].add("%s (%s)" % (name, ", ".join(what)))
        for volume in spec.get("volumes") or []:
            if volume.get("hostPath"):
                self.obs["host_path"].add("%s (volume %s: %s)" % (name, volume.get("name"),
                                                                  volume["hostPath"].get("path")))
        for key, value in sorted((spec.get("nodeSelector") or {}).items()):
            self._node_key(name, key, value, True)
        affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        required = (affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
        for term in required.get("nodeSelectorTerms") or []:
            for expr in term.get("matchExpressions") or []:
                self._node_key(name, expr.get("key"), ",".join(expr.get("values") or []), True)
        for pref in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            for expr in (pref.get("preference") or {}).get("matchExpressions") or []:
                self._node_key(name, expr.get("key"), ",".join(expr.get("values") or []), False)

    def _node_key(self, name, key, value, required):
        if not key:
            return
        cloud = tables.node_label_cloud(key)
        if cloud is None and key in tables.CLOUD_VALUED_NODE_LABELS:
            cloud = tables.instance_type_cloud(value) or "cloud-specific value"
        if cloud:
            entry = self.obs["node_selectors"].get((key, required))
            if entry is None:
                entry = dict(key=key, required=required, cloud=cloud, objects=Sample())
                self.obs["node_selectors"][(key, required)] = entry
            entry["objects"].add("%s (%s=%s)" % (name, key, value))

    def _add_Deployment(self, obj):
        spec = obj.get("spec") or {}
        replicas = spec.get("replicas", 1) if spec.get("replicas") is not None else 1
        self._workload("Deployment", obj, (spec.get("template") or {}).get("spec"), replicas)

    def _add_StatefulSet(self, obj):
        spec = obj.get("spec") or {}
        replicas = spec.get("replicas") if spec.get("replicas") is not None else 1
        self._workload("StatefulSet", obj, (spec.get("template") or {}).get("spec"), replicas)
        templates = spec.get("volumeClaimTemplates") or []
        if templates:
            size = 0
            for tpl in templates:
                size += memory_bytes((((tpl.get("spec") or {}).get("resources") or {}).get("requests") or {})
                                     .get("storage"))
            self.obs["stateful"].add(dict(object=ref("StatefulSet", obj), replicas=replicas,
                                          volume_claim_templates=len(templates), bytes_per_replica=size))

    def _add_DaemonSet(self, obj):
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        replicas = status.get("desiredNumberScheduled") or 0
        cpu, mem = self._workload("DaemonSet", obj, (spec.get("template") or {}).get("spec"), replicas)
        d = self.daemonset_pods_per_node
        d["count"] += 1
        d["cpu_request_m"] += cpu
        d["memory_request_bytes"] += mem

    def _add_Job(self, obj):
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        owned = any(o.get("kind") == "CronJob" for o in (obj.get("metadata") or {}).get("ownerReferences") or [])
        running = status.get("active") or 0
        self._workload("Job", obj, (spec.get("template") or {}).get("spec"), running)
        if owned:
            self.workloads["Job"].setdefault("owned_by_cronjob", 0)
            self.workloads["Job"]["owned_by_cronjob"] += 1

    def _add_CronJob(self, obj):
        spec = obj.get("spec") or {}
        job = ((spec.get("jobTemplate") or {}).get("spec") or {})
        self._workload("CronJob", obj, (job.get("template") or {}).get("spec"), 0)

    def _add_Pod(self, obj):
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace")
        self._ns(ns)["pods"] += 1
        if not meta.get("ownerReferences"):
            phase = (obj.get("status") or {}).get("phase")
            running = 0 if phase in ("Succeeded", "Failed") else 1
            self._workload("Pod", obj, obj.get("spec"), running)
            self.obs["bare_pods"].add(ref("Pod", obj))

    def _add_Service(self, obj):
        spec = obj.get("spec") or {}
        stype = spec.get("type") or "ClusterIP"
        s = self.services
        s["by_type"][stype] = s["by_type"].get(stype, 0) + 1
        self._ns(self._ns_of(obj))["services"] += 1
        if stype == "LoadBalancer":
            s["load_balancers"] += 1
        found = self._cloud_annotations("Service", obj, "lb_annotations")
        if found:
            s["with_cloud_annotations"] += 1

    def _cloud_annotations(self, kind, obj, bucket):
        """Record another cloud's annotations, grouped by key (exact counts, sampled objects)."""
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        found = False
        for key in sorted(annotations):
            cloud = tables.lb_annotation_cloud(key)
            if not cloud:
                continue
            found = True
            value = str(annotations[key])[:200]
            entry = self.obs[bucket].get(key)
            if entry is None:
                ctyun_key, _value, advice = tables.lb_annotation_advice(key, value)
                entry = dict(key=key, cloud=cloud, ctyun_key=ctyun_key, advice=advice, values={}, objects=Sample())
                self.obs[bucket][key] = entry
            entry["objects"].add(ref(kind, obj))
            if value in entry["values"] or len(entry["values"]) < 20:
                entry["values"][value] = tables.lb_annotation_advice(key, value)[1]
        return found

    def _add_Ingress(self, obj):
        spec = obj.get("spec") or {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        cls = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class") or "(default)"
        self.ingresses["classes"][cls] = self.ingresses["classes"].get(cls, 0) + 1
        if self._cloud_annotations("Ingress", obj, "ingress_annotations"):
            self.ingresses["with_cloud_annotations"] += 1

    def _add_IngressClass(self, obj):
        self.ingresses["ingress_classes"].append(dict(name=(obj.get("metadata") or {}).get("name"),
                                                      controller=(obj.get("spec") or {}).get("controller")))

    def _add_ConfigMap(self, obj):
        self._ns(self._ns_of(obj))["configmaps"] += 1

    def _add_Secret(self, obj):
        # Only the type is read (absent from metadata-only answers); data is never looked at.
        stype = obj.get("type") or "(metadata only)"
        self.secrets_by_type[stype] = self.secrets_by_type.get(stype, 0) + 1
        self._ns(self._ns_of(obj))["secrets"] += 1

    def _add_StorageClass(self, obj):
        meta = obj.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        provisioner = obj.get("provisioner")
        cloud, category = tables.classify_storage_class(provisioner, obj.get("parameters"))
        self.storage_classes.append(dict(
            name=meta.get("name"), provisioner=provisioner, cloud=cloud, category=category,
            parameters=dict((k, str(v)) for k, v in sorted((obj.get("parameters") or {}).items())),
            reclaim_policy=obj.get("reclaimPolicy") or "Delete",
            volume_binding_mode=obj.get("volumeBindingMode") or "Immediate",
            allow_volume_expansion=bool(obj.get("allowVolumeExpansion")),
            default=(annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
                     or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true")))

    def _add_PersistentVolume(self, obj):
        spec = obj.get("spec") or {}
        size = memory_bytes((spec.get("capacity") or {}).get("storage"))
        cls = spec.get("storageClassName") or "(none)"
        self.pv["count"] += 1
        self.pv["capacity_bytes"] += size
        self.pv["by_class"][cls] = self.pv["by_class"].get(cls, 0) + 1
        if spec.get("local") or spec.get("hostPath"):
            self.pv["local"] += 1
            self.obs["local_volumes"].add("%s (%s)" % (ref("PersistentVolume", obj),
                                                       "local" if spec.get("local") else "hostPath"))

    def _add_PersistentVolumeClaim(self, obj):
        spec = obj.get("spec") or {}
        size = memory_bytes(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
        cls = spec.get("storageClassName")
        if cls is None:
            cls = "(default)"
        self.pvc["count"] += 1
        self.pvc["requested_bytes"] += size
        entry = self.pvc["by_class"].setdefault(cls, dict(count=0, bytes=0))
        entry["count"] += 1
        entry["bytes"] += size
        if (obj.get("status") or {}).get("phase") == "Bound":
            self.pvc["bound"] += 1
        meta = obj.get("metadata") or {}
        self.pvc_items.append(dict(namespace=meta.get("namespace"), name=meta.get("name"),
                                   size=((spec.get("resources") or {}).get("requests") or {}).get("storage"),
                                   requested_bytes=size, storage_class=spec.get("storageClassName"),
                                   access_modes=sorted(spec.get("accessModes") or []),
                                   volume_name=spec.get("volumeName"), phase=(obj.get("status") or {}).get("phase")))
        ns = self._ns(self._ns_of(obj))
        ns["pvcs"] += 1
        ns["pvc_bytes"] += size
        self.obs["pvc_by_class"].setdefault(cls, Sample()).add(
            "%s (%s)" % (ref("PersistentVolumeClaim", obj),
                         ((spec.get("resources") or {}).get("requests") or {}).get("storage", "?")))

    def _add_HorizontalPodAutoscaler(self, obj):
        self.hpa["count"] += 1
        target = ((obj.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") or "?"
        self.hpa["targets"][target] = self.hpa["targets"].get(target, 0) + 1

    def _add_PodDisruptionBudget(self, obj):
        self.pdb["count"] += 1

    def _add_CustomResourceDefinition(self, obj):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        versions = spec.get("versions") or []
        served = [v.get("name") for v in versions if v.get("served", True)]
        storage = [v.get("name") for v in versions if v.get("storage")]
        version = (storage[0] if storage and storage[0] in served else (served[0] if served else spec.get("version")))
        self.crds.append(dict(name=(obj.get("metadata") or {}).get("name"), group=spec.get("group"),
                              kind=names.get("kind"), plural=names.get("plural"), scope=spec.get("scope"),
                              version=version, served_versions=served, count=None))

    # -- result ---------------------------------------------------------------
    def facts(self):
        """JSON-serialisable aggregates (no findings, no proposal)."""
        workloads = dict(by_kind=self.workloads)
        workloads["total"] = sum(w["count"] for w in self.workloads.values())
        workloads["replicas_total"] = sum(w["replicas"] for k, w in self.workloads.items())
        workloads["cpu_request_m"] = sum(w["cpu_request_m"] for w in self.workloads.values())
        workloads["memory_request_bytes"] = sum(w["memory_request_bytes"] for w in self.workloads.values())
        workloads["daemonset_per_node"] = dict(self.daemonset_pods_per_node)
        workloads["largest_pod"] = dict(self.largest_pod)
        workloads["privileged"] = self.obs["privileged"].total
        workloads["host_network"] = self.obs["host_network"].total
        workloads["host_path"] = self.obs["host_path"].total
        workloads["bare_pods"] = self.obs["bare_pods"].total
        images = sorted(self.images.values(), key=lambda i: i["image"])
        registries = {}
        for image in images:
            registries[image["registry"]] = registries.get(image["registry"], 0) + 1
        repositories = set((i["registry"], i["repository"]) for i in images)
        return dict(
            version=self.version,
            api=dict(group_versions=sorted(self.group_versions), listed_versions=self.listed_versions),
            counts=dict(sorted(self.counts.items())),
            namespaces=dict(count=len(self.namespaces), names=sorted(n for n in self.namespaces if n),
                            by_namespace=dict(sorted((k, v) for k, v in self.namespaces.items() if k))),
            nodes=self.nodes,
            workloads=workloads,
            services=dict(self.services, count=self.counts.get("Service", 0)),
            ingresses=dict(self.ingresses, count=self.counts.get("Ingress", 0),
                           ingress_classes=sorted(self.ingresses["ingress_classes"], key=lambda c: c["name"] or "")),
            config=dict(configmaps=self.counts.get("ConfigMap", 0), secrets=self.counts.get("Secret", 0),
                        secrets_by_type=dict(sorted(self.secrets_by_type.items())),
                        service_accounts=self.counts.get("ServiceAccount", 0)),
            storage=dict(storage_classes=sorted(self.storage_classes, key=lambda s: s["name"] or ""),
                         persistent_volumes=self.pv,
                         persistent_volume_claims=dict(self.pvc, items=sorted(
                             self.pvc_items, key=lambda p: (p["namespace"] or "", p["name"] or "")))),
            crds=dict(count=len(self.crds), custom_resources=sum(c["count"] or 0 for c in self.crds),
                      items=sorted(self.crds, key=lambda c: c["name"] or "")),
            hpa=self.hpa,
            pdb=self.pdb,
            images=dict(unique=len(images), repositories=len(repositories),
                        registries=dict(sorted(registries.items())), items=images),
        )


class Collector(object):
    """Reads one cluster with GET requests only, page by page, into an :class:`Inventory`."""

    def __init__(self, rest, page_size=500, concurrency=4, timeout=60):
        self.rest = rest  # a k8s.rest.Rest: the collection's retry policy, any supported client
        self.page_size = int(page_size)
        self.concurrency = max(1, int(concurrency))
        self.timeout = timeout
        self.requests = 0
        self.pages = 0
        self._count_lock = threading.Lock()

    # -- HTTP ---------------------------------------------------------------
    def get(self, path, query=None, accept="application/json"):
        """GET ``path`` and return the decoded JSON body; raise :class:`ApiError` on failure."""
        with self._count_lock:
            self.requests += 1
        return self.rest.request("GET", path, query=list(query or []), accept=accept)

    def pages_of(self, path, metadata_only=False):
        """Yield the items of each page of a list, following ``continue`` tokens."""
        token = None
        accept = METADATA_ACCEPT if metadata_only else "application/json"
        while True:
            query = [("limit", self.page_size)]
            if token:
                query.append(("continue", token))
            page = self.get(path, query, accept=accept)
            with self._count_lock:
                self.pages += 1
            items = page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            yield page.get("apiVersion"), items
            del items, page
            if not token:
                return

    # -- discovery ----------------------------------------------------------
    def discover(self, inventory, extra_group_versions=()):
        version = self.get("/version")
        inventory.version = dict(git_version=version.get("gitVersion"), major=version.get("major"),
                                 minor=version.get("minor"), platform=version.get("platform"))
        group_versions = []
        core = self.get("/api")
        group_versions += list(core.get("versions") or ["v1"])
        groups = self.get("/apis")
        for group in groups.get("groups") or []:
            for v in group.get("versions") or []:
                group_versions.append(v.get("groupVersion"))
        inventory.group_versions = sorted(set(group_versions))
        wanted = set(["v1"])
        for _kind, group, versions, _plural, _ns, _meta in KINDS:
            for v in versions:
                wanted.add("%s/%s" % (group, v) if group else v)
        for row in tables.REMOVED_APIS:
            wanted.add(row["group_version"])
        wanted.update(extra_group_versions)
        to_read = sorted(gv for gv in wanted if gv in inventory.group_versions)

        def resources(gv):
            path = "/api/v1" if gv == "v1" else "/apis/%s" % gv
            try:
                doc = self.get(path)
            except ApiError as exc:
                if exc.status in (404, 503):
                    return gv, set()
                raise
            return gv, set(r.get("name") for r in doc.get("resources") or [] if "/" not in (r.get("name") or ""))

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for gv, names in pool.map(resources, to_read):
                inventory.served[gv] = names

    def _choose(self, inventory, group, versions, plural):
        for v in versions:
            gv = "%s/%s" % (group, v) if group else v
            if plural in inventory.served.get(gv, ()):
                return gv
        return None

    # -- listing ------------------------------------------------------------
    def collect(self, inventory):
        """Discovery, then every kind of :data:`KINDS`, then custom resource counts."""
        self.discover(inventory)
        jobs = []
        for kind, group, versions, plural, _namespaced, metadata_only in KINDS:
            gv = self._choose(inventory, group, versions, plural)
            if gv is None:
                continue
            inventory.listed_versions[kind] = gv
            inventory.counts.setdefault(kind, 0)
            path = ("/api/v1/%s" % plural) if gv == "v1" else "/apis/%s/%s" % (gv, plural)
            jobs.append((kind, path, metadata_only))

        def run(job):
            kind, path, metadata_only = job
            gv = inventory.listed_versions[kind]
            for _list_version, items in self.pages_of(path, metadata_only=metadata_only):
                for item in items:
                    inventory.add(kind, item, api_version=gv)
            return kind

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            list(pool.map(run, jobs))
        self.count_custom_resources(inventory)
        return inventory

    def count_custom_resources(self, inventory):
        def count(crd):
            if not crd.get("group") or not crd.get("version") or not crd.get("plural"):
                return crd["name"], None
            path = "/apis/%s/%s/%s" % (crd["group"], crd["version"], crd["plural"])
            total = 0
            try:
                for _v, items in self.pages_of(path, metadata_only=True):
                    total += len(items)
            except ApiError as exc:
                if exc.status in (404, 503):
                    return crd["name"], None
                raise
            return crd["name"], total

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for name, total in pool.map(count, list(inventory.crds)):
                inventory.add_custom(name, total)
