#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: migration_report
short_description: Write the migration report from the stage records
version_added: 0.1.0
description:
  - Reads the records each stage of the migration writes into O(workdir) (C(assess.json),
    C(data_migration.json), C(target_cluster.json), C(federation.json), C(promote.json), C(cutover.json))
    and writes C(report.md) and a self-contained C(report.html) (inline CSS and SVG chart).
  - The report shows, per stage, its status (one of C(done), C(running), C(blocked), C(failed), C(planned),
    C(unknown); a record's other word is shown next to it), start, end and duration, all times as
    C(YYYY-MM-DD HH:MM:SS UTC); objects by kind before and after, each column labelled with its scope;
    the replica split over the cutover (a chart in HTML, a table in both); per workload the source and
    target replicas and ready counts at each cutover step; and the image digests synced.
  - C(report.md) and C(report.html) have the same sections in the same order.
  - Files are rewritten only when their content changes, so a re-run reports no change.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  workdir:
    description: Directory holding the stage records.
    type: path
    required: true
  output_dir:
    description: Directory for C(report.md) and C(report.html). Defaults to O(workdir).
    type: path
  after_counts:
    description:
      - Object counts by kind after the migration (for example from M(ctyun.cce_migration.cluster_assess)
        run against the target cluster), shown next to the source assessment's counts.
    type: dict
    default: {}
  after_scope:
    description:
      - What O(after_counts) counted (for example C(CCE cluster, namespaces shop and payments)), shown as the
        label of the C(After) column. The C(Before) column is labelled with the assessment's scope.
    type: str
  title:
    description: Title of the report.
    type: str
    default: Migration report
extends_documentation_fragment:
  - ctyun.cce_migration.attributes
"""

EXAMPLES = r"""
- name: Write the migration report
  ctyun.cce_migration.migration_report:
    workdir: "{{ migration_workdir }}"

- name: Write the report with counts from the target cluster
  ctyun.cce_migration.migration_report:
    workdir: "{{ migration_workdir }}"
    output_dir: /var/tmp/migration-report
    after_counts: "{{ target_assessment.assessment.counts }}"
"""

RETURN = r"""
files:
  description: Paths of the report files.
  returned: always
  type: list
  elements: str
  sample: [/srv/migration/report.md, /srv/migration/report.html]
report:
  description: The report data the files were rendered from.
  returned: always
  type: dict
  contains:
    title:
      description: Title of the report.
      type: str
    stages:
      description:
        - One entry per stage record found, with C(stage), C(status) (C(done), C(running), C(blocked), C(failed),
          C(planned) or C(unknown)), C(raw_status) (the record's own word), C(started), C(finished) (both
          C(YYYY-MM-DD HH:MM:SS UTC), empty when unknown), C(duration), C(changed) and C(summary).
      type: list
      elements: dict
    counts:
      description: Objects by kind, C(before) and C(after).
      type: list
      elements: dict
    counts_scope:
      description: What the C(before) and C(after) counts cover.
      type: dict
    steps:
      description: Cutover steps with per-workload replicas and ready counts.
      type: list
      elements: dict
    ordinals:
      description:
        - StatefulSet ordinals that ran on CTyun, with C(statefulset), C(ordinal), C(since), C(until) (C(still there)
          while it runs there) and C(duration); empty without StatefulSets moved.
      type: list
      elements: dict
    images:
      description: Images synced with their digests.
      type: list
      elements: dict
"""

import os

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.report import render


def run(mod):
    params = mod.params
    workdir = params["workdir"]
    if not os.path.isdir(workdir):
        raise ValidationError("workdir: %s is not a directory; give the migration_workdir the stages wrote to"
                              % workdir)
    output_dir = params["output_dir"] or workdir
    records = render.load_records(workdir)
    report = render.build_report(records, after_counts=params["after_counts"], title=params["title"],
                                 after_scope=params["after_scope"])
    if not mod.check_mode:
        os.makedirs(output_dir, exist_ok=True)
    files = []
    for name, text in (("report.md", render.render_markdown(report)), ("report.html", render.render_html(report))):
        path = os.path.join(output_dir, name)
        files.append(path)
        if mod.write_file(path, text, mode=0o644):
            mod.changed()
            mod.add_diff(before="", after="%s updated" % name, header=path)
    return dict(files=files, report=report)


def main():
    argument_spec = dict(
        workdir=dict(type="path", required=True),
        output_dir=dict(type="path"),
        after_counts=dict(type="dict", default={}),
        after_scope=dict(type="str"),
        title=dict(type="str", default="Migration report"),
    )
    CceMigrationModule(argument_spec).run(run)


if __name__ == "__main__":
    main()
