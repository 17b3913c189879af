"""Which (Cluster)PropagationPolicy claims a resource template.

Rules (``pkg/util/helper/policy.go``, ``pkg/detector/``, ``pkg/util/selector.go``):
- a selector matches on apiVersion + kind, then name (if set), namespace (if set) and labelSelector
  (if set; ignored when a name is given);
- implicit priority of the best matching selector: name match (3) > labelSelector match (2) >
  kind only (1);
- the policy with the highest explicit ``priority`` wins, then the highest implicit priority, then
  the policy name in ascending order;
- for a namespaced template, PropagationPolicies in its namespace are considered before
  ClusterPropagationPolicies.
"""

from __future__ import annotations

from ..kubesim.store import match_label_selector

PRIORITY_NAME, PRIORITY_LABELS, PRIORITY_ALL = 3, 2, 1


def selector_priority(sel, template, policy=None):
    """Implicit priority of a resourceSelector against a template (0 = no match)."""
    if sel.get("apiVersion") != template.get("apiVersion") or sel.get("kind") != template.get("kind"):
        return 0
    meta = template["metadata"]
    if sel.get("namespace") and sel["namespace"] != meta.get("namespace"):
        return 0
    if sel.get("name"):
        return PRIORITY_NAME if sel["name"] == meta["name"] else 0
    if sel.get("labelSelector") is not None:
        return PRIORITY_LABELS if match_label_selector(meta.get("labels"), sel["labelSelector"]) else 0
    return PRIORITY_ALL


def selector_matches(sel, template, policy=None):
    return selector_priority(sel, template, policy) > 0


def best_policy(policies, template):
    best, best_key = None, None
    for policy in policies:
        if policy["metadata"].get("deletionTimestamp"):
            continue
        implicit = max([selector_priority(s, template, policy)
                        for s in (policy.get("spec") or {}).get("resourceSelectors") or []] + [0])
        if implicit == 0:
            continue
        key = (-int((policy.get("spec") or {}).get("priority") or 0), -implicit, policy["metadata"]["name"])
        if best_key is None or key < best_key:
            best, best_key = policy, key
    return best
