"""The kinds each simulated API server serves.

Adding a kind is one ``Kind`` entry in ``BUILTIN`` plus, when only some versions of
Kubernetes serve it, the version range. Objects of one kind are stored once, whatever
API version they are read or written through (like etcd stores one version).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import yaml


@dataclass
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    subresources: tuple = ()
    short_names: tuple = ()
    min_minor: int = 0      # first Kubernetes 1.x minor serving this group/version
    max_minor: int = 999    # last Kubernetes 1.x minor serving it
    schema: dict | None = field(default=None, repr=False)   # openAPIV3Schema of a CRD
    verbs: tuple = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

    @property
    def group_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def gk(self):
        return (self.group, self.kind)


WORKLOAD_STATUS = ("status", "scale")

BUILTIN = [
    Kind("", "v1", "Namespace", "namespaces", False, ("status",), ("ns",)),
    Kind("", "v1", "Node", "nodes", False, ("status",), ("no",)),
    Kind("", "v1", "Pod", "pods", True, ("status",), ("po",)),
    Kind("", "v1", "Service", "services", True, ("status",), ("svc",)),
    Kind("", "v1", "ConfigMap", "configmaps", True, (), ("cm",)),
    Kind("", "v1", "Secret", "secrets", True, ()),
    Kind("", "v1", "ServiceAccount", "serviceaccounts", True, (), ("sa",)),
    Kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("status",), ("pvc",)),
    Kind("", "v1", "PersistentVolume", "persistentvolumes", False, ("status",), ("pv",)),
    Kind("", "v1", "Event", "events", True, (), ("ev",)),
    Kind("", "v1", "Endpoints", "endpoints", True, (), ("ep",)),
    Kind("", "v1", "ResourceQuota", "resourcequotas", True, ("status",), ("quota",)),
    Kind("", "v1", "LimitRange", "limitranges", True, (), ("limits",)),
    Kind("apps", "v1", "Deployment", "deployments", True, WORKLOAD_STATUS, ("deploy",)),
    Kind("apps", "v1", "ReplicaSet", "replicasets", True, WORKLOAD_STATUS, ("rs",)),
    Kind("apps", "v1", "StatefulSet", "statefulsets", True, WORKLOAD_STATUS, ("sts",)),
    Kind("apps", "v1", "DaemonSet", "daemonsets", True, ("status",), ("ds",)),
    Kind("apps", "v1", "ControllerRevision", "controllerrevisions", True, ()),
    Kind("batch", "v1", "Job", "jobs", True, ("status",)),
    Kind("batch", "v1", "CronJob", "cronjobs", True, ("status",), ("cj",), min_minor=21),
    Kind("batch", "v1beta1", "CronJob", "cronjobs", True, ("status",), ("cj",), max_minor=24),
    Kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True, (), (), min_minor=21),
    Kind("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("status",), ("ing",)),
    Kind("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, ()),
    Kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, (), ("netpol",)),
    Kind("extensions", "v1beta1", "Ingress", "ingresses", True, ("status",), ("ing",), max_minor=21),
    Kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("status",), ("pdb",), min_minor=21),
    Kind("policy", "v1beta1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("status",), ("pdb",),
         max_minor=24),
    Kind("policy", "v1beta1", "PodSecurityPolicy", "podsecuritypolicies", False, (), ("psp",), max_minor=24),
    Kind("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("status",), ("hpa",)),
    Kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("status",), ("hpa",),
         min_minor=23),
    Kind("autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("status",),
         ("hpa",), max_minor=25),
    Kind("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, (), ("sc",)),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles", True, ()),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, ()),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, ()),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False, ()),
    Kind("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, (), ("pc",)),
    Kind("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
         ("status",), ("crd", "crds")),
]

# Karmada's own cluster API (the CRDs of policy.karmada.io / work.karmada.io come from files).
KARMADA_EXTRA = [
    Kind("cluster.karmada.io", "v1alpha1", "Cluster", "clusters", False, ("status",)),
]


def crd_kinds(crd_dir):
    """Kinds (and the CRD objects) from Karmada's CRD files."""
    kinds, crds = [], []
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml"))):
        with open(path) as fh:
            crd = yaml.safe_load(fh)
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        crds.append(crd)
        # the storage version first: it is the group's preferred version, as Karmada serves it
        for ver in sorted(spec["versions"], key=lambda v: not v.get("storage", False)):
            if not ver.get("served", True):
                continue
            subs = tuple(sorted((ver.get("subresources") or {}).keys()))
            kinds.append(Kind(spec["group"], ver["name"], spec["names"]["kind"], spec["names"]["plural"],
                              spec.get("scope", "Namespaced") == "Namespaced", subs,
                              tuple(spec["names"].get("shortNames") or ()),
                              schema=(ver.get("schema") or {}).get("openAPIV3Schema")))
    return kinds, crds


class Registry:
    """Kinds served by one API server."""

    def __init__(self, minor, extra=()):
        self.kinds = [k for k in BUILTIN if k.min_minor <= minor <= k.max_minor] + list(extra)
        self.by_path = {}      # (group, version, plural) -> Kind
        self.by_gvk = {}       # (group, version, kind) -> Kind
        self.preferred = {}    # (group, kind) -> Kind (first listed version)
        for k in self.kinds:
            self.by_path[(k.group, k.version, k.plural)] = k
            self.by_gvk[(k.group, k.version, k.kind)] = k
            self.preferred.setdefault(k.gk, k)

    def groups(self):
        """{group: [versions]} in a stable order, preferred version first."""
        out = {}
        for k in self.kinds:
            versions = out.setdefault(k.group, [])
            if k.version not in versions:
                versions.append(k.version)
        return out

    def lookup(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        return self.by_gvk.get((group, version, kind))
