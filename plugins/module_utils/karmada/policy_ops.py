# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Apply one Karmada policy object idempotently (shared by propagation_policy and override_policy)."""

from __future__ import annotations

from ..common.errors import ValidationError
from ..k8s.client import auth_params
from ..k8s.rest import Rest, path_for
from . import policy as pol
from . import schemas


def run_policy_module(mod, wanted_policy, inspect=None):
    """A policy module's whole run: build the wanted object from the parameters (``wanted_policy``
    raises ValidationError on bad input), validate it against Karmada's schema, both before any
    call, then ensure it in the Karmada control plane. ``inspect(karmada, result)``, when given,
    returns more result fields (it may read, never write)."""
    p = mod.params
    wanted = wanted_policy(p)
    if p["state"] == "present":
        schemas.validate(wanted, what="%s %s" % (wanted["kind"], p["name"]))
    karmada = Rest(auth_params(p), what="the Karmada control plane")
    result = ensure(mod, karmada, wanted, p["state"])
    if inspect is not None:
        result.update(inspect(karmada, result))
    return result


def label_selector_text(selector):
    """A LabelSelector (matchLabels, matchExpressions) as the ``labelSelector`` query string."""
    parts = ["%s=%s" % kv for kv in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for expr in (selector or {}).get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), ",".join(expr.get("values") or [])
        parts.append({"In": "%s in (%s)", "NotIn": "%s notin (%s)"}[op] % (key, values) if op in ("In", "NotIn")
                     else (key if op == "Exists" else "!" + key))
    return ",".join(parts) or None


def selected_objects(karmada, policy, kinds):
    """The objects of ``kinds`` in Karmada that the policy's resourceSelectors select (by kind,
    namespace, name and label selector), each once, with its ``kind`` set."""
    ns = policy["metadata"].get("namespace")
    out, seen = [], set()
    for sel in (policy.get("spec") or {}).get("resourceSelectors") or []:
        kind = sel.get("kind")
        if kind not in kinds:
            continue
        items = karmada.iter_list(path_for(kind, ns or sel.get("namespace") or None),
                                  label_selector=label_selector_text(sel.get("labelSelector")))
        for obj in items:
            key = (kind, obj["metadata"].get("namespace"), obj["metadata"]["name"])
            if (sel.get("name") and obj["metadata"]["name"] != sel["name"]) or key in seen:
                continue
            seen.add(key)
            obj.setdefault("kind", kind)
            out.append(obj)
    return out


def ensure(mod, karmada, wanted, state):
    """Create/patch/delete ``wanted`` in Karmada; returns the module's result fields.

    Check mode sends the same write with ``dryRun=All``, as kubernetes.core does: the API server
    runs validation, defaulting and the admission webhooks and changes nothing, so check mode
    fails where a real run would, and ``--diff`` shows the object the server would store."""
    kind = wanted["kind"]
    ns = wanted["metadata"].get("namespace")
    name = wanted["metadata"]["name"]
    path = path_for(kind, ns, name)
    existing = karmada.get(path, missing_ok=True)
    if state == "absent":
        if existing is None:
            return dict(changed=False, policy=None)
        karmada.delete(path, dry_run=mod.check_mode)
        mod.changed()
        mod.add_diff(before=pol.comparable(existing), after={}, header="%s %s" % (kind, name))
        return dict(policy=None, action="deleted")
    schemas.validate(wanted, what="%s %s" % (kind, name))
    if existing is None and ns and karmada.get(path_for("Namespace", name=ns), missing_ok=True) is None:
        raise ValidationError("namespace: %r does not exist in the Karmada control plane; promote the workloads "
                              "of that namespace first (karmada_promote creates it)" % ns)
    action, patch = pol.plan(existing, wanted)
    if action == "none":
        return dict(policy=existing, action="unchanged")
    if action == "create":
        stored = karmada.create(path_for(kind, ns), wanted, dry_run=mod.check_mode)
        out = dict(policy=stored, action="created")
    else:
        stored = karmada.merge_patch(path, patch, dry_run=mod.check_mode)
        out = dict(policy=stored, action="updated", patch=patch)
    mod.changed()
    # field by field: what was stored before, and what the server stores (or would store)
    mod.add_diff(before=pol.comparable(existing) if existing else {}, after=pol.comparable(stored),
                 header="%s %s" % (kind, name))
    return out
