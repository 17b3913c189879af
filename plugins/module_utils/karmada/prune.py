# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Turn a live member object into a resource template the way karmadactl promote does:
``pkg/resourceinterpreter/default/native/prune/prune.go`` RemoveIrrelevantFields, then the
conflict-resolution annotation promote adds (``pkg/karmadactl/promote/promote.go``).

The pod template is never touched: an identical template is what lets Karmada adopt the
running workload without replacing a pod.
"""

from __future__ import annotations

import copy

CONFLICT_ANNOTATION = "work.karmada.io/conflict-resolution"
OVERWRITE = "overwrite"
# RemoveIrrelevantFields: metadata fields set by the server, and status
METADATA_FIELDS = ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                   "managedFields", "resourceVersion", "selfLink", "uid", "ownerReferences", "finalizers")
# removeDeploymentIrrelevantField: utildeployment.RevisionAnnotation, RevisionHistoryAnnotation
DEPLOYMENT_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deployment.kubernetes.io/revision-history")
# removeGenerateSelectorOfJob: batchv1.ControllerUidLabel / JobNameLabel and their legacy names
JOB_SELECTOR_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
JOB_TEMPLATE_LABELS = ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid",
                       "batch.kubernetes.io/job-name")
# kubectl's client-side apply bookkeeping is not part of the desired state either
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SA_UID_ANNOTATION = "kubernetes.io/service-account.uid"
SELECTED_NODE = "volume.kubernetes.io/selected-node"


def _drop_empty(meta, key):
    if key in meta and not meta[key]:
        del meta[key]


def prune(obj):
    """A copy of ``obj`` with the fields Karmada removes from a resource template."""
    tpl = copy.deepcopy(obj)
    meta = tpl.setdefault("metadata", {})
    for field in METADATA_FIELDS:
        meta.pop(field, None)
    tpl.pop("status", None)
    kind = tpl.get("kind")
    ann = meta.get("annotations") or {}
    if kind == "Deployment":
        for key in DEPLOYMENT_ANNOTATIONS:
            ann.pop(key, None)
    elif kind == "Job":
        spec = tpl.get("spec") or {}
        if not spec.get("manualSelector"):
            match = (spec.get("selector") or {}).get("matchLabels")
            if match is not None:
                for key in JOB_SELECTOR_LABELS:
                    match.pop(key, None)
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
            if labels is not None:
                for key in JOB_TEMPLATE_LABELS:
                    labels.pop(key, None)
    elif kind == "ServiceAccount":
        prefix = "%s-token-" % meta.get("name", "")
        if tpl.get("secrets"):
            tpl["secrets"] = [s for s in tpl["secrets"] if not s.get("name", "").startswith(prefix)]
    elif kind == "Service":
        spec = tpl.get("spec") or {}
        if "clusterIP" in spec and spec["clusterIP"] != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    elif kind == "Secret":
        if tpl.get("type") == "kubernetes.io/service-account-token":
            ann.pop(SA_UID_ANNOTATION, None)
            tpl["data"] = None
    elif kind == "PersistentVolumeClaim":
        if ann.get(SELECTED_NODE):
            ann.pop(SELECTED_NODE, None)
    ann.pop(LAST_APPLIED, None)
    meta["annotations"] = ann
    _drop_empty(meta, "annotations")
    return tpl


# Labels/annotations Karmada's execution controller puts on the member objects it manages
# (pkg/apis/work/v1alpha2/well_known_constants.go, pkg/util/constants.go). They describe the
# propagation, not the workload, so a re-promotion of an adopted object leaves them out.
MEMBER_LABELS = ("karmada.io/managed", "work.karmada.io/permanent-id", "resourcebinding.karmada.io/permanent-id",
                 "clusterresourcebinding.karmada.io/permanent-id")
MEMBER_ANNOTATION_PREFIXES = ("work.karmada.io/name", "work.karmada.io/namespace", "resourcebinding.karmada.io/",
                              "clusterresourcebinding.karmada.io/", "resourcetemplate.karmada.io/")


# A bound claim's tie to its volume in the source cluster (set by the PV controller,
# pkg/controller/volume/persistentvolume/pv_controller.go in Kubernetes): annBindCompleted,
# annBoundByController, annStorageProvisioner and its beta name. Karmada keeps them in the template
# (prune.go only drops the selected-node annotation), so the copy on another cluster would ask for
# a volume that exists only in the source and stay Pending or Lost.
PVC_BIND_ANNOTATIONS = ("pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
                        "volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner")


def unbind_claim(tpl):
    """Drop a PersistentVolumeClaim's source binding (``spec.volumeName`` and the bind annotations)
    from a template, so each member binds its own volume. The source claim keeps its volume:
    Karmada's execution controller retains the member's ``spec.volumeName``
    (``retainPersistentVolumeClaimFields``, pkg/resourceinterpreter/default/native/retain.go) and the
    annotations the template does not carry."""
    if tpl.get("kind") != "PersistentVolumeClaim":
        return tpl
    (tpl.get("spec") or {}).pop("volumeName", None)
    ann = (tpl.get("metadata") or {}).get("annotations") or {}
    for key in PVC_BIND_ANNOTATIONS:
        ann.pop(key, None)
    _drop_empty(tpl.get("metadata") or {}, "annotations")
    return tpl


def to_template(member_obj):
    """Pruned object plus ``work.karmada.io/conflict-resolution: overwrite`` unless present; a
    claim's source binding is dropped (``unbind_claim``)."""
    tpl = unbind_claim(prune(member_obj))
    meta = tpl["metadata"]
    for key in MEMBER_LABELS:
        (meta.get("labels") or {}).pop(key, None)
    for key in list(meta.get("annotations") or {}):
        if key.startswith(MEMBER_ANNOTATION_PREFIXES):
            meta["annotations"].pop(key)
    _drop_empty(meta, "labels")
    ann = tpl["metadata"].setdefault("annotations", {})
    ann.setdefault(CONFLICT_ANNOTATION, OVERWRITE)
    return tpl
