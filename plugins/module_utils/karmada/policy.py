# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Build Karmada policies from convenience options, and plan the change to an existing one.

Pure functions: ``build_*`` return the wanted object, ``plan`` compares it with what exists and
returns the action and the minimal merge patch (only fields that differ).
"""

from __future__ import annotations

import copy

from ..common.errors import ValidationError
from .dependencies import pod_spec

API_VERSION = "policy.karmada.io/v1alpha1"
PROPAGATION_KINDS = ("PropagationPolicy", "ClusterPropagationPolicy")
OVERRIDE_KINDS = ("OverridePolicy", "ClusterOverridePolicy")


def selector(api_version, kind, name=None, namespace=None, label_selector=None):
    out = {"apiVersion": api_version, "kind": kind}
    if name:
        out["name"] = name
    if namespace:
        out["namespace"] = namespace
    if label_selector:
        out["labelSelector"] = label_selector
    return out


def parse_label_selector(text):
    """``a=b,c=d`` (or a dict) -> LabelSelector with matchLabels; ``None`` when empty."""
    if not text:
        return None
    if isinstance(text, dict):
        return text if ("matchLabels" in text or "matchExpressions" in text) else {"matchLabels": text}
    labels = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return None
        labels[key.strip()] = value.strip().lstrip("=")
    return {"matchLabels": labels}


def propagation_spec(resource_selectors, cluster_names=None, replica_scheduling=None, weights=None,
                     conflict_resolution=None, priority=None, preserve_resources_on_deletion=None,
                     propagate_deps=None, scheduler_name=None):
    spec = {"resourceSelectors": copy.deepcopy(resource_selectors)}
    placement = {}
    if cluster_names:
        placement["clusterAffinity"] = {"clusterNames": list(cluster_names)}
    if replica_scheduling == "Duplicated":
        placement["replicaScheduling"] = {"replicaSchedulingType": "Duplicated"}
    elif replica_scheduling == "Divided":
        # Karmada requires weight >= 1; a cluster given weight 0 is simply left out of the list,
        # which gives it weight 0 (pkg/scheduler/core/division_algorithm.go getStaticWeightInfoList)
        rs = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
        if weights:
            rs["weightPreference"] = {"staticWeightList": [
                {"targetCluster": {"clusterNames": [name]}, "weight": int(weight)}
                for name, weight in sorted(weights.items()) if int(weight) > 0]}
        placement["replicaScheduling"] = rs
    spec["placement"] = placement
    if conflict_resolution:
        spec["conflictResolution"] = conflict_resolution
    if priority is not None:
        spec["priority"] = int(priority)
    if preserve_resources_on_deletion is not None:
        spec["preserveResourcesOnDeletion"] = bool(preserve_resources_on_deletion)
    if propagate_deps is not None:
        spec["propagateDeps"] = bool(propagate_deps)
    if scheduler_name:
        spec["schedulerName"] = scheduler_name
    return spec


def build(kind, name, namespace, spec, labels=None):
    obj = {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}
    if kind in ("PropagationPolicy", "OverridePolicy"):
        obj["metadata"]["namespace"] = namespace
    if labels:
        obj["metadata"]["labels"] = dict(labels)
    return obj


def registry_overriders(registry_map):
    """imageOverrider rules for a list of ``{from, to}`` image prefixes.

    Karmada's imageOverrider (pkg/util/overridemanager/imageoverride.go) replaces a *component*
    (Registry, Repository or Tag) of every container image of the selected objects; it cannot test
    the current value or replace a prefix of the repository. So the one rule the collection can
    write honestly is "registry host A becomes host B" for all images, and the map must say
    exactly that: every entry keeps its repository path, and all entries go to one target host.
    Anything else would rewrite images that were never copied, so it fails here, before any call.
    """
    hosts = []
    for i, entry in enumerate(registry_map or []):
        src_host, dummy, src_path = entry["from"].partition("/")
        dst_host, dummy, dst_path = entry["to"].partition("/")
        if src_path != dst_path:
            raise ValidationError(
                "registry_map[%d]: %s -> %s changes the repository path, which Karmada's imageOverrider cannot "
                "express per image (it replaces the registry of every image of the selected workloads); keep "
                "repository paths when copying images (image_sync without a path-changing repository_map) or "
                "write per-workload rules with the spec option" % (i, entry["from"], entry["to"]))
        if src_host != dst_host and dst_host not in hosts:
            hosts.append(dst_host)
    if len(hosts) > 1:
        raise ValidationError("registry_map: images go to more than one registry host (%s); one OverridePolicy "
                              "can only rewrite every image to one host: split the workloads with "
                              "resource_selectors, one policy per target host" % ", ".join(hosts))
    return [{"component": "Registry", "operator": "replace", "value": hosts[0]}] if hosts else []


# buildPatchesWithEmptyPredicate / extractPatchesBy (pkg/util/overridemanager/imageoverride.go):
# an imageOverrider without a predicate rewrites the images of ``containers`` of these kinds only,
# not init or ephemeral containers, and no other kind (a CronJob's images stay as they are)
IMAGE_OVERRIDE_KINDS = ("Pod", "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job")


def images_not_rewritten(templates, registry_map):
    """What the registry rule of ``registry_map`` (registry_overriders) leaves to the source
    registry on the target: ``[{kind, namespace, name, container, image, reason}]``.

    Karmada's imageOverrider without a predicate rewrites only the ``containers`` of the kinds in
    IMAGE_OVERRIDE_KINDS; and an image with both a tag and a digest comes out with the tag only
    (Parse, pkg/util/imageparser/parser.go, keeps the tag and drops the digest), so the target
    pulls by tag what the source pinned by digest."""
    hosts = set()
    for entry in registry_map or []:
        src_host, dst_host = entry["from"].partition("/")[0], entry["to"].partition("/")[0]
        if src_host != dst_host:
            hosts.add(src_host)
    out = []
    for obj in templates:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        pod = pod_spec(obj)
        for field in ("containers", "initContainers", "ephemeralContainers"):
            for container in pod.get(field) or []:
                image = container.get("image") or ""
                if "/" not in image or image.partition("/")[0] not in hosts:
                    continue
                if kind not in IMAGE_OVERRIDE_KINDS:
                    reason = "Karmada's imageOverrider does not rewrite the images of a %s" % kind
                elif field != "containers":
                    reason = "Karmada's imageOverrider does not rewrite %s" % field
                elif "@" in image and ":" in image.split("@", 1)[0].rsplit("/", 1)[-1]:
                    reason = ("tag and digest: Karmada keeps the tag and drops the digest, so the target pulls "
                              "by tag")
                else:
                    continue
                out.append(dict(kind=kind, namespace=meta.get("namespace"), name=meta.get("name"),
                                container=container.get("name"), image=image, reason=reason))
    return out


def override_rules(target_cluster, registry_map=None, storage_class_map=None, annotation_removals=None,
                   annotation_additions=None):
    """overrideRules for the target member only (``targetCluster.clusterNames: [target]``)."""
    overriders = {}
    images = registry_overriders(registry_map)
    if images:
        overriders["imageOverrider"] = images
    if annotation_removals or annotation_additions:
        rules = []
        if annotation_removals:
            rules.append({"operator": "remove", "value": dict((k, "") for k in annotation_removals)})
        if annotation_additions:
            rules.append({"operator": "add", "value": dict(annotation_additions)})
        overriders["annotationsOverrider"] = rules
    return [{"targetCluster": {"clusterNames": [target_cluster]}, "overriders": overriders}] if overriders else []


def storage_class_rules(target_cluster, kind, current_class, storage_class_map):
    """plaintext rules that rewrite a PVC's (or StatefulSet claim template's) storage class."""
    wanted = (storage_class_map or {}).get(current_class)
    if not wanted:
        return []
    if kind == "PersistentVolumeClaim":
        path = "/spec/storageClassName"
    else:
        path = "/spec/volumeClaimTemplates/0/spec/storageClassName"
    return [{"targetCluster": {"clusterNames": [target_cluster]},
             "overriders": {"plaintext": [{"path": path, "operator": "replace", "value": wanted}]}}]


def _diff(current, wanted):
    """Merge patch setting every key of ``wanted`` that differs in ``current``."""
    if not isinstance(current, dict) or not isinstance(wanted, dict):
        return copy.deepcopy(wanted) if current != wanted else None
    patch = {}
    for key, value in wanted.items():
        if key not in current:
            patch[key] = copy.deepcopy(value)
            continue
        sub = _diff(current[key], value)
        if sub is not None and sub != {}:
            patch[key] = sub
    # keys only the server has (defaults Karmada's webhook fills in) are left alone, so a
    # re-run converges instead of fighting the defaults
    return patch if patch else None


NAMESPACED_POLICY_KINDS = ("PropagationPolicy", "OverridePolicy")


def with_server_defaults(obj):
    """``obj`` as Karmada stores it: what its mutating webhooks and CRD defaults fill in.

    The rules (comparing against them keeps re-runs ``unchanged`` on a real control plane):

    * ``pkg/webhook/propagationpolicy/mutating.go`` and ``pkg/webhook/overridepolicy/mutating.go``:
      "Set default namespace for all resource selector if not set" (the policy's namespace);
    * the same webhooks (propagation policies): ``helper.SetDefaultSpreadConstraints`` (a spread
      constraint without SpreadByField/SpreadByLabel gets ``spreadByField: cluster``, MinGroups 0
      becomes 1) and ``helper.SetReplicaDivisionPreferenceWeighted`` (Divided without a preference
      becomes Weighted);
    * ``pkg/apis/policy/v1alpha1/propagation_types.go`` kubebuilder defaults: ``replicaSchedulingType``
      Divided when ``replicaScheduling`` is given without it.

    Labels and finalizers the webhooks add on create (permanent id, ``karmada.io/propagation-policy-
    controller``) are server-only keys, which ``plan`` leaves alone anyway."""
    out = copy.deepcopy(obj)
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    # PropagationSpec.PropagateDeps is a plain bool with ``omitempty``
    # (pkg/apis/policy/v1alpha1/propagation_types.go): the server never stores ``false``
    if spec.get("propagateDeps") is False:
        spec.pop("propagateDeps")
    ns = (out.get("metadata") or {}).get("namespace")
    if out.get("kind") in NAMESPACED_POLICY_KINDS and ns:
        for sel in spec.get("resourceSelectors") or []:
            if isinstance(sel, dict) and not sel.get("namespace"):
                sel["namespace"] = ns
    placement = spec.get("placement")
    if out.get("kind") in PROPAGATION_KINDS and isinstance(placement, dict):
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
    return out


def same_selector(a, b, namespace=None):
    """Resource selectors equal once the webhook's namespace default is applied to both."""
    def norm(sel):
        sel = dict(sel)
        if namespace and not sel.get("namespace"):
            sel["namespace"] = namespace
        return sel
    return norm(a) == norm(b)


def plan(existing, wanted):
    """-> (action, patch): ``create``, ``update`` with a minimal merge patch of ``spec`` and
    labels, or ``none``.

    What the user asked for is compared with what the server holds after Karmada's webhook
    defaults (``with_server_defaults``), so a re-run against a real control plane is ``none``."""
    if existing is None:
        return "create", None
    patch = {}
    wanted = with_server_defaults(wanted)
    # the stored object through the same defaults: a server without the webhook holds the bare form
    spec_patch = _diff(with_server_defaults(existing).get("spec") or {}, wanted.get("spec") or {})
    if spec_patch:
        patch["spec"] = spec_patch
    labels = (wanted.get("metadata") or {}).get("labels")
    if labels:
        current = (existing.get("metadata") or {}).get("labels") or {}
        missing = dict((k, v) for k, v in labels.items() if current.get(k) != v)
        if missing:
            patch["metadata"] = {"labels": missing}
    return ("update", patch) if patch else ("none", None)


def comparable(obj):
    """The parts of a policy shown in a diff (no server-set metadata)."""
    if obj is None:
        return {}
    meta = obj.get("metadata") or {}
    out = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
           "metadata": dict((k, meta[k]) for k in ("name", "namespace", "labels") if k in meta)}
    if "spec" in obj:
        out["spec"] = obj["spec"]
    return out
