# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Paths of the CCE ("ccse") OpenAPI (host ``ccse-global.ctapi.ctyun.cn``, header ``regionId``).

Every path, method and body follows CTyun's own Terraform provider
(``ctyun-it/terraform-provider-ctyun``, commit 80651fddcdcba0feaac09c4b559958344a8fd567,
``internal/core/ccse/*_api.go``); see docs/cce.md. Keeping them here means a change of path is a
one-line change. CCE One paths live in ``cceone.py``'s table.
"""

from __future__ import annotations

try:
    from urllib.parse import quote, urlsplit, urlunsplit
except ImportError:  # pragma: no cover
    from urllib import quote
    from urlparse import urlsplit, urlunsplit

# -- clusters (ccse_create_cluster_api.go, ccse_delete_cluster_api.go, ...) ----------------
CLUSTERS_CREATE = "/v2/cce/clusters/create"                 # POST, an order: {orderId, orderNo}
CLUSTERS_DELETE = "/v2/cce/clusters/delete"                 # POST {resPoolId, prodInstId}, an order
CLUSTERS_PAGE = "/v2/cce/clusters/page"                     # GET resPoolId, clusterName, pageNow, pageSize
CLUSTER_DESCRIBE = "/v2/cce/clusters/{cluster_id}"          # GET
CLUSTER_MODIFY = "/v2/cce/clusters/{cluster_id}"            # PUT {clusterDesc, clusterAlias, ...}
CLUSTER_NODES = "/v2/cce/clusters/{cluster_id}/nodes/list"  # GET -> [node]
CLUSTER_TAGS = "/v2/cce/clusters/{cluster_id}/tags"         # GET -> {tags}, PUT {tags: []string}
CLUSTER_KUBECONFIG = "/v2/cce/clusters/{cluster_id}/certificate/kubeconfig"  # GET isPublic=true|false
VERSIONS = "/v2/cce/metadata/versions"
QUOTAS = "/v2/cce/quotas/query"
TASKS = "/v2/cce/tasks/{cluster_id}/alltasks"
TASK_EVENTS = "/v2/cce/events/{cluster_id}/{task_id}"
# -- node pools (note: "nodepool" singular except the list) ---------------------------------
NODEPOOLS = "/v2/cce/clusters/{cluster_id}/nodepools"                          # GET nodePoolName, pageNow, pageSize
NODEPOOL_CREATE = "/v2/cce/clusters/{cluster_id}/nodepool"                     # POST -> bool, no id
NODEPOOL_GET = "/v2/cce/clusters/{cluster_id}/nodepool/{nodepool_id}"          # GET
NODEPOOL_SCALE_UP = "/v2/cce/clusters/{cluster_id}/nodepool/{nodepool_id}/scaleup"      # PUT {num}: nodes to ADD
NODEPOOL_SCALE_DOWN = "/v2/cce/clusters/{cluster_id}/nodepool/{nodepool_id}/scaledown"  # PUT {nodeNames, ...}
# -- ECS flavours (another host: ctecs-global; ecs_flavor_list.go) ----------------------------
ECS_FLAVORS = "/v4/ecs/flavor/list"                         # POST {regionID, flavorName} -> {flavorList}

PAGE_SIZE = 50
CCE_HOST_PREFIX = "ccse-global."
ECS_HOST_PREFIX = "ctecs-global."


def path(template, **ids):
    """Fill a path template; every id is percent-encoded as one path segment."""
    return template.format(**dict((k, quote("%s" % v, safe="")) for k, v in ids.items()))


def ecs_endpoint(cce_endpoint):
    """The ECS endpoint next to a CCE endpoint: the provider builds both as ``https://<name>-global.ctapi...``
    (``ccse`` and ``ctecs``). Any other endpoint (a proxy, the test lab) serves both APIs itself."""
    parts = urlsplit(cce_endpoint)
    if parts.netloc.startswith(CCE_HOST_PREFIX):
        return urlunsplit(parts._replace(netloc=ECS_HOST_PREFIX + parts.netloc[len(CCE_HOST_PREFIX):]))
    return cce_endpoint
