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
