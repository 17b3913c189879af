"""The shift runner against an in-memory model of Karmada and two members.

The model applies Karmada's rules (static-weight division, a cluster with 0
replicas leaves the schedule, preserveResourcesOnDeletion keeps the member
object as it was and drops Karmada's labels); new pods become ready one per
member poll, removed pods go at once. Every state change samples the ready
replicas, so the capacity invariant is checked at every instant of the model.
The same scenarios run against the lab in tests/integration/test_replica_shift.py.
"""

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import gates as gates_mod
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import runner, state
from tests.utils.shift_model import SRC, TGT, FakeRest, World

WORKLOADS = [("web", 10, 0, "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"), ("api", 5, 2, "4858ca61-3ff8"),
             ("cart", 3, 1, ""), ("solo", 1, 0, "x")]

# (source, target) replicas Karmada gives each workload at each step, worked out by hand, not with
# the collection's division: static weights 100-step / step, Webster (the next replica goes to the
# highest weight / (2 * replicas + 1)); on a tie fewer replicas wins, then the UID decides: an odd
# FNV-32a hash favours the larger name (tgt), an even one or an empty UID the smaller (src). FNV-1a
# starts odd and multiplies by an odd prime, so the hash is odd when the UID has an even number of
# odd bytes: web 18, api 6 ("5", "c", "a", "1", "-", "3"), solo 0 -> odd, tgt wins; cart "" -> src.
# 25 % (75:25) never ties at equal replicas: seats go src, tgt (tie 25 = 25, fewer wins), src, src,
# src, tgt (75/9 = 25/3), src, src, src, tgt (75/15 = 25/5). 50 % ties at every odd replica.
EXPECTED = {
    0: {"web": (10, 0), "api": (5, 0), "cart": (3, 0), "solo": (1, 0)},
    25: {"web": (7, 3), "api": (4, 1), "cart": (2, 1), "solo": (1, 0)},
    50: {"web": (5, 5), "api": (2, 3), "cart": (2, 1), "solo": (0, 1)},
    100: {"web": (0, 10), "api": (0, 5), "cart": (0, 3), "solo": (0, 1)},
}


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
    for name, _, _, _ in WORKLOADS:
        src, tgt = EXPECTED[50][name]
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == src, name
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == tgt, name


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


class _SideWorld(World):
    """The model, also keeping the lowest ready count of each member object since ``reset``."""

    def reset(self):
        self.side_low = {}
        self.sample()

    def sample(self):
        super().sample()
        if hasattr(self, "side_low"):
            for cluster in (SRC, TGT):
                for key, obj in self.members[cluster].items():
                    ready = obj["status"]["readyReplicas"]
                    self.side_low[(cluster, key)] = min(self.side_low.get((cluster, key), ready), ready)


def _ready(world):
    return dict(((c, k), o["status"]["readyReplicas"]) for c in (SRC, TGT) for k, o in world.members[c].items())


def _side_setup():
    world = _SideWorld()
    for w in WORKLOADS:
        world.add(*w)
    shifter = runner.Shifter(FakeRest(world), {"source": FakeRest(world, SRC), "target": FakeRest(world, TGT)},
                             {"source": SRC, "target": TGT}, concurrency=3, wait_timeout=30, wait_sleep=0.001,
                             gates=gates_mod.normalise(None))
    return world, shifter


def _groups_resumed(world, shifter, steps, stop_after):
    groups = _groups(world, shifter)
    for g in groups:
        g["current"] = runner.resume_point(g, steps, stop_after)
    return groups


def test_grow_removes_no_pod_and_settle_keeps_serving_members():
    """phase=grow then settle at each step (the cutover with traffic): during grow no member loses a
    ready pod and the growing member runs every replica; settle ends on Karmada's division, except
    that a member out of the schedule keeps its pods while it still gets traffic (0 < step < 100)."""
    world, shifter = _side_setup()
    steps = [0, 25, 50, 100]
    for step in steps:
        before = _ready(world)
        world.reset()
        out = runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=step, phase=runner.GROW)
        assert out["failure"] is None and set(out["held"].values()) == {step}
        for key, lowest in world.side_low.items():
            assert lowest >= before.get(key, 0), (step, key, lowest, before.get(key))
        for name, replicas, _, _ in WORKLOADS:
            policy = world.policies["app/" + name]["metadata"]["annotations"]
            assert policy[state.PHASE] == "held:%d" % step and policy.get(state.STEP) != str(step)
            if step > 0:
                assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == replicas
        out = runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=step, phase=runner.SETTLE)
        assert out["failure"] is None and out["held"] == {}
        for name, _, _, _ in WORKLOADS:
            key = "app/" + name
            assert world.policies[key]["metadata"]["annotations"][state.STEP] == str(step)
            src, tgt = EXPECTED[step][name]
            for cluster, want in ((SRC, src), (TGT, tgt)):
                have = world.members[cluster].get(key, {"status": {"readyReplicas": 0}})["status"]["readyReplicas"]
                if want == 0 and 0 < step < 100:
                    assert have > 0, (step, key, cluster)      # out of the schedule, still serving traffic
                else:
                    assert have == want, (step, key, cluster, have, want)
    assert all(world.members[SRC]["app/" + w[0]]["spec"]["replicas"] == 0 for w in WORKLOADS)


def test_rollback_from_a_held_step_returns_to_the_last_step_reached():
    world, shifter = _side_setup()
    steps = [0, 50, 100]
    runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=0)
    runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=50, phase=runner.GROW)
    # the traffic gate failed: back to 0 with target_percent (steps [0]); the held step is undone
    out = runner.run_shift(shifter, _groups_resumed(world, shifter, [0], None), [0])
    assert out["failure"] is None
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.members[TGT]["app/" + name]["spec"]["replicas"] == 0
        assert state.in_progress(world.policies["app/" + name]) is None


def test_rollback_in_two_parts_from_a_step_held_after_0_empties_the_target():
    """rollback.yml with traffic: grow to 0 then settle to 0, after a cutover [0, 25] stopped
    between the grow and the settle of 25. The settle finds the step held at 0, the step reached:
    it still settles it (before, it found nothing to do and CCE kept every replica, out of Karmada)."""
    world, shifter = _side_setup()
    runner.run_shift(shifter, _groups(world, shifter), [0, 25], stop_after=0)
    runner.run_shift(shifter, _groups(world, shifter), [0, 25], stop_after=25, phase=runner.GROW)
    runner.run_shift(shifter, _groups_resumed(world, shifter, [0], None), [0], phase=runner.GROW)
    out = runner.run_shift(shifter, _groups_resumed(world, shifter, [0], None), [0], phase=runner.SETTLE)
    assert out["failure"] is None and out["steps"]
    for name, replicas, _, _ in WORKLOADS:
        policy = world.policies["app/" + name]
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.members[TGT]["app/" + name]["spec"]["replicas"] == 0
        assert state.in_progress(policy) is None and state.PHASE not in policy["metadata"]["annotations"]


def test_a_held_step_grown_again_writes_nothing():
    world, shifter = _side_setup()
    steps = [0, 50]
    runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=0)
    runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=50, phase=runner.GROW)
    writes = world.writes
    shifter.changed = False
    again = runner.run_shift(shifter, _groups(world, shifter), steps, stop_after=50, phase=runner.GROW)
    assert again["held"] and not shifter.changed and world.writes == writes
