"""Patch types of the Kubernetes API: JSON patch, JSON merge patch, strategic merge patch."""

from __future__ import annotations

import copy

import jsonpatch

# Strategic merge keys of the fields the lab's kinds use (from the Kubernetes API types'
# `patchMergeKey` tags). Lists not named here are replaced, as in Kubernetes.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
    "env": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name", "conditions": "type",
    "hostAliases": "ip", "volumeDevices": "devicePath", "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid",
}
PORT_KEYS = {"containerPort", "port"}


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _merge_key(field, items):
    if field in MERGE_KEYS:
        return MERGE_KEYS[field]
    if field == "ports" and items and isinstance(items[0], dict):
        for key in ("containerPort", "port"):
            if key in items[0]:
                return key
    return None


def strategic_merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key.startswith("$retainKeys") or key == "$patch":
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            out[field] = [v for v in out.get(field) or [] if v not in value]
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(out.get(key), value)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            mkey = _merge_key(key, value)
            current = out.get(key) if isinstance(out.get(key), list) else []
            if mkey is None:
                out[key] = copy.deepcopy(value)
                continue
            result = copy.deepcopy(current)
            for item in value:
                pos = next((i for i, cur in enumerate(result)
                            if isinstance(cur, dict) and cur.get(mkey) == item.get(mkey)), None)
                if item.get("$patch") == "delete":
                    if pos is not None:
                        result.pop(pos)
                    continue
                if pos is None:
                    result.append({k: v for k, v in item.items() if not k.startswith("$")})
                else:
                    result[pos] = strategic_merge(result[pos], item)
            out[key] = result
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_patch(content_type, target, patch):
    ctype = (content_type or "").split(";")[0].strip()
    if ctype == "application/json-patch+json":
        return jsonpatch.apply_patch(target, patch)
    if ctype == "application/merge-patch+json":
        return merge_patch(target, patch)
    if ctype == "application/strategic-merge-patch+json":
        return strategic_merge(target, patch)
    raise ValueError(ctype)
