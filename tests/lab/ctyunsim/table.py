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

# -- error codes: (HTTP status, error) -- the codes are assumed (the provider matches none for CCE);
#    CCE business errors come as HTTP 400 with the envelope (the provider rewrites 400 on /v2/cce to 200).
ERRORS = {
    "missing_header": (401, "EOP_AUTH_HEADER_MISSING"),
    "bad_authorization": (401, "EOP_AUTH_MALFORMED"),
    "unknown_ak": (401, "EOP_AUTH_ACCESS_KEY_INVALID"),
    "signature": (401, "EOP_AUTH_SIGNATURE_MISMATCH"),
    "clock_skew": (401, "EOP_AUTH_DATE_SKEW"),
    "region_missing": (400, "EOP_REGION_MISSING"),
    "region_unknown": (400, "EOP_REGION_UNKNOWN"),
    "bad_request": (400, "CCE_PARAMETER_INVALID"),
    "not_found": (400, "CCE_CLUSTER_NOT_FOUND"),
    "route_not_found": (404, "EOP_API_NOT_FOUND"),
    "nodepool_not_found": (400, "CCE_NODEPOOL_NOT_FOUND"),
    "task_not_found": (400, "CCE_TASK_NOT_FOUND"),
    "name_exists": (400, "CCE_CLUSTER_NAME_EXISTS"),
    "nodepool_exists": (400, "CCE_NODEPOOL_NAME_EXISTS"),
    "quota": (400, "CCE_QUOTA_EXCEEDED"),
    "version": (400, "CCE_VERSION_UNSUPPORTED"),
    "state": (400, "CCE_CLUSTER_STATE_CONFLICT"),
    "immutable": (400, "CCE_FIELD_IMMUTABLE"),
    "internal": (500, "EOP_INTERNAL_ERROR"),
}

# -- lab credentials and regions -------------------------------------------------------
DEFAULT_ACCESS_KEY = "AKLABCTYUN0001"
DEFAULT_SECRET_KEY = "SKlab/ctyun+secret0001"
REGIONS = ("cn-huadong1", "cn-gz3", "bj8")

# Availability zones per region (names shaped like CTyun's; the lab's own).
REGION_ZONES = {
    "cn-huadong1": ("cn-huadong1-jsnj1A-public-ctcloud", "cn-huadong1-jsnj2A-public-ctcloud",
                    "cn-huadong1-jsnj3A-public-ctcloud"),
    "cn-gz3": ("cn-gz3-az1",),
    "bj8": ("bj8-az1", "bj8-az2"),
}

# -- CCE ("ccse") paths: CTyun's Terraform provider, ctyun-it/terraform-provider-ctyun @ 80651fdd,
#    internal/core/ccse/*_api.go. The old /cse-apig/ paths are not served (the gateway's 404 envelope).
PROVIDER_COMMIT = "80651fddcdcba0feaac09c4b559958344a8fd567"
CCE_PATHS = {
    "cluster_create": ("POST", "/v2/cce/clusters/create"),
    "cluster_delete": ("POST", "/v2/cce/clusters/delete"),
    "cluster_page": ("GET", "/v2/cce/clusters/page"),
    "cluster_describe": ("GET", "/v2/cce/clusters/{clusterId}"),
    "cluster_modify": ("PUT", "/v2/cce/clusters/{clusterId}"),
    "cluster_nodes": ("GET", "/v2/cce/clusters/{clusterId}/nodes/list"),
    "cluster_tags_get": ("GET", "/v2/cce/clusters/{clusterId}/tags"),
    "cluster_tags_put": ("PUT", "/v2/cce/clusters/{clusterId}/tags"),
    "cluster_kubeconfig": ("GET", "/v2/cce/clusters/{clusterId}/certificate/kubeconfig"),
    "versions": ("GET", "/v2/cce/metadata/versions"),
    "quotas": ("GET", "/v2/cce/quotas/query"),
    "nodepool_list": ("GET", "/v2/cce/clusters/{clusterId}/nodepools"),
    "nodepool_create": ("POST", "/v2/cce/clusters/{clusterId}/nodepool"),
    "nodepool_get": ("GET", "/v2/cce/clusters/{clusterId}/nodepool/{nodePoolId}"),
    "nodepool_scaleup": ("PUT", "/v2/cce/clusters/{clusterId}/nodepool/{nodePoolId}/scaleup"),
    "nodepool_scaledown": ("PUT", "/v2/cce/clusters/{clusterId}/nodepool/{nodePoolId}/scaledown"),
    "tasks": ("GET", "/v2/cce/tasks/{clusterId}/alltasks"),
    "task_events": ("GET", "/v2/cce/events/{clusterId}/{taskId}"),
    # ECS flavour list (host ctecs-global in the real cloud; the lab serves it on the same port). A read.
    "ecs_flavors": ("POST", "/v4/ecs/flavor/list"),
}
READ_ROUTES = ("ecs_flavors",)

# -- cluster create body (ccse_create_cluster_api.go) ---------------------------------------
CREATE_TOP = ("resPoolId", "clusterBaseInfo", "masterHost", "slaveHost")
BASE_REQUIRED = ("clusterName", "clusterSeries", "clusterVersion", "clusterDomain", "vpcUuid", "subnetUuid",
                 "networkPlugin", "startPort", "endPort", "elbProdCode", "containerRuntime", "timezone",
                 "deployType", "kubeProxy", "billMode")
BASE_FIELDS = BASE_REQUIRED + (
    "seriesType", "nodeScale", "podSubnetUuidList", "podCidr", "serviceCidr", "ipStackType", "serviceCidrV6",
    "autoGenerateSecurityGroup", "securityGroupUuid", "enableApiServerEip", "enableSnat", "natGatewaySpec",
    "installNginxIngress", "nginxIngressLBSpec", "nginxIngressLBNetWork", "pluginNginxIngressEnabled", "cycleType",
    "cycleCnt", "autoRenewStatus", "autoRenewCycleType", "autoRenewCycleCount", "azInfos", "projectId",
    "pluginCstorcsiEnabled", "pluginCstorcsiAk", "pluginCstorcsiSk", "pluginCcseMonitorEnabled", "enableAls",
    "enableAlsCubeEventer", "customScriptBase64", "hostScript", "enablePostUserScript", "postUserScript",
    "enableHostName", "hostNamePrefix", "hostNamePostfix", "nodeLabels", "nodeTaints", "nodeUnschedulable",
    "clusterDesc", "clusterAlias", "deleteProtection", "ipvlan", "networkPolicy", "syncNodeLabels",
    "syncNodeTaints", "enableAffinityGroup", "affinityGroupUuid", "delegateName", "resourceLabels",
    "cpuManagerPolicyEnable", "san", "customCAEnable", "customCA")
HOST_FIELDS = ("itemDefName", "itemDefType", "cpu", "mem", "size", "sysDisk", "dataDisks", "azInfos",
               "foreignMirrorId", "mirrorName", "mirrorType")
SERIES = {"cce.standard": 0, "cce.managed": 2}          # clusterSeries -> clusterType on read
MANAGED_SCALES = {"managedbase": ("10",), "managedpro": ("50", "200", "1000", "2000")}
NETWORK_PLUGINS = ("cubecni", "calico")
ELB_SPECS = ("standardI", "standardII", "enhancedI", "enhancedII", "higherI")
RUNTIMES = ("containerd", "docker")
KUBE_PROXY = ("iptables", "ipvs")
DISK_TYPES = ("SATA", "SAS", "SSD")
MODIFY_FIELDS = ("clusterDesc", "clusterAlias", "startPort", "endPort", "securityGroupId", "customSan", "cubecni")
# -- node pool create body (ccse_create_node_pool_api.go): no node count -------------------------------
NODEPOOL_REQUIRED = ("nodePoolName", "billMode", "vmSpecName", "vmType", "imageType", "loginType", "sysDiskType",
                     "sysDiskSize", "azInfo")
NODEPOOL_FIELDS = NODEPOOL_REQUIRED + (
    "description", "cycleType", "cycleCount", "autoRenewStatus", "cpu", "memory", "gpu", "imageUuid", "imageName",
    "ecsPasswd", "keyName", "keyPairId", "dataDisks", "maxPodNum", "enableAutoScale", "maxNum", "minNum", "labels",
    "taints", "syncNodeLabels", "syncNodeTaints", "nodeUnschedulable", "useAffinityGroup", "affinityGroupUuid",
    "resourceLabels", "definedHostnameEnable", "hostNamePrefix", "hostNamePostfix", "visibilityHostScript",
    "visibilityPostHostScript")
DEFAULT_POOL_NAME = "default-pool"        # the pool made of the create's slaveHost (assumed name)

# -- ECS flavours and node images of the lab (flavorType, flavorCPU, flavorRAM as the ECS list gives them)
FLAVORS = {
    "s7.large.2": ("CPU_S7", 2, 4),
    "s7.xlarge.2": ("CPU_S7", 4, 8),
    "s7.2xlarge.2": ("CPU_S7", 8, 16),
    "c7.xlarge.2": ("CPU_C7", 4, 8),
}
NODE_IMAGES = {"img-ctyunos2301-ccse": "CTyunOS23.01@cpu_ccse_img_4.0_09"}

# Status words (ccse_const.go) and bizState numbers (ccse_cluster datasource).
CLUSTER_CREATING = "creating"
CLUSTER_RUNNING = "normal"
CLUSTER_DELETING = "deleting"
CLUSTER_CREATE_FAIL = "create_fail"
BIZ_RUNNING, BIZ_PROVISIONING, BIZ_CREATE_FAILED, BIZ_UNSUBSCRIBING = 1, 6, 17, 18
NODE_NORMAL = "normal"
NODE_CREATING = "creating"                 # assumed: the provider names only normal/abnormal/expulsion
NODEPOOL_NORMAL = "normal"                 # assumed: pool status values are not enumerated by the provider
NODEPOOL_SCALING = "scaling"
TASK_RUNNING = "running"                   # assumed: task status values are not enumerated
TASK_SUCCESS = "success"
TASK_FAILED = "failed"
NOT_EXIST = "\u4e0d\u5b58\u5728"           # "does not exist": the provider's test for a missing node pool

SUPPORTED_VERSIONS = ("1.31.6", "1.29.3", "1.27.8", "1.25.6")
# Quotas: the provider models only userId/accountId of quotaCenterDataList items; the quota fields
# (quotaName, quotaLimit, quotaUsed) are assumed.
QUOTAS = {"cluster": 5, "node": 50}

# -- knobs (environment / lab.knobs) ---------------------------------------------------
KNOB_READY_S = ("LAB_CLUSTER_READY_S", 3.0)
KNOB_DELETE_S = ("LAB_CLUSTER_DELETE_S", 1.0)
# "1": the next cluster create ends in create_fail (bizState 17) with a failed task.
KNOB_CREATE_FAIL = ("LAB_CCE_CREATE_FAIL", "0")
KNOB_CLUSTER_QUOTA = ("LAB_CCE_CLUSTER_QUOTA", QUOTAS["cluster"])
KNOB_NODE_QUOTA = ("LAB_CCE_NODE_QUOTA", QUOTAS["node"])
KNOB_MAX_SKEW_S = ("LAB_CTYUN_MAX_SKEW_S", MAX_CLOCK_SKEW_S)

# Kubeconfig given for a running cluster: the lab's API server of this name.
KUBECONFIG_LAB_CLUSTER = "target"

# -- ELB ("ctelb"): CTyun's Terraform provider @ PROVIDER_COMMIT, internal/core/ctelb/ctelb_*_api.go (one file
#    per call: method, path, request and answer structs). Served on the same port as the other calls; the real
#    endpoint is ``ctelb-global.<host>`` (apis.go EndpointName, internal/service/ctyun_provider.go).
ELB_PATHS = {
    "create_target": ("POST", "/v4/elb/create-target"),               # ctelb_create_target_api.go
    "update_target": ("POST", "/v4/elb/update-target"),               # ctelb_update_target_api.go
    "show_target": ("GET", "/v4/elb/show-target"),                    # ctelb_show_target_api.go
    "list_target": ("GET", "/v4/elb/list-target"),                    # ctelb_list_target_api.go
    "delete_target": ("POST", "/v4/elb/delete-target"),               # ctelb_delete_target_api.go
    "show_target_group": ("GET", "/v4/elb/show-target-group"),        # ctelb_show_target_group_api.go
    "show_health_check": ("GET", "/v4/elb/show-health-check"),        # ctelb_show_health_check_api.go
    "realtime_monitor": ("POST", "/v4/elb/query-realtime-monitor"),   # ctelb_query_elb_reatime_metric_api.go
}
ELB_READ_ROUTES = ("realtime_monitor",)          # a POST that changes nothing
# Envelope of every ELB answer (the structs' comments): statusCode 800/900, errorCode "SUCCESS" on 800 and
# product.module.code on 900, message (English; "success"), description (Chinese; "成功"), returnObj.
# Business failures come on HTTP 200 (the provider's client fails on any other status outside /v2/cce).
ELB_SUCCESS_CODE = "SUCCESS"
ELB_SUCCESS_MESSAGE = "success"
ELB_SUCCESS_DESCRIPTION = "\u6210\u529f"          # 成功
# Ranges from the request structs' comments and the provider's validators (resource_ctyun_elb_target.go).
ELB_WEIGHT_RANGE = (1, 256)
ELB_WEIGHT_DEFAULT = 100                         # "默认为100": also what an update without weight sets
ELB_PORT_RANGE = (1, 65535)
ELB_CLIENT_TOKEN_LEN = (1, 64)
ELB_INSTANCE_TYPES = ("VM", "BM", "ECI", "IP")   # create-target's comment (the provider's validator lacks IP)
ELB_ALGORITHMS = ("rr", "wrr", "lc", "sh")
ELB_MONITOR_PAGE_SIZE = (1, 50)
ELB_MONITOR_PAGE_SIZE_DEFAULT = 10               # assumed
# Error codes. The provider matches no ELB code; its own list (internal/common/error_code.go) has
# "Openapi.<Resource>.NotFound" for the VPC family (Openapi.Vpc.NotFound, Openapi.Eip.NotFound, ...), and its ELB
# resources treat an error whose text holds "not found" or 不存在 as a missing object. The ELB codes below follow
# that pattern and are ASSUMED; messages carry both words.
ELB_ERRORS = {
    "bad_request": "Openapi.Parameter.Error",
    "load_balancer_not_found": "Openapi.Elb.NotFound",
    "target_group_not_found": "Openapi.ElbTargetGroup.NotFound",
    "target_not_found": "Openapi.ElbTarget.NotFound",
    "health_check_not_found": "Openapi.ElbHealthCheck.NotFound",
    "target_exists": "Openapi.ElbTarget.AlreadyExists",
    "quota": "Openapi.ElbTarget.QuotaExceeded",
}
ELB_TARGETS_PER_GROUP = 32                       # the lab's limit (HAProxy server slots per backend)

# Seeded at lab start in REGIONS[0] (ids shaped like the provider's examples: lb-/tg-/hc- and ten characters).
# The listener of the load balancer forwards to ELB_SEED["target_group"]; its one target is the source cluster's
# entry (127.0.0.1 and the entry's port; weight 100). The rr group and the group without a health check exist
# for bad-input tests.
ELB_SEED = {
    "region": REGIONS[0],
    "load_balancer": "lb-labentry01",
    "target_group": "tg-labwrr0001",
    "rr_target_group": "tg-labrr00001",
    "unchecked_target_group": "tg-labnohc001",
    "health_check": "hc-labhttp001",
    "source_target": "target-labsource1",
    "vpc": "vpc-lab0000001",
}
ELB_HEALTH_CHECKS = {
    # show-health-check fields. Path and expected codes are the lab's choice; interval 1 s (CTyun's range 1-20 s)
    # and maxRetry 2 so a new target is online within about two seconds; timeout 5 s, so a check of an entry
    # answering slowly on a loaded machine (the entries share the lab's event loop) does not take the only
    # target of a group down.
    ELB_SEED["health_check"]: {"name": "lab-http-healthz", "protocol": "HTTP", "protocolPort": 0, "timeout": 5,
                               "interval": 1, "maxRetry": 2, "httpMethod": "GET", "httpUrlPath": "/healthz",
                               "httpExpectedCodes": "http_2xx"},
}
ELB_TARGET_GROUPS = (
    {"ID": ELB_SEED["target_group"], "name": "lab-entry-wrr", "algorithm": "wrr",
     "healthCheckID": ELB_SEED["health_check"]},
    {"ID": ELB_SEED["rr_target_group"], "name": "lab-entry-rr", "algorithm": "rr",
     "healthCheckID": ELB_SEED["health_check"]},
    {"ID": ELB_SEED["unchecked_target_group"], "name": "lab-entry-nohc", "algorithm": "wrr", "healthCheckID": ""},
)
# Without the lab's load balancer (the simulation's own tests): the seeded target's port, and the time a new
# target stays "unknown" before it is "online".
ELB_UNBOUND_SOURCE_PORT = 80
KNOB_ELB_ONLINE_S = ("LAB_ELB_ONLINE_S", 0.5)
