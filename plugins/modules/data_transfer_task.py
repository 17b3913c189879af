#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: data_transfer_task
short_description: Drive a CTyun data transfer task that moves a MySQL/PostgreSQL database to CTyun RDS
version_added: 0.1.0
description:
  - Creates a data transfer task (full load followed by incremental sync) from a MySQL or PostgreSQL source
    endpoint to a CTyun RDS instance, found again by O(name); starts it; waits until the full load is done and
    the incremental sync runs; reports the replication lag.
  - O(state=cutover_ready) only reads. It fails while the task is not replicating or its lag is above
    O(max_lag_seconds) (with O(wait), after waiting up to O(wait_timeout) for the lag to come down). Use it
    as the gate before switching applications to the RDS instance.
  - An existing task with other endpoints is a conflict; the module fails before any change and names the
    differing fields. It never deletes or stops a task.
  - The data transfer paths and fields are assumptions shared with the lab simulation (no public API
    description); see docs/data-migration.md.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
options:
  name:
    description: Name of the task; the task is found by it.
    type: str
    required: true
  state:
    description:
      - V(present) creates the task if missing. V(started) also starts it and, with O(wait), waits until the full
        load is done and the incremental sync runs. V(cutover_ready) checks the lag (read only).
    type: str
    choices: [present, started, cutover_ready]
    default: started
  source:
    description: The source database endpoint. Required unless O(state=cutover_ready).
    type: dict
    suboptions:
      engine:
        description: Database engine.
        type: str
        choices: [mysql, postgresql]
      host:
        description: Host name or address the data transfer service can reach.
        type: str
      port:
        description: Port; 3306 for MySQL and 5432 for PostgreSQL when unset.
        type: int
      username:
        description: User with replication rights.
        type: str
      password:
        description: Password of O(source.username); needed to create the task.
        type: str
      databases:
        description: Databases to migrate.
        type: list
        elements: str
  target:
    description: The CTyun RDS instance. Required unless O(state=cutover_ready).
    type: dict
    suboptions:
      rds_instance_id:
        description: ID of the RDS instance.
        type: str
      username:
        description: Account on the RDS instance.
        type: str
      password:
        description: Password of O(target.username); needed to create the task.
        type: str
      databases:
        description: Target database names, same as O(source.databases) when unset.
        type: list
        elements: str
  max_lag_seconds:
    description: Largest replication lag accepted by O(state=cutover_ready).
    type: int
    default: 5
  wait_timeout:
    description: Seconds to wait for the full load (O(state=started)) or for the lag (O(state=cutover_ready)).
    type: int
    default: 3600
notes:
  - When O(endpoint) is unset the data transfer endpoint C(https://dts-global.ctapi.ctyun.cn) is used (assumed).
"""

EXAMPLES = r"""
- name: Replicate the orders database to RDS
  ctyun.cce_migration.data_transfer_task:
    name: orders-to-rds
    source:
      engine: mysql
      host: 10.0.3.15
      username: repl
      password: "{{ vault_orders_repl_password }}"
      databases: [orders]
    target:
      rds_instance_id: rds-7f3a9c
      username: app
      password: "{{ vault_rds_app_password }}"
    wait_timeout: 7200

- name: Gate the cutover on the replication lag
  ctyun.cce_migration.data_transfer_task:
    name: orders-to-rds
    state: cutover_ready
    max_lag_seconds: 5
    wait_timeout: 300
"""

RETURN = r"""
task:
  description: The task (no passwords).
  returned: when the task exists (or was created)
  type: dict
  contains:
    id:
      description: Task ID.
      type: str
    name:
      description: Task name.
      type: str
    status:
      description: C(created), C(running), C(failed) or C(stopped).
      type: str
    phase:
      description: C(full) or C(incremental).
      type: str
    full_load_status:
      description: C(pending), C(running) or C(done).
      type: str
    full_load_progress:
      description: Percent of the full load.
      type: int
    incremental_status:
      description: C(pending) or C(running).
      type: str
    lag_seconds:
      description: Replication lag of the incremental sync.
      type: int
    error:
      description: The service's error message for a failed task, else null.
      type: str
    source:
      description: Source database endpoint as the service reports it, without passwords.
      type: dict
    target:
      description: Target RDS instance and databases as the service reports them, without passwords.
      type: dict
actions:
  description: What was done (or would be done in check mode), among C(create) and C(start).
  returned: unless state is cutover_ready
  type: list
  elements: str
replicating:
  description: Full load done and incremental sync running.
  returned: when the task exists
  type: bool
lag_seconds:
  description: Replication lag in seconds.
  returned: when the task exists
  type: int
cutover_ready:
  description: Whether the lag is within O(max_lag_seconds).
  returned: state is cutover_ready
  type: bool
reason:
  description: Why the task is (not) ready for cutover.
  returned: state is cutover_ready
  type: str
"""

import copy

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    ctyun_auth_argument_spec, merge_specs, require_ctyun_credentials, wait_argument_spec)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import dts

MODULE_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="started", choices=["present", "started", "cutover_ready"]),
    source=dict(type="dict", options=dict(
        engine=dict(type="str", choices=["mysql", "postgresql"]),
        host=dict(type="str"),
        port=dict(type="int"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        databases=dict(type="list", elements="str"),
    )),
    target=dict(type="dict", options=dict(
        rds_instance_id=dict(type="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        databases=dict(type="list", elements="str"),
    )),
    max_lag_seconds=dict(type="int", default=5),
)


def run(mod):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient

    params = mod.params
    require_ctyun_credentials(params)
    if params["max_lag_seconds"] < 0:
        raise ValidationError("max_lag_seconds must not be negative", field="max_lag_seconds")
    if params["state"] != "cutover_ready":
        dts.spec_from_params(params)   # bad input fails before any call
    client_params = copy.deepcopy(params)
    client_params["endpoint"] = params.get("endpoint") or dts.DEFAULT_ENDPOINT
    client = CtyunClient(client_params, log=mod.log)
    try:
        return dts.ensure(mod, client, params)
    finally:
        client.close()


def main():
    mod = CceMigrationModule(merge_specs(ctyun_auth_argument_spec(), wait_argument_spec(3600), MODULE_SPEC),
                             supports_check_mode=True)
    mod.run(run)


if __name__ == "__main__":
    main()
