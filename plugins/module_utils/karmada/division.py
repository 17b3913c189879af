# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Replica division by static weight, exactly as Karmada (v1.19) computes it.

Pure functions, no I/O. The rules are re-implemented from Karmada's source:

* ``pkg/util/helper/webstermethod.go`` (Webster / Sainte-Lague method):
  "the one with the higher value of Votes/(2*Seats+1) gets the next seat";
  on equal priority the optional tie-breaker decides, else "The party with
  fewer seats wins the tie", else "The party with the lexicographically
  smaller name wins the tie". Parties with an initial assignment but no votes
  take part with 0 votes. The result is sorted by name ascending.
* ``pkg/util/helper/binding.go`` ``tieBreakerByUID``: FNV-32a hash of the UID;
  an odd hash gives "higher priority to parties with lexicographically larger
  names", an even hash (or an empty UID) to smaller names; in both cases "The
  party with fewer seats wins the tie" first.
* ``pkg/scheduler/core/assignment.go`` ``assignByStaticWeightStrategy``: a fresh
  division every time, ``NewDispenser(spec.Replicas, nil, spec.Resource.UID)``
  (no initial assignment; the seed is the UID of the resource template).
* ``pkg/scheduler/core/division_algorithm.go`` ``getStaticWeightInfoList``: a
  candidate cluster's weight is the largest weight of the rules matching it;
  clusters with weight 0 are left out; if all weights are 0 every candidate
  gets weight 1.
* ``pkg/scheduler/core/util.go`` ``removeZeroReplicasCluster``: clusters that
  end with 0 replicas leave the schedule (their Work is removed).

Go compares ``float64(votes) / float64(2*seats+1)``; Python floats are IEEE
754 doubles as well, so equal priorities (ties) are detected identically.
"""

from __future__ import annotations

FNV32_OFFSET = 0x811C9DC5
FNV32_PRIME = 0x01000193


def fnv32a(data):
    """FNV-1a 32-bit hash of ``data`` (str or bytes), like Go's ``hash/fnv.New32a``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    value = FNV32_OFFSET
    for byte in bytearray(data):
        value ^= byte
        value = (value * FNV32_PRIME) & 0xFFFFFFFF
    return value


def name_descending_for_uid(uid):
    """True when Karmada's ``tieBreakerByUID`` favours larger names for ``uid``."""
    if not uid:
        return False
    return fnv32a(uid) & 1 == 1


def _priority(party):
    return float(party[1]) / float(2 * party[2] + 1)


def _wins(a, b, descending):
    """True when party ``a`` gets the next seat before ``b`` (Karmada's ``Less``).

    Parties are ``[name, votes, seats]`` lists.
    """
    pa, pb = _priority(a), _priority(b)
    if pa != pb:
        return pa > pb
    if a[2] != b[2]:
        return a[2] < b[2]
    if descending is None:  # no tie-breaker: fewer seats, then name ascending
        return a[0] < b[0]
    return a[0] > b[0] if descending else a[0] < b[0]


def allocate_webster_seats(new_seats, party_votes, initial=None, uid=None, tie_breaker=True):
    """Webster allocation of ``new_seats`` (``AllocateWebsterSeats`` + ``tieBreakerByUID``).

    ``party_votes``: dict name -> votes; ``initial``: dict name -> seats already held.
    ``tie_breaker=False`` reproduces a queue without tie-breaker. Returns a list of
    ``(name, seats)`` sorted by name.
    """
    parties = {}
    for name, seats in (initial or {}).items():
        parties[name] = [name, 0, int(seats)]
    for name, votes in party_votes.items():
        if name in parties:
            parties[name][1] = int(votes)
        else:
            parties[name] = [name, int(votes), 0]
    if not parties:
        return []
    descending = name_descending_for_uid(uid) if tie_breaker else None
    items = list(parties.values())
    for _seat in range(int(new_seats)):
        best = items[0]
        for party in items[1:]:
            if _wins(party, best, descending):
                best = party
        best[2] += 1
    return sorted(((p[0], p[2]) for p in items), key=lambda x: x[0])


def allocate_by_weight(num_replicas, weights, initial=None, uid=None):
    """Karmada's ``Dispenser.AllocateByWeight``: ``weights`` dict cluster -> weight.

    Returns dict cluster -> replicas (clusters of ``initial`` included). Like
    Karmada, nothing is allocated when the weights sum to 0.
    """
    init = dict(initial or {})
    if int(num_replicas) == 0 and init:
        return init
    if sum(int(w) for w in weights.values()) == 0:
        return init
    return dict(allocate_webster_seats(num_replicas, weights, init, uid))


def static_weight_list(candidates, rules):
    """Karmada's ``getStaticWeightInfoList`` for rules given by cluster names.

    ``candidates``: cluster names in placement order; ``rules``: list of
    ``{"clusterNames": [...], "weight": n}`` (or ``targetCluster: {clusterNames}``).
    Returns an ordered list of ``(cluster, weight)``.
    """
    weights = []
    for cluster in candidates:
        weight = 0
        for rule in rules or []:
            names = rule.get("clusterNames")
            if names is None:
                names = (rule.get("targetCluster") or {}).get("clusterNames") or []
            if cluster in names:
                weight = max(weight, int(rule.get("weight", 0)))
        if weight > 0:
            weights.append((cluster, weight))
    if sum(w for dummy, w in weights) == 0:
        weights = [(c, 1) for c in candidates]
    return weights


def divide_static(replicas, candidates, rules=None, uid=None):
    """Replicas per candidate cluster for ``replicaScheduling`` Divided by static weight.

    Returns dict cluster -> replicas for every candidate (0 for clusters left
    out); see :func:`scheduled_clusters` for the clusters that keep a Work.
    """
    weights = dict(static_weight_list(candidates, rules))
    result = dict((c, 0) for c in candidates)
    result.update(allocate_by_weight(replicas, weights, None, uid))
    return result


def scheduled_clusters(division):
    """Clusters that stay in the schedule (``removeZeroReplicasCluster``)."""
    return dict((c, r) for c, r in division.items() if r > 0)
