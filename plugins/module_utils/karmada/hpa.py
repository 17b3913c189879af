# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""HorizontalPodAutoscalers that travel with the workloads they scale.

Rules followed (Karmada v1.18, Kubernetes v1.35):

* ``resourcetemplate.karmada.io/retain-replicas: "true"`` (``RetainReplicasLabel`` /
  ``RetainReplicasValue``, ``pkg/util/constants.go``) on a resource template makes the execution
  controller keep the member's ``spec.replicas`` on every update (``retainWorkloadReplicas``,
  ``pkg/resourceinterpreter/default/native/retain.go``, called by ``objectWatcherImpl.Update`` in
  ``pkg/util/objectwatcher/objectwatcher.go``). The default interpreter registers that retention for
  ``apps/v1`` Deployment only (``getAllDefaultRetentionInterpreter``): on a StatefulSet the label
  does nothing and Karmada keeps writing its division.
* Karmada's ``hpaScaleTargetMarker`` controller would add the label to the scale target of a
  propagated HPA, but it is disabled by default (``controllersDisabledByDefault``,
  ``cmd/controller-manager/app/controllermanager.go``), so the collection sets it on the template
  itself. A label is not a pod-template change: no pod restarts.
* An HPA has no replica interpreter (``getAllDefaultReplicaInterpreter``,
  ``pkg/resourceinterpreter/default/native/replica.go``), so the scheduler places it on every
  candidate cluster of the placement without dividing anything (``AssignReplicas``,
  ``pkg/scheduler/core/common.go``).
* ``autoscaling/v2beta2`` and ``autoscaling/v2`` share the spec, except ``behavior.scaleUp/scaleDown
  .tolerance`` (v2 only), which a v2beta2 read carries in the annotations
  ``autoscaling.alpha.kubernetes.io/scale-{down,up}-tolerance``
  (``Convert_v2beta2_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler``,
  ``pkg/apis/autoscaling/v2beta2/conversion.go``). The template is always written as v2.
"""

from __future__ import annotations

import copy

from ..common.errors import NotFoundError
from ..k8s.rest import path_for

KIND = "HorizontalPodAutoscaler"
V2 = "autoscaling/v2"
V2BETA2 = "autoscaling/v2beta2"
RETAIN_LABEL = "resourcetemplate.karmada.io/retain-replicas"
RETAIN_VALUE = "true"
# kinds Karmada's default interpreter retains replicas for (retain.go)
RETAINED_KINDS = ("Deployment",)
SCALED_KINDS = ("Deployment", "StatefulSet")
TOLERANCE_ANNOTATIONS = (("scaleDown", "autoscaling.alpha.kubernetes.io/scale-down-tolerance"),
                         ("scaleUp", "autoscaling.alpha.kubernetes.io/scale-up-tolerance"))


def to_v2(hpa):
    """A copy of ``hpa`` as ``autoscaling/v2`` (from v2 or v2beta2)."""
    out = copy.deepcopy(hpa)
    version = out.get("apiVersion") or V2
    out["apiVersion"] = V2
    out["kind"] = KIND
    if version == V2BETA2:
        ann = (out.get("metadata") or {}).get("annotations") or {}
        for section, key in TOLERANCE_ANNOTATIONS:
            if key in ann:
                behavior = out.setdefault("spec", {}).setdefault("behavior", {}) or {}
                out["spec"]["behavior"] = behavior
                rules = behavior.setdefault(section, {}) or {}
                behavior[section] = rules
                rules["tolerance"] = ann.pop(key)
        if "annotations" in (out.get("metadata") or {}) and not out["metadata"]["annotations"]:
            out["metadata"].pop("annotations")
    return out


def scale_target(hpa):
    """``(kind, name)`` of the Deployment or StatefulSet the HPA scales, else None."""
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    group = (ref.get("apiVersion") or "").rpartition("/")[0] if "/" in (ref.get("apiVersion") or "") else ""
    if group != "apps" or ref.get("kind") not in SCALED_KINDS or not ref.get("name"):
        return None
    return ref["kind"], ref["name"]


def bounds(hpa):
    """``(minReplicas, maxReplicas)``; minReplicas defaults to 1 (SetDefaults_HorizontalPodAutoscaler)."""
    spec = hpa.get("spec") or {}
    low = spec.get("minReplicas")
    return (1 if low is None else int(low)), int(spec.get("maxReplicas") or 1)


def list_hpas(client, ns):
    """The namespace's HPAs as v2: read as autoscaling/v2 when served, else autoscaling/v2beta2
    (a source before Kubernetes 1.23) and converted."""
    try:
        items = list(client.iter_list(path_for(KIND, ns)))
        version = V2
    except NotFoundError:
        items = list(client.iter_list(path_for(KIND, ns, api_version=V2BETA2)))
        version = V2BETA2
    out = []
    for item in items:
        item.setdefault("apiVersion", version)
        item.setdefault("kind", KIND)
        out.append(to_v2(item))
    return out


def companions(member, objects, lists=None):
    """{workload key ``Kind/ns/name``: [HPA objects as v2]} for the Deployments and StatefulSets in
    ``objects``, from one HPA list per namespace of the member. HPAs made by a controller
    (ownerReferences) are left out, as for any promoted object."""
    wanted = set()
    for obj in objects:
        if obj.get("kind") in SCALED_KINDS:
            wanted.add((obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]))
    spaces = sorted(set(ns for dummy, ns, dummy2 in wanted if ns))
    if lists is None:
        listed = [list_hpas(member, ns) for ns in spaces]
    else:
        listed = lists(spaces)
    out = {}
    for ns, items in zip(spaces, listed):
        for item in sorted(items, key=lambda h: h["metadata"]["name"]):
            if item["metadata"].get("ownerReferences"):
                continue
            target = scale_target(item)
            if target is None or (target[0], ns, target[1]) not in wanted:
                continue
            out.setdefault("%s/%s/%s" % (target[0], ns, target[1]), []).append(item)
    return out


def mark_retained(obj):
    """Put the retain-replicas label on a Deployment an HPA scales (in place). Returns False for a
    kind Karmada does not retain replicas for (StatefulSet): the caller warns."""
    if obj.get("kind") not in RETAINED_KINDS:
        return False
    obj.setdefault("metadata", {}).setdefault("labels", {})[RETAIN_LABEL] = RETAIN_VALUE
    return True


def retained(obj):
    return ((obj.get("metadata") or {}).get("labels") or {}).get(RETAIN_LABEL) == RETAIN_VALUE
