# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Put the pieces together: inventory facts -> proposal -> findings -> one document."""

from __future__ import annotations

from . import tables
from .findings import evaluate, summarize
from .propose import propose


def build_document(inventory, target_version=tables.DEFAULT_TARGET_VERSION, storage_overrides=None,
                   ctyun_registry=tables.DEFAULT_CTYUN_REGISTRY, headroom=0.3, min_nodes=3):
    """Return the assessment document (JSON-serialisable, deterministic for the same cluster)."""
    facts = inventory.facts()
    annotations = dict(inventory.obs.get("lb_annotations") or {})
    annotations.update(inventory.obs.get("ingress_annotations") or {})
    proposal = propose(facts, target_version=target_version, storage_overrides=storage_overrides,
                       ctyun_registry=ctyun_registry, lb_observations=annotations, headroom=headroom,
                       min_nodes=min_nodes)
    findings = evaluate(facts, inventory.obs, inventory.served, proposal, ctyun_registry=ctyun_registry)
    served = dict((gv, sorted(names)) for gv, names in sorted(inventory.served.items()))
    facts["api"]["served_resources"] = served
    return dict(facts=facts, findings=findings, summary=summarize(findings), proposal=proposal)
