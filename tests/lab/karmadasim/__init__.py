"""Karmada control-plane behaviour of the lab (test infrastructure only).

``start(lab)`` runs the controllers on the lab's ``karmada`` store; ``join_member`` /
``unjoin_member`` make a lab cluster a Karmada member (used by the CCE One simulation when a
fleet is bound, and by ``LAB_KARMADA_MEMBERS=source,target`` for tests that skip CCE One).
"""

from __future__ import annotations

import asyncio

from .controller import RIC, Karmada, admit_policy, customization_validator

_KEY = "_karmada"


async def start(lab):
    karmada = Karmada(lab)
    for kind in ("PropagationPolicy", "ClusterPropagationPolicy", "OverridePolicy", "ClusterOverridePolicy"):
        karmada.store.mutators[("policy.karmada.io", kind)] = admit_policy
    if karmada.store.kind_info(RIC) is not None:
        karmada.store.validators[RIC] = customization_validator(karmada.store, karmada.store.validators.get(RIC))
    setattr(lab, _KEY, karmada)
    members = [m.strip() for m in (lab.knobs.get("LAB_KARMADA_MEMBERS") or "").split(",") if m.strip()]
    for member in members:
        name, _, key = member.partition("=")
        karmada.join(name, key or name)
    lab.tasks.append(asyncio.ensure_future(karmada.run()))
    return karmada


def join_member(lab, member_name, cluster_key, labels=None):
    """Make lab cluster ``cluster_key`` the Karmada member ``member_name`` (Ready). On the real
    backend (``LAB_KUBE=real``) the real Karmada gets a push-mode member, as ``karmadactl join``."""
    planes = getattr(lab, "planes", None)
    if planes is not None:
        planes.join(member_name, cluster_key, labels)
        return
    getattr(lab, _KEY).join(member_name, cluster_key, labels)


def unjoin_member(lab, member_name):
    planes = getattr(lab, "planes", None)
    if planes is not None:
        planes.unjoin(member_name)
        return
    getattr(lab, _KEY).unjoin(member_name)


def member_names(lab):
    return dict(getattr(lab, _KEY).members)
