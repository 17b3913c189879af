"""OverridePolicy / ClusterOverridePolicy overriders (``pkg/util/overridemanager/``):
imageOverrider, plaintext, labelsOverrider, annotationsOverrider, per target cluster."""

from __future__ import annotations

import re

import jsonpatch
import jsonpointer

from ..kubesim.store import clone
from .matching import PRIORITY_ALL, implicit_priority, selector_matches
from .division import cluster_matches


# pkg/util/imageparser (parser.go, lifted.go): a reference with a tag and a digest keeps the tag
# only (Parse), and the Tag component sets or removes "the tag or the digest" (SetTagOrDigest,
# RemoveTagOrDigest); a value that is neither a valid tag nor a valid digest changes nothing
TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$")


def parse_image(image):
    rest, digest = (image.split("@", 1) + [None])[:2] if "@" in image else (image, None)
    registry = ""
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    tag = None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        rest, tag = rest.rsplit(":", 1)
    return {"Registry": registry, "Repository": rest, "Tag": tag, "digest": None if tag else digest}


def format_image(parts):
    out = parts["Repository"]
    if parts["Registry"]:
        out = parts["Registry"] + "/" + out
    if parts["Tag"]:
        return out + ":" + parts["Tag"]
    if parts["digest"]:
        return out + "@" + parts["digest"]
    return out


def _set_tag_or_digest(parts, value):
    if TAG_RE.match(value):
        parts["Tag"], parts["digest"] = value, None
    elif DIGEST_RE.match(value):
        parts["Tag"], parts["digest"] = None, value


def override_image(image, rule):
    parts = parse_image(image)
    comp = rule.get("component")
    op = rule.get("operator")
    value = rule.get("value") or ""
    if comp == "Tag":
        if op == "add":
            _set_tag_or_digest(parts, (parts["Tag"] or parts["digest"] or "") + value)
        elif op == "replace":
            _set_tag_or_digest(parts, value)
        elif op == "remove":
            if parts["Tag"]:
                parts["Tag"] = None
            else:
                parts["digest"] = None
    elif op == "add":
        parts[comp] = (parts[comp] or "") + value
    elif op == "remove":
        parts[comp] = ""
    elif op == "replace":
        parts[comp] = value
    return format_image(parts)


def pod_specs(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return [spec]
    if obj.get("kind") == "CronJob":
        return [((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get("spec") or {}]
    tmpl = spec.get("template") or {}
    return [tmpl.get("spec") or {}] if tmpl else []


# buildPatchesWithEmptyPredicate / extractPatchesBy (pkg/util/overridemanager/imageoverride.go):
# an imageOverrider without a predicate rewrites the images of ``containers`` (not init or
# ephemeral containers) of these kinds only; a predicate's path names one image, in any kind
IMAGE_OVERRIDE_KINDS = ("Pod", "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job")


def apply_image_overrider(manifest, rule):
    pred = rule.get("predicate") or {}
    if pred.get("path"):
        # buildPatchesWithPredicate: the image at the path (Karmada fails the Work when the path
        # is absent; the simulation leaves the manifest as it is)
        try:
            image = jsonpointer.resolve_pointer(manifest, pred["path"])
        except jsonpointer.JsonPointerException:
            return
        if isinstance(image, str) and image:
            jsonpointer.set_pointer(manifest, pred["path"], override_image(image, rule))
        return
    if manifest.get("kind") not in IMAGE_OVERRIDE_KINDS:
        return
    for pspec in pod_specs(manifest):
        for c in pspec.get("containers") or []:
            if c.get("image"):
                c["image"] = override_image(c["image"], rule)


def apply_overriders(manifest, overriders):
    """One policy's overriders, in Karmada's order (applyPolicyOverriders,
    pkg/util/overridemanager/overridemanager.go): image, command, args, labels, annotations,
    field, and the plaintext JSON patches last. Command, args and field overriders are not
    simulated. Edits ``manifest`` in place, but for the plaintext patches (a new object)."""
    for rule in overriders.get("imageOverrider") or []:
        apply_image_overrider(manifest, rule)
    for field, key in (("labelsOverrider", "labels"), ("annotationsOverrider", "annotations")):
        for rule in overriders.get(field) or []:
            meta = manifest.setdefault("metadata", {})
            # buildLabelAnnotationOverriderPatches (labelannotationoverrider.go): only add creates
            # the map; remove and replace skip a key the object does not have; add sets it
            current = meta.setdefault(key, {}) if rule.get("operator") == "add" else (meta.get(key) or {})
            for k, v in (rule.get("value") or {}).items():
                if rule.get("operator") == "remove":
                    current.pop(k, None)
                elif rule.get("operator") == "replace":
                    if k in current:
                        current[k] = v
                else:
                    current[k] = v
    ops = []
    for rule in overriders.get("plaintext") or []:
        op = {"op": rule["operator"], "path": rule["path"]}
        if rule["operator"] != "remove":
            # a copy: jsonpatch inserts the value by reference, and the next policies' overriders
            # (and the controller) edit the manifest in place; the value belongs to the stored
            # policy, and the manifest goes into a stored Work uncopied
            op["value"] = clone(rule.get("value"))
        ops.append(op)
    if ops:
        manifest = jsonpatch.apply_patch(manifest, ops)
    return manifest


def applicable(policy, template, cluster):
    """Overriders of ``policy`` that apply to ``template`` on ``cluster`` (in rule order)."""
    spec = policy.get("spec") or {}
    selectors = spec.get("resourceSelectors")
    if selectors and not any(selector_matches(s, template, policy) for s in selectors):
        return []
    # the deprecated targetCluster/overriders pair only when there are no overrideRules (the
    # webhook refuses both together); a rule without targetCluster applies to every cluster
    rules = spec.get("overrideRules") or [{"targetCluster": spec.get("targetCluster"),
                                           "overriders": spec.get("overriders")}]
    return [rule.get("overriders") or {} for rule in rules
            if not rule.get("targetCluster") or cluster_matches(cluster, rule["targetCluster"])]


def override_order(policies, template):
    """``policies`` (one scope: ClusterOverridePolicies, or a namespace's OverridePolicies) in the
    order Karmada applies them (getOverridersFromOverridePolicies, overridemanager.go): lower
    implicit priority first (no selectors counts as match-all), then by name; the last applied
    wins."""
    def key(policy):
        selectors = (policy.get("spec") or {}).get("resourceSelectors")
        return (implicit_priority(policy, template) if selectors else PRIORITY_ALL, policy["metadata"]["name"])
    return sorted(policies, key=key)


def apply_all(store, template, cluster, manifest):
    """(manifest with the overrides for ``cluster`` applied, names of the policies applied).
    ``manifest`` is the caller's own copy (clean_manifest) and is edited in place."""
    ns = template["metadata"].get("namespace")
    # ClusterOverridePolicies first, then the namespace's OverridePolicies (ApplyOverridePolicies)
    policies = override_order(store.iter_raw(("policy.karmada.io", "ClusterOverridePolicy")), template)
    if ns:
        policies += override_order(store.iter_raw(("policy.karmada.io", "OverridePolicy"), ns), template)
    applied = []
    for policy in policies:
        for overriders in applicable(policy, template, cluster):
            manifest = apply_overriders(manifest, overriders)
            applied.append(policy["metadata"]["name"])
    return manifest, applied
