#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: volume_plan
short_description: Write the per-PVC data migration plan (size, class, proposed CTyun class, method)
version_added: 0.1.0
description:
  - Builds one row per PersistentVolumeClaim from O(pvcs) or, when that is empty, from O(assessment)
    (the C(assessment.json) of M(ctyun.cce_migration.cluster_assess) or the C(assess.json) stage record).
  - Each row has the size, the storage class, the proposed CTyun class from O(storage_class_map), and a
    suggested method to move the data (file copy, file-system backup and restore, incremental sync, node copy,
    object sync).
  - Writes the plan as JSON to O(dest) (only when its content changes). The collection does not move volume
    data itself; the C(data_migration) role stops after this plan unless a tool is plugged in
    (see docs/data-migration.md).
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.attributes
options:
  pvcs:
    description:
      - PVCs, each a dict with C(namespace), C(name), C(size) (a quantity such as C(20Gi)), C(storage_class)
        and optional C(access_modes).
    type: list
    elements: dict
    default: []
  assessment:
    description: Assessment document used when O(pvcs) is empty.
    type: dict
  storage_class_map:
    description: Source storage class to CTyun storage class.
    type: dict
    default: {}
  tool:
    description: Name of the plugged-in tool that moves the data; recorded in each row.
    type: str
  dest:
    description: File the plan is written to (JSON). Not written when unset.
    type: path
"""

EXAMPLES = r"""
- name: Plan the volumes from the assessment
  ctyun.cce_migration.volume_plan:
    assessment: "{{ lookup('file', migration_workdir ~ '/assessment/assessment.json') | from_json }}"
    storage_class_map: "{{ storage_class_map }}"
    dest: "{{ migration_workdir }}/volume_plan.json"
"""

RETURN = r"""
plan:
  description: One row per PVC (or per storage class when the assessment has aggregates only).
  returned: always
  type: list
  elements: dict
  sample: [{"namespace": "shop", "name": "data-mysql-0", "size": "20.0Gi", "size_bytes": 21474836480,
            "storage_class": "alicloud-disk-essd", "proposed_class": "ctyun-ebs-ssd", "category": "block",
            "method": "fs-backup-restore", "how": "...", "issues": []}]
summary:
  description: Totals (PVCs, bytes, PVCs per method, classes without a CTyun class).
  returned: always
  type: dict
dest:
  description: Path of the written plan.
  returned: when O(dest) is set
  type: str
"""

import json

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.files import read_text
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.datamove import volumes


def run(mod):
    params = mod.params
    pvcs = params["pvcs"] or volumes.pvcs_from_assessment(params["assessment"])
    rows = volumes.plan(pvcs, params["storage_class_map"], volumes.storage_classes_from_assessment(
        params["assessment"]), params["tool"])
    out = dict(plan=rows, summary=volumes.summary(rows))
    dest = params["dest"]
    if dest:
        content = json.dumps(dict(pvcs=rows, summary=out["summary"]), indent=2, sort_keys=True) + "\n"
        before = read_text(dest)
        if mod.write_file(dest, content, mode=0o644):
            mod.changed()
            mod.add_diff(before or "", content, header=dest)
        out["dest"] = dest
    return out


def main():
    mod = CceMigrationModule(dict(
        pvcs=dict(type="list", elements="dict", default=[]),
        assessment=dict(type="dict"),
        storage_class_map=dict(type="dict", default={}),
        tool=dict(type="str"),
        dest=dict(type="path"),
    ), supports_check_mode=True)
    mod.run(run)


if __name__ == "__main__":
    main()
