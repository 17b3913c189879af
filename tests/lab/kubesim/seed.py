"""Deterministic estates: the source cluster (another cloud's) and the empty target."""

from __future__ import annotations

import base64
import collections
import random

SOURCE_REGISTRY = "registry.cn-hangzhou.aliyuncs.com"
NAMESPACES = ("shop", "payments", "web", "data")
APPS = ("cart", "checkout", "catalog", "search", "profile", "orders", "gateway", "billing", "notify", "reviews",
        "inventory", "pricing", "ledger", "auth", "media")
ALIBABA_LB = {
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec": "slb.s1.small",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
}


def _node(name, labels, cpu="4", memory="16Gi"):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": {}, "status": {
                "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                "allocatable": {"cpu": str(int(cpu) - 0) if cpu.isdigit() else cpu, "memory": memory, "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
                "nodeInfo": {"osImage": labels.get("lab/os", "Alibaba Cloud Linux 3"), "kernelVersion": "5.10.134",
                             "containerRuntimeVersion": "containerd://1.6.20", "kubeletVersion": "v1.22.17",
                             "architecture": "amd64", "operatingSystem": "linux", "bootID": name,
                             "machineID": name, "systemUUID": name, "kubeProxyVersion": "v1.22.17"}}}


def source_objects(workloads, seed):
    rng = random.Random("source-%s" % seed)
    objs = []
    secrets = []
    for ns in NAMESPACES:
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": ns}},
                     "status": {"phase": "Active"}})
    for i, zone in enumerate(("cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-h")):
        objs.append(_node("cn-hangzhou.10.0.%d.%d" % (i, 10 + i), {
            "kubernetes.io/hostname": "cn-hangzhou.10.0.%d.%d" % (i, 10 + i), "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "ecs.g6.xlarge", "topology.kubernetes.io/zone": zone,
            "topology.kubernetes.io/region": "cn-hangzhou", "alibabacloud.com/nodepool-id": "np-lab%d" % i}))
    for name, prov, ptype in (("alicloud-disk-essd", "diskplugin.csi.alibabacloud.com", "cloud_essd"),
                              ("alicloud-disk-efficiency", "diskplugin.csi.alibabacloud.com", "cloud_efficiency")):
        objs.append({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
                     "provisioner": prov, "parameters": {"type": ptype}, "reclaimPolicy": "Delete",
                     "volumeBindingMode": "WaitForFirstConsumer"})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
                 "spec": {"controller": "k8s.io/ingress-nginx"}})
    for i in range(workloads):
        ns = NAMESPACES[i % len(NAMESPACES)]
        app = "%s-%d" % (APPS[i % len(APPS)], i)
        labels = {"app": app, "tier": "backend" if i % 3 else "frontend"}
        replicas = 1 + rng.randrange(3)
        image = "%s/%s/%s:v1.%d.%d" % (SOURCE_REGISTRY, ns, APPS[i % len(APPS)], rng.randrange(5), rng.randrange(10))
        container = {"name": "app", "image": image, "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                     "resources": {"requests": {"cpu": "%dm" % (100 * (1 + rng.randrange(4))),
                                                "memory": "%dMi" % (128 * (1 + rng.randrange(4)))}}}
        pod_spec = {"containers": [container]}
        volumes = []
        if i % 2 == 0:
            cm = "%s-config" % app
            objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm, "namespace": ns,
                                                                               "labels": {"app": app}},
                         "data": {"app.properties": "mode=production\nport=8080\n"}})
            volumes.append({"name": "config", "configMap": {"name": cm}})
            container["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app"}]
        if i % 3 == 0:
            sec = "%s-credentials" % app
            value = "lab-secret-value-%d-%s" % (i, seed)
            secrets.append(value)
            objs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                         "metadata": {"name": sec, "namespace": ns, "labels": {"app": app}},
                         "data": {"password": base64.b64encode(value.encode()).decode()}})
            container["env"] = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": sec,
                                                                                       "key": "password"}}}]
        if i % 4 == 0:
            sa = "%s-sa" % app
            objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}})
            pod_spec["serviceAccountName"] = sa
        if i % 5 == 0:
            pvc = "%s-data" % app
            objs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                         "metadata": {"name": pvc, "namespace": ns, "labels": {"app": app}},
                         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "alicloud-disk-essd",
                                  "resources": {"requests": {"storage": "%dGi" % (20 * (1 + rng.randrange(3)))}}},
                         "status": {"phase": "Bound"}})
            volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": pvc}})
        if volumes:
            pod_spec["volumes"] = volumes
        objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": app, "namespace": ns, "labels": labels},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                              "strategy": {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                              "template": {"metadata": {"labels": labels}, "spec": pod_spec}}})
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns,
                                                                   "labels": {"app": app}},
               "spec": {"type": "ClusterIP", "selector": {"app": app},
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                        "clusterIP": "172.21.%d.%d" % (i // 250, 1 + i % 250)}}
        if i % 10 == 0:
            svc["spec"]["type"] = "LoadBalancer"
            svc["metadata"]["annotations"] = dict(ALIBABA_LB)
        objs.append(svc)
    # stateful database with volume claim templates
    objs.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "mysql", "namespace": "data"},
                 "spec": {"replicas": 2, "serviceName": "mysql", "selector": {"matchLabels": {"app": "mysql"}},
                          "template": {"metadata": {"labels": {"app": "mysql"}}, "spec": {"containers": [
                              {"name": "mysql", "image": "%s/data/mysql:8.0.36" % SOURCE_REGISTRY,
                               "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}},
                          "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                              "accessModes": ["ReadWriteOnce"], "storageClassName": "alicloud-disk-essd",
                              "resources": {"requests": {"storage": "100Gi"}}}}]}})
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "mysql", "namespace": "data"},
                 "spec": {"clusterIP": "None", "selector": {"app": "mysql"}, "ports": [{"port": 3306}]}})
    # node agent: privileged, host network, hostPath
    objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "log-agent",
                                                                           "namespace": "kube-system"},
                 "spec": {"selector": {"matchLabels": {"app": "log-agent"}},
                          "template": {"metadata": {"labels": {"app": "log-agent"}}, "spec": {
                              "hostNetwork": True,
                              "containers": [{"name": "agent", "image": "%s/acs/logtail:1.8.0" % SOURCE_REGISTRY,
                                              "securityContext": {"privileged": True},
                                              "volumeMounts": [{"name": "varlog", "mountPath": "/var/log"}]}],
                              "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}]}}}})
    # batch on the deprecated API
    objs.append({"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "nightly-report",
                                                                               "namespace": "data"},
                 "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                     "restartPolicy": "OnFailure",
                     "containers": [{"name": "report", "image": "%s/data/report:2.1" % SOURCE_REGISTRY}]}}}}}})
    objs.append({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget",
                 "metadata": {"name": "checkout-pdb", "namespace": "shop"},
                 "spec": {"minAvailable": 1, "selector": {"matchLabels": {"tier": "frontend"}}}})
    if workloads:
        target_app = "%s-%d" % (APPS[2 % len(APPS)], 2) if workloads > 2 else "%s-0" % APPS[0]
        target_ns = NAMESPACES[2 % len(NAMESPACES)] if workloads > 2 else NAMESPACES[0]
        objs.append({"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": target_app, "namespace": target_ns},
                     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target_app},
                              "minReplicas": 1, "maxReplicas": 5,
                              "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                  "type": "Utilization", "averageUtilization": 70}}}]}})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "storefront", "namespace": "web",
                              "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
                 "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
                     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "gateway-6" if workloads > 6
                                                                                  else "cart-0",
                                                                                  "port": {"number": 80}}}}]}}]}})
    return objs, secrets


def target_objects():
    objs = []
    for i, zone in enumerate(("cn-huadong1-az1", "cn-huadong1-az2", "cn-huadong1-az3")):
        objs.append(_node("cce-node-%d" % i, {
            "kubernetes.io/hostname": "cce-node-%d" % i, "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "general.4c8g", "topology.kubernetes.io/zone": zone,
            "lab/os": "CTyunOS 23.01"}, cpu="4", memory="8Gi"))
    objs.append({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "ctyun-ebs-ssd"},
                 "provisioner": "ebs.csi.ctyun.cn", "parameters": {"type": "SSD"}})
    return objs


def load(store, objs):
    counts = collections.Counter()
    for obj in objs:
        store.create(obj)
        counts[obj["kind"]] += 1
    return dict(counts)
