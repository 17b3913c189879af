# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Findings rules: pure functions from the facts, the observations and the proposal.

A finding is a dict::

    {id, severity: blocking|warning|info, category, title, affected: [...], affected_total,
     fix, details: {...}}

``blocking`` means the migration as planned would break something (pods that cannot be
scheduled, data with no target class, objects of an API with no replacement at all); the ``assess``
role stops on them unless ``assess_allow_blocking: true``. ``warning`` needs an action or a
decision before cutover; ``info`` is context for the plan.
"""

from __future__ import annotations

from . import tables
from .propose import is_public_registry
from .quantity import format_bytes

SEVERITIES = ("blocking", "warning", "info")


def finding(fid, severity, category, title, fix, affected=None, affected_total=None, **details):
    affected = list(affected or [])
    return dict(id=fid, severity=severity, category=category, title=title, fix=fix, affected=affected,
                affected_total=len(affected) if affected_total is None else affected_total, details=details)


def _sample(obs):
    """(list, total) from a collect.Sample or a plain list."""
    if hasattr(obs, "as_list"):
        return obs.as_list(), obs.total
    return list(obs), len(obs)


def removed_api_findings(served, counts, target_version, usage=None, listed_through_removed=None,
                         table=tables.REMOVED_APIS, kind_objects=None):
    """APIs the source serves that the target version no longer serves.

    ``affected`` lists the objects written through the removed version when that is known
    (managedFields, last-applied configuration), else the objects of that kind.
    """
    usage = usage or {}
    kind_objects = kind_objects or {}
    listed_through_removed = listed_through_removed or {}
    out = []
    for row in tables.removed_by(target_version, table):
        gv, kind, plural = row["group_version"], row["kind"], row["resource"]
        if plural not in served.get(gv, ()):
            continue
        count = counts.get(kind)
        used, used_total = _sample(usage.get((gv, kind), []))
        of_kind, _total = _sample(kind_objects.get(kind, []))
        replacement = row.get("replacement")
        replacement_served = bool(replacement) and plural in served.get(replacement, ())
        fid = "removed-api:%s:%s" % (gv, kind)
        title = "%s %s is served by the source but removed in Kubernetes %s (target %s)" % (
            gv, kind, row["removed_in"], target_version)
        if replacement:
            fix = ("Rewrite manifests, Helm charts and CI pipelines from %s to %s before cutover; objects are "
                   "promoted through %s." % (gv, replacement, replacement))
        else:
            fix = row.get("note") or "No replacement API: remove these objects or replace what they do."
        details = dict(group_version=gv, kind=kind, removed_in=row["removed_in"], replacement=replacement,
                       objects=count, replacement_served_by_source=replacement_served)
        if count and not replacement:
            out.append(finding(fid, "blocking", "api", title + "; it has no replacement", fix,
                               used or of_kind, used_total or count, **details))
        elif count and replacement and not replacement_served:
            out.append(finding(fid, "warning", "api",
                               title + "; the source does not serve %s yet: %d object(s) must be converted to it "
                               "on the way to the target" % (replacement, count),
                               fix + " The source cannot serve them as %s, so convert them when creating them on "
                               "the target (Karmada templates use %s)." % (replacement, replacement),
                               used or of_kind, used_total or count, **details))
        elif used_total:
            out.append(finding(fid, "warning", "api", title + "; %d object(s) were written through it"
                               % used_total, fix, used, used_total, **details))
        elif count:
            out.append(finding(fid, "warning", "api", title + "; %d %s object(s) exist, check which API version "
                               "their manifests use" % (count, kind), fix, of_kind, count, **details))
        else:
            out.append(finding(fid, "info", "api", title + "; no object uses it", fix, [], 0, **details))
    return out


def storage_findings(storage_classes, storage_map, pvc_by_class):
    out = []
    for sc in storage_classes:
        name, provisioner = sc.get("name"), sc.get("provisioner")
        pvcs, pvc_total = _sample(pvc_by_class.get(name, []))
        if sc.get("default"):
            more, more_total = _sample(pvc_by_class.get("(default)", []))
            pvcs, pvc_total = sorted(pvcs + more)[:max(len(pvcs), len(more), 200)], pvc_total + more_total
        cloud, category = sc.get("cloud"), sc.get("category")
        details = dict(storage_class=name, provisioner=provisioner, cloud=cloud, storage_kind=category,
                       proposed=storage_map.get(name), pvcs=pvc_total)
        fid = "storage-class:%s" % name
        if cloud == "ctyun":
            continue
        if category == "local":
            out.append(finding(fid, "warning" if pvc_total else "info", "storage",
                               "StorageClass %s (%s) gives node-local volumes" % (name, provisioner),
                               "Data on node-local volumes does not move with the workload: plan a copy "
                               "(backup/restore or application replication) and choose a CTyun class in "
                               "storage_class_map_overrides.", pvcs, pvc_total, **details))
        elif name in storage_map:
            out.append(finding(fid, "warning", "storage",
                               "StorageClass %s uses %s's provisioner %s; proposed CTyun class: %s"
                               % (name, cloud or "another cloud", provisioner, storage_map[name]),
                               "Create or check the CTyun StorageClass %s on the target, review the mapping "
                               "(storage_class_map), and move the data of the PVCs listed." % storage_map[name],
                               pvcs, pvc_total, **details))
        else:
            out.append(finding(fid, "blocking" if pvc_total else "info", "storage",
                               "StorageClass %s uses provisioner %s with no known CTyun equivalent"
                               % (name, provisioner),
                               "Add '%s: <CTyun class>' to storage_class_map_overrides." % name,
                               pvcs, pvc_total, **details))
    return out


def annotation_findings(observations, category, what):
    """``observations``: annotation key -> {cloud, ctyun_key, advice, values: {value: ctyun value}, objects}."""
    out = []
    for key in sorted(observations):
        entry = observations[key]
        objects, total = _sample(entry["objects"])
        values = entry.get("values") or {}
        out.append(finding(
            "%s-annotation:%s" % (category, key), "warning", category,
            "%s annotation %s of %s on %d object(s)" % (what, key, entry["cloud"], total),
            "On CTyun: %s (lb_annotation_rewrites in the proposal)." % entry["advice"],
            objects, total, key=key, cloud=entry["cloud"], ctyun_key=entry.get("ctyun_key"),
            values=sorted(values), value_map=dict(sorted((k, v) for k, v in values.items() if v is not None))))
    return out


def node_selector_findings(observations):
    """``observations``: (key, required) -> {key, required, cloud, objects}."""
    out = []
    for (key, required) in sorted(observations):
        entry = observations[(key, required)]
        objects, total = _sample(entry["objects"])
        out.append(finding(
            "node-selector:%s:%s" % ("required" if required else "preferred", key),
            "blocking" if required else "warning", "scheduling",
            "%d node %s on %s label %s" % (
                total, "selector(s)/required affinities" if required else "preferred affinities",
                entry["cloud"], key),
            ("Pods would stay Pending on CCE: drop or rewrite the selector for the target member with an "
             "OverridePolicy (plaintext/labelsOverrider), or label the CCE nodes to match." if required else
             "The preference is ignored on CCE; rewrite it to CCE node labels if it matters."),
            objects, total, key=key, required=required, cloud=entry["cloud"]))
    return out


def simple_findings(obs):
    out = []
    host_path, total = _sample(obs.get("host_path", []))
    if total:
        out.append(finding("host-path", "warning", "storage", "%d hostPath volume(s)" % total,
                           "hostPath data stays on the source node: move it to a PVC or make sure the path "
                           "exists on CCE nodes (and is not data that must move).", host_path, total))
    local, total = _sample(obs.get("local_volumes", []))
    if total:
        out.append(finding("local-volumes", "warning", "storage", "%d local PersistentVolume(s)" % total,
                           "Local volume data does not move with the workload: plan a copy.", local, total))
    priv, total = _sample(obs.get("privileged", []))
    if total:
        out.append(finding("privileged", "warning", "security", "%d privileged container(s)" % total,
                           "Check they are allowed by the CCE cluster's pod security settings, or drop "
                           "privileged mode.", priv, total))
    host, total = _sample(obs.get("host_network", []))
    if total:
        out.append(finding("host-namespaces", "warning", "security",
                           "%d workload(s) use the host network/PID/IPC" % total,
                           "Host ports must be free on CCE nodes and node security groups must allow them; "
                           "check node-level dependencies.", host, total))
    bare, total = _sample(obs.get("bare_pods", []))
    if total:
        out.append(finding("bare-pods", "warning", "workloads", "%d Pod(s) without a controller" % total,
                           "Bare pods are not recreated on the target: wrap them in a Deployment or Job.",
                           bare, total))
    stateful, total = _sample(obs.get("stateful", []))
    if total:
        objects = ["%s: %d replica(s) x %s" % (s["object"], s["replicas"], format_bytes(s["bytes_per_replica"]))
                   for s in stateful]
        out.append(finding("stateful-data", "warning", "data",
                           "%d StatefulSet(s) keep data in PersistentVolumeClaims" % total,
                           "Plan the data migration per PVC (data_migration role: volume plan), e.g. "
                           "application-level replication or backup/restore, before shifting replicas.",
                           objects, total))
    return out


def image_findings(images, ctyun_registry):
    registries = {}
    for image in images.get("items") or []:
        registries.setdefault(image["registry"], []).append(image["image"])
    out = []
    target = (ctyun_registry or "").rstrip("/")
    for registry in sorted(registries):
        if target and (registry == target or target.startswith(registry + "/")):
            continue
        names = sorted(registries[registry])
        cloud = tables.registry_cloud(registry)
        public = is_public_registry(registry)
        severity = "info" if public else "warning"
        title = "%d image(s) from %s%s must be synced to the CTyun registry" % (
            len(names), registry, " (%s)" % cloud if cloud else (" (public)" if public else ""))
        out.append(finding("images:%s" % registry, severity, "images", title,
                           "Sync them with image_sync (data_migration role) using the registry_map of the "
                           "proposal, then rewrite images for the target with override_policy.",
                           names[:200], len(names), registry=registry, cloud=cloud, public=public,
                           proposed={"from": registry, "to": target}))
    return out


def version_findings(source_version, proposal):
    out = []
    if not proposal.get("version_compatible"):
        out.append(finding("version", "warning", "version", proposal.get("version_reason"),
                           "Review target_version; CCE %s is proposed." % proposal.get("kubernetes_version"),
                           [], 0, source=source_version, proposed=proposal.get("kubernetes_version")))
    src = tables.parse_version(source_version)
    dst = tables.parse_version(proposal.get("kubernetes_version"))
    if src and dst and dst[1] - src[1] >= 3:
        out.append(finding("version-skew", "info", "version",
                           "The target is %d minor versions newer than the source (%s -> %s)"
                           % (dst[1] - src[1], source_version, proposal.get("kubernetes_version")),
                           "Check the release notes between both versions for behaviour changes beyond removed "
                           "APIs (listed as separate findings).", [], 0))
    return out


def crd_findings(crds):
    items = crds.get("items") or []
    used = [c for c in items if c.get("count")]
    if not items:
        return []
    objects = ["%s (%s, %s custom resources)" % (c["name"], c.get("version"), c.get("count")) for c in items]
    return [finding("crds", "warning" if used else "info", "crds",
                    "%d CustomResourceDefinition(s), %d with custom resources" % (len(items), len(used)),
                    "Install the same CRDs (and their operators) on the target and in Karmada before promoting "
                    "custom resources; operators must not run active in both clusters at once.",
                    objects, len(items))]


def secret_findings(config):
    tokens = (config.get("secrets_by_type") or {}).get("kubernetes.io/service-account-token", 0)
    if not tokens:
        return []
    return [finding("sa-token-secrets", "info", "config",
                    "%d ServiceAccount token Secret(s) are cluster-specific" % tokens,
                    "They are not migrated; the target issues its own tokens.", [], tokens)]


def evaluate(facts, inventory_obs, served, proposal, target_version=None, ctyun_registry=None):
    """Every rule, sorted by severity then id."""
    target_version = target_version or proposal.get("kubernetes_version")
    out = []
    out += version_findings((facts.get("version") or {}).get("git_version"), proposal)
    out += removed_api_findings(served, facts.get("counts") or {}, proposal.get("kubernetes_version")
                                or target_version, inventory_obs.get("deprecated_usage"),
                                inventory_obs.get("listed_through_removed"),
                                kind_objects=inventory_obs.get("kind_objects"))
    out += storage_findings((facts.get("storage") or {}).get("storage_classes") or [],
                            proposal.get("storage_class_map") or {}, inventory_obs.get("pvc_by_class") or {})
    out += annotation_findings(inventory_obs.get("lb_annotations") or {}, "lb", "LoadBalancer")
    out += annotation_findings(inventory_obs.get("ingress_annotations") or {}, "ingress", "Ingress")
    out += node_selector_findings(inventory_obs.get("node_selectors") or {})
    out += simple_findings(inventory_obs)
    out += image_findings(facts.get("images") or {}, ctyun_registry)
    out += crd_findings(facts.get("crds") or {})
    out += secret_findings(facts.get("config") or {})
    order = dict((s, i) for i, s in enumerate(SEVERITIES))
    return sorted(out, key=lambda f: (order[f["severity"]], f["category"], f["id"]))


def summarize(findings):
    summary = dict((s, 0) for s in SEVERITIES)
    for f in findings:
        summary[f["severity"]] += 1
    return summary
