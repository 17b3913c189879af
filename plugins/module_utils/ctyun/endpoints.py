# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Paths of the CCE OpenAPI (host ``ccse-global.ctapi.ctyun.cn``, header ``regionId``).

The cluster paths are the publicly documented ones; keeping them here means a change of
path is a one-line change. CCE One paths live in ``cceone.py``'s table.
"""

from __future__ import annotations

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

CLUSTERS_CREATE = "/cse-apig/v2/clusters"
CLUSTERS_PAGE = "/v2/cce/clusters/page"
CLUSTER_DESCRIBE = "/v2/cce/clusters/{cluster_id}"
CLUSTER_MODIFY = "/cse-apig/v2/clusters/{cluster_id}"      # PUT
CLUSTER_DELETE = "/cse-apig/v2/clusters/{cluster_id}"      # DELETE
CLUSTER_KUBECONFIG = "/v2/cce/clusters/{cluster_id}/kubeconfig"
VERSIONS = "/v2/cce/metadata/versions"
QUOTAS = "/v2/cce/quotas/query"
NODEPOOLS = "/cse-apig/v2/clusters/{cluster_id}/nodepools"  # GET list, POST create
NODEPOOL_SCALE = "/cse-apig/v2/clusters/{cluster_id}/nodepools/{nodepool_id}/scale"
TASKS = "/v2/cce/tasks/{cluster_id}/alltasks"
TASK_EVENTS = "/v2/cce/events/{cluster_id}/{task_id}"

PAGE_SIZE = 50


def path(template, **ids):
    """Fill a path template; every id is percent-encoded as one path segment."""
    return template.format(**dict((k, quote("%s" % v, safe="")) for k, v in ids.items()))
