# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Per-PVC data migration plan (pure): size, class, proposed CTyun class, suggested method.

The collection does not move volume data itself: block and file data need a tool that reads the
source volume while the workload is paused or replicating (file-system backup/restore, rsync
passes, a storage vendor's migration service). The plan says, per PVC, what to use, and the
``data_migration`` role stops until the data is moved or a tool is plugged in.
"""

from __future__ import annotations

import re

from ..common.errors import ValidationError

GIB = 1024 ** 3
LARGE_BYTES = 100 * GIB
_UNITS = {"": 1, "k": 1000, "M": 1000 ** 2, "G": 1000 ** 3, "T": 1000 ** 4, "P": 1000 ** 5,
          "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "Pi": 1024 ** 5}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")

METHODS = {
    "file": ("file-copy", "copy files with rsync between pods mounting the source and the target PVC (repeat "
                          "passes, last one during a write pause), or the file storage vendor's migration service"),
    "block": ("fs-backup-restore", "file-system backup on the source and restore into the target PVC (for "
                                   "example Velero with Kopia), during a write pause of the workload"),
    "block-large": ("incremental-sync", "incremental file sync (rsync passes while running, a final pass during "
                                        "a write pause); a full backup/restore of this size needs a long pause"),
    "local": ("node-copy", "data is on a node's local disk: copy it from the node (no cloud tool can read it)"),
    "object": ("object-sync", "object storage mount: sync the bucket to CTyun object storage (ZOS) and mount that"),
    "unknown": ("review", "unknown storage class: inspect the volume and choose a method"),
}


def quantity_bytes(value):
    """Kubernetes quantity (``10Gi``, ``500M``, ``1.5Ti``) or an int -> bytes."""
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValidationError("PVC size %r is not a Kubernetes quantity (for example 20Gi)" % (value,))
    return int(float(match.group(1)) * _UNITS[match.group(2) or ""])


def human(nbytes):
    for unit, size in (("Ti", 1024 ** 4), ("Gi", GIB), ("Mi", 1024 ** 2), ("Ki", 1024)):
        if nbytes >= size:
            return "%.1f%s" % (nbytes / float(size), unit)
    return "%dB" % nbytes


def _category(storage_class, classes):
    info = classes.get(storage_class) or {}
    category = info.get("category") or ""
    if info.get("provisioner") in ("kubernetes.io/no-provisioner",) or "local" in category:
        return "local"
    if category.startswith("block"):
        return "block"
    if category in ("file", "object"):
        return category
    return "unknown"


def pvcs_from_assessment(assessment):
    """PVC rows from an assessment document (``assessment.json`` or the ``assess.json`` record)."""
    if not assessment:
        return []
    facts = assessment.get("facts") or assessment
    storage = facts.get("storage") or {}
    pvcs = storage.get("persistent_volume_claims") or {}
    if isinstance(pvcs, list):
        return pvcs
    if pvcs.get("items"):
        return pvcs["items"]
    # Aggregates only: one row per class, named after it, so the plan still covers every byte.
    rows = []
    for cls, agg in sorted((pvcs.get("by_class") or {}).items()):
        rows.append(dict(namespace="*", name="%d PVC(s) of class %s" % (agg.get("count", 0), cls),
                         storage_class=cls, size=agg.get("bytes", 0), count=agg.get("count", 0), aggregate=True))
    return rows


def storage_classes_from_assessment(assessment):
    if not assessment:
        return {}
    facts = assessment.get("facts") or assessment
    classes = (facts.get("storage") or {}).get("storage_classes") or []
    return dict((c.get("name"), c) for c in classes if c.get("name"))


def plan(pvcs, storage_class_map=None, storage_classes=None, tool=None):
    """One row per PVC, sorted by namespace and name. ``tool`` names a plugged-in mover."""
    storage_class_map = storage_class_map or {}
    storage_classes = storage_classes or {}
    rows = []
    for i, pvc in enumerate(pvcs or []):
        if not isinstance(pvc, dict) or not pvc.get("name"):
            raise ValidationError("pvcs[%d]: each PVC needs at least 'name' (and namespace, size, storage_class)" % i,
                                  field="pvcs")
        size = quantity_bytes(pvc.get("size", pvc.get("requested_bytes")))
        cls = pvc.get("storage_class") or pvc.get("storageClassName") or "(none)"
        modes = sorted(pvc.get("access_modes") or pvc.get("accessModes") or [])
        category = _category(cls, storage_classes)
        if category in ("block", "unknown") and any(m in ("ReadWriteMany", "ReadOnlyMany") for m in modes):
            category = "file"
        key = category
        if category == "block" and size > LARGE_BYTES:
            key = "block-large"
        method, how = METHODS[key]
        proposed = storage_class_map.get(cls)
        row = dict(namespace=pvc.get("namespace") or "default", name=pvc["name"], size_bytes=size, size=human(size),
                   storage_class=cls, access_modes=modes, category=category, proposed_class=proposed,
                   method=method, how=how, tool=tool, aggregate=bool(pvc.get("aggregate")),
                   count=int(pvc.get("count") or 1))
        row["issues"] = []
        if not proposed:
            row["issues"].append("no CTyun class for %s: add it to storage_class_map" % cls)
        rows.append(row)
    rows.sort(key=lambda r: (r["namespace"], r["name"]))
    return rows


def summary(rows):
    return dict(pvcs=sum(r["count"] for r in rows), bytes=sum(r["size_bytes"] for r in rows),
                by_method=dict((m, sum(r["count"] for r in rows if r["method"] == m))
                               for m in sorted(set(r["method"] for r in rows))),
                unmapped=sorted(set(r["storage_class"] for r in rows if not r["proposed_class"])))
