#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cceone_federation
short_description: Order, describe or release a CCE One federation instance (managed Karmada)
version_added: 0.1.0
description:
  - Orders a federation instance in CCE One (idempotent by name), waits until it is running, and writes the
    Karmada control plane's kubeconfig to O(kubeconfig_path) with mode 0600. The kubeconfig is never returned.
  - C(state=absent) releases the instance; CCE One refuses while a fleet is bound to it.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  name:
    description: Name of the federation instance.
    type: str
    required: true
  state:
    description: Whether the federation instance exists.
    type: str
    choices: [present, absent]
    default: present
  kubeconfig_path:
    description: Where to write the Karmada control plane kubeconfig (mode 0600). Rewritten only when it changed.
    type: path
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.cceone
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: Order the federation instance of the migration (guide stage 4)
  ctyun.cce_migration.cceone_federation:
    name: migration-federation
    kubeconfig_path: "{{ migration_workdir }}/karmada.kubeconfig"
"""

RETURN = r"""
federation:
  description: The federation instance (id, name, status, Karmada version).
  returned: when state is present
  type: dict
  sample: {id: fed-000003, name: migration-federation, status: running, karmada_version: v1.19.0}
kubeconfig_path:
  description: Path of the kubeconfig written.
  returned: when kubeconfig_path was given and the instance is running
  type: str
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.waiter import wait_until
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.cceone_args import (
    cceone_argument_spec, cceone_client, write_private)


def shape(one, obj):
    f = one.f
    return dict(id=obj.get(f["federation_id"]), name=obj.get(f["federation_name"]), status=obj.get(f["status"]),
                karmada_version=obj.get(f["version"]))


def run(mod):
    p = mod.params
    one = cceone_client(p)
    existing = one.find_federation(p["name"])
    if p["state"] == "absent":
        if existing is None:
            return dict(federation=None)
        mod.changed()
        mod.add_diff(before=shape(one, existing), after={}, header="federation instance %s" % p["name"])
        if not mod.check_mode:
            one.delete_federation(existing[one.f["federation_id"]])
            if p["wait"]:
                wait_until(lambda: (one.find_federation(p["name"]) is None, "still present"), p["wait_timeout"],
                           "federation instance %s to be released" % p["name"], sleep=p["wait_sleep"])
        return dict(federation=None)
    if existing is None:
        mod.changed()
        mod.add_diff(before={}, after=dict(name=p["name"]), header="federation instance %s" % p["name"])
        if mod.check_mode:
            return dict(federation=dict(name=p["name"], status="would be ordered"))
        existing = one.create_federation(p["name"])
        # returned with a failure of the wait or of the kubeconfig below
        mod.done(federation=shape(one, existing))
    fed = shape(one, existing)
    if p["wait"] and not one.is_state(fed["status"], "running"):
        one.wait_federation_running(fed["id"], p["name"], p["wait_timeout"], sleep=p["wait_sleep"])
        fed = shape(one, one.describe_federation(fed["id"]))
    out = dict(federation=fed)
    if p["kubeconfig_path"]:
        if not one.is_state(fed["status"], "running"):
            if not p["wait"]:
                return out
            raise ValidationError("federation instance %s is %s; its kubeconfig is available once it runs"
                                  % (p["name"], fed["status"]))
        text = one.federation_kubeconfig(fed["id"])
        if write_private(mod.module, p["kubeconfig_path"], text, mod.check_mode):
            mod.changed()
            mod.add_diff(before="", after="kubeconfig written (content not shown)", header=p["kubeconfig_path"])
        out["kubeconfig_path"] = p["kubeconfig_path"]
    return out


def main():
    spec = cceone_argument_spec(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        kubeconfig_path=dict(type="path"),
    ))
    CceMigrationModule(spec).run(run)


if __name__ == "__main__":
    main()
