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


def run_policy_module(mod, wanted_policy):
    """A policy module's whole run: build the wanted object from the parameters (``wanted_policy``
    raises ValidationError on bad input), validate it against Karmada's schema, both before any
    call, then ensure it in the Karmada control plane."""
    p = mod.params
    wanted = wanted_policy(p)
    if p["state"] == "present":
        schemas.validate(wanted, what="%s %s" % (wanted["kind"], p["name"]))
    karmada = Rest(auth_params(p), what="the Karmada control plane")
    return ensure(mod, karmada, wanted, p["state"])


def ensure(mod, karmada, wanted, state):
    """Create/patch/delete ``wanted`` in Karmada; returns the module's result fields."""
    kind = wanted["kind"]
    ns = wanted["metadata"].get("namespace")
    name = wanted["metadata"]["name"]
    path = path_for(kind, ns, name)
    existing = karmada.get(path, missing_ok=True)
    if state == "absent":
        if existing is None:
            return dict(changed=False, policy=None)
        mod.changed()
        mod.add_diff(before=pol.comparable(existing), after={}, header="%s %s" % (kind, name))
        if not mod.check_mode:
            karmada.delete(path)
        return dict(policy=None, action="deleted")
    schemas.validate(wanted, what="%s %s" % (kind, name))
    if existing is None and ns and karmada.get(path_for("Namespace", name=ns), missing_ok=True) is None:
        raise ValidationError("namespace: %r does not exist in the Karmada control plane; promote the workloads "
                              "of that namespace first (karmada_promote creates it)" % ns)
    action, patch = pol.plan(existing, wanted)
    if action == "none":
        return dict(policy=existing, action="unchanged")
    mod.changed()
    after = pol.comparable(wanted) if action == "create" else _merged(existing, patch)
    mod.add_diff(before=pol.comparable(existing), after=after, header="%s %s" % (kind, name))
    if mod.check_mode:
        return dict(policy=after, action="created" if action == "create" else "updated", patch=patch)
    if action == "create":
        return dict(policy=karmada.create(path_for(kind, ns), wanted), action="created")
    return dict(policy=karmada.merge_patch(path, patch), action="updated", patch=patch)


def _merged(existing, patch):
    import copy

    out = pol.comparable(existing)

    def merge(target, p):
        for key, value in p.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                merge(target[key], value)
            elif value is None:
                target.pop(key, None)
            else:
                target[key] = copy.deepcopy(value)
    merge(out, patch or {})
    return out
