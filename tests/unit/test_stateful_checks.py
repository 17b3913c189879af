"""StatefulSets before any write (shift/stateful.py) and their hops (shift/identity.py hops): the data
decision, the budget of ordinals a hop may move (PodDisruptionBudget as the disruption controller counts
it, maxUnavailable, quorum), and the retention customizations that would undo the pins. Tables."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import identity, stateful


def sts(name="db", replicas=3, claims=1, labels=None, max_unavailable_set=False, max_unavailable=1):
    return dict(key="StatefulSet/data/%s" % name, kind="StatefulSet", namespace="data", name=name,
                replicas=replicas, claim_templates=claims, claim_volumes=0, pod_labels=labels or {"app": name},
                max_unavailable=max_unavailable, max_unavailable_set=max_unavailable_set, uid="u-" + name,
                base_ordinal=0)


def pdb(name, selector, **spec):
    return {"metadata": {"name": name}, "spec": dict(spec, selector=selector)}


# -- hops -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("now, after, budget, want", [
    # no budget: one hop, release then take
    ((3, 0, 3), (1, 2, 1), None, [((1, 0, 3), (1, 2, 1))]),
    # budget 1 forward: 3 -> 2 -> 1 on the source, one ordinal down at a time
    ((3, 0, 3), (1, 2, 1), 1, [((2, 0, 3), (2, 1, 2)), ((1, 1, 2), (1, 2, 1))]),
    # the whole set at 100 %, budget 1: three hops
    ((3, 0, 3), (0, 3, 0), 1, [((2, 0, 3), (2, 1, 2)), ((1, 1, 2), (1, 2, 1)), ((0, 2, 1), (0, 3, 0))]),
    # back (a rollback), budget 1: the target gives up its lowest ordinal first
    ((0, 3, 0), (2, 1, 2), 1, [((0, 2, 1), (1, 2, 1)), ((1, 1, 2), (2, 1, 2))]),
    # budget 2 on five replicas, 5 -> 0: two, two, one
    ((5, 0, 5), (0, 5, 0), 2, [((3, 0, 5), (3, 2, 3)), ((1, 2, 3), (1, 4, 1)), ((0, 4, 1), (0, 5, 0))]),
    # a budget at least the move: one hop
    ((3, 0, 3), (2, 1, 2), 1, [((2, 0, 3), (2, 1, 2))]),
])
def test_hops_move_at_most_the_budget_and_never_overlap(now, after, budget, want):
    hops = identity.hops(now, after, sum(after[:2]), budget)
    assert hops == want
    prev = now
    for release, take in hops:
        for state in (release, take):
            assert not identity.overlap(state)
        # ordinals down during the release: those neither member runs
        running = prev[0] + prev[1]
        assert running - (release[0] + release[1]) <= (budget or running)
        prev = take


# -- PodDisruptionBudget, maxUnavailable, quorum ----------------------------------------------------------
@pytest.mark.parametrize("spec, replicas, allowed", [
    (dict(maxUnavailable=1), 3, 1),
    (dict(maxUnavailable="50%"), 3, 2),        # scaled rounding up: ceil(1.5) = 2
    (dict(minAvailable=2), 3, 1),
    (dict(minAvailable="60%"), 5, 2),          # desired ceil(3.0) = 3
    (dict(minAvailable="51%"), 3, 1),          # desired ceil(1.53) = 2
    (dict(minAvailable=3), 3, 0),
    (dict(minAvailable=5), 3, 0),              # never below 0
    (dict(maxUnavailable=5), 3, 3),            # desired healthy never below 0: all three
    (dict(), 3, None),
])
def test_pdb_allowance_counts_like_the_disruption_controller(spec, replicas, allowed):
    assert stateful.pdb_allowance({"metadata": {"name": "p"}, "spec": spec}, replicas) == allowed


@pytest.mark.parametrize("w, pdbs, quorum, want", [
    (sts(), [], False, 1),                                                             # one at a time
    (sts(), [pdb("p", {"matchLabels": {"app": "db"}}, maxUnavailable=2)], False, 2),   # its own budget
    (sts(), [pdb("p", {"matchLabels": {"app": "other"}}, maxUnavailable=2)], False, 1),  # not its PDB
    (sts(), [pdb("p", None, maxUnavailable=2)], False, 1),                             # null selector: no pod
    (sts(), [pdb("p", {}, maxUnavailable=2)], False, 2),                               # empty: every pod
    (sts(replicas=5), [pdb("p", {}, maxUnavailable=3)], True, 2),                      # majority of 5 is 3
    (sts(replicas=3), [], True, 1),
    (sts(replicas=2), [], True, 0),                                                    # majority of 2 is 2
    (sts(max_unavailable_set=True, max_unavailable=0), [], False, 1),                  # at least 1
    (sts(max_unavailable_set=True, max_unavailable=3), [pdb("p", {}, minAvailable=2)], False, 1),
    (sts(), [pdb("p", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},
                 minAvailable=3)], False, 0),
])
def test_budget(w, pdbs, quorum, want):
    assert stateful.budget(w, pdbs, quorum)[0] == want


# -- the data decision -----------------------------------------------------------------------------------
def groups_of(*workloads):
    return [dict(key="data/pp", current=0, workloads=list(workloads))]


def check(groups, chosen, steps=(0, 50, 100), pdbs=(), move="ordinals"):
    return stateful.check_data(groups, groups, stateful.decisions(chosen), "src", "tgt", move, list(steps), None,
                               lambda ns: list(pdbs))


def test_a_statefulset_with_volumes_needs_a_decision():
    with pytest.raises(ValidationError) as err:
        check(groups_of(sts("db"), sts("cache", claims=0)), [])
    assert "data/db" in err.value.msg and "data/cache" not in err.value.msg
    assert "replicated|external|none" in err.value.msg


def test_a_decision_is_attached_with_its_budget():
    groups = groups_of(sts("db"))
    check(groups, [dict(name="data/db", data="replicated", quorum=True)],
          pdbs=[pdb("p", {}, maxUnavailable=2)])
    w = groups[0]["workloads"][0]
    assert (w["data"], w["quorum"], w["ordinal_budget"], w["rollback_consent"]) == ("replicated", True, 1, False)


def test_no_decision_needed_when_no_step_moves_it():
    # whole, short of 100 %: nothing moves
    check(groups_of(sts("db")), [], steps=(0, 50), move="whole")


@pytest.mark.parametrize("entries, message", [
    ([dict(name="db", data="none")], "statefulsets[0].name"),
    ([dict(name="data/db", data="none"), dict(name="data/db", data="none")], "given twice"),
    ([dict(name="data/db", data="external", quorum=True)], "statefulsets[0].quorum"),
])
def test_bad_decisions_fail_naming_the_option(entries, message):
    with pytest.raises(ValidationError) as err:
        stateful.decisions(entries)
    assert message in err.value.msg


def test_a_decision_for_another_statefulset_is_ignored():
    # one list serves every policy and run of a cutover; a typo still leaves data/db without one
    check(groups_of(sts("db", claims=0)), [dict(name="data/dbb", data="none")])
    with pytest.raises(ValidationError):
        check(groups_of(sts("db")), [dict(name="data/dbb", data="none")])


def test_a_quorum_that_cannot_move_is_refused():
    with pytest.raises(ValidationError) as err:
        check(groups_of(sts("db", replicas=2)), [dict(name="data/db", data="replicated", quorum=True)])
    assert "data/db (a majority of 2" in err.value.msg


# -- retention customizations ----------------------------------------------------------------------------
class Karmada(object):
    def __init__(self, items):
        self.items = items

    def list(self, path, label_selector=None):
        assert path == "/apis/config.karmada.io/v1alpha1/resourceinterpretercustomizations"
        return self.items


def ric(name, kind, script):
    return {"metadata": {"name": name}, "spec": {"target": {"apiVersion": "apps/v1", "kind": kind},
                                                  "customizations": {"retention": {"luaScript": script}}}}


@pytest.mark.parametrize("script, refused", [
    ("function Retain(d, o) d.spec.replicas = o.spec.replicas return d end", True),
    ("function Retain(d, o) d.spec = o.spec return d end", True),
    ("function Retain(d, o) d.spec.ordinals = o.spec.ordinals return d end", True),
    ("function Retain(desiredObj, observedObj) return observedObj end", True),
    ("function Retain(d, o) d.metadata.annotations = o.metadata.annotations return d end", False),
    ("function Retain(d, o) if d.spec == nil then return d end return d end", False),
])
def test_retention_of_statefulset_replicas_is_refused(script, refused):
    groups = groups_of(sts("db"))
    karmada = Karmada([ric("r", "StatefulSet", script), ric("d", "Deployment", "d.spec.replicas = 1")])
    if refused:
        with pytest.raises(ValidationError) as err:
            stateful.check_interpreters(karmada, groups)
        assert "ResourceInterpreterCustomization r " in err.value.msg
    else:
        stateful.check_interpreters(karmada, groups)


def test_other_pins_keep_the_identity_override_at_the_ends():
    """An OverridePolicy of any name that writes the StatefulSet's replicas or ordinals is hidden by
    the identity override until it goes; one for another object or other fields is not."""
    def op(name, path, target="db"):
        return {"metadata": {"name": name}, "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": target}],
            "overrideRules": [{"overriders": {"plaintext": [{"path": path, "operator": "replace", "value": 1}]}}]}}
    w = sts("db")
    overrides = [op("db-cce-migration-identity", "/spec/replicas"), op("a-scale", "/spec/replicas"),
                 op("z-start", "/spec/ordinals/start"), op("b-image", "/spec/template"), op("c", "/spec/replicas", "x")]
    assert identity.other_pins(w, overrides) == ["a-scale", "z-start"]
    assert identity.shadowing_overrides(w, overrides) == ["z-start"]
