"""Every path, field, status word and error code the CTyun simulation uses, in one place.

CCE cluster paths and the envelope follow CTyun's public OpenAPI description. Everything
marked "assumed" is not publicly documented (CCE One has no public API description): the
simulation and the collection agree on these names, and correcting them against the real
API is a change of this table and of the collection's table, not of code.
"""

from __future__ import annotations

# -- envelope (known) -----------------------------------------------------------------
STATUS_OK = 800
STATUS_FAIL = 900

# -- signing (known) ------------------------------------------------------------------
HEADER_REQUEST_ID = "ctyun-eop-request-id"
HEADER_DATE = "Eop-date"
HEADER_AUTHORIZATION = "Eop-Authorization"
HEADER_REGION = "regionId"
SIGNED_HEADERS = ("ctyun-eop-request-id", "eop-date")
# Allowed distance between Eop-date and the server clock (assumed: 15 minutes).
MAX_CLOCK_SKEW_S = 900

# -- error codes: (HTTP status, error) -- assumed, the public description gives no list -------
ERRORS = {
    "missing_header": (401, "EOP_AUTH_HEADER_MISSING"),
    "bad_authorization": (401, "EOP_AUTH_MALFORMED"),
    "unknown_ak": (401, "EOP_AUTH_ACCESS_KEY_INVALID"),
    "signature": (401, "EOP_AUTH_SIGNATURE_MISMATCH"),
    "clock_skew": (401, "EOP_AUTH_DATE_SKEW"),
    "region_missing": (400, "EOP_REGION_MISSING"),
    "region_unknown": (400, "EOP_REGION_UNKNOWN"),
    "bad_request": (400, "CCE_PARAMETER_INVALID"),
    "not_found": (404, "CCE_CLUSTER_NOT_FOUND"),
    "route_not_found": (404, "EOP_API_NOT_FOUND"),
    "nodepool_not_found": (404, "CCE_NODEPOOL_NOT_FOUND"),
    "task_not_found": (404, "CCE_TASK_NOT_FOUND"),
    "name_exists": (200, "CCE_CLUSTER_NAME_EXISTS"),
    "nodepool_exists": (200, "CCE_NODEPOOL_NAME_EXISTS"),
    "quota": (200, "CCE_QUOTA_EXCEEDED"),
    "version": (200, "CCE_VERSION_UNSUPPORTED"),
    "state": (200, "CCE_CLUSTER_STATE_CONFLICT"),
    "immutable": (200, "CCE_FIELD_IMMUTABLE"),
    "internal": (500, "EOP_INTERNAL_ERROR"),
}

# -- lab credentials and regions -------------------------------------------------------
DEFAULT_ACCESS_KEY = "AKLABCTYUN0001"
DEFAULT_SECRET_KEY = "SKlab/ctyun+secret0001"
REGIONS = ("cn-huadong1", "cn-gz3", "bj8")

# -- CCE paths (known) ---------------------------------------------------------------
CCE_PATHS = {
    "cluster_create": ("POST", "/cse-apig/v2/clusters"),
    "cluster_page": ("GET", "/v2/cce/clusters/page"),
    "cluster_describe": ("GET", "/v2/cce/clusters/{clusterId}"),
    "cluster_modify": ("PUT", "/cse-apig/v2/clusters/{clusterId}"),
    "cluster_delete": ("DELETE", "/cse-apig/v2/clusters/{clusterId}"),
    "cluster_kubeconfig": ("GET", "/v2/cce/clusters/{clusterId}/kubeconfig"),
    "versions": ("GET", "/v2/cce/metadata/versions"),
    "quotas": ("GET", "/v2/cce/quotas/query"),
    "nodepool_list": ("GET", "/cse-apig/v2/clusters/{clusterId}/nodepools"),
    "nodepool_create": ("POST", "/cse-apig/v2/clusters/{clusterId}/nodepools"),
    "nodepool_scale": ("POST", "/cse-apig/v2/clusters/{clusterId}/nodepools/{nodePoolId}/scale"),
    "tasks": ("GET", "/v2/cce/tasks/{clusterId}/alltasks"),
    "task_events": ("GET", "/v2/cce/events/{clusterId}/{taskId}"),
}

# -- CCE fields --------------------------------------------------------------------------
# Create body: known fields, then the guide's additions (assumed names).
CLUSTER_CREATE_REQUIRED = ("clusterName", "kubernetesVersion", "vpcId", "subnetId")
CLUSTER_CREATE_FIELDS = (
    "clusterName", "clusterType", "kubernetesVersion", "vpcId", "subnetId", "containerNetworkType",
    "containerNetworkCidr", "serviceNetworkCidr", "description",            # known
    "controlPlaneCount", "apiServerAccess", "tags", "nodePools",             # assumed
)
CLUSTER_MUTABLE_FIELDS = ("description", "tags")                           # PUT body (assumed)
CLUSTER_TYPES = ("Virtual", "Host", "Intelligent")
NETWORK_PLUGINS = ("cubecni", "calico", "flannel")
CONTROL_PLANE_COUNTS = (1, 3, 5)
API_SERVER_ACCESS_FIELDS = ("type", "elbSpec")                              # assumed
API_SERVER_ACCESS_TYPES = ("private_elb", "public_elb", "none")            # assumed
ELB_SPECS = ("standard I", "standard II", "standard III", "enhanced I")     # assumed
NODEPOOL_FIELDS = ("nodePoolName", "flavorName", "osImage", "nodeCount", "sysDiskSize", "sysDiskType")
CLUSTER_DEFAULTS = {
    "clusterType": "Host", "containerNetworkType": "cubecni", "containerNetworkCidr": "172.16.0.0/16",
    "serviceNetworkCidr": "10.96.0.0/16", "controlPlaneCount": 3, "description": "",
    "apiServerAccess": {"type": "private_elb", "elbSpec": "standard I"},
}
NODEPOOL_DEFAULTS = {"sysDiskSize": 100, "sysDiskType": "SSD"}

# Status words (assumed lower-case forms of the console's words).
CLUSTER_CREATING = "creating"
CLUSTER_RUNNING = "running"
CLUSTER_DELETING = "deleting"
NODEPOOL_ACTIVE = "active"
NODEPOOL_SCALING = "scaling"
TASK_RUNNING = "running"
TASK_SUCCESS = "success"

SUPPORTED_VERSIONS = ("1.31.1", "1.29.3", "1.27.8", "1.25.6")
# Quota names and default limits (limits overridable by the knobs below).
QUOTAS = {"cluster": 5, "node": 50}

# -- knobs (environment / lab.knobs) ---------------------------------------------------
KNOB_READY_S = ("LAB_CLUSTER_READY_S", 3.0)
KNOB_DELETE_S = ("LAB_CLUSTER_DELETE_S", 1.0)
KNOB_CLUSTER_QUOTA = ("LAB_CCE_CLUSTER_QUOTA", QUOTAS["cluster"])
KNOB_NODE_QUOTA = ("LAB_CCE_NODE_QUOTA", QUOTAS["node"])
KNOB_MAX_SKEW_S = ("LAB_CTYUN_MAX_SKEW_S", MAX_CLOCK_SKEW_S)

# Kubeconfig given for a running cluster: the lab's API server of this name.
KUBECONFIG_LAB_CLUSTER = "target"
