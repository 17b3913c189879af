# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Propose the target from the assessment facts: pure functions, no I/O.

The proposal uses the shapes later stages take as input, so a reviewed proposal can be fed on:

* ``storage_class_map``: dict source StorageClass -> CTyun StorageClass (``override_policy``,
  ``data_migration``);
* ``registry_map``: list of ``{from, to}`` image prefixes (``override_policy``, ``image_sync``);
* ``lb_annotation_rewrites``: dict source annotation key -> CTyun key, or null to remove it;
* ``override_policy``: ``registry_map``, ``storage_class_map``, ``remove_annotations`` and
  ``add_annotations`` as the ``override_policy`` module takes them (``promote_remove_annotations``);
* ``target_cluster``: variables of the ``target_cluster`` role (version, worker flavor and count).
"""

from __future__ import annotations

import math

from . import tables

PUBLIC_REGISTRIES = ("docker.io", "quay.io", "ghcr.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io/distroless",
                     "mcr.microsoft.com", "public.ecr.aws")
# Share of a node's capacity left for pods after system reservations (kubelet, OS).
ALLOCATABLE_CPU_RATIO = 0.9
ALLOCATABLE_MEMORY_RATIO = 0.85
GIB = 1024 ** 3


def choose_version(source_version, target_version=tables.DEFAULT_TARGET_VERSION, versions=tables.CCE_VERSIONS):
    """Return ``(version, compatible, reason)``.

    The requested target is kept when it is not older than the source (a migration must not
    move workloads to an older Kubernetes); otherwise the oldest CCE version not older than
    the source is proposed.
    """
    src = tables.parse_version(source_version)
    dst = tables.parse_version(target_version)
    if dst is None:
        return target_version, False, "target version %r is not a Kubernetes version" % (target_version,)
    if src is None or src[:2] <= dst[:2]:
        return target_version, True, "target %s is not older than the source %s" % (target_version, source_version)
    for candidate in sorted(versions, key=tables.parse_version):
        if tables.parse_version(candidate)[:2] >= src[:2]:
            return candidate, False, ("target %s is older than the source %s; proposing CCE %s instead"
                                      % (target_version, source_version, candidate))
    return target_version, False, ("no CCE version in the table is as new as the source %s; check the versions "
                                   "CCE offers in your region" % source_version)


def storage_class_map(storage_classes, overrides=None, ctyun_classes=None):
    """Source StorageClass name -> CTyun StorageClass name.

    ``overrides`` keys may be a source class name or a provisioner name; a class name wins.
    Classes already on CTyun, local classes and unknown provisioners are not mapped unless an
    override names them.
    """
    overrides = overrides or {}
    ctyun = dict(tables.CTYUN_STORAGE_CLASSES)
    ctyun.update(ctyun_classes or {})
    result = {}
    for sc in storage_classes:
        name = sc.get("name")
        if name in overrides:
            result[name] = overrides[name]
        elif sc.get("provisioner") in overrides:
            result[name] = overrides[sc["provisioner"]]
        elif sc.get("category") in ctyun:
            result[name] = ctyun[sc["category"]]
    return dict(sorted(result.items()))


def is_public_registry(registry):
    return registry in PUBLIC_REGISTRIES


def registry_map(registries, ctyun_registry=tables.DEFAULT_CTYUN_REGISTRY, include_public=True):
    """``[{from: registry, to: ctyun_registry}]`` for every registry the workloads pull from."""
    rows = []
    target = ctyun_registry.rstrip("/")
    for registry in sorted(registries):
        if registry == target or target.startswith(registry + "/"):
            continue
        if not include_public and is_public_registry(registry):
            continue
        rows.append({"from": registry, "to": target})
    return rows


def lb_annotation_rewrites(observations):
    """Annotation key -> CTyun key (or None: remove), from the collected LB/Ingress annotations.

    ``observations`` maps annotation keys to dicts with ``ctyun_key`` (see collect.Inventory).
    """
    return dict(sorted((key, entry.get("ctyun_key")) for key, entry in (observations or {}).items()))


def annotation_overrides(observations):
    """``(remove_annotations, add_annotations)`` for ``override_policy`` on the target member.

    Every other-cloud annotation key is removed; a CTyun key is added only when all objects
    map to one and the same CTyun value (an override applies to every selected object alike).
    """
    remove, add = [], {}
    for key, entry in sorted((observations or {}).items()):
        remove.append(key)
        ctyun_key = entry.get("ctyun_key")
        values = set(v for v in (entry.get("values") or {}).values() if v is not None)
        if ctyun_key and len(values) == 1 and None not in (entry.get("values") or {}).values():
            add[ctyun_key] = values.pop()
    return remove, dict(sorted(add.items()))


def size_nodes(workloads, flavors=tables.CTYUN_FLAVORS, default_flavor=tables.DEFAULT_FLAVOR, headroom=0.3,
               min_nodes=3, max_nodes=50, source_nodes=None):
    """Choose a worker flavor and count from requested CPU/memory plus headroom.

    ``workloads`` is the ``workloads`` part of the facts. DaemonSet pods run on every node,
    so their per-node requests are taken off each node's allocatable; the rest of the
    requests (times 1 + ``headroom``) must fit in the nodes. The guide's flavor (general 4C8G)
    is kept unless the largest pod does not fit on it or more than ``max_nodes`` would be
    needed; a memory-heavy estate (over 4 GiB per requested core) moves to the memory family.
    """
    by_kind = workloads.get("by_kind") or {}
    cpu_need = sum(w.get("cpu_request_m", 0) for k, w in by_kind.items() if k != "DaemonSet")
    mem_need = sum(w.get("memory_request_bytes", 0) for k, w in by_kind.items() if k != "DaemonSet")
    per_node = workloads.get("daemonset_per_node") or {}
    ds_cpu = per_node.get("cpu_request_m", 0)
    ds_mem = per_node.get("memory_request_bytes", 0)
    largest = workloads.get("largest_pod") or {}
    cpu_total = cpu_need * (1 + headroom)
    mem_total = mem_need * (1 + headroom)
    family = "general"
    if cpu_need > 0 and mem_need / GIB / (cpu_need / 1000.0) > 4.0:
        family = "memory"
    candidates = [f for f in flavors if f["family"] == family]
    default = next((f for f in flavors if f["name"] == default_flavor), None)
    if default is not None and default["family"] == family:
        candidates = [f for f in candidates if f["cpu"] >= default["cpu"]]
    chosen = None
    reason = ""
    for flavor in candidates:
        alloc_cpu = flavor["cpu"] * 1000 * ALLOCATABLE_CPU_RATIO - ds_cpu
        alloc_mem = flavor["memory_gib"] * GIB * ALLOCATABLE_MEMORY_RATIO - ds_mem
        if alloc_cpu <= 0 or alloc_mem <= 0:
            continue
        if largest.get("cpu_request_m", 0) > alloc_cpu or largest.get("memory_request_bytes", 0) > alloc_mem:
            continue
        count = max(int(math.ceil(cpu_total / alloc_cpu)), int(math.ceil(mem_total / alloc_mem)), min_nodes)
        chosen = dict(flavor=flavor["name"], cpu=flavor["cpu"], memory_gib=flavor["memory_gib"], count=count)
        if count <= max_nodes:
            break
    if chosen is None:
        flavor = candidates[-1] if candidates else flavors[-1]
        chosen = dict(flavor=flavor["name"], cpu=flavor["cpu"], memory_gib=flavor["memory_gib"], count=min_nodes)
        reason = "the largest pod does not fit any flavor in the table; review the flavor by hand. "
    if cpu_need == 0 and mem_need == 0 and source_nodes:
        chosen["count"] = max(min_nodes, int(source_nodes))
        reason += "Workloads request no CPU or memory: the count follows the source node count. "
    reason += ("%.1f vCPU and %.1f GiB requested (DaemonSets excluded), plus %d%% headroom; DaemonSets take "
               "%.2f vCPU and %.2f GiB on every node; at least %d nodes."
               % (cpu_need / 1000.0, mem_need / float(GIB), int(round(headroom * 100)), ds_cpu / 1000.0,
                  ds_mem / float(GIB), min_nodes))
    chosen.update(reason=reason, requested_cpu_m=cpu_need, requested_memory_bytes=mem_need, headroom=headroom,
                  total_cpu=chosen["cpu"] * chosen["count"], total_memory_gib=chosen["memory_gib"] * chosen["count"])
    return chosen


def propose(facts, target_version=tables.DEFAULT_TARGET_VERSION, storage_overrides=None,
            ctyun_registry=tables.DEFAULT_CTYUN_REGISTRY, lb_observations=None, headroom=0.3, min_nodes=3,
            flavors=tables.CTYUN_FLAVORS):
    """The whole proposal from the facts of :meth:`collect.Inventory.facts`."""
    source_version = (facts.get("version") or {}).get("git_version")
    version, compatible, version_reason = choose_version(source_version, target_version)
    nodes = size_nodes(facts.get("workloads") or {}, flavors=flavors, headroom=headroom, min_nodes=min_nodes,
                       source_nodes=(facts.get("nodes") or {}).get("count"))
    storage = storage_class_map((facts.get("storage") or {}).get("storage_classes") or [], storage_overrides)
    registries = (facts.get("images") or {}).get("registries") or {}
    registries_map = registry_map(registries, ctyun_registry)
    rewrites = lb_annotation_rewrites(lb_observations)
    remove_annotations, add_annotations = annotation_overrides(lb_observations)
    return dict(
        kubernetes_version=version,
        requested_version=target_version,
        version_compatible=compatible,
        version_reason=version_reason,
        nodes=nodes,
        storage_class_map=storage,
        registry_map=registries_map,
        lb_annotation_rewrites=rewrites,
        # options of the override_policy module / promote role for the CTyun member
        override_policy=dict(registry_map=registries_map, storage_class_map=storage,
                             remove_annotations=remove_annotations, add_annotations=add_annotations),
        target_cluster=dict(
            target_cluster_kubernetes_version=version,
            target_cluster_node_flavor=nodes["flavor"],
            target_cluster_node_count=nodes["count"],
            target_cluster_node_pools=[dict(name="workers", flavor=nodes["flavor"], count=nodes["count"])],
        ),
    )
