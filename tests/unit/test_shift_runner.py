"""The shift runner against an in-memory model of Karmada and two members.

The model applies Karmada's rules (static-weight division, a cluster with 0
replicas leaves the schedule, preserveResourcesOnDeletion keeps the member
object as it was and drops Karmada's labels); new pods become ready one per
member poll, removed pods go at once. Every state change samples the ready
replicas, so the capacity invariant is checked at every instant of the model.
The same scenarios run against the lab in tests/integration/test_replica_shift.py.
"""

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.division import divide_static
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import gates as gates_mod
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import runner, state
from tests.utils.shift_model import SRC, TGT, FakeRest, World

WORKLOADS = [("web", 10, 0, "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"), ("api", 5, 2, "4858ca61-3ff8"),
             ("cart", 3, 1, ""), ("solo", 1, 0, "x")]


def _setup(check_mode=False, gates=None):
    world = World()
    for w in WORKLOADS:
        world.add(*w)
    karmada = FakeRest(world)
    shifter = runner.Shifter(karmada, {"source": FakeRest(world, SRC), "target": FakeRest(world, TGT)},
                             {"source": SRC, "target": TGT}, concurrency=3, wait_timeout=30, wait_sleep=0.001,
                             check_mode=check_mode, gates=gates_mod.normalise(gates))
    return world, shifter


def _groups(world, shifter):
    groups = runner.find_policies(shifter.karmada, ["app/" + w[0] for w in WORKLOADS], [], None)
    for g in groups:
        g["workloads"] = runner.load_workloads(shifter.karmada, g)
        g["current"] = state.current_step(g["policy"], SRC, TGT)
    return groups


def _assert_invariant(world):
    for name, replicas, mu, _ in WORKLOADS:
        assert world.low["app/" + name] >= replicas - mu, (name, world.low)


def test_full_shift_keeps_capacity_and_scales_source_to_zero():
    world, shifter = _setup()
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 25, 50, 100])
    assert out["failure"] is None
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        src = world.members[SRC]["app/" + name]
        assert src["spec"]["replicas"] == 0  # kept, scaled to 0, never deleted
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.policies["app/" + name]["metadata"]["annotations"][state.STEP] == "100"
    # a re-run at the final step changes nothing
    writes = world.writes
    shifter.changed = False
    again = runner.run_shift(shifter, _groups(world, shifter), [0, 25, 50, 100])
    assert again["steps"] == [] and not shifter.changed and world.writes == writes


def test_rollback_from_100_brings_source_back():
    world, shifter = _setup()
    runner.run_shift(shifter, _groups(world, shifter), [0, 100])
    world.low.clear()
    world.sample()
    runner.run_shift(shifter, _groups(world, shifter), [0])
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.members[TGT]["app/" + name]["spec"]["replicas"] == 0


def test_failing_gate_rolls_back_to_last_good_step():
    world, shifter = _setup(gates={"command": ["sh", "-c", 'test "$SHIFT_PERCENT" -lt 60']})
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert out["failure"]["step"] == 100 and out["failure"]["gate"] == "command"
    assert set(out["rolled_back_to"].values()) == {50}
    _assert_invariant(world)
    for name, _, _, uid in WORKLOADS:
        split = divide_static(dict((w[0], w[1]) for w in WORKLOADS)[name], [SRC, TGT],
                              [{"clusterNames": [SRC], "weight": 50}, {"clusterNames": [TGT], "weight": 50}], uid)
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == split[SRC]
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == split[TGT]


def test_check_mode_writes_nothing():
    world, shifter = _setup(check_mode=True)
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert world.writes == 0 and shifter.changed
    assert world.dry_runs > 0   # the policy patches went to the "server" as dry runs
    assert [s["percent"] for s in out["steps"]] == [0, 50, 100]


@pytest.mark.parametrize("crash_after", [1, 3, 6, 9, 14])
def test_resume_after_crash_converges(crash_after):
    world, shifter = _setup()

    class Crash(Exception):
        pass

    calls = {"n": 0}
    original = FakeRest.merge_patch

    def crashing(self, path, patch, dry_run=False):
        calls["n"] += 1
        if calls["n"] > crash_after:
            raise Crash()
        return original(self, path, patch, dry_run=dry_run)

    FakeRest.merge_patch = crashing
    try:
        with pytest.raises(Crash):
            runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    finally:
        FakeRest.merge_patch = original
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert out["failure"] is None
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[SRC]["app/" + name]["spec"]["replicas"] == 0
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == replicas
