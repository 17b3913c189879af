# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a workload's pod template depends on, as Karmada's default interpreter finds it
(``pkg/resourceinterpreter/default/native/dependencies.go`` with ``pkg/util/helper/pod.go``):
ConfigMaps, Secrets, ServiceAccounts and PersistentVolumeClaims in the workload's namespace."""

from __future__ import annotations


def pod_spec(obj):
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def dependencies(obj):
    """Sorted list of (kind, name) the workload references."""
    if obj.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"):
        return []
    spec = pod_spec(obj)
    deps = set()
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if sa and sa != "default":
        deps.add(("ServiceAccount", sa))
    for ref in spec.get("imagePullSecrets") or []:
        if ref.get("name"):
            deps.add(("Secret", ref["name"]))
    for vol in spec.get("volumes") or []:
        if (vol.get("configMap") or {}).get("name"):
            deps.add(("ConfigMap", vol["configMap"]["name"]))
        if (vol.get("secret") or {}).get("secretName"):
            deps.add(("Secret", vol["secret"]["secretName"]))
        if (vol.get("persistentVolumeClaim") or {}).get("claimName"):
            deps.add(("PersistentVolumeClaim", vol["persistentVolumeClaim"]["claimName"]))
        # the other secret references of Kubernetes' VisitPodSecretNames, which Karmada lifts
        # (pkg/util/lifted/visitpod.go): azureFile, cephfs, cinder, flexVolume, rbd, scaleIO,
        # iscsi, storageos, csi (nodePublishSecretRef)
        if (vol.get("azureFile") or {}).get("secretName"):
            deps.add(("Secret", vol["azureFile"]["secretName"]))
        for source_kind in ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"):
            if ((vol.get(source_kind) or {}).get("secretRef") or {}).get("name"):
                deps.add(("Secret", vol[source_kind]["secretRef"]["name"]))
        if ((vol.get("csi") or {}).get("nodePublishSecretRef") or {}).get("name"):
            deps.add(("Secret", vol["csi"]["nodePublishSecretRef"]["name"]))
        for source in (vol.get("projected") or {}).get("sources") or []:
            if (source.get("configMap") or {}).get("name"):
                deps.add(("ConfigMap", source["configMap"]["name"]))
            if (source.get("secret") or {}).get("name"):
                deps.add(("Secret", source["secret"]["name"]))
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            for env in container.get("env") or []:
                ref = env.get("valueFrom") or {}
                if (ref.get("configMapKeyRef") or {}).get("name"):
                    deps.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
                if (ref.get("secretKeyRef") or {}).get("name"):
                    deps.add(("Secret", ref["secretKeyRef"]["name"]))
            for src in container.get("envFrom") or []:
                if (src.get("configMapRef") or {}).get("name"):
                    deps.add(("ConfigMap", src["configMapRef"]["name"]))
                if (src.get("secretRef") or {}).get("name"):
                    deps.add(("Secret", src["secretRef"]["name"]))
    return sorted(deps)
