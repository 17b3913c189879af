# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Data the assessment rules read: plain tables, easy to review and to extend.

* :data:`REMOVED_APIS`: API versions Kubernetes stopped serving, by release, from the
  upstream "Deprecated API Migration Guide" (kubernetes.io/docs/reference/using-api/
  deprecation-guide/), 1.16 to 1.32.
* :data:`STORAGE_PROVISIONERS` and :data:`CTYUN_STORAGE_CLASSES`: other clouds' storage
  provisioners, the kind of storage they give, and the CTyun storage class proposed for
  it. The CTyun class names are defaults users override (``storage_class_map_overrides``).
* :data:`LB_ANNOTATION_PREFIXES`: other clouds' LoadBalancer/Ingress annotations and what
  to do with them on CTyun.
* :data:`CLOUD_NODE_LABEL_PREFIXES`, :data:`CLOUD_PROVIDER_IDS`: how another cloud shows
  in node labels and ``spec.providerID``.
* :data:`CTYUN_FLAVORS`, :data:`CCE_VERSIONS`: what the proposal may pick on CTyun.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------
# Removed API versions. One row per (group/version, kind): the release that stopped
# serving it, and the replacement group/version (None: no replacement).
# ---------------------------------------------------------------------------
REMOVED_APIS = (
    # v1.16
    dict(group_version="extensions/v1beta1", kind="Deployment", resource="deployments", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="extensions/v1beta1", kind="DaemonSet", resource="daemonsets", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="extensions/v1beta1", kind="ReplicaSet", resource="replicasets", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="extensions/v1beta1", kind="NetworkPolicy", resource="networkpolicies", removed_in="1.16",
         replacement="networking.k8s.io/v1"),
    dict(group_version="extensions/v1beta1", kind="PodSecurityPolicy", resource="podsecuritypolicies",
         removed_in="1.16", replacement="policy/v1beta1"),
    dict(group_version="apps/v1beta1", kind="Deployment", resource="deployments", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="apps/v1beta1", kind="StatefulSet", resource="statefulsets", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="apps/v1beta2", kind="Deployment", resource="deployments", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="apps/v1beta2", kind="StatefulSet", resource="statefulsets", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="apps/v1beta2", kind="DaemonSet", resource="daemonsets", removed_in="1.16",
         replacement="apps/v1"),
    dict(group_version="apps/v1beta2", kind="ReplicaSet", resource="replicasets", removed_in="1.16",
         replacement="apps/v1"),
    # v1.22
    dict(group_version="admissionregistration.k8s.io/v1beta1", kind="MutatingWebhookConfiguration",
         resource="mutatingwebhookconfigurations", removed_in="1.22", replacement="admissionregistration.k8s.io/v1"),
    dict(group_version="admissionregistration.k8s.io/v1beta1", kind="ValidatingWebhookConfiguration",
         resource="validatingwebhookconfigurations", removed_in="1.22",
         replacement="admissionregistration.k8s.io/v1"),
    dict(group_version="apiextensions.k8s.io/v1beta1", kind="CustomResourceDefinition",
         resource="customresourcedefinitions", removed_in="1.22", replacement="apiextensions.k8s.io/v1"),
    dict(group_version="apiregistration.k8s.io/v1beta1", kind="APIService", resource="apiservices",
         removed_in="1.22", replacement="apiregistration.k8s.io/v1"),
    dict(group_version="authentication.k8s.io/v1beta1", kind="TokenReview", resource="tokenreviews",
         removed_in="1.22", replacement="authentication.k8s.io/v1"),
    dict(group_version="authorization.k8s.io/v1beta1", kind="SubjectAccessReview", resource="subjectaccessreviews",
         removed_in="1.22", replacement="authorization.k8s.io/v1"),
    dict(group_version="certificates.k8s.io/v1beta1", kind="CertificateSigningRequest",
         resource="certificatesigningrequests", removed_in="1.22", replacement="certificates.k8s.io/v1"),
    dict(group_version="coordination.k8s.io/v1beta1", kind="Lease", resource="leases", removed_in="1.22",
         replacement="coordination.k8s.io/v1"),
    dict(group_version="extensions/v1beta1", kind="Ingress", resource="ingresses", removed_in="1.22",
         replacement="networking.k8s.io/v1"),
    dict(group_version="networking.k8s.io/v1beta1", kind="Ingress", resource="ingresses", removed_in="1.22",
         replacement="networking.k8s.io/v1"),
    dict(group_version="networking.k8s.io/v1beta1", kind="IngressClass", resource="ingressclasses",
         removed_in="1.22", replacement="networking.k8s.io/v1"),
    dict(group_version="rbac.authorization.k8s.io/v1beta1", kind="ClusterRole", resource="clusterroles",
         removed_in="1.22", replacement="rbac.authorization.k8s.io/v1"),
    dict(group_version="rbac.authorization.k8s.io/v1beta1", kind="ClusterRoleBinding",
         resource="clusterrolebindings", removed_in="1.22", replacement="rbac.authorization.k8s.io/v1"),
    dict(group_version="rbac.authorization.k8s.io/v1beta1", kind="Role", resource="roles", removed_in="1.22",
         replacement="rbac.authorization.k8s.io/v1"),
    dict(group_version="rbac.authorization.k8s.io/v1beta1", kind="RoleBinding", resource="rolebindings",
         removed_in="1.22", replacement="rbac.authorization.k8s.io/v1"),
    dict(group_version="scheduling.k8s.io/v1beta1", kind="PriorityClass", resource="priorityclasses",
         removed_in="1.22", replacement="scheduling.k8s.io/v1"),
    dict(group_version="storage.k8s.io/v1beta1", kind="CSIDriver", resource="csidrivers", removed_in="1.22",
         replacement="storage.k8s.io/v1"),
    dict(group_version="storage.k8s.io/v1beta1", kind="CSINode", resource="csinodes", removed_in="1.22",
         replacement="storage.k8s.io/v1"),
    dict(group_version="storage.k8s.io/v1beta1", kind="StorageClass", resource="storageclasses", removed_in="1.22",
         replacement="storage.k8s.io/v1"),
    dict(group_version="storage.k8s.io/v1beta1", kind="VolumeAttachment", resource="volumeattachments",
         removed_in="1.22", replacement="storage.k8s.io/v1"),
    # v1.25
    dict(group_version="batch/v1beta1", kind="CronJob", resource="cronjobs", removed_in="1.25",
         replacement="batch/v1"),
    dict(group_version="discovery.k8s.io/v1beta1", kind="EndpointSlice", resource="endpointslices",
         removed_in="1.25", replacement="discovery.k8s.io/v1"),
    dict(group_version="events.k8s.io/v1beta1", kind="Event", resource="events", removed_in="1.25",
         replacement="events.k8s.io/v1"),
    dict(group_version="autoscaling/v2beta1", kind="HorizontalPodAutoscaler", resource="horizontalpodautoscalers",
         removed_in="1.25", replacement="autoscaling/v2"),
    dict(group_version="policy/v1beta1", kind="PodDisruptionBudget", resource="poddisruptionbudgets",
         removed_in="1.25", replacement="policy/v1"),
    dict(group_version="policy/v1beta1", kind="PodSecurityPolicy", resource="podsecuritypolicies",
         removed_in="1.25", replacement=None,
         note="PodSecurityPolicy has no replacement API: use Pod Security Admission labels on namespaces."),
    dict(group_version="node.k8s.io/v1beta1", kind="RuntimeClass", resource="runtimeclasses", removed_in="1.25",
         replacement="node.k8s.io/v1"),
    # v1.26
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta1", kind="FlowSchema", resource="flowschemas",
         removed_in="1.26", replacement="flowcontrol.apiserver.k8s.io/v1"),
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta1", kind="PriorityLevelConfiguration",
         resource="prioritylevelconfigurations", removed_in="1.26", replacement="flowcontrol.apiserver.k8s.io/v1"),
    dict(group_version="autoscaling/v2beta2", kind="HorizontalPodAutoscaler", resource="horizontalpodautoscalers",
         removed_in="1.26", replacement="autoscaling/v2"),
    # v1.27
    dict(group_version="storage.k8s.io/v1beta1", kind="CSIStorageCapacity", resource="csistoragecapacities",
         removed_in="1.27", replacement="storage.k8s.io/v1"),
    # v1.29
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta2", kind="FlowSchema", resource="flowschemas",
         removed_in="1.29", replacement="flowcontrol.apiserver.k8s.io/v1"),
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta2", kind="PriorityLevelConfiguration",
         resource="prioritylevelconfigurations", removed_in="1.29", replacement="flowcontrol.apiserver.k8s.io/v1"),
    # v1.32
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta3", kind="FlowSchema", resource="flowschemas",
         removed_in="1.32", replacement="flowcontrol.apiserver.k8s.io/v1"),
    dict(group_version="flowcontrol.apiserver.k8s.io/v1beta3", kind="PriorityLevelConfiguration",
         resource="prioritylevelconfigurations", removed_in="1.32", replacement="flowcontrol.apiserver.k8s.io/v1"),
)


def parse_version(text):
    """``"v1.22.17-eks-abc"`` -> ``(1, 22, 17)``; missing parts are 0. None when unparsable."""
    if text is None:
        return None
    match = re.match(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(text))
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def removed_between(source_version, target_version, table=REMOVED_APIS):
    """Rows removed in a release after ``source_version`` and up to ``target_version`` (inclusive).

    Rows removed at or before the source version cannot be served by the source and are
    left out; the caller still checks discovery, which is the ground truth.
    """
    src = parse_version(source_version) or (0, 0, 0)
    dst = parse_version(target_version)
    if dst is None:
        return []
    rows = []
    for row in table:
        removed = parse_version(row["removed_in"])
        if src[:2] < removed[:2] <= dst[:2]:
            rows.append(row)
    return rows


def removed_by(target_version, table=REMOVED_APIS):
    """Every row no longer served by ``target_version``."""
    dst = parse_version(target_version)
    if dst is None:
        return []
    return [row for row in table if parse_version(row["removed_in"])[:2] <= dst[:2]]


# ---------------------------------------------------------------------------
# Storage: what kind of storage a provisioner gives, and the CTyun class proposed.
# Categories: block-hdd, block-ssd, block-fast, file, object, local.
# ---------------------------------------------------------------------------
CTYUN_STORAGE_CLASSES = {
    # CTyun elastic block storage (云硬盘): SAS (high IO), SSD (ultra-high IO), fast SSD.
    "block-hdd": "ctyun-ebs-sas",
    "block-ssd": "ctyun-ebs-ssd",
    "block-fast": "ctyun-ebs-fast-ssd",
    # CTyun elastic file service (弹性文件 SFS) and object storage (ZOS).
    "file": "ctyun-sfs",
    "object": "ctyun-zos",
}

# provisioner -> dict(cloud, category, type_parameter, types: {parameter value -> category})
STORAGE_PROVISIONERS = {
    # Amazon Web Services
    "ebs.csi.aws.com": dict(cloud="aws", category="block-ssd", type_parameter="type",
                            types={"gp2": "block-ssd", "gp3": "block-ssd", "io1": "block-fast", "io2": "block-fast",
                                   "st1": "block-hdd", "sc1": "block-hdd", "standard": "block-hdd"}),
    "kubernetes.io/aws-ebs": dict(cloud="aws", category="block-ssd", type_parameter="type",
                                  types={"gp2": "block-ssd", "gp3": "block-ssd", "io1": "block-fast",
                                         "st1": "block-hdd", "sc1": "block-hdd", "standard": "block-hdd"}),
    "efs.csi.aws.com": dict(cloud="aws", category="file"),
    "fsx.csi.aws.com": dict(cloud="aws", category="file"),
    "s3.csi.aws.com": dict(cloud="aws", category="object"),
    # Google Cloud
    "pd.csi.storage.gke.io": dict(cloud="gcp", category="block-ssd", type_parameter="type",
                                  types={"pd-standard": "block-hdd", "pd-balanced": "block-ssd", "pd-ssd": "block-ssd",
                                         "pd-extreme": "block-fast", "hyperdisk-balanced": "block-fast",
                                         "hyperdisk-extreme": "block-fast"}),
    "kubernetes.io/gce-pd": dict(cloud="gcp", category="block-ssd", type_parameter="type",
                                 types={"pd-standard": "block-hdd", "pd-ssd": "block-ssd"}),
    "filestore.csi.storage.gke.io": dict(cloud="gcp", category="file"),
    "gcsfuse.csi.storage.gke.io": dict(cloud="gcp", category="object"),
    # Microsoft Azure
    "disk.csi.azure.com": dict(cloud="azure", category="block-ssd", type_parameter="skuName",
                               types={"Standard_LRS": "block-hdd", "StandardSSD_LRS": "block-ssd",
                                      "StandardSSD_ZRS": "block-ssd", "Premium_LRS": "block-ssd",
                                      "Premium_ZRS": "block-ssd", "PremiumV2_LRS": "block-fast",
                                      "UltraSSD_LRS": "block-fast"}),
    "kubernetes.io/azure-disk": dict(cloud="azure", category="block-ssd", type_parameter="skuName",
                                     types={"Standard_LRS": "block-hdd", "Premium_LRS": "block-ssd"}),
    "file.csi.azure.com": dict(cloud="azure", category="file"),
    "kubernetes.io/azure-file": dict(cloud="azure", category="file"),
    "blob.csi.azure.com": dict(cloud="azure", category="object"),
    # Alibaba Cloud
    "diskplugin.csi.alibabacloud.com": dict(cloud="alibaba", category="block-ssd", type_parameter="type",
                                            types={"cloud_efficiency": "block-hdd", "cloud": "block-hdd",
                                                   "cloud_ssd": "block-ssd", "cloud_essd": "block-fast",
                                                   "cloud_auto": "block-ssd", "cloud_essd_entry": "block-ssd"}),
    "alicloud/disk": dict(cloud="alibaba", category="block-ssd", type_parameter="type",
                          types={"cloud_efficiency": "block-hdd", "cloud_ssd": "block-ssd",
                                 "cloud_essd": "block-fast"}),
    "nasplugin.csi.alibabacloud.com": dict(cloud="alibaba", category="file"),
    "ossplugin.csi.alibabacloud.com": dict(cloud="alibaba", category="object"),
    # Tencent Cloud
    "com.tencent.cloud.csi.cbs": dict(cloud="tencent", category="block-ssd", type_parameter="diskType",
                                      types={"CLOUD_BASIC": "block-hdd", "CLOUD_PREMIUM": "block-hdd",
                                             "CLOUD_SSD": "block-ssd", "CLOUD_HSSD": "block-fast",
                                             "CLOUD_BSSD": "block-ssd", "CLOUD_TSSD": "block-fast"}),
    "cloud.tencent.com/qcloud-cbs": dict(cloud="tencent", category="block-hdd"),
    "com.tencent.cloud.csi.cfs": dict(cloud="tencent", category="file"),
    "com.tencent.cloud.csi.cosfs": dict(cloud="tencent", category="object"),
    # Huawei Cloud
    "everest-csi-provisioner": dict(cloud="huawei", category="block-ssd",
                                    type_parameter="everest.io/disk-volume-type",
                                    types={"SATA": "block-hdd", "SAS": "block-hdd", "SSD": "block-ssd",
                                           "GPSSD": "block-ssd", "ESSD": "block-fast"}),
    "disk.csi.everest.io": dict(cloud="huawei", category="block-ssd"),
    "nas.csi.everest.io": dict(cloud="huawei", category="file"),
    "obs.csi.everest.io": dict(cloud="huawei", category="object"),
    # Local storage: data lives on one node, there is nothing to map it to.
    "kubernetes.io/no-provisioner": dict(cloud=None, category="local"),
    "rancher.io/local-path": dict(cloud=None, category="local"),
    "openebs.io/local": dict(cloud=None, category="local"),
}

# Provisioners already on CTyun (names used by CCE's storage plugins); kept as they are.
CTYUN_PROVISIONER_PREFIXES = ("ebs.csi.ctyun", "sfs.csi.ctyun", "zos.csi.ctyun", "csi.ctyun", "ctyun")


def classify_storage_class(provisioner, parameters=None, table=None):
    """Return ``(cloud, category)`` for a StorageClass; ``(None, None)`` when unknown."""
    table = STORAGE_PROVISIONERS if table is None else table
    if not provisioner:
        return None, None
    if provisioner.startswith(CTYUN_PROVISIONER_PREFIXES):
        return "ctyun", "ctyun"
    row = table.get(provisioner)
    if row is None:
        return None, None
    category = row["category"]
    parameters = parameters or {}
    param = row.get("type_parameter")
    if param and parameters.get(param) is not None:
        category = row.get("types", {}).get(str(parameters[param]), category)
    return row.get("cloud"), category


# ---------------------------------------------------------------------------
# LoadBalancer / Ingress annotations of other clouds.
# prefix -> dict(cloud, advice, rewrite: None (drop) or {"key": ctyun annotation, "values": {...}})
# The CTyun keys are the ones CCE's cloud controller reads for ELB; confirm them against the
# CCE documentation of your region before cutover (docs/assessment.md).
# ---------------------------------------------------------------------------
CTYUN_LB_ANNOTATION_PREFIX = "service.beta.kubernetes.io/ctyun-loadbalancer-"

LB_ANNOTATION_PREFIXES = (
    ("service.beta.kubernetes.io/aws-load-balancer-", "aws"),
    ("service.kubernetes.io/aws-load-balancer-", "aws"),
    ("alb.ingress.kubernetes.io/", "aws"),
    ("service.beta.kubernetes.io/azure-", "azure"),
    ("appgw.ingress.kubernetes.io/", "azure"),
    ("cloud.google.com/load-balancer-type", "gcp"),
    ("cloud.google.com/neg", "gcp"),
    ("cloud.google.com/backend-config", "gcp"),
    ("networking.gke.io/", "gcp"),
    ("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-", "alibaba"),
    ("service.beta.kubernetes.io/alicloud-loadbalancer-", "alibaba"),
    ("service.kubernetes.io/qcloud-loadbalancer-", "tencent"),
    ("service.kubernetes.io/tke-", "tencent"),
    ("service.cloud.tencent.com/", "tencent"),
    ("kubernetes.io/elb.", "huawei"),
    ("service.beta.kubernetes.io/oci-load-balancer-", "oracle"),
    ("service.beta.kubernetes.io/do-loadbalancer-", "digitalocean"),
)

# Annotations with a CTyun equivalent: source key -> (ctyun key, value map or None to keep the value).
LB_ANNOTATION_REWRITES = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"true": "intranet", "0.0.0.0/0": "intranet"}),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"internal": "intranet", "internet-facing": "internet"}),
    "service.beta.kubernetes.io/azure-load-balancer-internal": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"true": "intranet", "false": "internet"}),
    "cloud.google.com/load-balancer-type": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"Internal": "intranet", "internal": "intranet",
                                                      "External": "internet"}),
    "networking.gke.io/load-balancer-type": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"Internal": "intranet", "External": "internet"}),
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": (
        CTYUN_LB_ANNOTATION_PREFIX + "address-type", {"intranet": "intranet", "internet": "internet"}),
    "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": (
        CTYUN_LB_ANNOTATION_PREFIX + "subnet-id", None),
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": (
        CTYUN_LB_ANNOTATION_PREFIX + "cert-id", None),
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id": (
        CTYUN_LB_ANNOTATION_PREFIX + "cert-id", None),
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec": (
        CTYUN_LB_ANNOTATION_PREFIX + "spec", None),
}


def lb_annotation_cloud(key, prefixes=LB_ANNOTATION_PREFIXES):
    """The cloud an annotation key belongs to, or None."""
    for prefix, cloud in prefixes:
        if key.startswith(prefix):
            return cloud
    return None


def lb_annotation_advice(key, value=None):
    """``(ctyun_key or None, ctyun_value or None, advice text)`` for another cloud's annotation."""
    rewrite = LB_ANNOTATION_REWRITES.get(key)
    if rewrite is None:
        return None, None, ("remove it on CTyun (no CTyun equivalent); configure the CTyun ELB with "
                            "%s* annotations where the behaviour is needed" % CTYUN_LB_ANNOTATION_PREFIX)
    ctyun_key, values = rewrite
    new_value = value if values is None else values.get(str(value), None)
    if values is not None and new_value is None:
        return ctyun_key, None, "rewrite to %s (choose the value for '%s' by hand)" % (ctyun_key, value)
    return ctyun_key, new_value, "rewrite to %s: %s" % (ctyun_key, new_value)


# ---------------------------------------------------------------------------
# Nodes of another cloud.
# ---------------------------------------------------------------------------
CLOUD_NODE_LABEL_PREFIXES = (
    ("eks.amazonaws.com/", "aws"),
    ("alpha.eksctl.io/", "aws"),
    ("karpenter.k8s.aws/", "aws"),
    ("topology.ebs.csi.aws.com/", "aws"),
    ("cloud.google.com/", "gcp"),
    ("topology.gke.io/", "gcp"),
    ("kubernetes.azure.com/", "azure"),
    ("topology.disk.csi.azure.com/", "azure"),
    ("alibabacloud.com/", "alibaba"),
    ("node.alibabacloud.com/", "alibaba"),
    ("topology.diskplugin.csi.alibabacloud.com/", "alibaba"),
    ("cloud.tencent.com/", "tencent"),
    ("node.tke.cloud.tencent.com/", "tencent"),
    ("tke.cloud.tencent.com/", "tencent"),
    ("node.cce.io/", "huawei"),
    ("topology.everest.csi.com/", "huawei"),
)

# Well-known labels whose *values* are cloud specific (instance types, zones, regions).
CLOUD_VALUED_NODE_LABELS = (
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
)

CLOUD_PROVIDER_IDS = (
    ("aws://", "aws"),
    ("gce://", "gcp"),
    ("azure://", "azure"),
    ("alicloud://", "alibaba"),
    ("qcloud://", "tencent"),
    ("huaweicloud://", "huawei"),
    ("oci://", "oracle"),
    ("digitalocean://", "digitalocean"),
    ("ctyun://", "ctyun"),
)

# Instance type naming patterns, when providerID says nothing.
INSTANCE_TYPE_PATTERNS = (
    (re.compile(r"^ecs\.[a-z0-9-]+\.[a-z0-9]+$"), "alibaba"),
    (re.compile(r"^Standard_[A-Za-z0-9_]+$"), "azure"),
    (re.compile(r"^[a-z][0-9][a-z0-9-]*-(standard|highmem|highcpu|medium|small|micro)(-\d+)?$"), "gcp"),
    (re.compile(r"^(e2|n1|n2|n2d|c2|c3|t2d|m1|m2)-[a-z]+(-\d+)?$"), "gcp"),
    (re.compile(r"^[A-Z]{1,3}\d[a-z]?\.[A-Z0-9]+$"), "tencent"),
    (re.compile(r"^[a-z]+\d[a-z]*\.(nano|micro|small|medium|large|\d*xlarge|metal)$"), "aws"),
)


def node_label_cloud(key, prefixes=CLOUD_NODE_LABEL_PREFIXES):
    for prefix, cloud in prefixes:
        if key.startswith(prefix):
            return cloud
    return None


def provider_id_cloud(provider_id):
    if not provider_id:
        return None
    for prefix, cloud in CLOUD_PROVIDER_IDS:
        if provider_id.startswith(prefix):
            return cloud
    return None


def instance_type_cloud(instance_type):
    if not instance_type:
        return None
    for pattern, cloud in INSTANCE_TYPE_PATTERNS:
        if pattern.match(instance_type):
            return cloud
    return None


# ---------------------------------------------------------------------------
# Images: registries of other clouds (for the registry map) and the CTyun registry.
# ---------------------------------------------------------------------------
CLOUD_REGISTRY_PATTERNS = (
    (re.compile(r"^\d+\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"), "aws"),
    (re.compile(r"^public\.ecr\.aws$"), "aws"),
    (re.compile(r"^([a-z0-9-]+\.)?gcr\.io$"), "gcp"),
    (re.compile(r"^[a-z0-9-]+-docker\.pkg\.dev$"), "gcp"),
    (re.compile(r"^[a-z0-9]+\.azurecr\.(io|cn)$"), "azure"),
    (re.compile(r"^(registry|registry-vpc)\.[a-z0-9-]+\.aliyuncs\.com$"), "alibaba"),
    (re.compile(r"^[a-z0-9-]+-registry(-vpc)?\.[a-z0-9-]+\.cr\.aliyuncs\.com$"), "alibaba"),
    (re.compile(r"^(ccr|[a-z0-9-]+\.tencentcloudcr)\.(ccs\.tencentyun\.com|com)$"), "tencent"),
    (re.compile(r"^swr\.[a-z0-9-]+\.myhuaweicloud\.com$"), "huawei"),
)

# Default CTyun image registry endpoint used in the proposed registry map; set
# ``assess_ctyun_registry`` (role) or ``ctyun_registry`` (module) to yours.
DEFAULT_CTYUN_REGISTRY = "registry.ctyun.local/migrated"


def registry_cloud(registry):
    for pattern, cloud in CLOUD_REGISTRY_PATTERNS:
        if pattern.match(registry or ""):
            return cloud
    return None


# ---------------------------------------------------------------------------
# Target: CCE versions and worker flavors the proposal may choose.
# ---------------------------------------------------------------------------
DEFAULT_TARGET_VERSION = "1.29.3"
CCE_VERSIONS = ("1.25.6", "1.27.8", "1.29.3", "1.31.6")

# name (as the target_cluster role takes it), vCPU, memory GiB; ordered small to large per family.
CTYUN_FLAVORS = (
    dict(name="general 2C4G", family="general", cpu=2, memory_gib=4),
    dict(name="general 4C8G", family="general", cpu=4, memory_gib=8),
    dict(name="general 8C16G", family="general", cpu=8, memory_gib=16),
    dict(name="general 16C32G", family="general", cpu=16, memory_gib=32),
    dict(name="general 32C64G", family="general", cpu=32, memory_gib=64),
    dict(name="memory 4C32G", family="memory", cpu=4, memory_gib=32),
    dict(name="memory 8C64G", family="memory", cpu=8, memory_gib=64),
    dict(name="memory 16C128G", family="memory", cpu=16, memory_gib=128),
)
DEFAULT_FLAVOR = "general 4C8G"
