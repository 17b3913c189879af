# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  cceone_api_overrides:
    description:
      - Corrections to the assumed CCE One API table (paths, field names, state words), deep-merged over
        the collection's defaults. See docs/cceone-api.md.
      - 'Example: C({paths: {fleet_list: [GET, /v2/cceone/fleets]}, fields: {cluster_name: name}}).'
    type: dict
    default: {}
notes:
  - CCE One has no public API description; the paths and fields this module uses are assumptions kept in
    one table (docs/cceone-api.md) and can be corrected with O(cceone_api_overrides).
"""
