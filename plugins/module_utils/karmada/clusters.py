# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Karmada's member clusters as the control plane sees them (``cluster.karmada.io/v1alpha1``)."""

from __future__ import annotations

from ..k8s.rest import path_for


def ready(rest, names):
    """{name: whether Karmada's Cluster object of that name has the condition Ready=True}; a name
    without a Cluster object is not ready."""
    out = dict((n, False) for n in names)
    for cluster in rest.iter_list(path_for("Cluster")):
        cname = cluster["metadata"]["name"]
        if cname in out:
            conds = (cluster.get("status") or {}).get("conditions") or []
            out[cname] = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
    return out
