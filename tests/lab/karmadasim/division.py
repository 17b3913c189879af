"""Replica division by static weight, as Karmada v1.19 does it.

Rules followed (quoted from Karmada's source):
- ``pkg/scheduler/core/assignment.go`` assignByStaticWeightStrategy: a fresh division every time,
  ``NewDispenser(spec.Replicas, nil, spec.Resource.UID)``; the tie-breaker seed is the template UID.
- ``pkg/scheduler/core/division_algorithm.go`` getStaticWeightInfoList: a cluster's weight is the
  largest weight of the staticWeightList rules it matches; clusters with weight 0 are left out;
  when every weight is 0, every candidate gets weight 1.
- ``pkg/util/helper/webstermethod.go`` AllocateWebsterSeats: each seat goes to the party with the
  highest votes / (2*seats + 1); on equal priority the tie-breaker decides.
- ``pkg/util/helper/binding.go`` tieBreakerByUID: fewer seats wins; then FNV-32a of the UID: odd ->
  name descending, even (or empty UID) -> name ascending.
- ``pkg/scheduler/core/util.go`` removeZeroReplicasCluster: clusters given 0 replicas leave the result.
"""

from __future__ import annotations


def fnv32a(data):
    h = 0x811C9DC5
    for byte in data.encode():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def tie_breaker(uid):
    descending = bool(uid) and fnv32a(uid) & 1 == 1

    def better(a, b):
        """True when party ``a`` wins the tie over ``b``; parties are [name, votes, seats]."""
        if a[2] != b[2]:
            return a[2] < b[2]
        return a[0] > b[0] if descending else a[0] < b[0]
    return better


def webster(seats, votes, uid="", initial=None):
    """{name: votes} -> {name: seats} for ``seats`` new seats on top of ``initial`` seats
    (parties only in ``initial`` keep their seats with 0 votes, as AllocateWebsterSeats does)."""
    start = dict(initial or {})
    parties = [[name, votes.get(name, 0), start.get(name, 0)] for name in sorted(set(votes) | set(start))]
    if not parties:
        return {}
    better = tie_breaker(uid)

    def before(a, b):
        pa = float(a[1]) / float(2 * a[2] + 1)
        pb = float(b[1]) / float(2 * b[2] + 1)
        if pa == pb:
            return better(a, b)
        return pa > pb

    for _ in range(seats):
        best = parties[0]
        for party in parties[1:]:
            if before(party, best):
                best = party
        best[2] += 1
    return dict((p[0], p[2]) for p in parties)


def cluster_matches(cluster, target):
    """util.ClusterMatches for the parts the lab uses: clusterNames, exclude, labelSelector."""
    from ..kubesim.store import match_label_selector

    name = cluster["metadata"]["name"]
    if name in (target.get("exclude") or []):
        return False
    names = target.get("clusterNames") or []
    if names and name not in names:
        return False
    sel = target.get("labelSelector")
    if sel and not match_label_selector(cluster["metadata"].get("labels"), sel):
        return False
    return True


def static_weights(candidates, weight_list):
    weights = {}
    for cluster in candidates:
        w = 0
        for rule in weight_list or []:
            if cluster_matches(cluster, rule.get("targetCluster") or {}):
                w = max(w, int(rule.get("weight") or 0))
        if w > 0:
            weights[cluster["metadata"]["name"]] = w
    if not weights:
        weights = dict((c["metadata"]["name"], 1) for c in candidates)
    return weights


def divide(replicas, candidates, weight_list, uid):
    """Clusters and replicas for Divided + static weights, zero-replica clusters removed."""
    seats = webster(int(replicas), static_weights(candidates, weight_list), uid)
    return [{"name": n, "replicas": r} for n, r in sorted(seats.items()) if r > 0]
