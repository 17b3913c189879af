"""Which (Cluster)PropagationPolicy claims a resource template.

Rules (``pkg/util/helper/policy.go``, ``pkg/detector/``, ``pkg/util/selector.go``):
- a selector matches on apiVersion + kind, then name (if set), namespace (if set) and labelSelector
  (if set; ignored when a name is given);
- implicit priority of the best matching selector: name match (3) > labelSelector match (2) >
  kind only (1);
- the policy with the highest explicit ``priority`` wins, then the highest implicit priority, then
  the policy name in ascending order;
- for a namespaced template, PropagationPolicies in its namespace are considered before
  ClusterPropagationPolicies;
- a template already claimed by a policy keeps it (``propagateResource`` in
  ``pkg/detector/detector.go`` applies the claimed policy first) while that policy exists and still
  selects it; another policy takes it over only by preemption (``pkg/detector/preemption.go``):
  the challenger has ``spec.preemption: Always`` and either a higher explicit priority than the
  claimer of the same kind, or is a PropagationPolicy and the claimer a ClusterPropagationPolicy
  (a ClusterPropagationPolicy never preempts a PropagationPolicy).
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


# id(policy) -> (policy, named, general): a policy's selectors split into those naming an object,
# indexed by (apiVersion, kind, namespace, name), and the others. Policies are immutable snapshots
# from the store (an update stores a new dict), so an entry never goes stale; the entry holds the
# policy, so its id is not reused while cached. A batch policy names hundreds of objects: scanning
# all its selectors for each template made matching quadratic.
_SELECTOR_INDEX = {}


def _selector_index(policy):
    entry = _SELECTOR_INDEX.get(id(policy))
    if entry is None or entry[0] is not policy:
        if len(_SELECTOR_INDEX) > 20000:
            _SELECTOR_INDEX.clear()
        named, general = set(), []
        for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
            if sel.get("name"):
                named.add((sel.get("apiVersion"), sel.get("kind"), sel.get("namespace") or "", sel["name"]))
            else:
                general.append(sel)
        entry = _SELECTOR_INDEX[id(policy)] = (policy, named, general)
    return entry


def implicit_priority(policy, template):
    """The best selector_priority of a policy's selectors against a template (0 = no match)."""
    dummy, named, general = _selector_index(policy)
    meta = template["metadata"]
    key = (template.get("apiVersion"), template.get("kind"))
    if named and ((key + ("", meta["name"])) in named or (key + (meta.get("namespace") or "", meta["name"])) in named):
        return PRIORITY_NAME
    return max([selector_priority(s, template, policy) for s in general] + [0])


def best_policy(policies, template):
    best, best_key = None, None
    for policy in policies:
        if policy["metadata"].get("deletionTimestamp"):
            continue
        implicit = implicit_priority(policy, template)
        if implicit == 0:
            continue
        key = (-int((policy.get("spec") or {}).get("priority") or 0), -implicit, policy["metadata"]["name"])
        if best_key is None or key < best_key:
            best, best_key = policy, key
    return best


def _priority(policy):
    return int((policy.get("spec") or {}).get("priority") or 0)


def _preempts(policy):
    return (policy.get("spec") or {}).get("preemption") == "Always"


def choose_policy(pps, cpps, template, claimed_pp=None, claimed_cpp=None, ident=None):
    """``(policy, cluster_scoped)`` for a template, honouring an existing claim and preemption.

    ``claimed_pp`` / ``claimed_cpp`` are the permanent ids in the template's claim labels; ``ident``
    maps a policy to its permanent id."""
    claimer, claimer_is_cpp = None, False
    if claimed_pp:
        claimer = next((p for p in pps if ident(p) == claimed_pp and best_policy([p], template)), None)
    elif claimed_cpp:
        claimer = next((p for p in cpps if ident(p) == claimed_cpp and best_policy([p], template)), None)
        claimer_is_cpp = claimer is not None
    if claimer is None:
        policy = best_policy(pps, template)
        if policy is not None:
            return policy, False
        policy = best_policy(cpps, template)
        return policy, policy is not None
    challengers = [p for p in pps if p is not claimer and _preempts(p)
                   and (claimer_is_cpp or _priority(p) > _priority(claimer))]
    policy = best_policy(challengers, template)
    if policy is not None:
        return policy, False
    if claimer_is_cpp:
        challengers = [p for p in cpps if p is not claimer and _preempts(p) and _priority(p) > _priority(claimer)]
        policy = best_policy(challengers, template)
        if policy is not None:
            return policy, True
    return claimer, claimer_is_cpp
